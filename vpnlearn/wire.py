"""Wire formats declared once: fields, fixed headers, a reader and a writer, and byte spans.

One :class:`Header` declaration (an ordered list of :class:`Field` with its name, size, meaning
and RFC section) serves the encoder, the decoder, the annotated hexdump and the packet-layout
diagram. Variable-length structures (IKE payloads, ESP trailers) use :class:`Reader` and
:class:`Writer`, which raise :class:`~vpnlearn.errors.ParseError` naming the structure, the field
and the byte offset.

A decoded packet describes its bytes as :class:`Span` objects (start, end, label, layer, and
whether the bytes are encrypted and/or authenticated), which the drawing code in
``vpnlearn.viz`` turns into hexdumps and layout diagrams. The protocol code never draws.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from struct import unpack_from

from vpnlearn.errors import ConfigError, ParseError


@dataclass(frozen=True)
class Field:
    """One field of a header, named as in its RFC.

    ``bits`` is the size in bits: fields smaller than a byte (IPv4 Version, IHL, Flags) are packed
    most-significant-bit first, as the RFCs draw them. ``kind`` is ``"uint"`` (an unsigned
    big-endian number) or ``"bytes"`` (raw bytes; ``bits`` must be a multiple of 8).
    """

    name: str
    bits: int
    meaning: str
    rfc: str = ""
    kind: str = "uint"

    def __post_init__(self) -> None:
        if self.kind not in ("uint", "bytes"):
            raise ConfigError(f"field {self.name}: kind must be 'uint' or 'bytes'")
        if self.kind == "bytes" and self.bits % 8:
            raise ConfigError(f"field {self.name}: a bytes field must be whole bytes")


@dataclass(frozen=True)
class Span:
    """A run of bytes ``[start, end)`` in a packet, with what it is and how it is protected."""

    start: int
    end: int
    label: str
    layer: str = ""
    meaning: str = ""
    rfc: str = ""
    encrypted: bool = False
    authenticated: bool = False
    value: object = None

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Header:
    """A fixed-size header: an ordered tuple of fields that add up to whole bytes."""

    name: str
    fields: tuple[Field, ...]
    rfc: str = ""

    def __post_init__(self) -> None:
        total = sum(f.bits for f in self.fields)
        if total % 8:
            raise ConfigError(f"header {self.name}: fields add up to {total} bits, not whole bytes")
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ConfigError(f"header {self.name}: duplicate field names")
        # For speed only (headers are decoded many times per packet): things fixed per declaration
        # are computed once here. ``_plan`` says, per field, where it sits inside the header read as
        # one big-endian number; ``_struct`` is set when every field is a whole 1/2/4/8-byte number
        # or whole bytes, so one struct call does the whole header.
        codes = {8: "B", 16: "H", 32: "I", 64: "Q"}
        plan, bitpos, fmt = [], 0, ">"
        for f in self.fields:
            shift = total - bitpos - f.bits
            plan.append((f.name, f.kind == "bytes", bitpos // 8, (bitpos + f.bits) // 8, shift,
                         (1 << f.bits) - 1))
            if fmt is not None:
                if bitpos % 8 == 0 and f.kind == "bytes":
                    fmt += f"{f.bits // 8}s"
                elif bitpos % 8 == 0 and f.bits in codes:
                    fmt += codes[f.bits]
                else:
                    fmt = None
            bitpos += f.bits
        object.__setattr__(self, "_size", total // 8)
        object.__setattr__(self, "_plan", tuple(plan))
        object.__setattr__(self, "_names", tuple(names))
        object.__setattr__(self, "_struct", fmt)   # a format string (struct caches it compiled)
        # the exact Python type each field's value must have for the fast pack path
        object.__setattr__(self, "_types", tuple(bytes if f.kind == "bytes" else int for f in self.fields))
        object.__setattr__(self, "_byte_fields", tuple((i, f.bits // 8) for i, f in enumerate(self.fields)
                                                       if f.kind == "bytes"))

    @property
    def size(self) -> int:
        """Size in bytes."""
        return self._size  # type: ignore[attr-defined]

    def unpack(self, data: bytes, offset: int = 0) -> dict[str, int | bytes]:
        """Decode the header at ``offset``; a short input raises ParseError naming the field."""
        size = self._size  # type: ignore[attr-defined]
        if offset >= 0 and offset + size <= len(data):
            # Fast path (the whole header is there): one struct call, or one integer for bit fields.
            st = self._struct  # type: ignore[attr-defined]
            if st is not None:
                return dict(zip(self._names, unpack_from(st, data, offset), strict=True))  # type: ignore[attr-defined]
            whole = int.from_bytes(data[offset:offset + size], "big")
            values: dict[str, int | bytes] = {}
            for name, is_bytes, first, last, shift, mask in self._plan:  # type: ignore[attr-defined]
                values[name] = (bytes(data[offset + first:offset + last]) if is_bytes
                                else (whole >> shift) & mask)
            return values
        return self._unpack_bits(data, offset)

    def _unpack_bits(self, data: bytes, offset: int) -> dict[str, int | bytes]:
        """Field by field, bit by bit: finds which field a short input cuts off."""
        values: dict[str, int | bytes] = {}
        bitpos = offset * 8
        for f in self.fields:
            end_bit = bitpos + f.bits
            if (end_bit + 7) // 8 > len(data):
                raise ParseError(
                    f"truncated: need {(end_bit + 7) // 8 - offset} bytes for the header up to "
                    f"this field, have {max(0, len(data) - offset)}",
                    what=self.name, field=f.name, offset=bitpos // 8)
            if f.kind == "bytes":
                values[f.name] = bytes(data[bitpos // 8:end_bit // 8])
            else:
                first, last = bitpos // 8, (end_bit + 7) // 8
                chunk = int.from_bytes(data[first:last], "big")
                shift = last * 8 - end_bit
                values[f.name] = (chunk >> shift) & ((1 << f.bits) - 1)
            bitpos = end_bit
        return values

    def pack(self, values: Mapping[str, int | bytes]) -> bytes:
        """Encode the header; every field must be given and fit its size."""
        st = self._struct  # type: ignore[attr-defined]
        if st is not None:
            # Fast path: all values present, of exactly the right type and length, and in range
            # (struct itself rejects out-of-range numbers); anything else goes the checked way below.
            try:
                vals = [values[n] for n in self._names]  # type: ignore[attr-defined]
            except KeyError:
                vals = None
            if (vals is not None
                    and tuple(map(type, vals)) == self._types  # type: ignore[attr-defined]
                    and all(len(vals[i]) == n for i, n in self._byte_fields)):  # type: ignore[attr-defined]
                try:
                    return struct.pack(st, *vals)
                except struct.error:
                    pass
        else:
            # Fast path for headers with bit fields: one integer from the shifts computed once.
            acc = 0
            for name, is_bytes, first, last, shift, mask in self._plan:  # type: ignore[attr-defined]
                v = values.get(name)
                if is_bytes:
                    if type(v) is not bytes or len(v) != last - first:
                        break
                    v = int.from_bytes(v, "big")
                elif type(v) is not int or not 0 <= v <= mask:
                    break
                acc |= v << shift
            else:
                return acc.to_bytes(self._size, "big")  # type: ignore[attr-defined]
        # The checked way, field by field, naming the first field that is missing or does not fit.
        acc = 0
        for f in self.fields:
            if f.name not in values:
                raise ConfigError(f"{self.name}: missing field {f.name}")
            v = values[f.name]
            if f.kind == "bytes":
                if not isinstance(v, (bytes, bytearray)) or len(v) * 8 != f.bits:
                    raise ConfigError(f"{self.name}: field {f.name} must be {f.bits // 8} bytes")
                iv = int.from_bytes(v, "big")
            else:
                if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < (1 << f.bits):
                    raise ConfigError(
                        f"{self.name}: field {f.name} = {v!r} does not fit in {f.bits} bits")
                iv = v
            acc = (acc << f.bits) | iv
        return acc.to_bytes(self._size, "big")  # type: ignore[attr-defined]

    def spans(self, offset: int = 0, *, layer: str = "", values: Mapping[str, object] | None = None,
              encrypted: bool = False, authenticated: bool = False) -> list[Span]:
        """One span per field (sub-byte fields share their byte range, labelled by bits)."""
        out = []
        bitpos = offset * 8
        for f in self.fields:
            start, end = bitpos // 8, (bitpos + f.bits + 7) // 8
            out.append(Span(start, end, f.name, layer or self.name, f.meaning, f.rfc or self.rfc,
                            encrypted, authenticated, None if values is None else values.get(f.name)))
            bitpos += f.bits
        return out


class Reader:
    """Reads big-endian fields from bytes, raising ParseError with the field and byte offset."""

    def __init__(self, data: bytes, what: str, offset: int = 0, end: int | None = None) -> None:
        self.data = bytes(data)
        self.what = what
        self.pos = offset
        self.end = len(self.data) if end is None else end

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def _need(self, n: int, field: str) -> None:
        if n < 0 or self.pos + n > self.end:
            raise ParseError(f"truncated: need {n} bytes, have {self.remaining}",
                             what=self.what, field=field, offset=self.pos)

    def uint(self, nbytes: int, field: str) -> int:
        self._need(nbytes, field)
        v = int.from_bytes(self.data[self.pos:self.pos + nbytes], "big")
        self.pos += nbytes
        return v

    def u8(self, field: str) -> int:
        return self.uint(1, field)

    def u16(self, field: str) -> int:
        return self.uint(2, field)

    def u32(self, field: str) -> int:
        return self.uint(4, field)

    def u64(self, field: str) -> int:
        return self.uint(8, field)

    def bytes(self, n: int, field: str) -> bytes:
        self._need(n, field)
        v = self.data[self.pos:self.pos + n]
        self.pos += n
        return v

    def rest(self, field: str) -> bytes:
        return self.bytes(self.remaining, field)

    def header(self, header: Header) -> dict[str, int | bytes]:
        if self.pos + header.size <= self.end:   # for speed: no copy of the data when it all fits
            values = header.unpack(self.data, self.pos)
        else:
            values = header.unpack(self.data[:self.end], self.pos)
        self.pos += header.size
        return values

    def fail(self, message: str, field: str, offset: int | None = None) -> ParseError:
        """A ParseError at the current (or given) offset, to ``raise``."""
        return ParseError(message, what=self.what, field=field,
                          offset=self.pos if offset is None else offset)


@dataclass
class Writer:
    """Builds bytes field by field (the mirror of :class:`Reader`)."""

    parts: list[bytes] = field(default_factory=list)

    def uint(self, value: int, nbytes: int, name: str = "") -> Writer:
        if not 0 <= value < (1 << (8 * nbytes)):
            raise ConfigError(f"{name or 'value'} = {value} does not fit in {nbytes} bytes")
        self.parts.append(value.to_bytes(nbytes, "big"))
        return self

    def u8(self, value: int, name: str = "") -> Writer:
        return self.uint(value, 1, name)

    def u16(self, value: int, name: str = "") -> Writer:
        return self.uint(value, 2, name)

    def u32(self, value: int, name: str = "") -> Writer:
        return self.uint(value, 4, name)

    def u64(self, value: int, name: str = "") -> Writer:
        return self.uint(value, 8, name)

    def raw(self, data: bytes) -> Writer:
        self.parts.append(bytes(data))
        return self

    def getvalue(self) -> bytes:
        return b"".join(self.parts)

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)


def internet_checksum(data: bytes | Iterable[bytes]) -> int:
    """The 16-bit one's-complement checksum of RFC 1071 (IPv4, ICMP, UDP)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        data = b"".join(data)
    if len(data) % 2:
        data = bytes(data) + b"\x00"
    total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
