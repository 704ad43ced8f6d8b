"""``python -m vpnlearn.lab``: open the course in JupyterLab (what ``make lab`` runs)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
START = "contents.ipynb"


def lab_command(port: int, *, open_browser: bool) -> list[str]:
    """The jupyter command line that serves the course on loopback."""
    cmd = [
        sys.executable, "-m", "jupyter", "lab",
        f"--ServerApp.root_dir={NOTEBOOKS}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--LabApp.default_url=/lab/tree/{START}",
    ]
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Open the vpnlearn course in JupyterLab.")
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--no-browser", action="store_true",
                        help="do not try to open a web browser (default when there is no display)")
    args = parser.parse_args(argv)
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    cmd = lab_command(args.port, open_browser=has_display and not args.no_browser)
    print(f"vpnlearn: starting JupyterLab on http://127.0.0.1:{args.port}/lab/tree/{START}")
    print("vpnlearn: open the URL with the token that JupyterLab prints below; Ctrl-C stops it.")
    sys.stdout.flush()
    os.execv(sys.executable, cmd)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
