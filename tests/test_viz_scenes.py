"""Models the viz tests draw (built with the real model APIs; deterministic with DemoRandom), and the
snapshot helper. No tests here: the test_viz_* modules import it.

Snapshots live in tests/snapshots/viz/. Regenerate them (after checking the pictures!) with
``VPNLEARN_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_viz_*.py -q -p no:cacheprovider``.
"""

from __future__ import annotations

import os
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

from vpnlearn.aws.appliance import SoftwareVpn
from vpnlearn.aws.cloudhub import CloudHub
from vpnlearn.aws.network import VPC
from vpnlearn.aws.routing import VgwRouter
from vpnlearn.aws.site_to_site import CustomerGateway, Tunnel, VpnConnection
from vpnlearn.aws.tunnel_options import TunnelOptions
from vpnlearn.rand import DemoRandom

SNAPSHOTS = Path(__file__).parent / "snapshots" / "viz"
SVG_NS = "{http://www.w3.org/2000/svg}"
warnings.filterwarnings("ignore", message="vpnlearn demo mode")


def check_snapshot(name: str, text: str) -> None:
    """Compare ``text`` with tests/snapshots/viz/``name`` (byte for byte); write it when
    VPNLEARN_UPDATE_SNAPSHOTS=1 or when the snapshot does not exist yet (then fail, so a new snapshot is
    always looked at)."""
    path = SNAPSHOTS / name
    if os.environ.get("VPNLEARN_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        raise AssertionError(f"new snapshot {path} written: look at it, then run again")
    assert text == path.read_text(), (f"{name} differs from its snapshot; if the change is intended, "
                                      "regenerate with VPNLEARN_UPDATE_SNAPSHOTS=1")


def svg_texts(svg: str) -> str:
    """All text of an SVG (parsed with xml.etree, so it must be valid XML), joined by newlines."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    # Labels are padded with no-break spaces (see vpnlearn.viz.dot): compare the words.
    return "\n".join((t.text or "").replace("\xa0", " ").strip() for t in root.iter(f"{SVG_NS}text"))


_EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)" \[(.*)\];$')


def dot_edges(source: str) -> list[tuple[str, str, str]]:
    """(tail, head, attributes) of every edge line in DOT written by vpnlearn.viz.dot."""
    out = []
    for line in source.splitlines():
        m = _EDGE.match(line)
        if m:
            # Label lines carry no-break-space padding (a presentation detail): compare the words.
            out.append((m.group(1), m.group(2), m.group(3).replace("\xa0", "")))
    return out


def highlighted(source: str) -> list[tuple[str, str, str]]:
    """The edges drawn with STATE_STYLE["highlight"] (blue, bold, penwidth 3), in the order of their
    "[n] packet path" step numbers (ECMP alternatives: "[ECMP n/N] packet path")."""
    edges = [e for e in dot_edges(source) if 'color="#0072B2"' in e[2] and 'penwidth="3"' in e[2]
             and 'style="bold"' in e[2]]
    steps = [int(re.search(r"\[(?:ECMP )?(\d+)(?:/\d+)?\] packet path", e[2]).group(1)) for e in edges]
    assert sorted(steps) == list(range(1, len(edges) + 1)), steps
    return [e for _, e in sorted(zip(steps, edges, strict=True))]


def s2s_scene():
    """A VPC in two AZs, a VGW with two BGP connections (one with a DOWN tunnel), route propagation on."""
    vpc = VPC("vpc-prod", ["10.0.0.0/16"], region="eu-west-1", name="prod")
    vpc.add_subnet("subnet-app-a", "10.0.1.0/24", az="eu-west-1a")
    vpc.add_subnet("subnet-app-b", "10.0.2.0/24", az="eu-west-1b")
    vpc.add_subnet("subnet-db-a", "10.0.3.0/24", az="eu-west-1a")
    vgw = VgwRouter("vgw-prod", asn=64512, vpc=vpc, rng=DemoRandom(7, _warn=False))
    vgw.enable_propagation(vpc.main_route_table)
    vgw.add_vpn_connection("vpn-dc1", routing="bgp", cgw_asn=65010)
    vgw.add_vpn_connection("vpn-dc2", routing="bgp", cgw_asn=65020)
    for t in ("tunnel1", "tunnel2"):
        vgw.advertise("vpn-dc1", t, "192.168.0.0/16", as_path=(65010,))
        vgw.advertise("vpn-dc2", t, "192.168.2.0/24", as_path=(65020,))
    vgw.set_tunnel_state("vpn-dc1", "tunnel1", "UP")
    vgw.set_tunnel_state("vpn-dc2", "tunnel1", "UP")
    vgw.set_tunnel_state("vpn-dc2", "tunnel2", "UP")
    cgws = [CustomerGateway("cgw-dc1", bgp_asn=65010, ip_address="198.51.100.27", device_name="dc1-edge"),
            CustomerGateway("cgw-dc2", bgp_asn=65020, ip_address="198.51.100.99", device_name="dc2-edge")]
    conns = [
        VpnConnection("vpn-dc1", "cgw-dc1", vpn_gateway="vgw-prod", tunnels=[
            Tunnel(TunnelOptions(tunnel_inside_cidr="169.254.10.0/30"), outside_ip_address="203.0.113.11"),
            Tunnel(TunnelOptions(tunnel_inside_cidr="169.254.10.4/30"), outside_ip_address="203.0.113.12")]),
        VpnConnection("vpn-dc2", "cgw-dc2", vpn_gateway="vgw-prod", tunnels=[
            Tunnel(TunnelOptions(tunnel_inside_cidr="169.254.20.0/30"), outside_ip_address="203.0.113.21"),
            Tunnel(TunnelOptions(tunnel_inside_cidr="169.254.20.4/30"), outside_ip_address="203.0.113.22")]),
    ]
    return vpc, vgw, conns, cgws


def cloudhub_scene():
    vpc = VPC("vpc-hub", ["10.0.0.0/16"], region="us-east-1")
    vpc.add_subnet("subnet-hub-a", "10.0.1.0/24", az="us-east-1a")
    hub = CloudHub(vgw_id="vgw-hub", asn=64512, vpc=vpc, rng=DemoRandom(3, _warn=False))
    hub.add_site("new-york", asn=65001, prefixes=["10.10.0.0/16"])
    hub.add_site("chicago", asn=65002, prefixes=["10.20.0.0/16"])
    hub.add_site("seattle", asn=65003, prefixes=["10.30.0.0/16", "10.31.0.0/16"])
    return hub


def appliance_scene():
    vpc = VPC("vpc-app", ["10.1.0.0/16"], region="us-east-1")
    vpc.add_subnet("subnet-a", "10.1.1.0/24", az="us-east-1a")
    vpc.add_subnet("subnet-b", "10.1.2.0/24", az="us-east-1b")
    vpn = SoftwareVpn(vpc, ["192.168.0.0/16"])
    i1 = vpn.add_instance("i-vpn1", "subnet-a", "10.1.1.10", source_dest_check=False)
    vpn.add_instance("i-vpn2", "subnet-b", "10.1.2.10", source_dest_check=False)
    vpn.route_via(vpc.main_route_table, i1)
    return vpn


def client_vpn_scene():
    from vpnlearn.aws.clientvpn import ClientVpnEndpoint

    vpc = VPC("vpc-corp", ["10.2.0.0/16"], region="us-east-1")
    a = vpc.add_subnet("subnet-corp-a", "10.2.1.0/24", az="us-east-1a")
    b = vpc.add_subnet("subnet-corp-b", "10.2.2.0/24", az="us-east-1b")
    ep = ClientVpnEndpoint.for_vpc(vpc, "172.16.0.0/22", split_tunnel=True)
    ep.associate(a)
    ep.associate(b)
    ep.authorize_ingress("10.2.0.0/16", group="engineering")
    ep.authorize_ingress("10.2.1.0/24", all_users=True)
    return ep


def tgw_scene():
    from vpnlearn.aws.tgw import TransitGateway

    vpc_a = VPC("vpc-a", ["10.1.0.0/16"], region="us-east-1")
    vpc_b = VPC("vpc-b", ["10.2.0.0/16"], region="us-east-1")
    tgw = TransitGateway("tgw-main", asn=64600, rng=DemoRandom(5, _warn=False))
    tgw.attach_vpc(vpc_a)
    tgw.attach_vpc(vpc_b)
    tgw.attach_vpn("tgw-attach-vpn-dc1", routing="bgp", cgw_asn=65010)
    for t in ("tunnel1", "tunnel2"):
        tgw.set_tunnel_state("tgw-attach-vpn-dc1", t, "UP")
        tgw.advertise("tgw-attach-vpn-dc1", t, "192.168.0.0/16", as_path=(65010,))
    tgw.attach_prefix_source("tgw-attach-dxgw", "direct-connect-gateway", ["172.20.0.0/16"])
    return tgw


def fabric_scene():
    from vpnlearn.aws.tgw import TransitGateway
    from vpnlearn.aws.vpc_to_vpc import Fabric

    f = Fabric(rng=DemoRandom(9, _warn=False))
    a = f.add_vpc(VPC("vpc-a", ["10.1.0.0/16"], region="us-east-1"))
    f.add_vpc(VPC("vpc-b", ["10.2.0.0/16"], region="us-east-1"))
    f.add_vpc(VPC("vpc-c", ["10.3.0.0/16"], region="us-east-1"))
    d = f.add_vpc(VPC("vpc-d", ["10.4.0.0/16"], region="eu-west-1"))
    d.add_subnet("subnet-d", "10.4.1.0/24", az="eu-west-1a")
    a.add_subnet("subnet-a", "10.1.1.0/24", az="us-east-1a")
    f.peer("vpc-a", "vpc-b")
    f.add_tgw(TransitGateway("tgw-hub", asn=64600, rng=DemoRandom(4, _warn=False)))
    f.attach_to_tgw("tgw-hub", "vpc-b", routes=["10.3.0.0/16"])
    f.attach_to_tgw("tgw-hub", "vpc-c", routes=["10.2.0.0/16"])
    f.vpn_between("vpc-a", "vpc-d", subnet="subnet-d", instance_ip="10.4.1.10")
    f.add_onprem_vpn("vpc-a", "dc1", ["192.168.0.0/16"])
    return f
