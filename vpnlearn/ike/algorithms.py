"""The IKEv2 transforms this package negotiates: IANA IDs, strongSwan names, and their primitives.

RFC 7296 §3.3.2 numbers the transform types (1 ENCR, 2 PRF, 3 INTEG, 4 DH, 5 ESN) and IANA's
"IKEv2 Parameters" registry numbers the algorithms. Each algorithm here is one row of a table; a
proposal string in strongSwan's syntax (``"aes128gcm16-prfsha256-x25519"``,
``"aes256-sha256-modp2048"``) is parsed into those rows by :func:`parse_proposal`.

The ciphers are ``cryptography``'s (AES-CBC, AES-GCM, ChaCha20-Poly1305); PRF, prf+, the truncated
HMACs and every DH group (2, 5, 14-24, 31) come from the project's :mod:`vpnlearn.crypto` (``prf``,
``dh``, ``suites``), so there is one table of DH groups. Private values are drawn from an ``rng``
(:mod:`vpnlearn.rand`), so demos are repeatable.

Weak choices that AWS still accepts (SHA-1, DH group 2 "modp1024", group 5) are here because a
learner must see them; they carry ``weak=True``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from vpnlearn.crypto import dh as crypto_dh
from vpnlearn.crypto import prf as crypto_prf
from vpnlearn.crypto import suites as crypto_suites
from vpnlearn.errors import AuthenticationError, ConfigError
from vpnlearn.rand import RandomSource

# Transform types, RFC 7296 §3.3.2.
ENCR, PRF, INTEG, DH, ESN = 1, 2, 3, 4, 5
TRANSFORM_TYPE_NAMES = {ENCR: "ENCR", PRF: "PRF", INTEG: "INTEG", DH: "DH", ESN: "ESN"}
# Transform attribute type 14 = Key Length (in bits), RFC 7296 §3.3.5.
ATTR_KEY_LENGTH = 14

_OUTPUT = {"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}


@dataclass(frozen=True)
class EncrAlgorithm:
    """An ENCR transform (RFC 7296 §3.3.2 type 1). AEAD ciphers (GCM, ChaCha20-Poly1305) need no INTEG.

    ``key_bits`` is the cipher key; AEADs in IKE/ESP take ``salt_len`` more key bytes as the nonce
    salt (RFC 5282 §7, RFC 7634 §2). ``iv_len`` is the explicit IV carried in each SK/ESP payload.
    """

    name: str
    transform_id: int
    key_bits: int
    iv_len: int
    block_size: int
    aead: bool = False
    icv_len: int = 0
    salt_len: int = 0
    needs_key_length_attr: bool = True
    weak: bool = False
    rfc: str = ""

    @property
    def key_len(self) -> int:
        """Key material to take from prf+ (bytes), salt included for AEADs."""
        return self.key_bits // 8 + self.salt_len


@dataclass(frozen=True)
class PrfAlgorithm:
    """A PRF transform (type 2): HMAC with a hash; its output length is the preferred key length."""

    name: str
    transform_id: int
    hash_name: str
    weak: bool = False
    rfc: str = "RFC 7296 §3.3.2, RFC 4868"

    @property
    def output_len(self) -> int:
        return _OUTPUT[self.hash_name]

    @property
    def key_len(self) -> int:
        """SK_d, SK_pi and SK_pr are as long as the PRF's preferred key (its output), §2.14."""
        return self.output_len

    def __call__(self, key: bytes, data: bytes) -> bytes:
        """prf(K, S) of RFC 7296 §2.13 (:func:`vpnlearn.crypto.prf.prf`)."""
        return crypto_prf.prf(self.transform_id, key, data)

    def plus(self, key: bytes, seed: bytes, length: int) -> bytes:
        """prf+(K, S) of RFC 7296 §2.13: T1 | T2 | ... with Tn = prf(K, Tn-1 | S | n)."""
        return crypto_prf.prf_plus(self.transform_id, key, seed, length)


@dataclass(frozen=True)
class IntegAlgorithm:
    """An INTEG transform (type 3): HMAC truncated to ``icv_len`` bytes (RFC 4868, RFC 2404)."""

    name: str
    transform_id: int
    hash_name: str
    key_len: int
    icv_len: int
    weak: bool = False
    rfc: str = "RFC 4868"

    def icv(self, key: bytes, data: bytes) -> bytes:
        """HMAC truncated to ``icv_len`` (:func:`vpnlearn.crypto.prf.integrity_icv`)."""
        return crypto_prf.integrity_icv(self.transform_id, key, data)


@dataclass(frozen=True)
class DhGroup:
    """A Diffie-Hellman group (transform type 4): a view of the project's DH table.

    The arithmetic, the KE payload formats (MODP: g^x padded to p; ECP: x | y, RFC 5903 §7;
    Curve25519: 32 bytes) and the checks of the peer's value are :mod:`vpnlearn.crypto.dh`'s.
    ``kind`` is ``"modp"``, ``"ecp"`` or ``"curve25519"``.
    """

    name: str
    transform_id: int
    kind: str
    public_len: int
    weak: bool = False
    rfc: str = ""

    def generate(self, rng: RandomSource | None = None) -> DhPrivate:
        """A fresh private value drawn from ``rng``."""
        key = crypto_dh.group(self.transform_id).generate(rng)
        return DhPrivate(self, key, key.public_bytes())

    def from_private(self, value: int | bytes) -> DhPrivate:
        """A private value given explicitly (test vectors such as RFC 5903 §8)."""
        key = crypto_dh.group(self.transform_id).load_private(value)
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


ENCR_ALGORITHMS: tuple[EncrAlgorithm, ...] = (
    EncrAlgorithm("aes128", 12, 128, 16, 16, rfc="RFC 3602"),
    EncrAlgorithm("aes256", 12, 256, 16, 16, rfc="RFC 3602"),
    EncrAlgorithm("aes128gcm16", 20, 128, 8, 4, aead=True, icv_len=16, salt_len=4, rfc="RFC 5282"),
    EncrAlgorithm("aes256gcm16", 20, 256, 8, 4, aead=True, icv_len=16, salt_len=4, rfc="RFC 5282"),
    EncrAlgorithm(
        "chacha20poly1305",
        28,
        256,
        8,
        1,
        aead=True,
        icv_len=16,
        salt_len=4,
        needs_key_length_attr=False,
        rfc="RFC 7634",
    ),
    # 3DES is listed only so that a proposal using it can be parsed and refused (AWS rejects it).
    EncrAlgorithm("3des", 3, 192, 8, 8, needs_key_length_attr=False, weak=True, rfc="RFC 2451"),
)
PRF_ALGORITHMS: tuple[PrfAlgorithm, ...] = (
    PrfAlgorithm("prfsha1", 2, "sha1", weak=True, rfc="RFC 2104"),
    PrfAlgorithm("prfsha256", 5, "sha256"),
    PrfAlgorithm("prfsha384", 6, "sha384"),
    PrfAlgorithm("prfsha512", 7, "sha512"),
)
INTEG_ALGORITHMS: tuple[IntegAlgorithm, ...] = (
    IntegAlgorithm("sha1", 2, "sha1", 20, 12, weak=True, rfc="RFC 2404"),
    IntegAlgorithm("sha256", 12, "sha256", 32, 16),
    IntegAlgorithm("sha384", 13, "sha384", 48, 24),
    IntegAlgorithm("sha512", 14, "sha512", 64, 32),
)
DH_GROUPS: tuple[DhGroup, ...] = tuple(
    DhGroup("x25519" if g.number == 31 else g.name, g.number, g.kind, g.ke_bytes, g.weak, g.rfc)
    for g in crypto_suites.DH_GROUPS
)
_ALIASES = {
    "curve25519": "x25519",
    "aes128gcm128": "aes128gcm16",
    "aes256gcm128": "aes256gcm16",
    "sha2_256": "sha256",
    "sha2_384": "sha384",
    "sha2_512": "sha512",
}


def encr_by_id(transform_id: int, key_bits: int | None) -> EncrAlgorithm | None:
    """The ENCR row for an IANA ID and Key Length attribute, or None if we do not know it."""
    for a in ENCR_ALGORITHMS:
        if a.transform_id == transform_id and (
            key_bits is None or not a.needs_key_length_attr or a.key_bits == key_bits
        ):
            if a.needs_key_length_attr and key_bits is None:
                return None
            return a
    return None


def by_id(ttype: int, transform_id: int, key_bits: int | None = None):
    """The table row for a (transform type, ID[, key length]) or None."""
    if ttype == ENCR:
        return encr_by_id(transform_id, key_bits)
    table = {PRF: PRF_ALGORITHMS, INTEG: INTEG_ALGORITHMS, DH: DH_GROUPS}.get(ttype, ())
    for a in table:
        if a.transform_id == transform_id:
            return a
    return None


def dh_group(group: int | str) -> DhGroup:
    """A DH group by IANA number (19) or name ("ecp256")."""
    for g in DH_GROUPS:
        if group in (g.transform_id, g.name):
            return g
    raise ConfigError(f"unknown DH group {group!r}; known: {[g.name for g in DH_GROUPS]}")


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

    For IKE, an integrity algorithm without an explicit ``prf...`` implies the PRF on the same hash
    (strongSwan's rule); an AEAD cipher must not be paired with an integrity algorithm. For ESP, the DH
    group (if any) is the PFS group, and ESN defaults to "no ESN".
    """
    encr, prf, integ, dh, esn = [], [], [], [], []
    for raw in text.lower().split("-"):
        tok = _ALIASES.get(raw, raw)
        if not tok:
            raise ConfigError(f"proposal {text!r}: empty algorithm name")
        found = (
            [a for a in ENCR_ALGORITHMS if a.name == tok]
            or [a for a in PRF_ALGORITHMS if a.name == tok]
            or [a for a in INTEG_ALGORITHMS if a.name == tok]
            or [a for a in DH_GROUPS if a.name == tok]
        )
        if tok in ("esn", "noesn"):
            esn.append(1 if tok == "esn" else 0)
        elif not found:
            raise ConfigError(f"proposal {text!r}: unknown algorithm {raw!r}")
        else:
            a = found[0]
            {EncrAlgorithm: encr, PrfAlgorithm: prf, IntegAlgorithm: integ, DhGroup: dh}[type(a)].append(a)
    if not encr:
        raise ConfigError(f"proposal {text!r}: no encryption algorithm")
    aead = [a.aead for a in encr]
    if any(aead) and not all(aead):
        raise ConfigError(f"proposal {text!r}: cannot mix AEAD and non-AEAD ciphers in one proposal")
    if aead[0] and integ:
        raise ConfigError(f"proposal {text!r}: an AEAD cipher takes no integrity algorithm")
    if not aead[0] and not integ:
        raise ConfigError(f"proposal {text!r}: a non-AEAD cipher needs an integrity algorithm")
    if ike:
        if not prf:
            prf = [a for i in integ for a in PRF_ALGORITHMS if a.hash_name == i.hash_name]
        if not prf:
            raise ConfigError(f"proposal {text!r}: an IKE proposal needs a PRF (e.g. prfsha256)")
        if not dh:
            raise ConfigError(f"proposal {text!r}: an IKE proposal needs a DH group")
        if esn:
            raise ConfigError(f"proposal {text!r}: ESN is for ESP proposals")
    else:
        if prf:
            raise ConfigError(f"proposal {text!r}: an ESP proposal has no PRF")
        esn = esn or [0]
    return Suite(tuple(encr), tuple(prf), tuple(integ), tuple(dh), tuple(esn), text)


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


def encrypt(encr: EncrAlgorithm, key: bytes, iv: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt ``plaintext`` (already padded for CBC). AEADs return ciphertext | 16-byte tag.

    For AEADs ``key`` is the cipher key followed by the 4-byte salt; the nonce is salt | IV
    (RFC 5282 §4, RFC 7634 §2).
    """
    if encr.aead:
        k, salt = key[: -encr.salt_len], key[-encr.salt_len :]
        cls = ChaCha20Poly1305 if encr.transform_id == 28 else AESGCM
        return cls(k).encrypt(salt + iv, plaintext, aad)
    if encr.transform_id != 12:
        raise ConfigError(f"{encr.name}: not available for encryption here")
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(plaintext) + enc.finalize()


def decrypt(encr: EncrAlgorithm, key: bytes, iv: bytes, ciphertext: bytes, aad: bytes = b"") -> bytes:
    """The inverse of :func:`encrypt`; a bad AEAD tag raises AuthenticationError."""
    if encr.aead:
        k, salt = key[: -encr.salt_len], key[-encr.salt_len :]
        cls = ChaCha20Poly1305 if encr.transform_id == 28 else AESGCM
        try:
            return cls(k).decrypt(salt + iv, ciphertext, aad)
        except InvalidTag as exc:
            raise AuthenticationError(f"{encr.name}: the ICV (tag) does not verify") from exc
    if encr.transform_id != 12:
        raise ConfigError(f"{encr.name}: not available for decryption here")
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return dec.update(ciphertext) + dec.finalize()
