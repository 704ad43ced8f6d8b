"""IKEv2 messages (RFC 7296 §3.1) and the SK payload's encryption and integrity (§3.14, RFC 5282, RFC 7634).

A :class:`Message` is the IKE header's values plus a list of payloads. ``encrypted=True`` means the
payloads travel inside an SK payload: :func:`encode_message` then needs :class:`SkKeys` (the sender's
SK_e and SK_a), and :func:`decode_message` returns the payloads still sealed in an
:class:`~vpnlearn.ike.payloads.Encrypted` until :func:`open_message` is given the keys.

``message_spans`` describes every byte of a message (IKE header fields, generic payload headers,
payload fields, IV, ciphertext, ICV) as :class:`vpnlearn.wire.Span` objects for hexdumps and
layout diagrams.
"""

from __future__ import annotations

import hmac as _hmac
from dataclasses import dataclass, field, replace

from vpnlearn.errors import AuthenticationError, ConfigError, ParseError
from vpnlearn.ike.algorithms import EncrAlgorithm, IntegAlgorithm, decrypt, encrypt
from vpnlearn.ike.payloads import (
    GENERIC_HEADER,
    PAYLOAD_NAMES,
    PT_NONE,
    PT_SK,
    Encrypted,
    Notify,
    Payload,
    UnknownPayload,
    decode_chain,
    encode_chain,
)
from vpnlearn.rand import RandomSource, resolve
from vpnlearn.wire import Field, Header, Span

# Exchange types (§3.1).
IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL = 34, 35, 36, 37
EXCHANGE_NAMES = {
    IKE_SA_INIT: "IKE_SA_INIT",
    IKE_AUTH: "IKE_AUTH",
    CREATE_CHILD_SA: "CREATE_CHILD_SA",
    INFORMATIONAL: "INFORMATIONAL",
}

IKE_HEADER = Header(
    "IKE Header",
    (
        Field("IKE SA Initiator's SPI", 64, "chosen by the initiator; never zero", "RFC 7296 §3.1", "bytes"),
        Field(
            "IKE SA Responder's SPI",
            64,
            "chosen by the responder; zero in the first message",
            "RFC 7296 §3.1",
            "bytes",
        ),
        Field("Next Payload", 8, "type of the first payload", "RFC 7296 §3.1"),
        Field("MjVer", 4, "major version: 2", "RFC 7296 §3.1"),
        Field("MnVer", 4, "minor version: 0", "RFC 7296 §3.1"),
        Field(
            "Exchange Type",
            8,
            "34 IKE_SA_INIT, 35 IKE_AUTH, 36 CREATE_CHILD_SA, 37 INFORMATIONAL",
            "RFC 7296 §3.1",
        ),
        Field("Flags X1", 2, "reserved, sent as zero", "RFC 7296 §3.1"),
        Field("R", 1, "Response: this message answers a request with the same Message ID", "RFC 7296 §3.1"),
        Field("V", 1, "Version: the sender can speak a higher major version (0 here)", "RFC 7296 §3.1"),
        Field("I", 1, "Initiator: sent by the original initiator of the IKE SA", "RFC 7296 §3.1"),
        Field("Flags X2", 3, "reserved, sent as zero", "RFC 7296 §3.1"),
        Field(
            "Message ID",
            32,
            "matches requests and responses; counts up per direction of request",
            "RFC 7296 §3.1",
        ),
        Field("Length", 32, "length of the whole message, header included", "RFC 7296 §3.1"),
    ),
    "RFC 7296 §3.1",
)
HEADER_LEN = IKE_HEADER.size  # 28


@dataclass(frozen=True)
class SkKeys:
    """What protects an SK payload in one direction: the cipher and SK_e, the integrity and SK_a.

    For AEAD ciphers ``integ`` is None and ``sk_e`` is key | 4-byte salt.
    """

    encr: EncrAlgorithm
    sk_e: bytes
    integ: IntegAlgorithm | None = None
    sk_a: bytes = b""
    label: str = ""

    @property
    def icv_len(self) -> int:
        return self.encr.icv_bytes if self.encr.aead else self.integ.icv_bytes  # type: ignore[union-attr]


@dataclass
class Message:
    """An IKEv2 message: header values and payloads (plaintext ones, or inside SK if ``encrypted``)."""

    spi_i: bytes
    spi_r: bytes
    exchange: int
    message_id: int
    initiator: bool
    response: bool
    payloads: list[Payload] = field(default_factory=list)
    encrypted: bool = False
    major: int = 2
    minor: int = 0
    version_flag: bool = False
    # Set by decode_message: the SK payload as received (until opened) and where payloads start.
    sealed: Encrypted | None = None
    raw: bytes = b""
    offsets: list[int] = field(default_factory=list)
    opened: bool = False  # set by open_message: the SK payload's contents are in ``payloads``

    @property
    def exchange_name(self) -> str:
        return EXCHANGE_NAMES.get(self.exchange, f"exchange {self.exchange}")

    def payload_names(self) -> list[str]:
        """``["HDR", "SA", "KE", "Nonce"]`` style list; encrypted payloads shown as ``SK{...}``."""
        names = [_pname(p) for p in self.payloads]
        if self.encrypted:
            return ["HDR", "SK{" + ", ".join(names) + "}"]
        return ["HDR", *names]

    def find(self, cls: type, **match: object) -> list:
        """Payloads of a class (``msg.find(Notify, type=16390)``)."""
        if not match:  # for speed: the common call with a class only
            return [p for p in self.payloads if isinstance(p, cls)]
        return [
            p
            for p in self.payloads
            if isinstance(p, cls) and all(getattr(p, k) == v for k, v in match.items())
        ]

    def first(self, cls: type, **match: object):
        found = self.find(cls, **match)
        return found[0] if found else None

    def notifies(self) -> list[Notify]:
        return [p for p in self.payloads if isinstance(p, Notify)]

    def unsupported_critical(self) -> UnknownPayload | None:
        """The first payload we do not understand that has its critical bit set (§2.5), if any."""
        for p in self.payloads:
            if isinstance(p, UnknownPayload) and p.critical:
                return p
        return None

    def __str__(self) -> str:
        flags = ("I" if self.initiator else "") + ("R" if self.response else "")
        return (
            f"{self.exchange_name} #{self.message_id} [{flags or '-'}] "
            f"{self.spi_i.hex()}:{self.spi_r.hex()} {' '.join(self.payload_names()[1:])}"
        )


def _pname(p: Payload) -> str:
    if isinstance(p, Notify):
        return f"N({p.type_name})"
    return PAYLOAD_NAMES.get(p.TYPE, f"payload {p.TYPE}")


def _header(msg: Message, first: int, length: int) -> bytes:
    return IKE_HEADER.pack(
        {
            "IKE SA Initiator's SPI": msg.spi_i,
            "IKE SA Responder's SPI": msg.spi_r,
            "Next Payload": first,
            "MjVer": msg.major,
            "MnVer": msg.minor,
            "Exchange Type": msg.exchange,
            "Flags X1": 0,
            "R": int(msg.response),
            "V": int(msg.version_flag),
            "I": int(msg.initiator),
            "Flags X2": 0,
            "Message ID": msg.message_id,
            "Length": length,
        }
    )


def encode_message(msg: Message, keys: SkKeys | None = None, rng: RandomSource | None = None) -> bytes:
    """Encode a message. With ``msg.encrypted`` the payloads go into an SK payload protected by ``keys``.

    For AES-CBC the IV is random (from ``rng``); for AEADs the 8-byte IV must never repeat under one
    key, so it is drawn at random too (64 bits, as strongSwan does) .
    """
    if not msg.encrypted:
        body = encode_chain(msg.payloads)
        first = msg.payloads[0].TYPE if msg.payloads else PT_NONE
        return _header(msg, first, HEADER_LEN + len(body)) + body
    if keys is None:
        raise ConfigError(f"{msg.exchange_name}: an encrypted message needs SK keys")
    inner = encode_chain(msg.payloads)
    first = msg.payloads[0].TYPE if msg.payloads else PT_NONE
    encr = keys.encr
    iv = resolve(rng).random_bytes(encr.iv_bytes)
    pad_len = (-(len(inner) + 1)) % encr.sk_pad_align
    plaintext = inner + bytes(pad_len) + bytes([pad_len])
    sk_len = 4 + len(iv) + len(plaintext) + keys.icv_len
    total = HEADER_LEN + sk_len
    if sk_len > 0xFFFF:
        raise ConfigError(f"SK payload of {sk_len} bytes is too long (fragmentation is not implemented)")
    head = _header(msg, PT_SK, total) + GENERIC_HEADER.pack(
        {"Next Payload": first, "C": 0, "RESERVED": 0, "Payload Length": sk_len}
    )
    if encr.aead:
        # RFC 5282 §5.1 / RFC 7634 §3: the AAD is the IKE header and the SK generic payload header.
        sealed = encrypt(encr, keys.sk_e, iv, plaintext, aad=head)
        return head + iv + sealed
    ciphertext = encrypt(encr, keys.sk_e, iv, plaintext)
    assert keys.integ is not None
    signed = head + iv + ciphertext
    return signed + keys.integ.icv(keys.sk_a, signed)


def decode_message(data: bytes) -> Message:
    """Decode the header and payload chain. An SK payload stays sealed (``msg.sealed``).

    Raises ParseError (naming the structure, field and byte offset) for anything malformed: a short
    message, a Length that disagrees with the bytes, a payload that overruns its parent.
    """
    data = bytes(data)
    h = IKE_HEADER.unpack(data, 0)
    if h["Length"] != len(data):
        raise ParseError(
            f"says {h['Length']} bytes, the message has {len(data)}",
            what="IKE Header",
            field="Length",
            offset=24,
        )
    msg = Message(
        spi_i=h["IKE SA Initiator's SPI"],
        spi_r=h["IKE SA Responder's SPI"],
        exchange=h["Exchange Type"],
        message_id=h["Message ID"],
        initiator=bool(h["I"]),
        response=bool(h["R"]),
        major=h["MjVer"],
        minor=h["MnVer"],
        version_flag=bool(h["V"]),
        raw=data,
    )
    if msg.major != 2:
        # Other versions are not parsed further; the peer answers INVALID_MAJOR_VERSION (§2.5).
        return msg
    chain = decode_chain(data, h["Next Payload"], HEADER_LEN, len(data))
    if chain.payloads and isinstance(chain.payloads[-1], Encrypted):
        msg.sealed = chain.payloads.pop()  # type: ignore[assignment]
        chain.offsets.pop()
        msg.encrypted = True
        if chain.payloads:
            # Unencrypted payloads before SK are allowed by the format; we keep them but never trust them.
            msg.payloads = chain.payloads
            msg.offsets = chain.offsets
            return msg
    msg.payloads = chain.payloads
    msg.offsets = chain.offsets
    return msg


def open_message(msg: Message, keys: SkKeys) -> Message:
    """Check the ICV and decrypt the SK payload; returns the message with its inner payloads.

    A wrong ICV raises :class:`~vpnlearn.errors.AuthenticationError` (nothing is decrypted first for
    CBC+HMAC); malformed padding or inner payloads raise ParseError.
    """
    sk = msg.sealed
    if sk is None:
        raise ConfigError("this message has no SK payload to open")
    encr = keys.encr
    raw = msg.raw
    body_start = sk.offset + 4
    min_len = encr.iv_bytes + keys.icv_len + (1 if encr.aead else encr.block_bytes)
    if len(sk.data) < min_len:
        raise ParseError(
            f"{len(sk.data)} bytes is shorter than IV + one block + ICV ({min_len})",
            what="SK payload",
            field="Payload Length",
            offset=sk.offset + 2,
        )
    iv = sk.data[: encr.iv_bytes]
    if encr.aead:
        plaintext = decrypt(encr, keys.sk_e, iv, sk.data[encr.iv_bytes :], aad=raw[:body_start])
    else:
        assert keys.integ is not None
        icv = raw[-keys.icv_len :]
        if not _hmac.compare_digest(keys.integ.icv(keys.sk_a, raw[: -keys.icv_len]), icv):
            raise AuthenticationError(f"SK payload: the integrity checksum does not verify ({keys.label})")
        ct = sk.data[encr.iv_bytes : -keys.icv_len]
        if len(ct) % encr.block_bytes:
            raise ParseError(
                f"ciphertext of {len(ct)} bytes is not a whole number of blocks",
                what="SK payload",
                field="Encrypted IKE Payloads",
                offset=body_start + encr.iv_bytes,
            )
        plaintext = decrypt(encr, keys.sk_e, iv, ct)
    # From here on the message is authentic: a problem is the peer's syntax error (INVALID_SYNTAX),
    # which the ParseError says with ``authenticated = True``.
    try:
        pad_len = plaintext[-1]
        if pad_len + 1 > len(plaintext):
            raise ParseError(
                f"Pad Length {pad_len} is longer than the decrypted data",
                what="SK payload",
                field="Pad Length",
                offset=body_start + encr.iv_bytes + len(plaintext) - 1,
            )
        inner = plaintext[: len(plaintext) - pad_len - 1]
        chain = decode_chain(inner, sk.first_inner, 0, len(inner), what="SK payload (decrypted)")
    except ParseError as exc:
        exc.authenticated = True  # type: ignore[attr-defined]
        raise
    return replace(msg, payloads=[*msg.payloads, *chain.payloads], encrypted=True, opened=True)


def message_spans(msg: Message) -> list[Span]:
    """Spans describing the raw bytes of a decoded message, for hexdumps and layout diagrams.

    Plaintext payloads get their generic header and fixed fields; an SK payload gets its generic
    header, IV, encrypted part and ICV (the inner payloads' bytes are ciphertext on the wire).
    """
    raw = msg.raw
    h = IKE_HEADER.unpack(raw, 0)
    spans = IKE_HEADER.spans(0, layer="IKE Header", values=h, authenticated=msg.encrypted)
    # ``offsets`` holds only the payloads that are plaintext on the wire (zip stops there).
    for p, off in zip(msg.payloads, msg.offsets, strict=False):
        spans += _payload_spans(raw, p, off)
    sk = msg.sealed
    if sk is not None:
        layer = "SK payload"
        gh = GENERIC_HEADER.unpack(raw, sk.offset)
        spans += GENERIC_HEADER.spans(sk.offset, layer=layer, values=gh, authenticated=True)
        end = sk.offset + 4 + len(sk.data)
        spans.append(
            Span(
                sk.offset + 4,
                end,
                "IV | Encrypted Payloads | Padding | ICV",
                layer,
                "IV, then the encrypted inner payloads, padding and Pad Length, then the ICV",
                "RFC 7296 §3.14",
                encrypted=True,
                authenticated=True,
            )
        )
    return spans


def _payload_spans(raw: bytes, p: Payload, off: int) -> list[Span]:
    layer = f"{_pname(p)} payload"
    gh = GENERIC_HEADER.unpack(raw, off)
    out = GENERIC_HEADER.spans(off, layer=layer, values=gh)
    pos = off + 4
    if p.FIXED is not None:
        out += p.FIXED.spans(pos, layer=layer, values=p.FIXED.unpack(raw, pos))
        pos += p.FIXED.size
    end = off + gh["Payload Length"]
    if end > pos:
        out.append(Span(pos, end, p.VARIABLE or "Payload Data", layer, p.SECTION, p.SECTION))
    return out


def describe(msg: Message) -> str:
    """A readable, indented summary of a message (what a learner sees first in a notebook)::

    IKE_SA_INIT #0 request (I) SPIi=3f2a… SPIr=0000…
      SA  proposal 1 IKE: ENCR aes128gcm16, PRF prfsha256, DH x25519
      KE  group 31, 32 bytes
      Nonce  32 bytes
    """
    from vpnlearn.ike import algorithms as alg
    from vpnlearn.ike.payloads import (
        AUTH,
        AUTH_METHOD_NAMES,
        ID,
        KE,
        SA,
        TS,
        Delete,
        Nonce,
        Notify,
    )

    kind = "response" if msg.response else "request"
    flags = "I" if msg.initiator else "R"
    head = f"{msg.exchange_name} #{msg.message_id} {kind} ({flags})"
    lines = [f"{head} SPIi={msg.spi_i.hex()} SPIr={msg.spi_r.hex()}"]
    proto = {1: "IKE", 2: "AH", 3: "ESP"}
    tnames = alg.TRANSFORM_TYPE_NAMES
    for p in msg.payloads:
        if isinstance(p, SA):
            for prop in p.proposals:
                parts = []
                for t in prop.transforms:
                    row = alg.by_id(t.type, t.id, t.key_length) if t.type != alg.ESN else None
                    label = (
                        row.name
                        if row is not None
                        else ("esn" if t.id == 1 else "noesn")
                        if t.type == alg.ESN
                        else f"id {t.id}"
                    )
                    parts.append(f"{tnames.get(t.type, t.type)} {label}")
                spi = f" SPI {prop.spi.hex()}" if prop.spi else ""
                lines.append(
                    f"  SA  proposal {prop.number} {proto.get(prop.protocol, prop.protocol)}{spi}: "
                    + ", ".join(parts)
                )
        elif isinstance(p, KE):
            lines.append(f"  KE  group {p.group}, {len(p.data)} bytes")
        elif isinstance(p, Nonce):
            lines.append(f"  Nonce  {len(p.data)} bytes")
        elif isinstance(p, Notify):
            extra = f" SPI {p.spi.hex()}" if p.spi else ""
            lines.append(f"  N({p.type_name}){extra} {len(p.data)} bytes")
        elif isinstance(p, ID):
            lines.append(f"  {p.name}  {p.text()}")
        elif isinstance(p, AUTH):
            lines.append(f"  AUTH  {AUTH_METHOD_NAMES.get(p.method, p.method)}, {len(p.data)} bytes")
        elif isinstance(p, TS):
            lines.append(f"  {p.name}  " + ", ".join(map(str, p.selectors)))
        elif isinstance(p, Delete):
            what = proto.get(p.protocol, p.protocol)
            lines.append(f"  D  {what} " + " ".join(s.hex() for s in p.spis))
        else:
            lines.append(f"  {_pname(p)}  {len(p.body())} bytes")
    if msg.sealed is not None and not msg.opened:
        lines.append(f"  SK  {len(msg.sealed.data)} bytes, still encrypted (open_message needs the keys)")
    elif msg.sealed is not None:
        lines.insert(1, "  (inside SK: encrypted and integrity-protected)")
    return "\n".join(lines)
