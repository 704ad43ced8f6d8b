"""`make lab` (python -m vpnlearn.lab): starts JupyterLab on the course, serves contents, stops cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from vpnlearn.lab import START, lab_command

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lab_command_shape() -> None:
    cmd = lab_command(9999, open_browser=False)
    assert "--ServerApp.ip=127.0.0.1" in cmd and "--ServerApp.port=9999" in cmd and "--no-browser" in cmd
    assert f"--LabApp.default_url=/lab/tree/{START}" in cmd
    assert (ROOT / "notebooks" / START).exists()


def test_trust_course_signs_and_reports_broken_files(tmp_path: Path, monkeypatch) -> None:
    import nbformat
    from nbformat.sign import NotebookNotary

    from vpnlearn.lab import trust_course

    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "good.ipynb").write_text((ROOT / "notebooks" / START).read_text())
    (folder / "broken.ipynb").write_text('{"cells": [')
    assert not NotebookNotary().check_signature(nbformat.read(folder / "good.ipynb", as_version=4))
    problems = trust_course(folder)
    assert NotebookNotary().check_signature(nbformat.read(folder / "good.ipynb", as_version=4))
    assert len(problems) == 1 and "broken.ipynb" in problems[0] and "not signed" in problems[0]


def test_lab_starts_serves_contents_and_stops(tmp_path: Path) -> None:
    port = free_port()
    # A data dir of its own: an empty trust database, so the signatures are the ones `make lab` made.
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_DATA_DIR=str(tmp_path / "data"))
    env.pop("DISPLAY", None)
    proc = subprocess.Popen([sys.executable, "-m", "vpnlearn.lab", "--port", str(port), "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
                            start_new_session=True)
    seen: list[str] = []
    try:
        token = None
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        while time.monotonic() < deadline and token is None:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            m = re.search(rf"http://127\.0\.0\.1:{port}/lab\S*\?token=([0-9a-f]+)", line)
            if m:
                token = m.group(1)
        assert token, "JupyterLab printed no URL with a token:\n" + "".join(seen)
        url = f"http://127.0.0.1:{port}/lab/tree/{START}"
        assert any(url in s for s in seen), "vpnlearn's URL not printed"
        # Loopback only: never through a proxy the environment may name.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/contents/{START}",
                                     headers={"Authorization": f"token {token}"})
        # The URL can be printed a moment before connections are accepted (seen: one refused
        # connection, then fine 0.5 s later), so retry refused connections for a while.
        for _ in range(60):
            try:
                with opener.open(req, timeout=60) as r:
                    model = json.load(r)
                break
            except urllib.error.URLError as exc:
                if not isinstance(exc.reason, ConnectionRefusedError):
                    raise
                time.sleep(0.5)
        else:
            raise AssertionError("JupyterLab never accepted a connection:\n" + "".join(seen))
        assert model["name"] == START and model["type"] == "notebook"
        assert "vpnlearn" in json.dumps(model["content"])
        # Trusted, so JupyterLab shows the saved diagrams before the learner runs anything.
        for name in ("00-start-here.ipynb", "06-aws-site-to-site.ipynb"):
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/contents/{name}",
                                         headers={"Authorization": f"token {token}"})
            with opener.open(req, timeout=60) as r:
                cells = [c for c in json.load(r)["content"]["cells"] if c["cell_type"] == "code"]
            assert cells and all(c["metadata"].get("trusted") is True for c in cells), \
                f"{name} is not trusted: saved SVG outputs would show as text"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
