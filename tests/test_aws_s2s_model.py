"""Connection, customer gateway and gateway rules (aws-facts.md §1.1-§1.3, §1.7-§1.9)."""

from __future__ import annotations

import dataclasses

import pytest

from vpnlearn.aws import rules as R
from vpnlearn.aws.network import VPC
from vpnlearn.aws.site_to_site import (
    CustomerGateway,
    Inventory,
    StaticRoute,
    TransitGateway,
    Tunnel,
    VirtualPrivateGateway,
    VpcAttachment,
    VpnConnection,
    two_tunnel_connection,
    validate,
)
from vpnlearn.aws.tunnel_options import TunnelOptions
from vpnlearn.errors import ConfigError

STRONG = dict(pre_shared_key="Abcdefgh_1", phase1_encryption_algorithms=("AES256-GCM-16",),
              phase2_encryption_algorithms=("AES256-GCM-16",), phase1_integrity_algorithms=("SHA2-256",),
              phase2_integrity_algorithms=("SHA2-256",), phase1_dh_group_numbers=(19,),
              phase2_dh_group_numbers=(19,), ike_versions=("ikev2",))


def cgw(asn=65010, ip="198.51.100.7", **kw):
    return CustomerGateway("cgw-1", bgp_asn=asn, ip_address=ip, **kw)


def vpn_on(gw=None, *, tgw=None, c=None, id="vpn-1", cidrs=("169.254.10.0/30", "169.254.11.0/30"), **kw):
    if gw is None and tgw is None:
        gw = VirtualPrivateGateway("vgw-1", vpc="vpc-1")
    return two_tunnel_connection(id, c or cgw(), vpn_gateway=gw, transit_gateway=tgw, inside_cidrs=cidrs,
                                 **{**STRONG, **kw})


def ids(inv_or_vpn, severity="error", region=None):
    inv = inv_or_vpn if isinstance(inv_or_vpn, Inventory) else Inventory([inv_or_vpn], region=region)
    return {f.rule_id for f in validate(inv) if f.severity == severity}


def test_a_clean_connection_has_no_findings():
    assert validate(Inventory([vpn_on()])) == []


def test_default_connection_is_valid_but_weak():
    vpn = VpnConnection("vpn-1", cgw(), vpn_gateway=VirtualPrivateGateway("vgw-1"))
    assert ids(vpn) == set()
    assert ids(vpn, "warning") == {"TUN-WEAK-DH", "TUN-WEAK-INTEGRITY", "TUN-WEAK-IKEV1"}


# ---- two tunnels, two AZs, two outside IPs ------------------------------------------------------------

@pytest.mark.parametrize("n, bad", [(0, True), (1, True), (2, False), (3, True)])
def test_exactly_two_tunnels(n, bad):
    vpn = vpn_on()
    vpn.tunnels = [Tunnel(TunnelOptions(**STRONG), outside_ip_address=f"198.51.100.{i + 1}")
                   for i in range(n)]
    assert ("CONN-TWO-TUNNELS" in ids(vpn)) is bad


def test_tunnels_in_the_same_az_are_an_error():
    vpn = vpn_on()
    vpn.tunnels[1].availability_zone = vpn.tunnels[0].availability_zone
    assert "CONN-TWO-AZS" in ids(vpn)
    vpn.tunnels[1].availability_zone = None   # unknown AZ: nothing to say
    assert "CONN-TWO-AZS" not in ids(vpn)


def test_tunnels_need_distinct_outside_ips():
    vpn = vpn_on()
    vpn.tunnels[1].outside_ip_address = vpn.tunnels[0].outside_ip_address
    found = [f for f in validate(Inventory([vpn])) if f.rule_id == "TUN-OUTSIDE-IP-UNIQUE"]
    assert found and found[0].path == "VpnConnections[0].Options.TunnelOptions[1].OutsideIpAddress"


def test_single_tunnel_setup_is_a_warning():
    vpn = vpn_on()
    vpn.tunnels[1].configured_on_device = False
    found = [f for f in validate(Inventory([vpn])) if f.rule_id == "CONN-CONFIGURE-BOTH"]
    assert [(f.severity, f.path) for f in found] == [
        ("warning", "VpnConnections[0].Options.TunnelOptions[1]")]


@pytest.mark.parametrize("statuses, warn, err", [
    (("UP", "UP"), False, False), (("UP", "DOWN"), True, False), (("DOWN", "DOWN"), True, True),
    ((None, None), False, False),
])
def test_tunnel_telemetry(statuses, warn, err):
    vpn = vpn_on()
    for t, s in zip(vpn.tunnels, statuses, strict=True):
        t.status = s
    assert ("TUN-STATUS-DOWN" in ids(vpn, "warning")) is warn
    assert ("CONN-BOTH-DOWN" in ids(vpn)) is err


def test_telemetry_status_outside_enum():
    vpn = vpn_on()
    vpn.tunnels[0].status = "FLAPPING"
    assert "TUN-STATUS-DOWN" in ids(vpn, "warning")


# ---- target gateway, IP versions, acceleration, outside IPs ----------------------------------------

def test_vgw_and_tgw_together_is_an_error():
    vpn = vpn_on(VirtualPrivateGateway("vgw-1"), tgw=TransitGateway("tgw-1"))
    assert "CONN-ONE-TARGET" in ids(vpn)


def test_not_associated_connection_is_allowed():
    vpn = vpn_on()
    vpn.vpn_gateway = None
    assert ids(vpn) == set()


@pytest.mark.parametrize("on_tgw", [False, True])
def test_ipv6_inside_only_on_tgw(on_tgw):
    vpn = vpn_on(tgw=TransitGateway("tgw-1")) if on_tgw else vpn_on()
    if on_tgw:
        vpn.vpn_gateway = None
    vpn.tunnel_inside_ip_version = "ipv6"
    assert ("CONN-IPV6-TGW-ONLY" in ids(vpn)) is (not on_tgw)


def test_inside_ip_version_enum():
    vpn = vpn_on()
    vpn.tunnel_inside_ip_version = "dual"
    assert "CONN-INSIDE-IP-VERSION" in ids(vpn)


def test_ipv6_inside_cidr_on_an_ipv4_connection():
    vpn = vpn_on()
    vpn.tunnels[0].options = dataclasses.replace(vpn.tunnels[0].options, tunnel_inside_ipv6_cidr="fd00::/126")
    assert "CONN-IPV4-OR-IPV6" in ids(vpn)


@pytest.mark.parametrize("on_tgw", [False, True])
def test_acceleration_only_on_tgw(on_tgw):
    vpn = vpn_on(tgw=TransitGateway("tgw-1")) if on_tgw else vpn_on()
    if on_tgw:
        vpn.vpn_gateway = None
    vpn.enable_acceleration = True
    assert ("CONN-ACCELERATION-TGW" in ids(vpn)) is (not on_tgw)


@pytest.mark.parametrize("kind, ok", [("PublicIpv4", True), ("PrivateIpv4", True), ("Ipv6", True),
                                      ("public", False), ("Ipv4", False)])
def test_outside_ip_address_type_enum(kind, ok):
    vpn = vpn_on(tgw=TransitGateway("tgw-1"))
    vpn.vpn_gateway = None
    vpn.outside_ip_address_type = kind
    vpn.transport_transit_gateway_attachment_id = "tgw-attach-1"
    assert ("CONN-OUTSIDE-IP-TYPE" not in ids(vpn)) is ok


def test_private_ip_vpn_needs_transport_attachment():
    vpn = vpn_on(tgw=TransitGateway("tgw-1"), c=cgw(ip="10.1.2.3"))
    vpn.vpn_gateway = None
    vpn.outside_ip_address_type = "PrivateIpv4"
    assert "CONN-PRIVATE-IP-TRANSPORT" in ids(vpn)
    vpn.transport_transit_gateway_attachment_id = "tgw-attach-0123"
    assert ids(vpn) == set()
    assert "CGW-IP-PUBLIC" not in ids(vpn, "warning")


def test_ipv6_outside_only_on_tgw():
    vpn = vpn_on(c=cgw(ip="2001:db8::7"))
    assert "CONN-OUTSIDE-IPV6-TGW" in ids(vpn)
    vpn2 = vpn_on(tgw=TransitGateway("tgw-1"), c=cgw(ip="2001:db8::7"))
    vpn2.vpn_gateway = None
    vpn2.outside_ip_address_type = "Ipv6"
    assert "CONN-OUTSIDE-IPV6-TGW" not in ids(vpn2)


@pytest.mark.parametrize("ip, warn", [("10.0.0.1", True), ("172.16.5.5", True), ("192.168.1.1", True),
                                      ("100.64.0.1", True), ("198.51.100.7", False), ("8.8.8.8", False)])
def test_private_cgw_ip_warns(ip, warn):
    assert ("CGW-IP-PUBLIC" in ids(vpn_on(c=cgw(ip=ip)), "warning")) is warn


@pytest.mark.parametrize("bw, on_tgw, bad", [("standard", False, False), ("large", False, True),
                                             ("large", True, False), ("huge", True, True)])
def test_tunnel_bandwidth(bw, on_tgw, bad):
    vpn = vpn_on(tgw=TransitGateway("tgw-1")) if on_tgw else vpn_on()
    if on_tgw:
        vpn.vpn_gateway = None
    vpn.tunnel_bandwidth = bw
    assert ("CONN-TUNNEL-BANDWIDTH" in ids(vpn)) is bad


@pytest.mark.parametrize("attr, value, rule_id", [("type", "ipsec.2", "CONN-TYPE"),
                                                  ("state", "broken", "CONN-STATE")])
def test_connection_enums(attr, value, rule_id):
    vpn = vpn_on()
    setattr(vpn, attr, value)
    assert rule_id in ids(vpn)


# ---- ASNs and routing ---------------------------------------------------------------------------------

def test_cgw_asn_must_differ_from_vgw_asn():
    vpn = vpn_on(c=cgw(asn=64512))          # the VGW default
    assert "CONN-ASN-DIFFERS" in ids(vpn)
    vpn.static_routes_only = True           # no BGP session: only a warning
    assert "CONN-ASN-DIFFERS" not in ids(vpn)
    assert "CONN-ASN-DIFFERS" in ids(vpn, "warning")


def test_cgw_asn_must_differ_from_tgw_asn():
    vpn = vpn_on(tgw=TransitGateway("tgw-1", amazon_side_asn=4200000000), c=cgw(asn=4200000000))
    vpn.vpn_gateway = None
    assert "CONN-ASN-DIFFERS" in ids(vpn)


def test_gateway_by_id_is_resolved_through_the_inventory():
    vgw = VirtualPrivateGateway("vgw-9", amazon_side_asn=65010)
    vpn = vpn_on(gw="vgw-9", c="cgw-1")
    inv = Inventory([vpn], customer_gateways=[cgw(asn=65010)], vpn_gateways=[vgw])
    found = [f for f in validate(inv) if f.rule_id == "CONN-ASN-DIFFERS"]
    assert found and found[0].path == "VpnConnections[0].CustomerGatewayId"


def test_static_routes_with_bgp_is_an_error():
    vpn = vpn_on()
    vpn.routes = [StaticRoute("10.20.0.0/16")]
    assert "CONN-STATIC-VS-BGP" in ids(vpn)
    vpn.static_routes_only = True
    assert ids(vpn) == set()


@pytest.mark.parametrize("n, bad", [(100, False), (101, True)])
def test_static_route_limit(n, bad):
    vpn = vpn_on()
    vpn.static_routes_only = True
    vpn.routes = [StaticRoute(f"10.{i // 256}.{i % 256}.0/24") for i in range(n)]
    assert ("CONN-STATIC-ROUTE-LIMIT" in ids(vpn)) is bad


def test_static_routes_on_tgw_warn():
    vpn = vpn_on(tgw=TransitGateway("tgw-1"))
    vpn.vpn_gateway = None
    vpn.static_routes_only = True
    vpn.routes = [StaticRoute("10.20.0.0/16")]
    assert "CONN-TGW-STATIC-ROUTES" in ids(vpn, "warning")


def test_static_route_cidr_that_does_not_parse():
    with pytest.raises(ConfigError, match="DestinationCidrBlock"):
        StaticRoute("10.20.0.1/16")


def test_aws_initiated_ike_needs_a_cgw_ip():
    c = CustomerGateway("cgw-1", bgp_asn=65010, certificate_arn="arn:aws:acm:us-east-1:1:certificate/x")
    vpn = vpn_on(c=c, startup_action="start")
    found = [f for f in validate(Inventory([vpn])) if f.rule_id == "CONN-STARTUP-NEEDS-CGW-IP"]
    assert found and found[0].path.endswith("TunnelOptions[0].StartupAction")
    assert "CONN-STARTUP-NEEDS-CGW-IP" not in ids(vpn_on(startup_action="start"))


# ---- across connections ----------------------------------------------------------------------------

def test_inside_cidr_unique_per_vgw():
    vgw = VirtualPrivateGateway("vgw-1")
    a = vpn_on(vgw, id="vpn-a")
    b = vpn_on(vgw, id="vpn-b", cidrs=("169.254.10.0/30", "169.254.12.0/30"))
    found = [f for f in validate(Inventory([a, b])) if f.rule_id == "CONN-INSIDE-CIDR-UNIQUE-VGW"]
    assert [f.path for f in found] == ["VpnConnections[1].Options.TunnelOptions[0].TunnelInsideCidr"]
    assert "VpnConnections[0].Options.TunnelOptions[0]" in found[0].message


def test_inside_cidr_reuse_on_other_vgw_is_fine():
    a = vpn_on(VirtualPrivateGateway("vgw-1"), id="vpn-a")
    b = vpn_on(VirtualPrivateGateway("vgw-2"), id="vpn-b")
    assert ids(Inventory([a, b])) == set()


def test_same_cidr_on_both_tunnels_of_one_connection():
    assert "CONN-INSIDE-CIDR-UNIQUE-VGW" in ids(vpn_on(cidrs=("169.254.10.0/30", "169.254.10.0/30")))


def test_inside_cidr_reuse_on_tgw_is_a_warning_and_ipv6_an_error():
    tgw = TransitGateway("tgw-1")
    a = vpn_on(tgw=tgw, id="vpn-a")
    b = vpn_on(tgw=tgw, id="vpn-b")
    for v in (a, b):
        v.vpn_gateway = None
    inv = Inventory([a, b])
    assert "CONN-INSIDE-CIDR-REUSE-TGW" in ids(inv, "warning")
    assert "CONN-INSIDE-CIDR-REUSE-TGW" not in ids(inv)
    for v in (a, b):
        v.tunnel_inside_ip_version = "ipv6"
        v.tunnels[0].options = dataclasses.replace(v.tunnels[0].options,
                                                   tunnel_inside_ipv6_cidr="fd00::/126")
    assert "CONN-INSIDE-V6-UNIQUE-TGW" in ids(inv)


def test_deleted_connections_do_not_count():
    vgw = VirtualPrivateGateway("vgw-1")
    a = vpn_on(vgw, id="vpn-a")
    a.state = "deleted"
    b = vpn_on(vgw, id="vpn-b")
    assert ids(Inventory([a, b])) == set()


@pytest.mark.parametrize("n, warn", [(10, False), (11, True)])
def test_connections_per_vgw_quota(n, warn):
    vgw = VirtualPrivateGateway("vgw-1")
    vpns = [vpn_on(vgw, id=f"vpn-{i}", cidrs=(f"169.254.{20 + 2 * i}.0/30", f"169.254.{21 + 2 * i}.0/30"))
            for i in range(n)]
    assert ("CONN-PER-VGW-QUOTA" in ids(Inventory(vpns), "warning")) is warn


# ---- customer gateway ----------------------------------------------------------------------------------

@pytest.mark.parametrize("asn, bad", [
    (0, True), (1, False), (65534, False), (2147483647, False), (2147483648, False),
    (4200000000, False), (4294967294, False), (4294967295, False), (4294967296, True),
])
def test_cgw_asn_range(asn, bad):
    inv = Inventory(customer_gateways=[cgw(asn=asn)])
    assert ("CGW-ASN-RANGE" in ids(inv)) is bad


def test_cgw_asn_above_2_31_must_use_bgp_asn_extended():
    def cgw_ids(**kw):
        return ids(Inventory(customer_gateways=[cgw(**kw)]))
    assert "CGW-ASN-EXTENDED" in cgw_ids(asn=2147483648, asn_field="BgpAsn")
    assert "CGW-ASN-EXTENDED" not in cgw_ids(asn=2147483648)
    assert "CGW-ASN-EXTENDED" in cgw_ids(asn=65000, asn_field="BgpAsnExtended")


@pytest.mark.parametrize("asn, region, severity", [
    (7224, None, "error"), (7224, "us-west-2", "error"), (7224, "eu-west-1", "error"),
    (9059, "eu-west-1", "error"), (9059, "us-east-1", None), (9059, None, "warning"),
    (10124, "ap-northeast-1", "error"), (10124, "eu-west-1", None),
    (17943, "ap-southeast-1", "error"), (17943, None, "warning"), (17493, "ap-southeast-1", None),
    (7223, None, None), (7225, None, None),
])
def test_cgw_reserved_asns(asn, region, severity):
    found = [f for f in validate(Inventory(customer_gateways=[cgw(asn=asn)], region=region))
             if f.rule_id == "CGW-ASN-RESERVED"]
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_reserved_asns_table_matches_the_sheet():
    assert R.CGW_RESERVED_ASNS == {7224: "*", 9059: "eu-west-1", 10124: "ap-northeast-1",
                                   17943: "ap-southeast-1"}


def test_cgw_needs_ip_or_certificate():
    assert "CGW-IP-OR-CERT" in ids(Inventory(customer_gateways=[cgw(ip=None)]))
    c = cgw(ip=None, certificate_arn="arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x")
    assert "CGW-IP-OR-CERT" not in ids(Inventory(customer_gateways=[c]))


@pytest.mark.parametrize("n, bad", [(255, False), (256, True)])
def test_cgw_device_name_length(n, bad):
    assert ("CGW-DEVICE-NAME" in ids(Inventory(customer_gateways=[cgw(device_name="d" * n)]))) is bad


def test_cgw_bad_ip_raises_naming_the_field():
    with pytest.raises(ConfigError, match="IpAddress.*not a valid IP"):
        CustomerGateway("cgw-1", ip_address="198.51.100.300")


def test_cgw_default_asn_is_65000():
    assert CustomerGateway("cgw-1", ip_address="198.51.100.1").bgp_asn == 65000


# ---- virtual private gateway and transit gateway ------------------------------------------------------

@pytest.mark.parametrize("asn, rule_id", [
    (64511, "VGW-ASN-RANGE"), (64512, None), (65534, None), (65535, "VGW-ASN-RANGE"),
    (4199999999, "VGW-ASN-RANGE"), (4200000000, None), (4294967294, None), (4294967295, "VGW-ASN-RANGE"),
    (65000, None), (1, "VGW-ASN-RANGE"),
])
def test_vgw_asn_ranges(asn, rule_id):
    found = {f.rule_id for f in validate(Inventory(vpn_gateways=[VirtualPrivateGateway("vgw-1", asn)]))}
    assert found == ({rule_id} if rule_id else set())


@pytest.mark.parametrize("asn", [7224, 9059, 10124, 17493])
def test_legacy_vgw_default_asns_are_warnings(asn):
    found = validate(Inventory(vpn_gateways=[VirtualPrivateGateway("vgw-1", asn)]))
    assert [(f.rule_id, f.severity) for f in found] == [("VGW-ASN-LEGACY", "warning")]


def test_vgw_default_asn_is_64512():
    assert VirtualPrivateGateway("vgw-1").amazon_side_asn == 64512
    assert TransitGateway("tgw-1").amazon_side_asn == 64512


@pytest.mark.parametrize("asn, bad", [(64511, True), (64512, False), (65534, False), (65535, True),
                                      (4200000000, False), (4294967294, False), (4294967295, True),
                                      (7224, True)])
def test_tgw_asn_ranges(asn, bad):
    assert ("TGW-ASN-RANGE" in ids(Inventory(transit_gateways=[TransitGateway("tgw-1", asn)]))) is bad


def test_vgw_attaches_to_one_vpc_at_a_time():
    vpc_a = VPC("vpc-a", "10.0.0.0/16")
    vgw = VirtualPrivateGateway("vgw-1", vpc=vpc_a)
    assert vgw.vpc_id == "vpc-a"
    with pytest.raises(ConfigError, match="already attached to vpc-a"):
        vgw.attach(VPC("vpc-b", "10.1.0.0/16"))
    vgw.detach()
    vgw.attach("vpc-b")
    assert vgw.vpc_id == "vpc-b"


def test_vgw_with_two_attached_vpcs_is_an_error():
    vgw = VirtualPrivateGateway("vgw-1", attachments=[VpcAttachment("vpc-a"), VpcAttachment("vpc-b")])
    assert "VGW-ONE-VPC" in ids(Inventory(vpn_gateways=[vgw]))
    vgw.attachments[0] = VpcAttachment("vpc-a", "detached")
    assert "VGW-ONE-VPC" not in ids(Inventory(vpn_gateways=[vgw]))


def test_findings_list_errors_first_and_carry_doc_urls():
    vpn = vpn_on(c=cgw(asn=64512), pre_shared_key="0short")
    vpn.tunnels[1].status = "DOWN"
    found = validate(Inventory([vpn]))
    sev = [f.severity for f in found]
    assert sev == sorted(sev)  # "error" < "warning"
    assert {"error", "warning"} <= set(sev)
    assert all(f.doc_url.startswith("https://docs.aws.amazon.com/") for f in found)
    assert all(f.rule_id in R.RULES for f in found)


@pytest.mark.parametrize("value, bad", [("ipsec.1", False), ("ipsec.2", True), ("IPSEC.1", True)])
def test_gateway_types(value, bad):
    assert ("CGW-TYPE" in ids(Inventory(customer_gateways=[cgw(type=value)]))) is bad
    vgw = VirtualPrivateGateway("vgw-1", type=value)
    assert ("VGW-TYPE" in ids(Inventory(vpn_gateways=[vgw]))) is bad


@pytest.mark.parametrize("on_tgw, count, warn", [(False, 99, False), (False, 100, True), (True, 999, False),
                                                 (True, 1000, True)])
def test_routes_from_cgw_quota(on_tgw, count, warn):
    v = vpn_on(tgw=TransitGateway("tgw-1")) if on_tgw else vpn_on()
    v.tunnels[0].accepted_route_count = count
    found = [f for f in validate(Inventory([v])) if f.rule_id == "CONN-ROUTES-FROM-CGW"]
    assert bool(found) is warn
    if found:
        assert found[0].path == "VpnConnections[0].VgwTelemetry[0].AcceptedRouteCount"


@pytest.mark.parametrize("rule_id, kind, limit", [("QUOTA-CGW-REGION", "cgw", 50),
                                                  ("QUOTA-VGW-REGION", "vgw", 5),
                                                  ("QUOTA-VPN-REGION", "vpn", 50)])
def test_regional_quotas(rule_id, kind, limit):
    def inv(n):
        if kind == "cgw":
            return Inventory(customer_gateways=[cgw(asn=65000 + i) for i in range(n)])
        if kind == "vgw":
            return Inventory(vpn_gateways=[VirtualPrivateGateway(f"vgw-{i}") for i in range(n)])
        return Inventory([vpn_on(VirtualPrivateGateway(f"vgw-{i}"), id=f"vpn-{i}") for i in range(n)])
    assert rule_id not in ids(inv(limit), "warning")
    assert rule_id in ids(inv(limit + 1), "warning")


def test_accelerated_quota():
    vpns = []
    for i in range(11):
        v = vpn_on(tgw=TransitGateway(f"tgw-{i}"), id=f"vpn-{i}")
        v.enable_acceleration = True
        vpns.append(v)
    assert "QUOTA-ACCELERATED-REGION" in ids(Inventory(vpns), "warning")
    assert "QUOTA-ACCELERATED-REGION" not in ids(Inventory(vpns[:10]), "warning")


def test_duplicate_customer_gateway_needs_a_device_name():
    a, b = cgw(), cgw()
    found = [f for f in validate(Inventory(customer_gateways=[a, b])) if f.rule_id == "CGW-DUPLICATE"]
    assert [(f.severity, f.path) for f in found] == [("warning", "CustomerGateways[1].DeviceName")]
    b.device_name = "second-router"
    assert "CGW-DUPLICATE" not in ids(Inventory(customer_gateways=[a, b]), "warning")
