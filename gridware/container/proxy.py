"""Base classes of the client proxies wsdl2py generates.

A proxy calls the operations of one port type at one endpoint::

    counter = CounterPortTypeClient(epr)       # or a URL
    counter.add(5)

Declared WSDL faults arrive as the generated exception classes; a reply that
does not match the WSDL raises :class:`ReplyMismatchError`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from gridware.codegen.runtime.model import BindingError
from gridware.codegen.runtime.operation import OperationBinding
from gridware.container.addressing import EndpointReference
from gridware.container.client import (
    AsyncSoapClient,
    HttpTransport,
    MessageSecurity,
    SoapClient,
    TransportError,
)
from gridware.container.faults import Fault


class ReplyMismatchError(TransportError):
    """The service answered, but not with the message its WSDL describes."""


class _ProxyBase:
    operations: ClassVar[dict[str, OperationBinding]] = {}
    soap_version: ClassVar[str] = "1.1"
    addressing: ClassVar[str] = "2005/08"
    default_address: ClassVar[str | None] = None
    #: fault detail element -> the generated exception class raised for it
    fault_classes: ClassVar[dict[str, type[Fault]]] = {}

    def _typed(self, fault: Fault) -> Fault:
        """The fault as this proxy's generated class for its detail element, if any."""
        if fault.detail is None:
            return fault
        cls = self.fault_classes.get(str(fault.detail.tag))
        if cls is None or isinstance(fault, cls):
            return fault
        typed = cls.__new__(cls)
        typed.__dict__.update(fault.__dict__)
        typed.args = fault.args
        return typed

    def _endpoint(self, endpoint: EndpointReference | str | None) -> EndpointReference | str:
        target = endpoint if endpoint is not None else self.default_address
        if target is None:
            raise ValueError(f"{type(self).__name__} needs an endpoint reference or URL")
        return target

    @staticmethod
    def _decode(op: OperationBinding, reply: Any) -> Any:
        if op.output is None:
            return None
        try:
            return op.output.decode_result(reply)
        except BindingError as exc:
            raise ReplyMismatchError(
                f"the reply to {op.name} does not match the WSDL: {exc}"
            ) from None

    @staticmethod
    def _encode(op: OperationBinding, args: dict[str, Any]) -> Any:
        try:
            return op.input.encode(args)
        except BindingError as exc:
            raise ValueError(f"{op.name}: {exc}") from None


class ServiceProxy(_ProxyBase):
    """A blocking proxy: each method sends one request and returns the reply's value."""

    def __init__(
        self,
        endpoint: EndpointReference | str | None = None,
        *,
        soap: str | None = None,
        transport: HttpTransport | None = None,
    ) -> None:
        target = self._endpoint(endpoint)
        addressing = self.addressing if isinstance(target, str) else None
        self.soap = SoapClient(
            target, soap=soap or self.soap_version, addressing=addressing, transport=transport
        )

    @property
    def epr(self) -> EndpointReference:
        return self.soap.epr

    def _invoke(self, op: OperationBinding, args: dict[str, Any]) -> Any:
        try:
            reply = self.soap.call(op.action, self._encode(op, args))
        except Fault as fault:
            raise self._typed(fault) from None
        return self._decode(op, reply)


class AsyncServiceProxy(_ProxyBase):
    """A Twisted proxy: each method is a coroutine (``await proxy.add(5)``)."""

    def __init__(
        self,
        endpoint: EndpointReference | str | None = None,
        *,
        soap: str | None = None,
        agent: Any = None,
        message: MessageSecurity | None = None,
    ) -> None:
        target = self._endpoint(endpoint)
        addressing = self.addressing if isinstance(target, str) else None
        self.soap = AsyncSoapClient(
            target,
            soap=soap or self.soap_version,
            addressing=addressing,
            agent=agent,
            message=message,
        )

    @property
    def epr(self) -> EndpointReference:
        return self.soap.epr

    async def _ainvoke(self, op: OperationBinding, args: dict[str, Any]) -> Any:
        try:
            reply = await self.soap.call(op.action, self._encode(op, args))
        except Fault as fault:
            raise self._typed(fault) from None
        return self._decode(op, reply)
