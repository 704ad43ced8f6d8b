"""Capture real charon <-> charon IKEv2 messages into ``tests/data/charon-*.bin`` (run as root).

    cd tests && ../.venv/bin/python -m interop.capture_charon [OUTDIR]

Runs two charons in namespaces (see :mod:`interop.harness`), captures the veth with ``dumpcap``
while one initiates (IKE_SA_INIT, IKE_AUTH), rekeys the CHILD_SA and the IKE SA
(CREATE_CHILD_SA), and deletes the IKE SA (INFORMATIONAL). Each IKE message (the UDP payload,
non-ESP marker removed) becomes one ``.bin`` file; ``charon-exchange.json`` lists them in order
with the exchange type, message ID, flags, sender, and the keys both charons logged (so the SK
payloads can be decrypted), the PSK, the identities and the proposals.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .harness import (
    NET_A,
    NET_B,
    Charon,
    Conn,
    NetPair,
    Peer,
    ike_messages,
    parse_charon_keys,
    read_pcap_udp,
    workdir,
)

PSK = "interop-psk-0123456789"


def capture(outdir: Path) -> list[Path]:
    wd = workdir("vlcapture-")
    pair = NetPair.create()
    a = Charon(pair.ns_a, wd, "charon-a")
    b = Charon(pair.ns_b, wd, "charon-b")
    pcap = wd / "exchange.pcap"
    dumpcap = None
    try:
        a.start()
        b.start()
        ca = Conn("cap", pair.outer_a, pair.outer_b, Peer("a.vpnlearn.test"), Peer("b.vpnlearn.test"),
                  psk=PSK, local_ts=NET_A, remote_ts=NET_B)
        cb = Conn("cap", pair.outer_b, pair.outer_a, Peer("b.vpnlearn.test"), Peer("a.vpnlearn.test"),
                  psk=PSK, local_ts=NET_B, remote_ts=NET_A)
        a.load(ca)
        b.load(cb)
        dumpcap = subprocess.Popen(["ip", "netns", "exec", pair.ns_b, "dumpcap", "-q", "-P", "-i",
                                    pair.veth_b, "-f", "udp", "-w", str(pcap)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not (pcap.exists() and pcap.stat().st_size >= 24) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        a.initiate(ca.child_name)
        pair.ping(pair.ns_a, pair.inner_a, pair.inner_b, count=2)
        a.swanctl("--rekey", "--child", ca.child_name)
        time.sleep(0.5)
        a.swanctl("--rekey", "--ike", "cap")
        time.sleep(0.5)
        a.swanctl("--terminate", "--ike", "cap", "--timeout", "5")
        time.sleep(0.5)
    finally:
        if dumpcap is not None:
            dumpcap.terminate()
            dumpcap.wait(timeout=5)
        a.stop()
        b.stop()
        pair.destroy()
    messages = ike_messages(read_pcap_udp(pcap))
    keys_a = parse_charon_keys(a.log_text())
    outdir.mkdir(parents=True, exist_ok=True)
    written, index = [], []
    for n, m in enumerate(messages, 1):
        sender = "a" if m["src"].startswith(pair.outer_a) else "b"
        kind = "response" if m["response_flag"] else "request"
        name = f"charon-{n:02d}-{m['exchange'].lower().replace('_', '-')}-{kind}-from-{sender}.bin"
        (outdir / name).write_bytes(m["bytes"])
        written.append(outdir / name)
        entry = {k: v for k, v in m.items() if k != "bytes"}
        entry.update(file=name, length=len(m["bytes"]))
        index.append(entry)
    meta = {
        "what": "Real IKEv2 messages between two strongSwan 5.9.8 charons (Debian), captured on the veth "
                "by tests/interop/capture_charon.py. Each .bin is one IKE message (UDP payload, the "
                "4-byte non-ESP marker removed for port 4500).",
        "rfc": "RFC 7296",
        "initiator": {"address": pair.outer_a, "id": "a.vpnlearn.test (ID_FQDN)"},
        "responder": {"address": pair.outer_b, "id": "b.vpnlearn.test (ID_FQDN)"},
        "psk": PSK,
        "ike_proposal": ca.ike_proposals,
        "esp_proposal": ca.esp_proposals,
        "traffic_selectors": {"initiator": NET_A, "responder": NET_B},
        "sequence": "IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA (rekey CHILD_SA), CREATE_CHILD_SA "
                    "(rekey IKE SA), INFORMATIONAL (DELETE of the old IKE SA), INFORMATIONAL (DELETE)",
        "keys_logged_by_initiator": [
            {"kind": k.kind, "spi_in": k.spi_in, "spi_out": k.spi_out,
             "keys": {n: v.hex() for n, v in k.keys.items()}} for k in keys_a],
        "keys_note": "charon's log order; for AES-GCM SK_e*/enc_* are the key followed by the 4-byte salt",
        "messages": index,
    }
    (outdir / "charon-exchange.json").write_text(json.dumps(meta, indent=2) + "\n")
    shutil.rmtree(wd, ignore_errors=True)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "data"
    for p in capture(target):
        print(p)
