"""WS-ServiceGroup: registries of services and WS-Resources, in both dialect sets.

A ServiceGroup (OASIS WS-ServiceGroup 1.2, ``sg-2``, or the 2004/06 draft of
Globus Toolkit 4) is a singleton WS-Resource whose resource properties are its
``MembershipContentRule`` elements and one ``Entry`` per member.  Each entry is
a WS-Resource of its own (ServiceGroupEntry: ``ServiceGroupEPR``, ``MemberEPR``,
``Content``), served by a companion service ``<Name>Entry`` that the group
deploys next to itself.  Entries have WS-ResourceLifetime: an entry expires at
its termination time (given by ``InitialTerminationTime`` in Add and changed
with SetTerminationTime) and a member is removed by destroying its entry.

``Add(MemberEPR, Content, InitialTerminationTime?)`` returns the entry's EPR.
The Content is checked against the membership content rules:

- a rule without interfaces applies to every member; a rule with interfaces
  applies to the members that implement all of them (port type QNames, read
  from the deployed service for a member in this container, else from the
  member's ``?wsdl``);
- when there are rules and none applies: ``UnsupportedMemberInterfaceFault``;
- the Content must hold an element of each ``ContentElements`` QName of every
  rule that applies (direct children of Content, or the document inside
  ``RPDoc``): else ``ContentCreationFailedFault``;
- a group that is full, a termination time already past, or a member the
  group will not take: ``AddRefusedFault``.

Deploy one in a container config (``GT4ServiceGroupService`` for the drafts)::

    [[service]]
    name = "Registry"
    class = "gridware.container.servicegroup:ServiceGroupService"
    [service.options]
    max_entries = 1000                         # 0: no limit
    [[service.options.rules]]
    content = ["{urn:example}Info"]            # Clark QNames
    interfaces = ["{http://gridware.org/samples/counter}CounterPortType"]

A security descriptor for the group authorizes Add like any other operation,
and applies to the entries too: an entry belongs to the identity that added it,
and only that identity may destroy it or change its termination time.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from lxml import etree
from twisted.internet import defer

from gridware.codegen.runtime.simpletypes import Duration
from gridware.container import faults, ns
from gridware.container.addressing import EndpointReference, addressing_version
from gridware.container.dialects import GT4, RP_OPERATIONS, WSRF_1_2, WsrfDialect
from gridware.container.generated.sg12 import server as sg12_server
from gridware.container.generated.sg12 import types as sg12_types
from gridware.container.generated.sg_gt4 import server as sggt4_server
from gridware.container.generated.sg_gt4 import types as sggt4_types
from gridware.container.log import event
from gridware.container.resource import (
    InMemoryResourceHome,
    Resource,
    ResourceHome,
    ResourceProperty,
    SingletonHome,
    utcnow,
)
from gridware.container.service import RequestContext, Service
from gridware.container.xml import Element, XMLError, XMLLimits, parse_xml, qname

if TYPE_CHECKING:
    from gridware.container.hosting import Container

log = logging.getLogger("gridware.servicegroup")

#: gridware's namespace for ServiceGroup entry keys.
GWSG = "http://gridware.org/servicegroup"
ENTRY_KEY = f"{{{GWSG}}}EntryKey"

_WSDL_LIMITS = XMLLimits(4 * 2**20, 128)


# -- membership content rules -----------------------------------------------------------------


@dataclass(frozen=True)
class MembershipRule:
    """One MembershipContentRule: the Content elements members must provide, and the
    port types (interfaces) that make the rule apply (none: it applies to everyone)."""

    content: tuple[str, ...]
    interfaces: tuple[str, ...] = ()

    def applies(self, implemented: frozenset[str]) -> bool:
        return all(i in implemented for i in self.interfaces)


def _clark(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.startswith("{") or "}" not in value[1:-1]:
        raise ValueError(f"{where}: {value!r} is not a QName: write {{namespace}}LocalName")
    etree.QName(value)  # raises ValueError for a bad local name
    return value


def parse_rules(value: Any, dialect: WsrfDialect) -> list[MembershipRule]:
    """The ``rules`` option: a list of tables ``{content = [...], interfaces = [...]}``."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(
            "option rules must be a list of tables {content = [...], interfaces = [...]}"
        )
    rules = []
    for i, item in enumerate(value, 1):
        where = f"rules #{i}"
        if not isinstance(item, Mapping):
            raise ValueError(f"{where} must be a table {{content = [...], interfaces = [...]}}")
        unknown = set(item) - {"content", "interfaces"}
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        content = item.get("content", [])
        interfaces = item.get("interfaces", [])
        if not isinstance(content, list) or not content:
            raise ValueError(f"{where}: content is a non-empty list of element QNames")
        if not isinstance(interfaces, list):
            raise ValueError(f"{where}: interfaces is a list of port type QNames")
        if dialect is GT4 and len(interfaces) > 1:
            raise ValueError(
                f"{where}: a GT4 MembershipContentRule names one MemberInterface; "
                "write one rule per interface"
            )
        rules.append(
            MembershipRule(
                tuple(_clark(q, where) for q in content),
                tuple(_clark(q, where) for q in interfaces),
            )
        )
    return rules


# -- interfaces of members --------------------------------------------------------------------

_RL_PORT_TYPES = {
    "Destroy": "ImmediateResourceTermination",
    "SetTerminationTime": "ScheduledResourceTermination",
}
_GT4_RP_PORT_TYPES = (
    "GetResourceProperty",
    "GetMultipleResourceProperties",
    "SetResourceProperties",
    "QueryResourceProperties",
)


def standard_port_types(dialect: WsrfDialect) -> dict[str, str]:
    """Operation name -> QName of the standard WS-RF port type that declares it."""
    rp_ops: tuple[str, ...]
    if dialect is GT4:
        rpw, rlw, rp_ops = ns.GT4_RPW, ns.GT4_RLW, _GT4_RP_PORT_TYPES
    else:
        rpw, rlw, rp_ops = ns.WSRF_RPW, ns.WSRF_RLW, RP_OPERATIONS
    out = {op: qname(rpw, op) for op in rp_ops}
    out.update({op: qname(rlw, pt) for op, pt in _RL_PORT_TYPES.items()})
    return out


def service_interfaces(service: Service) -> frozenset[str]:
    """The port types a deployed service implements: its own and the WS-RF ones."""
    found = {qname(service.namespace, service.port_type_name)}
    if service.wsrf is not None:
        standard = standard_port_types(service.dialect)
        found.update(standard[op] for op in service.wsrf.handlers if op in standard)
    if isinstance(service, ServiceGroupLogic):
        found.update(
            qname(service.dialect.sgw, pt) for pt in ("ServiceGroup", "ServiceGroupRegistration")
        )
    if isinstance(service, ServiceGroupEntryLogic):
        found.add(qname(service.dialect.sgw, "ServiceGroupEntry"))
    return frozenset(found)


def wsdl_interfaces(doc: Element) -> frozenset[str]:
    """The port types a WSDL 1.1 document describes: those it defines, those its
    bindings name, and the standard WS-RF port types whose operations it declares."""
    tns = doc.get("targetNamespace") or ""
    found: set[str] = set()
    # (namespace of the input message, operation) -> standard port type; the standard
    # messages live in the WSDL namespace of their port type
    standard: dict[tuple[str, str | None], str] = {}
    for d in (WSRF_1_2, GT4):
        for op_name, port_type in standard_port_types(d).items():
            standard[(etree.QName(port_type).namespace or "", op_name)] = port_type
    for pt in doc.iterchildren(qname(ns.WSDL, "portType")):
        name = pt.get("name")
        if name:
            found.add(qname(tns, name))
        for op in pt.iterchildren(qname(ns.WSDL, "operation")):
            inp = op.find(qname(ns.WSDL, "input"))
            message = _resolve_qname(inp.get("message", ""), inp) if inp is not None else None
            if message is None:
                continue
            hit = standard.get((message[1:].partition("}")[0], op.get("name")))
            if hit is not None:
                found.add(hit)
    for binding in doc.iterchildren(qname(ns.WSDL, "binding")):
        resolved = _resolve_qname(binding.get("type", ""), binding)
        if resolved is not None:
            found.add(resolved)
    return frozenset(found)


def _resolve_qname(text: str, context: Element) -> str | None:
    prefix, sep, local = text.strip().rpartition(":")
    if not local:
        return None
    uri = context.nsmap.get(prefix if sep else None)
    if uri is None:
        return None
    return qname(uri, local)


async def fetch_interfaces(address: str, timeout: float, reactor: Any = None) -> frozenset[str]:
    """The port types of the service at ``address``, from its ``?wsdl``.

    Raises :class:`ConnectionError` with a one-line reason when the WSDL cannot
    be had (unreachable, not WSDL, too slow).
    """
    from twisted.web.client import Agent, readBody

    if reactor is None:
        from twisted.internet import reactor as default_reactor

        reactor = default_reactor
    options: dict[str, Any] = {}
    if address.lower().startswith("https:"):
        from gridware.container.security import default_tls_policy

        options["contextFactory"] = default_tls_policy()
    agent = Agent(reactor, connectTimeout=timeout, **options)
    url = address.partition("?")[0] + "?wsdl"
    try:
        d = agent.request(b"GET", url.encode())
        d.addTimeout(timeout, reactor)
        response = await d
        body_d = readBody(response)
        body_d.addTimeout(timeout, reactor)
        data = await body_d
    except defer.TimeoutError:
        raise ConnectionError(f"{url} did not answer within {timeout:g} s") from None
    except Exception as exc:
        raise ConnectionError(f"cannot fetch {url}: {_reason(exc)}") from None
    if response.code != 200:
        raise ConnectionError(f"{url} answered HTTP {response.code}")
    try:
        doc = parse_xml(data, _WSDL_LIMITS)
    except XMLError as exc:
        raise ConnectionError(f"{url} is not a WSDL document: {exc}") from None
    if doc.tag != qname(ns.WSDL, "definitions"):
        raise ConnectionError(f"{url} is not a WSDL 1.1 document")
    return wsdl_interfaces(doc)


def _reason(exc: Exception) -> str:
    reasons = getattr(exc, "reasons", None)
    if reasons:
        inner = reasons[0].value
        return str(inner) or type(inner).__name__
    return str(exc) or type(exc).__name__


# -- resources --------------------------------------------------------------------------------


def _no_entries(resource: Resource) -> list[Element]:
    return []  # the group service computes its Entry property (see ServiceGroupLogic)


class ServiceGroupEntry(sg12_server.ServiceGroupEntryResource):
    """An entry of a WSRF 1.2 ServiceGroup: ServiceGroupEPR, MemberEPR and Content.

    ``member_version`` keeps the member EPR's WS-Addressing version (its resource
    property is written in the group's version)."""

    content = ResourceProperty(qname(ns.WSRF_SG, "Content"), None, min_occurs=0)
    persistent_attributes: ClassVar[tuple[str, ...]] = ("member_version",)
    member_version: str = "2005/08"

    def member(self) -> EndpointReference:
        """The member's EPR, in the WS-Addressing version it was registered with."""
        epr: EndpointReference = self.member_epr
        return epr.with_version(addressing_version(self.member_version))


class GT4ServiceGroupEntry(sggt4_server.ServiceGroupEntryResource):
    """An entry of a GT4 (2004/06 draft) ServiceGroup."""

    content = ResourceProperty(qname(ns.GT4_SG, "Content"), None)
    persistent_attributes: ClassVar[tuple[str, ...]] = ("member_version",)
    member_version: str = "2004/03"

    def member(self) -> EndpointReference:
        epr: EndpointReference = self.member_epr
        return epr.with_version(addressing_version(self.member_version))


class ServiceGroupResource(sg12_server.ServiceGroupRegistrationResource):
    """The ServiceGroupRP document of a WSRF 1.2 group (Entry is computed by the service)."""

    entry = ResourceProperty(
        qname(ns.WSRF_SG, "Entry"), None, min_occurs=0, max_occurs=None, getter=_no_entries
    )


class GT4ServiceGroupResource(sggt4_server.ServiceGroupRegistrationResource):
    """The ServiceGroupRP document of a GT4 group."""

    entry = ResourceProperty(
        qname(ns.GT4_SG, "Entry"), None, min_occurs=0, max_occurs=None, getter=_no_entries
    )


AnyEntry = ServiceGroupEntry | GT4ServiceGroupEntry


# -- services ---------------------------------------------------------------------------------


class ServiceGroupEntryLogic(Service):
    """The service of a group's entries (deployed by the group as ``<Name>Entry``)."""

    key = ENTRY_KEY
    lifetime = True

    def __init__(
        self,
        name: str | None = None,
        *,
        dialect: str | WsrfDialect | None = None,
        options: Mapping[str, Any] | None = None,
        home: ResourceHome[Any] | None = None,
        group: ServiceGroupLogic | None = None,
    ) -> None:
        if group is None:
            raise TypeError(
                f"{type(self).__name__} is deployed by its ServiceGroup, not on its own"
            )
        super().__init__(name, dialect=dialect or group.dialect, options=options, home=home)
        self.group = group


class ServiceGroupEntryService(ServiceGroupEntryLogic, sg12_server.ServiceGroupEntryService):
    """The entries of a WSRF 1.2 ServiceGroup."""

    resource_class = ServiceGroupEntry


class GT4ServiceGroupEntryService(ServiceGroupEntryLogic, sggt4_server.ServiceGroupEntryService):
    """The entries of a GT4 ServiceGroup."""

    resource_class = GT4ServiceGroupEntry


class ServiceGroupLogic(Service):
    """What a ServiceGroup does, in either dialect set (see the module documentation).

    Subclasses (the default index) refine it through :meth:`accept`,
    :meth:`entry_content`, :meth:`entry_added` and :meth:`entry_removed`.
    """

    singleton = True
    entry_service_class: ClassVar[type[ServiceGroupEntryLogic]]
    sg_types: ClassVar[Any]  # the generated message types of the dialect set

    def __init__(
        self,
        name: str | None = None,
        *,
        dialect: str | WsrfDialect | None = None,
        options: Mapping[str, Any] | None = None,
        home: ResourceHome[Any] | None = None,
    ) -> None:
        super().__init__(name, dialect=dialect, options=options, home=home)
        self.container: Container | None = None
        self._shells: dict[str, tuple[Element, Element]] = {}  # entry key -> its two EPRs
        self._built: dict[str, tuple[Any, Any, Element]] = {}  # key -> (entry, version, Entry)
        self.rules = parse_rules(self.options.get("rules"), self.dialect) + self.default_rules()
        self.max_entries = _number(self.options, "max_entries", 0, int)
        self.interface_timeout = _number(self.options, "interface_timeout", 10.0, float)
        assert self.home is not None and self.wsrf is not None
        self.home.find(None).membership_content_rule = [self._rule_value(r) for r in self.rules]
        self.entries = self.entry_service_class(
            f"{self.name}Entry", home=self._entry_home(home), group=self
        )
        assert self.entries.home is not None
        self.entries.home.on_destroy.append(self._entry_destroyed)
        # The Entry property is computed from the entries' home, which the resource
        # cannot reach: the service supplies it to the WS-RF operations.
        tag = self.dialect.sg_tag("Entry")
        self.wsrf.table.by_tag[tag] = ResourceProperty(
            tag, None, min_occurs=0, max_occurs=None, getter=lambda r: self.entry_elements()
        )

    # -- configuration -----------------------------------------------------------------------
    def default_rules(self) -> list[MembershipRule]:
        """Rules a subclass always enforces (besides the ``rules`` option)."""
        return []

    def _rule_value(self, rule: MembershipRule) -> Any:
        t = self.sg_types
        if self.dialect is GT4:
            return t.MembershipContentRule(
                content_elements=list(rule.content),
                member_interface=rule.interfaces[0] if rule.interfaces else None,
            )
        return t.MembershipContentRule(
            content_elements=list(rule.content), member_interfaces=list(rule.interfaces) or None
        )

    def _entry_home(self, home: ResourceHome[Any] | None) -> ResourceHome[Any]:
        """In-memory entries, unless the group's own home is persistent: then its store."""
        cls = self.entry_service_class.resource_class
        assert cls is not None
        store = getattr(home, "store", None)
        if store is not None and hasattr(store, "home"):
            made: ResourceHome[Any] = store.home(f"{self.name}Entry", cls)
            return made
        return InMemoryResourceHome(cls)

    def create_home(self) -> ResourceHome[Any]:
        assert self.resource_class is not None
        return SingletonHome(self.resource_class)

    # -- deployment --------------------------------------------------------------------------
    def deployed(self, container: Container) -> None:
        self.container = container
        self.entries.security = self.security  # entries follow the group's descriptor
        container.deploy(self.entries)

    def local_service(self, epr: EndpointReference) -> tuple[Service, str | None] | None:
        """The service of this container an EPR addresses, and the resource key it carries."""
        container = self.container
        if container is None or container.listening is None:
            return None
        address = epr.address.partition("?")[0].partition("#")[0]
        bases = [container.base_url]
        if container.https_port is not None and container.https_listening is not None:
            bases.append(container.https_base_url)
        from gridware.container.hosting import SERVICES_PATH

        for base in bases:
            prefix = base + SERVICES_PATH
            if address.startswith(prefix):
                service = container.services.get(address[len(prefix) :])
                if service is None:
                    return None
                key = epr.reference(service.key) if service.key else None
                return service, key
        return None

    # -- Add ---------------------------------------------------------------------------------
    async def add_entry(
        self,
        context: RequestContext,
        member: EndpointReference,
        when: datetime | Duration | None,
    ) -> AnyEntry:
        """Check and add a member; returns its new entry."""
        identity = context.caller.identity
        now = utcnow()
        termination: datetime | None
        if isinstance(when, Duration):
            try:
                termination = when.after(now)
            except (OverflowError, ValueError) as exc:
                raise faults.AddRefusedFault(f"InitialTerminationTime: {exc}") from None
        else:
            termination = when
        if termination is not None and termination <= now:
            raise faults.AddRefusedFault(
                f"the InitialTerminationTime {termination.isoformat()} has already passed"
            )
        assert self.entries.home is not None
        if self.max_entries and len(self.entries.home) >= self.max_entries:
            raise faults.AddRefusedFault(
                f"service group {self.name} is full ({self.max_entries} entries)"
            )
        # the original Content element: the decoded copy lost the namespace
        # declarations that QName values inside it may use
        body = context.message.body_element
        content = body.find(self.dialect.sg_tag("Content")) if body is not None else None
        if content is None:  # pragma: no cover - the binding requires it
            raise faults.ContentCreationFailedFault("Add carries no Content")
        rules = await self._applicable_rules(member)
        self._check_content(content, rules)
        stored = self.accept(member, content)
        entry = self._new_entry(member, stored, termination, identity)
        self.entry_added(entry)
        event(
            log,
            "gridware.servicegroup.add",
            group=self.name,
            entry=entry.key,
            member=member.address,
            identity=identity or "-",
        )
        return entry

    async def _applicable_rules(self, member: EndpointReference) -> list[MembershipRule]:
        if not self.rules:
            return []
        implemented: frozenset[str] = frozenset()
        if any(r.interfaces for r in self.rules):
            implemented = await self.member_interfaces(member)
        applicable = [r for r in self.rules if r.applies(implemented)]
        if not applicable:
            wanted = "; ".join(" and ".join(r.interfaces) for r in self.rules if r.interfaces)
            raise faults.UnsupportedMemberInterfaceFault(
                f"the member {member.address} does not implement the interfaces service "
                f"group {self.name} takes members of: {wanted}"
            )
        return applicable

    async def member_interfaces(self, member: EndpointReference) -> frozenset[str]:
        """The port types the member implements (this container's, or its ``?wsdl``)."""
        local = self.local_service(member)
        if local is not None:
            return service_interfaces(local[0])
        reactor = self.container.reactor if self.container is not None else None
        try:
            return await fetch_interfaces(member.address, self.interface_timeout, reactor)
        except ConnectionError as exc:
            raise faults.UnsupportedMemberInterfaceFault(
                f"cannot tell which interfaces {member.address} implements: {exc}"
            ) from None

    def _check_content(self, content: Element, rules: Iterable[MembershipRule]) -> None:
        present = {c.tag for c in content.iterchildren(etree.Element)}
        rp_doc = content.find(self.dialect.sg_tag("RPDoc"))
        if rp_doc is not None:
            present.update(c.tag for c in rp_doc.iterchildren(etree.Element))
        for rule in rules:
            missing = [q for q in rule.content if q not in present]
            if missing:
                raise faults.ContentCreationFailedFault(
                    f"the Content lacks {', '.join(missing)}, which the membership content "
                    f"rules of service group {self.name} require"
                )

    def accept(self, member: EndpointReference, content: Element) -> Element:
        """Last word on a new member: raise ``AddRefusedFault`` to refuse it, or
        return the Content to store (by default a copy of what was sent)."""
        out = etree.Element(
            self.dialect.sg_tag("Content"), nsmap=cast(dict[str, str], content.nsmap)
        )
        out.text = content.text
        for k, v in content.attrib.items():
            out.set(k, v)
        for child in content:
            out.append(copy.deepcopy(child))
        return out

    def _new_entry(
        self,
        member: EndpointReference,
        content: Element,
        termination: datetime | None,
        identity: str | None,
    ) -> AnyEntry:
        home = self.entries.home
        assert home is not None
        entry: AnyEntry = home.resource_class(home.new_key())
        entry.service_group_epr = self.epr()
        entry.member_epr = member
        entry.member_version = member.version.name
        self.store_content(entry, content)
        entry.creator = identity
        entry.termination_time = termination
        home.add(entry)
        return entry

    def store_content(self, entry: Any, content: Element) -> None:
        """Keep the Content of a new entry (a subclass may store it otherwise)."""
        entry.content = content

    # -- the Entry property ------------------------------------------------------------------
    def live_entries(self) -> list[AnyEntry]:
        """The entries that have not expired, in the home's order."""
        assert self.entries.home is not None
        now = utcnow()
        return [
            e
            for e in self.entries.home.values()
            if e.termination_time is None or e.termination_time > now
        ]

    def entry_elements(self) -> list[Element]:
        return [self.entry_element(e) for e in self.live_entries()]

    def entry_element(self, entry: AnyEntry) -> Element:
        """The ``Entry`` element of one entry, kept while :meth:`entry_version` holds:
        shared, so callers copy it (the WS-RF operations do) and never change it."""
        key = str(entry.key)
        version = self.entry_version(entry)
        cached = self._built.get(key)
        fresh = cached is not None and cached[0] is entry and cached[1] == version
        if version is not None and cached is not None and fresh:
            return cached[2]
        el = self._build_entry_element(entry)
        if version is None:
            self._built.pop(key, None)
        else:
            self._built[key] = (entry, version, el)
        return el

    def entry_version(self, entry: AnyEntry) -> Any:
        """A value that changes whenever the entry's element would (``None``: build it
        on every read).  The stored Content changes only when it is replaced."""
        return ("content", id(entry.content))

    def _build_entry_element(self, entry: AnyEntry) -> Element:
        d = self.dialect
        key = str(entry.key)
        shell = self._shells.get(key)
        if shell is None:  # the two EPRs never change: write them once
            shell = (
                self.entries.epr(entry).to_element(d.sg_tag("ServiceGroupEntryEPR"), d.addressing),
                entry.member().to_element(d.sg_tag("MemberServiceEPR"), d.addressing),
            )
            self._shells[key] = shell
        el = etree.Element(d.sg_tag("Entry"), nsmap={"wssg": d.sg})
        el.append(copy.deepcopy(shell[0]))
        el.append(copy.deepcopy(shell[1]))
        content = self.entry_content(entry)
        if content is not None:
            el.append(content)
        return el

    def entry_content(self, entry: AnyEntry) -> Element | None:
        """The Content of an entry as the group shows it (a subclass may compute it)."""
        content: Element | None = entry.content
        return copy.deepcopy(content) if content is not None else None

    # -- hooks ---------------------------------------------------------------------------------
    def entry_added(self, entry: AnyEntry) -> None:
        """Called after a new entry is stored."""

    def entry_removed(self, entry: AnyEntry) -> None:
        """Called after an entry is destroyed (by a client, by expiry or by the group)."""

    def _entry_destroyed(self, entry: AnyEntry) -> None:
        event(log, "gridware.servicegroup.remove", group=self.name, entry=entry.key)
        self._shells.pop(str(entry.key), None)
        self._built.pop(str(entry.key), None)
        self.entry_removed(entry)

    def remove_entry(self, key: str | None, reason: str) -> None:
        """Destroy an entry (no error if it is gone already)."""
        assert self.entries.home is not None
        if self.entries.home.get(key) is None:
            return
        event(log, "gridware.servicegroup.drop", group=self.name, entry=key, reason=reason)
        with contextlib.suppress(faults.ResourceUnknownFault):
            self.entries.home.destroy(key)


def _number(options: Mapping[str, Any], name: str, default: Any, kind: type) -> Any:
    value = options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"option {name} must be a number >= 0, not {value!r}")
    return kind(value)


class ServiceGroupService(ServiceGroupLogic, sg12_server.ServiceGroupRegistrationService):
    """A WS-ServiceGroup 1.2 ServiceGroup (OASIS ``sg-2``, WS-Addressing 2005/08)."""

    resource_class = ServiceGroupResource
    entry_service_class = ServiceGroupEntryService
    sg_types: ClassVar[Any] = sg12_types

    async def Add(  # type: ignore[override]
        self,
        context: RequestContext,
        member_epr: EndpointReference,
        content: sg12_types.ContentType,
        initial_termination_time: datetime | Duration | None = None,
    ) -> sg12_types.AddResponse:
        """Add a member; the reply holds its entry's EPR and termination time."""
        entry = await self.add_entry(context, member_epr, initial_termination_time)
        return sg12_types.AddResponse(
            service_group_entry_reference=self.entries.epr(entry),
            termination_time=entry.termination_time,
            current_time=utcnow(),
        )


class GT4ServiceGroupService(ServiceGroupLogic, sggt4_server.ServiceGroupRegistrationService):
    """A ServiceGroup of the WSRF 2004/06 drafts, as Globus Toolkit 4 clients expect."""

    resource_class = GT4ServiceGroupResource
    entry_service_class = GT4ServiceGroupEntryService
    sg_types: ClassVar[Any] = sggt4_types

    async def Add(  # type: ignore[override]
        self,
        context: RequestContext,
        member_epr: EndpointReference,
        content: etree._Element,
        initial_termination_time: datetime | None = None,
    ) -> EndpointReference:
        """Add a member; the reply is its entry's EPR."""
        entry = await self.add_entry(context, member_epr, initial_termination_time)
        return self.entries.epr(entry)


__all__ = [
    "ENTRY_KEY",
    "GT4ServiceGroupEntry",
    "GT4ServiceGroupEntryService",
    "GT4ServiceGroupResource",
    "GT4ServiceGroupService",
    "MembershipRule",
    "ServiceGroupEntry",
    "ServiceGroupEntryLogic",
    "ServiceGroupEntryService",
    "ServiceGroupLogic",
    "ServiceGroupResource",
    "ServiceGroupService",
    "fetch_interfaces",
    "parse_rules",
    "service_interfaces",
    "wsdl_interfaces",
]
