"""SOAP 1.1 and 1.2 envelopes, in and out, and SOAP faults."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from gridware.container import faults, ns
from gridware.container.faults import Fault, ReceiverFault, SenderFault
from gridware.container.xml import Element, XMLError, XMLLimits, XMLTooLargeError, parse_xml, qname


@dataclass(frozen=True, slots=True)
class SoapVersion:
    """One SOAP version: envelope namespace and HTTP media type."""

    name: str
    namespace: str
    content_type: str

    def tag(self, local: str) -> str:
        return qname(self.namespace, local)

    @property
    def header_tag(self) -> str:
        return _TAGS[self.namespace][0]

    @property
    def body_tag(self) -> str:
        return _TAGS[self.namespace][1]


SOAP11 = SoapVersion("1.1", ns.SOAP11_ENV, "text/xml")
SOAP12 = SoapVersion("1.2", ns.SOAP12_ENV, "application/soap+xml")
_VERSIONS = {SOAP11.namespace: SOAP11, SOAP12.namespace: SOAP12}
_TAGS = {v.namespace: (v.tag("Header"), v.tag("Body")) for v in (SOAP11, SOAP12)}


def soap_version(spec: str | SoapVersion) -> SoapVersion:
    """``"1.1"`` / ``"1.2"`` (or a namespace URI) -> :class:`SoapVersion`."""
    if isinstance(spec, SoapVersion):
        return spec
    for v in (SOAP11, SOAP12):
        if spec in (v.name, v.namespace):
            return v
    raise ValueError(f"unknown SOAP version {spec!r}: use 1.1 or 1.2")


@dataclass(slots=True)
class SoapMessage:
    """A parsed envelope."""

    version: SoapVersion
    envelope: Element
    header: Element | None
    body: Element

    @property
    def body_element(self) -> Element | None:
        """The first element child of the Body (the payload), if any."""
        for child in self.body:
            if isinstance(child.tag, str):
                return child
        return None

    @property
    def fault(self) -> Element | None:
        el = self.body_element
        if el is not None and el.tag == self.version.tag("Fault"):
            return el
        return None


def parse_envelope(data: bytes, limits: XMLLimits | None = None) -> SoapMessage:
    """Parse and check a SOAP envelope.  Raises a :class:`Fault` saying what is wrong."""
    try:
        root = parse_xml(data, limits)
    except XMLTooLargeError as exc:
        raise faults.MessageTooLargeFault(str(exc)) from None
    except XMLError as exc:
        raise SenderFault(str(exc)) from None
    tag = root.tag
    if not isinstance(tag, str):
        raise SenderFault("the document is not a SOAP envelope")
    uri, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    version = _VERSIONS.get(uri)
    if local != "Envelope" or version is None:
        if local == "Envelope":
            raise faults.VersionMismatchFault(
                f"unsupported envelope namespace {uri!r}: use SOAP 1.1 or SOAP 1.2"
            )
        raise SenderFault(f"the document element is <{local}>, not a SOAP Envelope")
    header = body = None
    header_tag, body_tag = _TAGS[version.namespace]
    for child in root:
        ctag = child.tag
        if not isinstance(ctag, str):
            continue
        if ctag == header_tag and header is None and body is None:
            header = child
        elif ctag == body_tag and body is None:
            body = child
        else:
            name = etree.QName(child).localname
            raise SenderFault(f"unexpected <{name}> in the SOAP Envelope (only Header then Body)")
    if body is None:
        raise SenderFault("the SOAP Envelope has no Body")
    return SoapMessage(version, root, header, body)


def build_envelope(
    version: SoapVersion,
    payload: Element | Iterable[Element] | None,
    headers: Iterable[Element] = (),
) -> Element:
    """An Envelope holding ``headers`` and ``payload`` (moved, not copied)."""
    env = etree.Element(version.tag("Envelope"), nsmap={"soapenv": version.namespace})
    hdrs = list(headers)
    if hdrs:
        h = etree.SubElement(env, version.tag("Header"))
        h.extend(hdrs)
    body = etree.SubElement(env, version.tag("Body"))
    if payload is not None:
        if isinstance(payload, etree._Element):
            body.append(payload)
        else:
            body.extend(payload)
    return env


_XML_DECL = b"<?xml version='1.0' encoding='utf-8'?>\n"


def envelope_bytes(version: SoapVersion, header: bytes, body: bytes) -> bytes:
    """A serialized envelope around already serialized header blocks and payload.

    The fast path for messages whose parts are built separately; each part must
    be a complete element (``etree.tostring`` of a detached element).
    """
    start = b'<soapenv:Envelope xmlns:soapenv="' + version.namespace.encode() + b'">'
    if header:
        start += b"<soapenv:Header>" + header + b"</soapenv:Header>"
    return _XML_DECL + start + b"<soapenv:Body>" + body + b"</soapenv:Body></soapenv:Envelope>"


def serialize(env: Element) -> bytes:
    return etree.tostring(env, encoding="utf-8", xml_declaration=True)


def fault_element(
    version: SoapVersion, fault: Fault, detail: Element | None, subcode_ns: str | None = None
) -> Element:
    """The ``Fault`` element for ``fault`` in ``version``.

    ``subcode_ns`` is the namespace of ``fault.subcode`` (the request's
    WS-Addressing namespace); without it the subcode is left out.
    """
    sub = fault.subcode if fault.subcode and subcode_ns else None
    f = etree.Element(version.tag("Fault"))
    if version is SOAP11:
        if sub:
            code = etree.SubElement(f, "faultcode", nsmap={"wsa": subcode_ns or ""})
            code.text = f"wsa:{sub}"
        else:
            code = etree.SubElement(f, "faultcode")
            code.text = f"soapenv:{faults.soap11_code(fault.code)}"
        etree.SubElement(f, "faultstring").text = fault.description
        if detail is not None:
            etree.SubElement(f, "detail").append(detail)
        return f
    code = etree.SubElement(f, version.tag("Code"))
    etree.SubElement(code, version.tag("Value")).text = f"soapenv:{fault.code}"
    if sub:
        sc = etree.SubElement(code, version.tag("Subcode"))
        etree.SubElement(
            sc, version.tag("Value"), nsmap={"wsa": subcode_ns or ""}
        ).text = f"wsa:{sub}"
    reason = etree.SubElement(f, version.tag("Reason"))
    text = etree.SubElement(reason, version.tag("Text"))
    text.set(qname(ns.XML, "lang"), "en")
    text.text = fault.description
    if detail is not None:
        etree.SubElement(f, version.tag("Detail")).append(detail)
    return f


def parse_fault(msg: SoapMessage) -> Fault:
    """Turn a received SOAP fault into the matching :class:`Fault` exception."""
    f = msg.fault
    assert f is not None
    v = msg.version
    if v is SOAP11:
        code_text = (f.findtext("faultcode") or "").strip()
        reason = (f.findtext("faultstring") or "").strip()
        detail_parent = f.find("detail")
        local = code_text.rpartition(":")[2]
        code = faults.code_from_soap11(local)
        subcode = None
        if code_text and _resolves_to_wsa(code_text, f.find("faultcode")):
            code, subcode = faults.SENDER, local
    else:
        code_text = (f.findtext(f"{v.tag('Code')}/{v.tag('Value')}") or "").strip()
        code = code_text.rpartition(":")[2] or faults.RECEIVER
        sub_text = f.findtext(f"{v.tag('Code')}/{v.tag('Subcode')}/{v.tag('Value')}")
        subcode = sub_text.strip().rpartition(":")[2] if sub_text else None
        reason = (f.findtext(f"{v.tag('Reason')}/{v.tag('Text')}") or "").strip()
        detail_parent = f.find(v.tag("Detail"))
    detail = None
    if detail_parent is not None:
        detail = next((c for c in detail_parent if isinstance(c.tag, str)), None)
    default: type[Fault] = ReceiverFault if code == faults.RECEIVER else SenderFault
    if code == faults.VERSION_MISMATCH:
        default = faults.VersionMismatchFault
    elif code == faults.MUST_UNDERSTAND:
        default = faults.MustUnderstandFault
    if detail is not None:
        fault = default.from_detail(detail)
    else:
        fault = default.__new__(default)
        Fault.__init__(fault, reason)
    fault.soap_code = code
    fault.subcode = subcode
    fault.reason = reason
    if not fault.description:
        fault.description = reason or fault.default_description()
        fault.args = (fault.description,)
    return fault


def _resolves_to_wsa(text: str, el: Element | None) -> bool:
    if el is None or ":" not in text:
        return False
    prefix = text.partition(":")[0]
    uri = el.nsmap.get(prefix)
    return uri in (ns.WSA_2004_03, ns.WSA_2004_08, ns.WSA_2005_08)
