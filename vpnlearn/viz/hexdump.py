"""Annotated hexdumps: the bytes of a real packet, field by field, in HTML and plain text.

Reads :class:`vpnlearn.wire.Span` lists that the packet classes produce (``.spans()``); it never
parses anything itself.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from vpnlearn.viz.style import AUTHENTICATED_TEXT, BACKGROUND, ENCRYPTED_TEXT, MONO, TEXT, layer_fill
from vpnlearn.wire import Span

MAX_SHOWN = 24  # bytes shown per field before "... +N bytes"


def _protection(span: Span) -> str:
    marks = []
    if span.encrypted:
        marks.append("encrypted")
    if span.authenticated:
        marks.append("authenticated")
    return ", ".join(marks)


def _hex(data: bytes, limit: int = MAX_SHOWN) -> str:
    shown = data[:limit].hex(" ")
    return shown + (f" … +{len(data) - limit} bytes" if len(data) > limit else "")


def _value(span: Span) -> str:
    """A header field's decoded value; nothing for raw bytes or long runs (payloads, keys, ICVs)."""
    v = span.value
    if v is None or isinstance(v, (bytes, bytearray)) or span.length > 8:
        return ""
    if isinstance(v, int) and not isinstance(v, bool) and span.length >= 2:
        return f"{v} (0x{v:0{span.length * 2}x})"
    return str(v)


@dataclass(frozen=True)
class Hexdump:
    """Bytes with labelled spans. Shows as a coloured table in JupyterLab, text in a terminal."""

    data: bytes
    spans: tuple[Span, ...]
    title: str = ""

    def rows(self) -> list[tuple[int, int, str, str, str, str, str]]:
        """(start, end, layer, field, hex, value, protection) for each span, in byte order."""
        out = []
        for s in sorted(self.spans, key=lambda s: (s.start, s.end)):
            out.append((s.start, s.end, s.layer, s.label, _hex(self.data[s.start:s.end]), _value(s),
                        _protection(s)))
        return out

    def text(self) -> str:
        lines = [self.title] if self.title else []
        lines.append(f"{'offset':>9}  {'layer':<12} {'field':<24} {'bytes':<40} value / protection")
        for start, end, layer, label, hexes, value, prot in self.rows():
            extra = "; ".join(x for x in (value, prot) if x)
            rng = f"{start}" if end - start <= 1 else f"{start}-{end - 1}"
            lines.append(f"{rng:>9}  {layer[:12]:<12} {label[:24]:<24} {hexes:<40} {extra}".rstrip())
        lines.append(f"{len(self.data)} bytes in all")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        # Offsets, layer names and hex bytes keep together; long field names and values may wrap, and
        # the bytes wrap 8 to a line, so the table fits a notebook page instead of scrolling sideways.
        # Every cell carries the light background and dark text itself: JupyterLab's dark theme
        # paints alternate table rows dark, which left dark text on a dark row.
        cell = f"padding:2px 8px;text-align:left;vertical-align:top;color:{TEXT};background:{BACKGROUND};"
        keep = cell + "white-space:nowrap;"
        hexcell = cell + "max-width:24ch;"
        head = "".join(f"<th style='{keep}'>{h}</th>" for h in
                       ("offset", "layer", "field", "bytes", "value", "protection"))
        body = []
        for start, end, layer, label, hexes, value, prot in self.rows():
            rng = f"{start}" if end - start <= 1 else f"{start}–{end - 1}"
            colour = layer_fill(layer)
            prot_html = html.escape(prot)
            if prot:
                marks = []
                if "encrypted" in prot:
                    marks.append(f"<span style='color:{ENCRYPTED_TEXT};font-weight:bold'>encrypted</span>")
                if "authenticated" in prot:
                    marks.append(f"<span style='color:{AUTHENTICATED_TEXT}'>authenticated</span>")
                prot_html = ", ".join(marks)
            body.append(
                f"<tr><td style='{keep}'>{rng}</td><td style='{keep}'>{html.escape(layer)}</td>"
                f"<td style='{cell}'><b>{html.escape(label)}</b></td>"
                f"<td style='{hexcell}background:{colour};font-family:{MONO}'>{html.escape(hexes)}</td>"
                f"<td style='{cell}'>{html.escape(value)}</td><td style='{cell}'>{prot_html}</td></tr>")
        caption = (f"<caption style='text-align:left;font-weight:bold;padding:4px;background:{BACKGROUND};"
                   f"color:{TEXT}'>"
                   f"{html.escape(self.title)}</caption>") if self.title else ""
        return (f"<table style='border-collapse:collapse;background:{BACKGROUND};color:{TEXT};"
                f"font-size:12px'>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
                f"<tfoot><tr><td colspan='6' style='{cell}'>{len(self.data)} bytes in all</td></tr></tfoot>"
                "</table>")


def hexdump(data: bytes, spans: Sequence[Span], title: str = "") -> Hexdump:
    """An annotated hexdump of ``data`` labelled by ``spans`` (from a packet's ``.spans()``)."""
    return Hexdump(bytes(data), tuple(spans), title)
