"""Delivery with producer and consumers in separate processes: a consumer that dies
(its subscription is destroyed and the event logged), a consumer that is slow or
hangs (the others and the service's own requests are not held up), bounded queues."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridware.clients.counter import CounterClient
from gridware.clients.wsn import ProducerClient, subscribe
from gridware.clients.wsrf import WsrfClient
from gridware.container import faults
from gridware.container.addressing import EndpointReference
from tests.conftest import ROOT, RunningContainer, start_container
from tests.wsn.conftest import Inbox

CONSUMER = Path(__file__).with_name("consumer_proc.py")
OPTIONS = """
[service.options.notification]
unreachable_after = 2.0
retry_initial = 0.1
timeout = 2.0
"""


@pytest.fixture(scope="module")
def producer(tmp_path_factory) -> Iterator[RunningContainer]:
    tmp = tmp_path_factory.mktemp("wsn-delivery")
    config = tmp / "container.toml"
    config.write_text(
        f"""
[[service]]
name = "CounterService"
class = "gridware.services.samples.counter:CounterService"
{OPTIONS}
[[service]]
name = "gt4/CounterService"
class = "gridware.services.samples.counter:GT4CounterService"
{OPTIONS}
[[service]]
name = "bounded/CounterService"
class = "gridware.services.samples.counter:CounterService"
{OPTIONS}queue_limit = 5
"""
    )
    c = start_container("--config", str(config), "--log-level", "INFO")
    yield c
    c.stop()


class ConsumerProcess:
    """``consumer_proc.py`` in its own process; its output lines are collected."""

    def __init__(self, tmp: Path, epr: EndpointReference, *args: str) -> None:
        self.epr_file = tmp / f"producer-{id(self)}.xml"
        epr.write(self.epr_file)
        self.sub_file = tmp / f"subscription-{id(self)}.xml"
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, str(CONSUMER), str(self.epr_file), str(self.sub_file), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        self.lines: list[str] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for(lambda lines: "ready" in lines, 30)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.strip())
                self._cond.notify_all()

    def wait_for(self, test, timeout: float = 15.0) -> list[str]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not test(self.lines):
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    err = self.proc.stderr.read() if self.proc.poll() is not None else ""
                    raise AssertionError(f"consumer output: {self.lines} {err}")
                self._cond.wait(min(left, 0.2))
            return list(self.lines)

    def values(self) -> list[int]:
        with self._cond:
            return [int(line.split()[1]) for line in self.lines if line.startswith("value ")]

    @property
    def subscription(self) -> EndpointReference:
        return EndpointReference.read(self.sub_file)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


@pytest.fixture
def consumers(tmp_path) -> Iterator[list[ConsumerProcess]]:
    started: list[ConsumerProcess] = []
    yield started
    for c in started:
        c.kill()


def _counter(producer: RunningContainer, service: str) -> CounterClient:
    dialect = "gt4" if service.startswith("gt4") else "wsrf-1.2"
    return CounterClient(CounterClient(producer.url(service), dialect=dialect).create())


@pytest.mark.parametrize("service", ["CounterService", "gt4/CounterService"])
def test_a_consumer_that_dies_loses_its_subscription(producer, consumers, tmp_path, service):
    counter = _counter(producer, service)
    consumer = ConsumerProcess(tmp_path, counter.epr)
    consumers.append(consumer)
    counter.add(1)
    consumer.wait_for(lambda lines: "value 1" in lines)
    subscription = consumer.subscription
    key = subscription.reference_elements[0].text
    start = len(producer.log_lines)
    consumer.kill()
    for _ in range(5):  # the producer keeps serving while deliveries fail
        counter.add(1)
    assert counter.value == 6
    m = producer.wait_for(
        rf"event=gridware\.wsn\.consumer\.unreachable .*subscriptions={key}", 30, start
    )
    assert m is not None, "\n".join(producer.log_lines[start:])
    assert producer.wait_for(
        rf"event=gridware\.wsn\.subscription\.end .*subscription={key}", 10, start
    )
    assert producer.wait_for(r"event=gridware\.wsn\.consumer\.retry .*attempt=1", 1, start)
    with pytest.raises(faults.ResourceUnknownFault):
        WsrfClient(subscription).get_property("CreationTime")
    counter.add(1)  # and goes on producing
    assert counter.value == 7


def test_a_slow_consumer_holds_up_no_one(producer, consumers, tmp_path):
    counter = _counter(producer, "CounterService")
    slow = ConsumerProcess(tmp_path, counter.epr, "--delay", "0.3")
    fast = ConsumerProcess(tmp_path, counter.epr)
    consumers += [slow, fast]
    # and one that accepts connections but never answers
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(5)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(hung.accept()[0]), daemon=True).start()
    try:
        port = hung.getsockname()[1]
        dead_end = EndpointReference(f"http://127.0.0.1:{port}/consumer")
        ProducerClient(counter.epr).subscribe(dead_end, "Value")
        values = [counter.add(1) for _ in range(20)]  # the service answers every request
        assert values == list(range(1, 21))
        fast.wait_for(lambda lines: "value 20" in lines)
        assert fast.values() == list(range(1, 21))
        assert len(slow.values()) < 20  # still busy with its first notifications
        slow.wait_for(lambda lines: "value 20" in lines, 60)
        assert slow.values() == list(range(1, 21))  # late, but all and in order
    finally:
        hung.close()
        for s in accepted:
            s.close()


def test_queues_are_bounded_and_keep_the_newest(producer, consumers, tmp_path):
    counter = _counter(producer, "bounded/CounterService")
    start = len(producer.log_lines)
    slow = ConsumerProcess(tmp_path, counter.epr, "--delay", "0.3", "--batch", "1")
    consumers.append(slow)
    for _ in range(30):
        counter.add(1)
    slow.wait_for(lambda lines: "value 30" in lines, 60)
    got = slow.values()
    assert got[-1] == 30 and len(got) < 30
    assert got == sorted(got)
    assert producer.wait_for(r"event=gridware\.wsn\.queue\.overflow .*limit=5", 5, start)


def test_in_process_listener_and_container_process(producer, listener):
    """The other way round: the consumer here, several subscriptions on one listener."""
    counter = _counter(producer, "gt4/CounterService")
    a, b = Inbox(), Inbox()
    sa = subscribe(counter.epr, "Value", a, listener=listener)
    sb = subscribe(counter.epr, "Value", b, listener=listener, raw=True)
    counter.add(2)
    assert [n.value(int) for n in a.wait(1)] == [2]
    assert [n.value(int) for n in b.wait(1)] == [2] and b.items[0].raw
    sa.cancel()
    sb.cancel()
