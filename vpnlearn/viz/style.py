"""One visual language for every vpnlearn picture.

Colours come from the Okabe-Ito palette, which stays distinguishable for colour-blind readers, and
nothing relies on colour alone: state is also drawn with line style (solid UP, dashed DOWN) and
written in the label, and protection spans are labelled "encrypted" / "authenticated".
Diagrams carry their own light background and dark text, so they read the same in JupyterLab's
light and dark themes.
"""

from __future__ import annotations

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}

# Light tints of the palette for fills (dark text stays readable on them).
TINT = {
    "orange": "#F8DDA6",
    "sky": "#CDE8F8",
    "green": "#B3E2D5",
    "yellow": "#FAF6C2",
    "blue": "#B3D4E8",
    "vermillion": "#F2CDB3",
    "purple": "#EFD6E5",
    "grey": "#E6E6E6",
}

# One named font, not a list: Graphviz lays text out with the metrics of whatever font fontconfig
# picks, so "Helvetica" gives different SVG on machines with and without the URW fonts. DejaVu
# (Debian's fonts-dejavu-core, installed by the project) makes the SVG the same everywhere.
FONT = "DejaVu Sans"
MONO = "DejaVu Sans Mono,Menlo,Consolas,monospace"
BACKGROUND = "#FFFFFF"
TEXT = "#1A1A1A"
EDGE = "#4D4D4D"

# What each protocol layer looks like, everywhere (hexdumps, layouts, sequence diagrams).
LAYER_FILL = {
    "IPv4": TINT["blue"],
    "outer IPv4": TINT["blue"],
    "inner IPv4": TINT["sky"],
    "UDP": TINT["yellow"],
    "ICMP": TINT["green"],
    "ESP": TINT["orange"],
    "ESP trailer": TINT["vermillion"],
    "ICV": TINT["purple"],
    "AH": TINT["purple"],
    "IKE": TINT["green"],
    "payload": TINT["grey"],
}

ENCRYPTED_COLOUR = OKABE_ITO["vermillion"]
AUTHENTICATED_COLOUR = OKABE_ITO["blue"]

# Darker shades of the same two hues for TEXT (and for bars that carry white text). WCAG 2 AA asks
# 4.5:1 for normal text; the palette's vermillion is 3.9:1 on white and its blue 3.3:1 on some tints.
# These are at least 4.5:1 on white and on every TINT (tests/test_viz_basics.py computes it).
TEXT_COLOUR = {"vermillion": "#8A3B00", "blue": "#005A8C"}
ENCRYPTED_TEXT = TEXT_COLOUR["vermillion"]
AUTHENTICATED_TEXT = TEXT_COLOUR["blue"]
LINK_TEXT = TEXT_COLOUR["blue"]

# Tunnel / link state: colour AND line style AND label.
STATE_STYLE = {
    "UP": {"color": OKABE_ITO["green"], "style": "solid", "penwidth": "2"},
    "DOWN": {"color": OKABE_ITO["vermillion"], "style": "dashed", "penwidth": "2"},
    "highlight": {"color": OKABE_ITO["blue"], "style": "bold", "penwidth": "3"},
}


def layer_fill(layer: str) -> str:
    """The fill colour for a protocol layer name (grey when the layer is not known)."""
    if layer in LAYER_FILL:
        return LAYER_FILL[layer]
    for key, colour in LAYER_FILL.items():
        if key.lower() in layer.lower():
            return colour
    return TINT["grey"]


def graph_attributes(rankdir: str = "LR") -> str:
    """The common DOT preamble of every diagram."""
    return (f'  graph [rankdir={rankdir}, bgcolor="{BACKGROUND}", fontname="{FONT}", fontcolor="{TEXT}", '
            f'pad="0.25", nodesep="0.35", ranksep="0.5"];\n'
            f'  node [fontname="{FONT}", fontsize=11, fontcolor="{TEXT}", color="{EDGE}"];\n'
            f'  edge [fontname="{FONT}", fontsize=10, fontcolor="{TEXT}", color="{EDGE}"];\n')
