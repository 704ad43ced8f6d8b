"""IPv4/UDP/ICMP: scapy agrees with our bytes, round trips, and clear errors on bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import ICMP as SICMP
from scapy.layers.inet import IP as SIP
from scapy.layers.inet import UDP as SUDP

from vpnlearn.errors import ConfigError, ParseError, VpnlearnError
from vpnlearn.ipsec.packets import (
    ICMP,
    IPV4_HEADER,
    PROTO_ICMP,
    PROTO_UDP,
    UDP,
    IPv4,
    icmp_echo,
    ipv4_udp,
    packet_spans,
)

ipv4s = st.integers(0, 2**32 - 1).map(lambda n: ".".join(str((n >> s) & 255) for s in (24, 16, 8, 0)))


def test_ipv4_udp_matches_scapy() -> None:
    ours = ipv4_udp("10.0.1.5", "192.168.2.9", 4500, 4500, b"hello", ttl=17).build()
    theirs = bytes(SIP(src="10.0.1.5", dst="192.168.2.9", ttl=17, id=0, flags=0)
                   / SUDP(sport=4500, dport=4500) / b"hello")
    assert ours == theirs


def test_icmp_echo_matches_scapy() -> None:
    ours = icmp_echo("10.98.1.1", "10.98.2.1", identifier=0x1234, sequence=7, payload=b"ping").build()
    theirs = bytes(SIP(src="10.98.1.1", dst="10.98.2.1", id=0, flags=0)
                   / SICMP(type=8, id=0x1234, seq=7) / b"ping")
    assert ours == theirs


def test_scapy_packet_parses() -> None:
    raw = bytes(SIP(src="1.2.3.4", dst="5.6.7.8", id=99, flags="DF", tos=0xB8)
                / SUDP(sport=500, dport=500) / b"ike")
    ip = IPv4.parse(raw)
    assert (ip.src, ip.dst, ip.identification, ip.dont_fragment, ip.dscp) == ("1.2.3.4", "5.6.7.8", 99,
                                                                            True, 46)
    assert UDP.parse(ip.payload, ip.src, ip.dst) == UDP(500, 500, b"ike")


def test_icmp_reply() -> None:
    req = ICMP.echo_request(1, 2, b"x")
    rep = ICMP.parse(req.echo_reply().build())
    assert (rep.type, rep.identifier, rep.sequence, rep.payload) == (0, 1, 2, b"x")
    with pytest.raises(ConfigError):
        rep.echo_reply()


@given(src=ipv4s, dst=ipv4s, ttl=st.integers(0, 255), ident=st.integers(0, 0xFFFF),
       dscp=st.integers(0, 63), ecn=st.integers(0, 3), df=st.booleans(),
       payload=st.binary(max_size=200), options=st.binary(max_size=40).map(lambda b: b[: len(b) // 4 * 4]))
def test_ipv4_roundtrip(src, dst, ttl, ident, dscp, ecn, df, payload, options) -> None:
    pkt = IPv4(src, dst, 6, payload, ttl=ttl, identification=ident, dscp=dscp, ecn=ecn, dont_fragment=df,
               options=options)
    assert IPv4.parse(pkt.build()) == pkt


@given(sp=st.integers(0, 0xFFFF), dp=st.integers(0, 0xFFFF), payload=st.binary(max_size=100),
       src=ipv4s, dst=ipv4s)
def test_udp_roundtrip(sp, dp, payload, src, dst) -> None:
    raw = UDP(sp, dp, payload).build(src, dst)
    assert UDP.parse(raw, src, dst) == UDP(sp, dp, payload)


@given(ident=st.integers(0, 0xFFFF), seq=st.integers(0, 0xFFFF), payload=st.binary(max_size=100),
       reply=st.booleans())
def test_icmp_roundtrip(ident, seq, payload, reply) -> None:
    msg = ICMP(0 if reply else 8, 0, ident, seq, payload)
    assert ICMP.parse(msg.build()) == msg


def test_truncated_header_names_field_and_offset() -> None:
    raw = icmp_echo("10.0.0.1", "10.0.0.2").build()
    with pytest.raises(ParseError) as err:
        IPv4.parse(raw[:15])
    assert err.value.field == "Source Address" and err.value.offset == 12
    assert "IPv4 header" in str(err.value) and "byte offset 12" in str(err.value)


def test_truncated_payload() -> None:
    raw = icmp_echo("10.0.0.1", "10.0.0.2", payload=b"abcdef").build()
    with pytest.raises(ParseError) as err:
        IPv4.parse(raw[:-2])
    assert err.value.field == "Total Length"


def test_bad_checksum_and_version() -> None:
    raw = bytearray(icmp_echo("10.0.0.1", "10.0.0.2").build())
    raw[8] ^= 1  # TTL changes, checksum no longer matches
    with pytest.raises(ParseError, match="Header Checksum"):
        IPv4.parse(bytes(raw))
    raw[0] = 0x65
    with pytest.raises(ParseError, match="expected 4"):
        IPv4.parse(bytes(raw))


def test_bad_udp_checksum() -> None:
    raw = bytearray(UDP(1, 2, b"data").build("1.1.1.1", "2.2.2.2"))
    raw[-1] ^= 0x40
    with pytest.raises(ParseError, match="Checksum"):
        UDP.parse(bytes(raw), "1.1.1.1", "2.2.2.2")


def test_bad_address_is_config_error() -> None:
    with pytest.raises(ConfigError, match="source address '10.0.0.300'"):
        IPv4("10.0.0.300", "1.2.3.4", PROTO_UDP).build()


def test_spans_cover_every_byte() -> None:
    raw = ipv4_udp("10.0.1.5", "192.168.2.9", 1000, 2000, b"payload!").build()
    spans = packet_spans(raw)
    covered = set()
    for s in spans:
        covered.update(range(s.start, s.end))
    assert covered == set(range(len(raw)))
    names = [s.label for s in spans]
    assert names[:2] == ["Version", "IHL"] and "Destination Port" in names
    assert {s.value for s in spans if s.label == "Protocol"} == {PROTO_UDP}
    assert IPV4_HEADER.size == 20


@settings(max_examples=3000)
@given(data=st.binary(max_size=80))
def test_fuzz_random_bytes_only_raise_library_errors(data: bytes) -> None:
    for parse in (IPv4.parse, UDP.parse, ICMP.parse, packet_spans):
        try:
            parse(data)
        except VpnlearnError:
            pass


@settings(max_examples=3000)
@given(pos=st.integers(0, 200), value=st.integers(0, 255), cut=st.integers(0, 60))
def test_fuzz_mutated_packets_only_raise_library_errors(pos: int, value: int, cut: int) -> None:
    raw = bytearray(icmp_echo("10.98.1.1", "10.98.2.1", payload=b"0123456789").build())
    raw[pos % len(raw)] = value
    data = bytes(raw[: len(raw) - cut % len(raw)])
    try:
        packet_spans(data)
    except VpnlearnError:
        pass


def test_ipv4_in_payload_protocol_constant() -> None:
    inner = icmp_echo("10.0.0.1", "10.0.0.2").build()
    outer = IPv4("1.1.1.1", "2.2.2.2", 4, inner)
    assert IPv4.parse(IPv4.parse(outer.build()).payload).protocol == PROTO_ICMP
