"""The state table (one table drives the peers and the diagram) and the IKEv1 description table."""

from __future__ import annotations

import pytest
from test_ike_helpers import configs, connect

from vpnlearn.errors import ProtocolError
from vpnlearn.ike import ikev1
from vpnlearn.ike.state import INITIATOR, RESPONDER, TRANSITIONS, State, allowed, edges, transition


def test_happy_path_follows_table() -> None:
    s = State.IDLE
    for trig in ("send IKE_SA_INIT request", "recv IKE_SA_INIT response", "recv IKE_AUTH response"):
        s = transition(INITIATOR, s, trig)
    assert s == State.ESTABLISHED
    assert transition(RESPONDER, State.INIT_DONE, "recv IKE_AUTH request") == State.ESTABLISHED


def test_missing_transition_is_an_error() -> None:
    with pytest.raises(ProtocolError, match="no transition"):
        transition(RESPONDER, State.IDLE, "recv IKE_AUTH response")
    assert not allowed(INITIATOR, State.CLOSED, "CREATE_CHILD_SA")


def test_every_state_reachable_and_diagram_edges() -> None:
    targets = {t for t in TRANSITIONS.values()} | {State.IDLE}
    assert targets == set(State)
    e = edges(INITIATOR)
    assert ("IDLE", "INIT_SENT", "send IKE_SA_INIT request (initiator)") in e
    assert not any(lbl.endswith("(responder)") for *_, lbl in e)
    assert any(lbl.endswith("(responder)") for *_, lbl in edges(RESPONDER))


def test_peers_end_in_states_of_the_table() -> None:
    w = connect(*configs(), seed="state")
    assert w.ini.state in set(TRANSITIONS.values())
    w.run(w.ini.delete_ike(1.0), now=1.0)
    assert (w.ini.state, w.resp.state) == (State.CLOSED, State.CLOSED)


def test_ikev1_tables() -> None:
    assert [m.number for m in ikev1.IKEV1_FIRST_CHILD] == list(range(1, 10))
    assert len(ikev1.MAIN_MODE) == 6 and len(ikev1.QUICK_MODE) == 3
    assert [m.encrypted for m in ikev1.MAIN_MODE] == [False] * 4 + [True] * 2
    assert all(m.encrypted for m in ikev1.QUICK_MODE)
    assert ikev1.MAIN_MODE[4].payloads == ("HDR*", "IDii", "HASH_I")
    assert len(ikev1.IKEV2_FIRST_CHILD) == 4
    rows = ikev1.compare()
    assert rows[0]["IKEv1"].startswith("9") and rows[0]["IKEv2"].startswith("4")
    assert ikev1.ladder(1)[0].startswith("1 I->R HDR, SA") and len(ikev1.ladder(2)) == 4
