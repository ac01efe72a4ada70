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

from gridware.codegen.runtime import (
    SimpleTypeError,
    format_datetime,
    parse_datetime,
    parse_duration,
)
from gridware.container import faults, ns
from gridware.container.dialects import WSRF_1_2, WsrfDialect
from gridware.container.resource import Resource, ResourceHome, ResourceProperty, utcnow
from gridware.container.xml import Element, XMLError, is_nil, qname, resolve_qname_text

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
    """The WS-RF operations for the resources of one home, in one dialect set."""

    def __init__(self, home: ResourceHome[Any], dialect: WsrfDialect, lifetime: bool) -> None:
        self.home = home
        self.dialect = dialect
        self.lifetime = lifetime
        self.table = PropertyTable(home.resource_class, dialect, lifetime)
        self._templates: dict[str, Element] = {}  # empty response elements, copied per reply
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

    def _response(self, op: str) -> Element:
        template = self._templates.get(op)
        if template is None:
            if op in ("Destroy", "SetTerminationTime"):
                tag, nsmap = self.dialect.rl_tag(op + "Response"), {"wsrl": self.dialect.rl}
            else:
                tag, nsmap = self.dialect.rp_tag(op + "Response"), {"wsrp": self.dialect.rp}
            template = self._templates[op] = etree.Element(tag, nsmap=nsmap)
        return copy.copy(template)

    # -- WS-ResourceProperties --------------------------------------------------------
    def get_document(self, resource: Resource, body: Element) -> Element:
        out = self._response("GetResourcePropertyDocument")
        out.append(self.table.document(resource))
        return out

    def _property_qname(self, text: str, context: Element) -> str:
        try:
            return resolve_qname_text(text, context)
        except XMLError as exc:
            raise faults.InvalidResourcePropertyQNameFault(str(exc)) from None

    def get_property(self, resource: Resource, body: Element) -> Element:
        tag = self._property_qname(body.text or "", body)
        out = self._response("GetResourceProperty")
        out.extend(self.table.lookup(tag).elements(resource))
        return out

    def get_multiple(self, resource: Resource, body: Element) -> Element:
        out = self._response("GetMultipleResourceProperties")
        names = [c for c in body if isinstance(c.tag, str)]
        if not names:
            raise faults.InvalidResourcePropertyQNameFault(
                "no ResourceProperty names in the request"
            )
        for child in names:
            if child.tag != self.dialect.rp_tag("ResourceProperty"):
                raise faults.SenderFault(
                    f"unexpected <{etree.QName(child).localname}> in GetMultipleResourceProperties"
                )
            tag = self._property_qname(child.text or "", child)
            out.extend(self.table.lookup(tag).elements(resource))
        return out

    def query(self, resource: Resource, body: Element) -> Element:
        expr_el = body.find(self.dialect.rp_tag("QueryExpression"))
        if expr_el is None:
            raise faults.InvalidQueryExpressionFault("the request has no QueryExpression")
        dialect = (expr_el.get("Dialect") or "").strip()
        if dialect != XPATH_DIALECT:
            raise faults.UnknownQueryExpressionDialectFault(
                f"query dialect {dialect!r} is not supported; use {XPATH_DIALECT}"
            )
        if len(expr_el):
            raise faults.InvalidQueryExpressionFault(
                "an XPath query expression is text, not elements"
            )
        expression = (expr_el.text or "").strip()
        if not expression:
            raise faults.InvalidQueryExpressionFault("empty XPath expression")
        namespaces = tuple(sorted((p, u) for p, u in expr_el.nsmap.items() if p))
        xpath = _compile_xpath(expression, namespaces)
        doc = etree.ElementTree(self.table.document(resource))
        try:
            result = xpath(doc)
        except etree.XPathError as exc:
            raise faults.QueryEvaluationErrorFault(
                f"cannot evaluate {expression!r}: {exc}"
            ) from None
        out = self._response("QueryResourceProperties")
        _append_xpath_result(out, result)
        return out

    def set_properties(self, resource: Resource, body: Element) -> Element:
        components = [c for c in body if isinstance(c.tag, str)]
        if not components and self.dialect is WSRF_1_2:
            raise faults.InvalidModificationFault(
                "SetResourceProperties needs Insert, Update or Delete"
            )
        self._apply(resource, components, faults.SetResourcePropertyRequestFailedFault)
        return self._response("SetResourceProperties")

    def _single(
        self, op: str, component: str, failed: type[faults.Fault]
    ) -> Callable[..., Element]:
        def handler(resource: Resource, body: Element) -> Element:
            parts = [c for c in body if isinstance(c.tag, str)]
            if len(parts) != 1 or parts[0].tag != self.dialect.rp_tag(component):
                raise faults.InvalidModificationFault(f"{op} takes exactly one {component} element")
            self._apply(resource, parts, failed)
            return self._response(op)

        return handler

    def insert_properties(self, resource: Resource, body: Element) -> Element:
        return self._single(
            "InsertResourceProperties", "Insert", faults.InsertResourcePropertiesRequestFailedFault
        )(resource, body)

    def update_properties(self, resource: Resource, body: Element) -> Element:
        return self._single(
            "UpdateResourceProperties", "Update", faults.UpdateResourcePropertiesRequestFailedFault
        )(resource, body)

    def delete_properties(self, resource: Resource, body: Element) -> Element:
        return self._single(
            "DeleteResourceProperties", "Delete", faults.DeleteResourcePropertiesRequestFailedFault
        )(resource, body)

    def _apply(
        self, resource: Resource, components: list[Element], failed: type[faults.Fault]
    ) -> None:
        """Apply Insert/Update/Delete components in order, all or nothing."""
        saved: dict[str, list[Any]] = {}
        try:
            for comp in components:
                kind = comp.tag
                if kind == self.dialect.rp_tag("Delete"):
                    raw = comp.get("ResourceProperty")
                    if raw is None:
                        raise faults.InvalidModificationFault(
                            "Delete needs a ResourceProperty attribute"
                        )
                    prop = self._modifiable(self._property_qname(raw, comp))
                    saved.setdefault(prop.tag, prop.values(resource))
                    self._assign(prop, resource, [])
                    continue
                if kind not in (self.dialect.rp_tag("Insert"), self.dialect.rp_tag("Update")):
                    raise faults.InvalidModificationFault(
                        f"unexpected <{etree.QName(comp).localname}>: use Insert, Update or Delete"
                    )
                values = [c for c in comp if isinstance(c.tag, str)]
                if not values:
                    raise faults.InvalidModificationFault(
                        f"{etree.QName(comp).localname} holds no resource property elements"
                    )
                tags = {v.tag for v in values}
                if kind == self.dialect.rp_tag("Update") and len(tags) > 1:
                    raise faults.InvalidModificationFault(
                        "all elements of one Update must be the same resource property"
                    )
                for tag in dict.fromkeys(v.tag for v in values):
                    prop = self._modifiable(tag)
                    new = [self._value(prop, v) for v in values if v.tag == tag]
                    old = prop.values(resource)
                    saved.setdefault(prop.tag, old)
                    self._assign(prop, resource, old + new if kind.endswith("}Insert") else new)
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
        self.home.destroy(resource.key)
        return self._response("Destroy")

    def set_termination_time(self, resource: Resource, body: Element) -> Element:
        requested = body.find(self.dialect.rl_tag("RequestedTerminationTime"))
        duration = body.find(self.dialect.rl_tag("RequestedLifetimeDuration"))
        if (requested is None) == (duration is None):
            raise faults.UnableToSetTerminationTimeFault(
                "give exactly one of RequestedTerminationTime and RequestedLifetimeDuration"
            )
        now = utcnow()
        when: datetime | None
        try:
            if requested is not None:
                when = None if is_nil(requested) else parse_datetime(requested.text or "")
            else:
                assert duration is not None
                when = parse_duration(duration.text or "").after(now)
        except (SimpleTypeError, OverflowError, ValueError) as exc:
            raise faults.UnableToSetTerminationTimeFault(str(exc)) from None
        self.home.set_termination_time(resource, when)
        self.home.save(resource)
        out = self._response("SetTerminationTime")
        new = etree.SubElement(out, self.dialect.rl_tag("NewTerminationTime"))
        if when is None:
            new.set(_NIL, "true")
        else:
            new.text = format_datetime(when)
        etree.SubElement(out, self.dialect.rl_tag("CurrentTime")).text = format_datetime(now)
        return out


@lru_cache(maxsize=256)
def _compile_xpath(expression: str, namespaces: tuple[tuple[str, str], ...]) -> etree.XPath:
    try:
        return etree.XPath(
            expression, namespaces=dict(namespaces), regexp=False, smart_strings=False
        )
    except etree.XPathSyntaxError as exc:
        raise faults.InvalidQueryExpressionFault(f"invalid XPath {expression!r}: {exc}") from None


def _append_xpath_result(out: Element, result: Any) -> None:
    if isinstance(result, list):
        texts = []
        for item in result:
            if isinstance(item, etree._Element):
                if isinstance(item.tag, str):
                    out.append(copy.deepcopy(item))
                else:
                    texts.append(item.text or "")
            else:
                texts.append(str(item))
        if texts:
            out.text = " ".join(texts) if not len(out) else None
            if len(out):
                out[-1].tail = " ".join(texts)
        return
    if isinstance(result, bool):
        out.text = "true" if result else "false"
    elif isinstance(result, float):
        if math.isnan(result):
            out.text = "NaN"
        elif math.isinf(result):
            out.text = "Infinity" if result > 0 else "-Infinity"
        elif result.is_integer():
            out.text = str(int(result))
        else:
            out.text = repr(result)
    else:
        out.text = str(result)
