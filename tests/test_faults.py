"""Faults written by the container are read back as the same exception classes."""

from __future__ import annotations

import pytest
from lxml import etree

from gridware.container import faults
from gridware.container.addressing import EndpointReference
from gridware.container.dialects import GT4, WSRF_1_2
from gridware.container.soap import (
    SOAP11,
    SOAP12,
    build_envelope,
    fault_element,
    parse_envelope,
    parse_fault,
    serialize,
)

KINDS = [
    faults.ResourceUnknownFault,
    faults.ResourceUnavailableFault,
    faults.InvalidResourcePropertyQNameFault,
    faults.InvalidModificationFault,
    faults.UnableToModifyResourcePropertyFault,
    faults.SetResourcePropertyRequestFailedFault,
    faults.UnknownQueryExpressionDialectFault,
    faults.InvalidQueryExpressionFault,
    faults.QueryEvaluationErrorFault,
    faults.ResourceNotDestroyedFault,
    faults.UnableToSetTerminationTimeFault,
    faults.TerminationTimeChangeRejectedFault,
]


def _round_trip(fault, soap, dialect, operation=None):
    detail = fault.to_detail(dialect, operation)
    env = build_envelope(soap, fault_element(soap, fault, detail))
    return parse_fault(parse_envelope(serialize(env)))


@pytest.mark.parametrize("cls", KINDS)
@pytest.mark.parametrize("soap", [SOAP11, SOAP12])
@pytest.mark.parametrize("dialect", [WSRF_1_2, GT4])
def test_round_trip(cls, soap, dialect):
    original = cls(
        "it went wrong",
        error_code="E42",
        originator=EndpointReference("http://h/x", version=dialect.addressing),
    )
    back = _round_trip(original, soap, dialect)
    if dialect is GT4 and cls is faults.ResourceUnavailableFault:
        cls = faults.ResourceUnknownFault  # the drafts have no "unavailable" fault
        assert back.soap_code == faults.RECEIVER
    assert type(back) is cls
    assert back.description == "it went wrong"
    assert back.error_code == "E42"
    assert back.originator is not None and back.originator.address == "http://h/x"
    assert back.soap_code == original.code
    assert abs((back.timestamp - original.timestamp).total_seconds()) < 0.001


def test_fault_cause_chain():
    cause = faults.ResourceUnknownFault("inner")
    outer = faults.SetResourcePropertyRequestFailedFault("outer", cause=cause)
    for dialect in (WSRF_1_2, GT4):
        back = _round_trip(outer, SOAP11, dialect)
        assert back.cause is not None and back.cause.description == "inner"


def test_gt4_names():
    d = faults.InvalidModificationFault("x").to_detail(GT4)
    assert etree.QName(d).localname == "InvalidSetResourcePropertiesRequestContentFault"
    d = faults.ResourceUnknownFault("x").to_detail(GT4, "Destroy")
    assert etree.QName(d).namespace == GT4.rl
    d = faults.ResourceUnknownFault("x").to_detail(WSRF_1_2, "Destroy")
    assert etree.QName(d).namespace == "http://docs.oasis-open.org/wsrf/r-2"


def test_generic_receiver_fault_without_detail():
    env = build_envelope(SOAP12, fault_element(SOAP12, faults.InternalError("boom"), None))
    back = parse_fault(parse_envelope(serialize(env)))
    assert isinstance(back, faults.ReceiverFault)
    assert back.description == "boom"


def test_wsa_subcode():
    fault = faults.ActionNotSupportedFault("urn:x", "S")
    for soap in (SOAP11, SOAP12):
        env = build_envelope(
            soap, fault_element(soap, fault, None, "http://www.w3.org/2005/08/addressing")
        )
        back = parse_fault(parse_envelope(serialize(env)))
        assert back.subcode == "ActionNotSupported"
        assert isinstance(back, faults.SenderFault)


def test_unknown_detail_keeps_the_element():
    detail = etree.Element("{urn:app}QuotaExceeded")
    detail.text = "too many"
    env = build_envelope(SOAP11, fault_element(SOAP11, faults.SenderFault("quota"), detail))
    back = parse_fault(parse_envelope(serialize(env)))
    assert isinstance(back, faults.SenderFault)
    assert back.detail is not None and back.detail.tag == "{urn:app}QuotaExceeded"
    assert back.description == "quota"
