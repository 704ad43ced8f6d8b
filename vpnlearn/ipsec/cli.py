"""``vpnlearn esp ...``: see an ESP (or AH) packet being built, field by field.

``vpnlearn esp demo`` protects one ICMP echo request with a fresh SA (deterministic demo keys unless
``--random``), prints the SA, an annotated table of every field of the packet on the wire (what is
encrypted, what is authenticated), opens it again on the receiving SA, and shows that a flipped
bit and a replayed copy are refused. Options choose the suite, mode, ESN, NAT-T and AH.
"""

from __future__ import annotations

import argparse
import warnings
from typing import Any

_MAX_SHOWN = 24       # bytes of a field shown in hex


def _hex(data: bytes) -> str:
    text = data[:_MAX_SHOWN].hex(" ")
    return text + (f" ... ({len(data)} bytes)" if len(data) > _MAX_SHOWN else "")


def _demo(args: argparse.Namespace) -> int:
    from vpnlearn.errors import VpnlearnError
    from vpnlearn.ipsec import ah, esp
    from vpnlearn.ipsec.natt import UdpEncap
    from vpnlearn.ipsec.packets import icmp_echo
    from vpnlearn.ipsec.sa import SecurityAssociation
    from vpnlearn.rand import DemoRandom

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")            # the demo says itself which keys are demo keys
        rng = None if args.random else DemoRandom(args.seed)
        if args.ah:
            sa = SecurityAssociation(args.spi, protocol="ah", integrity=args.integrity or "sha256",
                                     mode=args.mode, tunnel_src=args.local, tunnel_dst=args.remote,
                                     esn=args.esn, rng=rng)
        else:
            sa = SecurityAssociation(args.spi, encryption=args.suite, integrity=args.integrity,
                                     mode=args.mode, tunnel_src=args.local, tunnel_dst=args.remote,
                                     esn=args.esn, udp_encap=UdpEncap() if args.natt else None, rng=rng)
    peer = sa.peer()
    inner = icmp_echo("10.0.1.5", "10.0.2.9", 1, 1, args.message.encode())
    print(f"outbound SA: {sa!r}")
    source = "random" if args.random else f"DemoRandom({args.seed!r}): predictable, for learning only"
    print(f"keys: {source}")
    if sa.enc_key:
        print(f"  encryption key material: {sa.enc_key.hex()}")
    if sa.integ_key:
        print(f"  integrity key:           {sa.integ_key.hex()}")
    print(f"inner packet ({len(inner.build())} bytes): ICMP echo 10.0.1.5 -> 10.0.2.9, data {args.message!r}")
    packet: Any = ah.protect_packet(sa, inner) if args.ah else esp.protect_packet(sa, inner)
    data = packet.data
    print(f"\non the wire ({len(data)} bytes):")
    print(f"  {'bytes':>9}  {'layer':12} {'field':22} {'enc':3} {'auth':4}  hex")
    for s in packet.spans():
        print(f"  {s.start:4}-{s.end:<4}  {s.layer:12} {s.label:22} {'yes' if s.encrypted else '':3} "
              f"{'yes' if s.authenticated else '':4}  {_hex(data[s.start:s.end])}")
    opened = ah.unprotect(peer, data) if args.ah else esp.unprotect(peer, data)
    print(f"\nreceiver: opened, inner packet identical: {opened == inner.build()}")
    second = (ah.protect(sa, inner) if args.ah else esp.protect(sa, inner))
    bad = bytearray(second)
    bad[-1] ^= 0x01
    attempts = (("the next packet with its last bit flipped", bytes(bad)), ("the same packet again", data))
    for what, attempt in attempts:
        try:
            ah.unprotect(peer, attempt) if args.ah else esp.unprotect(peer, attempt)
            print(f"receiver: {what}: accepted (unexpected!)")
        except VpnlearnError as exc:
            print(f"receiver: {what}: refused: {type(exc).__name__}: {exc}")
    c = peer.counters
    print(f"receiver counters: packets={c.packets} bytes={c.bytes} auth_failures={c.auth_failures} "
          f"replay_drops={c.replay_drops}")
    return 0


def add_demo(sub: Any) -> None:
    """``vpnlearn esp demo``."""
    p = sub.add_parser("demo", help="protect one packet and show every field",
                       description=__doc__.split("\n\n")[1])
    p.add_argument("--suite", default="aes128gcm16",
                   help="encryption (any name: aes128gcm16, AES256-GCM-16, aes256, chacha20poly1305)")
    p.add_argument("--integrity", default=None, help="integrity for AES-CBC or AH (sha256, sha384, sha1)")
    p.add_argument("--mode", choices=("tunnel", "transport"), default="tunnel")
    p.add_argument("--esn", action="store_true", help="64-bit Extended Sequence Numbers")
    p.add_argument("--natt", action="store_true", help="UDP encapsulation on port 4500 (RFC 3948)")
    p.add_argument("--ah", action="store_true", help="AH (authentication only) instead of ESP")
    p.add_argument("--spi", type=lambda v: int(v, 0), default=0xC0DE0001, help="SPI (default 0xc0de0001)")
    p.add_argument("--local", default="203.0.113.10", help="tunnel source (outer) address")
    p.add_argument("--remote", default="198.51.100.20", help="tunnel destination (outer) address")
    p.add_argument("--message", default="hello through the tunnel", help="ICMP echo data")
    p.add_argument("--seed", default="vpnlearn-esp-demo", help="DemoRandom seed for the keys")
    p.add_argument("--random", action="store_true", help="real random keys instead of demo keys")
    p.set_defaults(func=_demo)


SUBCOMMANDS = (add_demo,)


def register(subparsers: Any) -> None:
    """Add ``vpnlearn esp`` and its sub-commands to the ``vpnlearn`` command."""
    parser = subparsers.add_parser("esp", help="ESP and AH: build and open packets, field by field",
                                   description="ESP (RFC 4303) and AH (RFC 4302) demonstrations.")
    sub = parser.add_subparsers(dest="esp_command", metavar="ESP_COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


__all__ = ["SUBCOMMANDS", "add_demo", "register"]
