"""IKE_SA_INIT + IKE_AUTH (with a CHILD_SA) against a real charon: vpnlearn vs charon as initiator.

Run as root: ``.venv/bin/python benchmarks/bench_ike.py [ROUNDS]``.

The same charon responder (namespace B, tests/interop/harness.py) answers both initiators with the
same proposal (aes128gcm16-prfsha256-x25519, PSK). Reported:

* ``exchange``: from sending IKE_SA_INIT to the CHILD_SA being usable. For charon, the wall time of
  ``swanctl --initiate`` (which returns when the CHILD_SA is installed); for vpnlearn, the time the
  ``vpnlearn ike initiate`` command measures around its exchange (printed as "established in X ms").
* ``process``: the whole ``vpnlearn ike initiate`` command including Python start-up and the
  DELETE, against ``swanctl --initiate`` + ``--terminate``.

The result is a ratio (vpnlearn / charon, medians), target <= 1.2 for the exchange; absolute times
depend on the machine.
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from interop.harness import Charon, NetPair, psk_pair, workdir  # noqa: E402
from interop.vl import PSK, charon_responder_conn, vl_initiate  # noqa: E402

IKE, ESP = "aes128gcm16-prfsha256-x25519", "aes128gcm16"


def main(rounds: int = 10) -> dict[str, float]:
    wd = workdir("vlbench-")
    pair = NetPair.create()
    b = Charon(pair.ns_b, wd, "charon-b")
    a = Charon(pair.ns_a, wd, "charon-a")
    result: dict[str, float] = {}
    try:
        b.start()
        b.load(charon_responder_conn(pair, ike=IKE, esp=ESP))
        conn_a, _ = psk_pair(pair, "vl", IKE, ESP, psk=PSK)
        a.start()
        a.load(conn_a)
        charon_exchange, charon_process = [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            a.initiate(conn_a.child_name)
            t1 = time.perf_counter()
            a.swanctl("--terminate", "--ike", conn_a.name, "--timeout", "5")
            t2 = time.perf_counter()
            charon_exchange.append(t1 - t0)
            charon_process.append(t2 - t0)
        a.stop()                         # frees UDP 500/4500 in namespace A for vpnlearn
        vl_exchange, vl_process = [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            proc = vl_initiate(pair, ike=IKE, esp=ESP)
            t1 = time.perf_counter()
            if proc.returncode != 0:
                raise SystemExit(f"vpnlearn ike initiate failed: {proc.stderr.strip()}")
            m = re.search(r"established with \S+ in ([0-9.]+) ms", proc.stdout)
            if not m:
                raise SystemExit(f"no timing in vpnlearn output: {proc.stdout}")
            vl_exchange.append(float(m.group(1)) / 1000)
            vl_process.append(t1 - t0)
        med = statistics.median
        result = {
            "charon_exchange_ms": med(charon_exchange) * 1000,
            "vpnlearn_exchange_ms": med(vl_exchange) * 1000,
            "exchange_ratio": med(vl_exchange) / med(charon_exchange),
            "charon_process_ms": med(charon_process) * 1000,
            "vpnlearn_process_ms": med(vl_process) * 1000,
            "process_ratio": med(vl_process) / med(charon_process),
        }
    finally:
        a.stop()
        b.stop()
        pair.destroy()
        shutil.rmtree(wd, ignore_errors=True)
    return result


if __name__ == "__main__":
    res = main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
    for k, v in res.items():
        print(f"{k:22s} {v:10.2f}")
    print("target: exchange_ratio <= 1.2 ->", "OK" if res["exchange_ratio"] <= 1.2 else "SLOWER THAN TARGET")
