"""A CounterService whose counters can change Value many times on their own (bench only).

``burst(n)`` changes the addressed counter's ``Value`` n times (1, 2, ..., n), one
change per reactor turn, outside any request: every change is its own
ResourcePropertyValueChangeNotification, and the rate is what the producer can
publish and deliver, not what clients can request.  ``burstTimes`` returns when
each change was made (``value:unix-time`` pairs, comma-separated).
"""

from __future__ import annotations

import time

from gridware.container import RequestContext, operation
from gridware.services.samples.counter import CounterService

NS = "http://gridware.org/samples/counter"


class BurstCounterService(CounterService):
    """The demo counter plus ``burst`` and ``burstTimes`` (namespace of the counter)."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.times: dict[str | None, list[tuple[int, float]]] = {}

    @operation(action=f"{NS}/Burst/burstRequest")
    def burst(self, context: RequestContext, count: int) -> int:
        counter = context.resource()
        record = self.times.setdefault(counter.key, [])
        record.clear()

        def step(i: int) -> None:
            counter.value = i
            record.append((i, time.time()))
            if i < count:
                self.reactor.callLater(0, step, i + 1)

        self.reactor.callLater(0, step, 1)
        return count

    @operation(action=f"{NS}/Burst/burstTimesRequest")
    def burstTimes(self, context: RequestContext) -> str:
        record = self.times.get(context.resource().key, [])
        return ",".join(f"{v}:{t:.6f}" for v, t in record)
