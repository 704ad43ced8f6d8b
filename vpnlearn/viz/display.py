"""Diagrams as objects JupyterLab shows: SVG rendered by Graphviz's ``dot``, with a stable repr.

A :class:`Diagram` holds deterministic DOT source (the same model always gives the same bytes, and
tests assert on it). In a notebook it shows as an HTML ``<img>`` holding the SVG (see
:meth:`Diagram.html`): it shrinks to the notebook's width instead of scrolling sideways, carries alt
text for screen readers, and shows whether or not the notebook is trusted. Its ``text/plain`` form is
a short stable description, so nbval compares something meaningful. When ``dot`` is not installed it shows its
source and one line on how to install Graphviz instead of a traceback.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from vpnlearn.errors import ConfigError, VpnlearnError

INSTALL_HINT = ("Graphviz's `dot` is not installed, so here is the diagram's source instead. "
                "Install it with `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
                "(macOS) or `conda install graphviz`, then run the cell again.")

_COMMENT = re.compile(r"<!--.*?-->\n?", re.S)
# Characters left as they are in the data: URL, so the SVG stays readable in the saved notebook. Encoded:
# '%' and '#' (URL syntax), "'" (the attribute's quote), '&' (HTML would decode the SVG's entities),
# line breaks (browsers drop them from URLs) and non-ASCII.
_URL_SAFE = " !$()*+,-./:;=?@[]_~<>\"{}|^`"


class GraphvizMissing(VpnlearnError):
    """Graphviz's ``dot`` program is not on the PATH."""


def dot_path() -> str | None:
    return shutil.which("dot")


def render(source: str, fmt: str = "svg") -> bytes:
    """Run ``dot`` on DOT source; raises GraphvizMissing or VpnlearnError with dot's message."""
    exe = dot_path()
    if exe is None:
        raise GraphvizMissing(INSTALL_HINT)
    proc = subprocess.run([exe, f"-T{fmt}"], input=source.encode(), capture_output=True, timeout=60,
                          check=False)
    if proc.returncode != 0:
        raise VpnlearnError(f"dot failed: {proc.stderr.decode(errors='replace').strip()}")
    out = proc.stdout
    if fmt == "svg":
        # Drop the comments (Graphviz version, titles): they change with the version, not the picture.
        out = _COMMENT.sub("", out.decode()).encode()
    return out


@dataclass
class Diagram:
    """A diagram: DOT source plus a title. Shown as SVG in JupyterLab."""

    source: str
    title: str = "diagram"
    description: str = ""  # what the picture shows, for the alt text (after the title)
    _svg: str | None = field(default=None, repr=False, compare=False)

    def svg(self) -> str:
        if self._svg is None:
            self._svg = render(self.source, "svg").decode()
        return self._svg

    def save(self, path: str | Path) -> Path:
        """Write ``.svg``, ``.png``, ``.pdf`` or ``.dot`` (by the file's suffix)."""
        path = Path(path)
        fmt = path.suffix.lstrip(".").lower()
        if fmt == "dot" or fmt == "gv":
            path.write_text(self.source)
        elif fmt in ("svg", "png", "pdf"):
            path.write_bytes(self.svg().encode() if fmt == "svg" else render(self.source, fmt))
        else:
            raise ConfigError(f"cannot save a diagram as {path.name!r}: use .svg, .png, .pdf or .dot")
        return path

    def __repr__(self) -> str:
        return f"<{self.title}: {len(self.source.splitlines())} lines of DOT>"

    def alt(self) -> str:
        """The text a screen reader says for the picture: title, then description."""
        return f"Diagram: {self.title}." + (f" {self.description}" if self.description else "")

    def html(self) -> str:
        """``<img class="vpnlearn-diagram">`` with the SVG in a ``data:`` URL.

        Why not plain ``image/svg+xml``: JupyterLab draws that as an ``<img>`` with no maximum width
        (a wide diagram gets a sideways scrollbar and its right half is off-screen) and not at all in a
        notebook that is not trusted. An ``<img>`` in HTML output is capped at the output's width
        (``.jp-RenderedHTMLCommon img { max-width: 100% }``), passes the sanitizer of untrusted
        notebooks, and has alt text. The SVG is percent-encoded, not base64, so it stays readable
        (and greppable) in the saved notebook.
        """
        svg = self.svg()
        body = svg[svg.index("<svg"):]
        url = "data:image/svg+xml;charset=utf-8," + urllib.parse.quote(body, safe=_URL_SAFE)
        return f"<img class=\"vpnlearn-diagram\" alt=\"{html.escape(self.alt())}\" src='{url}'>"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:  # type: ignore[no-untyped-def]
        try:
            return {"text/html": self.html(), "text/plain": repr(self)}
        except GraphvizMissing:
            page = (f"<p><b>{html.escape(INSTALL_HINT)}</b></p>"
                    f"<pre>{html.escape(self.source)}</pre>")
            return {"text/html": page, "text/plain": repr(self) + "\n" + INSTALL_HINT}


def quote(text: object) -> str:
    """A DOT double-quoted string."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def html_text(text: object) -> str:
    """Text for a Graphviz HTML-like label."""
    return html.escape(str(text), quote=True)
