"""IKEv2 key derivation: SKEYSEED and the seven SK_* keys (§2.14), child KEYMAT (§2.17), rekey (§2.18).

Everything is named as in RFC 7296 so a notebook can print it beside the RFC::

    SKEYSEED = prf(Ni | Nr, g^ir)
    {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
    KEYMAT = prf+(SK_d, Ni | Nr)                     (CHILD_SA, no PFS)
    KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr)        (CHILD_SA with PFS)
    SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) (IKE SA rekey)

Ni and Nr here are the nonce *values* (no payload header). For the IKE_SA_INIT SKEYSEED, §2.14 says
some PRFs take a fixed-size key: with HMAC the key ``Ni | Nr`` is used whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from vpnlearn.ike.algorithms import Chosen, EncrAlgorithm, IntegAlgorithm, PrfAlgorithm
from vpnlearn.ike.messages import SkKeys


def _hex(b: bytes) -> str:
    return b.hex() if len(b) <= 24 else f"{b[:12].hex()}…{b[-4:].hex()} ({len(b)} bytes)"


@dataclass(frozen=True)
class IkeKeys:
    """The IKE SA's keys (RFC 7296 §2.14). Print it in a notebook to see each one.

    SK_ai/SK_ar are empty with an AEAD cipher; SK_ei/SK_er then end with the 4-byte salt.
    """

    SKEYSEED: bytes
    SK_d: bytes
    SK_ai: bytes
    SK_ar: bytes
    SK_ei: bytes
    SK_er: bytes
    SK_pi: bytes
    SK_pr: bytes

    def __str__(self) -> str:
        return "\n".join(
            f"{name:8} = {_hex(getattr(self, name))}"
            for name in ("SKEYSEED", "SK_d", "SK_ai", "SK_ar", "SK_ei", "SK_er", "SK_pi", "SK_pr")
        )


def skeyseed(prf: PrfAlgorithm, Ni: bytes, Nr: bytes, g_ir: bytes) -> bytes:
    """SKEYSEED = prf(Ni | Nr, g^ir), §2.14."""
    return prf(Ni + Nr, g_ir)


def rekey_skeyseed(prf: PrfAlgorithm, SK_d_old: bytes, g_ir_new: bytes, Ni: bytes, Nr: bytes) -> bytes:
    """SKEYSEED for a rekeyed IKE SA = prf(SK_d (old), g^ir (new) | Ni | Nr), §2.18 (old SA's PRF)."""
    return prf(SK_d_old, g_ir_new + Ni + Nr)


def expand_ike_keys(
    prf: PrfAlgorithm,
    encr: EncrAlgorithm,
    integ: IntegAlgorithm | None,
    seed_key: bytes,
    Ni: bytes,
    Nr: bytes,
    SPIi: bytes,
    SPIr: bytes,
) -> IkeKeys:
    """{SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)."""
    lens = [
        prf.key_len,
        integ.key_len if integ else 0,
        integ.key_len if integ else 0,
        encr.key_len,
        encr.key_len,
        prf.key_len,
        prf.key_len,
    ]
    stream = prf.plus(seed_key, Ni + Nr + SPIi + SPIr, sum(lens))
    parts, pos = [], 0
    for n in lens:
        parts.append(stream[pos : pos + n])
        pos += n
    return IkeKeys(seed_key, *parts)


def derive_ike_keys(chosen: Chosen, Ni: bytes, Nr: bytes, g_ir: bytes, SPIi: bytes, SPIr: bytes) -> IkeKeys:
    """All IKE SA keys for a fresh IKE SA from IKE_SA_INIT (§2.14)."""
    assert chosen.prf is not None
    seed = skeyseed(chosen.prf, Ni, Nr, g_ir)
    return expand_ike_keys(chosen.prf, chosen.encr, chosen.integ, seed, Ni, Nr, SPIi, SPIr)


def derive_rekeyed_ike_keys(
    old_prf: PrfAlgorithm,
    SK_d_old: bytes,
    chosen: Chosen,
    g_ir_new: bytes,
    Ni: bytes,
    Nr: bytes,
    SPIi: bytes,
    SPIr: bytes,
) -> IkeKeys:
    """Keys of the new IKE SA after a CREATE_CHILD_SA rekey (§2.18): new nonces and the new SPIs."""
    assert chosen.prf is not None
    seed = rekey_skeyseed(old_prf, SK_d_old, g_ir_new, Ni, Nr)
    return expand_ike_keys(chosen.prf, chosen.encr, chosen.integ, seed, Ni, Nr, SPIi, SPIr)


def sk_keys(keys: IkeKeys, chosen: Chosen, *, from_initiator: bool) -> SkKeys:
    """The SK payload keys for messages sent by the original initiator (SK_ei/SK_ai) or responder."""
    if from_initiator:
        return SkKeys(chosen.encr, keys.SK_ei, chosen.integ, keys.SK_ai, "SK_ei/SK_ai")
    return SkKeys(chosen.encr, keys.SK_er, chosen.integ, keys.SK_ar, "SK_er/SK_ar")


@dataclass(frozen=True)
class ChildKeys:
    """KEYMAT of one CHILD_SA split as §2.17 says: initiator-to-responder first, then the reverse."""

    KEYMAT: bytes
    encr_i: bytes
    integ_i: bytes
    encr_r: bytes
    integ_r: bytes
    pfs: bool = False

    def __str__(self) -> str:
        return (
            "\n".join(
                f"{name:8} = {_hex(getattr(self, name))}"
                for name in ("KEYMAT", "encr_i", "integ_i", "encr_r", "integ_r")
            )
            + f"\nPFS      = {self.pfs}"
        )


def child_keymat(
    prf: PrfAlgorithm, SK_d: bytes, Ni: bytes, Nr: bytes, length: int, g_ir_new: bytes | None = None
) -> bytes:
    """KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), §2.17. Ni/Nr are from the exchange that made it."""
    return prf.plus(SK_d, (g_ir_new or b"") + Ni + Nr, length)


def derive_child_keys(
    prf: PrfAlgorithm, SK_d: bytes, esp: Chosen, Ni: bytes, Nr: bytes, g_ir_new: bytes | None = None
) -> ChildKeys:
    """Split KEYMAT into the ESP keys: encr_i | integ_i | encr_r | integ_r (§2.17).

    With AEAD ciphers there are no integrity keys and each encryption key includes the 4-byte salt.
    """
    e, a = esp.encr.key_len, esp.integ.key_len if esp.integ else 0
    km = child_keymat(prf, SK_d, Ni, Nr, 2 * (e + a), g_ir_new)
    return ChildKeys(km, km[:e], km[e : e + a], km[e + a : 2 * e + a], km[2 * e + a :], g_ir_new is not None)
