"""Pictures drawn from the real objects: diagrams (Graphviz), packet layouts, hexdumps, tables.

Models never import this package; this package reads the models. ``graphviz``'s ``dot`` program
renders the SVG; without it a diagram shows its source and how to install Graphviz.

- ``vpnlearn.viz.style``: the one visual language (colour-blind-safe palette, line styles).
- ``vpnlearn.viz.display``: :class:`Diagram` (DOT source, SVG in JupyterLab, save to SVG/PNG).
- ``vpnlearn.viz.layout``: RFC-style header pictures and packet layouts with encrypted/authenticated bars.
- ``vpnlearn.viz.hexdump``: annotated hexdumps in HTML and plain text.
- ``vpnlearn.viz.topology``: AWS VPN topologies (site-to-site, imported inventory, transit gateway,
  CloudHub, Client VPN, EC2 appliance, VPC-to-VPC) with packet paths computed by the routing models.
- ``vpnlearn.viz.sequence``: IKE sequence diagrams from real transcripts, IKEv1 flows, the IKE state
  diagram from ``vpnlearn.ike.state.TRANSITIONS``.
- ``vpnlearn.viz.tables``: HTML tables with a stable text form (SAD, SPD, route tables, AWS rules,
  validation findings).
- ``vpnlearn.viz.dot``: the deterministic DOT writer the diagrams share.

Submodules are imported on use (``from vpnlearn.viz.topology import site_to_site_diagram``), so
``import vpnlearn.viz`` stays light.
"""

from vpnlearn.viz.display import Diagram
from vpnlearn.viz.hexdump import Hexdump, hexdump
from vpnlearn.viz.layout import header_diagram, packet_diagram

__all__ = ["Diagram", "Hexdump", "header_diagram", "hexdump", "packet_diagram"]
