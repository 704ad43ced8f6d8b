#!/usr/bin/env bash
# Prove the README on a truly fresh Debian 12: build a minimal root with debootstrap, put a clean
# clone of this project in it, and run the README's two commands exactly as written inside it.
# Not part of `make test` (it takes a while and needs root); run it before changing how set-up works:
#
#   sudo scripts/fresh-machine-check.sh [--fresh] [WORKDIR]   (default WORKDIR: /var/tmp/vpnlearn-fresh)
#
# A root left by an earlier run is reused (its Debian packages then are already installed); --fresh
# deletes it first, so the run starts from debootstrap.
# It reports the time and disk each step took. The machine's own apt mirror, pip settings and CA
# bundle are passed in (they are the network's, not the project's). `make lab` is started, checked
# to serve the contents notebook, and stopped.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
fresh=0
if [ "${1:-}" = "--fresh" ]; then fresh=1; shift; fi
work=${1:-/var/tmp/vpnlearn-fresh}
root="$work/root"
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
[ "$(id -u)" -eq 0 ] || { echo "run as root (debootstrap, chroot, mounts)" >&2; exit 1; }
command -v debootstrap >/dev/null || apt-get install -y -q debootstrap

step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
cleanup() {
    for m in dev/pts dev proc sys run; do umount -l "$root/$m" 2>/dev/null || true; done
    umount -l "$root" 2>/dev/null || true
}
trap cleanup EXIT

t0=$(date +%s)
if [ "$fresh" = 1 ] && [ -d "$root" ]; then
    step "--fresh: removing the root of an earlier run"
    cleanup
    rm -rf --one-file-system "$root"
fi
if [ ! -x "$root/bin/bash" ]; then
    step "debootstrap bookworm (minbase) from $mirror"
    mkdir -p "$work"
    debootstrap --variant=minbase bookworm "$root" "$mirror"
fi
t1=$(date +%s)

step "prepare the chroot (mounts, resolv.conf, CA bundle, apt sources, pip settings)"
mkdir -p "$root/run" "$root/dev/pts"
# On a real machine / is a mount point; `ip netns exec` relies on that (it remounts / as a slave).
mountpoint -q "$root" || mount --bind "$root" "$root"
mount -t proc proc "$root/proc"; mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"; mount --bind /dev/pts "$root/dev/pts"; mount -t tmpfs tmpfs "$root/run"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || true
[ -f /etc/ssl/certs/ca-certificates.crt ] && mkdir -p "$root/etc/ssl/certs" \
    && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/host-ca.crt"
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$root/etc/pip.conf" \
    && sed -i 's|/etc/ssl/certs/ca-certificates.crt|/etc/ssl/certs/host-ca.crt|' "$root/etc/pip.conf"

step "a clean clone of the project"
rm -rf "$root/root/vpnlearn"
git clone -q "$here" "$root/root/vpnlearn"

inside() {
    chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 PIP_CERT=/etc/ssl/certs/host-ca.crt REQUESTS_CA_BUNDLE=/etc/ssl/certs/host-ca.crt \
        /bin/bash -c "$1"
}

step "the README's prerequisite on a bare image: make"
inside "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q make"
t2=$(date +%s)

step "README command 1: make lab (started, checked, stopped)"
inside "cd /root/vpnlearn && { setsid make lab PORT=8899 > /tmp/lab.log 2>&1 & echo \$! > /tmp/lab.pid; } ; \
  for i in \$(seq 1 900); do grep -q 'token=' /tmp/lab.log && break; sleep 1; done; \
  tok=\$(grep -o 'token=[0-9a-f]*' /tmp/lab.log | head -1 | cut -d= -f2); \
  for i in \$(seq 1 30); do python3 -c \"import json,urllib.request as u; r=u.urlopen(u.Request('http://127.0.0.1:8899/api/contents/contents.ipynb', headers={'Authorization':'token \$tok'})); m=json.load(r); assert m['type']=='notebook'; print('make lab serves', m['name'])\" && break; sleep 1; done; \
  kill -TERM -- -\$(cat /tmp/lab.pid); sleep 5; tail -3 /tmp/lab.log"
t3=$(date +%s)

step "README command 2: make test"
inside "cd /root/vpnlearn && make test"
t4=$(date +%s)

step "report"
echo "debootstrap: $((t1 - t0)) s; make (prerequisite): $((t2 - t1)) s; make lab (incl. installs): $((t3 - t2)) s; make test: $((t4 - t3)) s"
# -x: not into the proc/sys/dev mounts (du failed on vanishing /proc entries and ended the run with 1)
du -shx "$root" 2>/dev/null || true
du -sh "$root/root/vpnlearn/.venv" 2>/dev/null || true
