"""Tampering: every single-bit flip anywhere in one valid ESP packet is rejected.

Flips in the SPI are caught as ParseError (the packet is not for this SA); every other flip (sequence
number, IV, ciphertext, ICV) must fail authentication. No error message may contain plaintext, and
no rejected packet may move the replay window: afterwards the original packet still opens.
"""

from __future__ import annotations

import warnings

import pytest

from vpnlearn.errors import AuthenticationError, ParseError
from vpnlearn.ipsec import ah, esp
from vpnlearn.ipsec.packets import icmp_echo
from vpnlearn.ipsec.sa import SecurityAssociation
from vpnlearn.rand import DemoRandom

SECRET = b"SECRET-PLAINTEXT-do-not-leak!!" + bytes(range(18))   # 48 bytes, modest size

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    RNG = DemoRandom("tamper")

SUITES = [
    ("aes128gcm16", None, False),
    ("chacha20poly1305", None, False),
    ("aes128", "sha256", False),
    ("aes256gcm16", None, True),     # ESN: the unsent high bits are authenticated too
    ("aes256", "sha1", True),
]


def leaks(message: str) -> bool:
    text = message.encode()
    return any(chunk in text for chunk in (SECRET[:12], SECRET[:12].hex().encode()))


@pytest.mark.parametrize("suite", SUITES,
                         ids=lambda s: f"{s[0]}-{s[1] or 'aead'}-{'esn' if s[2] else 'noesn'}")
def test_every_bit_flip_is_rejected(suite: tuple) -> None:
    enc, integ, esn = suite
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = SecurityAssociation(0x5EC0DE, encryption=enc, integrity=integ, esn=esn, mode="transport",
                                  rng=RNG)
    inb = out.peer()
    out.seq = ((5 << 32) if esn else 0) + 2          # the packet gets number ...3: no flip can make it 0
    if esn:
        inb.replay.update(5 << 32)
    top_before = inb.replay.top
    pkt = esp.seal(out, SECRET, 1).data
    flips = 0
    for byte in range(len(pkt)):
        for bit in range(8):
            bad = bytearray(pkt)
            bad[byte] ^= 1 << bit
            expected = ParseError if byte < 4 else AuthenticationError
            with pytest.raises(expected) as info:
                esp.open(inb, bytes(bad))
            assert not leaks(str(info.value)), str(info.value)
            flips += 1
    assert flips == 8 * len(pkt)
    assert inb.counters.auth_failures == 8 * (len(pkt) - 4)
    assert inb.replay.top == top_before and inb.counters.packets == 0   # nothing moved
    assert esp.open(inb, pkt).payload == SECRET


def test_ah_every_bit_flip_of_immutable_bytes_is_rejected() -> None:
    sa = SecurityAssociation(0xA4A4, protocol="ah", mode="tunnel", tunnel_src="192.0.2.1",
                             tunnel_dst="192.0.2.2", rng=RNG)
    inb = sa.peer()
    sa.seq = 2                               # sequence number 3: no flip can make it 0
    wire = ah.protect(sa, icmp_echo("10.0.0.1", "10.0.0.2", payload=SECRET))
    mutable = {1, 6, 7, 8, 10, 11}          # TOS, flags/fragment offset, TTL, checksum
    for byte in range(len(wire)):
        for bit in range(8):
            bad = bytearray(wire)
            bad[byte] ^= 1 << bit
            if byte in mutable:
                continue                     # see test_ah.py: those may change in transit
            with pytest.raises((AuthenticationError, ParseError)) as info:
                ah.unprotect(inb, bytes(bad))
            assert not leaks(str(info.value))
    assert inb.replay.top == 0
    assert ah.unprotect(inb, wire)
