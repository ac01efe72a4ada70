"""WS-Addressing: endpoint references and message addressing headers.

Three versions are spoken:

- March 2004 (``schemas.xmlsoap.org/ws/2004/03/addressing``), used by Globus
  Toolkit 4.0: a resource key travels in ``ReferenceProperties``;
- August 2004 (the W3C member submission), with properties and parameters;
- W3C 2005/08, used with WSRF 1.2: only ``ReferenceParameters``, echoed with
  ``wsa:IsReferenceParameter="true"``.

An :class:`EndpointReference` is a value; it converts between versions.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree

from gridware.codegen.runtime.model import ElementCodec
from gridware.container import ns
from gridware.container.xml import Element, XMLError, XMLLimits, parse_xml, qname


class AddressingError(ValueError):
    """An endpoint reference or addressing header is malformed.

    ``version`` is the WS-Addressing version of the offending header, when known.
    """

    version: AddressingVersion | None = None


@dataclass(frozen=True, slots=True)
class AddressingVersion:
    """One version of WS-Addressing and the URIs that differ between versions."""

    name: str
    namespace: str
    anonymous: str
    fault_action: str
    reference_properties: bool  # does the version have ReferenceProperties?

    def tag(self, local: str) -> str:
        return qname(self.namespace, local)


WSA_2004_03 = AddressingVersion(
    "2004/03",
    ns.WSA_2004_03,
    ns.WSA_2004_03 + "/role/anonymous",
    ns.WSA_2004_03 + "/fault",
    True,
)
WSA_2004_08 = AddressingVersion(
    "2004/08",
    ns.WSA_2004_08,
    ns.WSA_2004_08 + "/role/anonymous",
    ns.WSA_2004_08 + "/fault",
    True,
)
WSA_2005_08 = AddressingVersion(
    "2005/08",
    ns.WSA_2005_08,
    ns.WSA_2005_08 + "/anonymous",
    ns.WSA_2005_08 + "/fault",
    False,
)

VERSIONS: tuple[AddressingVersion, ...] = (WSA_2005_08, WSA_2004_08, WSA_2004_03)
_BY_NS = {v.namespace: v for v in VERSIONS}


def addressing_version(spec: str | AddressingVersion) -> AddressingVersion:
    """Find a version by object, name (``"2005/08"``) or namespace URI."""
    if isinstance(spec, AddressingVersion):
        return spec
    for v in VERSIONS:
        if spec in (v.name, v.namespace):
            return v
    names = ", ".join(v.name for v in VERSIONS)
    raise AddressingError(f"unknown WS-Addressing version {spec!r} (known: {names})")


def version_of_namespace(uri: str | None) -> AddressingVersion | None:
    return _BY_NS.get(uri or "")


def _copy_all(elements: Iterable[Element]) -> tuple[Element, ...]:
    out = []
    for e in elements:
        c = copy.deepcopy(e)
        c.tail = None  # whitespace that followed the element in its document
        out.append(c)
    return tuple(out)


@dataclass(frozen=True, eq=False)
class EndpointReference:
    """The address of an endpoint plus the reference data a client echoes back.

    ``reference_properties`` exist only in the 2004 versions; when written in the
    2005/08 version they become reference parameters.  ``metadata`` holds the
    children of ``wsa:Metadata`` (2005/08) or the 2004 ``PortType``/``ServiceName``/
    ``Policy`` elements.
    """

    address: str
    reference_parameters: tuple[Element, ...] = ()
    reference_properties: tuple[Element, ...] = ()
    metadata: tuple[Element, ...] = ()
    version: AddressingVersion = field(default=WSA_2005_08)

    def __post_init__(self) -> None:
        if not isinstance(self.address, str) or not self.address.strip():
            raise AddressingError("an endpoint reference needs a non-empty Address")

    # -- reference data -------------------------------------------------------------
    @property
    def reference_elements(self) -> tuple[Element, ...]:
        """Reference properties and parameters, in that order."""
        return self.reference_properties + self.reference_parameters

    def reference(self, tag: str) -> str | None:
        """The text of the reference property/parameter named ``tag`` (Clark notation)."""
        for el in self.reference_elements:
            if el.tag == tag:
                return (el.text or "").strip()
        return None

    def with_version(self, version: AddressingVersion | str) -> EndpointReference:
        """The same reference written for another WS-Addressing version."""
        v = addressing_version(version)
        if v.reference_properties or not self.reference_properties:
            return replace(self, version=v)
        return replace(
            self,
            version=v,
            reference_parameters=self.reference_properties + self.reference_parameters,
            reference_properties=(),
        )

    def echo_headers(self, version: AddressingVersion | None = None) -> list[Element]:
        """SOAP header blocks a client sends to this endpoint (copies of the references)."""
        v = version or self.version
        out = []
        for el in self.reference_properties:
            out.append(copy.deepcopy(el))
        for el in self.reference_parameters:
            c = copy.deepcopy(el)
            if v is WSA_2005_08:
                c.set(v.tag("IsReferenceParameter"), "true")
            out.append(c)
        return out

    # -- XML ------------------------------------------------------------------------
    def to_element(
        self, tag: str | None = None, version: AddressingVersion | None = None
    ) -> Element:
        """Write as an element (``wsa:EndpointReference`` unless ``tag`` is given)."""
        epr = self.with_version(version) if version else self
        v = epr.version
        root = etree.Element(tag or v.tag("EndpointReference"), nsmap={"wsa": v.namespace})
        etree.SubElement(root, v.tag("Address")).text = epr.address
        if epr.reference_properties:
            rp = etree.SubElement(root, v.tag("ReferenceProperties"))
            rp.extend(_copy_all(epr.reference_properties))
        if epr.reference_parameters:
            rp = etree.SubElement(root, v.tag("ReferenceParameters"))
            rp.extend(_copy_all(epr.reference_parameters))
        if epr.metadata:
            if v is WSA_2005_08:
                md = etree.SubElement(root, v.tag("Metadata"))
                md.extend(_copy_all(m for m in epr.metadata if not _is_2004_metadata(m)))
                if not len(md):
                    root.remove(md)
            else:
                root.extend(_copy_all(m for m in epr.metadata if _is_2004_metadata(m, v)))
        return root

    def to_xml(self, *, pretty: bool = True, version: AddressingVersion | None = None) -> bytes:
        el = self.to_element(version=version)
        etree.cleanup_namespaces(el)
        return etree.tostring(el, encoding="utf-8", xml_declaration=True, pretty_print=pretty)

    @classmethod
    def from_element(cls, el: Element) -> EndpointReference:
        """Read an EPR from any element of ``wsa:EndpointReferenceType``."""
        address_el = None
        version = None
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if child.tag.endswith("}Address"):
                version = version_of_namespace(child.tag[1:].partition("}")[0])
                if version is not None:
                    address_el = child
                    break
        if address_el is None or version is None:
            known = ", ".join(v.namespace for v in VERSIONS)
            raise AddressingError(f"malformed endpoint reference: no wsa:Address in any of {known}")
        props: list[Element] = []
        params: list[Element] = []
        metadata: list[Element] = []
        seen_address = False
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if child.tag == version.tag("Address"):
                if seen_address:
                    raise AddressingError("malformed endpoint reference: more than one wsa:Address")
                seen_address = True
            elif child.tag == version.tag("ReferenceProperties"):
                if not version.reference_properties:
                    raise AddressingError(
                        "malformed endpoint reference: ReferenceProperties do not exist in "
                        "WS-Addressing 2005/08"
                    )
                props.extend(c for c in child if isinstance(c.tag, str))
            elif child.tag == version.tag("ReferenceParameters"):
                params.extend(c for c in child if isinstance(c.tag, str))
            elif child.tag == version.tag("Metadata"):
                metadata.extend(c for c in child if isinstance(c.tag, str))
            else:
                metadata.append(child)
        address = (address_el.text or "").strip()
        if not address:
            raise AddressingError("malformed endpoint reference: empty wsa:Address")
        return cls(
            address,
            reference_parameters=_copy_all(params),
            reference_properties=_copy_all(props),
            metadata=_copy_all(metadata),
            version=version,
        )

    @classmethod
    def from_xml(cls, data: bytes | str, limits: XMLLimits | None = None) -> EndpointReference:
        """Parse EPR XML: a ``wsa:EndpointReference`` or any element wrapping one."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        try:
            root = parse_xml(raw, limits)
        except XMLError as exc:
            raise AddressingError(f"endpoint reference is not usable XML: {exc}") from None
        return cls.from_element(_find_epr(root))

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write to an EPR file (the ``-e epr.xml`` files of the command line)."""
        Path(path).write_bytes(self.to_xml())

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> EndpointReference:
        """Read an EPR file; raises :class:`AddressingError` with the file name on failure."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise AddressingError(f"cannot read EPR file {path}: {exc.strerror}") from None
        try:
            return cls.from_xml(data)
        except AddressingError as exc:
            raise AddressingError(f"{path}: {exc}") from None

    # -- value semantics --------------------------------------------------------------
    def _canonical(self) -> bytes:
        return etree.tostring(self.to_element(), method="c14n", exclusive=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EndpointReference):
            return NotImplemented
        return self._canonical() == other._canonical()

    def __hash__(self) -> int:
        return hash(self._canonical())

    def __repr__(self) -> str:
        refs = ", ".join(f"{e.tag}={(e.text or '').strip()!r}" for e in self.reference_elements)
        return (
            f"EndpointReference({self.address!r}{', ' + refs if refs else ''}, {self.version.name})"
        )


def _is_2004_metadata(el: Element, v: AddressingVersion | None = None) -> bool:
    if not isinstance(el.tag, str):
        return False
    nsuri = el.tag[1:].partition("}")[0] if el.tag.startswith("{") else ""
    if v is not None:
        return nsuri == v.namespace or nsuri not in _BY_NS
    return nsuri in (ns.WSA_2004_03, ns.WSA_2004_08)


def _find_epr(root: Element) -> Element:
    if any(
        isinstance(c.tag, str)
        and c.tag.endswith("}Address")
        and version_of_namespace(c.tag[1:].partition("}")[0])
        for c in root
    ):
        return root
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.endswith("}EndpointReference"):
            return el
    raise AddressingError(f"no endpoint reference found in <{etree.QName(root).localname}>")


# -- message addressing headers ------------------------------------------------------------


@dataclass(slots=True)
class AddressingHeaders:
    """The WS-Addressing headers of one message."""

    version: AddressingVersion | None = None
    to: str | None = None
    action: str | None = None
    message_id: str | None = None
    relates_to: list[tuple[str, str | None]] = field(default_factory=list)
    reply_to: EndpointReference | None = None
    from_: EndpointReference | None = None
    fault_to: EndpointReference | None = None

    @classmethod
    def from_header(cls, header: Element | None) -> AddressingHeaders:
        """Read the addressing headers of a SOAP Header element (``None`` is no header)."""
        out = cls()
        if header is None:
            return out
        for block in header:
            known = _HEADER_TAGS.get(block.tag)
            if known is None:
                continue
            v, local = known
            if out.version is None:
                out.version = v
            elif v is not out.version:
                raise _header_error(
                    f"message mixes WS-Addressing versions {out.version.name} and {v.name}",
                    out.version,
                )
            text = (block.text or "").strip()
            if local == "Action":
                if not text:
                    raise _header_error("empty wsa:Action header", v)
                out.action = text
            elif local == "To":
                out.to = text
            elif local == "MessageID":
                out.message_id = text
            elif local == "RelatesTo":
                out.relates_to.append((text, block.get("RelationshipType")))
            elif local in ("ReplyTo", "From", "FaultTo"):
                epr = _anonymous_epr(block, v)
                if epr is None:
                    try:
                        epr = EndpointReference.from_element(block)
                    except AddressingError as exc:
                        raise _header_error(f"wsa:{local}: {exc}", v) from None
                if local == "ReplyTo":
                    out.reply_to = epr
                elif local == "From":
                    out.from_ = epr
                else:
                    out.fault_to = epr
        return out

    def write(self, header: Element, version: AddressingVersion) -> None:
        """Append these headers to a SOAP Header element."""
        if self.to:
            etree.SubElement(header, version.tag("To")).text = self.to
        if self.action:
            etree.SubElement(header, version.tag("Action")).text = self.action
        if self.message_id:
            etree.SubElement(header, version.tag("MessageID")).text = self.message_id
        for rid, rtype in self.relates_to:
            el = etree.SubElement(header, version.tag("RelatesTo"))
            el.text = rid
            if rtype:
                el.set("RelationshipType", rtype)
        for local, epr in (
            ("ReplyTo", self.reply_to),
            ("From", self.from_),
            ("FaultTo", self.fault_to),
        ):
            if epr is not None:
                header.append(epr.to_element(version.tag(local), version))


_HEADER_TAGS: dict[str, tuple[AddressingVersion, str]] = {
    v.tag(local): (v, local)
    for v in VERSIONS
    for local in ("Action", "To", "MessageID", "RelatesTo", "ReplyTo", "From", "FaultTo")
}
_ANONYMOUS = {v: EndpointReference(v.anonymous, version=v) for v in VERSIONS}


def _anonymous_epr(el: Element, v: AddressingVersion) -> EndpointReference | None:
    """The shared anonymous EPR when ``el`` is just ``<Address>anonymous</Address>``."""
    if len(el) != 1:
        return None
    address = el[0]
    if address.tag != v.tag("Address") or (address.text or "").strip() != v.anonymous:
        return None
    return _ANONYMOUS[v]


class EndpointReferenceCodec(ElementCodec):
    """Binds ``wsa:EndpointReferenceType`` of one version to :class:`EndpointReference`
    in generated code."""

    python_type = EndpointReference

    def __init__(self, version: AddressingVersion) -> None:
        self.version = version

    def read_element(self, el: Element) -> EndpointReference:
        try:
            return EndpointReference.from_element(el)
        except AddressingError as exc:
            from gridware.codegen.runtime.model import BindingError

            raise BindingError(str(exc)) from None

    def write_element(self, value: Any, el: Element) -> None:
        if not isinstance(value, EndpointReference):
            from gridware.codegen.runtime.model import BindingError

            raise BindingError(f"expected an EndpointReference, not {type(value).__name__}")
        written = value.to_element(el.tag, self.version)
        el.text = written.text
        for kid in written:
            el.append(kid)


EPR_2005_08 = EndpointReferenceCodec(WSA_2005_08)
EPR_2004_08 = EndpointReferenceCodec(WSA_2004_08)
EPR_2004_03 = EndpointReferenceCodec(WSA_2004_03)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    return _text(value).replace('"', "&quot;")


def header_bytes(headers: AddressingHeaders, version: AddressingVersion) -> bytes:
    """The serialized header blocks of ``headers`` (the fast path of :meth:`write`)."""
    ns_decl = f' xmlns:wsa="{version.namespace}"'
    parts = []
    for local, value in (
        ("To", headers.to),
        ("Action", headers.action),
        ("MessageID", headers.message_id),
    ):
        if value:
            parts.append(f"<wsa:{local}{ns_decl}>{_text(value)}</wsa:{local}>")
    for rid, rtype in headers.relates_to:
        rt = f' RelationshipType="{_attr(rtype)}"' if rtype else ""
        parts.append(f"<wsa:RelatesTo{ns_decl}{rt}>{_text(rid)}</wsa:RelatesTo>")
    out = "".join(parts).encode()
    for local, epr in (
        ("ReplyTo", headers.reply_to),
        ("From", headers.from_),
        ("FaultTo", headers.fault_to),
    ):
        if epr is not None:
            out += etree.tostring(epr.to_element(version.tag(local), version))
    return out


def _header_error(message: str, version: AddressingVersion) -> AddressingError:
    err = AddressingError(message)
    err.version = version
    return err


def new_message_id() -> str:
    """A fresh ``urn:uuid:`` (random, version 4) message identifier."""
    h = bytearray(os.urandom(16))
    h[6] = (h[6] & 0x0F) | 0x40  # version 4
    h[8] = (h[8] & 0x3F) | 0x80  # RFC 4122 variant
    x = h.hex()
    return f"urn:uuid:{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def request_headers(
    epr: EndpointReference,
    action: str,
    version: AddressingVersion | None = None,
    message_id: str | None = None,
) -> bytes:
    """Serialized addressing header blocks for a request to ``epr``.

    Action and MessageID first, then what is the same for every request to
    ``epr`` (:func:`endpoint_headers`).
    """
    v = version or epr.version
    return header_bytes(
        AddressingHeaders(action=action, message_id=message_id or new_message_id()), v
    ) + endpoint_headers(epr, v)


def endpoint_headers(epr: EndpointReference, version: AddressingVersion | None = None) -> bytes:
    """To, an anonymous ReplyTo and the echoed reference properties/parameters of ``epr``."""
    v = version or epr.version
    out = header_bytes(
        AddressingHeaders(to=epr.address, reply_to=EndpointReference(v.anonymous, version=v)), v
    )
    return out + b"".join(etree.tostring(h) for h in epr.echo_headers(v))


def reply_headers(request: AddressingHeaders, action: str, *, fault: bool = False) -> bytes:
    """Serialized header blocks of a reply in the request's version (empty if it used none).

    The reply goes back on the HTTP connection; ``To`` names the ReplyTo (or
    FaultTo) address when that is not anonymous, and its reference parameters
    are echoed.
    """
    v = request.version
    if v is None:
        return b""
    target = request.fault_to if fault and request.fault_to else request.reply_to
    ns_decl = f' xmlns:wsa="{v.namespace}"'
    out = f"<wsa:Action{ns_decl}>{_text(action)}</wsa:Action>"
    out += f"<wsa:MessageID{ns_decl}>{new_message_id()}</wsa:MessageID>"
    if request.message_id:
        out += f"<wsa:RelatesTo{ns_decl}>{_text(request.message_id)}</wsa:RelatesTo>"
    if target is not None and target.address != v.anonymous:
        out += f"<wsa:To{ns_decl}>{_text(target.address)}</wsa:To>"
    data = out.encode()
    if target is not None and target.reference_elements:
        data += b"".join(etree.tostring(h) for h in target.echo_headers(v))
    return data


__all__: Sequence[str] = [
    "VERSIONS",
    "WSA_2004_03",
    "WSA_2004_08",
    "WSA_2005_08",
    "AddressingError",
    "AddressingHeaders",
    "AddressingVersion",
    "EndpointReference",
    "addressing_version",
    "new_message_id",
    "reply_headers",
    "request_headers",
]
