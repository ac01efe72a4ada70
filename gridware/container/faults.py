"""Faults: Python exceptions that travel as SOAP faults with WS-BaseFaults detail.

Raise a :class:`Fault` subclass from service code; the container writes it as a
SOAP 1.1 or 1.2 fault whose detail is the WS-BaseFaults element of the service's
dialect set.  On the client side the same classes are raised again from the
fault that arrives, so ``except ResourceUnknownFault:`` works on both sides.

Any other exception escaping service code becomes a Receiver fault that says
only "internal error" (with the request's guid, to find the logged traceback).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from lxml import etree

from gridware.codegen.runtime import SimpleTypeError, format_datetime, parse_datetime
from gridware.container import ns
from gridware.container.addressing import AddressingError, EndpointReference
from gridware.container.xml import Element, qname

if TYPE_CHECKING:
    from gridware.container.dialects import WsrfDialect

SENDER = "Sender"
RECEIVER = "Receiver"
VERSION_MISMATCH = "VersionMismatch"
MUST_UNDERSTAND = "MustUnderstand"

_SOAP11_CODES = {
    SENDER: "Client",
    RECEIVER: "Server",
    VERSION_MISMATCH: "VersionMismatch",
    MUST_UNDERSTAND: "MustUnderstand",
}
_FROM_SOAP11 = {v: k for k, v in _SOAP11_CODES.items()}


class Fault(Exception):
    """An error reported to the caller as a SOAP fault.

    ``code`` is ``"Sender"`` when the request was wrong and ``"Receiver"`` when
    the service failed.  ``kind`` names the WS-BaseFaults fault element, looked up
    in the service's dialect set; a fault declared in a WSDL sets ``element``
    (a Clark QName) instead.
    """

    code: ClassVar[str] = SENDER
    kind: ClassVar[str] = "BaseFault"
    element: ClassVar[str | None] = None

    def __init__(
        self,
        description: str = "",
        *,
        error_code: str | None = None,
        error_code_dialect: str = ns.GRIDWARE,
        cause: Fault | None = None,
        originator: EndpointReference | None = None,
        subcode: str | None = None,
        timestamp: datetime | None = None,
        detail: Element | None = None,
    ) -> None:
        super().__init__(description or self.default_description())
        self.description = description or self.default_description()
        self.error_code = error_code
        self.error_code_dialect = error_code_dialect
        self.cause = cause
        self.originator = originator
        self.subcode = subcode
        self.timestamp = timestamp or datetime.now(UTC)
        self.detail = detail  # the detail element, as received (client side)
        # Filled in on the client side from the SOAP fault.
        self.soap_code: str = self.code
        self.reason: str = self.description

    @classmethod
    def default_description(cls) -> str:
        return cls.__doc__.strip().splitlines()[0] if cls.__doc__ else cls.__name__

    # -- writing ----------------------------------------------------------------------
    def detail_tag(self, dialect: WsrfDialect | None, operation: str | None = None) -> str:
        if self.element:
            return self.element
        from gridware.container.dialects import WSRF_1_2

        return (dialect or WSRF_1_2).fault_element(self.kind, operation)

    def to_detail(self, dialect: WsrfDialect | None, operation: str | None = None) -> Element:
        """The WS-BaseFaults detail element for this fault."""
        from gridware.container.dialects import WSRF_1_2

        d = dialect or WSRF_1_2
        el = etree.Element(self.detail_tag(d, operation))
        self._fill_base(el, d)
        self.add_detail(el, d)
        return el

    def _fill_base(self, el: Element, d: WsrfDialect) -> None:
        bf = d.bf
        etree.SubElement(el, qname(bf, "Timestamp")).text = format_datetime(self.timestamp)
        if self.originator is not None:
            el.append(self.originator.to_element(qname(bf, "Originator"), d.addressing))
        if self.error_code is not None:
            ec = etree.SubElement(el, qname(bf, "ErrorCode"), dialect=self.error_code_dialect)
            ec.text = self.error_code
        etree.SubElement(el, qname(bf, "Description")).text = self.description
        if self.cause is not None:
            if d.bf == ns.WSRF_BF:
                fc = etree.SubElement(el, qname(bf, "FaultCause"))
                fc.append(self.cause.to_detail(d))
            else:
                fc = etree.SubElement(el, qname(bf, "FaultCause"))
                self.cause._fill_base(fc, d)

    def add_detail(self, el: Element, dialect: WsrfDialect) -> None:
        """Hook for subclasses that carry more than the WS-BaseFaults elements."""

    # -- reading ----------------------------------------------------------------------
    @classmethod
    def from_detail(cls, el: Element) -> Fault:
        """Rebuild a fault from a WS-BaseFaults detail element (any dialect).

        The class is the one registered for the element, else ``cls``.
        """
        target = fault_class_for(el.tag) or cls
        f = target.__new__(target)
        Fault.__init__(f, "")
        f.detail = el
        descriptions = []
        for child in el:
            if not isinstance(child.tag, str):
                continue
            local = etree.QName(child).localname
            if local == "Timestamp":
                with contextlib.suppress(SimpleTypeError):
                    f.timestamp = parse_datetime(child.text or "")
            elif local == "Description":
                descriptions.append((child.text or "").strip())
            elif local == "ErrorCode":
                f.error_code = (child.text or "").strip()
                f.error_code_dialect = child.get("dialect", "")
            elif local == "Originator":
                try:
                    f.originator = EndpointReference.from_element(child)
                except AddressingError:
                    f.originator = None
            elif local == "FaultCause":
                inner = [c for c in child if isinstance(c.tag, str)]
                if inner and etree.QName(inner[0]).localname not in ("Timestamp",):
                    f.cause = Fault.from_detail(inner[0])
                else:
                    f.cause = Fault.from_detail(child)
        f.description = "; ".join(d for d in descriptions if d)
        f.args = (f.description,)
        return f

    def __str__(self) -> str:
        return self.description


_REGISTRY: dict[str, type[Fault]] = {}
_BY_KIND: dict[str, type[Fault]] = {}
_WSRF_NAMESPACES = {
    ns.WSRF_RP,
    ns.WSRF_RL,
    ns.WSRF_BF,
    ns.WSRF_R,
    ns.GT4_RP,
    ns.GT4_RL,
    ns.GT4_BF,
    ns.WSRF_SG,
    ns.GT4_SG,
}


def register_fault(cls: type[Fault]) -> type[Fault]:
    """Make a fault class known so clients raise it again from its detail element."""
    if cls.element:
        _REGISTRY[cls.element] = cls
    else:
        _BY_KIND[cls.kind] = cls
    return cls


def fault_class_for(tag: str) -> type[Fault] | None:
    """The registered fault class for a detail element QName."""
    if tag in _REGISTRY:
        return _REGISTRY[tag]
    uri, _, local = tag[1:].partition("}")
    if uri in _WSRF_NAMESPACES:
        if local == "InvalidSetResourcePropertiesRequestContentFault":
            local = "InvalidModificationFault"
        return _BY_KIND.get(local)
    return None


# -- protocol faults ----------------------------------------------------------------------


class SenderFault(Fault):
    """The request was not acceptable."""

    code = SENDER


class ReceiverFault(Fault):
    """The service failed to process the request."""

    code = RECEIVER


class InternalError(ReceiverFault):
    """Internal error in the service; the container log has the details."""


class VersionMismatchFault(Fault):
    """The message is not a SOAP 1.1 or SOAP 1.2 envelope."""

    code = VERSION_MISMATCH


class MustUnderstandFault(Fault):
    """A header marked mustUnderstand is not understood by this service."""

    code = MUST_UNDERSTAND


class ActionNotSupportedFault(SenderFault):
    """The action is not supported by this service."""

    def __init__(self, action: str, service: str) -> None:
        super().__init__(
            f"action {action!r} is not supported by service {service}",
            subcode="ActionNotSupported",
        )


class MessageTooLargeFault(SenderFault):
    """The message is larger than this container accepts."""

    http_status = 413


# -- WS-RF faults (kind names follow the specifications) ----------------------------------


@register_fault
class ResourceUnknownFault(SenderFault):
    """The resource is unknown: it never existed or has been destroyed."""

    kind = "ResourceUnknownFault"


@register_fault
class ResourceUnavailableFault(ReceiverFault):
    """The resource exists but is unavailable now."""

    kind = "ResourceUnavailableFault"


@register_fault
class InvalidResourcePropertyQNameFault(SenderFault):
    """The resource has no resource property of that name."""

    kind = "InvalidResourcePropertyQNameFault"


@register_fault
class InvalidModificationFault(SenderFault):
    """The change would make the resource property document invalid."""

    kind = "InvalidModificationFault"


@register_fault
class UnableToModifyResourcePropertyFault(SenderFault):
    """The resource property is read-only."""

    kind = "UnableToModifyResourcePropertyFault"


@register_fault
class SetResourcePropertyRequestFailedFault(SenderFault):
    """The SetResourceProperties request failed."""

    kind = "SetResourcePropertyRequestFailedFault"


@register_fault
class InsertResourcePropertiesRequestFailedFault(SenderFault):
    """The InsertResourceProperties request failed."""

    kind = "InsertResourcePropertiesRequestFailedFault"


@register_fault
class UpdateResourcePropertiesRequestFailedFault(SenderFault):
    """The UpdateResourceProperties request failed."""

    kind = "UpdateResourcePropertiesRequestFailedFault"


@register_fault
class DeleteResourcePropertiesRequestFailedFault(SenderFault):
    """The DeleteResourceProperties request failed."""

    kind = "DeleteResourcePropertiesRequestFailedFault"


@register_fault
class UnknownQueryExpressionDialectFault(SenderFault):
    """The query expression dialect is not supported."""

    kind = "UnknownQueryExpressionDialectFault"


@register_fault
class InvalidQueryExpressionFault(SenderFault):
    """The query expression is not valid."""

    kind = "InvalidQueryExpressionFault"


@register_fault
class QueryEvaluationErrorFault(SenderFault):
    """The query expression failed to evaluate."""

    kind = "QueryEvaluationErrorFault"


@register_fault
class ResourceNotDestroyedFault(ReceiverFault):
    """The resource could not be destroyed."""

    kind = "ResourceNotDestroyedFault"


@register_fault
class UnableToSetTerminationTimeFault(SenderFault):
    """The termination time could not be set."""

    kind = "UnableToSetTerminationTimeFault"


@register_fault
class TerminationTimeChangeRejectedFault(SenderFault):
    """The resource does not accept a change of its termination time."""

    kind = "TerminationTimeChangeRejectedFault"


# -- WS-ServiceGroup faults (the Add operation) ---------------------------------------------


@register_fault
class ContentCreationFailedFault(SenderFault):
    """The Content of the new entry is not acceptable: it breaks the membership content rules."""

    kind = "ContentCreationFailedFault"


@register_fault
class UnsupportedMemberInterfaceFault(SenderFault):
    """The member does not implement an interface the membership content rules require."""

    kind = "UnsupportedMemberInterfaceFault"


@register_fault
class AddRefusedFault(SenderFault):
    """The ServiceGroup refused to add the member."""

    kind = "AddRefusedFault"


def soap11_code(code: str) -> str:
    return _SOAP11_CODES.get(code, "Server")


def code_from_soap11(local: str) -> str:
    return _FROM_SOAP11.get(local.split(".", 1)[0], RECEIVER)
