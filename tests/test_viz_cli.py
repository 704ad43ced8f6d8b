"""`vpnlearn aws diagram FILE.json -o out.svg`: run as a subprocess, like a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from test_viz_scenes import svg_texts

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
FILES = [str(DATA / "describe-vpn-connections.json"), str(DATA / "describe-customer-gateways.json"),
         str(DATA / "describe-vpn-gateways.json")]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vpnlearn", "aws", "diagram", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=60, check=False)


def test_writes_an_svg(tmp_path: Path) -> None:
    out = tmp_path / "vpn.svg"
    p = run(*FILES, "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert f"wrote {out}" in p.stdout and "2 tunnel(s)" in p.stdout
    text = svg_texts(out.read_text())
    for label in ("AWS 203.0.113.11", "AWS 203.0.113.202", "inside 169.254.44.88/30", "UP: 3 BGP ROUTES",
                  "DOWN: IPSEC IS DOWN", "cgw-0e11f167a2b3c4d5e", "vgw-0a1b2c3d4e5f60718"):
        assert label in text


def test_without_dot_a_clear_error(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path))  # no `dot` here
    out = tmp_path / "vpn.svg"
    p = run(*FILES, "-o", str(out), env=env)
    assert p.returncode == 2
    assert "Graphviz's `dot` program is not on the PATH" in p.stderr
    assert "apt-get install graphviz" in p.stderr
    assert "Traceback" not in p.stderr and not out.exists()


def test_bad_input(tmp_path: Path) -> None:
    p = run(str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.svg"))
    assert p.returncode == 2 and "missing.json" in p.stderr and "Traceback" not in p.stderr


# The remaining cases run the same entry point in-process (a subprocess costs ~1.5 s of imports).

def test_writes_dot_and_png_and_refuses_other_suffixes(tmp_path: Path, capsys, monkeypatch) -> None:
    from vpnlearn.cli import main

    png = tmp_path / "vpn.png"
    assert main(["aws", "diagram", *FILES, "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["aws", "diagram", *FILES, "-o", str(tmp_path / "x.jpg")]) == 2
    assert "use .svg, .png, .pdf or .dot" in capsys.readouterr().err
    monkeypatch.setenv("PATH", str(tmp_path))  # no Graphviz: the DOT source can still be written
    dot = tmp_path / "vpn.dot"
    assert main(["aws", "diagram", *FILES, "-o", str(dot)]) == 0
    assert dot.read_text().startswith('digraph "inventory" {')
    assert main(["aws", "diagram", *FILES, "-o", str(tmp_path / "y.svg")]) == 2
    assert "not on the PATH" in capsys.readouterr().err
