"""A transit gateway's route evaluation and ECMP across VPN tunnels, to contrast with the VGW.

A transit gateway (TGW) is a regional router with attachments (VPCs, VPN connections, Direct Connect
gateways, Connect, peering). Its route table decides, for a destination (aws-facts §2.5,
https://docs.aws.amazon.com/vpc/latest/tgw/how-transit-gateways-work.html):

1. the most specific route (rule ``TGW-ORDER``);
2. for the same CIDR: static, then prefix-list-referenced, then VPC-propagated, then Direct Connect
   gateway-propagated, then Connect-propagated, then private-IP VPN-propagated, then Site-to-Site
   VPN-propagated routes (the tail of AWS's list after VPN is UNCONFIRMED on the fact sheet; peering
   attachments carry only static routes here);
3. among VPN BGP routes: shortest AS_PATH, then lowest MED — a model choice carried over from the VGW
   (§2.3) and Cloud WAN (§2.5) orders, since the fact sheet does not spell it out for TGW;
4. what remains is used with **ECMP** across every tunnel when ``vpn_ecmp_support`` is on (the
   default) and the routes are dynamic (BGP); ECMP is not supported with static routing
   (rule ``TGW-ECMP``, https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-limits.html). Without ECMP
   one tunnel is used, picked by AWS.

VPN static routes live in the TGW route table, not on the VPN connection
(https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-edit-static-routes.html).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from vpnlearn.aws.network import VPC, IPAddress, IPNetwork, PrefixList, parse_cidr, parse_ip
from vpnlearn.aws.routing import Step, TunnelState, VpnRouting, _explain, _split
from vpnlearn.aws.rules import in_amazon_asn_range
from vpnlearn.errors import ConfigError
from vpnlearn.rand import RandomSource, random_int

__all__ = ["AttachmentType", "TgwAttachment", "TgwLookup", "TgwRoute", "TransitGateway"]

MAX_CGW_DYNAMIC_ROUTES_TO_TGW = 1000
"""Dynamic routes a customer gateway may advertise to a TGW (https://docs.aws.amazon.com/vpn/latest/s2svpn/
vpn-limits.html), against 100 to a VGW."""


class AttachmentType(str, Enum):
    """What a transit gateway attachment connects."""
    VPC = "vpc"
    VPN = "vpn"
    DX_GATEWAY = "direct-connect-gateway"
    CONNECT = "connect"
    PRIVATE_IP_VPN = "private-ip-vpn"
    PEERING = "peering"


PROPAGATED_ORDER = (AttachmentType.VPC, AttachmentType.DX_GATEWAY, AttachmentType.CONNECT,
                    AttachmentType.PRIVATE_IP_VPN, AttachmentType.VPN)
"""Propagated-route preference for the same CIDR, most preferred first (rule TGW-ORDER)."""


@dataclass
class TgwAttachment:
    """One attachment. A VPN attachment has two tunnels and a routing type."""

    id: str
    type: AttachmentType
    resource: str
    routing: VpnRouting | None = None
    tunnels: dict[str, TunnelState] = field(default_factory=dict)
    advertised: dict[str, dict[IPNetwork, tuple[tuple[int, ...], int]]] = field(default_factory=dict)
    prefixes: list[IPNetwork] = field(default_factory=list)  # VPC CIDRs, DX gateway / Connect prefixes
    cgw_asn: int | None = None

    def up_tunnels(self) -> list[str]:
        """The tunnels that are UP (VPN attachments)."""
        return [t for t, s in self.tunnels.items() if s is TunnelState.UP]


@dataclass(frozen=True)
class TgwRoute:
    """A TGW route: static (you added it) or propagated from an attachment; ``tunnel`` for VPN BGP."""

    destination: IPNetwork | PrefixList
    attachment: str
    static: bool
    type: AttachmentType
    tunnel: str = ""
    as_path: tuple[int, ...] = ()
    med: int = 0

    def cidrs(self) -> tuple[IPNetwork, ...]:
        """The CIDRs this route covers (one, or every prefix-list entry)."""
        return self.destination.entries if isinstance(self.destination, PrefixList) else (self.destination,)

    def prefixlen_for(self, ip: IPAddress) -> int:
        """Prefix length of the most specific CIDR containing ``ip``, or -1."""
        lens = [n.prefixlen for n in self.cidrs() if n.version == ip.version and ip in n]
        return max(lens) if lens else -1

    @property
    def rank(self) -> int:
        """0 static, 1 prefix list, then PROPAGATED_ORDER."""
        if self.static:
            return 1 if isinstance(self.destination, PrefixList) else 0
        return 2 + PROPAGATED_ORDER.index(self.type)

    def describe(self) -> str:
        """One line: destination, attachment/tunnel, static or propagated, BGP attributes."""
        kind = "static" if self.static else f"propagated from {self.type.value}"
        where = self.attachment + (f"/{self.tunnel}" if self.tunnel else "")
        extra = ""
        if self.as_path or (not self.static and self.type is AttachmentType.VPN and self.tunnel):
            extra = f", AS_PATH {' '.join(map(str, self.as_path)) or '(empty)'}, MED {self.med}"
        return f"{self.destination} -> {where} ({kind}{extra})"


@dataclass(frozen=True)
class TgwLookup:
    """The TGW's answer: the route(s) used, the next hops ``(attachment, tunnel)``, ECMP or not, why."""

    gateway_id: str
    destination: IPAddress
    routes: tuple[TgwRoute, ...]
    next_hops: tuple[tuple[str, str], ...]
    ecmp: bool
    steps: tuple[Step, ...]

    @property
    def decided_by(self) -> str:
        """The rule id of the last step that eliminated a route."""
        for step in reversed(self.steps):
            if step.decisive:
                return step.rule_id
        return self.steps[-1].rule_id if self.steps else "NO-ROUTE"

    def explain(self) -> str:
        """A printable, numbered account of the lookup."""
        if not self.next_hops:
            result = "=> no usable route: the packet is dropped"
        else:
            hops = ", ".join(f"{a}/{t}" if t else a for a, t in self.next_hops)
            result = f"=> {'ECMP over ' if self.ecmp else ''}{hops}"
        return _explain(f"Transit gateway {self.gateway_id}: lookup {self.destination}", self.steps, result)


class TransitGateway:
    """A transit gateway with one route table (default association and propagation on).

    ``vpn_ecmp_support`` is AWS's ``VpnEcmpSupport`` option, enabled by default
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayRequestOptions.html).
    """

    def __init__(self, id: str, *, asn: int = 64512, vpn_ecmp_support: bool = True,
                 rng: RandomSource | None = None) -> None:
        if not isinstance(id, str) or not id.startswith("tgw-"):
            raise ConfigError(f"transit gateway: field id must start with 'tgw-', got {id!r}")
        if not isinstance(asn, int) or not in_amazon_asn_range(asn):
            raise ConfigError(f"transit gateway {id}: field asn {asn!r} must be 64512-65534 or 4200000000-"
                              "4294967294 (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/"
                              "API_TransitGatewayRequestOptions.html)")
        self.id = id
        self.asn = asn
        self.vpn_ecmp_support = vpn_ecmp_support
        self.rng = rng
        self.attachments: dict[str, TgwAttachment] = {}
        self.static_routes: list[TgwRoute] = []
        self._preferred: dict[str, str] = {}  # attachment -> preferred tunnel when there is no ECMP

    def _new(self, att: TgwAttachment) -> TgwAttachment:
        if att.id in self.attachments:
            raise ConfigError(f"transit gateway {self.id}: field attachment id {att.id!r} is already used")
        self.attachments[att.id] = att
        return att

    def _att(self, id: str) -> TgwAttachment:
        if id not in self.attachments:
            raise ConfigError(f"transit gateway {self.id}: field attachment {id!r} is not attached")
        return self.attachments[id]

    def attach_vpc(self, vpc: VPC, id: str | None = None) -> TgwAttachment:
        """Attach a VPC; its CIDRs propagate into the TGW route table."""
        return self._new(TgwAttachment(id or f"tgw-attach-{vpc.id}", AttachmentType.VPC, vpc.id,
                                       prefixes=list(vpc.cidrs)))

    def attach_vpn(self, id: str, *, routing: VpnRouting | str = VpnRouting.BGP, cgw_asn: int | None = None,
                   private_ip: bool = False) -> TgwAttachment:
        """Attach a Site-to-Site VPN connection (two tunnels, DOWN until :meth:`set_tunnel_state`)."""
        try:
            routing = VpnRouting(routing)
        except ValueError:
            raise ConfigError(f"transit gateway {self.id}, attachment {id}: field routing must be "
                              f"'static' or 'bgp', got {routing!r}") from None
        if cgw_asn is not None and cgw_asn == self.asn:
            raise ConfigError(f"transit gateway {self.id}, attachment {id}: field cgw_asn {cgw_asn} equals "
                              "the transit gateway's ASN; they must differ")
        kind = AttachmentType.PRIVATE_IP_VPN if private_ip else AttachmentType.VPN
        return self._new(TgwAttachment(id, kind, id, routing,
                                       {"tunnel1": TunnelState.DOWN, "tunnel2": TunnelState.DOWN},
                                       {"tunnel1": {}, "tunnel2": {}}, cgw_asn=cgw_asn))

    def attach_prefix_source(self, id: str, type: AttachmentType | str,
                             prefixes: Iterable[str | IPNetwork]) -> TgwAttachment:
        """A Direct Connect gateway or Connect attachment that propagates ``prefixes``."""
        type = AttachmentType(type)
        if type not in (AttachmentType.DX_GATEWAY, AttachmentType.CONNECT, AttachmentType.PEERING):
            raise ConfigError(f"transit gateway {self.id}, attachment {id}: field type must be "
                              "direct-connect-gateway, connect or peering")
        nets = [parse_cidr(p, field=f"prefixes[{i}]", what=f"attachment {id}")
                for i, p in enumerate(prefixes)]
        if type is AttachmentType.PEERING:
            nets = []  # peering attachments do not propagate; add static routes
        return self._new(TgwAttachment(id, type, id, prefixes=nets))

    def set_tunnel_state(self, attachment: str, tunnel: str, state: TunnelState | str) -> None:
        """Bring a VPN attachment's tunnel UP or DOWN (BGP routes learned on it go with it)."""
        att = self._att(attachment)
        if tunnel not in att.tunnels:
            raise ConfigError(f"attachment {attachment}: field tunnel {tunnel!r} is not one of "
                              f"{sorted(att.tunnels)}")
        try:
            att.tunnels[tunnel] = TunnelState(state)
        except ValueError:
            raise ConfigError(f"attachment {attachment}: field state must be 'UP' or 'DOWN', "
                              f"got {state!r}") from None
        if att.tunnels[tunnel] is TunnelState.DOWN and self._preferred.get(attachment) == tunnel:
            del self._preferred[attachment]

    def advertise(self, attachment: str, tunnel: str, prefix: str | IPNetwork, *,
                  as_path: Sequence[int] | None = None, med: int = 0) -> None:
        """The customer gateway advertises ``prefix`` by BGP on ``tunnel`` (at most 1,000 routes)."""
        att = self._att(attachment)
        what = f"attachment {attachment}, {tunnel}"
        if att.routing is not VpnRouting.BGP:
            raise ConfigError(f"{what}: field routing is not bgp: only a BGP VPN attachment advertises")
        if tunnel not in att.tunnels:
            raise ConfigError(f"{what}: field tunnel is not one of {sorted(att.tunnels)}")
        net = parse_cidr(prefix, field="prefix", what=what)
        table = att.advertised[tunnel]
        if net not in table and len(table) >= MAX_CGW_DYNAMIC_ROUTES_TO_TGW:
            raise ConfigError(f"{what}: field prefix {net}: at most {MAX_CGW_DYNAMIC_ROUTES_TO_TGW} dynamic "
                              "routes to a transit gateway (https://docs.aws.amazon.com/vpn/latest/s2svpn/"
                              "vpn-limits.html)")
        path = tuple(as_path) if as_path is not None else ((att.cgw_asn,) if att.cgw_asn else ())
        table[net] = (path, med)

    def add_static_route(self, destination: str | IPNetwork | PrefixList, attachment: str) -> TgwRoute:
        """A static route in the TGW route table (where VPN static routes live on a TGW)."""
        att = self._att(attachment)
        if isinstance(destination, str):
            destination = parse_cidr(destination, field="destination", what=f"transit gateway {self.id}")
        for r in self.static_routes:
            if r.destination == destination:
                raise ConfigError(f"transit gateway {self.id}: field destination {destination} already has a "
                                  f"static route to {r.attachment}")
        route = TgwRoute(destination, attachment, True, att.type)
        self.static_routes.append(route)
        return route

    def routes(self) -> tuple[TgwRoute, ...]:
        """Static routes plus what the attachments propagate now (VPN BGP only from UP tunnels)."""
        out = list(self.static_routes)
        for att in self.attachments.values():
            if att.type in (AttachmentType.VPN, AttachmentType.PRIVATE_IP_VPN):
                if att.routing is VpnRouting.BGP:
                    for tunnel in att.up_tunnels():
                        for net, (as_path, med) in att.advertised[tunnel].items():
                            out.append(TgwRoute(net, att.id, False, att.type, tunnel, as_path, med))
            else:
                out.extend(TgwRoute(net, att.id, False, att.type) for net in att.prefixes)
        return tuple(out)

    def lookup(self, destination: str | IPAddress) -> TgwLookup:
        """The TGW's route(s) and next hop(s) for ``destination``, with the steps (see module docstring)."""
        ip = parse_ip(destination, field="destination", what=f"transit gateway {self.id}")
        matched = tuple(r for r in self.routes() if r.prefixlen_for(ip) >= 0)
        steps: list[Step] = []
        if not matched:
            steps.append(Step("NO-ROUTE", f"no route contains {ip}"))
            return TgwLookup(self.id, ip, (), (), False, tuple(steps))
        steps.append(Step("MATCH", f"{len(matched)} route(s) contain {ip}", matched))
        best = max(r.prefixlen_for(ip) for r in matched)
        cands, gone = _split(matched, lambda r: r.prefixlen_for(ip) == best)
        if gone:
            steps.append(Step("TGW-ORDER", f"most specific route first: /{best}", cands, gone))
        rank = min(r.rank for r in cands)
        kept, gone = _split(cands, lambda r: r.rank == rank)
        if gone:
            names = ["static", "prefix list"] + [t.value + "-propagated" for t in PROPAGATED_ORDER]
            steps.append(Step("TGW-ORDER", f"same CIDR: {names[rank]} routes win (static, prefix list, VPC, "
                              "DX gateway, Connect, private-IP VPN, VPN)", kept, gone))
        cands = kept
        bgp = [r for r in cands if not r.static and r.tunnel]
        if bgp and len(bgp) == len(cands):
            shortest = min(len(r.as_path) for r in cands)
            kept, gone = _split(cands, lambda r: len(r.as_path) == shortest)
            if gone:
                steps.append(Step("TGW-BGP", f"shortest AS_PATH ({shortest}) (model choice, see docstring)",
                                  kept, gone))
            cands = kept
            low = min(r.med for r in cands)
            kept, gone = _split(cands, lambda r: r.med == low)
            if gone:
                steps.append(Step("TGW-BGP", f"lowest MED ({low}) (model choice, see docstring)", kept, gone))
            cands = kept
            hops = tuple((r.attachment, r.tunnel) for r in cands)
            if len(hops) > 1 and self.vpn_ecmp_support:
                steps.append(Step("TGW-ECMP", f"VpnEcmpSupport is on and the routes are BGP: traffic is "
                                  f"spread over {len(hops)} tunnels (ECMP)", cands))
                return TgwLookup(self.id, ip, cands, hops, True, tuple(steps))
            if len(hops) > 1:
                chosen = self._pick(cands)
                steps.append(Step("TGW-ECMP", "VpnEcmpSupport is off: one tunnel is used, picked by AWS",
                                  (chosen,), tuple(r for r in cands if r is not chosen)))
                return TgwLookup(self.id, ip, (chosen,), ((chosen.attachment, chosen.tunnel),), False,
                                 tuple(steps))
            return TgwLookup(self.id, ip, cands, hops, False, tuple(steps))

        route = cands[0]
        att = self.attachments[route.attachment]
        if att.type in (AttachmentType.VPN, AttachmentType.PRIVATE_IP_VPN):
            up = att.up_tunnels()
            if not up:
                steps.append(Step("TGW-ECMP", f"{att.id} has no tunnel UP: nothing to send on", (), (route,)))
                return TgwLookup(self.id, ip, (route,), (), False, tuple(steps))
            tunnel = self._preferred.get(att.id)
            if tunnel not in up:
                tunnel = up[random_int(self.rng, 0, len(up) - 1)]
                self._preferred[att.id] = tunnel
            if len(up) > 1:
                steps.append(Step("TGW-ECMP", "static route to a VPN attachment: ECMP is not supported with "
                                  f"static routing; one tunnel ({tunnel}) carries the traffic", (route,)))
            return TgwLookup(self.id, ip, (route,), ((att.id, tunnel),), False, tuple(steps))
        return TgwLookup(self.id, ip, (route,), ((att.id, ""),), False, tuple(steps))

    def _pick(self, cands: tuple[TgwRoute, ...]) -> TgwRoute:
        for r in cands:
            if self._preferred.get(r.attachment) == r.tunnel:
                return r
        chosen = cands[random_int(self.rng, 0, len(cands) - 1)]
        self._preferred[chosen.attachment] = chosen.tunnel
        return chosen
