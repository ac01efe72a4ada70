"""A WSDL 1.1 model: messages, port types, bindings and services.

:func:`load_wsdl` reads a WSDL (following ``wsdl:import``) and the schemas in
its ``wsdl:types`` into a :class:`Definitions` with every reference resolved;
problems are :class:`~gridware.codegen.errors.CodegenError` naming file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from gridware import wsdl as shipped
from gridware.codegen.errors import CodegenError, error_at
from gridware.codegen.loader import DocumentLoader
from gridware.codegen.xsd import SchemaSet, Source
from gridware.container import ns

WSDL = ns.WSDL
SOAP11_BINDING = ns.WSDL_SOAP11
SOAP12_BINDING = ns.WSDL_SOAP12
WSA_METADATA = (
    "http://www.w3.org/2006/05/addressing/wsdl",
    "http://www.w3.org/2007/05/addressing/metadata",
    "http://www.w3.org/2005/08/addressing",
    ns.WSA_2004_08,
    ns.WSA_2004_03,
)
RP_ATTRIBUTES = (
    f"{{{ns.WSRF_RP}}}ResourceProperties",
    f"{{{ns.GT4_RP}}}ResourceProperties",
)


def _w(local: str) -> str:
    return f"{{{WSDL}}}{local}"


@dataclass
class Part:
    name: str
    element: str | None  # Clark QName of a global element (document style)
    type: str | None  # Clark QName of a type (rpc style)


@dataclass
class Message:
    qname: str
    parts: list[Part]
    source: Source


@dataclass
class IOSpec:
    """The input, output or a fault of an operation."""

    name: str | None
    message: Message
    action: str | None  # explicit wsa:Action, if any
    action_namespace: str | None = None  # the namespace of the Action attribute


@dataclass
class Operation:
    name: str
    input: IOSpec | None
    output: IOSpec | None
    faults: list[IOSpec]
    documentation: str
    source: Source


@dataclass
class PortType:
    qname: str
    operations: list[Operation]
    resource_properties: str | None  # Clark QName of the RP document element
    source: Source
    documentation: str = ""


@dataclass
class BindingOperation:
    name: str
    soap_action: str | None
    style: str  # "document" or "rpc"
    input_namespace: str | None  # rpc: namespace of the wrapper
    output_namespace: str | None
    header_parts: list[tuple[str, str]] = field(default_factory=list)  # message qname, part


@dataclass
class Binding:
    qname: str
    port_type: PortType
    soap_version: str | None  # "1.1", "1.2" or None (not SOAP)
    style: str
    operations: dict[str, BindingOperation]
    source: Source


@dataclass
class Port:
    name: str
    binding: Binding
    address: str | None


@dataclass
class Service:
    qname: str
    ports: list[Port]


@dataclass
class Definitions:
    target_namespace: str
    location: str
    schemas: SchemaSet
    messages: dict[str, Message] = field(default_factory=dict)
    port_types: dict[str, PortType] = field(default_factory=dict)
    bindings: dict[str, Binding] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    documentation: str = ""

    def binding_for(self, port_type: PortType, soap: str | None = None) -> Binding | None:
        """The (first) SOAP binding of a port type, preferring ``soap`` if given."""
        found = [b for b in self.bindings.values() if b.port_type is port_type and b.soap_version]
        if soap:
            for b in found:
                if b.soap_version == soap:
                    return b
        return found[0] if found else None

    def address_for(self, binding: Binding) -> str | None:
        for s in self.services.values():
            for p in s.ports:
                if p.binding is binding and p.address:
                    return p.address
        return None


def _doc_text(el: etree._Element) -> str:
    d = el.find(_w("documentation"))
    if d is None:
        return ""
    return " ".join("".join(str(t) for t in d.itertext()).split())


class _Reader:
    def __init__(self, loader: DocumentLoader) -> None:
        self.loader = loader
        self.schemas = SchemaSet(loader)
        self.raw_messages: list[tuple[etree._Element, str, str]] = []
        self.raw_port_types: list[tuple[etree._Element, str, str]] = []
        self.raw_bindings: list[tuple[etree._Element, str, str]] = []
        self.raw_services: list[tuple[etree._Element, str, str]] = []
        self.seen: set[str] = set()

    def read(self, location: str) -> etree._Element:
        if location in self.seen:
            return self.loader.load(location).root
        self.seen.add(location)
        doc = self.loader.load(location)
        root = doc.root
        if root.tag != _w("definitions"):
            if root.tag == f"{{{ns.XSD}}}schema":
                self.schemas.add_schema(root, doc.location)
                return root
            raise CodegenError(
                f"expected wsdl:definitions, found <{etree.QName(root).localname}>", doc.location
            )
        tns = root.get("targetNamespace") or ""
        for child in root:
            if not isinstance(child.tag, str):
                continue
            if child.tag == _w("import"):
                loc = child.get("location")
                if not loc:
                    raise error_at("wsdl:import needs a location", child, doc.location)
                target = self.loader.resolve(loc, doc.location)
                try:
                    self.read(target)
                except CodegenError as exc:
                    # a standard WSDL imported under a renamed local copy: use ours
                    known = shipped.NAMESPACE_LOCATIONS.get(child.get("namespace") or "")
                    if known is None:
                        raise error_at(
                            f"cannot import {loc}: {exc.message}", child, doc.location
                        ) from None
                    self.read("gridware.wsdl:" + known)
            elif child.tag == _w("types"):
                for schema in child:
                    if schema.tag == f"{{{ns.XSD}}}schema":
                        self.schemas.add_schema(schema, doc.location)
            elif child.tag == _w("message"):
                self.raw_messages.append((child, doc.location, tns))
            elif child.tag == _w("portType"):
                self.raw_port_types.append((child, doc.location, tns))
            elif child.tag == _w("binding"):
                self.raw_bindings.append((child, doc.location, tns))
            elif child.tag == _w("service"):
                self.raw_services.append((child, doc.location, tns))
        return root


def _qname(el: etree._Element, text: str | None, location: str) -> str:
    if not text:
        raise error_at(f"<{etree.QName(el).localname}> is missing a QName attribute", el, location)
    prefix, sep, local = text.strip().partition(":")
    if not sep:
        prefix, local = "", text.strip()
    uri = el.nsmap.get(prefix or None)
    if uri is None:
        if prefix:
            raise error_at(f"unbound namespace prefix {prefix!r} in {text!r}", el, location)
        return local
    return f"{{{uri}}}{local}"


def _src(el: etree._Element, location: str) -> Source:
    line = el.sourceline
    return Source(location, line if isinstance(line, int) else None)


def _action(el: etree._Element) -> tuple[str | None, str | None]:
    for uri in WSA_METADATA:
        v = el.get(f"{{{uri}}}Action")
        if v:
            return v.strip(), uri
    return None, None


def load_wsdl(location: str, loader: DocumentLoader | None = None) -> Definitions:
    """Read a WSDL (or a bare schema) and everything it imports."""
    loader = loader or DocumentLoader()
    canonical = loader.resolve(location, None)
    r = _Reader(loader)
    root = r.read(canonical)
    tns = root.get("targetNamespace") or ""
    d = Definitions(tns, canonical, r.schemas, documentation=_doc_text(root))
    for el, loc, t in r.raw_messages:
        qn = f"{{{t}}}{el.get('name')}" if t else el.get("name") or ""
        parts = []
        for p in el.findall(_w("part")):
            element = p.get("element")
            type_ = p.get("type")
            parts.append(
                Part(
                    p.get("name") or "",
                    _qname(p, element, loc) if element else None,
                    _qname(p, type_, loc) if type_ else None,
                )
            )
            if element is None and type_ is None:
                raise error_at(f"part {p.get('name')!r} needs an element or a type", p, loc)
        d.messages[qn] = Message(qn, parts, _src(el, loc))
    for el, loc, t in r.raw_port_types:
        qn = f"{{{t}}}{el.get('name')}"
        ops = []
        for op in el.findall(_w("operation")):
            io: dict[str, IOSpec | None] = {"input": None, "output": None}
            faults = []
            for kind in ("input", "output", "fault"):
                for x in op.findall(_w(kind)):
                    mq = _qname(x, x.get("message"), loc)
                    msg = d.messages.get(mq)
                    if msg is None:
                        raise error_at(f"unknown message {mq}", x, loc)
                    spec = IOSpec(x.get("name"), msg, *_action(x))
                    if kind == "fault":
                        faults.append(spec)
                    else:
                        io[kind] = spec
            ops.append(
                Operation(
                    op.get("name") or "",
                    io["input"],
                    io["output"],
                    faults,
                    _doc_text(op),
                    _src(op, loc),
                )
            )
        rp = None
        for attr in RP_ATTRIBUTES:
            if el.get(attr):
                rp = _qname(el, el.get(attr), loc)
        d.port_types[qn] = PortType(qn, ops, rp, _src(el, loc), _doc_text(el))
    for el, loc, t in r.raw_bindings:
        qn = f"{{{t}}}{el.get('name')}"
        pt_name = _qname(el, el.get("type"), loc)
        pt = d.port_types.get(pt_name)
        if pt is None:
            raise error_at(f"unknown port type {pt_name}", el, loc)
        soap_version = None
        style = "document"
        for child in el:
            if child.tag == f"{{{SOAP11_BINDING}}}binding":
                soap_version = "1.1"
                style = child.get("style", "document")
            elif child.tag == f"{{{SOAP12_BINDING}}}binding":
                soap_version = "1.2"
                style = child.get("style", "document")
        bops: dict[str, BindingOperation] = {}
        for op in el.findall(_w("operation")):
            name = op.get("name") or ""
            soap_action = None
            op_style = style
            ns_in = ns_out = None
            headers: list[tuple[str, str]] = []
            for child in op:
                if child.tag in (
                    f"{{{SOAP11_BINDING}}}operation",
                    f"{{{SOAP12_BINDING}}}operation",
                ):
                    soap_action = child.get("soapAction") or None
                    op_style = child.get("style", style)
            for kind in ("input", "output"):
                found = op.find(_w(kind))
                if found is None:
                    continue
                x = found
                for body in x:
                    if not isinstance(body.tag, str):
                        continue
                    local = etree.QName(body).localname
                    if local == "body":
                        if body.get("use", "literal") == "encoded":
                            raise error_at(
                                "rpc/encoded is not supported: use document/literal or rpc/literal",
                                body,
                                loc,
                            )
                        if kind == "input":
                            ns_in = body.get("namespace")
                        else:
                            ns_out = body.get("namespace")
                    elif local == "header" and kind == "input":
                        headers.append(
                            (_qname(body, body.get("message"), loc), body.get("part") or "")
                        )
            if name not in {o.name for o in pt.operations}:
                raise error_at(f"binding operation {name!r} is not in port type {pt_name}", op, loc)
            bops[name] = BindingOperation(name, soap_action, op_style, ns_in, ns_out, headers)
        d.bindings[qn] = Binding(qn, pt, soap_version, style, bops, _src(el, loc))
    for el, loc, t in r.raw_services:
        qn = f"{{{t}}}{el.get('name')}"
        ports = []
        for p in el.findall(_w("port")):
            bq = _qname(p, p.get("binding"), loc)
            b = d.bindings.get(bq)
            if b is None:
                raise error_at(f"unknown binding {bq}", p, loc)
            address = None
            for child in p:
                if isinstance(child.tag, str) and etree.QName(child).localname == "address":
                    address = child.get("location")
            ports.append(Port(p.get("name") or "", b, address))
        d.services[qn] = Service(qn, ports)
    # every part's element or type must exist
    for m in d.messages.values():
        for part in m.parts:
            if part.element:
                d.schemas.element(part.element, m.source)
            elif part.type and not part.type.startswith(f"{{{ns.XSD}}}"):
                d.schemas.type(part.type, m.source)
    return d
