"""A client for the WS-RF operations of any WS-Resource.

::

    from gridware.clients.wsrf import WsrfClient

    r = WsrfClient(EndpointReference.read("counter.epr"))
    r.get_value("Value", int)              # a bare local name is looked up in the RP document
    r.update_property("Value", 42)
    r.query("/*/c:Value > 10", {"c": "http://gridware.org/samples/counter"})
    r.set_termination_time(timedelta(minutes=30))
    r.destroy()

Calls block by default; :class:`AsyncWsrfClient` offers the same operations as
coroutines for Twisted programs.  The dialect set (WSRF 1.2 or the Globus
Toolkit 4 drafts) follows the EPR's WS-Addressing version unless given.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from gridware.codegen.runtime import SimpleType, simple_type
from gridware.codegen.runtime.model import NIL, BindingError
from gridware.container import ns
from gridware.container.addressing import EndpointReference
from gridware.container.client import AsyncSoapClient, HttpTransport, SoapClient
from gridware.container.dialects import (
    WSRF_1_2,
    WsrfDialect,
    dialect_for_addressing,
    wsrf_dialect,
)
from gridware.container.faults import InvalidResourcePropertyQNameFault
from gridware.container.generated.wsrf12 import types as wsrf12
from gridware.container.generated.wsrf_gt4 import types as wsrf_gt4
from gridware.container.proxy import ReplyMismatchError
from gridware.container.soap import SOAP11, SoapVersion
from gridware.container.xml import Element, is_nil, qname, split_qname

Value = Element | str | int | float | bool | datetime

_NIL = qname(ns.XSI, "nil")


def resource_epr(
    url: str, key: tuple[str, str] | None, dialect: str | WsrfDialect
) -> EndpointReference:
    """An EPR from a service URL and an optional ``(key QName, key value)``."""
    d = wsrf_dialect(dialect)
    v = d.addressing
    if key is None:
        return EndpointReference(url, version=v)
    tag, value = key
    if not tag.startswith("{"):
        raise ValueError(f"the key name {tag!r} needs a namespace: write {{namespace}}{tag}")
    el = etree.Element(tag, nsmap={"k": split_qname(tag)[0] or ""})
    el.text = value
    if v.reference_properties:
        return EndpointReference(url, reference_properties=(el,), version=v)
    return EndpointReference(url, reference_parameters=(el,), version=v)


class _Messages:
    """WS-RF requests and replies, as the message types wsdl2py generated from the
    dialect's standard WSDLs; shared by the blocking and the async client."""

    def __init__(self, dialect: WsrfDialect) -> None:
        self.d = dialect
        self.m: Any = wsrf12 if dialect is WSRF_1_2 else wsrf_gt4

    def action(self, op: str) -> str:
        return self.d.actions[op]

    def get_property(self, clark: str) -> Element:
        return self._element("GetResourceProperty", clark)

    def get_multiple(self, names: Sequence[str]) -> Element:
        return _el(self.m.GetMultipleResourceProperties(resource_property=list(names)))

    def get_document(self) -> Element:
        if self.d is WSRF_1_2:
            return _el(self.m.GetResourcePropertyDocument())
        return etree.Element(self.d.rp_tag("GetResourcePropertyDocument"))  # gridware extension

    def query(self, expression: str, namespaces: Mapping[str, str] | None) -> Element:
        request: Element = self.m.QueryResourceProperties(
            query_expression=self.m.QueryExpressionType(
                dialect=ns.XPATH_DIALECT, content=[expression]
            )
        ).to_element()
        prefixes = {p: u for p, u in (namespaces or {}).items() if p}
        if prefixes:
            # the expression's prefixes must be declared where it is written
            old = request.find(self.d.rp_tag("QueryExpression"))
            assert old is not None
            attrib: dict[str, str] = {str(k): str(v) for k, v in old.attrib.items()}
            new = etree.Element(old.tag, attrib, nsmap=prefixes)
            new.text = old.text
            request.replace(old, new)
        return request

    def set_properties(
        self,
        insert: Iterable[Element] = (),
        update: Iterable[Element] = (),
        delete: Iterable[str] = (),
        *,
        op: str = "SetResourceProperties",
    ) -> Element:
        items: list[Any] = []
        ins, upd = list(insert), list(update)
        if ins:
            items.append(self.m.InsertType(any=ins))
        if upd:
            items.append(self.m.UpdateType(any=upd))
        items += [self.m.DeleteType(resource_property=name) for name in delete]
        if op == "SetResourceProperties":
            return _el(self.m.SetResourceProperties(items=items))
        # the single-component operations of WSRF 1.2
        field = {"Insert": "insert", "Update": "update", "Delete": "delete"}[
            op.removesuffix("ResourceProperties")
        ]
        return _el(getattr(self.m, op)(**{field: items[0] if items else None}))

    def destroy(self) -> Element:
        return _el(self.m.Destroy())

    def set_termination_time(self, when: datetime | timedelta | None) -> Element:
        if isinstance(when, timedelta):
            when = datetime.now(UTC) + when
        requested = when if when is not None else (NIL if self.d is WSRF_1_2 else None)
        value = self.m.SetTerminationTime(requested_termination_time=requested)
        built: Element = self.m.ELEMENTS[self.d.rl_tag("SetTerminationTime")].build(value)
        return built

    def termination_reply(self, reply: Element) -> tuple[datetime | None, datetime]:
        value = self._read(reply)
        return value.new_termination_time, value.current_time

    def elements(self, reply: Element) -> list[Element]:
        """The property elements of a Get/GetMultiple reply."""
        value = self._read(reply)
        return list(value.any)

    def document(self, reply: Element) -> Element:
        if self.d is WSRF_1_2:
            doc: Element = self._read(reply).any
            return doc
        kids = _children(reply)
        if not kids:
            raise InvalidResourcePropertyQNameFault("the resource returned no property document")
        return kids[0]

    def query_result(self, reply: Element) -> list[Element] | str:
        value = self._read(reply)
        elements = [c for c in value.content if isinstance(c, etree._Element)]
        if elements:
            return elements
        return "".join(c for c in value.content if isinstance(c, str)).strip()

    def _element(self, local: str, value: Any) -> Element:
        built: Element = self.m.ELEMENTS[self.d.rp_tag(local)].build(value)
        return built

    def _read(self, reply: Element) -> Any:
        binding = self.m.ELEMENTS.get(reply.tag)
        if binding is None:
            raise ReplyMismatchError(f"unexpected reply <{etree.QName(reply).localname}>")
        try:
            return binding.read(reply)
        except BindingError as exc:
            raise ReplyMismatchError(f"the reply does not match the WS-RF schema: {exc}") from None


def _el(value: Any) -> Element:
    """A generated message object as its element."""
    el: Element = value.to_element()
    return el


def _children(el: Element) -> list[Element]:
    return [c for c in el if isinstance(c.tag, str)]


def property_element(clark: str, value: Value, type: SimpleType | str | None = None) -> Element:
    """A resource property element ``<clark>value</clark>`` for Set requests."""
    if isinstance(value, etree._Element):
        if value.tag == clark:
            return value
        el = copy.deepcopy(value)
        el.tag = clark
        return el
    uri = split_qname(clark)[0]
    el = etree.Element(clark, nsmap={"p": uri} if uri else None)
    if isinstance(value, str) and type is None:
        el.text = value
    else:
        st = simple_type(type) if type is not None else simple_type(builtins_type(value))
        el.text = st.format(value)
    return el


def builtins_type(value: Any) -> type:
    return bool if isinstance(value, bool) else type(value)


class _Base:
    def __init__(self, epr: EndpointReference | str, dialect: str | WsrfDialect | None) -> None:
        if isinstance(epr, str):
            d = wsrf_dialect(dialect or "wsrf-1.2")
            epr = EndpointReference(epr, version=d.addressing)
        self.epr = epr
        self.dialect = wsrf_dialect(dialect) if dialect else dialect_for_addressing(epr.version)
        self.messages = _Messages(self.dialect)

    def _resolve_from(self, doc: Element, name: str) -> str:
        """The QName of a property given by local name, looked up in the RP document."""
        if name.startswith("{"):
            return name
        matches = sorted({c.tag for c in _children(doc) if etree.QName(c).localname == name})
        if not matches:
            # A property with no value is absent from the document; by convention its
            # namespace is the document's.  The service faults if that guess is wrong.
            return qname(etree.QName(doc).namespace, name)
        if len(matches) > 1:
            raise InvalidResourcePropertyQNameFault(
                f"{name!r} is ambiguous: {', '.join(matches)}; give the full {{namespace}}name"
            )
        return matches[0]


class WsrfClient(_Base):
    """Blocking WS-RF operations on one WS-Resource (or singleton service)."""

    def __init__(
        self,
        epr: EndpointReference | str,
        *,
        dialect: str | WsrfDialect | None = None,
        soap: str | SoapVersion = SOAP11,
        transport: HttpTransport | None = None,
    ) -> None:
        super().__init__(epr, dialect)
        self.soap = SoapClient(self.epr, soap=soap, transport=transport)

    def call(self, op: str, body: Element) -> Element:
        return self.soap.call(self.messages.action(op), body)

    def document(self) -> Element:
        """The resource property document (GetResourcePropertyDocument, or a query
        for ``/*`` where the dialect set has no such operation)."""
        if self.dialect.name == "gt4":
            result = self.query("/*")
            if not isinstance(result, list) or not result:
                raise InvalidResourcePropertyQNameFault(
                    "the resource returned no property document"
                )
            return result[0]
        reply = self.call("GetResourcePropertyDocument", self.messages.get_document())
        return self.messages.document(reply)

    def resolve(self, name: str) -> str:
        """A property QName from ``{ns}local`` or a bare local name (looked up in the document)."""
        if name.startswith("{"):
            return name
        return self._resolve_from(self.document(), name)

    def get_property(self, name: str) -> list[Element]:
        """The elements of one resource property."""
        reply = self.call("GetResourceProperty", self.messages.get_property(self.resolve(name)))
        return self.messages.elements(reply)

    def get_value(self, name: str, type: SimpleType | str | type = str) -> Any:
        """The value of a single-valued simple property, converted (``None`` when absent/nil)."""
        els = self.get_property(name)
        if not els or is_nil(els[0]):
            return None
        return simple_type(type).parse(els[0].text or "")

    def get_properties(self, names: Sequence[str]) -> list[Element]:
        """The elements of several resource properties, in one call."""
        resolved = [self.resolve(n) for n in names]
        reply = self.call("GetMultipleResourceProperties", self.messages.get_multiple(resolved))
        return self.messages.elements(reply)

    def query(
        self, expression: str, namespaces: Mapping[str, str] | None = None
    ) -> list[Element] | str:
        """Evaluate an XPath 1.0 expression against the resource property document."""
        reply = self.call("QueryResourceProperties", self.messages.query(expression, namespaces))
        return self.messages.query_result(reply)

    def set_properties(
        self,
        *,
        insert: Iterable[Element] = (),
        update: Iterable[Element] = (),
        delete: Iterable[str] = (),
    ) -> None:
        """One SetResourceProperties request: Insert, then Update, then Delete components."""
        self.call(
            "SetResourceProperties",
            self.messages.set_properties(insert, update, [self.resolve(n) for n in delete]),
        )

    def update_property(self, name: str, *values: Value) -> None:
        """Replace all values of a property."""
        tag = self.resolve(name)
        self.set_properties(update=[property_element(tag, v) for v in values])

    def insert_property(self, name: str, *values: Value) -> None:
        """Add values to a property."""
        tag = self.resolve(name)
        self.set_properties(insert=[property_element(tag, v) for v in values])

    def delete_property(self, name: str) -> None:
        """Remove all values of a property."""
        self.set_properties(delete=[name])

    def destroy(self) -> None:
        """Destroy the resource now."""
        self.call("Destroy", self.messages.destroy())

    def set_termination_time(
        self, when: datetime | timedelta | None
    ) -> tuple[datetime | None, datetime]:
        """Schedule destruction (``None``: never).

        Returns the new termination time and the resource's current time.
        """
        reply = self.call("SetTerminationTime", self.messages.set_termination_time(when))
        return self.messages.termination_reply(reply)


class AsyncWsrfClient(_Base):
    """The WS-RF operations as coroutines, for use inside Twisted programs."""

    def __init__(
        self,
        epr: EndpointReference | str,
        *,
        dialect: str | WsrfDialect | None = None,
        soap: str | SoapVersion = SOAP11,
        agent: Any = None,
    ) -> None:
        super().__init__(epr, dialect)
        self.soap = AsyncSoapClient(self.epr, soap=soap, agent=agent)

    def call(self, op: str, body: Element) -> Awaitable[Element]:
        return self.soap.call(self.messages.action(op), body)

    async def get_property(self, name: str) -> list[Element]:
        if not name.startswith("{"):
            name = self._resolve_from(await self.document(), name)
        reply = await self.call("GetResourceProperty", self.messages.get_property(name))
        return self.messages.elements(reply)

    async def document(self) -> Element:
        if self.dialect.name == "gt4":
            result = await self.query("/*")
            if not isinstance(result, list) or not result:
                raise InvalidResourcePropertyQNameFault(
                    "the resource returned no property document"
                )
            return result[0]
        reply = await self.call("GetResourcePropertyDocument", self.messages.get_document())
        return self.messages.document(reply)

    async def query(
        self, expression: str, namespaces: Mapping[str, str] | None = None
    ) -> list[Element] | str:
        reply = await self.call(
            "QueryResourceProperties", self.messages.query(expression, namespaces)
        )
        return self.messages.query_result(reply)

    async def set_properties(
        self,
        *,
        insert: Iterable[Element] = (),
        update: Iterable[Element] = (),
        delete: Iterable[str] = (),
    ) -> None:
        await self.call(
            "SetResourceProperties", self.messages.set_properties(insert, update, delete)
        )

    async def destroy(self) -> None:
        await self.call("Destroy", self.messages.destroy())

    async def set_termination_time(
        self, when: datetime | timedelta | None
    ) -> tuple[datetime | None, datetime]:
        reply = await self.call("SetTerminationTime", self.messages.set_termination_time(when))
        return self.messages.termination_reply(reply)


__all__ = [
    "AsyncWsrfClient",
    "WsrfClient",
    "property_element",
    "resource_epr",
]
