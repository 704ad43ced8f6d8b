"""``python -m vpnlearn.lab``: open the course in JupyterLab (what ``make lab`` runs)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
START = "contents.ipynb"


def trust_course(notebooks: Path = NOTEBOOKS) -> list[str]:
    """Sign the course notebooks in this user's Jupyter trust database; return what could not be signed.

    The notebooks are committed with their outputs. JupyterLab shows saved SVG diagrams only for
    trusted notebooks and falls back to the plain-text line otherwise, so without this a learner
    opening a notebook sees "<... lines of DOT>" where the diagrams are until the cells are run again.
    A notebook that no longer parses (a learner's broken edit) is reported, not fatal.
    """
    import nbformat
    from nbformat.sign import NotebookNotary

    notary = NotebookNotary()
    problems = []
    for path in sorted(notebooks.glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as exc:  # nbformat raises several types for a damaged file
            problems.append(f"{path}: not signed, the file does not read as a notebook ({exc})")
            continue
        if not notary.check_signature(nb):
            notary.sign(nb)
    return problems


def lab_command(port: int, *, open_browser: bool, notebooks: Path = NOTEBOOKS,
                extra: list[str] | None = None) -> list[str]:
    """The jupyter command line that serves the course on loopback (``extra``: more jupyter options)."""
    cmd = [
        sys.executable, "-m", "jupyter", "lab",
        f"--ServerApp.root_dir={notebooks}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--LabApp.default_url=/lab/tree/{START}",
    ]
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd + list(extra or [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Open the vpnlearn course in JupyterLab. Other --options go to jupyter lab.")
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--no-browser", action="store_true",
                        help="do not try to open a web browser (default when there is no display)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS,
                        help="the folder to serve (default: the course's notebooks/)")
    args, extra = parser.parse_known_args(argv)
    if any(not e.startswith("--") for e in extra):
        parser.error(f"unexpected argument(s): {' '.join(extra)} (JupyterLab options start with --)")
    for problem in trust_course(args.notebooks):
        print(f"vpnlearn: warning: {problem}", file=sys.stderr)
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    cmd = lab_command(args.port, open_browser=has_display and not args.no_browser, notebooks=args.notebooks,
                      extra=extra)
    print(f"vpnlearn: starting JupyterLab on http://127.0.0.1:{args.port}/lab/tree/{START}")
    print("vpnlearn: open the URL with the token that JupyterLab prints below; Ctrl-C stops it.")
    sys.stdout.flush()
    os.execv(sys.executable, cmd)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
