"""VPC route tables and the virtual private gateway: each documented step decides one test.

Sources: aws-facts §2.1-§2.4 (route-tables-priority.html, VPNRoutingTypes.html, SetUpVPNConnections.html,
amazon-vpc-limits.html, vpn-limits.html).
"""

from __future__ import annotations

import ipaddress
import warnings

import pytest

from vpnlearn.aws.network import (
    ROUTING_RULES,
    VPC,
    Origin,
    PrefixList,
    Route,
    RouteTable,
    Source,
    Target,
    TargetKind,
    parse_cidr,
    routing_rules_table,
)
from vpnlearn.aws.routing import (
    MAX_PROPAGATED_ROUTES_PER_TABLE,
    VgwRouter,
    describe_limit,
    lookup,
)
from vpnlearn.errors import ConfigError
from vpnlearn.rand import DemoRandom

VGW = Target(TargetKind.VIRTUAL_PRIVATE_GATEWAY, "vgw-1")


def demo(seed: int = 0) -> DemoRandom:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DemoRandom(seed)


def prop(cidr: str, source: Source, via: str = "") -> Route:
    return Route(parse_cidr(cidr, field="t"), VGW, Origin.PROPAGATED, source, via=via)


@pytest.fixture
def table() -> RouteTable:
    return VPC("vpc-a", ["10.0.0.0/16"]).main_route_table


# ---------------------------------------------------------------- network model and bad input


def test_vpc_has_local_route_per_cidr_and_new_tables_get_them() -> None:
    vpc = VPC("vpc-a", ["10.0.0.0/16", "10.1.0.0/16"])
    assert [str(r.destination) for r in vpc.main_route_table.local_routes] == ["10.0.0.0/16", "10.1.0.0/16"]
    vpc.add_cidr("10.2.0.0/16")
    custom = vpc.add_route_table("rtb-custom")
    assert len(custom.local_routes) == 3
    assert len(vpc.main_route_table.local_routes) == 3


@pytest.mark.parametrize("bad, words", [
    ("10.0.0.0/33", "not a valid CIDR"),
    ("10.0.0.1/16", "host bits set; did you mean 10.0.0.0/16"),
    ("banana", "not a CIDR"),
    ("300.0.0.0/16", "not a valid CIDR"),
])
def test_bad_cidr_names_field(bad: str, words: str) -> None:
    with pytest.raises(ConfigError, match="VPC vpc-x: field cidrs\\[0\\]") as err:
        VPC("vpc-x", [bad])
    assert words in str(err.value)


def test_vpc_cidr_rules() -> None:
    with pytest.raises(ConfigError, match="overlaps the VPC's CIDR block 10.0.0.0/16"):
        VPC("vpc-a", ["10.0.0.0/16", "10.0.128.0/17"])
    with pytest.raises(ConfigError, match="between /16 and /28"):
        VPC("vpc-a", ["10.0.0.0/8"])
    VPC("vpc-a", ["10.0.0.0/28"])  # the smallest allowed


def test_subnet_rules() -> None:
    vpc = VPC("vpc-a", ["10.0.0.0/16"])
    s = vpc.add_subnet("subnet-1", "10.0.1.0/24", az="us-east-1a")
    assert s.az == "us-east-1a" and vpc.route_table_for("subnet-1") is vpc.main_route_table
    with pytest.raises(ConfigError, match="subnet subnet-2: field cidr 10.1.0.0/24 is not inside"):
        vpc.add_subnet("subnet-2", "10.1.0.0/24", az="us-east-1a")
    with pytest.raises(ConfigError, match="overlaps subnet subnet-1"):
        vpc.add_subnet("subnet-3", "10.0.1.128/25", az="us-east-1b")
    with pytest.raises(ConfigError, match="field az"):
        vpc.add_subnet("subnet-4", "10.0.2.0/24", az="")
    rt = vpc.add_route_table("rtb-2")
    vpc.associate("subnet-1", rt)
    assert vpc.route_table_for("subnet-1") is rt
    assert vpc.subnet_of("10.0.1.9").id == "subnet-1" and vpc.subnet_of("10.0.9.9") is None


def test_duplicate_static_route_refused_but_propagated_duplicate_allowed(table: RouteTable) -> None:
    table.add("172.31.0.0/24", "igw-1")
    with pytest.raises(ConfigError, match="field destination 172.31.0.0/24 already has a static route"):
        table.add("172.31.0.0/24", "pcx-1")
    table.add_route(prop("172.31.0.0/24", Source.VPN_BGP))
    assert len(table.routes) == 3


def test_local_route_cannot_be_removed(table: RouteTable) -> None:
    with pytest.raises(ConfigError, match="local route cannot be deleted"):
        table.remove_route("10.0.0.0/16")


def test_route_consistency_checks() -> None:
    with pytest.raises(ConfigError, match="field source of a propagated route"):
        Route(parse_cidr("1.0.0.0/8", field="x"), VGW, Origin.PROPAGATED, Source.MANUAL)
    with pytest.raises(ConfigError, match="field target of a propagated route"):
        Route(parse_cidr("1.0.0.0/8", field="x"), Target.parse("igw-1"), Origin.PROPAGATED, Source.VPN_BGP)
    with pytest.raises(ConfigError, match="field target 'local'"):
        Route(parse_cidr("1.0.0.0/8", field="x"), Target.parse("local"))
    with pytest.raises(ConfigError, match="field as_path\\[1\\]"):
        Route(parse_cidr("1.0.0.0/8", field="x"), VGW, Origin.PROPAGATED, Source.VPN_BGP, as_path=(65000, 0))
    with pytest.raises(ConfigError, match="could be a gateway VPC endpoint"):
        Target.parse("vpce-1")
    with pytest.raises(ConfigError, match="not a known target id"):
        Target.parse("xyz-1")
    assert Target.parse("eni-1").kind is TargetKind.NETWORK_INTERFACE


def test_prefix_list_validation() -> None:
    with pytest.raises(ConfigError, match="prefix list pl-1: field entries\\[1\\]"):
        PrefixList("pl-1", ["10.0.0.0/8", "nope"])
    with pytest.raises(ConfigError, match="mixes IPv4 and IPv6"):
        PrefixList("pl-1", ["10.0.0.0/8", "2001:db8::/32"])
    with pytest.raises(ConfigError, match="field id must start with 'pl-'"):
        PrefixList("x-1", ["10.0.0.0/8"])
    with pytest.raises(ConfigError, match="more than max_entries 1"):
        PrefixList("pl-1", ["10.0.0.0/8", "11.0.0.0/8"], max_entries=1)


def test_routing_rules_table_filters_by_prefix() -> None:
    rows = routing_rules_table("VGW-PATH")
    assert [r["rule_id"] for r in rows] == [
        "VGW-PATH-LPM", "VGW-PATH-SOURCE", "VGW-PATH-ASPATH", "VGW-PATH-MED"]
    assert len(routing_rules_table()) == len(ROUTING_RULES)


def test_every_rule_has_an_aws_url() -> None:
    for rule in ROUTING_RULES.values():
        assert rule.url.startswith("https://"), rule.rule_id
        assert "amazon" in rule.url or "aws" in rule.url


# ---------------------------------------------------------------- VPC route table: one test per step


def test_no_route_drops(table: RouteTable) -> None:
    result = table.lookup("8.8.8.8")
    assert result.route is None and result.decided_by == "NO-ROUTE"
    assert "dropped" in result.explain()


def test_single_match_decides_by_match(table: RouteTable) -> None:
    result = table.lookup("10.0.3.4")
    assert result.route.origin is Origin.LOCAL and result.decided_by == "MATCH"


def test_longest_prefix_wins(table: RouteTable) -> None:
    # The doc's example: 10.10.2.15/32 has priority over 10.10.2.0/24.
    table.add("10.10.2.0/24", "igw-1")
    table.add("10.10.2.15/32", "pcx-1")
    assert table.lookup("10.10.2.15").target.id == "pcx-1"
    assert table.lookup("10.10.2.15").decided_by == "VPC-RT-LPM"
    assert table.lookup("10.10.2.16").target.id == "igw-1"


def test_local_route_beats_more_specific_propagated(table: RouteTable) -> None:
    table.add_route(prop("10.0.5.0/24", Source.DX_BGP))
    result = table.lookup("10.0.5.1")
    assert result.route.origin is Origin.LOCAL
    assert result.decided_by == "VPC-RT-LOCAL"
    step = next(s for s in result.steps if s.rule_id == "VPC-RT-LOCAL")
    assert [str(r.destination) for r in step.eliminated] == ["10.0.5.0/24"]
    assert step.url == ROUTING_RULES["VPC-RT-LOCAL"].url
    # Outside the VPC the same kind of route is used.
    table.add_route(prop("10.9.0.0/24", Source.DX_BGP))
    assert table.lookup("10.9.0.1").target == VGW


def test_static_more_specific_than_local_wins_by_longest_prefix(table: RouteTable) -> None:
    # Model choice (module docstring): the local exception is documented for propagated routes only.
    table.add("10.0.7.0/24", "eni-appliance")
    result = table.lookup("10.0.7.9")
    assert result.target.id == "eni-appliance" and result.decided_by == "VPC-RT-LPM"


def test_static_beats_propagated_same_destination_aws_example(table: RouteTable) -> None:
    # VPNRoutingTypes.html worked example: 172.31.0.0/24 -> vgw (propagated) and -> igw (static).
    table.add_route(prop("172.31.0.0/24", Source.VPN_BGP))
    table.add("172.31.0.0/24", "igw-1")
    result = table.lookup("172.31.0.10")
    assert result.target.id == "igw-1" and result.decided_by == "VPC-RT-STATIC"


@pytest.mark.parametrize("target", ["igw-1", "nat-1", "eni-1", "i-1", "tgw-1", "pcx-1"])
def test_each_static_target_kind_beats_propagated(table: RouteTable, target: str) -> None:
    table.add_route(prop("172.31.0.0/24", Source.DX_BGP))
    table.add("172.31.0.0/24", target)
    assert table.lookup("172.31.0.1").target.id == target


def test_static_cidr_beats_prefix_list(table: RouteTable) -> None:
    pl = PrefixList("pl-1", ["192.168.0.0/16"])
    table.add(pl, "tgw-1")
    table.add("192.168.0.0/16", "pcx-1")
    result = table.lookup("192.168.1.1")
    assert result.target.id == "pcx-1" and result.decided_by == "VPC-RT-STATIC-OVER-PL"


def test_prefix_list_beats_propagated(table: RouteTable) -> None:
    table.add_route(prop("192.168.0.0/16", Source.DX_BGP))
    table.add(PrefixList("pl-1", ["192.168.0.0/16", "172.16.0.0/12"]), "tgw-1")
    result = table.lookup("192.168.1.1")
    assert result.target.id == "tgw-1" and result.decided_by == "VPC-RT-PL-OVER-PROP"


def test_prefix_list_entry_length_counts_for_longest_prefix(table: RouteTable) -> None:
    # "more specific routes always take priority irrespective of ... prefix lists"
    table.add("192.168.0.0/16", "pcx-1")
    table.add(PrefixList("pl-1", ["192.168.1.0/24"]), "tgw-1")
    assert table.lookup("192.168.1.1").target.id == "tgw-1"
    assert table.lookup("192.168.1.1").decided_by == "VPC-RT-LPM"
    assert table.lookup("192.168.2.1").target.id == "pcx-1"


def test_overlapping_prefix_lists_pick_is_fixed(table: RouteTable) -> None:
    table.add(PrefixList("pl-b", ["192.168.0.0/16"]), "tgw-1")
    table.add(PrefixList("pl-a", ["192.168.0.0/16"]), "pcx-1")
    first = table.lookup("192.168.1.1")
    assert first.decided_by == "VPC-RT-PL-RANDOM"
    assert str(first.route.destination) == "pl-a"
    assert all(table.lookup("192.168.1.1").route == first.route for _ in range(3))


@pytest.mark.parametrize("winner, loser", [
    (Source.DX_BGP, Source.VPN_STATIC),
    (Source.DX_BGP, Source.VPN_BGP),
    (Source.VPN_STATIC, Source.VPN_BGP),
])
def test_propagated_order(table: RouteTable, winner: Source, loser: Source) -> None:
    table.add_route(prop("192.168.0.0/16", loser))
    table.add_route(prop("192.168.0.0/16", winner))
    result = table.lookup("192.168.0.1")
    assert result.route.source is winner and result.decided_by == "VPC-RT-PROP-ORDER"


def test_propagated_more_specific_beats_static_less_specific(table: RouteTable) -> None:
    # Longest prefix comes first: a /24 VPN BGP route beats a static /16.
    table.add("192.168.0.0/16", "igw-1")
    table.add_route(prop("192.168.5.0/24", Source.VPN_BGP))
    assert table.lookup("192.168.5.5").target == VGW


def test_ipv4_and_ipv6_are_independent(table: RouteTable) -> None:
    table.add("0.0.0.0/0", "igw-1")
    assert table.lookup("2001:db8::1").route is None
    table.add("::/0", "igw-6")
    assert table.lookup("2001:db8::1").target.id == "igw-6"


def test_lookup_bad_address_names_field(table: RouteTable) -> None:
    with pytest.raises(ConfigError, match="field destination: '10.0.0.256' is not a valid IP address"):
        lookup(table, "10.0.0.256")


def test_explain_lists_every_step(table: RouteTable) -> None:
    table.add_route(prop("192.168.0.0/16", Source.VPN_BGP))
    table.add_route(prop("192.168.0.0/16", Source.VPN_STATIC))
    table.add("0.0.0.0/0", "igw-1")
    text = table.lookup("192.168.1.1").explain()
    assert text.index("[MATCH]") < text.index("[VPC-RT-LPM]") < text.index("[VPC-RT-PROP-ORDER]")
    assert "eliminated: 0.0.0.0/0 -> igw-1" in text


def test_route_status_for_diagrams(table: RouteTable) -> None:
    table.add_route(prop("192.168.0.0/16", Source.VPN_BGP))
    table.add_route(prop("192.168.0.0/16", Source.DX_BGP))
    table.add("0.0.0.0/0", "igw-1")
    rows = table.lookup("192.168.1.1").route_status(table)
    status = {(str(r.destination), r.source.value): s for r, s in rows}
    assert status == {
        ("10.0.0.0/16", "vpc"): "no match",
        ("192.168.0.0/16", "vpn-bgp"): "eliminated by VPC-RT-PROP-ORDER",
        ("192.168.0.0/16", "dx-bgp"): "chosen",
        ("0.0.0.0/0", "manual"): "eliminated by VPC-RT-LPM",
    }


# ---------------------------------------------------------------- VGW path selection (§2.3, §2.4)


def gateway(**kw) -> VgwRouter:
    vpc = VPC("vpc-a", ["10.0.0.0/16"])
    return VgwRouter("vgw-1", vpc=vpc, rng=kw.pop("rng", demo()), **kw)


def bgp(vgw: VgwRouter, conn: str, asn: int, *, up=("tunnel1",)) -> None:
    vgw.add_vpn_connection(conn, routing="bgp", cgw_asn=asn)
    for t in up:
        vgw.set_tunnel_state(conn, t, "UP")


def test_vgw_longest_prefix() -> None:
    vgw = gateway()
    bgp(vgw, "vpn-1", 65001)
    bgp(vgw, "vpn-2", 65002)
    vgw.advertise("vpn-1", "tunnel1", "192.168.0.0/16")
    vgw.advertise("vpn-2", "tunnel1", "192.168.1.0/24")
    choice = vgw.select("192.168.1.1")
    assert choice.path.connection == "vpn-2" and choice.decided_by == "VGW-PATH-LPM"


@pytest.mark.parametrize("winner", ["dx", "static"])
def test_vgw_source_order(winner: str) -> None:
    vgw = gateway()
    bgp(vgw, "vpn-bgp", 65001)
    vgw.advertise("vpn-bgp", "tunnel1", "192.168.0.0/16")
    vgw.add_vpn_connection("vpn-static", routing="static", static_prefixes=["192.168.0.0/16"])
    vgw.set_tunnel_state("vpn-static", "tunnel1", "UP")
    if winner == "dx":
        vgw.add_direct_connect_route("dxvif-1", "192.168.0.0/16", as_path=(65009, 65009, 65009))
    choice = vgw.select("192.168.0.1")
    assert choice.decided_by == "VGW-PATH-SOURCE"
    assert choice.path.source is (Source.DX_BGP if winner == "dx" else Source.VPN_STATIC)


def test_vgw_shortest_as_path() -> None:
    vgw = gateway()
    bgp(vgw, "vpn-1", 65001)
    bgp(vgw, "vpn-2", 65002)
    vgw.advertise("vpn-1", "tunnel1", "192.168.0.0/16", as_path=(65001, 65001))
    vgw.advertise("vpn-2", "tunnel1", "192.168.0.0/16", as_path=(65002,), med=500)
    choice = vgw.select("192.168.0.1")
    assert choice.path.connection == "vpn-2" and choice.decided_by == "VGW-PATH-ASPATH"


def test_vgw_lowest_med_same_first_as() -> None:
    vgw = gateway()
    bgp(vgw, "vpn-1", 65001, up=("tunnel1", "tunnel2"))
    vgw.advertise("vpn-1", "tunnel1", "192.168.0.0/16", med=200)
    vgw.advertise("vpn-1", "tunnel2", "192.168.0.0/16", med=100)
    choice = vgw.select("192.168.0.1")
    assert choice.path.tunnel == "tunnel2" and choice.decided_by == "VGW-PATH-MED"


def test_vgw_med_not_compared_across_different_first_as() -> None:
    vgw = gateway(rng=demo(3))
    bgp(vgw, "vpn-1", 65001)
    bgp(vgw, "vpn-2", 65002)
    vgw.advertise("vpn-1", "tunnel1", "192.168.0.0/16", med=900)
    vgw.advertise("vpn-2", "tunnel1", "192.168.0.0/16", med=1)
    choice = vgw.select("192.168.0.1")
    med_steps = [s for s in choice.steps if s.rule_id == "VGW-PATH-MED"]
    assert med_steps and not med_steps[0].decisive
    assert choice.decided_by == "VGW-ONE-TUNNEL"
    # The choice is AWS's, so both connections must be possible outcomes across gateways.
    seen = set()
    for seed in range(12):
        g = gateway(rng=demo(seed))
        bgp(g, "vpn-1", 65001)
        bgp(g, "vpn-2", 65002)
        g.advertise("vpn-1", "tunnel1", "192.168.0.0/16", med=900)
        g.advertise("vpn-2", "tunnel1", "192.168.0.0/16", med=1)
        seen.add(g.select("192.168.0.1").path.connection)
    assert seen == {"vpn-1", "vpn-2"}


def test_vgw_one_egress_tunnel_is_sticky_and_fails_over() -> None:
    vgw = gateway(rng=demo(7))
    vgw.add_vpn_connection("vpn-1", routing="static", static_prefixes=["192.168.0.0/16"])
    vgw.set_tunnel_state("vpn-1", "tunnel1", "UP")
    vgw.set_tunnel_state("vpn-1", "tunnel2", "UP")
    first = vgw.select("192.168.0.1")
    assert first.decided_by == "VGW-ONE-TUNNEL"
    assert all(vgw.select("192.168.0.1").path == first.path for _ in range(5))
    vgw.set_tunnel_state("vpn-1", first.path.tunnel, "DOWN")
    after = vgw.select("192.168.0.1")
    assert after.path.tunnel != first.path.tunnel
    assert after.decided_by == "MATCH"  # only one tunnel left


def test_vgw_one_tunnel_across_connections() -> None:
    vgw = gateway(rng=demo(1))
    for c in ("vpn-1", "vpn-2"):
        vgw.add_vpn_connection(c, routing="static", static_prefixes=["192.168.0.0/16", "172.16.0.0/16"])
        vgw.set_tunnel_state(c, "tunnel1", "UP")
        vgw.set_tunnel_state(c, "tunnel2", "UP")
    a = vgw.select("192.168.0.1").path
    b = vgw.select("172.16.0.1").path
    assert (a.connection, a.tunnel) == (b.connection, b.tunnel) == vgw.preferred_tunnel


def test_vgw_forwards_only_known_prefixes_and_vpc() -> None:
    vgw = gateway()
    choice = vgw.select("8.8.8.8")
    assert choice.path is None and choice.decided_by == "VGW-FORWARDS-KNOWN"
    assert vgw.select("10.0.0.5").path.source is Source.VPC


def test_maintenance_med_is_lower_on_the_other_tunnel() -> None:
    vgw = gateway()
    bgp(vgw, "vpn-1", 65001)
    normal = vgw.advertised_med("vpn-1")
    assert normal["tunnel1"] == normal["tunnel2"]
    during = vgw.advertised_med("vpn-1", maintenance_on="tunnel1")
    assert during["tunnel2"] < during["tunnel1"]


def test_bgp_connection_refuses_static_routes() -> None:
    vgw = gateway()
    with pytest.raises(ConfigError, match="field static_prefixes: a BGP connection cannot have static"):
        vgw.add_vpn_connection("vpn-1", routing="bgp", static_prefixes=["1.0.0.0/8"])
    vgw.add_vpn_connection("vpn-2", routing="static")
    with pytest.raises(ConfigError, match="does not speak BGP"):
        vgw.advertise("vpn-2", "tunnel1", "1.0.0.0/8")
    with pytest.raises(ConfigError, match="field tunnel 'tunnel3'"):
        vgw.set_tunnel_state("vpn-2", "tunnel3", "UP")
    with pytest.raises(ConfigError, match="field state must be 'UP' or 'DOWN'"):
        vgw.set_tunnel_state("vpn-2", "tunnel1", "maybe")


def test_vgw_asn_rules() -> None:
    with pytest.raises(ConfigError, match="field asn 65535 must be 64512-65534"):
        VgwRouter("vgw-x", asn=65535)
    with pytest.raises(ConfigError, match="field asn"):
        VgwRouter("vgw-x", asn=[64512])  # type: ignore[arg-type]
    vgw = VgwRouter("vgw-x", asn=64600)
    with pytest.raises(ConfigError, match="field cgw_asn 64600 equals the gateway's ASN"):
        vgw.add_vpn_connection("vpn-1", cgw_asn=64600)


def test_vgw_vpn_is_ipv4_only() -> None:
    vgw = gateway()
    with pytest.raises(ConfigError, match=r"field static_prefixes\[0\] 2001:db8::/32: .* IPv4 only"):
        vgw.add_vpn_connection("vpn-6", routing="static", static_prefixes=["2001:db8::/32"])
    vgw.add_vpn_connection("vpn-1", routing="bgp", cgw_asn=65001)
    with pytest.raises(ConfigError, match="ipv4-ipv6.html"):
        vgw.advertise("vpn-1", "tunnel1", "2001:db8::/32")


def test_vgw_attaches_to_one_vpc() -> None:
    vgw = gateway()
    with pytest.raises(ConfigError, match="one VPC at a time"):
        vgw.attach(VPC("vpc-b", ["10.1.0.0/16"]))


# ---------------------------------------------------------------- propagation (§2.1) and limits


def propagating() -> tuple[VPC, VgwRouter, RouteTable]:
    vpc = VPC("vpc-a", ["10.0.0.0/16"])
    vgw = VgwRouter("vgw-1", vpc=vpc, rng=demo())
    table = vpc.main_route_table
    vgw.enable_propagation(table)
    return vpc, vgw, table


def test_bgp_routes_propagate_when_up_and_withdraw_per_tunnel() -> None:
    _, vgw, table = propagating()
    vgw.add_vpn_connection("vpn-1", routing="bgp", cgw_asn=65001)
    vgw.advertise("vpn-1", "tunnel1", "192.168.0.0/16")
    vgw.advertise("vpn-1", "tunnel2", "192.168.0.0/16")
    assert table.propagated_routes == ()  # both tunnels DOWN: nothing yet
    [res] = vgw.set_tunnel_state("vpn-1", "tunnel1", "UP")
    assert [str(r.destination) for r in res.added] == ["192.168.0.0/16"]
    vgw.set_tunnel_state("vpn-1", "tunnel2", "UP")
    [res] = vgw.set_tunnel_state("vpn-1", "tunnel1", "DOWN")
    assert res.withdrawn == () and len(table.propagated_routes) == 1  # tunnel2 still advertises it
    [res] = vgw.set_tunnel_state("vpn-1", "tunnel2", "DOWN")
    assert [str(r.destination) for r in res.withdrawn] == ["192.168.0.0/16"]
    assert table.propagated_routes == ()
    assert table.lookup("192.168.0.1").route is None


def test_bgp_prefix_only_on_the_tunnel_that_went_down_is_withdrawn() -> None:
    _, vgw, table = propagating()
    vgw.add_vpn_connection("vpn-1", routing="bgp", cgw_asn=65001)
    vgw.set_tunnel_state("vpn-1", "tunnel1", "UP")
    vgw.set_tunnel_state("vpn-1", "tunnel2", "UP")
    vgw.advertise("vpn-1", "tunnel1", "192.168.0.0/16")
    vgw.advertise("vpn-1", "tunnel2", "172.16.0.0/16")
    [res] = vgw.set_tunnel_state("vpn-1", "tunnel1", "DOWN")
    assert [str(r.destination) for r in res.withdrawn] == ["192.168.0.0/16"]
    assert [str(r.destination) for r in table.propagated_routes] == ["172.16.0.0/16"]


def test_static_routes_stay_while_one_tunnel_up() -> None:
    _, vgw, table = propagating()
    vgw.add_vpn_connection("vpn-1", routing="static", static_prefixes=["192.168.0.0/16"])
    vgw.set_tunnel_state("vpn-1", "tunnel1", "UP")
    vgw.set_tunnel_state("vpn-1", "tunnel2", "UP")
    vgw.set_tunnel_state("vpn-1", "tunnel1", "DOWN")
    assert [r.source for r in table.propagated_routes] == [Source.VPN_STATIC]
    vgw.set_tunnel_state("vpn-1", "tunnel2", "DOWN")
    assert table.propagated_routes == ()
    vgw.set_tunnel_state("vpn-1", "tunnel2", "UP")
    vgw.add_static_route("vpn-1", "172.16.0.0/12")
    assert {str(r.destination) for r in table.propagated_routes} == {"192.168.0.0/16", "172.16.0.0/12"}


def test_disable_propagation_removes_routes_and_enable_adds_existing() -> None:
    vpc, vgw, table = propagating()
    vgw.add_vpn_connection("vpn-1", routing="static", static_prefixes=["192.168.0.0/16"])
    vgw.set_tunnel_state("vpn-1", "tunnel1", "UP")
    res = vgw.disable_propagation(table)
    assert len(res.withdrawn) == 1 and table.propagated_routes == ()
    other = vpc.add_route_table("rtb-2")
    res = vgw.enable_propagation(other)
    assert len(res.added) == 1 and table.propagated_routes == ()


def test_propagated_route_is_overridden_by_static_after_failover_by_hand() -> None:
    # PROP-STALE: while the connection stays UP the propagated route stays; a static route wins anyway.
    _, vgw, table = propagating()
    vgw.add_vpn_connection("vpn-1", routing="static", static_prefixes=["192.168.0.0/16"])
    vgw.set_tunnel_state("vpn-1", "tunnel1", "UP")
    table.add("192.168.0.0/16", "tgw-backup")
    assert table.lookup("192.168.0.1").target.id == "tgw-backup"


def test_stale_propagated_route_and_failover_by_disabling_propagation() -> None:
    # PROP-STALE: the tunnel stays UP while the network behind the customer gateway is broken, so the
    # propagated /24 stays and, being more specific, keeps winning over a static backup /16.
    _, vgw, table = propagating()
    vgw.add_vpn_connection("vpn-1", routing="bgp", cgw_asn=65001)
    vgw.set_tunnel_state("vpn-1", "tunnel1", "UP")
    vgw.advertise("vpn-1", "tunnel1", "192.168.1.0/24")
    table.add("192.168.0.0/16", "tgw-backup")
    assert table.lookup("192.168.1.9").target == VGW
    res = vgw.disable_propagation(table)
    assert [str(r.destination) for r in res.withdrawn] == ["192.168.1.0/24"]
    assert table.lookup("192.168.1.9").target.id == "tgw-backup"
    assert ROUTING_RULES["PROP-STALE"].url.endswith("SetUpVPNConnections.html")


def _advertise_n(vgw: VgwRouter, n: int) -> None:
    vgw.add_vpn_connection("vpn-1", routing="bgp", cgw_asn=65001)
    vgw.set_tunnel_state("vpn-1", "tunnel1", "UP")
    for i in range(n):
        vgw.advertise("vpn-1", "tunnel1", f"172.{16 + i // 256}.{i % 256}.0/24")


def test_propagated_limit_at_boundary_is_accepted() -> None:
    _, vgw, table = propagating()
    _advertise_n(vgw, MAX_PROPAGATED_ROUTES_PER_TABLE)
    assert MAX_PROPAGATED_ROUTES_PER_TABLE == 100
    assert len(table.propagated_routes) == 100
    assert all(not r.rejected for r in vgw.propagate())


def test_propagated_limit_just_past_boundary_rejects_one() -> None:
    _, vgw, table = propagating()
    _advertise_n(vgw, 99)
    vgw.add_direct_connect_route("dxvif-1", "192.168.0.0/24")
    [res] = vgw.add_direct_connect_route("dxvif-1", "192.168.1.0/24")
    assert len(table.propagated_routes) == 100
    assert [str(p) for p in res.rejected] == ["192.168.1.0/24"]
    assert table.lookup("192.168.1.1").route is None
    assert "100" in describe_limit() and "default route" in describe_limit()
    # A default route fits in the remaining room once another prefix is withdrawn.
    vgw.withdraw("vpn-1", "tunnel1", "172.16.0.0/24")
    assert len(table.propagated_routes) == 100  # the rejected prefix took the free slot
    assert table.lookup("192.168.1.1").route is not None


def test_same_prefix_from_two_sources_counts_once_against_limit() -> None:
    _, vgw, table = propagating()
    _advertise_n(vgw, 100)
    [res] = vgw.add_direct_connect_route("dxvif-1", "172.16.0.0/24")
    assert res.rejected == () and len(res.added) == 1
    assert table.lookup("172.16.0.1").route.source is Source.DX_BGP


def test_cgw_dynamic_route_limit_100_accepted_101_resets_the_session() -> None:
    _, vgw, table = propagating()
    vgw.add_vpn_connection("vpn-1", routing="bgp", cgw_asn=65001)
    vgw.set_tunnel_state("vpn-1", "tunnel1", "UP")
    vgw.set_tunnel_state("vpn-1", "tunnel2", "UP")
    vgw.advertise("vpn-1", "tunnel2", "10.200.0.0/16")
    for i in range(100):
        vgw.advertise("vpn-1", "tunnel1", f"172.16.{i}.0/24")
    vgw.advertise("vpn-1", "tunnel1", "172.16.0.0/24", med=5)  # re-advertising is not a new route
    assert len(table.propagated_routes) == 100  # 99 + 10.200/16 fill the table exactly
    assert vgw.events == [] and vgw.bgp_established("vpn-1", "tunnel1")
    [res] = vgw.advertise("vpn-1", "tunnel1", "172.17.0.0/24")
    assert not vgw.bgp_established("vpn-1", "tunnel1")
    assert "Maximum Number of Prefixes" in vgw.events[0] and "100 prefixes withdrawn" in vgw.events[0]
    # 99 of tunnel1's prefixes were in the table (the table's own limit had kept one out).
    assert len(res.withdrawn) == 99 and table.lookup("172.16.5.1").route is None
    assert table.lookup("10.200.0.1").route is not None  # tunnel2's session is untouched
    with pytest.raises(ConfigError, match="BGP session was reset"):
        vgw.advertise("vpn-1", "tunnel1", "172.16.0.0/24")
    vgw.restart_bgp("vpn-1", "tunnel1")
    vgw.advertise("vpn-1", "tunnel1", "172.16.0.0/24")
    assert table.lookup("172.16.0.1").route is not None


def test_parse_cidr_accepts_network_objects() -> None:
    net = ipaddress.ip_network("10.0.0.0/8")
    assert parse_cidr(net, field="x") is net


def test_module_examples_run() -> None:
    import doctest

    from vpnlearn.aws import appliance, network

    for module in (network, appliance):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_vgw_connections_is_a_public_read_only_snapshot() -> None:
    from vpnlearn.aws.routing import VpnConnectionInfo, VpnRouting

    vgw = gateway()
    vgw.add_vpn_connection("vpn-s", routing="static", static_prefixes=["192.168.0.0/16", "172.16.0.0/12"],
                           tunnels=("t-a", "t-b"))
    bgp(vgw, "vpn-b", 65010)
    vgw.advertise("vpn-b", "tunnel2", "10.20.0.0/16")
    vgw.advertise("vpn-b", "tunnel1", "10.30.0.0/16")
    vgw.advertise("vpn-b", "tunnel2", "10.30.0.0/16")
    conns = vgw.connections
    assert list(conns) == ["vpn-s", "vpn-b"] == list(vgw.connection_ids())
    s, b = conns["vpn-s"], conns["vpn-b"]
    assert isinstance(s, VpnConnectionInfo)
    assert (s.id, s.routing, s.tunnels, s.cgw_asn) == ("vpn-s", VpnRouting.STATIC, ("t-a", "t-b"), None)
    assert [str(p) for p in s.prefixes] == ["192.168.0.0/16", "172.16.0.0/12"]
    assert (b.routing, b.cgw_asn, b.static_prefixes) == (VpnRouting.BGP, 65010, ())
    assert {t: [str(p) for p in ps] for t, ps in b.advertised.items()} == {
        "tunnel1": ["10.30.0.0/16"], "tunnel2": ["10.20.0.0/16", "10.30.0.0/16"]}
    # Tunnel order first, each prefix once.
    assert [str(p) for p in b.prefixes] == ["10.30.0.0/16", "10.20.0.0/16"]
    # Read-only: neither the mapping, the records nor their parts can change the router.
    with pytest.raises(TypeError):
        conns["vpn-x"] = s  # type: ignore[index]
    with pytest.raises(TypeError):
        b.advertised["tunnel1"] = ()  # type: ignore[index]
    with pytest.raises(AttributeError):
        b.cgw_asn = 1  # type: ignore[misc]
    assert isinstance(b.tunnels, tuple) and isinstance(b.advertised["tunnel2"], tuple)
    # A snapshot: later changes show in a new read, not in the old one.
    vgw.withdraw("vpn-b", "tunnel1", "10.30.0.0/16")
    assert [str(p) for p in vgw.connections["vpn-b"].advertised["tunnel1"]] == []
    assert [str(p) for p in b.advertised["tunnel1"]] == ["10.30.0.0/16"]
