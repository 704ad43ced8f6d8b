"""charon initiates to vpnlearn's responder (``vpnlearn ike respond``): rekeys and refusals.

Here vpnlearn is the side that answers CREATE_CHILD_SA and that sends the error notifies, and
charon reports what it received.
"""

from __future__ import annotations

import re
from pathlib import Path

from .harness import INNER_A, INNER_B, Charon, NetPair
from .vl import VlResponder, charon_responder_conn, no_sas


def _ping_ok(netpair: NetPair, count: int = 2) -> bool:
    ping = netpair.ping(netpair.ns_b, INNER_B, INNER_A, count=count)
    return ping.returncode == 0 and " 0% packet loss" in ping.stdout


def test_charon_rekeys_child_and_ike_on_vpnlearn(netpair: NetPair, charon_b: Charon, wdir: Path) -> None:
    ike, esp = "aes256-sha256-modp2048", "aes256-sha256"
    conn = charon_responder_conn(netpair, ike=ike, esp=esp)
    charon_b.load(conn)
    resp = VlResponder(netpair, wdir, "--duration", "40", ike=ike, esp=esp)
    try:
        charon_b.initiate(conn.child_name)
        assert _ping_ok(netpair), resp.stdout()
        charon_b.swanctl("--rekey", "--child", conn.child_name)
        # The rekeyed CHILD_SA gets charon's unique id {2}.
        assert charon_b.wait_log(r"CHILD_SA vl-child\{2\} established", 10), charon_b.log_text()[-3000:]
        assert _ping_ok(netpair), resp.stdout()
        charon_b.swanctl("--rekey", "--ike", conn.name)
        assert charon_b.wait_log(r"IKE_SA vl\[\d+\] rekeyed between", 10), charon_b.log_text()[-3000:]
        assert _ping_ok(netpair), resp.stdout()
        sas = charon_b.list_sas()
        assert sas.count("ESTABLISHED") == 1 and sas.count("INSTALLED") == 1, sas
        charon_b.swanctl("--terminate", "--ike", conn.name, "--timeout", "5")
        assert resp.wait(15) == 0, resp.stdout() + resp.stderr()
    finally:
        resp.stop()
    out = resp.stdout()
    assert "ChildSaRekeyed" in out and "IkeSaRekeyed" in out, out
    assert "answered 6 echo requests" in out, out


def test_vpnlearn_sends_invalid_ke_and_charon_retries(netpair: NetPair, charon_b: Charon, wdir: Path) -> None:
    # charon offers x25519 first (and ecp256); vpnlearn accepts only ecp256 -> INVALID_KE_PAYLOAD(19).
    conn = charon_responder_conn(netpair, ike="aes128gcm16-prfsha256-x25519-ecp256", esp="aes128gcm16")
    charon_b.load(conn)
    resp = VlResponder(netpair, wdir, "--duration", "20", ike="aes128gcm16-prfsha256-ecp256",
                       esp="aes128gcm16")
    try:
        charon_b.initiate(conn.child_name)
        assert _ping_ok(netpair, 1), resp.stdout()
        charon_b.swanctl("--terminate", "--ike", conn.name, "--timeout", "5")
        resp.wait(15)
    finally:
        resp.stop()
    log = charon_b.log_text()
    assert "peer didn't accept DH group CURVE_25519, it requested ECP_256" in log, log[-3000:]
    assert re.search(r"IKE_SA vl\[\d+\] established", log)


def test_vpnlearn_sends_no_proposal_chosen(netpair: NetPair, charon_b: Charon, wdir: Path) -> None:
    conn = charon_responder_conn(netpair, ike="aes256gcm16-prfsha384-ecp384", esp="aes256gcm16")
    charon_b.load(conn)
    resp = VlResponder(netpair, wdir, "--duration", "20", ike="aes128gcm16-prfsha256-x25519",
                       esp="aes128gcm16")
    try:
        proc = charon_b.initiate(conn.child_name, check=False, timeout=8)
        assert proc.returncode != 0
        assert resp.wait(15) == 1
    finally:
        resp.stop()
    assert "received NO_PROPOSAL_CHOSEN notify error" in charon_b.log_text()
    assert "NO_PROPOSAL_CHOSEN" in resp.stderr(), resp.stdout() + resp.stderr()
    assert no_sas(charon_b)


def test_vpnlearn_sends_ts_unacceptable(netpair: NetPair, charon_b: Charon, wdir: Path) -> None:
    ike, esp = "aes128gcm16-prfsha256-x25519", "aes128gcm16"
    conn = charon_responder_conn(netpair, ike=ike, esp=esp)
    conn.remote_ts = "10.98.3.0/24"          # charon asks for a subnet vpnlearn does not have
    charon_b.load(conn)
    resp = VlResponder(netpair, wdir, "--duration", "20", ike=ike, esp=esp)
    try:
        proc = charon_b.initiate(conn.child_name, check=False, timeout=8)
        assert proc.returncode != 0
        assert "INSTALLED" not in charon_b.list_sas()
        charon_b.swanctl("--terminate", "--ike", conn.name, "--timeout", "5", check=False)
        resp.wait(15)
    finally:
        resp.stop()
    assert "received TS_UNACCEPTABLE notify, no CHILD_SA built" in charon_b.log_text()
    assert "TS_UNACCEPTABLE" in resp.stdout(), resp.stdout()
