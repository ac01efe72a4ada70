"""WS-BaseNotification end to end over real sockets: the demo container (a separate
process) produces, listeners in this process consume; both WS-Notification versions
(1.3 with WSRF 1.2, the 2004/06 draft with GT4), every filter dialect, pause and
resume, renew and unsubscribe, termination, and the faults for bad requests."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from gridware.clients.wsn import ProducerClient, SubscriptionClient, subscribe
from gridware.clients.wsrf import WsrfClient
from gridware.container import faults, ns
from gridware.container.addressing import EndpointReference
from gridware.container.client import SoapClient
from gridware.container.wsn import faults as wf
from gridware.container.wsn.topics import Topic
from tests.wsn.conftest import COUNTER_NS, DIALECTS, VALUE, Inbox, new_counter

VALUE_TOPIC = Topic(COUNTER_NS, ("Value",))


@pytest.fixture(params=DIALECTS)
def counter(request, demo):
    service, dialect = request.param
    return new_counter(demo, service, dialect)


def _rl(counter) -> str:
    return counter.dialect.rl


def same_epr(a: EndpointReference | None, b: EndpointReference) -> bool:
    """Same address and reference data (prefixes may differ)."""
    refs = [(e.tag, (e.text or "").strip()) for e in b.reference_elements]
    return (
        a is not None
        and a.address == b.address
        and [(e.tag, (e.text or "").strip()) for e in a.reference_elements] == refs
    )


# -- the basics --------------------------------------------------------------------------------


def test_value_changes_are_notified_with_old_and_new_values(counter, listener, inbox):
    sub = subscribe(counter.epr, "Value", inbox, listener=listener)
    counter.add(5)  # service code assigning counter.value
    counter.update_property("Value", 42)  # WS-RF SetResourceProperties
    counter.add(-2)
    got = inbox.wait(3)
    assert [(n.old_value(int), n.value(int)) for n in got] == [(0, 5), (5, 42), (42, 40)]
    for n in got:
        assert n.topic == VALUE_TOPIC
        assert same_epr(n.producer, counter.epr)
        assert n.message.tag == counter.dialect.rp_tag("ResourcePropertyValueChangeNotification")
    if counter.dialect.name == "wsrf-1.2":  # the drafts have no SubscriptionReference
        assert same_epr(got[0].subscription, sub.epr)
    sub.cancel()


def test_unchanged_and_rolled_back_values_are_not_notified(counter, listener, inbox):
    sub = subscribe(counter.epr, "Value", inbox, listener=listener)
    counter.update_property("Value", 0)  # the value it has
    with pytest.raises(faults.Fault):  # a Set that fails part way is rolled back
        counter.set_properties(
            update=[_value_el(9)], delete=["{http://gridware.org/samples/counter}Nope"]
        )
    counter.add(1)
    got = inbox.wait(1)
    assert [n.value(int) for n in inbox.quiet(0.3)] == [1]
    assert got[0].old_value(int) == 0
    sub.cancel()


def _value_el(v: int) -> etree._Element:
    el = etree.Element(VALUE)
    el.text = str(v)
    return el


def test_pause_resume_renew_unsubscribe(counter, listener, inbox):
    sub = subscribe(counter.epr, "Value", inbox, listener=listener)
    counter.add(1)
    inbox.wait(1)
    sub.pause()
    counter.add(1)
    counter.add(1)
    assert len(inbox.quiet(0.4)) == 1  # nothing while paused (and nothing kept)
    sub.resume()
    counter.add(1)
    assert inbox.wait(2)[-1].value(int) == 4
    until = datetime.now(UTC) + timedelta(minutes=5)
    new = sub.renew(until)
    assert new is not None and abs((new - until).total_seconds()) < 1
    assert sub.renew(None) is None
    sub.cancel()
    counter.add(1)
    assert len(inbox.quiet(0.4)) == 2
    with pytest.raises(faults.ResourceUnknownFault):
        sub.client.get_property("CreationTime")


def test_termination_is_notified_and_ends_the_subscription(counter, listener, inbox):
    expr = "c:Value|wsrl:ResourceTermination"
    sub = subscribe(
        counter.epr,
        expr,
        inbox,
        listener=listener,
        topic_dialect="full",
        namespaces={"c": COUNTER_NS, "wsrl": _rl(counter)},
    )
    counter.add(3)
    counter.destroy()
    value, end = inbox.wait(2)
    assert value.value(int) == 3
    assert end.is_termination and end.topic == Topic(_rl(counter), ("ResourceTermination",))
    assert end.termination_time is not None
    with pytest.raises(faults.ResourceUnknownFault):
        sub.client.get_property("CreationTime")


def test_expiry_is_notified_too(counter, listener, inbox):
    sub = subscribe(counter.epr, f"{{{_rl(counter)}}}ResourceTermination", inbox, listener=listener)
    counter.set_termination_time(timedelta(seconds=1))
    [end] = inbox.wait(1, timeout=15)
    reason = end.message.findtext(counter.dialect.rl_tag("TerminationReason"))
    assert "termination time" in reason
    sub.consumer.remove()


def test_topics_are_resource_properties(counter):
    producer = ProducerClient(counter.epr)
    assert producer.topics() == [VALUE_TOPIC, Topic(_rl(counter), ("ResourceTermination",))]
    wsn = counter.dialect.wsn
    [fixed] = producer.get_property(wsn.b_tag("FixedTopicSet"))
    assert fixed.text == "true"
    name = (
        "TopicExpressionDialect"
        if counter.dialect.name == "wsrf-1.2"
        else "TopicExpressionDialects"
    )
    dialects = {el.text for el in producer.get_property(wsn.b_tag(name))}
    assert dialects == set(wsn.topic_dialects.values())
    if counter.dialect.name == "wsrf-1.2":
        exprs = producer.get_property(wsn.b_tag("TopicExpression"))
        assert [e.text.split(":")[1] for e in exprs] == ["Value", "ResourceTermination"]
    doc = producer.document()
    assert doc.find(wsn.b_tag("FixedTopicSet")) is not None


def test_get_current_message(counter):
    producer = ProducerClient(counter.epr)
    counter.add(7)
    msg = producer.get_current_message("Value")
    assert msg.tag == counter.dialect.rp_tag("ResourcePropertyValueChangeNotification")
    assert [v.text for v in msg.iter(VALUE)] == ["7"]
    with pytest.raises(wf.NoCurrentMessageOnTopicFault):
        producer.get_current_message(f"{{{_rl(counter)}}}ResourceTermination")
    with pytest.raises(wf.TopicNotSupportedFault):
        producer.get_current_message(f"{{{COUNTER_NS}}}Nope")
    many = (
        wf.MultipleTopicsSpecifiedFault
        if counter.dialect.name == "wsrf-1.2"
        else wf.InvalidTopicExpressionFault
    )
    with pytest.raises(wf.TopicNotSupportedFault):  # "*" in no namespace: no topic
        producer.get_current_message("*", topic_dialect="full", namespaces={})
    with pytest.raises(many):
        producer.get_current_message(
            "c://*|w://*", topic_dialect="full", namespaces={"c": COUNTER_NS, "w": _rl(counter)}
        )
    # a Full expression naming exactly one topic is fine
    one = producer.get_current_message("c:*", topic_dialect="full", namespaces={"c": COUNTER_NS})
    assert one is not None


def test_subscription_is_a_ws_resource(counter, listener, inbox):
    sub = subscribe(counter.epr, "Value", inbox, listener=listener)
    client = SubscriptionClient(sub.epr)
    [consumer] = client.get_property(counter.dialect.wsn.b_tag("ConsumerReference"))
    assert same_epr(EndpointReference.from_element(consumer), sub.consumer.epr)
    [created] = client.get_property("CreationTime")
    assert created.text
    doc = client.document()
    assert doc.tag == counter.dialect.wsn.b_tag("SubscriptionManagerRP")
    client.set_termination_time(timedelta(seconds=1))  # WS-ResourceLifetime on a subscription
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            client.get_property("CreationTime")
        except faults.ResourceUnknownFault:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the subscription did not expire")
    counter.add(1)
    assert inbox.quiet(0.3) == []


# -- filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "kind"),
    [
        ("c:Value", "simple"),
        ("c:Value", "concrete"),
        ("c:*", "full"),
        ("c://Value", "full"),
        ("c:Value//.", "full"),
    ],
)
def test_every_topic_dialect_selects_the_value(counter, listener, inbox, topic, kind):
    sub = subscribe(
        counter.epr,
        topic,
        inbox,
        listener=listener,
        topic_dialect=kind,
        namespaces={"c": COUNTER_NS},
    )
    counter.add(2)
    counter.destroy()  # on the termination topic: not selected
    got = inbox.quiet(0.6)
    assert [n.value(int) for n in got] == [2]
    sub.consumer.remove()


def test_full_expression_over_namespaces(counter, listener, inbox):
    sub = subscribe(
        counter.epr,
        "w://*|c:Value",
        inbox,
        listener=listener,
        topic_dialect="full",
        namespaces={"c": COUNTER_NS, "w": _rl(counter)},
    )
    counter.add(1)
    counter.destroy()
    assert [n.is_termination for n in inbox.wait(2)] == [False, True]
    sub.consumer.remove()


def test_all_topics_without_a_filter(demo, listener, inbox):
    counter = new_counter(demo, "CounterService", "wsrf-1.2")
    sub = subscribe(counter.epr, None, inbox, listener=listener)  # WSN 1.3: no Filter at all
    counter.add(1)
    counter.destroy()
    assert [n.is_termination for n in inbox.wait(2)] == [False, True]
    sub.consumer.remove()


def test_message_content_filter(counter, listener, inbox):
    rp = counter.dialect.rp
    plural = "s" if counter.dialect.name == "wsrf-1.2" else ""
    sub = subscribe(
        counter.epr,
        "Value",
        inbox,
        listener=listener,
        message_content=f"/*/rp:NewValue{plural}/c:Value > 10",
        namespaces={"c": COUNTER_NS, "rp": rp},
    )
    for n in (5, 20, 3, 11):
        counter.update_property("Value", n)
    inbox.wait(2)
    assert [n.value(int) for n in inbox.quiet(0.3)] == [20, 11]
    sub.cancel()


def test_producer_properties_filter(counter, listener, inbox):
    sub = subscribe(
        counter.epr,
        "Value",
        inbox,
        listener=listener,
        producer_properties="/*/c:Value mod 2 = 0",
        namespaces={"c": COUNTER_NS},
    )
    for _ in range(5):
        counter.add(1)
    inbox.wait(2)
    assert [n.value(int) for n in inbox.quiet(0.3)] == [2, 4]
    sub.cancel()


def test_raw_delivery(counter, listener, inbox):
    sub = subscribe(counter.epr, "Value", inbox, listener=listener, raw=True)
    counter.add(4)
    [n] = inbox.wait(1)
    assert n.raw and n.topic is None
    assert n.message.tag == counter.dialect.rp_tag("ResourcePropertyValueChangeNotification")
    assert n.value(int) == 4
    sub.cancel()


def test_batches_when_the_consumer_is_slower(demo, listener):
    counter = new_counter(demo, "CounterService", "wsrf-1.2")
    inbox = Inbox()

    def slow(n):
        time.sleep(0.05)
        inbox(n)

    sub = subscribe(counter.epr, "Value", slow, listener=listener, batch=50)
    for _ in range(30):
        counter.add(1)
    got = inbox.wait(30, timeout=30)
    assert [n.value(int) for n in got] == list(range(1, 31))  # all, in order
    message_ids = {
        next(h.text for h in n.headers if etree.QName(h).localname == "MessageID") for n in got
    }
    assert len(message_ids) < 30  # several notifications travelled in one Notify
    sub.cancel()


# -- bad input ------------------------------------------------------------------------------


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize(
    "address",
    [
        "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
        "ftp://127.0.0.1/x",
        "http:///nohost",
        "http://127.0.0.1:99999/x",
        "http://www.w3.org/2005/08/addressing/anonymous",
        "http://schemas.xmlsoap.org/ws/2004/03/addressing/role/anonymous",
        "CLOSED",
        "http://nonexistent.invalid/consumer",
    ],
)
def test_consumers_that_point_nowhere_are_refused(counter, address):
    if address == "CLOSED":
        address = f"http://127.0.0.1:{_closed_port()}/consumer"
    consumer = EndpointReference(address, version=counter.dialect.addressing)
    with pytest.raises(wf.SubscribeCreationFailedFault) as info:
        ProducerClient(counter.epr).subscribe(consumer, VALUE_TOPIC)
    assert "Traceback" not in info.value.description


@pytest.mark.parametrize(
    ("kw", "fault"),
    [
        ({"topic": "c:Nope", "topic_dialect": "simple"}, wf.TopicNotSupportedFault),
        ({"topic": "c:Value/Deeper", "topic_dialect": "concrete"}, wf.TopicNotSupportedFault),
        ({"topic": "c:Nope//*", "topic_dialect": "full"}, wf.TopicNotSupportedFault),
        ({"topic": "c:Value/*", "topic_dialect": "simple"}, wf.InvalidTopicExpressionFault),
        ({"topic": "q:Value", "topic_dialect": "simple"}, wf.InvalidTopicExpressionFault),
        (
            {"topic": "c:Value", "topic_dialect": "urn:my-dialect"},
            wf.TopicExpressionDialectUnknownFault,
        ),
        ({"message_content": "/*["}, wf.InvalidMessageContentExpressionFault),
        ({"message_content": "nosuchfunction()"}, wf.InvalidMessageContentExpressionFault),
        ({"producer_properties": "//c:Value["}, wf.InvalidProducerPropertiesExpressionFault),
        (
            {"termination": datetime(2001, 1, 1, tzinfo=UTC)},
            wf.UnacceptableInitialTerminationTimeFault,
        ),
        ({"batch": 0}, wf.UnsupportedPolicyRequestFault),
    ],
)
def test_bad_subscriptions_get_wsn_faults(counter, listener, kw, fault):
    consumer = listener.add(lambda n: None, addressing=counter.dialect.addressing)
    kw = dict(kw)
    topic = kw.pop("topic", "c:Value")
    kw.setdefault("topic_dialect", "simple")
    kw["namespaces"] = {"c": COUNTER_NS}
    if counter.dialect.name == "gt4" and fault in (
        wf.InvalidMessageContentExpressionFault,
        wf.InvalidProducerPropertiesExpressionFault,
        wf.UnacceptableInitialTerminationTimeFault,
        wf.UnsupportedPolicyRequestFault,
    ):
        fault = wf.SubscribeCreationFailedFault  # the draft's nearest fault
    with pytest.raises(fault) as info:
        ProducerClient(counter.epr).subscribe(consumer.epr, topic, **kw)
    assert info.value.description
    consumer.remove()


def _subscribe_raw(counter, body_xml: str) -> faults.Fault:
    wsn = counter.dialect.wsn
    body = etree.fromstring(body_xml)
    with pytest.raises(faults.Fault) as info:
        SoapClient(counter.epr).call(wsn.actions["Subscribe"], body)
    return info.value


def test_malformed_subscribe_requests(demo, listener):
    counter = new_counter(demo, "CounterService", "wsrf-1.2")
    b = ns.WSN_B
    consumer = listener.add(lambda n: None)
    ref = etree.tostring(consumer.epr.to_element(f"{{{b}}}ConsumerReference")).decode()
    # no ConsumerReference
    f = _subscribe_raw(counter, f'<wsnt:Subscribe xmlns:wsnt="{b}"/>')
    assert isinstance(f, wf.SubscribeCreationFailedFault)
    # an unknown filter, an unknown policy
    f = _subscribe_raw(
        counter,
        f'<wsnt:Subscribe xmlns:wsnt="{b}">{ref}<wsnt:Filter><x:Mine xmlns:x="urn:x"/></wsnt:Filter></wsnt:Subscribe>',
    )
    assert isinstance(f, wf.InvalidFilterFault)
    f = _subscribe_raw(
        counter,
        f'<wsnt:Subscribe xmlns:wsnt="{b}">{ref}<wsnt:SubscriptionPolicy><x:Fast xmlns:x="urn:x"/>'
        "</wsnt:SubscriptionPolicy></wsnt:Subscribe>",
    )
    assert isinstance(f, wf.UnrecognizedPolicyRequestFault)
    # a bad InitialTerminationTime
    f = _subscribe_raw(
        counter,
        f'<wsnt:Subscribe xmlns:wsnt="{b}">{ref}<wsnt:InitialTerminationTime>soon</wsnt:InitialTerminationTime></wsnt:Subscribe>',
    )
    assert isinstance(f, wf.SubscribeCreationFailedFault)
    # a relative InitialTerminationTime is fine
    reply = SoapClient(counter.epr).call(
        counter.dialect.wsn.actions["Subscribe"],
        etree.fromstring(
            f'<wsnt:Subscribe xmlns:wsnt="{b}">{ref}<wsnt:InitialTerminationTime>PT1H</wsnt:InitialTerminationTime></wsnt:Subscribe>'
        ),
    )
    tt = reply.findtext(f"{{{b}}}TerminationTime")
    assert tt and datetime.fromisoformat(tt.replace("Z", "+00:00")) > datetime.now(UTC)
    # the producer resource must exist
    gone = new_counter(demo, "CounterService", "wsrf-1.2")
    gone.destroy()
    with pytest.raises(faults.ResourceUnknownFault):
        ProducerClient(gone.epr).subscribe(consumer.epr, VALUE_TOPIC)
    consumer.remove()


def test_renew_into_the_past_is_refused(demo, listener, inbox):
    counter = new_counter(demo, "CounterService", "wsrf-1.2")
    sub = subscribe(counter.epr, "Value", inbox, listener=listener)
    with pytest.raises(wf.UnacceptableTerminationTimeFault) as info:
        sub.renew(datetime(2001, 1, 1, tzinfo=UTC))
    minimum = info.value.detail.findtext(f"{{{ns.WSN_B}}}MinimumTime")
    assert minimum
    sub.cancel()


def test_a_removed_consumer_refuses_and_the_producer_carries_on(demo, listener, inbox):
    counter = new_counter(demo, "CounterService", "wsrf-1.2")
    sub = subscribe(counter.epr, "Value", inbox, listener=listener)
    other = Inbox()
    sub2 = subscribe(counter.epr, "Value", other, listener=listener)
    sub.consumer.remove()  # its notifications are now refused with a SOAP fault
    counter.add(1)
    counter.add(1)
    assert [n.value(int) for n in other.wait(2)] == [1, 2]
    assert inbox.items == []
    assert WsrfClient(sub.epr).get_property("CreationTime")  # refusals do not end it
    sub.cancel()
    sub2.cancel()
