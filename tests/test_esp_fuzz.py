"""Property tests: open(seal(x)) == x for every suite and mode; decoders raise only vpnlearn errors.

The quick runs are part of every test run; ``--long-fuzz`` runs the ``slow`` versions with many more
examples.
"""

from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnlearn.errors import VpnlearnError
from vpnlearn.ipsec import ah, esp, natt
from vpnlearn.ipsec.packets import IPv4
from vpnlearn.ipsec.sa import SecurityAssociation
from vpnlearn.rand import DemoRandom

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    RNG = DemoRandom("fuzz")

SUITES = [("aes128gcm16", None), ("aes256gcm16", None), ("aes128gcm12", None), ("aes256gcm8", None),
          ("chacha20poly1305", None), ("aes128", "sha256"), ("aes256", "sha384"), ("aes256", "sha512"),
          ("aes128", "sha1"), ("aes128", "none")]
CONFIGS = [(s, m, e, u) for s in SUITES for m in ("tunnel", "transport") for e in (False, True)
           for u in (False, True)]
T = {"tunnel_src": "192.0.2.1", "tunnel_dst": "192.0.2.2"}


def make(config: tuple) -> tuple[SecurityAssociation, SecurityAssociation]:
    (enc, integ), mode, esn, udp = config
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sa = SecurityAssociation(0x4242, encryption=enc, integrity=integ, mode=mode, esn=esn,
                                 udp_encap=natt.UdpEncap() if udp else None, rng=RNG, **T)
    return sa, sa.peer()


# One SA pair per configuration, reused across examples (the sequence numbers keep going up).
PAIRS = {c: make(c) for c in CONFIGS}

inner_packets = st.builds(
    lambda proto, payload, ttl, ident, dscp: IPv4("10.0.0.1", "10.0.0.2", proto, payload, ttl=ttl,
                                                  identification=ident, dscp=dscp),
    st.integers(0, 255).filter(lambda p: p != 59),   # 59 would mean "dummy packet": see test_esp.py
    st.binary(max_size=300), st.integers(1, 255), st.integers(0, 0xFFFF),
    st.integers(0, 63))


def roundtrip(config: tuple, inner: IPv4) -> None:
    sa, peer = PAIRS[config]
    wire = esp.protect(sa, inner)
    assert esp.unprotect(peer, wire) == inner.build()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=st.sampled_from(CONFIGS), inner=inner_packets)
def test_protect_unprotect_roundtrip(config: tuple, inner: IPv4) -> None:
    roundtrip(config, inner)


@pytest.mark.slow
@settings(max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=st.sampled_from(CONFIGS), inner=inner_packets)
def test_protect_unprotect_roundtrip_long(config: tuple, inner: IPv4) -> None:
    roundtrip(config, inner)


@settings(max_examples=200, deadline=None)
@given(suite=st.sampled_from(SUITES), payload=st.binary(max_size=1500), nh=st.integers(0, 255))
def test_seal_open_roundtrip(suite: tuple, payload: bytes, nh: int) -> None:
    sa, peer = PAIRS[(suite, "tunnel", False, False)]
    pkt = esp.seal(sa, payload, nh)
    opened = esp.open(peer, pkt.data)
    assert (opened.payload, opened.next_header, opened.seq) == (payload, nh, pkt.seq)


def decode_all(data: bytes, config: tuple) -> None:
    """Every decoder on ``data``: success or a VpnlearnError, nothing else."""
    _, peer = PAIRS[config]
    for fn in (lambda: esp.open(peer, data), lambda: esp.unprotect(peer, data),
               lambda: ah.unprotect(AH_PAIR[1], data), lambda: natt.classify(data),
               lambda: natt.unwrap_ike(data)):
        try:
            fn()
        except VpnlearnError:
            pass


AH_PAIR = (lambda sa: (sa, sa.peer()))(SecurityAssociation(0x4343, protocol="ah", rng=RNG, **T))


@settings(max_examples=300, deadline=None)
@given(config=st.sampled_from(CONFIGS), data=st.binary(max_size=200))
def test_random_bytes_raise_only_library_errors(config: tuple, data: bytes) -> None:
    decode_all(data, config)


def mutate(draw: st.DrawFn, wire: bytes) -> bytes:
    data = bytearray(wire)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "truncate", "extend", "delete"]))
        i = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[i] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[i:]
        elif kind == "extend":
            data += draw(st.binary(min_size=1, max_size=20))
        elif kind == "delete" and data:
            del data[i]
    return bytes(data)


@st.composite
def mutated_packets(draw: st.DrawFn) -> tuple[tuple, bytes]:
    config = draw(st.sampled_from(CONFIGS))
    sa, _ = PAIRS[config]
    inner = draw(inner_packets)
    wire = esp.protect(sa, inner) if draw(st.booleans()) else ah.protect(AH_PAIR[0], inner)
    return config, mutate(draw, wire)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_packets())
def test_mutated_packets_raise_only_library_errors(case: tuple) -> None:
    decode_all(case[1], case[0])


@pytest.mark.slow
@settings(max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_packets())
def test_mutated_packets_raise_only_library_errors_long(case: tuple) -> None:
    decode_all(case[1], case[0])
