"""A real JupyterLab (the project's environment) and Debian's Chromium driven by Playwright.

The server serves a *copy* of notebooks/ from a temporary folder (running cells in the browser must
not touch the committed notebooks), with quiz progress in a temporary file. Server and browser are
stopped by their process ids at the end, also when a test fails. Screenshots go to
test-artifacts/screenshots/, which CI leaves in place.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
    while time.monotonic() < deadline:
        try:
            with opener.open(url, timeout=5) as r:
                if r.status == 200:
                    return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer {url} within {timeout} s: {last}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    work = tmp_path_factory.mktemp("lab")
    nb_copy = work / "notebooks"
    shutil.copytree(ROOT / "notebooks", nb_copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    port = free_port()
    # Its own Jupyter data dir (an empty trust database): the notebooks are trusted only because
    # the lab command signs them, as `make lab` does for a learner.
    env = dict(os.environ, VPNLEARN_PROGRESS=str(work / "progress.json"),
               JUPYTER_CONFIG_DIR=str(work / "jupyter-config"), JUPYTER_RUNTIME_DIR=str(work / "runtime"),
               JUPYTER_DATA_DIR=str(work / "jupyter-data"))
    env.pop("DISPLAY", None)
    log = open(work / "jupyterlab.log", "w")  # noqa: SIM115 - closed at teardown
    # `make lab`'s own entry point, with options for the test (no token, app exposed to the page).
    cmd = [sys.executable, "-m", "vpnlearn.lab", "--port", str(port), "--no-browser",
           "--notebooks", str(nb_copy), "--IdentityProvider.token=", "--ServerApp.password=",
           "--LabApp.expose_app_in_browser=True"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/status")
        yield {"url": f"http://127.0.0.1:{port}", "root": nb_copy, "progress": work / "progress.json",
               "log": work / "jupyterlab.log"}
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="session")
def browser(lab_server: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Debian's Chromium, started by us (so we hold its pid) and driven over CDP by Playwright."""
    playwright_sync = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    profile = tmp_path_factory.mktemp("chromium-profile")
    log = open(profile.parent / "chromium.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen([CHROMIUM, *CHROMIUM_ARGS, f"--remote-debugging-port={port}",
                             f"--user-data-dir={profile}", "--window-size=1280,900", "about:blank"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/json/version", timeout=60)
        with playwright_sync.sync_playwright() as pw:
            b = pw.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
            try:
                yield b
            finally:
                b.close()
    finally:
        stop(proc)
        log.close()
