"""Hypothesis strategies for generated classes, built from their ``__binding__``.

:class:`ValueBuilder` walks the binding metadata of the runtime
(:mod:`gridware.codegen.runtime.model`: ``Element``, ``Attribute``,
``Choice``, ``All``, ``Repeated``, ``Any_``, ``AnyAttribute``, ``Text``,
mixed content) and the simple types (:class:`SimpleType`, enumerations) and
draws *valid* instances: what a schema-valid document would read into.  Values
come in the canonical shape the reader produces (``Tagged`` where the element
name is not implied by the value, ``NIL`` for an optional nillable element), so
that object -> XML -> object must give back an equal object.

Derived simple types hide their facets in closures; the built-in types are
known here, enumerations are recognized by their Python type, and the derived
types of a schema come from ``overrides`` (by object or by ``(namespace,
name)``).  A derived type nobody described falls back to values of its Python
type that the type accepts, and fails loudly if those are too rare.
"""

from __future__ import annotations

import enum
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from lxml import etree

from gridware.codegen.runtime import model as m
from gridware.codegen.runtime.simpletypes import (
    SIMPLE_TYPES,
    XSD_NS,
    Duration,
    SimpleType,
    SimpleTypeError,
    XsdDate,
)
from gridware.container.addressing import EndpointReference

WILD_NS = "urn:gridware:test:wild"
QNAME_NAMESPACES = ("urn:gridware:test:q1", "http://example.org/q2", WILD_NS)

# -- built-in simple types -------------------------------------------------------------

#: Characters of XML 1.0 documents that lxml accepts (no C0/C1 controls but TAB, LF, CR).
_LINE_CHAR = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc", "Co"),
    exclude_characters="\ufffe\uffff",
)
XML_CHAR = st.one_of(_LINE_CHAR, st.sampled_from("\t\n\r"))
_NO_SPACE_CHAR = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc", "Co", "Zs", "Zl", "Zp"),
    exclude_characters="\ufffe\uffff\x85\x1c\x1d\x1e\x1f",
)
STRING = st.text(XML_CHAR, max_size=12)
NORMALIZED = st.text(_LINE_CHAR, max_size=12)
TOKEN = st.lists(st.text(_NO_SPACE_CHAR, min_size=1, max_size=6), max_size=3).map(" ".join)
_START = string.ascii_letters + "_\u00e9\u4e2d"
_CHARS = _START + string.digits + ".-\u00b7"
NCNAME = st.builds(
    lambda a, b: a + b, st.sampled_from(_START), st.text(st.sampled_from(_CHARS), max_size=7)
)
NAME = st.builds(
    lambda a, b: a + b,
    st.sampled_from(_START + ":"),
    st.text(st.sampled_from(_CHARS + ":"), max_size=7),
)
NMTOKEN = st.text(st.sampled_from(_CHARS + ":"), min_size=1, max_size=8)
LANGUAGE = st.from_regex(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8}){0,2}", fullmatch=True)
ANY_URI = st.one_of(
    st.builds(
        "http://example.org/{}".format,
        st.text(st.sampled_from(string.ascii_letters + "/-._~"), max_size=10),
    ),
    st.builds("urn:x:{}".format, NCNAME),
    st.just(""),
)
QNAME = st.one_of(
    NCNAME.filter(lambda s: ":" not in s),
    st.builds(lambda ns, local: f"{{{ns}}}{local}", st.sampled_from(QNAME_NAMESPACES), NCNAME),
)
TZ = st.one_of(
    st.just(UTC),
    st.integers(-14 * 60, 14 * 60).map(lambda mins: timezone(timedelta(minutes=mins))),
)
DATETIME = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=TZ)
DATE = st.one_of(
    st.dates(),
    st.builds(lambda d, tz: XsdDate(d.year, d.month, d.day, tz), st.dates(), TZ),
)
TIME = st.times(timezones=st.one_of(st.none(), TZ))


def _duration(sign: int, months: int, seconds: int, millis: int) -> Duration:
    return Duration(sign * months, sign * (Decimal(seconds) + Decimal(millis) / 1000))


DURATION = st.builds(
    _duration,
    st.sampled_from([1, -1]),
    st.integers(0, 50),
    st.integers(0, 10**7),
    st.integers(0, 999),
)
_TZ_TEXT = st.sampled_from(["", "Z", "+02:00", "-11:30"])
_YEAR = st.integers(1, 9999).map("{:04d}".format)
_MONTH = st.integers(1, 12).map("{:02d}".format)
_DAY = st.integers(1, 28).map("{:02d}".format)
G_TYPES = {
    "gYear": st.builds(lambda y, z: y + z, _YEAR, _TZ_TEXT),
    "gYearMonth": st.builds(lambda y, mo, z: f"{y}-{mo}{z}", _YEAR, _MONTH, _TZ_TEXT),
    "gMonth": st.builds(lambda mo, z: f"--{mo}{z}", _MONTH, _TZ_TEXT),
    "gMonthDay": st.builds(lambda mo, d, z: f"--{mo}-{d}{z}", _MONTH, _DAY, _TZ_TEXT),
    "gDay": st.builds(lambda d, z: f"---{d}{z}", _DAY, _TZ_TEXT),
}
_INT_RANGES = {
    "integer": (-(10**30), 10**30),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127),
    "nonNegativeInteger": (0, 10**30),
    "positiveInteger": (1, 10**30),
    "nonPositiveInteger": (-(10**30), 0),
    "negativeInteger": (-(10**30), -1),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 255),
}

BUILTINS: dict[str, st.SearchStrategy[Any]] = {
    **{name: st.integers(lo, hi) for name, (lo, hi) in _INT_RANGES.items()},
    **G_TYPES,
    "string": STRING,
    "anySimpleType": STRING,
    "anyType": STRING,
    "normalizedString": NORMALIZED,
    "token": TOKEN,
    "language": LANGUAGE,
    "Name": NAME,
    "NCName": NCNAME,
    "ID": NCNAME,
    "IDREF": NCNAME,
    "ENTITY": NCNAME,
    "NMTOKEN": NMTOKEN,
    "IDREFS": st.lists(NCNAME, min_size=1, max_size=3),
    "ENTITIES": st.lists(NCNAME, min_size=1, max_size=3),
    "NMTOKENS": st.lists(NMTOKEN, min_size=1, max_size=3),
    "QName": QNAME,
    "NOTATION": QNAME,
    "anyURI": ANY_URI,
    "boolean": st.booleans(),
    "decimal": st.decimals(-(10**12), 10**12, allow_nan=False, allow_infinity=False),
    "float": st.floats(width=32, allow_nan=False),
    "double": st.floats(allow_nan=False),
    "dateTime": DATETIME,
    "date": DATE,
    "time": TIME,
    "duration": DURATION,
    "base64Binary": st.binary(max_size=16),
    "hexBinary": st.binary(max_size=16),
}

#: Values of a Python type, for derived types nobody described (filtered by the type).
BY_PYTHON_TYPE: dict[type, st.SearchStrategy[Any]] = {
    int: st.integers(-(2**40), 2**40),
    str: STRING,
    bool: st.booleans(),
    float: st.floats(allow_nan=False),
    Decimal: BUILTINS["decimal"],
    datetime: DATETIME,
    date: DATE,
    time: TIME,
    bytes: st.binary(max_size=16),
    Duration: DURATION,
}


_WSA = "http://www.w3.org/2005/08/addressing"
_WSA_2004_03 = "http://schemas.xmlsoap.org/ws/2004/03/addressing"

#: Derived simple types of the standard schemas, by (namespace, name).
STANDARD_SIMPLE_TYPES: dict[Any, st.SearchStrategy[Any]] = {
    ("", "lang"): st.one_of(LANGUAGE, st.just("")),
    ("", "messageTypes"): st.lists(QNAME, max_size=3),
    ("http://docs.oasis-open.org/wsrf/sg-2", "ContentElementsType"): st.lists(QNAME, max_size=3),
    ("http://docs.oasis-open.org/wsrf/sg-2", "MemberInterfacesType"): st.lists(QNAME, max_size=3),
    (
        "http://docs.oasis-open.org/wsrf/2004/06/wsrf-WS-ServiceGroup-1.2-draft-01.xsd",
        "ContentElementsType",
    ): st.lists(QNAME, max_size=3),
    ("http://docs.oasis-open.org/wsn/b-2", "AbsoluteOrRelativeTimeType"): st.one_of(
        DATETIME, DURATION
    ),
    ("http://docs.oasis-open.org/wsrf/sg-2", "AbsoluteOrRelativeTimeType"): st.one_of(
        DATETIME, DURATION
    ),
    ("http://docs.oasis-open.org/wsn/t-1", "ConcreteTopicExpression"): st.from_regex(
        r"([a-z][a-z0-9]{0,3}:)?[A-Za-z_][A-Za-z0-9_.-]{0,5}(/[A-Za-z_][A-Za-z0-9_.-]{0,5}){0,2}",
        fullmatch=True,
    ),
    ("http://docs.oasis-open.org/wsn/t-1", "FullTopicExpression"): st.from_regex(
        r"([a-z][a-z0-9]{0,3}:)?[A-Za-z_][A-Za-z0-9_.-]{0,5}(/[A-Za-z_*][A-Za-z0-9_.-]{0,5}){0,2}",
        fullmatch=True,
    ),
    (_WSA, "FaultCodesType"): st.sampled_from(
        [f"{{{_WSA}}}InvalidAddressingHeader", f"{{{_WSA}}}ActionNotSupported"]
    ),
    (_WSA, "FaultCodesOpenEnumType"): QNAME,
    (_WSA, "RelationshipTypeOpenEnum"): st.one_of(
        st.just(f"{_WSA}/reply"), ANY_URI.filter(lambda u: u != f"{_WSA}/reply")
    ),
    (_WSA_2004_03, "FaultSubcodeValues"): st.sampled_from(
        [
            f"{{{_WSA_2004_03}}}InvalidMessageInformationHeader",
            f"{{{_WSA_2004_03}}}EndpointUnavailable",
        ]
    ),
    (_WSA_2004_03, "RelationshipTypeValues"): st.just(f"{{{_WSA_2004_03}}}Reply"),
}


def is_builtin(t: SimpleType) -> bool:
    return t.namespace == XSD_NS and SIMPLE_TYPES.get(t.name) is t


def accepts(t: SimpleType, value: Any) -> bool:
    """Whether ``t`` writes ``value`` (facets checked) and reads it back."""
    el = etree.Element("probe")
    try:
        t.read(t.write(value, el), el)
    except (SimpleTypeError, ValueError, TypeError):
        return False
    return True


# -- wildcards --------------------------------------------------------------------------


def wildcard_namespaces(constraint: str, target: str | None) -> list[str | None]:
    """Namespaces an element or attribute may have under a wildcard (None: unqualified)."""
    if constraint == "##any":
        return [None, WILD_NS] + ([target] if target else [])
    if constraint == "##other":
        return [WILD_NS]
    out: list[str | None] = []
    for item in constraint.split():
        if item == "##local":
            out.append(None)
        elif item == "##targetNamespace":
            out.append(target)
        else:
            out.append(item)
    return out


def wildcard_allows(constraint: str, target: str | None, uri: str | None) -> bool:
    """Whether a wildcard's namespace constraint admits namespace ``uri``."""
    if constraint == "##any":
        return True
    if constraint == "##other":
        return uri is not None and uri != target
    return uri in wildcard_namespaces(constraint, target)


def _clark(ns: str | None, local: str) -> str:
    return f"{{{ns}}}{local}" if ns else local


def wild_element(tag: str) -> st.SearchStrategy[etree._Element]:
    """An element named ``tag`` with some attributes, text and children."""

    def build(text: str, attr: str | None, kids: list[str]) -> etree._Element:
        el = etree.Element(tag)
        if text:
            el.text = text
        if attr is not None:
            el.set("note", attr)
        for i, kid_text in enumerate(kids):
            etree.SubElement(el, f"{{{WILD_NS}}}part{i}").text = kid_text
        return el

    return st.builds(
        build,
        NORMALIZED,
        st.one_of(st.none(), NORMALIZED),
        st.lists(NORMALIZED, max_size=2),
    )


def wildcard_element(constraint: str, target: str | None) -> st.SearchStrategy[etree._Element]:
    names = st.builds(
        _clark,
        st.sampled_from(wildcard_namespaces(constraint, target)),
        st.integers(0, 3).map("wild{}".format),
    )
    return names.flatmap(wild_element)


def declared_wildcard_element(
    constraint: str, target: str | None
) -> st.SearchStrategy[etree._Element]:
    """Elements for a wildcard that may be ``processContents="strict"``: global elements
    of WS-Addressing (declared wherever the standard schemas are), when allowed."""
    if not wildcard_allows(constraint, target, _WSA):
        return wildcard_element(constraint, target)

    def build(local: str, uri: str) -> etree._Element:
        el = etree.Element(f"{{{_WSA}}}{local}")
        el.text = uri
        return el

    return st.builds(build, st.sampled_from(["To", "Action", "MessageID"]), ANY_URI)


def declared_wild_attributes(
    constraint: str, target: str | None, declared: set[str]
) -> st.SearchStrategy[dict[str, str]]:
    """Attributes for an attribute wildcard that may be strict: wsa:IsReferenceParameter."""
    name = f"{{{_WSA}}}IsReferenceParameter"
    if not wildcard_allows(constraint, target, _WSA) or name in declared:
        return st.just({})
    return st.dictionaries(st.just(name), st.sampled_from(["true", "false"]), max_size=1)


# -- the builder --------------------------------------------------------------------------


Overrides = dict[Any, st.SearchStrategy[Any] | Callable[["ValueBuilder"], st.SearchStrategy[Any]]]


@dataclass
class ValueBuilder:
    """Builds strategies of valid values for the classes of one generated module.

    ``simple`` maps derived simple types (the object, or ``(namespace, name)``)
    to strategies; ``classes`` maps class names to functions ``(builder, depth)
    -> strategy`` for classes whose validity no binding can express (ID/IDREF).
    ``restrictions`` also draws the complexContent restrictions registered for a
    type (``register_restriction``) wherever that type is expected.
    ``wildcards`` makes the elements and attributes that match ``xs:any`` and
    ``xs:anyAttribute``.
    """

    module: Any
    simple: Overrides = field(default_factory=dict)
    classes: dict[str, Callable[[ValueBuilder, int], st.SearchStrategy[Any]]] = field(
        default_factory=dict
    )
    restrictions: bool = False
    max_depth: int = 3
    wildcards: Callable[[str, str | None], st.SearchStrategy[etree._Element]] = wildcard_element
    wild_attributes: Callable[[str, str | None, set[str]], st.SearchStrategy[dict[str, str]]] = (
        field(default=None)  # type: ignore[assignment]
    )
    _memo: dict[Any, st.SearchStrategy[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.wild_attributes is None:
            self.wild_attributes = _wild_attributes

    # -- simple types ---------------------------------------------------------------
    def simple_type(self, t: SimpleType) -> st.SearchStrategy[Any]:
        for key in (id(t), (t.namespace, t.name)):
            found = self.simple.get(key)
            if found is not None:
                return found(self) if callable(found) else found
        if is_builtin(t):
            return BUILTINS[t.name]
        if isinstance(t.python_type, type) and issubclass(t.python_type, enum.Enum):
            return st.sampled_from(list(t.python_type))
        base = BY_PYTHON_TYPE.get(t.python_type)
        if base is None:
            raise LookupError(
                f"no strategy for simple type {t.namespace}:{t.name} "
                f"({t.python_type.__name__}): add it to the overrides"
            )
        return base.filter(lambda v: accepts(t, v))

    def parsed(self, t: SimpleType, text: str) -> Any:
        return t.read(text, None)

    # -- complex types ----------------------------------------------------------------
    def concrete(self, cls: type) -> list[type]:
        """``cls`` and the classes that may stand for it through ``xsi:type``
        (named, not abstract)."""
        out: list[type] = []
        todo = [cls]
        while todo:
            c = todo.pop(0)
            if c in out:
                continue
            b = c.__dict__.get("__binding__")
            if b is not None and not b.abstract and (c is cls or b.type_name):
                out.append(c)
            todo.extend(c.__subclasses__())
            if self.restrictions:
                todo.extend(m._ALSO_DERIVED.get(c, []))
        return [c for c in out if c.__module__ == self.module.__name__] or out

    def instance(self, cls: type, depth: int = 0, exact: bool = False) -> st.SearchStrategy[Any]:
        """Valid values of ``cls`` (or of a type derived from it, unless ``exact``)."""
        key = (cls, depth, exact)
        if key in self._memo:
            return self._memo[key]
        if exact:
            strategy = self._exact(cls, depth)
        else:
            options = self.concrete(cls)
            if not options:
                raise LookupError(f"{cls.__name__} is abstract and nothing derives from it")
            strategy = st.one_of([self._exact(c, depth) for c in options])
        self._memo[key] = strategy
        return strategy

    def _exact(self, cls: type, depth: int) -> st.SearchStrategy[Any]:
        if depth > self.max_depth + 4:
            raise RecursionError(f"{cls.__name__}: no finite valid value within the depth limit")
        custom = self.classes.get(cls.__name__)
        if custom is not None:
            return custom(self, depth)
        b: m.ComplexBinding = cls.__dict__["__binding__"]
        parts: list[st.SearchStrategy[dict[str, Any]]] = []
        for a in b.attributes:
            parts.append(self._attribute(a, b))
        if b.text is not None:
            parts.append(self.simple_type(b.text.type).map(lambda v, n=b.text.attr: {n: v}))
        elif b.mixed is not None:
            parts.append(self._mixed(b, depth).map(lambda v, n=b.mixed: {n: v}))
        else:
            parts.extend(self._particle(p, depth) for p in b.content)

        def build(dicts: tuple[dict[str, Any], ...]) -> Any:
            kwargs: dict[str, Any] = {}
            for d in dicts:
                kwargs.update(d)
            return cls(**kwargs)

        return st.tuples(*parts).map(build)

    # -- attributes -----------------------------------------------------------------
    def _attribute(
        self, a: m.Attribute | m.AnyAttribute, b: m.ComplexBinding
    ) -> st.SearchStrategy[dict[str, Any]]:
        if isinstance(a, m.AnyAttribute):
            declared = {x.tag for x in b.attributes if isinstance(x, m.Attribute)}
            return self.wild_attributes(a.namespace, a.target_namespace, declared).map(
                lambda d, n=a.attr: {n: d}
            )
        if a.fixed is not None:
            value: st.SearchStrategy[Any] = st.just(self.parsed(a.type, a.fixed))
        else:
            value = self.simple_type(a.type)
            if not (a.required or a.default is not None):
                # an absent attribute with a default reads as the default: never None
                value = st.one_of(st.none(), value)
        return value.map(lambda v, n=a.attr: {n: v})

    # -- particles -------------------------------------------------------------------
    def _particle(self, p: m.Particle, depth: int) -> st.SearchStrategy[dict[str, Any]]:
        if isinstance(p, m.Element):
            return self._element_field(p, depth)
        if isinstance(p, m.Any_):
            return self._any_field(p, depth)
        if isinstance(p, m.Choice):
            return self._choice(p, depth)
        if isinstance(p, m.Sequence):
            # an optional sequence: absent as a whole, or complete
            parts = [
                self._element_field(q, depth, optional=True)
                if isinstance(q, m.Element)
                else self._particle(q, depth)
                for q in p.particles
            ]
            present = st.tuples(*parts).map(lambda ds: {k: v for d in ds for k, v in d.items()})
            if depth >= self.max_depth:
                return st.just(_absent(p))
            return st.one_of(st.just(_absent(p)), present)
        if isinstance(p, m.All):
            optional = p.min == 0
            whole = st.tuples(*[self._element_field(q, depth, optional) for q in p.particles]).map(
                lambda ds: {k: v for d in ds for k, v in d.items()}
            )
            if not optional:
                return whole
            # an optional group: absent as a whole, or complete
            absent = {q.attr: ([] if q.many else None) for q in p.particles}
            return st.one_of(st.just(absent), whole)
        return self._repeated(p, depth)

    def _count(self, lo: int, hi: int | None, depth: int) -> tuple[int, int]:
        """Bounds of a list: fewer extra items the deeper, so that values stay small."""
        top = lo + max(0, self.max_depth - depth)
        return lo, top if hi is None else min(hi, top)

    def _element_field(
        self, p: m.Element, depth: int, optional: bool = False
    ) -> st.SearchStrategy[dict[str, Any]]:
        item = self._element_item(p, depth, in_list=p.many, optional=optional)
        if p.many:
            lo, hi = self._count(p.min, p.max, depth)
            value: st.SearchStrategy[Any] = _lists(item, lo, hi)
        elif p.min == 0:
            value = st.none() if depth >= self.max_depth else st.one_of(st.none(), item)
        else:
            value = item
        return value.map(lambda v, n=p.attr: {n: v})

    def _value_of(self, t: Any, tag: str, depth: int, exact: bool) -> st.SearchStrategy[Any]:
        """Values of a particle type ``t`` (a class, a SimpleType, ANY_ELEMENT or a codec)."""
        if t is m.ANY_ELEMENT:
            return wild_element(tag)
        if isinstance(t, m.ElementCodec):
            return epr(t)
        if isinstance(t, SimpleType):
            return self.simple_type(t)
        return st.deferred(lambda: self.instance(t, depth + 1, exact=exact))

    def _element_item(
        self, p: m.Element, depth: int, in_list: bool, optional: bool = False
    ) -> st.SearchStrategy[Any]:
        """One value of element particle ``p``, as the reader returns it (``optional``: its
        field may be None anyway, as a choice alternative's)."""
        if p.fixed is not None and isinstance(p.type, SimpleType):
            return st.just(self.parsed(p.type, p.fixed))
        options: list[st.SearchStrategy[Any]] = []
        types = [p.type, *(t for _, t in p.substitutes)]
        head_abstract = p.abstract or (isinstance(p.type, type) and not self.concrete(p.type))
        if not head_abstract:
            head = self._value_of(p.type, p.tag, depth, exact=False)
            if p.default is not None and isinstance(p.type, SimpleType):
                # an empty element would read as the default
                head = head.filter(lambda v: v != "")
            options.append(head)
        for tag, t in p.substitutes:
            value = self._value_of(t, tag, depth, exact=True)
            if isinstance(t, type) and types.count(t) == 1:
                options.append(value)  # the class tells the element
            else:
                options.append(value.map(lambda v, tag=tag: m.Tagged(tag, v)))
        if p.nillable:
            if in_list:
                options.append(st.none())
            else:
                options.append(st.just(m.NIL) if p.min == 0 or optional else st.none())
        return st.one_of(options)

    def _any_field(self, p: m.Any_, depth: int) -> st.SearchStrategy[dict[str, Any]]:
        one = self.wildcards(p.namespace, p.target_namespace)
        if p.many:
            lo, hi = self._count(p.min, p.max, depth)
            value: st.SearchStrategy[Any] = _lists(one, lo, hi)
        elif p.min == 0:
            value = st.one_of(st.none(), one)
        else:
            value = one
        return value.map(lambda v, n=p.attr: {n: v})

    def _choice(self, c: m.Choice, depth: int) -> st.SearchStrategy[dict[str, Any]]:
        empty = {q.attr: ([] if q.many else None) for q in c.particles}
        options: list[st.SearchStrategy[dict[str, Any]]] = []
        terminal: list[st.SearchStrategy[dict[str, Any]]] = []
        for q in c.particles:
            if isinstance(q, m.Element):
                one = self._element_item(q, depth, in_list=q.many, optional=True)
            else:
                one = self.wildcards(q.namespace, q.target_namespace)
            if q.many:
                lo, hi = self._count(max(1, q.min), q.max, depth)
                value: st.SearchStrategy[Any] = st.lists(one, min_size=lo, max_size=max(lo, hi))
            else:
                value = one
            option = value.map(lambda v, n=q.attr: {**empty, n: v})
            options.append(option)
            if not (isinstance(q, m.Element) and isinstance(q.type, type)):
                terminal.append(option)
        if c.min == 0:
            options.append(st.just(dict(empty)))
            terminal.append(st.just(dict(empty)))
        if depth >= self.max_depth and terminal:
            options = terminal
        return st.one_of(options)

    def _repeated_items(self, particles: tuple[Any, ...], depth: int) -> list[Any]:
        """Strategies of the items of a repeated group (or of mixed content)."""
        return [item for items in self._leaf_items(particles, depth) for item in items]

    def _leaf_items(self, particles: tuple[Any, ...], depth: int) -> list[list[Any]]:
        """For each particle of a repeated group, the strategies of its items."""
        elements = [q for q in particles if isinstance(q, m.Element)]
        counts: dict[int, int] = {}
        for q in elements:
            for t in (q.type, *(t for _, t in q.substitutes)):
                counts[id(t)] = counts.get(id(t), 0) + 1
        out: list[list[Any]] = []
        for q in particles:
            items: list[st.SearchStrategy[Any]] = []
            out.append(items)
            if isinstance(q, m.Any_):
                items.append(self.wildcards(q.namespace, q.target_namespace))
                continue
            for tag, t in m._members(q):
                if isinstance(t, type) and not self.concrete(t):
                    continue
                value = self._value_of(t, tag, depth, exact=True)
                if q.nillable:
                    value = st.one_of(value, st.just(m.NIL))
                if isinstance(t, type) and counts[id(t)] == 1:
                    items.append(value)
                else:
                    items.append(value.map(lambda v, tag=tag: m.Tagged(tag, v)))
        return out

    def _repeated(self, r: m.Repeated, depth: int) -> st.SearchStrategy[dict[str, Any]]:
        if r.model is not None:
            leaves = [st.one_of(items) for items in self._leaf_items(r.particles, depth)]
            structured = self._group_items(r.model, r.particles, leaves, depth)
            return structured.map(lambda v, n=r.attr: {n: v})
        items = self._repeated_items(r.particles, depth)
        lo, hi = self._count(r.min, r.max, depth)
        return _lists(st.one_of(items), lo, hi).map(lambda v, n=r.attr: {n: v})

    def _group_items(
        self,
        node: int | m.Group,
        particles: tuple[Any, ...],
        leaves: list[st.SearchStrategy[Any]],
        depth: int,
    ) -> st.SearchStrategy[list[Any]]:
        """Items of a repeated group that follow its model, in document order."""
        if isinstance(node, int):
            p = particles[node]
            lo, hi = self._count(p.min, p.max, depth)
            return _lists(leaves[node], lo, hi)
        parts = [self._group_items(i, particles, leaves, depth) for i in node.items]
        once: st.SearchStrategy[list[Any]] = (
            st.one_of(parts)
            if node.kind == "choice"
            else st.tuples(*parts).map(lambda ls: [x for part in ls for x in part])
        )
        lo, hi = self._count(node.min, node.max, depth)
        return _lists(once, lo, hi).map(lambda ls: [x for part in ls for x in part])

    # -- mixed content ------------------------------------------------------------------
    def _mixed_item(self, q: m.Element | m.Any_, depth: int) -> st.SearchStrategy[Any]:
        """An element of mixed content, as the reader returns it (``Tagged`` or lxml)."""
        if isinstance(q, m.Any_):
            return self.wildcards(q.namespace, q.target_namespace)
        return st.one_of(
            [
                self._value_of(t, tag, depth, exact=True).map(lambda v, tag=tag: m.Tagged(tag, v))
                for tag, t in m._members(q)
                if not (isinstance(t, type) and not self.concrete(t))
            ]
        )

    def _mixed(self, b: m.ComplexBinding, depth: int) -> st.SearchStrategy[list[Any]]:
        """Text and elements; the elements follow the content model of the binding."""
        pieces: list[st.SearchStrategy[list[Any]]] = []

        def optional_sequence(p: m.Sequence) -> st.SearchStrategy[list[Any]]:
            inner = [self._mixed(m.ComplexBinding(b.cls, content=(q,)), depth) for q in p.particles]
            elements = st.tuples(*inner).map(
                lambda ls: [e for part in ls for e in part if not isinstance(e, str)]
            )
            return st.one_of(st.just([]), elements)

        for p in b.content:
            if isinstance(p, m.Sequence):
                pieces.append(optional_sequence(p))
            elif isinstance(p, m.Element | m.Any_):
                lo, hi = self._count(p.min, p.max, depth)
                pieces.append(_lists(self._mixed_item(p, depth), lo, hi))
            elif isinstance(p, m.Choice):
                options = []
                for q in p.particles:
                    lo, hi = self._count(max(1, q.min), q.max, depth)
                    item = self._mixed_item(q, depth)
                    options.append(st.lists(item, min_size=lo, max_size=max(lo, hi)))
                if p.min == 0:
                    options.append(st.just([]))
                pieces.append(st.one_of(options))
            elif isinstance(p, m.All):
                group = []
                for q in p.particles:
                    lo, hi = self._count(q.min, q.max, depth)
                    group.append(_lists(self._mixed_item(q, depth), lo, hi))
                whole = st.tuples(*group).map(lambda ls: [e for part in ls for e in part])
                pieces.append(st.one_of(st.just([]), whole) if p.min == 0 else whole)
            else:
                lo, hi = self._count(p.min, p.max, depth)
                item = st.one_of([self._mixed_item(q, depth) for q in p.particles])
                pieces.append(_lists(item, lo, hi))

        def interleave(drawn: tuple[list[Any], ...], texts: list[str]) -> list[Any]:
            """Elements with a (non-empty) text before each and after the last one."""
            elements = [e for piece in drawn for e in piece]
            out: list[Any] = []
            for i, e in enumerate(elements):
                if i < len(texts) and texts[i]:
                    out.append(texts[i])
                out.append(e)
            if len(elements) < len(texts) and texts[len(elements)]:
                out.append(texts[len(elements)])
            return out

        return st.builds(interleave, st.tuples(*pieces), st.lists(STRING, min_size=6, max_size=6))


def _absent(p: Any) -> dict[str, Any]:
    """The field values of particle ``p`` when none of it appears."""
    if isinstance(p, m.Element | m.Any_):
        return {p.attr: [] if p.many else None}
    if isinstance(p, m.Repeated):
        return {p.attr: []}
    out: dict[str, Any] = {}
    for q in p.particles:
        out.update(_absent(q))
    return out


def _lists(item: st.SearchStrategy[Any], lo: int, hi: int) -> st.SearchStrategy[list[Any]]:
    """Lists of ``lo`` to ``hi`` items; never touches ``item`` when none are wanted
    (recursive strategies end there)."""
    return st.just([]) if hi == 0 else st.lists(item, min_size=lo, max_size=hi)


def _wild_attributes(
    constraint: str, target: str | None, declared: set[str]
) -> st.SearchStrategy[dict[str, str]]:
    names = st.builds(
        _clark,
        st.sampled_from(wildcard_namespaces(constraint, target)),
        st.integers(0, 3).map("wild{}".format),
    ).filter(lambda n: n not in declared)
    return st.dictionaries(names, NORMALIZED, max_size=2)


def epr(codec: m.ElementCodec) -> st.SearchStrategy[EndpointReference]:
    """Endpoint references of the codec's WS-Addressing version."""
    version = getattr(codec, "version", None)
    return st.builds(
        lambda address: (
            EndpointReference(address, version=version)
            if version is not None
            else EndpointReference(address)
        ),
        st.builds("http://example.org/{}".format, NCNAME),
    )
