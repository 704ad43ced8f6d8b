"""Fixtures for the real-peer tests: namespaces, charon daemons, a PKI.

Every test here is marked ``root``; it skips with a clear reason only when not root or when network
namespaces cannot be made. Namespaces and daemons are removed in teardown, also when the test fails.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import Charon, NetPair, Pki, namespaces_possible, workdir

_possible: tuple[bool, str] | None = None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.root)


@pytest.fixture(scope="session")
def can_netns() -> None:
    global _possible
    if _possible is None:
        _possible = namespaces_possible()
    ok, reason = _possible
    if not ok:
        pytest.skip(reason)


@pytest.fixture
def wdir(request: pytest.FixtureRequest) -> Iterator[Path]:
    d = workdir()
    yield d
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        print(f"interop work directory kept for inspection: {d}")
    else:
        shutil.rmtree(d, ignore_errors=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    rep = yield
    setattr(item, "rep_" + rep.when, rep)
    return rep


@pytest.fixture
def netpair(can_netns: None) -> Iterator[NetPair]:
    pair = NetPair.create()
    try:
        yield pair
    finally:
        pair.destroy()


def _charon(ns: str, wdir: Path, name: str, request: pytest.FixtureRequest) -> Iterator[Charon]:
    """A started charon in namespace ``ns``; stopped afterwards, its log tail printed if the test failed."""
    c = Charon(ns, wdir, name)
    c.start()
    try:
        yield c
    finally:
        c.stop()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(f"--- {name} log ({c.log_path}) tail ---\n" + "\n".join(c.log_text().splitlines()[-80:]))


@pytest.fixture
def charon_b(netpair: NetPair, wdir: Path, request: pytest.FixtureRequest) -> Iterator[Charon]:
    """A charon in namespace B (10.97.0.2, inner 10.98.2.1)."""
    yield from _charon(netpair.ns_b, wdir, "charon-b", request)


@pytest.fixture
def charon_a(netpair: NetPair, wdir: Path, request: pytest.FixtureRequest) -> Iterator[Charon]:
    """A charon in namespace A (10.97.0.1, inner 10.98.1.1)."""
    yield from _charon(netpair.ns_a, wdir, "charon-a", request)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki.create(tmp_path_factory.mktemp("pki"))
