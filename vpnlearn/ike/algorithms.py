"""The IKEv2 transforms this package negotiates: IANA IDs, strongSwan names, and their primitives.

RFC 7296 §3.3.2 numbers the transform types (1 ENCR, 2 PRF, 3 INTEG, 4 DH, 5 ESN) and IANA's
"IKEv2 Parameters" registry numbers the algorithms. Each algorithm here is one row of a table; a
proposal string in strongSwan's syntax (``"aes128gcm16-prfsha256-x25519"``,
``"aes256-sha256-modp2048"``) is parsed into those rows by :func:`parse_proposal`.

Every primitive is from ``cryptography`` (HMAC, AES-CBC, AES-GCM, ChaCha20-Poly1305, X25519, ECDH);
finite-field (MODP) Diffie-Hellman is a modular exponentiation with the RFC 2409/3526 primes.
Private values are drawn from an ``rng`` (:mod:`vpnlearn.rand`), so demos are repeatable.

Weak choices that AWS still accepts (SHA-1, DH group 2 "modp1024", group 5) are here because a
learner must see them; they carry ``weak=True``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from vpnlearn.errors import AuthenticationError, ConfigError, CryptoError
from vpnlearn.rand import RandomSource, resolve

# Transform types, RFC 7296 §3.3.2.
ENCR, PRF, INTEG, DH, ESN = 1, 2, 3, 4, 5
TRANSFORM_TYPE_NAMES = {ENCR: "ENCR", PRF: "PRF", INTEG: "INTEG", DH: "DH", ESN: "ESN"}
# Transform attribute type 14 = Key Length (in bits), RFC 7296 §3.3.5.
ATTR_KEY_LENGTH = 14

_HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def _hmac(hash_name: str, key: bytes, data: bytes) -> bytes:
    h = hmac.HMAC(key, _HASHES[hash_name]())
    h.update(data)
    return h.finalize()


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
        return _HASHES[self.hash_name].digest_size

    @property
    def key_len(self) -> int:
        """SK_d, SK_pi and SK_pr are as long as the PRF's preferred key (its output), §2.14."""
        return self.output_len

    def __call__(self, key: bytes, data: bytes) -> bytes:
        """prf(K, S) of RFC 7296 §2.13."""
        return _hmac(self.hash_name, key, data)

    def plus(self, key: bytes, seed: bytes, length: int) -> bytes:
        """prf+(K, S) of RFC 7296 §2.13: T1 | T2 | ... with Tn = prf(K, Tn-1 | S | n)."""
        if length > 255 * self.output_len:
            raise ConfigError(f"prf+ can give at most {255 * self.output_len} bytes, asked for {length}")
        out, t, n = b"", b"", 1
        while len(out) < length:
            t = self(key, t + seed + bytes([n]))
            out += t
            n += 1
        return out[:length]


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
        return _hmac(self.hash_name, key, data)[: self.icv_len]


@dataclass(frozen=True)
class DhGroup:
    """A Diffie-Hellman group (type 4). ``kind`` is ``"modp"``, ``"ecp"`` or ``"x25519"``."""

    name: str
    transform_id: int
    kind: str
    prime_hex: str = ""
    curve: object = None
    weak: bool = False
    rfc: str = ""

    @property
    def public_len(self) -> int:
        """Length of the KE payload's Key Exchange Data (RFC 7296 §3.4, RFC 5903 §7)."""
        if self.kind == "modp":
            return len(self.prime_hex) // 2
        if self.kind == "x25519":
            return 32
        return 2 * ((self.curve.key_size + 7) // 8)

    def generate(self, rng: RandomSource | None = None) -> DhPrivate:
        """A fresh private value drawn from ``rng``."""
        src = resolve(rng)
        if self.kind == "modp":
            x = int.from_bytes(src.random_bytes(64), "big") | (1 << 511)
            return self.from_private(x)
        if self.kind == "x25519":
            return self.from_private(src.random_bytes(32))
        nbytes = (self.curve.key_size + 7) // 8
        while True:
            d = int.from_bytes(src.random_bytes(nbytes), "big") >> (nbytes * 8 - self.curve.key_size)
            try:
                return self.from_private(d)
            except (ValueError, ConfigError):
                continue

    def from_private(self, value: int | bytes) -> DhPrivate:
        """A private value given explicitly (test vectors such as RFC 5903 §8)."""
        if self.kind == "modp":
            p = int(self.prime_hex, 16)
            x = value if isinstance(value, int) else int.from_bytes(value, "big")
            return DhPrivate(self, x, pow(2, x, p).to_bytes(self.public_len, "big"))
        if self.kind == "x25519":
            key = x25519.X25519PrivateKey.from_private_bytes(bytes(value))
            return DhPrivate(self, key, key.public_key().public_bytes_raw())
        d = value if isinstance(value, int) else int.from_bytes(value, "big")
        try:
            key = ec.derive_private_key(d, self.curve)
        except ValueError as exc:
            raise ConfigError(f"{self.name}: private value out of range") from exc
        point = key.public_key().public_numbers()
        half = self.public_len // 2
        return DhPrivate(self, key, point.x.to_bytes(half, "big") + point.y.to_bytes(half, "big"))


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
        g = self.group
        if len(peer_public) != g.public_len:
            raise CryptoError(
                f"{g.name}: peer's Key Exchange Data is {len(peer_public)} bytes, expected {g.public_len}"
            )
        if g.kind == "modp":
            p = int(g.prime_hex, 16)
            y = int.from_bytes(peer_public, "big")
            if not 1 < y < p - 1:
                raise CryptoError(f"{g.name}: peer's public value is not in (1, p-1)")
            return pow(y, self.private, p).to_bytes(g.public_len, "big")
        if g.kind == "x25519":
            try:
                shared = self.private.exchange(x25519.X25519PublicKey.from_public_bytes(peer_public))
            except ValueError as exc:
                raise CryptoError("x25519: peer's public value gives an all-zero shared secret") from exc
            return shared
        try:
            pub = ec.EllipticCurvePublicKey.from_encoded_point(g.curve, b"\x04" + peer_public)
            return self.private.exchange(ec.ECDH(), pub)
        except ValueError as exc:
            raise CryptoError(f"{g.name}: peer's public value is not a point on the curve") from exc


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
_MODP = {
    2: (  # modp1024
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF"
    ),
    5: (  # modp1536
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
        "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF"
    ),
    14: (  # modp2048
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
        "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
        "15728E5A8AACAA68FFFFFFFFFFFFFFFF"
    ),
    15: (  # modp3072
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
        "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
        "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
        "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
        "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
    ),
    16: (  # modp4096
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
        "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
        "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
        "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
        "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7"
        "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8DBBBC2DB04DE8EF92E8EFC141FBECAA6"
        "287C59474E6BC05D99B2964FA090C3A2233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
        "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF"
    ),
}
DH_GROUPS: tuple[DhGroup, ...] = (
    DhGroup("modp1024", 2, "modp", "".join(_MODP[2]), weak=True, rfc="RFC 2409 §6.2"),
    DhGroup("modp1536", 5, "modp", "".join(_MODP[5]), weak=True, rfc="RFC 3526 §2"),
    DhGroup("modp2048", 14, "modp", "".join(_MODP[14]), rfc="RFC 3526 §3"),
    DhGroup("modp3072", 15, "modp", "".join(_MODP[15]), rfc="RFC 3526 §4"),
    DhGroup("modp4096", 16, "modp", "".join(_MODP[16]), rfc="RFC 3526 §5"),
    DhGroup("ecp256", 19, "ecp", curve=ec.SECP256R1(), rfc="RFC 5903"),
    DhGroup("ecp384", 20, "ecp", curve=ec.SECP384R1(), rfc="RFC 5903"),
    DhGroup("ecp521", 21, "ecp", curve=ec.SECP521R1(), rfc="RFC 5903"),
    DhGroup("x25519", 31, "x25519", rfc="RFC 8031"),
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
