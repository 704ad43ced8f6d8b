#!/usr/bin/env bash
# Install the Debian packages listed in debian-packages.txt that are not installed yet.
# Usage: scripts/install-system.sh [PACKAGE-LIST-FILE]
# Fast when nothing is missing (one dpkg-query). Needs root (or sudo) only when something is missing.
set -euo pipefail
list=${1:-debian-packages.txt}
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$')
missing=()
for p in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
    echo "vpnlearn: this is not a Debian-like system; please install the equivalents of: ${missing[*]}" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; else
        echo "vpnlearn: need root to install: ${missing[*]}" >&2; exit 1
    fi
fi
echo "vpnlearn: installing Debian packages: ${missing[*]}"
# apt-get update does not wait for the lists lock: retry it.
for i in 1 2 3 4 5 6 7 8 9 10; do
    if $SUDO apt-get update -q; then break; fi
    echo "apt-get update failed (try $i), retrying in 6 s" >&2; sleep 6
done
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
    "${missing[@]}"
