"""The classic WS-RF tutorial counter, implemented on code generated from its WSDL.

``createCounter`` makes a counter resource and returns its endpoint reference;
``add(n)`` adds to the counter the request addresses and returns the new value.
The value is the resource property ``Value``; it can also be read, queried and
set with the WS-ResourceProperties operations, and counters can be destroyed
or scheduled for destruction with WS-ResourceLifetime: all of that comes from
the container, declared by ``wsrp:ResourceProperties`` in ``counter.wsdl``.
``Value`` is also a WS-Notification topic: subscribers are told of every change
(and of the counter's destruction).

:class:`CounterService` speaks OASIS WSRF 1.2 (``counter.wsdl``);
:class:`GT4CounterService` the 2004/06 drafts of Globus Toolkit 4
(``counter-gt4.wsdl``).  Both share the implementation in :class:`CounterLogic`.
"""

from __future__ import annotations

from gridware.container import EndpointReference, RequestContext, ResourceProperty, Service
from gridware.container.faults import SenderFault
from gridware.container.wsn import NotificationProducer
from gridware.services.samples.generated.counter.server import (
    CounterPortTypeService,
    CounterResource,
)
from gridware.services.samples.generated.counter_gt4.server import (
    CounterPortTypeService as GT4CounterPortTypeService,
)
from gridware.services.samples.generated.counter_gt4.server import (
    CounterResource as GT4CounterResource,
)

COUNTER_NS = "http://gridware.org/samples/counter"
COUNTER_KEY = f"{{{COUNTER_NS}}}CounterKey"


class Counter(CounterResource):
    """A counter: the generated resource type, with ``Value`` starting at 0 and settable."""

    value = ResourceProperty(f"{{{COUNTER_NS}}}Value", "int", default=0, modifiable=True)


class GT4Counter(GT4CounterResource):
    """The same counter, for the Globus Toolkit 4 dialect set."""

    value = ResourceProperty(f"{{{COUNTER_NS}}}Value", "int", default=0, modifiable=True)


class CounterLogic(Service):
    """The counter operations, for either generated stub."""

    key = COUNTER_KEY
    index_resources = True  # each counter has an entry in the container's default index

    def createCounter(self, context: RequestContext) -> EndpointReference:
        """Create a counter with value 0; returns its endpoint reference."""
        assert self.home is not None
        return self.epr(self.home.create())

    def add(self, context: RequestContext, add: int) -> int:
        """Add ``add`` to the counter the request addresses; returns the new value."""
        counter = context.resource()
        total: int = counter.value + add
        if not -(2**31) <= total < 2**31:
            raise SenderFault(f"adding {add} would overflow the counter (xsd:int)")
        counter.value = total
        return total


class CounterService(NotificationProducer, CounterLogic, CounterPortTypeService):
    """The counter in OASIS WSRF 1.2 with WS-Addressing 2005/08; ``Value`` is a topic
    (WS-BaseNotification 1.3)."""

    resource_class = Counter
    property_topics = ("Value",)
    wsdl = "counter.wsdl"


class GT4CounterService(NotificationProducer, CounterLogic, GT4CounterPortTypeService):
    """The counter in the WSRF drafts of Globus Toolkit 4 (WS-Addressing 2004/03); ``Value``
    is a topic (WS-BaseNotification 2004/06 draft)."""

    resource_class = GT4Counter
    property_topics = ("Value",)
    wsdl = "counter-gt4.wsdl"
