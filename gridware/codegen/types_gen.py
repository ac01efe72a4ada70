"""Schema model -> readable Python source for the types.

:class:`TypesGenerator` turns every global element, named type and anonymous
type reachable from a :class:`~gridware.codegen.xsd.SchemaSet` into a
dataclass (complex types), an :class:`enum.Enum` (enumerations) or a simple
type constant, plus the ``__binding__`` each class needs at run time.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from gridware.codegen.naming import NameTable, attr_name, class_name, constant_name, enum_member
from gridware.codegen.pysrc import (
    LINE_LENGTH,
    Call,
    Expr,
    class_header,
    import_block,
    join_module,
    list_of,
    lit,
    q,
    statement,
    tuple_of,
)
from gridware.codegen.runtime.simpletypes import SIMPLE_TYPES
from gridware.codegen.runtime.xs import CONSTANTS
from gridware.codegen.xsd import (
    XSD,
    AnyParticle,
    AttributeDecl,
    AttributeGroupRef,
    ComplexTypeDef,
    ElementDecl,
    GroupRef,
    ModelGroup,
    SchemaSet,
    SimpleTypeDef,
    Source,
)

_PY_TYPES = {
    "int": "int",
    "str": "str",
    "bool": "bool",
    "float": "float",
    "Decimal": "Decimal",
    "datetime": "datetime",
    "date": "date",
    "time": "time",
    "bytes": "bytes",
    "Duration": "Duration",
    "list": "list[str]",
}

# Names the generated types module uses at module level.
MODULE_NAMES = {
    "Any",
    "ANY_ELEMENT",
    "All",
    "AnyAttribute",
    "Any_",
    "Attribute",
    "Choice",
    "Complex",
    "ComplexBinding",
    "Decimal",
    "Duration",
    "ELEMENTS",
    "Element",
    "Enum",
    "GlobalElement",
    "Group",
    "Nil",
    "Repeated",
    "Sequence",
    "Tagged",
    "Text",
    "dataclass",
    "date",
    "datetime",
    "enumeration_type",
    "etree",
    "field",
    "list_type",
    "register_restriction",
    "restrict",
    "time",
    "union_type",
    "xs",
}


@dataclass
class Simple:
    expr: Expr  # an expression evaluating to the SimpleType
    annotation: str


@dataclass
class PElem:
    attr: str
    tag: str
    type_expr: Expr
    annotation: str
    min: int
    max: int | None
    nillable: bool = False
    default: str | None = None
    fixed: str | None = None
    substitutes: list[tuple[str, Expr, str]] = field(default_factory=list)  # tag, expr, annotation
    abstract: bool = False  # an abstract head: only its substitutes appear

    @property
    def many(self) -> bool:
        return self.max is None or self.max > 1


@dataclass
class PAny:
    attr: str
    namespace: str
    target: str | None
    min: int
    max: int | None

    @property
    def many(self) -> bool:
        return self.max is None or self.max > 1


@dataclass
class PChoice:
    particles: list[PElem | PAny]
    min: int


@dataclass
class PAll:
    particles: list[PElem]
    min: int


@dataclass
class PGroup:
    """The structure of a repeated group: leaves are indices into the particles."""

    kind: str
    items: list[int | PGroup]
    min: int
    max: int | None


@dataclass
class PRepeated:
    attr: str
    particles: list[PElem | PAny]
    min: int
    max: int | None
    model: PGroup | None = None


@dataclass
class PSeq:
    """An optional sequence with required particles: all of it or nothing."""

    particles: list[P]


P = PElem | PAny | PChoice | PAll | PRepeated | PSeq


def _required(p: P) -> bool:
    """Must the particle's content appear (in a present parent)?"""
    if isinstance(p, PElem | PAny):
        return p.min > 0
    if isinstance(p, PChoice):
        return p.min > 0 and all(q.min > 0 for q in p.particles)
    if isinstance(p, PAll):
        return p.min > 0 and any(q.min > 0 for q in p.particles)
    if isinstance(p, PRepeated):
        return p.min > 0 or (p.model is not None and p.model.min > 0)
    return False


@dataclass
class PAttr:
    attr: str
    tag: str
    simple: Simple
    required: bool
    default: str | None
    fixed: str | None


@dataclass
class ClassModel:
    name: str
    type_name: str | None
    source: Source
    element_tag: str | None = None
    base: ClassModel | None = None
    restriction_of: ClassModel | None = None
    abstract: bool = False
    content: list[P] = field(default_factory=list)  # all particles, inherited first
    attributes: list[PAttr] = field(default_factory=list)
    any_attribute: tuple[str, str, str | None] | None = None  # attr, namespace, target
    text: tuple[str, Simple] | None = None
    mixed: str | None = None
    own_fields: list[tuple[str, str, str | None, str]] = field(default_factory=list)
    # (attr, annotation, default source or None when required, comment)
    names: NameTable = field(default_factory=NameTable)
    done: bool = False
    doc: str = ""


def _repr(value: str | None) -> str:
    return repr(value)


#: Types bound to classes outside the generated module: QName -> (expr, annotation, import).
WELL_KNOWN_TYPES: dict[str, tuple[str, str, str]] = {
    f"{{{ns}}}EndpointReferenceType": (
        const,
        "EndpointReference",
        f"from gridware.container.addressing import {const}, EndpointReference",
    )
    for ns, const in (
        ("http://www.w3.org/2005/08/addressing", "EPR_2005_08"),
        ("http://schemas.xmlsoap.org/ws/2004/08/addressing", "EPR_2004_08"),
        ("http://schemas.xmlsoap.org/ws/2004/03/addressing", "EPR_2004_03"),
    )
}


class TypesGenerator:
    """Compiles a schema set into class models and renders them."""

    def __init__(self, schemas: SchemaSet) -> None:
        self.s = schemas
        self.imports: set[str] = set()
        self.class_names = NameTable(set(MODULE_NAMES))
        self.const_names = NameTable(set(MODULE_NAMES))
        self.classes: list[ClassModel] = []
        self.simple_defs: list[tuple[str, Expr]] = []
        self.enum_defs: list[str] = []
        self._complex: dict[object, ClassModel] = {}
        self._simple: dict[str, Simple] = {}
        self._element_classes: dict[str, ClassModel] = {}
        self.elements: dict[
            str, tuple[Expr, str, bool]
        ] = {}  # tag -> (type expr, annotation, nillable)

    # -- entry ----------------------------------------------------------------------------------
    def run(self) -> None:
        self.s.check()
        for qname, t in list(self.s.types.items()):
            if qname in WELL_KNOWN_TYPES:
                continue
            if isinstance(t, ComplexTypeDef):
                self.complex(t, qname.rpartition("}")[2])
            else:
                self.simple(qname, t.source)
        for tag, decl in list(self.s.elements.items()):
            expr, ann = self.element_type(decl, None)
            self.elements[tag] = (expr, ann, decl.nillable)

    # -- simple types ----------------------------------------------------------------------
    def simple(self, ref: str | SimpleTypeDef, src: Source, hint: str = "") -> Simple:
        if isinstance(ref, SimpleTypeDef):
            return self._simple_def(ref, hint)
        if ref.startswith(f"{{{XSD}}}"):
            local = ref.rpartition("}")[2]
            if local == "anyType":
                local = "anySimpleType"
            const = CONSTANTS.get(local)
            if const is None:
                raise src.error(f"unknown XML Schema built-in type {local!r}")
            py = SIMPLE_TYPES[local].python_type.__name__
            return Simple(f"xs.{const}", _PY_TYPES.get(py, "str"))
        memo = self._simple.get(ref)
        if memo is not None:
            return memo
        t = self.s.type(ref, src)
        if isinstance(t, str):  # pragma: no cover - built-ins are handled above
            return self.simple(t, src)
        if isinstance(t, ComplexTypeDef):
            if t.simple_content:
                cls = self.complex(t, ref.rpartition("}")[2])
                if cls.text is not None:
                    return cls.text[1]
            raise src.error(f"{ref} is a complex type where a simple type is needed")
        result = self._simple_def(t, ref.rpartition("}")[2])
        self._simple[ref] = result
        return result

    def _simple_def(self, t: SimpleTypeDef, hint: str) -> Simple:
        name = t.qname.rpartition("}")[2] if t.qname else hint or "Anonymous"
        ns = t.qname[1:].partition("}")[0] if t.qname and t.qname.startswith("{") else ""
        if t.variety == "list":
            item = self.simple(t.item_inline or t.item or "", t.source, name + "Item")
            expr = Call("list_type", [item.expr, q(name), q(ns)])
            return self._named(t, Simple(expr, f"list[{item.annotation}]"), name)
        if t.variety == "union":
            members = [self.simple(m, t.source, name) for m in t.members]
            members += [self.simple(m, t.source, name + "Member") for m in t.members_inline]
            anns: list[str] = []
            for m in members:
                for part in m.annotation.split(" | "):
                    if part not in anns:
                        anns.append(part)
            expr = Call("union_type", [list_of([m.expr for m in members]), q(name), q(ns)])
            return self._named(t, Simple(expr, " | ".join(anns)), name)
        base = self.simple(t.base_inline or t.base or "", t.source, name + "Base")
        f = t.facets
        if (
            f.enumeration
            and base.expr != "xs.Q_NAME"
            and base.annotation
            in (
                "str",
                "int",
                "Decimal",
                "float",
            )
        ):
            return self._enum(t, base, name, ns)
        if not f.any():
            if t.qname is None:
                return base
            return Simple(base.expr, base.annotation)
        if f.enumeration and base.expr == "xs.Q_NAME":
            # QName enumerations compare resolved names: write them as {namespace}local
            f = dataclasses.replace(f, enumeration=[_clark(v, t.namespaces) for v in f.enumeration])
        expr = Call("restrict", [base.expr, q(name), q(ns), *_facet_args(f)])
        return self._named(t, Simple(expr, base.annotation), name)

    def _named(self, t: SimpleTypeDef, simple: Simple, name: str) -> Simple:
        if t.qname is None:
            return simple
        const = self.const_names.claim(constant_name(name) + "_TYPE")
        self.simple_defs.append((const, simple.expr))
        return Simple(const, simple.annotation)

    def _enum(self, t: SimpleTypeDef, base: Simple, name: str, ns: str) -> Simple:
        cls = self.class_names.claim(class_name(name))
        members = NameTable()
        title = f"{{{ns}}}{name}" if ns else name
        lines = [f"class {cls}(str, Enum):", f'    """Enumeration {title}."""', ""]
        for value in t.facets.enumeration:
            member = members.claim(enum_member(value), "_")
            line = f"    {member} = {q(value)}"
            if len(line) > LINE_LENGTH:
                line = f"    {member} = (\n        {q(value)}\n    )"
            lines.append(line)
        self.enum_defs.append("\n".join(lines))
        const = self.const_names.claim(constant_name(name) + "_TYPE")
        self.simple_defs.append((const, Call("enumeration_type", [cls, base.expr, q(name), q(ns)])))
        return Simple(const, cls)

    # -- elements --------------------------------------------------------------------------
    def element_type(self, decl: ElementDecl, parent: ClassModel | None) -> tuple[Expr, str]:
        """(type expression, annotation) of an element declaration."""
        if decl.ref:
            target = self.s.element(decl.ref, decl.source)
            return self.element_type(target, None)
        local = decl.name.rpartition("}")[2]
        if isinstance(decl.type_inline, ComplexTypeDef):
            hint = local if parent is None else parent.name + class_name(local)
            cls = self.complex(
                decl.type_inline, hint, element_tag=decl.name if decl.is_global else None
            )
            return cls.name, cls.name
        if isinstance(decl.type_inline, SimpleTypeDef):
            s = self.simple(decl.type_inline, decl.source, local)
            return s.expr, s.annotation
        type_ref = decl.type or f"{{{XSD}}}anyType"
        seen: set[str] = set()
        while type_ref.startswith("@head:"):
            head = type_ref.partition(":")[2]
            if head in seen:
                raise decl.source.error(f"substitution group cycle through {head}")
            seen.add(head)
            head_decl = self.s.element(head, decl.source)
            if head_decl.type_inline is not None:
                return self.element_type(head_decl, None)
            type_ref = head_decl.type or f"{{{XSD}}}anyType"
        if type_ref == f"{{{XSD}}}anyType":
            return "ANY_ELEMENT", "etree._Element"
        known = WELL_KNOWN_TYPES.get(type_ref)
        if known is not None:
            self.imports.add(known[2])
            return known[0], known[1]
        t = self.s.type(type_ref, decl.source)
        if isinstance(t, ComplexTypeDef):
            cls = self.complex(t, type_ref.rpartition("}")[2])
            return cls.name, cls.name
        s = self.simple(type_ref, decl.source)
        return s.expr, s.annotation

    # -- complex types ----------------------------------------------------------------------------
    def complex(self, ct: ComplexTypeDef, hint: str, element_tag: str | None = None) -> ClassModel:
        key: object = ct.qname or id(ct)
        memo = self._complex.get(key)
        if memo is not None:
            return memo
        wanted = class_name(hint)
        name = self.class_names.claim(wanted)
        if name != wanted and ct.qname:
            from gridware.codegen.naming import namespace_prefix

            self.class_names.taken.discard(name)
            name = self.class_names.claim(namespace_prefix(ct.qname[1:].partition("}")[0]) + wanted)
        model = ClassModel(name, ct.qname, ct.source, element_tag=element_tag, abstract=ct.abstract)
        kind = (
            f"complex type {ct.qname}"
            if ct.qname
            else f"element {element_tag}"
            if element_tag
            else "an anonymous complex type"
        )
        model.doc = f"The {kind}."
        self._complex[key] = model
        self.classes.append(model)
        self._fill(model, ct)
        model.done = True
        return model

    def _base_model(self, ct: ComplexTypeDef) -> ClassModel | Simple | None:
        if not ct.base:
            return None
        if ct.base == f"{{{XSD}}}anyType":
            return None
        t = self.s.type(ct.base, ct.source)
        if isinstance(t, ComplexTypeDef):
            base = self.complex(t, ct.base.rpartition("}")[2])
            if not base.done and ct.derivation == "extension":
                raise ct.source.error(f"{ct.qname or 'type'} extends itself through {ct.base}")
            return base
        return self.simple(ct.base, ct.source)

    def _fill(self, model: ClassModel, ct: ComplexTypeDef) -> None:
        base = self._base_model(ct)
        names = model.names
        if isinstance(base, ClassModel):
            names.taken |= set(base.names.taken)
            if ct.derivation == "extension":
                model.base = base
                model.content = list(base.content)
                model.attributes = list(base.attributes)
                model.any_attribute = base.any_attribute
                model.text = base.text
                model.mixed = base.mixed
            else:
                model.restriction_of = base
                names.taken = set()
                if ct.simple_content:
                    model.text = base.text
                model.attributes = list(base.attributes)
                model.any_attribute = base.any_attribute
        # simple content
        if ct.simple_content:
            if isinstance(base, Simple):
                model.text = (names.claim("value"), base)
                model.own_fields.append((model.text[0], base.annotation, None, "text content"))
            elif model.text is None:
                raise ct.source.error("simple content needs a simple base type")
            if ct.simple_type_inline is not None and model.text is not None:
                inline = ct.simple_type_inline
                if isinstance(base, ClassModel) and base.text is not None:
                    inline.base = None
                    restricted = self._restrict_existing(base.text[1], inline)
                else:
                    restricted = self.simple(inline, ct.source, model.name + "Value")
                model.text = (model.text[0], restricted)
                if model.restriction_of is not None:
                    model.own_fields.append(
                        (model.text[0], restricted.annotation, None, "text content")
                    )
            elif model.restriction_of is not None and model.text is not None:
                model.own_fields.append(
                    (model.text[0], model.text[1].annotation, None, "text content")
                )
        # element content
        if ct.content is not None and not ct.simple_content:
            if ct.mixed or model.mixed:
                model.mixed = model.mixed or names.claim("content")
                particles = self._particles(ct.content, model, optional=False)
                if model.mixed not in {f[0] for f in model.own_fields} and model.base is None:
                    model.own_fields.append(
                        (
                            model.mixed,
                            "list[str | Tagged | etree._Element]",
                            "field(default_factory=list)",
                            "mixed content",
                        )
                    )
                model.content.extend(particles)
            else:
                for p in self._particles(ct.content, model, optional=False):
                    model.content.append(p)
                    self._add_fields(model, p)
        elif ct.mixed and model.mixed is None and not ct.simple_content:
            model.mixed = names.claim("content")
            model.own_fields.append(
                (
                    model.mixed,
                    "list[str | Tagged | etree._Element]",
                    "field(default_factory=list)",
                    "mixed content",
                )
            )
        # attributes
        own_attrs = self._attributes(ct.attributes, ct.source)
        by_tag = {a.tag: a for a in model.attributes}
        for a, prohibited in own_attrs:
            if prohibited:
                by_tag.pop(a.tag, None)
                continue
            if a.tag in by_tag and model.restriction_of is None:
                continue
            existing = by_tag.get(a.tag)
            a.attr = existing.attr if existing is not None else names.claim(a.attr, "_attr")
            by_tag[a.tag] = a
            if existing is None or model.restriction_of is not None:
                ann = a.simple.annotation if a.required else f"{a.simple.annotation} | None"
                model.own_fields.append(
                    (a.attr, ann, None if a.required else "None", f"attribute {a.tag}")
                )
        model.attributes = list(by_tag.values())
        if model.restriction_of is not None:
            # a restriction restates its content: every attribute is its own field
            declared = {f[0] for f in model.own_fields}
            for a in model.attributes:
                if a.attr not in declared:
                    ann = a.simple.annotation if a.required else f"{a.simple.annotation} | None"
                    model.own_fields.append(
                        (a.attr, ann, None if a.required else "None", f"attribute {a.tag}")
                    )
        if ct.any_attribute is not None and model.any_attribute is None:
            attr = names.claim("any_attributes")
            model.any_attribute = (
                attr,
                ct.any_attribute.namespace,
                ct.any_attribute.target_namespace,
            )
            model.own_fields.append(
                (attr, "dict[str, str]", "field(default_factory=dict)", "other attributes")
            )
        elif model.restriction_of is not None and model.any_attribute is not None:
            model.own_fields.append(
                (
                    model.any_attribute[0],
                    "dict[str, str]",
                    "field(default_factory=dict)",
                    "other attributes",
                )
            )

    def _restrict_existing(self, base: Simple, inline: SimpleTypeDef) -> Simple:
        expr = Call("restrict", [base.expr, q("value"), q(""), *_facet_args(inline.facets)])
        return Simple(expr, base.annotation)

    def _attributes(
        self,
        attrs: list[AttributeDecl | AttributeGroupRef],
        src: Source,
        seen: frozenset[str] = frozenset(),
    ) -> list[tuple[PAttr, bool]]:
        out: list[tuple[PAttr, bool]] = []
        for a in attrs:
            if isinstance(a, AttributeGroupRef):
                if a.ref in seen:
                    raise a.source.error(f"attribute group {a.ref} includes itself")
                g = self.s.attribute_group(a.ref, a.source)
                out.extend(self._attributes(g.attributes, g.source, seen | {a.ref}))
                continue
            decl = self.s.attribute(a.ref, a.source) if a.ref else a
            tag = decl.name
            t = decl.type_inline or decl.type or f"{{{XSD}}}anySimpleType"
            simple = self.simple(t, decl.source, tag.rpartition("}")[2])
            use = a.use
            out.append(
                (
                    PAttr(
                        attr_name(tag.rpartition("}")[2]),
                        tag,
                        simple,
                        use == "required",
                        a.default if a.default is not None else decl.default,
                        a.fixed if a.fixed is not None else decl.fixed,
                    ),
                    use == "prohibited",
                )
            )
        return out

    # -- particles ---------------------------------------------------------------------------------
    def _particles(self, group: ModelGroup, model: ClassModel, optional: bool) -> list[P]:
        repeating = group.max_occurs is None or group.max_occurs > 1
        if repeating:
            return [self._repeated(group, model, optional)]
        opt = optional or group.min_occurs == 0
        if group.kind == "sequence" and group.min_occurs == 0 and not optional:
            # an optional sequence is all or nothing: its particles keep their own minOccurs
            inner: list[P] = []
            for p in group.particles:
                inner.extend(self._particle(p, model, False))
            if any(_required(c) for c in inner):
                return [PSeq(inner)]
            return inner  # nothing required inside: each particle is optional anyway
        if group.kind == "sequence":
            out: list[P] = []
            for p in group.particles:
                out.extend(self._particle(p, model, opt))
            return out
        if group.kind == "all":
            # an optional group is all or nothing: its elements keep their own minOccurs
            elems: list[PElem] = []
            for p in group.particles:
                converted = self._particle(p, model, False)
                for c in converted:
                    if not isinstance(c, PElem):
                        raise group.source.error("an xs:all group may hold only elements")
                    elems.append(c)
            return [PAll(elems, 0 if opt else group.min_occurs)]
        # choice: each alternative keeps its own minOccurs (the fields are optional all the same)
        alternatives: list[PElem | PAny] = []
        for p in group.particles:
            converted = self._particle(p, model, False)
            if len(converted) != 1 or not isinstance(converted[0], PElem | PAny):
                # an alternative that is itself a group: keep the order, lose the field split
                for c in converted:
                    self._drop_fields(model, c)
                return [self._repeated(group, model, optional)]
            alternatives.append(converted[0])
        return [PChoice(alternatives, 0 if opt else group.min_occurs)]

    def _drop_fields(self, model: ClassModel, p: P) -> None:
        if isinstance(p, PSeq):
            for q in p.particles:
                self._drop_fields(model, q)
            return
        names = (
            [p.attr] if isinstance(p, PElem | PAny | PRepeated) else [q.attr for q in p.particles]
        )
        model.own_fields = [f for f in model.own_fields if f[0] not in names]
        for n in names:
            model.names.taken.discard(n)

    def _repeated(self, group: ModelGroup, model: ClassModel, optional: bool) -> PRepeated:
        """A repeating group (or a group inside a choice): one list of items in document
        order, with the group's structure to check them against."""
        leaves: list[PElem | PAny] = []
        lo = 0 if optional else group.min_occurs
        shape = self._shape(group, model, leaves, set(), lo, group.max_occurs)
        attr = model.names.claim("items")
        if (shape.kind == "choice" or len(shape.items) == 1) and all(
            isinstance(i, int) and leaves[i].min == 1 for i in shape.items
        ):
            # a repeated choice of elements: any order of them will do, no model needed
            single = all(leaf.max == 1 for leaf in leaves)
            if shape.max is None or single:
                for leaf in leaves:
                    leaf.min, leaf.max = 0, None
                return PRepeated(attr, leaves, shape.min, shape.max)
        return PRepeated(attr, leaves, 0, None, shape)

    def _shape(
        self,
        g: ModelGroup,
        model: ClassModel,
        leaves: list[PElem | PAny],
        seen: set[str],
        lo: int,
        hi: int | None,
    ) -> PGroup:
        if g.kind == "all":
            raise g.source.error("an xs:all group cannot repeat or be nested")
        items: list[int | PGroup] = []
        for p in g.particles:
            if isinstance(p, ModelGroup):
                items.append(self._shape(p, model, leaves, seen, p.min_occurs, p.max_occurs))
            elif isinstance(p, GroupRef):
                if p.ref in seen:
                    raise p.source.error(f"model group {p.ref} includes itself")
                inner = self.s.group(p.ref, p.source).group
                items.append(
                    self._shape(
                        inner,
                        model,
                        leaves,
                        seen | {p.ref},
                        inner.min_occurs * p.min_occurs,
                        None
                        if inner.max_occurs is None or p.max_occurs is None
                        else inner.max_occurs * p.max_occurs,
                    )
                )
            elif isinstance(p, AnyParticle):
                leaves.append(
                    PAny("item", p.namespace, p.target_namespace, p.min_occurs, p.max_occurs)
                )
                items.append(len(leaves) - 1)
            else:
                leaves.append(self._element(p, model, False, claim=False))
                items.append(len(leaves) - 1)
        return PGroup(g.kind, items, lo, hi)

    def _particle(self, p: Any, model: ClassModel, optional: bool) -> list[P]:
        if isinstance(p, ElementDecl):
            return [self._element(p, model, optional)]
        if isinstance(p, AnyParticle):
            attr = model.names.claim("any")
            lo = 0 if optional else p.min_occurs
            return [PAny(attr, p.namespace, p.target_namespace, lo, p.max_occurs)]
        if isinstance(p, GroupRef):
            active: set[str] = self.__dict__.setdefault("_groups_in_progress", set())
            if p.ref in active:
                raise p.source.error(f"model group {p.ref} includes itself")
            active.add(p.ref)
            try:
                return self._group_ref(p, model, optional)
            finally:
                active.discard(p.ref)
        return self._particles(p, model, optional)

    def _group_ref(self, p: GroupRef, model: ClassModel, optional: bool) -> list[P]:
        g = self.s.group(p.ref, p.source).group
        scaled = ModelGroup(
            g.kind,
            g.source,
            g.particles,
            min_occurs=g.min_occurs * p.min_occurs,
            max_occurs=None
            if g.max_occurs is None or p.max_occurs is None
            else g.max_occurs * p.max_occurs,
        )
        return self._particles(scaled, model, optional)

    def _element(
        self, p: ElementDecl, model: ClassModel, optional: bool, claim: bool = True
    ) -> PElem:
        decl = self.s.element(p.ref, p.source) if p.ref else p
        expr, ann = self.element_type(decl, model)
        tag = decl.name
        local = tag.rpartition("}")[2]
        attr = model.names.claim(attr_name(local)) if claim else attr_name(local)
        subs: list[tuple[str, Expr, str]] = []
        if decl.is_global:
            for member in self.s.substitutes(decl.name):
                if member.abstract:
                    continue
                m_expr, m_ann = self.element_type(member, None)
                subs.append((member.name, m_expr, m_ann))
        return PElem(
            attr,
            tag,
            expr,
            ann,
            0 if optional else p.min_occurs,
            p.max_occurs,
            decl.nillable,
            p.default if p.default is not None else decl.default,
            p.fixed if p.fixed is not None else decl.fixed,
            subs,
            decl.abstract and decl.is_global,
        )

    def _add_fields(self, model: ClassModel, p: P, optional: bool = False) -> None:
        """The fields of particle ``p`` (``optional``: inside an optional sequence)."""
        if isinstance(p, PElem):
            model.own_fields.append(self._elem_field(p, force_optional=optional))
        elif isinstance(p, PSeq):
            for q in p.particles:
                self._add_fields(model, q, True)
        elif isinstance(p, PAny):
            if p.many:
                model.own_fields.append(
                    (p.attr, "list[etree._Element]", "field(default_factory=list)", "any element")
                )
            elif p.min > 0 and not optional:
                model.own_fields.append((p.attr, "etree._Element", None, "any element"))
            else:
                model.own_fields.append((p.attr, "etree._Element | None", "None", "any element"))
        elif isinstance(p, PChoice):
            for q in p.particles:
                if isinstance(q, PElem):
                    attr, ann, _, note = self._elem_field(q, force_optional=True)
                    model.own_fields.append(
                        (
                            attr,
                            ann,
                            "field(default_factory=list)" if q.many else "None",
                            note + " (choice)",
                        )
                    )
                else:
                    self._add_fields(model, PAny(q.attr, q.namespace, q.target, 0, q.max))
        elif isinstance(p, PAll):
            for q in p.particles:
                model.own_fields.append(self._elem_field(q, force_optional=p.min == 0))
        else:
            types: list[str] = []
            for q in p.particles:
                for ann in (
                    ([q.annotation] + [s[2] for s in q.substitutes])
                    if isinstance(q, PElem)
                    else ["etree._Element"]
                ):
                    if ann not in types:
                        types.append(ann)
            types.append("Tagged")
            model.own_fields.append(
                (
                    p.attr,
                    f"list[{' | '.join(types)}]",
                    "field(default_factory=list)",
                    "repeated group, in document order",
                )
            )

    def _elem_field(
        self, p: PElem, force_optional: bool = False
    ) -> tuple[str, str, str | None, str]:
        ann = p.annotation
        if p.substitutes:
            alts = [ann] + [s[2] for s in p.substitutes if s[2] != ann]
            ann = " | ".join(dict.fromkeys([*alts, "Tagged"]))
        note = f"element {p.tag}"
        if p.many:
            item = ann if not p.nillable else f"{ann} | None"
            return p.attr, f"list[{item}]", "field(default_factory=list)", note
        optional = force_optional or p.min == 0
        if p.nillable:
            if optional:
                return p.attr, f"{ann} | Nil | None", "None", note
            return p.attr, f"{ann} | None", None, note
        if optional:
            return p.attr, f"{ann} | None", "None", note
        return p.attr, ann, None, note

    # -- rendering ---------------------------------------------------------------------------------
    def render_classes(self) -> str:
        out: list[str] = []
        for cls in self._ordered():
            base = cls.base.name if cls.base is not None else "Complex"
            out.append("@dataclass(slots=True, kw_only=True)")
            out.append(class_header(cls.name, [base]))
            out.append(f'    """{cls.doc}"""')
            fields_ = cls.own_fields
            if fields_:
                out.append("")
            required = [f for f in fields_ if f[2] is None]
            optional = [f for f in fields_ if f[2] is not None]
            for attr, ann, default, _note in required + optional:
                out.append(field_line(attr, ann, default))
            out.append("")
            out.append("")
        return "\n".join(out)

    def _ordered(self) -> list[ClassModel]:
        done: set[str] = set()
        out: list[ClassModel] = []

        def visit(c: ClassModel) -> None:
            if c.name in done:
                return
            if c.base is not None:
                visit(c.base)
            done.add(c.name)
            out.append(c)

        for c in self.classes:
            visit(c)
        return out

    def render_bindings(self) -> str:
        out: list[str] = []
        for cls in self._ordered():
            args: list[Expr] = [cls.name]
            if cls.type_name:
                args.append(f"type_name={q(cls.type_name)}")
            if cls.element_tag:
                args.append(f"element_tag={q(cls.element_tag)}")
            if cls.abstract:
                args.append("abstract=True")
            if cls.content:
                args.append(_kw("content", tuple_of([self._particle_expr(p) for p in cls.content])))
            attrs: list[Expr] = [self._attr_expr(a) for a in cls.attributes]
            if cls.any_attribute is not None:
                attr, nsc, target = cls.any_attribute
                attrs.append(Call("AnyAttribute", [q(attr), q(nsc), lit(target)]))
            if attrs:
                args.append(_kw("attributes", tuple_of(attrs)))
            if cls.text is not None:
                args.append(_kw("text", Call("Text", [q(cls.text[0]), cls.text[1].expr])))
            if cls.mixed is not None:
                args.append(f"mixed={q(cls.mixed)}")
            out.append(statement(f"{cls.name}.__binding__", Call("ComplexBinding", args)))
            if cls.restriction_of is not None:
                out.append(f"register_restriction({cls.restriction_of.name}, {cls.name})")
        return "\n".join(out)

    def _attr_expr(self, a: PAttr) -> Expr:
        args: list[Expr] = [q(a.attr), q(a.tag), a.simple.expr]
        if a.required:
            args.append("required=True")
        if a.default is not None:
            args.append(f"default={q(a.default)}")
        if a.fixed is not None:
            args.append(f"fixed={q(a.fixed)}")
        return Call("Attribute", args)

    def _particle_expr(self, p: P) -> Expr:
        if isinstance(p, PElem):
            args: list[Expr] = [q(p.attr), q(p.tag), p.type_expr]
            if p.min != 1:
                args.append(f"min={p.min}")
            if p.max != 1:
                args.append(f"max={p.max}")
            if p.nillable:
                args.append("nillable=True")
            if p.default is not None:
                args.append(f"default={q(p.default)}")
            if p.fixed is not None:
                args.append(f"fixed={q(p.fixed)}")
            if p.substitutes:
                subs = [tuple_of([q(t), e]) for t, e, _ in p.substitutes]
                args.append(_kw("substitutes", tuple_of(subs)))
            if p.abstract:
                args.append("abstract=True")
            return Call("Element", args)
        if isinstance(p, PAny):
            return Call(
                "Any_", [q(p.attr), q(p.namespace), lit(p.target), f"min={p.min}", f"max={p.max}"]
            )
        if isinstance(p, PSeq):
            return Call("Sequence", [tuple_of([self._particle_expr(x) for x in p.particles])])
        if isinstance(p, PChoice | PAll):
            kind = "Choice" if isinstance(p, PChoice) else "All"
            return Call(
                kind, [tuple_of([self._particle_expr(x) for x in p.particles]), f"min={p.min}"]
            )
        items = tuple_of([self._particle_expr(x) for x in p.particles])
        rep: list[Expr] = [q(p.attr), items, f"min={p.min}", f"max={p.max}"]
        if p.model is not None:
            rep.append(_kw("model", self._group_expr(p.model)))
        return Call("Repeated", rep)

    def _group_expr(self, g: PGroup) -> Expr:
        items = [str(i) if isinstance(i, int) else self._group_expr(i) for i in g.items]
        return Call("Group", [q(g.kind), tuple_of(items), f"min={g.min}", f"max={g.max}"])

    def render_elements(self) -> str:
        entries: list[Expr] = []
        for tag, (expr, _, nillable) in self.elements.items():
            args: list[Expr] = [q(tag), expr]
            if nillable:
                args.append("nillable=True")
            entries.append(Call(f"{q(tag)}: GlobalElement", args))
        body = statement("ELEMENTS: dict[str, GlobalElement]", Call("", entries, "{", "}"))
        return "#: Global elements: tag -> binding (message parts and documents).\n" + body

    def render_module(self, title: str) -> str:
        body: list[str] = []
        if self.enum_defs:
            body += ["", "", "# -- enumerations " + "-" * 60]
            for e in self.enum_defs:
                body += ["", "", e]
        if self.simple_defs:
            body += ["", "", "# -- simple types " + "-" * 60, ""]
            body.extend(statement(const, expr) for const, expr in self.simple_defs)
        body += ["", "", "# -- complex types " + "-" * 59, "", ""]
        body.append(self.render_classes().rstrip("\n"))
        body += ["", "", "# -- bindings " + "-" * 64, ""]
        body.append(self.render_bindings())
        body += ["", self.render_elements(), ""]
        text = "\n".join(body)
        code = _STRINGS.sub('""', text)
        used = set(_IDENT.findall(code))
        wanted: list[tuple[str, list[str]]] = [("__future__", ["annotations"])]
        for module, names in _MODULE_IMPORTS:
            wanted.append((module, [n for n in names if n in used]))
        if "xs" in used:
            wanted.append(("gridware.codegen.runtime", ["xs"]))
        for line in sorted(self.imports):
            module, _, imported = line.removeprefix("from ").partition(" import ")
            wanted.append((module, [n for n in imported.split(", ") if n in used]))
        head = [
            f'"""{title}',
            "",
            'Generated by gridware wsdl2py; do not edit: regenerate instead."""',
            "",
        ]
        return join_module(head + import_block(wanted), text)


_MODULE_IMPORTS: list[tuple[str, list[str]]] = [
    ("dataclasses", ["dataclass", "field"]),
    ("datetime", ["date", "datetime", "time"]),
    ("decimal", ["Decimal"]),
    ("enum", ["Enum"]),
    ("lxml", ["etree"]),
    (
        "gridware.codegen.runtime.model",
        [
            "ANY_ELEMENT",
            "All",
            "AnyAttribute",
            "Any_",
            "Attribute",
            "Choice",
            "Complex",
            "ComplexBinding",
            "Element",
            "GlobalElement",
            "Group",
            "Nil",
            "Repeated",
            "Sequence",
            "Tagged",
            "Text",
            "register_restriction",
        ],
    ),
    (
        "gridware.codegen.runtime.simpletypes",
        ["Duration", "enumeration_type", "list_type", "restrict", "union_type"],
    ),
]
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRINGS = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"')


def field_line(attr: str, ann: str, default: str | None) -> str:
    """A dataclass field declaration, wrapped the way ruff format wraps it."""
    tail = f" = {default}" if default is not None else ""
    line = f"    {attr}: {ann}{tail}"
    if len(line) <= LINE_LENGTH:
        return line
    if (
        default is not None
        and default.startswith("field(")
        and len(f"    {attr}: {ann} = field(") <= LINE_LENGTH
    ):
        return f"    {attr}: {ann} = field(\n        {default[6:-1]}\n    )"
    return f"    {attr}: (\n        {ann}\n    ){tail}"


_FACETS = (
    "enumeration",
    "patterns",
    "min_inclusive",
    "max_inclusive",
    "min_exclusive",
    "max_exclusive",
    "length",
    "min_length",
    "max_length",
    "total_digits",
    "fraction_digits",
)


def _clark(lexical: str, namespaces: dict[str, str]) -> str:
    """A QName value written in a schema (``p:local``) as ``{namespace}local``."""
    prefix, sep, local = lexical.strip().rpartition(":")
    uri = namespaces.get(prefix if sep else "")
    return f"{{{uri}}}{local}" if uri else local


def _facet_args(f: Any) -> list[Expr]:
    out: list[Expr] = []
    for key in _FACETS:
        v = getattr(f, key)
        if v in (None, []):
            continue
        if isinstance(v, list):
            out.append(Call(f"{key}=", [q(x) for x in v], "[", "]"))
        else:
            out.append(f"{key}={lit(v)}")
    return out


def _kw(name: str, value: Expr) -> Expr:
    if isinstance(value, str):
        return f"{name}={value}"
    return Call(f"{name}={value.head}", value.args, value.open, value.close)
