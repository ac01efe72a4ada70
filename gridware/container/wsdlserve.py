"""Serving WSDL and schema documents with their imports rewritten to our own URLs.

A service's WSDL is served at ``<service URL>?wsdl``; every document it imports
(directly or through the standard schemas) is served under
``/wsrf/share/gridware/...`` for shipped files and ``/wsrf/share/services/<Service>/...``
for files next to a service's own WSDL.  Import locations (relative, or the
well-known ``docs.oasis-open.org`` / ``w3.org`` URLs) are rewritten to those
URLs, so a client such as zeep needs nothing but the ``?wsdl`` URL and never
leaves the container.
"""

from __future__ import annotations

import posixpath
import threading
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from gridware import wsdl as shipped
from gridware.container import ns
from gridware.container.xml import Element, qname

SHIPPED_PREFIX = "/wsrf/share/gridware/"
_SUFFIXES = (".wsdl", ".xsd")

_XSD_REFS = {qname(ns.XSD, t) for t in ("import", "include", "redefine")}
_WSDL_IMPORT = qname(ns.WSDL, "import")
_ADDRESSES = {qname(ns.WSDL_SOAP11, "address"), qname(ns.WSDL_SOAP12, "address")}


@dataclass
class DocumentRoot:
    """A directory of servable documents and the URL path it is served under."""

    name: str
    directory: Path
    prefix: str
    files: frozenset[str] = field(default_factory=frozenset)

    def scan(self) -> None:
        self.files = frozenset(
            p.relative_to(self.directory).as_posix()
            for p in self.directory.rglob("*")
            if p.is_file() and p.suffix in _SUFFIXES
        )


class DocumentServer:
    """Finds, rewrites and caches the documents the container serves."""

    def __init__(self) -> None:
        self.shipped = DocumentRoot(
            "gridware", shipped.ROOT, SHIPPED_PREFIX, shipped.shipped_files()
        )
        self.roots: dict[str, DocumentRoot] = {"gridware": self.shipped}
        self._cache: dict[tuple[str, str, str, str], bytes] = {}
        self._lock = threading.Lock()

    def add_root(self, name: str, directory: Path) -> DocumentRoot:
        root = DocumentRoot(name, directory, f"/wsrf/share/services/{name}/")
        root.scan()
        self.roots[name] = root
        return root

    def locate(self, wsdl: str, service_name: str) -> tuple[DocumentRoot, str]:
        """Where a service's WSDL lives: a shipped name or a file path of its own."""
        if wsdl in self.shipped.files:
            return self.shipped, wsdl
        p = Path(wsdl)
        if not p.is_file():
            raise FileNotFoundError(
                f"WSDL {wsdl!r} of service {service_name} is neither a shipped document nor a file"
            )
        root = self.add_root(service_name, p.resolve().parent)
        return root, p.name

    def find(self, url_path: str) -> tuple[DocumentRoot, str] | None:
        """The document served at a URL path, or ``None``."""
        for root in self.roots.values():
            if url_path.startswith(root.prefix):
                rel = url_path[len(root.prefix) :]
                if rel in root.files:
                    return root, rel
        return None

    def render(
        self, root: DocumentRoot, rel: str, base_url: str, service_url: str | None = None
    ) -> bytes:
        """The document with imports (and, for a WSDL, the service address) rewritten."""
        key = (root.name, rel, base_url, service_url or "")
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        data = (root.directory / rel).read_bytes()
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        tree = etree.fromstring(data, parser).getroottree()
        for el in tree.iter():
            if not isinstance(el.tag, str):
                continue
            if el.tag in _XSD_REFS:
                self._rewrite(el, "schemaLocation", root, rel, base_url)
            elif el.tag == _WSDL_IMPORT:
                self._rewrite(el, "location", root, rel, base_url)
            elif el.tag in _ADDRESSES and service_url:
                el.set("location", service_url)
        out = etree.tostring(tree, encoding="utf-8", xml_declaration=True)
        with self._lock:
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[key] = out
        return out

    def _rewrite(self, el: Element, attr: str, root: DocumentRoot, rel: str, base_url: str) -> None:
        location = el.get(attr)
        target: tuple[DocumentRoot, str] | None = None
        if location:
            target = self._resolve(location, root, rel)
        if target is None and el.tag in (qname(ns.XSD, "import"), _WSDL_IMPORT):
            # no location, or a copy's local name that is not shipped: use the namespace
            known = shipped.NAMESPACE_LOCATIONS.get(el.get("namespace") or "")
            if known:
                target = (self.shipped, known)
        if target is not None:
            t_root, t_rel = target
            el.set(attr, base_url + t_root.prefix + t_rel)

    def _resolve(
        self, location: str, root: DocumentRoot, rel: str
    ) -> tuple[DocumentRoot, str] | None:
        if location in shipped.WELL_KNOWN_LOCATIONS:
            return self.shipped, shipped.WELL_KNOWN_LOCATIONS[location]
        if "://" in location or location.startswith("/"):
            return None
        target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), location))
        if target in root.files:
            return root, target
        return None
