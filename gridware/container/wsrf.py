"""The WS-RF operations every resource type gets from the container.

WS-ResourceProperties (Get, GetMultiple, GetDocument, Query with XPath 1.0,
Set with Insert/Update/Delete and the single-component variants) and
WS-ResourceLifetime (Destroy, SetTerminationTime) are implemented once here,
from the :class:`~gridware.container.resource.ResourceProperty` declarations,
for both dialect sets.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from lxml import etree

from gridware.codegen.runtime import SimpleTypeError
from gridware.codegen.runtime.model import NIL, BindingError
from gridware.container import faults, ns
from gridware.container.dialects import WSRF_1_2, WsrfDialect
from gridware.container.generated.wsrf12 import types as wsrf12
from gridware.container.generated.wsrf_gt4 import types as wsrf_gt4
from gridware.container.resource import Resource, ResourceHome, ResourceProperty, utcnow
from gridware.container.xml import Element, qname

#: WS-ResourceProperties query dialect for XPath 1.0.
XPATH_DIALECT = ns.XPATH_DIALECT

_NIL = qname(ns.XSI, "nil")

# Faults that SetResourceProperties reports as they are; anything else is "request failed".
_SPECIFIC_SET_FAULTS = (
    faults.InvalidResourcePropertyQNameFault,
    faults.UnableToModifyResourcePropertyFault,
    faults.InvalidModificationFault,
)


def lifetime_properties(dialect: WsrfDialect) -> list[ResourceProperty]:
    """The CurrentTime and TerminationTime properties of WS-ResourceLifetime."""
    current = ResourceProperty(dialect.rl_tag("CurrentTime"), "dateTime", getter=lambda r: utcnow())
    termination = ResourceProperty(
        dialect.rl_tag("TerminationTime"),
        "dateTime",
        nillable=True,
        getter=lambda r: r.termination_time,
    )
    return [current, termination]


class PropertyTable:
    """The resource properties of one resource type as seen in one dialect set."""

    def __init__(
        self, resource_class: type[Resource], dialect: WsrfDialect, lifetime: bool
    ) -> None:
        self.resource_class = resource_class
        self.dialect = dialect
        props = list(resource_class.properties.values())
        if lifetime:
            props.extend(lifetime_properties(dialect))
        self.by_tag: dict[str, ResourceProperty] = {p.tag: p for p in props}
        self.root_tag = resource_class.document_tag()
        nsmap: dict[str, str] = {"tns": resource_class.namespace}
        if lifetime:
            nsmap["wsrl"] = dialect.rl
        self.nsmap = nsmap

    def lookup(self, tag: str) -> ResourceProperty:
        prop = self.by_tag.get(tag)
        if prop is None:
            raise faults.InvalidResourcePropertyQNameFault(
                f"{tag} is not a resource property of {self.resource_class.__name__}"
            )
        return prop

    def document(self, resource: Resource) -> Element:
        root = etree.Element(self.root_tag, nsmap=self.nsmap)
        for prop in self.by_tag.values():
            root.extend(prop.elements(resource))
        return root


class WsrfOperations:
    """The WS-RF operations for the resources of one home, in one dialect set.

    Requests are read and replies written with the message types wsdl2py
    generated from the dialect's standard WSDLs (:mod:`gridware.container.generated`).
    """

    def __init__(self, home: ResourceHome[Any], dialect: WsrfDialect, lifetime: bool) -> None:
        self.home = home
        self.dialect = dialect
        self.lifetime = lifetime
        self.table = PropertyTable(home.resource_class, dialect, lifetime)
        self.m: Any = wsrf12 if dialect is WSRF_1_2 else wsrf_gt4
        self.handlers: dict[str, Callable[[Resource, Element], Element]] = {
            "GetResourcePropertyDocument": self.get_document,
            "GetResourceProperty": self.get_property,
            "GetMultipleResourceProperties": self.get_multiple,
            "QueryResourceProperties": self.query,
            "SetResourceProperties": self.set_properties,
        }
        if dialect is WSRF_1_2:
            self.handlers.update(
                InsertResourceProperties=self.insert_properties,
                UpdateResourceProperties=self.update_properties,
                DeleteResourceProperties=self.delete_properties,
            )
        if lifetime:
            self.handlers.update(Destroy=self.destroy, SetTerminationTime=self.set_termination_time)

    def _read(self, body: Element, invalid: type[faults.Fault]) -> Any:
        """The request message as its generated type; ``invalid`` is the fault if it is not."""
        binding = self.m.ELEMENTS.get(body.tag)
        if binding is None:  # pragma: no cover - dispatch guarantees a known element
            raise faults.SenderFault(f"no WS-RF message <{etree.QName(body).localname}>")
        try:
            return binding.read(body)
        except BindingError as exc:
            raise invalid(str(exc)) from None

    def _write(self, value: Any) -> Element:
        el: Element = value.to_element()
        return el

    # -- WS-ResourceProperties --------------------------------------------------------
    def get_document(self, resource: Resource, body: Element) -> Element:
        document = self.table.document(resource)
        if self.dialect is WSRF_1_2:
            return self._write(self.m.GetResourcePropertyDocumentResponse(any=document))
        # the drafts have no GetResourcePropertyDocument: gridware answers it in their namespace
        out = etree.Element(self.dialect.rp_tag("GetResourcePropertyDocumentResponse"))
        out.append(document)
        return out

    def get_property(self, resource: Resource, body: Element) -> Element:
        tag = self._read(body, faults.InvalidResourcePropertyQNameFault)
        elements = self.table.lookup(tag).elements(resource)
        return self._write(self.m.GetResourcePropertyResponse(any=elements))

    def get_multiple(self, resource: Resource, body: Element) -> Element:
        request = self._read(body, faults.InvalidResourcePropertyQNameFault)
        if not request.resource_property:
            raise faults.InvalidResourcePropertyQNameFault(
                "no ResourceProperty names in the request"
            )
        elements: list[Element] = []
        for tag in request.resource_property:
            elements.extend(self.table.lookup(tag).elements(resource))
        return self._write(self.m.GetMultipleResourcePropertiesResponse(any=elements))

    def query(self, resource: Resource, body: Element) -> Element:
        request = self._read(body, faults.InvalidQueryExpressionFault)
        expression_type = request.query_expression
        dialect = (expression_type.dialect or "").strip()
        if dialect != XPATH_DIALECT:
            raise faults.UnknownQueryExpressionDialectFault(
                f"query dialect {dialect!r} is not supported; use {XPATH_DIALECT}"
            )
        if any(not isinstance(item, str) for item in expression_type.content):
            raise faults.InvalidQueryExpressionFault(
                "an XPath query expression is text, not elements"
            )
        expression = "".join(expression_type.content).strip()
        if not expression:
            raise faults.InvalidQueryExpressionFault("empty XPath expression")
        # the expression's prefixes are those in scope where it was written
        expr_el = body.find(self.dialect.rp_tag("QueryExpression"))
        scope = expr_el.nsmap if expr_el is not None else {}
        namespaces = tuple(sorted((p, u) for p, u in scope.items() if p))
        xpath = _compile_xpath(expression, namespaces)
        doc = etree.ElementTree(self.table.document(resource))
        try:
            result = xpath(doc)
        except etree.XPathError as exc:
            raise faults.QueryEvaluationErrorFault(
                f"cannot evaluate {expression!r}: {exc}"
            ) from None
        return self._write(self.m.QueryResourcePropertiesResponse(content=_xpath_content(result)))

    def set_properties(self, resource: Resource, body: Element) -> Element:
        request = self._read(body, faults.InvalidModificationFault)
        if not request.items and self.dialect is WSRF_1_2:
            raise faults.InvalidModificationFault(
                "SetResourceProperties needs Insert, Update or Delete"
            )
        self._apply(resource, request.items, faults.SetResourcePropertyRequestFailedFault)
        return self._write(self.m.SetResourcePropertiesResponse())

    def insert_properties(self, resource: Resource, body: Element) -> Element:
        request = self._read(body, faults.InvalidModificationFault)
        self._apply(resource, [request.insert], faults.InsertResourcePropertiesRequestFailedFault)
        return self._write(self.m.InsertResourcePropertiesResponse())

    def update_properties(self, resource: Resource, body: Element) -> Element:
        request = self._read(body, faults.InvalidModificationFault)
        self._apply(resource, [request.update], faults.UpdateResourcePropertiesRequestFailedFault)
        return self._write(self.m.UpdateResourcePropertiesResponse())

    def delete_properties(self, resource: Resource, body: Element) -> Element:
        request = self._read(body, faults.InvalidModificationFault)
        self._apply(resource, [request.delete], faults.DeleteResourcePropertiesRequestFailedFault)
        return self._write(self.m.DeleteResourcePropertiesResponse())

    def _apply(self, resource: Resource, components: list[Any], failed: type[faults.Fault]) -> None:
        """Apply Insert/Update/Delete components in order, all or nothing."""
        saved: dict[str, list[Any]] = {}
        try:
            for comp in components:
                if isinstance(comp, self.m.DeleteType):
                    prop = self._modifiable(comp.resource_property)
                    saved.setdefault(prop.tag, prop.values(resource))
                    self._assign(prop, resource, [])
                    continue
                insert = isinstance(comp, self.m.InsertType)
                if not insert and not isinstance(comp, self.m.UpdateType):
                    raise faults.InvalidModificationFault("use Insert, Update or Delete")
                values = comp.any
                if not values:
                    kind = "Insert" if insert else "Update"
                    raise faults.InvalidModificationFault(
                        f"{kind} holds no resource property elements"
                    )
                if not insert and len({v.tag for v in values}) > 1:
                    raise faults.InvalidModificationFault(
                        "all elements of one Update must be the same resource property"
                    )
                for tag in dict.fromkeys(v.tag for v in values):
                    prop = self._modifiable(tag)
                    new = [self._value(prop, v) for v in values if v.tag == tag]
                    old = prop.values(resource)
                    saved.setdefault(prop.tag, old)
                    self._assign(prop, resource, old + new if insert else new)
        except faults.Fault as exc:
            self._restore(resource, saved)
            if isinstance(exc, _SPECIFIC_SET_FAULTS):
                raise
            raise failed(exc.description) from None
        self.home.save(resource)

    def _modifiable(self, tag: str) -> ResourceProperty:
        prop = self.table.lookup(tag)
        if not prop.modifiable:
            raise faults.UnableToModifyResourcePropertyFault(
                f"resource property {tag} is read-only"
            )
        return prop

    def _value(self, prop: ResourceProperty, el: Element) -> Any:
        try:
            return prop.from_element(el)
        except SimpleTypeError as exc:
            raise faults.InvalidModificationFault(f"{prop.tag}: {exc}") from None

    def _assign(self, prop: ResourceProperty, resource: Resource, values: list[Any]) -> None:
        try:
            prop.assign(resource, values)
        except SimpleTypeError as exc:
            raise faults.InvalidModificationFault(str(exc)) from None

    def _restore(self, resource: Resource, saved: dict[str, list[Any]]) -> None:
        for tag, values in saved.items():
            prop = self.table.by_tag[tag]
            if prop.many:
                prop.__set__(resource, values)
            else:
                prop.__set__(resource, values[0] if values else None)

    # -- WS-ResourceLifetime ----------------------------------------------------------
    def destroy(self, resource: Resource, body: Element) -> Element:
        self._read(body, faults.ResourceNotDestroyedFault)
        self.home.destroy(resource.key)
        return self._write(self.m.DestroyResponse())

    def set_termination_time(self, resource: Resource, body: Element) -> Element:
        request = self._read(body, faults.UnableToSetTerminationTimeFault)
        requested = request.requested_termination_time
        duration = getattr(request, "requested_lifetime_duration", None)
        now = utcnow()
        when: datetime | None
        if duration is not None:
            try:
                when = duration.after(now)
            except (OverflowError, ValueError) as exc:
                raise faults.UnableToSetTerminationTimeFault(str(exc)) from None
        elif requested is None and self.dialect is WSRF_1_2:
            raise faults.UnableToSetTerminationTimeFault(
                "give RequestedTerminationTime or RequestedLifetimeDuration"
            )
        else:
            when = None if requested is None or requested is NIL else requested
        self.home.set_termination_time(resource, when)
        self.home.save(resource)
        return self._write(
            self.m.SetTerminationTimeResponse(new_termination_time=when, current_time=now)
        )


@lru_cache(maxsize=256)
def _compile_xpath(expression: str, namespaces: tuple[tuple[str, str], ...]) -> etree.XPath:
    try:
        return etree.XPath(
            expression, namespaces=dict(namespaces), regexp=False, smart_strings=False
        )
    except etree.XPathSyntaxError as exc:
        raise faults.InvalidQueryExpressionFault(f"invalid XPath {expression!r}: {exc}") from None


def _xpath_content(result: Any) -> list[Any]:
    """The mixed content of a query response for an XPath result."""
    if isinstance(result, list):
        out: list[Any] = []
        texts: list[str] = []
        for item in result:
            if isinstance(item, etree._Element) and isinstance(item.tag, str):
                out.append(copy.deepcopy(item))
            elif isinstance(item, etree._Element):
                texts.append(item.text or "")
            else:
                texts.append(str(item))
        if texts:
            out.append(" ".join(texts))
        return out
    if isinstance(result, bool):
        return ["true" if result else "false"]
    if isinstance(result, float):
        if math.isnan(result):
            return ["NaN"]
        if math.isinf(result):
            return ["Infinity" if result > 0 else "-Infinity"]
        return [str(int(result)) if result.is_integer() else repr(result)]
    return [str(result)]
