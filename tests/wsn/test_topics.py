"""WS-Topics expressions (Simple, Concrete, Full, both versions), topic sets, filters,
and the WSN fault details, without a container."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from gridware.container import ns
from gridware.container.dialects import GT4, WSN_1_3, WSN_DRAFT, WSRF_1_2
from gridware.container.faults import fault_class_for
from gridware.container.wsn import faults as wf
from gridware.container.wsn.filters import XPATH, filter_1_3, filter_draft
from gridware.container.wsn.messages import (
    NotifyWriter,
    message_bytes,
    parse_notify,
    reference_bytes,
    termination_message,
    topic_bytes,
    value_change_message,
)
from gridware.container.wsn.topics import Topic, TopicSet, parse_topic_expression

J = "urn:jobs"
NSMAP = {"j": J, None: "urn:default"}
JOB = Topic(J, ("Job",))
STATUS = Topic(J, ("Job", "Status"))
PERCENT = Topic(J, ("Job", "Progress", "Percent"))
OTHER = Topic("urn:other", ("Job",))


def expr(text: str, kind: str = "full", wsn=WSN_1_3, nsmap=NSMAP):
    return parse_topic_expression(text, wsn.topic_dialects[kind], nsmap)


@pytest.mark.parametrize("wsn", [WSN_1_3, WSN_DRAFT], ids=["1.3", "draft"])
@pytest.mark.parametrize(
    ("text", "kind", "job", "status", "percent"),
    [
        ("j:Job", "simple", True, False, False),
        ("j:Job/Status", "concrete", False, True, False),
        ("j:Job/Progress/Percent", "concrete", False, False, True),
        ("j:Job", "full", True, False, False),
        ("j:Job/*", "full", False, True, False),
        ("j:Job//*", "full", False, True, True),
        ("j:Job//.", "full", True, True, True),
        ("j:Job/.", "full", True, False, False),
        ("j://Status", "full", False, True, False),
        ("j://*", "full", True, True, True),
        ("j:*", "full", True, False, False),
        ("j:*/Status", "full", False, True, False),
        ("j:Job//Percent|j:Job", "full", True, False, True),
        ("j:Job/Progress/*", "full", False, False, True),
        ("j:Job/j:Status", "full", False, True, False),
    ],
)
def test_expressions_denote_the_right_topics(wsn, text, kind, job, status, percent):
    e = expr(text, kind, wsn)
    assert (e.matches(JOB), e.matches(STATUS), e.matches(PERCENT)) == (job, status, percent)
    assert not e.matches(OTHER)  # another namespace, same names


def test_simple_and_concrete_name_one_topic_full_does_not():
    assert expr("j:Job", "simple").topic == JOB
    assert expr("j:Job/Status", "concrete").topic == STATUS
    assert expr("j:Job", "full").topic is None
    assert expr("Job", "simple").topic == Topic("urn:default", ("Job",))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("j:Job/Status", "simple"),
        ("j:Job/*", "concrete"),
        ("j:Job//Status", "concrete"),
        ("j:*", "simple"),
        ("j://Job", "concrete"),
        ("j:Job/", "full"),
        ("j:Job///x", "full"),
        ("j:Job|", "full"),
        ("1Job", "simple"),
        ("j:Job Status", "concrete"),
        ("j:Job|j:Job/Status", "concrete"),
        ("", "simple"),
        ("   ", "full"),
        ("j:", "simple"),
        ("x:Job", "simple"),  # undeclared prefix
        ("j:Job/x:Status", "full"),
    ],
)
def test_malformed_expressions_are_invalid_topic_expression_faults(text, kind):
    with pytest.raises(wf.InvalidTopicExpressionFault):
        expr(text, kind)


def test_unknown_dialects_are_dialect_unknown_faults():
    for dialect in ("urn:nope", "", ns.XPATH_DIALECT, "http://docs.oasis-open.org/wsn/t-1/x"):
        with pytest.raises(wf.TopicExpressionDialectUnknownFault):
            parse_topic_expression("j:Job", dialect, NSMAP)


@given(st.text(max_size=40))
def test_any_text_compiles_or_faults_never_crashes(text):
    for kind in ("simple", "concrete", "full"):
        try:
            e = expr(text, kind)
        except wf.WsnFault:
            continue
        e.matches(JOB)
        e.matches(PERCENT)


def test_topic_set_element_and_expressions():
    ts = TopicSet([STATUS, Topic("urn:c", ("Value",))])
    assert list(ts) == [JOB, STATUS, Topic("urn:c", ("Value",))]  # ancestors are topics
    assert ts.matching(expr("j://*")) == [JOB, STATUS]
    el = ts.element(WSN_1_3)
    assert el.tag == f"{{{ns.WSN_T}}}TopicSet"
    job = el[0]
    assert job.tag == f"{{{J}}}Job" and job.get(f"{{{ns.WSN_T}}}topic") == "true"
    assert job[0].tag == f"{{{J}}}Status"
    exprs = ts.expression_elements(f"{{{ns.WSN_B}}}TopicExpression", WSN_1_3)
    compiled = [parse_topic_expression(e.text, e.get("Dialect"), e.nsmap) for e in exprs]
    assert [c.topic for c in compiled] == list(ts)


def _el(xml: str) -> etree._Element:
    return etree.fromstring(xml)


def test_filter_1_3_components_and_unknown_filters():
    f = filter_1_3(
        _el(
            f'<wsnt:Filter xmlns:wsnt="{ns.WSN_B}" xmlns:j="{J}">'
            f'<wsnt:TopicExpression Dialect="{WSN_1_3.topic_dialects["full"]}">j:Job//*'
            "</wsnt:TopicExpression>"
            f'<wsnt:MessageContent Dialect="{XPATH}">/*/j:state = "Done"</wsnt:MessageContent>'
            f'<wsnt:ProducerProperties Dialect="{XPATH}">count(/*/j:Value) = 1'
            "</wsnt:ProducerProperties></wsnt:Filter>"
        )
    )
    assert f.accepts_topic(STATUS) and not f.accepts_topic(JOB)
    done = _el(f'<j:Msg xmlns:j="{J}"><j:state>Done</j:state></j:Msg>')
    running = _el(f'<j:Msg xmlns:j="{J}"><j:state>Running</j:state></j:Msg>')
    assert f.accepts_message(done) and not f.accepts_message(running)
    assert f.accepts_producer(lambda: _el(f'<j:RP xmlns:j="{J}"><j:Value>1</j:Value></j:RP>'))
    assert not f.accepts_producer(lambda: _el(f'<j:RP xmlns:j="{J}"/>'))
    with pytest.raises(wf.InvalidFilterFault) as info:
        filter_1_3(
            _el(f'<wsnt:Filter xmlns:wsnt="{ns.WSN_B}"><x:Odd xmlns:x="urn:x"/></wsnt:Filter>')
        )
    assert info.value.unknown == ("{urn:x}Odd",)
    detail = info.value.to_detail(WSRF_1_2)
    [unknown] = detail.findall(f"{{{ns.WSN_B}}}UnknownFilter")
    prefix, _, local = unknown.text.partition(":")
    assert (unknown.nsmap[prefix], local) == ("urn:x", "Odd")


@pytest.mark.parametrize(
    ("xml", "fault"),
    [
        (
            f'<wsnt:MessageContent Dialect="{XPATH}">/*[</wsnt:MessageContent>',
            wf.InvalidMessageContentExpressionFault,
        ),
        (
            '<wsnt:MessageContent Dialect="urn:sql">x</wsnt:MessageContent>',
            wf.InvalidMessageContentExpressionFault,
        ),
        (
            f'<wsnt:MessageContent Dialect="{XPATH}">nope(1)</wsnt:MessageContent>',
            wf.InvalidMessageContentExpressionFault,
        ),
        (
            f'<wsnt:MessageContent Dialect="{XPATH}">q:x</wsnt:MessageContent>',
            wf.InvalidMessageContentExpressionFault,
        ),
        (
            f'<wsnt:MessageContent Dialect="{XPATH}"> </wsnt:MessageContent>',
            wf.InvalidMessageContentExpressionFault,
        ),
        (
            f'<wsnt:ProducerProperties Dialect="{XPATH}">//</wsnt:ProducerProperties>',
            wf.InvalidProducerPropertiesExpressionFault,
        ),
        (
            f'<wsnt:TopicExpression Dialect="{XPATH}">x</wsnt:TopicExpression>',
            wf.TopicExpressionDialectUnknownFault,
        ),
        (
            f'<wsnt:TopicExpression Dialect="{WSN_1_3.topic_dialects["simple"]}"><a/></wsnt:TopicExpression>',
            wf.InvalidTopicExpressionFault,
        ),
    ],
)
def test_bad_filter_components_fault(xml, fault):
    with pytest.raises(fault):
        filter_1_3(_el(f'<wsnt:Filter xmlns:wsnt="{ns.WSN_B}">{xml}</wsnt:Filter>'))


def test_draft_filter_selector_and_precondition():
    b = ns.GT4_WSN_B
    topic = _el(
        f'<wsnt:TopicExpression xmlns:wsnt="{b}" xmlns:j="{J}" '
        f'Dialect="{WSN_DRAFT.topic_dialects["simple"]}">j:Job</wsnt:TopicExpression>'
    )
    selector = _el(f'<wsnt:Selector xmlns:wsnt="{b}" Dialect="{XPATH}">true()</wsnt:Selector>')
    f = filter_draft(topic, None, selector)
    assert f.accepts_topic(JOB) and f.producer_properties is None
    bad = _el(f'<wsnt:Precondition xmlns:wsnt="{b}" Dialect="{XPATH}">((</wsnt:Precondition>')
    with pytest.raises(wf.InvalidProducerPropertiesExpressionFault):
        filter_draft(topic, bad, None)


@pytest.mark.parametrize("dialect", [WSRF_1_2, GT4], ids=["1.3", "gt4"])
def test_fault_elements_follow_the_dialect_and_come_back_typed(dialect):
    fault = wf.TopicExpressionDialectUnknownFault("no such dialect")
    detail = fault.to_detail(dialect)
    expected = (
        "TopicExpressionDialectUnknownFault"
        if dialect is WSRF_1_2
        else "TopicPathDialectUnknownFault"
    )
    assert detail.tag == f"{{{dialect.wsn.b}}}{expected}"
    cls = fault_class_for(detail.tag)
    assert cls is not None and issubclass(cls, wf.TopicExpressionDialectUnknownFault)
    # a fault the drafts do not have is sent as their nearest one
    stand_in = wf.InvalidMessageContentExpressionFault("bad").to_detail(dialect)
    if dialect is GT4:
        assert stand_in.tag == f"{{{ns.GT4_WSN_B}}}SubscribeCreationFailedFault"
    else:
        assert stand_in.tag == f"{{{ns.WSN_B}}}InvalidMessageContentExpressionFault"


def test_time_faults_carry_minimum_time():
    from datetime import UTC, datetime

    now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    detail = wf.UnacceptableTerminationTimeFault("past", minimum=now).to_detail(WSRF_1_2)
    assert detail.findtext(f"{{{ns.WSN_B}}}MinimumTime") == "2030-01-02T03:04:05Z"


@pytest.mark.parametrize("dialect", [WSRF_1_2, GT4], ids=["1.3", "gt4"])
def test_notify_written_and_read_back(dialect):
    from gridware.container.addressing import EndpointReference
    from gridware.container.soap import parse_envelope

    wsn = dialect.wsn
    prop = etree.Element(f"{{{J}}}Value")
    prop.text = "7"
    old = etree.Element(f"{{{J}}}Value")
    old.text = "6"
    message = value_change_message(dialect, [old], [prop])
    producer = EndpointReference("http://h:1/wsrf/services/P", version=dialect.addressing)
    sub = EndpointReference("http://h:1/wsrf/services/S", version=dialect.addressing)
    item = message_bytes(
        wsn,
        topic_bytes(wsn, Topic(J, ("Value",))),
        etree.tostring(message),
        reference_bytes(wsn, "SubscriptionReference", sub, dialect),
        reference_bytes(wsn, "ProducerReference", producer, dialect),
    )
    ended = termination_message(
        dialect, __import__("datetime").datetime.now(__import__("datetime").UTC), "gone"
    )
    item2 = message_bytes(
        wsn, topic_bytes(wsn, Topic(dialect.rl, ("ResourceTermination",))), etree.tostring(ended)
    )
    consumer = EndpointReference("http://c:2/x", version=dialect.addressing)
    data = NotifyWriter(consumer, dialect).notify([item, item2])
    msg = parse_envelope(data)
    first, second = parse_notify(msg.body_element)
    assert first.topic == Topic(J, ("Value",))
    assert (first.old_value(int), first.value(int)) == (6, 7)
    assert first.producer == producer
    assert (first.subscription == sub) == (dialect is WSRF_1_2)  # the drafts have none
    assert second.is_termination and second.termination_time is not None
    assert second.topic == Topic(dialect.rl, ("ResourceTermination",))


def test_value_change_without_values_is_nil():
    msg = value_change_message(WSRF_1_2, [], [])
    nil = f"{{{ns.XSI}}}nil"
    assert [c.get(nil) for c in msg] == ["true", "true"]
    assert value_change_message(GT4, None, [])[0].tag.endswith("NewValue")
