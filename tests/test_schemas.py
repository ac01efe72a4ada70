"""What the container emits validates against the schemas, checked by an independent validator."""

from __future__ import annotations

import pytest
import xmlschema
from lxml import etree

from gridware import wsdl
from gridware.clients.counter import CounterClient
from tests.conftest import COUNTER_NS
from tests.helpers import envelope, get, post


def _schema_of(demo, service):
    wsdl_doc = etree.fromstring(get(demo.url(service) + "?wsdl").body)
    schema_el = wsdl_doc.find(".//{http://www.w3.org/2001/XMLSchema}schema")
    text = etree.tostring(schema_el)  # carries the WSDL's in-scope namespace declarations
    return xmlschema.XMLSchema(text.decode(), base_url=demo.url(service))


@pytest.mark.parametrize("service", ["CounterService", "gt4/CounterService"])
def test_property_document_and_create_response_validate(demo, service):
    schema = _schema_of(demo, service)
    dialect = "gt4" if service.startswith("gt4") else "wsrf-1.2"
    counter = CounterClient(CounterClient(demo.url(service), dialect=dialect).create())
    counter.add(3)
    doc = counter.document()
    # WS-Topics names the children of a TopicSet after the topics, and the topic of a
    # resource property is the property's QName: a validator that knows the property
    # (tns:Value, an int) lax-validates <tns:Value wstop:topic="true"/> as one and
    # fails.  The TopicSet is checked alone in tests/wsn/test_wsn_interop.py.
    for topic_set in doc.findall("{http://docs.oasis-open.org/wsn/t-1}TopicSet"):
        doc.remove(topic_set)
    schema.validate(etree.tostring(doc).decode())
    r = post(demo.url(service), envelope(f'<c:createCounter xmlns:c="{COUNTER_NS}"/>'))
    body = r.xml().find(f".//{{{COUNTER_NS}}}createCounterResponse")
    schema.validate(etree.tostring(body).decode())


def test_fault_detail_validates_against_wsrf_schemas(demo):
    r2 = xmlschema.XMLSchema(
        str(wsdl.path("schemas/wsrf-1.2/r-2.xsd")),
        locations=[
            (ns, str(wsdl.ROOT / wsdl.NAMESPACE_LOCATIONS[ns]))
            for ns in (
                "http://docs.oasis-open.org/wsrf/bf-2",
                "http://www.w3.org/2005/08/addressing",
                "http://www.w3.org/XML/1998/namespace",
            )
        ],
    )
    hdr = f'<c:CounterKey xmlns:c="{COUNTER_NS}">nope</c:CounterKey>'
    r = post(demo.url("CounterService"), envelope(f'<c:add xmlns:c="{COUNTER_NS}">1</c:add>', hdr))
    detail = r.xml().find(".//detail")[0]
    r2.validate(etree.tostring(detail).decode())


def test_every_shipped_document_parses_and_its_imports_resolve():
    from gridware.container.wsdlserve import DocumentServer

    server = DocumentServer()
    for rel in sorted(wsdl.shipped_files()):
        data = server.render(server.shipped, rel, "http://container")
        doc = etree.fromstring(data)
        for el in doc.iter():
            if not isinstance(el.tag, str) or etree.QName(el).localname not in (
                "import",
                "include",
            ):
                continue
            loc = el.get("schemaLocation") or el.get("location")
            if loc is None:
                continue
            assert loc.startswith("http://container/wsrf/share/gridware/"), (rel, loc)
            target = loc.removeprefix("http://container/wsrf/share/gridware/")
            assert target in wsdl.shipped_files(), (rel, loc)
