"""Run the ``vpnlearn ike`` command inside a test namespace (the real CLI, as a learner would)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from .harness import NET_A, NET_B, Charon, Conn, HarnessError, NetPair, Peer, run

REPO = Path(__file__).resolve().parents[2]
PSK = "interop-psk-0123456789"
LOCAL_ID, REMOTE_ID = "a.vpnlearn.test", "b.vpnlearn.test"


def vl_args(pair: NetPair, *, ike: str, esp: str, psk: str | None = PSK,
            cert: tuple[Path, Path] | None = None, ca: Path | None = None,
            local_ts: str = NET_A, remote_ts: str = NET_B, local_id: str = LOCAL_ID,
            remote_id: str = REMOTE_ID) -> list[str]:
    """The identity, auth, proposal and TS options shared by ``initiate`` and ``respond``."""
    args = ["--local-id", local_id, "--remote-id", remote_id, "--ike", ike, "--esp", esp,
            "--local-ts", local_ts, "--remote-ts", remote_ts]
    if cert is not None:
        assert ca is not None
        args += ["--cert", str(cert[0]), "--key", str(cert[1]), "--ca", str(ca)]
    else:
        assert psk is not None
        args += ["--psk", psk]
    return args


def vl_initiate(pair: NetPair, *extra: str, timeout: float = 40, from_b: bool = False,
                **kw) -> subprocess.CompletedProcess:
    """``vpnlearn ike initiate <B's outer address>`` in namespace A (or the reverse with ``from_b``);
    never raises on the exit status."""
    ns, src, dst = ((pair.ns_b, pair.outer_b, pair.outer_a) if from_b
                    else (pair.ns_a, pair.outer_a, pair.outer_b))
    argv = ["ip", "netns", "exec", ns, sys.executable, "-m", "vpnlearn", "ike", "initiate",
            dst, "--source", src, *vl_args(pair, **kw), "--timeout", "8", *extra]
    return run(argv, check=False, timeout=timeout, cwd=REPO)


class VlResponder:
    """``vpnlearn ike respond`` running in namespace A in the background."""

    def __init__(self, pair: NetPair, workdir: Path, *extra: str, **kw) -> None:
        self.out = Path(workdir) / "vl-respond.out"
        self.err = Path(workdir) / "vl-respond.err"
        argv = ["ip", "netns", "exec", pair.ns_a, sys.executable, "-m", "vpnlearn", "ike", "respond",
                "--listen", pair.outer_a, "--remote", pair.outer_b, *vl_args(pair, **kw), *extra]
        self.proc = subprocess.Popen(argv, stdout=open(self.out, "w"), stderr=open(self.err, "w"),  # noqa: SIM115
                                     cwd=REPO, start_new_session=True)
        deadline = time.monotonic() + 15
        while "listening on" not in self.stdout():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise HarnessError(f"vpnlearn ike respond did not start: {self.stdout()} {self.stderr()}")
            time.sleep(0.05)

    def stdout(self) -> str:
        return self.out.read_text() if self.out.exists() else ""

    def stderr(self) -> str:
        return self.err.read_text() if self.err.exists() else ""

    def wait(self, timeout: float = 15) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def charon_responder_conn(pair: NetPair, *, ike: str, esp: str, psk: str | None = PSK,
                          cert: tuple[Path, Path] | None = None, ca: Path | None = None,
                          name: str = "vl", **kw) -> Conn:
    """charon B's side of a connection with vpnlearn in A (10.98.2.0/24 <-> 10.98.1.0/24)."""
    if cert is not None:
        return Conn(name, pair.outer_b, pair.outer_a, Peer(REMOTE_ID, "pubkey", cert[0], cert[1]),
                    Peer(LOCAL_ID, "pubkey"), cacert=ca, ike_proposals=ike, esp_proposals=esp,
                    local_ts=NET_B, remote_ts=NET_A, **kw)
    return Conn(name, pair.outer_b, pair.outer_a, Peer(REMOTE_ID), Peer(LOCAL_ID), psk=psk,
                ike_proposals=ike, esp_proposals=esp, local_ts=NET_B, remote_ts=NET_A, **kw)


def no_sas(charon: Charon) -> bool:
    """charon has no IKE SA at all."""
    return "ESTABLISHED" not in charon.list_sas() and "IKEv2" not in charon.list_sas()


def read_our_keys(keydir: Path) -> dict:
    return json.loads((keydir / "vpnlearn-keys.json").read_text())
