"""Persistent services in a real ``gridware container`` process: restarts, kill -9, bad input.

On SQLite (a state directory) and on a PostgreSQL cluster of our own.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from gridware.clients.counter import CounterClient
from gridware.clients.wsn import SubscriptionClient, subscribe
from gridware.clients.wsrf import WsrfClient
from gridware.container.addressing import EndpointReference
from gridware.container.client import SoapClient
from gridware.container.faults import ResourceUnknownFault
from gridware.container.persistence import SCHEMA_VERSION, ResourceStore, schema_versions
from gridware.container.wsn import NotificationListener
from gridware.container.wsn.producer import MANAGER_NAMES
from tests.conftest import COUNTER_NS, ROOT, RunningContainer, start_container
from tests.persistence.journal_service import NS as JOURNAL_NS
from tests.wsn.conftest import Inbox

VALUE = f"{{{COUNTER_NS}}}Value"
COUNTERS = ("CounterService", "gt4/CounterService")


def service_client(url: str) -> CounterClient:
    return CounterClient(url, dialect="gt4" if "/gt4/" in url else "wsrf-1.2")


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    """The command-line options that say where the container keeps its resources
    (and a port, the same after a restart: endpoint references name it)."""
    port = ["--port", str(_free_port())]
    if request.param == "sqlite":
        return ["--state-dir", str(tmp_path / "state"), *port]
    return ["--database", request.getfixturevalue("pg_url"), *port]


def restarted(*args: str, env: dict[str, str] | None = None) -> RunningContainer:
    """A container started again on the same port (which it has just left)."""
    c = start_container(*args, env=env)
    assert c.wait_for(r"event=gridware\.persistence\.recover ", 10)
    return c


def termination_time(epr: EndpointReference) -> datetime | None:
    client = WsrfClient(epr)
    return client.get_value(f"{{{client.dialect.rl}}}TerminationTime", "dateTime")  # type: ignore[no-any-return]


def value(epr: EndpointReference) -> int:
    return int(WsrfClient(epr).get_value(VALUE, int))


def gone(epr: EndpointReference) -> bool:
    try:
        value(epr)
    except ResourceUnknownFault:
        return True
    return False


def test_the_demo_counters_survive_a_restart(where):
    c = start_container("--demo", *where)
    state: dict[str, dict[str, EndpointReference]] = {}
    expected_tt: dict[str, datetime | None] = {}
    try:
        for service in COUNTERS:
            eprs = {n: service_client(c.url(service)).create() for n in ("added", "set", "gone")}
            state[service] = eprs
            CounterClient(eprs["added"]).add(5)
            assert CounterClient(eprs["added"]).add(7) == 12
            WsrfClient(eprs["set"]).update_property(VALUE, 42)
            expected_tt[service], _ = WsrfClient(eprs["added"]).set_termination_time(
                timedelta(hours=1)
            )
            WsrfClient(eprs["gone"]).destroy()
    finally:
        assert c.stop() == 0
    c = restarted("--demo", *where)
    try:
        assert c.wait_for(
            r"event=gridware\.persistence\.recover .*service=CounterService "
            r"resources=2 scheduled=1",
            10,
        )
        for service in COUNTERS:
            eprs = state[service]
            assert value(eprs["added"]) == 12
            assert value(eprs["set"]) == 42
            assert termination_time(eprs["added"]) == expected_tt[service]
            assert termination_time(eprs["set"]) is None
            assert gone(eprs["gone"])
            assert CounterClient(eprs["added"]).add(1) == 13  # and it goes on
            assert value(eprs["added"]) == 13
        assert not any("Traceback" in line for line in c.log_lines)
    finally:
        assert c.stop() == 0


@dataclass
class Worker:
    """Works on its own counters and records what the container acknowledged."""

    url: str
    counters: list[EndpointReference]
    acked: dict[int, int] = field(default_factory=dict)  # counter -> value the reply said
    pending: dict[int, int] = field(default_factory=dict)  # counter -> value if in flight
    tt_acked: dict[int, datetime | None] = field(default_factory=dict)
    tt_pending: dict[int, datetime | None] = field(default_factory=dict)
    created: list[EndpointReference] = field(default_factory=list)
    destroyed: list[EndpointReference] = field(default_factory=list)
    maybe_destroyed: list[EndpointReference] = field(default_factory=list)
    ops: int = 0
    stopped: str = ""

    def run(self, seed: int) -> None:
        rnd = random.Random(seed)
        try:
            while True:
                i = rnd.randrange(len(self.counters))
                epr = self.counters[i]
                choice = rnd.random()
                if choice < 0.75:
                    n = rnd.randint(1, 9)
                    self.pending[i] = self.acked.get(i, 0) + n
                    got = CounterClient(epr).add(n)
                    assert got == self.pending.pop(i)
                    self.acked[i] = got
                elif choice < 0.9:
                    when = datetime.now(UTC) + timedelta(hours=1, seconds=rnd.randint(0, 3600))
                    self.tt_pending[i] = when
                    new, _ = WsrfClient(epr).set_termination_time(when)
                    del self.tt_pending[i]
                    self.tt_acked[i] = new
                elif choice < 0.97:
                    self.created.append(service_client(self.url).create())
                elif self.created:
                    victim = self.created.pop()
                    self.maybe_destroyed.append(victim)
                    WsrfClient(victim).destroy()
                    self.maybe_destroyed.remove(victim)
                    self.destroyed.append(victim)
                self.ops += 1
        except AssertionError as exc:
            self.stopped = f"wrong reply: {exc}"
        except Exception as exc:  # the container was killed: this request's fate is unknown
            self.stopped = type(exc).__name__

    def check(self) -> None:
        for i, epr in enumerate(self.counters):
            got = value(epr)
            allowed = {self.acked.get(i, 0)}
            if i in self.pending:
                allowed.add(self.pending[i])
            assert got in allowed, (epr.address, got, allowed)
            tt = termination_time(epr)
            allowed_tt = {self.tt_acked.get(i)}
            if i in self.tt_pending:
                allowed_tt.add(self.tt_pending[i])
            assert tt in allowed_tt, (tt, allowed_tt)
        for epr in self.created:
            if epr not in self.maybe_destroyed:
                assert value(epr) == 0
        for epr in self.destroyed:
            assert gone(epr)


def test_kill_9_in_the_middle_of_work_loses_nothing_acknowledged(where, listener):
    c = start_container("--demo", *where)
    workers = []
    threads = []
    watched: dict[str, tuple[CounterClient, Inbox, Inbox, SubscriptionClient]] = {}
    try:
        for service in COUNTERS:  # subscriptions, on counters of their own
            counter = CounterClient(service_client(c.url(service)).create())
            plain, paused = Inbox(), Inbox()
            subscribe(counter.epr, "Value", plain, listener=listener)
            pausing = subscribe(counter.epr, "Value", paused, listener=listener)
            pausing.pause()
            counter.add(1)
            assert [n.value(int) for n in plain.wait(1)] == [1]
            watched[service] = (counter, plain, paused, pausing)
        for service in COUNTERS * 2:
            service_url = c.url(service)
            eprs = [service_client(service_url).create() for _ in range(3)]
            workers.append(Worker(service_url, eprs))
        for n, w in enumerate(workers):
            t = threading.Thread(target=w.run, args=(n,), daemon=True)
            threads.append(t)
            t.start()
        deadline = time.monotonic() + 60
        while min(w.ops for w in workers) < 15 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert min(w.ops for w in workers) >= 15, [w.stopped for w in workers]
        c.proc.kill()  # SIGKILL while every worker has a request on the way
    finally:
        c.stop(signal.SIGKILL)
        for t in threads:
            t.join(30)
    assert all(w.stopped and not w.stopped.startswith("wrong") for w in workers), [
        w.stopped for w in workers
    ]
    assert c.proc.returncode == -signal.SIGKILL

    c = restarted("--demo", *where)
    try:
        for w in workers:
            w.check()
        total = sum(w.ops for w in workers)
        assert total >= 60
        for service, (counter, plain, paused, pausing) in watched.items():
            manager = MANAGER_NAMES["gt4" if service.startswith("gt4/") else "wsrf-1.2"]
            assert c.wait_for(
                rf"event=gridware\.wsn\.subscriptions\.rearmed .*manager={manager} subscriptions=2",
                10,
            ), [line for line in c.log_lines if "wsn" in line or "Subscription" in line]
            assert counter.add(1) == 2
            assert [n.value(int) for n in plain.wait(2)] == [1, 2]  # delivery goes on
            assert paused.quiet(0.3) == []  # still paused
            pausing.resume()
            counter.add(1)
            assert [n.value(int) for n in paused.wait(1)] == [3]
    finally:
        assert c.stop() == 0


@pytest.fixture(scope="module")
def listener() -> Iterator[NotificationListener]:
    """Where the tests' subscriptions deliver (a consumer endpoint in this process)."""
    with NotificationListener() as lst:
        yield lst


def test_termination_times_are_rescheduled_after_a_restart(where):
    c = start_container("--demo", *where)
    try:
        url = c.url("CounterService")
        before, after, kept = (CounterClient(url).create() for _ in range(3))
        now = datetime.now(UTC)
        WsrfClient(kept).set_termination_time(now + timedelta(hours=1))
        WsrfClient(after).set_termination_time(now + timedelta(seconds=14))
        WsrfClient(before).set_termination_time(now + timedelta(seconds=4))
    finally:
        assert c.stop() == 0
    assert not any("event=gridware.container.sweep" in line for line in c.log_lines)
    while datetime.now(UTC) < now + timedelta(seconds=5):  # expires while the container is down
        time.sleep(0.2)
    c = restarted("--demo", *where)
    try:
        assert c.wait_for(r"service=CounterService resources=3 scheduled=3", 10)
        if datetime.now(UTC) < now + timedelta(seconds=12):  # (a slow machine skips this)
            assert value(after) == 0  # not yet due
        assert poll(lambda: gone(before), 10)
        assert poll(lambda: gone(after), 30)
        assert datetime.now(UTC) >= now + timedelta(seconds=14)
        assert value(kept) == 0
    finally:
        assert c.stop() == 0


def poll(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _call(url: str | EndpointReference, op: str, **params: str) -> etree._Element:
    body = etree.Element(f"{{{JOURNAL_NS}}}{op}")
    for name, text in params.items():
        etree.SubElement(body, f"{{{JOURNAL_NS}}}{name}").text = text
    return SoapClient(url).call(f"{JOURNAL_NS}/JournalServicePortType/{op}Request", body)


def test_a_configured_service_is_persistent_and_another_is_not(tmp_path):
    cfg = tmp_path / "container.toml"
    cfg.write_text(
        f"""
[container]
state_dir = "{tmp_path / "state"}"
sqlite_synchronous = "normal"

[[service]]
name = "Journal"
class = "tests.persistence.journal_service:JournalService"
persistent = true

[[service]]
name = "Scratch"
class = "tests.persistence.journal_service:JournalService"
"""
    )
    port = str(_free_port())
    c = start_container("--config", str(cfg), "--port", port)
    try:
        kept = EndpointReference.from_element(_call(c.url("Journal"), "create", title="kept")[0])
        lost = EndpointReference.from_element(_call(c.url("Scratch"), "create", title="lost")[0])
        for line in ("one", "two"):
            _call(kept, "write", line=line)
            _call(lost, "write", line=line)
    finally:
        assert c.stop() == 0
    assert (tmp_path / "state" / "resources.sqlite3").exists()
    c = restarted("--config", str(cfg), "--port", port)
    try:
        doc = WsrfClient(kept).document()
        assert [e.text for e in doc.iter(f"{{{JOURNAL_NS}}}Line")] == ["one", "two"]
        assert doc.findtext(f"{{{JOURNAL_NS}}}Title") == "kept"
        assert _call(kept, "history").text == "w1;w2;"  # a persistent attribute
        with pytest.raises(ResourceUnknownFault):
            WsrfClient(lost).document()
    finally:
        assert c.stop() == 0


def test_the_default_state_directory_is_per_user(tmp_path):
    env = {"XDG_STATE_HOME": str(tmp_path / "xdg")}
    port = str(_free_port())
    c = start_container("--demo", "--port", port, env=env)
    try:
        epr = CounterClient(c.url("CounterService")).create()
        CounterClient(epr).add(3)
    finally:
        assert c.stop() == 0
    assert (tmp_path / "xdg" / "gridware" / "resources.sqlite3").exists()
    assert (tmp_path / "xdg" / "gridware").stat().st_mode & 0o777 == 0o700
    c = restarted("--demo", "--port", port, env=env)
    try:
        assert value(epr) == 3
    finally:
        assert c.stop() == 0


# -- refusals: one line, non-zero exit, no traceback ------------------------------------------


def refused(*args: str, env: dict[str, str] | None = None, prefix: tuple[str, ...] = ()) -> str:
    full_env = dict(os.environ)
    full_env.update(env or {})
    r = subprocess.run(
        [*prefix, sys.executable, "-m", "gridware", "container", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=full_env,
    )
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("gridware: error: ")
    return lines[0]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_database_is_refused():
    url = f"postgresql://gridware@127.0.0.1:{_free_port()}/gridware"
    line = refused("--demo", "--database", url)
    assert f"cannot use the database {url}" in line and "refused" in line.lower()


def test_an_unsupported_database_url_is_refused():
    assert "unsupported database mysql://" in refused("--demo", "--database", "mysql://h/db")
    assert "is not a database URL" in refused("--demo", "--database", "no url")


def test_a_state_directory_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    assert "is not a directory" in refused("--demo", "--state-dir", str(f))
    assert "Not a directory" in refused("--demo", "--state-dir", str(f / "sub"))


def test_an_unwritable_state_directory_is_refused():
    base = Path(tempfile.mkdtemp(prefix="gridware-test-ro-", dir="/tmp"))
    base.chmod(0o755)
    locked = base / "locked"
    locked.mkdir()
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:  # root writes anywhere: be nobody, as an admin's container is
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to run the container as nobody"
        prefix = (setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups")
        locked.chmod(0o755)
    else:
        locked.chmod(0o555)
    try:
        env = {"HOME": str(base)}
        line = refused("--demo", "--state-dir", str(locked / "state"), prefix=prefix, env=env)
        assert f"cannot create state directory {locked / 'state'}: Permission denied" in line
        line = refused("--demo", "--state-dir", str(locked), prefix=prefix, env=env)
        assert f"state directory {locked} is not writable" in line
    finally:
        locked.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_a_database_that_is_not_one_is_refused(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "resources.sqlite3").write_bytes(b"not a database at all" * 100)
    line = refused("--demo", "--state-dir", str(state))
    assert f"database {state / 'resources.sqlite3'}: file is not a database" in line


def test_a_newer_schema_version_is_refused(where):
    store = (
        ResourceStore.open(where[1])
        if where[0] == "--database"
        else ResourceStore.open(state_dir=where[1])
    )
    with store.engine.begin() as conn:
        conn.execute(schema_versions.insert().values(version=99, description="x", applied_at=0))
    store.close()
    line = refused("--demo", *where)
    assert f"schema version 99, newer than this gridware supports ({SCHEMA_VERSION})" in line


def test_a_second_container_on_the_same_state_is_refused(where):
    c = start_container("--demo", *where)
    try:
        line = refused("--demo", *where)
        assert "in use by another container" in line
        if where[0] == "--state-dir":
            assert f"(pid {c.proc.pid})" in line
    finally:
        assert c.stop() == 0
    c = restarted("--demo", *where)  # free again
    assert c.stop() == 0


def test_persistence_settings_are_checked(tmp_path):
    cfg = tmp_path / "c.toml"
    journal = 'class = "tests.persistence.journal_service:JournalService"'
    cfg.write_text(f'[[service]]\n{journal}\npersistent = "yes"\n')
    assert "persistent must be true or false" in refused("--config", str(cfg))
    cfg.write_text(
        '[[service]]\nclass = "tests.persistence.journal_service:EchoService"\npersistent = true\n'
    )
    assert "EchoService has no resources: it cannot be persistent" in refused("--config", str(cfg))
    cfg.write_text(f'[container]\nsqlite_synchronous = "sometimes"\n[[service]]\n{journal}\n')
    assert 'sqlite_synchronous must be "full" or "normal"' in refused("--config", str(cfg))
    cfg.write_text(f"[container]\nstate_dir = 7\n[[service]]\n{journal}\n")
    assert "container.state_dir has the wrong type" in refused("--config", str(cfg))


def test_a_subscription_manager_in_use_elsewhere_is_refused(pg_url, tmp_path):
    first = start_container("--demo", "--database", pg_url)
    try:
        cfg = tmp_path / "c.toml"
        cfg.write_text(
            '[[service]]\nname = "OtherCounters"\n'
            'class = "gridware.services.samples:CounterService"\npersistent = true\n'
        )
        line = refused("--config", str(cfg), "--database", pg_url)
        assert "service SubscriptionManagerService in database" in line
        assert "in use by another container" in line
    finally:
        assert first.stop() == 0
