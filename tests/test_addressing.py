"""Endpoint references and addressing headers in the three WS-Addressing versions."""

from __future__ import annotations

import pytest
from lxml import etree

from gridware.container.addressing import (
    WSA_2004_03,
    WSA_2004_08,
    WSA_2005_08,
    AddressingError,
    AddressingHeaders,
    EndpointReference,
    reply_headers,
    request_headers,
)

KEY = "{urn:counter}CounterKey"


def _key(value="42"):
    el = etree.Element(KEY)
    el.text = value
    return el


def test_2005_08_round_trip(tmp_path):
    md = etree.Element("{urn:md}Info")
    epr = EndpointReference("http://h/x", reference_parameters=(_key(),), metadata=(md,))
    xml = epr.to_xml()
    back = EndpointReference.from_xml(xml)
    assert back == epr
    assert back.reference(KEY) == "42"
    root = etree.fromstring(xml)
    assert root.find(f"{{{WSA_2005_08.namespace}}}ReferenceParameters") is not None
    assert root.find(f"{{{WSA_2005_08.namespace}}}Metadata")[0].tag == "{urn:md}Info"
    path = tmp_path / "e.epr"
    epr.write(path)
    assert EndpointReference.read(path) == epr


@pytest.mark.parametrize("version", [WSA_2004_03, WSA_2004_08])
def test_2004_reference_properties(version):
    epr = EndpointReference("http://h/x", reference_properties=(_key(),), version=version)
    back = EndpointReference.from_xml(epr.to_xml())
    assert back.version is version
    assert back.reference_properties and back.reference(KEY) == "42"
    headers = back.echo_headers()
    assert [h.tag for h in headers] == [KEY]
    assert headers[0].get(WSA_2005_08.tag("IsReferenceParameter")) is None


def test_conversion_to_2005_moves_properties_to_parameters():
    epr = EndpointReference("http://h/x", reference_properties=(_key(),), version=WSA_2004_03)
    new = epr.with_version(WSA_2005_08)
    assert not new.reference_properties and new.reference(KEY) == "42"
    [h] = new.echo_headers()
    assert h.get(WSA_2005_08.tag("IsReferenceParameter")) == "true"
    root = etree.fromstring(epr.to_xml(version=WSA_2005_08))
    assert root.tag == WSA_2005_08.tag("EndpointReference")


def test_epr_found_inside_a_wrapper():
    epr = EndpointReference("http://h/x", reference_parameters=(_key(),))
    wrapper = etree.Element("{urn:x}createResponse")
    wrapper.append(epr.to_element())
    assert EndpointReference.from_xml(etree.tostring(wrapper)) == epr


@pytest.mark.parametrize(
    "xml",
    [
        b"<e/>",
        b'<e xmlns:w="http://www.w3.org/2005/08/addressing"><w:Address></w:Address></e>',
        b'<e xmlns:w="http://www.w3.org/2005/08/addressing"><w:Address>a</w:Address><w:Address>b</w:Address></e>',
        b'<e xmlns:w="http://www.w3.org/2005/08/addressing"><w:Address>a</w:Address>'
        b"<w:ReferenceProperties/></e>",
        b"not xml",
        b'<!DOCTYPE e [<!ENTITY x "y">]><e/>',
    ],
)
def test_malformed_eprs(xml):
    with pytest.raises(AddressingError):
        EndpointReference.from_xml(xml)


def test_empty_address_refused():
    with pytest.raises(AddressingError):
        EndpointReference("  ")


def test_read_missing_file(tmp_path):
    with pytest.raises(AddressingError, match="cannot read EPR file"):
        EndpointReference.read(tmp_path / "nope")


@pytest.mark.parametrize("version", [WSA_2004_03, WSA_2004_08, WSA_2005_08])
def test_request_and_reply_headers(version):
    epr = EndpointReference("http://h/x", reference_parameters=(_key(),), version=version)
    header = etree.fromstring(
        b"<Header>" + request_headers(epr, "urn:action", message_id="urn:uuid:1") + b"</Header>"
    )
    parsed = AddressingHeaders.from_header(header)
    assert parsed.version is version
    assert (parsed.action, parsed.to, parsed.message_id) == (
        "urn:action",
        "http://h/x",
        "urn:uuid:1",
    )
    assert parsed.reply_to is not None and parsed.reply_to.address == version.anonymous
    assert header.find(KEY).text == "42"
    reply = etree.fromstring(b"<Header>" + reply_headers(parsed, "urn:reply") + b"</Header>")
    back = AddressingHeaders.from_header(reply)
    assert back.version is version
    assert back.action == "urn:reply"
    assert back.relates_to == [("urn:uuid:1", None)]
    assert back.to is None  # anonymous: the back channel


def test_no_addressing_means_no_reply_headers():
    assert reply_headers(AddressingHeaders.from_header(None), "urn:x") == b""


def test_reply_echoes_reply_to_reference_parameters_and_escapes():
    ref = etree.Element("{urn:client}Session")
    ref.text = "s<1>"
    reply_to = EndpointReference("http://client/cb?a=1&b=2", reference_parameters=(ref,))
    request = AddressingHeaders(version=WSA_2005_08, message_id="urn:<odd>&id", reply_to=reply_to)
    reply = etree.fromstring(b"<H>" + reply_headers(request, "urn:r") + b"</H>")
    back = AddressingHeaders.from_header(reply)
    assert back.to == "http://client/cb?a=1&b=2"
    assert back.relates_to == [("urn:<odd>&id", None)]
    session = reply.find("{urn:client}Session")
    assert session.text == "s<1>"
    assert session.get(WSA_2005_08.tag("IsReferenceParameter")) == "true"


def test_message_ids_are_uuid4_urns():
    import uuid

    from gridware.container.addressing import new_message_id

    ids = {new_message_id() for _ in range(1000)}
    assert len(ids) == 1000
    for mid in list(ids)[:50]:
        assert mid.startswith("urn:uuid:")
        u = uuid.UUID(mid.removeprefix("urn:uuid:"))
        assert u.version == 4 and u.variant == uuid.RFC_4122
