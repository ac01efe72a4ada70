"""Services for the persistence tests, deployed from a TOML config."""

from __future__ import annotations

from typing import ClassVar

from gridware.container import EndpointReference, Resource, ResourceProperty, Service, operation

NS = "http://example.org/persist/journal"


class Entry(Resource):
    """A journal entry: properties, plus a plain attribute kept by persistent homes."""

    namespace = NS
    document = "EntryProperties"

    title = ResourceProperty("Title", "string", modifiable=True)
    lines = ResourceProperty("Line", "string", min_occurs=0, max_occurs=None, modifiable=True)
    persistent_attributes: ClassVar[tuple[str, ...]] = ("history",)
    history: str = ""


class JournalService(Service):
    namespace = NS
    resource_class = Entry
    key = f"{{{NS}}}EntryKey"

    @operation
    def create(self, title: str) -> EndpointReference:
        assert self.home is not None
        return self.epr(self.home.create(title=title))

    @operation
    def write(self, entry: Entry, line: str) -> int:
        entry.lines = [*entry.lines, line]
        entry.history = f"{entry.history}w{len(entry.lines)};"
        return len(entry.lines)

    @operation
    def history(self, entry: Entry) -> str:
        return entry.history


class EchoService(Service):
    """Stateless: nothing to keep."""

    namespace = NS

    @operation
    def echo(self, text: str) -> str:
        return text
