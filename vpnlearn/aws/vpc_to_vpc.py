"""Connecting VPCs: VPC peering, a transit gateway, and a VPN between VPCs — and "can A reach C?".

aws-facts §6. The options compared here:

* **VPC peering** (https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html): one-to-one,
  same or another Region (inter-Region MTU 1500), never over the internet, no overlapping CIDRs, **not
  transitive** (A-B and B-C peered does not give A-C) and **no edge-to-edge routing** (A cannot use B's
  VPN connection, Direct Connect, internet gateway, NAT device or gateway endpoint).
* **Transit gateway** (https://docs.aws.amazon.com/vpc/latest/tgw/how-transit-gateways-work.html): a
  regional router; VPCs attached to one TGW reach each other through its route table, so routing *is*
  transitive; another Region needs a TGW peering attachment (not modelled: a VPC from another Region is
  refused).
* **VPN between VPCs**: a software VPN appliance in VPC B (its Elastic IP registered as a customer
  gateway) and a VGW with a VPN connection on VPC A. The tunnel crosses the internet, works across
  Regions, and the appliance is a single point of failure unless you build HA (see
  :mod:`vpnlearn.aws.appliance`). aws-facts marks this recipe UNCONFIRMED as an AWS "recommended"
  design; it follows from §1 and §5.

:meth:`Fabric.can_reach` walks a packet hop by hop through the route tables and gateways, and returns
a :class:`Reachability` whose ``steps`` say which route each hop used and which rule stopped it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from vpnlearn.aws.appliance import SoftwareVpn
from vpnlearn.aws.network import (
    ROUTING_RULES,
    VPC,
    IPAddress,
    IPNetwork,
    Target,
    TargetKind,
    parse_cidr,
    parse_ip,
)
from vpnlearn.aws.routing import VgwRouter
from vpnlearn.aws.tgw import AttachmentType, TransitGateway
from vpnlearn.errors import ConfigError
from vpnlearn.rand import RandomSource

__all__ = ["OPTIONS", "Fabric", "Peering", "Reachability", "VpnLink", "compare_options"]

PEERING_URL = ROUTING_RULES["PEERING-NOT-TRANSITIVE"].url
INTER_REGION_PEERING_MTU = 1500
"""Inter-Region peering MTU, no jumbo frames (https://docs.aws.amazon.com/vpc/latest/peering/
vpc-peering-basics.html)."""


@dataclass(frozen=True)
class Peering:
    """A VPC peering connection ``pcx-...`` between two VPCs (maybe in different Regions)."""

    id: str
    a: str
    b: str
    inter_region: bool

    @property
    def mtu(self) -> int | None:
        """1500 across Regions; within a Region the fact sheet gives no number (None)."""
        return INTER_REGION_PEERING_MTU if self.inter_region else None

    def other(self, vpc_id: str) -> str:
        """The VPC at the other end of the peering from ``vpc_id``."""
        return self.b if vpc_id == self.a else self.a


@dataclass(frozen=True)
class VpnLink:
    """A VPN between VPCs: VGW ``vgw`` on ``vgw_vpc`` and a software appliance ``instance`` in
    ``appliance_vpc`` (the customer gateway), over the internet."""

    connection: str
    vgw_vpc: str
    appliance_vpc: str
    instance: str


@dataclass(frozen=True)
class Reachability:
    """The answer to "can ``source`` reach ``destination``?": yes/no, the hops and the reason."""

    source: IPAddress
    destination: IPAddress
    reachable: bool
    hops: tuple[str, ...]
    steps: tuple[str, ...]
    rule_id: str = ""

    @property
    def reason(self) -> str:
        """The last step: why the packet arrived or where it stopped."""
        return self.steps[-1] if self.steps else ""

    @property
    def url(self) -> str:
        """The AWS documentation page of ``rule_id`` (empty if none)."""
        rule = ROUTING_RULES.get(self.rule_id)
        return rule.url if rule else ""

    def explain(self) -> str:
        """A printable account: verdict, path and numbered steps."""
        head = f"{self.source} -> {self.destination}: {'reachable' if self.reachable else 'NOT reachable'}"
        lines = [head, "  path: " + " -> ".join(self.hops)]
        lines += [f"  {i}. {s}" for i, s in enumerate(self.steps, 1)]
        if self.rule_id:
            lines.append(f"  rule {self.rule_id}: {self.url}")
        return "\n".join(lines)


class Fabric:
    """Several VPCs and what joins them: peerings, transit gateways, VPNs between VPCs, on-premises VPNs.

    Routes are explicit, as in AWS: peering and transit gateway attachments do not add routes to the
    VPC route tables unless you pass ``add_routes=True``.
    """

    def __init__(self, rng: RandomSource | None = None) -> None:
        self.rng = rng
        self.vpcs: dict[str, VPC] = {}
        self.peerings: dict[str, Peering] = {}
        self.tgws: dict[str, tuple[TransitGateway, str]] = {}  # id -> (tgw, region)
        self.vgws: dict[str, VgwRouter] = {}  # vpc id -> its VGW
        self.links: dict[str, VpnLink] = {}   # VGW connection id -> link
        self.appliances: dict[str, SoftwareVpn] = {}  # vpc id -> appliance host
        self.sites: dict[str, tuple[IPNetwork, ...]] = {}  # on-prem site name -> prefixes

    # -- building -------------------------------------------------------------------------------
    def add_vpc(self, vpc: VPC) -> VPC:
        """Add a VPC to the fabric."""
        if vpc.id in self.vpcs:
            raise ConfigError(f"fabric: field vpc id {vpc.id!r} is already used")
        self.vpcs[vpc.id] = vpc
        return vpc

    def _vpc(self, vpc_id: str) -> VPC:
        if vpc_id not in self.vpcs:
            raise ConfigError(f"fabric: field vpc {vpc_id!r} is not a VPC of this fabric "
                              f"({sorted(self.vpcs)})")
        return self.vpcs[vpc_id]

    def peer(self, a: str, b: str, *, id: str | None = None, add_routes: bool = True) -> Peering:
        """Peer VPCs ``a`` and ``b``; refused if their CIDRs overlap (rule PEERING-NO-OVERLAP)."""
        va, vb = self._vpc(a), self._vpc(b)
        if a == b:
            raise ConfigError(f"peering: field b: a VPC cannot peer with itself ({a})")
        clash = va.overlaps(vb)
        if clash:
            raise ConfigError(f"peering {a} <-> {b}: field cidrs: {clash[0]} overlaps {clash[1]}; peered "
                              "VPCs must not have overlapping CIDRs "
                              f"({ROUTING_RULES['PEERING-NO-OVERLAP'].url})")
        pcx = Peering(id or f"pcx-{a}-{b}", a, b, va.region != vb.region)
        if pcx.id in self.peerings:
            raise ConfigError(f"peering: field id {pcx.id!r} is already used")
        self.peerings[pcx.id] = pcx
        if add_routes:
            for me, other in ((va, vb), (vb, va)):
                for net in other.cidrs:
                    me.main_route_table.add(net, Target(TargetKind.PEERING, pcx.id))
        return pcx

    def add_tgw(self, tgw: TransitGateway, *, region: str = "us-east-1") -> TransitGateway:
        """Add a transit gateway living in ``region``."""
        self.tgws[tgw.id] = (tgw, region)
        return tgw

    def attach_to_tgw(self, tgw_id: str, vpc_id: str, *, routes: Iterable[str] = ()) -> None:
        """Attach a VPC (same Region only) and point ``routes`` of its main route table at the TGW."""
        if tgw_id not in self.tgws:
            raise ConfigError(f"fabric: field tgw {tgw_id!r} is not a transit gateway of this fabric")
        tgw, region = self.tgws[tgw_id]
        vpc = self._vpc(vpc_id)
        if vpc.region != region:
            raise ConfigError(f"transit gateway {tgw_id}: field vpc {vpc_id} is in {vpc.region}, the TGW in "
                              f"{region}; a TGW is regional (another Region needs TGW peering)")
        tgw.attach_vpc(vpc)
        for r in routes:
            vpc.main_route_table.add(parse_cidr(r, field="routes", what=f"VPC {vpc_id}"),
                                     Target(TargetKind.TRANSIT_GATEWAY, tgw_id))

    def _vgw(self, vpc_id: str) -> VgwRouter:
        if vpc_id not in self.vgws:
            vpc = self._vpc(vpc_id)
            vgw = VgwRouter(f"vgw-{vpc_id}", vpc=vpc, rng=self.rng)
            vgw.enable_propagation(vpc.main_route_table)
            self.vgws[vpc_id] = vgw
        return self.vgws[vpc_id]

    def add_onprem_vpn(self, vpc_id: str, site: str, prefixes: Iterable[str]) -> str:
        """A static Site-to-Site VPN from ``vpc_id``'s VGW to an on-premises ``site`` (tunnels UP,
        routes propagated)."""
        nets = tuple(parse_cidr(p, field=f"prefixes[{i}]", what=f"site {site}")
                     for i, p in enumerate(prefixes))
        self.sites[site] = nets
        vgw = self._vgw(vpc_id)
        conn = f"vpn-{vpc_id}-{site}"
        vgw.add_vpn_connection(conn, routing="static", static_prefixes=nets)
        vgw.set_tunnel_state(conn, "tunnel1", "UP")
        vgw.set_tunnel_state(conn, "tunnel2", "UP")
        return conn

    def vpn_between(self, vgw_vpc: str, appliance_vpc: str, *, subnet: str, instance_ip: str,
                    source_dest_check: bool = False) -> VpnLink:
        """A VPN between two VPCs: a VGW on ``vgw_vpc`` and a software appliance in ``appliance_vpc``
        (in ``subnet``, at ``instance_ip``) as its customer gateway. Routes are set on both sides."""
        a, b = self._vpc(vgw_vpc), self._vpc(appliance_vpc)
        clash = a.overlaps(b)
        if clash:
            raise ConfigError(f"VPN {vgw_vpc} <-> {appliance_vpc}: field cidrs: {clash[0]} overlaps "
                              f"{clash[1]}; the two ends could not route to each other")
        sw = self.appliances.get(appliance_vpc) or SoftwareVpn(b, a.cidrs)
        self.appliances[appliance_vpc] = sw
        inst = sw.add_instance(f"i-vpn-{appliance_vpc}-{len(sw.instances) + 1}", subnet, instance_ip,
                               source_dest_check=source_dest_check)
        sw.route_via(b.main_route_table, inst)
        vgw = self._vgw(vgw_vpc)
        conn = f"vpn-{vgw_vpc}-{appliance_vpc}"
        vgw.add_vpn_connection(conn, routing="static", static_prefixes=b.cidrs)
        vgw.set_tunnel_state(conn, "tunnel1", "UP")
        vgw.set_tunnel_state(conn, "tunnel2", "UP")
        link = VpnLink(conn, vgw_vpc, appliance_vpc, inst.id)
        self.links[conn] = link
        return link

    # -- the question -----------------------------------------------------------------------------
    def _vpc_of(self, ip: IPAddress) -> VPC | None:
        for vpc in self.vpcs.values():
            if vpc.contains(ip):
                return vpc
        return None

    def _address(self, value: str | IPAddress, field: str) -> IPAddress:
        if isinstance(value, str) and value in self.vpcs:
            net = self.vpcs[value].cidrs[0]
            return net.network_address + min(10, net.num_addresses - 2)
        return parse_ip(value, field=field, what="can_reach")

    def can_reach(self, source: str | IPAddress, destination: str | IPAddress) -> Reachability:
        """Can a host at ``source`` reach ``destination``? Each may be a VPC id (a host in its first CIDR)
        or an IP address. The answer carries the hops, the route behind each, and the rule that stops it."""
        src = self._address(source, "source")
        dst = self._address(destination, "destination")
        start = self._vpc_of(src)
        if start is None:
            raise ConfigError(f"can_reach: field source {src} is not inside any VPC of this fabric")
        hops: list[str] = [start.id]
        steps: list[str] = []

        def done(ok: bool, text: str, rule: str = "") -> Reachability:
            """Finish the walk with a verdict."""
            steps.append(text)
            return Reachability(src, dst, ok, tuple(hops), tuple(steps), rule)

        vpc = start
        for _ in range(len(self.vpcs) + 4):
            if vpc.contains(dst):
                return done(True, f"{dst} is inside {vpc.id}: delivered by the local route")
            lk = vpc.main_route_table.lookup(dst)
            if lk.route is None:
                return done(False, f"{vpc.id}'s route table has no route for {dst}", "NO-ROUTE")
            target = lk.route.target
            steps.append(f"{vpc.id}: route {lk.route.describe()} (decided by {lk.decided_by})")
            if target.kind is TargetKind.PEERING:
                pcx = self.peerings.get(target.id)
                if pcx is None or vpc.id not in (pcx.a, pcx.b):
                    return done(False, f"{target.id} is not a peering of {vpc.id}", "NO-ROUTE")
                peer = self.vpcs[pcx.other(vpc.id)]
                hops += [pcx.id, peer.id]
                if not peer.contains(dst):
                    onward = peer.main_route_table.lookup(dst).target
                    if onward is not None and onward.kind is not TargetKind.PEERING:
                        return done(False, f"{pcx.id} only carries traffic to {peer.id}'s own CIDRs; "
                                    f"{peer.id} reaches {dst} via {onward.id}, but a peer cannot use it: "
                                    "no edge-to-edge routing", "PEERING-NO-EDGE")
                    return done(False, f"{pcx.id} only carries traffic to {peer.id}'s own CIDRs "
                                f"{[str(c) for c in peer.cidrs]}; {dst} is beyond it and peering is not "
                                "transitive", "PEERING-NOT-TRANSITIVE")
                vpc = peer
                continue
            if target.kind is TargetKind.TRANSIT_GATEWAY:
                if target.id not in self.tgws:
                    return done(False, f"{target.id} is not a transit gateway of this fabric", "NO-ROUTE")
                tgw = self.tgws[target.id][0]
                res = tgw.lookup(dst)
                hops.append(tgw.id)
                if not res.next_hops:
                    return done(False, f"{tgw.id} has no usable route for {dst}", "TGW-ORDER")
                att = tgw.attachments[res.next_hops[0][0]]
                steps.append(f"{tgw.id}: {res.routes[0].describe()}")
                if att.type is AttachmentType.VPC:
                    vpc = self.vpcs[att.resource]
                    hops.append(vpc.id)
                    continue
                hops.append(att.id)
                return done(True, f"{tgw.id} sends it on {att.id}")
            if target.kind is TargetKind.VIRTUAL_PRIVATE_GATEWAY:
                vgw = self.vgws.get(vpc.id)
                if vgw is None or vgw.id != target.id:
                    return done(False, f"{target.id} is not attached to {vpc.id}", "NO-ROUTE")
                choice = vgw.select(dst)
                hops.append(vgw.id)
                if choice.path is None:
                    return done(False, f"{vgw.id} has no path to {dst}", "VGW-FORWARDS-KNOWN")
                steps.append(f"{vgw.id}: {choice.path.describe()} (decided by {choice.decided_by})")
                link = self.links.get(choice.path.connection)
                if link is None:
                    site = next((s for s, nets in self.sites.items()
                                 if any(dst.version == n.version and dst in n for n in nets)), None)
                    hops.append(f"site {site or choice.path.connection}")
                    return done(True, f"over {choice.path.connection} to the on-premises network")
                sw = self.appliances[link.appliance_vpc]
                hops += ["internet", link.instance]
                d = sw.receive_from_remote(link.instance, src, dst)
                if not d.delivered:
                    return done(False, d.reason, d.rule_id)
                hops.append(link.appliance_vpc)
                return done(True, f"decrypted by {link.instance} and delivered in {link.appliance_vpc}")
            if target.kind in (TargetKind.NETWORK_INTERFACE, TargetKind.INSTANCE):
                sw = self.appliances.get(vpc.id)
                inst = sw.instance_by_eni(target.id) if sw else None
                link = next((lk_ for lk_ in self.links.values() if inst and lk_.instance == inst.id), None)
                if inst is None or link is None:
                    return done(False, f"{target.id} is not a VPN appliance known to this fabric", "NO-ROUTE")
                hops.append(inst.id)
                if not inst.healthy:
                    return done(False, f"{inst.id} is down: its route is a blackhole", "APPLIANCE-HA")
                if inst.source_dest_check and inst.private_ip not in (src, dst):
                    return done(False, f"{inst.id}'s source/destination check is on: it drops traffic it "
                                "neither sent nor receives", "EC2-SRC-DST-CHECK")
                vgw = self.vgws[link.vgw_vpc]
                hops += ["internet", vgw.id]
                choice = vgw.select(dst)
                if choice.path is None or choice.path.source.value != "vpc":
                    return done(False, f"{vgw.id} does not deliver {dst} into {link.vgw_vpc}",
                                "VGW-FORWARDS-KNOWN")
                hops.append(link.vgw_vpc)
                return done(True, f"over the VPN to {vgw.id}, delivered in {link.vgw_vpc}")
            hops.append(target.id)
            if target.kind is TargetKind.INTERNET_GATEWAY and ipaddress.ip_address(dst).is_global:
                return done(True, f"out to the internet through {target.id}")
            return done(False, f"{target.id} does not lead to {dst}", "NO-ROUTE")
        return done(False, "routing loop: gave up", "NO-ROUTE")  # pragma: no cover


OPTIONS: tuple[dict[str, object], ...] = (
    {"option": "VPC peering", "transitive": False, "crosses_internet": False, "inter_region": True,
     "overlapping_cidrs": False, "single_point_of_failure": False,
     "url": "https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html"},
    {"option": "Transit gateway", "transitive": True, "crosses_internet": False,
     "inter_region": "with TGW peering", "overlapping_cidrs": False, "single_point_of_failure": False,
     "url": "https://docs.aws.amazon.com/vpc/latest/tgw/how-transit-gateways-work.html"},
    {"option": "Software VPN to AWS managed VPN (VPC to VPC)", "transitive": "as you route it",
     "crosses_internet": True, "inter_region": True, "overlapping_cidrs": False,
     "single_point_of_failure": "yes, unless you build HA (the appliance)",
     "url": "https://docs.aws.amazon.com/whitepapers/latest/aws-vpc-connectivity-options/welcome.html"},
)
"""The VPC-to-VPC options side by side (aws-facts §6; the whitepaper's details are UNCONFIRMED there)."""


def compare_options() -> tuple[dict[str, object], ...]:
    """The VPC-to-VPC options as rows a notebook can show as a table."""
    return OPTIONS
