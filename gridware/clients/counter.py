"""A client for the demo CounterService.

::

    service = CounterClient("http://127.0.0.1:8080/wsrf/services/CounterService")
    counter = CounterClient(service.create())
    counter.add(5)           # -> 5
    counter.value            # -> 5 (GetResourceProperty)
    counter.destroy()
"""

from __future__ import annotations

from lxml import etree

from gridware.clients.wsrf import WsrfClient
from gridware.container.addressing import AddressingError, EndpointReference
from gridware.container.client import HttpTransport
from gridware.container.dialects import WsrfDialect
from gridware.container.soap import SOAP11, SoapVersion
from gridware.services.samples.counter import COUNTER_NS

PORT_TYPE = f"{COUNTER_NS}/CounterPortType"


class CounterClient(WsrfClient):
    """The counter operations plus every WS-RF operation."""

    def __init__(
        self,
        epr: EndpointReference | str,
        *,
        dialect: str | WsrfDialect | None = None,
        soap: str | SoapVersion = SOAP11,
        transport: HttpTransport | None = None,
    ) -> None:
        super().__init__(epr, dialect=dialect, soap=soap, transport=transport)

    def create(self) -> EndpointReference:
        """Create a counter; returns its endpoint reference."""
        reply = self.soap.call(
            f"{PORT_TYPE}/createCounterRequest", etree.Element(f"{{{COUNTER_NS}}}createCounter")
        )
        for child in reply:
            if isinstance(child.tag, str):
                return EndpointReference.from_element(child)
        raise AddressingError("createCounterResponse holds no endpoint reference")

    def add(self, value: int) -> int:
        """Add ``value``; returns the counter's new value."""
        el = etree.Element(f"{{{COUNTER_NS}}}add")
        el.text = str(int(value))
        reply = self.soap.call(f"{PORT_TYPE}/addRequest", el)
        return int((reply.text or "").strip())

    @property
    def value(self) -> int:
        """The counter's current value (a GetResourceProperty call)."""
        v = self.get_value(f"{{{COUNTER_NS}}}Value", int)
        return int(v) if v is not None else 0
