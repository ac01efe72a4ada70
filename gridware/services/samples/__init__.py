"""The demo services deployed by ``gridware container --demo``."""

from __future__ import annotations

from gridware.container.service import Service
from gridware.services.samples.counter import (
    COUNTER_NS,
    Counter,
    CounterService,
    GT4CounterService,
)
from gridware.services.samples.version import VERSION_NS, GT4VersionService, VersionService


def demo_services() -> list[Service]:
    """The demo deployment: each sample in both WS-RF dialect sets.

    ``CounterService`` and ``VersionService`` speak OASIS WSRF 1.2 with
    WS-Addressing 2005/08; ``gt4/CounterService`` and ``gt4/VersionService`` speak
    the 2004/06 drafts with WS-Addressing 2004/03, as Globus Toolkit 4 clients expect.
    """
    return [
        CounterService(),
        VersionService(),
        GT4CounterService("gt4/CounterService"),
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
