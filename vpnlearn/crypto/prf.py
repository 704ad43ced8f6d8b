"""IKEv2's pseudo-random functions and the truncated-HMAC integrity check values of IKE, ESP and AH.

- :func:`prf` is HMAC with the PRF's hash (RFC 2104; RFC 4868 §2 for SHA-2).
- :func:`prf_plus` is RFC 7296 §2.13's ``prf+``, which stretches one key into as many bytes of
  keying material as needed::

      prf+ (K,S) = T1 | T2 | T3 | T4 | ...
      T1 = prf (K, S | 0x01)
      T2 = prf (K, T1 | S | 0x02)
      T3 = prf (K, T2 | S | 0x03)

  The counter is one octet, so at most 255 blocks can be made.
- :func:`integrity_icv` is HMAC truncated to the algorithm's ICV length (HMAC-SHA1-96, RFC 2404;
  HMAC-SHA-256-128 / -384-192 / -512-256, RFC 4868 §2.1), and :func:`verify_icv` checks one in
  constant time.

Every HMAC is ``cryptography``'s.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import constant_time, hashes, hmac

from vpnlearn.crypto import suites
from vpnlearn.errors import AuthenticationError, ConfigError

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

PRF_PLUS_MAX_BLOCKS = 255
"""RFC 7296 §2.13: the counter octet runs 0x01..0xFF, so prf+ makes at most 255 blocks."""


def hash_algorithm(name: str) -> hashes.HashAlgorithm:
    """The ``cryptography`` hash object for ``"sha1"``, ``"sha256"``, ``"sha384"`` or ``"sha512"``."""
    try:
        return _HASHES[name]()
    except KeyError:
        raise ConfigError(f"unknown hash {name!r}; known: {', '.join(_HASHES)}") from None


def _bytes(value: object, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise ConfigError(f"{what} must be bytes, not {type(value).__name__}")
    return bytes(value)


def _hmac(hash_name: str, key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, hash_algorithm(hash_name))
    mac.update(data)
    return mac.finalize()


def _prf_alg(alg: suites.PrfAlg | str | int) -> suites.PrfAlg:
    return alg if isinstance(alg, suites.PrfAlg) else suites.prf(alg)


def _integ_alg(alg: suites.IntegrityAlg | str | int) -> suites.IntegrityAlg:
    return alg if isinstance(alg, suites.IntegrityAlg) else suites.integrity(alg)


def prf(alg: suites.PrfAlg | str | int, key: bytes, data: bytes) -> bytes:
    """``prf(K, S)``: HMAC of ``data`` under ``key`` with the PRF's hash (full output, not truncated).

    ``alg`` is a :class:`~vpnlearn.crypto.suites.PrfAlg` or any of its names or its transform ID
    (``"prfsha256"``, ``"PRF_HMAC_SHA2_256"``, ``5``). HMAC accepts any key length (RFC 2104 §3).
    """
    a = _prf_alg(alg)
    return _hmac(a.hash_name, _bytes(key, "PRF key"), _bytes(data, "PRF data"))


def prf_plus(alg: suites.PrfAlg | str | int, key: bytes, seed: bytes, length: int) -> bytes:
    """``prf+(K, S)`` of RFC 7296 §2.13, cut to ``length`` bytes.

    Raises :class:`~vpnlearn.errors.ConfigError` if ``length`` needs more than 255 PRF blocks
    (for PRF_HMAC_SHA2_256 that is more than 255 * 32 = 8160 bytes).
    """
    a = _prf_alg(alg)
    key = _bytes(key, "prf+ key")
    seed = _bytes(seed, "prf+ seed")
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        raise ConfigError(f"prf+ length must be a non-negative int, not {length!r}")
    blocks = -(-length // a.output_bytes)
    if blocks > PRF_PLUS_MAX_BLOCKS:
        raise ConfigError(
            f"prf+ with {a.name} can make at most {PRF_PLUS_MAX_BLOCKS * a.output_bytes} bytes "
            f"({PRF_PLUS_MAX_BLOCKS} blocks of {a.output_bytes}); {length} asked "
            "(RFC 7296 §2.13: the counter is one octet)")
    out = bytearray()
    t = b""
    for n in range(1, blocks + 1):
        t = _hmac(a.hash_name, key, t + seed + bytes([n]))
        out += t
    return bytes(out[:length])


def integrity_icv(alg: suites.IntegrityAlg | str | int, key: bytes, data: bytes) -> bytes:
    """The Integrity Check Value: HMAC of ``data``, keeping the leftmost ``icv_bytes`` bytes.

    The key must be exactly the algorithm's key length (RFC 4868 §2.1.1: 32/48/64 bytes for
    SHA-256/384/512; RFC 2404: 20 bytes for HMAC-SHA1-96).
    """
    a = _integ_alg(alg)
    key = _bytes(key, "integrity key")
    if len(key) != a.key_bytes:
        raise ConfigError(f"{a.name} ({a.iana_name}) needs a {a.key_bytes}-byte key, got {len(key)} bytes")
    return _hmac(a.hash_name, key, _bytes(data, "integrity data"))[:a.icv_bytes]


def verify_icv(alg: suites.IntegrityAlg | str | int, key: bytes, data: bytes, icv: bytes,
               *, what: str = "ICV") -> None:
    """Check an ICV in constant time; raise :class:`~vpnlearn.errors.AuthenticationError` if wrong.

    ``what`` names the thing checked in the error message (e.g. ``"ESP ICV, SPI 0x1234abcd"``).
    The message never contains key material or data.
    """
    a = _integ_alg(alg)
    icv = _bytes(icv, "ICV")
    if len(icv) != a.icv_bytes:
        raise AuthenticationError(f"{what}: {a.name} ICV is {a.icv_bytes} bytes, got {len(icv)}")
    expected = integrity_icv(a, key, data)
    if not constant_time.bytes_eq(expected, icv):
        raise AuthenticationError(f"{what}: integrity check failed ({a.iana_name})")


def verify_prf(alg: suites.PrfAlg | str | int, key: bytes, data: bytes, mac: bytes) -> None:
    """Check a full-length PRF output (e.g. an AUTH value) in constant time."""
    a = _prf_alg(alg)
    h = hmac.HMAC(_bytes(key, "PRF key"), hash_algorithm(a.hash_name))
    h.update(_bytes(data, "PRF data"))
    try:
        h.verify(_bytes(mac, "MAC"))
    except InvalidSignature:
        raise AuthenticationError(f"{a.name} value did not verify") from None
