"""The container's default index: an aggregating ServiceGroup (``DefaultIndexService``).

Every container deploys one at start (``[container] index = false`` turns it
off; a ``[[service]]`` of class ``DefaultIndexService`` or ``GT4DefaultIndexService``
replaces it, with its options and security descriptor).  Its entries are:

- one per deployed service, registered by the container itself at start: the
  entry's data is a ``gwi:Service`` element (name, dialect set, interfaces, WSDL,
  number of resources) and, for a singleton, its resource property document;
- one per resource of the services that set ``index_resources`` (the demo
  counters), registered when the resource is created and removed when it is
  destroyed: the data is the resource's property document;
- one per member added with ``Add``, anywhere: the Content follows the
  aggregator framework of Globus Toolkit 4 (namespace
  ``http://mds.globus.org/aggregator/types``)::

      <wssg:Content>
        <agg:AggregatorConfig>
          <agg:GetMultipleResourcePropertiesPollType>
            <agg:PollIntervalMillis>30000</agg:PollIntervalMillis>
            <agg:ResourcePropertyNames>c:Value</agg:ResourcePropertyNames>
          </agg:GetMultipleResourcePropertiesPollType>
        </agg:AggregatorConfig>
        <agg:AggregatorData/>
      </wssg:Content>

  with ``agg:GetResourcePropertyPollType`` (one ``ResourcePropertyName``),
  ``agg:QueryResourcePropertiesPollType`` (a ``QueryExpression`` with its
  ``Dialect``), ``gwi:GetResourcePropertyDocumentPollType`` (the whole
  document), or nothing to poll (the registrant's ``AggregatorData`` is kept as
  it is).  A bad configuration gets ``AddRefusedFault``.

Entries are refreshed from the members' resource properties: members in this
container are read directly, when the index is read; remote members are polled
at their interval by an asynchronous aggregator that never blocks requests.  A
remote member that does not answer is marked (``gwi:Status reachable="false"``)
and its entry dropped after ``drop_after`` failures in a row; a member that
answers ResourceUnknownFault has been destroyed and its entry goes at once.

Ask the index with QueryResourceProperties and XPath on its property document
(prefixes: ``wssg`` the dialect's ServiceGroup namespace, ``agg``, ``gwi``)::

    //wssg:Entry[wssg:Content/agg:AggregatorData/c:CounterResourceProperties/c:Value > 10]
    //gwi:Service/gwi:Name

Options (``[service.options]``): ``timeout`` (seconds a poll may take, 10),
``drop_after`` (failures in a row before a member is dropped, 3; 0 never),
``min_interval`` (shortest poll interval in seconds, 1), ``concurrency``
(polls in flight, 8), ``register_services`` and ``register_resources`` (true),
``max_entries``.
"""

from __future__ import annotations

import copy
import functools
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from lxml import etree
from twisted.internet import defer, task
from twisted.python.threadable import isInIOThread

from gridware.codegen.runtime.model import BindingError
from gridware.codegen.runtime.simpletypes import Duration
from gridware.container import faults, ns
from gridware.container.addressing import EndpointReference
from gridware.container.client import AsyncSoapClient
from gridware.container.dialects import GT4, WSRF_1_2, WsrfDialect, dialect_for_addressing
from gridware.container.generated.sg12 import server as sg12_server
from gridware.container.generated.sg12 import types as sg12_types
from gridware.container.generated.sg_gt4 import server as sggt4_server
from gridware.container.generated.sg_gt4 import types as sggt4_types
from gridware.container.generated.wsrf12 import types as wsrf12
from gridware.container.generated.wsrf_gt4 import types as wsrf_gt4
from gridware.container.log import event
from gridware.container.resource import Resource, ResourceHome, ResourceProperty, utcnow
from gridware.container.service import RequestContext, Service
from gridware.container.servicegroup import (
    AnyEntry,
    GT4ServiceGroupEntry,
    GT4ServiceGroupResource,
    MembershipRule,
    ServiceGroupEntry,
    ServiceGroupEntryLogic,
    ServiceGroupLogic,
    ServiceGroupResource,
    service_interfaces,
)
from gridware.container.xml import Element, XMLError, XMLLimits, parse_xml, qname

log = logging.getLogger("gridware.index")

#: The content types of Globus Toolkit 4's aggregator framework.
AGG = "http://mds.globus.org/aggregator/types"
#: gridware's own index elements (service descriptions, status, extra poll types).
GWI = "http://gridware.org/index"

_CONFIG = qname(AGG, "AggregatorConfig")
_DATA = qname(AGG, "AggregatorData")
_INTERVAL = qname(AGG, "PollIntervalMillis")
_CONTAINER = qname(GWI, "ContainerRegistration")
_POLL_TYPES = {
    qname(AGG, "GetResourcePropertyPollType"): "property",
    qname(AGG, "GetMultipleResourcePropertiesPollType"): "properties",
    qname(AGG, "QueryResourcePropertiesPollType"): "query",
    qname(GWI, "GetResourcePropertyDocumentPollType"): "document",
}
_POLL_TAGS = {kind: tag for tag, kind in _POLL_TYPES.items()}
_STORED_LIMITS = XMLLimits(64 * 2**20, 256)


def index_namespaces(dialect: WsrfDialect = WSRF_1_2) -> dict[str, str]:
    """The prefixes the index's documentation and command line use in XPath."""
    return {
        "wssg": dialect.sg,
        "agg": AGG,
        "gwi": GWI,
        "wsa": dialect.addressing.namespace,
    }


# -- aggregator configuration -------------------------------------------------------------------


@dataclass(frozen=True)
class PollSpec:
    """What the aggregator does for one entry.

    ``kind``: ``"document"``, ``"property"``, ``"properties"``, ``"query"`` (poll at
    ``interval`` seconds), ``"static"`` (keep the registrant's data) or
    ``"container"`` (registered by the container, read directly).
    """

    kind: str
    interval: float = 0.0
    names: tuple[str, ...] = ()
    query: str = ""
    namespaces: tuple[tuple[str, str], ...] = ()

    @property
    def polled(self) -> bool:
        return self.kind in _POLL_TAGS

    def element(self) -> Element:
        """The canonical ``agg:AggregatorConfig`` for this spec."""
        config = etree.Element(_CONFIG, nsmap={"agg": AGG, "gwi": GWI})
        if self.kind == "container":
            etree.SubElement(config, _CONTAINER)
            return config
        if not self.polled:
            return config
        nsmap: dict[str, str] = {}
        for i, name in enumerate(self.names):
            nsmap[f"n{i}"] = etree.QName(name).namespace or ""
        poll = etree.SubElement(config, _POLL_TAGS[self.kind], nsmap=nsmap or None)
        etree.SubElement(poll, _INTERVAL).text = str(round(self.interval * 1000))
        if self.kind in ("property", "properties"):
            child = "ResourcePropertyName" if self.kind == "property" else "ResourcePropertyNames"
            for i, name in enumerate(self.names):
                etree.SubElement(
                    poll, qname(AGG, child)
                ).text = f"n{i}:{etree.QName(name).localname}"
        elif self.kind == "query":
            q = etree.SubElement(
                poll,
                qname(AGG, "QueryExpression"),
                {"Dialect": ns.XPATH_DIALECT},
                nsmap=dict(self.namespaces) or None,
            )
            q.text = self.query
        return config


def parse_config(config: Element | None, min_interval: float = 0.0) -> PollSpec:
    """Read an ``agg:AggregatorConfig``; raises ``AddRefusedFault`` for what the
    aggregator cannot do."""
    if config is None:
        raise faults.AddRefusedFault("the Content has no agg:AggregatorConfig")
    children = list(config.iterchildren(etree.Element))
    if not children:
        return PollSpec("static")
    if len(children) > 1:
        raise faults.AddRefusedFault(
            "agg:AggregatorConfig holds more than one configuration: give one poll type"
        )
    poll = children[0]
    if poll.tag == _CONTAINER:
        return PollSpec("container")
    kind = _POLL_TYPES.get(poll.tag)
    if kind is None:
        known = ", ".join(sorted(etree.QName(t).localname for t in _POLL_TYPES))
        raise faults.AddRefusedFault(
            f"unsupported aggregator configuration {poll.tag}; this index polls with: {known}"
        )
    interval_el = poll.find(_INTERVAL)
    try:
        millis = int((interval_el.text or "").strip()) if interval_el is not None else None
    except ValueError:
        millis = None
    if millis is None or millis <= 0:
        raise faults.AddRefusedFault(
            f"{etree.QName(poll).localname} needs a positive agg:PollIntervalMillis"
        )
    interval = max(millis / 1000.0, min_interval)
    if kind in ("property", "properties"):
        child = "ResourcePropertyName" if kind == "property" else "ResourcePropertyNames"
        els = poll.findall(qname(AGG, child))
        if not els or (kind == "property" and len(els) > 1):
            raise faults.AddRefusedFault(
                f"{etree.QName(poll).localname} needs "
                + ("one" if kind == "property" else "at least one")
                + f" agg:{child}"
            )
        names = tuple(_qname_value(el) for el in els)
        return PollSpec(kind, interval, names=names)
    if kind == "query":
        q = poll.find(qname(AGG, "QueryExpression"))
        if q is None or not (q.text or "").strip() or len(q):
            raise faults.AddRefusedFault(
                "QueryResourcePropertiesPollType needs an agg:QueryExpression holding XPath"
            )
        dialect = (q.get("Dialect") or ns.XPATH_DIALECT).strip()
        if dialect != ns.XPATH_DIALECT:
            raise faults.AddRefusedFault(
                f"query dialect {dialect!r} is not supported; use {ns.XPATH_DIALECT}"
            )
        namespaces = tuple(sorted((p, u) for p, u in q.nsmap.items() if p))
        expression = (q.text or "").strip()
        try:
            etree.XPath(expression, namespaces=dict(namespaces))
        except etree.XPathSyntaxError as exc:
            raise faults.AddRefusedFault(f"invalid XPath {expression!r}: {exc}") from None
        return PollSpec(kind, interval, query=expression, namespaces=namespaces)
    return PollSpec(kind, interval)


def _qname_value(el: Element) -> str:
    text = (el.text or "").strip()
    prefix, sep, local = text.rpartition(":")
    uri = el.nsmap.get(prefix if sep else None)
    if not local or uri is None:
        raise faults.AddRefusedFault(
            f"{text!r} in agg:{etree.QName(el).localname} is not a QName with a declared prefix"
        )
    try:
        return etree.QName(uri, local).text
    except ValueError:
        raise faults.AddRefusedFault(f"{text!r} is not a QName") from None


def aggregator_content(
    dialect: WsrfDialect,
    *,
    interval: float | None = None,
    properties: tuple[str, ...] = (),
    query: str | None = None,
    namespaces: Mapping[str, str] | None = None,
    data: list[Element] | None = None,
) -> Element:
    """A ``Content`` element for Add: poll the member's document every ``interval``
    seconds, or the named ``properties``, or a ``query``; with no interval, a
    static registration carrying ``data``."""
    if interval is None:
        spec = PollSpec("static")
    elif query is not None:
        spec = PollSpec(
            "query", interval, query=query, namespaces=tuple((namespaces or {}).items())
        )
    elif properties:
        spec = PollSpec("property" if len(properties) == 1 else "properties", interval, properties)
    else:
        spec = PollSpec("document", interval)
    content = etree.Element(dialect.sg_tag("Content"), nsmap={"wssg": dialect.sg, "agg": AGG})
    content.append(spec.element())
    agg_data = etree.SubElement(content, _DATA)
    for el in data or []:
        agg_data.append(copy.deepcopy(el))
    return content


# -- resources and services -------------------------------------------------------------------


def _computed(resource: Resource) -> None:
    return None  # the index computes an entry's Content (see IndexLogic.entry_content)


class IndexEntry(ServiceGroupEntry):
    """An entry of the WSRF 1.2 default index: its aggregator configuration and the
    data last aggregated, kept as XML text so they persist; Content is computed."""

    content = ResourceProperty(qname(ns.WSRF_SG, "Content"), None, min_occurs=0, getter=_computed)
    persistent_attributes: ClassVar[tuple[str, ...]] = ("config_xml", "data_xml")
    config_xml: str = ""
    data_xml: str = ""


class GT4IndexEntry(GT4ServiceGroupEntry):
    """An entry of the GT4 default index."""

    content = ResourceProperty(qname(ns.GT4_SG, "Content"), None, getter=_computed)
    persistent_attributes: ClassVar[tuple[str, ...]] = ("config_xml", "data_xml")
    config_xml: str = ""
    data_xml: str = ""


class IndexEntryService(ServiceGroupEntryLogic, sg12_server.ServiceGroupEntryService):
    """The entries of the WSRF 1.2 default index."""

    resource_class = IndexEntry


class GT4IndexEntryService(ServiceGroupEntryLogic, sggt4_server.ServiceGroupEntryService):
    """The entries of the GT4 default index."""

    resource_class = GT4IndexEntry


@dataclass
class _Poll:
    """The aggregator's state for one remote member."""

    spec: PollSpec
    due: float = 0.0  # time.monotonic() of the next poll
    in_flight: bool = False
    failures: int = 0
    error: str | None = None
    reachable: bool | None = None
    refreshed: datetime | None = None
    pending: defer.Deferred[Any] | None = field(default=None, repr=False)
    dialect: WsrfDialect | None = None  # set when the member's EPR version misled us
    again: bool = False  # poll again at once (after switching dialect sets)


class IndexLogic(ServiceGroupLogic):
    """The default index, in either dialect set (see the module documentation)."""

    default_name: ClassVar[str] = "DefaultIndexService"

    def __init__(
        self,
        name: str | None = None,
        *,
        dialect: str | WsrfDialect | None = None,
        options: Mapping[str, Any] | None = None,
        home: ResourceHome[Any] | None = None,
    ) -> None:
        super().__init__(name or self.default_name, dialect=dialect, options=options, home=home)
        opts = self.options
        self.poll_timeout = _positive(opts, "timeout", 10.0)
        self.drop_after = _count(opts, "drop_after", 3)
        self.min_interval = _positive(opts, "min_interval", 1.0)
        self.concurrency = max(1, _count(opts, "concurrency", 8))
        self.register_services = _flag(opts, "register_services", True)
        self.register_resources = _flag(opts, "register_resources", True)
        self._polls: dict[str, _Poll] = {}
        self._in_flight = 0
        self._registered: dict[tuple[str, str | None], str] = {}  # container registrations
        self._hooked: set[str] = set()
        self._parsed: dict[str, tuple[str, Element]] = {}  # entry key -> (xml, element)
        self._specs: dict[str, tuple[str, PollSpec]] = {}
        self._locality: dict[str, tuple[str, str | None] | None] = {}
        self._infos: dict[str, tuple[Service, int | None, Element]] = {}
        self._ticker: task.LoopingCall | None = None
        self._agent: Any = None
        self._registering = False  # the container's own index, registering its services
        self._reconciled = False
        assert self.entries.wsrf is not None
        tag = self.dialect.sg_tag("Content")
        self.entries.wsrf.table.by_tag[tag] = ResourceProperty(
            tag, None, min_occurs=0, getter=self.entry_content
        )

    def default_rules(self) -> list[MembershipRule]:
        return [MembershipRule((_CONFIG, _DATA))]

    # -- lifecycle ---------------------------------------------------------------------------
    def deployed(self, container: Any) -> None:
        super().deployed(container)
        if container.index is None:
            container.index = self

    def startup(self) -> None:
        """Start the aggregator (every index polls its remote members)."""
        assert self.container is not None
        tick = min(1.0, self.min_interval)
        self._ticker = task.LoopingCall(self._tick)
        self._ticker.clock = self.container.reactor
        self._ticker.start(tick, now=False)
        # once every service of the container has its final URL
        self.container.reactor.callLater(0, self._reconcile)

    def container_started(self) -> None:
        """This is the container's index and the container listens: register its services."""
        self._reconcile()
        self._registering = True
        assert self.container is not None
        for service in list(self.container.services.values()):
            self.service_started(service)
        event(
            log,
            "gridware.index.start",
            service=self.name,
            entries=len(self.live_entries()),
            polled=len(self._polls),
        )

    def shutdown(self) -> None:
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        self._ticker = None
        for poll in self._polls.values():
            if poll.pending is not None:
                poll.pending.cancel()

    def service_started(self, service: Service) -> None:
        """Register a service that runs in this container (and watch its resources)."""
        if not self._registering or service is self or isinstance(service, ServiceGroupEntryLogic):
            return
        home = service.home
        if home is not None and service.name not in self._hooked:
            self._hooked.add(service.name)
            home.on_destroy.append(functools.partial(self._member_destroyed, service.name))
            if service.index_resources and self.register_resources and not service.singleton:
                home.on_create.append(functools.partial(self._member_created, service.name))
                for resource in list(home.values()):
                    self._register(service, resource.key)
        if self.register_services:
            self._register(service, None)

    def _reconcile(self) -> None:
        """Entries kept by a persistent home: drop stale container registrations, poll
        the remote members again."""
        if self._reconciled:
            return
        self._reconciled = True
        for entry in self.live_entries():
            spec = self._spec(entry)
            local = self.local_service(entry.member())
            if spec.kind == "container":
                member_gone = local is None or (
                    local[1] is not None
                    and (local[0].home is None or local[0].home.get(local[1]) is None)
                )
                key = (local[0].name, local[1]) if local is not None else None
                if member_gone or key is None or key in self._registered:
                    self.remove_entry(entry.key, "stale container registration")
                else:
                    self._registered[key] = str(entry.key)
            elif spec.polled and local is None:
                self._polls[str(entry.key)] = _Poll(spec)

    # -- container registrations -------------------------------------------------------------
    def _register(self, service: Service, key: str | None) -> None:
        ident = (service.name, key)
        existing = self._registered.get(ident)
        home = self.entries.home
        if existing is not None and home is not None and home.get(existing) is not None:
            return
        if key is None:
            member = service.epr()
        else:
            assert service.home is not None
            resource = service.home.get(key)
            if resource is None:
                return
            member = service.epr(resource)
        content = etree.Element(self.dialect.sg_tag("Content"))
        content.append(PollSpec("container").element())
        content.append(etree.Element(_DATA))
        entry = self._new_entry(member, content, None, None)
        self._registered[ident] = str(entry.key)

    def _member_created(self, service_name: str, resource: Resource) -> None:
        if not isInIOThread():
            assert self.container is not None
            self.container.reactor.callFromThread(self._member_created, service_name, resource)
            return
        assert self.container is not None
        service = self.container.services.get(service_name)
        if service is not None:
            self._register(service, resource.key)

    def _member_destroyed(self, service_name: str, resource: Resource) -> None:
        if not isInIOThread():
            assert self.container is not None
            self.container.reactor.callFromThread(self._member_destroyed, service_name, resource)
            return
        for entry in self.live_entries():
            local = self._local(entry)
            if local is not None and local[0].name == service_name and local[1] == resource.key:
                self.remove_entry(entry.key, "the member was destroyed")

    # -- Add ---------------------------------------------------------------------------------
    def accept(self, member: EndpointReference, content: Element) -> Element:
        spec = parse_config(content.find(_CONFIG), self.min_interval)
        if spec.kind == "container":
            raise faults.AddRefusedFault(
                "gwi:ContainerRegistration is for the container's own registrations"
            )
        local = self.local_service(member)
        if local is not None:
            service, key = local
            if service is self or service is self.entries:
                raise faults.AddRefusedFault(f"index {self.name} does not aggregate itself")
            if spec.polled and service.wsrf is None:
                raise faults.AddRefusedFault(
                    f"{member.address} has no resource properties to aggregate"
                )
            if service.key and service.home is not None and service.home.get(key) is None:
                raise faults.AddRefusedFault(
                    f"{member.address} has no resource with key {key!r} in this container"
                )
        stored = etree.Element(self.dialect.sg_tag("Content"))
        stored.append(spec.element())
        data = content.find(_DATA)
        kept = etree.SubElement(stored, _DATA)
        if spec.kind == "static" and data is not None:
            kept.text = data.text
            for child in data:
                kept.append(copy.deepcopy(child))
        return stored

    def store_content(self, entry: Any, content: Element) -> None:
        config = content.find(_CONFIG)
        data = content.find(_DATA)
        assert config is not None and data is not None
        entry.config_xml = etree.tostring(config, encoding="unicode")
        entry.data_xml = etree.tostring(data, encoding="unicode") if len(data) or data.text else ""

    def entry_added(self, entry: AnyEntry) -> None:
        spec = self._spec(entry)
        if spec.polled and self.local_service(entry.member()) is None:
            self._polls[str(entry.key)] = _Poll(spec, due=time.monotonic())
            if self._ticker is not None:
                self._tick()

    def entry_removed(self, entry: AnyEntry) -> None:
        key = str(entry.key)
        poll = self._polls.pop(key, None)
        if poll is not None and poll.pending is not None:
            poll.pending.cancel()
        for cache in (self._specs, self._locality):
            cache.pop(key, None)
        for which in ("config", "data"):
            self._parsed.pop(f"{key}/{which}", None)
        for ident, registered in list(self._registered.items()):
            if registered == key:
                del self._registered[ident]

    # -- Content -----------------------------------------------------------------------------
    def entry_version(self, entry: Any) -> Any:
        """What an entry's element is made of: a member in this container is read again
        only when one of its properties changed (CurrentTime shows when it was read)."""
        spec = self._spec(entry)
        if spec.kind == "static":
            return ("static", entry.config_xml, entry.data_xml)
        local = self._local(entry)
        if local is not None:
            service, key = local
            resource = None
            if service.home is not None and (key is not None or service.singleton):
                resource = service.home.get(key)
            count = None
            if spec.kind == "container" and key is None and service.home is not None:
                count = None if service.singleton else len(service.home)
            mark = _fingerprint(resource) if resource is not None else None
            return ("local", service, resource, count, mark)
        poll = self._polls.get(str(entry.key))
        status = None
        if poll is not None:
            status = (poll.reachable, poll.failures, poll.error, poll.refreshed)
        return ("remote", entry.config_xml, entry.data_xml, status)

    def _spec(self, entry: Any) -> PollSpec:
        key = str(entry.key)
        cached = self._specs.get(key)
        if cached is not None and cached[0] is entry.config_xml:
            return cached[1]
        config = self._element(entry, "config", entry.config_xml)
        try:
            spec = parse_config(config)
        except faults.Fault:
            spec = PollSpec("static")
        self._specs[key] = (entry.config_xml, spec)
        return spec

    def _local(self, entry: Any) -> tuple[Service, str | None] | None:
        """The service of this container (and key) an entry's member is, if any."""
        key = str(entry.key)
        if key in self._locality:
            found = self._locality[key]
            if found is None:
                return None
            assert self.container is not None
            service = self.container.services.get(found[0])
            return (service, found[1]) if service is not None else None
        local = self.local_service(entry.member())
        if self.container is not None and self.container.listening is not None:
            self._locality[key] = (local[0].name, local[1]) if local is not None else None
        return local

    def _element(self, entry: AnyEntry, which: str, xml: str) -> Element | None:
        if not xml:
            return None
        cache_key = f"{entry.key}/{which}"
        cached = self._parsed.get(cache_key)
        if cached is not None and cached[0] is xml:
            return cached[1]
        try:
            el = parse_xml(xml.encode(), _STORED_LIMITS)
        except XMLError:
            log.error("entry %s of %s holds unreadable %s XML", entry.key, self.name, which)
            return None
        self._parsed[cache_key] = (xml, el)
        return el

    def entry_content(self, entry: Any) -> Element:
        """An entry's Content: its configuration, the data (read now from a member in
        this container, else the last aggregated) and, for a polled member, its status."""
        d = self.dialect
        content = etree.Element(d.sg_tag("Content"), nsmap={"wssg": d.sg, "agg": AGG, "gwi": GWI})
        config = self._element(entry, "config", entry.config_xml)
        content.append(copy.deepcopy(config) if config is not None else etree.Element(_CONFIG))
        data = etree.SubElement(content, _DATA)
        spec = self._spec(entry)
        if spec.kind == "static":
            stored = self._element(entry, "data", entry.data_xml)
            if stored is not None:
                data.text = stored.text
                data.extend(copy.deepcopy(c) for c in stored)
            return content
        local = self._local(entry)
        if local is not None:
            for item in self._local_data(spec, *local):
                _append(data, item)
            return content
        stored = self._element(entry, "data", entry.data_xml)
        if stored is not None:
            data.text = stored.text
            data.extend(copy.deepcopy(c) for c in stored)
        poll = self._polls.get(str(entry.key))
        if poll is not None:
            status = etree.SubElement(content, qname(GWI, "Status"))
            status.set(
                "reachable", "unknown" if poll.reachable is None else str(poll.reachable).lower()
            )
            status.set("failures", str(poll.failures))
            if poll.refreshed is not None:
                status.set("refreshed", poll.refreshed.isoformat().replace("+00:00", "Z"))
            if poll.error:
                status.text = poll.error
        return content

    def _local_data(self, spec: PollSpec, service: Service, key: str | None) -> list[Element | str]:
        """The data of a member in this container, as it is now."""
        resource = None
        if service.home is not None and (key is not None or service.singleton):
            resource = service.home.get(key)
            if resource is None:
                return []
        out: list[Element | str] = []
        if spec.kind == "container" and key is None:
            out.append(self._service_info(service))
        if resource is None or service.wsrf is None:
            return out
        return out + self._extract(spec, service.wsrf.table.document(resource))

    def _extract(self, spec: PollSpec, doc: Element) -> list[Element | str]:
        out: list[Element | str] = []
        if spec.kind in ("container", "document"):
            out.append(doc)
        elif spec.kind in ("property", "properties"):
            out.extend(c for c in doc if c.tag in spec.names)
        elif spec.kind == "query":
            try:
                result = etree.XPath(spec.query, namespaces=dict(spec.namespaces))(
                    etree.ElementTree(doc)
                )
            except etree.XPathError as exc:
                return [f"cannot evaluate {spec.query!r}: {exc}"]
            out.extend(_xpath_items(result))
        return out

    def _service_info(self, service: Service) -> Element:
        count = len(service.home) if service.home is not None and not service.singleton else None
        cached = self._infos.get(service.name)
        if cached is not None and cached[0] is service and cached[1] == count:
            return cached[2]
        info = self._build_service_info(service, count)
        self._infos[service.name] = (service, count, info)
        return info

    def _build_service_info(self, service: Service, count: int | None) -> Element:
        interfaces = [etree.QName(i) for i in sorted(service_interfaces(service))]
        uris = dict.fromkeys(q.namespace or "" for q in interfaces)
        prefixes = {uri: f"i{n}" for n, uri in enumerate(uris)}
        nsmap = {"gwi": GWI} | {p: uri for uri, p in prefixes.items()}
        info = etree.Element(qname(GWI, "Service"), nsmap=nsmap)
        etree.SubElement(info, qname(GWI, "Name")).text = service.name
        etree.SubElement(info, qname(GWI, "Dialect")).text = service.dialect.name
        for q in interfaces:
            el = etree.SubElement(info, qname(GWI, "Interface"))
            el.text = f"{prefixes[q.namespace or '']}:{q.localname}"
        if service.wsdl is not None:
            etree.SubElement(info, qname(GWI, "WSDL")).text = service.url + "?wsdl"
        if count is not None:
            etree.SubElement(info, qname(GWI, "Resources")).text = str(count)
        return info

    # -- the aggregator ----------------------------------------------------------------------
    def _tick(self) -> None:
        now = time.monotonic()
        for key, poll in list(self._polls.items()):
            if self._in_flight >= self.concurrency:
                return
            if poll.in_flight or poll.due > now:
                continue
            self._start_poll(key, poll)

    def _start_poll(self, key: str, poll: _Poll) -> None:
        assert self.entries.home is not None and self.container is not None
        entry = self.entries.home.get(key)
        if entry is None:
            self._polls.pop(key, None)
            return
        poll.in_flight = True
        self._in_flight += 1
        d = defer.Deferred.fromCoroutine(self._fetch(entry.member(), poll.spec, poll.dialect))
        d.addTimeout(self.poll_timeout, self.container.reactor)
        poll.pending = d
        d.addCallbacks(
            functools.partial(self._polled, key, poll),
            functools.partial(self._poll_failed, key, poll),
        )

        def done(_: Any) -> None:
            poll.in_flight = False
            poll.pending = None
            self._in_flight -= 1
            poll.due = time.monotonic() + (0.0 if poll.again else poll.spec.interval)
            poll.again = False

        d.addBoth(done)

    def _agent_for(self) -> Any:
        if self._agent is None:
            from twisted.web.client import Agent, HTTPConnectionPool

            assert self.container is not None
            pool = HTTPConnectionPool(self.container.reactor, persistent=True)
            pool.maxPersistentPerHost = 2
            self._agent = Agent(self.container.reactor, pool=pool, connectTimeout=self.poll_timeout)
        return self._agent

    async def _fetch(
        self, member: EndpointReference, spec: PollSpec, dialect: WsrfDialect | None = None
    ) -> list[Element | str]:
        """One WS-RF call to a remote member (in the dialect set its EPR's WS-Addressing
        version implies, unless ``dialect`` says otherwise); its data."""
        d = dialect or dialect_for_addressing(member.version)
        m: Any = wsrf12 if d is WSRF_1_2 else wsrf_gt4
        agent = None if member.address.lower().startswith("https:") else self._agent_for()
        client = AsyncSoapClient(member, agent=agent, timeout=self.poll_timeout)
        if spec.kind == "property":
            body: Element = m.ELEMENTS[d.rp_tag("GetResourceProperty")].build(spec.names[0])
            op = "GetResourceProperty"
        elif spec.kind == "properties":
            body = m.GetMultipleResourceProperties(resource_property=list(spec.names)).to_element()
            op = "GetMultipleResourceProperties"
        elif spec.kind == "document" and d is WSRF_1_2:
            body = m.GetResourcePropertyDocument().to_element()
            op = "GetResourcePropertyDocument"
        else:  # a query (the drafts read the document with the query /*)
            query = spec.query if spec.kind == "query" else "/*"
            namespaces: dict[str, str] = dict(spec.namespaces)
            body = m.QueryResourceProperties(
                query_expression=m.QueryExpressionType(dialect=ns.XPATH_DIALECT, content=[query])
            ).to_element()
            if namespaces:
                old = body.find(d.rp_tag("QueryExpression"))
                assert old is not None
                attrib = {str(k): str(v) for k, v in old.attrib.items()}
                new = etree.Element(old.tag, attrib, nsmap=namespaces)
                new.text = old.text
                body.replace(old, new)
            op = "QueryResourceProperties"
        reply = await client.call(d.actions[op], body)
        binding = m.ELEMENTS.get(reply.tag)
        if binding is None:
            raise ValueError(f"unexpected reply <{etree.QName(reply).localname}> to {op}")
        try:
            value = binding.read(reply)
        except BindingError as exc:
            raise ValueError(f"the reply to {op} does not match the WS-RF schema: {exc}") from None
        if op == "GetResourcePropertyDocument":
            return [value.any]
        if op == "QueryResourceProperties":
            return list(value.content)
        return list(value.any)

    def _polled(self, key: str, poll: _Poll, items: list[Element | str]) -> None:
        assert self.entries.home is not None
        entry = self.entries.home.get(key)
        poll.failures = 0
        poll.error = None
        poll.reachable = True
        poll.refreshed = utcnow()
        if entry is None:
            return
        data = etree.Element(_DATA, nsmap={"agg": AGG})
        for item in items:
            _append(data, item)
        entry.data_xml = etree.tostring(data, encoding="unicode")
        self.entries.home.save(entry)

    def _poll_failed(self, key: str, poll: _Poll, failure: Any) -> None:
        exc = failure.value
        if isinstance(exc, faults.ResourceUnknownFault):
            self.remove_entry(key, f"the member was destroyed: {exc.description}")
            return
        if (
            isinstance(exc, faults.Fault)
            and exc.subcode == "ActionNotSupported"
            and poll.dialect is None
        ):
            # the EPR's WS-Addressing version suggested the wrong dialect set: try the other
            assert self.entries.home is not None
            entry = self.entries.home.get(key)
            if entry is not None:
                guessed = dialect_for_addressing(entry.member().version)
                poll.dialect = GT4 if guessed is WSRF_1_2 else WSRF_1_2
                poll.again = True
                return
        if isinstance(exc, faults.Fault):  # it answers, but not with the data
            poll.reachable = True
            poll.error = f"{type(exc).__name__}: {exc.description}"
            return
        if isinstance(exc, defer.CancelledError | defer.TimeoutError):
            reason = f"no answer within {self.poll_timeout:g} s"
        else:
            reason = str(exc) or type(exc).__name__
        poll.reachable = False
        poll.failures += 1
        poll.error = reason
        event(
            log,
            "gridware.index.unreachable",
            logging.WARNING,
            service=self.name,
            entry=key,
            failures=poll.failures,
            reason=reason[:200],
        )
        if self.drop_after and poll.failures >= self.drop_after:
            self.remove_entry(key, f"unreachable {poll.failures} times: {reason}")


def _fingerprint(resource: Resource) -> tuple[Any, ...]:
    """A snapshot of a resource's state (its stored properties and attributes, lists
    copied), to tell cheaply whether its property document may have changed."""
    return tuple((k, list(v) if isinstance(v, list) else v) for k, v in resource.__dict__.items())


def _append(parent: Element, item: Element | str) -> None:
    if isinstance(item, str):
        if len(parent):
            last = parent[-1]
            last.tail = (last.tail or "") + item
        else:
            parent.text = (parent.text or "") + item
        return
    parent.append(copy.deepcopy(item))


def _xpath_items(result: Any) -> list[Element | str]:
    if isinstance(result, list):
        out: list[Element | str] = []
        for item in result:
            if isinstance(item, etree._Element) and isinstance(item.tag, str):
                out.append(item)
            elif isinstance(item, etree._Element):
                out.append(item.text or "")
            else:
                out.append(str(item))
        return out
    if isinstance(result, bool):
        return ["true" if result else "false"]
    if isinstance(result, float) and result.is_integer():
        return [str(int(result))]
    return [str(result)]


def _positive(options: Mapping[str, Any], name: str, default: float) -> float:
    value = options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"option {name} must be a positive number of seconds, not {value!r}")
    return float(value)


def _count(options: Mapping[str, Any], name: str, default: int) -> int:
    value = options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"option {name} must be a whole number >= 0, not {value!r}")
    return value


def _flag(options: Mapping[str, Any], name: str, default: bool) -> bool:
    value = options.get(name, default)
    if not isinstance(value, bool):
        raise ValueError(f"option {name} must be true or false, not {value!r}")
    return value


class DefaultIndexService(IndexLogic, sg12_server.ServiceGroupRegistrationService):
    """The default index in WS-ServiceGroup 1.2 (WSRF 1.2, WS-Addressing 2005/08)."""

    resource_class = ServiceGroupResource
    entry_service_class = IndexEntryService
    sg_types: ClassVar[Any] = sg12_types

    async def Add(  # type: ignore[override]
        self,
        context: RequestContext,
        member_epr: EndpointReference,
        content: sg12_types.ContentType,
        initial_termination_time: datetime | Duration | None = None,
    ) -> sg12_types.AddResponse:
        """Register a member; the reply holds its entry's EPR and termination time."""
        entry = await self.add_entry(context, member_epr, initial_termination_time)
        return sg12_types.AddResponse(
            service_group_entry_reference=self.entries.epr(entry),
            termination_time=entry.termination_time,
            current_time=utcnow(),
        )


class GT4DefaultIndexService(IndexLogic, sggt4_server.ServiceGroupRegistrationService):
    """The default index in the WSRF 2004/06 drafts, as Globus Toolkit 4 clients expect."""

    resource_class = GT4ServiceGroupResource
    entry_service_class = GT4IndexEntryService
    sg_types: ClassVar[Any] = sggt4_types

    async def Add(  # type: ignore[override]
        self,
        context: RequestContext,
        member_epr: EndpointReference,
        content: etree._Element,
        initial_termination_time: datetime | None = None,
    ) -> EndpointReference:
        """Register a member; the reply is its entry's EPR."""
        entry = await self.add_entry(context, member_epr, initial_termination_time)
        return self.entries.epr(entry)


__all__ = [
    "AGG",
    "GWI",
    "DefaultIndexService",
    "GT4DefaultIndexService",
    "GT4IndexEntry",
    "IndexEntry",
    "IndexLogic",
    "PollSpec",
    "aggregator_content",
    "index_namespaces",
    "parse_config",
]
