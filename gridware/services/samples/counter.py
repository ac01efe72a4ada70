"""The classic WS-RF tutorial counter.

``createCounter`` makes a counter resource and returns its endpoint reference;
``add(n)`` adds to the counter the request addresses and returns the new value.
The value is the resource property ``Value``; it can also be read, queried and
set with the WS-ResourceProperties operations, and counters can be destroyed
or scheduled for destruction with WS-ResourceLifetime.
"""

from __future__ import annotations

from gridware.container import EndpointReference, Resource, ResourceProperty, Service, operation
from gridware.container.faults import SenderFault

COUNTER_NS = "http://gridware.org/samples/counter"


class Counter(Resource):
    """A counter resource: one integer property, ``Value``."""

    namespace = COUNTER_NS
    document = "CounterResourceProperties"

    value = ResourceProperty("Value", "int", default=0, modifiable=True)


class CounterService(Service):
    """Creates counters and adds to them."""

    namespace = COUNTER_NS
    port_type = "CounterPortType"
    resource_class = Counter
    key = f"{{{COUNTER_NS}}}CounterKey"
    wsdl = {"wsrf-1.2": "counter.wsdl", "gt4": "counter-gt4.wsdl"}

    @operation
    def createCounter(self) -> EndpointReference:
        """Create a counter with value 0; returns its endpoint reference."""
        assert self.home is not None
        return self.epr(self.home.create())

    @operation
    def add(self, resource: Counter, value: int) -> int:
        """Add ``value`` to the counter and return the new value."""
        total: int = resource.value + value
        if not -(2**31) <= total < 2**31:
            raise SenderFault(f"adding {value} would overflow the counter (xsd:int)")
        resource.value = total
        return total
