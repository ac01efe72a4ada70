"""A stateful service written the way a user would: a few dozen lines, all WS-RF for free.

Used by the tests through a TOML config and through an entry point.
"""

from __future__ import annotations

import time

from twisted.internet import defer, reactor, task

from gridware.container import (
    EndpointReference,
    RequestContext,
    Resource,
    ResourceProperty,
    SenderFault,
    Service,
    operation,
)

NS = "http://example.org/notebook"


class Notebook(Resource):
    namespace = NS
    document = "NotebookProperties"

    title = ResourceProperty("Title", "string", modifiable=True)
    pages = ResourceProperty("Page", "string", min_occurs=0, max_occurs=None, modifiable=True)
    owner = ResourceProperty("Owner", "string")


class NotebookService(Service):
    namespace = NS
    resource_class = Notebook
    key = f"{{{NS}}}NotebookKey"

    @operation
    def create(
        self, ctx: RequestContext, title: str, owner: str | None = None
    ) -> EndpointReference:
        assert self.home is not None
        greeting = self.options.get("greeting", "")
        return self.epr(self.home.create(title=greeting + title, owner=owner or ctx.peer))

    @operation
    def write(self, notebook: Notebook, page: list[str]) -> int:
        if not page:
            raise SenderFault("write at least one page")
        notebook.pages = [*notebook.pages, *page]
        return len(notebook.pages)

    @operation
    async def slowCount(self, notebook: Notebook, delay: float) -> int:
        await task.deferLater(reactor, delay, lambda: None)
        return len(notebook.pages)

    @operation(blocking=True)
    def blockingCount(self, notebook: Notebook, delay: float) -> int:
        time.sleep(delay)  # runs in the thread pool: the reactor keeps serving
        return len(notebook.pages)

    @operation
    def deferredEcho(self, text: str) -> defer.Deferred[str]:
        return task.deferLater(reactor, 0.01, lambda: text.upper())

    @operation
    def whoami(self, ctx: RequestContext) -> str:
        """The caller's grid identity, as the container authenticated it."""
        return ctx.caller.identity or "anonymous"

    @operation
    def localUser(self, ctx: RequestContext) -> str:
        """The account the grid-mapfile maps the caller to."""
        return ctx.caller.local_user or ""

    @operation
    def delegatedIdentity(self, ctx: RequestContext) -> str:
        """Use the caller's delegated credential: sign a proxy with it, report who it is."""
        credential = ctx.delegated_credential()
        if credential is None:
            return "none"
        onward = credential.create_proxy()  # the container acts as the caller
        return f"{onward.identity} via {credential.subject}"

    @operation
    def crash(self) -> str:
        raise RuntimeError("secret internal detail")
