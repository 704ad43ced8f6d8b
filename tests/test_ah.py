"""AH (RFC 4302): what it covers, what it may not cover, and why it cannot cross a NAT."""

from __future__ import annotations

import warnings
from dataclasses import replace

import pytest

from vpnlearn.errors import AuthenticationError, ConfigError, ParseError, ReplayError
from vpnlearn.ipsec import ah, esp, natt
from vpnlearn.ipsec.packets import PROTO_AH, PROTO_UDP, UDP, IPv4, icmp_echo
from vpnlearn.ipsec.sa import SecurityAssociation
from vpnlearn.rand import DemoRandom

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    RNG = DemoRandom("ah-tests")

HOME, AWS = "192.168.1.10", "198.51.100.20"        # private address behind a NAT, the VPN peer
NAT_PUBLIC = "203.0.113.77"


def ah_pair(mode: str = "tunnel", **kw: object) -> tuple[SecurityAssociation, SecurityAssociation]:
    sa = SecurityAssociation(0xAAAA, protocol="ah", mode=mode, tunnel_src=HOME, tunnel_dst=AWS, rng=RNG,
                             **kw)  # type: ignore[arg-type]
    return sa, sa.peer()


def nat(packet: bytes, new_src: str, new_sport: int | None = None) -> bytes:
    """What a NAT does on the way out: rewrite the source address (and port), fix the checksums."""
    ip = IPv4.parse(packet)
    payload = ip.payload
    if new_sport is not None and ip.protocol == PROTO_UDP:
        u = UDP.parse(payload)
        payload = UDP(new_sport, u.dst_port, u.payload).build(checksum=False)
    return replace(ip, src=new_src, payload=payload).build()


def routers(packet: bytes) -> bytes:
    """What routers may do: decrement TTL, re-mark DSCP/ECN; the checksum is recomputed."""
    ip = IPv4.parse(packet)
    return replace(ip, ttl=ip.ttl - 5, dscp=10, ecn=3).build()


@pytest.mark.parametrize("mode", ["tunnel", "transport"])
def test_round_trip_and_layout(mode: str) -> None:
    sa, peer = ah_pair(mode)
    inner = icmp_echo("10.0.0.1", "10.9.9.9", payload=b"readable by anyone")
    pkt = ah.protect_packet(sa, inner)
    outer = IPv4.parse(pkt.data)
    assert outer.protocol == PROTO_AH
    body = outer.payload
    assert body[1] == (12 + 16) // 4 - 2              # Payload Len for HMAC-SHA2-256-128
    assert b"readable by anyone" in pkt.data          # AH does not encrypt
    assert ah.unprotect(peer, pkt.data) == inner.build()


def test_mutable_fields_may_change_in_transit() -> None:
    sa, peer = ah_pair()
    wire = ah.protect(sa, icmp_echo("10.0.0.1", "10.9.9.9"))
    assert ah.unprotect(peer, routers(wire)) == icmp_echo("10.0.0.1", "10.9.9.9").build()


def test_a_nat_breaks_ah_but_not_udp_encapsulated_esp() -> None:
    """The reason NAT-T exists: AH covers the source address, so a NAT's rewrite fails the ICV."""
    sa, peer = ah_pair()
    inner = icmp_echo("10.0.0.1", "10.9.9.9")
    through_nat = nat(ah.protect(sa, inner), NAT_PUBLIC)
    with pytest.raises(AuthenticationError, match="NAT"):
        ah.unprotect(peer, through_nat)
    assert peer.counters.auth_failures == 1

    esp_sa = SecurityAssociation(0xEEEE, tunnel_src=HOME, tunnel_dst=AWS, udp_encap=natt.UdpEncap(),
                                 rng=RNG)
    esp_peer = esp_sa.peer()
    through_nat = nat(esp.protect(esp_sa, inner), NAT_PUBLIC, new_sport=31337)
    assert IPv4.parse(through_nat).src == NAT_PUBLIC
    assert esp.unprotect(esp_peer, through_nat) == inner.build()


def test_payload_and_address_changes_fail() -> None:
    sa, peer = ah_pair("transport")
    wire = bytearray(ah.protect(sa, icmp_echo("10.0.0.1", "10.9.9.9", payload=b"abc")))
    wire[-1] ^= 1
    with pytest.raises(AuthenticationError):
        ah.unprotect(peer, bytes(wire))
    wire2 = ah.protect(sa, icmp_echo("10.0.0.1", "10.9.9.9"))
    moved = replace(IPv4.parse(wire2), dst="10.9.9.8").build()
    with pytest.raises(AuthenticationError):
        ah.unprotect(peer, moved)


def test_replay_and_header_errors() -> None:
    sa, peer = ah_pair()
    wire = ah.protect(sa, icmp_echo("10.0.0.1", "10.9.9.9"))
    ah.unprotect(peer, wire)
    with pytest.raises(ReplayError, match="AH header"):
        ah.unprotect(peer, wire)
    ip = IPv4.parse(ah.protect(sa, icmp_echo("10.0.0.1", "10.9.9.9")))
    bad_len = replace(ip, payload=ip.payload[:1] + b"\x09" + ip.payload[2:]).build()
    with pytest.raises(ParseError, match="Payload Len") as info:
        ah.unprotect(peer, bad_len)
    assert info.value.offset == 21
    short = replace(ip, payload=ip.payload[:10]).build()
    with pytest.raises(ParseError, match="AH header"):
        ah.unprotect(peer, short)
    other = SecurityAssociation(0xBBBB, protocol="ah", tunnel_src=HOME, tunnel_dst=AWS, direction="inbound")
    with pytest.raises(ParseError, match="SPI"):
        ah.unprotect(other, ip.build())


def test_esn_high_bits_are_authenticated() -> None:
    sa, peer = ah_pair(esn=True)
    sa.seq = (2 << 32) + 5
    peer.replay.update((2 << 32) + 5)
    wire = ah.protect(sa, icmp_echo("10.0.0.1", "10.9.9.9"))
    assert ah.unprotect_packet(peer, wire).seq == (2 << 32) + 6
    other = sa.peer()                                  # believes it is still in subspace 0
    with pytest.raises(AuthenticationError):
        ah.unprotect(other, wire)


def test_spans_mark_mutable_fields_unauthenticated() -> None:
    sa, _ = ah_pair()
    spans = {s.label: s for s in ah.protect_packet(sa, icmp_echo("10.0.0.1", "10.9.9.9")).spans()}
    assert spans["Source Address"].authenticated and not spans["Time to Live"].authenticated
    assert spans["Payload"].authenticated and not spans["Payload"].encrypted
    assert not spans["ICV"].authenticated


def test_misuse() -> None:
    sa, _ = ah_pair()
    with pytest.raises(ConfigError, match="outbound"):
        ah.unprotect(sa, b"")
    esp_sa = SecurityAssociation(0xEEEE, tunnel_src=HOME, tunnel_dst=AWS)
    with pytest.raises(ConfigError, match="not AH"):
        ah.protect(esp_sa, icmp_echo("10.0.0.1", "10.9.9.9"))
