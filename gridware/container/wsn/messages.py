"""Notification messages: what producers publish and how ``Notify`` travels.

- :func:`value_change_message` and :func:`termination_message` build the payloads
  WS-ResourceProperties and WS-ResourceLifetime define for the two standard kinds
  of events (a resource property changed; a resource was destroyed), in the
  namespaces of either dialect set.
- :class:`NotifyWriter` writes the SOAP envelopes the producer sends to one
  consumer: ``wsnt:Notify`` holding one or more ``NotificationMessage`` (batched
  delivery), or the bare message (raw delivery).  It works on bytes: the parts
  that do not change (the consumer's headers, the subscription and producer
  references, the topic) are serialized once, a published message once for all
  its subscribers.
- :func:`parse_notify` reads a received ``Notify`` (either version) into
  :class:`Notification` values; consumers use it.
"""

from __future__ import annotations

import copy as _copy
from datetime import datetime
from typing import Any

from lxml import etree

from gridware.codegen.runtime import SimpleTypeError, format_datetime, parse_datetime
from gridware.container import ns
from gridware.container.addressing import (
    AddressingError,
    AddressingHeaders,
    EndpointReference,
    endpoint_headers,
    header_bytes,
    new_message_id,
)
from gridware.container.dialects import GT4, WsnDialect, WsrfDialect
from gridware.container.soap import SOAP11, envelope_bytes
from gridware.container.wsn.faults import WsnFault
from gridware.container.wsn.topics import Topic, parse_topic_expression
from gridware.container.xml import Element, qname

_NIL = qname(ns.XSI, "nil")


def _wsn(dialect: WsrfDialect) -> WsnDialect:
    if dialect.wsn is None:  # pragma: no cover - both dialect sets have one
        raise ValueError(f"dialect set {dialect.name} has no WS-Notification version")
    return dialect.wsn


# -- payloads --------------------------------------------------------------------------------


def value_change_message(
    dialect: WsrfDialect, old: list[Element] | None, new: list[Element], *, copy: bool = True
) -> Element:
    """``ResourcePropertyValueChangeNotification`` with the old and new property elements.

    WSRF 1.2 writes ``OldValues``/``NewValues``, the drafts ``OldValue``/``NewValue``;
    a property without values is written nil.  ``old`` None leaves the old values out.
    ``copy=False`` moves the given elements into the message instead of copying them.
    """
    root = etree.Element(
        dialect.rp_tag("ResourcePropertyValueChangeNotification"), nsmap={"wsrp": dialect.rp}
    )
    plural = "s" if dialect is not GT4 else ""
    for name, values in ((f"OldValue{plural}", old), (f"NewValue{plural}", new)):
        if values is None:
            continue
        holder = etree.SubElement(root, dialect.rp_tag(name))
        if values:
            holder.extend([_copy.deepcopy(v) for v in values] if copy else values)
        else:
            holder.set(_NIL, "true")
    return root


def termination_message(dialect: WsrfDialect, when: datetime, reason: str | None = None) -> Element:
    """WS-ResourceLifetime ``TerminationNotification``: when and why a resource ended."""
    root = etree.Element(dialect.rl_tag("TerminationNotification"), nsmap={"wsrl": dialect.rl})
    etree.SubElement(root, dialect.rl_tag("TerminationTime")).text = format_datetime(when)
    if reason:
        etree.SubElement(root, dialect.rl_tag("TerminationReason")).text = reason
    return root


# -- writing Notify ----------------------------------------------------------------------------


def topic_bytes(wsn: WsnDialect, topic: Topic, tag: str = "Topic") -> bytes:
    """A serialized ``wsnt:Topic`` element naming ``topic`` (Simple or Concrete dialect)."""
    text, nsmap = topic.expression()
    el = etree.Element(
        wsn.b_tag(tag), {"Dialect": topic.dialect(wsn)}, nsmap={"wsnt": wsn.b, **nsmap}
    )
    el.text = text
    return etree.tostring(el)


def reference_bytes(
    wsn: WsnDialect, tag: str, epr: EndpointReference, dialect: WsrfDialect
) -> bytes:
    """A serialized EPR element (``SubscriptionReference``, ``ProducerReference``)."""
    el = epr.to_element(wsn.b_tag(tag), dialect.addressing)
    return etree.tostring(el)


def message_bytes(
    wsn: WsnDialect,
    topic: bytes,
    payload: bytes,
    subscription: bytes | None = None,
    producer: bytes | None = None,
) -> bytes:
    """One serialized ``NotificationMessage`` from its serialized parts."""
    b = wsn.b
    parts = [f'<wsnt:NotificationMessage xmlns:wsnt="{b}">'.encode()]
    if subscription is not None and wsn.b == ns.WSN_B:  # the drafts have no SubscriptionReference
        parts.append(subscription)
    parts.append(topic)
    if producer is not None:
        parts.append(producer)
    parts += [b"<wsnt:Message>", payload, b"</wsnt:Message></wsnt:NotificationMessage>"]
    return b"".join(parts)


class NotifyWriter:
    """SOAP 1.1 envelopes for one consumer endpoint, in one dialect set."""

    content_type = f"{SOAP11.content_type}; charset=utf-8"

    def __init__(self, consumer: EndpointReference, dialect: WsrfDialect) -> None:
        self.dialect = dialect
        self.wsn = _wsn(dialect)
        self.version = dialect.addressing
        self.consumer = consumer.with_version(self.version)
        self.action = self.wsn.actions["Notify"]
        self._fixed = endpoint_headers(self.consumer, self.version)
        self._open = f'<wsnt:Notify xmlns:wsnt="{self.wsn.b}">'.encode()
        self.http_headers = {"Content-Type": self.content_type, "SOAPAction": f'"{self.action}"'}

    def _envelope(self, body: bytes) -> bytes:
        head = header_bytes(
            AddressingHeaders(action=self.action, message_id=new_message_id()), self.version
        )
        return envelope_bytes(SOAP11, head + self._fixed, body)

    def notify(self, messages: list[bytes]) -> bytes:
        """A ``Notify`` holding serialized ``NotificationMessage`` elements (one or more)."""
        return self._envelope(b"".join([self._open, *messages, b"</wsnt:Notify>"]))

    def raw(self, payload: bytes) -> bytes:
        """Raw delivery: the message itself is the Body."""
        return self._envelope(payload)


# -- reading Notify ----------------------------------------------------------------------------


class Notification:
    """One received notification.

    ``message`` is the payload element.  ``topic`` is the concrete topic (None when
    it was not given, as in raw delivery, or not in the Simple/Concrete dialect;
    ``topic_text`` has the expression as written); ``producer`` and ``subscription``
    the references the Notify carried (read when first asked for; None when absent
    or malformed).  ``signer`` is the identity that signed the Notify, when the
    consumer verified a signature; ``headers`` the SOAP header blocks it came with.
    """

    __slots__ = (
        "_producer",
        "_producer_el",
        "_subscription",
        "_subscription_el",
        "_topic",
        "_topic_el",
        "headers",
        "message",
        "raw",
        "signer",
    )

    def __init__(
        self,
        message: Element,
        *,
        topic: Topic | None = None,
        topic_el: Element | None = None,
        producer_el: Element | None = None,
        subscription_el: Element | None = None,
        raw: bool = False,
        signer: str | None = None,
        headers: list[Element] | None = None,
    ) -> None:
        self.message = message
        self._topic: Any = topic if topic is not None or topic_el is None else _UNREAD
        self._topic_el = topic_el
        self._producer: Any = _UNREAD
        self._producer_el = producer_el
        self._subscription: Any = _UNREAD
        self._subscription_el = subscription_el
        self.raw = raw
        self.signer = signer
        self.headers: list[Element] = headers if headers is not None else []

    @property
    def topic(self) -> Topic | None:
        if self._topic is _UNREAD:
            self._topic = _read_topic(self._topic_el) if self._topic_el is not None else None
        result: Topic | None = self._topic
        return result

    @property
    def topic_text(self) -> str | None:
        return (self._topic_el.text or "").strip() if self._topic_el is not None else None

    @property
    def producer(self) -> EndpointReference | None:
        if self._producer is _UNREAD:
            self._producer = _read_epr(self._producer_el)
        result: EndpointReference | None = self._producer
        return result

    @property
    def subscription(self) -> EndpointReference | None:
        if self._subscription is _UNREAD:
            self._subscription = _read_epr(self._subscription_el)
        result: EndpointReference | None = self._subscription
        return result

    def __repr__(self) -> str:
        kind = "raw " if self.raw else ""
        return (
            f"<{kind}Notification {self.topic_text or '-'}: {etree.QName(self.message).localname}>"
        )

    # -- the standard payloads ----------------------------------------------------------------
    @property
    def is_value_change(self) -> bool:
        return etree.QName(self.message).localname == "ResourcePropertyValueChangeNotification"

    @property
    def is_termination(self) -> bool:
        return etree.QName(self.message).localname == "TerminationNotification"

    def _values(self, plural: str) -> list[Element] | None:
        for child in self.message.iterchildren(etree.Element):
            if etree.QName(child).localname in (plural, plural[:-1]):
                if child.get(_NIL) in ("true", "1"):
                    return []
                return [c for c in child.iterchildren(etree.Element)]
        return None

    @property
    def old_values(self) -> list[Element] | None:
        """The property elements before a value change (None when not given)."""
        return self._values("OldValues")

    @property
    def new_values(self) -> list[Element]:
        """The property elements after a value change."""
        return self._values("NewValues") or []

    def value(self, convert: Any = str) -> Any:
        """The (first) new value of a value change as text converted by ``convert``
        (``int``, ``float``, ...); None when the property has no value."""
        values = self.new_values
        if not values:
            return None
        return convert((values[0].text or "").strip())

    def old_value(self, convert: Any = str) -> Any:
        values = self.old_values
        if not values:
            return None
        return convert((values[0].text or "").strip())

    @property
    def termination_time(self) -> datetime | None:
        for child in self.message.iterchildren(etree.Element):
            if etree.QName(child).localname == "TerminationTime":
                try:
                    return parse_datetime((child.text or "").strip())
                except SimpleTypeError:
                    return None
        return None


class NotifyFormatError(ValueError):
    """A received message is not a usable WS-BaseNotification Notify."""


_NOTIFY_TAGS = {qname(ns.WSN_B, "Notify"), qname(ns.GT4_WSN_B, "Notify")}


def is_notify(body: Element) -> bool:
    return body.tag in _NOTIFY_TAGS


def parse_notify(body: Element) -> list[Notification]:
    """The notifications of a ``wsnt:Notify`` body element (either version).

    Raises :class:`NotifyFormatError` when it is malformed.
    """
    if body.tag not in _NOTIFY_TAGS:
        raise NotifyFormatError(f"<{etree.QName(body).localname}> is not a wsnt:Notify")
    b = etree.QName(body).namespace or ""
    out = []
    for holder in body.iterchildren(qname(b, "NotificationMessage")):
        n = _read_holder(holder, b)
        out.append(n)
    if not out:
        raise NotifyFormatError("the Notify holds no NotificationMessage")
    return out


def _read_holder(holder: Element, b: str) -> Notification:
    message = topic_el = producer_el = subscription_el = None
    for child in holder.iterchildren(etree.Element):
        tag = child.tag
        if not tag.startswith(b, 1):
            continue
        local = tag[len(b) + 2 :]
        if local == "Message":
            message = next(child.iterchildren(etree.Element), None)
        elif local == "Topic":
            topic_el = child
        elif local == "ProducerReference":
            producer_el = child
        elif local == "SubscriptionReference":
            subscription_el = child
    if message is None:
        raise NotifyFormatError("a NotificationMessage has no Message element")
    return Notification(
        message, topic_el=topic_el, producer_el=producer_el, subscription_el=subscription_el
    )


_UNREAD: Any = object()
_TOPICS: dict[tuple[str, str, str | None], Topic | None] = {}


def _read_topic(el: Element) -> Topic | None:
    """The topic a Topic element names (Simple or Concrete; None otherwise)."""
    text = (el.text or "").strip()
    dialect = el.get("Dialect", "")
    prefix, sep, _ = text.partition(":")
    key = (text, dialect, el.nsmap.get(prefix if sep else None))
    if key in _TOPICS:
        return _TOPICS[key]
    try:
        topic = parse_topic_expression(text, dialect, el.nsmap).topic
    except WsnFault:
        topic = None
    if text.count(":") <= 1:  # one prefix: the key says all there is to know
        if len(_TOPICS) > 1024:
            _TOPICS.clear()
        _TOPICS[key] = topic
    return topic


def _read_epr(el: Element | None) -> EndpointReference | None:
    if el is None:
        return None
    try:
        return EndpointReference.from_element(el)
    except AddressingError:
        return None


__all__ = [
    "Notification",
    "NotifyFormatError",
    "NotifyWriter",
    "is_notify",
    "message_bytes",
    "parse_notify",
    "reference_bytes",
    "termination_message",
    "topic_bytes",
    "value_change_message",
]
