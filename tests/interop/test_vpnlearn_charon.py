"""vpnlearn's IKEv2 peer (the ``vpnlearn ike`` command) against a real strongSwan 5.9.8 charon.

vpnlearn runs in namespace A (outer 10.97.0.1, inner TS 10.98.1.0/24), charon in namespace B
(outer 10.97.0.2, inner TS 10.98.2.0/24, ``encap = yes`` so ESP rides in UDP 4500). Pings go through
the CHILD_SA to inner addresses on ``lo``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .harness import INNER_A, INNER_B, Charon, NetPair, Pki, parse_charon_keys, tshark_fields
from .vl import REPO, VlResponder, charon_responder_conn, no_sas, read_our_keys, vl_args, vl_initiate

SUITES = [
    # (IKE proposal, ESP proposal): the three of the brief.
    ("aes128gcm16-prfsha256-x25519", "aes128gcm16"),
    ("aes256-sha256-modp2048", "aes256-sha256"),
    ("aes128-sha256-ecp256", "aes128-sha256"),
]


def _explain(proc) -> str:
    return f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"


# -- 1. vpnlearn initiates -------------------------------------------------------------------------


INITIATE_SUITES = [*SUITES, ("chacha20poly1305-prfsha256-x25519", "chacha20poly1305")]


@pytest.mark.parametrize(("ike", "esp"), INITIATE_SUITES, ids=[s[0] for s in INITIATE_SUITES])
def test_vpnlearn_initiates_psk_ping_delete(netpair: NetPair, charon_b: Charon, ike: str, esp: str) -> None:
    charon_b.load(charon_responder_conn(netpair, ike=ike, esp=esp))
    proc = vl_initiate(netpair, "--ping", INNER_B, "--ping-source", INNER_A, "--count", "3", ike=ike, esp=esp)
    assert proc.returncode == 0, _explain(proc)
    assert "3/3 replies" in proc.stdout, _explain(proc)
    assert "IKE SA deleted" in proc.stdout, _explain(proc)
    log = charon_b.log_text()
    assert re.search(r"IKE_SA vl\[\d+\] established", log), log[-3000:]
    assert re.search(r"CHILD_SA vl-child\{\d+\} established", log)
    assert "received DELETE for IKE_SA vl" in log
    # charon counted the pings in its CHILD_SA and has no SA left after our DELETE.
    assert no_sas(charon_b)


@pytest.mark.parametrize("rsa", [False, True], ids=["ecdsa", "rsa"])
def test_vpnlearn_initiates_certificates(netpair: NetPair, charon_b: Charon, pki: Pki, wdir: Path,
                                         rsa: bool) -> None:
    ike, esp = "aes128gcm16-prfsha256-x25519", "aes128gcm16"
    ours = pki.issue("a.vpnlearn.test", rsa=rsa)
    theirs = pki.issue("b.vpnlearn.test", rsa=rsa)
    charon_b.load(charon_responder_conn(netpair, ike=ike, esp=esp, cert=theirs, ca=pki.ca_cert))
    proc = vl_initiate(netpair, "--ping", INNER_B, "--ping-source", INNER_A, ike=ike, esp=esp,
                       psk=None, cert=ours, ca=pki.ca_cert)
    assert proc.returncode == 0, _explain(proc)
    assert "3/3 replies" in proc.stdout
    log = charon_b.log_text()
    assert "authentication of 'a.vpnlearn.test' with" in log and "successful" in log


# -- 2. charon initiates to vpnlearn ---------------------------------------------------------------


@pytest.mark.parametrize(("ike", "esp"), SUITES[:2], ids=[s[0] for s in SUITES[:2]])
def test_charon_initiates_to_vpnlearn(netpair: NetPair, charon_b: Charon, wdir: Path, ike: str,
                                     esp: str) -> None:
    conn = charon_responder_conn(netpair, ike=ike, esp=esp)
    charon_b.load(conn)
    resp = VlResponder(netpair, wdir, "--duration", "30", ike=ike, esp=esp)
    try:
        charon_b.initiate(conn.child_name)
        sas = charon_b.list_sas()
        assert "ESTABLISHED" in sas and "INSTALLED" in sas, sas
        ping = netpair.ping(netpair.ns_b, INNER_B, INNER_A, count=3)
        assert ping.returncode == 0 and " 0% packet loss" in ping.stdout, ping.stdout + resp.stdout()
        charon_b.swanctl("--terminate", "--ike", conn.name, "--timeout", "5")
        assert resp.wait(15) == 0, resp.stdout() + resp.stderr()
    finally:
        resp.stop()
    assert "answered 3 echo requests" in resp.stdout(), resp.stdout()


# -- 3. our keys equal charon's -------------------------------------------------------------------


def test_keys_equal_charons(netpair: NetPair, charon_b: Charon, wdir: Path) -> None:
    ike, esp = "aes256-sha256-modp2048", "aes256-sha256"
    charon_b.load(charon_responder_conn(netpair, ike=ike, esp=esp))
    keydir = wdir / "keys"
    proc = vl_initiate(netpair, "--ping", INNER_B, "--ping-source", INNER_A, "--count", "1",
                       "--keys", str(keydir), ike=ike, esp=esp)
    assert proc.returncode == 0, _explain(proc)
    ours = read_our_keys(keydir)
    logged = parse_charon_keys(charon_b.log_text())
    theirs_ike = [k.keys for k in logged if k.kind == "ike"]
    assert len(ours["ike_sas"]) == 1 and len(theirs_ike) == 1
    for name in ("SKEYSEED", "SK_d", "SK_ai", "SK_ar", "SK_ei", "SK_er", "SK_pi", "SK_pr"):
        assert ours["ike_sas"][0][name] == theirs_ike[0][name].hex(), name
    child = next(k for k in logged if k.kind == "child")
    esp_by_spi = {int(e["spi"], 16): e for e in ours["esp_sas"]}
    # charon responded: its inbound SA (initiator -> responder) uses the "i" keys.
    assert esp_by_spi[child.spi_in]["enc_key"] == child.keys["enc_i"].hex()
    assert esp_by_spi[child.spi_in]["integ_key"] == child.keys["integ_i"].hex()
    assert esp_by_spi[child.spi_out]["enc_key"] == child.keys["enc_r"].hex()
    assert esp_by_spi[child.spi_out]["integ_key"] == child.keys["integ_r"].hex()
    assert esp_by_spi[child.spi_in]["src"] == netpair.outer_a


# -- 4. negative cases ------------------------------------------------------------------------------


def test_wrong_psk_authentication_failed(netpair: NetPair, charon_b: Charon) -> None:
    ike, esp = SUITES[0]
    charon_b.load(charon_responder_conn(netpair, ike=ike, esp=esp))
    proc = vl_initiate(netpair, ike=ike, esp=esp, psk="not-the-right-psk-at-all")
    assert proc.returncode == 1, _explain(proc)
    assert "AUTHENTICATION_FAILED" in proc.stderr, _explain(proc)
    assert len(proc.stderr.strip().splitlines()) == 1, _explain(proc)   # one clear line
    log = charon_b.log_text()
    assert "MAC mismatched" in log and "N(AUTH_FAILED)" in log, log[-3000:]
    assert no_sas(charon_b)


def test_wrong_psk_charon_initiates(netpair: NetPair, charon_b: Charon, wdir: Path) -> None:
    ike, esp = SUITES[0]
    conn = charon_responder_conn(netpair, ike=ike, esp=esp)
    charon_b.load(conn)
    resp = VlResponder(netpair, wdir, "--duration", "20", ike=ike, esp=esp, psk="not-the-right-psk-at-all")
    try:
        proc = charon_b.initiate(conn.child_name, check=False, timeout=8)
        assert proc.returncode != 0
        assert resp.wait(25) == 1
    finally:
        resp.stop()
    assert "AUTHENTICATION_FAILED" in resp.stderr(), resp.stdout() + resp.stderr()
    assert "received AUTHENTICATION_FAILED notify error" in charon_b.log_text()
    assert no_sas(charon_b)


def test_no_proposal_chosen(netpair: NetPair, charon_b: Charon) -> None:
    charon_b.load(charon_responder_conn(netpair, ike="aes128gcm16-prfsha256-x25519", esp="aes128gcm16"))
    proc = vl_initiate(netpair, ike="aes256-sha384-ecp384", esp="aes128gcm16")
    assert proc.returncode == 1, _explain(proc)
    assert "NO_PROPOSAL_CHOSEN" in proc.stderr, _explain(proc)
    assert "N(NO_PROP)" in charon_b.log_text()
    assert no_sas(charon_b)


def test_invalid_ke_payload_then_retry(netpair: NetPair, charon_b: Charon) -> None:
    # We offer x25519 and ecp256 and send a KE for x25519 (the first); charon accepts only ecp256,
    # answers INVALID_KE_PAYLOAD naming ecp256 (19), and our retry with ecp256 succeeds.
    charon_b.load(charon_responder_conn(netpair, ike="aes128gcm16-prfsha256-ecp256", esp="aes128gcm16"))
    proc = vl_initiate(netpair, "--ping", INNER_B, "--ping-source", INNER_A, "--count", "1",
                       ike="aes128gcm16-prfsha256-x25519-ecp256", esp="aes128gcm16")
    assert proc.returncode == 0, _explain(proc)
    assert "InvalidKeRetry" in proc.stdout and "new_group=19" in proc.stdout, _explain(proc)
    assert "1/1 replies" in proc.stdout
    log = charon_b.log_text()
    assert "N(INVAL_KE)" in log and "ECP_256" in log


def test_ts_unacceptable(netpair: NetPair, charon_b: Charon) -> None:
    ike, esp = SUITES[0]
    charon_b.load(charon_responder_conn(netpair, ike=ike, esp=esp))
    proc = vl_initiate(netpair, ike=ike, esp=esp, remote_ts="10.98.3.0/24")
    assert proc.returncode == 1, _explain(proc)
    assert "TS_UNACCEPTABLE" in proc.stderr, _explain(proc)
    assert "N(TS_UNACCEPT)" in charon_b.log_text()
    assert "INSTALLED" not in charon_b.list_sas()


# -- 5. rekey ----------------------------------------------------------------------------------------


def test_rekey_child_and_ike_with_traffic(netpair: NetPair, charon_b: Charon) -> None:
    ike, esp = SUITES[1]
    charon_b.load(charon_responder_conn(netpair, ike=ike, esp=esp))
    proc = vl_initiate(netpair, "--ping", INNER_B, "--ping-source", INNER_A, "--count", "2",
                       "--rekey-child", "--rekey-ike", "--no-delete", ike=ike, esp=esp)
    assert proc.returncode == 0, _explain(proc)
    assert proc.stdout.count("2/2 replies") == 3, _explain(proc)
    assert "rekey child: done" in proc.stdout and "rekey ike: done" in proc.stdout
    log = charon_b.log_text()
    # charon installed a second CHILD_SA, and a second IKE SA whose keys come from the rekey.
    assert len(re.findall(r"CHILD_SA vl-child\{\d+\} established", log)) >= 2, log[-4000:]
    assert len([k for k in parse_charon_keys(log) if k.kind == "ike"]) == 2
    deadline = time.monotonic() + 5
    while "DELETED" in (sas := charon_b.list_sas()) and time.monotonic() < deadline:
        time.sleep(0.1)                     # the old CHILD_SA's DELETE exchange may still run
    assert sas.count("ESTABLISHED") == 1 and sas.count("INSTALLED") == 1 and "DELETED" not in sas, sas
    # The CHILD_SA charon kept (the rekeyed one) received our pings after the CHILD_SA rekey and
    # after the IKE SA rekey. (Replies right after the rekey may still leave on the old SA: a
    # strongSwan responder switches its outbound SA only when the old one is deleted.)
    m = re.search(r"in\s+[0-9a-f]{8},\s+\d+ bytes,\s+(\d+) packets", sas)
    assert m and int(m.group(1)) >= 4, sas


# -- 6. tshark decrypts what vpnlearn saved ---------------------------------------------------------


def test_tshark_decrypts_vpnlearn_capture(netpair: NetPair, charon_b: Charon, wdir: Path) -> None:
    ike, esp = SUITES[0]
    charon_b.load(charon_responder_conn(netpair, ike=ike, esp=esp))
    pcap, keydir = wdir / "vl.pcap", wdir / "keys"
    proc = vl_initiate(netpair, "--ping", INNER_B, "--ping-source", INNER_A, "--count", "2",
                       "--pcap", str(pcap), "--keys", str(keydir), ike=ike, esp=esp)
    assert proc.returncode == 0, _explain(proc)
    rows = tshark_fields(pcap, keydir, ["isakmp.exchangetype", "isakmp.id.data.fqdn", "isakmp.auth.method",
                                        "isakmp.ts.start_ipv4", "esp.spi", "esp.icv_good", "esp.icv_bad",
                                        "icmp.type"])
    auth = [r for r in rows if r["isakmp.exchangetype"] == "35"]
    assert len(auth) == 2, rows
    assert "a.vpnlearn.test" in auth[0]["isakmp.id.data.fqdn"]
    assert auth[1]["isakmp.id.data.fqdn"] == "b.vpnlearn.test"
    assert auth[0]["isakmp.auth.method"] == "2"
    assert "10.98.1.0" in auth[0]["isakmp.ts.start_ipv4"]
    esp_rows = [r for r in rows if r["esp.spi"]]
    assert [r["icmp.type"] for r in esp_rows] == ["8", "0", "8", "0"], rows
    assert all(r["esp.icv_good"] == "1" for r in esp_rows), esp_rows


# -- more: retransmission, keys after rekeys, PFS ---------------------------------------------------


def test_retransmits_until_charon_answers(netpair: NetPair, wdir: Path) -> None:
    """charon is not running when IKE_SA_INIT first goes out; our retransmission gets through."""
    ike, esp = SUITES[0]
    argv = ["ip", "netns", "exec", netpair.ns_a, sys.executable, "-m", "vpnlearn", "ike", "initiate",
            netpair.outer_b, "--source", netpair.outer_a, *vl_args(netpair, ike=ike, esp=esp),
            "--timeout", "20", "--ping", INNER_B, "--ping-source", INNER_A, "--count", "1"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    charon = Charon(netpair.ns_b, wdir, "charon-late")
    try:
        # Wait until vpnlearn has bound UDP 500 (it sends IKE_SA_INIT right after), then a little
        # more: that first IKE_SA_INIT meets a closed port and is lost.
        deadline = time.monotonic() + 20
        while ":500 " not in subprocess.run(["ip", "netns", "exec", netpair.ns_a, "ss", "-uln"],
                                            capture_output=True, text=True).stdout:
            assert proc.poll() is None and time.monotonic() < deadline, "vpnlearn did not bind UDP 500"
            time.sleep(0.05)
        time.sleep(0.3)
        charon.start()
        charon.load(charon_responder_conn(netpair, ike=ike, esp=esp))
        out, err = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        charon.stop()
    assert proc.returncode == 0, out + err
    assert "RetransmitSent(exchange=IKE_SA_INIT" in out, out
    assert "1/1 replies" in out


@pytest.mark.parametrize("esp", ["aes256-sha256", "aes256-sha256-modp2048"], ids=["no-pfs", "pfs-modp2048"])
def test_keys_equal_charons_after_rekeys(netpair: NetPair, charon_b: Charon, wdir: Path, esp: str) -> None:
    """SKEYSEED of the rekeyed IKE SA (§2.18) and the rekeyed CHILD_SA's KEYMAT (§2.17, with PFS)."""
    ike = "aes256-sha256-modp2048"
    charon_b.load(charon_responder_conn(netpair, ike=ike, esp=esp))
    keydir = wdir / "keys"
    proc = vl_initiate(netpair, "--ping", INNER_B, "--ping-source", INNER_A, "--count", "1", "--rekey-child",
                       "--rekey-ike", "--keys", str(keydir), ike=ike, esp=esp)
    assert proc.returncode == 0, _explain(proc)
    ours = read_our_keys(keydir)
    logged = parse_charon_keys(charon_b.log_text())
    theirs_ike = [k.keys for k in logged if k.kind == "ike"]
    assert len(ours["ike_sas"]) == 2 and len(theirs_ike) == 2
    for mine, theirs in zip(ours["ike_sas"], theirs_ike, strict=True):
        for name in ("SKEYSEED", "SK_d", "SK_ai", "SK_ar", "SK_ei", "SK_er", "SK_pi", "SK_pr"):
            assert mine[name] == theirs[name].hex(), name
    children = [k for k in logged if k.kind == "child"]
    assert len(children) == 2
    esp_by_spi = {int(e["spi"], 16): e for e in ours["esp_sas"]}
    for child in children:
        assert esp_by_spi[child.spi_in]["enc_key"] == child.keys["enc_i"].hex()
        assert esp_by_spi[child.spi_out]["enc_key"] == child.keys["enc_r"].hex()
        assert esp_by_spi[child.spi_out]["integ_key"] == child.keys["integ_r"].hex()
    assert proc.stdout.count("1/1 replies") == 3


def test_ike_rekey_after_invalid_ke_retry(netpair: NetPair, charon_b: Charon) -> None:
    charon_b.load(charon_responder_conn(netpair, ike="aes128gcm16-prfsha256-x25519", esp="aes128gcm16"))
    proc = vl_initiate(netpair, "--ping", INNER_B, "--ping-source", INNER_A, "--count", "1", "--rekey-ike",
                       ike="aes128gcm16-prfsha256-ecp256-x25519", esp="aes128gcm16")
    assert "InvalidKeRetry" in proc.stdout, _explain(proc)
    assert proc.returncode == 0, _explain(proc)
    assert proc.stdout.count("1/1 replies") == 2


def test_charon_initiates_with_certificates(netpair: NetPair, charon_b: Charon, pki: Pki, wdir: Path) -> None:
    ike, esp = SUITES[2]
    ours = pki.issue("a.vpnlearn.test")
    theirs = pki.issue("b.vpnlearn.test", rsa=True)
    conn = charon_responder_conn(netpair, ike=ike, esp=esp, cert=theirs, ca=pki.ca_cert)
    charon_b.load(conn)
    resp = VlResponder(netpair, wdir, "--duration", "30", ike=ike, esp=esp, psk=None, cert=ours,
                       ca=pki.ca_cert)
    try:
        charon_b.initiate(conn.child_name)
        ping = netpair.ping(netpair.ns_b, INNER_B, INNER_A, count=2)
        assert ping.returncode == 0, ping.stdout + resp.stdout()
        charon_b.swanctl("--terminate", "--ike", conn.name, "--timeout", "5")
        assert resp.wait(15) == 0, resp.stdout() + resp.stderr()
    finally:
        resp.stop()
    log = charon_b.log_text()
    assert "authentication of 'a.vpnlearn.test' with ECDSA" in log or \
        re.search(r"authentication of 'a\.vpnlearn\.test' with .* successful", log), log[-3000:]


def test_charon_pings_and_deletes_while_vpnlearn_holds(netpair: NetPair, charon_b: Charon,
                                                       wdir: Path) -> None:
    """vpnlearn initiated and stays up (--hold): charon pings vpnlearn's side, then deletes the IKE SA."""
    ike, esp = SUITES[2]
    charon_b.load(charon_responder_conn(netpair, ike=ike, esp=esp))
    argv = ["ip", "netns", "exec", netpair.ns_a, sys.executable, "-m", "vpnlearn", "ike", "initiate",
            netpair.outer_b, "--source", netpair.outer_a, *vl_args(netpair, ike=ike, esp=esp), "--hold", "30"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert charon_b.wait_log(r"CHILD_SA vl-child\{\d+\} established", 20), charon_b.log_text()[-2000:]
        ping = netpair.ping(netpair.ns_b, INNER_B, INNER_A, count=3)
        assert ping.returncode == 0 and " 0% packet loss" in ping.stdout, ping.stdout
        charon_b.swanctl("--terminate", "--ike", "vl", "--timeout", "5")
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out + err
    assert "answered 3 echo requests" in out and "IKE SA deleted by the peer" in out, out
    assert "IkeSaDeleted(" in out and "by_peer=True" in out


def test_tshark_decrypts_vpnlearn_capture_across_rekeys(netpair: NetPair, charon_b: Charon,
                                                        wdir: Path) -> None:
    ike, esp = SUITES[1]
    charon_b.load(charon_responder_conn(netpair, ike=ike, esp=esp))
    pcap, keydir = wdir / "vl.pcap", wdir / "keys"
    proc = vl_initiate(netpair, "--ping", INNER_B, "--ping-source", INNER_A, "--count", "1", "--rekey-child",
                       "--rekey-ike", "--pcap", str(pcap), "--keys", str(keydir), ike=ike, esp=esp)
    assert proc.returncode == 0, _explain(proc)
    rows = tshark_fields(pcap, keydir, ["isakmp.exchangetype", "isakmp.enc.decrypted", "isakmp.enc.data",
                                        "esp.spi", "esp.icv_good", "icmp.type"])
    encrypted = [r for r in rows if r["isakmp.enc.data"]]
    # IKE_AUTH x2, CREATE_CHILD_SA x4 (child rekey, IKE rekey), INFORMATIONAL deletes on both IKE SAs.
    assert len(encrypted) >= 8, rows
    assert all(r["isakmp.enc.decrypted"] for r in encrypted), encrypted
    esp_rows = [r for r in rows if r["esp.spi"]]
    assert [r["icmp.type"] for r in esp_rows] == ["8", "0"] * 3, rows
    assert len({r["esp.spi"] for r in esp_rows}) == 4         # two CHILD_SAs, two directions each
    assert all(r["esp.icv_good"] == "1" for r in esp_rows), esp_rows
