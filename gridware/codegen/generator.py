"""wsdl2py: a WSDL in, a small readable Python package out.

The package holds:

- ``types.py``   dataclasses, enumerations and simple types of the schemas;
- ``faults.py``  an exception class per fault element the WSDL declares;
- ``client.py``  a blocking and an asynchronous proxy per port type;
- ``server.py``  a service stub per port type, to subclass and deploy.

Output is deterministic (the same WSDL gives the same bytes) and formatted as
``ruff format`` formats it.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path

from gridware.codegen.errors import CodegenError
from gridware.codegen.loader import DocumentLoader
from gridware.codegen.naming import NameTable, attr_name, class_name, namespace_prefix
from gridware.codegen.pysrc import (
    LINE_LENGTH,
    Call,
    Expr,
    class_header,
    import_block,
    join_module,
    q,
    render,
    statement,
    subscript,
    tuple_of,
)
from gridware.codegen.types_gen import WELL_KNOWN_TYPES, PAny, PElem, TypesGenerator, field_line
from gridware.codegen.wsdl import Binding, Definitions, Operation, PortType, load_wsdl
from gridware.codegen.xsd import ComplexTypeDef
from gridware.container import faults as container_faults
from gridware.container import ns
from gridware.container.dialects import GT4, WSRF_1_2

_GENERIC_PARTS = {
    "parameters",
    "parameter",
    "body",
    "input",
    "output",
    "request",
    "response",
    "in",
    "out",
    "part",
}
_WSRF_NAMESPACES = (ns.WSRF_RP, ns.WSRF_RL, ns.GT4_RP, ns.GT4_RL)
_WSRF_ACTIONS = set(WSRF_1_2.actions.values()) | set(GT4.actions.values())
_RL_NAMESPACES = (ns.WSRF_RL, ns.GT4_RL)
_ADDRESSING_BY_NS = {ns.WSA_2004_03: "2004/03", ns.WSA_2004_08: "2004/08"}
# names that annotations in generated proxies and stubs may use
_ANNOTATION_IMPORTS = (
    ("datetime", ("date", "datetime", "time")),
    ("decimal", ("Decimal",)),
    ("lxml", ("etree",)),
    ("gridware.codegen.runtime.model", ("ANY_ELEMENT", "Nil", "Tagged")),
    ("gridware.codegen.runtime.simpletypes", ("Duration",)),
)


@dataclass
class Param:
    name: str
    annotation: str
    default: str | None


@dataclass
class OpModel:
    name: str  # WSDL operation name
    method: str
    action: str
    output_action: str
    soap_action: str | None
    input_expr: Expr
    output_expr: Expr | None
    params: list[Param]
    returns: str
    doc: str
    faults: list[str]  # fault class names
    wsrf: bool  # a WS-RF operation the container provides for resources


@dataclass
class FaultModel:
    name: str
    tag: str
    base: str


@dataclass
class ResourceModel:
    name: str
    tag: str
    properties: list[tuple[str, str, Expr, int, int | None, bool]]
    # attr, tag, type expr, min, max, nillable


@dataclass
class PortTypeModel:
    port_type: PortType
    name: str
    operations: list[OpModel]
    soap: str
    addressing: str
    address: str | None
    resource: ResourceModel | None = None

    @property
    def table(self) -> str:
        return f"{attr_name(self.name).upper()}_OPERATIONS"


@dataclass
class GeneratedPackage:
    """The generated modules, by file name."""

    package: str
    files: dict[str, str] = field(default_factory=dict)

    def write(self, outdir: str | Path) -> Path:
        root = Path(outdir) / self.package.replace(".", "/")
        root.mkdir(parents=True, exist_ok=True)
        for name, text in self.files.items():
            (root / name).write_text(text, encoding="utf-8")
        return root


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRINGS = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')


def _used(text: str, names: set[str]) -> list[str]:
    """The ``names`` that ``text`` uses as code (not in strings, not defined by ``def``)."""
    code = re.sub(r"\bdef [A-Za-z_][A-Za-z0-9_]*", "def", _STRINGS.sub('""', text))
    return sorted(set(_IDENT.findall(code)) & names)


_DERIVED = ("Client", "AsyncClient", "Service", "Resource", "_OPERATIONS", "_FAULTS")


def _claim_base(names: NameTable, wanted: str) -> str:
    """A port type's base name whose derived class and table names are all free."""
    base, n = wanted, 2
    while any(base + s in names.taken for s in _DERIVED):
        base = f"{wanted}{n}"
        n += 1
    names.taken.update(base + s for s in _DERIVED)
    return base


def _qualify(annotation: str, names: set[str]) -> str:
    """Refer to ``names`` through the types module (``types_.Name``) in an annotation."""
    return _IDENT.sub(lambda m: f"types_.{m[0]}" if m[0] in names else m[0], annotation)


def _docstring(text: str, indent: str) -> list[str]:
    words = text.split()
    lines: list[str] = []
    current = indent + '"""'
    for w in words:
        if len(current) + len(w) + 1 > LINE_LENGTH and current.strip() != '"""':
            lines.append(current.rstrip())
            current = indent
        current += w + " "
    current = current.rstrip()
    if lines:
        lines.append(current)
        lines.append(indent + '"""')
    else:
        lines.append(current + '"""')
    return lines


class Generator:
    def __init__(self, defs: Definitions, package: str) -> None:
        self.d = defs
        self.package = package
        self.types = TypesGenerator(defs.schemas)
        self.faults: dict[str, FaultModel] = {}
        self.port_types: list[PortTypeModel] = []

    def run(self) -> GeneratedPackage:
        self.types.run()
        taken = set(self.types.class_names.taken)
        fault_names = NameTable(taken)
        pt_names = NameTable(taken)
        # the port types of the WSDL itself (those of imported WSDLs only if it has none)
        own = [pt for pt in self.d.port_types.values() if pt.source.location == self.d.location]
        for pt in own or list(self.d.port_types.values()):
            binding = self.d.binding_for(pt)
            if binding is None:
                # a port type without a SOAP binding (as the standard WSDLs ship them):
                # assume document/literal over SOAP 1.1, the WS-I Basic Profile default
                binding = Binding(pt.qname, pt, "1.1", "document", {}, pt.source)
            self.port_types.append(self._port_type(pt, binding, pt_names, fault_names))
        out = GeneratedPackage(self.package)
        name = Path(self.d.location.partition("gridware.wsdl:")[2] or self.d.location).name
        out.files["types.py"] = self.types.render_module(f"Types of {name}.")
        out.files["faults.py"] = self._render_faults(name)
        out.files["client.py"] = self._render_client(name)
        out.files["server.py"] = self._render_server(name)
        out.files["__init__.py"] = self._render_init(name)
        return out

    # -- analysis ---------------------------------------------------------------------------
    def _addressing(self, pt: PortType) -> str:
        for op in pt.operations:
            for spec in (op.input, op.output):
                if spec is not None and spec.action_namespace in _ADDRESSING_BY_NS:
                    return _ADDRESSING_BY_NS[spec.action_namespace]
        return "2005/08"

    def _port_type(
        self, pt: PortType, binding: Binding, names: NameTable, fault_names: NameTable
    ) -> PortTypeModel:
        local = pt.qname.rpartition("}")[2]
        model = PortTypeModel(
            pt,
            _claim_base(names, class_name(local)),
            [],
            binding.soap_version or "1.1",
            self._addressing(pt),
            self.d.address_for(binding),
        )
        methods = NameTable({"soap", "epr", "operations", "addressing", "soap_version"})
        for op in pt.operations:
            model.operations.append(self._operation(pt, binding, op, methods, fault_names))
        if pt.resource_properties:
            model.resource = self._resource(pt, model.name)
        # a method named like a type would shadow it in annotations inside the class
        clashing = {op.method for op in model.operations} & self._types_names()
        if clashing:
            for m in model.operations:
                m.returns = _qualify(m.returns, clashing)
                for p in m.params:
                    p.annotation = _qualify(p.annotation, clashing)
        return model

    def _default_action(self, pt: PortType, op: Operation, kind: str) -> str:
        tns = pt.qname[1:].partition("}")[0]
        local = pt.qname.rpartition("}")[2]
        spec = op.input if kind == "input" else op.output
        suffix = "Request" if kind == "input" else "Response"
        name = spec.name if spec is not None and spec.name else op.name + suffix
        sep = ":" if tns.startswith("urn:") else "/"
        base = tns if tns.endswith(sep) else tns + sep
        return f"{base}{local}{sep}{name}"

    def _operation(
        self,
        pt: PortType,
        binding: Binding,
        op: Operation,
        methods: NameTable,
        fault_names: NameTable,
    ) -> OpModel:
        bop = binding.operations.get(op.name)
        if op.input is None:
            raise op.source.error(
                f"operation {op.name} has no input (notification operations are not supported)"
            )
        soap_action = bop.soap_action if bop else None
        action = op.input.action or soap_action or self._default_action(pt, op, "input")
        output_action = (op.output.action if op.output else None) or self._default_action(
            pt, op, "output"
        )
        wanted = op.name if op.name.isidentifier() and not keyword.iskeyword(op.name) else None
        method = methods.claim(wanted or attr_name(op.name))
        output_expr: Expr | None = None
        returns = "None"
        if bop is not None and bop.style == "rpc":
            input_expr, params = self._rpc(op, "input", bop.input_namespace)
            if op.output is not None:
                output_expr, outs = self._rpc(op, "output", bop.output_namespace)
                returns = outs[0].annotation if len(outs) == 1 else "dict[str, Any]"
                if not outs:
                    returns = "None"
        else:
            input_expr, params = self._doc_input(op)
            if op.output is not None:
                output_expr, returns = self._doc_output(op)
        wsrf = action in _WSRF_ACTIONS or any(
            (p.element or "").startswith(tuple(f"{{{u}}}" for u in _WSRF_NAMESPACES))
            for p in op.input.message.parts
        )
        fault_classes = []
        for f in op.faults:
            parts = f.message.parts
            if len(parts) != 1 or parts[0].element is None:
                raise f.message.source.error(
                    f"fault message {f.message.qname} needs exactly one element part"
                )
            fault_classes.append(self._fault(parts[0].element, fault_names))
        return OpModel(
            op.name,
            method,
            action,
            output_action,
            soap_action if soap_action and soap_action != action else None,
            input_expr,
            output_expr,
            params,
            returns,
            op.documentation,
            fault_classes,
            wsrf,
        )

    def _element_of(self, op: Operation, kind: str) -> tuple[str, str]:
        spec = op.input if kind == "input" else op.output
        assert spec is not None
        parts = spec.message.parts
        if len(parts) != 1 or parts[0].element is None:
            raise op.source.error(
                f"document-style operation {op.name} needs exactly one element part in its "
                f"{kind} message (found {len(parts)})"
            )
        return parts[0].name, parts[0].element

    def _wrapper_fields(self, tag: str) -> list[tuple[str, str, str | None]] | None:
        """The fields of a wrapper element (only element content), or None."""
        expr = self.types.elements[tag][0]
        cls = next((c for c in self.types.classes if c.name == expr), None)
        if cls is None or cls.attributes or cls.any_attribute or cls.text or cls.mixed:
            return None
        if cls.base is not None or not all(isinstance(p, PElem) for p in cls.content):
            return None
        return [(f[0], f[1], f[2]) for f in cls.own_fields]

    @staticmethod
    def _names(fields_: list[tuple[str, str, str | None]]) -> Expr:
        return tuple_of([q(n) for n, _, _ in fields_])

    def _doc_input(self, op: Operation) -> tuple[Expr, list[Param]]:
        part, tag = self._element_of(op, "input")
        fields_ = self._wrapper_fields(tag)
        ge = subscript("ELEMENTS", q(tag))
        if fields_ is not None and tag.rpartition("}")[2] == op.name:
            params = [Param(n, a, None if d is None else "None") for n, a, d in fields_]
            for p, (_, _, d) in zip(params, fields_, strict=True):
                if d is not None and d.startswith("field("):
                    p.annotation = f"{p.annotation} | None"
            return Call("Wrapped", [ge, self._names(fields_)]), params
        local = tag.rpartition("}")[2]
        param = attr_name(local if part in _GENERIC_PARTS else part)
        return Call("Bare", [ge, q(param)]), [Param(param, self.types.elements[tag][1], None)]

    def _doc_output(self, op: Operation) -> tuple[Expr, str]:
        _, tag = self._element_of(op, "output")
        fields_ = self._wrapper_fields(tag)
        ge = subscript("ELEMENTS", q(tag))
        if fields_ is not None:
            codec = Call("Wrapped", [ge, self._names(fields_)])
            if len(fields_) == 1:
                return codec, fields_[0][1]
            if not fields_:
                return codec, "None"
            return codec, self.types.elements[tag][1]
        return Call("Bare", [ge, q("result")]), self.types.elements[tag][1]

    def _rpc(self, op: Operation, kind: str, namespace: str | None) -> tuple[Expr, list[Param]]:
        spec = op.input if kind == "input" else op.output
        assert spec is not None
        wrapper = op.name if kind == "input" else op.name + "Response"
        tag = f"{{{namespace}}}{wrapper}" if namespace else wrapper
        parts: list[Expr] = []
        params = []
        for part in spec.message.parts:
            expr: Expr
            if part.type is not None:
                t = self.d.schemas.types.get(part.type)
                if isinstance(t, ComplexTypeDef):
                    cls = self.types.complex(t, part.type.rpartition("}")[2])
                    expr, ann = cls.name, cls.name
                else:
                    s = self.types.simple(part.type, spec.message.source)
                    expr, ann = s.expr, s.annotation
                part_tag = part.name
            else:
                assert part.element is not None
                expr, ann = (
                    self.types.elements[part.element][0],
                    self.types.elements[part.element][1],
                )
                part_tag = part.element
            pname = attr_name(part.name)
            params.append(Param(pname, ann, None))
            parts.append(Call("RpcPart", [q(part_tag), q(pname), expr]))
        return Call("Rpc", [q(tag), tuple_of(parts)]), params

    def _fault(self, tag: str, names: NameTable) -> str:
        existing = self.faults.get(tag)
        if existing is not None:
            return existing.name
        local = tag.rpartition("}")[2]
        wanted = class_name(local if local.endswith("Fault") else local + "Fault")
        if wanted in names.taken:
            wanted = namespace_prefix(tag[1:].partition("}")[0]) + wanted
        name = names.claim(wanted)
        known = container_faults.fault_class_for(tag)
        base = "faults.SenderFault"
        if known is not None:
            known_name = known.__name__
            if getattr(container_faults, known_name, None) is known:
                base = f"faults.{known_name}"
        self.faults[tag] = FaultModel(name, tag, base)
        return name

    def _resource(self, pt: PortType, pt_name: str) -> ResourceModel:
        tag = pt.resource_properties
        assert tag is not None
        if tag not in self.types.elements:
            raise pt.source.error(f"unknown resource property document element {tag}")
        expr = self.types.elements[tag][0]
        cls = next((c for c in self.types.classes if c.name == expr), None)
        if cls is None:
            raise pt.source.error(f"resource property document {tag} must be of a complex type")
        props: list[tuple[str, str, Expr, int, int | None, bool]] = []
        for p in cls.content:
            if isinstance(p, PAny):
                continue
            if not isinstance(p, PElem):
                raise pt.source.error(
                    f"resource property document {tag}: only a sequence of elements is supported"
                )
            if p.tag.startswith(tuple(f"{{{u}}}" for u in _RL_NAMESPACES)):
                continue  # CurrentTime and TerminationTime come from the container
            props.append((p.attr, p.tag, p.type_expr, p.min, p.max, p.nillable))
        return ResourceModel(class_name(pt_name.removesuffix("PortType") + "Resource"), tag, props)

    # -- rendering ------------------------------------------------------------------------------
    def _module_doc(self, text: str) -> list[str]:
        return [
            f'"""{text}',
            "",
            'Generated by gridware wsdl2py; do not edit: regenerate instead."""',
            "",
            "from __future__ import annotations",
            "",
        ]

    def _types_names(self) -> set[str]:
        names = {c.name for c in self.types.classes} | {"ELEMENTS"}
        names |= {const for const, _ in self.types.simple_defs}
        names |= {e.split("(")[0].removeprefix("class ") for e in self.types.enum_defs}
        return names

    def _imports(self, body: str, extra: list[tuple[str, list[str]]]) -> list[str]:
        """Import sections for what ``body`` uses, plus ``extra`` (module, names)."""
        wanted: list[tuple[str, list[str]]] = [("__future__", ["annotations"]), *extra]
        wanted.append((".types", _used(re.sub(r"types_\.\w+", "", body), self._types_names())))
        if "types_." in body:
            wanted.append((".", ["types as types_"]))
        for module, names in _ANNOTATION_IMPORTS:
            wanted.append((module, _used(body, set(names))))
        epr_names = {"EndpointReference"} | {known[0] for known in WELL_KNOWN_TYPES.values()}
        wanted.append(("gridware.container.addressing", _used(body, epr_names)))
        return import_block(wanted)

    def _head(self, doc: str, body: str, extra: list[tuple[str, list[str]]]) -> str:
        lines = [
            f'"""{doc}',
            "",
            'Generated by gridware wsdl2py; do not edit: regenerate instead."""',
            "",
        ]
        return join_module(lines + self._imports(body, extra), body)

    def _render_faults(self, name: str) -> str:
        body: list[str] = []
        for f in self.faults.values():
            body += [
                "",
                "",
                class_header(f.name, ["TypedFaultMixin", f.base]),
                *_docstring(
                    f"The fault element {f.tag}; ``detail_value`` is its typed detail.", "    "
                ),
                "",
                statement("element", q(f.tag), 4),
                statement("detail_element", subscript("ELEMENTS", q(f.tag)), 4),
            ]
        names = sorted(f.name for f in self.faults.values())
        body += ["", "", statement("__all__", Call("", [q(n) for n in names], "[", "]")), ""]
        text = "\n".join(body)
        extra: list[tuple[str, list[str]]] = []
        if self.faults:
            extra.append(("gridware.codegen.runtime.operation", ["TypedFaultMixin"]))
            extra.append(("gridware.container", ["faults"]))
        return self._head(f"Faults declared in {name}.", text, extra)

    def _ops_table(self, pt: PortTypeModel) -> str:
        entries: list[Expr] = []
        for op in pt.operations:
            args: list[Expr] = [
                q(op.name),
                q(op.action),
                op.input_expr,
                op.output_expr if op.output_expr is not None else "None",
                q(op.output_action),
            ]
            if op.soap_action:
                args.append(f"soap_action={q(op.soap_action)}")
            entries.append(Call(f"{q(op.name)}: OperationBinding", args))
        return statement(f"{pt.table}: dict[str, OperationBinding]", Call("", entries, "{", "}"))

    @staticmethod
    def _params(op: OpModel, leading: list[str]) -> list[str]:
        required = [p for p in op.params if p.default is None]
        optional = [p for p in op.params if p.default is not None]
        out = list(leading)
        out += [f"{p.name}: {p.annotation}" for p in required]
        out += [f"{p.name}: {p.annotation} = {p.default}" for p in optional]
        return out

    def _def(self, prefix: str, op: OpModel, leading: list[str]) -> str:
        head = f"    {prefix}def {op.method}"
        params = self._params(op, leading)
        one = f"{head}({', '.join(params)}) -> {op.returns}:"
        if len(one) <= LINE_LENGTH:
            return one
        inner = "".join(f"        {p},\n" for p in params)
        return f"{head}(\n{inner}    ) -> {op.returns}:"

    def _op_doc(self, op: OpModel) -> list[str]:
        text = op.doc or f"The {op.name} operation."
        if op.faults:
            text += f" Raises {', '.join(op.faults)}."
        return _docstring(text, "        ")

    def _render_client(self, name: str) -> str:
        body: list[str] = []
        by_name = {f.name: f for f in self.faults.values()}
        for pt in self.port_types:
            body += ["", "", self._ops_table(pt)]
            pt_faults = sorted({f for op in pt.operations for f in op.faults})
            faults_table = f"{attr_name(pt.name).upper()}_FAULTS"
            entries = [f"{q(by_name[f].tag)}: {f}" for f in pt_faults]
            table = Call("", entries, "{", "}")
            body += [statement(f"{faults_table}: dict[str, type[Fault]]", table)]
            for variant, base, is_async in (
                ("Client", "ServiceProxy", False),
                ("AsyncClient", "AsyncServiceProxy", True),
            ):
                kind = "Asynchronous" if is_async else "Blocking"
                body += [
                    "",
                    "",
                    class_header(f"{pt.name}{variant}", [base]),
                    *_docstring(f"{kind} proxy for port type {pt.port_type.qname}.", "    "),
                    "",
                    f"    operations = {pt.table}",
                    f"    fault_classes = {faults_table}",
                    f"    soap_version = {q(pt.soap)}",
                    f"    addressing = {q(pt.addressing)}",
                    f"    default_address = {q(pt.address) if pt.address else 'None'}",
                ]
                for op in pt.operations:
                    args = Call("", [f"{q(p.name)}: {p.name}" for p in op.params], "{", "}")
                    call = Call(
                        "await self._ainvoke" if is_async else "self._invoke",
                        [subscript(pt.table, q(op.name)), args],
                    )
                    body += ["", self._def("async " if is_async else "", op, ["self"])]
                    body += self._op_doc(op)
                    body.append(statement(f"result: {op.returns}", call, 8))
                    body.append("        return result")
        text = "\n".join(body) + "\n"
        fault_names = sorted(
            {f for pt in self.port_types for op in pt.operations for f in op.faults}
        )
        exported = [f"{pt.name}{v}" for pt in self.port_types for v in ("Client", "AsyncClient")]
        if exported or fault_names:
            all_names = Call("", [q(n) for n in sorted(exported + fault_names)], "[", "]")
            text += "\n\n" + statement("__all__", all_names) + "\n"
        codecs = sorted(set(re.findall(r"\b(Wrapped|Bare|Rpc|RpcPart)\(", text)))
        extra: list[tuple[str, list[str]]] = [(".faults", fault_names)]
        if self.port_types:
            extra.append(("gridware.codegen.runtime.operation", ["OperationBinding", *codecs]))
            extra.append(("gridware.container.proxy", ["AsyncServiceProxy", "ServiceProxy"]))
            extra.append(("gridware.container.faults", ["Fault"]))
        extra.append(("typing", _used(text, {"Any"})))
        extra.append(("gridware.codegen.runtime", _used(text, {"xs"})))
        return self._head(f"Client proxies for {name}.", text, extra)

    def _render_server(self, name: str) -> str:
        body: list[str] = []
        container_names = {"Service", "operation", "RequestContext"}
        for pt in self.port_types:
            tns = pt.port_type.qname[1:].partition("}")[0]
            local = pt.port_type.qname.rpartition("}")[2]
            r = pt.resource
            if r is not None:
                container_names |= {"Resource"} | ({"ResourceProperty"} if r.properties else set())
                body += [
                    "",
                    "",
                    class_header(r.name, ["Resource"]),
                    *_docstring(
                        f"Resources of port type {local}: the properties of {r.tag}.", "    "
                    ),
                    "",
                    statement("namespace", q(r.tag[1:].partition("}")[0]), 4),
                    statement("document", q(r.tag.rpartition("}")[2]), 4),
                ]
                if r.properties:
                    body.append("")
                for attr, tag, expr, lo, hi, nillable in r.properties:
                    args: list[Expr] = [q(tag), expr]
                    if lo != 1:
                        args.append(f"min_occurs={lo}")
                    if hi != 1:
                        args.append(f"max_occurs={hi}")
                    if nillable:
                        args.append("nillable=True")
                    body.append(statement(attr, Call("ResourceProperty", args), 4))
            doc = [
                f"Stub of port type {pt.port_type.qname}.",
            ]
            body += [
                "",
                "",
                class_header(f"{pt.name}Service", ["Service"]),
                f'    """{doc[0]}',
                "",
                "    Subclass it, implement the operations and deploy the subclass.",
            ]
            if r is not None:
                body += [
                    "    The WS-RF operations of the port type come from the container; set",
                    "    ``key`` to the QName of the reference parameter carrying resource keys.",
                ]
            dialect = "gt4" if pt.addressing == "2004/03" else "wsrf-1.2"
            body += [
                '    """',
                "",
                statement("namespace", q(tns), 4),
                statement("port_type", q(local), 4),
                statement("generated_dialect", q(dialect), 4),
            ]
            if r is not None:
                body.append(statement("resource_class: ClassVar[type[Resource] | None]", r.name, 4))
            for op in pt.operations:
                if op.wsrf and r is not None:
                    continue
                binding = Call(f"binding={pt.table}", [q(op.name)], "[", "]", False)
                body += ["", statement("", Call("@operation", [binding]), 4)]
                body.append(self._def("", op, ["self", "context: RequestContext"]))
                body += self._op_doc(op)
                message = f"{pt.name}Service.{op.method}"
                raise_ = Call("raise NotImplementedError", [q(message)])
                body.append("        " + render(raise_, 8))
        text = "\n".join(body) + "\n"
        extra: list[tuple[str, list[str]]] = [
            ("gridware.container", sorted(container_names) if self.port_types else []),
            ("typing", _used(text, {"ClassVar"})),
            ("gridware.codegen.runtime", _used(text, {"xs"})),
            (".client", _used(text, {pt.table for pt in self.port_types})),
        ]
        return self._head(f"Service stubs for {name}: subclass them and implement.", text, extra)

    def _render_init(self, name: str) -> str:
        lines = [f'"""Python bindings for {name}.', ""]
        if self.port_types:
            for pt in self.port_types:
                lines.append(
                    f"- ``{pt.name}Client`` / ``{pt.name}AsyncClient`` (client.py), "
                    f"``{pt.name}Service`` (server.py)"
                )
            lines.append("")
        lines += ['Generated by gridware wsdl2py; do not edit: regenerate instead."""', ""]
        return "\n".join(lines)


def generate(location: str, package: str, *, allow_network: bool | None = None) -> GeneratedPackage:
    """Generate the package for a WSDL (or schema) at a path, URL or shipped name."""
    parts = package.split(".")
    if not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        raise CodegenError(f"{package!r} is not a valid Python package name")
    network = (
        location.startswith(("http://", "https://")) if allow_network is None else allow_network
    )
    defs = load_wsdl(location, DocumentLoader(allow_network=network))
    return Generator(defs, package).run()


__all__ = ["GeneratedPackage", "Generator", "field_line", "generate", "render"]
