"""AH, the Authentication Header (RFC 4302): integrity for the payload *and* most of the IP header.

AH encrypts nothing. Its ICV (an HMAC, here HMAC-SHA2-256-128 by default, RFC 4868) covers::

    outer IPv4 header, with the fields routers may change set to zero (RFC 4302 §3.3.3.1.1.1):
        DSCP/ECN (TOS), Flags, Fragment Offset, Time to Live, Header Checksum
    the AH header, with its ICV field set to zero
    the payload (the inner packet in tunnel mode, the original payload in transport mode)
    with ESN, the high 32 bits of the sequence number, appended but never sent (RFC 4302 §3.3.3.3)

Because the **source and destination addresses are covered**, a NAT that rewrites them breaks every
AH packet: AH and NAT do not mix, which is why NAT traversal (RFC 3948) exists for ESP only and why
AWS Site-to-Site VPN uses ESP. (:func:`unprotect` raises :class:`AuthenticationError` for such a
packet; the tests show it.)

Header (RFC 4302 §2)::

    Next Header (1) | Payload Len (1) | Reserved (2) | SPI (4) | Sequence Number (4) | ICV (variable)

Payload Len is the AH length in 32-bit words minus 2. IPv4 options are not supported here (packets
with options are refused with a clear error) since their mutability depends on each option.
"""

from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass, replace

from vpnlearn.crypto.prf import integrity_icv
from vpnlearn.errors import AuthenticationError, ConfigError, ParseError, ReplayError
from vpnlearn.ipsec.packets import PROTO_AH, PROTO_IPV4, IPv4
from vpnlearn.ipsec.sa import Direction, Mode, Protocol, SecurityAssociation
from vpnlearn.wire import Field, Header, Span

AH_HEADER = Header("AH header", (
    Field("Next Header", 8, "what follows AH (4: an IPv4 packet in tunnel mode; 1, 6, 17 ... in transport "
          "mode)", "RFC 4302 §2.1"),
    Field("Payload Len", 8, "length of AH in 32-bit words, minus 2", "RFC 4302 §2.2"),
    Field("Reserved", 16, "must be zero", "RFC 4302 §2.3"),
    Field("SPI", 32, "Security Parameters Index: which SA", "RFC 4302 §2.4"),
    Field("Sequence Number", 32, "counts the packets (low 32 bits with ESN); checked by the replay window",
          "RFC 4302 §2.5"),
), "RFC 4302 §2")

MUTABLE_IPV4_FIELDS = ("DSCP", "ECN", "Flags", "Fragment Offset", "Time to Live", "Header Checksum")
"""IPv4 header fields zeroed for the ICV: routers may change them in transit (RFC 4302 §3.3.3.1.1.1)."""

_FIXED = struct.Struct("!BBHII")
_LOW = 0xFFFFFFFF


def _check_sa(sa: SecurityAssociation, direction: Direction) -> None:
    if sa.protocol is not Protocol.AH:
        raise ConfigError(f"SA 0x{sa.spi:08x} is an {sa.protocol.value.upper()} SA, not AH")
    if sa.direction is not direction:
        raise ConfigError(f"SA 0x{sa.spi:08x} is {sa.direction.value}: use an {direction.value} SA here")


def _zero_mutable(header: bytes) -> bytes:
    """The IPv4 header as the ICV sees it: TOS, Flags + Fragment Offset, TTL and checksum zeroed."""
    return b"".join((header[:1], b"\x00", header[2:6], b"\x00\x00\x00", header[9:10], b"\x00\x00",
                     header[12:]))


def _icv(sa: SecurityAssociation, ip_header: bytes, ah_zeroed: bytes, payload: bytes, seq: int) -> bytes:
    integ = sa.integrity
    assert integ is not None
    seq_high = struct.pack("!I", seq >> 32) if sa.esn else b""
    data = _zero_mutable(ip_header) + ah_zeroed + payload + seq_high
    return integrity_icv(integ, sa.integ_key, data)


def _lengths(sa: SecurityAssociation) -> tuple[int, int]:
    """(ICV bytes, ICV field bytes incl. padding to 32-bit alignment for IPv4, RFC 4302 §3.3.3.2.1)."""
    assert sa.integrity is not None
    icv = sa.integrity.icv_bytes
    return icv, icv + (-(12 + icv)) % 4


@dataclass
class AHPacket:
    """An IPv4 packet protected by AH, with what it carries."""

    data: bytes
    outer: IPv4
    spi: int
    seq: int
    next_header: int
    icv: bytes
    icv_field_len: int
    inner: IPv4

    @property
    def ah_offset(self) -> int:
        return self.outer.header_length

    def spans(self) -> list[Span]:
        """Outer header (mutable fields marked not authenticated), AH fields, authenticated payload."""
        out = []
        for s in self.outer.spans(layer="outer IPv4"):
            if s.label.startswith("Payload"):
                continue
            out.append(replace(s, authenticated=s.label not in MUTABLE_IPV4_FIELDS))
        o = self.ah_offset
        plen = (12 + self.icv_field_len) // 4 - 2
        out += AH_HEADER.spans(o, layer="AH", authenticated=True,
                               values={"Next Header": self.next_header, "Payload Len": plen, "Reserved": 0,
                                       "SPI": self.spi, "Sequence Number": self.seq & _LOW})
        pos = o + 12
        out.append(Span(pos, pos + self.icv_field_len, "ICV", "AH",
                        "Integrity Check Value: truncated HMAC over the immutable IP header fields, AH and "
                        "the payload", "RFC 4302 §2.6", False, False, None))
        pos += self.icv_field_len
        out.append(Span(pos, len(self.data), "Payload", "AH",
                        "authenticated, not encrypted: anyone on the path can read it", "RFC 4302 §3.1",
                        False, True, self.next_header))
        return out


def protect_packet(sa: SecurityAssociation, packet: bytes | IPv4, *, now: float | None = None) -> AHPacket:
    """Protect one IPv4 packet with the outbound AH SA ``sa`` (tunnel or transport mode)."""
    _check_sa(sa, Direction.OUTBOUND)
    sa.check_usable(now)
    inner = packet if isinstance(packet, IPv4) else IPv4.parse(bytes(packet))
    if sa.mode is Mode.TUNNEL:
        payload, nh = inner.build(), PROTO_IPV4
        template = IPv4(sa.tunnel_src or "", sa.tunnel_dst or "", PROTO_AH, dscp=inner.dscp, ecn=inner.ecn)
    else:
        if inner.options:
            raise ConfigError("AH in transport mode: IPv4 options are not supported (their mutability "
                              "differs per option, RFC 4302 §3.3.3.1.1.2)")
        payload, nh = inner.payload, inner.protocol
        template = replace(inner, protocol=PROTO_AH, payload=b"")
    seq = sa.next_seq()
    if sa.mode is Mode.TUNNEL:      # a new Identification per packet (the ICV covers it: set it first)
        template = replace(template, identification=seq & 0xFFFF)
    icv_len, field_len = _lengths(sa)
    plen = (12 + field_len) // 4 - 2
    fixed = _FIXED.pack(nh, plen, 0, sa.spi, seq & _LOW)
    zeroed = fixed + bytes(field_len)
    draft = replace(template, payload=zeroed + payload)
    icv = _icv(sa, draft.header_bytes(), zeroed, payload, seq)
    outer = replace(template, payload=fixed + icv + bytes(field_len - icv_len) + payload)
    sa.record(len(payload))
    return AHPacket(outer.build(), outer, sa.spi, seq, nh, icv, field_len, inner)


def protect(sa: SecurityAssociation, packet: bytes | IPv4, *, now: float | None = None) -> bytes:
    """The outer packet bytes for ``packet`` protected with AH (see :func:`protect_packet`)."""
    return protect_packet(sa, packet, now=now).data


def unprotect_packet(sa: SecurityAssociation, data: bytes, *, now: float | None = None) -> AHPacket:
    """Check an AH-protected IPv4 packet with the inbound SA ``sa`` and return what it carries.

    Errors: :class:`ParseError` (naming field and byte offset), :class:`ReplayError`,
    :class:`AuthenticationError` (e.g. a NAT changed the source address), :class:`LifetimeExpired`.
    """
    _check_sa(sa, Direction.INBOUND)
    sa.check_usable(now)
    data = bytes(data)
    counters = sa.counters
    outer = IPv4.parse(data)
    if outer.protocol != PROTO_AH:
        raise ParseError(f"protocol {outer.protocol} is not AH (51)", what="IPv4 header", field="Protocol",
                         offset=9)
    if outer.options:
        raise ParseError("IPv4 options with AH are not supported", what="IPv4 header", field="IHL", offset=0)
    hl = outer.header_length
    body = outer.payload
    values = AH_HEADER.unpack(body)      # ParseError names the field if short
    icv_len, field_len = _lengths(sa)
    plen = int(values["Payload Len"])
    if plen != (12 + field_len) // 4 - 2:
        counters.parse_errors += 1
        raise ParseError(f"Payload Len {plen} does not match the {field_len}-byte ICV of {sa.suite_name} "
                         f"(expected {(12 + field_len) // 4 - 2})", what="AH header", field="Payload Len",
                         offset=hl + 1)
    if values["Reserved"] != 0:
        counters.parse_errors += 1
        raise ParseError("Reserved is not zero", what="AH header", field="Reserved", offset=hl + 2)
    if values["SPI"] != sa.spi:
        counters.parse_errors += 1
        raise ParseError(f"SPI 0x{values['SPI']:08x} does not belong to this SA (0x{sa.spi:08x})",
                         what="AH header", field="SPI", offset=hl + 4)
    if len(body) < 12 + field_len:
        counters.parse_errors += 1
        raise ParseError(f"truncated: the ICV needs {field_len} bytes, have {len(body) - 12}",
                         what="AH header", field="ICV", offset=hl + 12)
    seq = sa.replay.infer(int(values["Sequence Number"]))
    try:
        sa.replay.check(seq)
    except ReplayError as exc:
        counters.replay_drops += 1
        raise ReplayError(f"{exc} [byte offset {hl + 8}]") from None
    icv = body[12:12 + icv_len]
    payload = body[12 + field_len:]
    zeroed = body[:12] + bytes(field_len)
    if not hmac.compare_digest(_icv(sa, data[:hl], zeroed, payload, seq), icv):
        counters.auth_failures += 1
        raise AuthenticationError(
            f"AH packet for SA 0x{sa.spi:08x}, sequence number {seq}: the ICV did not verify "
            f"({sa.suite_name}); the addresses, payload or another immutable field changed (a NAT?)")
    nh = int(values["Next Header"])
    if sa.mode is Mode.TUNNEL:
        if nh != PROTO_IPV4:
            raise ParseError(f"Next Header is {nh}; a tunnel-mode SA carries IPv4 packets (4)",
                             what="AH header", field="Next Header", offset=hl)
        inner = IPv4.parse(payload)
    else:
        inner = replace(outer, protocol=nh, payload=payload)
    sa.replay.update(seq)
    sa.record(len(payload))
    return AHPacket(data, outer, sa.spi, seq, nh, icv, field_len, inner)


def unprotect(sa: SecurityAssociation, data: bytes, *, now: float | None = None) -> bytes:
    """The inner packet (tunnel) or the original packet (transport) of an AH-protected packet."""
    return unprotect_packet(sa, data, now=now).inner.build()
