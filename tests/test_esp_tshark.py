"""Wireshark (tshark) decrypts vpnlearn's ESP and checks its ICVs: a second independent implementation.

One pcap holds packets from several SAs (different SPIs and suites, tunnel and transport mode, with
and without UDP encapsulation); one tshark run with our ``esp_sa`` key table must decrypt every one,
find the inner ICMP echo, report each ICV good, and report a tampered copy's ICV bad.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from vpnlearn import pcap
from vpnlearn.ipsec import esp
from vpnlearn.ipsec.natt import UdpEncap
from vpnlearn.ipsec.packets import icmp_echo
from vpnlearn.ipsec.sa import SecurityAssociation
from vpnlearn.rand import DemoRandom

pytestmark = pytest.mark.skipif(not pcap.tshark_available(), reason="tshark is not installed")

SUITES = [("aes128gcm16", None), ("aes256gcm16", None), ("aes128gcm8", None), ("aes256gcm12", None),
          ("aes128", "sha256"), ("aes256", "sha384"), ("aes256", "sha512"), ("aes128", "sha1")]


def test_tshark_decrypts_and_verifies(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rng = DemoRandom("tshark")
        sas = []
        for i, (enc, integ) in enumerate(SUITES):
            for j, mode in enumerate(("tunnel", "transport")):
                sas.append(SecurityAssociation(
                    0x1000 + 16 * i + j, encryption=enc, integrity=integ, mode=mode,
                    tunnel_src="192.0.2.1", tunnel_dst="192.0.2.2",
                    udp_encap=UdpEncap() if i % 2 else None, rng=rng))
    packets, expected = [], []
    for k, sa in enumerate(sas):
        src, dst = ("10.0.0.1", "10.0.0.2") if sa.mode.value == "tunnel" else ("192.0.2.1", "192.0.2.2")
        for n in (1, 2):
            packets.append(esp.protect(sa, icmp_echo(src, dst, identifier=k + 1, sequence=n,
                                                     payload=b"vpnlearn" * n)))
            expected.append((sa.spi, n, k + 1))
    tampered = bytearray(esp.protect(sas[0], icmp_echo("10.0.0.1", "10.0.0.2", identifier=99)))
    tampered[-1] ^= 1
    packets.append(bytes(tampered))
    path = pcap.write_pcap(tmp_path / "esp.pcap", packets)
    fields = ["esp.spi", "esp.sequence", "icmp.ident", "esp.icv_good", "esp.icv_bad"]
    rows = pcap.run_tshark(path, fields, esp=sas)
    assert len(rows) == len(packets)
    for row, (spi, seq, ident) in zip(rows[:-1], expected, strict=True):
        assert int(row["esp.spi"], 16) == spi
        assert int(row["esp.sequence"]) == seq
        assert int(row["icmp.ident"], 0) == ident, row          # decrypted: the inner ICMP is visible
        assert row["esp.icv_good"] in ("1", "True"), row
    assert rows[-1]["esp.icv_bad"] in ("1", "True"), rows[-1]
