"""The WS-RF hosting container: SOAP, WS-Addressing, WS-RF and hosting on Twisted.

The names a service author needs are exported here::

    from gridware.container import (
        Service, operation, Resource, ResourceProperty, EndpointReference, Container,
    )
"""

from gridware.container.addressing import (
    WSA_2004_03,
    WSA_2004_08,
    WSA_2005_08,
    AddressingError,
    EndpointReference,
)
from gridware.container.dialects import GT4, WSRF_1_2, WsrfDialect, wsrf_dialect
from gridware.container.faults import (
    Fault,
    InvalidModificationFault,
    InvalidResourcePropertyQNameFault,
    ReceiverFault,
    ResourceUnknownFault,
    SenderFault,
    UnableToModifyResourcePropertyFault,
)
from gridware.container.hosting import Container
from gridware.container.resource import (
    InMemoryResourceHome,
    Resource,
    ResourceHome,
    ResourceProperty,
    SingletonHome,
)
from gridware.container.service import RequestContext, Service, operation, run_blocking
from gridware.container.soap import SOAP11, SOAP12

__all__ = [
    "GT4",
    "SOAP11",
    "SOAP12",
    "WSA_2004_03",
    "WSA_2004_08",
    "WSA_2005_08",
    "WSRF_1_2",
    "AddressingError",
    "Container",
    "EndpointReference",
    "Fault",
    "InMemoryResourceHome",
    "InvalidModificationFault",
    "InvalidResourcePropertyQNameFault",
    "ReceiverFault",
    "RequestContext",
    "Resource",
    "ResourceHome",
    "ResourceProperty",
    "ResourceUnknownFault",
    "SenderFault",
    "Service",
    "SingletonHome",
    "UnableToModifyResourcePropertyFault",
    "WsrfDialect",
    "operation",
    "run_blocking",
    "wsrf_dialect",
]
