"""Transit gateway route evaluation and ECMP (aws-facts §2.5, §1.8), contrasted with the VGW."""

from __future__ import annotations

import warnings

import pytest

from vpnlearn.aws.network import VPC, PrefixList
from vpnlearn.aws.routing import VgwRouter
from vpnlearn.aws.tgw import AttachmentType, TransitGateway
from vpnlearn.errors import ConfigError
from vpnlearn.rand import DemoRandom


def demo(seed: int = 0) -> DemoRandom:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DemoRandom(seed)


def tgw_with_two_bgp_vpns(*, ecmp: bool = True, seed: int = 0) -> TransitGateway:
    t = TransitGateway("tgw-1", vpn_ecmp_support=ecmp, rng=demo(seed))
    t.attach_vpc(VPC("vpc-a", ["10.0.0.0/16"]))
    for v in ("vpn-1", "vpn-2"):
        t.attach_vpn(v, cgw_asn=65001)
        for tunnel in ("tunnel1", "tunnel2"):
            t.set_tunnel_state(v, tunnel, "UP")
            t.advertise(v, tunnel, "192.168.0.0/16")
    return t


def test_ecmp_on_by_default_spreads_over_all_bgp_tunnels() -> None:
    t = tgw_with_two_bgp_vpns()
    assert t.vpn_ecmp_support is True
    res = t.lookup("192.168.1.1")
    assert res.ecmp and res.decided_by == "TGW-ECMP"
    assert set(res.next_hops) == {("vpn-1", "tunnel1"), ("vpn-1", "tunnel2"),
                                  ("vpn-2", "tunnel1"), ("vpn-2", "tunnel2")}
    assert "ECMP over" in res.explain()


def test_ecmp_off_uses_one_tunnel_and_keeps_it() -> None:
    t = tgw_with_two_bgp_vpns(ecmp=False)
    res = t.lookup("192.168.1.1")
    assert not res.ecmp and len(res.next_hops) == 1 and res.decided_by == "TGW-ECMP"
    assert all(t.lookup("192.168.1.1").next_hops == res.next_hops for _ in range(4))
    att, tunnel = res.next_hops[0]
    t.set_tunnel_state(att, tunnel, "DOWN")
    after = t.lookup("192.168.1.1")
    assert after.next_hops[0] != res.next_hops[0] and len(after.next_hops) == 1


def test_ecmp_drops_a_tunnel_that_goes_down() -> None:
    t = tgw_with_two_bgp_vpns()
    t.set_tunnel_state("vpn-2", "tunnel1", "DOWN")
    assert ("vpn-2", "tunnel1") not in t.lookup("192.168.1.1").next_hops
    assert len(t.lookup("192.168.1.1").next_hops) == 3


def test_no_ecmp_with_static_routing() -> None:
    t = TransitGateway("tgw-1", rng=demo())
    t.attach_vpn("vpn-s", routing="static")
    t.set_tunnel_state("vpn-s", "tunnel1", "UP")
    t.set_tunnel_state("vpn-s", "tunnel2", "UP")
    t.add_static_route("192.168.0.0/16", "vpn-s")
    res = t.lookup("192.168.0.1")
    assert not res.ecmp and len(res.next_hops) == 1
    assert any("ECMP is not supported with static routing" in s.text for s in res.steps)


def test_static_route_to_vpn_with_no_tunnel_up_drops() -> None:
    t = TransitGateway("tgw-1", rng=demo())
    t.attach_vpn("vpn-s", routing="static")
    t.add_static_route("192.168.0.0/16", "vpn-s")
    assert t.lookup("192.168.0.1").next_hops == ()


def test_shorter_as_path_wins_before_ecmp() -> None:
    t = tgw_with_two_bgp_vpns()
    t.advertise("vpn-2", "tunnel1", "192.168.0.0/16", as_path=(65001, 65001))
    t.advertise("vpn-2", "tunnel2", "192.168.0.0/16", as_path=(65001, 65001))
    res = t.lookup("192.168.1.1")
    assert res.ecmp and {a for a, _ in res.next_hops} == {"vpn-1"}


def test_lower_med_wins_before_ecmp() -> None:
    t = tgw_with_two_bgp_vpns()
    t.advertise("vpn-1", "tunnel1", "192.168.0.0/16", med=10)
    res = t.lookup("192.168.1.1")
    assert ("vpn-1", "tunnel1") not in res.next_hops and len(res.next_hops) == 3


def test_most_specific_first() -> None:
    t = tgw_with_two_bgp_vpns()
    t.advertise("vpn-1", "tunnel1", "192.168.7.0/24")
    res = t.lookup("192.168.7.7")
    assert res.next_hops == (("vpn-1", "tunnel1"),) and res.decided_by == "TGW-ORDER"


@pytest.mark.parametrize("winner, loser", [
    ("static", "vpc"),
    ("prefix-list", "vpc"),
    ("vpc", "direct-connect-gateway"),
    ("direct-connect-gateway", "connect"),
    ("connect", "private-ip-vpn"),
    ("private-ip-vpn", "vpn"),
    ("direct-connect-gateway", "vpn"),
])
def test_same_cidr_attachment_order(winner: str, loser: str) -> None:
    t = TransitGateway("tgw-1", rng=demo())
    cidr = "172.20.0.0/16"

    def make(kind: str) -> str:
        if kind == "vpc":
            return t.attach_vpc(VPC("vpc-x", [cidr])).id
        if kind in ("direct-connect-gateway", "connect"):
            return t.attach_prefix_source(f"att-{kind}", kind, [cidr]).id
        if kind in ("vpn", "private-ip-vpn"):
            att = t.attach_vpn(f"att-{kind}", cgw_asn=65001, private_ip=kind == "private-ip-vpn")
            t.set_tunnel_state(att.id, "tunnel1", "UP")
            t.advertise(att.id, "tunnel1", cidr)
            return att.id
        other = t.attach_prefix_source("att-peer", "peering", [])
        if kind == "static":
            t.add_static_route(cidr, other.id)
        else:
            t.add_static_route(PrefixList("pl-1", [cidr]), other.id)
        return other.id

    loser_id = make(loser)
    winner_id = make(winner)
    res = t.lookup("172.20.1.1")
    assert res.next_hops[0][0] == winner_id != loser_id
    assert res.decided_by == "TGW-ORDER"


def test_vgw_has_no_ecmp_for_the_same_setup() -> None:
    # The contrast the lesson draws: the same two BGP connections on a VGW use one tunnel.
    vgw = VgwRouter("vgw-1", vpc=VPC("vpc-a", ["10.0.0.0/16"]), rng=demo())
    for v in ("vpn-1", "vpn-2"):
        vgw.add_vpn_connection(v, routing="bgp", cgw_asn=65001)
        for tunnel in ("tunnel1", "tunnel2"):
            vgw.set_tunnel_state(v, tunnel, "UP")
            vgw.advertise(v, tunnel, "192.168.0.0/16")
    choice = vgw.select("192.168.1.1")
    assert choice.path is not None and choice.decided_by == "VGW-ONE-TUNNEL"
    assert tgw_with_two_bgp_vpns().lookup("192.168.1.1").ecmp


def test_tgw_bad_input() -> None:
    with pytest.raises(ConfigError, match="field id must start with 'tgw-'"):
        TransitGateway("x")
    with pytest.raises(ConfigError, match="field asn 100 must be 64512-65534"):
        TransitGateway("tgw-x", asn=100)
    with pytest.raises(ConfigError, match="field cgw_asn 64512 equals"):
        TransitGateway("tgw-x").attach_vpn("vpn-x", cgw_asn=64512)
    t = TransitGateway("tgw-1")
    t.attach_vpn("vpn-s", routing="static")
    with pytest.raises(ConfigError, match="only a BGP VPN attachment advertises"):
        t.advertise("vpn-s", "tunnel1", "1.0.0.0/8")
    with pytest.raises(ConfigError, match="field attachment 'nope'"):
        t.add_static_route("1.0.0.0/8", "nope")
    t.add_static_route("1.0.0.0/8", "vpn-s")
    with pytest.raises(ConfigError, match="already has a static route"):
        t.add_static_route("1.0.0.0/8", "vpn-s")
    with pytest.raises(ConfigError, match="field routing must be"):
        t.attach_vpn("vpn-x", routing="ospf")
    with pytest.raises(ConfigError, match="field type must be"):
        t.attach_prefix_source("a", AttachmentType.VPN, [])
    assert t.lookup("8.8.8.8").next_hops == ()
