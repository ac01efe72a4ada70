"""Helpers of the wsdl2py tests: generate a package, import it, compare values.

Generation happens in memory (cached per WSDL), so that test modules can
parametrize over the generated classes at collection time (read from the
generated source, without importing it); the fixtures then write the same
package into a temporary directory and import it from there.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import math
import sys
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from lxml import etree

from gridware import wsdl
from gridware.codegen.generator import GeneratedPackage, generate
from gridware.container.addressing import EndpointReference

DATA = Path(__file__).resolve().parent / "data"
FEATURES_WSDL = DATA / "features.wsdl"
FEATURES_XSD = DATA / "features.xsd"

F = "urn:gridware:test:features"
O = "urn:gridware:test:other"  # noqa: E741 - the other namespace, as in the schemas
S = "urn:gridware:test:features:service"
RPC = "urn:gridware:test:features:rpc"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

#: The standard WSDLs shipped in gridware/wsdl whose generated types the tests check.
STANDARD_WSDLS = sorted(
    rel
    for rel in wsdl.shipped_files()
    if rel.endswith(".wsdl")
    and rel.startswith(("schemas/wsrf-1.2/", "schemas/wsn-1.3/", "schemas/wsrf-draft-2004-06/"))
)


def f(local: str) -> str:
    """A Clark name in the features namespace."""
    return f"{{{F}}}{local}"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def attribute(cls: type, attr: str) -> Any:
    """The binding's ``Attribute`` stored in ``attr``."""
    return next(a for a in cls.__binding__.attributes if getattr(a, "attr", None) == attr)


def parse(text: str) -> etree._Element:
    return etree.fromstring(text.encode())


@cache
def generated(location: str, package: str) -> GeneratedPackage:
    """The package generated for a WSDL (in memory, once per run)."""
    return generate(location, package)


def try_generated(location: str, package: str) -> GeneratedPackage | Exception:
    """Like :func:`generated`, but a broken generator must not break test collection."""
    try:
        return generated(location, package)
    except Exception as exc:  # reported by the tests that need the package
        return exc


def bound_classes(pkg: GeneratedPackage | Exception) -> list[str]:
    """Names of the classes of ``types.py`` that get a ``__binding__``, in source order."""
    if isinstance(pkg, Exception):
        return []
    tree = ast.parse(pkg.files["types.py"])
    out = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "__binding__"
                and isinstance(target.value, ast.Name)
            ):
                out.append(target.value.id)
    return out


def binding_keys(pkg: GeneratedPackage | Exception) -> dict[str, str | None]:
    """Class name -> the XML name its binding is for (type name, else element tag)."""
    if isinstance(pkg, Exception):
        return {}
    out: dict[str, str | None] = {}
    for node in ast.parse(pkg.files["types.py"]).body:
        if not (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Attribute)
            and node.targets[0].attr == "__binding__"
            and isinstance(node.value, ast.Call)
        ):
            continue
        keywords = {
            k.arg: k.value.value for k in node.value.keywords if isinstance(k.value, ast.Constant)
        }
        name = node.targets[0].value.id  # type: ignore[attr-defined]
        out[name] = keywords.get("type_name") or keywords.get("element_tag")
    return out


def element_tags(pkg: GeneratedPackage | Exception) -> list[str]:
    """The keys of ``ELEMENTS`` in ``types.py`` (the global elements), in source order."""
    if isinstance(pkg, Exception):
        return []
    for node in ast.parse(pkg.files["types.py"]).body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "ELEMENTS"
            and isinstance(node.value, ast.Dict)
        ):
            return [k.value for k in node.value.keys if isinstance(k, ast.Constant)]
    return []


def import_one(pkg: GeneratedPackage, outdir: Path, module: str) -> ModuleType:
    """Import one module of a package written under ``outdir`` (the caller cleans up)."""
    pkg.write(outdir)
    if str(outdir) not in sys.path:
        sys.path.insert(0, str(outdir))
    return importlib.import_module(f"{pkg.package}.{module}")


def forget(package: str, outdir: Path) -> None:
    """Undo :func:`import_one`."""
    if str(outdir) in sys.path:
        sys.path.remove(str(outdir))
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]


# -- comparing values -------------------------------------------------------------------


def xml_key(el: etree._Element) -> tuple[Any, ...]:
    """The content of an element, independent of namespace prefixes.

    Canonical XML keeps prefixes, and the runtime picks its own; here an element
    is its Clark name, attributes (``xsi:type`` resolved to a Clark name), text
    and children with their tails.
    """
    if not isinstance(el.tag, str):
        return ("<node>", str(el.tag), el.text or "")
    attrs = []
    for name, value in el.attrib.items():
        if name == f"{{{XSI}}}type":
            prefix, _, local = value.strip().rpartition(":")
            uri = el.nsmap.get(prefix or None)
            value = f"{{{uri}}}{local}" if uri else local
        attrs.append((name, value))
    kids = tuple((*xml_key(k), k.tail or "") for k in el)
    return (el.tag, tuple(sorted(attrs)), el.text or "", kids)


def normalize(value: Any) -> Any:
    """A structure that compares equal exactly when two bound values are equal.

    lxml elements compare by identity, so they become their canonical form;
    dataclasses (generated classes, ``Tagged``) keep their class name, so a
    ``Dog`` never equals a ``Cat`` with the same fields.
    """
    if isinstance(value, etree._Element):
        return ("<element>", xml_key(value))
    if isinstance(value, EndpointReference):
        return ("<epr>", value._canonical())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple(
                (fl.name, normalize(getattr(value, fl.name))) for fl in dataclasses.fields(value)
            ),
        )
    if isinstance(value, list | tuple):
        return [normalize(v) for v in value]
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def assert_same(actual: Any, expected: Any) -> None:
    assert normalize(actual) == normalize(expected)


def assert_same_xml(actual: etree._Element, expected: etree._Element | str) -> None:
    """Equal documents, whatever the prefixes (whitespace between elements ignored)."""
    if isinstance(expected, str):
        expected = parse(expected)
    assert xml_key(strip_blank(actual)) == xml_key(strip_blank(expected))


def resolve_qnames(el: etree._Element, names: set[str]) -> etree._Element:
    """A copy where the QName values of the elements and attributes named in ``names``
    are in Clark notation, so that documents with other prefixes compare equal."""

    def clark(text: str, node: etree._Element) -> str:
        out = []
        for word in text.split():
            prefix, _, local = word.rpartition(":")
            uri = node.nsmap.get(prefix or None)
            out.append(f"{{{uri}}}{local}" if uri else word)
        return " ".join(out)

    copy = etree.fromstring(etree.tostring(el))
    for node in copy.iter():
        if node.tag in names and node.text:
            node.text = clark(node.text, node)
        for attr, value in node.attrib.items():
            if attr in names:
                node.set(attr, clark(value, node))
    return copy


def strip_blank(el: etree._Element) -> etree._Element:
    """A copy without the whitespace-only text between elements (pretty printing)."""
    copy = etree.fromstring(etree.tostring(el))
    for node in copy.iter():
        if len(node) and node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
    return copy
