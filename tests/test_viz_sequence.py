"""Sequence diagrams from a real in-process IKEv2 exchange, IKEv1 flows from ike.ikev1, and the state
diagram from ike.state.TRANSITIONS: snapshots, real SVG, arrows pointing from the real sender."""

from __future__ import annotations

import re

import pytest
from test_ike_helpers import configs, connect
from test_viz_scenes import check_snapshot, dot_edges, svg_texts

from vpnlearn.errors import ConfigError
from vpnlearn.ike import state as ike_state
from vpnlearn.ike.ikev1 import IKEV1_FIRST_CHILD, IKEV2_FIRST_CHILD
from vpnlearn.viz.sequence import (
    ike_sequence,
    ikev1_sequence,
    ikev2_first_child_sequence,
    state_diagram,
    transcript_messages,
)


@pytest.fixture(scope="module")
def wire():
    w = connect(*configs("aes128gcm16-prfsha256-x25519", "aes128gcm16"), seed="viz-sequence")
    w.run(w.ini.create_child(10.0), now=10.0)
    return w


def arrows(source: str) -> list[str]:
    """For each message row n: "initiator" if the arrow points at the responder, else "responder"."""
    out = {}
    for tail, head, attrs in [(t, h, a) for t, h, a in _raw_edges(source)]:
        m = re.fullmatch(r"M_(\d+)", tail)
        if m and head == f"R_{m.group(1)}":
            out[int(m.group(1))] = "responder" if "dir=none" in attrs else "initiator"
    return [out[k] for k in sorted(out)]


def _raw_edges(source: str):
    for line in source.splitlines():
        m = re.match(r"^\s*(\w+) -> (\w+) \[(.*)\];$", line)
        if m:
            yield m.group(1), m.group(2), m.group(3)


def test_transcript_sequence_snapshot_and_svg(wire) -> None:
    d = ike_sequence(wire.ini)
    assert d.source == ike_sequence(wire.ini).source
    check_snapshot("ike-sequence.dot", d.source)
    check_snapshot("ike-sequence.txt", d.text)
    text = svg_texts(d.svg())
    tr = wire.ini.transcript
    assert len(tr) == 6
    for n, e in enumerate(tr, 1):
        kind = "response" if e.is_response else "request"
        assert f"{n}. {e.exchange} {kind} (Message ID {e.message_id}" in text
        for p in ("HDR", "SA", "KE") if e.exchange == "IKE_SA_INIT" else ("TSi",):
            assert p in text
    assert "encrypted + authenticated with SK_ei" in text and "encrypted + authenticated with SK_er" in text
    assert text.count("plaintext") == 2  # the two IKE_SA_INIT messages


def test_arrows_point_from_the_sender(wire) -> None:
    want = ["initiator" if e.direction == "sent" else "responder" for e in wire.ini.transcript]
    assert arrows(ike_sequence(wire.ini).source) == want
    # the responder's own transcript of the same exchange gives the same picture of who sent what
    assert arrows(ike_sequence(wire.resp).source) == want
    assert [m.payloads for m in transcript_messages(wire.resp.transcript, "responder")] == \
        [m.payloads for m in transcript_messages(wire.ini.transcript, "initiator")]


def test_text_form_says_the_same(wire) -> None:
    d = ike_sequence(wire.ini)
    assert repr(d) == d.text
    lines = d.text.splitlines()
    heads = [ln for ln in lines if re.match(r"^\|(<-+)? ?\d+\. ", ln)]
    assert len(heads) == len(wire.ini.transcript)
    for ln, e in zip(heads, wire.ini.transcript, strict=True):
        assert ln.endswith(">|") == (e.direction == "sent")
    bundle = d._repr_mimebundle_()
    assert bundle["text/plain"] == d.text and bundle["text/html"].startswith('<img class="vpnlearn-diagram"')


def test_bare_transcript_needs_a_role(wire) -> None:
    with pytest.raises(ConfigError, match="field role"):
        ike_sequence(wire.ini.transcript)
    with pytest.raises(ConfigError, match="field role must be"):
        ike_sequence(wire.ini.transcript, role="observer")
    assert ike_sequence(wire.ini.transcript, role="initiator").source == ike_sequence(wire.ini).source


def test_ikev1_and_ikev2_flows_from_the_table() -> None:
    v1 = ikev1_sequence()
    check_snapshot("ikev1-sequence.dot", v1.source)
    check_snapshot("ikev1-sequence.txt", v1.text)
    text = svg_texts(v1.svg())
    assert "Main Mode (Phase 1: ISAKMP SA)" in text and "Quick Mode (Phase 2: IPsec SA)" in text
    assert arrows(v1.source) == [m.sender.lower() for m in IKEV1_FIRST_CHILD]
    n_enc = sum(m.encrypted for m in IKEV1_FIRST_CHILD)
    assert text.count("HDR*: encrypted with a key from SKEYID_e") == n_enc
    v2 = ikev2_first_child_sequence()
    check_snapshot("ikev2-first-child.dot", v2.source)
    assert arrows(v2.source) == [row[2].lower() for row in IKEV2_FIRST_CHILD]
    assert len(arrows(v2.source)) == 4 and len(arrows(v1.source)) == 9


def test_state_diagram_draws_every_transition() -> None:
    d = state_diagram()
    check_snapshot("ike-states.dot", d.source)
    src = d.source
    edges = dot_edges(src)
    nodes = dict(re.findall(r'^\s*"(\w+)" \[label="([^"]*)"', src, re.M))
    for a, b, label in ike_state.edges():
        if a == b:  # a trigger that keeps the state is written in the node
            assert f"\u21bb {label}" in nodes[a], (a, label)
            continue
        direct = [e for e in edges if e[0] == a and e[1] == b and label in e[2].split("label=")[1]]
        grouped = [e for e in edges if e[0] in nodes and e[1] == b and nodes[e[0]].startswith("from ")
                   and a in nodes[e[0]] and f'label="{label}"' in e[2]]
        assert direct or grouped, (a, b, label)
    text = svg_texts(d.svg())
    for s in ike_state.State:
        assert s.value in text


def test_state_diagram_role_and_current() -> None:
    d = state_diagram("responder", current=ike_state.State.INIT_DONE)
    assert "send IKE_SA_INIT request" not in d.source  # an initiator-only row
    assert "recv IKE_SA_INIT request (responder)" in d.source
    assert re.search(r'"INIT_DONE" \[label="INIT_DONE\\n\(current\)".*color="#0072B2"', d.source)


def test_failed_exchange_names_the_error_notify() -> None:
    w = connect(*configs(psk_r=b"not the same secret"), seed="viz-auth-failed")
    d = ike_sequence(w.resp)
    last = transcript_messages(w.resp.transcript, "responder")[-1]
    assert last.sender == "responder" and "N(AUTHENTICATION_FAILED)" in last.payloads
    assert "error notify: AUTHENTICATION_FAILED" in last.note
    assert "AUTHENTICATION_FAILED" in svg_texts(d.svg())
    # status notifies (>= 16384) are not called errors
    assert not any("INITIAL_CONTACT" in m.note for m in transcript_messages(w.resp.transcript, "responder"))
