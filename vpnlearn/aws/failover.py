"""What happens to a Site-to-Site VPN connection over time: DPD, rekeys, routes and failover.

:func:`simulate` steps a modelled :class:`~vpnlearn.aws.site_to_site.VpnConnection` through time
(seconds are passed in; nothing reads a clock) while the paths to the AWS tunnel endpoints fail and
recover (:class:`Outage`). It returns a :class:`Timeline` of events a notebook can print
(:meth:`Timeline.format`) or plot (:meth:`Timeline.rows`, :meth:`Timeline.series`).

What the model follows (aws-facts.md §1.4, §2.1, §2.4, §7, §8; each with its source):

- **DPD** (RFC 3706): AWS declares the peer dead ``DpdTimeoutSeconds`` after it last heard from it.
  This matches the API's example "a DPD timeout of 40 seconds means ... peer dead 30 seconds after
  the first failed keep-alive" with keep-alives every 10 s
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpnTunnelOptionsSpecification.html).
  Then ``DpdTimeoutAction``: ``clear`` ends IKE, stops the tunnel and clears routes; ``restart``
  restarts IKE (AWS re-initiates); ``none`` does nothing: the tunnel stays UP
  (https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html).
- **Routes**: static routes propagate while the tunnel is UP and are withdrawn when it goes DOWN;
  "if your connection is interrupted but the VPN connection remains UP, any propagated routes ...
  are not automatically removed" (https://docs.aws.amazon.com/vpn/latest/s2svpn/SetUpVPNConnections.html).
  With BGP the session also has a hold timer (30 s in AWS's generic sample config, §8): routes are
  withdrawn when it expires even if DPD has not acted.
- **Which tunnel carries AWS -> on-premises traffic**: AWS picks one preferred tunnel at random
  ("you can't configure AWS to prefer a specific tunnel", §2.4); we draw it from ``rng``. Traffic
  stays on a tunnel while it has routes (our choice: non-revertive; UNCONFIRMED how AWS reverts).
  During AWS maintenance with BGP, AWS lowers the MED on the other tunnel, so traffic moves before
  the endpoint goes away (§2.4); static routing has no such signal.
- **Rekeys**: AWS rekeys ``RekeyMarginTimeSeconds`` before a lifetime ends, at a random time in a
  window of ``RekeyFuzzPercentage`` % of the margin (§1.4): rekey at
  ``lifetime - margin - U(0, margin * fuzz / 100)`` after the SA was made (the strongSwan/Openswan
  rekeymargin/rekeyfuzz semantics AWS's wording follows). The same margin is applied to Phase 1
  (the 2023 user-guide wording, §9 drift). Rekeys are make-before-break: no traffic is lost.
- **Recovery**: after ``clear`` the customer gateway must start IKE again (StartupAction ``add``):
  ``cgw_retry_seconds`` after the path returns; after ``restart`` AWS retries every
  ``aws_retry_seconds``. Both delays are our parameters, not AWS numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vpnlearn.aws.site_to_site import VpnConnection
from vpnlearn.errors import ConfigError
from vpnlearn.rand import RandomSource, random_int

BGP_HOLD_TIME = 30  # AWS generic sample config, "Neighbor hold time 30" (aws-facts.md §8)
DPD_INTERVAL = 10   # keep-alive interval implied by the ModifyVpnTunnelOptionsSpecification example


@dataclass(frozen=True)
class Outage:
    """Every packet between the customer gateway and tunnel ``tunnel`` (1 or 2) is lost in [start, end).

    ``end=None`` means "until the end of the simulation". ``maintenance=True`` marks an AWS endpoint
    update: with BGP, AWS shifts traffic to the other tunnel (lower MED) when it starts.
    """

    tunnel: int
    start: float
    end: float | None = None
    reason: str = "path loss"
    maintenance: bool = False

    def covers(self, t: float) -> bool:
        return self.start <= t and (self.end is None or t < self.end)


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened: at time ``t`` (seconds), on ``tunnel`` (1, 2 or None for the connection)."""

    t: float
    tunnel: int | None
    kind: str
    detail: str

    def __str__(self) -> str:
        where = f"tunnel {self.tunnel}" if self.tunnel else "connection"
        return f"t={self.t:>8g}s  {where:10} {self.kind:18} {self.detail}"


@dataclass
class _Tunnel:
    n: int
    up: bool = False
    last_heard: float = 0.0
    dead: bool = False
    bgp_up: bool = False
    routes: bool = False
    retry_at: float | None = None
    next_child_rekey: float = 0.0
    next_ike_rekey: float = 0.0
    path_ok: bool = True


@dataclass
class Timeline:
    """The simulation's result: events in time order and a per-second state series."""

    connection_id: str
    routing: str
    duration: float
    events: list[TimelineEvent] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[TimelineEvent]:
        """The events of one kind (``"dpd-timeout"``, ``"child-rekey"``, ``"traffic"``, ...)."""
        return [e for e in self.events if e.kind == kind]

    def rows(self) -> list[dict[str, Any]]:
        """Events as dicts (for a table)."""
        return [{"t": e.t, "tunnel": e.tunnel, "kind": e.kind, "detail": e.detail} for e in self.events]

    def series(self) -> list[dict[str, Any]]:
        """Per-step state: t, status of each tunnel, routes of each tunnel, active tunnel, delivered."""
        return list(self.samples)

    def state_at(self, t: float) -> dict[str, Any]:
        """The sampled state at the last step at or before ``t``."""
        best = None
        for s in self.samples:
            if s["t"] <= t:
                best = s
            else:
                break
        if best is None:
            raise ConfigError(f"field t: {t} is before the start of the timeline")
        return best

    def active_tunnel_at(self, t: float) -> int | None:
        """Which tunnel AWS sends traffic to the customer gateway on at time ``t`` (None: no route)."""
        return self.state_at(t)["active"]

    @property
    def lost_seconds(self) -> float:
        """Seconds in which AWS -> on-premises traffic was lost (no route, or a route into a dead path)."""
        if len(self.samples) < 2:
            return 0.0
        step = self.samples[1]["t"] - self.samples[0]["t"]
        return sum(step for s in self.samples if not s["delivered"])

    def format(self) -> str:
        """The events as text lines, one per event."""
        head = f"VPN {self.connection_id} ({self.routing} routing), {self.duration:g} s"
        return "\n".join([head, *map(str, self.events)])


def outages_from_telemetry(vpn: VpnConnection) -> list[Outage]:
    """An open-ended :class:`Outage` from t=0 for every tunnel whose ``VgwTelemetry`` status is DOWN,
    so an imported describe-vpn-connections output can be simulated as it stands."""
    return [Outage(i + 1, 0, None, reason=f"telemetry DOWN: {t.status_message or 'no status message'}")
            for i, t in enumerate(vpn.tunnels) if t.status == "DOWN"]


def _rekey_delay(lifetime: int, margin: int, fuzz: int, rng: RandomSource | None) -> int:
    window = (max(margin, 0) * max(min(fuzz, 100), 0)) // 100
    delay = lifetime - margin - (random_int(rng, 0, window) if window > 0 else 0)
    return max(delay, 1)   # options that break the rules (margin >= lifetime) still make progress


def simulate(vpn: VpnConnection, *, duration: float, outages: Sequence[Outage] = (),
             rng: RandomSource | None = None, step: float = 1.0, cgw_retry_seconds: float = 10.0,
             aws_retry_seconds: float = 10.0, preferred_tunnel: int | None = None) -> Timeline:
    """Simulate ``vpn`` for ``duration`` seconds with the given path ``outages``.

    ``rng`` drives the random choices (preferred tunnel, rekey fuzz): pass a
    :class:`~vpnlearn.rand.DemoRandom` for a repeatable timeline. ``preferred_tunnel`` (1 or 2)
    overrides the random choice. Tunnels not configured on the device never come up.
    """
    if duration <= 0 or step <= 0:
        raise ConfigError(f"field duration/step: must be positive (duration={duration}, step={step})")
    n_tunnels = len(vpn.tunnels)
    if n_tunnels == 0:
        raise ConfigError(f"VPN connection {vpn.id}: field Options.TunnelOptions: no tunnels to simulate")
    for o in outages:
        if not 1 <= o.tunnel <= n_tunnels:
            raise ConfigError(f"field Outage.tunnel: {o.tunnel} is not a tunnel of {vpn.id} (1..{n_tunnels})")
    routing = vpn.routing
    tl = Timeline(vpn.id, routing, duration)
    ev = tl.events.append
    opts = [t.options for t in vpn.tunnels]
    states = [_Tunnel(i + 1) for i in range(n_tunnels)]
    if preferred_tunnel is None:
        preferred_tunnel = random_int(rng, 1, n_tunnels)
    if not 1 <= preferred_tunnel <= n_tunnels:
        raise ConfigError(f"field preferred_tunnel: {preferred_tunnel} is not 1..{n_tunnels}")
    active: int | None = None
    delivered_prev: bool | None = None

    def establish(s: _Tunnel, t: float, why: str) -> None:
        o = opts[s.n - 1]
        s.up, s.dead, s.last_heard, s.retry_at = True, False, t, None
        s.next_child_rekey = t + _rekey_delay(o.phase2_lifetime_seconds, o.rekey_margin_time_seconds,
                                              o.rekey_fuzz_percentage, rng)
        s.next_ike_rekey = t + _rekey_delay(o.phase1_lifetime_seconds, o.rekey_margin_time_seconds,
                                            o.rekey_fuzz_percentage, rng)
        ev(TimelineEvent(t, s.n, "up", f"IKE SA and IPsec SA established ({why}); status UP"))

    def set_routes(s: _Tunnel, t: float, on: bool, why: str) -> None:
        if s.routes != on:
            s.routes = on
            ev(TimelineEvent(t, s.n, "routes-advertised" if on else "routes-withdrawn", why))

    def path_ok(n: int, t: float) -> bool:
        return not any(o.tunnel == n and o.covers(t) for o in outages)

    steps = int(duration / step)
    for k in range(steps + 1):
        t = k * step
        for s in states:
            o = opts[s.n - 1]
            ok = path_ok(s.n, t)
            if ok != s.path_ok:
                outage = next((x for x in outages if x.tunnel == s.n and x.covers(t)), None)
                ev(TimelineEvent(t, s.n, "path-lost" if not ok else "path-restored",
                                 outage.reason if outage else "packets flow again"))
                if outage is not None and outage.maintenance and routing == "bgp":
                    ev(TimelineEvent(t, s.n, "maintenance", "AWS endpoint update: AWS lowers the MED on "
                                     "the other tunnel, so BGP prefers it"))
                s.path_ok = ok
                if not ok:
                    s.last_heard = t  # packets flowed until this moment
            if k == 0:
                if vpn.tunnels[s.n - 1].configured_on_device and ok:
                    establish(s, t, "start")
                else:
                    configured = vpn.tunnels[s.n - 1].configured_on_device
                    ev(TimelineEvent(t, s.n, "down", "path down at start" if configured else
                                     "not configured on the customer gateway device"))
                    if vpn.tunnels[s.n - 1].configured_on_device:
                        s.retry_at = t + cgw_retry_seconds
            if s.up:
                if ok:
                    if s.dead:
                        ev(TimelineEvent(t, s.n, "dpd-alive", "peer answers DPD again (DPD action was none)"))
                        s.dead = False
                    s.last_heard = t
                    if t >= s.next_child_rekey:
                        ev(TimelineEvent(t, s.n, "child-rekey",
                                         "IPsec SA (Phase 2) rekeyed, make-before-break"))
                        s.next_child_rekey = t + _rekey_delay(o.phase2_lifetime_seconds,
                                                              o.rekey_margin_time_seconds,
                                                              o.rekey_fuzz_percentage, rng)
                    if t >= s.next_ike_rekey:
                        ev(TimelineEvent(t, s.n, "ike-rekey", "IKE SA (Phase 1) rekeyed, make-before-break"))
                        s.next_ike_rekey = t + _rekey_delay(o.phase1_lifetime_seconds,
                                                            o.rekey_margin_time_seconds,
                                                            o.rekey_fuzz_percentage, rng)
                elif not s.dead and t - s.last_heard >= o.dpd_timeout_seconds:
                    action = o.dpd_timeout_action
                    ev(TimelineEvent(t, s.n, "dpd-timeout", f"no answer for {o.dpd_timeout_seconds} s; "
                                     f"DPD action {action}"))
                    if action == "none":
                        s.dead = True
                    else:
                        s.up = False
                        s.bgp_up = False
                        s.retry_at = None
                        what = "IKE session cleared, tunnel stopped" if action == "clear" else \
                            "IKE session restarted by AWS"
                        ev(TimelineEvent(t, s.n, "down", f"{what}; status DOWN"))
                        set_routes(s, t, False, "tunnel DOWN: its routes are withdrawn")
                        if action == "restart":
                            s.retry_at = t + aws_retry_seconds
            if not s.up and vpn.tunnels[s.n - 1].configured_on_device:
                if ok and s.retry_at is None:
                    # clear: the customer gateway must start IKE again once it can reach AWS.
                    s.retry_at = t + cgw_retry_seconds
                if ok and s.retry_at is not None and t >= s.retry_at:
                    who = "AWS restarted IKE" if o.dpd_timeout_action == "restart" and k > 0 else \
                        "customer gateway initiated"
                    establish(s, t, who)
                elif not ok and s.retry_at is not None and t >= s.retry_at:
                    s.retry_at = t + (aws_retry_seconds if o.dpd_timeout_action == "restart"
                                      else cgw_retry_seconds)
            # Routes.
            if routing == "static":
                set_routes(s, t, s.up, "tunnel UP: static routes propagate" if s.up else
                           "tunnel DOWN: static routes withdrawn")
            else:
                if s.bgp_up and not ok and t - s.last_heard >= BGP_HOLD_TIME:
                    s.bgp_up = False
                    ev(TimelineEvent(t, s.n, "bgp-down", f"BGP hold timer ({BGP_HOLD_TIME} s) expired"))
                if not s.bgp_up and s.up and ok:
                    s.bgp_up = True
                    ev(TimelineEvent(t, s.n, "bgp-up", "BGP session established inside the tunnel"))
                set_routes(s, t, s.bgp_up, "BGP advertises the on-premises prefixes" if s.bgp_up else
                           "BGP routes withdrawn")

        # Which tunnel carries AWS -> on-premises traffic.
        with_routes = [s.n for s in states if s.routes]
        if routing == "bgp":
            maint = {o.tunnel for o in outages if o.maintenance and o.covers(t)}
            preferred_now = [n for n in with_routes if n not in maint] or with_routes
        else:
            preferred_now = with_routes
        new_active = active
        if active not in preferred_now:
            if preferred_tunnel in preferred_now and active is None:
                new_active = preferred_tunnel
            else:
                new_active = preferred_now[0] if preferred_now else None
        if new_active != active:
            ev(TimelineEvent(t, new_active, "traffic",
                             f"AWS sends traffic to the customer gateway on tunnel {new_active}" if new_active
                             else "no tunnel has routes: AWS -> on-premises traffic has no path"))
            active = new_active
        delivered = active is not None and states[active - 1].path_ok
        if delivered_prev is not None and delivered != delivered_prev:
            ev(TimelineEvent(t, active, "delivery", "traffic is delivered again" if delivered else
                             "traffic is lost: it is routed into a tunnel whose path is dead"
                             if active else "traffic is lost: no route"))
        delivered_prev = delivered
        tl.samples.append({
            "t": t, "active": active, "delivered": delivered,
            **{f"tunnel{s.n}_status": "UP" if s.up else "DOWN" for s in states},
            **{f"tunnel{s.n}_routes": s.routes for s in states},
        })
    return tl


__all__ = ["BGP_HOLD_TIME", "Outage", "Timeline", "TimelineEvent", "outages_from_telemetry", "simulate"]
