"""VPN between VPCs, VPC peering (not transitive, no edge-to-edge) and transit gateway (aws-facts §6)."""

from __future__ import annotations

import warnings

import pytest

from vpnlearn.aws.network import VPC, Target, TargetKind
from vpnlearn.aws.tgw import TransitGateway
from vpnlearn.aws.vpc_to_vpc import Fabric, compare_options
from vpnlearn.errors import ConfigError
from vpnlearn.rand import DemoRandom


def demo() -> DemoRandom:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DemoRandom(0)


def three(region_c: str = "us-east-1") -> Fabric:
    f = Fabric(rng=demo())
    f.add_vpc(VPC("vpc-a", ["10.1.0.0/16"]))
    f.add_vpc(VPC("vpc-b", ["10.2.0.0/16"]))
    f.add_vpc(VPC("vpc-c", ["10.3.0.0/16"], region=region_c))
    return f


def test_peering_reaches_the_peer() -> None:
    f = three()
    f.peer("vpc-a", "vpc-b")
    r = f.can_reach("vpc-a", "vpc-b")
    assert r.reachable and r.hops == ("vpc-a", "pcx-vpc-a-vpc-b", "vpc-b")
    assert f.can_reach("vpc-b", "10.1.0.99").reachable


def test_peering_is_not_transitive() -> None:
    f = three()
    f.peer("vpc-a", "vpc-b")
    f.peer("vpc-b", "vpc-c")
    assert f.can_reach("vpc-b", "vpc-c").reachable
    # Without a route, A simply has no way to C.
    r = f.can_reach("vpc-a", "vpc-c")
    assert not r.reachable and r.rule_id == "NO-ROUTE"
    # Even with a route to C through the A-B peering, B does not pass it on.
    f.vpcs["vpc-a"].main_route_table.add("10.3.0.0/16", Target(TargetKind.PEERING, "pcx-vpc-a-vpc-b"))
    r = f.can_reach("vpc-a", "vpc-c")
    assert not r.reachable and r.rule_id == "PEERING-NOT-TRANSITIVE"
    assert "vpc-peering-basics" in r.url and "not transitive" in r.explain()
    # The fix: peer A and C directly.
    f.vpcs["vpc-a"].main_route_table.remove_route("10.3.0.0/16")
    f.peer("vpc-a", "vpc-c")
    assert f.can_reach("vpc-a", "vpc-c").reachable


def test_no_edge_to_edge_through_peer_vpn() -> None:
    f = three()
    f.peer("vpc-a", "vpc-b")
    f.add_onprem_vpn("vpc-b", "office", ["192.168.0.0/16"])
    assert f.can_reach("vpc-b", "192.168.1.1").reachable
    f.vpcs["vpc-a"].main_route_table.add("192.168.0.0/16", Target(TargetKind.PEERING, "pcx-vpc-a-vpc-b"))
    r = f.can_reach("vpc-a", "192.168.1.1")
    assert not r.reachable and r.rule_id == "PEERING-NO-EDGE"
    assert "vgw-vpc-b" in r.reason


def test_no_edge_to_edge_through_peer_internet_gateway() -> None:
    f = three()
    f.peer("vpc-a", "vpc-b")
    f.vpcs["vpc-b"].main_route_table.add("0.0.0.0/0", "igw-b")
    assert f.can_reach("vpc-b", "8.8.8.8").reachable
    f.vpcs["vpc-a"].main_route_table.add("0.0.0.0/0", Target(TargetKind.PEERING, "pcx-vpc-a-vpc-b"))
    r = f.can_reach("vpc-a", "8.8.8.8")
    assert not r.reachable and r.rule_id == "PEERING-NO-EDGE"


def test_peering_refuses_overlap_and_self() -> None:
    f = three()
    f.add_vpc(VPC("vpc-d", ["10.2.128.0/17"]))
    with pytest.raises(ConfigError, match="field cidrs: 10.2.0.0/16 overlaps 10.2.128.0/17"):
        f.peer("vpc-b", "vpc-d")
    with pytest.raises(ConfigError, match="cannot peer with itself"):
        f.peer("vpc-a", "vpc-a")
    with pytest.raises(ConfigError, match="field vpc 'vpc-z'"):
        f.peer("vpc-a", "vpc-z")


def test_inter_region_peering_mtu() -> None:
    f = three(region_c="eu-west-1")
    same = f.peer("vpc-a", "vpc-b")
    cross = f.peer("vpc-a", "vpc-c")
    assert not same.inter_region and cross.inter_region and cross.mtu == 1500
    assert f.can_reach("vpc-a", "vpc-c").reachable


def test_transit_gateway_is_transitive() -> None:
    f = three()
    f.add_tgw(TransitGateway("tgw-1", rng=demo()))
    for v in ("vpc-a", "vpc-b", "vpc-c"):
        f.attach_to_tgw("tgw-1", v, routes=["10.0.0.0/8"])
    r = f.can_reach("vpc-a", "vpc-c")
    assert r.reachable and r.hops == ("vpc-a", "tgw-1", "vpc-c")
    assert f.can_reach("vpc-c", "vpc-b").reachable


def test_transit_gateway_is_regional() -> None:
    f = three(region_c="eu-west-1")
    f.add_tgw(TransitGateway("tgw-1"), region="us-east-1")
    with pytest.raises(ConfigError, match="a TGW is regional"):
        f.attach_to_tgw("tgw-1", "vpc-c")


def vpn_fabric(*, check: bool = False, region_b: str = "eu-west-1") -> Fabric:
    f = Fabric(rng=demo())
    f.add_vpc(VPC("vpc-a", ["10.1.0.0/16"], region="us-east-1"))
    b = f.add_vpc(VPC("vpc-b", ["10.2.0.0/16"], region=region_b))
    b.add_subnet("public-b", "10.2.0.0/24", az="eu-west-1a")
    f.vpn_between("vpc-a", "vpc-b", subnet="public-b", instance_ip="10.2.0.10", source_dest_check=check)
    return f


@pytest.mark.parametrize("region_b", ["us-east-1", "eu-west-1"])
def test_vpn_between_vpcs_same_or_other_region_both_ways(region_b: str) -> None:
    f = vpn_fabric(region_b=region_b)
    there = f.can_reach("vpc-a", "10.2.5.5")
    assert there.reachable and "internet" in there.hops and there.hops[-1] == "vpc-b"
    back = f.can_reach("10.2.5.5", "vpc-a")
    assert back.reachable and back.hops[-1] == "vpc-a"


def test_vpn_between_vpcs_breaks_with_source_dest_check_on() -> None:
    f = vpn_fabric(check=True)
    back = f.can_reach("10.2.5.5", "vpc-a")
    assert not back.reachable and back.rule_id == "EC2-SRC-DST-CHECK"
    there = f.can_reach("vpc-a", "10.2.5.5")
    assert not there.reachable and there.rule_id == "EC2-SRC-DST-CHECK"
    # The appliance itself is the destination here, so the check lets it through.
    assert f.can_reach("vpc-a", "10.2.0.10").reachable


def test_vpn_between_vpcs_breaks_when_the_appliance_fails() -> None:
    f = vpn_fabric()
    f.appliances["vpc-b"].instances["i-vpn-vpc-b-1"].running = False
    assert f.can_reach("10.2.5.5", "vpc-a").rule_id == "APPLIANCE-HA"
    assert f.can_reach("vpc-a", "10.2.5.5").rule_id == "APPLIANCE-HA"


def test_vpn_tunnels_down_withdraw_the_route() -> None:
    f = vpn_fabric()
    vgw = f.vgws["vpc-a"]
    vgw.set_tunnel_state("vpn-vpc-a-vpc-b", "tunnel1", "DOWN")
    assert f.can_reach("vpc-a", "10.2.5.5").reachable
    vgw.set_tunnel_state("vpn-vpc-a-vpc-b", "tunnel2", "DOWN")
    r = f.can_reach("vpc-a", "10.2.5.5")
    assert not r.reachable and r.rule_id == "NO-ROUTE"


def test_compare_options() -> None:
    rows = {r["option"]: r for r in compare_options()}
    assert rows["VPC peering"]["transitive"] is False
    assert rows["Transit gateway"]["transitive"] is True
    vpn = next(r for name, r in rows.items() if "VPN" in name)
    assert vpn["crosses_internet"] is True and rows["VPC peering"]["crosses_internet"] is False
    assert all(str(r["url"]).startswith("https://docs.aws.amazon.com/") for r in rows.values())


def test_can_reach_bad_input() -> None:
    f = three()
    with pytest.raises(ConfigError, match="field source 172.16.0.1 is not inside any VPC"):
        f.can_reach("172.16.0.1", "vpc-a")
    with pytest.raises(ConfigError, match="field destination"):
        f.can_reach("vpc-a", "not-an-ip")
