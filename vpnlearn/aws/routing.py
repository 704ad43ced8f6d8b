"""Which route wins, and why: VPC route tables, the virtual private gateway, route propagation.

Three decisions, each returning the winner *and* the steps that led to it (so a notebook can print
them and a diagram can highlight them):

* :func:`lookup` — a VPC route table, in the order of aws-facts §2.2
  (https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html):

  1. the routes whose CIDR (or a prefix-list entry) contains the destination;
  2. the local route's precedence: a propagated route that overlaps the VPC's local route is ignored
     even when it is more specific (rule ``VPC-RT-LOCAL``);
  3. longest prefix match (``VPC-RT-LPM``); a prefix-list route counts with the length of its
     matching entry;
  4. static routes over prefix-list routes (``VPC-RT-STATIC-OVER-PL``) and over propagated routes
     (``VPC-RT-STATIC``);
  5. prefix-list routes over propagated routes (``VPC-RT-PL-OVER-PROP``); between prefix lists,
     AWS picks one at random and keeps it (``VPC-RT-PL-RANDOM``) — this model picks the lowest id;
  6. among propagated routes: Direct Connect BGP, then VPN static, then VPN BGP
     (``VPC-RT-PROP-ORDER``).

  Model choice (not on the fact sheet): the local-route exception is documented for *propagated*
  routes only, so a *static* route more specific than the local route (AWS's "middlebox" routing,
  https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html) wins by longest prefix.

* :meth:`VgwRouter.select` — the virtual private gateway's path selection, aws-facts §2.3
  (https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html#vpn-route-priority):
  longest prefix; Direct Connect BGP, then VPN static, then VPN BGP; shortest AS_PATH; lowest MED
  (only between paths with the same first AS); then one egress tunnel for the whole gateway
  (aws-facts §2.4): AWS picks it, you cannot configure it, and it changes only when it goes down.

* :meth:`VgwRouter.propagate` — route propagation into VPC route tables (aws-facts §2.1): prefixes
  appear when the VPN connection is UP and are withdrawn when it goes DOWN; at most 100 propagated
  prefixes per route table, not adjustable (aws-facts §1.8).

Nothing here reads a clock, opens a socket or draws.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from vpnlearn.aws.network import (
    PROPAGATED_SOURCES,
    ROUTING_RULES,
    VPC,
    IPAddress,
    IPNetwork,
    Origin,
    Route,
    RouteTable,
    Source,
    Target,
    TargetKind,
    parse_cidr,
    parse_ip,
)
from vpnlearn.aws.rules import LEGACY_VGW_DEFAULT_ASNS, in_amazon_asn_range
from vpnlearn.errors import ConfigError
from vpnlearn.rand import RandomSource, random_int

__all__ = [
    "MAX_CGW_DYNAMIC_ROUTES_TO_VGW",
    "MAX_PROPAGATED_ROUTES_PER_TABLE",
    "Lookup",
    "Path",
    "PathChoice",
    "PropagationResult",
    "Step",
    "TunnelState",
    "VgwRouter",
    "VpnConnectionInfo",
    "VpnRouting",
    "lookup",
]

MAX_PROPAGATED_ROUTES_PER_TABLE = 100
"""BGP-advertised (propagated) routes per VPC route table; not adjustable (rule VPC-PROP-LIMIT,
https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html)."""

MAX_CGW_DYNAMIC_ROUTES_TO_VGW = 100
"""Dynamic routes a customer gateway may advertise to a VGW; not adjustable (rule
VGW-CGW-DYNAMIC-LIMIT, https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-limits.html)."""


# --------------------------------------------------------------------------------------------------
# Explanations
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a routing decision: the rule applied, what it kept and what it eliminated.

    ``decisive`` is True when the step eliminated something. ``kept`` / ``eliminated`` hold the
    candidates (``Route`` for a route table, ``Path`` for the gateway).
    """

    rule_id: str
    text: str
    kept: tuple = ()
    eliminated: tuple = ()

    @property
    def decisive(self) -> bool:
        """True when this step eliminated at least one candidate."""
        return bool(self.eliminated)

    @property
    def url(self) -> str:
        """The AWS documentation page of the rule (empty for bookkeeping steps such as MATCH)."""
        rule = ROUTING_RULES.get(self.rule_id)
        return rule.url if rule else ""

    def describe(self) -> str:
        """``[RULE] text`` plus what was kept and eliminated, one line each."""
        lines = [f"[{self.rule_id}] {self.text}"]
        for item in self.kept:
            lines.append(f"    kept:       {item.describe()}")
        for item in self.eliminated:
            lines.append(f"    eliminated: {item.describe()}")
        return "\n".join(lines)


def _explain(title: str, steps: Sequence[Step], result: str) -> str:
    out = [title]
    for i, step in enumerate(steps, 1):
        body = step.describe().replace("\n", "\n   ")
        out.append(f"{i}. {body}")
    out.append(result)
    return "\n".join(out)


# --------------------------------------------------------------------------------------------------
# VPC route table lookup
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """The answer of :func:`lookup`: the chosen route (None: no route, the packet is dropped) and why."""

    table_id: str
    destination: IPAddress
    route: Route | None
    matched: tuple[Route, ...]
    steps: tuple[Step, ...]

    @property
    def target(self) -> Target | None:
        """The chosen route's target, or None when there is no route."""
        return self.route.target if self.route else None

    @property
    def decided_by(self) -> str:
        """The rule id of the last step that eliminated a candidate (``MATCH`` if only one matched,
        ``NO-ROUTE`` if none)."""
        for step in reversed(self.steps):
            if step.decisive:
                return step.rule_id
        return self.steps[-1].rule_id if self.steps else "NO-ROUTE"

    def route_status(self, table: RouteTable) -> list[tuple[Route, str]]:
        """Every route of ``table`` with what happened to it, for a diagram to colour: ``"chosen"``,
        ``"eliminated by <RULE-ID>"`` or ``"no match"``."""
        gone = {id(r): s.rule_id for s in self.steps for r in s.eliminated}
        out = []
        for r in table.routes:
            if self.route is not None and r is self.route:
                out.append((r, "chosen"))
            elif id(r) in gone:
                out.append((r, f"eliminated by {gone[id(r)]}"))
            else:
                out.append((r, "no match"))
        return out

    def explain(self) -> str:
        """A printable, numbered account of the decision."""
        result = (f"=> {self.route.describe()}" if self.route
                  else "=> no route: the packet is dropped")
        return _explain(f"Route table {self.table_id}: lookup {self.destination}", self.steps, result)


def _prefixlen(route: Route, address: IPAddress) -> int:
    net = route.matching_cidr(address)
    return -1 if net is None else net.prefixlen


def _split(items: Iterable, keep) -> tuple[tuple, tuple]:
    kept, gone = [], []
    for item in items:
        (kept if keep(item) else gone).append(item)
    return tuple(kept), tuple(gone)


def _is_static_cidr(route: Route) -> bool:
    return route.origin in (Origin.LOCAL, Origin.STATIC) and not route.is_prefix_list


def lookup(table: RouteTable, destination: str | IPAddress) -> Lookup:
    """Choose the route a VPC route table uses for ``destination``, with the steps that decided it.

    The order is AWS's documented one (see the module docstring); each :class:`Step` names its rule
    id (a key of :data:`vpnlearn.aws.network.ROUTING_RULES`, which carries the documentation URL).
    """
    ip = parse_ip(destination, field="destination", what=f"route table {table.id} lookup")
    steps: list[Step] = []
    matched = tuple(r for r in table.routes if r.matching_cidr(ip) is not None)
    if not matched:
        steps.append(Step("NO-ROUTE", f"no route in {table.id} contains {ip}", (), ()))
        return Lookup(table.id, ip, None, (), tuple(steps))
    steps.append(Step("MATCH", f"{len(matched)} route(s) contain {ip}", matched, ()))
    cands = matched

    # 2. The local route's precedence over propagated routes (even more specific ones).
    if any(r.origin is Origin.LOCAL for r in cands):
        kept, gone = _split(cands, lambda r: r.origin is not Origin.PROPAGATED)
        if gone:
            steps.append(Step("VPC-RT-LOCAL", f"{ip} is inside the VPC's local route: overlapping "
                              "propagated routes are ignored, even more specific ones", kept, gone))
            cands = kept

    # 3. Longest prefix.
    if len(cands) > 1:
        best = max(_prefixlen(r, ip) for r in cands)
        kept, gone = _split(cands, lambda r: _prefixlen(r, ip) == best)
        if gone:
            steps.append(Step("VPC-RT-LPM", f"longest prefix: /{best} is the most specific match",
                              kept, gone))
            cands = kept

    # 4. Static CIDR routes over prefix-list routes and over propagated routes.
    if len(cands) > 1 and any(_is_static_cidr(r) for r in cands):
        kept, gone = _split(cands, lambda r: not r.is_prefix_list)
        if gone:
            steps.append(Step("VPC-RT-STATIC-OVER-PL", "a static CIDR route beats a matching "
                              "prefix-list route", kept, gone))
            cands = kept
        kept, gone = _split(cands, lambda r: r.origin is not Origin.PROPAGATED)
        if gone:
            steps.append(Step("VPC-RT-STATIC", "same destination: the static route beats the "
                              "propagated route(s)", kept, gone))
            cands = kept

    # 5. Prefix-list routes over propagated routes; between prefix lists, one (fixed) pick.
    if len(cands) > 1 and any(r.is_prefix_list for r in cands):
        kept, gone = _split(cands, lambda r: r.origin is not Origin.PROPAGATED)
        if gone:
            steps.append(Step("VPC-RT-PL-OVER-PROP", "a prefix-list route beats a matching "
                              "propagated route", kept, gone))
            cands = kept
        if len(cands) > 1:
            lists = sorted(cands, key=lambda r: str(r.destination))
            chosen = lists[0]
            kept, gone = (chosen,), tuple(r for r in cands if r is not chosen)
            steps.append(Step("VPC-RT-PL-RANDOM", "overlapping prefix lists: AWS picks one at random "
                              f"and keeps using it; this model picks the lowest id ({chosen.destination})",
                              kept, gone))
            cands = kept

    # 6. Among propagated routes: DX BGP > VPN static > VPN BGP.
    if len(cands) > 1 and all(r.origin is Origin.PROPAGATED for r in cands):
        best_rank = min(PROPAGATED_SOURCES.index(r.source) for r in cands)
        best_source = PROPAGATED_SOURCES[best_rank]
        kept, gone = _split(cands, lambda r: r.source is best_source)
        if gone:
            steps.append(Step("VPC-RT-PROP-ORDER", "propagated routes: Direct Connect BGP, then VPN "
                              f"static, then VPN BGP: {best_source.value} wins", kept, gone))
            cands = kept
        if len(cands) > 1 and len({r.target for r in cands}) == 1:
            chosen = cands[0]
            steps.append(Step("SAME-TARGET", f"the remaining routes all point at {chosen.target.id}: "
                              "the virtual private gateway chooses among its own paths "
                              "(see VgwRouter.select)", (chosen,), tuple(cands[1:])))
            cands = (chosen,)

    if len(cands) != 1:  # pragma: no cover - RouteTable.add_route prevents duplicate static routes
        raise ConfigError(f"route table {table.id}: field routes: {len(cands)} routes tie for {ip}: "
                          + "; ".join(r.describe() for r in cands))
    return Lookup(table.id, ip, cands[0], matched, tuple(steps))


# --------------------------------------------------------------------------------------------------
# The virtual private gateway: its paths, path selection, tunnel choice and propagation
# --------------------------------------------------------------------------------------------------


class TunnelState(str, Enum):
    """A tunnel's telemetry status (EC2 ``VgwTelemetry.Status``)."""

    UP = "UP"
    DOWN = "DOWN"


class VpnRouting(str, Enum):
    """How a VPN connection learns the customer's prefixes (aws-facts §1.7)."""

    STATIC = "static"
    BGP = "bgp"


@dataclass(frozen=True)
class Path:
    """One way the virtual private gateway can reach a prefix.

    ``source`` is DX_BGP, VPN_STATIC or VPN_BGP (or VPC for the attached VPC's CIDR). ``connection``
    is the VPN connection (or Direct Connect virtual interface) and ``tunnel`` the tunnel it leaves
    by. ``as_path`` / ``med`` are the BGP attributes received from the customer gateway.
    """

    prefix: IPNetwork
    source: Source
    connection: str
    tunnel: str = ""
    as_path: tuple[int, ...] = ()
    med: int = 0

    def describe(self) -> str:
        """One line: prefix, connection/tunnel, source and BGP attributes."""
        parts = [f"{self.prefix} via {self.connection}"]
        if self.tunnel:
            parts[0] += f"/{self.tunnel}"
        parts.append(self.source.value)
        if self.source in (Source.DX_BGP, Source.VPN_BGP):
            parts.append("AS_PATH " + (" ".join(str(a) for a in self.as_path) or "(empty)"))
            parts.append(f"MED {self.med}")
        return ", ".join(parts)


@dataclass(frozen=True)
class PathChoice:
    """The VGW's answer: the chosen path (None: the VGW has no route and drops the packet) and why."""

    gateway_id: str
    destination: IPAddress
    path: Path | None
    candidates: tuple[Path, ...]
    steps: tuple[Step, ...]

    @property
    def decided_by(self) -> str:
        """The rule id of the last step that eliminated a path."""
        for step in reversed(self.steps):
            if step.decisive:
                return step.rule_id
        return self.steps[-1].rule_id if self.steps else "NO-ROUTE"

    def explain(self) -> str:
        """A printable, numbered account of the choice."""
        result = (f"=> {self.path.describe()}" if self.path
                  else "=> the virtual private gateway has no route: the packet is dropped")
        return _explain(f"Virtual private gateway {self.gateway_id}: path to {self.destination}",
                        self.steps, result)


@dataclass
class _Connection:
    id: str
    routing: VpnRouting
    tunnels: dict[str, TunnelState]
    static_prefixes: list[IPNetwork] = field(default_factory=list)
    # BGP: per tunnel, prefix -> (as_path, med)
    advertised: dict[str, dict[IPNetwork, tuple[tuple[int, ...], int]]] = field(default_factory=dict)
    cgw_asn: int | None = None
    bgp_reset: set[str] = field(default_factory=set)  # tunnels whose BGP session was reset (idle)

    def is_up(self) -> bool:
        """A connection is UP while at least one of its tunnels is UP."""
        return any(s is TunnelState.UP for s in self.tunnels.values())


@dataclass(frozen=True)
class VpnConnectionInfo:
    """A read-only snapshot of one VPN connection on a :class:`VgwRouter` (see
    :attr:`VgwRouter.connections`).

    ``tunnels`` are the tunnel names in the order given to :meth:`VgwRouter.add_vpn_connection`;
    ``static_prefixes`` the static routes of a static connection; ``advertised`` maps each tunnel to
    the prefixes the customer gateway advertises over BGP on it now; ``cgw_asn`` is the customer
    gateway's ASN (None if not given). Tunnel states: :meth:`VgwRouter.tunnel_state`.
    """

    id: str
    routing: VpnRouting
    tunnels: tuple[str, ...]
    static_prefixes: tuple[IPNetwork, ...]
    advertised: Mapping[str, tuple[IPNetwork, ...]] = field(hash=False)
    cgw_asn: int | None = None

    @property
    def prefixes(self) -> tuple[IPNetwork, ...]:
        """The prefixes the site owns: the static ones, then those advertised on each tunnel (in tunnel
        order), each once."""
        out: list[IPNetwork] = list(self.static_prefixes)
        for t in self.tunnels:
            for p in self.advertised.get(t, ()):
                if p not in out:
                    out.append(p)
        return tuple(out)


@dataclass(frozen=True)
class PropagationResult:
    """What :meth:`VgwRouter.propagate` changed in one route table.

    ``rejected`` are prefixes not installed because the table already held the maximum of
    :data:`MAX_PROPAGATED_ROUTES_PER_TABLE` propagated prefixes (rule VPC-PROP-LIMIT).
    """

    table_id: str
    added: tuple[Route, ...]
    withdrawn: tuple[Route, ...]
    rejected: tuple[IPNetwork, ...]


class VgwRouter:
    """The routing side of a virtual private gateway attached to (at most) one VPC.

    It holds the paths it knows (VPN static routes, BGP advertisements per tunnel, Direct Connect
    BGP routes and the attached VPC's CIDRs), picks one path per packet (:meth:`select`) and fills
    the route tables that have propagation enabled (:meth:`propagate`).

    ``rng`` picks the gateway's preferred egress tunnel, which AWS chooses and you cannot configure
    (aws-facts §2.4); pass :class:`~vpnlearn.rand.DemoRandom` for a repeatable notebook, or set
    :attr:`preferred_tunnel` to show a given case.
    """

    def __init__(self, id: str, *, asn: int = 64512, vpc: VPC | None = None,
                 rng: RandomSource | None = None) -> None:
        if not isinstance(id, str) or not id.startswith("vgw-"):
            raise ConfigError(f"virtual private gateway: field id must start with 'vgw-', got {id!r}")
        ok = isinstance(asn, int) and (in_amazon_asn_range(asn) or asn in LEGACY_VGW_DEFAULT_ASNS.values())
        if not ok:
            raise ConfigError(f"virtual private gateway {id}: field asn {asn!r} must be 64512-65534 or "
                              "4200000000-4294967294 (or a pre-2018 default) "
                              "(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpnGateway.html)")
        self.id = id
        self.asn = asn
        self.vpc: VPC | None = None
        self.rng = rng
        self.preferred_tunnel: tuple[str, str] | None = None
        self._chosen: dict[frozenset[tuple[str, str]], tuple[str, str]] = {}
        self.events: list[str] = []
        self._connections: dict[str, _Connection] = {}
        self._dx: dict[str, dict[IPNetwork, tuple[tuple[int, ...], int]]] = {}
        self._tables: list[RouteTable] = []
        if vpc is not None:
            self.attach(vpc)

    # -- attachment and propagation switches ------------------------------------------------------
    def attach(self, vpc: VPC) -> None:
        """Attach to ``vpc``. A VGW attaches to one VPC at a time (rule VGW-ONE-VPC)."""
        if self.vpc is not None and self.vpc is not vpc:
            raise ConfigError(f"virtual private gateway {self.id}: field vpc: already attached to "
                              f"{self.vpc.id}; a VGW attaches to one VPC at a time "
                              f"({ROUTING_RULES['VGW-ONE-VPC'].url})")
        self.vpc = vpc

    def enable_propagation(self, table: RouteTable) -> PropagationResult:
        """``EnableVgwRoutePropagation``: from now on ``table`` receives this gateway's routes."""
        if self.vpc is None or table.vpc_id != self.vpc.id:
            raise ConfigError(f"virtual private gateway {self.id}: field route_table {table.id} is not in "
                              "the VPC this gateway is attached to")
        if table not in self._tables:
            self._tables.append(table)
            table.propagating_gateways.add(self.id)
        return self._propagate_one(table)

    def disable_propagation(self, table: RouteTable) -> PropagationResult:
        """``DisableVgwRoutePropagation``: removes this gateway's propagated routes from ``table``."""
        if table in self._tables:
            self._tables.remove(table)
            table.propagating_gateways.discard(self.id)
        withdrawn = tuple(table.remove_route_if(lambda r: r.origin is Origin.PROPAGATED
                                                and r.target.id == self.id))
        return PropagationResult(table.id, (), withdrawn, ())

    # -- VPN connections and Direct Connect ---------------------------------------------------------
    def add_vpn_connection(self, id: str, *, routing: VpnRouting | str = VpnRouting.BGP,
                           static_prefixes: Iterable[str | IPNetwork] = (), cgw_asn: int | None = None,
                           tunnels: Sequence[str] = ("tunnel1", "tunnel2")) -> None:
        """Add a VPN connection (two tunnels, both DOWN until :meth:`set_tunnel_state`).

        A static connection lists its prefixes here (``CreateVpnConnectionRoute``); a BGP connection
        learns them with :meth:`advertise`. "If you select BGP you cannot specify static routes"
        (https://docs.aws.amazon.com/vpn/latest/s2svpn/your-cgw.html).
        """
        what = f"virtual private gateway {self.id}, VPN connection {id}"
        if id in self._connections:
            raise ConfigError(f"{what}: field id is already used")
        try:
            routing = VpnRouting(routing)
        except ValueError:
            raise ConfigError(f"{what}: field routing must be 'static' or 'bgp', got {routing!r}") from None
        prefixes = [parse_cidr(p, field=f"static_prefixes[{i}]", what=what)
                    for i, p in enumerate(static_prefixes)]
        for i, net in enumerate(prefixes):
            self._ipv4_only(net, what, f"static_prefixes[{i}]")
        if cgw_asn is not None and cgw_asn == self.asn:
            raise ConfigError(f"{what}: field cgw_asn {cgw_asn} equals the gateway's ASN; the customer "
                              "gateway's ASN must differ (https://docs.aws.amazon.com/vpn/latest/s2svpn/SetUpVPNConnections.html)")
        if routing is VpnRouting.BGP and prefixes:
            raise ConfigError(f"{what}: field static_prefixes: a BGP connection cannot have static routes "
                              "(https://docs.aws.amazon.com/vpn/latest/s2svpn/your-cgw.html)")
        if len(prefixes) > MAX_CGW_DYNAMIC_ROUTES_TO_VGW:
            raise ConfigError(f"{what}: field static_prefixes has {len(prefixes)} routes; at most 100 static "
                              "routes per VPN connection to a VGW "
                              f"({ROUTING_RULES['VGW-CGW-DYNAMIC-LIMIT'].url})")
        if len(tunnels) != 2 or len(set(tunnels)) != 2:
            raise ConfigError(f"{what}: field tunnels must name two different tunnels "
                              "(https://docs.aws.amazon.com/vpn/latest/s2svpn/VPC_VPN.html)")
        self._connections[id] = _Connection(id, routing, {t: TunnelState.DOWN for t in tunnels},
                                            prefixes, {t: {} for t in tunnels}, cgw_asn)

    @staticmethod
    def _ipv4_only(net: IPNetwork, what: str, field: str) -> None:
        if net.version != 4:
            raise ConfigError(f"{what}: field {field} {net}: a VPN on a virtual private gateway carries IPv4 "
                              f"only ({ROUTING_RULES['VGW-NO-IPV6'].url})")

    def _conn(self, connection: str) -> _Connection:
        if connection not in self._connections:
            raise ConfigError(f"virtual private gateway {self.id}: field connection {connection!r} is not a "
                              "VPN connection of this gateway")
        return self._connections[connection]

    def _tunnel(self, conn: _Connection, tunnel: str) -> None:
        if tunnel not in conn.tunnels:
            raise ConfigError(f"VPN connection {conn.id}: field tunnel {tunnel!r} is not one of "
                              f"{sorted(conn.tunnels)}")

    def connection_ids(self) -> tuple[str, ...]:
        """The VPN connections on this gateway, in the order they were added."""
        return tuple(self._connections)

    @property
    def connections(self) -> Mapping[str, VpnConnectionInfo]:
        """The VPN connections on this gateway (id -> :class:`VpnConnectionInfo`), in the order they were
        added: a read-only snapshot, taken now; change them through the methods of this class."""
        return MappingProxyType({
            cid: VpnConnectionInfo(
                cid, c.routing, tuple(c.tunnels), tuple(c.static_prefixes),
                MappingProxyType({t: tuple(c.advertised.get(t, {})) for t in c.tunnels}), c.cgw_asn)
            for cid, c in self._connections.items()})

    def tunnel_state(self, connection: str, tunnel: str) -> TunnelState:
        """UP or DOWN for one tunnel of ``connection``."""
        conn = self._conn(connection)
        self._tunnel(conn, tunnel)
        return conn.tunnels[tunnel]

    def set_tunnel_state(self, connection: str, tunnel: str,
                         state: TunnelState | str) -> list[PropagationResult]:
        """Tunnel UP or DOWN, then re-propagate. A BGP session lives inside its tunnel, so a DOWN
        tunnel withdraws what that tunnel's session advertised; a static connection keeps its prefixes
        while either tunnel is UP (rule PROP-WHEN-UP)."""
        conn = self._conn(connection)
        self._tunnel(conn, tunnel)
        try:
            conn.tunnels[tunnel] = TunnelState(state)
        except ValueError:
            raise ConfigError(f"VPN connection {connection}: field state must be 'UP' or 'DOWN', "
                              f"got {state!r}") from None
        if conn.tunnels[tunnel] is TunnelState.DOWN:
            key = (connection, tunnel)
            if self.preferred_tunnel == key:
                self.preferred_tunnel = None  # fails over at the next packet
            self._chosen = {ks: k for ks, k in self._chosen.items() if key not in ks}
        return self.propagate()

    def advertise(self, connection: str, tunnel: str, prefix: str | IPNetwork, *,
                  as_path: Sequence[int] | None = None, med: int = 0) -> list[PropagationResult]:
        """The customer gateway advertises ``prefix`` by BGP on ``tunnel``. ``as_path`` defaults to the
        customer gateway's ASN.

        A customer gateway may advertise at most 100 dynamic routes to a VGW (rule
        VGW-CGW-DYNAMIC-LIMIT). The 101st does not just fail: AWS resets the BGP session on that tunnel
        (a NOTIFICATION Cease / "Maximum Number of Prefixes Reached", RFC 4486 §4), so *every* prefix the
        session carried is withdrawn. The fact sheet gives only the number; the reset is what a public
        test observed (SECONDARY: https://read.docs.aviatrix.com/documentation/v7.1/building-your-network/
        tgw-route-limit.html) and what RFC 4486 defines for a prefix limit. The reset is recorded in
        :attr:`events`; :meth:`restart_bgp` brings the session back.
        """
        conn = self._conn(connection)
        what = f"VPN connection {connection}, {tunnel}"
        self._tunnel(conn, tunnel)
        if conn.routing is not VpnRouting.BGP:
            raise ConfigError(f"{what}: field routing is static: a static connection does not speak BGP")
        if tunnel in conn.bgp_reset:
            raise ConfigError(f"{what}: field tunnel: the BGP session was reset (maximum prefixes) and is "
                              "idle; call restart_bgp() first")
        net = parse_cidr(prefix, field="prefix", what=what)
        self._ipv4_only(net, what, "prefix")
        if not 0 <= med <= 0xFFFFFFFF:
            raise ConfigError(f"{what}: field med must be 0..4294967295, got {med}")
        path = tuple(as_path) if as_path is not None else ((conn.cgw_asn,) if conn.cgw_asn else ())
        table = conn.advertised[tunnel]
        if net not in table and len(table) >= MAX_CGW_DYNAMIC_ROUTES_TO_VGW:
            lost = len(table)
            table.clear()
            conn.bgp_reset.add(tunnel)
            self.events.append(
                f"{connection}/{tunnel}: prefix {net} would be route {lost + 1}; at most "
                f"{MAX_CGW_DYNAMIC_ROUTES_TO_VGW} dynamic routes to a VGW "
                f"({ROUTING_RULES['VGW-CGW-DYNAMIC-LIMIT'].url}): "
                f"BGP session reset (Cease, Maximum Number of Prefixes Reached), {lost} prefixes withdrawn")
            return self.propagate()
        table[net] = (path, med)
        return self.propagate()

    def bgp_established(self, connection: str, tunnel: str) -> bool:
        """False after a maximum-prefix reset, until :meth:`restart_bgp`."""
        conn = self._conn(connection)
        self._tunnel(conn, tunnel)
        return conn.routing is VpnRouting.BGP and tunnel not in conn.bgp_reset

    def restart_bgp(self, connection: str, tunnel: str) -> None:
        """Re-establish a BGP session after a reset; it starts with no prefixes."""
        conn = self._conn(connection)
        self._tunnel(conn, tunnel)
        conn.bgp_reset.discard(tunnel)

    def withdraw(self, connection: str, tunnel: str, prefix: str | IPNetwork) -> list[PropagationResult]:
        """The customer gateway withdraws ``prefix`` on ``tunnel``."""
        conn = self._conn(connection)
        self._tunnel(conn, tunnel)
        net = parse_cidr(prefix, field="prefix", what=f"VPN connection {connection}, {tunnel}")
        conn.advertised[tunnel].pop(net, None)
        return self.propagate()

    def add_static_route(self, connection: str, prefix: str | IPNetwork) -> list[PropagationResult]:
        """``CreateVpnConnectionRoute`` on a static connection."""
        conn = self._conn(connection)
        what = f"VPN connection {connection}"
        if conn.routing is not VpnRouting.STATIC:
            raise ConfigError(f"{what}: field routing is bgp: a BGP connection cannot have static routes "
                              "(https://docs.aws.amazon.com/vpn/latest/s2svpn/your-cgw.html)")
        net = parse_cidr(prefix, field="prefix", what=what)
        self._ipv4_only(net, what, "prefix")
        if net not in conn.static_prefixes:
            if len(conn.static_prefixes) >= MAX_CGW_DYNAMIC_ROUTES_TO_VGW:
                raise ConfigError(f"{what}: field prefix {net}: at most 100 static routes per VPN "
                                  f"connection to a VGW ({ROUTING_RULES['VGW-CGW-DYNAMIC-LIMIT'].url})")
            conn.static_prefixes.append(net)
        return self.propagate()

    def add_direct_connect_route(self, vif: str, prefix: str | IPNetwork, *,
                                 as_path: Sequence[int] = (), med: int = 0) -> list[PropagationResult]:
        """A prefix learned by BGP over a Direct Connect private virtual interface ``vif``."""
        net = parse_cidr(prefix, field="prefix", what=f"Direct Connect {vif}")
        self._dx.setdefault(vif, {})[net] = (tuple(as_path), med)
        return self.propagate()

    def remove_direct_connect_route(self, vif: str, prefix: str | IPNetwork) -> list[PropagationResult]:
        """Direct Connect stops advertising ``prefix`` on ``vif``."""
        net = parse_cidr(prefix, field="prefix", what=f"Direct Connect {vif}")
        self._dx.get(vif, {}).pop(net, None)
        return self.propagate()

    # -- what the gateway knows -------------------------------------------------------------------
    def paths(self) -> tuple[Path, ...]:
        """Every usable path: VPN static routes on UP tunnels, BGP routes on UP tunnels, Direct
        Connect routes, and the attached VPC's CIDRs."""
        out: list[Path] = []
        for vif, prefixes in self._dx.items():
            for net, (as_path, med) in prefixes.items():
                out.append(Path(net, Source.DX_BGP, vif, "", as_path, med))
        for conn in self._connections.values():
            for tunnel, state in conn.tunnels.items():
                if state is not TunnelState.UP:
                    continue
                if conn.routing is VpnRouting.STATIC:
                    out.extend(Path(net, Source.VPN_STATIC, conn.id, tunnel) for net in conn.static_prefixes)
                else:
                    for net, (as_path, med) in conn.advertised[tunnel].items():
                        out.append(Path(net, Source.VPN_BGP, conn.id, tunnel, as_path, med))
        if self.vpc is not None:
            out.extend(Path(net, Source.VPC, self.vpc.id) for net in self.vpc.cidrs)
        return tuple(out)

    def select(self, destination: str | IPAddress) -> PathChoice:
        """The VGW's path to ``destination`` (aws-facts §2.3, then §2.4 for the tunnel), with the steps.

        The attached VPC's CIDR is a path too (rule VGW-FORWARDS-KNOWN): traffic from a site to the VPC
        goes there.
        """
        ip = parse_ip(destination, field="destination", what=f"virtual private gateway {self.id}")
        matched = tuple(p for p in self.paths() if p.prefix.version == ip.version and ip in p.prefix)
        return self._decide(ip, matched)

    def best_path_for_prefix(self, prefix: str | IPNetwork) -> PathChoice:
        """The path the gateway uses for exactly ``prefix`` (what it re-advertises for it), with the
        steps; ``destination`` in the answer is the prefix's network address."""
        net = parse_cidr(prefix, field="prefix", what=f"virtual private gateway {self.id}")
        matched = tuple(p for p in self.paths() if p.prefix == net)
        return self._decide(net.network_address, matched)

    def _decide(self, ip: IPAddress, matched: tuple[Path, ...]) -> PathChoice:
        steps: list[Step] = []
        if not matched:
            steps.append(Step("VGW-FORWARDS-KNOWN", f"no BGP, static or VPC prefix contains {ip}: the VGW "
                              "forwards only to prefixes it knows", (), ()))
            return PathChoice(self.id, ip, None, (), tuple(steps))
        steps.append(Step("MATCH", f"{len(matched)} path(s) contain {ip}", matched, ()))
        cands = matched

        best = max(p.prefix.prefixlen for p in cands)
        kept, gone = _split(cands, lambda p: p.prefix.prefixlen == best)
        if gone:
            steps.append(Step("VGW-PATH-LPM", f"longest prefix match: /{best}", kept, gone))
        cands = kept

        if any(p.source is Source.VPC for p in cands):
            kept, gone = _split(cands, lambda p: p.source is Source.VPC)
            steps.append(Step("VGW-FORWARDS-KNOWN", "the prefix is the attached VPC's CIDR", kept, gone))
            return PathChoice(self.id, ip, kept[0], matched, tuple(steps))

        order = (Source.DX_BGP, Source.VPN_STATIC, Source.VPN_BGP)
        best_source = order[min(order.index(p.source) for p in cands)]
        kept, gone = _split(cands, lambda p: p.source is best_source)
        if gone:
            steps.append(Step("VGW-PATH-SOURCE", "same prefix: Direct Connect BGP, then VPN static, then "
                              f"VPN BGP: {best_source.value} wins", kept, gone))
        cands = kept

        if best_source in (Source.DX_BGP, Source.VPN_BGP) and len(cands) > 1:
            shortest = min(len(p.as_path) for p in cands)
            kept, gone = _split(cands, lambda p: len(p.as_path) == shortest)
            if gone:
                steps.append(Step("VGW-PATH-ASPATH", f"shortest AS_PATH ({shortest} AS)", kept, gone))
            cands = kept
            if len(cands) > 1:
                groups: dict[int | None, list[Path]] = {}
                for p in cands:
                    groups.setdefault(p.as_path[0] if p.as_path else None, []).append(p)
                kept_l = [p for g in groups.values() for p in g if p.med == min(q.med for q in g)]
                kept = tuple(p for p in cands if p in kept_l)
                gone = tuple(p for p in cands if p not in kept_l)
                if gone:
                    text = "same AS_PATH length and same first AS: lowest MED"
                    if len(groups) > 1:
                        text += " (compared only between paths with the same first AS)"
                    steps.append(Step("VGW-PATH-MED", text, kept, gone))
                elif len(groups) > 1:
                    steps.append(Step("VGW-PATH-MED", "first AS differs between the paths: MEDs are not "
                                      "compared", cands, ()))
                cands = kept

        chosen = self._pick_tunnel(cands, steps)
        return PathChoice(self.id, ip, chosen, matched, tuple(steps))

    def _pick_tunnel(self, cands: tuple[Path, ...], steps: list[Step]) -> Path:
        if len(cands) == 1:
            return cands[0]
        keys = [(p.connection, p.tunnel) for p in cands]
        remembered = self._chosen.get(frozenset(keys))
        if remembered not in keys and self.preferred_tunnel in keys:
            remembered = self.preferred_tunnel
        if remembered in keys:
            chosen = cands[keys.index(remembered)]
            text = (f"equal paths: AWS uses one egress tunnel, {chosen.connection}/{chosen.tunnel}, for them "
                    "all, across the gateway's VPN connections; AWS chose it and you cannot configure it")
        else:
            chosen = cands[random_int(self.rng, 0, len(cands) - 1)]
            text = (f"equal paths: AWS picks one egress tunnel across the gateway's VPN connections and you "
                    f"cannot configure which; it picked {chosen.connection}/{chosen.tunnel}")
        key = (chosen.connection, chosen.tunnel)
        self._chosen[frozenset(keys)] = key
        self.preferred_tunnel = key
        steps.append(Step("VGW-ONE-TUNNEL", text, (chosen,), tuple(p for p in cands if p is not chosen)))
        return chosen

    def advertised_med(self, connection: str, *, maintenance_on: str | None = None) -> dict[str, int]:
        """The MED AWS sends to the customer gateway on each tunnel of ``connection``.

        Outside maintenance both tunnels carry the same MED (this model uses 100); while one tunnel's
        endpoint is being updated, AWS sets a *lower* MED on the other one (rule VGW-TUNNEL-MAINT-MED),
        so a customer gateway with equal Weight and Local Preference on both tunnels moves its traffic.
        The numbers are this model's; AWS documents only which one is lower.
        """
        conn = self._conn(connection)
        if maintenance_on is not None:
            self._tunnel(conn, maintenance_on)
        return {t: (100 if maintenance_on is None or t == maintenance_on else 50) for t in conn.tunnels}

    # -- propagation ------------------------------------------------------------------------------
    def propagated_routes(self) -> list[Route]:
        """The routes this gateway propagates: one per (prefix, source) it can use now."""
        seen: dict[tuple[IPNetwork, Source], list[str]] = {}
        for p in self.paths():
            if p.source is Source.VPC:
                continue
            conns = seen.setdefault((p.prefix, p.source), [])
            if p.connection not in conns:
                conns.append(p.connection)
        target = Target(TargetKind.VIRTUAL_PRIVATE_GATEWAY, self.id)
        return [Route(net, target, Origin.PROPAGATED, source, via=",".join(conns))
                for (net, source), conns in seen.items()]

    def propagate(self) -> list[PropagationResult]:
        """Bring every propagating route table up to date; one result per table."""
        return [self._propagate_one(t) for t in self._tables]

    def _propagate_one(self, table: RouteTable) -> PropagationResult:
        wanted = self.propagated_routes()
        mine = [r for r in table.propagated_routes if r.target.id == self.id]
        withdrawn = tuple(r for r in mine if r not in wanted)
        table.remove_route_if(lambda r: r in withdrawn)
        present = set(table.propagated_routes)
        prefixes = {r.destination for r in table.propagated_routes}
        added: list[Route] = []
        rejected: list[IPNetwork] = []
        for route in sorted(wanted, key=lambda r: (r.destination.version, r.destination.network_address,
                                                   r.destination.prefixlen,
                                                   PROPAGATED_SOURCES.index(r.source))):
            if route in present:
                continue
            if route.destination not in prefixes and len(prefixes) >= MAX_PROPAGATED_ROUTES_PER_TABLE:
                if route.destination not in rejected:
                    rejected.append(route.destination)
                continue
            table.add_route(route)
            prefixes.add(route.destination)
            added.append(route)
        return PropagationResult(table.id, tuple(added), withdrawn, tuple(rejected))


def describe_limit() -> str:
    """The propagated-route quota as one sentence, with its source."""
    return (f"A VPC route table holds at most {MAX_PROPAGATED_ROUTES_PER_TABLE} propagated routes; the "
            "quota is not adjustable, so advertise a default route if you need more "
            f"({ROUTING_RULES['VPC-PROP-LIMIT'].url}).")

