"""Two network namespaces joined by a veth pair, and OpenVPN processes started inside them.

Layout (names carry the pid and a counter, so runs never collide)::

    "vlovS<pid>n<k>" (server)                 "vlovC<pid>n<k>" (client)
      veth 10.251.0.1/30  <------------------>  veth 10.251.0.2/30
      lo   10.77.0.10/32  (the "VPC" host behind the endpoint)

Every process is started by us, tracked by pid and killed by pid; the namespaces are deleted in
``destroy()`` (call it in a ``finally``). No traffic leaves the namespaces.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SERVER_OUTER = "10.251.0.1"
CLIENT_OUTER = "10.251.0.2"
VPC_HOST = "10.77.0.10"

_counter = itertools.count()


def run(argv: Sequence[str], *, check: bool = True, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), check=check, timeout=timeout, capture_output=True, text=True)


def namespaces_possible() -> tuple[bool, str]:
    """(True, "") when we are root and can make a namespace and a tun device; else (False, why)."""
    if os.geteuid() != 0:
        return False, "not root"
    if not os.path.exists("/dev/net/tun"):
        return False, "no /dev/net/tun"
    if run(["which", "openvpn"], check=False).returncode != 0:
        return False, "openvpn not installed"
    name = f"vlovP{os.getpid()}n{next(_counter)}"
    r = run(["ip", "netns", "add", name], check=False)
    if r.returncode != 0:
        return False, f"cannot create a network namespace: {r.stderr.strip()}"
    run(["ip", "netns", "del", name], check=False)
    return True, ""


@dataclass
class NetPair:
    server_ns: str
    client_ns: str
    procs: list[subprocess.Popen] = field(default_factory=list)

    @classmethod
    def create(cls) -> NetPair:
        k = next(_counter)
        pair = cls(f"vlovS{os.getpid()}n{k}", f"vlovC{os.getpid()}n{k}")
        try:
            pair._setup(f"vo{os.getpid() % 100000}n{k}")
        except BaseException:
            pair.destroy()
            raise
        return pair

    def _setup(self, tag: str) -> None:
        s, c = self.server_ns, self.client_ns
        va, vb = f"{tag}a"[:15], f"{tag}b"[:15]
        run(["ip", "netns", "add", s])
        run(["ip", "netns", "add", c])
        run(["ip", "link", "add", va, "netns", s, "type", "veth", "peer", "name", vb, "netns", c])
        self.sh(s, f"ip link set lo up; ip addr add {SERVER_OUTER}/30 dev {va}; ip link set {va} up; "
                   f"ip addr add {VPC_HOST}/32 dev lo")
        self.sh(c, f"ip link set lo up; ip addr add {CLIENT_OUTER}/30 dev {vb}; ip link set {vb} up")

    def sh(self, ns: str, script: str, *, check: bool = True,
           timeout: float = 20) -> subprocess.CompletedProcess:
        return run(["ip", "netns", "exec", ns, "sh", "-c", script], check=check, timeout=timeout)

    def ping(self, ns: str, dst: str, count: int = 2, timeout: float = 15) -> subprocess.CompletedProcess:
        return self.sh(ns, f"ping -n -c {count} -i 0.2 -W 2 {dst}", check=False, timeout=timeout)

    def openvpn(self, ns: str, config: Path, log: Path, *args: str) -> subprocess.Popen:
        """Start ``openvpn --config`` in ``ns`` (``ip netns exec`` execs it: the pid is OpenVPN's)."""
        p = subprocess.Popen(["ip", "netns", "exec", ns, "openvpn", "--config", str(config),
                              "--log", str(log), *args],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def stop(self, p: subprocess.Popen) -> None:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(5)

    def destroy(self) -> None:
        for p in self.procs:
            try:
                self.stop(p)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        for ns in (self.server_ns, self.client_ns):
            run(["ip", "netns", "del", ns], check=False)


def wait_log(path: Path, pattern: str, timeout: float = 20, proc: subprocess.Popen | None = None
             ) -> re.Match | None:
    """Poll ``path`` until ``pattern`` appears (or ``timeout`` seconds pass, or ``proc`` exits)."""
    rx = re.compile(pattern)
    end = time.monotonic() + timeout
    while True:
        text = path.read_text(errors="replace") if path.exists() else ""
        m = rx.search(text)
        if m or time.monotonic() > end:
            return m
        if proc is not None and proc.poll() is not None:
            text = path.read_text(errors="replace") if path.exists() else ""
            return rx.search(text)
        time.sleep(0.05)
