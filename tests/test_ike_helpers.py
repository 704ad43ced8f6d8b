"""Helpers for the IKE tests: two in-process peers joined by a list of datagrams (no sockets)."""

from __future__ import annotations

import datetime
import warnings

from vpnlearn.ike import Identity, IkeConfig, Initiator, Responder, TrafficSelector
from vpnlearn.ike.events import Output
from vpnlearn.rand import DemoModeWarning, DemoRandom

A = ("192.0.2.1", 500)
B = ("192.0.2.2", 500)
LEFT_NET, RIGHT_NET = "10.98.1.0/24", "10.98.2.0/24"
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def demo(seed: object) -> DemoRandom:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DemoModeWarning)
        return DemoRandom(str(seed))


def configs(
    ike: str = "aes128gcm16-prfsha256-x25519",
    esp: str = "aes128gcm16",
    *,
    psk_l: bytes | None = b"correct horse",
    psk_r: bytes | None = b"correct horse",
    ike_r: str | None = None,
    esp_r: str | None = None,
    left_net: str = LEFT_NET,
    right_net: str = RIGHT_NET,
    right_sees_left: str = LEFT_NET,
    **kw,
) -> tuple[IkeConfig, IkeConfig]:
    """A left (initiator) and right (responder) configuration that match unless told otherwise."""
    lkw = {k[:-2]: v for k, v in kw.items() if k.endswith("_l")}
    rkw = {k[:-2]: v for k, v in kw.items() if k.endswith("_r")}
    left = IkeConfig(
        local_id=lkw.pop("local_id", Identity.fqdn("left.example")),
        remote_id=lkw.pop("remote_id", Identity.fqdn("right.example")),
        psk=psk_l,
        ike_proposals=(ike,),
        esp_proposals=(esp,),
        local_ts=(TrafficSelector.subnet(left_net),),
        remote_ts=(TrafficSelector.subnet(right_net),),
        **lkw,
    )
    right = IkeConfig(
        local_id=rkw.pop("local_id", Identity.fqdn("right.example")),
        remote_id=rkw.pop("remote_id", Identity.fqdn("left.example")),
        psk=psk_r,
        ike_proposals=(ike_r or ike,),
        esp_proposals=(esp_r or esp,),
        local_ts=(TrafficSelector.subnet(right_net),),
        remote_ts=(TrafficSelector.subnet(right_sees_left),),
        **rkw,
    )
    return left, right


class Wire:
    """Delivers datagrams between an Initiator and a Responder until nothing is left to send."""

    def __init__(self, ini: Initiator, resp: Responder, a=A, b=B, a_seen_by_b=None, b_seen_by_a=None) -> None:
        self.ini, self.resp = ini, resp
        self.a, self.b = a, b
        self.a_seen = a_seen_by_b or a  # where the responder sees the initiator (NAT changes it)
        self.b_seen = b_seen_by_a or b
        self.log: list[tuple[str, bytes]] = []
        self.events_i: list = []
        self.events_r: list = []

    def to_resp(self, data: bytes, now: float = 0.0) -> Output:
        self.log.append(("i->r", data))
        out = self.resp.receive(data, now, local=self.b, remote=self.a_seen)
        self.events_r += out.events
        return out

    def to_ini(self, data: bytes, now: float = 0.0) -> Output:
        self.log.append(("r->i", data))
        out = self.ini.receive(data, now, local=self.a, remote=self.b_seen)
        self.events_i += out.events
        return out

    def run(self, out: Output, *, from_ini: bool = True, now: float = 0.0, limit: int = 50) -> None:
        """Deliver ``out.send`` (and every answer) back and forth."""
        (self.events_i if from_ini else self.events_r).extend(out.events)
        queue = [(from_ini, d) for d in out.send]
        while queue:
            limit -= 1
            assert limit > 0, "message loop did not settle"
            to_r, data = queue.pop(0)
            o = self.to_resp(data, now) if to_r else self.to_ini(data, now)
            queue += [(not to_r, d) for d in o.send]

    def start(self, now: float = 0.0) -> None:
        self.run(self.ini.start(now, local=self.a, remote=self.b_seen), now=now)


def connect(left: IkeConfig, right: IkeConfig, seed: object = 1, **wire_kw) -> Wire:
    ini = Initiator(left, rng=demo(f"{seed}-i"))
    resp = Responder(right, rng=demo(f"{seed}-r"))
    w = Wire(ini, resp, **wire_kw)
    w.start()
    return w


def of(events: list, cls: type) -> list:
    return [e for e in events if isinstance(e, cls)]
