"""Tunnel timeline: DPD timeout and action, BGP hold vs static routes, rekey timing, failover."""

from __future__ import annotations

import pytest

from vpnlearn.aws.failover import BGP_HOLD_TIME, Outage, simulate
from vpnlearn.aws.site_to_site import CustomerGateway, two_tunnel_connection
from vpnlearn.errors import ConfigError
from vpnlearn.rand import DemoRandom

pytestmark = pytest.mark.filterwarnings("ignore::vpnlearn.rand.DemoModeWarning")


def vpn(static=False, **opts):
    c = CustomerGateway("cgw-1", bgp_asn=65010, ip_address="198.51.100.7")
    v = two_tunnel_connection("vpn-1", c, vpn_gateway="vgw-1", **opts)
    v.static_routes_only = static
    return v


def times(tl, kind, tunnel=None):
    return [e.t for e in tl.of_kind(kind) if tunnel is None or e.tunnel == tunnel]


def run(v, outages, duration=1000, **kw):
    return simulate(v, duration=duration, outages=outages, rng=DemoRandom(7), preferred_tunnel=1, **kw)


@pytest.mark.parametrize("static", [True, False])
@pytest.mark.parametrize("timeout", [30, 45])
def test_dpd_clear_takes_the_tunnel_down_after_the_timeout(static, timeout):
    tl = run(vpn(static, dpd_timeout_seconds=timeout), [Outage(1, 100, 400)])
    assert times(tl, "dpd-timeout", 1) == [100 + timeout]
    assert times(tl, "down", 1) == [100 + timeout]
    assert tl.state_at(100 + timeout - 1)["tunnel1_status"] == "UP"
    assert tl.state_at(100 + timeout)["tunnel1_status"] == "DOWN"
    withdrawn = 100 + (timeout if static else min(timeout, BGP_HOLD_TIME))
    assert times(tl, "routes-withdrawn", 1) == [withdrawn]
    assert tl.active_tunnel_at(99) == 1
    assert tl.active_tunnel_at(350) == 2
    # clear: the customer gateway starts IKE again 10 s (cgw_retry_seconds) after the path returns.
    assert times(tl, "up", 1) == [0, 410]
    assert tl.state_at(410)["tunnel1_status"] == "UP"


def test_static_loss_lasts_until_dpd_bgp_until_the_hold_timer():
    static = run(vpn(True, dpd_timeout_seconds=60), [Outage(1, 100, 400)])
    bgp = run(vpn(False, dpd_timeout_seconds=60), [Outage(1, 100, 400)])
    assert static.lost_seconds == 60
    assert bgp.lost_seconds == BGP_HOLD_TIME
    assert times(bgp, "bgp-down", 1) == [130] and times(bgp, "dpd-timeout", 1) == [160]


def test_dpd_none_with_static_routes_blackholes_for_the_whole_outage():
    tl = run(vpn(True, dpd_timeout_action="none"), [Outage(1, 100, 400)])
    assert times(tl, "dpd-timeout", 1) == [130]
    assert tl.of_kind("down") == []
    assert tl.state_at(300)["tunnel1_status"] == "UP" and tl.state_at(300)["tunnel1_routes"] is True
    assert tl.active_tunnel_at(300) == 1
    assert tl.lost_seconds == 300
    assert times(tl, "dpd-alive", 1) == [400]


def test_dpd_none_with_bgp_fails_over_on_the_hold_timer():
    tl = run(vpn(False, dpd_timeout_action="none"), [Outage(1, 100, 400)])
    assert tl.of_kind("down") == []
    assert times(tl, "routes-withdrawn", 1) == [130]
    assert tl.active_tunnel_at(200) == 2
    assert tl.lost_seconds == 30


def test_dpd_restart_aws_brings_the_tunnel_back():
    tl = run(vpn(True, dpd_timeout_action="restart"), [Outage(1, 100, 400)], aws_retry_seconds=7)
    ups = tl.of_kind("up")
    assert [e.t for e in ups if e.tunnel == 1][1] in range(400, 408)
    assert "AWS restarted IKE" in [e for e in ups if e.tunnel == 1][1].detail


def test_traffic_is_not_moved_back_when_the_first_tunnel_returns():
    tl = run(vpn(True), [Outage(1, 100, 400)])
    assert tl.active_tunnel_at(900) == 2
    assert [(e.t, e.tunnel) for e in tl.of_kind("traffic")] == [(0, 1), (130, 2)]


def test_both_tunnels_down_means_no_path():
    tl = run(vpn(True), [Outage(1, 100, 600), Outage(2, 100, 600)])
    assert tl.active_tunnel_at(200) is None
    assert any("no tunnel has routes" in e.detail for e in tl.of_kind("traffic"))
    assert tl.lost_seconds == 610 - 100


def test_single_tunnel_setup_loses_everything_when_that_tunnel_fails():
    v = vpn(True)
    v.tunnels[1].configured_on_device = False
    tl = run(v, [Outage(1, 100, 400, reason="AWS maintenance", maintenance=True)])
    assert tl.state_at(0)["tunnel2_status"] == "DOWN"
    assert tl.lost_seconds == 410 - 100


def test_maintenance_with_bgp_moves_traffic_before_the_endpoint_goes():
    tl = run(vpn(False), [Outage(1, 100, 400, reason="endpoint replacement", maintenance=True)])
    assert times(tl, "maintenance", 1) == [100]
    assert [(e.t, e.tunnel) for e in tl.of_kind("traffic")] == [(0, 1), (100, 2)]
    assert tl.lost_seconds == 0


def test_maintenance_with_static_routes_waits_for_dpd():
    tl = run(vpn(True), [Outage(1, 100, 400, maintenance=True)])
    assert tl.of_kind("maintenance") == []
    assert tl.lost_seconds == 30


def test_rekey_without_fuzz_is_exactly_margin_before_the_lifetime():
    v = vpn(True, phase1_lifetime_seconds=7200, phase2_lifetime_seconds=1800, rekey_margin_time_seconds=300,
            rekey_fuzz_percentage=0)
    tl = run(v, [], duration=7200)
    assert times(tl, "child-rekey", 1) == [1500, 3000, 4500, 6000]
    assert times(tl, "ike-rekey", 1) == [6900]


def test_rekey_fuzz_stays_in_its_window_and_uses_the_rng():
    v = vpn(True, phase2_lifetime_seconds=3600, rekey_margin_time_seconds=270, rekey_fuzz_percentage=100)
    firsts = set()
    for seed in range(12):
        tl = simulate(v, duration=3400, rng=DemoRandom(seed), preferred_tunnel=1)
        t = times(tl, "child-rekey", 1)[0]
        assert 3600 - 270 - 270 <= t <= 3600 - 270
        firsts.add(t)
    assert len(firsts) > 3
    a = simulate(v, duration=3400, rng=DemoRandom(3)).rows()
    b = simulate(v, duration=3400, rng=DemoRandom(3)).rows()
    assert a == b


@pytest.mark.parametrize("fuzz, margin", [(50, 600), (10, 100)])
def test_rekey_fuzz_percentage_scales_the_window(fuzz, margin):
    v = vpn(True, phase2_lifetime_seconds=3600, rekey_margin_time_seconds=margin,
            rekey_fuzz_percentage=fuzz)
    for seed in range(6):
        t = times(simulate(v, duration=3600, rng=DemoRandom(seed), preferred_tunnel=1), "child-rekey", 1)[0]
        assert 3600 - margin - margin * fuzz // 100 <= t <= 3600 - margin


def test_preferred_tunnel_is_random():
    chosen = {simulate(vpn(True), duration=5, rng=DemoRandom(s)).active_tunnel_at(0) for s in range(16)}
    assert chosen == {1, 2}


def test_timeline_output_for_notebooks():
    tl = run(vpn(False), [Outage(2, 50, 100)], duration=200)
    text = tl.format()
    assert text.splitlines()[0] == "VPN vpn-1 (bgp routing), 200 s"
    assert "path-lost" in text and "tunnel 2" in text
    rows = tl.rows()
    assert rows[0].keys() == {"t", "tunnel", "kind", "detail"}
    assert [r["t"] for r in rows] == sorted(r["t"] for r in rows)
    series = tl.series()
    assert len(series) == 201
    assert {"tunnel1_status", "tunnel2_routes", "active", "delivered"} <= set(series[0])


@pytest.mark.parametrize("kwargs, match", [
    ({"duration": 0}, "duration"), ({"duration": 10, "outages": [Outage(3, 0, 5)]}, "Outage.tunnel"),
    ({"duration": 10, "preferred_tunnel": 3}, "preferred_tunnel"),
])
def test_bad_simulation_input(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        simulate(vpn(), rng=DemoRandom(1), **kwargs)


def test_state_before_start_is_an_error():
    tl = run(vpn(), [], duration=10)
    with pytest.raises(ConfigError):
        tl.state_at(-1)


def test_imported_connection_with_a_down_tunnel():
    from pathlib import Path

    from vpnlearn.aws.failover import outages_from_telemetry
    from vpnlearn.aws.importer import load_files

    data = Path(__file__).parent / "data"
    inv = load_files([data / "describe-vpn-connections.json", data / "describe-customer-gateways.json"])
    v = inv.vpn_connections[0]
    outs = outages_from_telemetry(v)
    assert [(o.tunnel, o.start, o.end) for o in outs] == [(2, 0, None)]
    assert "IPSEC IS DOWN" in outs[0].reason
    tl = simulate(v, duration=120, outages=outs, rng=DemoRandom(5), preferred_tunnel=2)
    assert tl.state_at(0)["tunnel2_status"] == "DOWN"
    assert tl.active_tunnel_at(0) == 1          # AWS uses the tunnel that has routes
    assert tl.lost_seconds == 0
    # Then tunnel 1 fails too: no path at all once DPD (30 s) or BGP hold (30 s) acts.
    tl = simulate(v, duration=120, outages=[*outs, Outage(1, 60, None)], rng=DemoRandom(5))
    assert tl.active_tunnel_at(100) is None and tl.lost_seconds == 121 - 60


def test_rule_breaking_options_still_simulate():
    v = vpn(True, phase2_lifetime_seconds=100, rekey_margin_time_seconds=300, rekey_fuzz_percentage=500)
    tl = simulate(v, duration=10, rng=DemoRandom(1), preferred_tunnel=1)
    assert len(times(tl, "child-rekey", 1)) <= 10
