"""A software VPN appliance on EC2 (aws-facts §5): routes to its network interface, the
source/destination check, and a two-instance HA pair with a monitor that moves the routes.

AWS does not provide or maintain such appliances; their high availability is **your** job: several
VPN instances plus a monitoring instance that reroutes the affected subnets' traffic to a working
instance (rule ``APPLIANCE-HA``, https://docs.aws.amazon.com/whitepapers/latest/aws-vpc-connectivity-
options/appendix-a-high-level-ha-architecture-for-software-vpn-instances.html). AWS recommends routing
each Availability Zone's subnets through the VPN instance in the same AZ.

An instance's source/destination check is **on** by default: the instance must be the source or the
destination of all traffic it sends or receives. It must be turned **off** on an instance that routes
other hosts' traffic (rule ``EC2-SRC-DST-CHECK``,
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html).

Everything is a result a notebook can show: :meth:`SoftwareVpn.send` returns a :class:`Delivery` (where
the packet went, where and why it was dropped), :meth:`Monitor.poll` returns :class:`MonitorEvent` s.
Time is passed in (seconds); nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from vpnlearn.aws.network import (
    ROUTING_RULES,
    VPC,
    IPAddress,
    IPNetwork,
    Origin,
    RouteTable,
    Target,
    TargetKind,
    parse_cidr,
    parse_ip,
)
from vpnlearn.aws.routing import Lookup
from vpnlearn.errors import ConfigError

__all__ = ["Delivery", "Instance", "Monitor", "MonitorEvent", "SoftwareVpn"]


@dataclass
class Instance:
    """An EC2 instance running VPN software. ``eni`` is its primary network interface id.

    ``running`` is the EC2 state; ``vpn_up`` is whether its VPN tunnel to the remote site is up
    (the software can fail while the instance runs).
    """

    id: str
    eni: str
    subnet_id: str
    az: str
    private_ip: IPAddress
    source_dest_check: bool = True
    running: bool = True
    vpn_up: bool = True

    @property
    def healthy(self) -> bool:
        """Running and its VPN up: what the monitor's health check sees."""
        return self.running and self.vpn_up


@dataclass(frozen=True)
class Delivery:
    """What happened to one packet.

    ``delivered`` is True when it reached its destination (inside the VPC, or at the remote site over the
    appliance's tunnel). ``hops`` lists where it went; ``dropped_at`` and ``reason`` say where and why it
    stopped; ``rule_id`` names the rule (a key of ``ROUTING_RULES``) behind the drop, if any.
    """

    source: IPAddress
    destination: IPAddress
    delivered: bool
    hops: tuple[str, ...]
    reason: str
    dropped_at: str | None = None
    rule_id: str = ""
    lookup: Lookup | None = None

    @property
    def url(self) -> str:
        """The AWS documentation page of ``rule_id`` (empty if none)."""
        rule = ROUTING_RULES.get(self.rule_id)
        return rule.url if rule else ""


@dataclass(frozen=True)
class MonitorEvent:
    """Something the monitor saw or did at time ``time`` (seconds)."""

    time: float
    kind: str  # "check-failed", "failover", "recovered", "monitor-down"
    instance: str
    detail: str
    moved: tuple[str, ...] = ()  # route tables whose routes were moved


class SoftwareVpn:
    """A VPC whose traffic to ``remote_prefixes`` goes through VPN appliances on EC2.

    >>> vpc = VPC("vpc-a", ["10.0.0.0/16"])
    >>> _ = vpc.add_subnet("subnet-a", "10.0.1.0/24", az="us-east-1a")
    >>> vpn = SoftwareVpn(vpc, ["192.168.0.0/16"])
    >>> vpn1 = vpn.add_instance("i-vpn1", "subnet-a", "10.0.1.10")
    >>> vpn.route_via(vpc.main_route_table, vpn1)
    >>> vpn.send("subnet-a", "10.0.1.5", "192.168.1.1").reason
    'dropped by the source/destination check of i-vpn1: it is on, and i-vpn1 is not 192.168.1.1'
    >>> vpn1.source_dest_check = False
    >>> vpn.send("subnet-a", "10.0.1.5", "192.168.1.1").delivered
    True
    """

    def __init__(self, vpc: VPC, remote_prefixes: Iterable[str | IPNetwork]) -> None:
        self.vpc = vpc
        self.remote_prefixes: tuple[IPNetwork, ...] = tuple(
            parse_cidr(p, field=f"remote_prefixes[{i}]", what="software VPN")
            for i, p in enumerate(remote_prefixes))
        if not self.remote_prefixes:
            raise ConfigError("software VPN: field remote_prefixes is empty")
        self.instances: dict[str, Instance] = {}

    def add_instance(self, id: str, subnet_id: str, private_ip: str | IPAddress, *,
                     source_dest_check: bool = True) -> Instance:
        """Launch a VPN instance in ``subnet_id``. The source/destination check starts **on**, as in EC2."""
        what = f"instance {id}"
        if id in self.instances:
            raise ConfigError(f"{what}: field id is already used")
        if subnet_id not in self.vpc.subnets:
            raise ConfigError(f"{what}: field subnet_id {subnet_id!r} is not a subnet of {self.vpc.id}")
        subnet = self.vpc.subnets[subnet_id]
        ip = parse_ip(private_ip, field="private_ip", what=what)
        if ip.version != subnet.cidr.version or ip not in subnet.cidr:
            raise ConfigError(f"{what}: field private_ip {ip} is not inside subnet {subnet_id} "
                              f"({subnet.cidr})")
        inst = Instance(id, f"eni-{id.removeprefix('i-')}", subnet_id, subnet.az, ip, source_dest_check)
        self.instances[id] = inst
        return inst

    def instance_by_eni(self, eni: str) -> Instance | None:
        """The instance with this network interface (or instance) id, or None."""
        for inst in self.instances.values():
            if inst.eni == eni or inst.id == eni:
                return inst
        return None

    def route_via(self, table: RouteTable, instance: Instance) -> None:
        """Point ``table``'s routes for every remote prefix at ``instance``'s network interface (a static
        route, which wins over an identical propagated route, rule VPC-RT-STATIC). Replaces an existing
        static route to the same prefix (``ReplaceRoute``)."""
        target = Target(TargetKind.NETWORK_INTERFACE, instance.eni)
        for net in self.remote_prefixes:
            table.remove_route(net, origin=Origin.STATIC)
            table.add(net, target)

    def route_target(self, table: RouteTable, prefix: str | IPNetwork) -> str | None:
        """The instance the table's static route for ``prefix`` points at, or None."""
        net = parse_cidr(prefix, field="prefix", what=f"route table {table.id}")
        for r in table.routes:
            if r.destination == net and r.origin is Origin.STATIC:
                inst = self.instance_by_eni(r.target.id)
                return inst.id if inst else r.target.id
        return None

    def _remote(self, ip: IPAddress) -> bool:
        return any(ip.version == n.version and ip in n for n in self.remote_prefixes)

    def send(self, subnet_id: str, source: str | IPAddress, destination: str | IPAddress) -> Delivery:
        """A packet from a host in ``subnet_id`` to ``destination``: follow the subnet's route table and,
        if it targets an appliance, the appliance's checks."""
        src = parse_ip(source, field="source", what="packet")
        dst = parse_ip(destination, field="destination", what="packet")
        table = self.vpc.route_table_for(subnet_id)
        lk = table.lookup(dst)
        hops = [f"subnet {subnet_id}", f"route table {table.id}"]
        if lk.route is None:
            return Delivery(src, dst, False, tuple(hops), f"no route for {dst} in {table.id}", table.id,
                            "NO-ROUTE", lk)
        target = lk.route.target
        if target.kind is TargetKind.LOCAL:
            hops.append("local")
            if self.vpc.contains(dst):
                return Delivery(src, dst, True, tuple(hops), "delivered inside the VPC (local route)", None,
                                "", lk)
        if target.kind not in (TargetKind.NETWORK_INTERFACE, TargetKind.INSTANCE):
            hops.append(target.id)
            return Delivery(src, dst, False, tuple(hops), f"left toward {target.id}, not an appliance",
                            target.id, lk.decided_by, lk)
        inst = self.instance_by_eni(target.id)
        if inst is None:
            return Delivery(src, dst, False, tuple(hops), f"the route's target {target.id} does not exist "
                            "(blackhole)", target.id, "APPLIANCE-HA", lk)
        hops.append(f"{inst.id} ({inst.eni})")
        return self._through(inst, src, dst, hops, lk, outbound=True)

    def receive_from_remote(self, instance: str, source: str | IPAddress,
                            destination: str | IPAddress) -> Delivery:
        """A packet from the remote site, decrypted by ``instance``, going to a host in the VPC."""
        if instance not in self.instances:
            raise ConfigError(f"software VPN: field instance {instance!r} is not a VPN instance")
        src = parse_ip(source, field="source", what="packet")
        dst = parse_ip(destination, field="destination", what="packet")
        inst = self.instances[instance]
        return self._through(inst, src, dst, ["remote site", f"tunnel to {inst.id}"], None, outbound=False)

    def _through(self, inst: Instance, src: IPAddress, dst: IPAddress, hops: list[str], lk: Lookup | None,
                 *, outbound: bool) -> Delivery:
        if not inst.running:
            return Delivery(src, dst, False, tuple(hops), f"{inst.id} is stopped: the route to {inst.eni} "
                            "is a blackhole until something moves it", inst.id, "APPLIANCE-HA", lk)
        if not inst.vpn_up:
            return Delivery(src, dst, False, tuple(hops), f"{inst.id} runs but its VPN tunnel is down",
                            inst.id, "APPLIANCE-HA", lk)
        # The check: the instance must be the source or destination of everything it sends or receives.
        if inst.source_dest_check and inst.private_ip not in (src, dst):
            other = dst if outbound else src
            return Delivery(src, dst, False, tuple(hops),
                            f"dropped by the source/destination check of {inst.id}: it is on, and {inst.id} "
                            f"is not {other}", inst.id, "EC2-SRC-DST-CHECK", lk)
        if outbound:
            if not self._remote(dst):
                return Delivery(src, dst, False, tuple(hops), f"{dst} is not a remote prefix of the tunnel",
                                inst.id, "", lk)
            hops.append("remote site")
            return Delivery(src, dst, True, tuple(hops),
                            f"sent through {inst.id}'s tunnel to the remote site", None, "", lk)
        if not self.vpc.contains(dst):
            return Delivery(src, dst, False, tuple(hops), f"{dst} is not in {self.vpc.id}", inst.id, "", lk)
        hops.append(f"host {dst}")
        return Delivery(src, dst, True, tuple(hops), f"forwarded by {inst.id} into the VPC", None, "", lk)


@dataclass
class Monitor:
    """The monitoring instance of an HA pair (or of one appliance per AZ).

    ``assignments`` maps a route table id to the instance whose network interface it normally uses.
    :meth:`poll` (call it every ``interval`` seconds with the current time) checks each assigned
    instance; after ``failures_before_failover`` failed checks in a row it moves the table's routes to
    a healthy instance, preferring one in the same Availability Zone. When the failed instance is
    healthy again the routes move back. A stopped monitor (``running=False``) does nothing: the routes
    keep pointing at a dead instance.

    Event details: ``health check k/N failed`` up to the threshold N; after that (the instance keeps
    failing) they say how many checks failed in a row and where its routes are now (already moved, or
    still on it because no healthy spare exists). A ``recovered`` event says which tables moved back
    from which instance, or that the routes never moved.
    """

    vpn: SoftwareVpn
    assignments: dict[str, str]
    failures_before_failover: int = 3
    running: bool = True
    events: list[MonitorEvent] = field(default_factory=list)
    _failures: dict[str, int] = field(default_factory=dict)
    _current: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.failures_before_failover < 1:
            raise ConfigError(f"monitor: field failures_before_failover must be >= 1, "
                              f"got {self.failures_before_failover}")
        for table_id, inst in self.assignments.items():
            if table_id not in self.vpn.vpc.route_tables:
                raise ConfigError(f"monitor: field assignments: {table_id!r} is not a route table of "
                                  f"{self.vpn.vpc.id}")
            if inst not in self.vpn.instances:
                raise ConfigError(f"monitor: field assignments[{table_id!r}]: {inst!r} is not a VPN instance")
            self.vpn.route_via(self.vpn.vpc.route_tables[table_id], self.vpn.instances[inst])
            self._current[table_id] = inst

    def current(self, table_id: str) -> str:
        """The instance ``table_id``'s routes point at now."""
        return self._current[table_id]

    def _spare(self, failed: Instance) -> Instance | None:
        healthy = [i for i in self.vpn.instances.values() if i.healthy and i.id != failed.id]
        same_az = [i for i in healthy if i.az == failed.az]
        return (same_az or healthy or [None])[0]

    def poll(self, now: float) -> list[MonitorEvent]:
        """One round of health checks at time ``now``; returns (and records) what happened."""
        out: list[MonitorEvent] = []
        if not self.running:
            out.append(MonitorEvent(now, "monitor-down", "", "the monitor is not running: no checks, no "
                                    "failover (rule APPLIANCE-HA)"))
            self.events.extend(out)
            return out
        threshold = self.failures_before_failover
        for inst_id in sorted(set(self.assignments.values()) | set(self._current.values())):
            inst = self.vpn.instances[inst_id]
            if inst.healthy:
                failed_before = self._failures.get(inst_id, 0)
                self._failures[inst_id] = 0
                back = [t for t, home in self.assignments.items()
                        if home == inst_id and self._current[t] != inst_id]
                if back:
                    moves = []
                    for t in back:
                        moves.append(f"{t} from {self._current[t]}")
                        self.vpn.route_via(self.vpn.vpc.route_tables[t], inst)
                        self._current[t] = inst_id
                    out.append(MonitorEvent(now, "recovered", inst_id, f"{inst_id} is healthy again: routes "
                                            f"moved back to it ({', '.join(moves)})", tuple(back)))
                elif failed_before:
                    # It failed some checks but its routes never left it (below the threshold, or no
                    # healthy spare): say so, so a learner does not wait for a "move back".
                    why = (f"below the threshold of {threshold}" if failed_before < threshold
                           else "no healthy instance was there to take them")
                    out.append(MonitorEvent(now, "recovered", inst_id, f"{inst_id} is healthy again after "
                                            f"{failed_before} failed check(s): its routes never moved "
                                            f"({why})"))
                continue
            self._failures[inst_id] = self._failures.get(inst_id, 0) + 1
            count = self._failures[inst_id]
            tables = [t for t, cur in self._current.items() if cur == inst_id]
            if count <= threshold:
                detail = f"health check {count}/{threshold} failed"
            else:
                # Past the threshold: the counter keeps counting failures in a row, but "4/3" would be
                # false; say where its routes are now.
                detail = f"health check failed again ({count} in a row, threshold {threshold})"
                away = [f"{t} -> {self._current[t]}" for t, home in self.assignments.items()
                        if home == inst_id and self._current[t] != inst_id]
                if not tables:
                    detail += ("; its routes already moved (" + ", ".join(away) + ")" if away
                               else "; no route table uses it")
                    detail += ", they move back when it is healthy"
            if count < threshold:
                out.append(MonitorEvent(now, "check-failed", inst_id, detail))
                continue
            spare = self._spare(inst) if tables else None
            if tables and spare is None:
                detail += (f"; no healthy instance to fail over to: {', '.join(tables)} still point at "
                           f"{inst_id}")
            out.append(MonitorEvent(now, "check-failed", inst_id, detail))
            if spare is None:
                continue
            for t in tables:
                self.vpn.route_via(self.vpn.vpc.route_tables[t], spare)
                self._current[t] = spare.id
            out.append(MonitorEvent(now, "failover", inst_id, f"routes moved from {inst_id} to {spare.id}",
                                    tuple(tables)))
        self.events.extend(out)
        return out
