"""Fixtures of the persistence tests: a private PostgreSQL cluster, stores on both backends."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gridware.container.persistence import ResourceStore
from tests.persistence.pgcluster import ClusterUnavailable, PostgresCluster


def unavailable(message: str) -> None:
    """A missing peer: skip, or FAIL when CI=true."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster of our own for the session (127.0.0.1, a free port)."""
    try:
        cluster = PostgresCluster()
    except ClusterUnavailable as exc:
        unavailable(str(exc))
        raise AssertionError("unreachable") from None
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: PostgresCluster) -> str:
    """The URL of a fresh, empty database."""
    return pg_cluster.database()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database of a test, on each backend: a state directory or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "state")
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def open_store(backend: str) -> Iterator[Callable[..., ResourceStore]]:
    """Open the test's store (again and again: a reopen is a container restart)."""
    opened: list[ResourceStore] = []

    def open_(**kw: object) -> ResourceStore:
        if backend.startswith("postgresql://"):
            store = ResourceStore.open(backend, **kw)  # type: ignore[arg-type]
        else:
            store = ResourceStore.open(state_dir=backend, **kw)  # type: ignore[arg-type]
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()
