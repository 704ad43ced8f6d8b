"""What an IKE peer tells its caller: small, immutable event objects (like h11's ``_events.py``).

A peer's ``receive``/``tick``/request methods return an :class:`Output`: the datagrams to send and
the events that happened. Events carry names and numbers a learner can read, not live objects
(except the established SAs, which a notebook wants to inspect).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    """Base class of all IKE events."""


@dataclass(frozen=True)
class IkeSaEstablished(Event):
    """IKE_AUTH finished: both peers are authenticated and the IKE SA's keys are in use."""

    spi_i: bytes
    spi_r: bytes
    suite: str
    local_id: str
    remote_id: str
    auth_method: str


@dataclass(frozen=True)
class ChildSaEstablished(Event):
    """A CHILD_SA (a pair of ESP SAs) is ready; ``child`` is the :class:`vpnlearn.ike.peer.ChildSa`."""

    child: object = field(compare=False)
    inbound_spi: int = 0
    outbound_spi: int = 0
    suite: str = ""
    local_ts: tuple[str, ...] = ()
    remote_ts: tuple[str, ...] = ()
    pfs: bool = False


@dataclass(frozen=True)
class ChildSaRekeyed(Event):
    """A CHILD_SA was replaced by a new one (the old one is then deleted)."""

    old_inbound_spi: int
    new_inbound_spi: int


@dataclass(frozen=True)
class IkeSaRekeyed(Event):
    """The IKE SA was replaced by a new one with new SPIs and keys (§2.18)."""

    old_spi_i: bytes
    old_spi_r: bytes
    new_spi_i: bytes
    new_spi_r: bytes


@dataclass(frozen=True)
class ChildSaDeleted(Event):
    """A CHILD_SA was deleted (by us or by the peer), alone or with its IKE SA.

    An IKE SA that is deleted, found dead (``PeerDead``, RFC 7296 §2.4) or failed after the peer's
    AUTHENTICATION_FAILED (§2.21.2) takes its CHILD_SAs with it: one of these for each.
    ``by_peer`` is True when the peer's message ended it."""

    inbound_spi: int
    outbound_spi: int
    by_peer: bool


@dataclass(frozen=True)
class IkeSaDeleted(Event):
    """The IKE SA (and with it every CHILD_SA) was deleted."""

    spi_i: bytes
    spi_r: bytes
    by_peer: bool


@dataclass(frozen=True)
class NatDetected(Event):
    """NAT_DETECTION_*_IP notifies (§2.23) show a NAT between the peers."""

    local_behind_nat: bool
    remote_behind_nat: bool


@dataclass(frozen=True)
class SwitchToPort4500(Event):
    """From now on send IKE (with the 4-byte non-ESP marker) and ESP-in-UDP on port 4500 (§2.23)."""

    port: int = 4500


@dataclass(frozen=True)
class CookieRequested(Event):
    """The responder asked for a cookie (§2.6); the initiator repeats IKE_SA_INIT with it."""

    cookie: bytes


@dataclass(frozen=True)
class CookieDemanded(Event):
    """(Responder) too many half-open IKE SAs: an IKE_SA_INIT without a valid cookie got a COOKIE."""

    half_open: int


@dataclass(frozen=True)
class InvalidKeRetry(Event):
    """The responder wants another DH group (INVALID_KE_PAYLOAD, RFC 7296 §1.2, §1.3).

    The request (IKE_SA_INIT, or a CREATE_CHILD_SA that rekeys the IKE SA or makes a CHILD_SA with
    PFS) is repeated with a KE payload in ``new_group``.
    """

    old_group: int
    new_group: int


@dataclass(frozen=True)
class LivenessConfirmed(Event):
    """An empty INFORMATIONAL request (dead peer detection) was answered."""

    message_id: int


@dataclass(frozen=True)
class ErrorNotifyReceived(Event):
    """The peer sent an error notify (type < 16384)."""

    notify: str
    exchange: str


@dataclass(frozen=True)
class ProtocolFailure(Event):
    """Something failed as RFC 7296 defines it; ``notify`` is the RFC's name (``AUTHENTICATION_FAILED``).

    ``fatal`` says whether the IKE SA is gone (an IKE_AUTH failure) or only a CHILD_SA failed.
    """

    notify: str
    reason: str
    fatal: bool = True
    sent_to_peer: bool = False


@dataclass(frozen=True)
class MessageDropped(Event):
    """A received message was discarded (bad ICV, wrong message ID, unknown SPI, malformed ...)."""

    reason: str


@dataclass(frozen=True)
class RetransmitSent(Event):
    """We sent a request again (no response yet), or a response again (the peer repeated a request)."""

    exchange: str
    message_id: int
    attempt: int
    response: bool = False


@dataclass(frozen=True)
class PeerDead(Event):
    """A request stayed unanswered after every retransmission: the IKE SA is gone (state CLOSED).

    Its CHILD_SAs go with it (RFC 7296 §2.4): a ``ChildSaDeleted`` (``by_peer=False``) for each one
    follows this event in the same ``Output``."""

    exchange: str
    message_id: int


@dataclass
class Output:
    """What a peer call gives back: datagrams to send (IKE messages, no non-ESP marker) and events."""

    send: list[bytes] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def extend(self, other: Output) -> Output:
        self.send += other.send
        self.events += other.events
        return self

    def of(self, cls: type) -> list:
        """The events of one class: ``out.of(ChildSaEstablished)``."""
        return [e for e in self.events if isinstance(e, cls)]
