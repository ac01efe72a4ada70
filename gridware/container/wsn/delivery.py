"""Asynchronous delivery of notifications: one bounded queue per consumer.

Every consumer endpoint (address plus reference parameters) gets a
:class:`ConsumerQueue` and one kept-alive HTTP connection.  A queue sends one
request at a time, so notifications reach a consumer in the order they were
produced; everything happens on the reactor without blocking, so a slow or dead
consumer holds up nothing but its own queue: not the other consumers, not the
service's requests.

- **Bounded.**  At most ``queue_limit`` messages wait per consumer; past that the
  oldest are dropped (and the drop is logged), so a consumer that cannot keep up
  gets the newest state.
- **Batched.**  When a subscription accepts batches (``MaxBatch`` subscription
  policy, see :mod:`gridware.container.wsn.subscription`), the messages waiting for
  its consumer go in one ``Notify`` (up to the batch size): WS-BaseNotification
  lets a Notify carry any number of ``NotificationMessage`` elements.  Raw
  delivery (``UseRaw``) sends each message alone.
- **Retried.**  A request that fails (no connection, timeout, HTTP error other
  than a SOAP fault) is retried with exponential backoff and jitter.  A consumer
  that stays unreachable for ``unreachable_after`` seconds is given up: its
  subscriptions are destroyed and the event is logged
  (``gridware.wsn.consumer.unreachable``).  A consumer that answers with a SOAP
  fault refused the message: it is dropped and logged, not retried.
- **Signed** with the host credential when the subscription asks for it
  (in the thread pool: signing costs a millisecond of CPU).
"""

from __future__ import annotations

import collections
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from twisted.internet import defer, threads

from gridware.container.log import event
from gridware.container.wsn.http import (
    DeliveryError,
    HttpClientProtocol,
    Reply,
    Target,
    connect,
)
from gridware.container.wsn.messages import NotifyWriter

log = logging.getLogger("gridware.wsn")


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard a producer tries to deliver (``[service.options.notification]``)."""

    queue_limit: int = 1000
    """Messages waiting per consumer; past this the oldest are dropped."""
    timeout: float = 10.0
    """Seconds to connect and to get the reply to one delivery."""
    retry_initial: float = 0.25
    """Seconds before the first retry; each further retry waits twice as long."""
    retry_max: float = 30.0
    """The longest wait between two retries."""
    unreachable_after: float = 120.0
    """Seconds of failed deliveries after which the consumer's subscriptions are destroyed."""
    max_batch: int = 100
    """The most messages one Notify may carry (a subscription asks for at most this)."""

    @classmethod
    def from_options(cls, options: dict[str, Any], where: str) -> DeliveryPolicy:
        known = set(cls.__dataclass_fields__)
        unknown = set(options) - known
        if unknown:
            raise ValueError(
                f"{where}: unknown notification option(s) {', '.join(sorted(unknown))} "
                f"(known: {', '.join(sorted(known))})"
            )
        values: dict[str, Any] = {}
        for name, value in options.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"{where}: notification option {name} must be a positive number")
            if name in ("queue_limit", "max_batch"):
                if int(value) != value:
                    raise ValueError(f"{where}: notification option {name} must be an integer")
                value = int(value)
            values[name] = value
        return cls(**values)


@dataclass(eq=False)
class Recipient:
    """What delivery needs to know about one subscription."""

    key: str
    writer: NotifyWriter
    policy: DeliveryPolicy
    max_batch: int = 1
    raw: bool = False
    sign: bool = False
    owner: str | None = None
    """The subscriber's identity: an https consumer must present it (or a host
    certificate of its host)."""
    on_give_up: Callable[[str, str], None] = lambda key, reason: None


@dataclass(slots=True)
class _Item:
    recipient: Recipient
    payload: bytes
    produced: float


@dataclass(eq=False)
class ConsumerQueue:
    """The messages waiting for one consumer endpoint, and its connection."""

    key: bytes
    writer: NotifyWriter
    target: Target
    items: collections.deque[_Item] = field(default_factory=collections.deque)
    recipients: dict[str, Recipient] = field(default_factory=dict)
    busy: bool = False
    retry_call: Any = None
    failing_since: float | None = None
    attempts: int = 0
    dropped: int = 0
    connection: HttpClientProtocol | None = None
    delivered: int = 0

    @property
    def limit(self) -> int:
        return min((r.policy.queue_limit for r in self.recipients.values()), default=1000)


class Delivery:
    """The consumer queues of one subscription manager."""

    def __init__(
        self,
        reactor: Any,
        *,
        signer: Callable[[bytes], bytes] | None = None,
        tls: Callable[[Target, Recipient], Any] | None = None,
    ) -> None:
        self.reactor = reactor
        self.signer = signer
        self.tls = tls
        self.queues: dict[bytes, ConsumerQueue] = {}
        self.stopped = False

    # -- subscriptions come and go -----------------------------------------------------------
    def attach(self, recipient: Recipient, consumer_key: bytes) -> None:
        """Route ``recipient``'s messages to the queue of its consumer."""
        queue = self.queues.get(consumer_key)
        if queue is None:
            target = Target.parse(recipient.writer.consumer.address)
            queue = self.queues[consumer_key] = ConsumerQueue(
                consumer_key, recipient.writer, target
            )
        queue.recipients[recipient.key] = recipient

    def detach(self, recipient: Recipient, consumer_key: bytes, *, drop: bool = True) -> None:
        """Stop routing; ``drop`` discards its messages not yet sent (else they still go)."""
        queue = self.queues.get(consumer_key)
        if queue is None:
            return
        queue.recipients.pop(recipient.key, None)
        if drop:
            queue.items = collections.deque(i for i in queue.items if i.recipient is not recipient)
        self._maybe_forget(queue)

    def _maybe_forget(self, queue: ConsumerQueue) -> None:
        if not queue.recipients and not queue.items and not queue.busy:
            if queue.retry_call is not None and queue.retry_call.active():
                queue.retry_call.cancel()
            if queue.connection is not None:
                queue.connection.close()
            self.queues.pop(queue.key, None)

    # -- sending ----------------------------------------------------------------------------
    def send(self, recipient: Recipient, consumer_key: bytes, payload: bytes) -> None:
        """Queue one serialized message (a NotificationMessage, or the raw payload)."""
        queue = self.queues.get(consumer_key)
        if queue is None or self.stopped:
            return
        queue.items.append(_Item(recipient, payload, time.monotonic()))
        limit = queue.limit
        if len(queue.items) > limit:
            first = queue.dropped == 0
            while len(queue.items) > limit:
                queue.items.popleft()
                queue.dropped += 1
            if first:
                event(
                    log,
                    "gridware.wsn.queue.overflow",
                    logging.WARNING,
                    consumer=_url(queue),
                    limit=limit,
                    msg="the consumer does not keep up: dropping its oldest notifications",
                )
        if not queue.busy and queue.retry_call is None:
            self._pump(queue)

    def _take(self, queue: ConsumerQueue) -> list[_Item]:
        first = queue.items.popleft()
        batch = [first]
        if first.recipient.raw:
            return batch
        size = first.recipient.max_batch
        while queue.items and len(batch) < size:
            nxt = queue.items[0]
            r = nxt.recipient
            if r.raw or r.sign != first.recipient.sign:
                break
            size = min(size, r.max_batch)
            if len(batch) >= size:
                break
            batch.append(queue.items.popleft())
        return batch

    def _pump(self, queue: ConsumerQueue) -> None:
        if queue.busy or not queue.items or self.stopped:
            if not queue.items and queue.dropped:
                event(
                    log,
                    "gridware.wsn.queue.drained",
                    logging.INFO,
                    consumer=_url(queue),
                    dropped=queue.dropped,
                )
                queue.dropped = 0
            self._maybe_forget(queue)
            return
        batch = self._take(queue)
        queue.busy = True
        d = defer.Deferred.fromCoroutine(self._deliver(queue, batch))
        d.addErrback(self._unexpected, queue)

    def _unexpected(self, failure: Any, queue: ConsumerQueue) -> None:
        log.error("delivery to %s failed unexpectedly: %s", _url(queue), failure.getTraceback())
        queue.busy = False

    async def _deliver(self, queue: ConsumerQueue, batch: list[_Item]) -> None:
        first = batch[0].recipient
        if first.raw:
            data = queue.writer.raw(batch[0].payload)
        else:
            data = queue.writer.notify([i.payload for i in batch])
        try:
            if first.sign and self.signer is not None:
                data = await threads.deferToThread(self.signer, data)
            reply = await self._post(queue, first, data)
        except (DeliveryError, OSError) as exc:
            self._failed(queue, batch, str(exc) or type(exc).__name__)
            return
        except Exception as exc:  # signing failed: never retried
            log.exception("cannot sign a notification to %s", _url(queue))
            self._refused(queue, batch, f"cannot sign: {exc}")
            return
        if 200 <= reply.status < 300:
            self._succeeded(queue, batch)
        elif _is_soap_fault(reply):
            self._refused(queue, batch, _fault_reason(reply))
        else:
            self._failed(queue, batch, f"HTTP {reply.status}")

    async def _post(self, queue: ConsumerQueue, recipient: Recipient, data: bytes) -> Reply:
        timeout = recipient.policy.timeout
        conn = queue.connection
        if conn is None or conn.closed or conn.will_close:
            creator = None
            if queue.target.scheme == "https":
                if self.tls is None:
                    raise DeliveryError("this container cannot call https:// consumers")
                creator = self.tls(queue.target, recipient)
            conn = await _with_timeout(
                self.reactor, connect(self.reactor, queue.target, timeout, creator), timeout
            )
            queue.connection = conn
        d = conn.post(queue.target, queue.writer.http_headers, data)
        try:
            reply: Reply = await _with_timeout(self.reactor, d, timeout, conn)
            return reply
        except DeliveryError:
            conn.abort()
            queue.connection = None
            raise

    def _succeeded(self, queue: ConsumerQueue, batch: list[_Item]) -> None:
        queue.busy = False
        queue.delivered += len(batch)
        if queue.failing_since is not None:
            event(
                log,
                "gridware.wsn.consumer.recovered",
                consumer=_url(queue),
                attempts=queue.attempts,
                failed_for=f"{time.monotonic() - queue.failing_since:.3f}",
            )
        queue.failing_since = None
        queue.attempts = 0
        self._pump(queue)

    def _refused(self, queue: ConsumerQueue, batch: list[_Item], reason: str) -> None:
        queue.busy = False
        event(
            log,
            "gridware.wsn.notify.refused",
            logging.WARNING,
            consumer=_url(queue),
            messages=len(batch),
            reason=reason[:200],
        )
        self._pump(queue)

    def _failed(self, queue: ConsumerQueue, batch: list[_Item], reason: str) -> None:
        queue.busy = False
        queue.connection = None
        now = time.monotonic()
        if queue.failing_since is None:
            queue.failing_since = now
        queue.attempts += 1
        failing_for = now - queue.failing_since
        limit = min((r.policy.unreachable_after for r in queue.recipients.values()), default=0.0)
        if failing_for >= limit or not queue.recipients:
            self._give_up(queue, reason, failing_for)
            return
        queue.items.extendleft(reversed(batch))  # first in line again, order kept
        policy = next(iter(queue.recipients.values())).policy
        delay = min(policy.retry_initial * 2 ** (queue.attempts - 1), policy.retry_max)
        delay = min(delay * random.uniform(0.8, 1.2), max(limit - failing_for, 0.0) + 0.01)
        level = logging.WARNING if queue.attempts == 1 else logging.INFO
        event(
            log,
            "gridware.wsn.consumer.retry",
            level,
            consumer=_url(queue),
            attempt=queue.attempts,
            retry_in=f"{delay:.3f}",
            waiting=len(queue.items),
            error=reason[:200],
        )
        queue.retry_call = self.reactor.callLater(delay, self._retry, queue)

    def _retry(self, queue: ConsumerQueue) -> None:
        queue.retry_call = None
        self._pump(queue)

    def _give_up(self, queue: ConsumerQueue, reason: str, failing_for: float) -> None:
        recipients = list(queue.recipients.values())
        event(
            log,
            "gridware.wsn.consumer.unreachable",
            logging.WARNING,
            consumer=_url(queue),
            attempts=queue.attempts,
            failed_for=f"{failing_for:.3f}",
            subscriptions=",".join(r.key for r in recipients) or "-",
            lost=len(queue.items),
            error=reason[:200],
        )
        queue.items.clear()
        queue.recipients.clear()
        self._maybe_forget(queue)
        for r in recipients:
            try:
                r.on_give_up(r.key, f"consumer unreachable for {failing_for:.1f} s: {reason}")
            except Exception:
                log.exception("destroying subscription %s failed", r.key)

    def stop(self) -> None:
        """Stop sending; close the connections (what still waits is lost)."""
        self.stopped = True
        for queue in list(self.queues.values()):
            if queue.retry_call is not None and queue.retry_call.active():
                queue.retry_call.cancel()
            if queue.connection is not None:
                queue.connection.abort()
        self.queues.clear()


def _url(queue: ConsumerQueue) -> str:
    return queue.writer.consumer.address


def _is_soap_fault(reply: Reply) -> bool:
    return "xml" in reply.headers.get("content-type", "").lower() and b"Fault" in reply.body


def _fault_reason(reply: Reply) -> str:
    from gridware.container.soap import parse_envelope

    try:
        msg = parse_envelope(reply.body)
        fault = msg.fault
        if fault is None:
            return f"HTTP {reply.status}"
        texts = [str(t).strip() for t in fault.itertext() if str(t).strip()]
        return "; ".join(texts[:4])[:200] or f"HTTP {reply.status}"
    except Exception:
        return f"HTTP {reply.status} with an unreadable SOAP fault"


async def _with_timeout(
    reactor: Any, d: defer.Deferred[Any], timeout: float, conn: HttpClientProtocol | None = None
) -> Any:
    """``await d``, failing with DeliveryError after ``timeout`` seconds."""
    timed_out = []

    def expire() -> None:
        timed_out.append(True)
        if conn is not None:
            conn.abort()
        d.cancel()

    call = reactor.callLater(timeout, expire)
    try:
        return await d
    except defer.CancelledError:
        raise DeliveryError(f"no reply within {timeout:g} s") from None
    except DeliveryError:
        if timed_out:
            raise DeliveryError(f"no reply within {timeout:g} s") from None
        raise
    finally:
        if call.active():
            call.cancel()


__all__ = ["ConsumerQueue", "Delivery", "DeliveryPolicy", "Recipient"]
