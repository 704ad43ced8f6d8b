"""The IKE SA's state machine, as ONE table (like h11's ``_state.py``).

Everything that moves an IKE SA from one state to another is a row of :data:`TRANSITIONS`:
``(role, state, trigger) -> new state``. The peers in :mod:`vpnlearn.ike.peer` call
:func:`transition` for every step, so a step missing from this table is an error, and a diagram
(``vpnlearn.viz``) draws the state machine from this same table with :func:`edges`.

Exchanges that do not change the IKE SA's state (CREATE_CHILD_SA for a new or rekeyed CHILD_SA,
INFORMATIONAL liveness checks) are the ``ESTABLISHED -> ESTABLISHED`` rows.
"""

from __future__ import annotations

from enum import Enum

from vpnlearn.errors import ProtocolError


class State(str, Enum):
    """The states of one IKE SA, seen from one peer."""

    IDLE = "IDLE"  # nothing sent or received yet
    INIT_SENT = "INIT_SENT"  # initiator: IKE_SA_INIT request sent
    INIT_DONE = "INIT_DONE"  # responder: IKE_SA_INIT answered, keys derived (half-open)
    AUTH_SENT = "AUTH_SENT"  # initiator: IKE_AUTH request sent
    ESTABLISHED = "ESTABLISHED"  # both authenticated; CHILD_SAs can come and go
    REKEYED = "REKEYED"  # replaced by a new IKE SA (§2.18); waiting for its delete
    DELETING = "DELETING"  # we sent a Delete for the IKE SA
    CLOSED = "CLOSED"  # deleted, or the peer is dead
    FAILED = "FAILED"  # negotiation failed (a notify says why)


INITIATOR, RESPONDER, ANY = "initiator", "responder", "any"

# (role, state, trigger) -> new state. "role" is the role in the IKE_SA_INIT exchange that made the SA.
TRANSITIONS: dict[tuple[str, State, str], State] = {
    # IKE_SA_INIT (§1.2)
    (INITIATOR, State.IDLE, "send IKE_SA_INIT request"): State.INIT_SENT,
    (INITIATOR, State.INIT_SENT, "recv COOKIE"): State.INIT_SENT,  # §2.6: repeat with cookie
    (INITIATOR, State.INIT_SENT, "recv INVALID_KE_PAYLOAD"): State.INIT_SENT,  # §1.3: repeat, new group
    (INITIATOR, State.INIT_SENT, "recv IKE_SA_INIT error"): State.FAILED,  # NO_PROPOSAL_CHOSEN ...
    (INITIATOR, State.INIT_SENT, "recv IKE_SA_INIT response"): State.AUTH_SENT,  # and send IKE_AUTH
    (RESPONDER, State.IDLE, "recv IKE_SA_INIT request"): State.INIT_DONE,
    # IKE_AUTH (§1.2, §2.15)
    (INITIATOR, State.AUTH_SENT, "recv IKE_AUTH response"): State.ESTABLISHED,
    (INITIATOR, State.AUTH_SENT, "recv IKE_AUTH error"): State.FAILED,  # AUTHENTICATION_FAILED ...
    (INITIATOR, State.AUTH_SENT, "peer AUTH invalid"): State.FAILED,
    (RESPONDER, State.INIT_DONE, "recv IKE_AUTH request"): State.ESTABLISHED,
    (RESPONDER, State.INIT_DONE, "peer AUTH invalid"): State.FAILED,
    # §2.21.2: the initiator found our AUTH bad and says so in an INFORMATIONAL exchange
    (RESPONDER, State.ESTABLISHED, "recv AUTHENTICATION_FAILED"): State.FAILED,
    # §2.18: the new IKE SA made by a rekey starts established
    (ANY, State.IDLE, "created by IKE SA rekey"): State.ESTABLISHED,
    # Established IKE SA: CREATE_CHILD_SA (§1.3) and INFORMATIONAL (§1.4) keep the state
    (ANY, State.ESTABLISHED, "CREATE_CHILD_SA"): State.ESTABLISHED,
    (ANY, State.ESTABLISHED, "INFORMATIONAL"): State.ESTABLISHED,
    (ANY, State.ESTABLISHED, "IKE SA rekeyed"): State.REKEYED,  # §2.18: old SA
    (ANY, State.REKEYED, "INFORMATIONAL"): State.REKEYED,
    (ANY, State.DELETING, "INFORMATIONAL"): State.DELETING,
    (ANY, State.REKEYED, "recv Delete IKE SA"): State.CLOSED,
    (ANY, State.REKEYED, "Delete IKE SA answered"): State.CLOSED,
    (ANY, State.ESTABLISHED, "send Delete IKE SA"): State.DELETING,  # §1.4.1
    (ANY, State.REKEYED, "send Delete IKE SA"): State.DELETING,
    (ANY, State.DELETING, "Delete IKE SA answered"): State.CLOSED,
    (ANY, State.ESTABLISHED, "recv Delete IKE SA"): State.CLOSED,
    (ANY, State.DELETING, "recv Delete IKE SA"): State.CLOSED,
    # Retransmissions ran out (§2.4)
    (ANY, State.INIT_SENT, "retransmissions exhausted"): State.CLOSED,
    (ANY, State.AUTH_SENT, "retransmissions exhausted"): State.CLOSED,
    (ANY, State.ESTABLISHED, "retransmissions exhausted"): State.CLOSED,
    (ANY, State.REKEYED, "retransmissions exhausted"): State.CLOSED,
    (ANY, State.DELETING, "retransmissions exhausted"): State.CLOSED,
}


def transition(role: str, state: State, trigger: str) -> State:
    """The next state; a step missing from :data:`TRANSITIONS` raises ProtocolError."""
    for key in ((role, state, trigger), (ANY, state, trigger)):
        if key in TRANSITIONS:
            return TRANSITIONS[key]
    raise ProtocolError(f"no transition from {state.value} on {trigger!r} for the {role}")


def allowed(role: str, state: State, trigger: str) -> bool:
    """Whether ``trigger`` may happen in ``state``."""
    return (role, state, trigger) in TRANSITIONS or (ANY, state, trigger) in TRANSITIONS


def edges(role: str | None = None) -> list[tuple[str, str, str]]:
    """(from, to, label) for a diagram; ``role`` limits it to one side (rows for ANY always included)."""
    return [
        (s.value, t.value, trig if r == ANY else f"{trig} ({r})")
        for (r, s, trig), t in TRANSITIONS.items()
        if role is None or r in (role, ANY)
    ]
