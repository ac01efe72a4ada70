"""Hosting services on Twisted Web.

:class:`Container` deploys services at ``/wsrf/services/<Name>``, serves their
WSDL at ``?wsdl`` and the imported schemas under ``/wsrf/share/``, sweeps expired
resources, and logs one NetLogger line per request.  It runs inside any
Twisted application (:meth:`Container.start`) or, from a plain script, in a
background reactor thread (:mod:`gridware.container.embed`).
"""

from __future__ import annotations

import html
import io
import logging
import re
import socket
import time
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lxml import etree
from twisted.internet import defer, task
from twisted.internet.interfaces import IListeningPort, IReactorTCP, IReactorTime
from twisted.web import resource, server

from gridware import __version__
from gridware.container import faults
from gridware.container.log import event
from gridware.container.security import (
    AuthenticationFault,
    Caller,
    HostSecurity,
    ServiceSecurity,
    peer_chain,
)
from gridware.container.service import Outcome, Service, TransportInfo
from gridware.container.soap import SOAP11, SOAP12, envelope_bytes, fault_element
from gridware.container.wsdlserve import DocumentRoot, DocumentServer
from gridware.container.xml import DEFAULT_MAX_SIZE, XMLLimits

if TYPE_CHECKING:
    from gridware.container.index import IndexLogic

log = logging.getLogger("gridware.container")

SERVICES_PATH = "/wsrf/services/"
_PLAIN = TransportInfo()
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


class _BoundedContent(io.BytesIO):
    """A request body buffer that stops storing past ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.received = 0
        self.overflow = False

    def write(self, data: Any) -> int:
        self.received += len(data)
        if self.overflow or self.received > self.limit:
            if not self.overflow:
                self.overflow = True
                self.seek(0)
                self.truncate()
            return len(data)
        return super().write(data)


class _Site(server.Site):
    """A Site whose request bodies are bounded in memory and never spill to disk."""

    def __init__(self, root: resource.Resource, max_size: int, **kw: Any) -> None:
        super().__init__(root, **kw)
        self.max_size = max_size
        self.connections: weakref.WeakSet[Any] = weakref.WeakSet()

    def buildProtocol(self, addr: Any) -> Any:
        p = super().buildProtocol(addr)
        if p is not None:
            self.connections.add(p)
        return p

    @staticmethod
    def _channel(p: Any) -> Any:
        # Twisted wraps the HTTP/1.1 channel to negotiate HTTP/2; look through it.
        return getattr(p, "_channel", p)

    def busy(self) -> list[Any]:
        """Open connections with a request in progress."""
        return [p for p in self.connections if getattr(self._channel(p), "requests", None)]

    def close_all(self) -> None:
        for p in list(self.connections):
            transport = getattr(self._channel(p), "transport", None)
            if transport is not None:
                transport.loseConnection()

    def getContentFile(self, length: int | None) -> io.BytesIO:
        content = _BoundedContent(self.max_size)
        if length is not None and length > self.max_size:
            content.overflow = True
        return content

    def log(self, request: Any) -> None:
        """Access logging is done per request by the service endpoint."""


def _outcome_fault(fault: faults.Fault, soap12: bool) -> Outcome:
    version = SOAP12 if soap12 else SOAP11
    body = etree.tostring(fault_element(version, fault, fault.to_detail(None)))
    status = getattr(fault, "http_status", None) or 500
    return Outcome(status, version, envelope_bytes(version, b"", body), "", "", fault)


class ServiceEndpoint(resource.Resource):
    """``/wsrf/services/<Name>``: POST for SOAP, GET ``?wsdl`` for the WSDL."""

    isLeaf = True

    def __init__(self, container: Container, service: Service) -> None:
        super().__init__()
        self.container = container
        self.service = service
        self.wsdl_doc: tuple[DocumentRoot, str] | None = None

    def render_GET(self, request: server.Request) -> bytes:
        query = (request.uri or b"").partition(b"?")[2].lower()
        if query.split(b"&")[0] in (b"wsdl", b"wsdl="):
            if self.wsdl_doc is None:
                request.setResponseCode(404)
                request.setHeader(b"content-type", b"text/plain; charset=utf-8")
                return f"service {self.service.name} has no WSDL\n".encode()
            base = self.container.request_base_url(request)
            url = base + SERVICES_PATH + self.service.name
            if not request.isSecure() and self.container.https_only(self.service):
                url = self.container.https_base_url + SERVICES_PATH + self.service.name
            body = self.container.documents.render(*self.wsdl_doc, base, url)
            request.setHeader(b"content-type", b"text/xml; charset=utf-8")
            return body
        request.setHeader(b"content-type", b"text/html; charset=utf-8")
        name = html.escape(self.service.name)
        return (
            f"<html><body><h1>{name}</h1><p>A gridware service. "
            f'Its WSDL is <a href="?wsdl">here</a>; POST SOAP messages to this URL.</p>'
            "</body></html>"
        ).encode()

    def render_POST(self, request: server.Request) -> Any:
        start = time.perf_counter()
        content = request.content
        soap_action = request.getHeader(b"soapaction")
        ctype = (request.getHeader(b"content-type") or b"").decode("latin-1")
        if soap_action is None and "action=" in ctype:
            soap_action = ctype.partition("action=")[2].split(";")[0].strip().strip('"').encode()
        if isinstance(content, _BoundedContent) and content.overflow:
            outcome: Outcome | defer.Deferred[Outcome] = _outcome_fault(
                faults.MessageTooLargeFault(
                    f"message of {content.received} bytes exceeds the limit of {content.limit}"
                ),
                "soap+xml" in ctype,
            )
        else:
            data = content.getvalue() if isinstance(content, io.BytesIO) else content.read()
            peer = request.getClientAddress()
            outcome = self.service.process(
                data,
                soap_action=soap_action.decode("latin-1") if soap_action else None,
                peer=f"{getattr(peer, 'host', '')}:{getattr(peer, 'port', '')}",
                transport=self.container.transport_info(request),
            )
        if isinstance(outcome, Outcome):
            return self._write(request, outcome, start)

        def finish(o: Outcome) -> None:
            if not request._disconnected:
                request.write(self._write(request, o, start))
                request.finish()

        outcome.addCallback(finish)
        outcome.addErrback(lambda f: log.error("request failed: %s", f.getTraceback()))
        return server.NOT_DONE_YET

    def _write(self, request: server.Request, outcome: Outcome, start: float) -> bytes:
        request.setResponseCode(outcome.status)
        request.setHeader(b"content-type", outcome.content_type.encode())
        if log.isEnabledFor(logging.INFO):
            fields: dict[str, Any] = {
                "service": self.service.name,
                "op": outcome.operation or "-",
                "status": outcome.status,
                "dur": f"{time.perf_counter() - start:.6f}",
            }
            if outcome.fault is not None:
                fields["fault"] = type(outcome.fault).__name__
                fields["reason"] = outcome.fault.description[:200]
            event(log, "gridware.container.request", guid=outcome.guid, **fields)
        return outcome.body


class ServicesIndex(resource.Resource):
    """``/wsrf/services/``: the deployed services, and the parent of their endpoints."""

    def __init__(self, container: Container) -> None:
        super().__init__()
        self.container = container

    def getChild(self, path: bytes, request: server.Request) -> resource.Resource:
        if path == b"":
            return self
        return resource.NoResource("no such service")

    def render_GET(self, request: server.Request) -> bytes:
        base = self.container.request_base_url(request)
        rows = "".join(
            f'<li><a href="{html.escape(base + SERVICES_PATH + n)}?wsdl">{html.escape(n)}</a></li>'
            for n in sorted(self.container.services)
        )
        request.setHeader(b"content-type", b"text/html; charset=utf-8")
        return (
            f"<html><body><h1>gridware {__version__}</h1><h2>Services</h2><ul>{rows}</ul>"
            "</body></html>"
        ).encode()


class SharedDocuments(resource.Resource):
    """``/wsrf/share/...``: the schemas and WSDLs that service WSDLs import."""

    isLeaf = True

    def __init__(self, container: Container) -> None:
        super().__init__()
        self.container = container

    def render_GET(self, request: server.Request) -> bytes:
        path = (request.path or b"").decode("utf-8", "replace")
        found = self.container.documents.find(path)
        if found is None:
            request.setResponseCode(404)
            request.setHeader(b"content-type", b"text/plain; charset=utf-8")
            return b"no such document\n"
        base = self.container.request_base_url(request)
        request.setHeader(b"content-type", b"text/xml; charset=utf-8")
        return self.container.documents.render(*found, base)


class Container:
    """A WS-RF hosting container: a set of deployed services behind one HTTP port."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        max_message_size: int = DEFAULT_MAX_SIZE,
        max_depth: int = 256,
        sweep_interval: float = 1.0,
        advertised_host: str | None = None,
        idle_timeout: float = 60.0,
        security: HostSecurity | None = None,
        https_port: int | None = None,
        index: bool = True,
        reactor: Any = None,
    ) -> None:
        if reactor is None:
            from twisted.internet import reactor as default_reactor

            reactor = default_reactor
        self.reactor = reactor
        self.host = host
        self.port = port
        self.limits = XMLLimits(max_message_size, max_depth)
        self.sweep_interval = sweep_interval
        self.advertised_host = advertised_host
        self.idle_timeout = idle_timeout
        self.security = security
        self.https_port = https_port
        if https_port is not None and security is None:
            raise ValueError("HTTPS needs a host credential (security=HostSecurity.load(...))")
        self.https_listening: IListeningPort | None = None
        self.services: dict[str, Service] = {}
        self.endpoints: dict[str, ServiceEndpoint] = {}
        self.documents = DocumentServer()
        self.listening: IListeningPort | None = None
        self._site: _Site | None = None
        self.shutdown_grace = 10.0
        self._sweeper: task.LoopingCall | None = None
        self.started_at: float | None = None
        #: the default index (an aggregating ServiceGroup where deployed services
        #: register themselves); deployed at start unless ``index=False`` or a
        #: DefaultIndexService was deployed already
        self.index: IndexLogic | None = None
        self.index_enabled = index

        self.root = resource.Resource()
        self.services_index = ServicesIndex(self)
        wsrf = resource.Resource()
        self.root.putChild(b"wsrf", wsrf)
        wsrf.putChild(b"services", self.services_index)
        wsrf.putChild(b"share", SharedDocuments(self))
        self.root.putChild(b"", self.services_index)
        if security is not None:
            from gridware.container.delegation import DelegationService

            # over HTTPS when there is an HTTPS port (its EPRs say so), else signed messages
            transport = "https" if https_port is not None else "none"
            self.deploy(DelegationService(security, transport=transport))

    # -- deployment ---------------------------------------------------------------------
    def deploy(self, service: Service) -> Service:
        """Deploy a service instance under its name."""
        if service.name in self.services:
            raise ValueError(f"a service named {service.name!r} is already deployed")
        if not re.fullmatch(r"[A-Za-z0-9_.\-/]+", service.name) or ".." in service.name:
            raise ValueError(f"invalid service name {service.name!r}: use letters, digits, _ . - /")
        service.limits = self.limits
        if self.security is not None:
            # with a host credential every service verifies signed requests and signs replies
            if service.security is None:
                service.security = ServiceSecurity(host=self.security)
            elif service.security.host is None:
                service.security.host = self.security
        elif service.security is not None and service.security.enabled:
            raise ValueError(
                f"service {service.name} has a security policy: the container needs a host "
                "credential (security=HostSecurity.load(...))"
            )
        endpoint = ServiceEndpoint(self, service)
        wsdl = _wsdl_for(service)
        if wsdl is not None:
            endpoint.wsdl_doc = self.documents.locate(wsdl, service.name)
        self.services[service.name] = service
        self.endpoints[service.name] = endpoint
        self._mount(service.name, endpoint)
        service.deployed(self)
        if self.listening is not None:
            service.url = self._service_url(service)
            service.startup()
            self._log_deployed(service)
            if self.index is not None:
                self.index.service_started(service)
        return service

    @staticmethod
    def https_only(service: Service) -> bool:
        security = service.security
        return security is not None and security.default.transport == "https"

    def _service_url(self, service: Service) -> str:
        """HTTPS for services that require it (their EPRs must say so), else HTTP."""
        if self.https_only(service):
            if self.https_port is None:
                raise ValueError(f"service {service.name} requires HTTPS: set https_port")
            return self.https_base_url + SERVICES_PATH + service.name
        return self.base_url + SERVICES_PATH + service.name

    def transport_info(self, request: server.Request) -> TransportInfo:
        """Whether a request came over TLS and who its peer is (validated once per connection)."""
        if not request.isSecure() or self.security is None:
            return _PLAIN
        channel = request.channel
        cached = getattr(channel, "_gridware_transport", None)
        if cached is not None:
            info: TransportInfo = cached
            peer = info.caller.transport
            if peer is not None and peer.not_after <= datetime.now(UTC):
                # a long-lived connection outlived the client's proxy
                info = TransportInfo(
                    Caller(secure_transport=True),
                    AuthenticationFault("the client certificate chain has expired"),
                )
                channel._gridware_transport = info
            return info
        chain = peer_chain(channel.transport)
        if chain is None:
            info = TransportInfo(Caller(secure_transport=True))
        else:
            try:
                result = self.security.validate_chain(chain)
                info = TransportInfo(Caller(result.identity, result, secure_transport=True))
            except faults.Fault as fault:
                info = TransportInfo(Caller(secure_transport=True), fault)
        channel._gridware_transport = info
        return info

    def deploy_all(self, services: Iterable[Service]) -> None:
        for s in services:
            self.deploy(s)

    def _mount(self, name: str, endpoint: ServiceEndpoint) -> None:
        parent: resource.Resource = self.services_index
        parts = name.split("/")
        for part in parts[:-1]:
            child = parent.children.get(part.encode())
            if child is None:
                child = resource.Resource()
                parent.putChild(part.encode(), child)
            parent = child
        parent.putChild(parts[-1].encode(), endpoint)

    # -- running ------------------------------------------------------------------------
    @property
    def https_base_url(self) -> str:
        return self._url("https", self.https_port or 0)

    @property
    def base_url(self) -> str:
        return self._url("http", self.port)

    def _url(self, scheme: str, port: int) -> str:
        host = self.advertised_host or self.host
        if host in ("", "0.0.0.0", "::"):
            host = socket.getfqdn()
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{scheme}://{host}:{port}"

    def request_base_url(self, request: server.Request) -> str:
        """The base URL as the client sees it (from a well-formed Host header)."""
        scheme = "https" if request.isSecure() else "http"
        h = request.getHeader(b"host")
        if h:
            host = h.decode("latin-1")
            if _HOST_RE.match(host):
                return f"{scheme}://{host}"
        return self.https_base_url if request.isSecure() else self.base_url

    def site(self) -> _Site:
        # SOAP bodies are never HTML form data: skip Twisted's costly form parsing.
        site = _Site(
            self.root,
            self.limits.max_size,
            timeout=self.idle_timeout,
            parsePOSTFormSubmission=False,
        )
        site.displayTracebacks = False
        return site

    def start(self) -> IListeningPort:
        """Listen (inside a running or about-to-run reactor) and start the sweeper."""
        if self.listening is not None:
            raise RuntimeError("the container is already listening")
        if self.index is None and self.index_enabled:
            from gridware.container.index import DefaultIndexService

            self.deploy(DefaultIndexService())
        tcp: IReactorTCP = self.reactor
        self._site = self.site()
        self.listening = tcp.listenTCP(self.port, self._site, interface=self.host)
        self.port = self.listening.getHost().port
        fields: dict[str, Any] = {"url": self.base_url, "version": __version__}
        if self.security is not None and self.https_port is not None:
            self.https_listening = self.reactor.listenSSL(
                self.https_port,
                self._site,
                self.security.tls_context_factory(),
                interface=self.host,
            )
            self.https_port = self.https_listening.getHost().port
            fields["https_url"] = self.https_base_url
            fields["identity"] = self.security.identity
        self.started_at = time.time()
        event(log, "gridware.container.start", **fields)
        for service in list(self.services.values()):
            service.url = self._service_url(service)
            service.startup()
            self._log_deployed(service)
        if self.index is not None:
            self.index.container_started()
        if self.sweep_interval > 0:
            self._sweeper = task.LoopingCall(self.sweep)
            clock: IReactorTime = self.reactor
            self._sweeper.clock = clock
            self._sweeper.start(self.sweep_interval, now=False)
        return self.listening

    def _log_deployed(self, service: Service) -> None:
        event(
            log,
            "gridware.container.deploy",
            service=service.name,
            url=service.url,
            dialect=service.dialect.name,
        )

    def sweep(self) -> int:
        """Destroy expired resources of every service now."""
        total = 0
        for service in self.services.values():
            if service.home is None:
                continue
            try:
                n = service.home.sweep()
            except Exception:
                log.exception("sweeping %s failed", service.name)
                continue
            if n:
                event(log, "gridware.container.sweep", service=service.name, destroyed=n)
            total += n
        return total

    def stop(self) -> defer.Deferred[None]:
        """Stop listening, let requests in progress finish (up to ``shutdown_grace``
        seconds), close the connections and shut the services down."""
        if self._sweeper is not None and self._sweeper.running:
            self._sweeper.stop()
        self._sweeper = None
        port, self.listening = self.listening, None
        tls_port, self.https_listening = self.https_listening, None
        if tls_port is not None:
            tls_port.stopListening()
        site, self._site = self._site, None
        d: defer.Deferred[None] = (
            defer.maybeDeferred(port.stopListening) if port else defer.succeed(None)
        )

        async def drain(_: Any) -> None:
            if site is None:
                return
            deadline = time.monotonic() + self.shutdown_grace
            while site.busy() and time.monotonic() < deadline:
                await task.deferLater(self.reactor, 0.05, lambda: None)
            site.close_all()

        d.addCallback(lambda r: defer.Deferred.fromCoroutine(drain(r)))

        def done(_: Any) -> None:
            for service in self.services.values():
                try:
                    service.shutdown()
                except Exception:
                    log.exception("shutting down %s failed", service.name)
            event(log, "gridware.container.stop")

        d.addCallback(done)
        return d


def _wsdl_for(service: Service) -> str | None:
    w = service.wsdl
    if w is None:
        return None
    if isinstance(w, str):
        return w
    return w.get(service.dialect.name)


__all__ = ["SERVICES_PATH", "Container", "ServiceEndpoint"]
