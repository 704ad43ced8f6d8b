"""Topology diagrams of the AWS models, with "this packet goes this way" highlights.

Every picture reads a model and never decides a route itself: the packet paths come from the
routing models (``vpnlearn.aws.routing.lookup`` for a VPC route table, ``VgwRouter.select`` for the
virtual private gateway, ``CloudHub.path``, ``SoftwareVpn.send``), and the diagram draws the hops
they return in ``STATE_STYLE["highlight"]`` (bold blue, numbered) with a legend saying so.

Tunnels are drawn with their state three ways: colour (UP green, DOWN vermillion), line style (solid,
dashed) and the word UP/DOWN in the label, with the tunnel's inside CIDR and AWS outside IP.

- :func:`site_to_site_diagram`: VPC (subnets grouped by AZ), route tables, VGW, VPN connections with
  two tunnels each, customer gateways and on-premises prefixes; ``packet=(src, dst)`` highlights.
- :func:`trace_packet`: the hops of that highlight (asks the routing models), for tests and text.
- :func:`inventory_diagram`: what ``aws ec2 describe-vpn-connections`` (imported) shows.
- :func:`cloudhub_diagram`, :func:`client_vpn_diagram`, :func:`appliance_diagram`,
  :func:`transit_gateway_diagram`, :func:`fabric_diagram`: the other AWS VPN options.
- :func:`topology`: any of these models -> its diagram.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vpnlearn.viz.display import Diagram
from vpnlearn.viz.dot import Cluster, Graph, state_edge
from vpnlearn.viz.style import OKABE_ITO, TINT

AWS_FILL = "#FFF8EC"   # very light orange: the AWS cloud
VPC_FILL = TINT["sky"]
AZ_FILL = "#EEF7FD"
ONPREM_FILL = TINT["grey"]
HOST = {"shape": "ellipse", "fillcolor": "#FFFFFF", "color": OKABE_ITO["blue"], "penwidth": "2"}


def _diagram(g: Graph, hops: list[tuple[str, str, str]] | None, legend: list[tuple[str, str]], *,
             parallel: bool = False) -> Diagram:
    """The Diagram of ``g`` with ``hops`` highlighted; the highlight's meaning is also its alt text."""
    said = [meaning for sample, meaning in legend if sample == "highlight"]
    return Diagram(g.source(hops, legend, parallel=parallel), title=g.label, description=" ".join(said))


def _nid(kind: str, ident: object) -> str:
    return f"{kind}:{ident}"


# --------------------------------------------------------------------------------------------------
# Packet path through VPC route table -> VGW -> tunnel -> customer gateway


@dataclass(frozen=True)
class PacketTrace:
    """Where a packet goes, as the routing models decided it.

    ``hops`` are ``(tail, head, key)`` edges of the diagram (node ids as :func:`site_to_site_diagram`
    names them; ``key`` is the tunnel for a tunnel edge). ``lookup`` is the VPC route table's
    :class:`~vpnlearn.aws.routing.Lookup`, ``choice`` the VGW's :class:`~vpnlearn.aws.routing.PathChoice`
    (None when the packet never reached the VGW). ``delivered`` and ``reason`` say how it ended.
    """

    source: str
    destination: str
    hops: tuple[tuple[str, str, str], ...]
    delivered: bool
    reason: str
    lookup: Any = None
    choice: Any = None

    def explain(self) -> str:
        """The route table's and the gateway's explanations, then the outcome."""
        parts = [f"packet {self.source} -> {self.destination}"]
        if self.lookup is not None:
            parts.append(self.lookup.explain())
        if self.choice is not None:
            parts.append(self.choice.explain())
        parts.append(("delivered: " if self.delivered else "dropped: ") + self.reason)
        return "\n".join(parts)


def _vgw_connections(vgw: Any) -> list[tuple[str, str, list[str], list[str], int | None]]:
    """(connection id, routing, tunnel names, prefixes the site owns, customer ASN) for each connection.

    Read from the router's public read-only :attr:`VgwRouter.connections`."""
    out = []
    for cid, conn in vgw.connections.items():
        prefixes: list[str] = [str(p) for p in conn.prefixes]
        out.append((cid, conn.routing.value, list(conn.tunnels), prefixes, conn.cgw_asn))
    return out


def trace_packet(vpc: Any, vgw: Any, source: str, destination: str) -> PacketTrace:
    """The hops of a packet from ``source`` (an address in one of the VPC's subnets) to ``destination``.

    Asks :func:`vpnlearn.aws.routing.lookup` on the subnet's route table, then (when the route's target
    is the VGW) :meth:`VgwRouter.select` for the connection and tunnel. Nothing is re-decided here.
    """
    from vpnlearn.aws.network import TargetKind, parse_ip
    from vpnlearn.aws.routing import lookup
    from vpnlearn.errors import ConfigError

    src = parse_ip(source, field="source", what="packet")
    dst = parse_ip(destination, field="destination", what="packet")
    subnet = vpc.subnet_of(src)
    if subnet is None:
        raise ConfigError(f"packet: field source {src} is not in any subnet of VPC {vpc.id}")
    table = vpc.route_table_for(subnet.id)
    hops = [(_nid("host", src), _nid("subnet", subnet.id), ""),
            (_nid("subnet", subnet.id), _nid("rtb", table.id), "")]
    lk = lookup(table, dst)
    rtb = _nid("rtb", table.id)
    if lk.route is None:
        return PacketTrace(str(src), str(dst), tuple(hops), False, f"no route for {dst} in {table.id}", lk)
    target = lk.route.target
    if target.kind is TargetKind.LOCAL:
        dsub = vpc.subnet_of(dst)
        if dsub is None:
            return PacketTrace(str(src), str(dst), tuple(hops), False,
                               f"{dst} is in the VPC's CIDR but in no subnet", lk)
        hops += [(rtb, _nid("subnet", dsub.id), "local"), (_nid("subnet", dsub.id), _nid("host", dst), "")]
        return PacketTrace(str(src), str(dst), tuple(hops), True, "local route: delivered inside the VPC", lk)
    if target.kind is not TargetKind.VIRTUAL_PRIVATE_GATEWAY or target.id != vgw.id:
        hops.append((rtb, _nid("target", target.id), ""))
        return PacketTrace(str(src), str(dst), tuple(hops), False, f"left the VPC toward {target.id}", lk)
    hops.append((rtb, _nid("vgw", vgw.id), ""))
    choice = vgw.select(dst)
    if choice.path is None:
        return PacketTrace(str(src), str(dst), tuple(hops), False,
                           f"the virtual private gateway {vgw.id} has no path to {dst}", lk, choice)
    path = choice.path
    cgw = _nid("cgw", path.connection)
    hops.append((_nid("vgw", vgw.id), cgw, path.tunnel))
    hops.append((cgw, _nid("prefix", f"{path.connection}:{path.prefix}"), ""))
    hops.append((_nid("prefix", f"{path.connection}:{path.prefix}"), _nid("host", dst), ""))
    return PacketTrace(str(src), str(dst), tuple(hops), True,
                       f"out through {path.connection}/{path.tunnel} to {path.prefix}", lk, choice)


def _legend(packet: PacketTrace | None) -> list[tuple[str, str]]:
    rows = [("UP", ""), ("DOWN", "")]
    if packet is not None:
        end = "delivered" if packet.delivered else "DROPPED"
        rows.append(("highlight", f"packet {packet.source} -> {packet.destination}: {end} "
                     f"({packet.reason}); path computed by vpnlearn.aws.routing"))
    return rows


def _vpc_cluster(parent: Cluster, vpc: Any, *, tables: bool = True) -> Cluster:
    """A VPC cluster with its subnets grouped by AZ (nested clusters) and its route tables."""
    c = parent.cluster(f"vpc_{vpc.id}", f"VPC {vpc.name if vpc.name != vpc.id else vpc.id}  "
                       f"({', '.join(str(b) for b in vpc.cidrs)})", VPC_FILL)
    azs: dict[str, list[Any]] = {}
    for s in vpc.subnets.values():
        azs.setdefault(s.az, []).append(s)
    for az in sorted(azs):
        a = c.cluster(f"az_{vpc.id}_{az}", f"Availability Zone {az}", AZ_FILL, "dashed,rounded,filled")
        for s in azs[az]:
            a.node(_nid("subnet", s.id), f"subnet {s.id}\n{s.cidr}", fillcolor="#FFFFFF")
    if tables:
        for t in vpc.route_tables.values():
            lines = [f"route table {t.id}" + (" (main)" if t.main else "")]
            lines += [f"{r.destination} -> {r.target.id}" for r in t.routes]
            c.node(_nid("rtb", t.id), "\n".join(lines), shape="note", fillcolor=TINT["yellow"])
    return c


def _route_table_edges(g: Graph, vpc: Any) -> None:
    for s in vpc.subnets.values():
        t = vpc.route_table_for(s.id)
        g.edge(_nid("subnet", s.id), _nid("rtb", t.id), style="dotted", arrowhead="none", color="#7F7F7F")


def site_to_site_diagram(vpc: Any, vgw: Any, *, connections: Sequence[Any] = (),
                         customer_gateways: Sequence[Any] = (), packet: tuple[str, str] | None = None,
                         title: str | None = None) -> Diagram:
    """A VPC behind a virtual private gateway (:class:`vpnlearn.aws.routing.VgwRouter`) and its sites.

    ``connections`` (:class:`vpnlearn.aws.site_to_site.VpnConnection` with the same ids as the router's
    connections) add each tunnel's inside CIDR and AWS outside IP; ``customer_gateways`` add the device's
    public IP and name. ``packet=(source, destination)`` highlights the path :func:`trace_packet` gets
    from the routing models.
    """
    by_id = {c.id: c for c in connections}
    cgws = {c.id: c for c in customer_gateways}
    g = Graph(f"s2s_{vgw.id}", title or f"Site-to-Site VPN on {vgw.id}")
    aws = g.cluster("aws", f"AWS {vpc.region}", AWS_FILL)
    vpc_c = _vpc_cluster(aws, vpc)
    sites: dict[str, Cluster] = {}
    g_vgw = aws.node(_nid("vgw", vgw.id), f"virtual private gateway\n{vgw.id}\nASN {vgw.asn}",
                     shape="box", fillcolor=TINT["orange"])
    _route_table_edges(g, vpc)
    for t in vpc.route_tables.values():
        if any(r.target.id == vgw.id for r in t.routes):
            g.edge(_nid("rtb", t.id), g_vgw, style="solid", color="#7F7F7F",
                   label=", ".join(str(r.destination) for r in t.routes if r.target.id == vgw.id))
    onprem = g.cluster("onprem", "on-premises", "#F5F5F5")
    for cid, routing, tunnels, prefixes, asn in _vgw_connections(vgw):
        model = by_id.get(cid)
        site = sites[cid] = onprem.cluster(f"site_{cid}", f"site of {cid} ({routing})", ONPREM_FILL)
        lines = ["customer gateway"]
        cg = cgws.get(model.customer_gateway_id) if model is not None else None
        if cg is not None:
            lines.append(cg.id)
            if cg.device_name:
                lines.append(cg.device_name)
            lines.append(f"public IP {cg.ip_address}")
        if asn is not None:
            lines.append(f"ASN {asn}")
        node = site.node(_nid("cgw", cid), "\n".join(lines), fillcolor=TINT["green"])
        for p in prefixes:
            site.node(_nid("prefix", f"{cid}:{p}"), f"network {p}", shape="folder", fillcolor="#FFFFFF")
            g.edge(node, _nid("prefix", f"{cid}:{p}"), arrowhead="none")
        for i, tname in enumerate(tunnels):
            state = vgw.tunnel_state(cid, tname).value
            label = [f"{cid} {tname}"]
            if model is not None and i < len(model.tunnels):
                tun = model.tunnels[i]
                if tun.options.tunnel_inside_cidr is not None:
                    label.append(f"inside {tun.options.tunnel_inside_cidr}")
                if tun.outside_ip_address is not None:
                    label.append(f"AWS {tun.outside_ip_address}")
            label.append(state)
            g.edge(g_vgw, node, tname, label="\n".join(label), dir="both", **state_edge(state))
    trace = None
    if packet is not None:
        trace = trace_packet(vpc, vgw, *packet)
        vpc_c.node(f"host:{trace.source}", f"host {trace.source}", **HOST)
        last = trace.hops[-1][1]
        if last == f"host:{trace.destination}":
            where = vpc_c
            if trace.choice is not None and trace.choice.path is not None:
                where = sites.get(trace.choice.path.connection, onprem)
            where.node(last, f"host {trace.destination}", **HOST)
        else:
            if last.startswith("target:"):
                aws.node(last, last.removeprefix("target:"), fillcolor="#FFFFFF")
            why = "\n".join(textwrap.wrap(trace.reason, 28))  # narrow: it sits beside the VPC
            g.node(_nid("dropped", trace.destination), f"DROPPED\n{why}", shape="octagon",
                   fillcolor=TINT["vermillion"], color=OKABE_ITO["vermillion"])
            g.edge(last, _nid("dropped", trace.destination), "drop", style="dashed",
                   color=OKABE_ITO["vermillion"], label="dropped")
    return _diagram(g, list(trace.hops) if trace else None, _legend(trace))


# --------------------------------------------------------------------------------------------------
# Imported describe-vpn-connections (site_to_site.Inventory)


def inventory_diagram(inv: Any, title: str | None = None) -> Diagram:
    """What an imported ``describe-vpn-connections`` (+ customer/VPN gateways) holds.

    VPN gateways with their attached VPC, transit gateways, every connection's two tunnels (state,
    inside CIDR, AWS outside IP, status message), customer gateways (IP, ASN, device) and the
    connection's static routes as on-premises networks.
    """
    where = f" in {inv.region}" if inv.region else ""
    g = Graph("inventory", title or f"Site-to-Site VPN connections{where}")
    g.lines.append("ranksep=1.4;")  # room for the tunnel labels between AWS and on-premises
    aws = g.cluster("aws", "AWS" + (f" {inv.region}" if inv.region else ""), AWS_FILL)
    onprem = g.cluster("onprem", "on-premises", "#F5F5F5")
    gw_nodes: dict[str, str] = {}
    for vgw in inv.vpn_gateways:
        n = aws.node(_nid("vgw", vgw.id), f"virtual private gateway\n{vgw.id}\nASN {vgw.amazon_side_asn}"
                     + (f"\n{vgw.tags['Name']}" if vgw.tags.get("Name") else ""), fillcolor=TINT["orange"])
        gw_nodes[vgw.id] = n
        for att in vgw.attachments:
            v = aws.node(_nid("vpc", att.vpc_id), f"VPC {att.vpc_id}", fillcolor=VPC_FILL)
            g.edge(v, n, label=f"attachment {att.state}", arrowhead="none")
    for tgw in inv.transit_gateways:
        gw_nodes[tgw.id] = aws.node(_nid("tgw", tgw.id),
                                    f"transit gateway\n{tgw.id}\nASN {tgw.amazon_side_asn}",
                                    fillcolor=TINT["purple"])
    cg_nodes: dict[str, str] = {}
    for cg in inv.customer_gateways:
        lines = ["customer gateway", cg.id]
        if cg.tags.get("Name"):
            lines.append(cg.tags["Name"])
        if cg.device_name:
            lines.append(f"device {cg.device_name}")
        if cg.ip_address is not None:
            lines.append(f"public IP {cg.ip_address}")
        lines.append(f"ASN {cg.bgp_asn}")
        cg_nodes[cg.id] = onprem.node(_nid("cgw", cg.id), "\n".join(lines), fillcolor=TINT["green"])
    for vpn in inv.vpn_connections:
        gid = vpn.vpn_gateway_id or vpn.transit_gateway_id or f"(no gateway for {vpn.id})"
        if gid not in gw_nodes:
            gw_nodes[gid] = aws.node(_nid("gw", gid), f"gateway {gid}\n(not in the files)",
                                     fillcolor="#FFFFFF", style="rounded,dashed")
        cid = vpn.customer_gateway_id
        if cid not in cg_nodes:
            cg_nodes[cid] = onprem.node(_nid("cgw", cid), f"customer gateway\n{cid}\n(not in the files)",
                                        fillcolor="#FFFFFF", style="rounded,dashed")
        for i, tun in enumerate(vpn.tunnels, 1):
            label = [f"{vpn.id} tunnel {i}"]
            if tun.options.tunnel_inside_cidr is not None:
                label.append(f"inside {tun.options.tunnel_inside_cidr}")
            if tun.outside_ip_address is not None:
                label.append(f"AWS {tun.outside_ip_address}")
            state = (tun.status or "unknown").upper()
            label.append(state + (f": {tun.status_message}" if tun.status_message else ""))
            g.edge(gw_nodes[gid], cg_nodes[cid], f"{vpn.id}:{i}", label="\n".join(label), dir="both",
                   **state_edge(tun.status))
        for r in vpn.routes:
            p = onprem.node(_nid("prefix", f"{vpn.id}:{r.destination_cidr_block}"),
                            f"network {r.destination_cidr_block}\n(static route, {r.state})", shape="folder",
                            fillcolor="#FFFFFF")
            g.edge(cg_nodes[cid], p, arrowhead="none")
    return _diagram(g, None, [("UP", ""), ("DOWN", ""), ("┈┈┈", "state unknown (dotted grey)")])


# --------------------------------------------------------------------------------------------------
# CloudHub


def cloudhub_diagram(hub: Any, *, packet: tuple[str, str] | None = None, title: str | None = None) -> Diagram:
    """A CloudHub (:class:`vpnlearn.aws.cloudhub.CloudHub`): the hub VGW and its spokes with ASNs and
    prefixes. ``packet=(from_site, destination)`` highlights the path ``hub.path`` returns."""
    vgw = hub.vgw
    g = Graph("cloudhub", title or f"AWS VPN CloudHub on {vgw.id} (ASN {hub.asn})")
    aws = g.cluster("aws", f"AWS {hub.region}", AWS_FILL)
    hub_node = aws.node(_nid("vgw", vgw.id), f"CloudHub\nvirtual private gateway\n{vgw.id}\nASN {hub.asn}",
                        fillcolor=TINT["orange"])
    if vgw.vpc is not None:
        v = _vpc_cluster(aws, vgw.vpc, tables=False)
        anchor = v.node(_nid("vpc", vgw.vpc.id), f"VPC {vgw.vpc.id}", shape="plaintext", style="")
        g.edge(anchor, hub_node, arrowhead="none", label="attached")
    for site in hub.sites.values():
        c = g.cluster(f"site_{site.name}", f"site {site.name}", ONPREM_FILL)
        n = c.node(_nid("site", site.name), f"customer gateway\n{site.name}\nASN {site.asn}",
                   fillcolor=TINT["green"])
        c.node(_nid("prefixes", site.name), "\n".join(f"network {p}" for p in site.prefixes), shape="folder",
               fillcolor="#FFFFFF")
        g.edge(n, _nid("prefixes", site.name), arrowhead="none")
        conn = site.connection
        if conn in vgw.connection_ids():
            for tname in vgw.connections[conn].tunnels:
                state = vgw.tunnel_state(conn, tname).value
                g.edge(hub_node, n, f"{conn}:{tname}", label=f"{conn} {tname}\n{state}", dir="both",
                       **state_edge(state))
        else:  # Direct Connect
            g.edge(hub_node, n, f"{conn}:dx", label=f"Direct Connect {conn}", dir="both", style="bold",
                   color=OKABE_ITO["purple"])
    hops: list[tuple[str, str, str]] | None = None
    legend = [("UP", ""), ("DOWN", "")]
    if packet is not None:
        res = hub.path(*packet)
        src = _nid("site", res.from_site)
        conn_in = hub.sites[res.from_site].connection
        hops = []
        tin = _first_up(vgw, conn_in)
        hops.append((hub_node, src, f"{conn_in}:{tin}") if tin else (src, hub_node, "in"))
        if res.egress is not None and res.hub_choice is not None and res.hub_choice.path is not None:
            p = res.hub_choice.path
            if res.egress in hub.sites:
                dst = _nid("site", res.egress)
                key = f"{p.connection}:{p.tunnel}" if p.tunnel else f"{p.connection}:dx"
                hops.append((hub_node, dst, key))
                hops.append((dst, _nid("prefixes", res.egress), ""))
            else:
                hops.append((hub_node, _nid("vpc", res.egress), "out"))
        end = f"to {res.egress}" if res.egress else "DROPPED"
        legend.append(("highlight", f"packet from site {res.from_site} to {res.destination}: {end}; "
                                    "path computed by CloudHub.path"))
    return _diagram(g, hops, legend)


def _first_up(vgw: Any, conn: str) -> str | None:
    if conn not in vgw.connection_ids():
        return None
    for t in vgw.connections[conn].tunnels:
        if vgw.tunnel_state(conn, t).value == "UP":
            return t
    return None


# --------------------------------------------------------------------------------------------------
# Client VPN


def client_vpn_diagram(endpoint: Any, *, access: tuple[Sequence[str], str] | None = None,
                       title: str | None = None) -> Diagram:
    """A Client VPN endpoint (:class:`vpnlearn.aws.clientvpn.ClientVpnEndpoint`): the clients' CIDR,
    the endpoint, its associated target subnets (by AZ), its routes and authorization rules.

    ``access=(user_groups, destination_ip)`` highlights what ``endpoint.access`` decides: through the
    endpoint and out of the target subnet of the chosen route, or stopped (no route / not authorized)."""
    g = Graph("clientvpn", title or f"Client VPN endpoint {endpoint.endpoint_id}")
    users = g.cluster("clients", "remote users", "#F5F5F5")
    cl = users.node("clients", f"VPN clients\nclient CIDR {endpoint.client_cidr}\n"
                    f"{endpoint.transport.upper()} {endpoint.vpn_port}, "
                    f"{'split tunnel' if endpoint.split_tunnel else 'full tunnel'}", fillcolor=TINT["green"])
    aws = g.cluster("aws", f"AWS {endpoint.region}", AWS_FILL)
    ep = aws.node("endpoint", f"Client VPN endpoint\n{endpoint.endpoint_id}\nstatus {endpoint.status}",
                  fillcolor=TINT["orange"])
    g.edge(cl, ep, "tls", label="TLS (OpenVPN)", dir="both", **state_edge("UP"))
    vpc = aws.cluster(f"vpc_{endpoint.vpc_id}", f"VPC {endpoint.vpc_id} ({', '.join(endpoint.vpc_cidrs)})",
                      VPC_FILL)
    azs: dict[str, list[Any]] = {}
    for t in endpoint.target_networks:
        azs.setdefault(t.availability_zone, []).append(t)
    for az in sorted(azs):
        a = vpc.cluster(f"az_{az}", f"Availability Zone {az}", AZ_FILL, "dashed,rounded,filled")
        for t in azs[az]:
            n = a.node(_nid("subnet", t.subnet_id), f"target network\nsubnet {t.subnet_id}\n{t.cidr}\n"
                       "(ENI, source NAT)", fillcolor="#FFFFFF")
            g.edge(ep, n, label="association")
    routes = "\n".join(f"{r.destination_cidr} -> {r.target_subnet_id} ({r.origin})" for r in endpoint.routes)
    rules = "\n".join(f"{r.destination_cidr}: {r.who()}" for r in endpoint.authorization_rules)
    aws.node("routes", "route table\n" + (routes or "(no routes)"), shape="note", fillcolor=TINT["yellow"])
    aws.node("authz", "authorization rules\n" + (rules or "(none: nobody gets in)"), shape="note",
             fillcolor=TINT["purple"])
    g.edge("routes", ep, style="dotted", arrowhead="none")
    g.edge(ep, "authz", style="dotted", arrowhead="none")
    g.extra.append('  {rank=same; "routes"; "endpoint"; "authz";}')  # beside the endpoint: a narrow picture
    hops = None
    legend = [("UP", "TLS session")]
    if access is not None:
        groups, dst = access
        res = endpoint.access(groups, dst)
        hops = [(cl, ep, "tls")]
        if res.reaches and res.route.target_subnet_id:
            sub = _nid("subnet", res.route.target_subnet_id)
            aws.node(_nid("host", dst), f"host {dst}", **HOST)
            hops += [(ep, sub, ""), (sub, _nid("host", dst), "")]
        else:
            why = "\n".join(textwrap.wrap(res.reason, 48))
            g.node(_nid("dropped", dst), f"STOPPED\n{why}", shape="octagon", fillcolor=TINT["vermillion"],
                   color=OKABE_ITO["vermillion"])
            # minlen=2: under the target networks, not beside them (the picture stays narrow)
            g.edge(ep, _nid("dropped", dst), "drop", style="dashed", color=OKABE_ITO["vermillion"],
                   minlen="2")
        who = ", ".join(groups) or "no groups"
        legend.append(("highlight", f"user ({who}) to {dst}: {'allowed' if res.reaches else 'NOT allowed'}; "
                                    "decided by ClientVpnEndpoint.access"))
    return _diagram(g, hops, legend)


# --------------------------------------------------------------------------------------------------
# Software VPN appliance on EC2


def appliance_diagram(vpn: Any, *, packet: tuple[str, str, str] | None = None,
                      title: str | None = None) -> Diagram:
    """An EC2 VPN appliance (:class:`vpnlearn.aws.appliance.SoftwareVpn`): the VPC, the instances with
    their ENIs (HA pair), the route tables whose remote routes point at an ENI, and the remote site.
    ``packet=(subnet_id, source, destination)`` highlights the hops ``vpn.send`` returns."""
    vpc = vpn.vpc
    g = Graph("appliance", title or f"VPN appliance on EC2 in {vpc.id}")
    aws = g.cluster("aws", f"AWS {vpc.region}", AWS_FILL)
    c = _vpc_cluster(aws, vpc)
    _route_table_edges(g, vpc)
    remote = g.cluster("remote", "remote site", ONPREM_FILL)
    rnode = remote.node("remote", "remote networks\n" + "\n".join(str(p) for p in vpn.remote_prefixes),
                        shape="folder", fillcolor="#FFFFFF")
    for inst in vpn.instances.values():
        state = "running" if inst.running else "stopped"
        n = c.node(_nid("inst", inst.id), f"EC2 {inst.id}\nENI {inst.eni}\n{inst.private_ip}\n{state}, "
                   f"source/dest check {'on' if inst.source_dest_check else 'off'}",
                   fillcolor=TINT["orange"] if inst.healthy else TINT["vermillion"],
                   style="rounded,filled" if inst.running else "rounded,filled,dashed")
        g.edge(_nid("subnet", inst.subnet_id), n, style="dotted", arrowhead="none", label="in")
        st = "UP" if inst.vpn_up and inst.running else "DOWN"
        g.edge(n, rnode, f"vpn:{inst.id}", label=f"IPsec tunnel\n{st}", dir="both", **state_edge(st))
        for t in vpc.route_tables.values():
            for r in t.routes:
                if r.target.id in (inst.eni, inst.id):
                    g.edge(_nid("rtb", t.id), n, f"route:{r.destination}",
                           label=f"{r.destination} -> {inst.eni}")
    hops = None
    legend = [("UP", ""), ("DOWN", "")]
    if packet is not None:
        d = vpn.send(*packet)
        hops = _appliance_hops(vpn, d)
        g.lines.insert(0, f'"host:{d.source}" [label="host {d.source}", shape=ellipse, fillcolor="#FFFFFF", '
                          f'color="{OKABE_ITO["blue"]}", penwidth="2"];')
        hops.insert(0, (f"host:{d.source}", _nid("subnet", packet[0]), ""))
        legend.append(("highlight", f"packet {d.source} -> {d.destination}: "
                                    f"{'delivered' if d.delivered else 'DROPPED'} ({d.reason}); "
                                    "path computed by SoftwareVpn.send"))
    return _diagram(g, hops, legend)


def _appliance_hops(vpn: Any, d: Any) -> list[tuple[str, str, str]]:
    """Map ``Delivery.hops`` (strings like ``subnet X``, ``route table Y``, ``i-1 (eni-1)``) to edges."""
    nodes: list[str] = []
    for h in d.hops:
        if h.startswith("subnet "):
            nodes.append(_nid("subnet", h.removeprefix("subnet ")))
        elif h.startswith("route table "):
            nodes.append(_nid("rtb", h.removeprefix("route table ")))
        elif h == "remote site":
            nodes.append("remote")
        elif h.split(" ")[0] in vpn.instances:
            nodes.append(_nid("inst", h.split(" ")[0]))
        else:
            nodes.append(_nid("hop", h))
    out = []
    for a, b in itertools.pairwise(nodes):
        key = ""
        if a.startswith("rtb:") and b.startswith("inst:"):
            inst = vpn.instances[b.removeprefix("inst:")]
            table = a.removeprefix("rtb:")
            routes = [r for t in vpn.vpc.route_tables.values() if t.id == table for r in t.routes
                      if r.target.id in (inst.eni, inst.id)]
            key = f"route:{d.lookup.route.destination}" if d.lookup and d.lookup.route else (
                f"route:{routes[0].destination}" if routes else "")
        elif a.startswith("inst:") and b == "remote":
            key = f"vpn:{a.removeprefix('inst:')}"
        out.append((a, b, key))
    return out


# --------------------------------------------------------------------------------------------------
# Transit gateway


def transit_gateway_diagram(tgw: Any, *, destination: str | None = None, title: str | None = None) -> Diagram:
    """A transit gateway (:class:`vpnlearn.aws.tgw.TransitGateway`) and its attachments: VPCs with their
    CIDRs, VPN attachments with two tunnels (state) to a customer gateway, Direct Connect / Connect
    prefix sources. ``destination`` highlights the next hop(s) ``tgw.lookup`` returns (all of them when
    it spreads the traffic over several tunnels with ECMP)."""
    g = Graph(f"tgw_{tgw.id}", title or f"Transit gateway {tgw.id} (ASN {tgw.asn}, VPN ECMP "
              f"{'on' if tgw.vpn_ecmp_support else 'off'})")
    aws = g.cluster("aws", "AWS", AWS_FILL)
    onprem = g.cluster("onprem", "on-premises", "#F5F5F5")
    t = aws.node(_nid("tgw", tgw.id), f"transit gateway\n{tgw.id}\nASN {tgw.asn}", fillcolor=TINT["purple"])
    for att in tgw.attachments.values():
        kind = att.type.value
        if kind == "vpc":
            n = aws.node(_nid("att", att.id), "\n".join([f"VPC {att.resource}", *map(str, att.prefixes)]),
                         fillcolor=VPC_FILL)
            g.edge(t, n, "", label=f"{att.id}", dir="both")
        elif kind in ("vpn", "private-ip-vpn"):
            prefixes = []
            for adv in att.advertised.values():
                prefixes += [str(p) for p in adv if str(p) not in prefixes]
            label = [f"customer gateway of {att.id}"]
            if att.cgw_asn is not None:
                label.append(f"ASN {att.cgw_asn}")
            label += [f"network {p}" for p in prefixes]
            n = onprem.node(_nid("att", att.id), "\n".join(label), fillcolor=TINT["green"])
            for tname, state in att.tunnels.items():
                g.edge(t, n, tname, label=f"{att.id} {tname}\n{state.value}", dir="both",
                       **state_edge(state.value))
        else:
            n = onprem.node(_nid("att", att.id), "\n".join([f"{kind} {att.id}", *map(str, att.prefixes)]),
                            fillcolor=TINT["grey"])
            g.edge(t, n, "", label=kind, dir="both", style="bold", color=OKABE_ITO["purple"])
    if tgw.static_routes:
        aws.node("static", "static routes\n" + "\n".join(f"{r.destination} -> {r.attachment}"
                                                            for r in tgw.static_routes),
                 shape="note", fillcolor=TINT["yellow"])
        g.edge("static", t, style="dotted", arrowhead="none")
    hops = None
    ecmp = False
    legend = [("UP", ""), ("DOWN", "")]
    if destination is not None:
        res = tgw.lookup(destination)
        ecmp = res.ecmp
        hops = [(t, _nid("att", a), tun) for a, tun in res.next_hops]
        how = ("ECMP over " if res.ecmp else "") + ", ".join(f"{a} {tun}".strip() for a, tun in res.next_hops)
        legend.append(("highlight", f"packet to {res.destination}: " + (how or "DROPPED (no route)")
                       + "; computed by TransitGateway.lookup"))
    return _diagram(g, hops, legend, parallel=ecmp)


# --------------------------------------------------------------------------------------------------
# VPC to VPC: peering vs transit gateway vs VPN


def fabric_diagram(fabric: Any, *, packet: tuple[str, str] | None = None,
                   title: str | None = None) -> Diagram:
    """VPCs joined by peering (one-to-one, not transitive), a transit gateway (transitive) and VPNs
    (VGW to an EC2 appliance over the internet), from :class:`vpnlearn.aws.vpc_to_vpc.Fabric`.
    ``packet=(source, destination)`` highlights the hops ``fabric.can_reach`` walked."""
    g = Graph("fabric", title or "Connecting VPCs: peering, transit gateway, VPN")
    regions: dict[str, Cluster] = {}
    for vpc in fabric.vpcs.values():
        if vpc.region not in regions:
            regions[vpc.region] = g.cluster(f"region_{vpc.region}", f"AWS {vpc.region}", AWS_FILL)
        regions[vpc.region].node(_nid("vpc", vpc.id), "\n".join([f"VPC {vpc.id}", *map(str, vpc.cidrs)]),
                                 fillcolor=VPC_FILL)
    for pcx in fabric.peerings.values():
        extra = f"inter-Region, MTU {pcx.mtu}" if pcx.inter_region else "same Region"
        g.edge(_nid("vpc", pcx.a), _nid("vpc", pcx.b), pcx.id,
               label=f"peering {pcx.id}\n({extra}; not transitive)", dir="none", style="bold",
               color=OKABE_ITO["purple"])
    for tgw, region in fabric.tgws.values():
        where = regions.get(region) or g.cluster(f"region_{region}", f"AWS {region}", AWS_FILL)
        regions[region] = where
        where.node(_nid("tgw", tgw.id), f"transit gateway\n{tgw.id}\n(routes transitively)",
                   fillcolor=TINT["purple"])
        for att in tgw.attachments.values():
            if att.type.value == "vpc":
                g.edge(_nid("tgw", tgw.id), _nid("vpc", att.resource), att.id, label="TGW attachment",
                       dir="both", color=OKABE_ITO["purple"])
    onprem = None
    for vpc_id, vgw in fabric.vgws.items():
        region = fabric.vpcs[vpc_id].region
        regions[region].node(_nid("vgw", vgw.id), f"virtual private gateway\n{vgw.id}",
                             fillcolor=TINT["orange"])
        g.edge(_nid("vpc", vpc_id), _nid("vgw", vgw.id), "", label="attached", dir="none")
        for cid in vgw.connection_ids():
            link = fabric.links.get(cid)
            states = [vgw.tunnel_state(cid, tn).value for tn in vgw.connections[cid].tunnels]
            state = "UP" if "UP" in states else "DOWN"
            words = ", ".join(f"tunnel{i} {s}" for i, s in enumerate(states, 1))
            if link is not None:
                inst = fabric.appliances[link.appliance_vpc].instances[link.instance]
                ar = fabric.vpcs[link.appliance_vpc].region
                regions[ar].node(_nid("inst", inst.id), f"EC2 VPN appliance\n{inst.id}\n{inst.private_ip}",
                                 fillcolor=TINT["orange"] if inst.healthy else TINT["vermillion"])
                g.edge(_nid("inst", inst.id), _nid("vpc", link.appliance_vpc), "", label="in", dir="none",
                       style="dotted")
                g.edge(_nid("vgw", vgw.id), _nid("inst", inst.id), "vpn",
                       label=f"{cid}\nVPN over the internet\n{words}", dir="both", **state_edge(state))
            else:
                site = cid.removeprefix(f"vpn-{vpc_id}-")
                if onprem is None:
                    onprem = g.cluster("onprem", "on-premises", ONPREM_FILL)
                nets = fabric.sites.get(site, ())
                onprem.node(_nid("site", site), f"site {site}\n" + "\n".join(str(n) for n in nets),
                            fillcolor=TINT["green"])
                g.edge(_nid("vgw", vgw.id), _nid("site", site), "vpn", label=f"{cid}\n{words}", dir="both",
                       **state_edge(state))
    hops = None
    legend = [("UP", ""), ("DOWN", ""), ("━━━", "peering / TGW attachment (purple)")]
    if packet is not None:
        res = fabric.can_reach(*packet)
        hops = _fabric_hops(g, fabric, res.hops)
        verdict = "reachable" if res.reachable else f"NOT reachable ({res.rule_id}): {res.reason}"
        legend.append(("highlight", f"packet {res.source} -> {res.destination}: {verdict}; "
                                    "computed by Fabric.can_reach"))
    return _diagram(g, hops, legend)


def _fabric_hops(g: Graph, fabric: Any, hops: Sequence[str]) -> list[tuple[str, str, str]]:
    """``Reachability.hops`` (ids and words) as diagram edges."""
    nodes: list[tuple[str, str]] = []  # (node id, key of the edge INTO it)
    key = ""
    vgw_ids = {v.id for v in fabric.vgws.values()}
    insts = {i for sw in fabric.appliances.values() for i in sw.instances}
    for h in hops:
        if h in fabric.peerings:
            key = h
            continue
        if h == "internet":
            key = "vpn"
            continue
        if h in fabric.vpcs:
            node = _nid("vpc", h)
            if nodes and nodes[-1][0].startswith("tgw:"):
                tgw = fabric.tgws[nodes[-1][0].removeprefix("tgw:")][0]
                key = next((a.id for a in tgw.attachments.values() if a.resource == h), key)
        elif h in fabric.tgws:
            node = _nid("tgw", h)
            prev = nodes[-1][0].removeprefix("vpc:") if nodes else ""
            key = next((a.id for a in fabric.tgws[h][0].attachments.values() if a.resource == prev), key)
        elif h in vgw_ids:
            node = _nid("vgw", h)
        elif h.startswith("site "):
            node = _nid("site", h.removeprefix("site "))
            key = "vpn"
        elif h in insts:
            node = _nid("inst", h)
        else:
            node = _nid("target", h)
            g.node(node, h, fillcolor="#FFFFFF")
        nodes.append((node, key))
        key = ""
    out = []
    for (a, _), (b, k) in itertools.pairwise(nodes):
        kinds = (a.split(":")[0], b.split(":")[0])
        if kinds in (("vpc", "vgw"), ("inst", "vpc"), ("vgw", "vpc")):  # attachment edges carry no key
            k = ""
        out.append((a, b, k))
    return out


# --------------------------------------------------------------------------------------------------
# Dispatcher


def topology(model: Any, **kw: Any) -> Diagram:
    """The diagram of any AWS model: Inventory, CloudHub, ClientVpnEndpoint, SoftwareVpn, Fabric,
    TransitGateway (tgw), or a ``(vpc, vgw)`` pair. Keyword arguments go to the specific function."""
    from vpnlearn.errors import ConfigError

    name = type(model).__name__
    if isinstance(model, tuple) and len(model) == 2:
        return site_to_site_diagram(model[0], model[1], **kw)
    table = {"Inventory": inventory_diagram, "CloudHub": cloudhub_diagram,
             "ClientVpnEndpoint": client_vpn_diagram, "SoftwareVpn": appliance_diagram,
             "TransitGateway": transit_gateway_diagram, "Fabric": fabric_diagram}
    if name in table:
        return table[name](model, **kw)
    raise ConfigError(f"topology: no diagram for a {name}; give an Inventory, CloudHub, ClientVpnEndpoint, "
                      "SoftwareVpn or a (VPC, VgwRouter) pair")


__all__ = ["PacketTrace", "appliance_diagram", "client_vpn_diagram", "cloudhub_diagram", "fabric_diagram",
           "inventory_diagram", "site_to_site_diagram", "topology", "trace_packet", "transit_gateway_diagram"]
