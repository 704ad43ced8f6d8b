"""Every IKEv2 payload of RFC 7296 §3, declared once for encoding, decoding and annotated views.

Each payload class names its type number (``TYPE``), its fixed fields after the 4-byte generic
payload header (``FIXED``, a :class:`vpnlearn.wire.Header`) and what its variable part holds
(``VARIABLE``). ``body()`` encodes the payload's body, ``parse(reader)`` decodes it; both read the same
``FIXED`` declaration, so they stay symmetric. Decoding is strict: every length is checked and a
problem raises :class:`~vpnlearn.errors.ParseError` naming the payload, the field and the byte offset.

Payloads we do not know are kept as :class:`UnknownPayload` (with their critical bit, §2.5), so the
peer can skip them or answer UNSUPPORTED_CRITICAL_PAYLOAD.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from typing import ClassVar

from vpnlearn.errors import ConfigError, ParseError
from vpnlearn.wire import Field, Header, Reader

RFC = "RFC 7296"

# Payload types, RFC 7296 §3.2.
PT_NONE, PT_SA, PT_KE, PT_IDI, PT_IDR, PT_CERT, PT_CERTREQ, PT_AUTH = 0, 33, 34, 35, 36, 37, 38, 39
PT_NONCE, PT_N, PT_D, PT_V, PT_TSI, PT_TSR, PT_SK, PT_CP, PT_EAP = 40, 41, 42, 43, 44, 45, 46, 47, 48
PAYLOAD_NAMES = {
    PT_SA: "SA",
    PT_KE: "KE",
    PT_IDI: "IDi",
    PT_IDR: "IDr",
    PT_CERT: "CERT",
    PT_CERTREQ: "CERTREQ",
    PT_AUTH: "AUTH",
    PT_NONCE: "Nonce",
    PT_N: "N",
    PT_D: "D",
    PT_V: "V",
    PT_TSI: "TSi",
    PT_TSR: "TSr",
    PT_SK: "SK",
    PT_CP: "CP",
    PT_EAP: "EAP",
}

# Protocol IDs (§3.3.1).
PROTO_IKE, PROTO_AH, PROTO_ESP = 1, 2, 3
# ID types (§3.5).
ID_IPV4_ADDR, ID_FQDN, ID_RFC822_ADDR, ID_IPV6_ADDR, ID_DER_ASN1_DN, ID_KEY_ID = 1, 2, 3, 5, 9, 11
ID_TYPE_NAMES = {
    1: "ID_IPV4_ADDR",
    2: "ID_FQDN",
    3: "ID_RFC822_ADDR",
    5: "ID_IPV6_ADDR",
    9: "ID_DER_ASN1_DN",
    10: "ID_DER_ASN1_GN",
    11: "ID_KEY_ID",
}
# Certificate encodings (§3.6).
CERT_X509_SIGNATURE = 4
# Authentication methods (§3.8, RFC 7427 §3).
AUTH_RSA_SIG, AUTH_SHARED_KEY_MIC, AUTH_DSS, AUTH_DIGITAL_SIGNATURE = 1, 2, 3, 14
AUTH_METHOD_NAMES = {
    1: "RSA Digital Signature",
    2: "Shared Key Message Integrity Code",
    3: "DSS Digital Signature",
    14: "Digital Signature (RFC 7427)",
}
# Traffic selector types (§3.13.1).
TS_IPV4_ADDR_RANGE, TS_IPV6_ADDR_RANGE = 7, 8

# Notify message types (§3.10.1), errors below 16384 and status types from 16384.
NOTIFY_TYPES = {
    1: "UNSUPPORTED_CRITICAL_PAYLOAD",
    4: "INVALID_IKE_SPI",
    5: "INVALID_MAJOR_VERSION",
    7: "INVALID_SYNTAX",
    9: "INVALID_MESSAGE_ID",
    11: "INVALID_SPI",
    14: "NO_PROPOSAL_CHOSEN",
    17: "INVALID_KE_PAYLOAD",
    24: "AUTHENTICATION_FAILED",
    34: "SINGLE_PAIR_REQUIRED",
    35: "NO_ADDITIONAL_SAS",
    36: "INTERNAL_ADDRESS_FAILURE",
    37: "FAILED_CP_REQUIRED",
    38: "TS_UNACCEPTABLE",
    39: "INVALID_SELECTORS",
    43: "TEMPORARY_FAILURE",
    44: "CHILD_SA_NOT_FOUND",
    16384: "INITIAL_CONTACT",
    16385: "SET_WINDOW_SIZE",
    16386: "ADDITIONAL_TS_POSSIBLE",
    16387: "IPCOMP_SUPPORTED",
    16388: "NAT_DETECTION_SOURCE_IP",
    16389: "NAT_DETECTION_DESTINATION_IP",
    16390: "COOKIE",
    16391: "USE_TRANSPORT_MODE",
    16392: "HTTP_CERT_LOOKUP_SUPPORTED",
    16393: "REKEY_SA",
    16394: "ESP_TFC_PADDING_NOT_SUPPORTED",
    16395: "NON_FIRST_FRAGMENTS_ALSO",
    16430: "IKEV2_FRAGMENTATION_SUPPORTED",
    16431: "SIGNATURE_HASH_ALGORITHMS",
}
NOTIFY = {v: k for k, v in NOTIFY_TYPES.items()}


def notify_name(code: int) -> str:
    """The RFC name of a notify type (``"NO_PROPOSAL_CHOSEN"``), or ``"NOTIFY_<n>"``."""
    return NOTIFY_TYPES.get(code, f"NOTIFY_{code}")


GENERIC_HEADER = Header(
    "Generic Payload Header",
    (
        Field("Next Payload", 8, "type of the next payload in the chain (0 = none)", "RFC 7296 §3.2"),
        Field(
            "C",
            1,
            "Critical: reject the whole message if this payload type is not understood",
            "RFC 7296 §3.2",
        ),
        Field("RESERVED", 7, "sent as zero, ignored on receipt", "RFC 7296 §3.2"),
        Field("Payload Length", 16, "length of this payload including the generic header", "RFC 7296 §3.2"),
    ),
    RFC,
)


class Payload:
    """Base class: a payload knows its type, its fixed fields and how to encode/decode its body."""

    TYPE: ClassVar[int] = 0
    FIXED: ClassVar[Header | None] = None
    VARIABLE: ClassVar[str] = ""
    SECTION: ClassVar[str] = ""

    @property
    def name(self) -> str:
        return PAYLOAD_NAMES.get(self.TYPE, f"payload {self.TYPE}")

    def body(self) -> bytes:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @classmethod
    def parse(cls, r: Reader) -> Payload:  # pragma: no cover
        raise NotImplementedError


def _fixed(header: Header, **values: int | bytes) -> bytes:
    return header.pack(values)


# --- SA payload (§3.3) -----------------------------------------------------------------------------

PROPOSAL_HEADER = Header(
    "Proposal Substructure",
    (
        Field("Last Substruc", 8, "0 if this is the last Proposal, 2 if more follow", "RFC 7296 §3.3.1"),
        Field("RESERVED", 8, "zero", "RFC 7296 §3.3.1"),
        Field("Proposal Length", 16, "length of this proposal including its transforms", "RFC 7296 §3.3.1"),
        Field("Proposal Num", 8, "1 for the first proposal, then +1 each", "RFC 7296 §3.3.1"),
        Field("Protocol ID", 8, "1 IKE, 2 AH, 3 ESP", "RFC 7296 §3.3.1"),
        Field("SPI Size", 8, "0 in IKE_SA_INIT, 8 for IKE rekey, 4 for ESP/AH", "RFC 7296 §3.3.1"),
        Field("Num Transforms", 8, "number of transforms in this proposal", "RFC 7296 §3.3.1"),
    ),
    RFC,
)
TRANSFORM_HEADER = Header(
    "Transform Substructure",
    (
        Field("Last Substruc", 8, "0 if this is the last Transform, 3 if more follow", "RFC 7296 §3.3.2"),
        Field("RESERVED", 8, "zero", "RFC 7296 §3.3.2"),
        Field("Transform Length", 16, "length of the transform including attributes", "RFC 7296 §3.3.2"),
        Field("Transform Type", 8, "1 ENCR, 2 PRF, 3 INTEG, 4 DH, 5 ESN", "RFC 7296 §3.3.2"),
        Field("RESERVED2", 8, "zero", "RFC 7296 §3.3.2"),
        Field("Transform ID", 16, "the algorithm (IANA IKEv2 registry)", "RFC 7296 §3.3.2"),
    ),
    RFC,
)


@dataclass(frozen=True)
class Transform:
    """One algorithm of a proposal. ``key_length`` is the Key Length attribute (type 14) in bits."""

    type: int
    id: int
    key_length: int | None = None
    other_attributes: tuple[tuple[int, bytes], ...] = ()

    def encode(self, last: bool) -> bytes:
        attrs = b""
        if self.key_length is not None:
            attrs += (0x8000 | 14).to_bytes(2, "big") + self.key_length.to_bytes(2, "big")
        for atype, value in self.other_attributes:
            attrs += atype.to_bytes(2, "big") + len(value).to_bytes(2, "big") + value
        return (
            TRANSFORM_HEADER.pack(
                {
                    "Last Substruc": 0 if last else 3,
                    "RESERVED": 0,
                    "Transform Length": 8 + len(attrs),
                    "Transform Type": self.type,
                    "RESERVED2": 0,
                    "Transform ID": self.id,
                }
            )
            + attrs
        )

    @classmethod
    def decode(cls, r: Reader) -> tuple[Transform, bool]:
        start = r.pos
        h = r.header(TRANSFORM_HEADER)
        if h["Last Substruc"] not in (0, 3):
            raise r.fail(f"must be 0 or 3, is {h['Last Substruc']}", "Last Substruc", start)
        length = h["Transform Length"]
        if length < 8 or start + length > r.end:
            raise r.fail(f"{length} does not fit (8..{r.end - start})", "Transform Length", start + 2)
        end = start + length
        key_length, others = None, []
        while r.pos < end:
            apos = r.pos
            if end - r.pos < 4:
                raise r.fail("truncated transform attribute", "Attribute Type", apos)
            atype = r.u16("Attribute Type")
            if atype & 0x8000:  # TV format: 2-byte value
                value = r.bytes(2, "Attribute Value")
            else:
                alen = r.u16("Attribute Length")
                if r.pos + alen > end:
                    raise r.fail(
                        f"attribute of {alen} bytes overruns the transform", "Attribute Length", apos + 2
                    )
                value = r.bytes(alen, "Attribute Value")
            if atype & 0x7FFF == 14:
                if not atype & 0x8000 or key_length is not None:
                    raise r.fail("Key Length must be one TV attribute", "Attribute Type", apos)
                key_length = int.from_bytes(value, "big")
            else:
                others.append((atype, value))
        if r.pos != end:
            raise r.fail("attributes overrun the transform", "Transform Length", start + 2)
        return cls(h["Transform Type"], h["Transform ID"], key_length, tuple(others)), h["Last Substruc"] == 0


@dataclass(frozen=True)
class Proposal:
    """A Proposal Substructure: a protocol (IKE/ESP), an SPI, and transforms (§3.3.1)."""

    number: int
    protocol: int
    spi: bytes = b""
    transforms: tuple[Transform, ...] = ()

    def encode(self, last: bool) -> bytes:
        body = b"".join(t.encode(i == len(self.transforms) - 1) for i, t in enumerate(self.transforms))
        return (
            PROPOSAL_HEADER.pack(
                {
                    "Last Substruc": 0 if last else 2,
                    "RESERVED": 0,
                    "Proposal Length": 8 + len(self.spi) + len(body),
                    "Proposal Num": self.number,
                    "Protocol ID": self.protocol,
                    "SPI Size": len(self.spi),
                    "Num Transforms": len(self.transforms),
                }
            )
            + self.spi
            + body
        )

    @classmethod
    def decode(cls, r: Reader) -> tuple[Proposal, bool]:
        start = r.pos
        h = r.header(PROPOSAL_HEADER)
        if h["Last Substruc"] not in (0, 2):
            raise r.fail(f"must be 0 or 2, is {h['Last Substruc']}", "Last Substruc", start)
        length = h["Proposal Length"]
        if length < 8 or start + length > r.end:
            raise r.fail(f"{length} does not fit (8..{r.end - start})", "Proposal Length", start + 2)
        sub = Reader(r.data, "Proposal Substructure", r.pos, start + length)
        spi = sub.bytes(h["SPI Size"], "SPI")
        transforms = []
        last = h["Num Transforms"] == 0
        while not last:
            if sub.remaining == 0:
                raise sub.fail(
                    f"says {h['Num Transforms']} transforms, found {len(transforms)}",
                    "Num Transforms",
                    start + 7,
                )
            t, last = Transform.decode(sub)
            transforms.append(t)
        if len(transforms) != h["Num Transforms"]:
            raise sub.fail(
                f"says {h['Num Transforms']} transforms, found {len(transforms)}", "Num Transforms", start + 7
            )
        if sub.remaining:
            raise sub.fail(f"{sub.remaining} bytes after the last transform", "Proposal Length", start + 2)
        r.pos = start + length
        return cls(h["Proposal Num"], h["Protocol ID"], spi, tuple(transforms)), h["Last Substruc"] == 0


@dataclass(frozen=True)
class SA(Payload):
    """Security Association payload (§3.3): one or more proposals."""

    proposals: tuple[Proposal, ...]
    TYPE: ClassVar[int] = PT_SA
    VARIABLE: ClassVar[str] = "Proposals"
    SECTION: ClassVar[str] = "RFC 7296 §3.3"

    def body(self) -> bytes:
        if not self.proposals:
            raise ConfigError("an SA payload needs at least one proposal")
        return b"".join(p.encode(i == len(self.proposals) - 1) for i, p in enumerate(self.proposals))

    @classmethod
    def parse(cls, r: Reader) -> SA:
        proposals, last = [], False
        while not last:
            if r.remaining == 0:
                raise r.fail("no proposal, or the last one is not marked last", "Last Substruc")
            p, last = Proposal.decode(r)
            proposals.append(p)
        if r.remaining:
            raise r.fail(f"{r.remaining} bytes after the last proposal", "Payload Length")
        return cls(tuple(proposals))


# --- simple payloads -------------------------------------------------------------------------------

KE_FIXED = Header(
    "KE payload",
    (
        Field("Diffie-Hellman Group Num", 16, "the DH group of the Key Exchange Data", "RFC 7296 §3.4"),
        Field("RESERVED", 16, "zero", "RFC 7296 §3.4"),
    ),
    RFC,
)


@dataclass(frozen=True)
class KE(Payload):
    """Key Exchange payload (§3.4): our Diffie-Hellman public value g^i or g^r."""

    group: int
    data: bytes
    TYPE: ClassVar[int] = PT_KE
    FIXED: ClassVar[Header] = KE_FIXED
    VARIABLE: ClassVar[str] = "Key Exchange Data"
    SECTION: ClassVar[str] = "RFC 7296 §3.4"

    def body(self) -> bytes:
        return _fixed(KE_FIXED, **{"Diffie-Hellman Group Num": self.group, "RESERVED": 0}) + self.data

    @classmethod
    def parse(cls, r: Reader) -> KE:
        h = r.header(KE_FIXED)
        if r.remaining == 0:
            raise r.fail("empty Key Exchange Data", "Key Exchange Data")
        return cls(h["Diffie-Hellman Group Num"], r.rest("Key Exchange Data"))


ID_FIXED = Header(
    "Identification payload",
    (
        Field("ID Type", 8, "1 IPv4, 2 FQDN, 3 RFC822, 5 IPv6, 9 DER_ASN1_DN, 11 KEY_ID", "RFC 7296 §3.5"),
        Field("RESERVED", 24, "zero (but part of the signed ID octets)", "RFC 7296 §3.5"),
    ),
    RFC,
)


@dataclass(frozen=True)
class ID(Payload):
    """Identification payload IDi (initiator, type 35) or IDr (responder, type 36), §3.5."""

    id_type: int
    data: bytes
    initiator: bool = True
    FIXED: ClassVar[Header] = ID_FIXED
    VARIABLE: ClassVar[str] = "Identification Data"
    SECTION: ClassVar[str] = "RFC 7296 §3.5"

    @property
    def TYPE(self) -> int:  # type: ignore[override]
        return PT_IDI if self.initiator else PT_IDR

    def body(self) -> bytes:
        return _fixed(ID_FIXED, **{"ID Type": self.id_type, "RESERVED": 0}) + self.data

    def signed_octets(self) -> bytes:
        """The ID payload body without the generic header (RestOfInitIDPayload, §2.15)."""
        return self.body()

    @classmethod
    def parse(cls, r: Reader) -> ID:
        h = r.header(ID_FIXED)
        data = r.rest("Identification Data")
        if h["ID Type"] == ID_IPV4_ADDR and len(data) != 4:
            raise r.fail(
                f"an ID_IPV4_ADDR is 4 bytes, not {len(data)}", "Identification Data", r.pos - len(data)
            )
        if h["ID Type"] == ID_IPV6_ADDR and len(data) != 16:
            raise r.fail(
                f"an ID_IPV6_ADDR is 16 bytes, not {len(data)}", "Identification Data", r.pos - len(data)
            )
        if not data:
            raise r.fail("empty Identification Data", "Identification Data")
        return cls(h["ID Type"], data)

    def text(self) -> str:
        """The identity as a learner would write it (``10.0.0.1``, ``vpn.example``, a DN)."""
        if self.id_type == ID_IPV4_ADDR:
            return str(ipaddress.IPv4Address(self.data))
        if self.id_type == ID_IPV6_ADDR:
            return str(ipaddress.IPv6Address(self.data))
        if self.id_type in (ID_FQDN, ID_RFC822_ADDR):
            return self.data.decode("ascii", "replace")
        if self.id_type == ID_DER_ASN1_DN:
            return "DN " + self.data.hex()  # compared as DER bytes against a certificate's subject
        return self.data.hex()


CERT_FIXED = Header(
    "Certificate payload",
    (Field("Cert Encoding", 8, "4 = X.509 Certificate - Signature", "RFC 7296 §3.6"),),
    RFC,
)


@dataclass(frozen=True)
class CERT(Payload):
    """Certificate payload (§3.6): here an X.509 certificate in DER (encoding 4)."""

    encoding: int
    data: bytes
    TYPE: ClassVar[int] = PT_CERT
    FIXED: ClassVar[Header] = CERT_FIXED
    VARIABLE: ClassVar[str] = "Certificate Data"
    SECTION: ClassVar[str] = "RFC 7296 §3.6"

    def body(self) -> bytes:
        return _fixed(CERT_FIXED, **{"Cert Encoding": self.encoding}) + self.data

    @classmethod
    def parse(cls, r: Reader) -> CERT:
        h = r.header(CERT_FIXED)
        return cls(h["Cert Encoding"], r.rest("Certificate Data"))


@dataclass(frozen=True)
class CERTREQ(Payload):
    """Certificate Request payload (§3.7): SHA-1 hashes of trusted CAs' SubjectPublicKeyInfo."""

    encoding: int
    data: bytes
    TYPE: ClassVar[int] = PT_CERTREQ
    FIXED: ClassVar[Header] = Header(
        "Certificate Request payload",
        (Field("Cert Encoding", 8, "4 = X.509 Certificate - Signature", "RFC 7296 §3.7"),),
        RFC,
    )
    VARIABLE: ClassVar[str] = "Certification Authority"
    SECTION: ClassVar[str] = "RFC 7296 §3.7"

    def body(self) -> bytes:
        return bytes([self.encoding]) + self.data

    @classmethod
    def parse(cls, r: Reader) -> CERTREQ:
        h = r.header(cls.FIXED)
        data = r.rest("Certification Authority")
        if h["Cert Encoding"] == CERT_X509_SIGNATURE and len(data) % 20:
            raise r.fail(
                f"{len(data)} bytes is not a list of 20-byte SHA-1 hashes",
                "Certification Authority",
                r.pos - len(data),
            )
        return cls(h["Cert Encoding"], data)


AUTH_FIXED = Header(
    "Authentication payload",
    (
        Field("Auth Method", 8, "1 RSA signature, 2 shared key MIC, 14 digital signature", "RFC 7296 §3.8"),
        Field("RESERVED", 24, "zero", "RFC 7296 §3.8"),
    ),
    RFC,
)


@dataclass(frozen=True)
class AUTH(Payload):
    """Authentication payload (§3.8)."""

    method: int
    data: bytes
    TYPE: ClassVar[int] = PT_AUTH
    FIXED: ClassVar[Header] = AUTH_FIXED
    VARIABLE: ClassVar[str] = "Authentication Data"
    SECTION: ClassVar[str] = "RFC 7296 §3.8"

    def body(self) -> bytes:
        return _fixed(AUTH_FIXED, **{"Auth Method": self.method, "RESERVED": 0}) + self.data

    @classmethod
    def parse(cls, r: Reader) -> AUTH:
        h = r.header(AUTH_FIXED)
        if r.remaining == 0:
            raise r.fail("empty Authentication Data", "Authentication Data")
        return cls(h["Auth Method"], r.rest("Authentication Data"))


@dataclass(frozen=True)
class Nonce(Payload):
    """Nonce payload Ni/Nr (§3.9): 16 to 256 random bytes."""

    data: bytes
    TYPE: ClassVar[int] = PT_NONCE
    VARIABLE: ClassVar[str] = "Nonce Data"
    SECTION: ClassVar[str] = "RFC 7296 §3.9"

    def body(self) -> bytes:
        return self.data

    @classmethod
    def parse(cls, r: Reader) -> Nonce:
        n = r.remaining
        if not 16 <= n <= 256:
            raise r.fail(f"a nonce is 16 to 256 bytes, this one is {n}", "Nonce Data")
        return cls(r.rest("Nonce Data"))


NOTIFY_FIXED = Header(
    "Notify payload",
    (
        Field("Protocol ID", 8, "0 or 1 for IKE SA notifies, 2 AH, 3 ESP", "RFC 7296 §3.10"),
        Field("SPI Size", 8, "0, or 4 for an ESP/AH SPI", "RFC 7296 §3.10"),
        Field("Notify Message Type", 16, "what is being notified (§3.10.1)", "RFC 7296 §3.10"),
    ),
    RFC,
)


@dataclass(frozen=True)
class Notify(Payload):
    """Notify payload (§3.10): an error (type < 16384) or status."""

    type: int
    data: bytes = b""
    protocol: int = 0
    spi: bytes = b""
    TYPE: ClassVar[int] = PT_N
    FIXED: ClassVar[Header] = NOTIFY_FIXED
    VARIABLE: ClassVar[str] = "SPI + Notification Data"
    SECTION: ClassVar[str] = "RFC 7296 §3.10"

    @property
    def type_name(self) -> str:
        return notify_name(self.type)

    @property
    def is_error(self) -> bool:
        return self.type < 16384

    def body(self) -> bytes:
        return (
            _fixed(
                NOTIFY_FIXED,
                **{"Protocol ID": self.protocol, "SPI Size": len(self.spi), "Notify Message Type": self.type},
            )
            + self.spi
            + self.data
        )

    @classmethod
    def parse(cls, r: Reader) -> Notify:
        h = r.header(NOTIFY_FIXED)
        spi = r.bytes(h["SPI Size"], "SPI")
        return cls(h["Notify Message Type"], r.rest("Notification Data"), h["Protocol ID"], spi)


DELETE_FIXED = Header(
    "Delete payload",
    (
        Field("Protocol ID", 8, "1 IKE SA, 2 AH, 3 ESP", "RFC 7296 §3.11"),
        Field("SPI Size", 8, "0 for IKE, 4 for AH/ESP", "RFC 7296 §3.11"),
        Field("Num of SPIs", 16, "how many SPIs follow", "RFC 7296 §3.11"),
    ),
    RFC,
)


@dataclass(frozen=True)
class Delete(Payload):
    """Delete payload (§3.11): the IKE SA itself (protocol 1, no SPI) or inbound ESP SPIs."""

    protocol: int
    spis: tuple[bytes, ...] = ()
    TYPE: ClassVar[int] = PT_D
    FIXED: ClassVar[Header] = DELETE_FIXED
    VARIABLE: ClassVar[str] = "Security Parameter Index(es)"
    SECTION: ClassVar[str] = "RFC 7296 §3.11"

    def body(self) -> bytes:
        size = len(self.spis[0]) if self.spis else 0
        if any(len(s) != size for s in self.spis):
            raise ConfigError("Delete payload: all SPIs must have the same size")
        return _fixed(
            DELETE_FIXED, **{"Protocol ID": self.protocol, "SPI Size": size, "Num of SPIs": len(self.spis)}
        ) + b"".join(self.spis)

    @classmethod
    def parse(cls, r: Reader) -> Delete:
        start = r.pos
        h = r.header(DELETE_FIXED)
        size, num = h["SPI Size"], h["Num of SPIs"]
        if h["Protocol ID"] == PROTO_IKE and (size or num):
            raise r.fail("deleting the IKE SA carries no SPI", "SPI Size", start + 1)
        if size * num != r.remaining:
            raise r.fail(
                f"{num} SPIs of {size} bytes do not fill the {r.remaining} bytes left",
                "Num of SPIs",
                start + 2,
            )
        return cls(h["Protocol ID"], tuple(r.bytes(size, "SPI") for _ in range(num)))


@dataclass(frozen=True)
class VendorID(Payload):
    """Vendor ID payload (§3.12): an opaque constant naming an implementation or feature."""

    data: bytes
    TYPE: ClassVar[int] = PT_V
    VARIABLE: ClassVar[str] = "Vendor ID"
    SECTION: ClassVar[str] = "RFC 7296 §3.12"

    def body(self) -> bytes:
        return self.data

    @classmethod
    def parse(cls, r: Reader) -> VendorID:
        return cls(r.rest("Vendor ID"))


# --- Traffic selectors (§3.13) ---------------------------------------------------------------------

TS_FIXED = Header(
    "Traffic Selector payload",
    (
        Field("Number of TSs", 8, "how many traffic selectors follow", "RFC 7296 §3.13"),
        Field("RESERVED", 24, "zero", "RFC 7296 §3.13"),
    ),
    RFC,
)
SELECTOR_HEADER = Header(
    "Traffic Selector",
    (
        Field("TS Type", 8, "7 = IPv4 address range, 8 = IPv6 address range", "RFC 7296 §3.13.1"),
        Field("IP Protocol ID", 8, "0 = any, 6 TCP, 17 UDP, 1 ICMP ...", "RFC 7296 §3.13.1"),
        Field("Selector Length", 16, "16 for IPv4, 40 for IPv6", "RFC 7296 §3.13.1"),
        Field("Start Port", 16, "0 = any", "RFC 7296 §3.13.1"),
        Field("End Port", 16, "65535 = any", "RFC 7296 §3.13.1"),
    ),
    RFC,
)


@dataclass(frozen=True, order=True)
class TrafficSelector:
    """An address range, IP protocol and port range (§3.13.1). Narrowed with :meth:`intersect`."""

    start: ipaddress.IPv4Address | ipaddress.IPv6Address
    end: ipaddress.IPv4Address | ipaddress.IPv6Address
    protocol: int = 0
    start_port: int = 0
    end_port: int = 65535

    @classmethod
    def subnet(cls, cidr: str, protocol: int = 0, ports: tuple[int, int] = (0, 65535)) -> TrafficSelector:
        """A selector for a whole subnet (``"10.98.1.0/24"``), any protocol and port by default."""
        try:
            net = ipaddress.ip_network(cidr, strict=False)
        except ValueError as exc:
            raise ConfigError(f"traffic selector {cidr!r}: {exc}") from exc
        return cls(net.network_address, net.broadcast_address, protocol, ports[0], ports[1])

    @property
    def ts_type(self) -> int:
        return TS_IPV4_ADDR_RANGE if self.start.version == 4 else TS_IPV6_ADDR_RANGE

    def intersect(self, other: TrafficSelector) -> TrafficSelector | None:
        """The narrowest selector inside both (§2.9), or None if they do not overlap."""
        if self.start.version != other.start.version:
            return None
        if self.protocol and other.protocol and self.protocol != other.protocol:
            return None
        start, end = max(self.start, other.start), min(self.end, other.end)
        sp, ep = max(self.start_port, other.start_port), min(self.end_port, other.end_port)
        if start > end or sp > ep:
            return None
        return TrafficSelector(start, end, self.protocol or other.protocol, sp, ep)

    def __str__(self) -> str:
        nets = list(ipaddress.summarize_address_range(self.start, self.end))
        addr = str(nets[0]) if len(nets) == 1 else f"{self.start}-{self.end}"
        proto = f" proto {self.protocol}" if self.protocol else ""
        ports = (
            ""
            if (self.start_port, self.end_port) == (0, 65535)
            else f" ports {self.start_port}-{self.end_port}"
        )
        return addr + proto + ports

    def encode(self) -> bytes:
        addr = self.start.packed + self.end.packed
        return (
            SELECTOR_HEADER.pack(
                {
                    "TS Type": self.ts_type,
                    "IP Protocol ID": self.protocol,
                    "Selector Length": 8 + len(addr),
                    "Start Port": self.start_port,
                    "End Port": self.end_port,
                }
            )
            + addr
        )

    @classmethod
    def decode(cls, r: Reader) -> TrafficSelector:
        start = r.pos
        h = r.header(SELECTOR_HEADER)
        size = {TS_IPV4_ADDR_RANGE: 4, TS_IPV6_ADDR_RANGE: 16}.get(h["TS Type"])
        if size is None:
            raise r.fail(f"unknown TS Type {h['TS Type']}", "TS Type", start)
        if h["Selector Length"] != 8 + 2 * size:
            raise r.fail(
                f"must be {8 + 2 * size} for TS Type {h['TS Type']}, is {h['Selector Length']}",
                "Selector Length",
                start + 2,
            )
        a = ipaddress.ip_address(r.bytes(size, "Starting Address"))
        b = ipaddress.ip_address(r.bytes(size, "Ending Address"))
        return cls(a, b, h["IP Protocol ID"], h["Start Port"], h["End Port"])


@dataclass(frozen=True)
class TS(Payload):
    """Traffic Selector payload TSi (type 44) or TSr (type 45), §3.13."""

    selectors: tuple[TrafficSelector, ...]
    initiator: bool = True
    FIXED: ClassVar[Header] = TS_FIXED
    VARIABLE: ClassVar[str] = "Traffic Selectors"
    SECTION: ClassVar[str] = "RFC 7296 §3.13"

    @property
    def TYPE(self) -> int:  # type: ignore[override]
        return PT_TSI if self.initiator else PT_TSR

    def body(self) -> bytes:
        return _fixed(TS_FIXED, **{"Number of TSs": len(self.selectors), "RESERVED": 0}) + b"".join(
            s.encode() for s in self.selectors
        )

    @classmethod
    def parse(cls, r: Reader) -> TS:
        start = r.pos
        h = r.header(TS_FIXED)
        n = h["Number of TSs"]
        if n == 0:
            raise r.fail("a TS payload needs at least one selector", "Number of TSs", start)
        sels = tuple(TrafficSelector.decode(r) for _ in range(n))
        if r.remaining:
            raise r.fail(f"{r.remaining} bytes after {n} selectors", "Number of TSs", start)
        return cls(sels)


@dataclass(frozen=True)
class UnknownPayload(Payload):
    """A payload type we do not implement (CP, EAP, or anything new), kept with its critical bit."""

    type: int
    data: bytes
    critical: bool = False
    VARIABLE: ClassVar[str] = "Payload Data"

    @property
    def TYPE(self) -> int:  # type: ignore[override]
        return self.type

    def body(self) -> bytes:
        return self.data


@dataclass(frozen=True)
class Encrypted(Payload):
    """Encrypted and Authenticated payload SK (§3.14), as received: still encrypted.

    ``first_inner`` is the Next Payload of its generic header: the type of the first payload inside.
    ``data`` is IV | ciphertext | ICV; ``offset`` is where the generic header starts in the message.
    """

    first_inner: int
    data: bytes
    offset: int = 0
    TYPE: ClassVar[int] = PT_SK
    VARIABLE: ClassVar[str] = "IV | Encrypted IKE Payloads + Padding + Pad Length | ICV"
    SECTION: ClassVar[str] = "RFC 7296 §3.14"

    def body(self) -> bytes:
        return self.data


PAYLOAD_CLASSES: dict[int, type[Payload]] = {
    PT_SA: SA,
    PT_KE: KE,
    PT_IDI: ID,
    PT_IDR: ID,
    PT_CERT: CERT,
    PT_CERTREQ: CERTREQ,
    PT_AUTH: AUTH,
    PT_NONCE: Nonce,
    PT_N: Notify,
    PT_D: Delete,
    PT_V: VendorID,
    PT_TSI: TS,
    PT_TSR: TS,
}


def encode_chain(payloads: list[Payload] | tuple[Payload, ...], last_next: int = PT_NONE) -> bytes:
    """Encode payloads with their generic headers, each pointing at the next one's type."""
    out = []
    for i, p in enumerate(payloads):
        nxt = payloads[i + 1].TYPE if i + 1 < len(payloads) else last_next
        if isinstance(p, Encrypted):
            raise ConfigError("an already-encrypted SK payload cannot be re-encoded in a chain")
        body = p.body()
        if len(body) + 4 > 0xFFFF:
            raise ConfigError(f"{p.name} payload of {len(body) + 4} bytes is too long for Payload Length")
        critical = isinstance(p, UnknownPayload) and p.critical
        out.append(
            GENERIC_HEADER.pack(
                {"Next Payload": nxt, "C": int(critical), "RESERVED": 0, "Payload Length": 4 + len(body)}
            )
            + body
        )
    return b"".join(out)


@dataclass
class ParsedChain:
    """Payloads decoded from a chain, with where each one starts, and a trailing SK payload if any."""

    payloads: list[Payload] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)


def decode_chain(data: bytes, first: int, offset: int, end: int, what: str = "IKE message") -> ParsedChain:
    """Decode a payload chain starting with type ``first`` at ``offset``, ending exactly at ``end``.

    The SK payload (§3.14) must be the last one; it is returned still encrypted (:class:`Encrypted`).
    """
    chain = ParsedChain()
    nxt, pos = first, offset
    while nxt != PT_NONE:
        if end - pos < 4:
            raise ParseError(
                f"payload chain says a {PAYLOAD_NAMES.get(nxt, nxt)} payload follows, "
                f"but only {end - pos} bytes are left",
                what=what,
                field="Next Payload",
                offset=pos,
            )
        h = GENERIC_HEADER.unpack(data, pos)  # all 4 bytes are inside [pos, end): checked just above
        plen = h["Payload Length"]
        if plen < 4 or pos + plen > end:
            raise ParseError(
                f"{plen} does not fit in the {end - pos} bytes left",
                what=f"{PAYLOAD_NAMES.get(nxt, nxt)} payload",
                field="Payload Length",
                offset=pos + 2,
            )
        name = PAYLOAD_NAMES.get(nxt, f"payload {nxt}")
        if nxt == PT_SK:
            if h["Next Payload"] == PT_NONE and plen == 4:
                raise ParseError(
                    "empty SK payload", what="SK payload", field="Payload Length", offset=pos + 2
                )
            if pos + plen != end:
                raise ParseError(
                    "the SK payload must be the last payload (§3.14)",
                    what="SK payload",
                    field="Payload Length",
                    offset=pos + 2,
                )
            chain.payloads.append(Encrypted(h["Next Payload"], data[pos + 4 : pos + plen], pos))
            chain.offsets.append(pos)
            return chain
        cls = PAYLOAD_CLASSES.get(nxt)
        body_r = Reader(data, f"{name} payload", pos + 4, pos + plen)
        if cls is None:
            p: Payload = UnknownPayload(nxt, body_r.rest("Payload Data"), bool(h["C"]))
        else:
            p = cls.parse(body_r)
            if body_r.remaining:
                raise body_r.fail(f"{body_r.remaining} unexpected bytes at the end", "Payload Length")
            if nxt in (PT_IDR, PT_TSR):
                p = replace(p, initiator=False)  # type: ignore[type-var]
        chain.payloads.append(p)
        chain.offsets.append(pos)
        nxt, pos = h["Next Payload"], pos + plen
    if pos != end:
        raise ParseError(
            f"{end - pos} bytes after the last payload", what=what, field="Next Payload", offset=pos
        )
    return chain
