"""Subscription filters: topic expressions, MessageContent and ProducerProperties.

A subscription delivers a notification when *every* filter component accepts it
(WS-BaseNotification 1.3, 4.2):

- each ``TopicExpression`` must denote the notification's topic (none: any topic);
- ``MessageContent`` (XPath 1.0) must be true on the message (the payload element
  is the root of its own document: ``/*`` is the message);
- ``ProducerProperties`` (XPath 1.0) must be true on the producer's resource
  property document when the notification is produced.

The 2004/06 draft has one ``TopicExpression``, a ``Selector`` (MessageContent) and
a ``Precondition`` (ProducerProperties).  Filters are compiled from the request
elements, and again from the subscription's stored resource properties after a
restart: both carry the namespace prefixes their expressions use.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from gridware.container import ns
from gridware.container.wsn.faults import (
    InvalidFilterFault,
    InvalidMessageContentExpressionFault,
    InvalidProducerPropertiesExpressionFault,
    InvalidTopicExpressionFault,
    WsnFault,
)
from gridware.container.wsn.topics import Topic, TopicExpression, parse_topic_expression
from gridware.container.xml import Element

log = logging.getLogger("gridware.wsn")

#: The XPath 1.0 dialect of MessageContent, ProducerProperties, Selector and Precondition.
XPATH = ns.XPATH_DIALECT


@dataclass(slots=True)
class XPathFilter:
    """A compiled XPath 1.0 boolean filter and the text it came from."""

    expression: str
    namespaces: dict[str, str]
    xpath: etree.XPath
    failures: int = 0

    def __call__(self, node: Any) -> bool:
        try:
            result = self.xpath(node)
        except etree.XPathError as exc:
            self.failures += 1
            if self.failures == 1:
                log.warning("XPath filter %r failed: %s", self.expression, exc)
            return False
        return _boolean(result)


def _boolean(result: Any) -> bool:
    """XPath 1.0 ``boolean()`` of an lxml result."""
    if isinstance(result, float):
        return not math.isnan(result) and result != 0.0
    return bool(result)


def compile_xpath(el: Element, fault: type[WsnFault], what: str) -> XPathFilter:
    """An XPath filter from a QueryExpressionType element (``Dialect`` + text)."""
    dialect = (el.get("Dialect") or "").strip()
    if dialect != XPATH:
        raise fault(f"{what}: dialect {dialect or '(none)'!r} is not supported; use {XPATH}")
    if any(isinstance(c.tag, str) for c in el):
        raise fault(f"{what}: an XPath expression is text, not elements")
    text = (el.text or "").strip()
    if not text:
        raise fault(f"{what}: the XPath expression is empty")
    namespaces = {p: u for p, u in el.nsmap.items() if p}
    try:
        xpath = etree.XPath(text, namespaces=namespaces, regexp=False, smart_strings=False)
        xpath(etree.Element("probe"))  # unknown functions and prefixes fail only when run
    except etree.XPathError as exc:
        raise fault(f"{what}: invalid XPath {text!r}: {exc}") from None
    return XPathFilter(text, namespaces, xpath)


@dataclass(slots=True)
class Filter:
    """The compiled filter of one subscription."""

    topics: tuple[TopicExpression, ...] = ()
    message_content: XPathFilter | None = None
    producer_properties: XPathFilter | None = None
    _topic_cache: dict[Topic, bool] = field(default_factory=dict)

    def accepts_topic(self, topic: Topic) -> bool:
        cached = self._topic_cache.get(topic)
        if cached is None:
            cached = all(t.matches(topic) for t in self.topics)
            if len(self._topic_cache) < 1024:
                self._topic_cache[topic] = cached
        return cached

    def accepts_message(self, message: Element) -> bool:
        return self.message_content is None or self.message_content(message)

    def accepts_producer(self, document: Callable[[], Element]) -> bool:
        if self.producer_properties is None:
            return True
        return self.producer_properties(etree.ElementTree(document()))


def topic_expression(el: Element) -> TopicExpression:
    """Compile a TopicExpressionType element (``Dialect`` attribute + text)."""
    if any(isinstance(c.tag, str) for c in el):
        raise InvalidTopicExpressionFault(
            "topic expressions in element form are not supported: write the expression as text"
        )
    return parse_topic_expression(el.text or "", el.get("Dialect") or "", el.nsmap)


def filter_1_3(filter_el: Element | None) -> Filter:
    """The filter of a WS-BaseNotification 1.3 ``Filter`` element (None: no filter)."""
    out = Filter()
    if filter_el is None:
        return out
    topics = []
    unknown = []
    for child in filter_el.iterchildren(etree.Element):
        if child.tag == f"{{{ns.WSN_B}}}TopicExpression":
            topics.append(topic_expression(child))
        elif child.tag == f"{{{ns.WSN_B}}}MessageContent":
            if out.message_content is not None:
                raise InvalidMessageContentExpressionFault("more than one MessageContent filter")
            out.message_content = compile_xpath(
                child, InvalidMessageContentExpressionFault, "MessageContent"
            )
        elif child.tag == f"{{{ns.WSN_B}}}ProducerProperties":
            if out.producer_properties is not None:
                raise InvalidProducerPropertiesExpressionFault(
                    "more than one ProducerProperties filter"
                )
            out.producer_properties = compile_xpath(
                child, InvalidProducerPropertiesExpressionFault, "ProducerProperties"
            )
        else:
            unknown.append(str(child.tag))
    if unknown:
        raise InvalidFilterFault(
            "unknown filter(s): " + ", ".join(unknown) + "; this producer understands "
            "TopicExpression, MessageContent and ProducerProperties",
            unknown=unknown,
        )
    out.topics = tuple(topics)
    return out


def filter_draft(
    topic_el: Element | None, precondition: Element | None, selector: Element | None
) -> Filter:
    """The filter of a 2004/06 draft Subscribe: TopicExpression, Precondition, Selector."""
    out = Filter()
    if topic_el is not None:
        out.topics = (topic_expression(topic_el),)
    if selector is not None:
        out.message_content = compile_xpath(
            selector, InvalidMessageContentExpressionFault, "Selector"
        )
    if precondition is not None:
        out.producer_properties = compile_xpath(
            precondition, InvalidProducerPropertiesExpressionFault, "Precondition"
        )
    return out


__all__ = [
    "XPATH",
    "Filter",
    "XPathFilter",
    "compile_xpath",
    "filter_1_3",
    "filter_draft",
    "topic_expression",
]
