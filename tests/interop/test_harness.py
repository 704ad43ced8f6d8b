"""Prove the harness with charon <-> charon: IKE SA + CHILD_SA, ping through the tunnel, list-sas."""

from __future__ import annotations

import re

from .harness import INNER_A, INNER_B, NET_A, NET_B, Charon, Conn, NetPair, Peer, Pki, parse_charon_keys


def _pair_conns(netpair: NetPair, **kw) -> tuple[Conn, Conn]:
    a = Conn("cc", netpair.outer_a, netpair.outer_b, Peer("a.vpnlearn.test"), Peer("b.vpnlearn.test"),
             local_ts=NET_A, remote_ts=NET_B, psk="interop-psk-0123456789", **kw)
    b = Conn("cc", netpair.outer_b, netpair.outer_a, Peer("b.vpnlearn.test"), Peer("a.vpnlearn.test"),
             local_ts=NET_B, remote_ts=NET_A, psk="interop-psk-0123456789", **kw)
    return a, b


def test_charon_to_charon_psk_ping(netpair: NetPair, charon_a: Charon, charon_b: Charon) -> None:
    a, b = _pair_conns(netpair)
    charon_a.load(a)
    charon_b.load(b)
    # Before the tunnel: the inner addresses are not reachable (no route).
    assert netpair.ping(netpair.ns_a, INNER_A, INNER_B, count=1).returncode != 0
    charon_a.initiate(a.child_name)
    sas = charon_b.list_sas()
    assert "ESTABLISHED" in sas and "INSTALLED" in sas, sas
    assert re.search(r"local\s+10\.98\.2\.0/24\s+remote\s+10\.98\.1\.0/24", sas), sas
    ping = netpair.ping(netpair.ns_a, INNER_A, INNER_B)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert " 0% packet loss" in ping.stdout
    # ESP-in-UDP (encap = yes): charon reports the UDP-encapsulated ESP and counts the packets.
    sas = charon_a.list_sas()
    assert "TUNNEL-in-UDP" in sas and "[4500]" in sas, sas
    assert "3 packets" in sas, sas
    # Both sides logged the same IKE keys.
    ka, kb = parse_charon_keys(charon_a.log_text()), parse_charon_keys(charon_b.log_text())
    ike_a = [k.keys for k in ka if k.kind == "ike"]
    ike_b = [k.keys for k in kb if k.kind == "ike"]
    assert len(ike_a) == 1 and ike_a == ike_b
    assert len(ike_a[0]["SKEYSEED"]) == 32 and len(ike_a[0]["SK_ei"]) == 20   # AES-128 key + 4-byte salt
    child_a = [k for k in ka if k.kind == "child"]
    child_b = [k for k in kb if k.kind == "child"]
    assert len(child_a) == 1 and child_a[0].keys == child_b[0].keys
    # A's inbound SA is B's outbound SA.
    assert child_a[0].spi_in == child_b[0].spi_out and child_a[0].spi_out == child_b[0].spi_in


def test_charon_to_charon_certificates(netpair: NetPair, charon_a: Charon, charon_b: Charon,
                                      pki: Pki) -> None:
    ca_, ka_ = pki.issue("a.vpnlearn.test")
    cb_, kb_ = pki.issue("b.vpnlearn.test")
    a = Conn("cert", netpair.outer_a, netpair.outer_b, Peer("a.vpnlearn.test", "pubkey", ca_, ka_),
             Peer("b.vpnlearn.test", "pubkey"), cacert=pki.ca_cert, ike_proposals="aes128-sha256-ecp256",
             esp_proposals="aes128-sha256")
    b = Conn("cert", netpair.outer_b, netpair.outer_a, Peer("b.vpnlearn.test", "pubkey", cb_, kb_),
             Peer("a.vpnlearn.test", "pubkey"), cacert=pki.ca_cert, ike_proposals="aes128-sha256-ecp256",
             esp_proposals="aes128-sha256", local_ts=NET_B, remote_ts=NET_A)
    charon_a.load(a)
    charon_b.load(b)
    charon_a.initiate(a.child_name)
    ping = netpair.ping(netpair.ns_b, INNER_B, INNER_A)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert "ESTABLISHED" in charon_a.list_sas()
