"""A small deterministic DOT writer shared by the topology and sequence diagrams.

Nodes and clusters are written in the order they are added (the models' own order), edges after
them; the same calls always give byte-identical source. Edges carry a ``key`` so a path (a list of
``(tail, head, key)``) can be highlighted after the picture is built, with
``STATE_STYLE["highlight"]`` and a ``legend`` saying what the highlight means.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from vpnlearn.viz.display import html_text, quote
from vpnlearn.viz.style import BACKGROUND, STATE_STYLE, TEXT, TEXT_COLOUR, graph_attributes


def attrs(**kw: object) -> str:
    """``[a="1", b="2"]`` in the order given (None values dropped)."""
    items = [f"{k}={quote(v)}" for k, v in kw.items() if v is not None]
    return f" [{', '.join(items)}]" if items else ""


@dataclass
class Cluster:
    """A ``subgraph cluster_...`` with a label, a fill and its contents (nodes and sub-clusters)."""

    name: str
    label: str
    fill: str
    style: str = "rounded,filled"
    lines: list[str | Cluster] = field(default_factory=list)

    def node(self, id: str, label: str, **kw: object) -> str:
        self.lines.append(f"{quote(id)}{attrs(label=label, **kw)};")
        return id

    def html_node(self, id: str, html_label: str, **kw: object) -> str:
        """A node whose label is a Graphviz HTML-like label (``<...>``)."""
        extra = attrs(**kw)
        extra = extra[:-1] + ", " if extra else " ["
        self.lines.append(f"{quote(id)}{extra}label=<{html_label}>];")
        return id

    def cluster(self, name: str, label: str, fill: str, style: str = "rounded,filled") -> Cluster:
        sub = Cluster(name, label, fill, style)
        self.lines.append(sub)
        return sub

    def write(self, out: list[str], indent: str) -> None:
        out.append(f"{indent}subgraph {quote('cluster_' + self.name)} {{")
        out.append(f"{indent}  label={quote(self.label)}; style={quote(self.style)}; "
                   f"fillcolor={quote(self.fill)}; color=\"#4D4D4D\"; fontcolor=\"{TEXT}\"; "
                   "labeljust=l; margin=10;")
        for line in self.lines:
            if isinstance(line, Cluster):
                line.write(out, indent + "  ")
            else:
                out.append(f"{indent}  {line}")
        out.append(f"{indent}}}")


@dataclass
class Edge:
    tail: str
    head: str
    key: str
    attrs: dict[str, object]


class Graph(Cluster):
    """The top-level graph: clusters, nodes, keyed edges, highlight and legend."""

    def __init__(self, name: str, title: str = "", rankdir: str = "TB") -> None:
        super().__init__(name, title, BACKGROUND)
        self.rankdir = rankdir
        self.edges: list[Edge] = []
        self.extra: list[str] = []

    def edge(self, tail: str, head: str, key: str = "", **kw: object) -> tuple[str, str, str]:
        self.edges.append(Edge(tail, head, key, dict(kw)))
        return (tail, head, key)

    def has_edge(self, tail: str, head: str, key: str = "") -> bool:
        return any(e.tail == tail and e.head == head and e.key == key for e in self.edges)

    def source(self, highlight: list[tuple[str, str, str]] | None = None,
               legend: list[tuple[str, str]] | None = None, *, parallel: bool = False) -> str:
        """The DOT source; edges in ``highlight`` are drawn with ``STATE_STYLE["highlight"]`` (a missing
        edge is added, so the path is always drawn whole); ``legend`` rows are ``(sample, meaning)``.

        The highlighted edges are numbered as steps ``[1] [2] ...``; with ``parallel=True`` they are
        alternatives taken side by side (ECMP) and labelled ``[ECMP 1/2] ...`` instead."""
        hl = []
        for t, h, k in highlight or []:
            if not self.has_edge(t, h, k) and self.has_edge(h, t, k):
                t, h = h, t  # an undirected/two-way edge drawn the other way round
            elif not self.has_edge(t, h, k):
                self.edge(t, h, k)
            hl.append((t, h, k))
        hl_set = {(t, h, k): i for i, (t, h, k) in enumerate(hl)}
        out = [f"digraph {quote(self.name)} {{", graph_attributes(self.rankdir).rstrip("\n")]
        if self.label or legend:
            # Title and legend together above the drawing: a legend *node* would take a rank of
            # its own and make the picture wider (it did: 2,700 pt for a Site-to-Site VPN).
            out.append(f"  label=<{title_and_legend(self.label, legend or [])}>; labelloc=t;")
        out.append('  node [shape=box, style="rounded,filled", fillcolor="#FFFFFF"];')
        out.append("  compound=true; newrank=true;")
        for line in self.lines:
            if isinstance(line, Cluster):
                line.write(out, "  ")
            else:
                out.append(f"  {line}")
        for e in self.edges:
            a = dict(e.attrs)
            n = hl_set.get((e.tail, e.head, e.key))
            if n is not None:
                a.update(STATE_STYLE["highlight"])
                base = a.get("label") or ""
                step = f"[ECMP {n + 1}/{len(hl)}]" if parallel else f"[{n + 1}]"
                a["label"] = f"{base}\n{step} packet path" if base else f"{step} packet path"
                a["fontcolor"] = TEXT_COLOUR["blue"]  # darker than the line: readable on every fill
            if a.get("label"):
                # A no-break space each side: dot puts the label right against the edge, and a bold
                # (highlighted) line covered the label's first character.
                a["label"] = "\n".join(f"\u00a0{line}\u00a0" for line in str(a["label"]).split("\n"))
            out.append(f"  {quote(e.tail)} -> {quote(e.head)}{attrs(**a)};")
        out.extend(self.extra)
        out.append("}")
        return "\n".join(out) + "\n"


LEGEND_SAMPLES = {
    "UP": ("━━━", STATE_STYLE["UP"]["color"], "tunnel UP (solid green)"),
    "DOWN": ("╍╍╍", STATE_STYLE["DOWN"]["color"], "tunnel DOWN (dashed vermillion)"),
    "highlight": ("━━━", STATE_STYLE["highlight"]["color"], "packet path (bold blue, numbered)"),
}


LEGEND_WRAP = 72  # characters per legend line: keeps the legend narrower than a notebook page


def wrapped(text: str, width: int = LEGEND_WRAP) -> str:
    """Text for an HTML-like label, broken into left-aligned lines of at most ``width`` characters."""
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]
    return "<BR ALIGN='LEFT'/>".join(html_text(line) for line in lines) + "<BR ALIGN='LEFT'/>"


def legend_table(rows: list[tuple[str, str]]) -> str:
    """An HTML-like legend: each row a line sample (key of LEGEND_SAMPLES, or text) and its meaning."""
    cells = ["<TR><TD COLSPAN='2' ALIGN='LEFT'><B>Legend</B></TD></TR>"]
    for sample, meaning in rows:
        if sample in LEGEND_SAMPLES:
            glyph, colour, default = LEGEND_SAMPLES[sample]
            cells.append(f"<TR><TD VALIGN='TOP'><FONT COLOR='{colour}'><B>{glyph}</B></FONT></TD>"
                         f"<TD ALIGN='LEFT' BALIGN='LEFT'>{wrapped(meaning or default)}</TD></TR>")
        else:
            cells.append(f"<TR><TD VALIGN='TOP'>{html_text(sample)}</TD>"
                         f"<TD ALIGN='LEFT' BALIGN='LEFT'>{wrapped(meaning)}</TD></TR>")
    return (f"<TABLE BORDER='1' CELLBORDER='0' CELLSPACING='2' CELLPADDING='2' BGCOLOR='{BACKGROUND}' "
            f"COLOR='#4D4D4D'>" + "".join(cells) + "</TABLE>")


def title_and_legend(title: str, legend: list[tuple[str, str]]) -> str:
    """The graph's HTML-like label: the title, and under it the legend (when there is one)."""
    rows = []
    if title:
        rows.append(f"<TR><TD><FONT POINT-SIZE='14'>{html_text(title)}</FONT></TD></TR>")
    if legend:
        rows.append(f"<TR><TD ALIGN='LEFT'>{legend_table(legend)}</TD></TR>")
    return "<TABLE BORDER='0' CELLBORDER='0' CELLSPACING='4'>" + "".join(rows) + "</TABLE>"


def state_edge(state: str | None) -> dict[str, object]:
    """Edge attributes for a tunnel state: UP solid green, DOWN dashed vermillion, unknown dotted grey."""
    s = (state or "").upper()
    if s in ("UP", "DOWN"):
        return dict(STATE_STYLE[s])
    return {"color": "#4D4D4D", "style": "dotted", "penwidth": "1.5"}


__all__ = ["Cluster", "Graph", "attrs", "legend_table", "state_edge", "title_and_legend", "wrapped"]
