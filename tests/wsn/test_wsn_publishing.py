"""When a producer publishes: unit tests of NotificationProducer on a fake reactor and a
fake subscription manager (no sockets)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree
from twisted.internet.task import Clock

from gridware.clients.wsrf import WsrfClient
from gridware.container.service import Outcome
from gridware.container.wsn import producer as producer_module
from gridware.services.samples.counter import CounterService
from tests.wsn.conftest import VALUE


class _Manager:
    """Records what the producer publishes; every resource has a subscriber."""

    def __init__(self) -> None:
        self.published: list[tuple[str | None, list[str], list[str]]] = []

    def subscribers(self, producer: str, key: str | None) -> dict[str, Any]:
        return {"s": object()}

    def publish(self, producer: Any, resource: Any, topic: Any, message: Any) -> int:
        old, new = (
            [el.text for el in message.iter(VALUE) if el.getparent().tag.endswith(part)]
            for part in ("OldValues", "NewValues")
        )
        self.published.append((resource.key, old, new))
        return 1


@pytest.fixture(autouse=True)
def _in_the_reactor_thread(monkeypatch):
    monkeypatch.setattr(producer_module, "isInIOThread", lambda: True)


@pytest.fixture
def producer() -> Iterator[tuple[CounterService, _Manager, Clock]]:
    service = CounterService()
    manager, clock = _Manager(), Clock()
    service.container = type("C", (), {"reactor": clock})()  # type: ignore[assignment]
    service.manager = manager  # type: ignore[assignment]
    yield service, manager, clock
    service.shutdown()  # its observers of Counter.Value go: other tests use that class


def _set_request(service: CounterService, key: str, value: int) -> bytes:
    resource = service.home.get(key)
    client = WsrfClient(service.epr(resource))
    el = etree.Element(VALUE)
    el.text = str(value)
    req = client.soap.prepare(
        client.messages.action("SetResourceProperties"), client.messages.set_properties(update=[el])
    )
    return req.body


def test_a_request_is_answered_before_its_notification_is_published(producer):
    service, manager, clock = producer
    key = service.home.create().key
    outcome = service.process(_set_request(service, key, 7))
    assert isinstance(outcome, Outcome) and outcome.status == 200
    assert manager.published == []  # the reply goes out first
    clock.advance(0)
    assert manager.published == [(key, ["0"], ["7"])]


def test_each_request_gets_its_own_notification_even_when_published_together(producer):
    service, manager, clock = producer
    key = service.home.create().key
    for value in (1, 2, 2, 3):  # the second 2 changes nothing
        service.process(_set_request(service, key, value))
    clock.advance(0)
    assert manager.published == [(key, ["0"], ["1"]), (key, ["1"], ["2"]), (key, ["2"], ["3"])]


def test_pending_notifications_go_before_a_termination(producer):
    service, manager, clock = producer
    key = service.home.create().key
    service.process(_set_request(service, key, 5))
    order: list[str] = []
    manager_publish = manager.publish

    def publish(producer: Any, resource: Any, topic: Any, message: Any) -> int:
        order.append(etree.QName(message).localname)
        return manager_publish(producer, resource, topic, message)

    manager.publish = publish  # type: ignore[method-assign]
    manager.producer_gone = lambda producer, key: None  # type: ignore[attr-defined]
    service.home.destroy(key)
    assert order[0] == "ResourcePropertyValueChangeNotification"
    assert order[1:] == ["TerminationNotification"]
    clock.advance(0)
    assert len(order) == 2  # published once
