"""An independent SOAP toolkit (zeep) uses the demo services from their ?wsdl alone."""

from __future__ import annotations

import pytest
import zeep
from lxml import etree

from tests.conftest import COUNTER_NS

pytestmark = pytest.mark.interop


def _key_header(client, epr_obj):
    """The CounterKey header zeep must echo, built from the EPR zeep parsed."""
    # WS-Addressing 2005/08 EPRs carry ReferenceParameters, 2004/03 ones ReferenceProperties
    name = "ReferenceParameters" if "ReferenceParameters" in epr_obj else "ReferenceProperties"
    refs = epr_obj[name]
    [key] = refs["_value_1"]
    return _render(client, key)


def _render(client, key):
    """The CounterKey element, declared in the WSDL's types, rendered by zeep."""
    key_el = client.get_element(f"{{{COUNTER_NS}}}CounterKey")
    holder = etree.Element("holder")
    key_el.render(holder, key)
    return holder[0]


@pytest.mark.parametrize("service", ["CounterService", "gt4/CounterService"])
@pytest.mark.parametrize("port", ["CounterPort", "CounterSoap12Port"])
def test_zeep_creates_a_counter_and_adds(demo, service, port):
    client = zeep.Client(demo.url(service) + "?wsdl")
    proxy = client.bind("CounterService", port)
    epr = proxy.createCounter()
    header = _key_header(client, epr)
    assert proxy.add(5, _soapheaders=[header]) == 5
    assert proxy.add(37, _soapheaders=[header]) == 42
    # the standard WS-RF operation, described by the imported OASIS/GT4 WSDLs
    value = etree.QName(COUNTER_NS, "Value")
    result = proxy.GetResourceProperty(value, _soapheaders=[header])
    # zeep knows tns:Value from the WSDL's types and hands back the typed value
    items = result if isinstance(result, list) else result._value_1
    assert [int(getattr(v, "text", v)) for v in items] == [42]


def test_zeep_sees_typed_faults(demo):
    client = zeep.Client(demo.url("CounterService") + "?wsdl")
    with pytest.raises(zeep.exceptions.Fault) as info:
        client.service.add(1, _soapheaders=[_render(client, "nope")])
    assert "nope" in info.value.message
    detail = info.value.detail
    assert detail is not None
    assert etree.QName(detail[0]).localname == "ResourceUnknownFault"


def test_wsdl_imports_resolve_inside_the_container(demo):
    """Every document the WSDL pulls in comes from the container, never the Internet."""
    from tests.helpers import get

    seen: set[str] = set()
    todo = [demo.url("CounterService") + "?wsdl", demo.url("gt4/CounterService") + "?wsdl"]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        r = get(url)
        assert r.status == 200, url
        doc = etree.fromstring(r.body)
        for el in doc.iter():
            if not isinstance(el.tag, str):
                continue
            for attr in ("location", "schemaLocation"):
                loc = el.get(attr)
                if loc and etree.QName(el).localname in ("import", "include"):
                    assert loc.startswith(demo.base_url), f"{url} imports {loc}"
                    todo.append(loc)
            if etree.QName(el).localname == "address" and el.get("location"):
                assert el.get("location").startswith(demo.base_url + "/wsrf/services/")
    assert len(seen) > 8
