"""Operations of generated proxies and stubs: how arguments become messages.

Three message shapes:

- :class:`Wrapped` (document/literal wrapped): the request element's fields
  are the method's parameters; a response with one field returns that field.
- :class:`Bare` (document/literal bare): the method takes or returns the
  value of the message element itself.
- :class:`Rpc` (rpc/literal): a wrapper named after the operation holds one
  element per part.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any, Protocol

from lxml import etree

from gridware.codegen.runtime.model import BindingError, Complex, GlobalElement


class MessageCodec(Protocol):
    """Turns keyword arguments into a body element and a body element into a value."""

    @property
    def tag(self) -> str: ...

    def encode(self, args: dict[str, Any]) -> etree._Element: ...

    def decode_args(self, el: etree._Element) -> dict[str, Any]: ...

    def encode_result(self, value: Any) -> etree._Element: ...

    def decode_result(self, el: etree._Element) -> Any: ...


@dataclass(frozen=True)
class Wrapped:
    """document/literal wrapped: parameters are the wrapper element's fields."""

    element: GlobalElement
    fields: tuple[str, ...]

    @property
    def tag(self) -> str:
        return self.element.tag

    def encode(self, args: dict[str, Any]) -> etree._Element:
        cls = self.element.type
        # an omitted optional argument (None) takes the field's default, e.g. [] for lists
        defaulted = _defaulted_fields(cls)
        return self.element.build(
            cls(**{k: v for k, v in args.items() if v is not None or k not in defaulted})
        )

    def decode_args(self, el: etree._Element) -> dict[str, Any]:
        value = self.element.read(el)
        return {f: getattr(value, f) for f in self.fields}

    def encode_result(self, value: Any) -> etree._Element:
        cls = self.element.type
        if isinstance(value, cls):
            return self.element.build(value)
        if len(self.fields) == 1:
            return self.element.build(cls(**{self.fields[0]: value}))
        if not self.fields and value is None:
            return self.element.build(cls())
        raise BindingError(f"return a {cls.__name__} from this operation")

    def decode_result(self, el: etree._Element) -> Any:
        value = self.element.read(el)
        if len(self.fields) == 1:
            return getattr(value, self.fields[0])
        if not self.fields:
            return None
        return value


@dataclass(frozen=True)
class Bare:
    """document/literal bare: the message element's value is the parameter."""

    element: GlobalElement
    param: str

    @property
    def tag(self) -> str:
        return self.element.tag

    def encode(self, args: dict[str, Any]) -> etree._Element:
        return self.element.build(args[self.param])

    def decode_args(self, el: etree._Element) -> dict[str, Any]:
        return {self.param: self.element.read(el)}

    def encode_result(self, value: Any) -> etree._Element:
        return self.element.build(value)

    def decode_result(self, el: etree._Element) -> Any:
        return self.element.read(el)


@dataclass(frozen=True)
class RpcPart:
    name: str  # the part name, also the parameter name
    param: str
    type: Any  # SimpleType or Complex subclass


@dataclass(frozen=True)
class Rpc:
    """rpc/literal: ``<op>`` (or ``<opResponse>``) holding one element per part."""

    tag: str
    parts: tuple[RpcPart, ...]

    def _build(self, values: dict[str, Any]) -> etree._Element:
        el = etree.Element(self.tag)
        for p in self.parts:
            child = GlobalElement(p.name, p.type).build(values.get(p.param))
            el.append(child)
        return el

    def _read(self, el: etree._Element) -> dict[str, Any]:
        if el.tag != self.tag:
            raise BindingError(f"expected <{etree.QName(self.tag).localname}>")
        kids = {k.tag if isinstance(k.tag, str) else "": k for k in el}
        out: dict[str, Any] = {}
        for p in self.parts:
            child = kids.pop(p.name, None)
            if child is None:
                raise BindingError(f"missing part <{p.name}>")
            out[p.param] = GlobalElement(p.name, p.type).read(child)
        kids.pop("", None)
        if kids:
            raise BindingError(f"unexpected element <{etree.QName(next(iter(kids))).localname}>")
        return out

    def encode(self, args: dict[str, Any]) -> etree._Element:
        return self._build(args)

    def decode_args(self, el: etree._Element) -> dict[str, Any]:
        return self._read(el)

    def encode_result(self, value: Any) -> etree._Element:
        if len(self.parts) == 1:
            return self._build({self.parts[0].param: value})
        if isinstance(value, dict):
            return self._build(value)
        raise BindingError("return a dict of the output parts from this operation")

    def decode_result(self, el: etree._Element) -> Any:
        values = self._read(el)
        if len(self.parts) == 1:
            return values[self.parts[0].param]
        if not self.parts:
            return None
        return values


@dataclass(frozen=True)
class OperationBinding:
    """One operation of a port type, as the generated code calls or serves it."""

    name: str
    action: str
    input: MessageCodec
    output: MessageCodec | None
    output_action: str
    soap_action: str | None = None


class TypedFaultMixin:
    """Gives a generated fault class its typed detail.

    ``detail_element`` is the fault's global element; ``value`` (server side)
    or :attr:`detail_value` (client side) is the detail as a generated object.
    Mix it in before a :class:`gridware.container.faults.Fault` class.
    """

    detail_element: GlobalElement
    detail: etree._Element | None
    value: Any = None

    def __init__(self, description: str = "", *, value: Any = None, **kw: Any) -> None:
        self.value = value
        super().__init__(description, **kw)  # type: ignore[call-arg]

    def to_detail(self, dialect: Any, operation: str | None = None) -> etree._Element:
        base: etree._Element = super().to_detail(dialect, operation)  # type: ignore[misc]
        return self.detail_for(base)

    @property
    def detail_value(self) -> Any:
        """The fault detail as a typed value (``None`` when the fault has none)."""
        if self.value is not None:
            return self.value
        if self.detail is None:
            return None
        try:
            return self.detail_element.read(self.detail)
        except BindingError:
            return None

    def detail_for(self, default: etree._Element) -> etree._Element:
        """The detail element to send: the typed value, else the base fault detail."""
        if self.value is None:
            return default
        return self.detail_element.build(self.value)


def fields_of(cls: type[Complex]) -> tuple[str, ...]:
    """The attribute names of a generated class, in declaration order."""
    from dataclasses import fields

    return tuple(f.name for f in fields(cls))  # type: ignore[arg-type]


@functools.cache
def _defaulted_fields(cls: type) -> frozenset[str]:
    """The dataclass fields of ``cls`` that have a default (or a default factory)."""
    return frozenset(
        f.name
        for f in dataclasses.fields(cls)
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    )
