"""IPv4 (RFC 791), UDP (RFC 768) and ICMP echo (RFC 792): build and parse, with checksums.

Each header is declared once (:data:`IPV4_HEADER`, :data:`UDP_HEADER`, :data:`ICMP_ECHO_HEADER`) and that
declaration builds, parses and describes the bytes (:meth:`IPv4.spans`) for hexdumps and diagrams.

>>> pkt = IPv4("10.0.1.5", "192.168.2.9", PROTO_ICMP, ICMP.echo_request(7, 1, b"hi").build())
>>> IPv4.parse(pkt.build()) == pkt
True
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from vpnlearn.errors import ConfigError, ParseError
from vpnlearn.wire import Field, Header, Span, internet_checksum

PROTO_ICMP = 1
PROTO_IPV4 = 4  # IP-in-IP: the Next Header of an ESP tunnel-mode packet (RFC 4303 §3.1.2)
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_ESP = 50
PROTO_AH = 51
PROTO_NONE = 59  # "no next header": ESP dummy packets (RFC 4303 §2.6)

PROTOCOL_NAMES = {PROTO_ICMP: "ICMP", PROTO_IPV4: "IPv4", PROTO_TCP: "TCP", PROTO_UDP: "UDP",
                  PROTO_ESP: "ESP", PROTO_AH: "AH", PROTO_NONE: "No Next Header"}

IPV4_HEADER = Header("IPv4 header", (
    Field("Version", 4, "IP version, always 4", "RFC 791 §3.1"),
    Field("IHL", 4, "header length in 32-bit words (5 without options)", "RFC 791 §3.1"),
    Field("DSCP", 6, "Differentiated Services code point", "RFC 2474 §3"),
    Field("ECN", 2, "Explicit Congestion Notification", "RFC 3168 §5"),
    Field("Total Length", 16, "length of header plus data, in bytes", "RFC 791 §3.1"),
    Field("Identification", 16, "groups the fragments of one datagram", "RFC 791 §3.1"),
    Field("Flags", 3, "bit 1: Don't Fragment, bit 2: More Fragments", "RFC 791 §3.1"),
    Field("Fragment Offset", 13, "where this fragment belongs, in 8-byte units", "RFC 791 §3.1"),
    Field("Time to Live", 8, "hops left before the packet is dropped", "RFC 791 §3.1"),
    Field("Protocol", 8, "what the payload is (1 ICMP, 17 UDP, 50 ESP, 51 AH)", "RFC 791 §3.1"),
    Field("Header Checksum", 16, "one's-complement checksum of the header", "RFC 791 §3.1"),
    Field("Source Address", 32, "sender's IPv4 address", "RFC 791 §3.1", "bytes"),
    Field("Destination Address", 32, "receiver's IPv4 address", "RFC 791 §3.1", "bytes"),
), "RFC 791 §3.1")

UDP_HEADER = Header("UDP header", (
    Field("Source Port", 16, "sender's port", "RFC 768"),
    Field("Destination Port", 16, "receiver's port (500 IKE, 4500 NAT-T)", "RFC 768"),
    Field("Length", 16, "length of header plus data, in bytes", "RFC 768"),
    Field("Checksum", 16, "checksum over a pseudo-header and the datagram (0: none)", "RFC 768"),
), "RFC 768")

ICMP_ECHO_HEADER = Header("ICMP echo header", (
    Field("Type", 8, "8 echo request, 0 echo reply", "RFC 792"),
    Field("Code", 8, "0 for echo", "RFC 792"),
    Field("Checksum", 16, "one's-complement checksum of the ICMP message", "RFC 792"),
    Field("Identifier", 16, "matches requests and replies", "RFC 792"),
    Field("Sequence Number", 16, "counts the requests", "RFC 792"),
), "RFC 792")

ICMP_ECHO_REPLY = 0
ICMP_ECHO_REQUEST = 8


def ipv4_bytes(address: str, *, what: str = "address") -> bytes:
    """The 4 bytes of a dotted IPv4 address, or ConfigError naming it."""
    try:
        return ipaddress.IPv4Address(address).packed
    except (ipaddress.AddressValueError, ValueError) as exc:
        raise ConfigError(f"{what} {address!r} is not an IPv4 address") from exc


def _checksum_ok(data: bytes) -> bool:
    return internet_checksum(data) == 0


@dataclass(frozen=True)
class IPv4:
    """An IPv4 packet. ``build()`` fills in IHL, Total Length and the Header Checksum."""

    src: str
    dst: str
    protocol: int
    payload: bytes = b""
    ttl: int = 64
    identification: int = 0
    dscp: int = 0
    ecn: int = 0
    dont_fragment: bool = False
    more_fragments: bool = False
    fragment_offset: int = 0
    options: bytes = field(default=b"", repr=False)

    def _values(self, checksum: int) -> dict[str, int | bytes]:
        if len(self.options) % 4 or len(self.options) > 40:
            raise ConfigError("IPv4 options must be a multiple of 4 bytes, at most 40")
        return {
            "Version": 4, "IHL": 5 + len(self.options) // 4, "DSCP": self.dscp, "ECN": self.ecn,
            "Total Length": IPV4_HEADER.size + len(self.options) + len(self.payload),
            "Identification": self.identification,
            "Flags": (2 if self.dont_fragment else 0) | (1 if self.more_fragments else 0),
            "Fragment Offset": self.fragment_offset, "Time to Live": self.ttl,
            "Protocol": self.protocol, "Header Checksum": checksum,
            "Source Address": ipv4_bytes(self.src, what="source address"),
            "Destination Address": ipv4_bytes(self.dst, what="destination address"),
        }

    def header_bytes(self) -> bytes:
        """The header (with options) including its checksum."""
        values = self._values(0)
        if values["Total Length"] > 0xFFFF:  # type: ignore[operator]
            raise ConfigError(f"IPv4 packet of {values['Total Length']} bytes exceeds 65535")
        raw = IPV4_HEADER.pack(values) + self.options
        csum = internet_checksum(raw)
        return raw[:10] + csum.to_bytes(2, "big") + raw[12:]

    def build(self) -> bytes:
        return self.header_bytes() + self.payload

    @property
    def header_length(self) -> int:
        return IPV4_HEADER.size + len(self.options)

    @classmethod
    def parse(cls, data: bytes, *, verify_checksum: bool = True, allow_trailing: bool = False) -> IPv4:
        """Parse one IPv4 packet; errors name the field and byte offset."""
        v = IPV4_HEADER.unpack(data)
        if v["Version"] != 4:
            raise ParseError(f"version is {v['Version']}, expected 4", what="IPv4 header",
                             field="Version", offset=0)
        ihl = int(v["IHL"])
        if ihl < 5:
            raise ParseError(f"IHL is {ihl}, at least 5 (20 bytes) is required", what="IPv4 header",
                             field="IHL", offset=0)
        hlen = ihl * 4
        if len(data) < hlen:
            raise ParseError(f"truncated: IHL says {hlen} header bytes, have {len(data)}",
                             what="IPv4 header", field="IHL", offset=0)
        total = int(v["Total Length"])
        if total < hlen:
            raise ParseError(f"Total Length {total} is less than the header length {hlen}",
                             what="IPv4 header", field="Total Length", offset=2)
        if total > len(data):
            raise ParseError(f"truncated: Total Length says {total} bytes, have {len(data)}",
                             what="IPv4 header", field="Total Length", offset=2)
        if total < len(data) and not allow_trailing:
            raise ParseError(f"{len(data) - total} bytes follow the {total} bytes Total Length announces",
                             what="IPv4 header", field="Total Length", offset=2)
        if verify_checksum and not _checksum_ok(data[:hlen]):
            raise ParseError("header checksum does not verify", what="IPv4 header",
                             field="Header Checksum", offset=10)
        flags = int(v["Flags"])
        return cls(
            src=str(ipaddress.IPv4Address(v["Source Address"])),
            dst=str(ipaddress.IPv4Address(v["Destination Address"])),
            protocol=int(v["Protocol"]), payload=bytes(data[hlen:total]), ttl=int(v["Time to Live"]),
            identification=int(v["Identification"]), dscp=int(v["DSCP"]), ecn=int(v["ECN"]),
            dont_fragment=bool(flags & 2), more_fragments=bool(flags & 1),
            fragment_offset=int(v["Fragment Offset"]), options=bytes(data[20:hlen]),
        )

    def spans(self, offset: int = 0, *, layer: str = "IPv4") -> list[Span]:
        """The header's fields, the options and the payload as annotated byte spans."""
        header = self.header_bytes()
        values: dict[str, object] = dict(IPV4_HEADER.unpack(header))
        values["Source Address"], values["Destination Address"] = self.src, self.dst
        out = IPV4_HEADER.spans(offset, layer=layer, values=values)
        pos = offset + IPV4_HEADER.size
        if self.options:
            out.append(Span(pos, pos + len(self.options), "Options", layer, "IPv4 options", "RFC 791 §3.1"))
            pos += len(self.options)
        name = PROTOCOL_NAMES.get(self.protocol, f"protocol {self.protocol}")
        out.append(Span(pos, pos + len(self.payload), f"Payload ({name})", layer,
                        "the data this packet carries"))
        return out


def _pseudo_header(src: str, dst: str, protocol: int, length: int) -> bytes:
    return (ipv4_bytes(src, what="source address") + ipv4_bytes(dst, what="destination address")
            + bytes([0, protocol]) + length.to_bytes(2, "big"))


@dataclass(frozen=True)
class UDP:
    """A UDP datagram. The checksum needs the IP addresses (RFC 768 pseudo-header)."""

    src_port: int
    dst_port: int
    payload: bytes = b""

    def build(self, src_ip: str | None = None, dst_ip: str | None = None, *, checksum: bool = True) -> bytes:
        """Encode; with ``checksum`` and both addresses the checksum is computed, otherwise it is 0.

        RFC 3948 §2.1: UDP-encapsulated ESP over IPv4 is sent with checksum 0.
        """
        length = UDP_HEADER.size + len(self.payload)
        if length > 0xFFFF:
            raise ConfigError(f"UDP datagram of {length} bytes exceeds 65535")
        values = {"Source Port": self.src_port, "Destination Port": self.dst_port, "Length": length,
                  "Checksum": 0}
        raw = UDP_HEADER.pack(values) + self.payload
        if checksum and src_ip is not None and dst_ip is not None:
            csum = internet_checksum(_pseudo_header(src_ip, dst_ip, PROTO_UDP, length) + raw) or 0xFFFF
            raw = raw[:6] + csum.to_bytes(2, "big") + raw[8:]
        return raw

    @classmethod
    def parse(cls, data: bytes, src_ip: str | None = None, dst_ip: str | None = None) -> UDP:
        """Parse; a non-zero checksum is verified when both addresses are given."""
        v = UDP_HEADER.unpack(data)
        length = int(v["Length"])
        if length < UDP_HEADER.size:
            raise ParseError(f"Length {length} is less than the 8-byte header", what="UDP header",
                             field="Length", offset=4)
        if length != len(data):
            raise ParseError(f"Length says {length} bytes, the datagram has {len(data)}",
                             what="UDP header", field="Length", offset=4)
        if (v["Checksum"] and src_ip is not None and dst_ip is not None
                and internet_checksum(_pseudo_header(src_ip, dst_ip, PROTO_UDP, length) + data) != 0):
            raise ParseError("checksum does not verify", what="UDP header", field="Checksum", offset=6)
        return cls(int(v["Source Port"]), int(v["Destination Port"]), bytes(data[8:length]))

    def spans(self, offset: int = 0, *, layer: str = "UDP", src_ip: str | None = None,
              dst_ip: str | None = None, checksum: bool = True) -> list[Span]:
        """The fields as spans; give the IP addresses to show the real checksum."""
        values = UDP_HEADER.unpack(self.build(src_ip, dst_ip, checksum=checksum))
        out = UDP_HEADER.spans(offset, layer=layer, values=values)
        start = offset + UDP_HEADER.size
        out.append(Span(start, start + len(self.payload), "Payload", layer, "the datagram's data"))
        return out


@dataclass(frozen=True)
class ICMP:
    """An ICMP echo request or reply (RFC 792)."""

    type: int
    code: int = 0
    identifier: int = 0
    sequence: int = 0
    payload: bytes = b""

    @classmethod
    def echo_request(cls, identifier: int, sequence: int, payload: bytes = b"") -> ICMP:
        return cls(ICMP_ECHO_REQUEST, 0, identifier, sequence, payload)

    def echo_reply(self) -> ICMP:
        """The reply a host sends to this echo request."""
        if self.type != ICMP_ECHO_REQUEST:
            raise ConfigError(f"only an echo request (type 8) has a reply, this is type {self.type}")
        return ICMP(ICMP_ECHO_REPLY, 0, self.identifier, self.sequence, self.payload)

    def build(self) -> bytes:
        values = {"Type": self.type, "Code": self.code, "Checksum": 0, "Identifier": self.identifier,
                  "Sequence Number": self.sequence}
        raw = ICMP_ECHO_HEADER.pack(values) + self.payload
        csum = internet_checksum(raw)
        return raw[:2] + csum.to_bytes(2, "big") + raw[4:]

    @classmethod
    def parse(cls, data: bytes, *, verify_checksum: bool = True) -> ICMP:
        v = ICMP_ECHO_HEADER.unpack(data)
        if v["Type"] not in (ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY):
            raise ParseError(f"type {v['Type']} is not an echo request (8) or reply (0)",
                             what="ICMP echo header", field="Type", offset=0)
        if verify_checksum and not _checksum_ok(data):
            raise ParseError("checksum does not verify", what="ICMP echo header", field="Checksum", offset=2)
        return cls(int(v["Type"]), int(v["Code"]), int(v["Identifier"]), int(v["Sequence Number"]),
                   bytes(data[8:]))

    def spans(self, offset: int = 0, *, layer: str = "ICMP") -> list[Span]:
        values = ICMP_ECHO_HEADER.unpack(self.build())
        out = ICMP_ECHO_HEADER.spans(offset, layer=layer, values=values)
        start = offset + ICMP_ECHO_HEADER.size
        out.append(Span(start, start + len(self.payload), "Data", layer, "echo data, returned unchanged"))
        return out


def icmp_echo(src: str, dst: str, identifier: int = 1, sequence: int = 1, payload: bytes = b"",
              *, ttl: int = 64) -> IPv4:
    """An IPv4 packet carrying an ICMP echo request."""
    return IPv4(src, dst, PROTO_ICMP, ICMP.echo_request(identifier, sequence, payload).build(), ttl=ttl)


def ipv4_udp(src: str, dst: str, src_port: int, dst_port: int, payload: bytes = b"",
             *, checksum: bool = True, ttl: int = 64) -> IPv4:
    """An IPv4 packet carrying a UDP datagram."""
    return IPv4(src, dst, PROTO_UDP, UDP(src_port, dst_port, payload).build(src, dst, checksum=checksum),
                ttl=ttl)


def packet_spans(data: bytes) -> list[Span]:
    """Annotated spans for a plain IPv4 packet and its UDP or ICMP payload (for hexdumps)."""
    ip = IPv4.parse(data)
    spans = ip.spans()[:-1]
    pos = ip.header_length
    if ip.protocol == PROTO_UDP:
        udp = UDP.parse(ip.payload)
        has_checksum = ip.payload[6:8] != b"\x00\x00"
        spans += udp.spans(pos, src_ip=ip.src, dst_ip=ip.dst, checksum=has_checksum)
    elif ip.protocol == PROTO_ICMP and len(ip.payload) >= 8 and ip.payload[0] in (0, 8):
        spans += ICMP.parse(ip.payload, verify_checksum=False).spans(pos)
    else:
        spans += ip.spans()[-1:]
    return spans
