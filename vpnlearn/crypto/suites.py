"""One table of the algorithms IKEv2 and ESP negotiate: encryption, integrity, PRF and DH groups.

Every other part of vpnlearn looks algorithms up here, by any of their names (IANA, AWS,
strongSwan, Wireshark, or the transform ID), case-insensitively::

    >>> from vpnlearn.crypto.suites import encryption, integrity, prf, dh_group
    >>> encryption("AES128-GCM-16").strongswan          # AWS name -> strongSwan name
    'aes128gcm16'
    >>> integrity("sha256").icv_bytes                     # HMAC-SHA2-256-128 keeps 16 bytes
    16
    >>> dh_group("modp2048").number
    14

Transform IDs are IANA's "Internet Key Exchange Version 2 (IKEv2) Parameters" registry
(https://www.iana.org/assignments/ikev2-parameters/): Transform Type 1 (encryption), 2 (PRF),
3 (integrity) and 4 (Diffie-Hellman / key exchange group).

Weak choices that AWS still allows (DH groups 2, 5, 22-24; SHA-1) are in the table, because a
learner must be able to see them, but they carry ``weak=True`` and a one-line ``weak_reason``.

AWS names and the lists AWS allows come from
https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html and
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnTunnelOptionsSpecification.html
(see /work/shared/aws-facts.md §1.4): Phase 1 DH groups 2, 14-24 (no 5); Phase 2 DH groups 2, 5,
14-24.

Wireshark names are the exact strings Wireshark 4.0 stores in its ``esp_sa`` UAT (ESP
decryption, epan/dissectors/packet-ipsec.c) and its ``ikev2_decryption_table`` UAT
(epan/dissectors/packet-isakmp.c); ``None`` means Wireshark 4.0 cannot decrypt that algorithm
(ChaCha20-Poly1305 was added to Wireshark's ESP dissector only after 4.0).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from vpnlearn.errors import ConfigError

# Wireshark 4.0 UAT strings used when there is no integrity algorithm (AEAD ciphers).
WIRESHARK_ESP_AUTH_NULL = "NULL"
WIRESHARK_IKEV2_INTEG_NONE = "NONE [RFC4306]"

_AWS_S2S_URL = "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html"


@dataclass(frozen=True)
class EncryptionAlg:
    """An encryption transform (IKEv2 Transform Type 1), with everything ESP and IKE need to use it.

    ``key_bits`` is the cipher key; AEADs additionally take ``salt_bytes`` of keying material
    (the nonce's fixed part: RFC 4106 §8.1 / RFC 5282 §7.1 for GCM, RFC 7634 §2 for
    ChaCha20-Poly1305), so ``keymat_bytes`` = key + salt is what is drawn from KEYMAT / prf+.
    ``iv_bytes`` is the explicit IV carried in each packet. ``block_bytes`` is the block size the
    ESP payload must be padded to (1 for AEADs; ESP still keeps 4-byte alignment, RFC 4303 §2.4).
    ``key_length_attr`` says whether an IKEv2 Transform for it carries the Key Length attribute
    (type 14, in bits): RFC 7296 §3.3.5 uses it for variable-key-length ciphers (AES-CBC, and AES-GCM
    per RFC 5282 §8) and forbids it for fixed-length ones (3DES; ChaCha20-Poly1305, RFC 7634 §2).
    """

    name: str                 # canonical name (strongSwan's spelling)
    iana_name: str            # IANA Transform Type 1 name
    transform_id: int
    key_bits: int
    salt_bytes: int
    iv_bytes: int
    block_bytes: int
    icv_bytes: int
    aead: bool
    cipher: str               # "aes-cbc", "aes-gcm" or "chacha20-poly1305"
    rfc: str
    aws_name: str | None
    strongswan: str
    wireshark_esp: str | None
    wireshark_ikev2: str | None
    weak: bool = False
    weak_reason: str = ""
    aliases: tuple[str, ...] = ()
    key_length_attr: bool = False

    @property
    def key_bytes(self) -> int:
        """Cipher key length in bytes (without the salt)."""
        return self.key_bits // 8

    @property
    def keymat_bytes(self) -> int:
        """Bytes of keying material per direction: the key followed by the salt (if any)."""
        return self.key_bytes + self.salt_bytes

    @property
    def esp_pad_align(self) -> int:
        """What the ESP payload + Pad Length + Next Header must be a multiple of (RFC 4303 §2.4)."""
        return max(4, self.block_bytes)

    def names(self) -> tuple[str, ...]:
        """Every name this algorithm can be looked up by."""
        return _names(self.name, self.iana_name, self.aws_name, self.strongswan, self.wireshark_esp,
                      self.wireshark_ikev2, *self.aliases)


@dataclass(frozen=True)
class IntegrityAlg:
    """An integrity transform (IKEv2 Transform Type 3): HMAC truncated to ``icv_bytes`` (RFC 4868)."""

    name: str
    iana_name: str
    transform_id: int
    hash_name: str            # hashlib / cryptography name: "sha1", "sha256", ...
    key_bytes: int
    icv_bytes: int
    rfc: str
    aws_name: str | None
    strongswan: str
    wireshark_esp: str | None
    wireshark_ikev2: str | None
    weak: bool = False
    weak_reason: str = ""
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        """Every name this algorithm can be looked up by."""
        return _names(self.name, self.iana_name, self.aws_name, self.strongswan, self.wireshark_esp,
                      self.wireshark_ikev2, *self.aliases)


@dataclass(frozen=True)
class PrfAlg:
    """A pseudo-random function (IKEv2 Transform Type 2), HMAC with ``hash_name``.

    ``key_bytes`` is the preferred key size (RFC 7296 §2.13/§2.14: for HMAC-based PRFs the output
    length of the hash, used for SK_d, SK_pi and SK_pr). ``output_bytes`` is one PRF output.
    """

    name: str
    iana_name: str
    transform_id: int
    hash_name: str
    output_bytes: int
    rfc: str
    strongswan: str
    weak: bool = False
    weak_reason: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def key_bytes(self) -> int:
        return self.output_bytes

    def names(self) -> tuple[str, ...]:
        """Every name this PRF can be looked up by."""
        return _names(self.name, self.iana_name, self.strongswan, *self.aliases)


@dataclass(frozen=True)
class DHGroup:
    """A Diffie-Hellman group (IKEv2 Transform Type 4). The arithmetic lives in ``vpnlearn.crypto.dh``.

    ``kind`` is ``"modp"``, ``"ecp"`` or ``"curve25519"``. ``ke_bytes`` is the length of the Key
    Exchange Data in a KE payload (RFC 7296 §3.4; RFC 5903 §7; RFC 8031 §2) and ``shared_bytes``
    the length of the shared secret g^ir. ``aws_phase1`` / ``aws_phase2`` say whether AWS
    Site-to-Site VPN allows it in that phase.
    """

    number: int
    name: str                 # strongSwan's name
    iana_name: str
    kind: str
    bits: int                 # prime size (MODP) or curve field size
    ke_bytes: int
    shared_bytes: int
    rfc: str
    aws_phase1: bool
    aws_phase2: bool
    weak: bool = False
    weak_reason: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def strongswan(self) -> str:
        return self.name

    def names(self) -> tuple[str, ...]:
        """Every name this group can be looked up by."""
        return _names(self.name, self.iana_name, f"group{self.number}", f"dh{self.number}",
                      str(self.number), *self.aliases)


def _names(*names: str | None) -> tuple[str, ...]:
    return tuple(n for n in names if n)


# --------------------------------------------------------------------------------------------------
# Type 1: encryption. AES-CBC: RFC 3602; AES-GCM in ESP: RFC 4106, in IKEv2: RFC 5282;
# ChaCha20-Poly1305: RFC 7634 (IKEv2 and ESP).

def _cbc(bits: int) -> EncryptionAlg:
    return EncryptionAlg(
        name=f"aes{bits}", iana_name="ENCR_AES_CBC", transform_id=12, key_bits=bits, salt_bytes=0,
        iv_bytes=16, block_bytes=16, icv_bytes=0, aead=False, cipher="aes-cbc", rfc="RFC 3602",
        aws_name=f"AES{bits}", strongswan=f"aes{bits}", wireshark_esp="AES-CBC [RFC3602]",
        wireshark_ikev2=f"AES-CBC-{bits} [RFC3602]", aliases=(f"aes{bits}-cbc", f"aes-cbc-{bits}"),
        key_length_attr=True)


def _gcm(bits: int, icv: int, tid: int) -> EncryptionAlg:
    weak = icv != 16
    return EncryptionAlg(
        name=f"aes{bits}gcm{icv}", iana_name=f"ENCR_AES_GCM_{icv}", transform_id=tid, key_bits=bits,
        salt_bytes=4, iv_bytes=8, block_bytes=1, icv_bytes=icv, aead=True, cipher="aes-gcm",
        rfc="RFC 4106 (ESP), RFC 5282 (IKEv2)",
        aws_name=f"AES{bits}-GCM-16" if icv == 16 else None,
        strongswan=f"aes{bits}gcm{icv}",
        wireshark_esp=f"AES-GCM with {icv} octet ICV [RFC4106]",
        wireshark_ikev2=f"AES-GCM-{bits} with {icv} octet ICV [RFC5282]",
        weak=weak,
        weak_reason=(f"{icv}-octet ICV is shorter than the 16 octets RFC 8221/8247 recommend; "
                     "AWS does not offer it") if weak else "",
        aliases=(f"aes{bits}gcm{icv * 8}", f"aes{bits}-gcm-{icv}", f"aes-gcm-{icv}-{bits}"),
        key_length_attr=True)


ENCRYPTION: tuple[EncryptionAlg, ...] = (
    _cbc(128),
    _cbc(256),
    _gcm(128, 16, 20),
    _gcm(256, 16, 20),
    _gcm(128, 12, 19),
    _gcm(256, 12, 19),
    _gcm(128, 8, 18),
    _gcm(256, 8, 18),
    EncryptionAlg(
        name="chacha20poly1305", iana_name="ENCR_CHACHA20_POLY1305", transform_id=28, key_bits=256,
        salt_bytes=4, iv_bytes=8, block_bytes=1, icv_bytes=16, aead=True, cipher="chacha20-poly1305",
        rfc="RFC 7634", aws_name=None, strongswan="chacha20poly1305",
        wireshark_esp=None, wireshark_ikev2=None,
        aliases=("chacha20-poly1305",)),
)

# Listed only so that a proposal or a peer's offer naming them can be named and refused: vpnlearn
# implements none of them, and AWS accepts none of them ("No Proposal Match Found",
# https://docs.aws.amazon.com/vpn/latest/s2svpn/log-contents.html). encryption() does not return
# them; parse_proposal() refuses them by name.
REFUSED_ENCRYPTION: tuple[EncryptionAlg, ...] = (
    EncryptionAlg(
        name="3des", iana_name="ENCR_3DES", transform_id=3, key_bits=192, salt_bytes=0, iv_bytes=8,
        block_bytes=8, icv_bytes=0, aead=False, cipher="3des-cbc", rfc="RFC 2451", aws_name=None,
        strongswan="3des", wireshark_esp="TripleDES-CBC [RFC2451]", wireshark_ikev2="3DES [RFC2451]",
        weak=True, weak_reason=("64-bit blocks (Sweet32); RFC 8221 §5: SHOULD NOT; AWS does not accept it "
                                "and vpnlearn does not implement it")),
)

# --------------------------------------------------------------------------------------------------
# Type 3: integrity. HMAC-SHA1-96: RFC 2404; HMAC-SHA2-*: RFC 4868 §2.

_SHA1_REASON = ("SHA-1 is being phased out (RFC 8221/8247 downgrade it); choose SHA2-256 or better")

INTEGRITY: tuple[IntegrityAlg, ...] = (
    IntegrityAlg(
        name="sha1", iana_name="AUTH_HMAC_SHA1_96", transform_id=2, hash_name="sha1", key_bytes=20,
        icv_bytes=12, rfc="RFC 2404", aws_name="SHA1", strongswan="sha1",
        wireshark_esp="HMAC-SHA-1-96 [RFC2404]", wireshark_ikev2="HMAC_SHA1_96 [RFC2404]",
        weak=True, weak_reason=_SHA1_REASON, aliases=("sha", "hmac-sha1-96", "sha1_96")),
    IntegrityAlg(
        name="sha256", iana_name="AUTH_HMAC_SHA2_256_128", transform_id=12, hash_name="sha256",
        key_bytes=32, icv_bytes=16, rfc="RFC 4868", aws_name="SHA2-256", strongswan="sha256",
        wireshark_esp="HMAC-SHA-256-128 [RFC4868]", wireshark_ikev2="HMAC_SHA2_256_128 [RFC4868]",
        aliases=("sha2_256", "hmac-sha2-256-128")),
    IntegrityAlg(
        name="sha384", iana_name="AUTH_HMAC_SHA2_384_192", transform_id=13, hash_name="sha384",
        key_bytes=48, icv_bytes=24, rfc="RFC 4868", aws_name="SHA2-384", strongswan="sha384",
        wireshark_esp="HMAC-SHA-384-192 [RFC4868]", wireshark_ikev2="HMAC_SHA2_384_192 [RFC4868]",
        aliases=("sha2_384", "hmac-sha2-384-192")),
    IntegrityAlg(
        name="sha512", iana_name="AUTH_HMAC_SHA2_512_256", transform_id=14, hash_name="sha512",
        key_bytes=64, icv_bytes=32, rfc="RFC 4868", aws_name="SHA2-512", strongswan="sha512",
        wireshark_esp="HMAC-SHA-512-256 [RFC4868]", wireshark_ikev2="HMAC_SHA2_512_256 [RFC4868]",
        aliases=("sha2_512", "hmac-sha2-512-256")),
)

# --------------------------------------------------------------------------------------------------
# Type 2: PRF. PRF_HMAC_SHA1: RFC 2104; PRF_HMAC_SHA2_*: RFC 4868 §2.
# AWS does not name the PRF: in IKEv2 it follows the Phase 1 integrity choice (or the hash of the
# same name with AES-GCM), which is what strongSwan does when a proposal gives no PRF.

PRF: tuple[PrfAlg, ...] = (
    PrfAlg(name="prfsha1", iana_name="PRF_HMAC_SHA1", transform_id=2, hash_name="sha1", output_bytes=20,
           rfc="RFC 2104", strongswan="prfsha1", weak=True, weak_reason=_SHA1_REASON),
    PrfAlg(name="prfsha256", iana_name="PRF_HMAC_SHA2_256", transform_id=5, hash_name="sha256",
           output_bytes=32, rfc="RFC 4868", strongswan="prfsha256"),
    PrfAlg(name="prfsha384", iana_name="PRF_HMAC_SHA2_384", transform_id=6, hash_name="sha384",
           output_bytes=48, rfc="RFC 4868", strongswan="prfsha384"),
    PrfAlg(name="prfsha512", iana_name="PRF_HMAC_SHA2_512", transform_id=7, hash_name="sha512",
           output_bytes=64, rfc="RFC 4868", strongswan="prfsha512"),
)

# --------------------------------------------------------------------------------------------------
# Type 4: DH groups. MODP 2: RFC 2409 §6.2; 5, 14-18: RFC 3526; ECP 19-21: RFC 5903;
# 22-24: RFC 5114 §2.1-2.3 (MODP with a prime-order subgroup); 31: RFC 8031.
# AWS: Phase 1 allows 2, 14-24 (no 5); Phase 2 allows 2, 5, 14-24 (_AWS_S2S_URL).

_SMALL = "{bits}-bit MODP is too small for today (RFC 8247 §2.4: SHOULD NOT / MUST NOT)"
_5114 = ("RFC 5114 group: RFC 8247 §2.4 says SHOULD NOT (unexplained parameters, needs subgroup "
         "checks)")


def _modp(number: int, bits: int, rfc: str, *, p1: bool = True, weak: str = "",
          aliases: tuple[str, ...] = ()) -> DHGroup:
    return DHGroup(number=number, name=f"modp{bits}", iana_name=f"{bits}-bit MODP Group", kind="modp",
                   bits=bits, ke_bytes=bits // 8, shared_bytes=bits // 8, rfc=rfc, aws_phase1=p1,
                   aws_phase2=True, weak=bool(weak), weak_reason=weak, aliases=aliases)


def _ecp(number: int, bits: int) -> DHGroup:
    coord = (bits + 7) // 8
    return DHGroup(number=number, name=f"ecp{bits}", iana_name=f"{bits}-bit random ECP group", kind="ecp",
                   bits=bits, ke_bytes=2 * coord, shared_bytes=coord, rfc="RFC 5903", aws_phase1=True,
                   aws_phase2=True, aliases=(f"secp{bits}r1",))


def _modp_sub(number: int, bits: int, qbits: int, rfc: str) -> DHGroup:
    return DHGroup(number=number, name=f"modp{bits}s{qbits}",
                   iana_name=f"{bits}-bit MODP Group with {qbits}-bit Prime Order Subgroup", kind="modp",
                   bits=bits, ke_bytes=bits // 8, shared_bytes=bits // 8, rfc=rfc, aws_phase1=True,
                   aws_phase2=True, weak=True, weak_reason=_5114)


DH_GROUPS: tuple[DHGroup, ...] = (
    _modp(2, 1024, "RFC 2409 §6.2", weak=_SMALL.format(bits=1024)),
    _modp(5, 1536, "RFC 3526 §2", p1=False, weak=_SMALL.format(bits=1536)),
    _modp(14, 2048, "RFC 3526 §3"),
    _modp(15, 3072, "RFC 3526 §4"),
    _modp(16, 4096, "RFC 3526 §5"),
    _modp(17, 6144, "RFC 3526 §6"),
    _modp(18, 8192, "RFC 3526 §7"),
    _ecp(19, 256),
    _ecp(20, 384),
    _ecp(21, 521),
    _modp_sub(22, 1024, 160, "RFC 5114 §2.1"),
    _modp_sub(23, 2048, 224, "RFC 5114 §2.2"),
    _modp_sub(24, 2048, 256, "RFC 5114 §2.3"),
    DHGroup(number=31, name="curve25519", iana_name="Curve25519", kind="curve25519", bits=255, ke_bytes=32,
            shared_bytes=32, rfc="RFC 8031", aws_phase1=False, aws_phase2=False, aliases=("x25519",)),
)

# --------------------------------------------------------------------------------------------------
# Lookup.

T = TypeVar("T")


def _index(items: Iterable[T]) -> dict[str, list[T]]:
    """Lower-cased name -> the algorithms with that name (more than one only for names shared
    by key sizes, like ``ENCR_AES_CBC`` or Wireshark's ``AES-CBC [RFC3602]``)."""
    out: dict[str, list[T]] = {}
    for item in items:
        for n in item.names():  # type: ignore[attr-defined]
            hits = out.setdefault(n.lower(), [])
            if item not in hits:
                hits.append(item)
    return out


def _one(index: dict[str, list[T]], kind: str, name: object, items: Iterable[T],
         key_bits: int | None = None) -> T:
    hits = index.get(str(name).strip().lower())
    if not hits:
        raise _unknown(kind, name, items)
    if key_bits is not None:
        hits = [h for h in hits if h.key_bits == key_bits]  # type: ignore[attr-defined]
        if not hits:
            raise ConfigError(f"{kind} {name!r} has no {key_bits}-bit variant")
    if len(hits) > 1:
        sizes = sorted({h.key_bits for h in hits})  # type: ignore[attr-defined]
        raise ConfigError(f"{kind} name {name!r} is shared by several key sizes: give key_bits "
                          f"(one of {sizes})")
    return hits[0]


_ENC = _index(ENCRYPTION)
_INT = _index(INTEGRITY)
_PRF = _index(PRF)
_DH = _index(DH_GROUPS)
_REFUSED = _index(REFUSED_ENCRYPTION)


def _unknown(kind: str, name: object, items: Iterable[object]) -> ConfigError:
    known = ", ".join(i.name for i in items)  # type: ignore[attr-defined]
    return ConfigError(f"unknown {kind} algorithm {name!r}; known: {known}")


def encryption(name: str | int, key_bits: int | None = None) -> EncryptionAlg:
    """The encryption algorithm called ``name`` (any alias, any case) or with that transform ID.

    A transform ID alone is ambiguous for AES (128- and 256-bit keys share ID 12, 18, 19, 20):
    give ``key_bits`` too, e.g. ``encryption(20, 256)``.
    """
    if isinstance(name, int) and not isinstance(name, bool):
        hits = [e for e in ENCRYPTION if e.transform_id == name and key_bits in (None, e.key_bits)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise ConfigError(f"encryption transform ID {name} needs key_bits (one of "
                              f"{sorted({e.key_bits for e in hits})})")
        raise _unknown("encryption", name if key_bits is None else f"{name}/{key_bits}", ENCRYPTION)
    return _one(_ENC, "encryption", name, ENCRYPTION, key_bits)


def integrity(name: str | int) -> IntegrityAlg:
    """The integrity algorithm called ``name`` (any alias, any case) or with that transform ID."""
    if isinstance(name, int) and not isinstance(name, bool):
        for alg in INTEGRITY:
            if alg.transform_id == name:
                return alg
        raise _unknown("integrity", name, INTEGRITY)
    return _one(_INT, "integrity", name, INTEGRITY)


def prf(name: str | int) -> PrfAlg:
    """The PRF called ``name`` (any alias, any case) or with that transform ID."""
    if isinstance(name, int) and not isinstance(name, bool):
        for alg in PRF:
            if alg.transform_id == name:
                return alg
        raise _unknown("PRF", name, PRF)
    return _one(_PRF, "PRF", name, PRF)


def dh_group(name: str | int) -> DHGroup:
    """The DH group with that number (``14``) or name (``"modp2048"``, ``"x25519"``, ``"group19"``)."""
    hits = _DH.get(str(name).strip().lower())
    if not hits:
        known = ", ".join(f"{g.number} ({g.name})" for g in DH_GROUPS)
        raise ConfigError(f"unknown DH group {name!r}; known: {known}")
    return hits[0]


def prf_for_integrity(alg: IntegrityAlg) -> PrfAlg:
    """The PRF with the same hash as an integrity algorithm (what strongSwan picks when none is given)."""
    for p in PRF:
        if p.hash_name == alg.hash_name:
            return p
    raise ConfigError(f"no PRF with the hash of integrity algorithm {alg.name}")  # pragma: no cover


# --------------------------------------------------------------------------------------------------
# strongSwan proposals: "aes128gcm16-prfsha256-x25519", "aes256-sha256-modp2048-esn".


@dataclass(frozen=True)
class Proposal:
    """One IKE or ESP proposal: each transform type may list several algorithms, in order.

    For ESP, a DH group means PFS (a fresh key exchange in CREATE_CHILD_SA). ``esn`` lists the
    Extended Sequence Numbers choices offered (``(False,)`` = noesn, strongSwan's default).
    IKE proposals have no ESN transform (``esn == ()``).
    """

    kind: str
    encryption: tuple[EncryptionAlg, ...]
    integrity: tuple[IntegrityAlg, ...] = ()
    prf: tuple[PrfAlg, ...] = ()
    dh_groups: tuple[DHGroup, ...] = ()
    esn: tuple[bool, ...] = ()
    esn_given: bool = field(default=False, compare=False)

    @property
    def aead(self) -> bool:
        """True if the encryption algorithms are AEADs (then there is no integrity transform)."""
        return self.encryption[0].aead

    @property
    def pfs(self) -> bool:
        """For ESP: True if the proposal asks for a DH exchange (perfect forward secrecy)."""
        return self.kind == "esp" and bool(self.dh_groups)

    @property
    def effective_prf(self) -> tuple[PrfAlg, ...]:
        """The PRFs an IKE proposal offers: the given ones, else those matching the integrity hashes."""
        if self.prf or self.kind != "ike":
            return self.prf
        out: list[PrfAlg] = []
        for i in self.integrity:
            p = prf_for_integrity(i)
            if p not in out:
                out.append(p)
        return tuple(out)

    @property
    def weak_parts(self) -> list[tuple[str, str]]:
        """(name, reason) for every weak algorithm in the proposal."""
        algs: list[object] = [*self.encryption, *self.integrity, *self.prf, *self.dh_groups]
        return [(a.name, a.weak_reason) for a in algs if a.weak]  # type: ignore[attr-defined]

    def to_strongswan(self) -> str:
        """The proposal in strongSwan's syntax (``ike_proposals`` / ``esp_proposals``)."""
        tokens = [e.strongswan for e in self.encryption]
        tokens += [i.strongswan for i in self.integrity]
        tokens += [p.strongswan for p in self.prf]
        tokens += [g.name for g in self.dh_groups]
        if self.kind == "esp" and self.esn_given:
            tokens += ["esn" if e else "noesn" for e in self.esn]
        return "-".join(tokens)

    def __str__(self) -> str:
        return self.to_strongswan()


def parse_proposal(text: str, kind: str = "ike") -> Proposal:
    """Parse a strongSwan proposal string such as ``"aes128gcm16-prfsha256-x25519"``.

    ``kind`` is ``"ike"`` or ``"esp"``. Rules (strongSwan's, from RFC 7296 §3.3.3):
    AEAD and non-AEAD ciphers cannot be mixed; AEAD proposals have no integrity algorithm;
    non-AEAD proposals need one; an IKE proposal needs a DH group and, with an AEAD, a PRF (with
    a non-AEAD cipher the PRF defaults to the integrity hash); an ESP proposal has no PRF, and a
    DH group in it means PFS; ``esn``/``noesn`` are for ESP only. Errors name the bad token.
    """
    if kind not in ("ike", "esp"):
        raise ConfigError(f"proposal kind must be 'ike' or 'esp', not {kind!r}")
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"empty {kind} proposal")
    enc: list[EncryptionAlg] = []
    integ: list[IntegrityAlg] = []
    prfs: list[PrfAlg] = []
    groups: list[DHGroup] = []
    esn: list[bool] = []
    for pos, raw in enumerate(text.strip().split("-")):
        tok = raw.strip().lower()
        where = f"{kind} proposal {text!r}, token {pos + 1} {raw!r}"
        if not tok:
            raise ConfigError(f"{where}: empty token (two '-' in a row?)")
        if tok in ("esn", "noesn"):
            if kind != "esp":
                raise ConfigError(f"{where}: ESN is negotiated for ESP/AH only, not IKE")
            target: list = esn
            item: object = tok == "esn"
        elif len(_ENC.get(tok, ())) == 1:
            target, item = enc, _ENC[tok][0]
        elif tok in _PRF:
            if kind == "esp":
                raise ConfigError(f"{where}: an ESP proposal has no PRF")
            target, item = prfs, _PRF[tok][0]
        elif tok in _INT:
            target, item = integ, _INT[tok][0]
        elif tok in _DH:
            target, item = groups, _DH[tok][0]
        elif tok in _REFUSED:
            refused = _REFUSED[tok][0]
            raise ConfigError(f"{where}: {refused.name} is not supported ({refused.weak_reason})")
        else:
            known = sorted({*(e.strongswan for e in ENCRYPTION), *(i.strongswan for i in INTEGRITY),
                            *(p.strongswan for p in PRF), *(g.name for g in DH_GROUPS)})
            raise ConfigError(f"{where}: unknown algorithm; known: {', '.join(known)}, esn, noesn")
        if item in target:
            raise ConfigError(f"{where}: given twice")
        target.append(item)
    if not enc:
        raise ConfigError(f"{kind} proposal {text!r}: no encryption algorithm")
    aeads = {e.aead for e in enc}
    if len(aeads) > 1:
        raise ConfigError(f"{kind} proposal {text!r}: cannot mix AEAD "
                          f"({', '.join(e.name for e in enc if e.aead)}) and non-AEAD "
                          f"({', '.join(e.name for e in enc if not e.aead)}) ciphers in one proposal")
    aead = enc[0].aead
    if aead and integ:
        raise ConfigError(f"{kind} proposal {text!r}: token {integ[0].name!r}: an AEAD cipher "
                          f"({enc[0].name}) has no separate integrity algorithm")
    if not aead and not integ:
        raise ConfigError(f"{kind} proposal {text!r}: {enc[0].name} is not an AEAD, so it needs an "
                          "integrity algorithm (e.g. sha256)")
    if kind == "ike":
        if aead and not prfs:
            raise ConfigError(f"ike proposal {text!r}: an AEAD cipher ({enc[0].name}) needs a PRF "
                              "(e.g. prfsha256)")
        if not groups:
            raise ConfigError(f"ike proposal {text!r}: no DH group (e.g. ecp256, x25519, modp2048)")
    return Proposal(kind=kind, encryption=tuple(enc), integrity=tuple(integ), prf=tuple(prfs),
                    dh_groups=tuple(groups),
                    esn=tuple(esn) if esn else ((False,) if kind == "esp" else ()),
                    esn_given=bool(esn))
