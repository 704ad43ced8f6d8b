"""The algorithm table (vpnlearn.crypto.suites) and strongSwan proposal parsing."""

from __future__ import annotations

import pytest

from vpnlearn.crypto import suites
from vpnlearn.crypto.suites import dh_group, encryption, integrity, parse_proposal, prf
from vpnlearn.errors import ConfigError

# IANA IKEv2 registry, Transform Types 1-4 (https://www.iana.org/assignments/ikev2-parameters/),
# written out here independently of the table.
IANA_ENCR = {"ENCR_AES_CBC": 12, "ENCR_AES_GCM_8": 18, "ENCR_AES_GCM_12": 19, "ENCR_AES_GCM_16": 20,
             "ENCR_CHACHA20_POLY1305": 28}
IANA_INTEG = {"AUTH_HMAC_SHA1_96": 2, "AUTH_HMAC_SHA2_256_128": 12, "AUTH_HMAC_SHA2_384_192": 13,
              "AUTH_HMAC_SHA2_512_256": 14}
IANA_PRF = {"PRF_HMAC_SHA1": 2, "PRF_HMAC_SHA2_256": 5, "PRF_HMAC_SHA2_384": 6, "PRF_HMAC_SHA2_512": 7}


def test_transform_ids_match_iana():
    for alg in suites.ENCRYPTION:
        assert IANA_ENCR[alg.iana_name] == alg.transform_id
    for alg in suites.INTEGRITY:
        assert IANA_INTEG[alg.iana_name] == alg.transform_id
    for alg in suites.PRF:
        assert IANA_PRF[alg.iana_name] == alg.transform_id
    assert [g.number for g in suites.DH_GROUPS] == [2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 31]


@pytest.mark.parametrize("aws,ss,key,salt,iv,icv", [
    ("AES128", "aes128", 16, 0, 16, 0),
    ("AES256", "aes256", 32, 0, 16, 0),
    ("AES128-GCM-16", "aes128gcm16", 16, 4, 8, 16),
    ("AES256-GCM-16", "aes256gcm16", 32, 4, 8, 16),
])
def test_aws_encryption_names(aws, ss, key, salt, iv, icv):
    alg = encryption(aws)
    assert alg is encryption(aws.lower()) is encryption(ss)
    assert (alg.key_bytes, alg.salt_bytes, alg.iv_bytes, alg.icv_bytes) == (key, salt, iv, icv)
    assert alg.keymat_bytes == key + salt
    assert alg.aead == (icv > 0)
    assert alg.esp_pad_align == (16 if not alg.aead else 4)


def test_chacha20poly1305_rfc7634_sizes():
    alg = encryption("chacha20poly1305")
    sizes = (alg.transform_id, alg.key_bits, alg.salt_bytes, alg.iv_bytes, alg.icv_bytes)
    assert sizes == (28, 256, 4, 8, 16)
    assert alg.aws_name is None


@pytest.mark.parametrize("aws,ss,icv,key", [("SHA1", "sha1", 12, 20), ("SHA2-256", "sha256", 16, 32),
                                            ("SHA2-384", "sha384", 24, 48), ("SHA2-512", "sha512", 32, 64)])
def test_aws_integrity_names(aws, ss, icv, key):
    alg = integrity(aws)
    assert alg is integrity(ss) is integrity(alg.transform_id)
    assert (alg.icv_bytes, alg.key_bytes) == (icv, key)
    assert alg.weak == (ss == "sha1")


def test_prf_lookup_and_sizes():
    assert prf("prfsha256").output_bytes == 32
    assert prf("PRF_HMAC_SHA2_512") is prf(7)
    assert prf("prfsha1").weak


def test_dh_lookup_by_number_and_name():
    assert dh_group(14) is dh_group("modp2048") is dh_group("MODP2048") is dh_group("14")
    assert dh_group("x25519") is dh_group("curve25519") is dh_group(31)
    assert dh_group(19).ke_bytes == 64 and dh_group(19).shared_bytes == 32
    assert dh_group(21).ke_bytes == 132 and dh_group(21).shared_bytes == 66
    assert dh_group("modp2048s256").number == 24
    assert dh_group(18).ke_bytes == 1024


def test_weak_flags_and_aws_phases():
    weak = {g.number for g in suites.DH_GROUPS if g.weak}
    assert weak == {2, 5, 22, 23, 24}
    assert all(g.weak_reason for g in suites.DH_GROUPS if g.weak)
    # aws-facts.md §1.4: Phase 1 has no group 5; Phase 2 has it. Neither lists 31.
    phase1 = {2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}
    assert {g.number for g in suites.DH_GROUPS if g.aws_phase1} == phase1
    assert {g.number for g in suites.DH_GROUPS if g.aws_phase2} == phase1 | {5}


def test_wireshark_names_present_for_aws_algorithms():
    for alg in suites.ENCRYPTION:
        if alg.aws_name:
            assert alg.wireshark_esp and alg.wireshark_ikev2
    assert encryption("aes256").wireshark_ikev2 == "AES-CBC-256 [RFC3602]"
    assert encryption("aes128gcm16").wireshark_esp == "AES-GCM with 16 octet ICV [RFC4106]"
    assert integrity("sha256").wireshark_esp == "HMAC-SHA-256-128 [RFC4868]"


@pytest.mark.parametrize("func,name", [(encryption, "3des"), (integrity, "md5"), (prf, "prfmd5"),
                                       (dh_group, 1), (dh_group, "modp768")])
def test_unknown_names_raise_config_error_listing_known(func, name):
    with pytest.raises(ConfigError) as exc:
        func(name)
    assert str(name) in str(exc.value)
    assert "known" in str(exc.value)


def test_ambiguous_transform_id_needs_key_bits():
    with pytest.raises(ConfigError, match="key_bits"):
        encryption(12)
    assert encryption(12, 256).name == "aes256"
    assert encryption("ENCR_AES_GCM_16", 128).name == "aes128gcm16"


def test_parse_ike_aead_proposal_roundtrip():
    p = parse_proposal("aes128gcm16-prfsha256-x25519", kind="ike")
    assert p.aead and not p.integrity
    assert [e.name for e in p.encryption] == ["aes128gcm16"]
    assert [x.name for x in p.prf] == ["prfsha256"]
    assert [g.number for g in p.dh_groups] == [31]
    assert parse_proposal(p.to_strongswan(), kind="ike") == p


def test_parse_ike_proposal_several_of_each_and_implied_prf():
    p = parse_proposal("aes256-aes128-sha384-sha256-ecp384-modp2048", kind="ike")
    assert [e.key_bits for e in p.encryption] == [256, 128]
    assert [i.name for i in p.integrity] == ["sha384", "sha256"]
    assert p.prf == ()
    assert [x.name for x in p.effective_prf] == ["prfsha384", "prfsha256"]
    assert p.to_strongswan() == "aes256-aes128-sha384-sha256-ecp384-modp2048"


def test_parse_esp_proposal_pfs_and_esn():
    p = parse_proposal("aes256gcm16-modp2048-esn-noesn", kind="esp")
    assert p.pfs and p.esn == (True, False)
    assert p.to_strongswan() == "aes256gcm16-modp2048-esn-noesn"
    q = parse_proposal("aes128-sha1", kind="esp")
    assert not q.pfs and q.esn == (False,)
    assert q.weak_parts and q.weak_parts[0][0] == "sha1"


@pytest.mark.parametrize("text,kind,needle", [
    ("aes128gcm16-sha256-prfsha256-x25519", "ike", "'sha256'"),
    ("aes128gcm16-x25519", "ike", "PRF"),
    ("aes128-modp2048", "esp", "integrity"),
    ("aes128-sha256-prfsha256", "ike", "DH group"),
    ("aes128-sha256-prfsha256", "esp", "'prfsha256'"),
    ("aes128-sha256-modp2048-esn", "ike", "'esn'"),
    ("aes128-sha256-blowfish", "esp", "'blowfish'"),
    ("aes128-aes128gcm16-sha256", "esp", "mix"),
    ("aes128--sha256", "esp", "empty"),
    ("aes128-sha256-sha256", "esp", "twice"),
    ("", "esp", "empty"),
])
def test_parse_proposal_errors_name_the_token(text, kind, needle):
    with pytest.raises(ConfigError) as exc:
        parse_proposal(text, kind=kind)
    assert needle in str(exc.value)


def test_module_examples_run():
    import doctest

    from vpnlearn.crypto import dh

    for module in (suites, dh):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


# RFC 7296 §3.3.5: the Key Length attribute is sent for variable-key-length ciphers (AES-CBC; AES-GCM,
# RFC 5282 §8) and never for fixed-length ones (3DES; ChaCha20-Poly1305, RFC 7634 §2).
@pytest.mark.parametrize("name,attr", [("aes128", True), ("aes256", True), ("aes128gcm16", True),
                                       ("aes256gcm12", True), ("aes128gcm8", True),
                                       ("chacha20poly1305", False)])
def test_key_length_attribute_flag(name, attr):
    assert encryption(name).key_length_attr is attr


def test_3des_is_listed_only_to_be_refused():
    (des,) = suites.REFUSED_ENCRYPTION
    # IANA Transform Type 1 ID 3 = ENCR_3DES; RFC 2451: 192-bit key (168 used), 8-byte block and IV.
    assert (des.name, des.iana_name, des.transform_id) == ("3des", "ENCR_3DES", 3)
    assert (des.key_bits, des.block_bytes, des.iv_bytes, des.aead) == (192, 8, 8, False)
    assert des.weak and des.weak_reason and not des.key_length_attr and des.aws_name is None
    assert des not in suites.ENCRYPTION
    with pytest.raises(ConfigError, match="known"):
        encryption("3des")
    for text, kind in [("3des-sha1-modp1024", "ike"), ("aes128-3DES-sha256", "esp")]:
        with pytest.raises(ConfigError) as exc:
            parse_proposal(text, kind=kind)
        assert "3des" in str(exc.value).lower() and "not supported" in str(exc.value)
        assert "unknown" not in str(exc.value)
