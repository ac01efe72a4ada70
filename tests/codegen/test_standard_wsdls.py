"""wsdl2py on the standard WSDLs shipped in gridware/wsdl.

Every WSDL of WSRF 1.2, WSN 1.3 and the 2004/06 drafts (the Globus Toolkit 4
dialect) generates a package whose modules import; every class of those
packages round-trips object -> XML -> object (hypothesis, values drawn from the
class's binding); and what we write for the global elements of WSRF 1.2 and
WSN 1.3 validates against the OASIS schemas (xmlschema, shipped copies only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest
import xmlschema

from gridware import wsdl
from gridware.codegen.runtime.model import GlobalElement
from tests.codegen import strategies as gs
from tests.codegen.conftest import GeneratedModules
from tests.codegen.properties import check_round_trips, check_valid, values_of
from tests.codegen.support import (
    STANDARD_WSDLS,
    binding_keys,
    element_tags,
    generated,
    try_generated,
)

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

PACKAGES = {rel: f"gw_test_std{i}" for i, rel in enumerate(STANDARD_WSDLS)}
WSA = "http://www.w3.org/2005/08/addressing"


def _short(rel: str) -> str:
    return rel.removeprefix("schemas/").rpartition("/")[2].removesuffix(".wsdl")


def _location(rel: str) -> str:
    return "gridware.wsdl:" + rel


def _distinct_classes() -> list[Any]:
    """(WSDL, class) for each class of the standard packages, each XML type once."""
    seen: set[str] = set()
    out = []
    for rel in STANDARD_WSDLS:
        for name, key in binding_keys(try_generated(_location(rel), PACKAGES[rel])).items():
            key = key or f"{rel}:{name}"  # an anonymous type
            if key in seen:
                continue
            seen.add(key)
            out.append(pytest.param(rel, name, id=f"{_short(rel)}:{name}"))
    return out


@pytest.fixture(scope="session")
def standard(tmp_path_factory) -> Iterator[Callable[[str], GeneratedModules]]:
    """Imports the package of a standard WSDL on first use."""
    outdir = tmp_path_factory.mktemp("standard")
    loaded: dict[str, GeneratedModules] = {}

    def load(rel: str) -> GeneratedModules:
        if rel not in loaded:
            generated(_location(rel), PACKAGES[rel]).write(outdir)
            loaded[rel] = GeneratedModules(PACKAGES[rel], outdir)
        return loaded[rel]

    yield load
    for mods in loaded.values():
        mods.close()


@cache
def builder(mods: GeneratedModules, declared_wildcards: bool = False) -> gs.ValueBuilder:
    return gs.ValueBuilder(
        mods.types,
        simple=gs.STANDARD_SIMPLE_TYPES,
        max_depth=2,  # the standard types nest deeply: keep values (and the run) small
        # processContents="strict" wildcards need declared elements and attributes
        **(
            {
                "wildcards": gs.declared_wildcard_element,
                "wild_attributes": gs.declared_wild_attributes,
            }
            if declared_wildcards
            else {}
        ),
    )


@pytest.mark.parametrize("rel", STANDARD_WSDLS, ids=_short)
def test_standard_wsdl_generates_and_imports(standard, rel):
    mods = standard(rel)
    for name in ("types", "faults", "client", "server"):
        assert mods.module(name).__name__ == f"{PACKAGES[rel]}.{name}"
    assert mods.types.ELEMENTS


@pytest.mark.slow  # ~280 classes: about a minute
@pytest.mark.parametrize(("rel", "name"), _distinct_classes())
def test_standard_classes_round_trip(standard, rel, name):
    mods = standard(rel)
    cls = getattr(mods.types, name)
    b = cls.__binding__
    tag = b.element_tag or b.type_name or "{urn:gridware:test}anonymous"
    strategy = builder(mods).instance(cls, exact=not b.abstract)
    check_round_trips(GlobalElement(tag, cls), strategy)


# -- validity against the OASIS schemas -----------------------------------------------------

VALIDATED = {
    "http://docs.oasis-open.org/wsrf/rp-2": "schemas/wsrf-1.2/rpw-2.wsdl",
    "http://docs.oasis-open.org/wsrf/rl-2": "schemas/wsrf-1.2/rlw-2.wsdl",
    "http://docs.oasis-open.org/wsrf/r-2": "schemas/wsrf-1.2/rw-2.wsdl",
    "http://docs.oasis-open.org/wsrf/bf-2": "schemas/wsrf-1.2/bfw-2.wsdl",
    "http://docs.oasis-open.org/wsrf/sg-2": "schemas/wsrf-1.2/sgw-2.wsdl",
    "http://docs.oasis-open.org/wsn/b-2": "schemas/wsn-1.3/bw-2.wsdl",
    "http://docs.oasis-open.org/wsn/br-2": "schemas/wsn-1.3/brw-2.wsdl",
    "http://docs.oasis-open.org/wsn/t-1": "schemas/wsn-1.3/bw-2.wsdl",
}
_IMPORTED = (WSA, "http://docs.oasis-open.org/wsrf/bf-2", "http://docs.oasis-open.org/wsn/t-1")


def _validated_elements() -> list[Any]:
    out = []
    for namespace, rel in VALIDATED.items():
        for tag in element_tags(try_generated(_location(rel), PACKAGES[rel])):
            if tag.startswith(f"{{{namespace}}}"):
                local = tag.rpartition("}")[2]
                marks = VALIDITY_BUGS.get(local, ())
                out.append(pytest.param(rel, tag, id=f"{_short(rel)}:{local}", marks=marks))
    return out


#: Elements whose written values do not validate because of a known bug.
VALIDITY_BUGS: dict[str, Any] = {}


@cache
def oasis_schema(namespace: str) -> xmlschema.XMLSchema:
    """The schema of a namespace, every import resolved to the shipped copies."""
    mapper = {url: str(wsdl.ROOT / rel) for url, rel in wsdl.WELL_KNOWN_LOCATIONS.items()}
    locations = [
        (ns, str(wsdl.ROOT / wsdl.NAMESPACE_LOCATIONS[ns])) for ns in _IMPORTED if ns != namespace
    ]
    return xmlschema.XMLSchema(
        str(wsdl.ROOT / wsdl.NAMESPACE_LOCATIONS[namespace]),
        uri_mapper=mapper,
        locations=locations,
        allow="local",
        # sg-2.xsd breaks Unique Particle Attribution (RPDoc after ##any): load it laxly
        validation="lax" if namespace.endswith("/sg-2") else "strict",
    )


def unique_topic_names(value: Any) -> Any:
    """Renames sibling wstop:Topic elements apart: t-1.xsd makes their names unique
    (xs:unique, an identity constraint no binding carries)."""
    topics = getattr(value, "topic", None)
    if isinstance(topics, list):
        for i, topic in enumerate(topics):
            if hasattr(topic, "name"):  # a wstop:TopicType
                topic.name = f"{topic.name}{i}"
                unique_topic_names(topic)
    return value


@pytest.mark.slow
@pytest.mark.parametrize(("rel", "tag"), _validated_elements())
def test_what_we_write_for_wsrf_and_wsn_validates(standard, rel, tag):
    mods = standard(rel)
    element = mods.types.ELEMENTS[tag]
    schema = oasis_schema(tag[1:].partition("}")[0])
    values = values_of(builder(mods, declared_wildcards=True), element)
    check_valid(schema, element, values.map(unique_topic_names))
