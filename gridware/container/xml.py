"""A hardened XML parser and small lxml helpers.

Everything that arrives from the wire goes through :func:`parse_xml`: no DTDs,
no entities, no network access, a bounded size and a bounded depth.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from lxml import etree

Element = etree._Element

#: libxml2's own depth limit without XML_PARSE_HUGE; lower limits are checked by us.
LIBXML2_MAX_DEPTH = 256
DEFAULT_MAX_SIZE = 16 * 1024 * 1024
DEFAULT_MAX_DEPTH = 256


_NO_DTD = "DOCTYPE declarations and entities are not allowed in SOAP messages"


class XMLError(ValueError):
    """The input is not acceptable XML; the message says why (``line``, when known)."""

    line: int | None = None


class UnsafeXMLError(XMLError):
    """The input uses an XML feature refused for safety (DTD, entities)."""


class XMLTooLargeError(XMLError):
    """The input is larger or deeper than the configured limits."""


@dataclass(frozen=True, slots=True)
class XMLLimits:
    """Bounds applied to every parsed message."""

    max_size: int = DEFAULT_MAX_SIZE
    max_depth: int = DEFAULT_MAX_DEPTH

    def __post_init__(self) -> None:
        if self.max_size < 1:
            raise ValueError("max_size must be positive")
        if not 1 <= self.max_depth <= LIBXML2_MAX_DEPTH:
            raise ValueError(f"max_depth must be between 1 and {LIBXML2_MAX_DEPTH}")


_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads.
    p: etree.XMLParser | None = getattr(_local, "parser", None)
    if p is None:
        p = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=False,
            collect_ids=False,
        )
        _local.parser = p
    return p


def _depth_exceeds(root: Element, limit: int) -> bool:
    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def parse_xml(data: bytes, limits: XMLLimits | None = None) -> Element:
    """Parse untrusted bytes into an element, refusing anything unsafe.

    Raises :class:`XMLError` (or a subclass) with a one-line reason.
    """
    limits = limits or XMLLimits()
    if len(data) > limits.max_size:
        raise XMLTooLargeError(
            f"message of {len(data)} bytes exceeds the limit of {limits.max_size}"
        )
    if not data.strip():
        raise XMLError("empty message: expected an XML document")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        msg = str(exc)
        if "depth" in msg:
            raise XMLTooLargeError(
                f"document nested deeper than {LIBXML2_MAX_DEPTH} levels"
            ) from None
        if "amplification" in msg or "entity" in msg.lower():
            raise UnsafeXMLError(_NO_DTD) from None
        error = XMLError(f"not well-formed XML: {msg}")
        error.line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
        raise error from None
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeXMLError(_NO_DTD)
    if limits.max_depth < LIBXML2_MAX_DEPTH and _depth_exceeds(root, limits.max_depth):
        raise XMLTooLargeError(f"document nested deeper than {limits.max_depth} levels")
    return root


def qname(ns: str | None, local: str) -> str:
    """Clark notation ``{ns}local`` (or just ``local`` without a namespace)."""
    return f"{{{ns}}}{local}" if ns else local


def split_qname(clark: str) -> tuple[str | None, str]:
    """``{ns}local`` -> ``(ns, local)``."""
    if clark.startswith("{"):
        ns, _, local = clark[1:].partition("}")
        return ns, local
    return None, clark


def resolve_qname_text(text: str, context: Element) -> str:
    """Resolve ``prefix:local`` text (an xsd:QName value) against ``context``'s namespaces.

    Returns Clark notation.  Raises :class:`XMLError` for an unbound prefix.
    """
    t = text.strip()
    if not t:
        raise XMLError("empty QName")
    if t.startswith("{"):
        return t
    prefix, sep, local = t.partition(":")
    if not sep:
        prefix, local = "", t
    if not local or ":" in local or any(c.isspace() for c in t):
        raise XMLError(f"{t!r} is not a valid QName")
    ns = context.nsmap.get(prefix or None)
    if ns is None and prefix:
        raise XMLError(f"QName {t!r} uses the unbound namespace prefix {prefix!r}")
    return qname(ns, local)


def qname_text(clark: str, context: Element) -> str:
    """Write a Clark QName as ``prefix:local`` text valid in ``context``.

    Declares a namespace prefix on ``context`` if none is in scope.
    """
    ns, local = split_qname(clark)
    if ns is None:
        return local
    for prefix, uri in context.nsmap.items():
        if uri == ns and prefix:
            return f"{prefix}:{local}"
    # lxml cannot add a bare namespace declaration to an existing element; setting and
    # removing an attribute in that namespace leaves a generated prefix declared.
    context.set(f"{{{ns}}}_gw", "")
    del context.attrib[f"{{{ns}}}_gw"]
    for p, uri in context.nsmap.items():
        if uri == ns and p:
            return f"{p}:{local}"
    raise XMLError(f"cannot declare a prefix for namespace {ns!r}")  # pragma: no cover


def text_of(el: Element) -> str:
    """All the text directly inside an element (``""`` when empty)."""
    return el.text or ""


def is_nil(el: Element) -> bool:
    """True for ``xsi:nil="true"``."""
    v = el.get("{http://www.w3.org/2001/XMLSchema-instance}nil")
    return v is not None and v.strip() in ("true", "1")


def sub(parent: Element, tag: str, text: str | None = None, **attrib: Any) -> Element:
    """Append a child element, optionally with text."""
    child = etree.SubElement(parent, tag, {k: str(v) for k, v in attrib.items()})
    if text is not None:
        child.text = text
    return child


def to_bytes(el: Element, *, pretty: bool = False, declaration: bool = False) -> bytes:
    """Serialize an element as UTF-8 bytes."""
    return etree.tostring(el, encoding="utf-8", xml_declaration=declaration, pretty_print=pretty)
