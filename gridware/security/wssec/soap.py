"""The parts of a SOAP envelope that message security works on, and element Ids."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from lxml import etree

from gridware.security.wssec.errors import (
    DuplicateIdError,
    MalformedMessageError,
    SignatureWrappingError,
)
from gridware.security.wssec.ns import ROLES_FOR_US, SOAP11, SOAP12, WSSE, WSU, XML, clark

Element = etree._Element

WSU_ID = clark(WSU, "Id")
XML_ID = clark(XML, "id")
SECURITY = clark(WSSE, "Security")
ID_ATTRIBUTES = (WSU_ID, "Id", XML_ID)
"""The attributes a ``#id`` reference may point at (wsu:Id, plain Id, xml:id)."""

# When lxml must declare the wsu namespace for a wsu:Id it adds (on the Body, on a
# header block), let it write the customary ``wsu:`` rather than ``ns0:``.
etree.register_namespace("wsu", WSU)


@dataclass(frozen=True)
class Envelope:
    """A SOAP 1.1 or 1.2 envelope: the root element, its Header (if any) and its Body."""

    root: Element
    soap: str
    header: Element | None
    body: Element

    @classmethod
    def of(cls, envelope: Element) -> Envelope:
        """The parts of ``envelope``; :class:`MalformedMessageError` if it is not one.

        A second Header or Body is refused as signature wrapping: which one would be
        processed is exactly what an attacker wants to confuse.
        """
        if envelope.getroottree().docinfo.internalDTD is not None:
            raise MalformedMessageError("a SOAP message must not have a DTD")
        tag = envelope.tag
        soap = next((ns for ns in (SOAP11, SOAP12) if tag == clark(ns, "Envelope")), None)
        if soap is None:
            raise MalformedMessageError("the message is not a SOAP 1.1 or 1.2 envelope")
        header_tag, body_tag = clark(soap, "Header"), clark(soap, "Body")
        headers = [c for c in children(envelope) if c.tag == header_tag]
        bodies = [c for c in children(envelope) if c.tag == body_tag]
        if len(headers) > 1 or len(bodies) > 1:
            raise SignatureWrappingError("the envelope has more than one Header or Body")
        if not bodies:
            raise MalformedMessageError("the envelope has no Body")
        return cls(envelope, soap, headers[0] if headers else None, bodies[0])

    @property
    def role_attribute(self) -> str:
        """``soap:actor`` (SOAP 1.1) or ``soap:role`` (SOAP 1.2)."""
        return clark(self.soap, "actor" if self.soap == SOAP11 else "role")

    def header_blocks(self) -> list[Element]:
        return children(self.header) if self.header is not None else []

    def ensure_header(self) -> tuple[Envelope, Element]:
        """This envelope with a Header (created as the first child if missing)."""
        if self.header is not None:
            return self, self.header
        header = self.root.makeelement(clark(self.soap, "Header"), {})
        self.root.insert(0, header)
        return Envelope(self.root, self.soap, header, self.body), header

    def security_header(self) -> Element | None:
        """The ``wsse:Security`` header for this receiver (no actor/role, or next/ultimate).

        Security headers addressed to other actors are ignored; two for this receiver
        are refused (WS-Security allows one per role).
        """
        found = [
            block
            for block in self.header_blocks()
            if block.tag == SECURITY
            and (block.get(self.role_attribute) or "").strip() in ROLES_FOR_US
        ]
        if len(found) > 1:
            raise MalformedMessageError("the message has more than one Security header")
        return found[0] if found else None

    def ensure_security_header(self, *, must_understand: bool = False) -> Element:
        """The Security header, created as the first header block if missing."""
        existing = self.security_header()
        if existing is not None:
            return existing
        _, header = self.ensure_header()
        security = header.makeelement(SECURITY, {}, nsmap={"wsse": WSSE, "wsu": WSU})
        if must_understand:
            security.set(clark(self.soap, "mustUnderstand"), "1" if self.soap == SOAP11 else "true")
        header.insert(0, security)
        return security


def children(element: Element) -> list[Element]:
    """The element children (no comments, no processing instructions)."""
    return [c for c in element if isinstance(c.tag, str)]


def new_id(prefix: str) -> str:
    """A fresh, unguessable xsd:ID value."""
    return f"{prefix}-{secrets.token_hex(10)}"


ID_PATTERN = r"[A-Za-z_][A-Za-z0-9_.\-]*"
"""The Id values references may use: (ASCII) NCNames, as xsd:ID requires."""
_ID_VALUE = re.compile(ID_PATTERN + r"\Z")


def ensure_wsu_id(element: Element, prefix: str = "id") -> str:
    """The element's ``wsu:Id``, added if it has none."""
    value = element.get(WSU_ID)
    if not value:
        value = new_id(prefix)
        element.set(WSU_ID, value)
    elif not _ID_VALUE.match(value):
        raise MalformedMessageError(f"the wsu:Id {value!r} is not a valid Id (an NCName)")
    return value


def element_id(element: Element) -> tuple[str, str] | None:
    """The first Id attribute of ``element``: (attribute name, value)."""
    for name in ID_ATTRIBUTES:
        value = element.get(name)
        if value is not None:
            return name, value
    return None


@dataclass(frozen=True)
class IdTarget:
    element: Element
    attribute: str


def index_ids(root: Element) -> dict[str, IdTarget]:
    """Every Id value of the whole document (wsu:Id, Id, xml:id) and its element.

    Raises :class:`DuplicateIdError` if two elements share a value: a ``#id``
    reference must designate exactly one element, whatever resolves it.
    """
    document_root = root.getroottree().getroot()
    found: dict[str, IdTarget] = {}
    hits: Any = document_root.xpath(
        "//@wsu:Id | //@Id | //@xml:id", namespaces={"wsu": WSU, "xml": XML}
    )
    for value in hits:
        element = value.getparent()
        text = str(value)
        seen = found.get(text)
        if seen is None:
            found[text] = IdTarget(element, value.attrname)
        elif seen.element is not element:
            raise DuplicateIdError(
                f"two elements of the message carry the Id {text!r}; Ids must be unique"
            )
    return found
