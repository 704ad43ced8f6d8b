"""Sans-I/O IKEv2 peers: :class:`Initiator` and :class:`Responder` (RFC 7296).

A peer takes bytes (plus ``now`` and the UDP addresses) and gives back bytes to send and events; it
never opens a socket and never reads a clock. See the package docstring (:mod:`vpnlearn.ike`) for
the API.

The protocol logic of one IKE SA lives in :class:`vpnlearn.ike.session.IkeSession` (both roles);
every state change goes through the one table in :mod:`vpnlearn.ike.state`. :class:`Initiator`
drives one session; :class:`Responder` keeps one session per initiator, so it can count half-open
SAs and demand cookies (§2.6). ``IkeConfig`` (:mod:`vpnlearn.ike.config`) and the proposal helpers
(:mod:`vpnlearn.ike.proposals`) are re-exported here.
"""

from __future__ import annotations

import hmac as _hmac
import ipaddress

from vpnlearn.errors import (
    ConfigError,
    ProtocolError,
    VpnlearnError,
)
from vpnlearn.ike import events as ev
from vpnlearn.ike.config import IkeConfig
from vpnlearn.ike.messages import (
    IKE_SA_INIT,
    Message,
    decode_message,
    encode_message,
)
from vpnlearn.ike.payloads import (
    NOTIFY,
    Nonce,
    Notify,
)
from vpnlearn.ike.proposals import accept_reply, nat_hash, select_proposal, suite_to_proposal
from vpnlearn.ike.session import ChildSa, IkeSa, IkeSession, TranscriptEntry
from vpnlearn.ike.state import INITIATOR, RESPONDER, State
from vpnlearn.rand import RandomSource, resolve

__all__ = [
    "ChildSa",
    "IkeConfig",
    "IkeSa",
    "IkeSession",
    "Initiator",
    "Peer",
    "Responder",
    "TranscriptEntry",
    "accept_reply",
    "nat_hash",
    "select_proposal",
    "suite_to_proposal",
]

Address = tuple[str, int]


# --- the public peers ------------------------------------------------------------------------------


def _safe_decode(data: bytes, out: ev.Output) -> Message | None:
    try:
        return decode_message(data)
    except VpnlearnError as exc:
        out.events.append(ev.MessageDropped(f"malformed: {exc}"))
        return None


class Peer:
    """What :class:`Initiator` and :class:`Responder` share (see the package docstring).

    ``sessions`` holds every IKE SA by SPIi | SPIr (an IKE rekey adds the new one while the old one
    is being deleted); ``session`` is the current one, which the views below show.
    """

    role = ""

    def __init__(self, config: IkeConfig, rng: RandomSource | None = None) -> None:
        if not isinstance(config, IkeConfig):
            raise ConfigError("Peer needs an IkeConfig")
        self.config = config
        self.rng = resolve(rng)
        self.session: IkeSession | None = None
        self.sessions: dict[bytes, IkeSession] = {}
        self._transcript: list[TranscriptEntry] = []

    # views
    @property
    def state(self) -> State:
        return self.session.state if self.session is not None else State.IDLE

    @property
    def ike_sa(self) -> IkeSa | None:
        s = self.session
        return (
            s.ike_sa
            if s is not None and s.state in (State.ESTABLISHED, State.REKEYED, State.DELETING)
            else None
        )

    @property
    def child_sas(self) -> list[ChildSa]:
        return list(self.session.child_sas) if self.session is not None else []

    @property
    def port(self) -> int:
        return self.session.port if self.session is not None else 500

    @property
    def transcript(self) -> list[TranscriptEntry]:
        return self.session.transcript if self.session is not None else self._transcript

    # timers
    def next_timer(self) -> float | None:
        times = [t for s in self.sessions.values() if (t := s.next_timer()) is not None]
        return min(times) if times else None

    def tick(self, now: float) -> ev.Output:
        """Retransmit what is due (driven by ``now``); gives up with ``PeerDead`` after the last try."""
        out = ev.Output()
        for s in list(self.sessions.values()):
            s.tick(now, out)
        return out

    # requests on the established IKE SA
    def _established(self) -> IkeSession:
        if self.session is None:
            raise ProtocolError("no IKE SA yet")
        return self.session

    def create_child(self, now: float, local_ts=None, remote_ts=None) -> ev.Output:
        """A new CHILD_SA with CREATE_CHILD_SA (PFS if the first ESP proposal has a DH group)."""
        return self._established().create_child(now, local_ts, remote_ts)

    def rekey_child(self, now: float, child: ChildSa) -> ev.Output:
        """Replace ``child`` (REKEY_SA notify, §1.3.3); the old one is deleted when the new one is up.

        With PFS, KEi is in ``child``'s DH group; after INVALID_KE_PAYLOAD the request is repeated in
        the group the responder names (an ``InvalidKeRetry`` event, §1.3)."""
        return self._established().create_child(now, rekey=child)

    def rekey_ike(self, now: float) -> ev.Output:
        """Replace the IKE SA (§1.3.2); the CHILD_SAs move to the new one, the old one is deleted.

        KEi is in the DH group negotiated for the current IKE SA; after INVALID_KE_PAYLOAD the request
        is repeated in the group the responder names (an ``InvalidKeRetry`` event, §1.3)."""
        out = self._established().rekey_ike(now)
        return out

    def delete_child(self, now: float, child: ChildSa) -> ev.Output:
        """Delete one CHILD_SA (INFORMATIONAL with a Delete payload, §1.4.1)."""
        return self._established().delete_child(now, child)

    def delete_ike(self, now: float) -> ev.Output:
        """Delete the IKE SA and all its CHILD_SAs."""
        return self._established().delete_ike(now)

    def liveness(self, now: float) -> ev.Output:
        """Dead peer detection: an empty INFORMATIONAL request (§1.4)."""
        return self._established().liveness(now)

    # routing
    def _lookup(self, msg: Message) -> IkeSession | None:
        s = self.sessions.get(msg.spi_i + msg.spi_r)
        if s is None and msg.exchange == IKE_SA_INIT and msg.response:
            s = next(
                (x for x in self.sessions.values() if x.spi_i == msg.spi_i and x.state == State.INIT_SENT),
                None,
            )
        return s

    def _dispatch(
        self,
        s: IkeSession,
        msg: Message,
        now: float,
        out: ev.Output,
        local: Address | None = None,
        remote: Address | None = None,
    ) -> None:
        key = s.spi_i + s.spi_r
        s.receive(msg, now, out, local, remote)
        if s.spi_i + s.spi_r != key:  # the initiator learned SPIr
            self.sessions.pop(key, None)
            self.sessions[s.spi_i + s.spi_r] = s
        succ = s.successor
        if succ is not None and succ.spi_i + succ.spi_r not in self.sessions:
            self.sessions[succ.spi_i + succ.spi_r] = succ
            if self.session is s:
                self.session = succ
        if s.state == State.CLOSED and s.successor is not None:
            self.sessions.pop(s.spi_i + s.spi_r, None)

    def _handle(self, data: bytes, now: float, out: ev.Output) -> tuple[Message | None, IkeSession | None]:
        msg = _safe_decode(data, out)
        if msg is None:
            return None, None
        return msg, self._lookup(msg)


class Initiator(Peer):
    """The side that starts IKE_SA_INIT."""

    role = INITIATOR

    def start(
        self, now: float, local: Address = ("0.0.0.0", 500), remote: Address = ("0.0.0.0", 500)
    ) -> ev.Output:
        """Send IKE_SA_INIT. ``local``/``remote`` are the UDP addresses (they feed NAT detection)."""
        if self.session is not None:
            raise ProtocolError("this Initiator already started; make a new one")
        self.session = IkeSession(self.config, INITIATOR, self.rng, local, remote)
        out = self.session.start(now)
        self.sessions[self.session.spi_i + self.session.spi_r] = self.session
        return out

    def receive(
        self, data: bytes, now: float, local: Address | None = None, remote: Address | None = None
    ) -> ev.Output:
        """Handle one received IKE message (never raises for what the peer sent)."""
        out = ev.Output()
        try:
            msg, s = self._handle(data, now, out)
            if msg is None:
                return out
            if s is None:
                out.events.append(ev.MessageDropped("no IKE SA with these SPIs"))
                return out
            self._dispatch(s, msg, now, out, local, remote)
        except VpnlearnError as exc:
            out.events.append(ev.MessageDropped(f"rejected: {exc}"))
        return out


class Responder(Peer):
    """The side that answers IKE_SA_INIT: one :class:`IkeSession` per initiator, cookies under load."""

    role = RESPONDER

    def __init__(self, config: IkeConfig, rng: RandomSource | None = None) -> None:
        super().__init__(config, rng)
        self.half_open: dict[tuple[bytes, bytes], IkeSession] = {}  # (SPIi, Ni) -> session
        self._cookie_secret = self.rng.random_bytes(32)

    @property
    def half_open_count(self) -> int:
        """IKE SAs that answered IKE_SA_INIT but have not finished IKE_AUTH (§2.6)."""
        return sum(1 for s in self.half_open.values() if s.state == State.INIT_DONE)

    def _cookie(self, msg: Message, nonce: bytes, remote: Address) -> bytes:
        # §2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>)
        ip = ipaddress.ip_address(remote[0]).packed
        return b"\x01" + _hmac.new(self._cookie_secret, nonce + ip + msg.spi_i, "sha256").digest()[:16]

    def receive(
        self, data: bytes, now: float, local: Address = ("0.0.0.0", 500), remote: Address = ("0.0.0.0", 500)
    ) -> ev.Output:
        """Handle one received IKE message (never raises for what the peer sent)."""
        out = ev.Output()
        try:
            msg, s = self._handle(data, now, out)
            if msg is None:
                return out
            if msg.major > 2:
                if not msg.response:
                    reply = Message(
                        msg.spi_i,
                        msg.spi_r,
                        msg.exchange,
                        msg.message_id,
                        False,
                        True,
                        [Notify(NOTIFY["INVALID_MAJOR_VERSION"])],
                    )
                    out.send.append(encode_message(reply))
                out.events.append(ev.MessageDropped(f"IKE version {msg.major}"))
                return out
            if msg.exchange == IKE_SA_INIT and not msg.response and msg.spi_r == bytes(8):
                self._init(msg, now, local, remote, out)
                return out
            if s is None:
                out.events.append(ev.MessageDropped("no IKE SA with these SPIs"))
                return out
            self._dispatch(s, msg, now, out, local, remote)
            if s.state == State.ESTABLISHED and s.successor is None:
                self.session = s
            if s.state != State.INIT_DONE:
                self.half_open = {k: v for k, v in self.half_open.items() if v is not s}
            if s.state in (State.FAILED, State.CLOSED) and s is not self.session and s.pending is None:
                # keep memory bounded: failed or closed IKE SAs other than the one on show are forgotten
                self.sessions.pop(s.spi_i + s.spi_r, None)
        except VpnlearnError as exc:
            out.events.append(ev.MessageDropped(f"rejected: {exc}"))
        return out

    def _init(self, msg: Message, now: float, local: Address, remote: Address, out: ev.Output) -> None:
        nonce = msg.first(Nonce)
        key = (msg.spi_i, nonce.data if nonce else b"")
        old = self.half_open.get(key)
        if old is not None and old.last_response is not None:
            out.send.append(old.last_response[1])  # a retransmitted IKE_SA_INIT request
            out.events.append(ev.RetransmitSent("IKE_SA_INIT", 0, 2, response=True))
            return
        crit = msg.unsupported_critical()
        if crit is not None:
            reply = Message(
                msg.spi_i,
                bytes(8),
                IKE_SA_INIT,
                msg.message_id,
                False,
                True,
                [Notify(NOTIFY["UNSUPPORTED_CRITICAL_PAYLOAD"], bytes([crit.type & 0xFF]))],
            )
            out.send.append(encode_message(reply))
            out.events.append(
                ev.ProtocolFailure("UNSUPPORTED_CRITICAL_PAYLOAD", f"payload {crit.type}", False, True)
            )
            return
        if msg.message_id != 0 or not msg.initiator:
            out.events.append(ev.MessageDropped("IKE_SA_INIT request with Message ID != 0 or no I flag"))
            return
        half = self.half_open_count
        if half >= self.config.half_open_limit:
            out.events.append(ev.MessageDropped(f"half-open limit {self.config.half_open_limit} reached"))
            return
        if half >= self.config.cookie_threshold:
            expected = self._cookie(msg, nonce.data if nonce else b"", remote)
            got = msg.payloads[0] if msg.payloads else None
            if not (
                isinstance(got, Notify)
                and got.type == NOTIFY["COOKIE"]
                and _hmac.compare_digest(got.data, expected)
            ):
                reply = Message(
                    msg.spi_i, bytes(8), IKE_SA_INIT, 0, False, True, [Notify(NOTIFY["COOKIE"], expected)]
                )
                out.send.append(encode_message(reply))
                out.events.append(ev.CookieDemanded(half))
                return
        s = IkeSession(self.config, RESPONDER, self.rng, local, remote)
        s._log("received", msg, msg.raw, now)
        if s.respond_init(msg, now, out):
            self.sessions[s.spi_i + s.spi_r] = s
            self.half_open[key] = s
            if self.session is None or self.session.state != State.ESTABLISHED:
                self.session = s
        elif self.session is None:
            self._transcript.extend(s.transcript)

    def expire_half_open(self, now: float, max_age: float = 30.0) -> int:
        """Forget half-open IKE SAs older than ``max_age`` seconds; returns how many were dropped."""
        stale = [
            k for k, s in self.half_open.items() if s.state == State.INIT_DONE and now - s.created > max_age
        ]
        for k in stale:
            s = self.half_open.pop(k)
            self.sessions.pop(s.spi_i + s.spi_r, None)
            if self.session is s:
                self.session = None
        return len(stale)
