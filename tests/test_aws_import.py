"""describe-vpn-connections / -customer-gateways / -vpn-gateways JSON: import, round trip, error paths."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from vpnlearn.aws.importer import (
    inventory_from_json,
    inventory_to_json,
    load_files,
    load_json,
    vpn_connection_to_json,
)
from vpnlearn.aws.site_to_site import (
    CustomerGateway,
    Inventory,
    StaticRoute,
    TransitGateway,
    VirtualPrivateGateway,
    two_tunnel_connection,
    validate,
)
from vpnlearn.errors import ConfigError, ParseError

DATA = Path(__file__).parent / "data"
FILES = [DATA / "describe-vpn-connections.json", DATA / "describe-customer-gateways.json",
         DATA / "describe-vpn-gateways.json"]

# Member names of the EC2 API shapes, transcribed from botocore's service model
# (botocore/data/ec2/2016-11-15/service-2.json); BgpAsnExtended and TunnelBandwidth are the newer
# members aws-facts.md cites from botocore 1.43.11.
SHAPES = {
    "VpnConnection": ["Category", "CoreNetworkArn", "CoreNetworkAttachmentArn",
                      "CustomerGatewayConfiguration", "CustomerGatewayId", "GatewayAssociationState",
                      "Options", "Routes", "State", "Tags",
                      "TransitGatewayId", "Type", "VgwTelemetry", "VpnConnectionId", "VpnGatewayId"],
    "VpnConnectionOptions": ["EnableAcceleration", "LocalIpv4NetworkCidr", "LocalIpv6NetworkCidr",
                             "OutsideIpAddressType", "RemoteIpv4NetworkCidr", "RemoteIpv6NetworkCidr",
                             "StaticRoutesOnly", "TransportTransitGatewayAttachmentId",
                             "TunnelInsideIpVersion", "TunnelOptions", "TunnelBandwidth"],
    "TunnelOption": ["DpdTimeoutAction", "DpdTimeoutSeconds", "EnableTunnelLifecycleControl", "IkeVersions",
                     "LogOptions", "OutsideIpAddress", "Phase1DHGroupNumbers", "Phase1EncryptionAlgorithms",
                     "Phase1IntegrityAlgorithms", "Phase1LifetimeSeconds", "Phase2DHGroupNumbers",
                     "Phase2EncryptionAlgorithms", "Phase2IntegrityAlgorithms", "Phase2LifetimeSeconds",
                     "PreSharedKey", "RekeyFuzzPercentage", "RekeyMarginTimeSeconds", "ReplayWindowSize",
                     "StartupAction", "TunnelInsideCidr", "TunnelInsideIpv6Cidr"],
    "VgwTelemetry": ["AcceptedRouteCount", "CertificateArn", "LastStatusChange", "OutsideIpAddress", "Status",
                     "StatusMessage"],
    "VpnStaticRoute": ["DestinationCidrBlock", "Source", "State"],
    "CustomerGateway": ["BgpAsn", "BgpAsnExtended", "CertificateArn", "CustomerGatewayId", "DeviceName",
                        "IpAddress", "State", "Tags", "Type"],
    "VpnGateway": ["AmazonSideAsn", "AvailabilityZone", "State", "Tags", "Type", "VpcAttachments",
                   "VpnGatewayId"],
    "CloudWatchLogOptions": ["LogEnabled", "LogGroupArn", "LogOutputFormat"],
}


def example():
    return load_files(FILES, region="us-east-1")


def test_example_imports_with_exact_values():
    inv = example()
    vpn = inv.vpn_connections[0]
    assert vpn.id == "vpn-04d5e6f7a8b9c0d1e" and vpn.routing == "bgp"
    assert vpn.customer_gateway is inv.customer_gateways[0]
    assert vpn.vpn_gateway is inv.vpn_gateways[0]
    assert inv.customer_gateways[0].bgp_asn == 65010
    assert inv.vpn_gateways[0].vpc_id == "vpc-0c9d8e7f6a5b4c3d2"
    t1, t2 = vpn.tunnels
    assert str(t1.options.tunnel_inside_cidr) == "169.254.44.88/30"
    assert t1.options.phase1_encryption_algorithms == ("AES256-GCM-16", "AES128-GCM-16")
    assert t1.options.phase1_dh_group_numbers == (19, 20, 14)
    assert t1.options.ike_versions == ("ikev2",)
    assert t1.options.log_enabled is True
    assert t1.options.log_group_arn.endswith("/aws/vendedlogs/vpn-04d5e6f7a8b9c0d1e")
    assert t2.options.dpd_timeout_action == "restart" and t2.options.startup_action == "start"
    assert (t1.status, t2.status) == ("UP", "DOWN")
    assert t2.status_message == "IPSEC IS DOWN" and t1.accepted_route_count == 3


def test_example_findings():
    found = validate(example())
    assert [(f.severity, f.rule_id, f.path) for f in found] == [
        ("warning", "TUN-STATUS-DOWN", "VpnConnections[0].VgwTelemetry[1].Status")]
    assert found[0].doc_url.startswith("https://docs.aws.amazon.com/")


def test_telemetry_is_matched_by_outside_ip_not_order():
    doc = json.loads(FILES[0].read_text())
    doc["VpnConnections"][0]["VgwTelemetry"].reverse()
    vpn = inventory_from_json(doc).vpn_connections[0]
    assert [t.status for t in vpn.tunnels] == ["UP", "DOWN"]


def test_round_trip_of_the_example_is_exact():
    inv = example()
    doc = inventory_to_json(inv)
    again = inventory_from_json(doc, region="us-east-1")
    assert again == inv
    assert inventory_to_json(again) == doc
    original = json.loads(FILES[0].read_text())["VpnConnections"][0]
    # Every value AWS printed comes back unchanged (the empty Routes list is dropped).
    out = doc["VpnConnections"][0]
    original.pop("Routes")
    assert out == original


def test_round_trip_of_a_built_model():
    cgw = CustomerGateway("cgw-9", bgp_asn=4200000001, ip_address="203.0.113.9", device_name="edge")
    tgw = TransitGateway("tgw-1", amazon_side_asn=4200000000, vpn_ecmp_support=False)
    vpn = two_tunnel_connection("vpn-9", cgw, transit_gateway=tgw, pre_shared_key="Abcdefgh_1",
                                phase2_dh_group_numbers=(5, 21), rekey_fuzz_percentage=0)
    vpn.static_routes_only = True
    vpn.routes = [StaticRoute("10.9.0.0/16")]
    vpn.tunnel_bandwidth = "large"
    vpn.tags = {"Name": "x"}
    vpn.tunnels[0].status, vpn.tunnels[0].status_message = "DOWN", "IPSEC IS DOWN"
    for t in vpn.tunnels:
        t.availability_zone = None   # not part of the EC2 output shapes
    inv = Inventory([vpn])
    doc = json.loads(json.dumps(inventory_to_json(inv)))   # through real JSON text
    assert doc["CustomerGateways"][0]["BgpAsnExtended"] == "4200000001"
    again = inventory_from_json(doc)
    assert again == inv
    assert validate(again) == validate(inv)


def _keys(obj, shape):
    assert set(obj) <= set(SHAPES[shape]), (shape, set(obj) - set(SHAPES[shape]))


def test_output_uses_only_ec2_api_member_names():
    doc = inventory_to_json(example())
    for vpn in doc["VpnConnections"]:
        _keys(vpn, "VpnConnection")
        _keys(vpn["Options"], "VpnConnectionOptions")
        for t in vpn["Options"]["TunnelOptions"]:
            _keys(t, "TunnelOption")
            _keys(t["LogOptions"]["CloudWatchLogOptions"], "CloudWatchLogOptions")
            assert all(set(v) == {"Value"} for v in t["Phase1EncryptionAlgorithms"])
        for tel in vpn["VgwTelemetry"]:
            _keys(tel, "VgwTelemetry")
    for c in doc["CustomerGateways"]:
        _keys(c, "CustomerGateway")
        assert isinstance(c["BgpAsn"], str)           # AWS prints the CGW ASN as a string
    for g in doc["VpnGateways"]:
        _keys(g, "VpnGateway")
        assert isinstance(g["AmazonSideAsn"], int)


BOTOCORE = Path("/usr/lib/google-cloud-sdk/lib/third_party/botocore/data/ec2/2016-11-15/service-2.json")


@pytest.mark.skipif(not BOTOCORE.exists(), reason="no botocore service model on this machine")
def test_transcribed_shapes_match_botocore():
    shapes = json.loads(BOTOCORE.read_text())["shapes"]
    newer = {"TunnelBandwidth", "BgpAsnExtended"}
    for name, members in SHAPES.items():
        assert set(members) - newer <= set(shapes[name]["members"]), name


# ---- error paths ---------------------------------------------------------------------------------------

def test_malformed_json_gives_line_and_column(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{\n  "VpnConnections": [\n    {"VpnConnectionId": "vpn-1",}\n  ]\n}\n')
    with pytest.raises(ParseError, match=r"bad\.json.*line 3, column 33") as exc:
        load_files([p])
    assert exc.value.offset is not None


def test_not_a_describe_document():
    with pytest.raises(ConfigError, match="no VpnConnections"):
        load_json('{"Reservations": []}', "x.json")
    with pytest.raises(ConfigError, match="expected a JSON object"):
        load_json("[1, 2]", "x.json")


def test_missing_file():
    with pytest.raises(ConfigError, match="nope.json: cannot read file"):
        load_files(["/nonexistent/nope.json"])


def _bad(mutate):
    doc = json.loads(FILES[0].read_text())
    mutate(doc["VpnConnections"][0])
    with pytest.raises(ConfigError) as exc:
        inventory_from_json((doc, "conn.json"))
    return str(exc.value)


def test_cidr_that_does_not_parse_names_the_path():
    msg = _bad(lambda v: v["Options"]["TunnelOptions"][1].update(TunnelInsideCidr="169.254.300.0/30"))
    assert msg.startswith("conn.json: VpnConnections[0].Options.TunnelOptions[1].TunnelInsideCidr:")
    assert "169.254.300.0/30" in msg


def test_cidr_with_host_bits_names_the_path():
    msg = _bad(lambda v: v["Options"]["TunnelOptions"][0].update(TunnelInsideCidr="169.254.44.89/30"))
    assert "VpnConnections[0].Options.TunnelOptions[0].TunnelInsideCidr" in msg


def test_unknown_algorithm_names_the_path():
    msg = _bad(lambda v: v["Options"]["TunnelOptions"][1]["Phase2EncryptionAlgorithms"].append(
        {"Value": "3DES"}))
    assert "VpnConnections[0].Options.TunnelOptions[1].Phase2EncryptionAlgorithms[2].Value" in msg
    assert "3DES" in msg


def test_unknown_dh_group_names_the_path():
    msg = _bad(lambda v: v["Options"]["TunnelOptions"][0]["Phase1DHGroupNumbers"].insert(0, {"Value": 1}))
    assert "TunnelOptions[0].Phase1DHGroupNumbers[0].Value" in msg


def test_wrong_types_name_the_path():
    msg = _bad(lambda v: v["Options"]["TunnelOptions"][0].update(ReplayWindowSize="1024"))
    assert "VpnConnections[0].Options.TunnelOptions[0].ReplayWindowSize: expected an integer" in msg
    msg = _bad(lambda v: v["Options"].update(StaticRoutesOnly="false"))
    assert "VpnConnections[0].Options.StaticRoutesOnly: expected true or false" in msg
    msg = _bad(lambda v: v["Options"]["TunnelOptions"][0].update(Phase1LifetimeSeconds=True))
    assert "Phase1LifetimeSeconds" in msg


def test_bad_outside_ip_and_traffic_selector_name_the_path():
    msg = _bad(lambda v: v["Options"]["TunnelOptions"][1].update(OutsideIpAddress="203.0.113.999"))
    assert "VpnConnections[0].Options.TunnelOptions[1].OutsideIpAddress" in msg
    msg = _bad(lambda v: v["Options"].update(RemoteIpv4NetworkCidr="10.0.0.0/33"))
    assert "VpnConnections[0].Options.RemoteIpv4NetworkCidr" in msg


def test_bad_static_route_names_the_path():
    msg = _bad(lambda v: v.update(Routes=[{"DestinationCidrBlock": "10.0.0.0/8"},
                                          {"DestinationCidrBlock": "10.1.0.0/8"}]))
    assert "VpnConnections[0].Routes[1].DestinationCidrBlock" in msg


def test_algorithm_list_item_must_be_a_value_object():
    msg = _bad(lambda v: v["Options"]["TunnelOptions"][0].update(IkeVersions=["ikev2"]))
    assert "TunnelOptions[0].IkeVersions[0]" in msg


def test_bad_cgw_asn_names_the_path():
    doc = {"CustomerGateways": [{"CustomerGatewayId": "cgw-1", "BgpAsn": "65k", "IpAddress": "198.51.100.1"}]}
    with pytest.raises(ConfigError, match=r"CustomerGateways\[0\]\.BgpAsn"):
        inventory_from_json(doc)


def test_rule_violations_are_findings_not_exceptions():
    doc = json.loads(FILES[0].read_text())
    t = doc["VpnConnections"][0]["Options"]["TunnelOptions"][0]
    t.update(PreSharedKey="0bad-key", DpdTimeoutSeconds=10, TunnelInsideCidr="169.254.5.0/30")
    t["Phase1DHGroupNumbers"].append({"Value": 5})
    found = validate(inventory_from_json(doc))
    got = {(f.rule_id, f.path) for f in found if f.severity == "error"}
    base = "VpnConnections[0].Options.TunnelOptions[0]"
    assert {("TUN-PSK-LEADING-ZERO", f"{base}.PreSharedKey"), ("TUN-PSK-CHARS", f"{base}.PreSharedKey"),
            ("TUN-DPD-TIMEOUT", f"{base}.DpdTimeoutSeconds"),
            ("TUN-INSIDE-CIDR-V4-RESERVED", f"{base}.TunnelInsideCidr"),
            ("TUN-P1-DH", f"{base}.Phase1DHGroupNumbers[3]")} <= got


def test_single_tunnel_document_is_a_finding():
    doc = json.loads(FILES[0].read_text())
    v = doc["VpnConnections"][0]
    del v["Options"]["TunnelOptions"][1]
    del v["VgwTelemetry"][1]
    found = validate(inventory_from_json(doc))
    assert any(f.rule_id == "CONN-TWO-TUNNELS" and f.severity == "error" for f in found)


def test_telemetry_only_output_still_gives_two_tunnels():
    doc = json.loads(FILES[0].read_text())
    v = copy.deepcopy(doc["VpnConnections"][0])
    del v["Options"]["TunnelOptions"]
    vpn = inventory_from_json({"VpnConnections": [v]}).vpn_connections[0]
    assert [str(t.outside_ip_address) for t in vpn.tunnels] == ["203.0.113.11", "203.0.113.202"]
    assert vpn_connection_to_json(vpn)["VgwTelemetry"][1]["Status"] == "DOWN"


def test_vgw_with_unknown_attachment_in_same_file():
    doc = {"VpnGateways": [{"VpnGatewayId": "vgw-1", "AmazonSideAsn": 7224,
                            "VpcAttachments": [{"VpcId": "vpc-1", "State": "attached"},
                                               {"VpcId": "vpc-2", "State": "attaching"}]}]}
    inv = inventory_from_json(doc)
    assert isinstance(inv.vpn_gateways[0], VirtualPrivateGateway)
    assert {f.rule_id for f in validate(inv)} == {"VGW-ONE-VPC", "VGW-ASN-LEGACY"}


def test_telemetry_path_points_at_the_json_element():
    doc = json.loads(FILES[0].read_text())
    doc["VpnConnections"][0]["VgwTelemetry"].reverse()    # the DOWN tunnel's telemetry is now [0]
    found = [f for f in validate(inventory_from_json(doc)) if f.rule_id == "TUN-STATUS-DOWN"]
    assert [f.path for f in found] == ["VpnConnections[0].VgwTelemetry[0].Status"]
