"""Shared pytest options: --long-fuzz enables the long fuzzing runs (tests marked ``slow``)."""

from __future__ import annotations

import pytest


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
