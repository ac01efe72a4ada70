"""An XML Schema model: the parts of XSD 1.0 that data binding needs.

:func:`SchemaSet.add_schema` reads ``xsd:schema`` elements (following
``include``/``import``/``redefine``) into global components keyed by Clark
QName; references are resolved lazily and every unresolved reference is an
error that names the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from gridware.codegen.errors import CodegenError, error_at
from gridware.codegen.loader import DocumentLoader
from gridware.container import ns

XSD = ns.XSD
UNBOUNDED = None


def _x(local: str) -> str:
    return f"{{{XSD}}}{local}"


# -- components ---------------------------------------------------------------------------


@dataclass
class Source:
    """Where a component was declared."""

    location: str
    line: int | None

    def error(self, message: str) -> CodegenError:
        return CodegenError(message, self.location, self.line)


@dataclass
class Facets:
    enumeration: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    min_inclusive: str | None = None
    max_inclusive: str | None = None
    min_exclusive: str | None = None
    max_exclusive: str | None = None
    length: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    total_digits: int | None = None
    fraction_digits: int | None = None
    white_space: str | None = None

    def any(self) -> bool:
        return any(
            v not in (None, [])
            for v in (
                self.enumeration,
                self.patterns,
                self.min_inclusive,
                self.max_inclusive,
                self.min_exclusive,
                self.max_exclusive,
                self.length,
                self.min_length,
                self.max_length,
                self.total_digits,
                self.fraction_digits,
            )
        )


@dataclass
class SimpleTypeDef:
    """A simple type: a restriction of a base, a list or a union."""

    qname: str | None  # None for anonymous types
    source: Source
    variety: Literal["atomic", "list", "union"] = "atomic"
    base: str | None = None  # QName of the base (atomic)
    base_inline: SimpleTypeDef | None = None
    facets: Facets = field(default_factory=Facets)
    item: str | None = None  # list item type QName
    item_inline: SimpleTypeDef | None = None
    members: list[str] = field(default_factory=list)  # union member QNames
    members_inline: list[SimpleTypeDef] = field(default_factory=list)
    namespaces: dict[str, str] = field(default_factory=dict)  # for QName enumerations


@dataclass
class AttributeDecl:
    name: str  # Clark QName if qualified, else the local name
    source: Source
    type: str | None = None
    type_inline: SimpleTypeDef | None = None
    use: str = "optional"
    default: str | None = None
    fixed: str | None = None
    ref: str | None = None


@dataclass
class AttributeGroupRef:
    ref: str
    source: Source


@dataclass
class AnyAttribute:
    namespace: str
    process_contents: str
    target_namespace: str | None


@dataclass
class ElementDecl:
    """A global element, a local element, or a reference to a global one."""

    name: str  # Clark QName (qualified) or the local name (unqualified local)
    source: Source
    type: str | None = None
    type_inline: ComplexTypeDef | SimpleTypeDef | None = None
    ref: str | None = None
    min_occurs: int = 1
    max_occurs: int | None = 1
    nillable: bool = False
    default: str | None = None
    fixed: str | None = None
    abstract: bool = False
    substitution_group: str | None = None
    is_global: bool = False


@dataclass
class AnyParticle:
    namespace: str  # "##any", "##other", "##local", "##targetNamespace" or a URI list
    process_contents: str
    source: Source
    target_namespace: str | None
    min_occurs: int = 1
    max_occurs: int | None = 1


@dataclass
class GroupRef:
    ref: str
    source: Source
    min_occurs: int = 1
    max_occurs: int | None = 1


@dataclass
class ModelGroup:
    kind: Literal["sequence", "choice", "all"]
    source: Source
    particles: list[Particle] = field(default_factory=list)
    min_occurs: int = 1
    max_occurs: int | None = 1


Particle = ElementDecl | AnyParticle | GroupRef | ModelGroup


@dataclass
class ModelGroupDef:
    qname: str
    source: Source
    group: ModelGroup


@dataclass
class AttributeGroupDef:
    qname: str
    source: Source
    attributes: list[AttributeDecl | AttributeGroupRef] = field(default_factory=list)
    any_attribute: AnyAttribute | None = None


@dataclass
class ComplexTypeDef:
    qname: str | None
    source: Source
    abstract: bool = False
    mixed: bool = False
    content: ModelGroup | None = None
    simple_content: bool = False  # text value of type ``base`` (or ``simple_base``)
    base: str | None = None
    derivation: Literal["extension", "restriction"] | None = None
    simple_type_inline: SimpleTypeDef | None = None  # simpleContent restriction facets
    attributes: list[AttributeDecl | AttributeGroupRef] = field(default_factory=list)
    any_attribute: AnyAttribute | None = None


TypeDef = ComplexTypeDef | SimpleTypeDef


@dataclass
class SchemaInfo:
    target_namespace: str | None
    location: str
    element_form_qualified: bool
    attribute_form_qualified: bool
    chameleon: bool = False


# -- the set ------------------------------------------------------------------------------


class SchemaSet:
    """All global components of the schemas reachable from some documents."""

    def __init__(self, loader: DocumentLoader | None = None) -> None:
        self.loader = loader or DocumentLoader()
        self.elements: dict[str, ElementDecl] = {}
        self.types: dict[str, TypeDef] = {}
        self.attributes: dict[str, AttributeDecl] = {}
        self.attribute_groups: dict[str, AttributeGroupDef] = {}
        self.groups: dict[str, ModelGroupDef] = {}
        self.schemas: list[SchemaInfo] = []
        self._seen: set[tuple[str, str | None, int]] = set()

    # -- loading ------------------------------------------------------------------------
    def add_schema(
        self, el: etree._Element, location: str, chameleon_ns: str | None = None
    ) -> None:
        """Add one ``xsd:schema`` element (and what it includes and imports)."""
        key = (location, chameleon_ns, id(el) if location.endswith(".wsdl") else 0)
        if key in self._seen:
            return
        self._seen.add(key)
        tns = el.get("targetNamespace")
        chameleon = tns is None and chameleon_ns is not None
        if tns is None:
            tns = chameleon_ns
        info = SchemaInfo(
            tns,
            location,
            el.get("elementFormDefault") == "qualified",
            el.get("attributeFormDefault") == "qualified",
            chameleon,
        )
        self.schemas.append(info)
        parser = _SchemaParser(self, info)
        for child in el:
            if not isinstance(child.tag, str):
                continue
            parser.top(child)

    def add_location(self, location: str, chameleon_ns: str | None = None) -> None:
        doc = self.loader.load(location)
        root = doc.root
        if root.tag == _x("schema"):
            self.add_schema(root, doc.location, chameleon_ns)
            return
        raise CodegenError(
            f"expected an xsd:schema document, found <{etree.QName(root).localname}>", location
        )

    # -- lookups --------------------------------------------------------------------------
    def element(self, qname: str, source: Source) -> ElementDecl:
        try:
            return self.elements[qname]
        except KeyError:
            raise source.error(f"unknown element {qname}") from None

    def type(self, qname: str, source: Source) -> TypeDef | str:
        """A named type, or the QName itself for an XML Schema built-in type."""
        if qname.startswith(f"{{{XSD}}}"):
            local = qname.rpartition("}")[2]
            if local in ("anyType",):
                return qname
            if qname in self.types:
                return self.types[qname]
            return qname
        try:
            return self.types[qname]
        except KeyError:
            raise source.error(f"unknown type {qname}") from None

    def group(self, qname: str, source: Source) -> ModelGroupDef:
        try:
            return self.groups[qname]
        except KeyError:
            raise source.error(f"unknown model group {qname}") from None

    def attribute_group(self, qname: str, source: Source) -> AttributeGroupDef:
        try:
            return self.attribute_groups[qname]
        except KeyError:
            raise source.error(f"unknown attribute group {qname}") from None

    def attribute(self, qname: str, source: Source) -> AttributeDecl:
        if qname in self.attributes:
            return self.attributes[qname]
        if qname == f"{{{ns.XML}}}lang" or qname.startswith(f"{{{ns.XML}}}"):
            return AttributeDecl(qname, source, type=_x("string"))
        raise source.error(f"unknown attribute {qname}")

    def substitutes(self, head: str) -> list[ElementDecl]:
        """Global elements that may stand for ``head`` (transitively), excluding ``head``."""
        out: list[ElementDecl] = []
        todo = [head]
        seen = {head}
        while todo:
            h = todo.pop()
            for el in self.elements.values():
                if el.substitution_group == h and el.name not in seen:
                    seen.add(el.name)
                    out.append(el)
                    todo.append(el.name)
        return out

    def check(self) -> None:
        """Resolve every reference once, so that errors surface with their location."""
        for el in self.elements.values():
            self._check_element(el)
        for t in self.types.values():
            self._check_type(t)
        for g in self.groups.values():
            self._check_group(g.group)
        for ag in self.attribute_groups.values():
            self._check_attrs(ag.attributes)

    def _check_element(self, el: ElementDecl) -> None:
        if el.ref:
            self.element(el.ref, el.source)
        if el.type and not el.type.startswith("@head:"):  # typeless members: the head's
            self.type(el.type, el.source)
        if isinstance(el.type_inline, ComplexTypeDef | SimpleTypeDef):
            self._check_type(el.type_inline)
        if el.substitution_group:
            seen = {el.name}
            head = self.element(el.substitution_group, el.source)
            while True:
                if head.name in seen:
                    raise el.source.error(f"substitution group cycle through {head.name}")
                seen.add(head.name)
                if not head.substitution_group:
                    break
                head = self.element(head.substitution_group, head.source)

    def _check_type(self, t: TypeDef) -> None:
        if isinstance(t, SimpleTypeDef):
            for name in [t.base, t.item, *t.members]:
                if name:
                    self.type(name, t.source)
            return
        if t.base:
            self.type(t.base, t.source)
        if t.content is not None:
            self._check_group(t.content)
        self._check_attrs(t.attributes)

    def _check_group(self, g: ModelGroup) -> None:
        for p in g.particles:
            if isinstance(p, ElementDecl):
                self._check_element(p)
            elif isinstance(p, GroupRef):
                self.group(p.ref, p.source)
            elif isinstance(p, ModelGroup):
                self._check_group(p)

    def _check_attrs(self, attrs: list[AttributeDecl | AttributeGroupRef]) -> None:
        for a in attrs:
            if isinstance(a, AttributeGroupRef):
                self.attribute_group(a.ref, a.source)
            elif a.ref:
                self.attribute(a.ref, a.source)
            elif a.type:
                self.type(a.type, a.source)


# -- parsing --------------------------------------------------------------------------------


def _occurs(el: etree._Element, info: SchemaInfo) -> tuple[int, int | None]:
    lo, hi = el.get("minOccurs", "1"), el.get("maxOccurs", "1")
    try:
        min_occurs = int(lo)
        max_occurs = None if hi == "unbounded" else int(hi)
    except ValueError:
        raise error_at(f"invalid minOccurs/maxOccurs {lo!r}/{hi!r}", el, info.location) from None
    if min_occurs < 0 or (max_occurs is not None and max_occurs < min_occurs):
        raise error_at(f"invalid minOccurs/maxOccurs {lo}/{hi}", el, info.location)
    return min_occurs, max_occurs


class _SchemaParser:
    def __init__(self, schemas: SchemaSet, info: SchemaInfo) -> None:
        self.s = schemas
        self.info = info
        self.tns = info.target_namespace

    def src(self, el: etree._Element) -> Source:
        line = el.sourceline
        return Source(self.info.location, line if isinstance(line, int) else None)

    def err(self, message: str, el: etree._Element) -> CodegenError:
        return error_at(message, el, self.info.location)

    def qname(self, el: etree._Element, text: str | None) -> str | None:
        """Resolve a QName-valued attribute against the element's namespaces."""
        if text is None:
            return None
        t = text.strip()
        prefix, sep, local = t.partition(":")
        if not sep:
            prefix, local = "", t
        uri = el.nsmap.get(prefix or None)
        if uri is None and prefix:
            if prefix == "xml":
                uri = ns.XML
            else:
                raise self.err(f"unbound namespace prefix {prefix!r} in {t!r}", el)
        if uri is None and not prefix and self.info.chameleon:
            # in a chameleon include, unqualified references mean the including namespace
            uri = self.tns
        return f"{{{uri}}}{local}" if uri else local

    def global_name(self, el: etree._Element) -> str:
        name = el.get("name")
        if not name:
            raise self.err(f"<{etree.QName(el).localname}> needs a name", el)
        return f"{{{self.tns}}}{name}" if self.tns else name

    def put(self, table: dict[str, object], name: str, value: object, el: etree._Element) -> None:
        if name in table:
            existing = table[name]
            src = getattr(existing, "source", None)
            if src is not None and (src.location, src.line) == (self.info.location, el.sourceline):
                return
            raise self.err(f"{name} is declared twice", el)
        table[name] = value

    # -- top level ----------------------------------------------------------------------------
    def top(self, el: etree._Element) -> None:
        tag = el.tag
        if tag == _x("import"):
            self.import_(el)
        elif tag == _x("include"):
            self.include(el)
        elif tag == _x("redefine"):
            self.include(el)
            for child in el:
                if isinstance(child.tag, str):
                    self.top_redefined(child)
        elif tag == _x("element"):
            decl = self.element(el, top=True)
            self.put(self.s.elements, decl.name, decl, el)  # type: ignore[arg-type]
        elif tag == _x("complexType"):
            t = self.complex_type(el, self.global_name(el))
            self.put(self.s.types, t.qname or "", t, el)  # type: ignore[arg-type]
        elif tag == _x("simpleType"):
            st = self.simple_type(el, self.global_name(el))
            self.put(self.s.types, st.qname or "", st, el)  # type: ignore[arg-type]
        elif tag == _x("attribute"):
            a = self.attribute(el, top=True)
            self.put(self.s.attributes, a.name, a, el)  # type: ignore[arg-type]
        elif tag == _x("attributeGroup"):
            g = self.attribute_group(el)
            self.put(self.s.attribute_groups, g.qname, g, el)  # type: ignore[arg-type]
        elif tag == _x("group"):
            mg = self.group_def(el)
            self.put(self.s.groups, mg.qname, mg, el)  # type: ignore[arg-type]
        elif tag in (_x("annotation"), _x("notation")):
            pass
        else:
            raise self.err(f"unexpected <{etree.QName(el).localname}> in xsd:schema", el)

    def top_redefined(self, el: etree._Element) -> None:
        # a redefinition replaces the included component of the same name
        name = self.global_name(el) if el.get("name") else None
        table = {
            _x("complexType"): self.s.types,
            _x("simpleType"): self.s.types,
            _x("group"): self.s.groups,
            _x("attributeGroup"): self.s.attribute_groups,
        }.get(el.tag)
        if name and table is not None:
            table.pop(name, None)  # type: ignore[attr-defined]
            self.top(el)

    def import_(self, el: etree._Element) -> None:
        from gridware import wsdl as shipped

        namespace = el.get("namespace")
        location = el.get("schemaLocation")
        if namespace == XSD:
            return
        if location is None:
            known = shipped.NAMESPACE_LOCATIONS.get(namespace or "")
            if known is None:
                # nothing to load: the namespace must be provided by another schema
                return
            target = "gridware.wsdl:" + known
        else:
            target = self.s.loader.resolve(location, self.info.location)
            if not target.startswith("gridware.wsdl:") and namespace in shipped.NAMESPACE_LOCATIONS:
                # a standard namespace imported from a private copy: use ours
                local_ok = not target.startswith(("http://", "https://"))
                if not local_ok:
                    target = "gridware.wsdl:" + shipped.NAMESPACE_LOCATIONS[namespace or ""]
        try:
            self.s.add_location(target)
        except CodegenError as exc:
            if namespace in shipped.NAMESPACE_LOCATIONS and location is not None:
                self.s.add_location("gridware.wsdl:" + shipped.NAMESPACE_LOCATIONS[namespace or ""])
                return
            raise self.err(f"cannot import {location or namespace}: {exc.message}", el) from None

    def include(self, el: etree._Element) -> None:
        location = el.get("schemaLocation")
        if not location:
            raise self.err("include needs a schemaLocation", el)
        target = self.s.loader.resolve(location, self.info.location)
        try:
            doc = self.s.loader.load(target)
        except CodegenError as exc:
            raise self.err(f"cannot include {location}: {exc.message}", el) from None
        if doc.root.tag != _x("schema"):
            raise self.err(f"{location} is not an xsd:schema document", el)
        included_tns = doc.root.get("targetNamespace")
        if included_tns is not None and included_tns != self.tns:
            raise self.err(
                f"included schema {location} has target namespace {included_tns!r}, "
                f"not {self.tns!r}",
                el,
            )
        self.s.add_schema(doc.root, doc.location, chameleon_ns=self.tns)

    # -- components ---------------------------------------------------------------------------
    def element(self, el: etree._Element, top: bool = False) -> ElementDecl:
        src = self.src(el)
        ref = self.qname(el, el.get("ref"))
        min_occurs, max_occurs = (1, 1) if top else _occurs(el, self.info)
        if ref:
            return ElementDecl(ref, src, ref=ref, min_occurs=min_occurs, max_occurs=max_occurs)
        local = el.get("name")
        if not local:
            raise self.err("an element needs a name or a ref", el)
        form = el.get("form")
        qualified = top or (form == "qualified" if form else self.info.element_form_qualified)
        name = f"{{{self.tns}}}{local}" if qualified and self.tns else local
        decl = ElementDecl(
            name,
            src,
            type=self.qname(el, el.get("type")),
            min_occurs=min_occurs,
            max_occurs=max_occurs,
            nillable=el.get("nillable") in ("true", "1"),
            default=el.get("default"),
            fixed=el.get("fixed"),
            abstract=el.get("abstract") in ("true", "1"),
            substitution_group=self.qname(el, el.get("substitutionGroup")),
            is_global=top,
        )
        for child in el:
            if child.tag == _x("complexType"):
                decl.type_inline = self.complex_type(child, None)
            elif child.tag == _x("simpleType"):
                decl.type_inline = self.simple_type(child, None)
        if decl.type is None and decl.type_inline is None:
            if decl.substitution_group:
                head = decl.substitution_group
                decl.type = f"@head:{head}"  # same type as the head, resolved later
            else:
                decl.type = _x("anyType")
        return decl

    def attribute(self, el: etree._Element, top: bool = False) -> AttributeDecl:
        src = self.src(el)
        ref = self.qname(el, el.get("ref"))
        if ref:
            return AttributeDecl(
                ref,
                src,
                ref=ref,
                use=el.get("use", "optional"),
                default=el.get("default"),
                fixed=el.get("fixed"),
            )
        local = el.get("name")
        if not local:
            raise self.err("an attribute needs a name or a ref", el)
        form = el.get("form")
        qualified = top or (form == "qualified" if form else self.info.attribute_form_qualified)
        name = f"{{{self.tns}}}{local}" if qualified and self.tns else local
        a = AttributeDecl(
            name,
            src,
            type=self.qname(el, el.get("type")),
            use=el.get("use", "optional"),
            default=el.get("default"),
            fixed=el.get("fixed"),
        )
        for child in el:
            if child.tag == _x("simpleType"):
                a.type_inline = self.simple_type(child, None)
        if a.type is None and a.type_inline is None:
            a.type = _x("anySimpleType")
        return a

    def attributes_of(
        self, el: etree._Element
    ) -> tuple[list[AttributeDecl | AttributeGroupRef], AnyAttribute | None]:
        attrs: list[AttributeDecl | AttributeGroupRef] = []
        any_attr = None
        for child in el:
            if child.tag == _x("attribute"):
                attrs.append(self.attribute(child))
            elif child.tag == _x("attributeGroup"):
                ref = self.qname(child, child.get("ref"))
                if not ref:
                    raise self.err("attributeGroup reference needs a ref", child)
                attrs.append(AttributeGroupRef(ref, self.src(child)))
            elif child.tag == _x("anyAttribute"):
                any_attr = AnyAttribute(
                    child.get("namespace", "##any"),
                    child.get("processContents", "strict"),
                    self.tns,
                )
        return attrs, any_attr

    def attribute_group(self, el: etree._Element) -> AttributeGroupDef:
        attrs, any_attr = self.attributes_of(el)
        return AttributeGroupDef(self.global_name(el), self.src(el), attrs, any_attr)

    def group_def(self, el: etree._Element) -> ModelGroupDef:
        for child in el:
            if child.tag in (_x("sequence"), _x("choice"), _x("all")):
                return ModelGroupDef(self.global_name(el), self.src(el), self.model_group(child))
        raise self.err("a model group needs a sequence, choice or all", el)

    def model_group(self, el: etree._Element) -> ModelGroup:
        kind = etree.QName(el).localname
        min_occurs, max_occurs = _occurs(el, self.info)
        g = ModelGroup(kind, self.src(el), min_occurs=min_occurs, max_occurs=max_occurs)  # type: ignore[arg-type]
        for child in el:
            if not isinstance(child.tag, str) or child.tag == _x("annotation"):
                continue
            if child.tag == _x("element"):
                g.particles.append(self.element(child))
            elif child.tag in (_x("sequence"), _x("choice"), _x("all")):
                g.particles.append(self.model_group(child))
            elif child.tag == _x("group"):
                ref = self.qname(child, child.get("ref"))
                if not ref:
                    raise self.err("group reference needs a ref", child)
                lo, hi = _occurs(child, self.info)
                g.particles.append(GroupRef(ref, self.src(child), lo, hi))
            elif child.tag == _x("any"):
                lo, hi = _occurs(child, self.info)
                g.particles.append(
                    AnyParticle(
                        child.get("namespace", "##any"),
                        child.get("processContents", "strict"),
                        self.src(child),
                        self.tns,
                        lo,
                        hi,
                    )
                )
            else:
                raise self.err(f"unexpected <{etree.QName(child).localname}> in a {kind}", child)
        return g

    def complex_type(self, el: etree._Element, qname: str | None) -> ComplexTypeDef:
        t = ComplexTypeDef(
            qname,
            self.src(el),
            abstract=el.get("abstract") in ("true", "1"),
            mixed=el.get("mixed") in ("true", "1"),
        )
        for child in el:
            if not isinstance(child.tag, str) or child.tag == _x("annotation"):
                continue
            if child.tag in (_x("sequence"), _x("choice"), _x("all")):
                t.content = self.model_group(child)
            elif child.tag == _x("group"):
                ref = self.qname(child, child.get("ref"))
                lo, hi = _occurs(child, self.info)
                t.content = ModelGroup(
                    "sequence", self.src(child), [GroupRef(ref or "", self.src(child), lo, hi)]
                )
            elif child.tag == _x("complexContent"):
                if child.get("mixed") in ("true", "1"):
                    t.mixed = True
                self.derivation(child, t, simple=False)
            elif child.tag == _x("simpleContent"):
                t.simple_content = True
                self.derivation(child, t, simple=True)
        attrs, any_attr = self.attributes_of(el)
        t.attributes.extend(attrs)
        t.any_attribute = t.any_attribute or any_attr
        return t

    def derivation(self, el: etree._Element, t: ComplexTypeDef, simple: bool) -> None:
        for d in el:
            if d.tag not in (_x("extension"), _x("restriction")):
                continue
            t.derivation = etree.QName(d).localname  # type: ignore[assignment]
            t.base = self.qname(d, d.get("base"))
            if not t.base:
                raise self.err("a derivation needs a base", d)
            for child in d:
                if not isinstance(child.tag, str):
                    continue
                if child.tag in (_x("sequence"), _x("choice"), _x("all")):
                    t.content = self.model_group(child)
                elif child.tag == _x("group"):
                    ref = self.qname(child, child.get("ref"))
                    lo, hi = _occurs(child, self.info)
                    t.content = ModelGroup(
                        "sequence", self.src(child), [GroupRef(ref or "", self.src(child), lo, hi)]
                    )
            if simple and t.derivation == "restriction":
                st = SimpleTypeDef(None, self.src(d), base=t.base)
                self.facets(d, st)
                if st.facets.any():
                    t.simple_type_inline = st
            attrs, any_attr = self.attributes_of(d)
            t.attributes.extend(attrs)
            t.any_attribute = any_attr
            return
        raise self.err("expected an extension or a restriction", el)

    def simple_type(self, el: etree._Element, qname: str | None) -> SimpleTypeDef:
        st = SimpleTypeDef(qname, self.src(el))
        st.namespaces = {k or "": v for k, v in el.nsmap.items()}
        for child in el:
            if not isinstance(child.tag, str) or child.tag == _x("annotation"):
                continue
            if child.tag == _x("restriction"):
                st.variety = "atomic"
                st.base = self.qname(child, child.get("base"))
                for sub in child:
                    if sub.tag == _x("simpleType"):
                        st.base_inline = self.simple_type(sub, None)
                if st.base is None and st.base_inline is None:
                    raise self.err("a restriction needs a base", child)
                self.facets(child, st)
            elif child.tag == _x("list"):
                st.variety = "list"
                st.item = self.qname(child, child.get("itemType"))
                for sub in child:
                    if sub.tag == _x("simpleType"):
                        st.item_inline = self.simple_type(sub, None)
                if st.item is None and st.item_inline is None:
                    raise self.err("a list needs an itemType", child)
            elif child.tag == _x("union"):
                st.variety = "union"
                for m in (child.get("memberTypes") or "").split():
                    q = self.qname(child, m)
                    if q:
                        st.members.append(q)
                for sub in child:
                    if sub.tag == _x("simpleType"):
                        st.members_inline.append(self.simple_type(sub, None))
                if not st.members and not st.members_inline:
                    raise self.err("a union needs member types", child)
            else:
                raise self.err(
                    f"unexpected <{etree.QName(child).localname}> in a simpleType", child
                )
        return st

    def facets(self, el: etree._Element, st: SimpleTypeDef) -> None:
        f = st.facets
        for child in el:
            if not isinstance(child.tag, str):
                continue
            local = etree.QName(child).localname
            value = child.get("value")
            if value is None:
                continue
            try:
                if local == "enumeration":
                    f.enumeration.append(value)
                elif local == "pattern":
                    f.patterns.append(value)
                elif local in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"):
                    setattr(f, _snake(local), value)
                elif local in ("length", "minLength", "maxLength", "totalDigits", "fractionDigits"):
                    setattr(f, _snake(local), int(value))
                elif local == "whiteSpace":
                    f.white_space = value
            except ValueError:
                raise self.err(f"invalid {local} facet {value!r}", child) from None


def _snake(name: str) -> str:
    out = ""
    for c in name:
        out += "_" + c.lower() if c.isupper() else c
    return out
