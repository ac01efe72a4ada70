"""Every WS-RF operation end to end over HTTP: both dialect sets, SOAP 1.1 and 1.2."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from gridware.clients.counter import CounterClient
from gridware.clients.wsrf import WsrfClient, property_element
from gridware.container import faults
from gridware.container.addressing import WSA_2004_03, WSA_2005_08, EndpointReference
from gridware.container.client import SoapClient
from tests.conftest import COUNTER_NS

VALUE = f"{{{COUNTER_NS}}}Value"

SETUPS = [
    pytest.param(("CounterService", "wsrf-1.2", "1.1"), id="wsrf12-soap11"),
    pytest.param(("CounterService", "wsrf-1.2", "1.2"), id="wsrf12-soap12"),
    pytest.param(("gt4/CounterService", "gt4", "1.1"), id="gt4-soap11"),
    pytest.param(("gt4/CounterService", "gt4", "1.2"), id="gt4-soap12"),
]


@pytest.fixture(params=SETUPS)
def counter(request, demo):
    """A fresh counter resource in one dialect set and SOAP version."""
    service, dialect, soap = request.param
    factory = CounterClient(demo.url(service), dialect=dialect, soap=soap)
    epr = factory.create()
    return CounterClient(epr, soap=soap)


def test_create_returns_epr_in_the_dialect_of_the_service(demo):
    epr = CounterClient(demo.url("CounterService")).create()
    assert epr.version is WSA_2005_08
    assert epr.reference(f"{{{COUNTER_NS}}}CounterKey")
    assert not epr.reference_properties
    gt4 = CounterClient(demo.url("gt4/CounterService"), dialect="gt4").create()
    assert gt4.version is WSA_2004_03
    assert gt4.reference_properties and not gt4.reference_parameters
    assert gt4.address == demo.url("gt4/CounterService")


def test_add_and_get_property(counter):
    assert counter.add(5) == 5
    assert counter.add(-2) == 3
    assert counter.value == 3
    assert counter.get_value("Value", int) == 3  # bare local name, resolved via the document
    [el] = counter.get_property(VALUE)
    assert el.tag == VALUE and el.text == "3"


def test_resources_are_independent(demo):
    svc = CounterClient(demo.url("CounterService"))
    a, b = CounterClient(svc.create()), CounterClient(svc.create())
    a.add(10)
    b.add(1)
    assert (a.value, b.value) == (10, 1)


def test_get_multiple_and_document(counter):
    counter.add(4)
    els = counter.get_properties([VALUE, "CurrentTime", "TerminationTime"])
    assert [etree.QName(e).localname for e in els] == ["Value", "CurrentTime", "TerminationTime"]
    assert els[0].text == "4"
    assert els[2].get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"
    now = datetime.now(UTC)
    current = datetime.fromisoformat(els[1].text.replace("Z", "+00:00"))
    assert abs((current - now).total_seconds()) < 60
    doc = counter.document()
    assert doc.tag == f"{{{COUNTER_NS}}}CounterResourceProperties"
    names = [etree.QName(c).localname for c in doc]
    assert names[0] == "Value" and names[-2:] == ["CurrentTime", "TerminationTime"]
    # in between, the counter's NotificationProducer properties (Value is a topic)
    wsn = counter.dialect.wsn
    assert {etree.QName(c).namespace for c in doc[1:-2]} <= {wsn.b, wsn.t}
    assert "FixedTopicSet" in names
    rl = counter.dialect.rl
    assert doc[-2].tag == f"{{{rl}}}CurrentTime"


def test_unknown_property_name(counter):
    with pytest.raises(faults.InvalidResourcePropertyQNameFault):
        counter.get_property("{urn:nowhere}Value")
    with pytest.raises(faults.InvalidResourcePropertyQNameFault):
        counter.get_properties([VALUE, "{urn:nowhere}Nope"])


def test_query_xpath(counter):
    counter.add(12)
    ns = {"c": COUNTER_NS}
    assert counter.query("/*/c:Value > 10", ns) == "true"
    assert counter.query("/*/c:Value < 10", ns) == "false"
    assert counter.query("number(/*/c:Value) * 2", ns) == "24"
    assert counter.query("string(/*/c:Value)", ns) == "12"
    [el] = counter.query("/*/c:Value", ns)
    assert el.tag == VALUE and el.text == "12"
    # prefixes are whatever the request binds
    [el] = counter.query("/*/other:Value", {"other": COUNTER_NS})
    assert el.text == "12"
    wsn = counter.dialect.wsn  # the NotificationProducer properties aside
    others = f"/*/*[namespace-uri() != '{wsn.b}' and namespace-uri() != '{wsn.t}']"
    assert counter.query(f"count({others})") == "3"


def test_query_faults(counter):
    with pytest.raises(faults.InvalidQueryExpressionFault):
        counter.query("/*/[[[")
    with pytest.raises(faults.QueryEvaluationErrorFault):
        counter.query("/*/unbound:Value")
    with pytest.raises(faults.QueryEvaluationErrorFault):
        counter.query("no-such-function(1)")
    body = counter.messages.query("/*", None)
    body[0].set("Dialect", "urn:sql")
    with pytest.raises(faults.UnknownQueryExpressionDialectFault):
        counter.call("QueryResourceProperties", body)


def test_set_update_insert_delete(counter):
    counter.update_property(VALUE, 41)
    assert counter.value == 41
    assert counter.add(1) == 42
    # Value has maxOccurs=1: inserting a second one is an invalid modification
    with pytest.raises(faults.InvalidModificationFault):
        counter.insert_property(VALUE, 1)
    # and minOccurs=1: deleting it too
    with pytest.raises(faults.InvalidModificationFault):
        counter.delete_property(VALUE)
    assert counter.value == 42


def test_set_faults(counter):
    with pytest.raises(faults.UnableToModifyResourcePropertyFault):
        counter.update_property("CurrentTime", datetime.now(UTC))
    with pytest.raises(faults.InvalidResourcePropertyQNameFault):
        counter.set_properties(update=[property_element("{urn:x}Nope", "1")])
    with pytest.raises(faults.InvalidModificationFault):
        counter.update_property(VALUE, "not a number")
    with pytest.raises(faults.InvalidModificationFault):
        counter.update_property(VALUE, str(2**40))  # beyond xsd:int


def test_set_is_all_or_nothing(counter):
    counter.add(3)
    with pytest.raises(faults.UnableToModifyResourcePropertyFault):
        counter.set_properties(
            update=[property_element(VALUE, 99)],
            delete=[f"{{{counter.dialect.rl}}}CurrentTime"],
        )
    assert counter.value == 3


def test_single_component_operations_in_wsrf12(demo):
    c = CounterClient(CounterClient(demo.url("CounterService")).create())
    m = c.messages
    c.call(
        "UpdateResourceProperties",
        m.set_properties(update=[property_element(VALUE, 7)], op="UpdateResourceProperties"),
    )
    assert c.value == 7
    with pytest.raises(faults.InvalidModificationFault):
        c.call(
            "InsertResourceProperties",
            m.set_properties(insert=[property_element(VALUE, 1)], op="InsertResourceProperties"),
        )
    with pytest.raises(faults.InvalidModificationFault):
        c.call(
            "DeleteResourceProperties",
            m.set_properties(delete=[VALUE], op="DeleteResourceProperties"),
        )
    assert c.value == 7


def test_destroy(counter):
    counter.add(1)
    counter.destroy()
    with pytest.raises(faults.ResourceUnknownFault):
        counter.add(1)
    with pytest.raises(faults.ResourceUnknownFault):
        counter.get_property(VALUE)
    with pytest.raises(faults.ResourceUnknownFault):
        counter.destroy()


def test_set_termination_time(counter):
    when = datetime.now(UTC) + timedelta(hours=1)
    new, current = counter.set_termination_time(when)
    assert new is not None and abs((new - when).total_seconds()) < 0.001
    assert abs((current - datetime.now(UTC)).total_seconds()) < 60
    [tt] = counter.get_property("TerminationTime")
    assert tt.text.startswith(when.strftime("%Y-%m-%dT%H:%M"))
    new, _ = counter.set_termination_time(None)
    assert new is None
    [tt] = counter.get_property("TerminationTime")
    assert tt.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"


def test_expired_resources_are_swept(counter):
    counter.set_termination_time(timedelta(seconds=1))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            counter.get_property(VALUE)
        except faults.ResourceUnknownFault:
            return
        time.sleep(0.2)
    pytest.fail("the sweeper did not destroy the expired counter")


def test_requested_lifetime_duration_in_wsrf12(demo):
    c = CounterClient(CounterClient(demo.url("CounterService")).create())
    body = etree.Element(c.dialect.rl_tag("SetTerminationTime"))
    etree.SubElement(body, c.dialect.rl_tag("RequestedLifetimeDuration")).text = "PT2H"
    reply = c.call("SetTerminationTime", body)
    new, current = c.messages.termination_reply(reply)
    assert new is not None
    assert abs((new - current).total_seconds() - 7200) < 5
    bad = etree.Element(c.dialect.rl_tag("SetTerminationTime"))
    etree.SubElement(bad, c.dialect.rl_tag("RequestedLifetimeDuration")).text = "two hours"
    with pytest.raises(faults.UnableToSetTerminationTimeFault):
        c.call("SetTerminationTime", bad)


def test_bad_termination_time(counter):
    body = counter.messages.set_termination_time(None)
    child = body[0]
    del child.attrib["{http://www.w3.org/2001/XMLSchema-instance}nil"]
    child.text = "tomorrow"
    with pytest.raises(faults.UnableToSetTerminationTimeFault):
        counter.call("SetTerminationTime", body)


@pytest.mark.parametrize(
    ("service", "dialect"), [("VersionService", "wsrf-1.2"), ("gt4/VersionService", "gt4")]
)
def test_version_singleton(demo, service, dialect):
    import gridware

    v = WsrfClient(demo.url(service), dialect=dialect)
    assert v.get_value("Version") == gridware.__version__
    start = v.get_value("StartTime", "dateTime")
    assert abs((datetime.now(UTC) - start).total_seconds()) < 3600
    doc = v.document()
    assert [etree.QName(c).localname for c in doc] == ["Version", "StartTime", "Hostname"]
    reply = SoapClient(demo.url(service), addressing=v.dialect.addressing).call(
        "http://gridware.org/samples/version/VersionPortType/getVersionRequest",
        etree.Element("{http://gridware.org/samples/version}getVersion"),
    )
    assert reply.text == gridware.__version__
    # a singleton offers no lifetime operations
    with pytest.raises(faults.SenderFault) as info:
        v.destroy()
    assert info.value.subcode == "ActionNotSupported"


def test_unknown_and_missing_keys(demo):
    url = demo.url("CounterService")
    key = etree.Element(f"{{{COUNTER_NS}}}CounterKey")
    key.text = "no-such-counter"
    ghost = CounterClient(EndpointReference(url, reference_parameters=(key,)))
    with pytest.raises(faults.ResourceUnknownFault) as info:
        ghost.add(1)
    assert "no-such-counter" in info.value.description
    keyless = CounterClient(url)
    with pytest.raises(faults.ResourceUnknownFault) as info:
        keyless.add(1)
    assert "CounterKey" in info.value.description


def test_fault_detail_is_ws_basefaults(demo):
    from tests.helpers import envelope, post

    for service, bf, rns, ns_wsa in (
        (
            "CounterService",
            "http://docs.oasis-open.org/wsrf/bf-2",
            "http://docs.oasis-open.org/wsrf/r-2",
            "http://www.w3.org/2005/08/addressing",
        ),
        (
            "gt4/CounterService",
            "http://docs.oasis-open.org/wsrf/2004/06/wsrf-WS-BaseFaults-1.2-draft-01.xsd",
            "http://docs.oasis-open.org/wsrf/2004/06/wsrf-WS-ResourceProperties-1.2-draft-01.xsd",
            "http://schemas.xmlsoap.org/ws/2004/03/addressing",
        ),
    ):
        rp = {
            "CounterService": "http://docs.oasis-open.org/wsrf/rp-2",
            "gt4/CounterService": "http://docs.oasis-open.org/wsrf/2004/06/wsrf-WS-ResourceProperties-1.2-draft-01.xsd",
        }[service]
        hdr = (
            f'<c:CounterKey xmlns:c="{COUNTER_NS}">missing</c:CounterKey>'
            f'<wsa:MessageID xmlns:wsa="{ns_wsa}">urn:uuid:1234</wsa:MessageID>'
        )
        body = (
            f'<rp:GetResourceProperty xmlns:rp="{rp}" xmlns:c="{COUNTER_NS}">'
            "c:Value</rp:GetResourceProperty>"
        )
        r = post(demo.url(service), envelope(body, hdr))
        assert r.status == 500
        doc = r.xml()
        code = doc.find(".//faultcode")
        assert code.text.endswith(":Client")
        detail = doc.find(".//detail")[0]
        assert detail.tag == f"{{{rns}}}ResourceUnknownFault"
        assert detail.find(f"{{{bf}}}Timestamp") is not None
        assert "missing" in detail.findtext(f"{{{bf}}}Description")
        originator = detail.find(f"{{{bf}}}Originator")
        assert originator.findtext(f"{{{ns_wsa}}}Address") == demo.url(service)
        relates = doc.find(f".//{{{ns_wsa}}}RelatesTo")
        assert relates is not None and relates.text == "urn:uuid:1234"
        assert doc.findtext(f".//{{{ns_wsa}}}Action") == ns_wsa + "/fault"


def test_soap12_sender_fault_is_http_400(demo):
    from tests.helpers import SOAP12, envelope, post

    body = f'<c:add xmlns:c="{COUNTER_NS}">1</c:add>'
    r = post(
        demo.url("CounterService"),
        envelope(body, soap=SOAP12),
        {"Content-Type": "application/soap+xml"},
    )
    assert r.status == 400
    assert r.content_type.startswith("application/soap+xml")
    doc = r.xml()
    assert doc.tag == f"{{{SOAP12}}}Envelope"
    assert doc.findtext(f".//{{{SOAP12}}}Code/{{{SOAP12}}}Value").endswith(":Sender")


def test_reply_headers_follow_the_request(demo):
    from tests.helpers import WSA04, WSA05, envelope, post

    for service, wsa in (("CounterService", WSA05), ("gt4/CounterService", WSA04)):
        hdr = (
            f'<wsa:Action xmlns:wsa="{wsa}">'
            f"{COUNTER_NS}/CounterPortType/createCounterRequest</wsa:Action>"
            f'<wsa:MessageID xmlns:wsa="{wsa}">urn:uuid:abcd</wsa:MessageID>'
            f'<wsa:To xmlns:wsa="{wsa}">{demo.url(service)}</wsa:To>'
        )
        r = post(demo.url(service), envelope(f'<c:createCounter xmlns:c="{COUNTER_NS}"/>', hdr))
        assert r.status == 200, r.body
        doc = r.xml()
        assert (
            doc.findtext(f".//{{{wsa}}}Action")
            == f"{COUNTER_NS}/CounterPortType/createCounterResponse"
        )
        assert doc.findtext(f".//{{{wsa}}}RelatesTo") == "urn:uuid:abcd"
        assert doc.findtext(f".//{{{wsa}}}MessageID").startswith("urn:uuid:")
        epr = doc.find(f".//{{{wsa}}}EndpointReference")
        assert epr is not None


def test_body_qname_dispatch_without_any_action(demo):
    """A client that sends neither wsa:Action nor SOAPAction is dispatched by the body element."""
    from tests.helpers import envelope, post

    r = post(demo.url("CounterService"), envelope(f'<c:createCounter xmlns:c="{COUNTER_NS}"/>'))
    assert r.status == 200
    epr = EndpointReference.from_element(
        r.xml().find(f".//{{{WSA_2005_08.namespace}}}EndpointReference")
    )
    key = epr.reference(f"{{{COUNTER_NS}}}CounterKey")
    hdr = f'<c:CounterKey xmlns:c="{COUNTER_NS}">{key}</c:CounterKey>'
    r = post(demo.url("CounterService"), envelope(f'<c:add xmlns:c="{COUNTER_NS}">9</c:add>', hdr))
    assert r.status == 200
    assert r.xml().findtext(f".//{{{COUNTER_NS}}}addResponse") == "9"
