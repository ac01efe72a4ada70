"""Property checks shared by the wsdl2py tests (hypothesis settings and bodies)."""

from __future__ import annotations

from typing import Any

import xmlschema
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from lxml import etree

from gridware.codegen.runtime.model import ANY_ELEMENT, ElementCodec, GlobalElement
from tests.codegen import strategies as gs
from tests.codegen.support import assert_same, xml_key

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: For properties that fail on a known bug: no shrinking, so the xfail stays fast.
KNOWN_FAILING = settings(PROPERTY, phases=[Phase.generate])


def check_round_trips(
    element: GlobalElement, strategy: st.SearchStrategy[Any], failing: bool = False
) -> None:
    """object -> XML -> object gives an equal object, and writing it again the same XML."""

    @(KNOWN_FAILING if failing else PROPERTY)
    @given(strategy)
    def check(value: Any) -> None:
        first = element.build(value)
        back = element.read(first)
        assert_same(back, value)
        assert xml_key(element.build(back)) == xml_key(first)

    check()


def check_valid(
    schema: xmlschema.XMLSchema,
    element: GlobalElement,
    strategy: st.SearchStrategy[Any],
    failing: bool = False,
) -> None:
    """What we write for the element validates against ``schema`` (an independent validator)."""

    @(KNOWN_FAILING if failing else PROPERTY)
    @given(strategy)
    def check(value: Any) -> None:
        el = element.build(value)
        error = next(schema.iter_errors(el), None)
        assert error is None, f"{error.reason}\n{etree.tostring(el).decode()}"

    check()


def values_of(values: gs.ValueBuilder, element: GlobalElement) -> st.SearchStrategy[Any]:
    """Valid values of a global element: its class (or a derived one), simple type or lxml."""
    t = element.type
    if isinstance(t, type):
        value = values.instance(t)
    elif t is ANY_ELEMENT:
        value = gs.wild_element(element.tag)
    elif isinstance(t, ElementCodec):
        value = gs.epr(t)
    else:
        value = values.simple_type(t)
    return st.one_of(st.none(), value) if element.nillable else value
