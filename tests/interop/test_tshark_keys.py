"""Our pcap writer and Wireshark key tables (vpnlearn.ike.udp) decrypt real charon traffic in tshark.

charon <-> charon in namespaces; dumpcap records the veth; the keys come from charon's own log
(``ike = 4``, ``chd = 4``). We rewrite the capture with :func:`write_pcap` and the keys with
:func:`write_key_tables`; tshark must then show the decrypted IKE_AUTH payloads and the ICMP inside
ESP with a good ICV.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vpnlearn.crypto import suites
from vpnlearn.ike.algorithms import parse_proposal
from vpnlearn.ike.udp import Datagram, KeyLog, write_key_tables, write_pcap
from vpnlearn.pcap import EspSaKey, IkeSaKey

from .harness import (
    INNER_A,
    INNER_B,
    Capture,
    Charon,
    NetPair,
    ike_messages,
    parse_charon_keys,
    psk_pair,
    tshark_fields,
)


def _keylog_from_charon(charon_log: str, frames: list, ike: str, esp: str, pair: NetPair) -> KeyLog:
    msgs = ike_messages(frames)
    init_response = next(m for m in msgs if m["exchange"] == "IKE_SA_INIT" and m["response_flag"])
    logged = parse_charon_keys(charon_log)
    ik = next(k for k in logged if k.kind == "ike").keys
    child = next(k for k in logged if k.kind == "child")
    s = parse_proposal(ike)
    encr = suites.encryption(s.encr[0].name)
    integ = suites.integrity(s.integ[0].name) if s.integ else None
    kl = KeyLog()
    spi_i, spi_r = bytes.fromhex(init_response["spi_i"]), bytes.fromhex(init_response["spi_r"])
    kl.ike[spi_i + spi_r] = IkeSaKey(spi_i, spi_r, encr, ik["SK_ei"], ik["SK_er"], integ,
                                     ik.get("SK_ai", b""), ik.get("SK_ar", b""))
    e = parse_proposal(esp, ike=False)
    eencr = suites.encryption(e.encr[0].name)
    einteg = suites.integrity(e.integ[0].name) if e.integ else None
    # charon-a initiated: its outbound SA carries initiator->responder traffic (the "i" keys).
    kl.esp[("a", "b", child.spi_out)] = EspSaKey(pair.outer_a, pair.outer_b, child.spi_out, eencr,
                                                  child.keys["enc_i"], einteg, child.keys.get("integ_i", b""))
    kl.esp[("b", "a", child.spi_in)] = EspSaKey(pair.outer_b, pair.outer_a, child.spi_in, eencr,
                                                 child.keys["enc_r"], einteg, child.keys.get("integ_r", b""))
    return kl


@pytest.mark.parametrize(("ike", "esp"), [
    ("aes128gcm16-prfsha256-x25519", "aes128gcm16"),
    ("aes256-sha256-modp2048", "aes256-sha256"),
])
def test_tshark_decrypts_with_our_key_tables(netpair: NetPair, charon_a: Charon, charon_b: Charon,
                                              wdir: Path, ike: str, esp: str) -> None:
    a, b = psk_pair(netpair, "ts", ike, esp)
    charon_a.load(a)
    charon_b.load(b)
    with Capture(netpair.ns_b, netpair.veth_b, wdir / "dumpcap.pcap") as cap:
        charon_a.initiate(a.child_name)
        assert netpair.ping(netpair.ns_a, INNER_A, INNER_B, count=2).returncode == 0
    frames = cap.frames()
    ours = wdir / "ours.pcap"
    write_pcap(ours, [Datagram(t, (s, sp), (d, dp), p, "") for t, s, sp, d, dp, p in frames])
    keydir = wdir / "keys"
    write_key_tables(keydir, _keylog_from_charon(charon_a.log_text(), frames, ike, esp, netpair))
    rows = tshark_fields(ours, keydir, ["frame.number", "isakmp.exchangetype", "isakmp.id.data.fqdn",
                                        "isakmp.auth.method", "esp.spi", "esp.icv_good", "esp.icv_bad",
                                        "icmp.type"])
    auth = [r for r in rows if r["isakmp.exchangetype"] == "35"]
    assert len(auth) == 2, rows
    # The decrypted IKE_AUTH request shows IDi and IDr, the response IDr; both AUTH method 2 (PSK).
    assert auth[0]["isakmp.id.data.fqdn"] == "a.vpnlearn.test,b.vpnlearn.test"
    assert auth[1]["isakmp.id.data.fqdn"] == "b.vpnlearn.test"
    assert auth[0]["isakmp.auth.method"] == auth[1]["isakmp.auth.method"] == "2"
    esp_rows = [r for r in rows if r["esp.spi"]]
    assert len(esp_rows) == 4, rows
    assert [r["icmp.type"] for r in esp_rows] == ["8", "0", "8", "0"]
    assert all(r["esp.icv_good"] == "1" and r["esp.icv_bad"] == "0" for r in esp_rows), esp_rows


def test_tshark_flags_a_wrong_esp_key(netpair: NetPair, charon_a: Charon, charon_b: Charon,
                                      wdir: Path) -> None:
    """The check can fail: one flipped key bit and tshark reports a bad ICV and no ICMP."""
    ike, esp = "aes256-sha256-modp2048", "aes256-sha256"
    a, b = psk_pair(netpair, "ts", ike, esp)
    charon_a.load(a)
    charon_b.load(b)
    with Capture(netpair.ns_b, netpair.veth_b, wdir / "dumpcap.pcap") as cap:
        charon_a.initiate(a.child_name)
        assert netpair.ping(netpair.ns_a, INNER_A, INNER_B, count=1).returncode == 0
    frames = cap.frames()
    kl = _keylog_from_charon(charon_a.log_text(), frames, ike, esp, netpair)
    for k, v in list(kl.esp.items()):
        kl.esp[k] = EspSaKey(v.src, v.dst, v.spi, v.encryption, v.enc_key,
                             v.integrity, bytes([v.integ_key[0] ^ 1]) + v.integ_key[1:])
    ours = wdir / "ours.pcap"
    write_pcap(ours, [Datagram(t, (s, sp), (d, dp), p, "") for t, s, sp, d, dp, p in frames])
    write_key_tables(wdir / "keys", kl)
    rows = [r for r in tshark_fields(ours, wdir / "keys", ["esp.spi", "esp.icv_bad"]) if r["esp.spi"]]
    assert rows and all(r["esp.icv_bad"] == "1" for r in rows), rows
