"""``gridware wsn``: subscribe from the command line and print each message, manage
subscriptions, one-line errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from gridware.clients.wsn import SubscriptionClient
from gridware.container import faults
from gridware.container.addressing import EndpointReference
from tests.conftest import ROOT
from tests.wsn.conftest import COUNTER_NS, DIALECTS, new_counter


def gridware(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridware", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


class Running:
    """A ``gridware wsn subscribe`` process whose output lines are collected."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gridware", "wsn", "subscribe", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._out, daemon=True).start()
        threading.Thread(target=self._err, daemon=True).start()

    def _out(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def _err(self) -> None:
        assert self.proc.stderr is not None
        self.stderr = []
        for line in self.proc.stderr:
            self.stderr.append(line)
            if line.startswith("subscribed"):
                self.ready.set()

    def wait_lines(self, n: int, timeout: float = 20) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.lines) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.lines


@pytest.mark.parametrize("setup", DIALECTS)
def test_subscribe_prints_each_message_and_unsubscribes(demo, tmp_path, setup):
    service, dialect = setup
    counter = new_counter(demo, service, dialect)
    epr = tmp_path / "counter.epr"
    counter.epr.write(epr)
    sub_file = tmp_path / "sub.epr"
    run = Running("-e", str(epr), "Value", "--count", "2", "-o", str(sub_file))
    assert run.ready.wait(30), run.stderr
    counter.add(5)
    counter.add(2)
    assert run.proc.wait(30) == 0
    assert run.lines == ["Value 0 -> 5", "Value 5 -> 7"]
    with pytest.raises(faults.ResourceUnknownFault):  # unsubscribed on the way out
        SubscriptionClient(EndpointReference.read(sub_file)).get_property("CreationTime")


def test_full_expressions_xml_and_termination(demo, tmp_path):
    counter = new_counter(demo, "CounterService", "wsrf-1.2")
    epr = tmp_path / "counter.epr"
    counter.epr.write(epr)
    run = Running(
        "-e",
        str(epr),
        "c:*|wsrl:*",
        "--topic-dialect",
        "full",
        "-n",
        f"c={COUNTER_NS}",
        "-n",
        "wsrl=http://docs.oasis-open.org/wsrf/rl-2",
        "--xml",
    )
    assert run.ready.wait(30), run.stderr
    counter.add(3)
    counter.destroy()
    assert run.proc.wait(30) == 0  # the producer's termination ends the command
    out = "\n".join(run.lines)
    assert "ResourcePropertyValueChangeNotification" in out and ">3<" in out
    assert "ResourceTermination" in out and "TerminationNotification" in out


def test_interrupt_unsubscribes(demo, tmp_path):
    counter = new_counter(demo, "gt4/CounterService", "gt4")
    epr = tmp_path / "counter.epr"
    counter.epr.write(epr)
    sub_file = tmp_path / "sub.epr"
    run = Running("-e", str(epr), "Value", "-o", str(sub_file))
    assert run.ready.wait(30), run.stderr
    counter.add(1)
    assert run.wait_lines(1) == ["Value 0 -> 1"]
    run.proc.send_signal(signal.SIGINT)
    assert run.proc.wait(30) == 0
    with pytest.raises(faults.ResourceUnknownFault):
        SubscriptionClient(EndpointReference.read(sub_file)).get_property("CreationTime")


def test_manage_a_kept_subscription(demo, tmp_path):
    counter = new_counter(demo, "CounterService", "wsrf-1.2")
    epr = tmp_path / "counter.epr"
    counter.epr.write(epr)
    sub_file = tmp_path / "sub.epr"
    run = Running("-e", str(epr), "Value", "--count", "1", "--keep", "-o", str(sub_file))
    assert run.ready.wait(30), run.stderr
    counter.add(1)
    assert run.proc.wait(30) == 0
    for action in ("pause", "resume"):
        r = gridware("wsn", action, "-e", str(sub_file))
        assert r.returncode == 0, r.stderr
    r = gridware("wsn", "renew", "-e", str(sub_file), "600")
    assert r.returncode == 0 and r.stdout.startswith("termination time: 20"), r.stderr
    r = gridware("wsn", "renew", "-e", str(sub_file), "infinity")
    assert r.stdout.strip() == "termination time: infinity"
    r = gridware("wsn", "unsubscribe", "-e", str(sub_file))
    assert r.returncode == 0, r.stderr
    r = gridware("wsn", "pause", "-e", str(sub_file))
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert "ResourceUnknownFault" in r.stderr and "Traceback" not in r.stderr


def test_topics_and_current_message(demo, tmp_path):
    counter = new_counter(demo, "CounterService", "wsrf-1.2")
    counter.add(9)
    epr = tmp_path / "counter.epr"
    counter.epr.write(epr)
    r = gridware("wsn", "topics", "-e", str(epr))
    assert r.stdout.split() == [
        f"{{{COUNTER_NS}}}Value",
        "{http://docs.oasis-open.org/wsrf/rl-2}ResourceTermination",
    ]
    r = gridware("wsn", "get-current-message", "-e", str(epr), "Value")
    assert r.returncode == 0 and ">9</" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Nope"], "no topic 'Nope'"),
        (["c:Nope", "-n", f"c={COUNTER_NS}"], "TopicNotSupportedFault"),
        (["x:Value"], "unknown prefix 'x'"),
        (
            ["c:Value/*", "--topic-dialect", "concrete", "-n", f"c={COUNTER_NS}"],
            "InvalidTopicExpressionFault",
        ),
        (["Value", "--message-content", "/*["], "InvalidMessageContentExpressionFault"),
        (["Value", "--termination", "yesterday"], "give seconds from now"),
    ],
)
def test_bad_subscriptions_are_one_line_errors(demo, tmp_path, args, message):
    counter = new_counter(demo, "CounterService", "wsrf-1.2")
    epr = tmp_path / "counter.epr"
    counter.epr.write(epr)
    r = gridware("wsn", "subscribe", "-e", str(epr), *args)
    assert r.returncode in (1, 2)
    assert message in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0, r.stderr
