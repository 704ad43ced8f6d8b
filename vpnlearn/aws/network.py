"""The AWS networking model the VPN lessons build on: VPCs, subnets, route tables, routes, prefix lists.

This module only *describes* a network; it never sends packets, opens sockets or reads clocks.
``vpnlearn.aws.routing`` decides which route wins (:meth:`RouteTable.lookup` calls it), and
``vpnlearn.aws.site_to_site`` / ``cloudhub`` / ``appliance`` / ``vpc_to_vpc`` / ``tgw`` build on
these classes.

A :class:`Route` carries three things a learner must keep apart:

* ``destination``: a CIDR (``10.1.0.0/16``) or a :class:`PrefixList` (``pl-...``);
* ``origin``, as the EC2 API reports it: the ``local`` route made with the table
  (``CreateRouteTable``), a ``static`` route you added (``CreateRoute``), or a ``propagated``
  route a virtual private gateway put there (``EnableVgwRoutePropagation``);
* ``source``, for propagated routes: where the virtual private gateway learned the prefix
  (Direct Connect BGP, a VPN static route, or VPN BGP), which decides ties between propagated
  routes (aws-facts §2.2).

Every AWS rule used here is in :data:`ROUTING_RULES` with the AWS documentation page it comes from.

Example::

    >>> vpc = VPC("vpc-a", ["10.0.0.0/16"])
    >>> vpc.add_subnet("subnet-1", "10.0.1.0/24", az="us-east-1a").cidr
    IPv4Network('10.0.1.0/24')
    >>> vpc.main_route_table.routes[0].describe()
    '10.0.0.0/16 -> local (local)'
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

from vpnlearn.errors import ConfigError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

__all__ = [
    "ROUTING_RULES",
    "VPC",
    "IPAddress",
    "IPNetwork",
    "Origin",
    "PrefixList",
    "Route",
    "RouteTable",
    "RoutingRule",
    "Source",
    "Subnet",
    "Target",
    "TargetKind",
    "parse_cidr",
    "parse_ip",
    "routing_rules_table",
]


# --------------------------------------------------------------------------------------------------
# The rule table: one row per AWS fact this area relies on, with its documentation page.
# Same shape as vpnlearn/aws/rules.py (rule id, description, doc URL).
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutingRule:
    """One AWS routing fact: an id the code and its explanations refer to, what it says, and where."""

    rule_id: str
    description: str
    url: str


_R = RoutingRule

_RULE_ROWS: tuple[RoutingRule, ...] = (
    # --- VPC route tables (aws-facts §2.2) -------------------------------------------------------
    _R("VPC-RT-LPM", "Longest prefix match: the most specific route that matches the destination wins "
         "(10.10.2.15/32 has priority over 10.10.2.0/24). IPv4 and IPv6 routes are independent.",
         "https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html"),
    _R("VPC-RT-LOCAL", "If propagated routes from a Site-to-Site VPN or Direct Connect overlap the VPC's "
         "local route, the local route is most preferred even if the propagated routes are more specific.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html#vpn-route-priority"),
    _R("VPC-RT-STATIC", "Same destination: a static route (internet gateway, NAT gateway, network "
         "interface, instance, gateway VPC endpoint, transit gateway, VPC peering, Gateway Load Balancer "
         "endpoint) wins over a propagated route.",
         "https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html"),
    _R("VPC-RT-STATIC-OVER-PL", "A static CIDR route beats an overlapping (matching) prefix-list route.",
         "https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html"),
    _R("VPC-RT-PL-OVER-PROP", "A prefix-list route beats a matching propagated route.",
         "https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html"),
    _R("VPC-RT-PL-RANDOM", "If several prefix lists overlap with different targets, one is chosen at "
         "random and then stays fixed. (This model picks the lowest prefix-list id, so that the same "
         "table always gives the same answer, and says so in the reason.)",
         "https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html"),
    _R("VPC-RT-PROP-ORDER", "Among propagated routes for the same destination: Direct Connect BGP, then "
         "VPN static, then VPN BGP.",
         "https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html"),
    _R("VPC-RT-DUP-STATIC", "A route table holds at most one non-propagated route per destination "
         "(CreateRoute fails with RouteAlreadyExists; use ReplaceRoute).",
         "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRoute.html"),
    _R("VPC-PROP-LIMIT", "At most 100 BGP-advertised (propagated) routes per route table; not adjustable. "
         "If you need more prefixes, advertise a default route.",
         "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html"),
    _R("VPC-CIDR-SIZE", "An IPv4 VPC CIDR block and an IPv4 subnet CIDR block are between /16 and /28.",
         "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html"),
    _R("VPC-SUBNET-IN-VPC", "A subnet's CIDR is a subset of one of its VPC's CIDR blocks and does not "
         "overlap another subnet of that VPC.",
         "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html"),
    # --- Propagation (aws-facts §2.1) ------------------------------------------------------------
    _R("PROP-WHEN-UP", "With route propagation on, a VPN's static prefixes, or its BGP-advertised "
         "prefixes, propagate into the route table when the VPN connection is UP.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/SetUpVPNConnections.html#vpn-configure-routing"),
    _R("PROP-STALE", "If the connection is interrupted but the VPN connection remains UP, propagated "
         "routes are not automatically removed; you may need to turn off propagation to fail over to a "
         "static route.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/SetUpVPNConnections.html"),
    _R("VGW-CGW-DYNAMIC-LIMIT", "A customer gateway can advertise at most 100 dynamic routes to a virtual "
         "private gateway (1,000 to a transit gateway); not adjustable.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-limits.html"),
    _R("VGW-FORWARDS-KNOWN", "The VGW forwards only to prefixes it knows from BGP, static entries, or the "
         "attached VPC's CIDR.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html"),
    _R("VGW-NO-IPV6", "IPv6 inside VPN tunnels is supported only on a transit gateway; virtual private "
         "gateways do not support IPv6 (a VPN connection carries IPv4 or IPv6, never both).",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/ipv4-ipv6.html"),
    _R("VGW-ONE-VPC", "A virtual private gateway attaches to one VPC at a time.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-limits.html"),
    # --- VGW path selection (aws-facts §2.3, §2.4) ----------------------------------------------
    _R("VGW-PATH-LPM", "Longest prefix match applies first.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html#vpn-route-priority"),
    _R("VGW-PATH-SOURCE", "Same prefix: BGP routes from Direct Connect, then manually added VPN static "
         "routes, then BGP routes from a Site-to-Site VPN.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html#vpn-route-priority"),
    _R("VGW-PATH-ASPATH", "Matching prefixes, each VPN using BGP: the shortest AS PATH is preferred.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html#vpn-route-priority"),
    _R("VGW-PATH-MED", "AS PATHs of the same length and the same first AS in the AS_SEQUENCE: the lowest "
         "MED is preferred (MEDs are compared only then).",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html#vpn-route-priority"),
    _R("VGW-ONE-TUNNEL", "AWS selects one of the two tunnels as the primary egress path; on a VGW one "
         "tunnel across all the gateway's VPN connections is selected. Allow asymmetric routing.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html"),
    _R("VGW-TUNNEL-STATIC-RANDOM", "Static VPN, both tunnels up: AWS uses one randomly chosen preferred "
         "tunnel and you cannot configure which.",
         "https://repost.aws/knowledge-center/vpn-configure-tunnel-preference"),
    _R("VGW-TUNNEL-MAINT-MED", "During tunnel endpoint updates AWS sets a lower outbound MED on the tunnel "
         "that stays up.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html#routing-vpn-tunnel-updates"),
    # --- Transit gateway (aws-facts §2.5, §1.8) --------------------------------------------------
    _R("TGW-ORDER", "TGW route evaluation: most specific route first; same CIDR: static, prefix-list "
         "referenced, VPC-propagated, Direct Connect gateway-propagated, Connect-propagated, private-IP VPN-"
         "propagated, Site-to-Site VPN-propagated (tail after VPN UNCONFIRMED in aws-facts §2.5).",
         "https://docs.aws.amazon.com/vpc/latest/tgw/how-transit-gateways-work.html"),
    _R("TGW-ECMP", "ECMP across VPN tunnels needs a transit gateway with VpnEcmpSupport (enabled by "
         "default) and dynamic (BGP) routing; it is not supported with static routing nor on a VGW.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-limits.html"),
    _R("TGW-BGP", "Model choice: among a TGW's VPN BGP routes for the same CIDR, shortest AS_PATH then "
         "lowest "
         "MED, as the VGW (VPNRoutingTypes.html) and Cloud WAN pages document; the fact sheet does not list "
         "these tie-breakers for a TGW.",
         "https://docs.aws.amazon.com/network-manager/latest/cloudwan/cloudwan-route-evaluation.html"),
    # --- CloudHub (aws-facts §4) -----------------------------------------------------------------
    _R("CLOUDHUB-ONE-VGW", "CloudHub uses a single virtual private gateway with a dynamically routed VPN "
         "connection from each site.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPN_CloudHub.html"),
    _R("CLOUDHUB-UNIQUE-ASN", "Each customer gateway has a unique BGP ASN.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPN_CloudHub.html"),
    _R("CLOUDHUB-NO-OVERLAP", "The sites must not have overlapping IP ranges.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPN_CloudHub.html"),
    _R("CLOUDHUB-READVERTISE", "The VGW re-advertises each site's routes to each BGP peer so sites can "
         "reach each other.",
         "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPN_CloudHub.html"),
    # --- Software appliance (aws-facts §5) -------------------------------------------------------
    _R("EC2-SRC-DST-CHECK", "Source/destination checking is on by default; it must be disabled on an "
         "instance that routes other hosts' traffic (NAT, routing, firewalls, VPN gateways).",
         "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html"),
    _R("APPLIANCE-HA", "A software VPN appliance is a single point of failure; HA needs several VPN "
         "instances and a monitor that reroutes the affected subnets to a working instance (your job).",
         "https://docs.aws.amazon.com/whitepapers/latest/aws-vpc-connectivity-options/"
         "appendix-a-high-level-ha-architecture-for-software-vpn-instances.html"),
    # --- VPC to VPC (aws-facts §6) ---------------------------------------------------------------
    _R("PEERING-NOT-TRANSITIVE", "VPC peering is not transitive.",
         "https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html"),
    _R("PEERING-NO-EDGE", "No edge-to-edge routing: a peer cannot use the other VPC's VPN connection, "
         "Direct Connect, internet gateway, NAT device or gateway endpoint.",
         "https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html"),
    _R("PEERING-NO-OVERLAP", "Peered VPCs must not have overlapping IPv4 or IPv6 CIDRs.",
         "https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html"),
)

ROUTING_RULES: dict[str, RoutingRule] = {rule.rule_id: rule for rule in _RULE_ROWS}
"""Every AWS routing fact this area uses, by rule id, each with its AWS documentation URL."""


def routing_rules_table(prefix: str = "") -> list[dict[str, str]]:
    """The routing facts as rows (``rule_id``, ``description``, ``url``) a notebook can show as a table;
    ``prefix`` keeps only the ids starting with it (``"VPC-RT"``, ``"VGW-PATH"``, ``"TGW"`` ...)."""
    return [{"rule_id": r.rule_id, "description": r.description, "url": r.url}
            for r in _RULE_ROWS if r.rule_id.startswith(prefix)]


# --------------------------------------------------------------------------------------------------
# Parsing helpers
# --------------------------------------------------------------------------------------------------


def parse_cidr(value: str | IPNetwork, *, field: str, what: str = "") -> IPNetwork:
    """Parse a CIDR such as ``"10.0.0.0/16"``; bad input raises ConfigError naming ``what`` and ``field``.

    Host bits must be zero (``10.0.0.1/16`` is refused with the network address suggested), as the
    EC2 API does for route destinations.
    """
    where = f"{what}: field {field}" if what else f"field {field}"
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a CIDR string like '10.0.0.0/16', got {type(value).__name__}")
    text = value.strip()
    if "/" not in text:
        raise ConfigError(f"{where}: {value!r} is not a CIDR (no '/prefix-length')")
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ConfigError(f"{where}: {value!r} is not a valid CIDR ({exc})") from None
        raise ConfigError(f"{where}: {value!r} has host bits set; did you mean {loose}?") from None


def parse_ip(value: str | IPAddress, *, field: str, what: str = "") -> IPAddress:
    """Parse one IPv4 or IPv6 address; bad input raises ConfigError naming ``what`` and ``field``."""
    where = f"{what}: field {field}" if what else f"field {field}"
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected an IP address string, got {type(value).__name__}")
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a valid IP address") from None


def _rule_text(rule_id: str) -> str:
    rule = ROUTING_RULES[rule_id]
    return f"[{rule.rule_id}] {rule.description} ({rule.url})"


# --------------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------------


class Origin(str, Enum):
    """How a route got into a route table (the EC2 API's ``Route.Origin``)."""

    LOCAL = "local"            # CreateRouteTable: the VPC's own CIDRs
    STATIC = "static"          # CreateRoute: a route you added
    PROPAGATED = "propagated"  # EnableVgwRoutePropagation: put there by a virtual private gateway

    @property
    def aws_name(self) -> str:
        """The value the EC2 API shows in ``Route.Origin``."""
        return {"local": "CreateRouteTable", "static": "CreateRoute",
                "propagated": "EnableVgwRoutePropagation"}[self.value]


class Source(str, Enum):
    """Where a route's prefix came from. Decides ties between propagated routes (aws-facts §2.2/§2.3)."""

    VPC = "vpc"                # the VPC's own CIDR (the local route)
    MANUAL = "manual"          # added by hand to the route table
    DX_BGP = "dx-bgp"          # learned by BGP over Direct Connect
    VPN_STATIC = "vpn-static"  # a static route configured on a Site-to-Site VPN connection
    VPN_BGP = "vpn-bgp"        # learned by BGP inside a Site-to-Site VPN tunnel


PROPAGATED_SOURCES = (Source.DX_BGP, Source.VPN_STATIC, Source.VPN_BGP)
"""Propagated route sources, most preferred first (rule VPC-RT-PROP-ORDER / VGW-PATH-SOURCE)."""


class TargetKind(str, Enum):
    """What a route sends traffic to."""

    LOCAL = "local"
    INTERNET_GATEWAY = "internet-gateway"
    NAT_GATEWAY = "nat-gateway"
    NETWORK_INTERFACE = "network-interface"
    INSTANCE = "instance"
    GATEWAY_ENDPOINT = "gateway-vpc-endpoint"
    TRANSIT_GATEWAY = "transit-gateway"
    PEERING = "vpc-peering-connection"
    GWLB_ENDPOINT = "gateway-load-balancer-endpoint"
    VIRTUAL_PRIVATE_GATEWAY = "virtual-private-gateway"
    BLACKHOLE = "blackhole"


_ID_PREFIXES: tuple[tuple[str, TargetKind], ...] = (
    ("igw-", TargetKind.INTERNET_GATEWAY),
    ("nat-", TargetKind.NAT_GATEWAY),
    ("eni-", TargetKind.NETWORK_INTERFACE),
    ("i-", TargetKind.INSTANCE),
    ("tgw-", TargetKind.TRANSIT_GATEWAY),
    ("pcx-", TargetKind.PEERING),
    ("vgw-", TargetKind.VIRTUAL_PRIVATE_GATEWAY),
)


@dataclass(frozen=True)
class Target:
    """The next hop of a route: a kind and the resource id (``igw-0abc``, ``eni-...``, ``local``)."""

    kind: TargetKind
    id: str

    @classmethod
    def parse(cls, text: str, *, field: str = "target") -> Target:
        """A target from its AWS id, by prefix (``igw-``, ``nat-``, ``eni-``, ``i-``, ``tgw-``, ``pcx-``,
        ``vgw-``) or ``local``. VPC endpoints (``vpce-``) are ambiguous: build ``Target`` directly."""
        if not isinstance(text, str) or not text:
            raise ConfigError(f"field {field}: expected a target id like 'igw-0abc', got {text!r}")
        if text == "local":
            return cls(TargetKind.LOCAL, "local")
        for prefix, kind in _ID_PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix):
                return cls(kind, text)
        if text.startswith("vpce-"):
            raise ConfigError(f"field {field}: {text!r} could be a gateway VPC endpoint or a Gateway Load "
                              "Balancer endpoint; use Target(TargetKind...., id)")
        raise ConfigError(f"field {field}: {text!r} is not a known target id "
                          "(local, igw-, nat-, eni-, i-, tgw-, pcx-, vgw-)")

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class PrefixList:
    """A managed prefix list (``pl-...``): a named set of CIDRs that one route can point at."""

    id: str
    entries: tuple[IPNetwork, ...]
    name: str = ""
    max_entries: int | None = None

    def __init__(self, id: str, entries: Iterable[str | IPNetwork], name: str = "",
                 max_entries: int | None = None) -> None:
        what = f"prefix list {id}"
        if not isinstance(id, str) or not id.startswith("pl-"):
            raise ConfigError(f"{what}: field id must start with 'pl-', got {id!r}")
        parsed = tuple(parse_cidr(e, field=f"entries[{i}]", what=what) for i, e in enumerate(entries))
        if not parsed:
            raise ConfigError(f"{what}: field entries is empty")
        families = {n.version for n in parsed}
        if len(families) > 1:
            raise ConfigError(f"{what}: field entries mixes IPv4 and IPv6 (a prefix list has one family)")
        if len(set(parsed)) != len(parsed):
            raise ConfigError(f"{what}: field entries has a duplicate CIDR")
        if max_entries is not None and len(parsed) > max_entries:
            raise ConfigError(f"{what}: field entries has {len(parsed)} CIDRs, more than max_entries "
                              f"{max_entries}")
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "entries", parsed)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "max_entries", max_entries)

    @property
    def version(self) -> int:
        """4 or 6."""
        return self.entries[0].version

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class Route:
    """One row of a route table.

    ``destination`` is a CIDR or a :class:`PrefixList`. ``origin`` is local/static/propagated;
    ``source`` says where a propagated route was learned (DX BGP, VPN static, VPN BGP). ``as_path``
    and ``med`` are BGP attributes (used by the VGW's path selection, not by the VPC route table).
    ``via`` names the VPN connection or tunnel a propagated route came through (for explanations).
    """

    destination: IPNetwork | PrefixList
    target: Target
    origin: Origin = Origin.STATIC
    source: Source = Source.MANUAL
    as_path: tuple[int, ...] = ()
    med: int = 0
    via: str = ""

    def __post_init__(self) -> None:
        what = "route"
        if isinstance(self.destination, str):
            object.__setattr__(self, "destination", parse_cidr(self.destination, field="destination",
                                                               what=what))
        elif not isinstance(self.destination, ipaddress.IPv4Network | ipaddress.IPv6Network | PrefixList):
            raise ConfigError(f"{what}: field destination must be a CIDR or a PrefixList")
        if isinstance(self.target, str):
            object.__setattr__(self, "target", Target.parse(self.target))
        origin = Origin(self.origin)
        source = Source(self.source)
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "source", source)
        where = f"route to {self.destination}"
        if origin is Origin.LOCAL:
            if self.target.kind is not TargetKind.LOCAL or source is not Source.VPC:
                raise ConfigError(f"{where}: field origin 'local' needs target 'local' and source 'vpc'")
            if isinstance(self.destination, PrefixList):
                raise ConfigError(f"{where}: field destination of the local route must be a CIDR")
        elif origin is Origin.PROPAGATED:
            if source not in PROPAGATED_SOURCES:
                raise ConfigError(f"{where}: field source of a propagated route must be one of "
                                  f"{[s.value for s in PROPAGATED_SOURCES]}, got {source.value!r}")
            if self.target.kind is not TargetKind.VIRTUAL_PRIVATE_GATEWAY:
                raise ConfigError(f"{where}: field target of a propagated route must be a virtual private "
                                  f"gateway (vgw-...), got {self.target.id!r}")
            if isinstance(self.destination, PrefixList):
                raise ConfigError(f"{where}: field destination of a propagated route must be a CIDR")
        else:
            if source is not Source.MANUAL:
                raise ConfigError(f"{where}: field source of a static route must be 'manual', "
                                  f"got {source.value!r}")
            if self.target.kind is TargetKind.LOCAL:
                raise ConfigError(f"{where}: field target 'local' is only for the VPC's local route")
        if self.med < 0 or self.med > 0xFFFFFFFF:
            raise ConfigError(f"{where}: field med must be 0..4294967295, got {self.med}")
        for i, asn in enumerate(self.as_path):
            if not isinstance(asn, int) or not 1 <= asn <= 0xFFFFFFFF:
                raise ConfigError(f"{where}: field as_path[{i}] must be an ASN 1..4294967295, got {asn!r}")
        object.__setattr__(self, "as_path", tuple(self.as_path))

    @property
    def is_prefix_list(self) -> bool:
        """True when the destination is a managed prefix list."""
        return isinstance(self.destination, PrefixList)

    @property
    def version(self) -> int:
        """4 or 6."""
        return self.destination.version

    def cidrs(self) -> tuple[IPNetwork, ...]:
        """The CIDRs this route covers (one, or every entry of its prefix list)."""
        if isinstance(self.destination, PrefixList):
            return self.destination.entries
        return (self.destination,)

    def matching_cidr(self, address: IPAddress) -> IPNetwork | None:
        """The most specific of this route's CIDRs containing ``address``, or None."""
        best: IPNetwork | None = None
        for net in self.cidrs():
            if net.version == address.version and address in net and (
                    best is None or net.prefixlen > best.prefixlen):
                best = net
        return best

    def describe(self) -> str:
        """One line: ``destination -> target (origin[, source][, via])``."""
        extra = [self.origin.value]
        if self.origin is Origin.PROPAGATED:
            extra.append(self.source.value)
        if self.via:
            extra.append(f"via {self.via}")
        if self.as_path:
            extra.append("AS_PATH " + " ".join(str(a) for a in self.as_path))
        if self.med:
            extra.append(f"MED {self.med}")
        return f"{self.destination} -> {self.target.id} ({', '.join(extra)})"


# --------------------------------------------------------------------------------------------------
# Route tables, subnets, VPCs
# --------------------------------------------------------------------------------------------------


class RouteTable:
    """A VPC route table: its routes, and the virtual private gateways that propagate into it.

    :meth:`lookup` answers "where does a packet to this address go, and why?" using the AWS order
    (see :mod:`vpnlearn.aws.routing`).
    """

    def __init__(self, id: str, vpc_id: str, *, main: bool = False) -> None:
        if not isinstance(id, str) or not id:
            raise ConfigError(f"route table: field id must be a non-empty string, got {id!r}")
        self.id = id
        self.vpc_id = vpc_id
        self.main = main
        self._routes: list[Route] = []
        self.propagating_gateways: set[str] = set()

    @property
    def routes(self) -> tuple[Route, ...]:
        """All routes, in the order they were added."""
        return tuple(self._routes)

    @property
    def propagated_routes(self) -> tuple[Route, ...]:
        """The routes a virtual private gateway put here (origin ``propagated``)."""
        return tuple(r for r in self._routes if r.origin is Origin.PROPAGATED)

    @property
    def local_routes(self) -> tuple[Route, ...]:
        """The VPC's local routes, one per CIDR block."""
        return tuple(r for r in self._routes if r.origin is Origin.LOCAL)

    def add_route(self, route: Route) -> Route:
        """Add a route. A second non-propagated route to the same destination is refused
        (rule VPC-RT-DUP-STATIC); propagated routes may duplicate static ones (the static one wins)."""
        if not isinstance(route, Route):
            raise ConfigError(f"route table {self.id}: field route must be a Route, "
                              f"got {type(route).__name__}")
        if route.origin is not Origin.PROPAGATED:
            for existing in self._routes:
                if existing.origin is not Origin.PROPAGATED and existing.destination == route.destination:
                    raise ConfigError(
                        f"route table {self.id}: field destination {route.destination} already has a "
                        f"{existing.origin.value} route to {existing.target.id} "
                        f"(RouteAlreadyExists; {_rule_text('VPC-RT-DUP-STATIC')})")
        else:
            for existing in self._routes:
                if (existing.origin is Origin.PROPAGATED and existing.destination == route.destination
                        and existing.target == route.target and existing.source == route.source
                        and existing.via == route.via):
                    return existing
        self._routes.append(route)
        return route

    def add(self, destination: str | IPNetwork | PrefixList, target: str | Target) -> Route:
        """Add a static route (``CreateRoute``): ``table.add("0.0.0.0/0", "igw-1")``."""
        if isinstance(destination, str):
            destination = parse_cidr(destination, field="destination", what=f"route table {self.id}")
        if isinstance(target, str):
            target = Target.parse(target)
        return self.add_route(Route(destination, target))

    def remove_route(self, destination: str | IPNetwork | PrefixList, *,
                     origin: Origin | None = None, target: str | None = None) -> list[Route]:
        """Remove the routes to ``destination`` (optionally only of one origin / target id);
        returns what was removed. The local route cannot be removed."""
        if isinstance(destination, str):
            destination = parse_cidr(destination, field="destination", what=f"route table {self.id}")
        removed = [r for r in self._routes if r.destination == destination
                   and (origin is None or r.origin is origin)
                   and (target is None or r.target.id == target)]
        if any(r.origin is Origin.LOCAL for r in removed):
            raise ConfigError(f"route table {self.id}: field destination {destination}: the local route "
                              "cannot be deleted")
        self._routes = [r for r in self._routes if r not in removed]
        return removed

    def remove_route_if(self, predicate: Callable[[Route], bool]) -> list[Route]:
        """Remove every non-local route for which ``predicate`` is true; returns what was removed."""
        removed = [r for r in self._routes if r.origin is not Origin.LOCAL and predicate(r)]
        self._routes = [r for r in self._routes if r not in removed]
        return removed

    def lookup(self, destination: str | IPAddress):  # -> vpnlearn.aws.routing.Lookup
        """Which route a packet to ``destination`` takes, and the steps that decided it."""
        from vpnlearn.aws.routing import lookup  # routing builds on this module

        return lookup(self, destination)

    def __repr__(self) -> str:
        return f"RouteTable({self.id!r}, vpc={self.vpc_id!r}, routes={len(self._routes)})"


@dataclass
class Subnet:
    """A subnet: a CIDR inside its VPC, in one Availability Zone, using one route table."""

    id: str
    vpc_id: str
    cidr: IPNetwork
    az: str
    route_table_id: str | None = None   # None: the VPC's main route table


def _check_vpc_block_size(net: IPNetwork, *, what: str, field: str) -> None:
    if net.version == 4 and not 16 <= net.prefixlen <= 28:
        raise ConfigError(f"{what}: field {field} {net} must be between /16 and /28 "
                          f"({_rule_text('VPC-CIDR-SIZE')})")


class VPC:
    """A VPC with one or more CIDR blocks, its subnets and route tables.

    The main route table is made with the VPC and holds one local route per CIDR block.
    """

    def __init__(self, id: str, cidrs: Iterable[str | IPNetwork] | str, *, region: str = "us-east-1",
                 name: str = "") -> None:
        if not isinstance(id, str) or not id:
            raise ConfigError(f"VPC: field id must be a non-empty string, got {id!r}")
        self.id = id
        self.region = region
        self.name = name or id
        self.cidrs: list[IPNetwork] = []
        self.subnets: dict[str, Subnet] = {}
        self.route_tables: dict[str, RouteTable] = {}
        self.main_route_table = RouteTable(f"rtb-{id}-main", id, main=True)
        self.route_tables[self.main_route_table.id] = self.main_route_table
        blocks = [cidrs] if isinstance(cidrs, str) else list(cidrs)
        if not blocks:
            raise ConfigError(f"VPC {id}: field cidrs is empty")
        for i, block in enumerate(blocks):
            self.add_cidr(block, _field=f"cidrs[{i}]")

    # -- CIDR blocks ------------------------------------------------------------------------------
    def add_cidr(self, cidr: str | IPNetwork, *, _field: str = "cidr") -> IPNetwork:
        """Add a (secondary) CIDR block; it must not overlap the others. Adds its local route to every
        route table of the VPC."""
        what = f"VPC {self.id}"
        net = parse_cidr(cidr, field=_field, what=what)
        _check_vpc_block_size(net, what=what, field=_field)
        for other in self.cidrs:
            if net.version == other.version and net.overlaps(other):
                raise ConfigError(f"{what}: field {_field} {net} overlaps the VPC's CIDR block {other}")
        self.cidrs.append(net)
        for table in self.route_tables.values():
            table.add_route(Route(net, Target(TargetKind.LOCAL, "local"), Origin.LOCAL, Source.VPC))
        return net

    def contains(self, address: str | IPAddress) -> bool:
        """True when ``address`` is inside one of the VPC's CIDR blocks."""
        ip = parse_ip(address, field="address", what=f"VPC {self.id}")
        return any(ip.version == n.version and ip in n for n in self.cidrs)

    def overlaps(self, other: VPC) -> tuple[IPNetwork, IPNetwork] | None:
        """The first pair of overlapping CIDR blocks between this VPC and ``other``, or None."""
        for a in self.cidrs:
            for b in other.cidrs:
                if a.version == b.version and a.overlaps(b):
                    return a, b
        return None

    # -- subnets and route tables ----------------------------------------------------------------
    def add_subnet(self, id: str, cidr: str | IPNetwork, *, az: str,
                   route_table: str | RouteTable | None = None) -> Subnet:
        """Add a subnet in ``az``; its CIDR must lie in a VPC block and not overlap another subnet."""
        what = f"VPC {self.id}, subnet {id}"
        if id in self.subnets:
            raise ConfigError(f"{what}: field id is already used by another subnet")
        if not isinstance(az, str) or not az:
            raise ConfigError(f"{what}: field az must name an Availability Zone, got {az!r}")
        net = parse_cidr(cidr, field="cidr", what=what)
        _check_vpc_block_size(net, what=what, field="cidr")
        if not any(net.version == b.version and net.subnet_of(b) for b in self.cidrs):
            raise ConfigError(f"{what}: field cidr {net} is not inside any of the VPC's CIDR blocks "
                              f"{[str(b) for b in self.cidrs]} ({_rule_text('VPC-SUBNET-IN-VPC')})")
        for other in self.subnets.values():
            if net.version == other.cidr.version and net.overlaps(other.cidr):
                raise ConfigError(f"{what}: field cidr {net} overlaps subnet {other.id} ({other.cidr})")
        subnet = Subnet(id, self.id, net, az)
        self.subnets[id] = subnet
        if route_table is not None:
            self.associate(id, route_table)
        return subnet

    def add_route_table(self, id: str) -> RouteTable:
        """A new (custom) route table holding the VPC's local routes."""
        if id in self.route_tables:
            raise ConfigError(f"VPC {self.id}: field route table id {id!r} is already used")
        table = RouteTable(id, self.id)
        for net in self.cidrs:
            table.add_route(Route(net, Target(TargetKind.LOCAL, "local"), Origin.LOCAL, Source.VPC))
        self.route_tables[id] = table
        return table

    def associate(self, subnet_id: str, route_table: str | RouteTable) -> None:
        """Make ``subnet_id`` use ``route_table`` instead of the main route table."""
        table_id = route_table.id if isinstance(route_table, RouteTable) else route_table
        if subnet_id not in self.subnets:
            raise ConfigError(f"VPC {self.id}: field subnet {subnet_id!r} is not a subnet of this VPC")
        if table_id not in self.route_tables:
            raise ConfigError(f"VPC {self.id}: field route_table {table_id!r} is not a route table of "
                              "this VPC")
        self.subnets[subnet_id].route_table_id = table_id

    def route_table_for(self, subnet_id: str) -> RouteTable:
        """The route table a subnet uses (its own, or the main one)."""
        if subnet_id not in self.subnets:
            raise ConfigError(f"VPC {self.id}: field subnet {subnet_id!r} is not a subnet of this VPC")
        table_id = self.subnets[subnet_id].route_table_id
        return self.route_tables[table_id] if table_id else self.main_route_table

    def subnet_of(self, address: str | IPAddress) -> Subnet | None:
        """The subnet holding ``address``, or None."""
        ip = parse_ip(address, field="address", what=f"VPC {self.id}")
        for subnet in self.subnets.values():
            if ip.version == subnet.cidr.version and ip in subnet.cidr:
                return subnet
        return None

    def __repr__(self) -> str:
        return f"VPC({self.id!r}, {[str(c) for c in self.cidrs]}, region={self.region!r})"

