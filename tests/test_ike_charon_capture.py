"""Real strongSwan 5.9.8 messages (tests/data/charon-*.bin, captured by the interop developer's
tests/interop/capture_charon.py with the keys both charons logged): our decoder, key derivation,
SK decryption, PSK AUTH and CHILD_SA KEYMAT must agree with charon's, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_ike_helpers import demo

from vpnlearn.ike import Identity, IkeConfig, Responder, TrafficSelector
from vpnlearn.ike import algorithms as alg
from vpnlearn.ike.auth import psk_auth_data, signed_octets
from vpnlearn.ike.keys import derive_child_keys, derive_ike_keys, derive_rekeyed_ike_keys, sk_keys
from vpnlearn.ike.messages import decode_message, encode_message, open_message
from vpnlearn.ike.payloads import AUTH, ID, KE, SA, TS, Delete, Nonce, Notify
from vpnlearn.ike.peer import accept_reply, select_proposal

DATA = Path(__file__).parent / "data"
META_PATH = DATA / "charon-exchange.json"
pytestmark = pytest.mark.skipif(not META_PATH.exists(), reason="charon capture not present")
META = (
    json.loads(META_PATH.read_text())
    if META_PATH.exists()
    else {"messages": [], "keys_logged_by_initiator": []}
)
RAW = [(DATA / m["file"]).read_bytes() for m in META["messages"]]
IKE_KEYS = [k["keys"] for k in META["keys_logged_by_initiator"] if k["kind"] == "ike"]
CHILD_KEYS = [k for k in META["keys_logged_by_initiator"] if k["kind"] == "child"]
SUITE = alg.parse_proposal("aes128gcm16-prfsha256-x25519")
CHOSEN = alg.Chosen(SUITE.encr[0], SUITE.prf[0], None, SUITE.dh[0])
ESP = alg.Chosen(alg.parse_proposal("aes128gcm16", ike=False).encr[0], None, None, None, 0)


def test_every_message_decodes_and_plaintext_reencodes_exactly() -> None:
    for meta, raw in zip(META["messages"], RAW, strict=True):
        msg = decode_message(raw)
        assert msg.message_id == meta["message_id"] and msg.response == meta["response_flag"]
        assert msg.initiator == meta["initiator_flag"] and msg.spi_i.hex() == meta["spi_i"]
        if msg.sealed is None:
            assert encode_message(msg) == raw


def _nonces() -> tuple[bytes, bytes]:
    return decode_message(RAW[0]).first(Nonce).data, decode_message(RAW[1]).first(Nonce).data


def _first_keys():
    m1, m2 = decode_message(RAW[0]), decode_message(RAW[1])
    ni, nr = _nonces()
    g_ir = bytes.fromhex(IKE_KEYS[0]["g^ir"])
    return derive_ike_keys(CHOSEN, ni, nr, g_ir, m1.spi_i, m2.spi_r)


def test_ike_sa_keys_match_charon() -> None:
    keys = _first_keys()
    logged = IKE_KEYS[0]
    for name in ("SKEYSEED", "SK_d", "SK_ei", "SK_er", "SK_pi", "SK_pr"):
        assert getattr(keys, name).hex() == logged[name], name
    assert keys.SK_ai == keys.SK_ar == b""  # AEAD: no integrity keys


def test_proposal_selection_on_charon_offer() -> None:
    offer = decode_message(RAW[0]).first(SA)
    _reply, chosen = select_proposal([SUITE], offer.proposals, 1)
    assert chosen.name == "aes128gcm16-prfsha256-x25519"
    _got, chosen2 = accept_reply(list(offer.proposals), decode_message(RAW[1]).first(SA), 1)
    assert chosen2.encr.name == "aes128gcm16" and chosen2.dh.name == "x25519"


def _open(i: int, keys, *, from_initiator: bool):
    return open_message(decode_message(RAW[i]), sk_keys(keys, CHOSEN, from_initiator=from_initiator))


def test_sk_payloads_of_first_ike_sa_open() -> None:
    keys = _first_keys()
    auth_req = _open(2, keys, from_initiator=True)
    assert Identity.from_payload(auth_req.first(ID)) == Identity.fqdn("a.vpnlearn.test")
    assert auth_req.first(TS, initiator=True).selectors == (TrafficSelector.subnet("10.98.1.0/24"),)
    auth_resp = _open(3, keys, from_initiator=False)
    assert auth_resp.first(AUTH).method == 2
    for i in range(4, 12):
        _open(i, keys, from_initiator=(i % 2 == 0))


def test_psk_auth_of_both_charons_verifies() -> None:
    keys = _first_keys()
    psk = META["psk"].encode()
    ni, nr = _nonces()
    prf = CHOSEN.prf
    req, resp = _open(2, keys, from_initiator=True), _open(3, keys, from_initiator=False)
    oct_i = signed_octets(RAW[0], nr, prf, keys.SK_pi, req.first(ID))
    assert psk_auth_data(prf, psk, oct_i) == req.first(AUTH).data
    oct_r = signed_octets(RAW[1], ni, prf, keys.SK_pr, resp.first(ID))
    assert psk_auth_data(prf, psk, oct_r) == resp.first(AUTH).data
    assert psk_auth_data(prf, b"wrong", oct_i) != req.first(AUTH).data


def test_child_keymat_matches_charon() -> None:
    keys = _first_keys()
    ni, nr = _nonces()
    first = derive_child_keys(CHOSEN.prf, keys.SK_d, ESP, ni, nr)
    assert first.encr_i.hex() == CHILD_KEYS[0]["keys"]["enc_i"]
    assert first.encr_r.hex() == CHILD_KEYS[0]["keys"]["enc_r"]
    # The rekeyed CHILD_SA (messages 5/6, no PFS) uses that exchange's nonces.
    req, resp = _open(4, keys, from_initiator=True), _open(5, keys, from_initiator=False)
    assert req.first(Notify, type=16393) is not None  # REKEY_SA
    second = derive_child_keys(CHOSEN.prf, keys.SK_d, ESP, req.first(Nonce).data, resp.first(Nonce).data)
    assert second.encr_i.hex() == CHILD_KEYS[1]["keys"]["enc_i"]
    assert second.encr_r.hex() == CHILD_KEYS[1]["keys"]["enc_r"]


def test_ike_rekey_matches_charon() -> None:
    keys = _first_keys()
    req, resp = _open(8, keys, from_initiator=True), _open(9, keys, from_initiator=False)
    new_spi_i = req.first(SA).proposals[0].spi
    new_spi_r = resp.first(SA).proposals[0].spi
    assert req.first(KE).group == 31
    new = derive_rekeyed_ike_keys(
        CHOSEN.prf,
        keys.SK_d,
        CHOSEN,
        bytes.fromhex(IKE_KEYS[1]["g^ir"]),
        req.first(Nonce).data,
        resp.first(Nonce).data,
        new_spi_i,
        new_spi_r,
    )
    for name in ("SKEYSEED", "SK_d", "SK_ei", "SK_er", "SK_pi", "SK_pr"):
        assert getattr(new, name).hex() == IKE_KEYS[1][name], name
    # The old IKE SA's Delete (messages 11/12) and the new SA's INFORMATIONAL (13/14) open with the keys.
    assert _open(10, keys, from_initiator=True).first(Delete).protocol == 1
    last = decode_message(RAW[12])
    assert (last.spi_i, last.spi_r) == (new_spi_i, new_spi_r)
    open_message(last, sk_keys(new, CHOSEN, from_initiator=True))
    open_message(decode_message(RAW[13]), sk_keys(new, CHOSEN, from_initiator=False))


def test_our_responder_answers_charons_ike_sa_init() -> None:
    cfg = IkeConfig(
        local_id=Identity.fqdn("b.vpnlearn.test"),
        remote_id=Identity.fqdn("a.vpnlearn.test"),
        psk=META["psk"].encode(),
        local_ts=(TrafficSelector.subnet("10.98.2.0/24"),),
        remote_ts=(TrafficSelector.subnet("10.98.1.0/24"),),
    )
    resp = Responder(cfg, rng=demo("charon-init"))
    out = resp.receive(RAW[0], 0.0, local=("10.97.0.2", 500), remote=("10.97.0.1", 500))
    reply = decode_message(out.send[0])
    assert reply.response and not reply.initiator and reply.spi_i == decode_message(RAW[0]).spi_i
    assert reply.first(SA).proposals[0].transforms == decode_message(RAW[1]).first(SA).proposals[0].transforms
    assert reply.first(KE).group == 31 and len(reply.first(KE).data) == 32
