"""Tunnel option rules: every range just inside and just outside, every enumerated and reserved value.

The boundaries below are written by hand from /work/shared/aws-facts.md §1.4 (so the rule table itself
is checked), and a second set is parametrized from the rule table (so every table entry is exercised).
"""

from __future__ import annotations

import dataclasses

import pytest

from vpnlearn.aws import rules as R
from vpnlearn.aws.tunnel_options import API_NAMES, TunnelOptions, validate_tunnel_options
from vpnlearn.crypto import suites
from vpnlearn.errors import ConfigError

# A tunnel that breaks no rule and has no weak choice: no findings at all.
CLEAN = TunnelOptions(
    tunnel_inside_cidr="169.254.10.0/30", pre_shared_key="Abcdefgh_1.x",
    phase1_encryption_algorithms=("AES256-GCM-16",), phase2_encryption_algorithms=("AES256-GCM-16",),
    phase1_integrity_algorithms=("SHA2-256",), phase2_integrity_algorithms=("SHA2-256",),
    phase1_dh_group_numbers=(19, 14), phase2_dh_group_numbers=(19,), ike_versions=("ikev2",),
)


def with_(**kw):
    return dataclasses.replace(CLEAN, **kw)


def rule_ids(opts, severity="error"):
    return {f.rule_id for f in validate_tunnel_options(opts) if f.severity == severity}


def test_clean_options_have_no_findings():
    assert validate_tunnel_options(CLEAN) == []


def test_aws_defaults_have_no_errors_but_warn_about_weak_choices():
    found = validate_tunnel_options(TunnelOptions())
    assert [f for f in found if f.severity == "error"] == []
    assert {f.rule_id for f in found} == {"TUN-WEAK-DH", "TUN-WEAK-INTEGRITY", "TUN-WEAK-IKEV1"}


def test_defaults_match_the_fact_sheet():
    d = TunnelOptions()
    assert (d.phase1_lifetime_seconds, d.phase2_lifetime_seconds) == (28800, 3600)
    assert (d.rekey_margin_time_seconds, d.rekey_fuzz_percentage) == (270, 100)
    assert (d.replay_window_size, d.dpd_timeout_seconds) == (1024, 30)
    assert (d.dpd_timeout_action, d.startup_action, d.log_output_format) == ("clear", "add", "json")
    assert d.phase1_dh_group_numbers == (2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
    assert d.phase2_dh_group_numbers == (2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
    assert d.ike_versions == ("ikev1", "ikev2")
    assert d.enable_tunnel_lifecycle_control is False and d.log_enabled is False


# ---- hand-written boundaries (aws-facts.md §1.4) ----------------------------------------------------

@pytest.mark.parametrize("attr, value, rule_id, bad", [
    ("phase1_lifetime_seconds", 899, "TUN-P1-LIFETIME", True),
    ("phase1_lifetime_seconds", 900, "TUN-P1-LIFETIME", False),
    ("phase1_lifetime_seconds", 28800, "TUN-P1-LIFETIME", False),
    ("phase1_lifetime_seconds", 28801, "TUN-P1-LIFETIME", True),
    ("phase2_lifetime_seconds", 899, "TUN-P2-LIFETIME", True),
    ("phase2_lifetime_seconds", 900, "TUN-P2-LIFETIME", False),
    ("phase2_lifetime_seconds", 3600, "TUN-P2-LIFETIME", False),
    ("phase2_lifetime_seconds", 3601, "TUN-P2-LIFETIME", True),
    ("rekey_fuzz_percentage", -1, "TUN-REKEY-FUZZ", True),
    ("rekey_fuzz_percentage", 0, "TUN-REKEY-FUZZ", False),
    ("rekey_fuzz_percentage", 100, "TUN-REKEY-FUZZ", False),
    ("rekey_fuzz_percentage", 101, "TUN-REKEY-FUZZ", True),
    ("replay_window_size", 63, "TUN-REPLAY-WINDOW", True),
    ("replay_window_size", 64, "TUN-REPLAY-WINDOW", False),
    ("replay_window_size", 2048, "TUN-REPLAY-WINDOW", False),
    ("replay_window_size", 2049, "TUN-REPLAY-WINDOW", True),
    ("dpd_timeout_seconds", 29, "TUN-DPD-TIMEOUT", True),
    ("dpd_timeout_seconds", 30, "TUN-DPD-TIMEOUT", False),
    ("dpd_timeout_seconds", 3600, "TUN-DPD-TIMEOUT", False),
    ("rekey_margin_time_seconds", 59, "TUN-REKEY-MARGIN", True),
    ("rekey_margin_time_seconds", 60, "TUN-REKEY-MARGIN", False),
    ("rekey_margin_time_seconds", 1800, "TUN-REKEY-MARGIN", False),   # = 3600 / 2
    ("rekey_margin_time_seconds", 1801, "TUN-REKEY-MARGIN", True),
])
def test_range_boundaries_by_hand(attr, value, rule_id, bad):
    assert (rule_id in rule_ids(with_(**{attr: value}))) is bad


def test_rekey_margin_follows_the_phase2_lifetime():
    def margin_ids(p2, margin):
        return rule_ids(with_(phase2_lifetime_seconds=p2, rekey_margin_time_seconds=margin))
    assert "TUN-REKEY-MARGIN" not in margin_ids(901, 450)
    assert "TUN-REKEY-MARGIN" in margin_ids(901, 451)
    assert "TUN-REKEY-MARGIN" in margin_ids(900, 451)


def test_phase2_lifetime_must_be_less_than_phase1():
    def ids(p1, p2):
        return rule_ids(with_(phase1_lifetime_seconds=p1, phase2_lifetime_seconds=p2))
    assert "TUN-P2-LESS-THAN-P1" in ids(3600, 3600)
    assert "TUN-P2-LESS-THAN-P1" in ids(3000, 3600)
    assert "TUN-P2-LESS-THAN-P1" not in ids(3601, 3600)


@pytest.mark.parametrize("psk, bad", [
    ("A" * 7, {"TUN-PSK-LENGTH"}),
    ("A" * 8, set()),
    ("A" * 64, set()),
    ("A" * 65, {"TUN-PSK-LENGTH"}),
    ("", {"TUN-PSK-LENGTH"}),
    ("0abcdefgh", {"TUN-PSK-LEADING-ZERO"}),
    ("a0bcdefgh", set()),
    ("9abcdefgh", set()),
    ("abc.def_gh12", set()),
    ("abc-defgh", {"TUN-PSK-CHARS"}),
    ("abc defgh", {"TUN-PSK-CHARS"}),
    ("abc!defgh", {"TUN-PSK-CHARS"}),
    ("abcdéfgh1", {"TUN-PSK-CHARS"}),          # non-ASCII letter: not an alphanumeric AWS allows
    ("0bc", {"TUN-PSK-LENGTH", "TUN-PSK-LEADING-ZERO"}),
])
def test_pre_shared_key(psk, bad):
    assert rule_ids(with_(pre_shared_key=psk)) == bad


def test_psk_is_never_printed_in_findings():
    found = validate_tunnel_options(with_(pre_shared_key="0secretkey!"))
    assert found and all("secretkey" not in str(f) for f in found)
    assert "secretkey" not in repr(with_(pre_shared_key="0secretkey!"))


@pytest.mark.parametrize("cidr, bad", [
    ("169.254.6.0/30", set()),
    ("169.254.255.252/30", set()),
    ("169.254.169.248/30", set()),
    ("169.254.0.0/30", {"TUN-INSIDE-CIDR-V4-RESERVED"}),
    ("169.254.1.0/30", {"TUN-INSIDE-CIDR-V4-RESERVED"}),
    ("169.254.2.0/30", {"TUN-INSIDE-CIDR-V4-RESERVED"}),
    ("169.254.3.0/30", {"TUN-INSIDE-CIDR-V4-RESERVED"}),
    ("169.254.4.0/30", {"TUN-INSIDE-CIDR-V4-RESERVED"}),
    ("169.254.5.0/30", {"TUN-INSIDE-CIDR-V4-RESERVED"}),
    ("169.254.5.4/30", set()),
    ("169.254.169.252/30", {"TUN-INSIDE-CIDR-V4-RESERVED"}),
    ("169.254.6.0/29", {"TUN-INSIDE-CIDR-V4"}),
    ("169.254.6.0/31", {"TUN-INSIDE-CIDR-V4"}),
    ("169.253.255.252/30", {"TUN-INSIDE-CIDR-V4"}),
    ("169.255.0.0/30", {"TUN-INSIDE-CIDR-V4"}),
    ("10.0.0.0/30", {"TUN-INSIDE-CIDR-V4"}),
])
def test_inside_ipv4_cidr(cidr, bad):
    assert rule_ids(with_(tunnel_inside_cidr=cidr)) == bad


@pytest.mark.parametrize("cidr, bad", [
    ("fd00::/126", False), ("fdff:ffff::fffc/126", False), ("fd00::/125", True), ("fd00::/127", True),
    ("fc00::/126", True), ("fe80::/126", True), ("2001:db8::/126", True),
])
def test_inside_ipv6_cidr(cidr, bad):
    assert ("TUN-INSIDE-CIDR-V6" in rule_ids(with_(tunnel_inside_ipv6_cidr=cidr))) is bad


@pytest.mark.parametrize("value", ["169.254.6.1/30", "169.254.6.0/33", "not-a-cidr", "fd00::1/126"])
def test_inside_cidr_that_does_not_parse_raises_naming_the_field(value):
    with pytest.raises(ConfigError, match=r"TunnelInsideCidr"):
        TunnelOptions(tunnel_inside_cidr=value)


def test_inside_cidr_of_the_wrong_family_raises():
    with pytest.raises(ConfigError, match="TunnelInsideIpv6Cidr.*IPv4"):
        TunnelOptions(tunnel_inside_ipv6_cidr="169.254.6.0/30")


@pytest.mark.parametrize("phase", [1, 2])
@pytest.mark.parametrize("alg", ["AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"])
def test_each_encryption_algorithm_is_allowed(phase, alg):
    assert rule_ids(with_(**{f"phase{phase}_encryption_algorithms": (alg,)})) == set()


@pytest.mark.parametrize("phase", [1, 2])
@pytest.mark.parametrize("alg", ["chacha20poly1305", "aes128gcm8", "aes256gcm12"])
def test_known_but_not_aws_encryption_is_an_error(phase, alg):
    assert rule_ids(with_(**{f"phase{phase}_encryption_algorithms": (alg,)})) == {f"TUN-P{phase}-ENCRYPTION"}


def test_chacha20_is_refused_in_both_phases():
    o = with_(phase1_encryption_algorithms=("chacha20poly1305",),
              phase2_encryption_algorithms=("chacha20poly1305",))
    found = {(f.rule_id, f.path) for f in validate_tunnel_options(o)}
    assert found == {("TUN-P1-ENCRYPTION", "Phase1EncryptionAlgorithms[0]"),
                     ("TUN-P2-ENCRYPTION", "Phase2EncryptionAlgorithms[0]")}


def test_strongswan_names_are_mapped_to_aws_names():
    o = with_(phase1_encryption_algorithms=("aes128gcm16", "aes256"), phase1_integrity_algorithms=("sha384",))
    assert o.phase1_encryption_algorithms == ("AES128-GCM-16", "AES256")
    assert o.phase1_integrity_algorithms == ("SHA2-384",)


@pytest.mark.parametrize("phase", [1, 2])
@pytest.mark.parametrize("alg", ["SHA1", "SHA2-256", "SHA2-384", "SHA2-512"])
def test_each_integrity_algorithm_is_allowed(phase, alg):
    ids = rule_ids(with_(**{f"phase{phase}_integrity_algorithms": (alg,)}))
    assert ids == set()
    warns = rule_ids(with_(**{f"phase{phase}_integrity_algorithms": (alg,)}), "warning")
    assert ("TUN-WEAK-INTEGRITY" in warns) is (alg == "SHA1")


@pytest.mark.parametrize("name", ["3DES", "AES192", "DES"])
def test_unknown_encryption_name_raises_naming_the_field(name):
    with pytest.raises(ConfigError, match=r"Phase2EncryptionAlgorithms\[1\].*unknown encryption"):
        TunnelOptions(phase2_encryption_algorithms=("AES128", name))


def test_unknown_integrity_name_raises_naming_the_field():
    with pytest.raises(ConfigError, match=r"Phase1IntegrityAlgorithms\[0\]"):
        TunnelOptions(phase1_integrity_algorithms=("MD5",))


PHASE1_OK = [2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]
PHASE2_OK = [2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]


@pytest.mark.parametrize("group", PHASE1_OK)
def test_phase1_dh_groups_allowed(group):
    assert rule_ids(with_(phase1_dh_group_numbers=(group,))) == set()


@pytest.mark.parametrize("group", PHASE2_OK)
def test_phase2_dh_groups_allowed(group):
    assert rule_ids(with_(phase2_dh_group_numbers=(group,))) == set()


def test_dh_group_5_only_in_phase2():
    assert rule_ids(with_(phase1_dh_group_numbers=(5,))) == {"TUN-P1-DH"}
    assert rule_ids(with_(phase2_dh_group_numbers=(5,))) == set()


def test_dh_group_31_known_but_not_allowed_by_aws():
    assert rule_ids(with_(phase1_dh_group_numbers=(31,))) == {"TUN-P1-DH"}
    assert rule_ids(with_(phase2_dh_group_numbers=(31,))) == {"TUN-P2-DH"}


@pytest.mark.parametrize("group", [1, 13, 25])
def test_unknown_dh_group_raises_naming_the_field(group):
    with pytest.raises(ConfigError, match=r"Phase1DHGroupNumbers\[0\]"):
        TunnelOptions(phase1_dh_group_numbers=(group,))


@pytest.mark.parametrize("group, weak", [(2, True), (5, True), (14, False), (19, False), (21, False),
                                          (22, True), (23, True), (24, True)])
def test_weak_dh_groups_warn(group, weak):
    warns = rule_ids(with_(phase2_dh_group_numbers=(group,)), "warning")
    assert ("TUN-WEAK-DH" in warns) is weak


@pytest.mark.parametrize("versions, errors, weak", [
    (("ikev2",), set(), False), (("ikev1",), set(), True), (("ikev1", "ikev2"), set(), True),
    (("ikev3",), {"TUN-IKE-VERSIONS"}, False), (("IKEv2",), set(), False),
])
def test_ike_versions(versions, errors, weak):
    o = with_(ike_versions=versions)
    assert rule_ids(o) == errors
    assert ("TUN-WEAK-IKEV1" in rule_ids(o, "warning")) is weak


@pytest.mark.parametrize("action, ok", [("clear", True), ("none", True), ("restart", True),
                                        ("hold", False), ("Clear", False), ("", False)])
def test_dpd_timeout_action(action, ok):
    assert ("TUN-DPD-ACTION" not in rule_ids(with_(dpd_timeout_action=action))) is ok


@pytest.mark.parametrize("action, ok", [("add", True), ("start", True), ("initiate", False), ("none", False)])
def test_startup_action(action, ok):
    assert ("TUN-STARTUP-ACTION" not in rule_ids(with_(startup_action=action))) is ok


def test_startup_start_is_ikev2_only():
    assert "TUN-STARTUP-IKEV2" in rule_ids(with_(startup_action="start", ike_versions=("ikev1",)))
    assert "TUN-STARTUP-IKEV2" not in rule_ids(with_(startup_action="start", ike_versions=("ikev1", "ikev2")))
    assert "TUN-STARTUP-IKEV2" not in rule_ids(with_(startup_action="add", ike_versions=("ikev1",)))


def test_empty_algorithm_list_is_an_error():
    assert "TUN-ALGORITHMS-EMPTY" in rule_ids(with_(phase1_dh_group_numbers=()))
    assert "TUN-ALGORITHMS-EMPTY" in rule_ids(with_(ike_versions=()))


@pytest.mark.parametrize("fmt, ok", [("json", True), ("text", True), ("xml", False), ("JSON", False)])
def test_log_output_format(fmt, ok):
    assert ("TUN-LOG-FORMAT" not in rule_ids(with_(log_output_format=fmt))) is ok


def test_log_group_warnings():
    arn = "arn:aws:logs:us-east-1:111122223333:log-group:"
    assert "TUN-LOG-GROUP" in rule_ids(with_(log_enabled=True), "warning")
    assert "TUN-LOG-GROUP" in rule_ids(with_(log_enabled=True, log_group_arn=arn + "my-vpn-logs"), "warning")
    assert rule_ids(with_(log_enabled=True, log_group_arn=arn + "/aws/vendedlogs/vpn:*"), "warning") == set()
    assert rule_ids(with_(log_enabled=False, log_group_arn=arn + "x"), "warning") == set()


def test_all_problems_are_reported_at_once_with_paths():
    bad = with_(pre_shared_key="0ab", phase1_lifetime_seconds=800, phase2_lifetime_seconds=4000,
                replay_window_size=10, dpd_timeout_seconds=5, dpd_timeout_action="hold",
                tunnel_inside_cidr="169.254.169.252/30", rekey_fuzz_percentage=200)
    found = validate_tunnel_options(bad, "VpnConnections[0].Options.TunnelOptions[1]")
    ids = {f.rule_id for f in found}
    assert {"TUN-PSK-LENGTH", "TUN-PSK-LEADING-ZERO", "TUN-P1-LIFETIME", "TUN-P2-LIFETIME",
            "TUN-P2-LESS-THAN-P1", "TUN-REPLAY-WINDOW", "TUN-DPD-TIMEOUT", "TUN-DPD-ACTION",
            "TUN-INSIDE-CIDR-V4-RESERVED", "TUN-REKEY-FUZZ"} <= ids
    paths = {f.path for f in found}
    assert "VpnConnections[0].Options.TunnelOptions[1].PreSharedKey" in paths
    assert "VpnConnections[0].Options.TunnelOptions[1].ReplayWindowSize" in paths
    for f in found:
        assert f.doc_url.startswith("https://docs.aws.amazon.com/")


def test_non_integer_values_raise_naming_the_field():
    with pytest.raises(ConfigError, match="ReplayWindowSize"):
        TunnelOptions(replay_window_size="1024")
    with pytest.raises(ConfigError, match="DpdTimeoutSeconds"):
        TunnelOptions(dpd_timeout_seconds=True)


# ---- parametrized from the rule table ---------------------------------------------------------------

ATTR_OF_API = {v: k for k, v in API_NAMES.items()}
RANGE_RULES = [r for r in R.RULES.values() if r.applies_to == "tunnel" and r.field in ATTR_OF_API
               and (r.minimum is not None or r.maximum is not None)
               and isinstance(getattr(CLEAN, ATTR_OF_API[r.field]), int)]


def _around(r):
    out = []
    if r.minimum is not None:
        out += [(r.minimum - 1, True), (r.minimum, False)]
    if r.maximum is not None:
        out += [(r.maximum, False), (r.maximum + 1, True)]
    return out


@pytest.mark.parametrize("r, value, bad", [(r, v, b) for r in RANGE_RULES for v, b in _around(r)],
                         ids=lambda x: getattr(x, "id", str(x)))
def test_every_tunnel_range_rule_from_the_table(r, value, bad):
    attr = ATTR_OF_API[r.field]
    base = CLEAN
    if attr == "phase1_lifetime_seconds":      # keep Phase 2 below it and the margin inside
        base = with_(phase2_lifetime_seconds=900, rekey_margin_time_seconds=60)
    assert (r.id in rule_ids(dataclasses.replace(base, **{attr: value}))) is bad


def test_table_has_the_ranges_we_expect():
    assert {r.id for r in RANGE_RULES} >= {"TUN-P1-LIFETIME", "TUN-P2-LIFETIME", "TUN-REKEY-FUZZ",
                                          "TUN-REPLAY-WINDOW", "TUN-DPD-TIMEOUT", "TUN-REKEY-MARGIN"}


ENUM_RULES = [r for r in R.RULES.values() if r.applies_to == "tunnel" and r.values and r.field in ATTR_OF_API
              and r.severity == "error" and "RESERVED" not in r.id]


@pytest.mark.parametrize("cidr", R.rule("TUN-INSIDE-CIDR-V4-RESERVED").values)
def test_every_reserved_inside_cidr_from_the_table_is_refused(cidr):
    assert rule_ids(with_(tunnel_inside_cidr=cidr)) == {"TUN-INSIDE-CIDR-V4-RESERVED"}


def test_reserved_inside_cidrs_table_matches_the_sheet():
    assert set(R.rule("TUN-INSIDE-CIDR-V4-RESERVED").values) == {
        "169.254.0.0/30", "169.254.1.0/30", "169.254.2.0/30", "169.254.3.0/30", "169.254.4.0/30",
        "169.254.5.0/30", "169.254.169.252/30"}


@pytest.mark.parametrize("r, value", [(r, v) for r in ENUM_RULES for v in r.values],
                         ids=lambda x: getattr(x, "id", str(x)))
def test_every_enumerated_value_from_the_table_is_accepted(r, value):
    attr = ATTR_OF_API[r.field]
    current = getattr(CLEAN, attr)
    new = (value,) if isinstance(current, tuple) else value
    assert r.id not in rule_ids(dataclasses.replace(CLEAN, **{attr: new}))


def test_table_defaults_equal_the_model_defaults():
    d = TunnelOptions()
    checked = 0
    for r in R.RULES.values():
        if r.applies_to != "tunnel" or r.field not in ATTR_OF_API or r.default is None:
            continue
        if isinstance(r.default, str) and r.default not in ("clear", "add", "json"):
            continue  # descriptive defaults ("a /30 from 169.254.0.0/16 (AWS picks)")
        assert getattr(d, ATTR_OF_API[r.field]) == r.default, r.id
        checked += 1
    assert checked >= 15


def test_table_algorithm_lists_agree_with_the_suite_table():
    assert set(R.ENCRYPTION_ALGORITHMS) == {e.aws_name for e in suites.ENCRYPTION if e.aws_name}
    assert set(R.INTEGRITY_ALGORITHMS) == {i.aws_name for i in suites.INTEGRITY if i.aws_name}
    assert set(R.PHASE1_DH_GROUPS) == {g.number for g in suites.DH_GROUPS if g.aws_phase1}
    assert set(R.PHASE2_DH_GROUPS) == {g.number for g in suites.DH_GROUPS if g.aws_phase2}


def test_every_rule_has_a_doc_url_and_unique_id():
    for r in R.RULES.values():
        assert r.doc_url.startswith("https://docs.aws.amazon.com/"), r.id
        assert r.severity in ("error", "warning")
        assert r.description and r.allowed and r.field
    rows = R.rules_table()
    assert len(rows) == len(R.RULES) and {"id", "doc_url", "note", "default", "allowed"} <= set(rows[0])


def test_drift_choices_are_noted_with_both_sources():
    dpd = R.rule("TUN-DPD-TIMEOUT")
    assert dpd.default == 30 and "40" in dpd.note and R.URL_MODIFY_TUNNEL_SPEC in dpd.note
    asn = R.rule("CGW-ASN-RANGE")
    assert asn.default == 65000 and "64512" in asn.note and asn.maximum == 4294967295
    assert "UNCONFIRMED" in R.rule("CGW-ASN-RESERVED").note


def test_unknown_rule_id():
    with pytest.raises(ConfigError, match="unknown rule id"):
        R.rule("NOPE")


# Rules no input can break once the names are known to the suite table, or that only document a setting.
NOT_VIOLABLE = {
    "TUN-P1-INTEGRITY": "every integrity algorithm in crypto.suites has an AWS name; unknown names raise",
    "TUN-P2-INTEGRITY": "as TUN-P1-INTEGRITY",
    "TUN-LIFECYCLE-CONTROL": "documents the per-tunnel on/off setting and its default",
}


def test_every_rule_is_exercised_by_some_test():
    from pathlib import Path
    here = Path(__file__).parent
    mine = ("test_aws_s2s_rules.py", "test_aws_s2s_model.py", "test_aws_s2s_modify.py", "test_aws_import.py")
    text = "".join((here / name).read_text() for name in mine)
    missing = [rid for rid in R.RULES if rid not in NOT_VIOLABLE and f'"{rid}"' not in text]
    assert missing == []
