"""Calling SOAP endpoints: message building, a blocking and a Twisted transport.

:class:`SoapClient` is what generated proxies and the WS-RF client build on::

    client = SoapClient(epr)                 # or a URL
    reply = client.call(action, request_el)  # the response body element
    # a SOAP fault is raised as the matching gridware.container.faults.Fault

:class:`AsyncSoapClient` has the same ``call`` as a coroutine, for use inside a
Twisted program (such as a service calling another service).
"""

from __future__ import annotations

import io
import logging
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from lxml import etree

from gridware.container import http11
from gridware.container.addressing import (
    AddressingHeaders,
    AddressingVersion,
    EndpointReference,
    addressing_version,
    endpoint_headers,
    header_bytes,
    new_message_id,
)
from gridware.container.faults import Fault
from gridware.container.log import event
from gridware.container.soap import (
    SOAP11,
    SoapVersion,
    envelope_bytes,
    parse_envelope,
    parse_fault,
    soap_version,
)
from gridware.container.xml import Element, XMLLimits

log = logging.getLogger("gridware.client")


class TransportError(ConnectionError):
    """The endpoint could not be reached or did not answer with SOAP."""


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    url: str
    body: bytes
    headers: dict[str, str]
    message_id: str


class SoapMessenger:
    """Builds request envelopes for one endpoint and reads the replies."""

    def __init__(
        self,
        endpoint: EndpointReference | str,
        *,
        soap: str | SoapVersion = SOAP11,
        addressing: AddressingVersion | str | None = None,
        limits: XMLLimits | None = None,
    ) -> None:
        if isinstance(endpoint, str):
            endpoint = EndpointReference(
                endpoint, version=addressing_version(addressing or "2005/08")
            )
        elif addressing is not None:
            endpoint = endpoint.with_version(addressing)
        self.epr = endpoint
        self.soap = soap_version(soap)
        self.limits = limits or XMLLimits()
        parsed = urllib.parse.urlsplit(endpoint.address)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"endpoint address {endpoint.address!r} is not an http(s) URL")
        # To, ReplyTo and the reference parameters are the same for every call
        self._endpoint_headers = endpoint_headers(endpoint)

    def prepare(
        self, action: str, body: Element, headers: Iterable[Element] = ()
    ) -> PreparedRequest:
        """The HTTP request for one call: envelope bytes and HTTP headers."""
        message_id = new_message_id()
        head = header_bytes(
            AddressingHeaders(action=action, message_id=message_id), self.epr.version
        )
        head += self._endpoint_headers
        for h in headers:
            head += etree.tostring(h)
        data = envelope_bytes(self.soap, head, etree.tostring(body))
        http_headers = {"Content-Type": f"{self.soap.content_type}; charset=utf-8"}
        if self.soap is SOAP11:
            http_headers["SOAPAction"] = f'"{action}"'
        else:
            http_headers["Content-Type"] += f'; action="{action}"'
        return PreparedRequest(self.epr.address, data, http_headers, message_id)

    def read_reply(self, status: int, content_type: str, data: bytes) -> Element:
        """The response body element; raises the fault, or :class:`TransportError`."""
        ctype = content_type.lower()
        if "xml" not in ctype:
            snippet = data[:200].decode("utf-8", "replace").strip().replace("\n", " ")
            raise TransportError(
                f"{self.epr.address} answered HTTP {status} with "
                f"{content_type or 'no content type'}, not SOAP: {snippet}"
            )
        try:
            msg = parse_envelope(data, self.limits)
        except Fault as exc:
            raise TransportError(f"{self.epr.address} sent an unreadable reply: {exc}") from None
        if msg.fault is not None:
            raise parse_fault(msg)
        if status >= 300:
            raise TransportError(f"{self.epr.address} answered HTTP {status} without a SOAP fault")
        el = msg.body_element
        if el is None:
            raise TransportError(f"{self.epr.address} sent a reply with an empty Body")
        return el


class MessageSecurity(Protocol):
    """Message-level protection applied by a transport (see ``MessageProtection``)."""

    def protect(self, url: str, data: bytes) -> tuple[bytes, Any]: ...

    def accept(self, sent: Any, content_type: str, data: bytes) -> bytes: ...


class HttpTransport:
    """Blocking HTTP(S) with persistent connections (one per thread and host)."""

    def __init__(
        self,
        timeout: float = 60.0,
        ssl_context: ssl.SSLContext | None = None,
        peer_check: Callable[[bytes], None] | None = None,
        message: MessageSecurity | None = None,
    ) -> None:
        """``ssl_context`` is used for https URLs; ``peer_check`` is called with the
        server certificate (DER) after each TLS handshake; ``message`` signs requests
        and verifies replies.  :func:`gridware.container.security.secure_transport`
        sets them all up from a proxy credential."""
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.peer_check = peer_check
        self.message = message
        self._local = threading.local()

    def _connections(self) -> dict[tuple[str, str, int], http11.Connection]:
        conns: dict[tuple[str, str, int], http11.Connection] | None = getattr(
            self._local, "conns", None
        )
        if conns is None:
            conns = self._local.conns = {}
        return conns

    def _connection(self, scheme: str, host: str, port: int) -> http11.Connection:
        conns = self._connections()
        conn = conns.get((scheme, host, port))
        if conn is None:
            if scheme == "https":
                if self.ssl_context is None:
                    from gridware.container.security import default_client_context

                    self.ssl_context = default_client_context()
                context = self.ssl_context
            else:
                context = None
            conn = http11.Connection(
                host, port, timeout=self.timeout, ssl_context=context, peer_check=self.peer_check
            )
            conns[(scheme, host, port)] = conn
        return conn

    def post(
        self, url: str, body: bytes, headers: dict[str, str], max_size: int
    ) -> tuple[int, str, bytes]:
        """POST ``body``; returns (status, content type, reply body)."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TransportError(f"{url!r} is not an http(s) URL")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise TransportError(f"{url!r} has an invalid port") from None
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn = self._connection(parts.scheme, parts.hostname, port)
        sent = None
        if self.message is not None:
            body, sent = self.message.protect(url, body)
        for attempt in (0, 1):
            reused = conn.sock is not None and conn.requests > 0
            try:
                resp = conn.post(target, headers, body, max_size)
                ctype = resp.headers.get("content-type", "")
                if sent is not None:
                    assert self.message is not None
                    return resp.status, ctype, self.message.accept(sent, ctype, resp.body)
                return resp.status, ctype, resp.body
            except (http11.ConnectionClosed, BrokenPipeError, ConnectionResetError) as exc:
                conn.close()
                if reused and attempt == 0:
                    continue  # a kept-alive connection the server had closed: retry once
                raise TransportError(f"connection to {url} failed: {exc}") from None
            except TimeoutError:
                conn.close()
                raise TransportError(f"{url} did not answer within {self.timeout} s") from None
            except ssl.SSLCertVerificationError as exc:
                conn.close()
                raise TransportError(
                    f"{url}: the server certificate is not acceptable: {exc.verify_message}"
                ) from None
            except ssl.SSLError as exc:
                conn.close()
                raise TransportError(f"TLS with {url} failed: {exc.reason or exc}") from None
            except http11.PeerRejected as exc:
                conn.close()
                raise TransportError(f"{url}: {exc}") from None
            except OSError as exc:
                conn.close()
                reason = exc.strerror or str(exc) or type(exc).__name__
                raise TransportError(f"cannot reach {url}: {reason}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close this thread's connections."""
        for conn in self._connections().values():
            conn.close()
        self._connections().clear()


_default_transport = HttpTransport()


class SoapClient(SoapMessenger):
    """A blocking SOAP client for one endpoint."""

    def __init__(
        self,
        endpoint: EndpointReference | str,
        *,
        soap: str | SoapVersion = SOAP11,
        addressing: AddressingVersion | str | None = None,
        transport: HttpTransport | None = None,
        limits: XMLLimits | None = None,
    ) -> None:
        super().__init__(endpoint, soap=soap, addressing=addressing, limits=limits)
        self.transport = transport or _default_transport

    def call(self, action: str, body: Element, headers: Iterable[Element] = ()) -> Element:
        """Send one request and return the response body element."""
        req = self.prepare(action, body, headers)
        start = time.perf_counter()
        status, ctype, data = self.transport.post(
            req.url, req.body, req.headers, self.limits.max_size
        )
        if log.isEnabledFor(logging.DEBUG):
            event(
                log,
                "gridware.client.call",
                logging.DEBUG,
                guid=req.message_id,
                url=req.url,
                action=action,
                status=status,
                dur=f"{time.perf_counter() - start:.6f}",
            )
        return self.read_reply(status, ctype, data)


class AsyncSoapClient(SoapMessenger):
    """A Twisted SOAP client for one endpoint: ``await client.call(...)``."""

    def __init__(
        self,
        endpoint: EndpointReference | str,
        *,
        soap: str | SoapVersion = SOAP11,
        addressing: AddressingVersion | str | None = None,
        limits: XMLLimits | None = None,
        agent: Any = None,
        timeout: float = 60.0,
        message: MessageSecurity | None = None,
    ) -> None:
        """``agent``: a ``twisted.web.client.Agent`` (see
        :func:`gridware.container.security.secure_agent`); by default https:// calls
        present the user's proxy and trust the Globus CA directory.  ``message``
        signs requests and verifies replies (``MessageProtection``)."""
        super().__init__(endpoint, soap=soap, addressing=addressing, limits=limits)
        self.timeout = timeout
        self._agent = agent
        self.message = message

    def agent(self) -> Any:
        if self._agent is None:
            from twisted.internet import reactor
            from twisted.web.client import Agent, HTTPConnectionPool

            pool = HTTPConnectionPool(reactor, persistent=True)
            options: dict[str, Any] = {}
            if self.epr.address.lower().startswith("https:"):
                from gridware.container.security import default_tls_policy

                options["contextFactory"] = default_tls_policy()
            self._agent = Agent(reactor, pool=pool, connectTimeout=self.timeout, **options)
        return self._agent

    async def call(self, action: str, body: Element, headers: Iterable[Element] = ()) -> Element:
        """Send one request and return the response body element."""
        from twisted.web.client import FileBodyProducer, readBody
        from twisted.web.http_headers import Headers

        req = self.prepare(action, body, headers)
        hdrs = Headers({k.encode(): [v.encode()] for k, v in req.headers.items()})
        payload, sent = req.body, None
        if self.message is not None:
            payload, sent = self.message.protect(req.url, payload)
        try:
            response = await self.agent().request(
                b"POST", req.url.encode(), hdrs, FileBodyProducer(io.BytesIO(payload))
            )
            data = await readBody(response)
        except Exception as exc:
            raise TransportError(f"cannot reach {req.url}: {_reason(exc)}") from None
        if len(data) > self.limits.max_size:
            raise TransportError(f"{req.url} sent a reply larger than {self.limits.max_size} bytes")
        ctype = (response.headers.getRawHeaders(b"content-type") or [b""])[0].decode("latin-1")
        if self.message is not None:
            data = self.message.accept(sent, ctype, data)
        return self.read_reply(response.code, ctype, data)


def _reason(exc: Exception) -> str:
    """Twisted wraps connection failures in lists of Failures: the first real reason."""
    reasons = getattr(exc, "reasons", None)
    if reasons:
        inner = reasons[0].value
        return str(inner) or type(inner).__name__
    return str(exc) or type(exc).__name__


def element(tag: str, text: str | None = None, *children: Element, **attrib: str) -> Element:
    """Build a request element: ``element("{ns}add", "5")``."""
    el = etree.Element(tag, attrib)
    el.text = text
    el.extend(children)
    return el
