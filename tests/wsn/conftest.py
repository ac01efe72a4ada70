"""Fixtures for the WS-Notification tests: listeners and inboxes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from gridware.clients.counter import CounterClient
from gridware.container.wsn import Notification, NotificationListener

COUNTER_NS = "http://gridware.org/samples/counter"
VALUE = f"{{{COUNTER_NS}}}Value"

DIALECTS = [
    pytest.param(("CounterService", "wsrf-1.2"), id="wsn-1.3"),
    pytest.param(("gt4/CounterService", "gt4"), id="gt4"),
]


class Inbox:
    """A callback that keeps what it receives; tests wait on it."""

    def __init__(self) -> None:
        self.items: list[Notification] = []
        self._cond = threading.Condition()

    def __call__(self, n: Notification) -> None:
        with self._cond:
            self.items.append(n)
            self._cond.notify_all()

    def wait(self, count: int, timeout: float = 10.0) -> list[Notification]:
        """Wait until ``count`` notifications arrived (fails after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.items) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} notifications, got {len(self.items)}: "
                        f"{[_describe(n) for n in self.items]}"
                    )
                self._cond.wait(left)
            return list(self.items)

    def quiet(self, seconds: float = 0.5) -> list[Notification]:
        """What arrived after waiting ``seconds`` (to check that nothing more comes)."""
        time.sleep(seconds)
        with self._cond:
            return list(self.items)

    def values(self) -> list[int | None]:
        return [n.value(int) for n in self.items if n.is_value_change]


def _describe(n: Notification) -> str:
    if n.is_value_change:
        return f"{n.topic}: {n.old_value()} -> {n.value()}"
    return f"{n.topic}: {n.message.tag}"


@pytest.fixture(scope="module")
def listener() -> Iterator[NotificationListener]:
    with NotificationListener() as lst:
        yield lst


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


def new_counter(demo, service: str, dialect: str) -> CounterClient:
    return CounterClient(CounterClient(demo.url(service), dialect=dialect).create())
