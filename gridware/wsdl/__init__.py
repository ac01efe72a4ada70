"""Shipped WSDL and schema files, and the catalog that maps standard locations to them.

``schemas/`` holds unmodified copies of the standard schemas (see
``schemas/MANIFEST.md`` for their provenance and licences).  The WSDLs of
gridware's own services sit next to this file.  Nothing is ever fetched from
the network: :func:`resolve_location` maps the well-known URLs that standard
documents import to the shipped copies.
"""

from __future__ import annotations

import posixpath
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent

#: Well-known remote locations -> path of the shipped copy (relative to :data:`ROOT`).
WELL_KNOWN_LOCATIONS: dict[str, str] = {
    "http://docs.oasis-open.org/wsrf/bf-2.xsd": "schemas/wsrf-1.2/bf-2.xsd",
    "http://docs.oasis-open.org/wsrf/bfw-2.wsdl": "schemas/wsrf-1.2/bfw-2.wsdl",
    "http://docs.oasis-open.org/wsrf/r-2.xsd": "schemas/wsrf-1.2/r-2.xsd",
    "http://docs.oasis-open.org/wsrf/rw-2.wsdl": "schemas/wsrf-1.2/rw-2.wsdl",
    "http://docs.oasis-open.org/wsrf/rp-2.xsd": "schemas/wsrf-1.2/rp-2.xsd",
    "http://docs.oasis-open.org/wsrf/rpw-2.wsdl": "schemas/wsrf-1.2/rpw-2.wsdl",
    "http://docs.oasis-open.org/wsrf/rl-2.xsd": "schemas/wsrf-1.2/rl-2.xsd",
    "http://docs.oasis-open.org/wsrf/rlw-2.wsdl": "schemas/wsrf-1.2/rlw-2.wsdl",
    "http://docs.oasis-open.org/wsrf/sg-2.xsd": "schemas/wsrf-1.2/sg-2.xsd",
    "http://docs.oasis-open.org/wsrf/sgw-2.wsdl": "schemas/wsrf-1.2/sgw-2.wsdl",
    "http://docs.oasis-open.org/wsn/b-2.xsd": "schemas/wsn-1.3/b-2.xsd",
    "http://docs.oasis-open.org/wsn/bw-2.wsdl": "schemas/wsn-1.3/bw-2.wsdl",
    "http://docs.oasis-open.org/wsn/br-2.xsd": "schemas/wsn-1.3/br-2.xsd",
    "http://docs.oasis-open.org/wsn/brw-2.wsdl": "schemas/wsn-1.3/brw-2.wsdl",
    "http://docs.oasis-open.org/wsn/t-1.xsd": "schemas/wsn-1.3/t-1.xsd",
    "http://www.w3.org/2005/08/addressing/ws-addr.xsd": "schemas/wsa/ws-addr.xsd",
    "http://www.w3.org/2006/03/addressing/ws-addr.xsd": "schemas/wsa/ws-addr.xsd",
    "http://schemas.xmlsoap.org/ws/2004/08/addressing": "schemas/wsa/addressing-2004-08.xsd",
    "http://schemas.xmlsoap.org/ws/2004/08/addressing/addressing.xsd": (
        "schemas/wsa/addressing-2004-08.xsd"
    ),
    "http://schemas.xmlsoap.org/ws/2004/03/addressing": (
        "schemas/wsrf-draft-2004-06/ws/addressing/WS-Addressing.xsd"
    ),
    "http://www.w3.org/2001/xml.xsd": "schemas/soap/xml.xsd",
    "http://www.w3.org/2001/03/xml.xsd": "schemas/soap/xml.xsd",
    "http://www.w3.org/2009/01/xml.xsd": "schemas/soap/xml.xsd",
    "http://www.w3.org/XML/1998/namespace": "schemas/soap/xml.xsd",
    "http://schemas.xmlsoap.org/soap/envelope/": "schemas/soap/soap11-envelope.xsd",
    "http://schemas.xmlsoap.org/soap/encoding/": "schemas/soap/soap11-encoding.xsd",
    "http://www.w3.org/2003/05/soap-envelope": "schemas/soap/soap12-envelope.xsd",
    "http://www.w3.org/2003/05/soap-envelope/": "schemas/soap/soap12-envelope.xsd",
    "http://schemas.xmlsoap.org/wsdl/": "schemas/wsdl/wsdl.xsd",
    "http://schemas.xmlsoap.org/wsdl/soap/": "schemas/wsdl/wsdl-soap.xsd",
    "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd": (
        "schemas/wss/xmldsig-core-schema.xsd"
    ),
    "http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd": (
        "schemas/wss/xmldsig-core-schema.xsd"
    ),
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd": (
        "schemas/wss/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    ),
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd": (
        "schemas/wss/oasis-200401-wss-wssecurity-secext-1.0.xsd"
    ),
    "http://www.w3.org/2001/04/xmlenc#": "schemas/wss/xenc-schema.xsd",
}

#: Namespaces whose schema or WSDL is shipped: for imports without a usable location.
NAMESPACE_LOCATIONS: dict[str, str] = {
    "http://docs.oasis-open.org/wsrf/bfw-2": "schemas/wsrf-1.2/bfw-2.wsdl",
    "http://docs.oasis-open.org/wsrf/rw-2": "schemas/wsrf-1.2/rw-2.wsdl",
    "http://docs.oasis-open.org/wsrf/rpw-2": "schemas/wsrf-1.2/rpw-2.wsdl",
    "http://docs.oasis-open.org/wsrf/rlw-2": "schemas/wsrf-1.2/rlw-2.wsdl",
    "http://docs.oasis-open.org/wsrf/sgw-2": "schemas/wsrf-1.2/sgw-2.wsdl",
    "http://docs.oasis-open.org/wsn/bw-2": "schemas/wsn-1.3/bw-2.wsdl",
    "http://docs.oasis-open.org/wsn/brw-2": "schemas/wsn-1.3/brw-2.wsdl",
    "http://docs.oasis-open.org/wsn/br-2": "schemas/wsn-1.3/br-2.xsd",
    "http://www.w3.org/2005/08/addressing": "schemas/wsa/ws-addr.xsd",
    "http://schemas.xmlsoap.org/ws/2004/08/addressing": "schemas/wsa/addressing-2004-08.xsd",
    "http://schemas.xmlsoap.org/ws/2004/03/addressing": (
        "schemas/wsrf-draft-2004-06/ws/addressing/WS-Addressing.xsd"
    ),
    "http://docs.oasis-open.org/wsrf/bf-2": "schemas/wsrf-1.2/bf-2.xsd",
    "http://docs.oasis-open.org/wsrf/r-2": "schemas/wsrf-1.2/r-2.xsd",
    "http://docs.oasis-open.org/wsrf/rp-2": "schemas/wsrf-1.2/rp-2.xsd",
    "http://docs.oasis-open.org/wsrf/rl-2": "schemas/wsrf-1.2/rl-2.xsd",
    "http://docs.oasis-open.org/wsrf/sg-2": "schemas/wsrf-1.2/sg-2.xsd",
    "http://docs.oasis-open.org/wsn/b-2": "schemas/wsn-1.3/b-2.xsd",
    "http://docs.oasis-open.org/wsn/t-1": "schemas/wsn-1.3/t-1.xsd",
    "http://www.w3.org/XML/1998/namespace": "schemas/soap/xml.xsd",
}

_SUFFIXES = (".wsdl", ".xsd")


def resolve_location(location: str, referrer: str | None = None) -> str | None:
    """Map an import location to a shipped file (a path relative to :data:`ROOT`).

    ``referrer`` is the shipped path of the importing document, for relative
    locations.  Returns ``None`` for anything that is not shipped.
    """
    if location in WELL_KNOWN_LOCATIONS:
        return WELL_KNOWN_LOCATIONS[location]
    if "://" in location or location.startswith("/"):
        return None
    base = posixpath.dirname(referrer) if referrer else ""
    rel = posixpath.normpath(posixpath.join(base, location))
    if rel.startswith("../") or rel == ".." or rel not in shipped_files():
        return None
    return rel


@cache
def shipped_files() -> frozenset[str]:
    """Every shipped WSDL/XSD, as paths relative to :data:`ROOT`."""
    return frozenset(
        p.relative_to(ROOT).as_posix()
        for p in ROOT.rglob("*")
        if p.is_file() and p.suffix in _SUFFIXES
    )


def path(name: str) -> Path:
    """The file of a shipped document; raises ``FileNotFoundError`` naming it."""
    if name not in shipped_files():
        raise FileNotFoundError(f"no shipped WSDL or schema named {name!r} in {ROOT}")
    return ROOT / name
