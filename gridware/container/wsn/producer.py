"""Notification producers: services whose resources publish on topics.

Mix :class:`NotificationProducer` into a service and name the resource
properties that are also topics::

    class CounterService(NotificationProducer, CounterLogic, CounterPortTypeService):
        resource_class = Counter
        property_topics = ("Value",)          # local names, Clark QNames or ResourceProperty

Every change of ``Value`` (by WS-RF SetResourceProperties or by service code
assigning ``counter.value``, in any thread) is then published on the topic
``{ns}Value`` as a ``ResourcePropertyValueChangeNotification`` with the old and
new values, and the destruction of a resource (Destroy or expiry) on
``wsrl:ResourceTermination`` as a ``TerminationNotification``.  Service code
publishes on its own topics with :meth:`NotificationProducer.notify`::

    topics = ("{http://example.org/jobs}Job/Status",)
    ...
    self.notify(job, "{http://example.org/jobs}Job/Status", status_element)

The service gets ``Subscribe`` and ``GetCurrentMessage`` in the WS-Notification
version of its dialect set (WS-BaseNotification 1.3 with WSRF 1.2, the 2004/06
draft with GT4), and the WS-Topics resource properties (``TopicExpression``,
``FixedTopicSet``, ``TopicExpressionDialect``, ``TopicSet``; the draft's ``Topic``,
``FixedTopicSet``, ``TopicExpressionDialects``).  Subscriptions live in the
container's subscription manager (deployed with the first producer of the dialect
set, with a persistent home when that producer has one; or deploy one yourself
first, see :mod:`gridware.container.wsn.subscription`); delivery is asynchronous (see
:mod:`gridware.container.wsn.delivery`), tuned per producer with::

    [service.options.notification]
    queue_limit = 1000        # messages waiting per consumer
    timeout = 10              # seconds per delivery
    retry_initial = 0.25      # first retry after, doubling up to retry_max
    retry_max = 30
    unreachable_after = 120   # seconds of failures before the subscriptions are destroyed
    max_batch = 100           # largest batch a subscription may ask for

Changes are published when the request that made them is answered (changes made
outside a request of the service, by a timer or a thread, when the current reactor
turn ends): several assignments of one property in one request make one
notification, a SetResourceProperties that failed and was rolled back none.  The
notifications of a request are built and queued just after its reply has gone out
(the reactor turn after), so a Set with subscribers is answered as fast as one
without, and its caller reads the reply while the notifications are being written.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from lxml import etree
from twisted.internet import defer, protocol
from twisted.python.failure import Failure
from twisted.python.threadable import isInIOThread

from gridware.codegen.runtime import SimpleTypeError
from gridware.codegen.runtime.model import NIL, BindingError
from gridware.codegen.runtime.simpletypes import Duration
from gridware.container import faults
from gridware.container.addressing import EndpointReference
from gridware.container.dialects import WSRF_1_2
from gridware.container.generated.wsn13 import types as wsn13
from gridware.container.generated.wsn_gt4 import types as wsn_gt4
from gridware.container.log import event
from gridware.container.resource import Resource, ResourceProperty, utcnow
from gridware.container.service import Outcome, RequestContext, Service, TransportInfo
from gridware.container.wsn.delivery import DeliveryPolicy
from gridware.container.wsn.dispatch import DialectOperation, add_operations
from gridware.container.wsn.faults import (
    InvalidTopicExpressionFault,
    MultipleTopicsSpecifiedFault,
    NoCurrentMessageOnTopicFault,
    SubscribeCreationFailedFault,
    TopicNotSupportedFault,
    UnacceptableInitialTerminationTimeFault,
    UnrecognizedPolicyRequestFault,
    UnsupportedPolicyRequestFault,
)
from gridware.container.wsn.filters import Filter, filter_1_3, filter_draft, topic_expression
from gridware.container.wsn.http import Target
from gridware.container.wsn.messages import (
    reference_bytes,
    termination_message,
    topic_bytes,
    value_change_message,
)
from gridware.container.wsn.subscription import (
    MANAGER_NAMES,
    MAX_BATCH,
    GT4Subscription,
    Subscription,
    SubscriptionManagerBase,
    manager_class,
)
from gridware.container.wsn.topics import FULL, Topic, TopicSet, termination_topic
from gridware.container.xml import Element, qname

if TYPE_CHECKING:
    from gridware.container.hosting import Container

log = logging.getLogger("gridware.wsn")

_ANONYMOUS_SUFFIXES = ("/anonymous", "/role/anonymous", "/none")


class NotificationProducer(Service):
    """A service whose resources are WS-BaseNotification producers (see the module)."""

    property_topics: ClassVar[Sequence[str | ResourceProperty]] = ()
    """Resource properties whose changes are published (local names, Clark QNames
    or the ResourceProperty objects)."""
    topics: ClassVar[Sequence[str | Topic]] = ()
    """Other topics the service publishes on with :meth:`notify` (``{ns}Root/Child``)."""

    def __init__(self, name: str | None = None, **kw: Any) -> None:
        super().__init__(name, **kw)
        if self.resource_class is None or self.home is None or self.wsrf is None:
            raise TypeError(
                f"{type(self).__name__}: a notification producer needs a resource_class"
            )
        if self.dialect.wsn is None:  # pragma: no cover - both dialect sets have one
            raise TypeError(f"dialect set {self.dialect.name} has no WS-Notification version")
        self.wsn = self.dialect.wsn
        options = self.options.get("notification", {})
        if not isinstance(options, dict):
            raise ValueError(f"service {self.name}: options.notification must be a table")
        self.delivery_policy = DeliveryPolicy.from_options(options, f"service {self.name}")
        self.container: Container | None = None
        self.manager: SubscriptionManagerBase | None = None
        self._types: Any = wsn13 if self.dialect is WSRF_1_2 else wsn_gt4
        # topics
        self.property_topic_map: dict[str, Topic] = {}  # RP tag -> topic
        self._watched: list[ResourceProperty] = []
        for spec in self.property_topics:
            prop = self._property(spec)
            ns_uri, _, local = prop.tag[1:].partition("}")
            self.property_topic_map[prop.tag] = Topic(ns_uri, (local,))
            self._watched.append(prop)
        self.custom_topics: list[Topic] = [
            t if isinstance(t, Topic) else Topic.parse(t) for t in self.topics
        ]
        self.termination_topic: Topic | None = (
            termination_topic(self.dialect.rl) if self.wsrf.lifetime else None
        )
        self.topic_set = TopicSet(
            [
                *self.property_topic_map.values(),
                *([self.termination_topic] if self.termination_topic else []),
                *self.custom_topics,
            ]
        )
        self._add_topic_properties()
        for prop in self._watched:
            prop.observers.append(self._property_changed)
        self.home.on_destroy.append(self._resource_destroyed)
        # changes not yet closed by the end of their request (or reactor turn) ...
        self._pending: dict[tuple[int, str], tuple[Resource, ResourceProperty, Any]] = {}
        self._flush_call: Any = None
        # ... and those of answered requests, (resource, property, old, new) in order,
        # published once the replies have been written
        self._ready: list[tuple[Resource, ResourceProperty, Any, Any]] = []
        self._ready_call: Any = None
        self._in_request = 0
        self._current: dict[tuple[str | None, Topic], Element] = {}
        self._topic_bytes: dict[Topic, bytes] = {}
        self._producer_refs: dict[str | None, bytes] = {}

    def _property(self, spec: str | ResourceProperty) -> ResourceProperty:
        assert self.resource_class is not None
        props = self.resource_class.properties
        if isinstance(spec, ResourceProperty):
            tag = spec.tag
        elif spec.startswith("{"):
            tag = spec
        else:
            tag = qname(self.resource_class.namespace, spec)
            if tag not in props:
                matches = [t for t in props if t.endswith("}" + spec)]
                if len(matches) == 1:
                    tag = matches[0]
        prop = props.get(tag)
        if prop is None:
            raise TypeError(
                f"{type(self).__name__}.property_topics: {spec!r} is not a resource property "
                f"of {self.resource_class.__name__}"
            )
        if prop.getter is not None:
            raise TypeError(
                f"{type(self).__name__}.property_topics: {prop.tag} is computed (a getter): "
                "its changes cannot be seen"
            )
        return prop

    # -- the WS-Topics resource properties ----------------------------------------------------
    def _add_topic_properties(self) -> None:
        assert self.wsrf is not None
        wsn = self.wsn
        table = self.wsrf.table
        table.nsmap.setdefault("wsnt", wsn.b)
        dialects = list(wsn.topic_dialects.values())
        if self.dialect is WSRF_1_2:
            table.nsmap.setdefault("wstop", wsn.t)
            expressions = self.topic_set.expression_elements(wsn.b_tag("TopicExpression"), wsn)
            topic_set = self.topic_set.element(wsn)
            props = [
                ResourceProperty(
                    wsn.b_tag("TopicExpression"),
                    None,
                    min_occurs=0,
                    max_occurs=None,
                    getter=lambda r: expressions,
                ),
                ResourceProperty(wsn.b_tag("FixedTopicSet"), "boolean", getter=lambda r: True),
                ResourceProperty(
                    wsn.b_tag("TopicExpressionDialect"),
                    "anyURI",
                    min_occurs=0,
                    max_occurs=None,
                    getter=lambda r: dialects,
                ),
                ResourceProperty(wsn.t_tag("TopicSet"), None, getter=lambda r: topic_set),
            ]
        else:
            topics = self.topic_set.expression_elements(wsn.b_tag("Topic"), wsn)
            props = [
                ResourceProperty(
                    wsn.b_tag("Topic"), None, max_occurs=None, getter=lambda r: topics
                ),
                ResourceProperty(wsn.b_tag("FixedTopicSet"), "boolean", getter=lambda r: True),
                ResourceProperty(
                    wsn.b_tag("TopicExpressionDialects"),
                    "anyURI",
                    max_occurs=None,
                    getter=lambda r: dialects,
                ),
            ]
        for prop in props:  # a WSDL may declare them (in its order): they are computed here
            table.by_tag[prop.tag] = prop

    # -- deployment ---------------------------------------------------------------------------
    def deployed(self, container: Container) -> None:
        super().deployed(container)
        self.container = container
        for service in container.services.values():
            if isinstance(service, SubscriptionManagerBase) and service.dialect is self.dialect:
                self.manager = service
                return
        cls = manager_class(self.dialect)
        name = MANAGER_NAMES[self.dialect.name]
        options: dict[str, Any] = {}
        store = getattr(self.home, "store", None)  # a persistent home: so are subscriptions
        if store is not None and name not in getattr(store, "homes", {}):
            options["home"] = store.home(name, cls.resource_class)
        deployed = container.deploy(cls(name, **options))
        assert isinstance(deployed, SubscriptionManagerBase)
        self.manager = deployed

    def shutdown(self) -> None:
        super().shutdown()
        for prop in self._watched:
            if self._property_changed in prop.observers:
                prop.observers.remove(self._property_changed)
        for call in (self._flush_call, self._ready_call):
            if call is not None and call.active():
                call.cancel()
        self._flush_call = self._ready_call = None

    def _build_dispatch(self) -> None:
        super()._build_dispatch()
        wsn = self.dialect.wsn
        assert wsn is not None
        add_operations(
            self,
            [
                DialectOperation(
                    name,
                    method,
                    wsn.actions[name],
                    wsn.b_tag(name),
                    wsn.b_tag(name + "Response"),
                    wsn.response_actions[name],
                )
                for name, method in (
                    ("Subscribe", "subscribe"),
                    ("GetCurrentMessage", "get_current_message"),
                )
            ],
        )

    def process(
        self,
        data: bytes,
        *,
        soap_action: str | None = None,
        peer: str = "",
        transport: TransportInfo | None = None,
    ) -> Outcome | defer.Deferred[Outcome]:
        """Process a request, then publish the property changes it made: one
        notification per property and request (none for a rolled-back Set), built and
        queued once the reply has been written."""
        self._in_request += 1
        try:
            outcome = super().process(data, soap_action=soap_action, peer=peer, transport=transport)
        except BaseException:
            self._answered()
            raise
        finally:
            self._in_request -= 1
        if isinstance(outcome, defer.Deferred):

            def answered(result: Any) -> Any:
                self._answered()
                return result

            return outcome.addBoth(answered)
        self._answered()
        return outcome

    def _answered(self) -> None:
        """A request is answered: its changes are closed (their new values taken now)
        and published after the reply is written: the reactor writes in the turn
        after this one, the notifications follow in the turn after that."""
        self._close_pending()
        if self._ready and self._ready_call is None:
            reactor = self.reactor
            self._ready_call = reactor.callLater(0, self._after_reply)

    def _after_reply(self) -> None:
        self._ready_call = self.reactor.callLater(0, self._publish_ready)

    def _close_pending(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        if self.manager is None:
            return
        for resource, prop, old in pending.values():
            new = _snapshot(prop, prop.__get__(resource, type(resource)))
            if old != new:  # else changed back (or a rolled-back Set): nothing happened
                self._ready.append((resource, prop, old, new))

    @property
    def reactor(self) -> Any:
        if self.container is not None:
            return self.container.reactor
        from twisted.internet import reactor

        return reactor

    # -- publishing ---------------------------------------------------------------------------
    def notify(self, resource: Resource, topic: str | Topic, message: Element) -> None:
        """Publish ``message`` on ``topic`` for ``resource``: every subscription whose
        filter accepts it gets it.  Safe from any thread (it is published from the
        reactor).  ``message`` becomes the topic's current message (GetCurrentMessage)."""
        t = topic if isinstance(topic, Topic) else Topic.parse(topic)
        if t not in self.custom_topics:
            raise ValueError(f"{t} is not a topic of {type(self).__name__}: add it to topics")
        if not isinstance(message, etree._Element):
            raise TypeError("a notification message is an lxml element")
        message = copy.deepcopy(message)
        if isInIOThread():
            self._publish_custom(resource, t, message)
        else:
            self.reactor.callFromThread(self._publish_custom, resource, t, message)

    def _publish_custom(self, resource: Resource, topic: Topic, message: Element) -> None:
        self._current[(resource.key, topic)] = message
        self._flush()  # earlier property changes go first
        if self.manager is not None:
            self.manager.publish(self, resource, topic, message)

    def topic_bytes(self, topic: Topic) -> bytes:
        b = self._topic_bytes.get(topic)
        if b is None:
            b = self._topic_bytes[topic] = topic_bytes(self.wsn, topic)
        return b

    def producer_reference_bytes(self, resource: Resource) -> bytes:
        b = self._producer_refs.get(resource.key)
        if b is None:
            if len(self._producer_refs) > 4096:
                self._producer_refs.clear()
            b = reference_bytes(self.wsn, "ProducerReference", self.epr(resource), self.dialect)
            self._producer_refs[resource.key] = b
        return b

    def _property_changed(self, resource: Any, prop: ResourceProperty, old: Any) -> None:
        manager = self.manager
        if manager is None or manager.subscribers(self.name, resource.key) is None:
            return  # nobody listens: the common case costs one dict lookup
        if resource.key is None:  # singletons share no key: is it our resource?
            assert self.home is not None
            if self.home.get(None) is not resource:
                return
        # simple values are immutable: keep them; anything else is written out now,
        # before it can change in place
        snapshot = _snapshot(prop, old)
        if isInIOThread():
            self._record(resource, prop, snapshot)
        else:
            self.reactor.callFromThread(self._record, resource, prop, snapshot)

    def _record(self, resource: Resource, prop: ResourceProperty, old: Any) -> None:
        self._pending.setdefault((id(resource), prop.tag), (resource, prop, old))
        if self._flush_call is None and not self._in_request:  # else closed when answered
            self._flush_call = self.reactor.callLater(0, self._flush)

    def _publish_ready(self) -> None:
        self._ready_call = None
        self._publish()

    def _flush(self) -> None:
        """Publish every change now: those of answered requests first, in order."""
        if self._flush_call is not None and self._flush_call.active():
            self._flush_call.cancel()
        self._flush_call = None
        if self._ready_call is not None and self._ready_call.active():
            self._ready_call.cancel()
        self._ready_call = None
        self._close_pending()
        self._publish()

    def _publish(self) -> None:
        """Publish the closed changes (``_ready``), in order."""
        ready, self._ready = self._ready, []
        if self.manager is None:
            return
        for resource, prop, old, new in ready:
            message = value_change_message(
                self.dialect, _as_elements(prop, old), _as_elements(prop, new), copy=False
            )
            try:
                self.manager.publish(self, resource, self.property_topic_map[prop.tag], message)
            except Exception:
                log.exception("publishing a change of %s failed", prop.tag)

    def _resource_destroyed(self, resource: Resource) -> None:
        self._current = {k: v for k, v in self._current.items() if k[0] != resource.key}
        self._producer_refs.pop(resource.key, None)
        manager = self.manager
        if manager is None or manager.subscribers(self.name, resource.key) is None:
            return
        self._flush()
        if self.termination_topic is not None:
            now = utcnow()
            expired = resource.termination_time is not None and resource.termination_time <= now
            reason = "the termination time was reached" if expired else "destroyed"
            message = termination_message(self.dialect, now, reason)
            manager.publish(self, resource, self.termination_topic, message)
        manager.producer_gone(self, resource.key)

    def current_message(self, resource: Resource, topic: Topic) -> Element | None:
        """The last message on ``topic`` (a property topic: its current value)."""
        for tag, t in self.property_topic_map.items():
            if t == topic:
                assert self.resource_class is not None
                prop = self.resource_class.properties[tag]
                return value_change_message(
                    self.dialect, None, _elements(prop, prop.__get__(resource, type(resource)))
                )
        message = self._current.get((resource.key, topic))
        return copy.deepcopy(message) if message is not None else None

    # -- Subscribe ----------------------------------------------------------------------------
    async def subscribe(
        self, context: RequestContext, resource: Resource, request: Element
    ) -> Element:
        """WS-BaseNotification Subscribe (either version)."""
        manager = self.manager
        if manager is None:
            raise SubscribeCreationFailedFault("this service is not deployed in a container")
        try:
            value = self._types.ELEMENTS[request.tag].read(request)
        except BindingError as exc:
            raise SubscribeCreationFailedFault(f"Subscribe: {exc}") from None
        consumer: EndpointReference = value.consumer_reference
        target = self._consumer_target(consumer)
        b = self.wsn.b_tag
        subscription: Subscription | GT4Subscription
        if self.dialect is WSRF_1_2:
            filter_el = request.find(b("Filter"))
            compiled = filter_1_3(filter_el)
            raw, batch = self._policy(request.find(b("SubscriptionPolicy")), raw_allowed=True)
            termination = self._initial_termination(value.initial_termination_time)
            subscription = Subscription(
                None,
                consumer_reference=consumer.to_element(
                    b("ConsumerReference"), self.dialect.addressing
                ),
                filter=_copy(filter_el),
                subscription_policy=_copy(request.find(b("SubscriptionPolicy"))),
            )
        else:
            topic_el = request.find(b("TopicExpression"))
            compiled = filter_draft(
                topic_el, request.find(b("Precondition")), request.find(b("Selector"))
            )
            _, batch = self._policy(request.find(b("SubscriptionPolicy")), raw_allowed=False)
            raw = value.use_notify is False
            if raw and batch > 1:
                raise UnsupportedPolicyRequestFault("raw delivery (UseNotify false) cannot batch")
            termination = self._initial_termination(value.initial_termination_time)
            subscription = GT4Subscription(
                None,
                consumer_reference=consumer.to_element(
                    b("ConsumerReference"), self.dialect.addressing
                ),
                topic_expression=_copy(topic_el),
                use_notify=not raw,
                precondition=_copy(request.find(b("Precondition"))),
                selector=_copy(request.find(b("Selector"))),
                subscription_policy=_copy(request.find(b("SubscriptionPolicy"))),
            )
        self._check_topics(compiled)
        subscription.use_raw = raw
        subscription.max_batch = batch
        self._secure(subscription, context)
        await self._probe(target, consumer.address)
        if resource.key is not None:
            assert self.home is not None
            if self.home.get(resource.key) is None:
                raise faults.ResourceUnknownFault("the resource was destroyed meanwhile")
        created, _ = manager.create(self, resource.key, subscription, termination)
        epr = manager.subscription_epr(created)
        now = utcnow()
        response: Any
        if self.dialect is WSRF_1_2:
            response = wsn13.SubscribeResponse(
                subscription_reference=epr, current_time=now, termination_time=termination
            )
        else:
            response = wsn_gt4.SubscribeResponse(subscription_reference=epr)
        out: Element = self._types.ELEMENTS[b("SubscribeResponse")].build(response)
        return out

    def _consumer_target(self, consumer: EndpointReference) -> Target:
        address = consumer.address
        if address.endswith(_ANONYMOUS_SUFFIXES) and "addressing" in address:
            raise SubscribeCreationFailedFault(
                f"the ConsumerReference {address} is anonymous: notifications need an endpoint "
                "that listens"
            )
        try:
            return Target.parse(address)
        except ValueError as exc:
            raise SubscribeCreationFailedFault(
                f"the ConsumerReference cannot receive notifications: {exc}"
            ) from None

    def _check_topics(self, compiled: Filter) -> None:
        for expr in compiled.topics:
            if not self.topic_set.matching(expr):
                raise TopicNotSupportedFault(
                    f"the topic expression {expr.text!r} names no topic of this producer "
                    f"(topics: {', '.join(str(t) for t in self.topic_set)})"
                )

    def _policy(self, el: Element | None, *, raw_allowed: bool) -> tuple[bool, int]:
        """(raw delivery?, batch size) from a SubscriptionPolicy element."""
        raw, batch = False, 1
        if el is None:
            return raw, batch
        unknown = []
        for child in el.iterchildren(etree.Element):
            if raw_allowed and child.tag == self.wsn.b_tag("UseRaw"):
                raw = True
            elif child.tag == MAX_BATCH:
                text = (child.text or "").strip()
                if not text.isdigit() or int(text) < 1:
                    raise UnsupportedPolicyRequestFault(
                        f"MaxBatch must be a positive integer, not {text[:20]!r}"
                    )
                batch = min(int(text), self.delivery_policy.max_batch)
            else:
                unknown.append(str(child.tag))
        if unknown:
            raise UnrecognizedPolicyRequestFault(
                "unrecognized subscription policy: " + ", ".join(unknown), policies=unknown
            )
        if raw and batch > 1:
            raise UnsupportedPolicyRequestFault("UseRaw delivery cannot be batched (MaxBatch)")
        return raw, batch

    def _initial_termination(self, requested: Any) -> datetime | None:
        now = utcnow()
        if requested is None or requested is NIL:
            return None
        if isinstance(requested, Duration):
            try:
                when = requested.after(now)
            except (OverflowError, ValueError, SimpleTypeError) as exc:
                raise UnacceptableInitialTerminationTimeFault(str(exc), minimum=now) from None
        else:
            when = requested
        assert isinstance(when, datetime)
        if when <= now:
            raise UnacceptableInitialTerminationTimeFault(
                f"the initial termination time {when.isoformat()} has passed", minimum=now
            )
        return when

    def _secure(self, s: Subscription | GT4Subscription, context: RequestContext) -> None:
        """The subscription is owned by its creator and used as the producer is."""
        s.creator = context.caller.identity
        security = self.security
        if security is None or not security.enabled:
            return
        required = security.for_operation("Subscribe")
        s.transport = required.transport
        s.message = "signature" if required.message != "none" else "none"
        s.sign = required.message != "none" and security.host is not None
        s.access = security.resource_access

    async def _probe(self, target: Target, address: str) -> None:
        """Refuse a consumer that nothing answers at (a TCP connection, closed at once)."""
        timeout = min(5.0, self.delivery_policy.timeout)
        d: defer.Deferred[None] = defer.Deferred()

        class Probe(protocol.Protocol):
            def connectionMade(self) -> None:
                assert self.transport is not None
                self.transport.loseConnection()
                if not d.called:
                    d.callback(None)

        class ProbeFactory(protocol.ClientFactory):
            def buildProtocol(self, addr: Any) -> Probe:
                return Probe()

            def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
                if not d.called:
                    d.errback(reason)

        self.reactor.connectTCP(target.host, target.port, ProbeFactory(), timeout=timeout)
        try:
            await d
        except Exception as exc:
            event(
                log,
                "gridware.wsn.subscribe.refused",
                logging.INFO,
                service=self.name,
                consumer=address,
                reason=str(exc)[:200],
            )
            raise SubscribeCreationFailedFault(
                f"the consumer {address} cannot be reached: {_reason(exc)}"
            ) from None

    # -- GetCurrentMessage --------------------------------------------------------------------
    def get_current_message(
        self, context: RequestContext, resource: Resource, request: Element
    ) -> Element:
        topic_el = request.find(self.wsn.b_tag("Topic"))
        if topic_el is None:
            raise InvalidTopicExpressionFault("GetCurrentMessage needs a Topic")
        expr = topic_expression(topic_el)
        topic = expr.topic
        if topic is None or expr.dialect == FULL:
            matches = self.topic_set.matching(expr)
            if len(matches) > 1:
                raise MultipleTopicsSpecifiedFault(
                    f"{expr.text!r} names {len(matches)} topics: GetCurrentMessage takes one"
                )
            topic = matches[0] if matches else None
        if topic is None or topic not in self.topic_set:
            raise TopicNotSupportedFault(f"{expr.text!r} is not a topic of this producer")
        message = self.current_message(resource, topic)
        if message is None:
            raise NoCurrentMessageOnTopicFault(f"nothing has been published on {topic} yet")
        out = etree.Element(self.wsn.b_tag("GetCurrentMessageResponse"), nsmap={"wsnt": self.wsn.b})
        out.append(message)
        return out


def _elements(prop: ResourceProperty, value: Any) -> list[Element]:
    """A property value (as assigned) written as its elements."""
    values = list(value) if prop.many else ([] if value is None else [value])
    out = []
    for v in values:
        try:
            out.append(prop.to_element(v))
        except (SimpleTypeError, TypeError, ValueError):
            continue
    return out


class _Written(tuple[bytes, ...]):
    """A property value written out as its serialized elements (for comparing and
    for the notification, whatever happens to the value afterwards)."""


def _snapshot(prop: ResourceProperty, value: Any) -> Any:
    """What to remember of a value: itself when simple (immutable), else its XML."""
    if prop.simple is not None:
        return tuple(value) if prop.many else value
    return _Written(etree.tostring(e) for e in _elements(prop, value))


def _as_elements(prop: ResourceProperty, snapshot: Any) -> list[Element]:
    if isinstance(snapshot, _Written):
        return [etree.fromstring(b) for b in snapshot]
    return _elements(prop, snapshot)


def _copy(el: Element | None) -> Element | None:
    return copy.deepcopy(el) if el is not None else None


def _reason(exc: BaseException) -> str:
    value = getattr(exc, "value", exc)
    return str(value) or type(value).__name__


__all__ = ["NotificationProducer"]
