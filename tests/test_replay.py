"""The anti-replay window (RFC 4303 §3.4.3, Appendix A) against a straightforward reference model."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vpnlearn.errors import ConfigError, ReplayError
from vpnlearn.ipsec.replay import ReplayWindow


class Reference:
    """What the window must do, the obvious way: every accepted number in a set, plus the maximum."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.seen: set[int] = set()
        self.top = 0

    def accepts(self, seq: int) -> bool:
        if seq <= 0:
            return False
        if seq > self.top:
            return True
        return seq > self.top - self.size and seq not in self.seen

    def accept(self, seq: int) -> None:
        self.seen.add(seq)
        self.top = max(self.top, seq)


def drive(size: int, seqs: list[int], *, esn: bool = False) -> int:
    """Feed ``seqs`` to a window and the reference; they must agree on every packet. Returns accepts."""
    window, ref = ReplayWindow(size, esn=esn), Reference(size)
    accepted = 0
    for seq in seqs:
        full = window.infer(seq & 0xFFFFFFFF) if esn else seq
        assert full == seq or not ref.accepts(seq), f"ESN inference gave {full} for {seq}"
        expected = ref.accepts(seq)
        try:
            window.check(full)
            # With ESN, a number below the window is read as belonging to the next 2^32 subspace
            # (RFC 4303 A2.2); its ICV then fails because the high bits are wrong: not accepted.
            ok = full == seq
        except ReplayError:
            ok = False
        assert ok == expected, f"size {size}: seq {seq}, top {ref.top}"
        if ok:
            window.update(full)
            ref.accept(seq)
            accepted += 1
        assert window.top == ref.top
    return accepted


def random_stream(rng: random.Random, size: int, n: int, start: int = 0) -> list[int]:
    """Mostly increasing numbers with reordering, duplicates, old packets and jumps."""
    out, top = [], start
    for _ in range(n):
        r = rng.random()
        if r < 0.45:
            top += rng.randint(1, 3)
            out.append(top)
        elif r < 0.65:
            out.append(max(1, top - rng.randint(0, size - 1)))             # inside the window
        elif r < 0.75:
            out.append(max(1, top - rng.randint(size - 2, 3 * size)))      # around/left of the bottom
        elif r < 0.85 and out:
            out.append(rng.choice(out[-50:]))                               # duplicate
        elif r < 0.95:
            out.append(top + rng.randint(1, 2 * size))                      # ahead, maybe a big jump
        else:
            top += rng.randint(size, 5 * size)
            out.append(top)
    return out


@pytest.mark.parametrize("size", [64, 1024, 2048])
def test_agrees_with_reference_on_long_random_sequences(size: int) -> None:
    rng = random.Random(size)
    seqs = random_stream(rng, size, 20_000, start=0)
    accepted = drive(size, seqs)
    assert 0 < accepted < len(seqs)       # the stream exercised both outcomes


@pytest.mark.parametrize("size", [64, 1024, 2048])
def test_esn_agrees_with_reference_across_the_32_bit_wrap(size: int) -> None:
    rng = random.Random(1000 + size)
    seqs = random_stream(rng, size, 20_000, start=(1 << 32) - 5000)
    assert max(seqs) > (1 << 32) and min(seqs) < (1 << 32)      # the stream crosses the wrap
    drive(size, seqs, esn=True)


@settings(max_examples=60, deadline=None)
@given(size=st.sampled_from([64, 1024, 2048]),
       seqs=st.lists(st.integers(min_value=0, max_value=6000), max_size=300))
def test_property_agrees_with_reference(size: int, seqs: list[int]) -> None:
    drive(size, seqs)


def test_duplicate_and_too_old_are_rejected_with_reasons() -> None:
    w = ReplayWindow(64)
    w.update(100)
    with pytest.raises(ReplayError, match="duplicate"):
        w.check(100)
    w.check(37)                              # 100 - 63: the bottom of the window
    with pytest.raises(ReplayError, match="too old"):
        w.check(36)
    with pytest.raises(ReplayError, match="Sequence Number"):
        w.check(0)


def test_check_changes_nothing_update_slides() -> None:
    w = ReplayWindow(64)
    for seq in (5, 1000, 10**12):
        w.check(seq)
    assert w.top == 0 and not w.seen(5)
    w.update(5)
    w.update(3)
    assert w.seen(3) and w.seen(5) and not w.seen(4)
    w.update(10**12)                          # a huge jump: the old bitmap is gone, no huge shift
    assert w.top == 10**12 and w.seen(10**12) and not w.seen(5)
    with pytest.raises(ReplayError):
        w.update(10**12)                      # update re-checks


def test_esn_inference_cases_a_and_b() -> None:
    w = ReplayWindow(64, esn=True)
    w.update((1 << 32) - 10)                  # Case A: window inside subspace 0
    assert w.infer(5) == (1 << 32) + 5        # below the bottom: wrapped into subspace 1
    assert w.infer(0xFFFFFFF0) == 0xFFFFFFF0
    w.update((1 << 32) + 5)                   # Case B: window straddles subspaces 0 and 1
    assert w.infer(0xFFFFFFF0) == 0xFFFFFFF0  # at/above the bottom: previous subspace
    assert w.infer(3) == (1 << 32) + 3
    assert w.seen((1 << 32) - 10)


def test_window_sizes_outside_aws_range_are_refused() -> None:
    for bad in (0, 32, 63, 2049, 4096, True, "64"):
        with pytest.raises(ConfigError, match="64..2048"):
            ReplayWindow(bad)  # type: ignore[arg-type]
    assert ReplayWindow(64).size == 64 and ReplayWindow(2048).size == 2048
