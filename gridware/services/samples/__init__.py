"""The demo services deployed by ``gridware container --demo``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gridware.container.service import Service
from gridware.services.samples.counter import (
    COUNTER_NS,
    Counter,
    CounterService,
    GT4CounterService,
)
from gridware.services.samples.version import VERSION_NS, GT4VersionService, VersionService

if TYPE_CHECKING:
    from gridware.container.persistence import ResourceStore


def demo_services(store: ResourceStore | None = None) -> list[Service]:
    """The demo deployment: each sample in both WS-RF dialect sets.

    ``CounterService`` and ``VersionService`` speak OASIS WSRF 1.2 with
    WS-Addressing 2005/08; ``gt4/CounterService`` and ``gt4/VersionService`` speak
    the 2004/06 drafts with WS-Addressing 2004/03, as Globus Toolkit 4 clients expect.
    With a ``store`` the counters are persistent: they survive restarts.
    """

    def home(name: str, cls: type[Service]) -> dict[str, Any]:
        if store is None or name in store.homes:  # a configured service took the name
            return {}
        from gridware.container.config import persistent_home

        return {"home": persistent_home(store, name, cls)}

    return [
        CounterService(**home("CounterService", CounterService)),
        VersionService(),
        GT4CounterService("gt4/CounterService", **home("gt4/CounterService", GT4CounterService)),
        GT4VersionService("gt4/VersionService"),
    ]


__all__ = [
    "COUNTER_NS",
    "VERSION_NS",
    "Counter",
    "CounterService",
    "GT4CounterService",
    "GT4VersionService",
    "VersionService",
    "demo_services",
]
