"""swanctl.conf generation for both tunnels, and a real charon that loads it."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from vpnlearn.aws.importer import load_files
from vpnlearn.aws.site_to_site import CustomerGateway, VirtualPrivateGateway, two_tunnel_connection
from vpnlearn.aws.swanctl import inside_addresses, swanctl_conf, tunnel_proposals
from vpnlearn.crypto.suites import parse_proposal
from vpnlearn.errors import ConfigError

DATA = Path(__file__).parent / "data"
FILES = [DATA / "describe-vpn-connections.json", DATA / "describe-customer-gateways.json"]
CHARON = "/usr/lib/ipsec/charon"


def example():
    inv = load_files(FILES)
    return inv, inv.vpn_connections[0]


def default_vpn(**kw):
    cgw = CustomerGateway("cgw-1", bgp_asn=65010, ip_address="198.51.100.7")
    return two_tunnel_connection("vpn-default", cgw, vpn_gateway=VirtualPrivateGateway("vgw-1"),
                                 outside_ips=("192.0.2.1", "192.0.2.2"), **kw)


def test_proposals_of_the_example_map_aws_names_to_strongswan():
    _, vpn = example()
    p = tunnel_proposals(vpn.tunnels[0])
    assert p.version == 2
    assert p.ike == ("aes256gcm16-aes128gcm16-prfsha256-prfsha384-ecp256-ecp384-modp2048",)
    assert p.esp == ("aes256gcm16-aes128gcm16-ecp256-ecp384-modp2048",)


def test_default_options_give_separate_aead_and_cbc_proposals_that_parse():
    p = tunnel_proposals(default_vpn().tunnels[0])
    assert len(p.ike) == 2 and len(p.esp) == 2
    ike_aead, ike_cbc = (parse_proposal(x, "ike") for x in p.ike)
    assert ike_aead.aead and not ike_cbc.aead
    assert [e.aws_name for e in ike_cbc.encryption] == ["AES128", "AES256"]
    assert [i.aws_name for i in ike_cbc.integrity] == ["SHA1", "SHA2-256", "SHA2-384", "SHA2-512"]
    assert [g.number for g in ike_cbc.dh_groups] == [2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]
    esp_aead, esp_cbc = (parse_proposal(x, "esp") for x in p.esp)
    assert [g.number for g in esp_cbc.dh_groups] == [2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]
    assert esp_aead.pfs and esp_cbc.pfs


def test_ikev1_only_tunnel():
    p = tunnel_proposals(default_vpn(ike_versions=("ikev1",)).tunnels[0])
    assert p.version == 1
    assert "aggressive = no" in swanctl_conf(default_vpn(ike_versions=("ikev1",)))


def test_config_holds_both_tunnels_with_aws_values():
    inv, vpn = example()
    text = swanctl_conf(vpn, inventory=inv)
    for n, ip in ((1, "203.0.113.11"), (2, "203.0.113.202")):
        assert f"vpn-04d5e6f7a8b9c0d1e-tunnel{n} {{" in text
        assert f"remote_addrs = {ip}" in text
        assert f"if_id_in = {n}" in text
    assert text.count("local_addrs = 198.51.100.27") == 2
    # 28800 s Phase 1, 3600 s Phase 2, margin 270 s, fuzz 100 % (of the margin).
    assert text.count("rekey_time = 28530s") == 2 and text.count("rekey_time = 3330s") == 2
    assert text.count("life_time = 3600s") == 2 and text.count("rand_time = 270s") == 4
    assert text.count("replay_window = 1024") == 2
    assert 'secret = "Xa7Qm2pT9vLr_Kd3.Wn8Zc5Hb1Yf6Gs4"' in text
    # StartupAction add -> the CGW starts; start -> AWS starts and the CGW waits.
    starts = re.findall(r"start_action = (\w+)", text)
    assert starts == ["start", "none"]
    assert "BGP neighbor 169.254.44.89" in text and "169.254.44.90/30 dev xfrm1" in text


def test_rekey_fuzz_zero_and_custom_lifetimes():
    text = swanctl_conf(default_vpn(phase1_lifetime_seconds=7200, phase2_lifetime_seconds=1800,
                                    rekey_margin_time_seconds=600, rekey_fuzz_percentage=50))
    assert "rekey_time = 6600s" in text and "rekey_time = 1200s" in text
    assert "rand_time = 300s" in text and "life_time = 1800s" in text


def test_missing_psk_gets_a_placeholder():
    text = swanctl_conf(default_vpn())
    assert 'secret = "REPLACE_WITH_TUNNEL_1_PRE_SHARED_KEY"' in text


def test_tunnel_without_outside_ip_is_refused():
    vpn = default_vpn()
    vpn.tunnels[1].outside_ip_address = None
    with pytest.raises(ConfigError, match=r"TunnelOptions\[1\]\.OutsideIpAddress"):
        swanctl_conf(vpn)


def test_inside_addresses_follow_aws_samples():
    _, vpn = example()
    assert inside_addresses(vpn.tunnels[0]) == ("169.254.44.90/30", "169.254.44.89/30")
    vpn.tunnels[0].options = dataclasses.replace(vpn.tunnels[0].options, tunnel_inside_cidr=None)
    assert inside_addresses(vpn.tunnels[0]) is None


# ---- a real charon loads it ---------------------------------------------------------------------------

def _can_run_charon() -> str | None:
    """A reason to skip (only: not root); missing tools are a failure, they are project dependencies."""
    if os.geteuid() != 0:
        return "needs root (network and mount namespaces)"
    for tool in ("ip", "unshare", "swanctl"):
        assert shutil.which(tool), f"{tool} not installed (debian-packages.txt)"
    assert os.path.exists(CHARON), "strongSwan charon not installed (debian-packages.txt)"
    return None


@pytest.fixture
def charon(tmp_path):
    """A private charon: own network namespace (no interfaces up), own /run, own vici socket."""
    reason = _can_run_charon()
    if reason:
        pytest.skip(reason)
    ns = f"vpnl-s2s-{os.getpid()}"
    run = tmp_path / "run"
    run.mkdir()
    vici = tmp_path / "charon.vici"
    conf = tmp_path / "strongswan.conf"
    conf.write_text(
        "charon {\n  load_modular = yes\n  install_routes = no\n  plugins {\n"
        "    include /etc/strongswan.d/charon/*.conf\n"
        f"    vici {{\n      socket = unix://{vici}\n    }}\n  }}\n"
        f"  filelog {{\n    log {{\n      path = {tmp_path}/charon.log\n      default = 1\n"
        "    }\n  }\n}\n")
    created = subprocess.run(["ip", "netns", "add", ns], capture_output=True, text=True)
    if created.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {created.stderr.strip()}")
    proc = None
    try:
        env = {**os.environ, "STRONGSWAN_CONF": str(conf)}
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "unshare", "-m", "--propagation", "private", "sh", "-c",
             f"mount --bind {run} /run && exec {CHARON}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):        # wait for the vici socket (not a timing assertion)
            if vici.exists() or proc.poll() is not None:
                break
            time.sleep(0.05)
        if not vici.exists():
            log = (tmp_path / "charon.log").read_text() if (tmp_path / "charon.log").exists() else ""
            pytest.fail(f"charon did not start (exit {proc.poll()}): {log[-2000:]}")
        yield {"uri": f"unix://{vici}", "dir": tmp_path, "env": env}
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def _load(charon, text, name):
    path = charon["dir"] / f"{name}.conf"
    path.write_text(text)
    load = subprocess.run(["swanctl", "--load-all", "--file", str(path), "--uri", charon["uri"]],
                          capture_output=True, text=True, env=charon["env"], timeout=60)
    conns = subprocess.run(["swanctl", "--list-conns", "--uri", charon["uri"]],
                           capture_output=True, text=True, env=charon["env"], timeout=60)
    return load, conns


@pytest.mark.root
def test_real_charon_loads_both_tunnels(charon):
    inv, vpn = example()
    load, conns = _load(charon, swanctl_conf(vpn, inventory=inv), "example")
    assert load.returncode == 0, load.stdout + load.stderr
    assert "successfully loaded 2 connections" in load.stdout
    assert "loaded ike secret 'ike-vpn-04d5e6f7a8b9c0d1e-tunnel1'" in load.stdout
    assert "loaded ike secret 'ike-vpn-04d5e6f7a8b9c0d1e-tunnel2'" in load.stdout
    for n, ip in ((1, "203.0.113.11"), (2, "203.0.113.202")):
        block = conns.stdout.split(f"vpn-04d5e6f7a8b9c0d1e-tunnel{n}: IKEv2")[1]
        assert f"remote: {ip}" in block.split("\n\n")[0]
    assert conns.stdout.count("TUNNEL, rekeying every 3330s") == 2


@pytest.mark.root
def test_real_charon_loads_default_and_ikev1_options(charon):
    # AWS defaults: every algorithm incl. SHA1, DH 2/5 and the RFC 5114 groups.
    load, conns = _load(charon, swanctl_conf(default_vpn()), "defaults")
    ok = load.returncode == 0 and "successfully loaded 2 connections" in load.stdout
    assert ok, load.stdout + load.stderr
    assert "vpn-default-tunnel1: IKEv2" in conns.stdout and "vpn-default-tunnel2: IKEv2" in conns.stdout
    load, conns = _load(charon, swanctl_conf(default_vpn(ike_versions=("ikev1",))), "ikev1")
    ok = load.returncode == 0 and "successfully loaded 2 connections" in load.stdout
    assert ok, load.stdout + load.stderr
    assert "vpn-default-tunnel1: IKEv1" in conns.stdout and "vpn-default-tunnel2: IKEv1" in conns.stdout


@pytest.mark.root
def test_real_charon_rejects_a_broken_proposal(charon):
    # The load test can fail: a corrupted proposal string is refused by charon.
    inv, vpn = example()
    text = swanctl_conf(vpn, inventory=inv).replace("aes256gcm16-aes128gcm16-prfsha256",
                                                    "aes999-prfsha256", 1)
    load, _ = _load(charon, text, "broken")
    assert "successfully loaded 2 connections" not in load.stdout


# ---- both sides: the generated CGW config against a strongSwan stand-in for the AWS endpoints ----------

LIBIPSEC = "/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so"


def _sh(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60)


@pytest.fixture
def two_sides(tmp_path):
    """Namespaces 'cgw' (198.51.100.27, inner 10.98.1.1) and 'aws' (203.0.113.11 + .202, inner
    10.98.2.1) joined by a veth pair; a charon with kernel-libipsec in each. Nothing leaves them."""
    reason = _can_run_charon()
    if reason:
        pytest.skip(reason)
    assert os.path.exists(LIBIPSEC), "kernel-libipsec plugin missing (libcharon-extra-plugins)"
    assert os.path.exists("/dev/net/tun"), "/dev/net/tun missing"
    pid = os.getpid()
    ns = {"cgw": f"vpnl-s2s-c{pid}", "aws": f"vpnl-s2s-a{pid}"}
    dev = {"cgw": f"vs2s{pid}c"[:15], "aws": f"vs2s{pid}a"[:15]}
    procs: list[subprocess.Popen] = []
    try:
        for n in ns.values():
            r = _sh("ip", "netns", "add", n)
            if r.returncode:
                pytest.skip(f"cannot create a network namespace: {r.stderr.strip()}")
        steps = [
            ("ip", "link", "add", dev["cgw"], "netns", ns["cgw"], "type", "veth", "peer", "name", dev["aws"],
             "netns", ns["aws"]),
            ("ip", "-n", ns["cgw"], "addr", "add", "198.51.100.27/32", "dev", dev["cgw"]),
            ("ip", "-n", ns["aws"], "addr", "add", "203.0.113.11/32", "dev", dev["aws"]),
            ("ip", "-n", ns["aws"], "addr", "add", "203.0.113.202/32", "dev", dev["aws"]),
            ("ip", "-n", ns["cgw"], "addr", "add", "10.98.1.1/24", "dev", "lo"),
            ("ip", "-n", ns["aws"], "addr", "add", "10.98.2.1/24", "dev", "lo"),
        ]
        for side in ("cgw", "aws"):
            steps += [("ip", "-n", ns[side], "link", "set", "lo", "up"),
                      ("ip", "-n", ns[side], "link", "set", dev[side], "up")]
        for step in steps:
            r = _sh(*step)
            assert r.returncode == 0, f"{step}: {r.stderr}"
        sides = {}
        for side in ("aws", "cgw"):
            d = tmp_path / side
            (d / "run").mkdir(parents=True)
            vici = d / "charon.vici"
            conf = d / "strongswan.conf"
            conf.write_text(
                "charon {\n  load_modular = yes\n  install_routes = no\n  retransmit_timeout = 1.0\n"
                "  plugins {\n    include /etc/strongswan.d/charon/*.conf\n"
                "    kernel-libipsec {\n      load = yes\n    }\n"
                f"    vici {{\n      socket = unix://{vici}\n    }}\n  }}\n"
                f"  filelog {{\n    log {{\n      path = {d}/charon.log\n      default = 1\n"
                "    }\n  }\n}\n")
            env = {**os.environ, "STRONGSWAN_CONF": str(conf)}
            procs.append(subprocess.Popen(
                ["ip", "netns", "exec", ns[side], "unshare", "-m", "--propagation", "private", "sh", "-c",
                 f"mount --bind {d / 'run'} /run && exec {CHARON}"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            for _ in range(200):
                if vici.exists():
                    break
                time.sleep(0.05)
            assert vici.exists(), f"{side} charon did not start"
            sides[side] = {"uri": f"unix://{vici}", "dir": d, "env": env}
        sides["ns"] = ns
        # The routes between the outside addresses are added by the test once both sides have their
        # configuration, so an early IKE_SA_INIT cannot meet a peer that has none (charon keeps
        # retransmitting while the network is unreachable).
        sides["routes"] = [("ip", "-n", ns["cgw"], "route", "add", "203.0.113.0/24", "dev", dev["cgw"]),
                           ("ip", "-n", ns["aws"], "route", "add", "198.51.100.27/32", "dev", dev["aws"])]
        yield sides
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for n in ns.values():
            _sh("ip", "netns", "del", n)


def _bring_up(two_sides, vpn, inv):
    """Load both sides, connect the namespaces, wait for both CHILD_SAs; the CGW's --list-sas blocks."""
    import ipaddress

    from vpnlearn.aws.swanctl import aws_endpoint_conf

    # Narrow the traffic selectors (an AWS connection option) to inner subnets, so the TUN device of
    # kernel-libipsec does not swallow the IKE packets (STACK-NOTES).
    vpn.local_ipv4_network_cidr = ipaddress.ip_network("10.98.1.0/24")
    vpn.remote_ipv4_network_cidr = ipaddress.ip_network("10.98.2.0/24")
    confs = {"cgw": swanctl_conf(vpn, inventory=inv), "aws": aws_endpoint_conf(vpn, inventory=inv)}
    for side in ("cgw", "aws"):
        s = two_sides[side]
        path = s["dir"] / "swanctl.conf"
        path.write_text(confs[side])
        r = subprocess.run(["swanctl", "--load-all", "--file", str(path), "--uri", s["uri"]],
                           capture_output=True, text=True, env=s["env"], timeout=60)
        assert r.returncode == 0 and "successfully loaded 2 connections" in r.stdout, r.stdout + r.stderr
    for step in two_sides["routes"]:
        assert _sh(*step).returncode == 0
    cgw = two_sides["cgw"]
    out = ""
    for _ in range(100):      # wait for both CHILD_SAs (bounded); not a timing assertion
        out = subprocess.run(["swanctl", "--list-sas", "--uri", cgw["uri"]], capture_output=True,
                             text=True, env=cgw["env"], timeout=60).stdout
        if out.count("INSTALLED, TUNNEL") >= 2:
            break
        time.sleep(0.2)
    blocks = {m.group(1): m.group(0) for m in re.finditer(
        rf"({vpn.id}-tunnel\d): #\d+, ESTABLISHED.*?(?=\nvpn-|\Z)", out, re.S)}
    assert set(blocks) == {f"{vpn.id}-tunnel1", f"{vpn.id}-tunnel2"}, out
    ping = _sh("ip", "netns", "exec", two_sides["ns"]["cgw"], "ping", "-c", "2", "-W", "2",
               "-I", "10.98.1.1", "10.98.2.1")
    assert ping.returncode == 0, ping.stdout + ping.stderr    # inner traffic crosses the tunnel
    return blocks[f"{vpn.id}-tunnel1"], blocks[f"{vpn.id}-tunnel2"]


@pytest.mark.root
def test_generated_config_brings_up_both_tunnels_against_an_aws_stand_in(two_sides):
    inv, vpn = example()
    t1, t2 = _bring_up(two_sides, vpn, inv)
    for b in (t1, t2):
        # The first algorithm of each AWS list was chosen: AES256-GCM-16, SHA2-256 (PRF), DH 19.
        assert "IKEv2" in b and "AES_GCM_16-256/PRF_HMAC_SHA2_256/ECP_256" in b
        assert "INSTALLED, TUNNEL" in b and "ESP:AES_GCM_16-256" in b
        assert "local  10.98.1.0/24" in b and "remote 10.98.2.0/24" in b
    # StartupAction add: the CGW initiated tunnel 1 (its SPI is the _i one, marked *);
    # StartupAction start: AWS initiated tunnel 2 (the CGW is the responder, _r*).
    assert re.search(r"[0-9a-f]{16}_i\* [0-9a-f]{16}_r\n", t1)
    assert re.search(r"[0-9a-f]{16}_i [0-9a-f]{16}_r\*\n", t2)
    assert "remote '203.0.113.11'" in t1 and "remote '203.0.113.202'" in t2


@pytest.mark.root
def test_ikev1_cbc_tunnels_come_up_against_an_aws_stand_in(two_sides):
    inv, vpn = example()
    for t in vpn.tunnels:
        t.options = dataclasses.replace(
            t.options, ike_versions=("ikev1",), startup_action="add",
            phase1_encryption_algorithms=("AES256", "AES256-GCM-16"),
            phase2_encryption_algorithms=("AES128",),
            phase2_integrity_algorithms=("SHA2-512",), phase2_dh_group_numbers=(21,))
    for b in _bring_up(two_sides, vpn, inv):
        assert "IKEv1" in b and "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256" in b
        assert "ESP:AES_CBC-128/HMAC_SHA2_512_256/ECP_521" in b
        assert re.search(r"[0-9a-f]{16}_i\* [0-9a-f]{16}_r\n", b)   # add: the CGW initiates


def test_ikev1_with_only_aead_phase1_is_refused():
    vpn = default_vpn(ike_versions=("ikev1",), phase1_encryption_algorithms=("AES128-GCM-16",))
    with pytest.raises(ConfigError, match="Phase1EncryptionAlgorithms.*IKEv1"):
        swanctl_conf(vpn)
    p = tunnel_proposals(default_vpn(ike_versions=("ikev1",)).tunnels[0])
    assert len(p.ike) == 1 and "gcm" not in p.ike[0]
