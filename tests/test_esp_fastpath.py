"""The lean per-packet path of esp.seal/esp.open behaves exactly like the plain definitions.

seal/open inline a few things for speed (the sequence counter, the in-order replay-window update,
the counters, a direct AEAD call when there is no ESN). These tests replay long random packet
orders through esp.open and compare every accept/drop and the window's state with a
ReplayWindow driven by its documented check()/update(), and compare sealed packets with packets
built by hand from the RFC 4303 / RFC 4106 layout.
"""

from __future__ import annotations

import random
import struct
import warnings

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vpnlearn.errors import AuthenticationError, ReplayError
from vpnlearn.ipsec import esp
from vpnlearn.ipsec.replay import ReplayWindow
from vpnlearn.ipsec.sa import Lifetime, SecurityAssociation
from vpnlearn.rand import DemoRandom

T = {"tunnel_src": "192.0.2.1", "tunnel_dst": "192.0.2.2"}


def pair(**kw: object) -> tuple[SecurityAssociation, SecurityAssociation]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sa = SecurityAssociation(0x4242, rng=DemoRandom("fastpath"), **{**T, **kw})  # type: ignore[arg-type]
    return sa, sa.peer()


@pytest.mark.parametrize("window", [64, 128, 1024])
@pytest.mark.parametrize("esn", [False, True])
@pytest.mark.parametrize("suite", [("aes128gcm16", None), ("aes128", "sha256")])
def test_open_agrees_with_a_reference_window_on_random_orders(window: int, esn: bool,
                                                              suite: tuple[str, str | None]) -> None:
    """RFC 4303 §3.4.3: same accept/drop decisions and window contents as check()+update()."""
    sa, peer = pair(encryption=suite[0], integrity=suite[1], esn=esn, replay_window=window)
    ref = ReplayWindow(window, esn=esn)
    if esn:                               # cross into the next 2^32 subspace on the way
        sa.seq = peer.replay.top = ref.top = (3 << 32) - 150
    packets = [esp.seal(sa, bytes([i % 256]) * (i % 40), 17) for i in range(600)]
    rnd = random.Random(f"{window}-{esn}-{suite[0]}")
    order: list[int] = []
    i = 0
    while i < len(packets):               # mostly in order, with jumps back, duplicates and gaps
        r = rnd.random()
        if r < 0.7:
            order.append(i)
            i += 1
        elif r < 0.8:
            order.append(max(0, i - rnd.randint(1, window + 10)))
        elif r < 0.9 and order:
            order.append(order[-1])
        else:
            i += rnd.randint(1, 20)
    accepted = 0
    for k in order:
        pkt = packets[k]
        if ref.infer(pkt.seq & 0xFFFFFFFF) != pkt.seq:
            # ESN, RFC 4303 A2.2: a number below the window is read as the next subspace: ICV fails
            with pytest.raises(AuthenticationError):
                esp.open(peer, pkt.data)
            continue
        try:
            ref.check(pkt.seq)
            expect_ok = True
        except ReplayError:
            expect_ok = False
        try:
            out = esp.open(peer, pkt.data)
        except ReplayError:
            assert not expect_ok, f"packet {pkt.seq} dropped, the reference window accepts it"
        else:
            assert expect_ok, f"packet {pkt.seq} accepted, the reference window drops it"
            assert out.seq == pkt.seq and out.payload == pkt.payload
            ref.update(pkt.seq)
            accepted += 1
        assert peer.replay.top == ref.top
        assert peer.replay.accepted() == ref.accepted()
    assert peer.counters.packets == accepted > 150


def test_gcm_packet_is_the_rfc_4106_layout_built_by_hand() -> None:
    """SPI || Seq || IV (= the counter) || AES-GCM(salt || IV, payload || pad || 1 || 4, AAD = SPI || Seq)."""
    sa, peer = pair()
    sa.seq = 0x46                                   # the next packet is number 0x47
    payload = bytes(range(256)) * 5 + b"x"          # 1281 bytes: 1 padding byte to reach 4-byte alignment
    pkt = esp.seal(sa, payload, 4)
    seq = 0x47
    iv = seq.to_bytes(8, "big")
    key, salt = sa.enc_key[:16], sa.enc_key[16:]
    header = struct.pack("!II", 0x4242, seq)
    expected = header + iv + AESGCM(key).encrypt(salt + iv, payload + b"\x01\x01\x04", header)
    assert pkt.data == expected
    assert (pkt.seq, pkt.iv, pkt.pad_length, pkt.next_header, pkt.icv_len) == (seq, iv, 1, 4, 16)
    assert esp.open(peer, expected).payload == payload


def test_counters_and_lifetimes_still_count_on_the_fast_path() -> None:
    """Counting is inlined when no packet/byte lifetime is set; with one, record() still fires events."""
    sa, peer = pair()
    for n in (0, 1, 1400):
        esp.open(peer, esp.seal(sa, bytes(n), 4).data)
    assert (sa.counters.packets, sa.counters.bytes) == (3, 1401)
    assert (peer.counters.packets, peer.counters.bytes) == (3, 1401)
    limited, _ = pair(lifetime=Lifetime(soft_packets=2, hard_packets=3))
    for _ in range(3):
        esp.seal(limited, b"abc", 4)
    assert [(e.limit, e.kind) for e in limited.events] == [("soft", "packets"), ("hard", "packets")]


def test_byte_and_packet_lifetimes_fire_at_the_packet_that_reaches_them() -> None:
    """RFC 4301 §4.4.2.1: each soft/hard byte or packet limit fires once, at the packet reaching it."""
    sa, peer = pair(lifetime=Lifetime(soft_bytes=1000, hard_bytes=2500, soft_packets=6))
    fired_at = []
    for i in range(1, 10):
        before = len(peer.events)
        esp.open(peer, esp.seal(sa, bytes(300), 4).data)
        fired_at += [(i, e.limit, e.kind) for e in peer.events[before:]]
    assert fired_at == [(4, "soft", "bytes"), (6, "soft", "packets"), (9, "hard", "bytes")]
    assert [e.value for e in peer.events] == [1200, 6, 2700]
    assert [(e.limit, e.kind) for e in sa.events] == [(lim, kind) for _, lim, kind in fired_at]
    assert sa.expired and peer.expired
