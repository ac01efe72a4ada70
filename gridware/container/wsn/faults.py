"""WS-BaseNotification faults, written in the service's WS-Notification version.

Raise these from the producer and the subscription manager; the container
writes them as SOAP faults whose detail element is the fault of WS-BaseNotification
1.3 (``wsnt:TopicNotSupportedFault`` ...) or of the 2004/06 draft, whichever the
service's dialect set uses (the drafts define fewer faults: the nearest one they
have stands in, see :data:`gridware.container.dialects.WSN_DRAFT`).  On the client
side a received fault of either version is raised again as the class below, so
``except TopicNotSupportedFault`` works against both.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from lxml import etree

from gridware.codegen.runtime import format_datetime
from gridware.container import faults, ns
from gridware.container.xml import Element, qname

if TYPE_CHECKING:
    from gridware.container.dialects import WsnDialect, WsrfDialect


class WsnFault(faults.SenderFault):
    """A WS-BaseNotification fault (its element depends on the WS-Notification version)."""

    kind: ClassVar[str] = "SubscribeCreationFailedFault"

    def detail_tag(self, dialect: WsrfDialect | None, operation: str | None = None) -> str:
        if self.element:
            return self.element
        return _wsn(dialect).fault_element(self.kind)

    def add_detail(self, el: Element, dialect: WsrfDialect) -> None:
        if etree.QName(el).localname != self.kind:
            return  # a stand-in element of the drafts: the base fault elements only
        self.add_wsn_detail(el, etree.QName(el).namespace or "")

    def add_wsn_detail(self, el: Element, b: str) -> None:
        """Hook: the elements the fault type adds after the WS-BaseFaults ones."""


def _wsn(dialect: WsrfDialect | None) -> WsnDialect:
    from gridware.container.dialects import WSN_1_3

    if dialect is None or dialect.wsn is None:
        return WSN_1_3
    return dialect.wsn


def _qname_elements(el: Element, tag: str, names: list[str]) -> None:
    for i, name in enumerate(names):
        uri, _, local = name[1:].partition("}") if name.startswith("{") else ("", "", name)
        child = etree.SubElement(el, tag, nsmap={f"q{i}": uri} if uri else None)
        child.text = f"q{i}:{local}" if uri else local


class SubscribeCreationFailedFault(WsnFault):
    """The subscription could not be created."""

    kind = "SubscribeCreationFailedFault"


class InvalidFilterFault(WsnFault):
    """The Filter holds a filter this producer does not understand."""

    kind = "InvalidFilterFault"
    unknown: tuple[str, ...] = ()  # Clark QNames of the filters not understood

    def __init__(self, description: str = "", *, unknown: list[str] | None = None) -> None:
        super().__init__(description)
        self.unknown = tuple(unknown or ())

    def add_wsn_detail(self, el: Element, b: str) -> None:
        _qname_elements(el, qname(b, "UnknownFilter"), list(self.unknown) or [qname(b, "Filter")])


class TopicExpressionDialectUnknownFault(WsnFault):
    """The topic expression dialect is not supported by this producer."""

    kind = "TopicExpressionDialectUnknownFault"


class InvalidTopicExpressionFault(WsnFault):
    """The topic expression is not valid in its dialect."""

    kind = "InvalidTopicExpressionFault"


class TopicNotSupportedFault(WsnFault):
    """The topic is not one this producer publishes."""

    kind = "TopicNotSupportedFault"


class MultipleTopicsSpecifiedFault(WsnFault):
    """The topic expression names more than one topic where only one is allowed."""

    kind = "MultipleTopicsSpecifiedFault"


class InvalidProducerPropertiesExpressionFault(WsnFault):
    """The ProducerProperties expression is not a valid XPath 1.0 expression."""

    kind = "InvalidProducerPropertiesExpressionFault"


class InvalidMessageContentExpressionFault(WsnFault):
    """The MessageContent expression is not a valid XPath 1.0 expression."""

    kind = "InvalidMessageContentExpressionFault"


class UnrecognizedPolicyRequestFault(WsnFault):
    """The SubscriptionPolicy holds a policy this producer does not recognize."""

    kind = "UnrecognizedPolicyRequestFault"
    policies: tuple[str, ...] = ()  # Clark QNames of the policies not recognized

    def __init__(self, description: str = "", *, policies: list[str] | None = None) -> None:
        super().__init__(description)
        self.policies = tuple(policies or ())

    def add_wsn_detail(self, el: Element, b: str) -> None:
        _qname_elements(el, qname(b, "UnrecognizedPolicy"), list(self.policies))


class UnsupportedPolicyRequestFault(WsnFault):
    """The SubscriptionPolicy asks for something this producer does not support."""

    kind = "UnsupportedPolicyRequestFault"


class NotifyMessageNotSupportedFault(WsnFault):
    """The producer cannot wrap notifications in Notify messages for this consumer."""

    kind = "NotifyMessageNotSupportedFault"


class _TimeFault(WsnFault):
    minimum: datetime | None = None
    maximum: datetime | None = None

    def __init__(
        self,
        description: str = "",
        *,
        minimum: datetime | None = None,
        maximum: datetime | None = None,
    ) -> None:
        super().__init__(description)
        self.minimum = minimum
        self.maximum = maximum

    def add_wsn_detail(self, el: Element, b: str) -> None:
        if self.minimum is None:
            return
        etree.SubElement(el, qname(b, "MinimumTime")).text = format_datetime(self.minimum)
        if self.maximum is not None:
            etree.SubElement(el, qname(b, "MaximumTime")).text = format_datetime(self.maximum)


class UnacceptableInitialTerminationTimeFault(_TimeFault):
    """The requested initial termination time is not acceptable."""

    kind = "UnacceptableInitialTerminationTimeFault"


class UnacceptableTerminationTimeFault(_TimeFault):
    """The requested termination time is not acceptable."""

    kind = "UnacceptableTerminationTimeFault"


class NoCurrentMessageOnTopicFault(WsnFault):
    """Nothing has been published on the topic yet."""

    kind = "NoCurrentMessageOnTopicFault"


class UnableToDestroySubscriptionFault(WsnFault):
    """The subscription could not be destroyed."""

    kind = "UnableToDestroySubscriptionFault"


class PauseFailedFault(WsnFault):
    """The subscription could not be paused."""

    kind = "PauseFailedFault"


class ResumeFailedFault(WsnFault):
    """The subscription could not be resumed."""

    kind = "ResumeFailedFault"


WSN_FAULTS: tuple[type[WsnFault], ...] = (
    SubscribeCreationFailedFault,
    InvalidFilterFault,
    TopicExpressionDialectUnknownFault,
    InvalidTopicExpressionFault,
    TopicNotSupportedFault,
    MultipleTopicsSpecifiedFault,
    InvalidProducerPropertiesExpressionFault,
    InvalidMessageContentExpressionFault,
    UnrecognizedPolicyRequestFault,
    UnsupportedPolicyRequestFault,
    NotifyMessageNotSupportedFault,
    UnacceptableInitialTerminationTimeFault,
    UnacceptableTerminationTimeFault,
    NoCurrentMessageOnTopicFault,
    UnableToDestroySubscriptionFault,
    PauseFailedFault,
    ResumeFailedFault,
)


def _register() -> None:
    """Clients raise these classes again from the fault elements of both versions.

    Each class gets a registered subclass per version that carries the element
    QName (``faults.register_fault`` keys on it); the server raises the base class,
    whose element follows the service's dialect set.
    """
    by_local: dict[str, type[WsnFault]] = {cls.kind: cls for cls in WSN_FAULTS}
    by_local["TopicPathDialectUnknownFault"] = TopicExpressionDialectUnknownFault
    for b in (ns.WSN_B, ns.GT4_WSN_B):
        for local, cls in by_local.items():
            sub = type(cls.__name__, (cls,), {"element": qname(b, local), "__doc__": cls.__doc__})
            sub.__module__ = cls.__module__
            faults.register_fault(sub)


_register()

__all__ = [cls.__name__ for cls in WSN_FAULTS] + ["WSN_FAULTS", "WsnFault"]
