"""Packet-layout diagrams drawn from the same declarations that encode and decode the bytes.

- :func:`header_diagram`: an RFC-style picture of a fixed header (32 bits per row) from its
  :class:`vpnlearn.wire.Header` declaration.
- :func:`packet_diagram`: the fields of a real packet left to right from its spans, with what is
  encrypted and what is authenticated drawn as labelled bars underneath.
"""

from __future__ import annotations

from collections.abc import Sequence

from vpnlearn.viz.display import Diagram, html_text
from vpnlearn.viz.style import (
    AUTHENTICATED_TEXT,
    ENCRYPTED_TEXT,
    FONT,
    graph_attributes,
    layer_fill,
)
from vpnlearn.wire import Header, Span

ROW_BITS = 32


def header_diagram(header: Header, *, trailer: str | None = None, layer: str | None = None) -> Diagram:
    """The header as the RFCs draw it: 32 bits a row, each field as wide as its bits.

    ``trailer`` adds a full-width row for what follows (e.g. ``"Payload Data (variable)"``).
    """
    fill = layer_fill(layer or header.name)
    rows: list[list[tuple[str, int]]] = [[]]
    used = 0
    for f in header.fields:
        remaining = f.bits
        first = True
        while remaining:
            take = min(remaining, ROW_BITS - used)
            label = f.name if first else f"{f.name} (cont.)"
            rows[-1].append((f"{label}<BR/><FONT POINT-SIZE='8'>{f.bits} bits</FONT>"
                             if first else label, take))
            remaining -= take
            used += take
            first = False
            if used == ROW_BITS:
                rows.append([])
                used = 0
    if not rows[-1]:
        rows.pop()
    cells = ["<TR>" + "".join(f"<TD WIDTH='18'><FONT POINT-SIZE='7'>{i}</FONT></TD>" for i in range(32))
             + "</TR>"]
    for row in rows:
        tds = "".join(f"<TD COLSPAN='{bits}' BGCOLOR='{fill}'>{_label(text)}</TD>" for text, bits in row)
        cells.append(f"<TR>{tds}</TR>")
    if trailer:
        cells.append(f"<TR><TD COLSPAN='32' BGCOLOR='#E6E6E6'>{html_text(trailer)}</TD></TR>")
    table = ("<<TABLE BORDER='0' CELLBORDER='1' CELLSPACING='0' CELLPADDING='4'>"
             f"<TR><TD COLSPAN='32'><B>{html_text(header.name)}</B> ({html_text(header.rfc)})</TD></TR>"
             + "".join(cells) + "</TABLE>>")
    source = ("digraph header {\n" + graph_attributes("LR")
              + f"  layout [shape=plaintext, fontname=\"{FONT}\", label={table}];\n}}\n")
    return Diagram(source, f"layout of the {header.name}")


def _label(text: str) -> str:
    # Field names are plain text; the size line is our own markup.
    if "<BR/>" in text:
        name, rest = text.split("<BR/>", 1)
        return f"{html_text(name)}<BR/>{rest}"
    return html_text(text)


def _bar(spans: Sequence[Span], flag: str, colour: str, text: str) -> str:
    """One table row: runs of spans with ``flag`` set become one labelled cell."""
    tds = []
    i = 0
    while i < len(spans):
        j = i
        on = getattr(spans[i], flag)
        while j < len(spans) and getattr(spans[j], flag) == on:
            j += 1
        width = j - i
        if on:
            tds.append(f"<TD COLSPAN='{width}' BGCOLOR='{colour}'><FONT COLOR='white'><B>{text}</B>"
                       "</FONT></TD>")
        else:
            tds.append(f"<TD COLSPAN='{width}' BORDER='0'> </TD>")
        i = j
    return "<TR>" + "".join(tds) + "</TR>"


def packet_diagram(spans: Sequence[Span], *, title: str = "packet", detail: Sequence[str] | None = None
                   ) -> Diagram:
    """Fields left to right with sizes, coloured by layer; encrypted/authenticated bars beneath.

    Layers not named in ``detail`` (when given) are drawn as one box per run of that layer, so a
    long packet stays readable: ``packet_diagram(esp.spans(), detail=["ESP"])``.
    """
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    boxes: list[Span] = []
    for s in ordered:
        if detail is not None and s.layer not in detail and boxes and boxes[-1].layer == s.layer \
                and boxes[-1].encrypted == s.encrypted and boxes[-1].authenticated == s.authenticated:
            prev = boxes[-1]
            boxes[-1] = Span(prev.start, max(prev.end, s.end), f"{s.layer} header" if prev.label != s.layer
                             else prev.label, s.layer, "", "", s.encrypted, s.authenticated)
        elif detail is not None and s.layer not in detail:
            boxes.append(Span(s.start, s.end, s.layer, s.layer, "", "", s.encrypted, s.authenticated))
        else:
            boxes.append(s)
    top = "".join(
        f"<TD BGCOLOR='{layer_fill(b.layer)}'>{html_text(b.label)}<BR/>"
        f"<FONT POINT-SIZE='8'>{b.end - b.start} B</FONT></TD>" for b in boxes)
    # The layer names above the boxes, one label per run of boxes of the same layer.
    runs: list[tuple[str, int]] = []
    for b in boxes:
        if runs and runs[-1][0] == b.layer:
            runs[-1] = (b.layer, runs[-1][1] + 1)
        else:
            runs.append((b.layer, 1))
    layers = "".join(f"<TD BORDER='0' COLSPAN='{n}'><FONT POINT-SIZE='9'>{html_text(layer)}</FONT></TD>"
                     for layer, n in runs)
    rows = [f"<TR>{layers}</TR>", f"<TR>{top}</TR>"]
    if any(b.encrypted for b in boxes):
        rows.append(_bar(boxes, "encrypted", ENCRYPTED_TEXT, "encrypted"))  # white text: the dark shade
    if any(b.authenticated for b in boxes):
        rows.append(_bar(boxes, "authenticated", AUTHENTICATED_TEXT, "authenticated"))
    total = max((b.end for b in boxes), default=0) - min((b.start for b in boxes), default=0)
    table = ("<<TABLE BORDER='0' CELLBORDER='1' CELLSPACING='0' CELLPADDING='5'>"
             f"<TR><TD COLSPAN='{max(1, len(boxes))}' BORDER='0'><B>{html_text(title)}</B> "
             f"({total} bytes)</TD></TR>" + "".join(rows) + "</TABLE>>")
    source = ("digraph packet {\n" + graph_attributes("LR")
              + f"  packet [shape=plaintext, label={table}];\n}}\n")
    return Diagram(source, title)
