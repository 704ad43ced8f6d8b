"""Published test vectors: NIST SP 800-135 IKEv2 KDF (CAVP) and RFC 5903 §8 (ECP groups 19, 20 in IKE)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vpnlearn.ike import algorithms as alg
from vpnlearn.ike.auth import psk_auth_data
from vpnlearn.ike.keys import child_keymat, derive_ike_keys, expand_ike_keys, rekey_skeyseed, skeyseed

VECTORS = Path(__file__).parent / "vectors"


def _load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text())


KDF = _load("nist-sp800-135-ikev2.json")


@pytest.mark.parametrize("case", KDF["cases"], ids=lambda c: f"{c['prf']}-{c['count']}")
def test_nist_ikev2_kdf(case: dict) -> None:
    h = lambda k: bytes.fromhex(case[k])  # noqa: E731
    prf = next(p for p in alg.PRF_ALGORITHMS if p.name == case["prf"])
    seed = skeyseed(prf, h("Ni"), h("Nr"), h("g^ir"))
    assert seed.hex() == case["SKEYSEED"]
    dkm = prf.plus(seed, h("Ni") + h("Nr") + h("SPIi") + h("SPIr"), case["dkm_bytes"])
    assert dkm.hex() == case["DKM"]
    sk_d = dkm[: prf.key_len]
    assert child_keymat(prf, sk_d, h("Ni"), h("Nr"), case["child_dkm_bytes"]).hex() == case["DKM(Child SA)"]
    assert (
        child_keymat(prf, sk_d, h("Ni"), h("Nr"), case["child_dkm_bytes"], h("g^ir (new)")).hex()
        == case["DKM(Child SA D-H)"]
    )
    assert rekey_skeyseed(prf, sk_d, h("g^ir (new)"), h("Ni"), h("Nr")).hex() == case["SKEYSEED(Rekey)"]
    # The split into the seven keys is DKM cut in order (§2.14): SK_d first, SK_pr last.
    encr = next(a for a in alg.ENCR_ALGORITHMS if a.name == "aes128")
    integ = next(a for a in alg.INTEG_ALGORITHMS if a.name == "sha1")
    keys = expand_ike_keys(prf, encr, integ, seed, h("Ni"), h("Nr"), h("SPIi"), h("SPIr"))
    joined = keys.SK_d + keys.SK_ai + keys.SK_ar + keys.SK_ei + keys.SK_er + keys.SK_pi + keys.SK_pr
    assert joined == dkm[: len(joined)] and len(joined) == 20 + 20 + 20 + 16 + 16 + 20 + 20


KDF256 = _load("nist-sp800-135-ikev2-sha256.json")


@pytest.mark.parametrize("case", KDF256["cases"], ids=lambda c: c["prf"])
def test_nist_ikev2_kdf_sha256(case: dict) -> None:
    h = lambda k: bytes.fromhex(case[k])  # noqa: E731
    prf = next(p for p in alg.PRF_ALGORITHMS if p.name == case["prf"])
    seed = skeyseed(prf, h("Ni"), h("Nr"), h("g^ir"))
    assert seed.hex() == case["SKEYSEED"]
    seed_data = h("Ni") + h("Nr") + h("SPIi") + h("SPIr")
    for n in (len(h("DKM")), 32, 15):  # the sample's three lengths: prf+ is a prefix of itself
        assert prf.plus(seed, seed_data, n).hex() == case["DKM"][: 2 * n]
    sk_d = h("DKM")[: prf.key_len]
    assert rekey_skeyseed(prf, sk_d, h("g^ir (new)"), h("Ni"), h("Nr")).hex() == case["SKEYSEED(Rekey)"]


ECP = _load("rfc5903-ecp.json")


@pytest.mark.parametrize("v", ECP["cases"], ids=lambda c: f"section-{c['section']}")
def test_rfc5903_ecp_in_ike(v: dict) -> None:
    g = alg.dh_group(v["group"])
    i = g.from_private(int(v["i"], 16))
    r = g.from_private(int(v["r"], 16))
    assert i.public == bytes.fromhex(v["gix"] + v["giy"])  # KEi data = x | y (RFC 5903 §7)
    assert r.public == bytes.fromhex(v["grx"] + v["gry"])
    assert i.exchange(r.public) == bytes.fromhex(v["girx"])  # g^ir = x only
    assert r.exchange(i.public) == bytes.fromhex(v["girx"])
    # And it feeds SKEYSEED exactly as §2.14 says.
    chosen = alg.Chosen(alg.ENCR_ALGORITHMS[0], alg.PRF_ALGORITHMS[1], alg.INTEG_ALGORITHMS[1], g)
    keys = derive_ike_keys(chosen, b"\x01" * 16, b"\x02" * 16, bytes.fromhex(v["girx"]), b"i" * 8, b"r" * 8)
    assert alg.PRF_ALGORITHMS[1](b"\x01" * 16 + b"\x02" * 16, bytes.fromhex(v["girx"])) == keys.SKEYSEED


def test_ecp_point_not_on_curve_rejected() -> None:
    from vpnlearn.errors import CryptoError

    v = ECP["cases"][0]
    g = alg.dh_group(19)
    bad = bytearray.fromhex(v["grx"] + v["gry"])
    bad[-1] ^= 1
    with pytest.raises(CryptoError, match="curve"):
        g.from_private(int(v["i"], 16)).exchange(bytes(bad))


def test_modp_rejects_degenerate_public_values() -> None:
    from vpnlearn.errors import CryptoError

    g = alg.dh_group(14)
    mine = g.from_private(12345678901234567890)
    from vpnlearn.crypto import dh as crypto_dh

    p = crypto_dh.group(14).modp.p
    for y in (0, 1, p - 1):
        with pytest.raises(CryptoError):
            mine.exchange(y.to_bytes(256, "big"))


def test_psk_auth_formula() -> None:
    prf = alg.PRF_ALGORITHMS[1]
    import hashlib
    import hmac

    inner = hmac.new(b"secret", b"Key Pad for IKEv2", hashlib.sha256).digest()
    assert psk_auth_data(prf, b"secret", b"octets") == hmac.new(inner, b"octets", hashlib.sha256).digest()


def test_prf_plus_counter_limit() -> None:
    from vpnlearn.errors import ConfigError

    prf = alg.PRF_ALGORITHMS[1]
    assert len(prf.plus(b"k", b"s", 255 * 32)) == 255 * 32
    with pytest.raises(ConfigError):
        prf.plus(b"k", b"s", 255 * 32 + 1)


class _FixedIv:
    """A RandomSource that gives the IV the example uses (the only random bytes in the message)."""

    deterministic = True

    def __init__(self, iv: bytes) -> None:
        self.iv = iv

    def random_bytes(self, n: int) -> bytes:
        assert n == len(self.iv), f"asked for {n} random bytes, the example has an IV of {len(self.iv)}"
        return self.iv


def test_rfc7634_appendix_b_ikev2_chacha20_poly1305_message() -> None:
    """RFC 7634 App. B: our encoder and SK sealing give the example's 69 bytes exactly, and the decoder
    opens them back to the Notify."""
    from vpnlearn.ike.messages import Message, SkKeys, decode_message, encode_message, open_message
    from vpnlearn.ike.payloads import Notify

    v = json.loads((VECTORS / "rfc7634-appendix-b.json").read_text())
    hx = lambda s: bytes.fromhex(s.replace(" ", ""))  # noqa: E731
    encr = alg.encr_by_id(28, 256)  # ENCR_CHACHA20_POLY1305 (RFC 7634 §4)
    keys = SkKeys(encr=encr, sk_e=hx(v["key"]) + hx(v["salt"]))
    msg = Message(spi_i=hx(v["spi_i"]), spi_r=hx(v["spi_r"]), exchange=v["exchange"],
                  message_id=v["message_id"], initiator=False, response=False, encrypted=True,
                  payloads=[Notify(type=v["notify_type"], data=hx(v["notify_data"]))])
    wire = encode_message(msg, keys, rng=_FixedIv(hx(v["iv"])))
    assert wire.hex() == hx(v["message"]).hex()
    opened = open_message(decode_message(wire), keys)
    (notify,) = opened.payloads
    assert notify.type_name == "SET_WINDOW_SIZE" and notify.data == hx(v["notify_data"])
