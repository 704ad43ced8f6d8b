"""The IKEv2 layer over the project's one algorithm table, :mod:`vpnlearn.crypto.suites`.

Every algorithm fact (IANA transform IDs, key/IV/ICV sizes, strongSwan names, weak flags) is a row
of ``suites``; this module adds only what IKE does with a row:

- transform-type numbers (RFC 7296 §3.3.2: 1 ENCR, 2 PRF, 3 INTEG, 4 DH, 5 ESN) and lookups by
  (type, ID, Key Length attribute) that answer None for what a peer offers and we do not know;
- the rows as IKE uses them: :class:`EncrAlgorithm` seals SK payloads (:func:`encrypt`,
  :func:`decrypt`), :class:`PrfAlgorithm` is callable as prf and prf+ (RFC 7296 §2.13),
  :class:`IntegAlgorithm` makes ICVs, :class:`DhGroup` makes key pairs. Each *is* its ``suites`` row
  (a subclass, same fields) with these methods added; the arithmetic is :mod:`vpnlearn.crypto.prf`'s
  and :mod:`vpnlearn.crypto.dh`'s, the ciphers are ``cryptography``'s;
- :func:`parse_proposal`, which is :func:`vpnlearn.crypto.suites.parse_proposal` (strongSwan syntax,
  ``"aes128gcm16-prfsha256-x25519"``) returning a :class:`Suite` of those rows.

The IKE layer offers the ``suites`` encryption rows its SK code can seal: AES-CBC, AES-GCM with a
16-octet ICV and ChaCha20-Poly1305 (``cryptography``'s AESGCM makes 16-octet tags only). 3DES is
known (``suites.REFUSED_ENCRYPTION``) only so that a peer's offer of it can be named and refused.
Weak choices AWS still accepts (SHA-1, DH groups 2, 5, 22-24) keep ``weak=True`` from the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from vpnlearn.crypto import dh as crypto_dh
from vpnlearn.crypto import prf as crypto_prf
from vpnlearn.crypto import suites
from vpnlearn.errors import AuthenticationError, ConfigError
from vpnlearn.rand import RandomSource

# Transform types, RFC 7296 §3.3.2.
ENCR, PRF, INTEG, DH, ESN = 1, 2, 3, 4, 5
TRANSFORM_TYPE_NAMES = {ENCR: "ENCR", PRF: "PRF", INTEG: "INTEG", DH: "DH", ESN: "ESN"}
# Transform attribute type 14 = Key Length (in bits), RFC 7296 §3.3.5.
ATTR_KEY_LENGTH = 14


class EncrAlgorithm(suites.EncryptionAlg):
    """An ENCR transform (type 1): a row of ``suites.ENCRYPTION`` as the SK payload uses it.

    AEADs (GCM, ChaCha20-Poly1305) need no INTEG; their key material carries ``salt_bytes`` more
    bytes, the nonce salt (RFC 5282 §7, RFC 7634 §2). ``iv_bytes`` is the explicit IV in each SK payload.
    """

    @property
    def key_len(self) -> int:
        """Key material to take from prf+ (bytes), salt included for AEADs (``keymat_bytes``)."""
        return self.keymat_bytes

    @property
    def sk_pad_align(self) -> int:
        """What inner payloads + Padding + Pad Length fill a multiple of in an SK payload (§3.14).

        RFC 7296 asks for the cipher's block size (``block_bytes``: 16 for AES-CBC, 1 for the AEADs).
        For AES-GCM this package has always padded to ESP's 4-octet alignment (``esp_pad_align``,
        RFC 4303 §2.4), which a receiver accepts as well (any multiple of the block size does); the
        choice only changes how much padding is sent.
        """
        return self.esp_pad_align if self.cipher == "aes-gcm" else self.block_bytes


class PrfAlgorithm(suites.PrfAlg):
    """A PRF transform (type 2): a row of ``suites.PRF``, callable as prf(K, S), with :meth:`plus`."""

    @property
    def key_len(self) -> int:
        """SK_d, SK_pi and SK_pr are as long as the PRF's preferred key (its output), §2.14."""
        return self.key_bytes

    def __call__(self, key: bytes, data: bytes) -> bytes:
        """prf(K, S) of RFC 7296 §2.13 (:func:`vpnlearn.crypto.prf.prf`)."""
        return crypto_prf.prf(self, key, data)

    def plus(self, key: bytes, seed: bytes, length: int) -> bytes:
        """prf+(K, S) of RFC 7296 §2.13: T1 | T2 | ... with Tn = prf(K, Tn-1 | S | n)."""
        return crypto_prf.prf_plus(self, key, seed, length)


class IntegAlgorithm(suites.IntegrityAlg):
    """An INTEG transform (type 3): a row of ``suites.INTEGRITY``, HMAC truncated to ``icv_bytes``."""

    @property
    def key_len(self) -> int:
        """SK_ai / SK_ar length in bytes (``key_bytes``)."""
        return self.key_bytes

    def icv(self, key: bytes, data: bytes) -> bytes:
        """HMAC truncated to ``icv_bytes`` (:func:`vpnlearn.crypto.prf.integrity_icv`)."""
        return crypto_prf.integrity_icv(self, key, data)


class DhGroup(suites.DHGroup):
    """A Diffie-Hellman group (transform type 4): a row of ``suites.DH_GROUPS`` that makes key pairs.

    The arithmetic, the KE payload formats (MODP: g^x padded to p; ECP: x | y, RFC 5903 §7;
    Curve25519: 32 bytes) and the checks of the peer's value are :mod:`vpnlearn.crypto.dh`'s.
    """

    @property
    def transform_id(self) -> int:
        """The Transform ID in a DH transform and the Group Num in a KE payload (the IANA number)."""
        return self.number

    def generate(self, rng: RandomSource | None = None) -> DhPrivate:
        """A fresh private value drawn from ``rng``."""
        key = crypto_dh.group(self.number).generate(rng)
        return DhPrivate(self, key, key.public_bytes())

    def from_private(self, value: int | bytes) -> DhPrivate:
        """A private value given explicitly (test vectors such as RFC 5903 §8)."""
        key = crypto_dh.group(self.number).load_private(value)
        return DhPrivate(self, key, key.public_bytes())


@dataclass(frozen=True)
class DhPrivate:
    """Our half of a Diffie-Hellman exchange: the private value and ``public`` (KE payload data)."""

    group: DhGroup
    private: object = field(repr=False)
    public: bytes = b""

    def exchange(self, peer_public: bytes) -> bytes:
        """g^ir as RFC 7296 §2.14 uses it (ECP: the x coordinate only, RFC 5903 §7).

        A peer value of the wrong length or not in the group raises CryptoError.
        """
        return self.private.exchange(peer_public)  # type: ignore[attr-defined]


R = TypeVar("R")
K = TypeVar("K")


def _as(cls: type[R], row: object, **changes: object) -> R:
    """The ``suites`` row ``row`` as an instance of its IKE subclass ``cls`` (same field values)."""
    values = {f.name: getattr(row, f.name) for f in fields(row)}  # type: ignore[arg-type]
    return cls(**{**values, **changes})


def _sk_can_seal(e: suites.EncryptionAlg) -> bool:
    # cryptography's AESGCM makes and checks 16-octet tags only, so GCM with 8/12-octet ICVs is left out.
    return e.cipher != "aes-gcm" or e.icv_bytes == 16


def _ike_dh_name(g: suites.DHGroup) -> str:
    # Group 31 keeps the name this package has always printed, "x25519" (RFC 7748's name; one of the
    # row's aliases, and a strongSwan keyword like "curve25519").
    return "x25519" if "x25519" in g.aliases else g.name


# suites row -> its IKE form, per transform type.
_ENCR = {e: _as(EncrAlgorithm, e) for e in suites.ENCRYPTION if _sk_can_seal(e)}
_PRF = {p: _as(PrfAlgorithm, p) for p in suites.PRF}
_INTEG = {i: _as(IntegAlgorithm, i) for i in suites.INTEGRITY}
_DH = {g: _as(DhGroup, g, name=_ike_dh_name(g)) for g in suites.DH_GROUPS}

ENCR_ALGORITHMS: tuple[EncrAlgorithm, ...] = (
    *_ENCR.values(),
    *(_as(EncrAlgorithm, e) for e in suites.REFUSED_ENCRYPTION),
)
PRF_ALGORITHMS: tuple[PrfAlgorithm, ...] = tuple(_PRF.values())
INTEG_ALGORITHMS: tuple[IntegAlgorithm, ...] = tuple(_INTEG.values())
DH_GROUPS: tuple[DhGroup, ...] = tuple(_DH.values())


def _form(forms: dict[K, R], row: K, where: str) -> R:
    """The IKE form of a ``suites`` row; ConfigError for a row the IKE layer cannot use."""
    try:
        return forms[row]
    except KeyError:
        raise ConfigError(f"{where}: {getattr(row, 'name', row)} is not supported by vpnlearn's IKE "
                          "(its SK payload seals with 16-octet ICVs only)") from None


def encr_by_id(transform_id: int, key_bits: int | None) -> EncrAlgorithm | None:
    """The ENCR row for an IANA ID and Key Length attribute, or None if we do not know it.

    Ciphers that take the attribute (``key_length_attr``) need it; fixed-length ones ignore it.
    """
    for a in ENCR_ALGORITHMS:
        if a.transform_id == transform_id and (not a.key_length_attr or a.key_bits == key_bits):
            return a
    return None


def by_id(ttype: int, transform_id: int, key_bits: int | None = None):
    """The table row for a (transform type, ID[, key length]) or None."""
    if ttype == ENCR:
        return encr_by_id(transform_id, key_bits)
    table = {PRF: PRF_ALGORITHMS, INTEG: INTEG_ALGORITHMS, DH: DH_GROUPS}.get(ttype, ())
    return next((a for a in table if a.transform_id == transform_id), None)


def dh_group(group: int | str) -> DhGroup:
    """A DH group by IANA number (19) or any ``suites`` name ("ecp256", "x25519", "group14")."""
    return _form(_DH, suites.dh_group(group), f"DH group {group!r}")


@dataclass(frozen=True)
class Suite:
    """One proposal's algorithms, each a tuple in preference order (strongSwan allows several)."""

    encr: tuple[EncrAlgorithm, ...]
    prf: tuple[PrfAlgorithm, ...] = ()
    integ: tuple[IntegAlgorithm, ...] = ()
    dh: tuple[DhGroup, ...] = ()
    esn: tuple[int, ...] = ()
    text: str = ""


def parse_proposal(text: str, *, ike: bool = True) -> Suite:
    """Parse a strongSwan proposal (``"aes128gcm16-prfsha256-x25519"``, ``"aes256-sha256-modp2048"``).

    The parsing and its rules are :func:`vpnlearn.crypto.suites.parse_proposal`'s: for IKE, an
    integrity algorithm without an explicit ``prf...`` implies the PRF on the same hash; an AEAD
    cipher takes no integrity algorithm; 3DES is refused by name. For ESP, the DH group (if any) is
    the PFS group, and ESN defaults to 0 (no ESN).
    """
    p = suites.parse_proposal(text, "ike" if ike else "esp")
    where = f"{p.kind} proposal {text!r}"
    return Suite(
        encr=tuple(_form(_ENCR, e, where) for e in p.encryption),
        prf=tuple(_form(_PRF, a, where) for a in p.effective_prf),
        integ=tuple(_form(_INTEG, i, where) for i in p.integrity),
        dh=tuple(_form(_DH, g, where) for g in p.dh_groups),
        esn=tuple(int(e) for e in p.esn),
        text=text,
    )


@dataclass(frozen=True)
class Chosen:
    """The algorithms one negotiation settled on (one of each type)."""

    encr: EncrAlgorithm
    prf: PrfAlgorithm | None
    integ: IntegAlgorithm | None
    dh: DhGroup | None
    esn: int | None = None

    @property
    def name(self) -> str:
        """strongSwan-style name, e.g. ``aes128gcm16-prfsha256-x25519``."""
        parts = [self.encr.name] + [a.name for a in (self.integ, self.prf, self.dh) if a is not None]
        if self.esn is not None:
            parts.append("esn" if self.esn else "noesn")
        return "-".join(parts)


# --- SK payload / ESP style protection ------------------------------------------------------------


def _aead(encr: EncrAlgorithm, key: bytes) -> tuple[AESGCM | ChaCha20Poly1305, bytes]:
    """The AEAD object for the cipher key and the 4-byte salt that ends ``key`` (RFC 5282 §4, RFC 7634 §2)."""
    k, salt = key[: -encr.salt_bytes], key[-encr.salt_bytes :]
    return (ChaCha20Poly1305 if encr.cipher == "chacha20-poly1305" else AESGCM)(k), salt


def _cbc(encr: EncrAlgorithm, key: bytes, iv: bytes, what: str) -> Cipher:
    if encr.cipher != "aes-cbc":
        raise ConfigError(f"{encr.name}: not available for {what} here")
    return Cipher(algorithms.AES(key), modes.CBC(iv))


def encrypt(encr: EncrAlgorithm, key: bytes, iv: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt ``plaintext`` (already padded for CBC). AEADs return ciphertext | 16-byte tag.

    For AEADs ``key`` is the cipher key followed by the 4-byte salt; the nonce is salt | IV
    (RFC 5282 §4, RFC 7634 §2).
    """
    if encr.aead:
        cipher, salt = _aead(encr, key)
        return cipher.encrypt(salt + iv, plaintext, aad)
    enc = _cbc(encr, key, iv, "encryption").encryptor()
    return enc.update(plaintext) + enc.finalize()


def decrypt(encr: EncrAlgorithm, key: bytes, iv: bytes, ciphertext: bytes, aad: bytes = b"") -> bytes:
    """The inverse of :func:`encrypt`; a bad AEAD tag raises AuthenticationError."""
    if encr.aead:
        cipher, salt = _aead(encr, key)
        try:
            return cipher.decrypt(salt + iv, ciphertext, aad)
        except InvalidTag as exc:
            raise AuthenticationError(f"{encr.name}: the ICV (tag) does not verify") from exc
    dec = _cbc(encr, key, iv, "decryption").decryptor()
    return dec.update(ciphertext) + dec.finalize()
