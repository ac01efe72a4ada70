"""WS-ServiceGroup end to end: Add, membership content rules, entries and their lifetimes,
in WSRF 1.2 (sg-2) and the GT4 draft, against ``gridware container`` processes.

One container (with the demo counters) hosts the groups; a second one provides
remote members whose interfaces are read from their ``?wsdl``.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from gridware import wsdl
from gridware.clients.counter import CounterClient
from gridware.clients.servicegroup import ServiceGroupClient
from gridware.clients.wsrf import WsrfClient
from gridware.codegen.generator import generate
from gridware.container import faults, ns
from gridware.container.addressing import EndpointReference
from gridware.container.dialects import GT4, WSRF_1_2
from gridware.container.servicegroup import ENTRY_KEY, parse_rules, wsdl_interfaces
from tests.conftest import COUNTER_NS, ROOT, RunningContainer, start_container
from tests.helpers import get

TEST_NS = "urn:gridware:test"
INFO = f"{{{TEST_NS}}}Info"
COUNTER_PT = f"{{{COUNTER_NS}}}CounterPortType"

CONFIG = f"""
[container]
sweep_interval = 0.2

[[service]]
name = "Registry"
class = "gridware.container.servicegroup:ServiceGroupService"
[service.options]
max_entries = 50
[[service.options.rules]]
content = ["{INFO}"]
interfaces = ["{COUNTER_PT}"]

[[service]]
name = "gt4/Registry"
class = "gridware.container.servicegroup:GT4ServiceGroupService"
[[service.options.rules]]
content = ["{INFO}"]
interfaces = ["{COUNTER_PT}"]

[[service]]
name = "Small"
class = "gridware.container.servicegroup:ServiceGroupService"
[service.options]
max_entries = 1

[[service]]
name = "gt4/Small"
class = "gridware.container.servicegroup:GT4ServiceGroupService"
[service.options]
max_entries = 1
"""

# group, its dialect, a counter service of the same dialect
DIALECTS = [
    pytest.param(("Registry", "wsrf-1.2", "CounterService"), id="wsrf12"),
    pytest.param(("gt4/Registry", "gt4", "gt4/CounterService"), id="gt4"),
]


@pytest.fixture(scope="module")
def groups(tmp_path_factory) -> RunningContainer:
    config = tmp_path_factory.mktemp("sg") / "container.toml"
    config.write_text(CONFIG)
    c = start_container("--demo", "--config", str(config))
    yield c
    c.stop()


@pytest.fixture(scope="module")
def remote() -> RunningContainer:
    c = start_container("--demo")
    yield c
    c.stop()


def _content(*children: etree._Element) -> etree._Element:
    content = etree.Element("Content")
    content.extend(children)
    return content


def _info(text: str = "hello") -> etree._Element:
    el = etree.Element(INFO, nsmap={"t": TEST_NS})
    el.text = text
    return el


def _counter(container: RunningContainer, service: str, dialect: str) -> EndpointReference:
    return CounterClient(container.url(service), dialect=dialect).create()


def _group(container: RunningContainer, name: str, dialect: str) -> ServiceGroupClient:
    return ServiceGroupClient(container.url(name), dialect=dialect)


def _members(group: ServiceGroupClient) -> list[EndpointReference | None]:
    return [e.member for e in group.entries()]


def _eventually(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the generated messages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wsdl_name", "package"),
    [("servicegroup-1.2.wsdl", "sg12"), ("servicegroup-gt4.wsdl", "sg_gt4")],
)
def test_committed_servicegroup_messages_are_current(wsdl_name, package):
    """gridware/container/generated/sg*: wsdl2py output of the WS-ServiceGroup WSDLs."""
    committed = ROOT / "gridware" / "container" / "generated" / package
    fresh = generate("gridware.wsdl:" + wsdl_name, package).files
    assert sorted(fresh) == sorted(p.name for p in committed.glob("*.py"))
    for name, text in fresh.items():
        assert (committed / name).read_text() == text, (
            f"{package}/{name} is stale: run tools/regenerate"
        )


# -- Add and the Entry property -----------------------------------------------------------------


@pytest.mark.parametrize("case", DIALECTS)
def test_add_returns_the_entry_and_the_group_lists_it(groups, case):
    name, dialect, counter_service = case
    d = WSRF_1_2 if dialect == "wsrf-1.2" else GT4
    member = _counter(groups, counter_service, dialect)
    group = _group(groups, name, dialect)
    added = group.add(member, _content(_info("first")), termination=timedelta(minutes=5))
    assert added.entry.address == groups.url(f"{name}Entry")
    assert added.entry.version is d.addressing
    if d is WSRF_1_2:  # the 1.2 AddResponse carries the lifetime
        assert added.termination_time is not None and added.current_time is not None
        assert added.termination_time > added.current_time
    listed = [e for e in group.entries() if e.entry == added.entry]
    assert len(listed) == 1
    assert listed[0].member == member
    info = listed[0].content.find(INFO)
    assert info is not None and info.text == "first"
    # the entry is a WS-Resource: ServiceGroupEPR, MemberEPR, Content
    entry = WsrfClient(added.entry)
    doc = entry.document()
    assert doc.tag == d.sg_tag("ServiceGroupEntryRP")
    assert EndpointReference.from_element(doc.find(d.sg_tag("ServiceGroupEPR"))).address == (
        groups.url(name)
    )
    assert EndpointReference.from_element(doc.find(d.sg_tag("MemberEPR"))) == member
    assert doc.find(d.sg_tag("Content")).findtext(INFO) == "first"
    # and the group answers XPath about its entries
    query = "count(//sg:Entry[sg:Content/t:Info = 'first'])"
    assert group.query(query, {"sg": d.sg, "t": TEST_NS}) == "1"
    entry.destroy()


@pytest.mark.parametrize("case", DIALECTS)
def test_destroying_an_entry_removes_the_member(groups, case):
    name, dialect, counter_service = case
    member = _counter(groups, counter_service, dialect)
    group = _group(groups, name, dialect)
    added = group.add(member, _content(_info()))
    assert member in _members(group)
    WsrfClient(added.entry).destroy()
    assert member not in _members(group)
    with pytest.raises(faults.ResourceUnknownFault):
        WsrfClient(added.entry).destroy()


@pytest.mark.parametrize("case", DIALECTS)
def test_an_entry_expires_at_its_initial_termination_time(groups, case):
    name, dialect, counter_service = case
    member = _counter(groups, counter_service, dialect)
    group = _group(groups, name, dialect)
    added = group.add(member, _content(_info()), termination=timedelta(seconds=1))
    keeper = group.add(member, _content(_info("stays")))  # no termination time
    assert member in _members(group)
    assert _eventually(lambda: added.entry not in [e.entry for e in group.entries()])
    # swept: the entry itself is gone, the other entry of the same member is not
    assert _eventually(lambda: _gone(added.entry))
    assert keeper.entry in [e.entry for e in group.entries()]
    WsrfClient(keeper.entry).destroy()


def _gone(entry: EndpointReference) -> bool:
    try:
        WsrfClient(entry).document()
    except faults.ResourceUnknownFault:
        return True
    return False


def test_initial_termination_time_as_a_duration_and_renewal(groups):
    """WS-ServiceGroup 1.2 takes a duration too; SetTerminationTime renews the entry."""
    member = _counter(groups, "CounterService", "wsrf-1.2")
    group = _group(groups, "Registry", "wsrf-1.2")
    request = etree.Element(f"{{{ns.WSRF_SG}}}Add")
    request.append(member.to_element(f"{{{ns.WSRF_SG}}}MemberEPR"))
    content = etree.SubElement(request, f"{{{ns.WSRF_SG}}}Content")
    content.append(_info())
    etree.SubElement(request, f"{{{ns.WSRF_SG}}}InitialTerminationTime").text = "PT1H"
    reply = group.soap.call(WSRF_1_2.sg_actions["Add"], request)
    entry_epr = EndpointReference.from_element(
        reply.find(f"{{{ns.WSRF_SG}}}ServiceGroupEntryReference")
    )
    termination = datetime.fromisoformat(reply.findtext(f"{{{ns.WSRF_SG}}}TerminationTime"))
    assert timedelta(minutes=55) < termination - datetime.now(UTC) <= timedelta(hours=1)
    entry = WsrfClient(entry_epr)
    new, _ = entry.set_termination_time(timedelta(seconds=1))
    assert new is not None
    assert _eventually(lambda: entry_epr not in [e.entry for e in group.entries()])


# -- what Add refuses -------------------------------------------------------------------------


@pytest.mark.parametrize("case", DIALECTS)
def test_content_that_breaks_the_rules_is_refused(groups, case):
    name, dialect, counter_service = case
    d = WSRF_1_2 if dialect == "wsrf-1.2" else GT4
    member = _counter(groups, counter_service, dialect)
    group = _group(groups, name, dialect)
    before = len(group.entries())
    other = etree.Element(f"{{{TEST_NS}}}Other")
    with pytest.raises(faults.ContentCreationFailedFault, match="lacks") as caught:
        group.add(member, _content(other))
    assert caught.value.detail.tag == d.sg_tag("ContentCreationFailedFault")
    assert len(group.entries()) == before


@pytest.mark.parametrize("case", DIALECTS)
def test_a_member_without_the_rules_interface_is_refused(groups, case):
    name, dialect, _ = case
    d = WSRF_1_2 if dialect == "wsrf-1.2" else GT4
    version = "VersionService" if d is WSRF_1_2 else "gt4/VersionService"
    member = EndpointReference(groups.url(version), version=d.addressing)
    with pytest.raises(faults.UnsupportedMemberInterfaceFault, match="CounterPortType") as caught:
        _group(groups, name, dialect).add(member, _content(_info()))
    assert caught.value.detail.tag == d.sg_tag("UnsupportedMemberInterfaceFault")


@pytest.mark.parametrize("case", DIALECTS)
def test_remote_members_are_checked_through_their_wsdl(groups, remote, case):
    name, dialect, counter_service = case
    group = _group(groups, name, dialect)
    counter = _counter(remote, counter_service, dialect)
    added = group.add(counter, _content(_info("remote")))
    assert counter in _members(group)
    WsrfClient(added.entry).destroy()
    version = EndpointReference(remote.url("VersionService"))
    with pytest.raises(faults.UnsupportedMemberInterfaceFault, match="does not implement"):
        group.add(version, _content(_info()))
    nowhere = EndpointReference(f"http://127.0.0.1:{_closed_port()}/wsrf/services/X")
    with pytest.raises(faults.UnsupportedMemberInterfaceFault, match="cannot tell"):
        group.add(nowhere, _content(_info()))


@pytest.mark.parametrize("case", DIALECTS)
def test_a_termination_time_in_the_past_is_refused(groups, case):
    name, dialect, counter_service = case
    d = WSRF_1_2 if dialect == "wsrf-1.2" else GT4
    member = _counter(groups, counter_service, dialect)
    with pytest.raises(faults.AddRefusedFault, match="already passed") as caught:
        _group(groups, name, dialect).add(
            member, _content(_info()), termination=datetime.now(UTC) - timedelta(minutes=1)
        )
    assert caught.value.detail.tag == d.sg_tag("AddRefusedFault")


@pytest.mark.parametrize("name", ["Small", "gt4/Small"])
def test_a_full_group_refuses_more_members(groups, name):
    dialect = "gt4" if name.startswith("gt4") else "wsrf-1.2"
    group = _group(groups, name, dialect)
    # no rules: any member, any content (even an empty one)
    member = EndpointReference("http://example.org/anything", version=group.dialect.addressing)
    first = group.add(member, _content())
    with pytest.raises(faults.AddRefusedFault, match="full"):
        group.add(member, _content(_info()))
    WsrfClient(first.entry).destroy()
    WsrfClient(group.add(member, _content()).entry).destroy()


def test_a_malformed_add_is_a_sender_fault(groups):
    group = _group(groups, "Registry", "wsrf-1.2")
    request = etree.Element(f"{{{ns.WSRF_SG}}}Add")
    etree.SubElement(request, f"{{{ns.WSRF_SG}}}Content")  # no MemberEPR
    with pytest.raises(faults.SenderFault):
        group.soap.call(WSRF_1_2.sg_actions["Add"], request)
    # the group is read-only to WS-RF clients
    with pytest.raises(faults.Fault):
        group.update_property(f"{{{ns.WSRF_SG}}}Entry", etree.Element(f"{{{ns.WSRF_SG}}}Entry"))


# -- documents against the standard schemas ------------------------------------------------------


def _sg2_schema() -> xmlschema.XMLSchema11:
    # sg-2's ContentType (an optional RPDoc, then ##any) breaks the XSD 1.0 rule of
    # unique particle attribution; XSD 1.1 accepts it
    return xmlschema.XMLSchema11(
        str(wsdl.path("schemas/wsrf-1.2/sg-2.xsd")),
        locations=[
            (u, str(wsdl.ROOT / wsdl.NAMESPACE_LOCATIONS[u]))
            for u in ("http://www.w3.org/2005/08/addressing", ns.WSRF_BF)
        ],
    )


def test_the_group_and_entry_documents_validate_against_sg2(groups):
    member = _counter(groups, "CounterService", "wsrf-1.2")
    group = _group(groups, "Registry", "wsrf-1.2")
    added = group.add(member, _content(_info()), termination=timedelta(minutes=5))
    schema = _sg2_schema()
    doc = group.document()
    # WSRF 1.2 resources add the lifetime properties; the sg-2 part must validate
    for child in list(doc):
        if etree.QName(child).namespace != ns.WSRF_SG:
            doc.remove(child)
    schema.validate(etree.tostring(doc).decode())
    entry_doc = WsrfClient(added.entry).document()
    for child in list(entry_doc):
        if etree.QName(child).namespace != ns.WSRF_SG:
            entry_doc.remove(child)
    schema.validate(etree.tostring(entry_doc).decode())
    WsrfClient(added.entry).destroy()


def test_gt4_entries_validate_against_the_draft_schema(groups):
    member = _counter(groups, "gt4/CounterService", "gt4")
    group = _group(groups, "gt4/Registry", "gt4")
    added = group.add(member, _content(_info()))
    schema = xmlschema.XMLSchema(
        str(wsdl.path("schemas/wsrf-draft-2004-06/wsrf/servicegroup/WS-ServiceGroup.xsd"))
    )
    for el in group.get_property(f"{{{ns.GT4_SG}}}Entry"):
        schema.validate(etree.tostring(el).decode())
    WsrfClient(added.entry).destroy()


# -- pieces -------------------------------------------------------------------------------------


def test_rules_options_are_checked():
    assert parse_rules(None, WSRF_1_2) == []
    rules = parse_rules([{"content": [INFO], "interfaces": [COUNTER_PT]}], WSRF_1_2)
    assert rules[0].content == (INFO,) and rules[0].interfaces == (COUNTER_PT,)
    for bad in (
        "x",
        [{"content": []}],
        [{"content": ["Info"]}],
        [{"content": [INFO], "colour": "red"}],
        [{"content": [INFO], "interfaces": "x"}],
    ):
        with pytest.raises(ValueError):
            parse_rules(bad, WSRF_1_2)
    with pytest.raises(ValueError, match="one MemberInterface"):
        parse_rules([{"content": [INFO], "interfaces": [COUNTER_PT, COUNTER_PT + "2"]}], GT4)


def test_interfaces_are_read_from_a_wsdl():
    doc = etree.parse(str(Path(wsdl.ROOT) / "counter.wsdl")).getroot()
    found = wsdl_interfaces(doc)
    assert COUNTER_PT in found
    assert f"{{{ns.WSRF_RPW}}}GetResourceProperty" in found
    assert f"{{{ns.WSRF_RLW}}}ImmediateResourceTermination" in found


def test_a_group_serves_no_wsdl_it_does_not_have(groups):
    assert get(groups.url("Registry") + "?wsdl").status == 404


# -- persistence ---------------------------------------------------------------------------------

PERSISTENT = """
[container]
sweep_interval = 0.2

[[service]]
name = "Registry"
class = "gridware.container.servicegroup:ServiceGroupService"
persistent = true

[[service]]
name = "gt4/Registry"
class = "gridware.container.servicegroup:GT4ServiceGroupService"
persistent = true

[[service]]
name = "DefaultIndexService"
class = "gridware.container.index:DefaultIndexService"
persistent = true
[service.options]
min_interval = 0.1
"""


def test_persistent_groups_keep_their_entries_across_a_kill(tmp_path, remote):
    """``persistent = true``: entries, their content, owners and lifetimes survive a
    ``kill -9``; the index polls its remote members again and re-registers the services."""
    from gridware.clients.servicegroup import IndexClient

    config = tmp_path / "c.toml"
    config.write_text(PERSISTENT)
    state = tmp_path / "state"
    args = ("--demo", "--config", str(config), "--state-dir", str(state))
    c = start_container(*args)
    try:
        kept = {}
        for name, dialect in (("Registry", "wsrf-1.2"), ("gt4/Registry", "gt4")):
            group = _group(c, name, dialect)
            member = EndpointReference(
                "http://example.org/member", version=group.dialect.addressing
            )
            long = group.add(member, _content(_info(name)), termination=timedelta(hours=1))
            short = group.add(member, _content(_info("short")), termination=timedelta(seconds=2))
            kept[name] = (long.entry, short.entry)
        index = IndexClient(c.url("DefaultIndexService"))
        counter = _counter(remote, "CounterService", "wsrf-1.2")
        CounterClient(counter).add(3)
        polled = index.register(counter, interval=0.2)
        assert _eventually(lambda: _data_value(index, polled.entry) == "3")
    finally:
        c.stop(9)  # SIGKILL: nothing is written at shutdown
    time.sleep(2.5)  # the short entries expire while the container is down
    c = start_container(*args)
    try:
        for name, dialect in (("Registry", "wsrf-1.2"), ("gt4/Registry", "gt4")):
            group = _group(c, name, dialect)
            long_entry, short_entry = kept[name]
            entries = {e.entry.reference(ENTRY_KEY): e for e in group.entries()}
            key = long_entry.reference(ENTRY_KEY)
            assert key in entries and entries[key].content.findtext(INFO) == name
            assert short_entry.reference(ENTRY_KEY) not in entries
        index = IndexClient(c.url("DefaultIndexService"))
        assert "CounterService" in index.services()
        assert index.services().count("CounterService") == 1  # no stale registration
        CounterClient(counter).add(4)
        assert _eventually(lambda: _data_value(index, polled.entry) == "7")
    finally:
        c.stop()


def _data_value(index, entry: EndpointReference) -> str | None:
    key = entry.reference(ENTRY_KEY)  # the address changes with the port of each run
    for e in index.entries():
        if e.entry.reference(ENTRY_KEY) == key:
            found = e.content.find(f".//{{{COUNTER_NS}}}Value")
            return None if found is None else found.text
    return None
