"""Where random bytes come from: the system (default) or a seeded demo source.

Every function in the library that needs random bytes (keys, IVs, SPIs, nonces, padding-free
choices, rekey fuzz) takes an optional ``rng`` argument. ``None`` means real randomness from the
operating system (:func:`os.urandom`). A notebook passes a :class:`DemoRandom` instead, so that it
prints the same bytes on every run and in every classroom::

    from vpnlearn.rand import DemoRandom
    rng = DemoRandom("notebook-02")      # warns once: demo keys are predictable
    key = rng.random_bytes(16)

:meth:`DemoRandom.child` derives an independent stream per purpose, so adding a draw for one
purpose does not shift the bytes drawn for another.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from typing import Protocol, runtime_checkable

from vpnlearn.errors import ConfigError


class DemoModeWarning(UserWarning):
    """Raised (as a warning) when deterministic demo randomness is used."""


@runtime_checkable
class RandomSource(Protocol):
    """Anything that gives random bytes."""

    deterministic: bool

    def random_bytes(self, n: int) -> bytes: ...


class SystemRandom:
    """Real randomness from the operating system. The default everywhere."""

    deterministic = False

    def random_bytes(self, n: int) -> bytes:
        if n < 0:
            raise ConfigError(f"cannot draw a negative number of random bytes ({n})")
        return os.urandom(n)

    def __repr__(self) -> str:
        return "SystemRandom()"


class DemoRandom:
    """Deterministic bytes from a seed (SHA-256 in counter mode): for teaching only.

    The same seed and label always give the same byte stream. Keys drawn from it are *not
    secret*: anyone who knows the seed knows them. Creating one warns once with
    :class:`DemoModeWarning`.
    """

    deterministic = True

    def __init__(self, seed: int | str | bytes = 0, *, label: str = "", _warn: bool = True) -> None:
        if isinstance(seed, int):
            seed_bytes = seed.to_bytes(16, "big", signed=True)
        elif isinstance(seed, str):
            seed_bytes = seed.encode()
        elif isinstance(seed, bytes):
            seed_bytes = seed
        else:
            raise ConfigError(f"DemoRandom seed must be int, str or bytes, not {type(seed).__name__}")
        self.seed = seed
        self.label = label
        self._key = hashlib.sha256(b"vpnlearn-demo\x00" + seed_bytes + b"\x00" + label.encode()).digest()
        self._counter = 0
        self._pool = b""
        if _warn:
            warnings.warn(
                "vpnlearn demo mode: random bytes come from a fixed seed, so keys are predictable. "
                "Never use them for real traffic.",
                DemoModeWarning,
                stacklevel=2,
            )

    def random_bytes(self, n: int) -> bytes:
        if n < 0:
            raise ConfigError(f"cannot draw a negative number of random bytes ({n})")
        while len(self._pool) < n:
            block = hashlib.sha256(self._key + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
            self._pool += block
        out, self._pool = self._pool[:n], self._pool[n:]
        return out

    def child(self, label: str) -> DemoRandom:
        """An independent deterministic stream for one purpose (e.g. ``"ike-nonces"``)."""
        return DemoRandom(self.seed, label=f"{self.label}/{label}", _warn=False)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"DemoRandom(seed={self.seed!r}{label})  # demo mode: predictable, not secret"


def resolve(rng: RandomSource | None) -> RandomSource:
    """``rng`` itself, or the system's randomness when ``rng`` is None."""
    return SYSTEM if rng is None else rng


def random_int(rng: RandomSource | None, low: int, high: int) -> int:
    """A uniform integer in ``[low, high]`` (inclusive), by rejection sampling."""
    if high < low:
        raise ConfigError(f"empty range [{low}, {high}]")
    span = high - low + 1
    nbytes = max(1, (span.bit_length() + 7) // 8)
    limit = (256**nbytes // span) * span
    source = resolve(rng)
    while True:
        value = int.from_bytes(source.random_bytes(nbytes), "big")
        if value < limit:
            return low + value % span


SYSTEM = SystemRandom()
