"""Tables drawn from the models: HTML for JupyterLab, with a stable plain-text form for nbval and terminals.

A :class:`Table` is columns, rows of strings, an optional mark per row (``"chosen"``, ``"eliminated"``,
``"error"``, ``"warning"``) and an optional link per row. Marks are never colour alone: a marked row
is also tinted, bold (chosen) or struck through (eliminated), and the mark is written in its own
``status`` column, so the text form says the same thing as the HTML.

Builders read the models and never re-decide anything:

- :func:`sad_table`, :func:`spd_table` (with an SPD lookup's "why"), :func:`spd_decision_table`;
- :func:`route_table` (every route with what the lookup did to it, the deciding rule and its doc link);
- :func:`path_choice_table` (the VGW's candidate paths, the chosen one and why the others lost);
- :func:`rules_table` (``vpnlearn.aws.rules.RULES`` with their AWS doc links);
- :func:`findings_table` (validation findings: severity, path, value, rule, message, doc link).
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vpnlearn.viz.style import BACKGROUND, EDGE, FONT, LINK_TEXT, MONO, TEXT, TINT

# How a marked row looks: (background, extra CSS, word in the status column).
MARKS: dict[str, tuple[str, str]] = {
    "chosen": (TINT["blue"], "font-weight:bold;"),
    "match": (TINT["blue"], "font-weight:bold;"),
    "eliminated": (TINT["grey"], "text-decoration:line-through;"),
    "error": (TINT["vermillion"], "font-weight:bold;"),
    "warning": (TINT["yellow"], ""),
    "": (BACKGROUND, ""),
}
MARK_SYMBOL = {"chosen": "=>", "match": "=>", "eliminated": "x ", "error": "!!", "warning": "! ", "": "  "}


@dataclass(frozen=True)
class Table:
    """A titled table. ``marks[i]`` tags row ``i``; ``links[i]`` is a URL for row ``i`` (or "").

    ``link_column`` names the column whose cell becomes the link text in HTML (the URL itself is
    printed in the text form). ``note`` is shown under the table (e.g. a lookup's explanation).
    ``folded`` shows only the title and row count until the reader opens it (see :meth:`fold`).
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    marks: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    link_column: str = ""
    note: str = ""
    mono_columns: tuple[str, ...] = field(default=())
    folded: bool = False

    def fold(self) -> Table:
        """The same table, closed in the notebook until clicked (for long reference tables)."""
        return dataclasses.replace(self, folded=True)

    def __post_init__(self) -> None:
        from vpnlearn.errors import ConfigError

        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ConfigError(f"table {self.title!r}: row {i} has {len(row)} cells, "
                                  f"expected {len(self.columns)} (columns {list(self.columns)})")
        for name, seq in (("marks", self.marks), ("links", self.links)):
            if seq and len(seq) != len(self.rows):
                raise ConfigError(f"table {self.title!r}: field {name} has {len(seq)} entries for "
                                  f"{len(self.rows)} rows")
        for m in self.marks:
            if m not in MARKS:
                raise ConfigError(f"table {self.title!r}: field marks: unknown mark {m!r}, use one of "
                                  f"{sorted(MARKS)}")

    def mark(self, i: int) -> str:
        return self.marks[i] if self.marks else ""

    def link(self, i: int) -> str:
        return self.links[i] if self.links else ""

    # -- HTML -------------------------------------------------------------------------------------
    def html(self) -> str:
        """The table as HTML with its own light background (readable in light and dark themes)."""
        esc = html.escape
        # The box is at most as wide as the output area and the table wraps instead of scrolling
        # sideways: text wraps between words, and long code-like words (JSON paths) at their dots and
        # brackets (see breakable). Tried and dropped: "overflow-wrap:anywhere" squeezed short
        # columns until "severity" broke into "severi / ty"; "word-break:break-all" cut paths every
        # few characters; a min-width on the path column made other tables too wide.
        cell = (f"border:1px solid {EDGE};padding:3px 6px;text-align:left;vertical-align:top;"
                "overflow-wrap:break-word;")
        out = [f'<div style="background:{BACKGROUND};color:{TEXT};font-family:{FONT};padding:6px;'
               f'display:inline-block;max-width:100%;box-sizing:border-box">']
        if self.folded:
            # <details> opens with a click or the keyboard (Enter/Space on the summary).
            n = len(self.rows)
            out.append(f'<details><summary style="cursor:pointer;color:{TEXT}"><b>{esc(self.title)}</b> '
                       f'({n} row{"s" if n != 1 else ""}; click to show)</summary>')
        else:
            out.append(f'<div style="font-weight:bold;margin-bottom:4px">{esc(self.title)}</div>')
        out += [
               f'<table style="border-collapse:collapse;background:{BACKGROUND};color:{TEXT};'
               'font-size:12px">',
               "<thead><tr>"]
        for c in self.columns:
            out.append(f'<th style="{cell}background:{TINT["grey"]};color:{TEXT}">{esc(c)}</th>')
        out.append("</tr></thead><tbody>")
        for i, row in enumerate(self.rows):
            bg, extra = MARKS[self.mark(i)]
            out.append(f'<tr data-mark="{esc(self.mark(i))}">')
            for c, v in zip(self.columns, row, strict=True):
                font = f"font-family:{MONO};" if c in self.mono_columns else ""
                text = breakable(v)
                if c == self.link_column and self.link(i):
                    text = (f'<a href="{esc(self.link(i))}" target="_blank" rel="noopener" '
                            f'style="color:{LINK_TEXT}">{text}</a>')
                out.append(f'<td style="{cell}background:{bg};color:{TEXT};{extra}{font}">{text}</td>')
            out.append("</tr>")
        out.append("</tbody></table>")
        if self.note:
            out.append(f'<pre style="background:{BACKGROUND};color:{TEXT};font-family:{MONO};'
                       f'font-size:11px;margin:4px 0 0 0;white-space:pre-wrap">{esc(self.note)}</pre>')
        if self.folded:
            out.append("</details>")
        out.append("</div>")
        return "".join(out)

    # -- text ------------------------------------------------------------------------------------
    def text(self) -> str:
        """A fixed-width plain-text table (marks as ``=>``/``x``/``!!``/``!``; links printed in full)."""
        cols = list(self.columns)
        rows = [list(r) for r in self.rows]
        if self.links and self.link_column:
            cols.append("link")
            for i, r in enumerate(rows):
                r.append(self.link(i))
        widths = [max([len(c)] + [len(r[j]) for r in rows]) for j, c in enumerate(cols)]

        def line(cells: Sequence[str], mark: str = "  ") -> str:
            return (mark + " " + " | ".join(v.ljust(w) for v, w in zip(cells, widths, strict=True))).rstrip()

        out = [self.title, line(cols), "   " + "-+-".join("-" * w for w in widths)]
        for i, r in enumerate(rows):
            out.append(line(r, MARK_SYMBOL[self.mark(i)]))
        if self.note:
            out.append(self.note)
        return "\n".join(out)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:  # type: ignore[no-untyped-def]
        return {"text/html": self.html(), "text/plain": self.text()}


_LONG_WORD = re.compile(r"\S{21,}")
# after . / , _ ; before [ ( ; and between camelCase parts (Phase1|Encryption|Algorithms)
_BREAK = re.compile(r"(?<=[./,_])|(?=[\[(])|(?<=[a-z0-9])(?=[A-Z])")


def breakable(text: str) -> str:
    """``text`` as HTML, with ``<wbr>`` (a line-break opportunity) after the dots, slashes, commas and
    underscores, before the brackets and between the camelCase parts of words longer than 20
    characters (``Vpn<wbr>Connections<wbr>[0].<wbr>Options...``):
    a table column then needs only the longest *segment* of a JSON path on one line, not all of it.
    Shorter words (addresses such as 169.254.14.0/30) are left whole."""
    out, pos = [], 0
    for m in _LONG_WORD.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        out.append("<wbr>".join(html.escape(part) for part in _BREAK.split(m.group(0))))
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        return ", ".join(_s(v) for v in value)
    return str(value)


def from_rows(title: str, rows: Iterable[dict[str, Any]], *, columns: Sequence[str] | None = None,
              note: str = "") -> Table:
    """A table from dict rows (the ``rows()`` the models give); columns default to the first row's keys."""
    rows = list(rows)
    cols = tuple(columns) if columns is not None else (tuple(rows[0]) if rows else ())
    return Table(title, cols, tuple(tuple(_s(r.get(c)) for c in cols) for r in rows), note=note)


# --------------------------------------------------------------------------------------------------
# IPsec: SAD and SPD


def sad_table(sad: Any, title: str = "Security Association Database (SAD)") -> Table:
    """Every SA in a :class:`vpnlearn.ipsec.sad.SAD` (no keys), from ``sad.rows()``."""
    cols = ("direction", "spi", "protocol", "destination", "spd entry", "encryption", "integrity")
    return Table(title, cols, tuple(tuple(_s(r.get(c)) for c in cols) for r in sad.rows()),
                 mono_columns=("spi",))


def spd_table(spd: Any, decision: Any = None, title: str = "Security Policy Database (SPD)") -> Table:
    """The SPD in order; with an SPD lookup ``decision`` each entry says whether it matched and why not,
    the deciding entry is marked ``chosen`` and the decision's ``why`` is printed under the table."""
    base = ("#", "name", "direction", "local", "remote", "protocol", "local ports", "remote ports",
            "action", "sa")
    reasons: dict[str, tuple[bool, str]] = {}
    if decision is not None:
        reasons = {s.entry.name: (s.matched, s.reason) for s in decision.steps}
    cols = base + (("status", "why") if decision is not None else ())
    rows, marks = [], []
    for i, r in enumerate(spd.rows()):
        cells = [str(i + 1)] + [_s(r.get(c)) for c in base[1:]]
        mark = ""
        if decision is not None:
            chosen = decision.entry is not None and decision.entry.name == r["name"]
            if r["name"] in reasons:
                matched, why = reasons[r["name"]]
                status = "chosen" if chosen else ("matched" if matched else "skipped")
                mark = "chosen" if chosen else "eliminated"
            else:
                status, why = "not tried", "an earlier entry decided"
            cells += [status, why]
        rows.append(tuple(cells))
        marks.append(mark)
    return Table(title, cols, tuple(rows), tuple(marks) if decision is not None else (),
                 note=decision.why if decision is not None else "")


def spd_decision_table(decision: Any) -> Table:
    """The trace of one SPD lookup (``Decision.rows()``), deciding entry marked."""
    cols = ("#", "entry", "matched", "reason", "action")
    rows = tuple(tuple(_s(r[c]) for c in cols) for r in decision.rows())
    marks = tuple("chosen" if r[2] == "yes" else "eliminated" for r in rows)
    return Table(f"SPD lookup: {decision.direction} {decision.selector}", cols, rows, marks,
                 note=decision.why)


# --------------------------------------------------------------------------------------------------
# AWS: route tables, rules, findings


def route_table(table: Any, lookup: Any = None) -> Table:
    """A VPC route table (:class:`vpnlearn.aws.network.RouteTable`).

    With a :class:`vpnlearn.aws.routing.Lookup` (from ``routing.lookup(table, destination)``) each
    route says what the lookup did to it (``chosen``, ``eliminated by RULE``, ``no match``), linked to
    the rule's AWS documentation page, and the lookup's numbered explanation is printed under it.
    """
    from vpnlearn.aws.network import ROUTING_RULES

    cols = ("destination", "target", "origin", "source", "via")
    status = dict.fromkeys(map(id, table.routes), "")
    if lookup is not None:
        status = {id(r): s for r, s in lookup.route_status(table)}
        cols = (*cols, "status")
    rows, marks, links = [], [], []
    for r in table.routes:
        cells = [str(r.destination), r.target.id, r.origin.value, r.source.value, r.via]
        mark, link = "", ""
        if lookup is not None:
            st = status[id(r)]
            cells.append(st)
            if st == "chosen":
                mark = "chosen"
                rule = ROUTING_RULES.get(lookup.decided_by)
                link = rule.url if rule else ""
            elif st.startswith("eliminated by "):
                mark = "eliminated"
                rule = ROUTING_RULES.get(st.removeprefix("eliminated by "))
                link = rule.url if rule else ""
        rows.append(tuple(cells))
        marks.append(mark)
        links.append(link)
    title = f"Route table {table.id}" + (" (main)" if getattr(table, "main", False) else "")
    if lookup is None:
        return Table(title, cols, tuple(rows))
    return Table(f"{title}: lookup {lookup.destination}", cols, tuple(rows), tuple(marks), tuple(links),
                 link_column="status", note=lookup.explain())


def path_choice_table(choice: Any) -> Table:
    """The virtual private gateway's candidate paths (:class:`vpnlearn.aws.routing.PathChoice` from
    ``VgwRouter.select``): each with ``chosen`` or the rule that eliminated it (linked), and the numbered
    explanation under the table."""
    from vpnlearn.aws.network import ROUTING_RULES

    gone = {id(p): s.rule_id for s in choice.steps for p in s.eliminated}
    cols = ("prefix", "connection", "tunnel", "source", "AS_PATH", "MED", "status")
    rows, marks, links = [], [], []
    for p in choice.candidates:
        if choice.path is not None and p is choice.path:
            status, mark, rule = "chosen", "chosen", choice.decided_by
        elif id(p) in gone:
            status, mark, rule = f"eliminated by {gone[id(p)]}", "eliminated", gone[id(p)]
        else:
            status, mark, rule = "kept", "", ""
        rows.append((str(p.prefix), p.connection, p.tunnel, p.source.value, " ".join(map(str, p.as_path)),
                     str(p.med), status))
        marks.append(mark)
        r = ROUTING_RULES.get(rule)
        links.append(r.url if r else "")
    return Table(f"Virtual private gateway {choice.gateway_id}: path to {choice.destination}", cols,
                 tuple(rows), tuple(marks), tuple(links), link_column="status", note=choice.explain())


def rules_table(applies_to: str | None = None) -> Table:
    """AWS's documented VPN rules (``vpnlearn.aws.rules.RULES``), each linked to its AWS doc page."""
    from vpnlearn.aws.rules import RULES

    cols = ("id", "applies to", "field", "allowed", "default", "severity", "description")
    rows, links, marks = [], [], []
    for r in RULES.values():
        if applies_to is not None and r.applies_to != applies_to:
            continue
        rows.append((r.id, r.applies_to, r.field, r.allowed, _s(r.default), r.severity, r.description))
        links.append(r.doc_url)
        marks.append("")
    title = "AWS Site-to-Site VPN rules" + (f" ({applies_to})" if applies_to else "")
    return Table(title, cols, tuple(rows), tuple(marks), tuple(links), link_column="id",
                 mono_columns=("field",))


def findings_table(findings: Iterable[Any], title: str = "Validation findings") -> Table:
    """Validation findings (:class:`vpnlearn.aws.rules.Finding`): errors first, then warnings, each
    with its JSON path, value, rule, message and a link to the AWS page the rule comes from."""
    items = sorted(findings, key=lambda f: (f.severity != "error", f.path, f.rule_id))
    cols = ("severity", "path", "value", "rule", "message")
    rows = tuple((f.severity.upper(), f.path, repr(f.value), f.rule_id, f.message) for f in items)
    marks = tuple("error" if f.severity == "error" else "warning" for f in items)
    links = tuple(f.doc_url for f in items)
    n_err = sum(m == "error" for m in marks)
    note = f"{n_err} error(s), {len(items) - n_err} warning(s)"
    return Table(title, cols, rows, marks, links, link_column="rule", note=note, mono_columns=("path",))


__all__ = ["MARKS", "Table", "findings_table", "from_rows", "path_choice_table", "route_table", "rules_table",
           "sad_table", "spd_decision_table", "spd_table"]
