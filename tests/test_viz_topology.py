"""Topology diagrams: byte-stable DOT snapshots, real SVG from dot with the expected labels, tunnel state
drawn three ways, and the packet highlight following exactly what the routing models decide."""

from __future__ import annotations

import itertools

import pytest
from test_viz_scenes import (
    appliance_scene,
    check_snapshot,
    client_vpn_scene,
    cloudhub_scene,
    dot_edges,
    highlighted,
    s2s_scene,
    svg_texts,
)

from vpnlearn.aws.importer import load_files
from vpnlearn.aws.network import TargetKind
from vpnlearn.aws.routing import lookup
from vpnlearn.errors import ConfigError
from vpnlearn.viz.style import STATE_STYLE
from vpnlearn.viz.topology import (
    appliance_diagram,
    client_vpn_diagram,
    cloudhub_diagram,
    inventory_diagram,
    site_to_site_diagram,
    topology,
    trace_packet,
)

DATA = "tests/data/"
FILES = [DATA + "describe-vpn-connections.json", DATA + "describe-customer-gateways.json",
         DATA + "describe-vpn-gateways.json"]


def s2s(packet=("10.0.1.5", "192.168.2.9")):
    vpc, vgw, conns, cgws = s2s_scene()
    return vpc, vgw, site_to_site_diagram(vpc, vgw, connections=conns, customer_gateways=cgws, packet=packet)


# -- snapshots and determinism -----------------------------------------------------------------------

@pytest.mark.parametrize("name, make", [
    ("s2s-packet.dot", lambda: s2s()[2]),
    ("s2s-plain.dot", lambda: s2s(None)[2]),
    ("s2s-dropped.dot", lambda: s2s(("10.0.1.5", "8.8.8.8"))[2]),
    ("inventory.dot", lambda: inventory_diagram(load_files(FILES))),
    ("cloudhub-packet.dot", lambda: cloudhub_diagram(cloudhub_scene(), packet=("new-york", "10.30.4.4"))),
    ("client-vpn.dot", lambda: client_vpn_diagram(client_vpn_scene())),
    ("appliance-packet.dot", lambda: appliance_diagram(appliance_scene(),
                                                       packet=("subnet-b", "10.1.2.5", "192.168.7.7"))),
])
def test_dot_source_is_deterministic_and_matches_snapshot(name, make) -> None:
    a, b = make(), make()
    assert a.source == b.source  # two fresh models -> byte-identical source
    check_snapshot(name, a.source)


# -- real SVG, expected labels ----------------------------------------------------------------------

# A notebook's output area is about 830 px (620 pt) wide in a 1280 px window with the file browser
# open. Diagrams shrink to fit (see Diagram.html), but one much wider than that becomes unreadable:
# the Site-to-Site picture was 2,700 pt before the legend moved into the title and the layout went
# top-down. 900 pt is about 0.7x at that width, the least that stays readable.
MAX_NATURAL_WIDTH_PT = 900


@pytest.mark.parametrize("name, make", [
    ("s2s packet", lambda: s2s()[2]),
    ("s2s dropped", lambda: s2s(("10.0.1.5", "8.8.8.8"))[2]),
    ("inventory", lambda: inventory_diagram(load_files(FILES))),
    ("cloudhub", lambda: cloudhub_diagram(cloudhub_scene(), packet=("new-york", "10.30.4.4"))),
    ("client vpn stopped", lambda: client_vpn_diagram(client_vpn_scene(), access=(["sales"], "10.2.2.7"))),
    ("appliance", lambda: appliance_diagram(appliance_scene(),
                                            packet=("subnet-b", "10.1.2.5", "192.168.7.7"))),
])
def test_diagram_fits_a_notebook(name, make) -> None:
    import re

    svg = make().svg()
    width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    assert width <= MAX_NATURAL_WIDTH_PT, f"{name}: {width} pt wide"


def test_site_to_site_svg_has_every_part() -> None:
    _vpc, _vgw, d = s2s()
    text = svg_texts(d.svg())
    for label in ("VPC prod", "10.0.0.0/16", "Availability Zone eu-west-1a", "Availability Zone eu-west-1b",
                  "subnet subnet-app-a", "subnet subnet-db-a", "virtual private gateway", "vgw-prod",
                  "ASN 64512", "ASN 65010", "ASN 65020", "inside 169.254.10.0/30", "inside 169.254.20.4/30",
                  "AWS 203.0.113.11", "public IP 198.51.100.27", "network 192.168.0.0/16",
                  "network 192.168.2.0/24", "host 10.0.1.5", "host 192.168.2.9", "Legend"):
        assert label in text, label
    # subnets are grouped by AZ: the two eu-west-1a subnets sit in the same nested cluster
    src = d.source
    az_a = src.index('subgraph "cluster_az_vpc-prod_eu-west-1a"')
    az_b = src.index('subgraph "cluster_az_vpc-prod_eu-west-1b"')
    assert az_a < src.index('"subnet:subnet-app-a"') < az_b
    assert az_a < src.index('"subnet:subnet-db-a"') < az_b
    assert src.index('"subnet:subnet-app-b"') > az_b


def test_tunnel_state_is_colour_line_style_and_word() -> None:
    _vpc, vgw, d = s2s(None)
    tunnels = [e for e in dot_edges(d.source) if e[0] == "vgw:vgw-prod" and e[1].startswith("cgw:")]
    assert len(tunnels) == 4
    for _tail, head, attrs in tunnels:
        conn = head.removeprefix("cgw:")
        name = "tunnel1" if "tunnel1" in attrs else "tunnel2"
        state = vgw.tunnel_state(conn, name).value
        style = STATE_STYLE[state]
        assert f'color="{style["color"]}"' in attrs and f'style="{style["style"]}"' in attrs
        assert f"\\n{state}\"" in attrs  # the word, last line of the label
    downs = [e for e in tunnels if 'style="dashed"' in e[2]]
    assert len(downs) == 1 and "vpn-dc1 tunnel2" in downs[0][2]


def test_inventory_diagram_from_imported_json() -> None:
    inv = load_files(FILES)
    d = inventory_diagram(inv)
    text = svg_texts(d.svg())
    vpn = inv.vpn_connections[0]
    for t in vpn.tunnels:
        assert f"AWS {t.outside_ip_address}" in text
        assert f"inside {t.options.tunnel_inside_cidr}" in text
    assert "UP: 3 BGP ROUTES" in text and "DOWN: IPSEC IS DOWN" in text
    assert "VPC vpc-0c9d8e7f6a5b4c3d2" in text and "ASN 65010" in text and "dc1-edge" in text


def test_inventory_without_customer_gateway_file_says_so() -> None:
    d = inventory_diagram(load_files([DATA + "describe-vpn-connections.json"]))
    assert "(not in the files)" in svg_texts(d.svg())


def test_cloudhub_client_vpn_and_appliance_render() -> None:
    hub = cloudhub_scene()
    text = svg_texts(cloudhub_diagram(hub).svg())
    for site in hub.sites.values():
        assert f"ASN {site.asn}" in text
        for p in site.prefixes:
            assert f"network {p}" in text
    ep = client_vpn_scene()
    text = svg_texts(client_vpn_diagram(ep).svg())
    assert "client CIDR 172.16.0.0/22" in text and "subnet subnet-corp-a" in text
    assert "Availability Zone us-east-1b" in text and "10.2.0.0/16: group 'engineering'" in text
    text = svg_texts(appliance_diagram(appliance_scene()).svg())
    assert "ENI eni-vpn1" in text and "192.168.0.0/16 -> eni-vpn1" in text


# -- the highlighted path is the routing models' answer ---------------------------------------------

def _expected_hops(vpc, vgw, src, dst):
    """Ask the routing models directly (not through viz) where the packet goes."""
    subnet = vpc.subnet_of(src)
    table = vpc.route_table_for(subnet.id)
    lk = lookup(table, dst)
    hops = [(f"host:{src}", f"subnet:{subnet.id}", ""), (f"subnet:{subnet.id}", f"rtb:{table.id}", "")]
    if lk.route is None:
        return hops, None
    if lk.route.target.kind is TargetKind.LOCAL:
        d = vpc.subnet_of(dst)
        return [*hops, (f"rtb:{table.id}", f"subnet:{d.id}", "local"),
                (f"subnet:{d.id}", f"host:{dst}", "")], None
    assert lk.route.target.id == vgw.id
    choice = vgw.select(dst)
    p = choice.path
    pre = f"prefix:{p.connection}:{p.prefix}"
    return [*hops, (f"rtb:{table.id}", f"vgw:{vgw.id}", ""),
            (f"vgw:{vgw.id}", f"cgw:{p.connection}", p.tunnel),
            (f"cgw:{p.connection}", pre, ""), (pre, f"host:{dst}", "")], choice


@pytest.mark.parametrize("dst", ["192.168.2.9", "192.168.7.1", "10.0.2.20"])
def test_highlight_follows_the_routing_model(dst) -> None:
    vpc, vgw, conns, _cgws = s2s_scene()
    want, choice = _expected_hops(vpc, vgw, "10.0.1.5", dst)
    trace = trace_packet(vpc, vgw, "10.0.1.5", dst)
    assert list(trace.hops) == want
    d = site_to_site_diagram(vpc, vgw, connections=conns, packet=("10.0.1.5", dst))
    drawn = highlighted(d.source)
    assert [(t, h) for t, h, _ in drawn] == [(t, h) for t, h, _ in want]
    if choice is not None:  # the highlighted tunnel edge is the one the gateway chose
        [tun] = [a for t, h, a in drawn if t.startswith("vgw:")]
        assert f"{choice.path.connection} {choice.path.tunnel}" in tun
    assert f"packet 10.0.1.5 -> {dst}: delivered" in svg_texts(d.svg())


def test_highlight_moves_when_the_chosen_tunnel_goes_down() -> None:
    vpc, vgw, conns, _ = s2s_scene()
    before = vgw.select("192.168.2.9").path
    vgw.set_tunnel_state(before.connection, before.tunnel, "DOWN")
    after = vgw.select("192.168.2.9").path
    assert (after.connection, after.tunnel) != (before.connection, before.tunnel)
    d = site_to_site_diagram(vpc, vgw, connections=conns, packet=("10.0.1.5", "192.168.2.9"))
    [tun] = [a for t, h, a in highlighted(d.source) if t.startswith("vgw:")]
    assert f"{after.connection} {after.tunnel}" in tun and "UP" in tun
    # the tunnel that went down is dashed and says DOWN
    down = [a for t, h, a in dot_edges(d.source) if f"{before.connection} {before.tunnel}" in a]
    assert down and 'style="dashed"' in down[0] and "DOWN" in down[0]


def test_dropped_packet_is_drawn_as_dropped() -> None:
    vpc, vgw, d = s2s(("10.0.1.5", "8.8.8.8"))
    assert "DROPPED" in svg_texts(d.svg())
    assert [(t, h) for t, h, _ in highlighted(d.source)] == [("host:10.0.1.5", "subnet:subnet-app-a"),
                                                             ("subnet:subnet-app-a", "rtb:rtb-vpc-prod-main")]
    assert "no route for 8.8.8.8" in trace_packet(vpc, vgw, "10.0.1.5", "8.8.8.8").reason


def test_cloudhub_highlight_is_hub_path() -> None:
    hub = cloudhub_scene()
    res = hub.path("new-york", "10.30.4.4")
    d = cloudhub_diagram(hub, packet=("new-york", "10.30.4.4"))
    drawn = highlighted(d.source)
    assert drawn[-1][:2] == (f"site:{res.egress}", f"prefixes:{res.egress}")
    assert f"{res.hub_choice.path.connection} {res.hub_choice.path.tunnel}" in drawn[-2][2]


def test_appliance_highlight_is_delivery_hops() -> None:
    vpn = appliance_scene()
    dlv = vpn.send("subnet-b", "10.1.2.5", "192.168.7.7")
    d = appliance_diagram(vpn, packet=("subnet-b", "10.1.2.5", "192.168.7.7"))
    heads = [h for _, h, _ in highlighted(d.source)]
    assert heads == ["subnet:subnet-b", "rtb:rtb-vpc-app-main", "inst:i-vpn1", "remote"]
    assert dlv.delivered and "packet 10.1.2.5 -> 192.168.7.7: delivered" in svg_texts(d.svg())


def test_bad_input_names_the_field() -> None:
    vpc, vgw, _, _ = s2s_scene()
    with pytest.raises(ConfigError, match="field source 172.31.0.1 is not in any subnet"):
        trace_packet(vpc, vgw, "172.31.0.1", "192.168.2.9")
    with pytest.raises(ConfigError, match="destination"):
        trace_packet(vpc, vgw, "10.0.1.5", "not-an-ip")
    with pytest.raises(ConfigError, match="no diagram for a str"):
        topology("vpc")
    assert topology((vpc, vgw)).source == site_to_site_diagram(vpc, vgw).source


# -- transit gateway and VPC-to-VPC ------------------------------------------------------------------

def test_transit_gateway_highlights_every_ecmp_next_hop() -> None:
    from test_viz_scenes import tgw_scene

    from vpnlearn.viz.topology import transit_gateway_diagram

    tgw = tgw_scene()
    res = tgw.lookup("192.168.1.1")
    assert res.ecmp and len(res.next_hops) == 2
    d = transit_gateway_diagram(tgw, destination="192.168.1.1")
    assert d.source == transit_gateway_diagram(tgw_scene(), destination="192.168.1.1").source
    check_snapshot("tgw-ecmp.dot", d.source)
    drawn = highlighted(d.source)
    assert [(h, a.split("label=")[1].split("\\n")[0]) for _, h, a in drawn] == \
        [(f"att:{att}", f'"{att} {tun}') for att, tun in res.next_hops]
    text = svg_texts(d.svg())
    assert "VPC vpc-a" in text and "172.20.0.0/16" in text and "ECMP over" in text
    assert "[ECMP 1/2] packet path" in text and "[ECMP 2/2] packet path" in text  # alternatives, not steps
    # VPC destination: one next hop, the VPC attachment
    d = transit_gateway_diagram(tgw, destination="10.2.3.4")
    want = [f"att:{a}" for a, _ in tgw.lookup("10.2.3.4").next_hops]
    assert [h for _, h, _ in highlighted(d.source)] == want


@pytest.mark.parametrize("src, dst", [("vpc-a", "vpc-b"), ("vpc-b", "vpc-c"), ("vpc-d", "vpc-a"),
                                      ("vpc-a", "192.168.1.1"), ("vpc-a", "vpc-c")])
def test_fabric_highlight_is_can_reach(src, dst) -> None:
    from test_viz_scenes import fabric_scene

    from vpnlearn.viz.topology import fabric_diagram

    f = fabric_scene()
    res = f.can_reach(src, dst)
    d = fabric_diagram(f, packet=(src, dst))
    drawn = highlighted(d.source)
    # every VPC / gateway / appliance hop the model walked is on the highlighted path, in order
    # (two-way edges such as peering and VPN tunnels may be drawn the other way round)
    ids = [h.removeprefix("site ") for h in res.hops if h not in f.peerings and h != "internet"]
    steps = [{t.split(":", 1)[1], h.split(":", 1)[1]} for t, h, _ in drawn]
    assert steps == [{a, b} for a, b in itertools.pairwise(ids)]
    verdict = "reachable" if res.reachable else "NOT reachable"
    assert f"{verdict}" in svg_texts(d.svg())
    if src == "vpc-a" and dst == "vpc-b":  # over the peering edge, not a new one
        assert "peering pcx-vpc-a-vpc-b" in drawn[0][2]


def test_fabric_snapshot_and_labels() -> None:
    from test_viz_scenes import fabric_scene

    from vpnlearn.viz.topology import fabric_diagram

    d = fabric_diagram(fabric_scene(), packet=("vpc-d", "vpc-a"))
    check_snapshot("fabric-vpn.dot", d.source)
    text = svg_texts(d.svg())
    for label in ("not transitive", "routes transitively", "VPN over the internet", "EC2 VPN appliance",
                  "AWS eu-west-1", "site dc1", "TGW attachment"):
        assert label in text, label


@pytest.mark.parametrize("groups, dst", [(["engineering"], "10.2.2.7"), (["sales"], "10.2.2.7"),
                                         (["sales"], "10.2.1.7")])
def test_client_vpn_highlight_is_the_access_decision(groups, dst) -> None:
    ep = client_vpn_scene()
    res = ep.access(groups, dst)
    d = client_vpn_diagram(ep, access=(groups, dst))
    heads = [h for _, h, _ in highlighted(d.source)]
    text = svg_texts(d.svg())
    if res.reaches:
        assert heads == ["endpoint", f"subnet:{res.route.target_subnet_id}", f"host:{dst}"]
        assert "allowed; decided by ClientVpnEndpoint.access" in " ".join(text.split("\n"))  # legend wraps
    else:
        assert heads == ["endpoint"] and "STOPPED" in text and "NOT allowed" in text


def test_inventory_with_transit_gateway_and_unknown_state() -> None:
    from vpnlearn.aws.site_to_site import (
        CustomerGateway,
        Inventory,
        StaticRoute,
        TransitGateway,
        Tunnel,
        VirtualPrivateGateway,
        VpnConnection,
    )
    from vpnlearn.aws.tunnel_options import TunnelOptions

    v1 = VpnConnection("vpn-1", "cgw-a", transit_gateway="tgw-1", tunnels=[
        Tunnel(TunnelOptions(tunnel_inside_cidr="169.254.1.0/30"), outside_ip_address="203.0.113.1",
               status="UP"),
        Tunnel(TunnelOptions(tunnel_inside_cidr="169.254.1.4/30"), outside_ip_address="203.0.113.2",
               status="UP")])
    v2 = VpnConnection("vpn-2", "cgw-b", vpn_gateway="vgw-1", static_routes_only=True,
                       routes=[StaticRoute("192.168.10.0/24")],
                       tunnels=[Tunnel(outside_ip_address="203.0.113.3", status="DOWN"),
                                Tunnel(outside_ip_address="203.0.113.4")])
    inv = Inventory([v1, v2], [CustomerGateway("cgw-a", bgp_asn=65001, ip_address="198.51.100.1"),
                               CustomerGateway("cgw-b", bgp_asn=65002, ip_address="198.51.100.2")],
                    [VirtualPrivateGateway("vgw-1")], [TransitGateway("tgw-1", amazon_side_asn=64600)])
    d = inventory_diagram(inv)
    edges = {a.split("label=")[1].split("\\n")[0].strip('"'): a
             for _, _, a in dot_edges(d.source) if "tunnel" in a}
    assert 'style="solid"' in edges["vpn-1 tunnel 1"] and "tgw:tgw-1" in d.source
    assert 'style="dashed"' in edges["vpn-2 tunnel 1"] and "\\nDOWN" in edges["vpn-2 tunnel 1"]
    assert 'style="dotted"' in edges["vpn-2 tunnel 2"] and "\\nUNKNOWN" in edges["vpn-2 tunnel 2"]
    text = svg_texts(d.svg())
    assert "transit gateway" in text and "network 192.168.10.0/24" in text and "ASN 64600" in text
