"""Subscribing to WS-Notification producers from Python.

::

    from gridware.clients.wsn import subscribe

    def changed(n):                           # a gridware.container.wsn.Notification
        print(n.topic, n.old_value(int), "->", n.value(int))

    sub = subscribe(counter_epr, "Value", changed)   # a topic of the producer, by local name
    ...                                       # callbacks run in the listener's threads
    sub.pause(); sub.resume()
    sub.renew(timedelta(hours=1))             # or a datetime, or None for no end
    sub.cancel()                              # Unsubscribe (Destroy in the GT4 drafts)

``subscribe`` starts (once per process and interface) a
:class:`~gridware.container.wsn.NotificationListener` on the address that routes
to the producer, registers ``callback`` and subscribes with its endpoint
reference.  Pass ``listener=`` to use your own (HTTPS, signature checks, a fixed
port).  Topics are ``{namespace}Root/Child`` strings, :class:`Topic` values, bare
local names (looked up in the producer's topic set), or expressions in a dialect
given as ``topic_dialect="full"`` with their ``namespaces``
(``subscribe(epr, "c:*", cb, topic_dialect="full", namespaces={"c": NS})``).
Filters on the message (``message_content``) and on the producer's properties
(``producer_properties``) are XPath 1.0.

:class:`ProducerClient` and :class:`SubscriptionClient` are the blocking clients of
the producer's and the subscription manager's operations (plus every WS-RF
operation); the dialect set (WS-BaseNotification 1.3 or the GT4 draft) follows the
EPR's WS-Addressing version.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from gridware.clients.wsrf import WsrfClient
from gridware.codegen.runtime import format_datetime
from gridware.codegen.runtime.model import BindingError
from gridware.container import ns
from gridware.container.addressing import EndpointReference
from gridware.container.client import HttpTransport
from gridware.container.dialects import WSRF_1_2, WsnDialect, WsrfDialect
from gridware.container.generated.wsn13 import types as wsn13
from gridware.container.generated.wsn_gt4 import types as wsn_gt4
from gridware.container.proxy import ReplyMismatchError
from gridware.container.soap import SOAP11, SoapVersion
from gridware.container.wsn.consumer import Consumer, NotificationListener
from gridware.container.wsn.messages import Notification
from gridware.container.wsn.subscription import MAX_BATCH
from gridware.container.wsn.topics import Topic
from gridware.container.xml import Element, qname

XPATH = ns.XPATH_DIALECT
TopicSpec = str | Topic | None

_NIL = qname(ns.XSI, "nil")


def _wsn(dialect: WsrfDialect) -> WsnDialect:
    assert dialect.wsn is not None
    return dialect.wsn


def _when(value: datetime | timedelta | float) -> datetime:
    """A dateTime from a datetime, a timedelta or seconds from now."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, int | float):
        value = timedelta(seconds=value)
    return datetime.now(UTC) + value


class ProducerClient(WsrfClient):
    """A NotificationProducer resource: Subscribe, GetCurrentMessage, its topics."""

    def __init__(
        self,
        epr: EndpointReference | str,
        *,
        dialect: str | WsrfDialect | None = None,
        soap: str | SoapVersion = SOAP11,
        transport: HttpTransport | None = None,
    ) -> None:
        super().__init__(epr, dialect=dialect, soap=soap, transport=transport)
        self.wsn = _wsn(self.dialect)
        self._soap_version = soap
        self._transport = transport
        self._types: Any = wsn13 if self.dialect is WSRF_1_2 else wsn_gt4

    # -- topics -----------------------------------------------------------------------------
    def topics(self) -> list[Topic]:
        """The producer's topics (its ``TopicSet``, or the drafts' ``Topic`` property)."""
        if self.dialect is WSRF_1_2:
            els = self.get_property(self.wsn.t_tag("TopicSet"))
            out: list[Topic] = []
            marker = qname(self.wsn.t, "topic")
            for topic_set in els:
                for el in topic_set.iter(etree.Element):
                    if el.get(marker) in ("true", "1"):
                        path = [etree.QName(a).localname for a in el.iterancestors()][::-1][1:]
                        uri = etree.QName(el).namespace or ""
                        out.append(Topic(uri, (*path, etree.QName(el).localname)))
            return out
        from gridware.container.wsn.topics import parse_topic_expression

        topics = []
        for el in self.get_property(self.wsn.b_tag("Topic")):
            expr = parse_topic_expression(el.text or "", el.get("Dialect", ""), el.nsmap)
            if expr.topic is not None:
                topics.append(expr.topic)
        return topics

    def resolve_topic(self, name: str) -> Topic:
        """A topic from ``{ns}Root/Child`` or a bare ``Root/Child`` found in the topic set."""
        if name.startswith("{"):
            return Topic.parse(name)
        path = tuple(name.split("/"))
        matches = [t for t in self.topics() if t.path == path]
        if not matches:
            raise ValueError(f"the producer has no topic {name!r}")
        if len(matches) > 1:
            raise ValueError(
                f"{name!r} is ambiguous: {', '.join(str(t) for t in matches)}; "
                "give the full {namespace}name"
            )
        return matches[0]

    def topic_element(
        self,
        topic: str | Topic,
        tag: str,
        topic_dialect: str | None = None,
        namespaces: Mapping[str, str] | None = None,
    ) -> Element:
        """A topic expression element (``tag``): a topic in its narrowest dialect, or an
        expression as written in ``topic_dialect`` ("simple", "concrete", "full")."""
        if topic_dialect is not None:
            if isinstance(topic, Topic):
                text, nsmap = topic.expression()
            else:
                text, nsmap = topic, dict(namespaces or {})
            uri = self.wsn.topic_dialects.get(topic_dialect, topic_dialect)
        else:
            t = topic if isinstance(topic, Topic) else self.resolve_topic(topic)
            text, nsmap = t.expression()
            uri = t.dialect(self.wsn)
        el = etree.Element(tag, {"Dialect": uri}, nsmap={"wsnt": self.wsn.b, **nsmap})
        el.text = text
        return el

    # -- Subscribe ----------------------------------------------------------------------------
    def subscribe_request(
        self,
        consumer: EndpointReference,
        topic: TopicSpec = None,
        *,
        topic_dialect: str | None = None,
        namespaces: Mapping[str, str] | None = None,
        message_content: str | None = None,
        producer_properties: str | None = None,
        termination: datetime | timedelta | float | None = None,
        raw: bool = False,
        batch: int | None = None,
    ) -> Element:
        """The Subscribe request element (see :meth:`subscribe`)."""
        b = self.wsn.b_tag
        root = etree.Element(b("Subscribe"), nsmap={"wsnt": self.wsn.b})
        root.append(consumer.to_element(b("ConsumerReference"), self.dialect.addressing))
        nsmap = dict(namespaces or {})

        def query(tag: str, text: str) -> Element:
            el = etree.Element(tag, {"Dialect": XPATH}, nsmap=nsmap or None)
            el.text = text
            return el

        topic_el = None
        if topic is not None:
            topic_el = self.topic_element(topic, b("TopicExpression"), topic_dialect, namespaces)
        policy = []
        if batch is not None:
            mb = etree.Element(MAX_BATCH, nsmap={"gw": "urn:gridware:wsn"})
            mb.text = str(batch)
            policy.append(mb)
        if self.dialect is WSRF_1_2:
            parts = [
                el
                for el in (
                    topic_el,
                    query(b("MessageContent"), message_content) if message_content else None,
                    query(b("ProducerProperties"), producer_properties)
                    if producer_properties
                    else None,
                )
                if el is not None
            ]
            if parts:
                etree.SubElement(root, b("Filter")).extend(parts)
            if termination is not None:
                it = etree.SubElement(root, b("InitialTerminationTime"))
                it.text = format_datetime(_when(termination))
            if raw:
                policy.insert(0, etree.Element(b("UseRaw")))
            if policy:
                etree.SubElement(root, b("SubscriptionPolicy")).extend(policy)
            return root
        if topic_el is None:
            raise ValueError("the 2004/06 draft needs a topic to subscribe to")
        root.append(topic_el)
        if raw:
            etree.SubElement(root, b("UseNotify")).text = "false"
        if producer_properties:
            root.append(query(b("Precondition"), producer_properties))
        if message_content:
            root.append(query(b("Selector"), message_content))
        if policy:
            etree.SubElement(root, b("SubscriptionPolicy")).extend(policy)
        if termination is not None:
            it = etree.SubElement(root, b("InitialTerminationTime"))
            it.text = format_datetime(_when(termination))
        return root

    def subscribe(
        self, consumer: EndpointReference, topic: TopicSpec = None, **kw: Any
    ) -> SubscriptionClient:
        """Subscribe ``consumer`` to ``topic`` (None: every topic; WS-BaseNotification 1.3
        only).  Keywords: ``topic_dialect`` and ``namespaces`` (an expression as
        written), ``message_content`` and ``producer_properties`` (XPath 1.0, same
        ``namespaces``), ``termination`` (datetime or timedelta), ``raw`` (UseRaw /
        UseNotify false), ``batch`` (notifications per Notify the consumer accepts).
        Returns the client of the new subscription."""
        request = self.subscribe_request(consumer, topic, **kw)
        reply = self.soap.call(self.wsn.actions["Subscribe"], request)
        try:
            value = self._types.ELEMENTS[reply.tag].read(reply)
        except (KeyError, BindingError) as exc:
            raise ReplyMismatchError(f"unexpected reply to Subscribe: {exc}") from None
        epr = value.subscription_reference
        if epr is None:
            raise ReplyMismatchError("the SubscribeResponse has no SubscriptionReference")
        return SubscriptionClient(
            epr, dialect=self.dialect, soap=self._soap_version, transport=self._transport
        )

    def get_current_message(
        self,
        topic: str | Topic,
        *,
        topic_dialect: str | None = None,
        namespaces: Mapping[str, str] | None = None,
    ) -> Element:
        """The last message published on ``topic`` (GetCurrentMessage)."""
        b = self.wsn.b_tag
        request = etree.Element(b("GetCurrentMessage"), nsmap={"wsnt": self.wsn.b})
        request.append(self.topic_element(topic, b("Topic"), topic_dialect, namespaces))
        reply = self.soap.call(self.wsn.actions["GetCurrentMessage"], request)
        message = next(reply.iterchildren(etree.Element), None)
        if message is None:
            raise ReplyMismatchError("the GetCurrentMessageResponse is empty")
        return message


class SubscriptionClient(WsrfClient):
    """A subscription: pause, resume, renew, unsubscribe (plus every WS-RF operation)."""

    def __init__(
        self,
        epr: EndpointReference | str,
        *,
        dialect: str | WsrfDialect | None = None,
        soap: str | SoapVersion = SOAP11,
        transport: HttpTransport | None = None,
    ) -> None:
        super().__init__(epr, dialect=dialect, soap=soap, transport=transport)
        self.wsn = _wsn(self.dialect)

    def _op(self, name: str) -> Element:
        return self.soap.call(self.wsn.actions[name], etree.Element(self.wsn.b_tag(name)))

    def pause(self) -> None:
        """Stop notifications until :meth:`resume` (they are not kept meanwhile)."""
        self._op("PauseSubscription")

    def resume(self) -> None:
        self._op("ResumeSubscription")

    def renew(self, when: datetime | timedelta | float | None) -> datetime | None:
        """Move the subscription's end (``None``: no end); returns the new termination
        time (Renew in 1.3, SetTerminationTime in the drafts)."""
        if self.dialect is not WSRF_1_2:
            new, _current = self.set_termination_time(None if when is None else _when(when))
            return new
        request = etree.Element(self.wsn.b_tag("Renew"), nsmap={"wsnt": self.wsn.b})
        tt = etree.SubElement(request, self.wsn.b_tag("TerminationTime"))
        if when is None:
            tt.set(_NIL, "true")
        else:
            tt.text = format_datetime(_when(when))
        reply = self.soap.call(self.wsn.actions["Renew"], request)
        try:
            value = wsn13.ELEMENTS[reply.tag].read(reply)
        except (KeyError, BindingError) as exc:
            raise ReplyMismatchError(f"unexpected reply to Renew: {exc}") from None
        result: datetime | None = value.termination_time
        return result

    def unsubscribe(self) -> None:
        """End the subscription (Unsubscribe in 1.3, Destroy in the drafts)."""
        if self.dialect is WSRF_1_2:
            self._op("Unsubscribe")
        else:
            self.destroy()


class Subscription:
    """A subscription made by :func:`subscribe`: its client and its callback's consumer."""

    def __init__(
        self, client: SubscriptionClient, consumer: Consumer, producer: EndpointReference
    ) -> None:
        self.client = client
        self.consumer = consumer
        self.producer = producer

    @property
    def epr(self) -> EndpointReference:
        return self.client.epr

    @property
    def received(self) -> int:
        """Notifications delivered to the callback so far."""
        return self.consumer.received

    def pause(self) -> None:
        self.client.pause()

    def resume(self) -> None:
        self.client.resume()

    def renew(self, when: datetime | timedelta | float | None) -> datetime | None:
        """Move the end of the subscription (seconds, timedelta, datetime; None: never)."""
        return self.client.renew(when)

    def cancel(self) -> None:
        """Unsubscribe and stop the callback (a subscription already gone is fine)."""
        from gridware.container.faults import ResourceUnknownFault

        try:
            self.client.unsubscribe()
        except ResourceUnknownFault:
            pass
        finally:
            self.consumer.remove()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


_listeners: dict[str, NotificationListener] = {}
_listeners_lock = threading.Lock()


def default_listener(producer_address: str) -> NotificationListener:
    """The process's listener on the interface that routes to ``producer_address``."""
    import urllib.parse

    host = urllib.parse.urlsplit(producer_address).hostname or "127.0.0.1"
    local = _local_address(host)
    with _listeners_lock:
        listener = _listeners.get(local)
        if listener is None:
            listener = _listeners[local] = NotificationListener(local).start()
        return listener


def _local_address(host: str) -> str:
    """The local IP address a connection to ``host`` would come from."""
    try:
        infos = socket.getaddrinfo(host, 9, type=socket.SOCK_DGRAM)
    except OSError:
        return "127.0.0.1"
    for family, _type, _proto, _name, addr in infos:
        s = socket.socket(family, socket.SOCK_DGRAM)
        try:
            s.connect(addr)  # UDP: no packet is sent
            local: str = s.getsockname()[0]
            return local
        except OSError:
            continue
        finally:
            s.close()
    return "127.0.0.1"


def subscribe(
    producer: EndpointReference | str,
    topic: TopicSpec,
    callback: Callable[[Notification], Any],
    *,
    listener: NotificationListener | None = None,
    dialect: str | WsrfDialect | None = None,
    soap: str | SoapVersion = SOAP11,
    transport: HttpTransport | None = None,
    **options: Any,
) -> Subscription:
    """Subscribe ``callback`` to ``topic`` of ``producer`` (see the module documentation).

    ``options`` are those of :meth:`ProducerClient.subscribe` (``topic_dialect``,
    ``namespaces``, ``message_content``, ``producer_properties``, ``termination``,
    ``raw``, ``batch``).  Batching is asked for by default (up to 100 notifications
    per Notify): the listener accepts batches.
    """
    client = ProducerClient(producer, dialect=dialect, soap=soap, transport=transport)
    if listener is None:
        listener = default_listener(client.epr.address)
    consumer = listener.add(callback, addressing=client.dialect.addressing)
    if not options.get("raw"):
        options.setdefault("batch", 100)
    try:
        sub = client.subscribe(consumer.epr, topic, **options)
    except BaseException:
        consumer.remove()
        raise
    return Subscription(sub, consumer, client.epr)


__all__ = [
    "ProducerClient",
    "Subscription",
    "SubscriptionClient",
    "default_listener",
    "subscribe",
]
