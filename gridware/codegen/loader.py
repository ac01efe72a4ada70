"""Finding and reading WSDL and schema documents for the generator.

Locations resolve, in order: the well-known standard locations (to the copies
shipped in :mod:`gridware.wsdl`), paths relative to the importing document,
and http(s) URLs relative to an importing URL (only when the generator was
given a URL, never for standard locations).
"""

from __future__ import annotations

import posixpath
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from gridware import wsdl as shipped
from gridware.codegen.errors import CodegenError
from gridware.container.xml import XMLError, XMLLimits, parse_xml

_LIMITS = XMLLimits(max_size=64 * 1024 * 1024)


@dataclass
class Document:
    """A parsed document and where it came from."""

    location: str  # a file path, a URL, or "gridware.wsdl:<path>" for shipped files
    root: etree._Element

    @property
    def display(self) -> str:
        return self.location


@dataclass
class DocumentLoader:
    """Loads each document once; resolves import locations."""

    allow_network: bool = False
    timeout: float = 30.0
    cache: dict[str, Document] = field(default_factory=dict)

    def resolve(self, location: str, referrer: str | None) -> str:
        """The canonical location of ``location`` as imported from ``referrer``."""
        if location in shipped.WELL_KNOWN_LOCATIONS:
            return "gridware.wsdl:" + shipped.WELL_KNOWN_LOCATIONS[location]
        if location.startswith("gridware.wsdl:"):
            return location
        if referrer and referrer.startswith("gridware.wsdl:"):
            rel = shipped.resolve_location(location, referrer.partition(":")[2])
            if rel is not None:
                return "gridware.wsdl:" + rel
        parsed = urllib.parse.urlsplit(location)
        if parsed.scheme in ("http", "https"):
            return location
        if parsed.scheme == "file":
            return urllib.parse.unquote(parsed.path)
        if referrer is None:
            return str(Path(location).resolve())
        if referrer.startswith(("http://", "https://")):
            return urllib.parse.urljoin(referrer, location)
        if referrer.startswith("gridware.wsdl:"):
            base = posixpath.dirname(referrer.partition(":")[2])
            return "gridware.wsdl:" + posixpath.normpath(posixpath.join(base, location))
        return str((Path(referrer).parent / location).resolve())

    def load(self, location: str) -> Document:
        """Read and parse a (canonical) location."""
        doc = self.cache.get(location)
        if doc is not None:
            return doc
        data = self._read(location)
        try:
            root = parse_xml(data, _LIMITS)
        except XMLError as exc:
            line = getattr(exc, "line", None)
            message = re.sub(r" \(<string>, line \d+\)$", "", str(exc))
            raise CodegenError(f"not usable XML: {message}", location, line) from None
        doc = Document(location, root)
        self.cache[location] = doc
        return doc

    def _read(self, location: str) -> bytes:
        if location.startswith("gridware.wsdl:"):
            rel = location.partition(":")[2]
            try:
                return shipped.path(rel).read_bytes()
            except FileNotFoundError:
                raise CodegenError("no such shipped document", location) from None
        if location.startswith(("http://", "https://")):
            if not self.allow_network:
                raise CodegenError(
                    "refusing to fetch from the network; save the document and import it "
                    "from a file",
                    location,
                )
            try:
                with urllib.request.urlopen(location, timeout=self.timeout) as resp:
                    data: bytes = resp.read(_LIMITS.max_size + 1)
            except OSError as exc:
                raise CodegenError(f"cannot fetch: {exc}", location) from None
            if len(data) > _LIMITS.max_size:
                raise CodegenError("document larger than 64 MiB", location)
            return data
        try:
            return Path(location).read_bytes()
        except OSError as exc:
            raise CodegenError(f"cannot read: {exc.strerror}", location) from None
