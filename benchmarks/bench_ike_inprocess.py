"""In-process IKEv2 handshakes per second, against the exchange's unavoidable cryptography.

An IKE_SA_INIT + IKE_AUTH exchange (X25519, PSK, AES-GCM-128, PRF HMAC-SHA-256, one CHILD_SA)
between an in-process Initiator and Responder, with no sockets, compared in the same run with just
the cryptographic work the exchange cannot avoid, done with direct ``cryptography`` calls:

- two X25519 key pairs and two X25519 exchanges (one per side);
- SKEYSEED and prf+ for the seven SK_* keys (each side), and the child KEYMAT (each side);
- the PSK AUTH payloads: prf(prf(PSK, "Key Pad for IKEv2"), octets), computed and checked (2 per side);
- two SK payloads (IKE_AUTH request and response), each sealed once and opened once with AES-GCM.

Reported: handshakes per second for both and their ratio (target ≤ 2×: the protocol machinery around
the crypto may cost at most as much again as the crypto itself). CPU time, best of N repeats.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vpnlearn.ike import Identity, IkeConfig, Initiator, Responder, TrafficSelector  # noqa: E402

A, B = ("192.0.2.1", 500), ("192.0.2.2", 500)
IKE, ESP, PSK = "aes128gcm16-prfsha256-x25519", "aes128gcm16", b"benchmark shared secret"


def configs() -> tuple[IkeConfig, IkeConfig]:
    left = IkeConfig(local_id=Identity.fqdn("left.example"), remote_id=Identity.fqdn("right.example"),
                     psk=PSK, ike_proposals=(IKE,), esp_proposals=(ESP,),
                     local_ts=(TrafficSelector.subnet("10.98.1.0/24"),),
                     remote_ts=(TrafficSelector.subnet("10.98.2.0/24"),))
    right = IkeConfig(local_id=Identity.fqdn("right.example"), remote_id=Identity.fqdn("left.example"),
                      psk=PSK, ike_proposals=(IKE,), esp_proposals=(ESP,),
                      local_ts=(TrafficSelector.subnet("10.98.2.0/24"),),
                      remote_ts=(TrafficSelector.subnet("10.98.1.0/24"),))
    return left, right


def handshake(left: IkeConfig, right: IkeConfig) -> None:
    """One full exchange between two fresh peers (real randomness)."""
    ini, resp = Initiator(left), Responder(right)
    queue = [(True, d) for d in ini.start(0.0, local=A, remote=B).send]
    while queue:
        to_resp, data = queue.pop(0)
        out = (resp.receive(data, 0.0, local=B, remote=A) if to_resp
               else ini.receive(data, 0.0, local=A, remote=B))
        queue += [(not to_resp, d) for d in out.send]
    if not (ini.child_sas and resp.child_sas):
        raise SystemExit("the benchmark exchange did not establish a CHILD_SA")


def _prf(key: bytes, data: bytes) -> bytes:
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def _prf_plus(key: bytes, seed: bytes, length: int) -> bytes:
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = _prf(key, t + seed + bytes([i]))
        out += t
        i += 1
    return out[:length]


def crypto_only(auth_octets: bytes, sk_plain: bytes) -> None:
    """The same cryptographic work as one exchange, without any protocol around it."""
    ni, nr = os.urandom(32), os.urandom(32)
    priv_i, priv_r = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    shared_i = priv_i.exchange(priv_r.public_key())
    shared_r = priv_r.exchange(priv_i.public_key())
    for shared in (shared_i, shared_r):                     # each side derives its keys
        skeyseed = _prf(ni + nr, shared)
        keymat = _prf_plus(skeyseed, ni + nr + os.urandom(16), 32 + 2 * 20 + 2 * 32)
        _prf_plus(keymat[:32], ni + nr, 2 * 20)             # child KEYMAT (AES-GCM-128 + salt, both ways)
        pad = _prf(PSK, b"Key Pad for IKEv2")
        for _ in range(2):                                  # own AUTH and the peer's, checked
            _prf(pad, auth_octets)
    key, aad = os.urandom(16), os.urandom(28)
    for _ in range(2):                                      # IKE_AUTH request and response
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, sk_plain, aad)
        AESGCM(key).decrypt(nonce, sealed, aad)


def best_rate(fn, n: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, time.process_time() - t0)
    return n / best


def main(quick: bool = False) -> None:
    n, repeats = (20, 3) if quick else (100, 7)
    left, right = configs()
    octets, plain = os.urandom(400), os.urandom(300)   # typical sizes of AUTH octets and IKE_AUTH plaintext
    full = best_rate(lambda: handshake(left, right), n, repeats)
    raw = best_rate(lambda: crypto_only(octets, plain), n, repeats)
    print("IKEv2 INIT+AUTH in process (X25519, PSK, AES-GCM-128, PRF SHA-256)")
    print(f"  vpnlearn handshakes/s        {full:10.1f}")
    print(f"  unavoidable crypto only /s   {raw:10.1f}")
    print(f"  ratio (crypto rate / vpnlearn rate; target <= 2): {raw / full:.2f}")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
