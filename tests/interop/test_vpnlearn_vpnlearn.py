"""vpnlearn <-> vpnlearn over real UDP in two namespaces: the runner and the CLI on both sides.

This isolates our own runner from interop questions: if this fails and the charon tests fail too,
look here first. There is no NAT between the namespaces and neither side forces encapsulation, so
IKE stays on port 500 and the CHILD_SA carries plain ESP (IP protocol 50, the runner's raw socket),
unlike the charon tests (kernel-libipsec always makes charon fake a NAT: ESP-in-UDP on 4500).
"""

from __future__ import annotations

from pathlib import Path

from .harness import INNER_A, INNER_B, NET_A, NET_B, NetPair, tshark_fields
from .vl import LOCAL_ID, REMOTE_ID, VlResponder, vl_initiate


def test_vpnlearn_to_vpnlearn_ping(netpair: NetPair, wdir: Path, can_netns: None) -> None:
    ike, esp = "aes128gcm16-prfsha256-x25519", "aes128gcm16"
    resp = VlResponder(netpair, wdir, "--duration", "25", ike=ike, esp=esp)
    try:
        # B initiates to A's responder; ids and selectors mirrored.
        proc = vl_initiate(netpair, "--ping", INNER_A, "--ping-source", INNER_B, "--count", "3",
                           "--pcap", str(wdir / "vl.pcap"), "--keys", str(wdir / "keys"),
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
    rows = tshark_fields(wdir / "vl.pcap", wdir / "keys", ["ip.proto", "udp.dstport", "isakmp.exchangetype",
                                                          "esp.spi", "esp.icv_good", "icmp.type"])
    ike = [r for r in rows if r["isakmp.exchangetype"]]
    assert ike and all(r["udp.dstport"] == "500" for r in ike), rows     # no NAT: IKE stays on 500
    esp = [r for r in rows if r["esp.spi"]]
    # Plain ESP (outer IP protocol 50, not in UDP), decrypted: the inner IP carries ICMP (1).
    assert [r["ip.proto"] for r in esp] == ["50,1"] * 6, rows
    assert [r["icmp.type"] for r in esp] == ["8", "0"] * 3
    assert all(r["esp.icv_good"] == "1" for r in esp)
