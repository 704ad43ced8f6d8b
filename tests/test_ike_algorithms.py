"""vpnlearn.ike.algorithms is a thin IKE layer over the one table, vpnlearn.crypto.suites."""

from __future__ import annotations

from dataclasses import fields

import pytest

from vpnlearn.crypto import suites
from vpnlearn.errors import ConfigError
from vpnlearn.ike import algorithms as alg


def _values(row: object, skip: tuple[str, ...] = ()) -> dict:
    return {f.name: getattr(row, f.name) for f in fields(row) if f.name not in skip}  # type: ignore[arg-type]


@pytest.mark.parametrize("ike_table,table", [
    (alg.ENCR_ALGORITHMS, suites.ENCRYPTION + suites.REFUSED_ENCRYPTION),
    (alg.PRF_ALGORITHMS, suites.PRF),
    (alg.INTEG_ALGORITHMS, suites.INTEGRITY),
])
def test_every_ike_row_is_a_suites_row(ike_table, table):
    rows = [_values(r) for r in table]
    for a in ike_table:
        assert isinstance(a, type(table[0])) and _values(a) in rows, a.name


def test_dh_groups_are_the_suites_groups_with_x25519_named_as_before():
    assert [g.number for g in alg.DH_GROUPS] == [g.number for g in suites.DH_GROUPS]
    for ike, row in zip(alg.DH_GROUPS, suites.DH_GROUPS, strict=True):
        assert _values(ike, ("name",)) == _values(row, ("name",))
        assert ike.name == ("x25519" if row.number == 31 else row.name) and ike.transform_id == row.number
    assert alg.dh_group("curve25519") is alg.dh_group(31) is alg.dh_group("x25519")


def test_ike_offers_what_its_sk_payload_can_seal():
    names = [e.name for e in alg.ENCR_ALGORITHMS]
    assert names == ["aes128", "aes256", "aes128gcm16", "aes256gcm16", "chacha20poly1305", "3des"]
    with pytest.raises(ConfigError, match="aes128gcm12"):
        alg.parse_proposal("aes128gcm12-prfsha256-ecp256")
    with pytest.raises(ConfigError, match="3des"):
        alg.parse_proposal("3des-sha1-modp1024")


def test_transform_lookup_by_id_and_key_length():
    assert alg.by_id(alg.ENCR, 12, None) is None  # AES-CBC needs its Key Length attribute
    assert alg.by_id(alg.ENCR, 12, 256).name == "aes256"
    assert alg.by_id(alg.ENCR, 28, None).name == "chacha20poly1305"
    assert alg.by_id(alg.ENCR, 3, None).name == "3des"  # known only to be named and refused
    assert alg.by_id(alg.ENCR, 19, 128) is None  # GCM with a 12-octet ICV: not offered here
    assert alg.by_id(alg.PRF, 5).name == "prfsha256" and alg.by_id(alg.INTEG, 14).name == "sha512"
    assert alg.by_id(alg.DH, 31).name == "x25519" and alg.by_id(alg.DH, 1) is None


def test_parsed_suite_and_sizes_ike_uses():
    s = alg.parse_proposal("aes256-sha384-ecp384")
    assert [a.name for a in s.prf] == ["prfsha384"]  # implied by the integrity hash (strongSwan)
    assert (s.encr[0].key_len, s.integ[0].key_len, s.prf[0].key_len) == (32, 48, 48)
    e = alg.parse_proposal("aes128gcm16-modp2048-esn", ike=False)
    assert e.esn == (1,) and e.prf == () and e.encr[0].key_len == 16 + 4  # key + salt (RFC 5282 §7.1)
    assert [a.sk_pad_align for a in alg.ENCR_ALGORITHMS[:5]] == [16, 16, 4, 4, 1]
