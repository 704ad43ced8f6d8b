"""vpnlearn.pcap without tshark: the libpcap format (checked with scapy's reader too) and the UAT text."""

from __future__ import annotations

import struct
import warnings

import pytest

from vpnlearn import pcap
from vpnlearn.crypto import suites
from vpnlearn.errors import ConfigError, ParseError
from vpnlearn.ipsec.packets import icmp_echo, ipv4_udp
from vpnlearn.ipsec.sa import SecurityAssociation
from vpnlearn.rand import DemoRandom

P1 = icmp_echo("10.0.0.1", "10.0.0.2", payload=b"one").build()
P2 = ipv4_udp("10.0.0.1", "10.0.0.2", 1234, 53, b"two").build()


def test_global_and_record_headers_follow_the_pcap_format():
    data = pcap.pcap_bytes([P1, P2])
    magic, vmaj, vmin, zone, sigfigs, snaplen, linktype = struct.unpack("<IHHiIII", data[:24])
    assert (magic, vmaj, vmin, zone, sigfigs, snaplen, linktype) == (0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
    sec, usec, incl, orig = struct.unpack("<IIII", data[24:40])
    assert (sec, usec, incl, orig) == (0, 0, len(P1), len(P1))
    assert data[40:40 + len(P1)] == P1
    off = 40 + len(P1)
    sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
    assert (sec, usec, incl, orig) == (0, 1000, len(P2), len(P2))   # default: 1 ms apart
    assert data[off + 16:] == P2


def test_byte_stable_and_explicit_times(tmp_path):
    assert pcap.pcap_bytes([P1, P2]) == pcap.pcap_bytes([P1, P2])
    path = pcap.write_pcap(tmp_path / "t.pcap", [(P1, 12.5), pcap.PcapPacket(P2, 13.000001)])
    back = pcap.read_pcap(path)
    assert back.linktype == pcap.LINKTYPE_RAW
    assert [p.data for p in back.packets] == [P1, P2]
    assert back.packets[0].time == 12.5 and abs(back.packets[1].time - 13.000001) < 1e-9


def test_scapy_reads_our_file(tmp_path):
    from scapy.layers.inet import ICMP, IP, UDP
    from scapy.utils import rdpcap

    path = pcap.write_pcap(tmp_path / "s.pcap", [icmp_echo("10.0.0.1", "10.0.0.2", payload=b"one"), P2])
    pkts = rdpcap(str(path))
    assert len(pkts) == 2
    assert pkts[0][IP].src == "10.0.0.1" and pkts[0][ICMP].type == 8
    assert pkts[1][UDP].dport == 53 and bytes(pkts[1][UDP].payload) == b"two"


def test_ethernet_linktype_adds_fixed_header(tmp_path):
    data = pcap.pcap_bytes([P1], linktype=pcap.LINKTYPE_ETHERNET)
    assert struct.unpack("<I", data[20:24])[0] == 1
    frame = data[40:]
    assert frame[:12] == pcap.FAKE_DST_MAC + pcap.FAKE_SRC_MAC and frame[12:14] == b"\x08\x00"
    assert pcap.read_pcap(data).packets[0].data == P1


def test_reader_errors_name_field_and_offset(tmp_path):
    with pytest.raises(ParseError, match="magic_number") as exc:
        pcap.read_pcap(b"\x0a\x0d\x0d\x0a" + bytes(28))
    assert exc.value.offset == 0
    good = pcap.pcap_bytes([P1])
    with pytest.raises(ParseError, match="incl_len") as exc:
        pcap.read_pcap(good[:-3])
    assert exc.value.offset == 24 + 8
    with pytest.raises(ParseError, match="ts_sec"):
        pcap.read_pcap(good + b"\x00\x01")
    with pytest.raises(ConfigError, match="cannot read"):
        pcap.read_pcap(tmp_path / "missing.pcap")
    with pytest.raises(ConfigError, match="linktype"):
        pcap.pcap_bytes([P1], linktype=105)
    with pytest.raises(ConfigError, match="packet 1"):
        pcap.pcap_bytes([P1, 42])  # type: ignore[list-item]


def sa(enc: str, integ: str | None = None, spi: int = 0x1234ABCD) -> SecurityAssociation:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SecurityAssociation(spi, encryption=enc, integrity=integ, tunnel_src="192.0.2.1",
                                   tunnel_dst="198.51.100.7", rng=DemoRandom(spi, _warn=False))


def test_esp_sa_uat_lines():
    cbc = sa("aes256", "sha256")
    line = pcap.esp_sa_key(cbc).uat_line()
    assert line == ('"IPv4","192.0.2.1","198.51.100.7","0x1234abcd","AES-CBC [RFC3602]",'
                    f'"0x{cbc.enc_key.hex()}","HMAC-SHA-256-128 [RFC4868]","0x{cbc.integ_key.hex()}"')
    gcm = sa("aes128gcm16")
    assert len(gcm.enc_key) == 20  # key + salt
    assert pcap.esp_sa_uat([gcm]) == ('"IPv4","192.0.2.1","198.51.100.7","0x1234abcd",'
                                      '"AES-GCM with 16 octet ICV [RFC4106]",'
                                      f'"0x{gcm.enc_key.hex()}","NULL",""\n')


def test_chacha_cannot_go_in_wireshark_40_table():
    with pytest.raises(ConfigError, match="Wireshark 4.0 cannot decrypt ESP with chacha20poly1305"):
        pcap.esp_sa_uat([sa("chacha20poly1305")])


def test_ikev2_uat_line():
    key = pcap.IkeSaKey(bytes.fromhex("0011223344556677"), bytes.fromhex("8899aabbccddeeff"),
                        suites.encryption("aes128"), bytes(16), bytes([1]) * 16, suites.integrity("sha256"),
                        bytes([2]) * 32, bytes([3]) * 32)
    assert key.uat_line() == ("0011223344556677,8899aabbccddeeff," + "00" * 16 + "," + "01" * 16
                              + ',"AES-CBC-128 [RFC3602]",' + "02" * 32 + "," + "03" * 32
                              + ',"HMAC_SHA2_256_128 [RFC4868]"')
    aead = pcap.IkeSaKey(bytes(8), bytes(8), suites.encryption("aes256gcm16"), bytes(36), bytes(36))
    assert aead.uat_line().endswith('"AES-GCM-256 with 16 octet ICV [RFC5282]",,,"NONE [RFC4306]"')
    with pytest.raises(ConfigError, match="8 bytes"):
        pcap.IkeSaKey(bytes(4), bytes(8), suites.encryption("aes128"), b"", b"").uat_line()


def test_write_key_tables(tmp_path):
    d = pcap.write_key_tables(tmp_path / "ws", esp=[sa("aes128gcm16")])
    assert (d / "esp_sa").read_text().count("\n") == 1
    assert (d / "ikev2_decryption_table").read_text() == ""
    prefs = (d / "preferences").read_text()
    assert "esp.enable_encryption_decode: TRUE" in prefs and "esp.enable_authentication_check: TRUE" in prefs
