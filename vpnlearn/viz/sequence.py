"""Sequence diagrams of IKE exchanges, drawn from a real transcript, and the IKE state machine.

Renderer: Graphviz (like every other vpnlearn picture), so the SVG is the same in JupyterLab, in
a saved file and in a test, and the DOT source is byte-stable. Each message is one row: the
initiator's lifeline, a box naming the message (exchange, request/response, Message ID, payloads,
which keys protect it) and the responder's lifeline, with the arrow pointing from sender to
receiver. Protected messages are drawn in the "encrypted" colour, bold, AND say "encrypted with
SK_ei" in their box; plaintext ones are grey AND say "plaintext".

- :func:`ike_sequence` — from a peer (``Initiator``/``Responder``) or its ``transcript`` list.
- :func:`ikev1_sequence` — IKEv1 Main Mode + Quick Mode from the table in ``vpnlearn.ike.ikev1``.
- :func:`ikev2_first_child_sequence` — the 4 IKEv2 messages of that table, for the comparison.
- :func:`state_diagram` — the IKE SA state machine from ``vpnlearn.ike.state.TRANSITIONS``.

Each sequence diagram's ``text`` is the same content as plain text (``SequenceDiagram.text``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vpnlearn.viz.display import Diagram, html_text, quote
from vpnlearn.viz.style import (
    AUTHENTICATED_TEXT,
    BACKGROUND,
    EDGE,
    ENCRYPTED_COLOUR,
    ENCRYPTED_TEXT,
    FONT,
    OKABE_ITO,
    STATE_STYLE,
    TINT,
    graph_attributes,
    layer_fill,
)

WRAP = 56  # characters per payload line in a message box


@dataclass(frozen=True)
class Message:
    """One row of a sequence diagram: who sends, the headline, the payloads, the protection."""

    sender: str  # "initiator" or "responder"
    title: str
    payloads: str
    protection: str  # "" = plaintext, else what protects it, e.g. "encrypted + authenticated with SK_ei"
    note: str = ""
    group: str = ""  # a section heading drawn before the first message of the group


@dataclass(eq=False, repr=False)
class SequenceDiagram(Diagram):
    """A :class:`~vpnlearn.viz.display.Diagram` that also carries the plain-text rendering."""

    text: str = ""

    def __repr__(self) -> str:
        return self.text

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:  # type: ignore[no-untyped-def]
        bundle = super()._repr_mimebundle_(include, exclude)
        bundle["text/plain"] = self.text
        return bundle


def _box(m: Message, n: int) -> str:
    fill = TINT["orange"] if m.protection else layer_fill("IKE")
    lines = [f"<B>{n}. {html_text(m.title)}</B>"]
    for line in textwrap.wrap(m.payloads, WRAP) or [""]:
        lines.append(f"<FONT FACE='DejaVu Sans Mono,monospace' POINT-SIZE='9'>{html_text(line)}</FONT>")
    prot = (f"<FONT COLOR='{ENCRYPTED_TEXT}'><B>{html_text(m.protection)}</B></FONT>" if m.protection
            else "<I>plaintext</I>")
    lines.append(f"<FONT POINT-SIZE='9'>{prot}</FONT>")
    for line in textwrap.wrap(m.note, WRAP + 10):
        lines.append(f"<FONT POINT-SIZE='9'><I>{html_text(line)}</I></FONT>")
    rows = "".join(f"<TR><TD WIDTH='424'>{line}</TD></TR>" for line in lines)
    return (f"<TABLE BORDER='1' CELLBORDER='0' CELLSPACING='0' CELLPADDING='1' WIDTH='430' BGCOLOR='{fill}' "
            f"COLOR='{EDGE}'>{rows}</TABLE>")


def _dot(name: str, title: str, messages: Sequence[Message], left: str, right: str) -> str:
    out = [f"digraph {quote(name)} {{", graph_attributes("TB").rstrip("\n"),
           f"  label={quote(title)}; labelloc=t; fontsize=14; ranksep=0.15; nodesep=0.7;",
           "  edge [arrowsize=0.8];"]
    head = (f'shape=box, style="rounded,filled", fillcolor="{TINT["blue"]}", fontsize=12, width=1.6')
    out.append(f'  {{ rank=same; I_h [label={quote(left)}, {head}]; M_h [label="", shape=point, '
               f'style=invis, width=0.01]; R_h [label={quote(right)}, {head}]; }}')
    out.append('  I_h -> M_h -> R_h [style=invis];')
    prev = "h"
    last_group = ""
    for n, m in enumerate(messages, 1):
        if m.group and m.group != last_group:
            last_group = m.group
            key = f"g{n}"
            out.append(f'  {{ rank=same; I_{key} [shape=point, width=0.01, color="{EDGE}"]; '
                       f'M_{key} [shape=plaintext, style="", label=<<B>{html_text(m.group)}</B>>, '
                       f'fontcolor="{AUTHENTICATED_TEXT}"]; '
                       f'R_{key} [shape=point, width=0.01, color="{EDGE}"]; }}')
            out.append(f'  I_{key} -> M_{key} -> R_{key} [style=invis];')
            out.extend(_lifelines(prev, key))
            prev = key
        key = str(n)
        colour = ENCRYPTED_COLOUR if m.protection else EDGE
        width = "2" if m.protection else "1.2"
        out.append(f'  {{ rank=same; I_{key} [shape=point, width=0.06, color="{EDGE}"]; '
                   f'M_{key} [shape=plaintext, style="", label=<{_box(m, n)}>]; '
                   f'R_{key} [shape=point, width=0.06, color="{EDGE}"]; }}')
        if m.sender == "initiator":
            out.append(f'  I_{key} -> M_{key} [dir=none, color="{colour}", penwidth={width}];')
            out.append(f'  M_{key} -> R_{key} [color="{colour}", penwidth={width}];')
        else:
            out.append(f'  I_{key} -> M_{key} [dir=back, color="{colour}", penwidth={width}];')
            out.append(f'  M_{key} -> R_{key} [dir=none, color="{colour}", penwidth={width}];')
        out.extend(_lifelines(prev, key))
        prev = key
    out.append("}")
    return "\n".join(out) + "\n"


def _lifelines(a: str, b: str) -> list[str]:
    return [f'  I_{a} -> I_{b} [style=dashed, arrowhead=none, color="{EDGE}", weight=100];',
            f'  R_{a} -> R_{b} [style=dashed, arrowhead=none, color="{EDGE}", weight=100];',
            f"  M_{a} -> M_{b} [style=invis, weight=10];"]


def _text(title: str, messages: Sequence[Message], left: str, right: str) -> str:
    width = 64
    out = [title, f"{left:<{width // 2}}{right:>{width // 2}}"]
    last_group = ""
    for n, m in enumerate(messages, 1):
        if m.group and m.group != last_group:
            last_group = m.group
            out.append(f"--- {m.group} ---")
        head = f" {n}. {m.title} "
        bar = max(4, width - len(head) - 2)
        if m.sender == "initiator":
            out.append("|" + head + "-" * bar + ">|")
        else:
            out.append("|<" + "-" * bar + head + "|")
        for line in textwrap.wrap(m.payloads, width - 6):
            out.append(f"|    {line}")
        out.append("|    " + (f"[{m.protection}]" if m.protection else "[plaintext]"))
        for i, line in enumerate(textwrap.wrap(m.note, width - 12)):
            out.append(("|    note: " if i == 0 else "|          ") + line)
    return "\n".join(out)


def _diagram(name: str, title: str, messages: Sequence[Message], left: str = "Initiator",
             right: str = "Responder") -> SequenceDiagram:
    return SequenceDiagram(_dot(name, title, messages, left, right), title=title,
                           text=_text(title, messages, left, right))


# --------------------------------------------------------------------------------------------------
# IKEv2 from a real transcript


def transcript_messages(transcript: Sequence[Any], role: str) -> list[Message]:
    """The rows for a transcript recorded by the peer playing ``role`` ("initiator"/"responder")."""
    from vpnlearn.errors import ConfigError

    if role not in ("initiator", "responder"):
        raise ConfigError(f"sequence diagram: field role must be 'initiator' or 'responder', got {role!r}")
    other = "responder" if role == "initiator" else "initiator"
    out = []
    for i, e in enumerate(transcript):
        if e.direction not in ("sent", "received"):
            raise ConfigError(f"sequence diagram: transcript[{i}].direction must be 'sent' or 'received', "
                              f"got {e.direction!r}")
        sender = role if e.direction == "sent" else other
        kind = "response" if e.is_response else "request"
        errors = _error_notifies(e.payloads)
        err = f"error notify: {', '.join(errors)} (RFC 7296 §3.10.1)" if errors else ""
        note = "; ".join(x for x in (err, e.note) if x)
        out.append(Message(sender, f"{e.exchange} {kind} (Message ID {e.message_id}, t={e.time:g} s)",
                           ", ".join(e.payloads),
                           f"encrypted + authenticated with {e.protected_by}" if e.protected_by else "",
                           note))
    return out


def _error_notifies(payloads: Sequence[str]) -> list[str]:
    """The error Notify types (below 16384, RFC 7296 §3.10.1) named in a message's payload list."""
    from vpnlearn.ike.payloads import NOTIFY

    text = " ".join(payloads)
    return [name for name, code in NOTIFY.items() if code < 16384 and f"N({name})" in text]


def ike_sequence(peer_or_transcript: Any, *, role: str | None = None, title: str | None = None,
                 initiator: str = "Initiator", responder: str = "Responder") -> SequenceDiagram:
    """The IKEv2 sequence diagram of a real exchange.

    Give an ``Initiator``/``Responder`` (its ``transcript`` and role are read from it) or a list of
    :class:`~vpnlearn.ike.TranscriptEntry` with ``role`` saying which peer recorded it.
    """
    from vpnlearn.errors import ConfigError

    transcript = getattr(peer_or_transcript, "transcript", peer_or_transcript)
    if role is None:
        name = type(peer_or_transcript).__name__
        if name not in ("Initiator", "Responder"):
            raise ConfigError("sequence diagram: field role is needed with a bare transcript "
                              "('initiator' or 'responder': which peer recorded it)")
        role = name.lower()
    msgs = transcript_messages(list(transcript), role)
    return _diagram("ike_sequence", title or f"IKEv2 exchange as recorded by the {role} "
                    f"({len(msgs)} messages)", msgs, initiator, responder)


# --------------------------------------------------------------------------------------------------
# IKEv1 and the IKEv2 comparison, from vpnlearn.ike.ikev1


def ikev1_sequence(title: str = "IKEv1 (RFC 2409): Main Mode + Quick Mode = 9 messages to the first "
                                "IPsec SA pair") -> SequenceDiagram:
    """IKEv1 Main Mode (Phase 1) and Quick Mode (Phase 2), from ``vpnlearn.ike.ikev1.IKEV1_FIRST_CHILD``."""
    from vpnlearn.ike.ikev1 import IKEV1_FIRST_CHILD

    msgs = []
    for m in IKEV1_FIRST_CHILD:
        phase = "Phase 1: ISAKMP SA" if m.mode == "Main Mode" else "Phase 2: IPsec SA"
        msgs.append(Message(m.sender.lower(), f"{m.mode} message {m.number} ({m.rfc})", ", ".join(m.payloads),
                            "HDR*: encrypted with a key from SKEYID_e" if m.encrypted else "", m.purpose,
                            f"{m.mode} ({phase})"))
    return _diagram("ikev1_sequence", title, msgs)


def ikev2_first_child_sequence(title: str = "IKEv2 (RFC 7296 §1.2): 4 messages to the first CHILD_SA"
                               ) -> SequenceDiagram:
    """The IKEv2 side of the comparison, from ``vpnlearn.ike.ikev1.IKEV2_FIRST_CHILD``."""
    from vpnlearn.ike.ikev1 import IKEV2_FIRST_CHILD

    msgs = [Message(sender.lower(), f"{exchange} message {n}", ", ".join(payloads),
                    ("encrypted + authenticated with " + ("SK_ei/SK_ai" if sender == "Initiator"
                                                           else "SK_er/SK_ar")) if enc else "", "", exchange)
            for n, exchange, sender, payloads, enc in IKEV2_FIRST_CHILD]
    return _diagram("ikev2_first_child", title, msgs)


# --------------------------------------------------------------------------------------------------
# The IKE SA state machine from vpnlearn.ike.state.TRANSITIONS

STATE_SHAPES = {
    "IDLE": ("circle", TINT["grey"]),
    "ESTABLISHED": ("doublecircle", TINT["green"]),
    "FAILED": ("octagon", TINT["vermillion"]),
    "CLOSED": ("doubleoctagon", TINT["grey"]),
}


def state_diagram(role: str | None = None, *, current: Any = None,
                  title: str | None = None) -> Diagram:
    """The IKE SA state machine, drawn from :func:`vpnlearn.ike.state.edges` (the same table the peers
    run on). ``role`` ("initiator"/"responder") keeps that side's rows; ``current`` (a state) is drawn
    with the highlight style and labelled "current"."""
    from vpnlearn.ike.state import State, edges

    rows = edges(role)
    # A trigger that leads from 3+ states to the same state (e.g. "retransmissions exhausted" -> CLOSED)
    # is drawn once, from a note listing those states, instead of as long crossing edges.
    by_trigger: dict[tuple[str, str], list[str]] = {}
    for a, b, label in rows:
        if a != b:
            by_trigger.setdefault((label, b), []).append(a)
    grouped = {k: v for k, v in by_trigger.items() if len(v) >= 3}
    merged: dict[tuple[str, str], list[str]] = {}
    for a, b, label in rows:
        if (label, b) in grouped and a != b:
            continue
        merged.setdefault((a, b), []).append(label)
    cur = getattr(current, "value", current)
    states = [s.value for s in State if any(s.value in k for k in merged)]
    name = title or ("IKE SA states" + (f" ({role})" if role else " (both roles)") + ", from TRANSITIONS")
    out = ["digraph ike_states {", graph_attributes("TB").rstrip("\n"),
           f"  label={quote(name)}; labelloc=t; fontsize=14; ranksep=0.45; nodesep=0.5;",
           f'  node [style=filled, fillcolor="{BACKGROUND}", fontname="{FONT}"];']
    for s in states:
        shape, fill = STATE_SHAPES.get(s, ("box", TINT["sky"]))
        extra = ""
        loops = merged.get((s, s), [])
        # Triggers that keep the state are written in the node (a self-loop with no label beside it).
        label = s + "".join(f"\n\u21bb {t}" for t in sorted(loops))
        if s == cur:
            hl = STATE_STYLE["highlight"]
            extra = f', color="{hl["color"]}", penwidth={hl["penwidth"]}, style="filled,bold"'
            label = f"{label}\n(current)"
        style = ', style="rounded,filled"' if shape == "box" and s != cur else ""
        out.append(f"  {quote(s)} [label={quote(label)}, shape={shape}, fillcolor=\"{fill}\"{style}{extra}];")
    for (a, b), labels in merged.items():
        colour = (OKABE_ITO["vermillion"] if b in ("FAILED", "CLOSED") and a != b
                  else OKABE_ITO["green"] if b == "ESTABLISHED" and a != b else EDGE)
        style = "dashed" if b in ("FAILED", "CLOSED") and a != b else "solid"
        port = ""
        text = "" if a == b else chr(10).join(sorted(labels))
        out.append(f"  {quote(a)} -> {quote(b)} [label={quote(text)}, "
                   f'color="{colour}", style={style}{port}];')
    for i, ((label, b), sources) in enumerate(grouped.items()):
        note = f"group{i}"
        text = "\n".join(textwrap.wrap("from " + ", ".join(sources), 24))  # narrow: the notes share a rank
        out.append(f"  {quote(note)} [label={quote(text)}, shape=note, "
                   f'fillcolor="{TINT["yellow"]}", fontsize=10];')
        red = OKABE_ITO["vermillion"]
        out.append(f'  {quote(note)} -> {quote(b)} [label={quote(label)}, color="{red}", style=dashed];')
    out.append("}")
    return Diagram("\n".join(out) + "\n", title=name)


__all__ = ["Message", "SequenceDiagram", "ike_sequence", "ikev1_sequence", "ikev2_first_child_sequence",
           "state_diagram", "transcript_messages"]
