"""Subscriptions as WS-Resources, and the SubscriptionManager service that fronts them.

A container deploys one subscription manager per dialect set that has a
notification producer: ``SubscriptionManagerService`` (WS-BaseNotification 1.3,
WSRF 1.2) and ``gt4/SubscriptionManagerService`` (the 2004/06 draft).  The
manager owns the subscriptions' resource home, their delivery
(:class:`~gridware.container.wsn.delivery.Delivery`), and the index producers
publish through.

A subscription is a resource like any other: its resource properties are those
of the standard (``ConsumerReference``, ``Filter``, ``SubscriptionPolicy``,
``CreationTime``; the draft's ``TopicExpression``, ``UseNotify``, ``Precondition``,
``Selector``), its lifetime is WS-ResourceLifetime's (``Destroy``,
``SetTerminationTime``, the container's sweeper), and the rest of its state (the
producer, paused or not, raw delivery, batch size, signing, who may manage it) is
in plain attributes that persistent homes keep (``persistent_attributes``).  Put
the manager on a persistent home and subscriptions survive a restart: at start
the manager re-arms delivery for every stored subscription (:meth:`startup`).

Operations: ``Renew``, ``Unsubscribe``, ``PauseSubscription`` and
``ResumeSubscription`` (WS-BaseNotification 1.3; both the SubscriptionManager and
the PausableSubscriptionManager actions), the draft's ``PauseSubscription`` and
``ResumeSubscription``, and every WS-RF operation.  Where the producer has a
security descriptor, a subscription can only be used the way it was created
(HTTPS, signed messages) and, unless ``resource_access = "any"``, by its creator.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from lxml import etree

from gridware.codegen.runtime.model import NIL
from gridware.codegen.runtime.simpletypes import Duration
from gridware.container import faults, ns
from gridware.container.addressing import EndpointReference
from gridware.container.dialects import GT4, WSRF_1_2, WsrfDialect
from gridware.container.generated.wsn13 import types as wsn13
from gridware.container.generated.wsn_gt4 import types as wsn_gt4
from gridware.container.log import event
from gridware.container.resource import Resource, ResourceProperty, utcnow
from gridware.container.security import (
    AuthenticationFault,
    NotAuthorizedFault,
    TransportSecurityFault,
)
from gridware.container.service import OperationSpec, RequestContext, Service
from gridware.container.wsn.delivery import Delivery, Recipient
from gridware.container.wsn.dispatch import DialectOperation, add_operations
from gridware.container.wsn.faults import (
    PauseFailedFault,
    ResumeFailedFault,
    UnacceptableTerminationTimeFault,
)
from gridware.container.wsn.filters import Filter, filter_1_3, filter_draft
from gridware.container.wsn.http import Target
from gridware.container.wsn.messages import NotifyWriter, message_bytes, reference_bytes
from gridware.container.wsn.topics import Topic
from gridware.container.xml import Element, qname

if TYPE_CHECKING:
    from gridware.container.wsn.producer import NotificationProducer

log = logging.getLogger("gridware.wsn")

#: gridware's own names: the subscription key and the MaxBatch subscription policy.
GRIDWARE_WSN = "urn:gridware:wsn"
SUBSCRIPTION_KEY = qname(GRIDWARE_WSN, "SubscriptionKey")
MAX_BATCH = qname(GRIDWARE_WSN, "MaxBatch")

#: Where each dialect set's manager is deployed by default.
MANAGER_NAMES = {
    WSRF_1_2.name: "SubscriptionManagerService",
    GT4.name: "gt4/SubscriptionManagerService",
}


class _SubscriptionState:
    """The attributes every subscription keeps besides its resource properties."""

    persistent_attributes: ClassVar[tuple[str, ...]] = (
        "producer_service",
        "producer_key",
        "paused",
        "use_raw",
        "max_batch",
        "sign",
        "transport",
        "message",
        "access",
    )
    producer_service: str = ""
    """The name of the producing service in the container."""
    producer_key: str | None = None
    """The key of the producing resource (None for a singleton)."""
    paused: bool = False
    use_raw: bool = False
    max_batch: int = 1
    """Notifications per Notify the consumer accepts (the MaxBatch policy)."""
    sign: bool = False
    """Sign notifications with the host credential (the producer requires signatures)."""
    transport: str = "none"
    """"https" when the subscription was made over HTTPS and must be managed so."""
    message: str = "none"
    """"signature" when the producer requires signed messages."""
    access: str = "any"
    """"creator": only the subscription's creator may use it."""


class Subscription(_SubscriptionState, Resource):
    """A WS-BaseNotification 1.3 subscription (``wsnt:SubscriptionManagerRP``)."""

    namespace = ns.WSN_B
    document = "SubscriptionManagerRP"
    consumer_reference = ResourceProperty("ConsumerReference", None)
    filter = ResourceProperty("Filter", None, min_occurs=0)
    subscription_policy = ResourceProperty("SubscriptionPolicy", None, min_occurs=0)
    creation_time = ResourceProperty("CreationTime", "dateTime", min_occurs=0)


class GT4Subscription(_SubscriptionState, Resource):
    """A subscription of the 2004/06 draft, as Globus Toolkit 4 has it."""

    namespace = ns.GT4_WSN_B
    document = "SubscriptionManagerRP"
    consumer_reference = ResourceProperty("ConsumerReference", None)
    topic_expression = ResourceProperty("TopicExpression", None)
    use_notify = ResourceProperty("UseNotify", "boolean", default=True)
    precondition = ResourceProperty("Precondition", None, min_occurs=0)
    selector = ResourceProperty("Selector", None, min_occurs=0)
    subscription_policy = ResourceProperty("SubscriptionPolicy", None, min_occurs=0)
    creation_time = ResourceProperty("CreationTime", "dateTime", min_occurs=0)


AnySubscription = Subscription | GT4Subscription


@dataclass(eq=False)
class Active:
    """A subscription being delivered: its compiled filter and its route."""

    key: str
    producer: NotificationProducer
    producer_key: str | None
    filter: Filter
    recipient: Recipient
    consumer_key: bytes
    paused: bool
    reference: bytes  # the serialized SubscriptionReference


_MANAGED = {
    "Renew",
    "Unsubscribe",
    "PauseSubscription",
    "ResumeSubscription",
}


class SubscriptionManagerBase(Service):
    """The operations and delivery shared by both dialect sets' managers."""

    key = SUBSCRIPTION_KEY
    namespace = GRIDWARE_WSN
    manager_dialect: ClassVar[str] = WSRF_1_2.name

    def __init__(self, name: str | None = None, **kw: Any) -> None:
        kw.setdefault("dialect", self.manager_dialect)
        super().__init__(name or MANAGER_NAMES[self.manager_dialect], **kw)
        if self.dialect.name != self.manager_dialect:
            raise ValueError(f"{type(self).__name__} is deployed in {self.manager_dialect} only")
        self.container: Any = None
        self.delivery: Delivery | None = None
        self.active: dict[str, Active] = {}
        self.by_producer: dict[tuple[str, str | None], dict[str, Active]] = {}
        assert self.home is not None
        self.home.on_destroy.append(self._destroyed)

    # -- deployment -------------------------------------------------------------------------
    def deployed(self, container: Any) -> None:
        self.container = container
        if self.delivery is None:
            self.delivery = Delivery(container.reactor, signer=self._signer(), tls=self._tls)

    def _signer(self) -> Callable[[bytes], bytes] | None:
        host = getattr(self.container, "security", None)
        if host is None:
            return None

        def sign_envelope(data: bytes) -> bytes:
            from gridware.security.wssec import sign

            envelope = etree.fromstring(data)
            sign(envelope, host.credential)
            return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")

        return sign_envelope

    def _tls(self, target: Target, recipient: Recipient) -> Any:
        from gridware.container.wsn.tls import consumer_tls_creator

        return consumer_tls_creator(getattr(self.container, "security", None), target, recipient)

    def startup(self) -> None:
        """Re-arm delivery for the subscriptions the home already holds (a restart)."""
        assert self.home is not None
        n = 0
        now = utcnow()
        for resource in list(self.home.values()):
            if resource.key in self.active:
                continue
            if resource.termination_time is not None and resource.termination_time <= now:
                continue  # expired while the container was down: the sweeper ends it
            try:
                self.activate(resource)
                n += 1
            except Exception as exc:
                reason = exc.description if isinstance(exc, faults.Fault) else str(exc)
                event(
                    log,
                    "gridware.wsn.subscription.dropped",
                    logging.WARNING,
                    manager=self.name,
                    subscription=resource.key,
                    reason=reason[:200],
                )
                self._destroy_quietly(resource.key)
        if n:
            event(log, "gridware.wsn.subscriptions.rearmed", manager=self.name, subscriptions=n)

    def shutdown(self) -> None:
        if self.delivery is not None:
            self.delivery.stop()

    def _build_dispatch(self) -> None:
        super()._build_dispatch()
        add_operations(self, self._operations())

    def _operations(self) -> list[DialectOperation]:
        raise NotImplementedError

    # -- creating and arming -----------------------------------------------------------------
    def create(
        self,
        producer: NotificationProducer,
        producer_key: str | None,
        subscription: AnySubscription,
        termination: datetime | None,
    ) -> tuple[AnySubscription, Active]:
        """Store a new subscription and start delivering to it."""
        assert self.home is not None
        subscription.key = self.home.new_key()
        subscription.producer_service = producer.name
        subscription.producer_key = producer_key
        subscription.creation_time = utcnow()
        self.home.set_termination_time(subscription, termination)
        active = self.activate(subscription)
        try:
            self.home.add(subscription)
        except Exception:
            self._forget(subscription.key, drop=True)
            raise
        event(
            log,
            "gridware.wsn.subscribe",
            manager=self.name,
            subscription=subscription.key,
            producer=producer.name,
            resource=producer_key or "-",
            consumer=active.recipient.writer.consumer.address,
            owner=subscription.creator or "-",
        )
        return subscription, active

    def activate(self, s: AnySubscription) -> Active:
        """Compile a subscription's filter and route its notifications (new or restored)."""
        assert self.container is not None and self.delivery is not None and s.key is not None
        from gridware.container.wsn.producer import NotificationProducer

        producer = self.container.services.get(s.producer_service)
        if not isinstance(producer, NotificationProducer) or producer.dialect is not self.dialect:
            raise faults.ResourceUnknownFault(
                f"the producer {s.producer_service!r} is not deployed here"
            )
        assert producer.home is not None
        if producer.home.get(s.producer_key) is None:
            raise faults.ResourceUnknownFault(f"the producing resource {s.producer_key} is gone")
        filter_ = self.compile_filter(s)
        consumer = EndpointReference.from_element(s.consumer_reference)
        writer = NotifyWriter(consumer, self.dialect)
        recipient = Recipient(
            s.key,
            writer,
            producer.delivery_policy,
            max_batch=max(1, min(s.max_batch, producer.delivery_policy.max_batch)),
            raw=s.use_raw,
            sign=s.sign,
            owner=s.creator,
            on_give_up=self._give_up,
        )
        consumer_key = etree.tostring(
            writer.consumer.to_element(version=self.dialect.addressing),
            method="c14n",
            exclusive=True,
        )
        reference = reference_bytes(
            self.dialect.wsn or _no_wsn(),
            "SubscriptionReference",
            self.subscription_epr(s),
            self.dialect,
        )
        active = Active(
            s.key, producer, s.producer_key, filter_, recipient, consumer_key, s.paused, reference
        )
        self.delivery.attach(recipient, consumer_key)
        self.active[s.key] = active
        self.by_producer.setdefault((producer.name, s.producer_key), {})[s.key] = active
        return active

    def compile_filter(self, s: AnySubscription) -> Filter:
        raise NotImplementedError

    def subscription_epr(self, s: AnySubscription) -> EndpointReference:
        """The subscription's EPR: at the HTTPS address when it was made over HTTPS."""
        epr = self.epr(s)
        if s.transport == "https" and self.container is not None and self.container.https_port:
            from gridware.container.hosting import SERVICES_PATH

            url = self.container.https_base_url + SERVICES_PATH + self.name
            return EndpointReference(
                url,
                reference_parameters=epr.reference_parameters,
                reference_properties=epr.reference_properties,
                version=epr.version,
            )
        return epr

    # -- publishing --------------------------------------------------------------------------
    def subscribers(self, producer: str, key: str | None) -> dict[str, Active] | None:
        return self.by_producer.get((producer, key))

    def publish(
        self,
        producer: NotificationProducer,
        resource: Resource,
        topic: Topic,
        message: Element,
    ) -> int:
        """Queue ``message`` on ``topic`` for every subscription of ``resource`` whose
        filter accepts it; returns how many were queued."""
        subs = self.by_producer.get((producer.name, resource.key))
        if not subs or self.delivery is None:
            return 0
        wsn = self.dialect.wsn or _no_wsn()
        payload = topic_b = producer_b = None
        document: Element | None = None

        def producer_document() -> Element:
            nonlocal document
            if document is None:
                assert producer.wsrf is not None
                document = producer.wsrf.table.document(resource)
            return document

        n = 0
        for a in list(subs.values()):
            f = a.filter
            if a.paused or not f.accepts_topic(topic) or not f.accepts_message(message):
                continue
            if not f.accepts_producer(producer_document):
                continue
            if payload is None:
                payload = etree.tostring(message)
                topic_b = producer.topic_bytes(topic)
                producer_b = producer.producer_reference_bytes(resource)
            assert topic_b is not None
            if a.recipient.raw:
                item = payload
            else:
                item = message_bytes(wsn, topic_b, payload, a.reference, producer_b)
            self.delivery.send(a.recipient, a.consumer_key, item)
            n += 1
        return n

    def producer_gone(self, producer: NotificationProducer, key: str | None) -> None:
        """The producing resource was destroyed: end its subscriptions (what is queued,
        such as the TerminationNotification, is still delivered)."""
        subs = self.by_producer.get((producer.name, key))
        for sub_key in list(subs or {}):
            self.end(sub_key, "the producing resource was destroyed", drop=False)

    # -- ending ------------------------------------------------------------------------------
    def end(self, key: str, reason: str, *, drop: bool = True) -> None:
        """Destroy a subscription now (``drop``: discard what is queued for it)."""
        self._forget(key, drop=drop)
        event(
            log,
            "gridware.wsn.subscription.end",
            manager=self.name,
            subscription=key,
            reason=reason[:200],
        )
        self._destroy_quietly(key)

    def _destroy_quietly(self, key: str | None) -> None:
        assert self.home is not None
        with contextlib.suppress(faults.ResourceUnknownFault):
            self.home.destroy(key)

    def _give_up(self, key: str, reason: str) -> None:
        self.end(key, reason)

    def _destroyed(self, resource: Resource) -> None:
        """A subscription resource was destroyed (Unsubscribe, Destroy, expiry ...)."""
        if resource.key is not None and resource.key in self.active:
            self._forget(resource.key, drop=True)

    def _forget(self, key: str, *, drop: bool) -> None:
        a = self.active.pop(key, None)
        if a is None:
            return
        subs = self.by_producer.get((a.producer.name, a.producer_key))
        if subs is not None:
            subs.pop(key, None)
            if not subs:
                del self.by_producer[(a.producer.name, a.producer_key)]
        if self.delivery is not None:
            self.delivery.detach(a.recipient, a.consumer_key, drop=drop)

    # -- operations --------------------------------------------------------------------------
    def _authorize(
        self, ctx: RequestContext, spec: OperationSpec | None, resource: Resource | None
    ) -> None:
        super()._authorize(ctx, spec, resource)
        if not isinstance(resource, _SubscriptionState):
            return
        s = resource
        if s.transport == "https" and not ctx.caller.secure_transport:
            raise TransportSecurityFault(
                f"{self.name}.{ctx.operation}: this subscription was made over HTTPS: "
                "manage it over HTTPS"
            )
        if s.message != "none" and ctx.caller.message is None:
            raise AuthenticationFault(
                f"{self.name}.{ctx.operation}: this subscription requires messages signed "
                "with WS-Security"
            )
        if s.access == "creator" and s.creator is not None and ctx.caller.identity != s.creator:
            raise NotAuthorizedFault(
                f"not authorized: only the creator of this subscription ({s.creator}) "
                f"may {ctx.operation} it"
            )

    def pause(self, context: RequestContext, resource: Resource, request: Element) -> Element:
        self._set_paused(resource, True, PauseFailedFault)
        return etree.Element(self._wsn_tag("PauseSubscriptionResponse"))

    def resume(self, context: RequestContext, resource: Resource, request: Element) -> Element:
        self._set_paused(resource, False, ResumeFailedFault)
        return etree.Element(self._wsn_tag("ResumeSubscriptionResponse"))

    def _set_paused(self, resource: Resource, paused: bool, fault: type[faults.Fault]) -> None:
        assert isinstance(resource, _SubscriptionState) and resource.key is not None
        a = self.active.get(resource.key)
        if a is None:
            raise fault("the subscription is not active")
        resource.paused = paused
        a.paused = paused
        event(
            log,
            "gridware.wsn.subscription.pause" if paused else "gridware.wsn.subscription.resume",
            manager=self.name,
            subscription=resource.key,
        )

    def _wsn_tag(self, local: str) -> str:
        return (self.dialect.wsn or _no_wsn()).b_tag(local)


def _no_wsn() -> Any:  # pragma: no cover - both dialect sets have a WS-Notification version
    raise ValueError("this dialect set has no WS-Notification version")


class SubscriptionManagerService(SubscriptionManagerBase):
    """Subscriptions of WS-BaseNotification 1.3 (WSRF 1.2, WS-Addressing 2005/08)."""

    resource_class = Subscription
    manager_dialect = WSRF_1_2.name

    def _operations(self) -> list[DialectOperation]:
        wsn = self.dialect.wsn or _no_wsn()
        out = []
        for name, method in (
            ("Renew", "renew"),
            ("Unsubscribe", "unsubscribe"),
            ("PauseSubscription", "pause"),
            ("ResumeSubscription", "resume"),
        ):
            aliases = tuple(a for a, op in wsn.alias_actions.items() if op == name)
            out.append(
                DialectOperation(
                    name,
                    method,
                    wsn.actions[name],
                    wsn.b_tag(name),
                    wsn.b_tag(name + "Response"),
                    wsn.response_actions[name],
                    aliases,
                )
            )
        return out

    def compile_filter(self, s: AnySubscription) -> Filter:
        assert isinstance(s, Subscription)
        return filter_1_3(s.filter)

    def renew(self, context: RequestContext, resource: Resource, request: Element) -> Element:
        try:
            value = wsn13.ELEMENTS[request.tag].read(request)
        except Exception as exc:
            raise UnacceptableTerminationTimeFault(f"Renew: {exc}", minimum=utcnow()) from None
        now = utcnow()
        requested = value.termination_time
        when: datetime | None
        if requested is NIL or requested is None:
            when = None
        elif isinstance(requested, Duration):
            try:
                when = requested.after(now)
            except (OverflowError, ValueError) as exc:
                raise UnacceptableTerminationTimeFault(str(exc), minimum=now) from None
        else:
            when = requested
        if when is not None and when <= now:
            raise UnacceptableTerminationTimeFault(
                f"the termination time {when.isoformat()} has passed", minimum=now
            )
        assert self.home is not None
        self.home.set_termination_time(resource, when)
        event(
            log,
            "gridware.wsn.subscription.renew",
            manager=self.name,
            subscription=resource.key,
            until=when.isoformat() if when else "infinity",
        )
        out: Element = wsn13.ELEMENTS[qname(ns.WSN_B, "RenewResponse")].build(
            wsn13.RenewResponse(termination_time=when, current_time=now)
        )
        return out

    def unsubscribe(self, context: RequestContext, resource: Resource, request: Element) -> Element:
        assert resource.key is not None
        self.end(resource.key, "unsubscribed")
        return etree.Element(qname(ns.WSN_B, "UnsubscribeResponse"))


class GT4SubscriptionManagerService(SubscriptionManagerBase):
    """Subscriptions of the 2004/06 draft (Globus Toolkit 4, WS-Addressing 2004/03):
    pause and resume here, lifetime through WS-ResourceLifetime."""

    resource_class = GT4Subscription
    manager_dialect = GT4.name

    def _operations(self) -> list[DialectOperation]:
        wsn = self.dialect.wsn or _no_wsn()
        return [
            DialectOperation(
                name,
                method,
                wsn.actions[name],
                wsn.b_tag(name),
                wsn.b_tag(name + "Response"),
                wsn.response_actions[name],
            )
            for name, method in (("PauseSubscription", "pause"), ("ResumeSubscription", "resume"))
        ]

    def compile_filter(self, s: AnySubscription) -> Filter:
        assert isinstance(s, GT4Subscription)
        return filter_draft(s.topic_expression, s.precondition, s.selector)


def manager_class(dialect: WsrfDialect) -> type[SubscriptionManagerBase]:
    return GT4SubscriptionManagerService if dialect is GT4 else SubscriptionManagerService


__all__ = [
    "GRIDWARE_WSN",
    "MANAGER_NAMES",
    "MAX_BATCH",
    "SUBSCRIPTION_KEY",
    "Active",
    "GT4Subscription",
    "GT4SubscriptionManagerService",
    "Subscription",
    "SubscriptionManagerBase",
    "SubscriptionManagerService",
    "manager_class",
    "wsn_gt4",
]
