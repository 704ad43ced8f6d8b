"""Shared pytest options: --long-fuzz enables the long fuzzing runs (tests marked ``slow``)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# No timed tests: the machines here have 2 noisy cores, so no per-example deadline. In CI the
# examples are derandomized (the same inputs every run) so a red CI is reproducible; locally they
# are random, to keep exploring.
settings.register_profile("vpnlearn", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          derandomize=bool(os.environ.get("CI")))
settings.load_profile("vpnlearn")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long-fuzz", action="store_true", default=False,
                     help="run the long fuzzing tests (marked slow)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--long-fuzz"):
        return
    skip = pytest.mark.skip(reason="long fuzz run: pass --long-fuzz to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def long_fuzz(request: pytest.FixtureRequest) -> bool:
    """True when --long-fuzz was given (tests scale their example counts by it)."""
    return bool(request.config.getoption("--long-fuzz"))
