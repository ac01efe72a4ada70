"""Host services inside an ordinary (non-Twisted) Python program.

::

    from gridware.container.embed import hosted

    with hosted(MyService(), port=0) as container:
        print(container.services["MyService"].url)
        ...  # the service answers while the block runs

The Twisted reactor runs in one daemon thread shared by every embedded
container of the process (a reactor cannot be restarted once stopped).  In a
program that already runs Twisted, use :class:`~gridware.container.hosting.Container`
and its ``start()``/``stop()`` directly instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from twisted.internet import reactor as _reactor
from twisted.internet import threads

from gridware.container.hosting import Container
from gridware.container.service import Service

_lock = threading.Lock()
_thread: threading.Thread | None = None


def reactor_thread() -> threading.Thread:
    """Start (once) and return the background thread running the reactor."""
    global _thread
    with _lock:
        if _thread is None or not _thread.is_alive():
            if _reactor.running:
                raise RuntimeError(
                    "the reactor already runs in this process; use Container.start() from it"
                )
            started = threading.Event()
            _reactor.callWhenRunning(started.set)
            t = threading.Thread(
                target=_reactor.run,
                kwargs={"installSignalHandlers": False},
                name="gridware-reactor",
                daemon=True,
            )
            t.start()
            if not started.wait(10):
                raise RuntimeError("the Twisted reactor did not start")
            _thread = t
        return _thread


def call(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Run ``func`` in the reactor thread and wait for its (possibly Deferred) result."""
    reactor_thread()
    return threads.blockingCallFromThread(_reactor, func, *args, **kwargs)


def start(*services: Service, host: str = "127.0.0.1", port: int = 0, **options: Any) -> Container:
    """Start a container hosting ``services`` in the background; returns it (listening)."""

    def build() -> Container:
        c = Container(host, port, reactor=_reactor, **options)
        c.deploy_all(services)
        c.start()
        return c

    result: Container = call(build)
    return result


def stop(container: Container) -> None:
    """Stop a container started with :func:`start`."""
    call(container.stop)


@contextmanager
def hosted(
    *services: Service, host: str = "127.0.0.1", port: int = 0, **options: Any
) -> Iterator[Container]:
    """Host ``services`` for the duration of a ``with`` block."""
    container = start(*services, host=host, port=port, **options)
    try:
        yield container
    finally:
        stop(container)
