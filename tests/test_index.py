"""The container's default index end to end: services and counters register themselves,
XPath answers "which services run here" and "which counters have Value > 10", remote
members are polled (and marked, then dropped, when they stop answering), in both
dialect sets, from Python and from ``gridware index``.

Container ``main`` runs the demo services with a fast-polling default index and a
second, GT4, index; container ``remote`` provides members in another process.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from lxml import etree

from gridware.clients.counter import CounterClient
from gridware.clients.servicegroup import IndexClient
from gridware.clients.wsrf import WsrfClient
from gridware.container import faults, ns
from gridware.container.addressing import EndpointReference
from gridware.container.dialects import GT4, WSRF_1_2
from gridware.container.index import AGG, GWI, aggregator_content
from tests.conftest import COUNTER_NS, ROOT, RunningContainer, start_container
from tests.helpers import get

VALUE = f"{{{COUNTER_NS}}}Value"
C = {"c": COUNTER_NS}
OVER_10 = (
    "//wssg:Entry[wssg:Content/agg:AggregatorData/c:CounterResourceProperties/c:Value > 10]"
    "/wssg:MemberServiceEPR"
)

CONFIG = """
[container]
sweep_interval = 0.2

[[service]]
name = "DefaultIndexService"
class = "gridware.container.index:DefaultIndexService"
[service.options]
min_interval = 0.1
timeout = 2.0
drop_after = 2

[[service]]
name = "gt4/Index"
class = "gridware.container.index:GT4DefaultIndexService"
[service.options]
min_interval = 0.1
timeout = 30.0
drop_after = 2
"""


@pytest.fixture(scope="module")
def main(tmp_path_factory) -> Iterator[RunningContainer]:
    config = tmp_path_factory.mktemp("index") / "container.toml"
    config.write_text(CONFIG)
    c = start_container("--demo", "--config", str(config))
    yield c
    c.stop()


@pytest.fixture(scope="module")
def remote() -> Iterator[RunningContainer]:
    c = start_container("--demo")
    yield c
    c.stop()


def _index(c: RunningContainer, name: str = "DefaultIndexService", dialect: str = "wsrf-1.2"):
    return IndexClient(c.url(name), dialect=dialect)


def _counter(c: RunningContainer, value: int, service: str = "CounterService") -> CounterClient:
    dialect = "gt4" if service.startswith("gt4") else "wsrf-1.2"
    counter = CounterClient(CounterClient(c.url(service), dialect=dialect).create())
    if value:
        counter.add(value)
    return counter


def _keys(eprs) -> set[str]:
    out = set()
    for el in eprs if isinstance(eprs, list) else []:
        epr = EndpointReference.from_element(el)
        out.add(epr.reference(f"{{{COUNTER_NS}}}CounterKey"))
    return out


def _key(counter: CounterClient) -> str:
    return counter.epr.reference(f"{{{COUNTER_NS}}}CounterKey")


def _eventually(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def _entry(index: IndexClient, member: EndpointReference):
    """The index entry of a member (same address and reference values)."""
    wanted = [(el.text or "").strip() for el in member.reference_elements]
    for e in index.entries():
        if e.member is None or e.member.address != member.address:
            continue
        if [(el.text or "").strip() for el in e.member.reference_elements] == wanted:
            return e
    return None


def _value(index: IndexClient, member: EndpointReference) -> str | None:
    e = _entry(index, member)
    if e is None:
        return None
    found = e.content.find(f".//{VALUE}")
    return None if found is None else found.text


def _status(index: IndexClient, member: EndpointReference) -> etree._Element | None:
    e = _entry(index, member)
    return None if e is None else e.content.find(f"{{{GWI}}}Status")


def gridware(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridware", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the two questions ---------------------------------------------------------------------------


def test_which_services_run_here(main):
    names = _index(main).services()
    for expected in (
        "CounterService",
        "VersionService",
        "gt4/CounterService",
        "gt4/VersionService",
    ):
        assert expected in names
    # the index does not list itself, nor the services of entries
    assert "DefaultIndexService" not in names
    assert not [n for n in names if n.endswith("Entry")]
    r = gridware(
        "index", "query", "--url", main.url("DefaultIndexService"), "//gwi:Service/gwi:Name", "-t"
    )
    assert r.returncode == 0, r.stderr
    assert set(r.stdout.split()) == set(names)
    # a singleton's entry carries its property document too
    version = _entry(_index(main), EndpointReference(main.url("VersionService")))
    assert version is not None
    assert version.content.find(".//{http://gridware.org/samples/version}Version") is not None


def test_which_counters_have_value_over_10_follows_their_values(main):
    index = _index(main)
    low, mid, high = _counter(main, 5), _counter(main, 11), _counter(main, 20)
    gt4 = _counter(main, 30, "gt4/CounterService")
    mine = {_key(c) for c in (low, mid, high, gt4)}
    found = _keys(index.query(OVER_10, C)) & mine
    assert found == {_key(mid), _key(high), _key(gt4)}
    # entries are refreshed from the members' properties: a change shows at once
    low.update_property("Value", 50)
    high.update_property("Value", 3)
    assert _keys(index.query(OVER_10, C)) & mine == {_key(low), _key(mid), _key(gt4)}
    # a destroyed counter leaves the index
    before = int(float(index.query("count(//wssg:Entry)")))
    mid.destroy()
    assert _keys(index.query(OVER_10, C)) & mine == {_key(low), _key(gt4)}
    assert int(float(index.query("count(//wssg:Entry)"))) == before - 1
    # from the command line
    r = gridware(
        "index",
        "query",
        "--url",
        main.url("DefaultIndexService"),
        "-n",
        f"c={COUNTER_NS}",
        OVER_10 + "/wsa:ReferenceParameters/c:CounterKey",
        "-t",
    )
    assert r.returncode == 0, r.stderr
    # (member EPRs are written in the index's WS-Addressing version: the GT4 counter's
    # reference property is a reference parameter here)
    assert set(r.stdout.split()) & mine == {_key(low), _key(gt4)}
    for c in (low, high, gt4):
        c.destroy()


def test_index_list_prints_one_line_per_entry(main):
    counter = _counter(main, 1)
    r = gridware("index", "list", "--url", main.url("DefaultIndexService"))
    assert r.returncode == 0, r.stderr
    assert "service CounterService (wsrf-1.2," in r.stdout
    assert f"CounterKey={_key(counter)}  CounterResourceProperties" in r.stdout
    assert r.stderr.strip().endswith("entries")
    counter.destroy()


# -- remote members ------------------------------------------------------------------------------


def test_a_remote_member_is_polled_and_refreshed(main, remote, tmp_path):
    index = _index(main)
    counter = _counter(remote, 7)
    counter.epr.write(tmp_path / "remote.epr")
    r = gridware(
        "index",
        "add",
        "--url",
        main.url("DefaultIndexService"),
        "-e",
        str(tmp_path / "remote.epr"),
        "--interval",
        "0.2",
        "-o",
        str(tmp_path / "entry.epr"),
    )
    assert r.returncode == 0, r.stderr
    assert _eventually(lambda: _value(index, counter.epr) == "7")
    status = _status(index, counter.epr)
    assert status is not None and status.get("reachable") == "true"
    assert _key(counter) not in _keys(index.query(OVER_10, C))
    counter.update_property("Value", 42)
    assert _eventually(lambda: _value(index, counter.epr) == "42")
    assert _key(counter) in _keys(index.query(OVER_10, C))
    listed = gridware("index", "list", "--url", main.url("DefaultIndexService")).stdout
    assert "polls GetResourcePropertyDocument every 0.2 s; reachable" in listed
    # removal by destroying the entry
    r = gridware("index", "remove", "-e", str(tmp_path / "entry.epr"))
    assert r.returncode == 0, r.stderr
    assert _entry(index, counter.epr) is None
    counter.destroy()


def test_a_destroyed_remote_member_leaves_the_index(main, remote):
    index = _index(main)
    counter = _counter(remote, 12)
    index.register(counter.epr, interval=0.2, properties=[VALUE])
    assert _eventually(lambda: _value(index, counter.epr) == "12")
    e = _entry(index, counter.epr)
    data = e.data()
    assert [d.tag for d in data] == [VALUE]  # only the property asked for
    counter.destroy()  # the next poll gets ResourceUnknownFault: the entry goes
    assert _eventually(lambda: _entry(index, counter.epr) is None)
    assert main.wait_for(r"event=gridware.servicegroup.drop .*reason=.*destroyed", 5)


def test_an_unreachable_member_is_marked_then_dropped(main):
    index = _index(main)
    member = EndpointReference(f"http://127.0.0.1:{_closed_port()}/wsrf/services/Gone")
    index.register(member, interval=0.3)
    assert (
        _eventually(
            lambda: (s := _status(index, member)) is not None and s.get("reachable") == "false"
        )
        or _entry(index, member) is None
    )
    assert _eventually(lambda: _entry(index, member) is None)  # drop_after = 2
    assert main.wait_for(r"event=gridware.index.unreachable .*failures=1", 5)
    assert main.wait_for(r"event=gridware.servicegroup.drop .*unreachable 2 times", 5)


def test_a_silent_member_never_blocks_the_index(main):
    """A member that accepts connections and never answers: the GT4 index waits 30 s for
    it, and meanwhile answers every request."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel completes handshakes; nobody ever reads
    try:
        member = EndpointReference(
            f"http://127.0.0.1:{silent.getsockname()[1]}/wsrf/services/Silent",
            version=GT4.addressing,
        )
        gt4 = _index(main, "gt4/Index", "gt4")
        added = gt4.register(member, interval=0.1)
        quick = IndexClient(main.url("gt4/Index"), dialect="gt4", transport=_quick())
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # the poll hangs all along
            assert _entry(quick, member) is not None
            assert _index(main).services()
        status = _status(gt4, member)
        assert status is not None and status.get("reachable") == "unknown"
        WsrfClient(added.entry).destroy()  # cancels the poll in flight
        assert _entry(gt4, member) is None
    finally:
        silent.close()


def _quick():
    from gridware.container.client import HttpTransport

    return HttpTransport(timeout=10)


def test_a_gt4_index_polls_gt4_and_wsrf_members(main, remote):
    gt4 = _index(main, "gt4/Index", "gt4")
    assert gt4.namespaces["wssg"] == ns.GT4_SG
    g = _counter(remote, 15, "gt4/CounterService")
    w = _counter(remote, 2, "CounterService")
    gt4.register(g.epr, interval=0.2)  # the whole document, through the query /*
    # a WSRF 1.2 member whose EPR came in the GT4 WS-Addressing version: the index first
    # speaks GT4 to it, is told the action is not supported, and switches
    gt4.register(w.epr.with_version(GT4.addressing), interval=0.2, properties=[VALUE])
    assert _eventually(lambda: _value(gt4, g.epr) == "15" and _value(gt4, w.epr) == "2"), [
        etree.tostring(e.content) for e in gt4.entries()
    ]
    assert _keys(gt4.query(OVER_10, C)) == {_key(g)}
    w.add(20)
    assert _eventually(lambda: _value(gt4, w.epr) == "22")
    # w's data is the Value property alone, so ask for it anywhere in the Content
    over = gt4.query("//wssg:Entry[wssg:Content//c:Value > 10]/wssg:MemberServiceEPR", C)
    assert _keys(over) == {_key(g), _key(w)}
    for e in gt4.entries():
        WsrfClient(e.entry).destroy()
    g.destroy()
    w.destroy()


def test_a_local_member_added_by_hand_is_read_directly(main):
    index = _index(main)
    counter = _counter(main, 4)
    added = index.register(counter.epr, interval=3600, query="/*/c:Value", namespaces=C)
    entries = [e for e in index.entries() if e.entry == added.entry]
    assert [d.text for d in entries[0].data()] == ["4"]
    counter.add(1)  # no poll needed: members of this container are read when asked
    entries = [e for e in index.entries() if e.entry == added.entry]
    assert [d.text for d in entries[0].data()] == ["5"]
    WsrfClient(added.entry).destroy()
    counter.destroy()


def test_a_static_registration_keeps_its_data(main):
    index = _index(main)
    info = etree.Element("{urn:site}Site", nsmap={"s": "urn:site"})
    etree.SubElement(info, "{urn:site}Name").text = "Argonne"
    member = EndpointReference("http://gridftp.example.org:2811/")
    added = index.register(member, interval=None, data=[info], termination=None)
    assert index.query("//s:Site/s:Name/text()", {"s": "urn:site"}) == "Argonne"
    WsrfClient(added.entry).destroy()


def test_index_entries_expire(main):
    index = _index(main)
    member = EndpointReference("http://short.example.org/")
    from datetime import timedelta

    added = index.register(member, interval=None, termination=timedelta(seconds=1))
    assert _entry(index, member) is not None
    assert _eventually(lambda: _entry(index, member) is None)
    assert _eventually(lambda: _gone(added.entry))


def _gone(entry: EndpointReference) -> bool:
    try:
        WsrfClient(entry).document()
    except faults.ResourceUnknownFault:
        return True
    return False


# -- bad input -----------------------------------------------------------------------------------


def test_bad_xpath_is_a_fault_and_one_line_on_the_command_line(main):
    index = _index(main)
    with pytest.raises(faults.InvalidQueryExpressionFault):
        index.query("//wssg:Entry[")
    with pytest.raises((faults.QueryEvaluationErrorFault, faults.InvalidQueryExpressionFault)):
        index.query("//nobody:Entry")
    r = gridware("index", "query", "--url", main.url("DefaultIndexService"), "//wssg:Entry[")
    assert r.returncode == 1
    assert r.stderr.startswith("gridware: error: InvalidQueryExpressionFault")
    assert len(r.stderr.strip().splitlines()) == 1
    # and the index goes on answering
    assert index.services()


def _add_raw(index: IndexClient, member: EndpointReference, content: str):
    return index.add(member, etree.fromstring(content))


BAD_CONFIGS = [
    pytest.param(
        "<Content xmlns:agg='{agg}'><agg:AggregatorData/></Content>",
        faults.ContentCreationFailedFault,
        "AggregatorConfig",
        id="no-config",
    ),
    pytest.param(
        "<Content xmlns:agg='{agg}'><agg:AggregatorConfig><agg:Telepathy/></agg:AggregatorConfig>"
        "<agg:AggregatorData/></Content>",
        faults.AddRefusedFault,
        "unsupported aggregator configuration",
        id="unknown-poll-type",
    ),
    pytest.param(
        "<Content xmlns:agg='{agg}'><agg:AggregatorConfig><agg:GetResourcePropertyPollType>"
        "<agg:ResourcePropertyName>Value</agg:ResourcePropertyName>"
        "</agg:GetResourcePropertyPollType></agg:AggregatorConfig><agg:AggregatorData/></Content>",
        faults.AddRefusedFault,
        "PollIntervalMillis",
        id="no-interval",
    ),
    pytest.param(
        "<Content xmlns:agg='{agg}'><agg:AggregatorConfig><agg:GetResourcePropertyPollType>"
        "<agg:PollIntervalMillis>1000</agg:PollIntervalMillis>"
        "<agg:ResourcePropertyName>nope:Value</agg:ResourcePropertyName>"
        "</agg:GetResourcePropertyPollType></agg:AggregatorConfig><agg:AggregatorData/></Content>",
        faults.AddRefusedFault,
        "declared prefix",
        id="undeclared-prefix",
    ),
    pytest.param(
        "<Content xmlns:agg='{agg}'><agg:AggregatorConfig><agg:QueryResourcePropertiesPollType>"
        "<agg:PollIntervalMillis>1000</agg:PollIntervalMillis>"
        "<agg:QueryExpression Dialect='http://www.w3.org/TR/1999/REC-xpath-19991116'>//a[</agg:QueryExpression>"
        "</agg:QueryResourcePropertiesPollType></agg:AggregatorConfig><agg:AggregatorData/></Content>",
        faults.AddRefusedFault,
        "invalid XPath",
        id="bad-xpath",
    ),
    pytest.param(
        "<Content xmlns:agg='{agg}'><agg:AggregatorConfig><agg:QueryResourcePropertiesPollType>"
        "<agg:PollIntervalMillis>1000</agg:PollIntervalMillis>"
        "<agg:QueryExpression Dialect='urn:sql'>select 1</agg:QueryExpression>"
        "</agg:QueryResourcePropertiesPollType></agg:AggregatorConfig><agg:AggregatorData/></Content>",
        faults.AddRefusedFault,
        "dialect",
        id="unknown-query-dialect",
    ),
    pytest.param(
        "<Content xmlns:agg='{agg}' xmlns:gwi='{gwi}'><agg:AggregatorConfig>"
        "<gwi:ContainerRegistration/></agg:AggregatorConfig><agg:AggregatorData/></Content>",
        faults.AddRefusedFault,
        "container's own",
        id="container-registration",
    ),
]


@pytest.mark.parametrize(("content", "fault", "message"), BAD_CONFIGS)
def test_bad_registrations_are_refused(main, remote, content, fault, message):
    index = _index(main)
    before = len(index.entries())
    member = EndpointReference(remote.url("VersionService"))
    with pytest.raises(fault, match=message):
        _add_raw(index, member, content.format(agg=AGG, gwi=GWI))
    assert len(index.entries()) == before


def test_members_the_index_cannot_take(main, tmp_path):
    index = _index(main)
    itself = EndpointReference(main.url("DefaultIndexService"))
    with pytest.raises(faults.AddRefusedFault, match="does not aggregate itself"):
        index.register(itself)
    missing = CounterClient(main.url("CounterService")).create()
    WsrfClient(missing).destroy()
    with pytest.raises(faults.AddRefusedFault, match="no resource with key"):
        index.register(missing)
    # the command line: one line, exit status 1; a bad --content file likewise
    bad = tmp_path / "content.xml"
    bad.write_text(f"<Content xmlns:agg='{AGG}'><agg:AggregatorData/></Content>")
    r = gridware(
        "index",
        "add",
        "--url",
        main.url("DefaultIndexService"),
        "-m",
        main.url("VersionService"),
        "--content",
        str(bad),
    )
    assert r.returncode == 1 and r.stderr.startswith("gridware: error: ContentCreationFailedFault")
    r = gridware("index", "add", "--url", main.url("DefaultIndexService"))
    assert r.returncode == 2 and "MEMBER" in r.stderr


# -- deployment ----------------------------------------------------------------------------------


def test_the_index_can_be_turned_off(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[container]\nindex = false\n")
    c = start_container("--demo", "--config", str(config))
    try:
        assert get(c.url("DefaultIndexService") + "?wsdl").status == 404
        assert not [line for line in c.log_lines if "service=DefaultIndexService" in line]
    finally:
        c.stop()


def test_a_gt4_default_index_registers_the_services(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(
        '[[service]]\nname = "DefaultIndexService"\n'
        'class = "gridware.container.index:GT4DefaultIndexService"\n'
    )
    c = start_container("--demo", "--config", str(config))
    try:
        index = _index(c, dialect="gt4")
        assert "gt4/CounterService" in index.services()
        counter = _counter(c, 11, "gt4/CounterService")
        assert _keys(index.query(OVER_10, C)) == {_key(counter)}
        # member EPRs in the index's WS-Addressing version (2004/03)
        [member] = index.query(OVER_10, C)
        assert member[0].tag == f"{{{GT4.addressing.namespace}}}Address"
    finally:
        c.stop()


def test_aggregator_content_round_trip():
    """What IndexClient.register sends is what the index reads back."""
    from gridware.container.index import parse_config

    content = aggregator_content(WSRF_1_2, interval=2.5, properties=(VALUE, "{urn:x}Other"))
    assert content.tag == f"{{{ns.WSRF_SG}}}Content"
    spec = parse_config(content.find(f"{{{AGG}}}AggregatorConfig"))
    assert spec.kind == "properties" and spec.interval == 2.5
    assert spec.names == (VALUE, "{urn:x}Other")
    again = parse_config(etree.fromstring(etree.tostring(spec.element())))
    assert again == spec
    q = aggregator_content(GT4, interval=1, query="/*/c:Value", namespaces=C)
    assert ("c", COUNTER_NS) in parse_config(q.find(f"{{{AGG}}}AggregatorConfig")).namespaces
