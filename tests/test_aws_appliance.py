"""Software VPN appliance on EC2 (aws-facts §5): src/dst check, ENI routes, HA pair and monitor failures."""

from __future__ import annotations

import pytest

from vpnlearn.aws.appliance import Monitor, SoftwareVpn
from vpnlearn.aws.network import VPC, Origin, Route, Source, Target, TargetKind, parse_cidr
from vpnlearn.errors import ConfigError

REMOTE = "192.168.1.1"


@pytest.fixture
def net() -> SoftwareVpn:
    vpc = VPC("vpc-a", ["10.0.0.0/16"])
    vpc.add_subnet("app-a", "10.0.1.0/24", az="us-east-1a")
    vpc.add_subnet("app-b", "10.0.2.0/24", az="us-east-1b")
    vpc.add_subnet("vpn-a", "10.0.101.0/24", az="us-east-1a")
    vpc.add_subnet("vpn-b", "10.0.102.0/24", az="us-east-1b")
    vpc.add_route_table("rtb-a")
    vpc.add_route_table("rtb-b")
    vpc.associate("app-a", "rtb-a")
    vpc.associate("app-b", "rtb-b")
    vpn = SoftwareVpn(vpc, ["192.168.0.0/16"])
    vpn.add_instance("i-vpn1", "vpn-a", "10.0.101.10", source_dest_check=False)
    vpn.add_instance("i-vpn2", "vpn-b", "10.0.102.10", source_dest_check=False)
    return vpn


def test_source_dest_check_is_on_by_default() -> None:
    vpc = VPC("vpc-a", ["10.0.0.0/16"])
    vpc.add_subnet("s", "10.0.1.0/24", az="a")
    inst = SoftwareVpn(vpc, ["192.168.0.0/16"]).add_instance("i-1", "s", "10.0.1.9")
    assert inst.source_dest_check is True


def test_route_targets_the_eni_and_traffic_flows_when_check_is_off(net: SoftwareVpn) -> None:
    rt = net.vpc.route_tables["rtb-a"]
    net.route_via(rt, net.instances["i-vpn1"])
    route = rt.lookup(REMOTE).route
    assert route.target == Target(TargetKind.NETWORK_INTERFACE, "eni-vpn1")
    d = net.send("app-a", "10.0.1.5", REMOTE)
    assert d.delivered and d.hops[-1] == "remote site" and "i-vpn1 (eni-vpn1)" in d.hops


def test_check_on_breaks_both_directions(net: SoftwareVpn) -> None:
    inst = net.instances["i-vpn1"]
    inst.source_dest_check = True
    net.route_via(net.vpc.route_tables["rtb-a"], inst)
    out = net.send("app-a", "10.0.1.5", REMOTE)
    assert not out.delivered and out.dropped_at == "i-vpn1" and out.rule_id == "EC2-SRC-DST-CHECK"
    assert "ModifyInstanceAttribute" in out.url
    back = net.receive_from_remote("i-vpn1", REMOTE, "10.0.1.5")
    assert not back.delivered and back.rule_id == "EC2-SRC-DST-CHECK"
    # Traffic to or from the instance itself is not affected by the check.
    assert net.receive_from_remote("i-vpn1", REMOTE, "10.0.101.10").delivered
    inst.source_dest_check = False
    assert net.receive_from_remote("i-vpn1", REMOTE, "10.0.1.5").delivered


def test_static_eni_route_beats_propagated_vgw_route(net: SoftwareVpn) -> None:
    rt = net.vpc.route_tables["rtb-a"]
    rt.add_route(Route(parse_cidr("192.168.0.0/16", field="x"),
                       Target(TargetKind.VIRTUAL_PRIVATE_GATEWAY, "vgw-1"), Origin.PROPAGATED,
                       Source.VPN_BGP))
    net.route_via(rt, net.instances["i-vpn1"])
    assert net.send("app-a", "10.0.1.5", REMOTE).delivered
    assert rt.lookup(REMOTE).decided_by == "VPC-RT-STATIC"


def _ha(net: SoftwareVpn, **kw) -> Monitor:
    # AWS's recommendation: each AZ's subnets through the VPN instance in the same AZ.
    return Monitor(net, {"rtb-a": "i-vpn1", "rtb-b": "i-vpn2"}, **kw)


def test_az_affinity_routes(net: SoftwareVpn) -> None:
    mon = _ha(net)
    assert net.route_target(net.vpc.route_tables["rtb-a"], "192.168.0.0/16") == "i-vpn1"
    assert net.route_target(net.vpc.route_tables["rtb-b"], "192.168.0.0/16") == "i-vpn2"
    assert mon.current("rtb-b") == "i-vpn2"


def test_monitor_moves_routes_after_threshold_and_back(net: SoftwareVpn) -> None:
    mon = _ha(net, failures_before_failover=3)
    net.instances["i-vpn1"].running = False
    broken = net.send("app-a", "10.0.1.5", REMOTE)
    assert not broken.delivered and "blackhole" in broken.reason
    assert [e.kind for e in mon.poll(0)] == ["check-failed"]
    assert [e.kind for e in mon.poll(5)] == ["check-failed"]
    assert not net.send("app-a", "10.0.1.5", REMOTE).delivered  # still before the threshold
    events = mon.poll(10)
    assert [e.kind for e in events] == ["check-failed", "failover"]
    assert events[-1].moved == ("rtb-a",) and events[-1].time == 10
    assert mon.current("rtb-a") == "i-vpn2"
    healed = net.send("app-a", "10.0.1.5", REMOTE)
    assert healed.delivered and "i-vpn2 (eni-vpn2)" in healed.hops
    # Back to the instance in the same AZ once it recovers.
    net.instances["i-vpn1"].running = True
    assert [e.kind for e in mon.poll(15)] == ["recovered"]
    assert mon.current("rtb-a") == "i-vpn1"


def test_vpn_software_failure_is_detected_too(net: SoftwareVpn) -> None:
    mon = _ha(net, failures_before_failover=1)
    net.instances["i-vpn2"].vpn_up = False
    d = net.send("app-b", "10.0.2.5", REMOTE)
    assert not d.delivered and "tunnel is down" in d.reason
    assert [e.kind for e in mon.poll(0)] == ["check-failed", "failover"]
    assert net.send("app-b", "10.0.2.5", REMOTE).delivered


def test_failed_monitor_leaves_traffic_blackholed(net: SoftwareVpn) -> None:
    mon = _ha(net, failures_before_failover=1)
    mon.running = False
    net.instances["i-vpn1"].running = False
    for t in range(5):
        assert [e.kind for e in mon.poll(t)] == ["monitor-down"]
    d = net.send("app-a", "10.0.1.5", REMOTE)
    assert not d.delivered and d.rule_id == "APPLIANCE-HA"
    assert mon.current("rtb-a") == "i-vpn1"


def test_failover_needs_a_healthy_spare(net: SoftwareVpn) -> None:
    mon = _ha(net, failures_before_failover=1)
    net.instances["i-vpn1"].running = False
    net.instances["i-vpn2"].running = False
    kinds = [e.kind for e in mon.poll(0)]
    assert "failover" not in kinds and kinds.count("check-failed") == 2
    assert not net.send("app-a", "10.0.1.5", REMOTE).delivered


def test_spare_without_src_dst_check_off_still_breaks(net: SoftwareVpn) -> None:
    # A common HA mistake: the standby was launched with the default check on.
    net.instances["i-vpn2"].source_dest_check = True
    mon = _ha(net, failures_before_failover=1)
    net.instances["i-vpn1"].running = False
    mon.poll(0)
    d = net.send("app-a", "10.0.1.5", REMOTE)
    assert not d.delivered and d.rule_id == "EC2-SRC-DST-CHECK" and d.dropped_at == "i-vpn2"


def test_local_traffic_never_touches_the_appliance(net: SoftwareVpn) -> None:
    _ha(net)
    d = net.send("app-a", "10.0.1.5", "10.0.2.5")
    assert d.delivered and d.hops[-1] == "local"


def test_bad_input(net: SoftwareVpn) -> None:
    with pytest.raises(ConfigError, match="field private_ip 10.9.0.1 is not inside subnet vpn-a"):
        net.add_instance("i-x", "vpn-a", "10.9.0.1")
    with pytest.raises(ConfigError, match="field subnet_id 'nope'"):
        net.add_instance("i-y", "nope", "10.0.1.1")
    with pytest.raises(ConfigError, match="field assignments"):
        Monitor(net, {"rtb-zzz": "i-vpn1"})
    with pytest.raises(ConfigError, match="field failures_before_failover"):
        Monitor(net, {"rtb-a": "i-vpn1"}, failures_before_failover=0)
    with pytest.raises(ConfigError, match=r"field remote_prefixes\[0\]"):
        SoftwareVpn(net.vpc, ["192.168.0.1/16"])


def test_messages_after_failover_do_not_count_past_the_threshold(net: SoftwareVpn) -> None:
    mon = _ha(net, failures_before_failover=3)
    net.instances["i-vpn1"].running = False
    details = [e.detail for t in (0, 5, 10) for e in mon.poll(t) if e.kind == "check-failed"]
    assert details == ["health check 1/3 failed", "health check 2/3 failed", "health check 3/3 failed"]
    assert mon.current("rtb-a") == "i-vpn2"
    for t in (15, 20):
        events = mon.poll(t)
        assert [e.kind for e in events] == ["check-failed"]  # no second failover
        d = events[0].detail
        assert "/3" not in d and "4/3" not in d and "5/3" not in d
        assert "already moved" in d and "rtb-a -> i-vpn2" in d
    assert "5 in a row" in mon.events[-1].detail
    # Recovery says which tables moved back, from where.
    net.instances["i-vpn1"].running = True
    (ev,) = mon.poll(25)
    assert ev.kind == "recovered" and ev.moved == ("rtb-a",)
    assert "rtb-a from i-vpn2" in ev.detail and "moved back" in ev.detail
    assert mon.current("rtb-a") == "i-vpn1"
    # A new failure counts from 1 again.
    net.instances["i-vpn1"].running = False
    assert [e.detail for e in mon.poll(30)] == ["health check 1/3 failed"]


def test_recovery_before_the_threshold_says_routes_never_moved(net: SoftwareVpn) -> None:
    mon = _ha(net, failures_before_failover=3)
    net.instances["i-vpn1"].vpn_up = False
    mon.poll(0)
    mon.poll(5)
    net.instances["i-vpn1"].vpn_up = True
    (ev,) = mon.poll(10)
    assert ev.kind == "recovered" and ev.moved == ()
    assert "never moved" in ev.detail and "2 failed" in ev.detail and "moved back" not in ev.detail
    assert mon.poll(15) == []  # nothing to report once healthy


def test_no_spare_message_is_true(net: SoftwareVpn) -> None:
    mon = _ha(net, failures_before_failover=1)
    net.instances["i-vpn1"].running = False
    net.instances["i-vpn2"].running = False
    first = {e.instance: e.detail for e in mon.poll(0)}
    assert "1/1 failed" in first["i-vpn1"] and "rtb-a still point at i-vpn1" in first["i-vpn1"]
    second = {e.instance: e.detail for e in mon.poll(5)}
    assert "/1" not in second["i-vpn1"] and "2 in a row" in second["i-vpn1"]
    assert "already moved" not in second["i-vpn1"] and "still point at i-vpn1" in second["i-vpn1"]
    # The spare comes back: the still-failing instance's routes move to it now.
    net.instances["i-vpn2"].running = True
    events = mon.poll(10)
    assert [(e.kind, e.instance) for e in events] == [("check-failed", "i-vpn1"), ("failover", "i-vpn1"),
                                                      ("recovered", "i-vpn2")]
    assert "never moved" in events[2].detail
    assert mon.current("rtb-a") == "i-vpn2"
