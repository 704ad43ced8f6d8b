"""UDP encapsulation of ESP for NAT traversal (NAT-T, RFC 3948).

A NAT rewrites addresses and ports, but ESP (IP protocol 50) has no ports, so many NATs cannot
forward it. When IKE detects a NAT (RFC 7296 §2.23), both peers move to UDP port 4500 and put each
ESP packet inside a UDP datagram. IKE messages share that port, so the two are told apart by their
first four bytes (RFC 3948 §2.2):

* ESP starts with its SPI, which is never 0;
* IKE on port 4500 is preceded by the **non-ESP marker**, four zero bytes;
* a one-byte datagram holding 0xFF is a **NAT-keepalive** (RFC 3948 §2.3), sent to keep the NAT's
  mapping open; receivers ignore it.

RFC 3948 §2.1: the UDP checksum of an encapsulated ESP packet SHOULD be sent as zero (ESP
authenticates its contents already) and the receiver must not require it.
"""

from __future__ import annotations

from dataclasses import dataclass

from vpnlearn.errors import ConfigError, ParseError
from vpnlearn.ipsec.packets import PROTO_UDP, UDP, IPv4
from vpnlearn.wire import Span

NATT_PORT = 4500
"""IKE and UDP-encapsulated ESP after NAT detection (RFC 3948 §2, RFC 7296 §2.23)."""
IKE_PORT = 500
NON_ESP_MARKER = b"\x00\x00\x00\x00"
"""Four zero bytes before an IKE message on port 4500 (RFC 3948 §2.2)."""
NAT_KEEPALIVE = b"\xff"
"""The one-byte payload of a NAT-keepalive packet (RFC 3948 §2.3)."""

KIND_ESP = "esp"
KIND_IKE = "ike"
KIND_KEEPALIVE = "keepalive"


@dataclass(frozen=True)
class UdpEncap:
    """UDP encapsulation of an SA's ESP packets: source and destination ports (4500 unless a NAT
    changed them; RFC 3948 §2.1)."""

    src_port: int = NATT_PORT
    dst_port: int = NATT_PORT

    def __post_init__(self) -> None:
        for name in ("src_port", "dst_port"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 0xFFFF:
                raise ConfigError(f"UdpEncap {name} must be a port 1..65535, not {v!r}")


def classify(payload: bytes, *, offset: int = 0) -> str:
    """What a UDP/4500 datagram carries: ``"esp"``, ``"ike"`` or ``"keepalive"`` (RFC 3948 §2.2-2.3).

    ``offset`` is where the UDP payload starts in the packet, for error messages.
    """
    if payload == NAT_KEEPALIVE:
        return KIND_KEEPALIVE
    if len(payload) < 4:
        raise ParseError(f"truncated: {len(payload)} bytes, too short for a non-ESP marker or an ESP SPI "
                         "(and not a 1-byte 0xFF keepalive)", what="UDP-encapsulated payload",
                         field="SPI / non-ESP marker", offset=offset)
    if payload[:4] == NON_ESP_MARKER:
        return KIND_IKE
    return KIND_ESP


def wrap_ike(ike_message: bytes) -> bytes:
    """An IKE message as sent on port 4500: the non-ESP marker, then the message (RFC 3948 §2.2)."""
    return NON_ESP_MARKER + bytes(ike_message)


def unwrap_ike(payload: bytes, *, offset: int = 0) -> bytes:
    """The IKE message in a port-4500 datagram; ParseError if there is no non-ESP marker."""
    kind = classify(payload, offset=offset)
    if kind != KIND_IKE:
        raise ParseError(f"this datagram is {kind}, not IKE: it does not start with the non-ESP marker",
                         what="UDP-encapsulated payload", field="non-ESP marker", offset=offset)
    return bytes(payload[4:])


def encapsulate(esp: bytes, encap: UdpEncap) -> bytes:
    """ESP bytes inside a UDP header, checksum zero (RFC 3948 §2.1)."""
    return UDP(encap.src_port, encap.dst_port, bytes(esp)).build(checksum=False)


def keepalive(src: str, dst: str, src_port: int = NATT_PORT, dst_port: int = NATT_PORT) -> bytes:
    """A complete IPv4 NAT-keepalive packet (RFC 3948 §2.3): UDP carrying the single byte 0xFF."""
    udp = UDP(src_port, dst_port, NAT_KEEPALIVE).build(src, dst, checksum=True)
    return IPv4(src, dst, PROTO_UDP, udp).build()


def spans(payload: bytes, offset: int = 0) -> list[Span]:
    """Spans for the start of a port-4500 payload (the marker or keepalive byte); ESP is described
    by :mod:`vpnlearn.ipsec.esp`."""
    kind = classify(payload, offset=offset)
    if kind == KIND_KEEPALIVE:
        return [Span(offset, offset + 1, "NAT-Keepalive", "NAT-T", "0xFF: keeps the NAT mapping open",
                     "RFC 3948 §2.3", value=0xFF)]
    if kind == KIND_IKE:
        return [Span(offset, offset + 4, "Non-ESP Marker", "NAT-T",
                     "four zero bytes: an IKE message follows, not ESP", "RFC 3948 §2.2", value=0),
                Span(offset + 4, offset + len(payload), "IKE message", "IKE", "IKEv2 header and payloads",
                     "RFC 7296 §3")]
    return [Span(offset, offset + len(payload), "ESP", "ESP", "an ESP packet (SPI is never 0)",
                 "RFC 3948 §2.1")]
