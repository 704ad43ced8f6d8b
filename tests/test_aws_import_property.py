"""Property tests: any tunnel options survive model -> JSON text -> model, and validation never raises."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from vpnlearn.aws import rules as R
from vpnlearn.aws.importer import inventory_from_json, inventory_to_json
from vpnlearn.aws.site_to_site import CustomerGateway, Inventory, Tunnel, VpnConnection, validate
from vpnlearn.aws.tunnel_options import TunnelOptions, validate_tunnel_options

ints = st.integers(min_value=-10, max_value=40000)
psk = st.one_of(st.none(), st.text(alphabet="abcXYZ019._-! ", max_size=70))
inside = st.one_of(st.none(), st.builds(
    lambda a, b, p: f"169.254.{a}.{b * 2 ** (32 - p) % 256}/{p}",
    st.integers(0, 255), st.integers(0, 63), st.sampled_from([30, 30, 29])))
sub = lambda values: st.lists(st.sampled_from(values), min_size=0, max_size=4, unique=True).map(tuple)  # noqa: E731

options = st.builds(
    TunnelOptions,
    tunnel_inside_cidr=inside,
    pre_shared_key=psk,
    phase1_lifetime_seconds=ints, phase2_lifetime_seconds=ints, rekey_margin_time_seconds=ints,
    rekey_fuzz_percentage=ints, replay_window_size=ints, dpd_timeout_seconds=ints,
    dpd_timeout_action=st.sampled_from(["clear", "none", "restart", "hold"]),
    phase1_encryption_algorithms=sub(["AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16",
                                      "chacha20poly1305"]),
    phase2_encryption_algorithms=sub(["AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"]),
    phase1_integrity_algorithms=sub(list(R.INTEGRITY_ALGORITHMS)),
    phase2_integrity_algorithms=sub(list(R.INTEGRITY_ALGORITHMS)),
    phase1_dh_group_numbers=sub([2, 5, 14, 19, 20, 21, 24, 31]),
    phase2_dh_group_numbers=sub([2, 5, 14, 19, 20, 21, 24, 31]),
    ike_versions=sub(["ikev1", "ikev2"]),
    startup_action=st.sampled_from(["add", "start"]),
    log_enabled=st.booleans(),
    log_output_format=st.sampled_from(["json", "text"]),
    enable_tunnel_lifecycle_control=st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(options, options, st.sampled_from([None, "UP", "DOWN"]))
def test_round_trip_and_validation_are_total(o1, o2, status):
    cgw = CustomerGateway("cgw-1", bgp_asn=65010, ip_address="198.51.100.7")
    vpn = VpnConnection("vpn-p", cgw, vpn_gateway="vgw-1",
                        tunnels=[Tunnel(o1, "192.0.2.1", status=status), Tunnel(o2, "192.0.2.2")])
    inv = Inventory([vpn])
    doc = json.loads(json.dumps(inventory_to_json(inv)))
    again = inventory_from_json(doc)
    assert again == inv
    assert inventory_to_json(again) == doc
    assert validate(again) == validate(inv)


@settings(max_examples=80, deadline=None)
@given(options)
def test_findings_are_well_formed(o):
    for f in validate_tunnel_options(o, "T"):
        assert f.rule_id in R.RULES and f.severity in ("error", "warning")
        assert f.path.startswith("T.") and f.doc_url.startswith("https://docs.aws.amazon.com/")
        if f.rule_id.startswith("TUN-PSK") and o.pre_shared_key:
            assert f.value == "***"      # the key itself is never put in a finding
