"""vpnlearn <-> vpnlearn over real UDP in two namespaces: the runner and the CLI on both sides.

This isolates our own runner (ports 500/4500, non-ESP marker, ESP-in-UDP, echo answering) from
interop questions: if this fails and the charon tests fail too, look here first.
"""

from __future__ import annotations

from pathlib import Path

from .harness import INNER_A, INNER_B, NET_A, NET_B, NetPair
from .vl import LOCAL_ID, REMOTE_ID, VlResponder, vl_initiate


def test_vpnlearn_to_vpnlearn_ping(netpair: NetPair, wdir: Path, can_netns: None) -> None:
    ike, esp = "aes128gcm16-prfsha256-x25519", "aes128gcm16"
    resp = VlResponder(netpair, wdir, "--duration", "25", ike=ike, esp=esp)
    try:
        # B initiates to A's responder; ids and selectors mirrored.
        proc = vl_initiate(netpair, "--ping", INNER_A, "--ping-source", INNER_B, "--count", "3",
                           from_b=True,
                           ike=ike, esp=esp, local_ts=NET_B, remote_ts=NET_A, local_id=REMOTE_ID,
                           remote_id=LOCAL_ID)
        code = resp.wait(15)
    finally:
        resp.stop()
    assert proc.returncode == 0, proc.stdout + proc.stderr + resp.stdout() + resp.stderr()
    assert "3/3 replies" in proc.stdout
    assert code == 0, resp.stdout() + resp.stderr()
    assert "answered 3 echo requests" in resp.stdout()
