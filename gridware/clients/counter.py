"""A client for the demo CounterService, on the proxies generated from its WSDL.

::

    service = CounterClient("http://127.0.0.1:8080/wsrf/services/CounterService")
    counter = CounterClient(service.create())
    counter.add(5)           # -> 5
    counter.value            # -> 5 (GetResourceProperty)
    counter.destroy()
"""

from __future__ import annotations

from gridware.clients.wsrf import WsrfClient
from gridware.container.addressing import EndpointReference
from gridware.container.client import HttpTransport
from gridware.container.dialects import GT4, WsrfDialect
from gridware.container.soap import SOAP11, SoapVersion
from gridware.services.samples.counter import COUNTER_NS
from gridware.services.samples.generated.counter.client import CounterPortTypeClient
from gridware.services.samples.generated.counter_gt4.client import (
    CounterPortTypeClient as GT4CounterPortTypeClient,
)


class CounterClient(WsrfClient):
    """The counter operations (``create``, ``add``) plus every WS-RF operation."""

    def __init__(
        self,
        epr: EndpointReference | str,
        *,
        dialect: str | WsrfDialect | None = None,
        soap: str | SoapVersion = SOAP11,
        transport: HttpTransport | None = None,
    ) -> None:
        super().__init__(epr, dialect=dialect, soap=soap, transport=transport)
        proxy = GT4CounterPortTypeClient if self.dialect is GT4 else CounterPortTypeClient
        version = soap if isinstance(soap, str) else soap.name
        self.proxy = proxy(self.epr, soap=version, transport=transport)

    def create(self) -> EndpointReference:
        """Create a counter; returns its endpoint reference."""
        return self.proxy.createCounter()

    def add(self, value: int) -> int:
        """Add ``value``; returns the counter's new value."""
        return self.proxy.add(value)

    @property
    def value(self) -> int:
        """The counter's current value (a GetResourceProperty call)."""
        v = self.get_value(f"{{{COUNTER_NS}}}Value", int)
        return int(v) if v is not None else 0
