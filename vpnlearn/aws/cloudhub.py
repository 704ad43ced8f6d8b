"""AWS VPN CloudHub: branch sites talking to each other through one virtual private gateway.

CloudHub (aws-facts §4, https://docs.aws.amazon.com/vpn/latest/s2svpn/VPN_CloudHub.html) is a hub and
spokes: a single virtual private gateway (the hub), one customer gateway per site (a spoke), each
with a **unique BGP ASN** and a **dynamically routed** VPN connection; each site advertises its own,
**non-overlapping** prefixes and the gateway **re-advertises** them to every BGP peer.

Why the ASNs must differ: the hub re-advertises site B's prefix to site A with AS_PATH
``<hub ASN> <B's ASN>``. A BGP router drops any route whose AS_PATH already holds its own ASN (loop
prevention, RFC 4271 §9.1.2), so if A and B shared an ASN, A would drop every route to B.
:meth:`CloudHub.received_routes` shows exactly that when the hub is built with ``strict=False``.

:meth:`CloudHub.path` answers "a packet from site A to this address: which spoke does it leave the
hub toward, and with what AS_PATH did A learn the route?", with the steps (site A's own lookup,
then the gateway's path selection from :mod:`vpnlearn.aws.routing`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vpnlearn.aws.network import ROUTING_RULES, VPC, IPAddress, IPNetwork, Source, parse_cidr, parse_ip
from vpnlearn.aws.routing import PathChoice, Step, VgwRouter, _explain
from vpnlearn.aws.rules import CGW_RESERVED_ASNS, URL_CGW_OPTIONS
from vpnlearn.errors import ConfigError
from vpnlearn.rand import RandomSource

__all__ = ["CloudHub", "CloudHubPath", "HubRoute", "Site"]


@dataclass(frozen=True)
class Site:
    """A branch: its customer gateway ASN, the prefixes it advertises, its VPN connection on the hub."""

    name: str
    asn: int
    prefixes: tuple[IPNetwork, ...]
    connection: str


@dataclass(frozen=True)
class HubRoute:
    """A route the hub advertises to a site: the prefix and the AS_PATH the site receives."""

    prefix: IPNetwork
    as_path: tuple[int, ...]
    origin: str  # the site name, or the VPC id

    def describe(self) -> str:
        """One line: prefix, AS_PATH and the site it came from."""
        return f"{self.prefix} AS_PATH {' '.join(map(str, self.as_path))} (from {self.origin})"


@dataclass(frozen=True)
class CloudHubPath:
    """Where a packet from ``from_site`` to ``destination`` goes.

    ``egress`` is the site the hub sends it to, the attached VPC's id, or None (dropped).
    ``as_path`` is the AS_PATH of the route the source site used (as it received it from the hub).
    """

    from_site: str
    destination: IPAddress
    egress: str | None
    as_path: tuple[int, ...]
    steps: tuple[Step, ...]
    hub_choice: PathChoice | None

    @property
    def delivered(self) -> bool:
        """True when the hub forwards the packet somewhere."""
        return self.egress is not None

    def explain(self) -> str:
        """A printable, numbered account of the path."""
        result = (f"=> leaves the hub toward {self.egress} (site {self.from_site} learned AS_PATH "
                  f"{' '.join(map(str, self.as_path))})" if self.egress else "=> dropped")
        return _explain(f"CloudHub: {self.from_site} -> {self.destination}", self.steps, result)


class CloudHub:
    """A CloudHub: one VGW (hub) and its sites (spokes).

    With ``strict=True`` (the default) a site that breaks a CloudHub rule is refused with a
    :class:`~vpnlearn.errors.ConfigError` naming the field. With ``strict=False`` it is accepted and
    the problem is recorded in :attr:`problems`, so a lesson can show what goes wrong.
    """

    def __init__(self, *, vgw_id: str = "vgw-hub", asn: int = 64512, vpc: VPC | None = None,
                 region: str = "us-east-1", rng: RandomSource | None = None, strict: bool = True) -> None:
        self.vgw = VgwRouter(vgw_id, asn=asn, vpc=vpc, rng=rng)
        self.region = region
        self.sites: dict[str, Site] = {}
        self.strict = strict
        self.problems: list[str] = []

    @property
    def asn(self) -> int:
        """The hub's (virtual private gateway's) ASN."""
        return self.vgw.asn

    def _problem(self, text: str) -> None:
        if self.strict:
            raise ConfigError(text)
        self.problems.append(text)

    def add_site(self, name: str, *, asn: int, prefixes: Iterable[str | IPNetwork],
                 routing: str = "bgp", via: str = "vpn") -> Site:
        """Add a site: a customer gateway with ``asn`` and a BGP VPN connection to the hub, both tunnels
        UP, advertising ``prefixes`` on both. ``via="direct-connect"`` joins the site over Direct Connect
        instead (sites on the same VGW over Direct Connect can take part in CloudHub)."""
        what = f"CloudHub site {name}"
        if not isinstance(name, str) or not name:
            raise ConfigError(f"CloudHub: field name must be a non-empty string, got {name!r}")
        if name in self.sites:
            raise ConfigError(f"{what}: field name is already used")
        if routing != "bgp":
            raise ConfigError(f"{what}: field routing must be 'bgp': CloudHub needs dynamically routed VPN "
                              f"connections ({ROUTING_RULES['CLOUDHUB-ONE-VGW'].url})")
        if not isinstance(asn, int) or isinstance(asn, bool) or not 1 <= asn <= 0xFFFFFFFF:
            raise ConfigError(f"{what}: field asn must be an ASN 1..4294967295, got {asn!r}")
        reserved = CGW_RESERVED_ASNS.get(asn)
        if reserved in ("*", self.region):
            where = "all Regions" if reserved == "*" else reserved
            raise ConfigError(f"{what}: field asn {asn} is reserved for customer gateways in {where} "
                              f"({URL_CGW_OPTIONS})")
        if via not in ("vpn", "direct-connect"):
            raise ConfigError(f"{what}: field via must be 'vpn' or 'direct-connect', got {via!r}")
        if asn == self.asn:
            raise ConfigError(f"{what}: field asn {asn} equals the virtual private gateway's ASN; they must "
                              "differ (https://docs.aws.amazon.com/vpn/latest/s2svpn/SetUpVPNConnections.html)")
        nets = tuple(parse_cidr(p, field=f"prefixes[{i}]", what=what) for i, p in enumerate(prefixes))
        if not nets:
            raise ConfigError(f"{what}: field prefixes is empty: a site advertises its own prefixes")
        for i, a in enumerate(nets):
            for j, b in enumerate(nets[:i]):
                if a.version == b.version and a.overlaps(b):
                    raise ConfigError(f"{what}: field prefixes[{i}] {a} overlaps prefixes[{j}] {b}")
        for other in self.sites.values():
            if other.asn == asn:
                self._problem(
                    f"{what}: field asn {asn} is already used by site {other.name}; each customer gateway "
                    f"needs "
                    f"a unique BGP ASN ({ROUTING_RULES['CLOUDHUB-UNIQUE-ASN'].url}) - otherwise each site "
                    "drops the other's routes, whose AS_PATH holds its own ASN")
            for i, a in enumerate(nets):
                for b in other.prefixes:
                    if a.version == b.version and a.overlaps(b):
                        self._problem(f"{what}: field prefixes[{i}] {a} overlaps site {other.name}'s {b}; "
                                      f"the sites must not have overlapping IP ranges "
                                      f"({ROUTING_RULES['CLOUDHUB-NO-OVERLAP'].url})")
        if self.vgw.vpc is not None:
            for i, a in enumerate(nets):
                for b in self.vgw.vpc.cidrs:
                    if a.version == b.version and a.overlaps(b):
                        self._problem(f"{what}: field prefixes[{i}] {a} overlaps the VPC's CIDR {b}")
        if via == "direct-connect":
            connection = f"dxvif-{name}"
            site = Site(name, asn, nets, connection)
            self.sites[name] = site
            for net in nets:
                self.vgw.add_direct_connect_route(connection, net, as_path=(asn,))
            return site
        connection = f"vpn-{name}"
        self.vgw.add_vpn_connection(connection, routing="bgp", cgw_asn=asn)
        site = Site(name, asn, nets, connection)
        self.sites[name] = site
        for tunnel in ("tunnel1", "tunnel2"):
            self.vgw.set_tunnel_state(connection, tunnel, "UP")
            for net in nets:
                self.vgw.advertise(connection, tunnel, net, as_path=(asn,))
        return site

    def _site(self, name: str) -> Site:
        if name not in self.sites:
            raise ConfigError(f"CloudHub: field site {name!r} is not a site of this hub "
                              f"({sorted(self.sites)})")
        return self.sites[name]

    def set_tunnel_state(self, site: str, tunnel: str, state: str) -> None:
        """Bring one of a site's tunnels UP or DOWN (its BGP session goes with it)."""
        s = self._site(site)
        if s.connection.startswith("dxvif-"):
            raise ConfigError(f"CloudHub site {site}: field tunnel: the site is on Direct Connect, not a VPN")
        self.vgw.set_tunnel_state(s.connection, tunnel, state)

    def _site_of_connection(self, connection: str) -> str:
        for s in self.sites.values():
            if s.connection == connection:
                return s.name
        return connection

    def advertised_to(self, site: str) -> tuple[HubRoute, ...]:
        """What the hub re-advertises to ``site``: the best path for every prefix it knows, with its own
        ASN prepended (rule CLOUDHUB-READVERTISE), plus the attached VPC's CIDRs."""
        self._site(site)
        out: list[HubRoute] = []
        prefixes: list[IPNetwork] = []
        for p in self.vgw.paths():
            if p.prefix not in prefixes:
                prefixes.append(p.prefix)
        for net in prefixes:
            path = self.vgw.best_path_for_prefix(net).path
            if path is None:
                continue
            if path.source is Source.VPC:
                out.append(HubRoute(net, (self.asn,), path.connection))
            else:
                out.append(HubRoute(net, (self.asn, *path.as_path),
                                    self._site_of_connection(path.connection)))
        return tuple(out)

    def received_routes(self, site: str) -> tuple[tuple[HubRoute, ...], tuple[HubRoute, ...]]:
        """``(accepted, dropped)``: what ``site``'s router keeps of :meth:`advertised_to`. It drops its own
        prefixes and any route whose AS_PATH already contains its ASN (BGP loop prevention)."""
        me = self._site(site)
        accepted, dropped = [], []
        for route in self.advertised_to(site):
            (dropped if me.asn in route.as_path else accepted).append(route)
        return tuple(accepted), tuple(dropped)

    def path(self, from_site: str, destination: str | IPAddress) -> CloudHubPath:
        """A packet from ``from_site`` to ``destination``: site A's lookup, then the hub's choice."""
        me = self._site(from_site)
        ip = parse_ip(destination, field="destination", what=f"CloudHub path from {from_site}")
        steps: list[Step] = []
        if any(ip.version == n.version and ip in n for n in me.prefixes):
            steps.append(Step("CLOUDHUB-READVERTISE", f"{ip} is inside site {from_site} itself: it never "
                              "reaches the hub"))
            return CloudHubPath(from_site, ip, None, (), tuple(steps), None)
        accepted, dropped = self.received_routes(from_site)
        matching = [r for r in accepted if r.prefix.version == ip.version and ip in r.prefix]
        lost = [r for r in dropped if r.prefix.version == ip.version and ip in r.prefix]
        if not matching:
            text = f"site {from_site} has no route from the hub for {ip}"
            if lost:
                text += (f"; it dropped {lost[0].describe()} because the AS_PATH holds its own ASN "
                         f"{me.asn} (rule CLOUDHUB-UNIQUE-ASN)")
            rule = "CLOUDHUB-UNIQUE-ASN" if lost else "CLOUDHUB-READVERTISE"
            steps.append(Step(rule, text, (), tuple(lost)))
            return CloudHubPath(from_site, ip, None, (), tuple(steps), None)
        used = max(matching, key=lambda r: r.prefix.prefixlen)
        steps.append(Step("CLOUDHUB-READVERTISE", f"site {from_site} learned {used.prefix} from the hub with "
                          f"AS_PATH {' '.join(map(str, used.as_path))} and sends the packet into its tunnel",
                          (used,)))
        choice = self.vgw.select(ip)
        steps.extend(choice.steps)
        if choice.path is None:
            return CloudHubPath(from_site, ip, None, used.as_path, tuple(steps), choice)
        if choice.path.source is Source.VPC:
            egress = choice.path.connection
        else:
            egress = self._site_of_connection(choice.path.connection)
        return CloudHubPath(from_site, ip, egress, used.as_path, tuple(steps), choice)
