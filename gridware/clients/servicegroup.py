"""Clients of WS-ServiceGroups and of a container's default index.

::

    from gridware.clients.servicegroup import IndexClient, ServiceGroupClient

    index = IndexClient("http://127.0.0.1:8080/wsrf/services/DefaultIndexService")
    index.services()                                  # ['CounterService', 'VersionService', ...]
    index.query("//wssg:Entry[wssg:Content/agg:AggregatorData/c:CounterResourceProperties"
                "/c:Value > 10]/wssg:MemberServiceEPR", {"c": COUNTER_NS})
    added = index.register(counter_epr, interval=30)  # poll a (remote) member every 30 s
    WsrfClient(added.entry).destroy()                 # and remove it again

    group = ServiceGroupClient(url)                   # any ServiceGroup
    group.add(member_epr, content_element, termination=timedelta(hours=1))
    for entry in group.entries(): print(entry.member.address)

The dialect set (WSRF 1.2 or the GT4 drafts) follows the EPR, as for
:class:`~gridware.clients.wsrf.WsrfClient`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lxml import etree

from gridware.clients.wsrf import WsrfClient
from gridware.codegen.runtime import format_datetime
from gridware.container.addressing import AddressingError, EndpointReference
from gridware.container.client import HttpTransport
from gridware.container.dialects import WSRF_1_2, WsrfDialect
from gridware.container.generated.sg12 import types as sg12_types
from gridware.container.generated.sg_gt4 import types as sggt4_types
from gridware.container.index import GWI, aggregator_content, index_namespaces
from gridware.container.proxy import ReplyMismatchError
from gridware.container.soap import SOAP11, SoapVersion
from gridware.container.xml import Element

DEFAULT_INDEX_URL = "http://127.0.0.1:8080/wsrf/services/DefaultIndexService"


@dataclass(frozen=True)
class Registration:
    """What Add answered: the new entry's EPR (and, in WSRF 1.2, its lifetime)."""

    entry: EndpointReference
    termination_time: datetime | None = None
    current_time: datetime | None = None


@dataclass(frozen=True)
class Entry:
    """One entry of a ServiceGroup, as its ``Entry`` resource property shows it."""

    entry: EndpointReference | None
    member: EndpointReference | None
    content: Element | None

    def data(self) -> list[Element]:
        """The elements of the index's ``agg:AggregatorData`` (empty elsewhere)."""
        if self.content is None:
            return []
        found = self.content.find("{http://mds.globus.org/aggregator/types}AggregatorData")
        return [] if found is None else [c for c in found if isinstance(c.tag, str)]


class ServiceGroupClient(WsrfClient):
    """A WS-ServiceGroup: Add members, read the entries (plus every WS-RF operation)."""

    def add(
        self,
        member: EndpointReference,
        content: Element,
        *,
        termination: datetime | timedelta | None = None,
    ) -> Registration:
        """Add ``member`` with ``content`` (a ``Content`` element, retagged to this
        dialect set's namespace); the entry lives until ``termination`` (default:
        as long as the group keeps it).

        The member EPR travels in its own WS-Addressing version: that tells an
        aggregating group which dialect set to speak to the member."""
        d = self.dialect
        request = etree.Element(d.sg_tag("Add"), nsmap={"wssg": d.sg})
        request.append(member.to_element(d.sg_tag("MemberEPR")))
        body = copy.deepcopy(content)
        body.tag = d.sg_tag("Content")
        request.append(body)
        if termination is not None:
            if isinstance(termination, timedelta):
                termination = datetime.now(UTC) + termination
            etree.SubElement(request, d.sg_tag("InitialTerminationTime")).text = format_datetime(
                termination
            )
        reply = self.soap.call(d.sg_actions["Add"], request)
        types = sg12_types if d is WSRF_1_2 else sggt4_types
        binding = types.ELEMENTS.get(reply.tag)
        if binding is None or reply.tag != d.sg_tag("AddResponse"):
            raise ReplyMismatchError(f"unexpected reply <{etree.QName(reply).localname}> to Add")
        value = binding.read(reply)
        if isinstance(value, EndpointReference):  # the drafts answer with the EPR alone
            return Registration(value)
        return Registration(
            value.service_group_entry_reference, value.termination_time, value.current_time
        )

    def entries(self) -> list[Entry]:
        """The group's entries (its ``Entry`` resource property)."""
        out = []
        for el in self.get_property(self.dialect.sg_tag("Entry")):
            epr_el = el.find(self.dialect.sg_tag("ServiceGroupEntryEPR"))
            member_el = el.find(self.dialect.sg_tag("MemberServiceEPR"))
            out.append(
                Entry(
                    _epr(epr_el),
                    _epr(member_el),
                    el.find(self.dialect.sg_tag("Content")),
                )
            )
        return out


class IndexClient(ServiceGroupClient):
    """A container's default index (``DefaultIndexService``) or any aggregating group."""

    def __init__(
        self,
        epr: EndpointReference | str = DEFAULT_INDEX_URL,
        *,
        dialect: str | WsrfDialect | None = None,
        soap: str | SoapVersion = SOAP11,
        transport: HttpTransport | None = None,
    ) -> None:
        super().__init__(epr, dialect=dialect, soap=soap, transport=transport)

    @property
    def namespaces(self) -> dict[str, str]:
        """The prefixes bound in every query: ``wssg``, ``agg``, ``gwi`` and ``wsa``."""
        return index_namespaces(self.dialect)

    def query(
        self, expression: str, namespaces: Mapping[str, str] | None = None
    ) -> list[Element] | str:
        """An XPath 1.0 query on the index's property document (prefixes of
        :attr:`namespaces` are bound; ``namespaces`` adds more)."""
        return super().query(expression, {**self.namespaces, **(namespaces or {})})

    def register(
        self,
        member: EndpointReference,
        *,
        interval: float | None = 60.0,
        properties: Sequence[str] = (),
        query: str | None = None,
        namespaces: Mapping[str, str] | None = None,
        data: Sequence[Element] = (),
        termination: datetime | timedelta | None = None,
    ) -> Registration:
        """Register a member whose resource properties the index polls every
        ``interval`` seconds: its whole document, the named ``properties`` or the
        result of an XPath ``query``.  ``interval=None`` registers ``data`` as it is."""
        content = aggregator_content(
            self.dialect,
            interval=interval,
            properties=tuple(properties),
            query=query,
            namespaces=namespaces,
            data=list(data),
        )
        return self.add(member, content, termination=termination)

    def services(self) -> list[str]:
        """The names of the services registered in the index (those of its container)."""
        found = self.query("//gwi:Service/gwi:Name")
        return [(el.text or "").strip() for el in found] if isinstance(found, list) else []


def _epr(el: Element | None) -> EndpointReference | None:
    if el is None or el.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true":
        return None
    try:
        return EndpointReference.from_element(el)
    except AddressingError:
        return None


__all__ = [
    "DEFAULT_INDEX_URL",
    "GWI",
    "Entry",
    "IndexClient",
    "Registration",
    "ServiceGroupClient",
]
