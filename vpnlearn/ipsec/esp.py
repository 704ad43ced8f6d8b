"""ESP, the Encapsulating Security Payload (RFC 4303): seal and open packets, tunnel and transport mode.

An ESP packet, as RFC 4303 §2 draws it::

    SPI (4) | Sequence Number (4) | IV | Payload Data | Padding | Pad Length (1) | Next Header (1) | ICV
    `---- authenticated (in the AAD or the HMAC) ----'                                              |
                                       `-------------------- encrypted ------------------------'    |
    `-------------------------------- covered by the ICV ---------------------------------------'

* **AES-GCM** (RFC 4106): nonce = 4-byte salt || 8-byte IV; AAD = SPI || Sequence Number, or with
  ESN SPI || high 32 bits || low 32 bits (RFC 4106 §5); the ICV is GCM's tag (16, 12 or 8 bytes).
* **ChaCha20-Poly1305** (RFC 7634): the same nonce and AAD construction, 16-byte tag.
* **AES-CBC + HMAC** (RFC 3602, RFC 4868 / RFC 2404): a random 16-byte IV in the packet, then the
  ICV = HMAC over SPI .. Next Header (the ciphertext), truncated; with ESN the high 32 bits of the
  sequence number are appended, unsent, to what the HMAC covers (RFC 4303 §2.2.1 and §3.3.2.1).

Choice made here: for the AEADs the 8-byte IV is the 64-bit sequence number. RFC 4106 §3.1 and
RFC 7634 §2 only require that an IV never repeats under one key; the sequence number never repeats
within an SA (RFC 4303 §3.3.3), so it is a safe and deterministic choice (Linux's ``seqiv`` and
RFC 8750's implicit IV use it the same way). An explicit ``iv=`` can still be passed, e.g. to
reproduce published test vectors. AES-CBC IVs must be unpredictable (RFC 3602 §3): they come from
``rng``.

Padding (RFC 4303 §2.4) makes Payload + Padding + Pad Length + Next Header a multiple of the
cipher's block size and of 4; its bytes are 1, 2, 3, ...; :func:`open` checks them.

:func:`seal` / :func:`open` work on the ESP bytes (SPI to ICV). :func:`protect` /
:func:`unprotect` work on whole IPv4 packets: tunnel mode puts the whole inner packet inside ESP
(Next Header 4) behind a new outer header between the tunnel endpoints; transport mode protects only
the payload and keeps the original header; with NAT-T the ESP packet rides in UDP port 4500
(:mod:`vpnlearn.ipsec.natt`). The returned objects describe every byte with :class:`~vpnlearn.wire.Span`.
"""

from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass, replace
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from vpnlearn.errors import AuthenticationError, ConfigError, ParseError, ReplayError
from vpnlearn.ipsec import natt
from vpnlearn.ipsec.packets import PROTO_ESP, PROTO_IPV4, PROTO_NONE, PROTO_UDP, UDP_HEADER, IPv4
from vpnlearn.ipsec.sa import Direction, Mode, Protocol, SecurityAssociation
from vpnlearn.rand import RandomSource, resolve
from vpnlearn.wire import Field, Header, Span

ESP_HEADER = Header("ESP header", (
    Field("SPI", 32, "Security Parameters Index: which SA (keys, algorithms) protects this packet",
          "RFC 4303 §2.1"),
    Field("Sequence Number", 32, "counts the packets sent on this SA (the low 32 bits with ESN); "
          "the receiver's anti-replay window checks it", "RFC 4303 §2.2"),
), "RFC 4303 §2")

ESP_TRAILER = Header("ESP trailer", (
    Field("Pad Length", 8, "how many Padding bytes come before this field", "RFC 4303 §2.5"),
    Field("Next Header", 8, "what the Payload Data is (4: an IPv4 packet in tunnel mode; 1 ICMP, "
          "6 TCP, 17 UDP in transport mode; 59: a dummy packet)", "RFC 4303 §2.6"),
), "RFC 4303 §2.4-2.6")

_HDR = struct.Struct("!II")
_HIGH = struct.Struct("!I")
_LOW = 0xFFFFFFFF
_MAX_PAD = 255


# --------------------------------------------------------------------------------------------------
# Per-SA cipher engines (built once per SA, kept in sa._crypto).

class _AeadEngine:
    """AES-GCM (RFC 4106) or ChaCha20-Poly1305 (RFC 7634): nonce = salt || IV."""

    __slots__ = ("_aead", "_key", "_short", "aead", "align", "decrypt", "encrypt", "esn", "fast", "has_icv",
                 "icv_len", "iv_len", "overhead", "salt", "seq_max", "spi", "start")

    def __init__(self, sa: SecurityAssociation) -> None:
        alg = sa.encryption
        assert alg is not None
        _snapshot(self, sa)
        self.aead = True
        key, self.salt = sa.enc_key[:alg.key_bytes], sa.enc_key[alg.key_bytes:]
        self._key = key
        self.icv_len = alg.icv_bytes
        self.iv_len = alg.iv_bytes
        self.align = alg.esp_pad_align
        if alg.cipher == "aes-gcm":
            self._aead = AESGCM(key)
        elif alg.cipher == "chacha20-poly1305":
            self._aead = ChaCha20Poly1305(key)
        else:  # pragma: no cover - the suite table has no other AEAD
            raise ConfigError(f"no AEAD engine for {alg.name}")
        self._short = alg.cipher == "aes-gcm" and self.icv_len != 16   # truncated GCM tag (8 or 12)
        # The common case: a full tag and no ESN, so the AAD is the 8-byte ESP header itself and
        # seal/open call encrypt/decrypt directly.
        self.fast = not self._short and not self.esn
        self.encrypt = self._aead.encrypt
        self.decrypt = self._aead.decrypt
        _sizes(self)

    def seal(self, aad: bytes, iv: bytes, plaintext: bytes, seq_high: bytes) -> bytes:
        del seq_high  # already in the AAD (RFC 4106 §5, RFC 7634 §2.1)
        out = self._aead.encrypt(self.salt + iv, plaintext, aad)
        if self._short:   # a truncated GCM tag is the leftmost bytes of the full tag (SP 800-38D §5.2.1.2)
            out = out[:len(plaintext) + self.icv_len]
        return out

    def open(self, aad: bytes, iv: bytes, body: bytes, seq_high: bytes) -> bytes:
        del seq_high
        if not self._short:
            return self._aead.decrypt(self.salt + iv, body, aad)
        ct, tag = body[:-self.icv_len], body[-self.icv_len:]
        dec = Cipher(algorithms.AES(self._key), modes.GCM(self.salt + iv, tag, min_tag_length=len(tag))
                     ).decryptor()
        dec.authenticate_additional_data(aad)
        return dec.update(ct) + dec.finalize()


class _CbcEngine:
    """AES-CBC with an explicit IV (RFC 3602) and a truncated HMAC ICV (RFC 4868, RFC 2404)."""

    __slots__ = ("_aes", "_hash", "_ikey", "align", "esn", "has_icv", "icv_len", "iv_len", "overhead",
                 "seq_max", "spi", "start")
    aead = False
    fast = False

    def __init__(self, sa: SecurityAssociation) -> None:
        alg = sa.encryption
        assert alg is not None
        _snapshot(self, sa)
        self._aes = algorithms.AES(sa.enc_key)
        self.iv_len = alg.iv_bytes
        self.align = alg.esp_pad_align
        integ = sa.integrity
        self._ikey = sa.integ_key
        self._hash = integ.hash_name if integ is not None else ""
        self.icv_len = integ.icv_bytes if integ is not None else 0
        _sizes(self)

    def icv(self, header: bytes, iv: bytes, ct: bytes, seq_high: bytes) -> bytes:
        """Truncated HMAC over SPI .. Next Header, then the unsent ESN high bits (RFC 4303 §2.8)."""
        # The same as vpnlearn.crypto.prf.integrity_icv (tests check it), minus its per-call checks:
        # this runs for every packet and the SA checked the key length once. One join: one copy.
        if not self.icv_len:
            return b""
        return hmac.digest(self._ikey, b"".join((header, iv, ct, seq_high)), self._hash)[:self.icv_len]

    def seal(self, aad: bytes, iv: bytes, plaintext: bytes, seq_high: bytes) -> bytes:
        enc = Cipher(self._aes, modes.CBC(iv)).encryptor()
        ct = enc.update(plaintext) + enc.finalize()
        return ct + self.icv(aad, iv, ct, seq_high)

    def open(self, aad: bytes, iv: bytes, body: bytes, seq_high: bytes) -> bytes:
        if self.icv_len:
            ct, icv = body[:-self.icv_len], body[-self.icv_len:]
            if not hmac.compare_digest(self.icv(aad, iv, ct, seq_high), icv):
                raise InvalidTag
        else:
            ct = body
        dec = Cipher(self._aes, modes.CBC(iv)).decryptor()
        return dec.update(ct) + dec.finalize()


def _snapshot(eng: _AeadEngine | _CbcEngine, sa: SecurityAssociation) -> None:
    """Copy the SA's fixed parameters into its engine, so the per-packet path reads one object.

    Like the keys, they are fixed when the SA is made (the constructor validated them); only the
    counters, the sequence number and the replay window change per packet, and those stay on the SA.
    """
    eng.spi = sa.spi
    eng.esn = sa.esn
    eng.seq_max = sa.seq_max


def _sizes(eng: _AeadEngine | _CbcEngine) -> None:
    """Byte counts the per-packet path needs, from the IV and ICV lengths."""
    eng.start = 8 + eng.iv_len                       # where the encrypted part starts
    eng.overhead = eng.start + eng.icv_len           # header + IV + ICV
    eng.has_icv = eng.icv_len > 0


def _engine(sa: SecurityAssociation) -> _AeadEngine | _CbcEngine:
    eng = sa._crypto
    if eng is None:
        if sa.protocol is not Protocol.ESP or sa.encryption is None:
            raise ConfigError(f"SA 0x{sa.spi:08x} is an {sa.protocol.value.upper()} SA, not ESP")
        eng = _AeadEngine(sa) if sa.encryption.aead else _CbcEngine(sa)
        sa._crypto = eng
    return eng  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------------
# The ESP packet.

class ESPPacket(NamedTuple):
    """One ESP packet (SPI to ICV) and what is inside it (immutable).

    ``data`` is the bytes on the wire; ``seq`` the full sequence number (64-bit with ESN, of which
    the packet carries the low 32 bits); ``payload`` and ``next_header`` the protected data.
    (A named tuple: it is created for every packet, and this is the cheapest record Python has.)
    """

    data: bytes
    spi: int
    seq: int
    esn: bool
    iv: bytes
    payload: bytes
    pad_length: int
    next_header: int
    icv_len: int
    authenticated: bool = True

    @property
    def icv(self) -> bytes:
        """The Integrity Check Value at the end of the packet."""
        return self.data[len(self.data) - self.icv_len:] if self.icv_len else b""

    @property
    def ciphertext(self) -> bytes:
        """The encrypted part: Payload Data, Padding, Pad Length and Next Header."""
        start = 8 + len(self.iv)
        return self.data[start:len(self.data) - self.icv_len]

    def spans(self, offset: int = 0) -> list[Span]:
        """Every field as a span: what is encrypted and what the ICV authenticates."""
        auth = self.authenticated
        o = offset
        ivn = len(self.iv)
        out = ESP_HEADER.spans(o, layer="ESP", authenticated=auth,
                               values={"SPI": self.spi, "Sequence Number": self.seq & _LOW})
        pos = o + 8
        if ivn:
            out.append(Span(pos, pos + ivn, "IV", "ESP",
                            "Initialization Vector, sent in clear; for AES-GCM and ChaCha20-Poly1305 the "
                            "nonce is salt || IV, so changing it breaks the ICV; for AES-CBC the ICV "
                            "covers it", "RFC 3602 §3 / RFC 4106 §3.1 / RFC 7634 §2", False, auth, self.iv))
            pos += ivn
        n = len(self.payload)
        out.append(Span(pos, pos + n, "Payload Data", "ESP",
                        "the protected data: an IPv4 packet (tunnel mode) or the original payload "
                        "(transport mode)", "RFC 4303 §2.3", True, auth, self.next_header))
        pos += n
        if self.pad_length:
            out.append(Span(pos, pos + self.pad_length, "Padding", "ESP",
                            "bytes 1, 2, 3, ... to reach the cipher's block size and 4-byte alignment",
                            "RFC 4303 §2.4", True, auth, self.pad_length))
            pos += self.pad_length
        out += ESP_TRAILER.spans(pos, layer="ESP", encrypted=True, authenticated=auth,
                                 values={"Pad Length": self.pad_length, "Next Header": self.next_header})
        pos += 2
        if self.icv_len:
            out.append(Span(pos, pos + self.icv_len, "ICV", "ESP",
                            "Integrity Check Value: the AEAD tag or truncated HMAC over the fields before it",
                            "RFC 4303 §2.8", False, False, None))
        return out


_new_packet = tuple.__new__     # builds an ESPPacket from a tuple of its fields, in field order
_OUTBOUND, _INBOUND = Direction.OUTBOUND, Direction.INBOUND

# Padding (RFC 4303 §2.4) is 1, 2, 3, ...; the ESP trailer is the padding, then Pad Length, then
# Next Header. Both tables are built once so the per-packet path only indexes them.
_PADDING = tuple(bytes(range(1, n + 1)) for n in range(_MAX_PAD + 1))
_PAD_AND_LENGTH = tuple(p + bytes((len(p),)) for p in _PADDING)     # Padding || Pad Length
_BYTE = tuple(bytes((b,)) for b in range(256))                       # Next Header


def _aad(header: bytes, seq_high: bytes) -> bytes:
    """AEAD additional data: SPI || Sequence Number, or SPI || high 32 || low 32 bits with ESN
    (RFC 4106 §5, RFC 7634 §2.1)."""
    return header[:4] + seq_high + header[4:]


def seal(
    sa: SecurityAssociation,
    payload: bytes,
    next_header: int,
    *,
    now: float | None = None,
    iv: bytes | None = None,
    seq: int | None = None,
    extra_padding: int = 0,
    rng: RandomSource | None = None,
) -> ESPPacket:
    """Encrypt and authenticate ``payload`` into one ESP packet with the outbound SA ``sa``.

    ``next_header`` says what the payload is (4 for an IPv4 packet). The sequence number is the
    SA's next one unless ``seq`` is given (for reproducing published examples). ``extra_padding``
    adds that many more padding bytes (a multiple of the alignment) to hide the payload length.
    Raises :class:`~vpnlearn.errors.LifetimeExpired` once a hard lifetime is reached.
    """
    # This runs for every packet: it reads the SA's fixed parameters from its engine (built once,
    # see _engine) and keeps the work around the cipher call to a few operations.
    eng = sa._crypto or _engine(sa)
    if sa.direction is not _OUTBOUND:
        raise ConfigError(f"SA 0x{sa.spi:08x} is inbound: seal with the outbound SA (sa.peer() of it)")
    if now is not None or sa._expired is not None:
        sa.check_usable(now)
    if not 0 <= next_header <= 255:
        raise ConfigError(f"Next Header {next_header} does not fit in one byte (RFC 4303 §2.6)")
    if seq is None:                       # sa.next_seq(), inlined
        seq = sa.seq + 1
        if seq > eng.seq_max:
            sa.next_seq()                     # raises LifetimeExpired with the explanation
        sa.seq = seq
    elif not 1 <= seq <= eng.seq_max:
        raise ConfigError(f"sequence number {seq} is outside 1..{eng.seq_max}")
    align = eng.align
    plen = len(payload)
    pad_len = (-2 - plen) % align             # < align <= 16: always fits the 1-byte Pad Length
    if extra_padding:
        if extra_padding < 0 or extra_padding % align:
            raise ConfigError(f"extra_padding {extra_padding} must be a non-negative multiple of {align}")
        pad_len += extra_padding
        if pad_len > _MAX_PAD:
            raise ConfigError(f"{pad_len} padding bytes do not fit the 1-byte Pad Length (RFC 4303 §2.5)")
    header = _HDR.pack(eng.spi, seq & _LOW)
    if iv is None:
        iv = (seq.to_bytes(8, "big") if eng.aead
              else resolve(rng if rng is not None else sa.rng).random_bytes(eng.iv_len))
    elif len(iv) != eng.iv_len:
        raise ConfigError(f"IV must be {eng.iv_len} bytes for {sa.suite_name}, not {len(iv)}")
    plaintext = b"".join((payload, _PAD_AND_LENGTH[pad_len], _BYTE[next_header]))
    if eng.fast:          # AEAD, full tag, no ESN: the AAD is the header, one call does it all
        body = eng.encrypt(eng.salt + iv, plaintext, header)
    else:
        seq_high = _HIGH.pack(seq >> 32) if eng.esn else b""
        if eng.aead:
            body = eng.seal(_aad(header, seq_high) if seq_high else header, iv, plaintext, b"")
        else:
            body = eng.seal(header, iv, plaintext, seq_high)
    if sa._count_only:    # sa.record(), inlined when there is no packet or byte lifetime to check
        counters = sa.counters
        counters.packets += 1
        counters.bytes += plen
    else:
        sa.record(plen)
    return _new_packet(ESPPacket, (b"".join((header, iv, body)), eng.spi, seq, eng.esn, iv, payload,
                                   pad_len, next_header, eng.icv_len, eng.has_icv))


def open(  # esp.open(sa, data): shadows the builtin inside this module only, on purpose
    sa: SecurityAssociation,
    data: bytes,
    *,
    now: float | None = None,
    offset: int = 0,
) -> ESPPacket:
    """Check, authenticate and decrypt one ESP packet (SPI to ICV) with the inbound SA ``sa``.

    The order is RFC 4303 §3.4: SPI, sequence number against the replay window (no state change),
    ICV, decryption, padding; only then the replay window moves and the counters count. Errors:
    :class:`ParseError` (short or malformed, naming field and byte offset; ``offset`` is where the
    ESP packet starts in the enclosing packet), :class:`ReplayError`, :class:`AuthenticationError`
    (never contains plaintext) and :class:`LifetimeExpired`.
    """
    # The per-packet path, kept lean as in seal(); the error branches below are the slow ones.
    eng = sa._crypto or _engine(sa)
    if sa.direction is not _INBOUND:
        raise ConfigError(f"SA 0x{sa.spi:08x} is outbound: open with the inbound SA (sa.peer() of it)")
    if now is not None or sa._expired is not None:
        sa.check_usable(now)
    if type(data) is not bytes:
        data = bytes(data)
    n = len(data)
    counters = sa.counters
    if n < 8:
        counters.parse_errors += 1
        field = "SPI" if n < 4 else "Sequence Number"
        raise ParseError(f"truncated: an ESP header needs 8 bytes, have {n}", what="ESP header",
                         field=field, offset=offset + (0 if n < 4 else 4))
    spi, seq_low = _HDR.unpack_from(data)
    if spi != eng.spi:
        counters.parse_errors += 1
        raise ParseError(f"SPI 0x{spi:08x} does not belong to this SA (0x{eng.spi:08x})",
                         what="ESP header", field="SPI", offset=offset)
    body_len = n - eng.overhead            # the encrypted part: n - (header, IV and ICV)
    if body_len < 2 or body_len % eng.align:
        counters.parse_errors += 1
        ivn, icvn = eng.iv_len, eng.icv_len
        if body_len < 0:
            field, where = ("IV", 8) if n < 8 + ivn else ("ICV", n)
            raise ParseError(f"truncated: {n} bytes cannot hold the {ivn}-byte IV and {icvn}-byte ICV of "
                             f"{sa.suite_name}", what="ESP packet", field=field, offset=offset + where)
        raise ParseError(f"the encrypted part is {body_len} bytes: it must hold Pad Length and Next "
                         f"Header and be a multiple of {eng.align} (RFC 4303 §2.4)",
                         what="ESP packet", field="Payload Data", offset=offset + 8 + ivn)
    # 1. Sequence number against the replay window, before the ICV; nothing changes yet.
    replay = sa.replay
    esn = eng.esn
    seq = replay.infer(seq_low) if esn else seq_low
    top = replay.top
    if seq <= top or seq <= 0:            # right of the window is always new: no check needed
        try:
            replay.check(seq)
        except ReplayError as exc:
            counters.replay_drops += 1
            raise ReplayError(f"{exc} [byte offset {offset + 4}]") from None
    # 2. ICV and decryption.
    start = eng.start
    iv = data[8:start]
    try:
        if eng.fast:      # AEAD, full tag, no ESN: the AAD is the header, one call checks and decrypts
            plaintext = eng.decrypt(eng.salt + iv, data[start:], data[:8])
        else:
            header = data[:8]
            seq_high = _HIGH.pack(seq >> 32) if esn else b""
            if eng.aead:
                plaintext = eng.open(_aad(header, seq_high) if esn else header, iv, data[start:], b"")
            else:
                plaintext = eng.open(header, iv, data[start:], seq_high)
    except InvalidTag:
        counters.auth_failures += 1
        raise AuthenticationError(
            f"ESP packet for SA 0x{spi:08x}, sequence number {seq}: the ICV did not verify "
            f"({sa.suite_name}); packet dropped, replay window unchanged (RFC 4303 §3.4.4)") from None
    # 3. The trailer: Pad Length, Next Header, and the padding itself (RFC 4303 §2.4).
    pad_len = plaintext[-2]
    next_header = plaintext[-1]
    plen = body_len - 2 - pad_len
    if plen < 0:
        counters.parse_errors += 1
        raise ParseError(f"Pad Length {pad_len} is more than the {body_len - 2} bytes before it",
                         what="ESP trailer", field="Pad Length", offset=offset + start + body_len - 2)
    if pad_len and plaintext[plen:plen + pad_len] != _PADDING[pad_len]:
        counters.parse_errors += 1
        padding = plaintext[plen:plen + pad_len]
        bad = next(i for i in range(pad_len) if padding[i] != i + 1)
        raise ParseError(f"padding byte {bad + 1} of {pad_len} is not {bad + 1}: RFC 4303 §2.4 padding is "
                         "1, 2, 3, ...", what="ESP trailer", field="Padding",
                         offset=offset + start + plen + bad)
    # 4. Only now: the window moves and the packet counts.
    if seq == top + 1 and seq & 63:
        # The next packet in order, in the same 64-bit word of the window as the last one: what
        # replay._accept(seq) does then, inlined because it happens for nearly every packet.
        replay.top = seq
        replay._words[(seq >> 6) % replay._nwords] |= 1 << (seq & 63)
    else:
        replay._accept(seq)
    if sa._count_only:    # sa.record(), inlined when there is no packet or byte lifetime to check
        counters.packets += 1
        counters.bytes += plen
    else:
        sa.record(plen)
    return _new_packet(ESPPacket, (data, spi, seq, esn, iv, plaintext[:plen], pad_len, next_header,
                                   eng.icv_len, eng.has_icv))


open_esp = open
"""Alias of :func:`open` for code that does ``from vpnlearn.ipsec.esp import *``."""


# --------------------------------------------------------------------------------------------------
# Whole IPv4 packets: tunnel and transport mode, optionally inside UDP (NAT-T).

@dataclass
class ProtectedPacket:
    """An outer IPv4 packet carrying ESP (maybe inside UDP), and the inner packet it protects."""

    data: bytes                 # the outer packet on the wire
    outer: IPv4
    esp: ESPPacket
    esp_offset: int             # where ESP starts in ``data``
    udp: bool                   # UDP-encapsulated (NAT-T)?
    inner: IPv4 | None          # None for a dummy packet (Next Header 59)

    @property
    def inner_bytes(self) -> bytes:
        """The protected packet (tunnel mode) or the reconstructed original packet (transport)."""
        return self.inner.build() if self.inner is not None else b""

    def spans(self) -> list[Span]:
        """Outer IPv4 header, UDP header (NAT-T) and every ESP field, in order."""
        out = [s for s in self.outer.spans(layer="outer IPv4") if not s.label.startswith("Payload")]
        if self.udp:
            hl = self.outer.header_length
            out += UDP_HEADER.spans(hl, layer="UDP (NAT-T)", values=UDP_HEADER.unpack(self.data, hl))
        out += self.esp.spans(self.esp_offset)
        return out


def protect_packet(
    sa: SecurityAssociation,
    packet: bytes | IPv4,
    *,
    now: float | None = None,
    rng: RandomSource | None = None,
) -> ProtectedPacket:
    """Protect one IPv4 packet with the outbound ESP SA ``sa`` (tunnel or transport mode, NAT-T)."""
    if sa.direction is not Direction.OUTBOUND:
        raise ConfigError(f"SA 0x{sa.spi:08x} is inbound: use an outbound SA to protect packets")
    inner = packet if isinstance(packet, IPv4) else IPv4.parse(bytes(packet))
    if sa.mode is Mode.TUNNEL:
        # RFC 4301 §5.1.2.1: the outer header copies DSCP and ECN (RFC 6040 normal mode) from the inner.
        # DF is clear (what AWS recommends for the tunnel) and the Identification changes with every
        # packet (the low 16 bits of the sequence number), so fragments of different packets never mix.
        esp = seal(sa, inner.build(), PROTO_IPV4, now=now, rng=rng)
        template = IPv4(sa.tunnel_src or "", sa.tunnel_dst or "", PROTO_ESP, dscp=inner.dscp, ecn=inner.ecn,
                        identification=esp.seq & 0xFFFF)
    else:
        if inner.protocol == PROTO_NONE:
            raise ConfigError("transport mode cannot carry an IP packet with protocol 59: in ESP, Next "
                              "Header 59 marks a dummy packet the receiver discards (RFC 4303 §2.6)")
        esp = seal(sa, inner.payload, inner.protocol, now=now, rng=rng)
        template = replace(inner, protocol=PROTO_ESP, payload=b"")
    if sa.udp_encap is not None:
        outer = replace(template, protocol=PROTO_UDP, payload=natt.encapsulate(esp.data, sa.udp_encap))
        offset = outer.header_length + UDP_HEADER.size
    else:
        outer = replace(template, payload=esp.data)
        offset = outer.header_length
    return ProtectedPacket(outer.build(), outer, esp, offset, sa.udp_encap is not None, inner)


def protect(sa: SecurityAssociation, packet: bytes | IPv4, *, now: float | None = None,
            rng: RandomSource | None = None) -> bytes:
    """The outer packet bytes for ``packet`` protected with ``sa`` (see :func:`protect_packet`)."""
    return protect_packet(sa, packet, now=now, rng=rng).data


def unprotect_packet(sa: SecurityAssociation, data: bytes, *, now: float | None = None) -> ProtectedPacket:
    """Open an outer IPv4 packet carrying ESP (or ESP in UDP) with the inbound SA ``sa``."""
    if sa.direction is not Direction.INBOUND:
        raise ConfigError(f"SA 0x{sa.spi:08x} is outbound: use an inbound SA to unprotect packets")
    outer = IPv4.parse(bytes(data))
    hl = outer.header_length
    udp = False
    if outer.protocol == PROTO_UDP:
        body = outer.payload
        if len(body) < UDP_HEADER.size:
            raise ParseError(f"truncated: {len(body)} bytes, a UDP header needs 8", what="UDP header",
                             field="Length", offset=hl)
        kind = natt.classify(body[8:], offset=hl + 8)
        if kind != natt.KIND_ESP:
            what = "an IKE message (non-ESP marker)" if kind == natt.KIND_IKE else "a NAT-keepalive"
            raise ParseError(f"this UDP datagram carries {what}, not ESP (RFC 3948 §2.2)",
                             what="UDP-encapsulated payload",
                             field="SPI / non-ESP marker", offset=hl + 8)
        esp_bytes = body[8:]
        offset = hl + 8
        udp = True
    elif outer.protocol == PROTO_ESP:
        esp_bytes = outer.payload
        offset = hl
    else:
        raise ParseError(f"protocol {outer.protocol} is not ESP (50) or UDP-encapsulated ESP (17)",
                         what="IPv4 header", field="Protocol", offset=9)
    esp = open(sa, esp_bytes, now=now, offset=offset)
    inner: IPv4 | None
    if esp.next_header == PROTO_NONE:
        inner = None          # a dummy packet (RFC 4303 §2.6): discard
    elif sa.mode is Mode.TUNNEL:
        if esp.next_header != PROTO_IPV4:
            raise ParseError(f"Next Header is {esp.next_header}; a tunnel-mode SA carries IPv4 packets (4)",
                             what="ESP trailer", field="Next Header",
                             offset=offset + len(esp.data) - esp.icv_len - 1)
        try:
            inner = IPv4.parse(esp.payload)
        except ParseError as exc:
            raise ParseError(f"the decrypted inner packet does not parse: {exc}", what="inner IPv4 packet",
                             field=exc.field, offset=offset + 8 + len(esp.iv) + (exc.offset or 0)) from None
    else:
        inner = replace(outer, protocol=esp.next_header, payload=esp.payload)
    return ProtectedPacket(bytes(data), outer, esp, offset, udp, inner)


def unprotect(sa: SecurityAssociation, data: bytes, *, now: float | None = None) -> bytes:
    """The inner packet (tunnel) or reconstructed original packet (transport); b"" for a dummy packet."""
    return unprotect_packet(sa, data, now=now).inner_bytes
