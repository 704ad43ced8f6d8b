"""Set-up for the course notebooks: deterministic demo randomness and tidy warnings.

Every notebook starts with::

    from vpnlearn.course import setup
    rng = setup("02-ipsec")     # DemoRandom: the same bytes on every run, in every classroom

so that what a learner sees matches what the course shows, byte for byte.
"""

from __future__ import annotations

import warnings

from vpnlearn.rand import DemoRandom


def _short_warning(message, category, filename, lineno, line=None) -> str:  # type: ignore[no-untyped-def]
    # The default format names a temporary file that changes on every run; notebooks show just this.
    return f"{category.__name__}: {message}\n"


def setup(seed: int | str = "vpnlearn") -> DemoRandom:
    """Seeded demo randomness for a notebook, and warnings without file paths.

    Returns a :class:`~vpnlearn.rand.DemoRandom`; it warns once that demo keys are predictable.
    """
    warnings.formatwarning = _short_warning
    return DemoRandom(seed)
