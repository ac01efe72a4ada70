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

from gridware.codegen.runtime import SimpleType, format_datetime, parse_datetime, simple_type
from gridware.container import ns
from gridware.container.addressing import EndpointReference
from gridware.container.client import AsyncSoapClient, HttpTransport, SoapClient
from gridware.container.dialects import WsrfDialect, dialect_for_addressing, wsrf_dialect
from gridware.container.faults import InvalidResourcePropertyQNameFault
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
    """Builds WS-RF requests and reads replies; shared by the sync and async clients."""

    def __init__(self, dialect: WsrfDialect) -> None:
        self.d = dialect

    def action(self, op: str) -> str:
        return self.d.actions[op]

    def _rp(self, local: str, text: str | None = None) -> Element:
        el = etree.Element(self.d.rp_tag(local), nsmap={"wsrp": self.d.rp})
        el.text = text
        return el

    def _qname_element(self, local: str, clark: str) -> Element:
        uri, name = split_qname(clark)
        nsmap = {"wsrp": self.d.rp}
        if uri:
            nsmap["p"] = uri
        el = etree.Element(self.d.rp_tag(local), nsmap=nsmap)
        el.text = f"p:{name}" if uri else name
        return el

    def get_property(self, clark: str) -> Element:
        return self._qname_element("GetResourceProperty", clark)

    def get_multiple(self, names: Sequence[str]) -> Element:
        el = self._rp("GetMultipleResourceProperties")
        for i, clark in enumerate(names):
            uri, name = split_qname(clark)
            nsmap = {f"p{i}": uri} if uri else None
            child = etree.SubElement(el, self.d.rp_tag("ResourceProperty"), nsmap=nsmap)
            child.text = f"p{i}:{name}" if uri else name
        return el

    def get_document(self) -> Element:
        return self._rp("GetResourcePropertyDocument")

    def query(self, expression: str, namespaces: Mapping[str, str] | None) -> Element:
        el = self._rp("QueryResourceProperties")
        nsmap = {p: u for p, u in (namespaces or {}).items() if p}
        q = etree.SubElement(el, self.d.rp_tag("QueryExpression"), nsmap=nsmap or None)
        q.set("Dialect", ns.XPATH_DIALECT)
        q.text = expression
        return el

    def set_properties(
        self,
        insert: Iterable[Element] = (),
        update: Iterable[Element] = (),
        delete: Iterable[str] = (),
        *,
        op: str = "SetResourceProperties",
    ) -> Element:
        el = self._rp(op)
        ins = list(insert)
        if ins:
            etree.SubElement(el, self.d.rp_tag("Insert")).extend(ins)
        upd = list(update)
        if upd:
            etree.SubElement(el, self.d.rp_tag("Update")).extend(upd)
        for i, clark in enumerate(delete):
            uri, name = split_qname(clark)
            nsmap = {f"d{i}": uri} if uri else None
            d = etree.SubElement(el, self.d.rp_tag("Delete"), nsmap=nsmap)
            d.set("ResourceProperty", f"d{i}:{name}" if uri else name)
        return el

    def destroy(self) -> Element:
        return etree.Element(self.d.rl_tag("Destroy"))

    def set_termination_time(self, when: datetime | timedelta | None) -> Element:
        el = etree.Element(self.d.rl_tag("SetTerminationTime"), nsmap={"wsrl": self.d.rl})
        if isinstance(when, timedelta):
            when = datetime.now(UTC) + when
        child = etree.SubElement(el, self.d.rl_tag("RequestedTerminationTime"))
        if when is None:
            child.set(_NIL, "true")
        else:
            child.text = format_datetime(when)
        return el

    def termination_reply(self, reply: Element) -> tuple[datetime | None, datetime]:
        new = reply.find(self.d.rl_tag("NewTerminationTime"))
        cur = reply.find(self.d.rl_tag("CurrentTime"))
        new_t = None if new is None or is_nil(new) else parse_datetime(new.text or "")
        cur_t = parse_datetime(cur.text or "") if cur is not None else datetime.now(UTC)
        return new_t, cur_t


def _children(el: Element) -> list[Element]:
    return [c for c in el if isinstance(c.tag, str)]


def query_result(reply: Element) -> list[Element] | str:
    """The elements a query returned, or its text for a string/number/boolean result."""
    kids = _children(reply)
    if kids:
        return kids
    return (reply.text or "").strip()


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
            reply = self.call("QueryResourceProperties", self.messages.query("/*", None))
            kids = _children(reply)
            if not kids:
                raise InvalidResourcePropertyQNameFault(
                    "the resource returned no property document"
                )
            return kids[0]
        reply = self.call("GetResourcePropertyDocument", self.messages.get_document())
        kids = _children(reply)
        if not kids:
            raise InvalidResourcePropertyQNameFault("the resource returned no property document")
        return kids[0]

    def resolve(self, name: str) -> str:
        """A property QName from ``{ns}local`` or a bare local name (looked up in the document)."""
        if name.startswith("{"):
            return name
        return self._resolve_from(self.document(), name)

    def get_property(self, name: str) -> list[Element]:
        """The elements of one resource property."""
        return _children(
            self.call("GetResourceProperty", self.messages.get_property(self.resolve(name)))
        )

    def get_value(self, name: str, type: SimpleType | str | type = str) -> Any:
        """The value of a single-valued simple property, converted (``None`` when absent/nil)."""
        els = self.get_property(name)
        if not els or is_nil(els[0]):
            return None
        return simple_type(type).parse(els[0].text or "")

    def get_properties(self, names: Sequence[str]) -> list[Element]:
        """The elements of several resource properties, in one call."""
        resolved = [self.resolve(n) for n in names]
        return _children(
            self.call("GetMultipleResourceProperties", self.messages.get_multiple(resolved))
        )

    def query(
        self, expression: str, namespaces: Mapping[str, str] | None = None
    ) -> list[Element] | str:
        """Evaluate an XPath 1.0 expression against the resource property document."""
        return query_result(
            self.call("QueryResourceProperties", self.messages.query(expression, namespaces))
        )

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
        return _children(await self.call("GetResourceProperty", self.messages.get_property(name)))

    async def document(self) -> Element:
        if self.dialect.name == "gt4":
            reply = await self.call("QueryResourceProperties", self.messages.query("/*", None))
        else:
            reply = await self.call("GetResourcePropertyDocument", self.messages.get_document())
        kids = _children(reply)
        if not kids:
            raise InvalidResourcePropertyQNameFault("the resource returned no property document")
        return kids[0]

    async def query(
        self, expression: str, namespaces: Mapping[str, str] | None = None
    ) -> list[Element] | str:
        return query_result(
            await self.call("QueryResourceProperties", self.messages.query(expression, namespaces))
        )

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
    "query_result",
    "resource_epr",
]
