"""Set-up for the course notebooks: deterministic demo randomness and tidy warnings.

Every notebook starts with::

    from vpnlearn.course import setup
    rng = setup("02-ipsec")     # DemoRandom: the same bytes on every run, in every classroom

so that what a learner sees matches what the course shows, byte for byte.
"""

from __future__ import annotations

import warnings

from vpnlearn.rand import DemoModeWarning, DemoRandom


def _short_warning(message, category, filename, lineno, line=None) -> str:  # type: ignore[no-untyped-def]
    # The default format names a temporary file that changes on every run; notebooks show just this.
    return f"{category.__name__}: {message}\n"


DEMO_NOTICE = ("Demo mode: random bytes come from the seed {seed!r}, so you see the same keys and "
               "packets as everyone else. Such keys are predictable: never use them for real traffic.")


def setup(seed: int | str = "vpnlearn") -> DemoRandom:
    """Seeded demo randomness for a notebook, and warnings without file paths.

    Returns a :class:`~vpnlearn.rand.DemoRandom`. Instead of the library's DemoModeWarning (which
    JupyterLab shows like an error), it prints one plain line saying that demo mode is on.
    """
    warnings.formatwarning = _short_warning
    print(DEMO_NOTICE.format(seed=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DemoModeWarning)
        return DemoRandom(seed)
