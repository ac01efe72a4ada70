"""XML <-> Python binding for generated types.

Generated code declares plain dataclasses deriving from :class:`Complex` and,
after all classes exist, attaches a :class:`ComplexBinding` that lists the
XML content in document order::

    @dataclass(slots=True, kw_only=True)
    class Point(Complex):
        x: int
        label: str | None = None

    Point.__binding__ = ComplexBinding(
        Point,
        type_name="{urn:geo}Point",
        content=(Element("x", "{urn:geo}x", xs.INT),),
        attributes=(Attribute("label", "label", xs.STRING),),
    )

The binding is compiled on first use into a parse plan and a writer.  Errors
are :class:`BindingError` naming the element path (``Point/x: 'a' is not a
valid xsd:int``); unknown elements and attributes are reported, never dropped.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from collections.abc import Sequence as Sequence_
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

from lxml import etree

from gridware.codegen.runtime.simpletypes import SimpleType, SimpleTypeError

XSI = "http://www.w3.org/2001/XMLSchema-instance"
_XSI_TYPE = f"{{{XSI}}}type"
_XSI_NIL = f"{{{XSI}}}nil"
_XSI_ATTRS = {
    _XSI_TYPE,
    _XSI_NIL,
    f"{{{XSI}}}schemaLocation",
    f"{{{XSI}}}noNamespaceSchemaLocation",
}

T = TypeVar("T", bound="Complex")


class BindingError(ValueError):
    """XML that does not fit its binding, or a value that cannot be written.

    ``path`` lists the element names from the document element down.
    """

    def __init__(self, message: str, path: Sequence_[str] = ()) -> None:
        self.message = message
        self.path = list(path)
        super().__init__(self._text())

    def _text(self) -> str:
        return f"{'/'.join(self.path)}: {self.message}" if self.path else self.message

    def inside(self, name: str) -> BindingError:
        """The same error one level further out."""
        self.path.insert(0, name)
        self.args = (self._text(),)
        return self


class _Nil:
    """The value of an optional nillable element written as ``xsi:nil="true"``."""

    _instance: ClassVar[_Nil | None] = None

    def __new__(cls) -> _Nil:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NIL"

    def __bool__(self) -> bool:
        return False


NIL = _Nil()
Nil = _Nil


class ElementCodec:
    """A type whose values are read and written by code outside the generated module.

    The container uses it to map ``wsa:EndpointReferenceType`` to its own
    :class:`~gridware.container.addressing.EndpointReference`.
    """

    python_type: type = object

    def read_element(self, el: etree._Element) -> Any:
        raise NotImplementedError

    def write_element(self, value: Any, el: etree._Element) -> None:
        raise NotImplementedError


class AnyElement:
    """The type of an element declared ``xs:anyType``: the element itself, as lxml."""

    def __repr__(self) -> str:
        return "ANY_ELEMENT"


ANY_ELEMENT = AnyElement()


@dataclass(frozen=True, slots=True)
class Tagged:
    """A value together with the element name it travels under.

    Used in repeated groups and substitution groups where the value's type
    alone does not tell which element it is.
    """

    tag: str
    value: Any


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# -- content descriptors ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Element:
    """An element particle stored in attribute ``attr``.

    ``type`` is a :class:`SimpleType` or a :class:`Complex` subclass;
    ``substitutes`` lists the other elements (tag, type) that may stand in for it;
    an ``abstract`` element never appears itself, only its substitutes do.
    """

    attr: str
    tag: str
    type: Any
    min: int = 1
    max: int | None = 1
    nillable: bool = False
    default: str | None = None
    fixed: str | None = None
    substitutes: tuple[tuple[str, Any], ...] = ()
    abstract: bool = False

    @property
    def many(self) -> bool:
        return self.max is None or self.max > 1


@dataclass(frozen=True, slots=True)
class Any_:
    """An ``xs:any`` wildcard: matching elements are kept as lxml elements."""

    attr: str
    namespace: str = "##any"
    target_namespace: str | None = None
    min: int = 0
    max: int | None = None

    @property
    def many(self) -> bool:
        return self.max is None or self.max > 1


@dataclass(frozen=True, slots=True)
class Choice:
    """A choice (at most once) between particles, each stored in its own attribute."""

    particles: tuple[Element | Any_, ...]
    min: int = 1


@dataclass(frozen=True, slots=True)
class All:
    """An ``xs:all`` group: its elements in any order."""

    particles: tuple[Element, ...]
    min: int = 1


@dataclass(frozen=True, slots=True)
class Sequence:
    """An optional ``xs:sequence`` (minOccurs=0) holding required particles: absent as a
    whole, or present with all of them (its fields are optional all the same)."""

    particles: tuple[Particle, ...]
    min: int = 0


@dataclass(frozen=True, slots=True)
class Group:
    """The structure of a repeated group: a ``"sequence"`` or ``"choice"`` of
    ``items``, each the index of a particle of the :class:`Repeated` (with its own
    min and max) or a nested group, the whole ``min`` to ``max`` times."""

    kind: str
    items: tuple[int | Group, ...]
    min: int = 1
    max: int | None = 1


@dataclass(frozen=True, slots=True)
class Repeated:
    """A repeating group: its elements in document order, as one list attribute.

    Items are values of the elements' types; an item whose type does not tell
    its element (two elements of one type) is a :class:`Tagged`.  Without a
    ``model`` any order of the particles is valid (a repeated choice of single
    elements); with one, the element names read and written must follow it.
    """

    attr: str
    particles: tuple[Element | Any_, ...]
    min: int = 0
    max: int | None = None
    model: Group | None = None


@dataclass(frozen=True, slots=True)
class Attribute:
    attr: str
    tag: str
    type: SimpleType
    required: bool = False
    default: str | None = None
    fixed: str | None = None


@dataclass(frozen=True, slots=True)
class AnyAttribute:
    """Attributes not declared, kept in a dict (Clark name -> text)."""

    attr: str
    namespace: str = "##any"
    target_namespace: str | None = None


@dataclass(frozen=True, slots=True)
class Text:
    """The text value of a type with simple content."""

    attr: str
    type: SimpleType


Particle = Element | Any_ | Choice | All | Repeated | Sequence


def _members(p: Element) -> tuple[tuple[str, Any], ...]:
    """(tag, type) of the elements that may appear for ``p``: itself unless abstract."""
    if p.abstract:
        return p.substitutes
    return ((p.tag, p.type), *p.substitutes)


def _ns_ok(constraint: str, target: str | None, uri: str | None) -> bool:
    if constraint == "##any":
        return True
    if constraint == "##other":
        return uri is not None and uri != target
    allowed = constraint.split()
    for a in allowed:
        if a == "##local" and uri is None:
            return True
        if a == "##targetNamespace" and uri == target:
            return True
        if a == uri:
            return True
    return False


def _uri(tag: str) -> str | None:
    return tag[1:].partition("}")[0] if tag.startswith("{") else None


# -- complex types ---------------------------------------------------------------------------------


class Complex:
    """Base of generated classes for complex types."""

    __slots__ = ()
    __binding__: ClassVar[ComplexBinding]

    def to_element(self, tag: str | None = None) -> etree._Element:
        """This value as an element (``tag`` defaults to the class's global element)."""
        b = type(self).__binding__
        name = tag or b.element_tag
        if name is None:
            raise BindingError(f"{type(self).__name__} is a type: give the element tag to write")
        return b.build(self, name, b.cls)

    def to_xml(self, tag: str | None = None, *, pretty: bool = False) -> bytes:
        el = self.to_element(tag)
        return etree.tostring(el, encoding="utf-8", xml_declaration=True, pretty_print=pretty)

    @classmethod
    def from_element(cls: type[T], el: etree._Element) -> T:
        """Read a value of this class from an element (``xsi:type`` honoured)."""
        try:
            value: T = cls.__binding__.read(el)
        except BindingError as exc:
            raise exc.inside(_local(el.tag) if isinstance(el.tag, str) else "?") from None
        return value

    @classmethod
    def from_xml(cls: type[T], data: bytes | str) -> T:
        from gridware.container.xml import XMLError, parse_xml

        raw = data.encode() if isinstance(data, str) else data
        try:
            root = parse_xml(raw)
        except XMLError as exc:
            raise BindingError(str(exc)) from None
        return cls.from_element(root)


class _Step:
    """One step of a parse plan: consume children from position ``i``."""

    __slots__ = ("first",)
    first: frozenset[str]

    def consume(self, kids: list[etree._Element], i: int, values: dict[str, Any]) -> int:
        raise NotImplementedError

    def required(self) -> bool:
        raise NotImplementedError


def _read_value(t: Any, el: etree._Element, nillable: bool) -> Any:
    if nillable:
        nil = el.get(_XSI_NIL)
        if nil is not None and nil.strip(" \t\r\n") in ("true", "1"):
            if len(el) or (el.text and el.text.strip(" \t\r\n")):
                raise BindingError("an element with xsi:nil must be empty")
            return NIL
    if t is ANY_ELEMENT:
        return copy.deepcopy(el)
    if isinstance(t, ElementCodec):
        return t.read_element(el)
    if isinstance(t, SimpleType):
        if len(el):
            raise BindingError(f"expected {t.name} text, found child elements")
        try:
            return t.read(el.text or "", el)
        except SimpleTypeError as exc:
            raise BindingError(str(exc)) from None
    return t.__binding__.read(el)


def _is_empty(el: etree._Element) -> bool:
    return len(el) == 0 and not el.text


def _default_or_fixed(p: Element, t: Any, el: etree._Element, nillable: bool) -> Any:
    """XSD 3.3.4: an empty element takes the default or fixed value; a fixed one must match."""
    if isinstance(t, SimpleType) and _is_empty(el) and el.get(_XSI_NIL) is None:
        try:
            return t.read(p.fixed if p.fixed is not None else p.default or "", el)
        except SimpleTypeError as exc:
            raise BindingError(str(exc)) from None
    v = _read_value(t, el, nillable)
    fixed = p.fixed is not None and isinstance(t, SimpleType) and v is not NIL
    if fixed and v != t.read(p.fixed, el):
        raise BindingError(f"the value must be {p.fixed!r} (fixed)")
    return v


def _simple_reader(t: SimpleType, tag: str) -> Any:
    """A fast reader of elements with simple content of a context-free type."""
    parse = t.parse
    local = _local(tag)

    def read(kid: etree._Element) -> Any:
        if len(kid):
            raise BindingError(f"expected {t.name} text, found child elements", [local])
        try:
            return parse(kid.text or "")
        except SimpleTypeError as exc:
            raise BindingError(str(exc), [local]) from None

    return read


def _complex_reader(cls: type, tag: str) -> Any:
    """A reader of elements of a generated class (no nil, no substitutes)."""
    local = _local(tag)

    def read(kid: etree._Element) -> Any:
        try:
            return _binding_of(cls).read(kid)
        except BindingError as exc:
            raise exc.inside(local) from None

    return read


class _ElementStep(_Step):
    __slots__ = ("attr", "fast", "keep_nil", "max", "min", "nillable", "particle", "tag", "types")

    def __init__(self, p: Element, optional_field: bool = False) -> None:
        self.particle = p
        # the field of a choice alternative (or of an optional xs:all) is optional:
        # None is absent, NIL is nil
        self.keep_nil = optional_field and not p.many
        self.attr = p.attr
        self.min = p.min
        self.max = p.max
        self.nillable = p.nillable
        self.tag = p.tag
        # a substitute is read Tagged unless its class alone tells its element
        members = [p.type, *(t for _, t in p.substitutes)]
        self.types: dict[str, tuple[Any, bool]] = {p.tag: (p.type, False)}
        for tag, t in p.substitutes:
            alone = isinstance(t, type) and sum(m is t for m in members) == 1
            self.types[tag] = (t, not alone)
        self.first = frozenset(self.types)
        self.fast: Any = None
        if (
            not p.substitutes
            and not p.nillable
            and not p.abstract
            and p.default is None
            and p.fixed is None
        ):
            if isinstance(p.type, SimpleType) and p.type.parse_in is None:
                self.fast = _simple_reader(p.type, p.tag)
            elif isinstance(p.type, type) and issubclass(p.type, Complex):
                self.fast = _complex_reader(p.type, p.tag)

    def required(self) -> bool:
        return self.min > 0

    def consume(self, kids: list[etree._Element], i: int, values: dict[str, Any]) -> int:
        fast = self.fast
        if fast is not None:
            tag, hi, n = self.tag, self.max, len(kids)
            if hi == 1:
                if i < n and kids[i].tag == tag:
                    values[self.attr] = fast(kids[i])
                    i += 1
                elif self.min:
                    raise BindingError(f"missing element <{_local(tag)}>")
                if self.particle.many:
                    values[self.attr] = [values[self.attr]] if self.attr in values else []
                return i
            items: list[Any] = []
            while i < n and kids[i].tag == tag and (hi is None or len(items) < hi):
                items.append(fast(kids[i]))
                i += 1
            if len(items) < self.min:
                raise BindingError(f"missing element <{_local(tag)}>")
            values[self.attr] = items
            return i
        p = self.particle
        types = self.types
        out: list[Any] = []
        n = len(kids)
        while i < n and (self.max is None or len(out) < self.max):
            kid = kids[i]
            hit = types.get(kid.tag)
            if hit is None:
                break
            t, tagged = hit
            substituted = kid.tag != self.tag
            if not substituted and p.abstract:
                raise BindingError(
                    f"<{_local(p.tag)}> is abstract: only its substitution group may appear"
                )
            try:
                if p.default is not None or p.fixed is not None:
                    v = _default_or_fixed(p, t, kid, self.nillable)
                else:
                    v = _read_value(t, kid, self.nillable)
            except BindingError as exc:
                raise exc.inside(_local(kid.tag)) from None
            if v is NIL and not self.keep_nil and (p.min > 0 or p.many):
                v = None  # a nil required element or list item is None; NIL means "nil, not absent"
            if substituted and (tagged or not isinstance(v, Complex)):
                v = Tagged(kid.tag, v)
            out.append(v)
            i += 1
        if len(out) < self.min:
            raise BindingError(f"missing element <{_local(p.tag)}>")
        if p.many:
            values[self.attr] = out
        elif out:
            values[self.attr] = out[0]
        return i


class _AnyStep(_Step):
    __slots__ = ("attr", "many", "max", "min", "namespace", "stop", "target")

    def __init__(self, p: Any_, stop: frozenset[str]) -> None:
        self.attr = p.attr
        self.min = p.min
        self.max = p.max
        self.many = p.many
        self.namespace = p.namespace
        self.target = p.target_namespace
        self.stop = stop
        self.first = frozenset()

    def required(self) -> bool:
        return self.min > 0

    def matches(self, tag: str) -> bool:
        return tag not in self.stop and _ns_ok(self.namespace, self.target, _uri(tag))

    def consume(self, kids: list[etree._Element], i: int, values: dict[str, Any]) -> int:
        out: list[etree._Element] = []
        n = len(kids)
        while i < n and (self.max is None or len(out) < self.max):
            kid = kids[i]
            if not self.matches(kid.tag):
                break
            out.append(copy.deepcopy(kid))
            i += 1
        if len(out) < self.min:
            raise BindingError(f"missing {self.min} element(s) matching the wildcard")
        if self.many:
            values[self.attr] = out
        elif out:
            values[self.attr] = out[0]
        return i


class _ChoiceStep(_Step):
    __slots__ = ("alternatives", "min", "names")

    def __init__(self, c: Choice, stop: frozenset[str]) -> None:
        self.alternatives: list[_Step] = []
        first: set[str] = set()
        for p in c.particles:
            step = _ElementStep(p, True) if isinstance(p, Element) else _AnyStep(p, stop)
            self.alternatives.append(step)
            first |= step.first
        self.first = frozenset(first)
        self.min = c.min
        self.names = [
            f"<{_local(p.tag)}>" if isinstance(p, Element) else "any element" for p in c.particles
        ]

    def required(self) -> bool:
        return self.min > 0 and all(a.required() for a in self.alternatives)

    def consume(self, kids: list[etree._Element], i: int, values: dict[str, Any]) -> int:
        if i < len(kids):
            tag = kids[i].tag
            for alt in self.alternatives:
                if tag in alt.first or (isinstance(alt, _AnyStep) and alt.matches(tag)):
                    return alt.consume(kids, i, values)
        if self.required():
            raise BindingError(f"expected one of {', '.join(self.names)}")
        return i


class _AllStep(_Step):
    __slots__ = ("min", "steps")

    def __init__(self, a: All) -> None:
        self.min = a.min
        self.steps = {p.tag: _ElementStep(p, a.min == 0) for p in a.particles}
        self.first = frozenset(self.steps)

    def required(self) -> bool:
        return self.min > 0 and any(s.required() for s in self.steps.values())

    def consume(self, kids: list[etree._Element], i: int, values: dict[str, Any]) -> int:
        seen: set[str] = set()
        n = len(kids)
        while i < n:
            step = self.steps.get(kids[i].tag)
            if step is None:
                break
            if step.particle.tag in seen:
                raise BindingError(
                    f"<{_local(step.particle.tag)}> appears twice in an xs:all group"
                )
            seen.add(step.particle.tag)
            i = step.consume(kids, i, values)
        if not seen and self.min == 0:
            return i  # an optional group: absent as a whole
        for tag, step in self.steps.items():
            if tag not in seen and step.required():
                raise BindingError(f"missing element <{_local(tag)}>")
        return i


class _GroupMatcher:
    """Checks element names against the :class:`Group` model of a repeated group."""

    __slots__ = ("leaves", "model")

    def __init__(self, r: Repeated, model: Group) -> None:
        self.model = model
        self.leaves: list[tuple[frozenset[str], Any_ | None, int, int | None]] = []
        for p in r.particles:
            if isinstance(p, Element):
                self.leaves.append((frozenset(t for t, _ in _members(p)), None, p.min, p.max))
            else:
                self.leaves.append((frozenset(), p, p.min, p.max))

    def check(self, tags: list[str]) -> None:
        """Raise a BindingError unless ``tags`` is a word of the model."""
        n = len(tags)
        memo: dict[tuple[int, int], frozenset[int]] = {}
        furthest = [0]

        def leaf(index: int, pos: int) -> frozenset[int]:
            names, wildcard, lo, hi = self.leaves[index]
            c = 0
            while pos + c < n and (hi is None or c < hi):
                tag = tags[pos + c]
                if tag in names or (
                    wildcard is not None
                    and _ns_ok(wildcard.namespace, wildcard.target_namespace, _uri(tag))
                ):
                    c += 1
                else:
                    break
            furthest[0] = max(furthest[0], pos + c)
            return frozenset(range(pos + lo, pos + c + 1)) if c >= lo else frozenset()

        def once(g: Group, pos: int) -> frozenset[int]:
            if g.kind == "choice":
                out: set[int] = set()
                for item in g.items:
                    out |= ends(item, pos)
                return frozenset(out)
            current = frozenset((pos,))
            for item in g.items:
                nxt: set[int] = set()
                for p in current:
                    nxt |= ends(item, p)
                current = frozenset(nxt)
                if not current:
                    break
            return current

        def ends(node: int | Group, pos: int) -> frozenset[int]:
            if isinstance(node, int):
                return leaf(node, pos)
            key = (id(node), pos)
            hit = memo.get(key)
            if hit is not None:
                return hit
            done: set[int] = {pos} if node.min == 0 else set()
            level = frozenset((pos,))
            count = 0
            while level and (node.max is None or count < node.max):
                count += 1
                nxt: set[int] = set()
                for p in level:
                    nxt |= once(node, p)
                if count >= node.min:
                    new = nxt - done
                    done |= nxt
                    # unbounded: only new positions can lead further
                    level = frozenset(new if node.max is None else nxt)
                else:
                    level = frozenset(nxt)
            result = frozenset(done)
            memo[key] = result
            return result

        if n in ends(self.model, 0):
            return
        at = furthest[0]
        if at < n:
            raise BindingError(
                f"<{_local(tags[at])}> does not fit the group here "
                "(out of order, too many, or another choice taken)"
            )
        after = f" after <{_local(tags[-1])}>" if tags else ""
        raise BindingError(f"the group is incomplete: more elements are needed{after}")


class _SequenceStep(_Step):
    __slots__ = ("min", "steps")

    def __init__(self, s: Sequence, stop: frozenset[str]) -> None:
        self.min = s.min
        self.steps = _compile_steps(s.particles, stop, optional_fields=True)
        first: set[str] = set()
        for step in self.steps:  # the elements that can start it
            first |= step.first
            if step.required():
                break
        self.first = frozenset(first)

    def required(self) -> bool:
        return self.min > 0

    def _starts(self, tag: str) -> bool:
        if tag in self.first:
            return True
        for step in self.steps:
            if isinstance(step, _AnyStep) and step.matches(tag):
                return True
            if step.required():
                return False
        return False

    def consume(self, kids: list[etree._Element], i: int, values: dict[str, Any]) -> int:
        if self.min == 0 and (i >= len(kids) or not self._starts(kids[i].tag)):
            return i  # absent as a whole
        for step in self.steps:
            i = step.consume(kids, i, values)
        return i


class _RepeatedStep(_Step):
    __slots__ = ("any", "attr", "matcher", "max", "min", "types")

    def __init__(self, r: Repeated, stop: frozenset[str]) -> None:
        self.attr = r.attr
        self.matcher = _GroupMatcher(r, r.model) if r.model is not None else None
        self.min = r.min
        self.max = r.max
        self.types: dict[str, tuple[Any, bool, bool]] = {}
        seen_types: dict[int, int] = {}
        for p in r.particles:
            if isinstance(p, Element):
                for _tag, t in _members(p):
                    seen_types[id(t)] = seen_types.get(id(t), 0) + 1
        self.any: _AnyStep | None = None
        for p in r.particles:
            if isinstance(p, Element):
                for tag, t in _members(p):
                    ambiguous = seen_types[id(t)] > 1 or not isinstance(t, type)
                    self.types[tag] = (t, ambiguous, p.nillable)
            else:
                self.any = _AnyStep(p, stop)
        self.first = frozenset(self.types)

    def required(self) -> bool:
        return self.min > 0

    def consume(self, kids: list[etree._Element], i: int, values: dict[str, Any]) -> int:
        out: list[Any] = []
        n = len(kids)
        start = i
        while i < n and (self.max is None or len(out) < self.max):
            kid = kids[i]
            hit = self.types.get(kid.tag)
            if hit is None:
                if self.any is not None and self.any.matches(kid.tag):
                    out.append(copy.deepcopy(kid))
                    i += 1
                    continue
                break
            t, tagged, nillable = hit
            try:
                v = _read_value(t, kid, nillable)
            except BindingError as exc:
                raise exc.inside(_local(kid.tag)) from None
            out.append(Tagged(kid.tag, v) if tagged else v)
            i += 1
        if len(out) < self.min:
            raise BindingError(f"expected at least {self.min} element(s) in {self.attr}")
        if self.matcher is not None:
            self.matcher.check([kid.tag for kid in kids[start:i]])
        values[self.attr] = out
        return i


@dataclass
class ComplexBinding:
    """How one generated class maps to XML."""

    cls: type
    type_name: str | None = None
    content: tuple[Particle, ...] = ()
    attributes: tuple[Attribute | AnyAttribute, ...] = ()
    text: Text | None = None
    mixed: str | None = None  # attribute holding mixed content: text and Tagged items
    abstract: bool = False
    element_tag: str | None = None

    def __post_init__(self) -> None:
        self._compiled = False

    # -- compile ----------------------------------------------------------------------------
    def _compile(self) -> None:
        self._steps = _compile_steps(self.content, frozenset())
        self._attrs = {a.tag: a for a in self.attributes if isinstance(a, Attribute)}
        self._any_attr = next((a for a in self.attributes if isinstance(a, AnyAttribute)), None)
        self._field_names = {f.name for f in fields(self.cls)}
        self._writers = [_writer(p) for p in self.content]
        self._compiled = True

    # -- read -------------------------------------------------------------------------------
    def read(self, el: etree._Element) -> Any:
        """Parse ``el`` into an instance (of a derived class if ``xsi:type`` says so)."""
        xsi_type = el.get(_XSI_TYPE)
        if xsi_type is not None:
            target = self._derived(xsi_type, el)
            if target is not self.cls:
                return _binding_of(target).read_as(el)
        if self.abstract:
            raise BindingError(
                f"{self.type_name or self.cls.__name__} is abstract: an xsi:type is needed"
            )
        return self.read_as(el)

    def _derived(self, xsi_type: str, el: etree._Element) -> type:
        from gridware.codegen.runtime.simpletypes import QNAME

        try:
            name = QNAME.read(xsi_type, el)
        except SimpleTypeError as exc:
            raise BindingError(f"bad xsi:type: {exc}") from None
        if name == self.type_name:
            return self.cls
        todo: list[type] = list(self.cls.__subclasses__())
        while todo:
            sub = todo.pop()
            b = sub.__dict__.get("__binding__")
            if b is not None and b.type_name == name:
                return sub
            todo.extend(sub.__subclasses__())
        for other in _ALSO_DERIVED.get(self.cls, ()):
            if _binding_of(other).type_name == name:
                return other
        raise BindingError(
            f"xsi:type {name} is not {self.type_name or self.cls.__name__} or derived from it"
        )

    def read_as(self, el: etree._Element) -> Any:
        if not self._compiled:
            self._compile()
        values: dict[str, Any] = {}
        # attributes
        extra: dict[str, str] = {}
        for raw_name, raw_text in el.items():
            name, text = str(raw_name), str(raw_text)
            a = self._attrs.get(name)
            if a is not None:
                try:
                    values[a.attr] = a.type.read(text, el)
                except SimpleTypeError as exc:
                    raise BindingError(f"attribute {_local(name)}: {exc}") from None
                if a.fixed is not None and text.strip(" \t\r\n") != a.fixed:
                    raise BindingError(f"attribute {_local(name)} must be {a.fixed!r}")
            elif name in _XSI_ATTRS:
                continue
            elif self._any_attr is not None and _ns_ok(
                self._any_attr.namespace, self._any_attr.target_namespace, _uri(name)
            ):
                extra[name] = text
            else:
                raise BindingError(f"unexpected attribute {name}")
        for a in self._attrs.values():
            if a.attr not in values:
                if a.required:
                    raise BindingError(f"missing attribute {_local(a.tag)}")
                if a.default is not None or a.fixed is not None:
                    values[a.attr] = a.type.read(
                        a.default if a.default is not None else a.fixed or "", el
                    )
        if self._any_attr is not None:
            values[self._any_attr.attr] = extra
        # content
        if self.text is not None:
            if len(el):
                raise BindingError("expected text, found child elements")
            try:
                values[self.text.attr] = self.text.type.read(el.text or "", el)
            except SimpleTypeError as exc:
                raise BindingError(str(exc)) from None
        elif self.mixed is not None:
            values[self.mixed] = _mixed_items(el, self)
        else:
            kids = list(el.iterchildren(etree.Element))
            i = 0
            steps = self._steps
            for k, step in enumerate(steps):
                j = step.consume(kids, i, values)
                if j < len(kids) and isinstance(step, _ElementStep) and step.max is not None:
                    tag = kids[j].tag
                    if (
                        j - i >= step.max
                        and tag in step.first
                        and not any(tag in later.first for later in steps[k + 1 :])
                    ):
                        raise BindingError(f"<{_local(tag)}> may appear at most {step.max} time(s)")
                i = j
            if i < len(kids):
                raise BindingError(f"unexpected element <{_local(kids[i].tag)}>")
            if el.text and el.text.strip(" \t\r\n"):
                raise BindingError("unexpected text content (the type is not mixed)")
            for kid in el:
                if kid.tail and kid.tail.strip(" \t\r\n"):
                    raise BindingError(
                        f"unexpected text after <{_local(str(kid.tag))}> (the type is not mixed)"
                    )
        return self.cls(**values)

    # -- write ------------------------------------------------------------------------------
    def build(self, value: Any, tag: str, declared: type) -> etree._Element:
        el = etree.Element(tag)
        self.fill(value, el, declared)
        return el

    def fill(self, value: Any, el: etree._Element, declared: type) -> None:
        if not self._compiled:
            self._compile()
        if self.abstract:
            raise BindingError(
                f"{self.type_name or self.cls.__name__} is abstract: write a derived type"
            )
        if type(value) is not declared:
            if self.type_name is None:
                raise BindingError(f"{type(value).__name__} has no type name for xsi:type")
            from gridware.codegen.runtime.simpletypes import QNAME

            el.set(_XSI_TYPE, QNAME.write(self.type_name, el))
        for a in self.attributes:
            if isinstance(a, AnyAttribute):
                for name, text in (getattr(value, a.attr) or {}).items():
                    el.set(name, text)
                continue
            v = getattr(value, a.attr)
            if v is None:
                if a.required:
                    raise BindingError(f"attribute {_local(a.tag)} is required")
                continue
            if a.fixed is not None and v != a.type.read(a.fixed, el):
                raise BindingError(f"attribute {_local(a.tag)} must be {a.fixed!r} (fixed)")
            try:
                el.set(a.tag, a.type.write(v, el))
            except SimpleTypeError as exc:
                raise BindingError(f"attribute {_local(a.tag)}: {exc}") from None
            except ValueError as exc:
                raise BindingError(f"attribute {_local(a.tag)}: not writable: {exc}") from None
        if self.text is not None:
            v = getattr(value, self.text.attr)
            try:
                el.text = self.text.type.write(v, el)
            except SimpleTypeError as exc:
                raise BindingError(str(exc)) from None
            except ValueError as exc:
                raise BindingError(f"not writable as XML: {exc}") from None
            return
        if self.mixed is not None:
            _write_mixed(el, getattr(value, self.mixed), self)
            return
        for write in self._writers:
            write(value, el)


def _compile_steps(
    content: Sequence_[Particle], after: frozenset[str], optional_fields: bool = False
) -> list[_Step]:
    """The parse plan of ``content``, followed by elements starting with ``after``."""
    steps: list[_Step] = []
    follow: set[str] = set(after)
    # wildcards stop at the first elements a later step can take
    for p in reversed(content):
        stop = frozenset(follow)
        if isinstance(p, Element):
            step: _Step = _ElementStep(p, optional_fields)
        elif isinstance(p, Any_):
            step = _AnyStep(p, stop)
        elif isinstance(p, Choice):
            step = _ChoiceStep(p, stop)
        elif isinstance(p, All):
            step = _AllStep(p)
        elif isinstance(p, Sequence):
            step = _SequenceStep(p, stop)
        else:
            step = _RepeatedStep(p, stop)
        steps.append(step)
        follow |= step.first
    steps.reverse()
    return steps


_ALSO_DERIVED: dict[type, list[type]] = {}


def _binding_of(cls: type) -> ComplexBinding:
    b: ComplexBinding = cls.__binding__  # type: ignore[attr-defined]
    return b


def register_restriction(base: type, derived: type) -> None:
    """Record that ``derived`` (not a Python subclass) restricts ``base`` for xsi:type."""
    _ALSO_DERIVED.setdefault(base, []).append(derived)


def _write_value(el: etree._Element, t: Any, v: Any, nillable: bool) -> None:
    if t is ANY_ELEMENT and isinstance(v, etree._Element):
        el.text = v.text
        for name, value in v.attrib.items():
            el.set(name, value)
        for kid in v:
            el.append(copy.deepcopy(kid))
        return
    if v is None or v is NIL:
        if not nillable:
            raise BindingError("a value is required (the element is not nillable)")
        el.set(_XSI_NIL, "true")
        return
    if isinstance(t, ElementCodec):
        t.write_element(v, el)
        return
    if isinstance(t, SimpleType):
        try:
            el.text = t.write(v, el)
        except SimpleTypeError as exc:
            raise BindingError(str(exc)) from None
        except ValueError as exc:  # lxml: not XML-compatible characters
            raise BindingError(f"not writable as XML: {exc}") from None
        return
    if not isinstance(v, t) and not _restricts(type(v), t):
        raise BindingError(f"expected a {t.__name__}, not {type(v).__name__}")
    type(v).__binding__.fill(v, el, t)


def _restricts(cls: type, base: type) -> bool:
    """Is ``cls`` derived from ``base`` through registered restrictions (and subclassing)?"""
    todo, seen = [base], {base}
    while todo:
        current = todo.pop()
        for derived in (*_ALSO_DERIVED.get(current, ()), *current.__subclasses__()):
            if derived is cls:
                return True
            if derived not in seen:
                seen.add(derived)
                todo.append(derived)
    return False


def _element_for(p: Element, v: Any) -> tuple[str, Any, Any]:
    """(tag, declared type, value) for a value of element particle ``p``."""
    if isinstance(v, Tagged):
        for tag, t in _members(p):
            if tag == v.tag:
                return tag, t, v.value
        if v.tag == p.tag:
            raise BindingError(
                f"<{_local(p.tag)}> is abstract: only its substitution group may appear"
            )
        raise BindingError(f"<{_local(v.tag)}> cannot stand for <{_local(p.tag)}>")
    if p.substitutes and isinstance(v, Complex):
        if isinstance(p.type, type) and type(v) is p.type and not p.abstract:
            return p.tag, p.type, v
        for tag, t in p.substitutes:
            if isinstance(t, type) and type(v) is t:
                return tag, t, v
    if p.abstract:
        for tag, t in p.substitutes:  # a class derived from a member's: that member, xsi:type
            if isinstance(t, type) and isinstance(v, t):
                return tag, t, v
        raise BindingError(
            f"<{_local(p.tag)}> is abstract: a {type(v).__name__} is no member of its "
            "substitution group"
        )
    return p.tag, p.type, v


def _write_particle(
    p: Particle, value: Any, parent: etree._Element, optional_field: bool = False
) -> None:
    """Write particle ``p`` of ``value`` (``optional_field``: None is absent, not nil)."""
    if isinstance(p, Element):
        v = getattr(value, p.attr)
        absent = v is None and (optional_field or p.min == 0 or not p.nillable)
        items = v if p.many else ([] if absent else [v])
        if p.many and not isinstance(v, list):
            raise BindingError(f"{p.attr} must be a list")
        if len(items) < p.min:
            raise BindingError(f"<{_local(p.tag)}> is required")
        if p.max is not None and len(items) > p.max:
            raise BindingError(f"<{_local(p.tag)}> may appear at most {p.max} time(s)")
        for item in items:
            tag, t, item_v = _element_for(p, item)
            child = etree.SubElement(parent, tag)
            try:
                if (
                    p.fixed is not None
                    and isinstance(t, SimpleType)
                    and item_v is not None
                    and item_v is not NIL
                    and item_v != t.read(p.fixed, child)
                ):
                    raise BindingError(f"the value must be {p.fixed!r} (fixed)")
                _write_value(child, t, item_v, p.nillable)
            except BindingError as exc:
                raise exc.inside(_local(tag)) from None
    elif isinstance(p, Any_):
        v = getattr(value, p.attr)
        items = v if p.many else ([] if v is None else [v])
        if len(items) < p.min:
            raise BindingError(f"{p.attr}: at least {p.min} element(s) needed")
        for item in items:
            if not isinstance(item, etree._Element):
                raise BindingError(f"{p.attr} holds lxml elements, not {type(item).__name__}")
            # a free-standing element is moved in (no copy); one in a tree is copied
            parent.append(item if item.getparent() is None else copy.deepcopy(item))
    elif isinstance(p, Choice):
        chosen = [q for q in p.particles if _present(getattr(value, q.attr), q)]
        if len(chosen) > 1:
            names = ", ".join(q.attr for q in chosen)
            raise BindingError(f"only one of {names} may be set (an xs:choice)")
        if not chosen and p.min > 0 and all(q.min > 0 for q in p.particles):
            names = ", ".join(q.attr for q in p.particles)
            raise BindingError(f"one of {names} must be set (an xs:choice)")
        for q in chosen:
            _write_particle(q, value, parent)
    elif isinstance(p, Sequence):
        if p.min == 0 and not _particle_present(p, value):
            return  # absent as a whole; present, it is complete
        for part in p.particles:
            _write_particle(part, value, parent, True)
    elif isinstance(p, All):
        if p.min == 0 and not any(_present(getattr(value, q.attr), q) for q in p.particles):
            return  # an optional group: absent as a whole; present, it is complete
        for q in p.particles:
            _write_particle(q, value, parent, p.min == 0)
    else:
        _write_repeated(p, getattr(value, p.attr), parent)


def _writer(p: Particle) -> Any:
    """A compiled writer for one particle (fast paths for the common element shapes)."""
    if (
        isinstance(p, Element)
        and not p.substitutes
        and not p.nillable
        and not p.abstract
        and p.fixed is None
    ):
        attr, tag, lo, hi, many = p.attr, p.tag, p.min, p.max, p.many
        local = _local(tag)
        sub_element = etree.SubElement
        if isinstance(p.type, SimpleType) and p.type.format_in is None:
            fmt = p.type.format

            def write_simple(value: Any, parent: etree._Element) -> None:
                v = getattr(value, attr)
                items = v if many else (() if v is None else (v,))
                if many and not isinstance(v, list):
                    raise BindingError(f"{attr} must be a list")
                if len(items) < lo:
                    raise BindingError(f"<{local}> is required")
                if hi is not None and len(items) > hi:
                    raise BindingError(f"<{local}> may appear at most {hi} time(s)")
                for item in items:
                    try:
                        sub_element(parent, tag).text = fmt(item)
                    except SimpleTypeError as exc:
                        raise BindingError(str(exc), [local]) from None
                    except ValueError as exc:  # lxml: not XML-compatible characters
                        raise BindingError(f"not writable as XML: {exc}", [local]) from None

            return write_simple
        if isinstance(p.type, type) and issubclass(p.type, Complex):
            cls = p.type

            def write_complex(value: Any, parent: etree._Element) -> None:
                v = getattr(value, attr)
                items = v if many else (() if v is None else (v,))
                if many and not isinstance(v, list):
                    raise BindingError(f"{attr} must be a list")
                if len(items) < lo:
                    raise BindingError(f"<{local}> is required")
                if hi is not None and len(items) > hi:
                    raise BindingError(f"<{local}> may appear at most {hi} time(s)")
                for item in items:
                    if not isinstance(item, cls) and not _restricts(type(item), cls):
                        raise BindingError(
                            f"expected a {cls.__name__}, not {type(item).__name__}", [local]
                        )
                    try:
                        _binding_of(type(item)).fill(item, sub_element(parent, tag), cls)
                    except BindingError as exc:
                        raise exc.inside(local) from None

            return write_complex

    def write_generic(value: Any, parent: etree._Element) -> None:
        _write_particle(p, value, parent)

    return write_generic


def _present(v: Any, p: Element | Any_) -> bool:
    if p.many:
        return bool(v)
    return v is not None


def _particle_present(p: Particle, value: Any) -> bool:
    """Does ``value`` set any field of particle ``p``?"""
    if isinstance(p, Element | Any_):
        return _present(getattr(value, p.attr), p)
    if isinstance(p, Repeated):
        return bool(getattr(value, p.attr))
    return any(_particle_present(q, value) for q in p.particles)


def _write_repeated(r: Repeated, items: Iterable[Any], parent: etree._Element) -> None:
    elements = [p for p in r.particles if isinstance(p, Element)]
    has_any = any(isinstance(p, Any_) for p in r.particles)
    items = list(items)
    if len(items) < r.min:
        raise BindingError(f"{r.attr}: at least {r.min} item(s) needed")
    if r.max is not None and len(items) > r.max:
        raise BindingError(f"{r.attr}: at most {r.max} item(s) allowed")
    if r.model is not None:
        tags = [
            item.tag
            if isinstance(item, etree._Element) and has_any
            else _repeated_target(elements, item)[0]
            for item in items
        ]
        _GroupMatcher(r, r.model).check(tags)
    for item in items:
        if isinstance(item, etree._Element) and has_any:
            parent.append(copy.deepcopy(item))
            continue
        target = _repeated_target(elements, item)
        tag, t, v = target
        child = etree.SubElement(parent, tag)
        nillable = next((p.nillable for p in elements if p.tag == tag), False)
        try:
            _write_value(child, t, v, nillable)
        except BindingError as exc:
            raise exc.inside(_local(tag)) from None


def _repeated_target(elements: list[Element], item: Any) -> tuple[str, Any, Any]:
    if isinstance(item, Tagged):
        for p in elements:
            for tag, t in _members(p):
                if tag == item.tag:
                    return tag, t, item.value
        raise BindingError(f"<{_local(item.tag)}> is not allowed here")
    for p in elements:
        for tag, t in _members(p):
            if isinstance(t, type) and type(item) is t:
                return tag, t, item
    for p in elements:
        for tag, t in _members(p):
            if isinstance(t, type) and isinstance(item, t):
                return tag, t, item
    raise BindingError(f"cannot tell which element a {type(item).__name__} is: wrap it in Tagged")


def _mixed_particles(b: ComplexBinding) -> tuple[list[Element], list[Any_]]:
    elements: list[Element] = []
    wildcards: list[Any_] = []

    def add(p: Particle) -> None:
        if isinstance(p, Element):
            elements.append(p)
        elif isinstance(p, Any_):
            wildcards.append(p)
        else:
            for q in p.particles:
                add(q)

    for p in b.content:
        add(p)
    return elements, wildcards


def _mixed_items(el: etree._Element, b: ComplexBinding) -> list[Any]:
    """Text and element values of mixed content, in document order."""
    elements, wildcards = _mixed_particles(b)
    types: dict[str, tuple[Any, bool]] = {}
    for p in elements:
        for tag, t in _members(p):
            types[tag] = (t, p.nillable)
    out: list[Any] = []
    if el.text:
        out.append(el.text)
    for kid in el:
        if isinstance(kid.tag, str):
            hit = types.get(kid.tag)
            if hit is not None:
                try:
                    out.append(Tagged(kid.tag, _read_value(hit[0], kid, hit[1])))
                except BindingError as exc:
                    raise exc.inside(_local(kid.tag)) from None
            elif any(_ns_ok(w.namespace, w.target_namespace, _uri(kid.tag)) for w in wildcards):
                item = copy.deepcopy(kid)
                item.tail = None  # the text after it is the next item
                out.append(item)
            else:
                raise BindingError(f"unexpected element <{_local(kid.tag)}>")
        if kid.tail:
            out.append(kid.tail)
    return out


def _write_mixed(el: etree._Element, items: list[Any], b: ComplexBinding) -> None:
    elements, _ = _mixed_particles(b)
    last: etree._Element | None = None
    for item in items:
        if isinstance(item, str):
            if last is None:
                el.text = (el.text or "") + item
            else:
                last.tail = (last.tail or "") + item
            continue
        if isinstance(item, etree._Element):
            last = copy.deepcopy(item)
            last.tail = None
            el.append(last)
            continue
        tag, t, v = _repeated_target(elements, item)
        last = etree.SubElement(el, tag)
        _write_value(last, t, v, False)


# -- global elements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GlobalElement:
    """A global element declaration: its tag and type (for message parts)."""

    tag: str
    type: Any
    nillable: bool = False

    def read(self, el: etree._Element) -> Any:
        if el.tag != self.tag:
            raise BindingError(f"expected <{_local(self.tag)}>, found <{_local(str(el.tag))}>")
        try:
            v = _read_value(self.type, el, self.nillable)
        except BindingError as exc:
            raise exc.inside(_local(self.tag)) from None
        return None if v is NIL else v

    def build(self, value: Any) -> etree._Element:
        el = etree.Element(self.tag)
        try:
            _write_value(el, self.type, value, self.nillable)
        except BindingError as exc:
            raise exc.inside(_local(self.tag)) from None
        return el


__all__ = [
    "ANY_ELEMENT",
    "NIL",
    "All",
    "AnyAttribute",
    "Any_",
    "Attribute",
    "BindingError",
    "Choice",
    "Complex",
    "ComplexBinding",
    "Element",
    "ElementCodec",
    "GlobalElement",
    "Group",
    "Nil",
    "Repeated",
    "Sequence",
    "Tagged",
    "Text",
    "register_restriction",
]
