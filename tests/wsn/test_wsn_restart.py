"""Subscriptions of persistent producers survive a container restart (a kill -9): their
filters, paused state and lifetimes come back and delivery resumes."""

from __future__ import annotations

import signal
import socket
import time

import pytest

from gridware.clients.counter import CounterClient
from gridware.clients.wsn import SubscriptionClient, subscribe
from gridware.clients.wsrf import WsrfClient
from gridware.container import faults
from tests.conftest import start_container
from tests.wsn.conftest import COUNTER_NS, DIALECTS, Inbox


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("setup", DIALECTS)
def test_subscriptions_survive_kill_9(tmp_path, listener, setup):
    service, dialect = setup
    port = str(_free_port())
    args = ("--demo", "--state-dir", str(tmp_path), "--port", port)
    first = start_container(*args)
    plain, filtered, paused, doomed = Inbox(), Inbox(), Inbox(), Inbox()
    try:
        counter = CounterClient(CounterClient(first.url(service), dialect=dialect).create())
        rp = counter.dialect.rp
        plural = "s" if dialect == "wsrf-1.2" else ""
        subs = [
            subscribe(counter.epr, "Value", plain, listener=listener),
            subscribe(
                counter.epr,
                "c:*",
                filtered,
                listener=listener,
                topic_dialect="full",
                message_content=f"/*/rp:NewValue{plural}/c:Value mod 2 = 0",
                namespaces={"c": COUNTER_NS, "rp": rp},
            ),
            subscribe(counter.epr, "Value", paused, listener=listener),
            subscribe(counter.epr, "Value", doomed, listener=listener, termination=600),
        ]
        subs[2].pause()
        subs[3].renew(1)  # expires while the container is down
        counter.add(1)
        plain.wait(1)
        first.stop(signal.SIGKILL)
        second = start_container(*args)
        try:
            assert second.wait_for(r"event=gridware\.wsn\.subscriptions\.rearmed .*subscriptions=3")
            counter.add(1)
            counter.add(1)
            assert [n.value(int) for n in plain.wait(3)] == [1, 2, 3]
            assert [n.value(int) for n in filtered.wait(1)] == [2]
            assert paused.quiet(0.3) == []
            SubscriptionClient(subs[2].epr).resume()
            counter.add(1)
            assert [n.value(int) for n in paused.wait(1)] == [4]
            deadline = time.monotonic() + 15  # expired while down: the sweeper ends it
            while time.monotonic() < deadline:
                try:
                    WsrfClient(subs[3].epr).get_property("CreationTime")
                except faults.ResourceUnknownFault:
                    break
                time.sleep(0.2)
            else:
                pytest.fail("the expired subscription came back")
            assert [n.value(int) for n in doomed.items] in ([], [1])  # before the restart
            for s in subs[:3]:
                s.cancel()
        finally:
            second.stop()
    finally:
        first.stop(signal.SIGKILL)
