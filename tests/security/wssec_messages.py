"""SOAP messages and helpers shared by the WS-Security tests."""

from __future__ import annotations

import copy

from lxml import etree

from gridware.security.wssec.ns import (
    DS,
    EXC_C14N_NS,
    SOAP11,
    SOAP12,
    WSA_2004_03,
    WSA_2004_08,
    WSA_2005_08,
    WSSE,
    WSU,
    XENC,
)

WSA_VERSIONS = {"2004/03": WSA_2004_03, "2004/08": WSA_2004_08, "2005/08": WSA_2005_08}
SOAP_VERSIONS = {"1.1": SOAP11, "1.2": SOAP12}
WSRP = "http://docs.oasis-open.org/wsrf/rp-2"
COUNTER = "http://gridware.org/samples/counter"
KEY_HEADER = f"{{{COUNTER}}}CounterKey"
NS = {
    "ds": DS,
    "ec": EXC_C14N_NS,
    "wsse": WSSE,
    "wsu": WSU,
    "s11": SOAP11,
    "s12": SOAP12,
    "xenc": XENC,
}

# What the container's hardened parser does (no DTDs, no entities, no ID collection).
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, collect_ids=False)


def request(soap: str = "1.1", wsa: str = WSA_2005_08, *, text: str = "c:Value") -> etree._Element:
    """A GetResourceProperty request to a counter resource, as the container sends it."""
    s = SOAP_VERSIONS.get(soap, soap)
    anonymous = f"{wsa}/anonymous" if wsa == WSA_2005_08 else f"{wsa}/role/anonymous"
    xml = f"""<s:Envelope xmlns:s="{s}" xmlns:wsa="{wsa}" xmlns:wsrp="{WSRP}" xmlns:c="{COUNTER}">
<s:Header>
<wsa:To>http://127.0.0.1:8080/wsrf/services/CounterService</wsa:To>
<wsa:Action>{WSRP}/GetResourceProperty/GetResourcePropertyRequest</wsa:Action>
<wsa:MessageID>urn:uuid:0b6e2ae4-6e0f-4e0a-9d3a-1c6b1e1f0001</wsa:MessageID>
<wsa:ReplyTo><wsa:Address>{anonymous}</wsa:Address></wsa:ReplyTo>
<c:CounterKey>42</c:CounterKey>
</s:Header>
<s:Body><wsrp:GetResourceProperty>{text}</wsrp:GetResourceProperty></s:Body>
</s:Envelope>"""
    return etree.fromstring(xml.encode(), PARSER)


def wire(envelope: etree._Element) -> etree._Element:
    """The envelope as the receiver sees it: serialized, then parsed again."""
    return etree.fromstring(etree.tostring(envelope), PARSER)


def soap_ns(envelope: etree._Element) -> str:
    return etree.QName(envelope).namespace or ""


def body(envelope: etree._Element) -> etree._Element:
    found = envelope.find(f"{{{soap_ns(envelope)}}}Body")
    assert found is not None
    return found


def header(envelope: etree._Element) -> etree._Element:
    found = envelope.find(f"{{{soap_ns(envelope)}}}Header")
    assert found is not None
    return found


def security(envelope: etree._Element) -> etree._Element:
    found = header(envelope).find(f"{{{WSSE}}}Security")
    assert found is not None
    return found


def one(envelope: etree._Element, path: str) -> etree._Element:
    found = envelope.xpath(path, namespaces=NS)
    assert isinstance(found, list) and len(found) == 1, (path, found)
    element = found[0]
    assert isinstance(element, etree._Element)
    return element


def wsu_id(element: etree._Element) -> str:
    value = element.get(f"{{{WSU}}}Id")
    assert value
    return value


def clone(envelope: etree._Element) -> etree._Element:
    return copy.deepcopy(envelope)
