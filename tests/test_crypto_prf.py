"""PRFs, prf+ and truncated-HMAC ICVs (vpnlearn.crypto.prf) against RFC 4231, RFC 4868 and RFC 2202.

Vectors: tests/vectors/rfc4231-hmac.json (RFC 4231 §4.2-4.8, RFC 2202 §3) and
tests/vectors/rfc4868-hmac-sha2.json (RFC 4868 §2.7.2.1) and rfc4868-hmac-sha512.json (§2.7.2.3).
"""

from __future__ import annotations

import hashlib
import hmac as std_hmac
import json
from pathlib import Path

import pytest

from vpnlearn.crypto import prf as P
from vpnlearn.crypto import suites
from vpnlearn.errors import AuthenticationError, ConfigError

VECTORS = Path(__file__).parent / "vectors"


def load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text())


def material(spec: dict) -> bytes:
    if "text" in spec:
        return spec["text"].encode("ascii")
    if "repeat" in spec:
        return bytes.fromhex(spec["repeat"]) * spec["count"]
    return bytes.fromhex(spec["hex"])


def hexval(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


HMAC_VECTORS = load("rfc4231-hmac.json")
RFC4231 = [pytest.param(case, h, id=f"case{case['case']}-{h}")
           for case in HMAC_VECTORS["rfc4231"] for h in ("sha256", "sha384", "sha512")]


@pytest.mark.parametrize("case,hash_name", RFC4231)
def test_rfc4231_as_ikev2_prf(case, hash_name):
    alg = {"sha256": "PRF_HMAC_SHA2_256", "sha384": "PRF_HMAC_SHA2_384",
           "sha512": "PRF_HMAC_SHA2_512"}[hash_name]
    out = P.prf(alg, material(case["key"]), material(case["data"]))
    assert out == hexval(case[hash_name])
    assert len(out) == suites.prf(alg).output_bytes


@pytest.mark.parametrize("case", HMAC_VECTORS["rfc2202_sha1"], ids=lambda c: f"case{c['case']}")
def test_rfc2202_sha1_prf(case):
    assert P.prf("prfsha1", material(case["key"]), material(case["data"])) == hexval(case["sha1"])


def test_rfc2202_case5_is_hmac_sha1_96():
    case = HMAC_VECTORS["rfc2202_sha1"][4]
    key = material(case["key"])
    assert len(key) == 20
    icv = P.integrity_icv("AUTH_HMAC_SHA1_96", key, material(case["data"]))
    assert icv == hexval(case["sha1_96"]) and len(icv) == 12


RFC4868 = load("rfc4868-hmac-sha2.json")["cases"] + load("rfc4868-hmac-sha512.json")["cases"]


@pytest.mark.parametrize("case", RFC4868, ids=lambda c: c["name"])
def test_rfc4868_auth256_and_auth512(case):
    bits = {"AUTH_HMAC_SHA2_256_128": "256", "AUTH_HMAC_SHA2_512_256": "512"}[case["integrity"]]
    key, data = hexval(case["key"]), hexval(case["data"])
    assert len(key) == int(bits) // 8  # RFC 4868: the integrity key is as long as the hash output
    assert P.prf(f"prfsha{bits}", key, data) == hexval(case["prf"])
    assert P.integrity_icv(case["integrity"], key, data) == hexval(case["icv"])
    P.verify_icv(f"sha{bits}", key, data, hexval(case["icv"]))


@pytest.mark.parametrize("name,key_len,icv_len", [("sha1", 20, 12), ("sha256", 32, 16),
                                                  ("sha384", 48, 24), ("sha512", 64, 32)])
def test_integrity_icv_is_the_left_part_of_hmac(name, key_len, icv_len):
    key = bytes(range(1, key_len + 1))
    data = b"ESP header and payload"
    alg = suites.integrity(name)
    full = std_hmac.new(key, data, getattr(hashlib, alg.hash_name)).digest()
    assert P.integrity_icv(name, key, data) == full[:icv_len]
    with pytest.raises(ConfigError, match=f"{key_len}-byte key"):
        P.integrity_icv(name, key[:-1], data)


def test_verify_icv_rejects_a_flipped_bit_and_wrong_length():
    key, data = bytes(32), b"payload"
    icv = P.integrity_icv("sha256", key, data)
    P.verify_icv("sha256", key, data, icv)
    bad = bytes([icv[0] ^ 0x80]) + icv[1:]
    with pytest.raises(AuthenticationError, match="ESP ICV"):
        P.verify_icv("sha256", key, data, bad, what="ESP ICV")
    with pytest.raises(AuthenticationError, match="16"):
        P.verify_icv("sha256", key, data, icv[:12])
    with pytest.raises(AuthenticationError):
        P.verify_icv("sha256", key, data + b"!", icv)


def reference_prf_plus(hash_name: str, key: bytes, seed: bytes, length: int) -> bytes:
    """RFC 7296 §2.13 written out with the standard library's hmac (not the code under test)."""
    out, t, n = b"", b"", 1
    while len(out) < length:
        t = std_hmac.new(key, t + seed + bytes([n]), getattr(hashlib, hash_name)).digest()
        out += t
        n += 1
    return out[:length]


@pytest.mark.parametrize("alg", ["prfsha1", "prfsha256", "prfsha384", "prfsha512"])
@pytest.mark.parametrize("length", [0, 1, 20, 32, 33, 100, 231])
def test_prf_plus_matches_rfc7296_definition(alg, length):
    a = suites.prf(alg)
    key, seed = b"SKEYSEED-like key", b"Ni | Nr | SPIi | SPIr"
    got = P.prf_plus(alg, key, seed, length)
    assert got == reference_prf_plus(a.hash_name, key, seed, length)
    assert len(got) == length


def test_prf_plus_first_block_and_prefix_property():
    key, seed = b"k" * 32, b"seed"
    assert P.prf_plus("prfsha256", key, seed, 32) == P.prf("prfsha256", key, seed + b"\x01")
    long = P.prf_plus("prfsha256", key, seed, 200)
    assert long[:70] == P.prf_plus("prfsha256", key, seed, 70)


def test_prf_plus_stops_at_255_blocks():
    key, seed = b"k" * 32, b"s"
    out = P.prf_plus("prfsha256", key, seed, 255 * 32)
    assert len(out) == 8160
    with pytest.raises(ConfigError, match="255"):
        P.prf_plus("prfsha256", key, seed, 255 * 32 + 1)
    with pytest.raises(ConfigError):
        P.prf_plus("prfsha256", key, seed, -1)


def test_unknown_algorithms_and_bad_types():
    with pytest.raises(ConfigError, match="known"):
        P.prf("prfmd5", b"k", b"d")
    with pytest.raises(ConfigError, match="bytes"):
        P.prf("prfsha256", "key", b"d")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        P.hash_algorithm("md5")


def test_verify_prf():
    key, data = b"key", b"data"
    mac = P.prf(5, key, data)
    P.verify_prf(5, key, data, mac)
    with pytest.raises(AuthenticationError):
        P.verify_prf(5, key, data, mac[:-1] + bytes([mac[-1] ^ 1]))
