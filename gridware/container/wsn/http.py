"""A minimal asynchronous HTTP/1.1 client for delivering notifications.

Why not ``twisted.web.client.Agent``?  Agent costs about 0.35 ms of CPU per request
(connection pool, producers, header objects, Deferred chains), ten times the
SOAP-free floor; a producer that notifies thousands of times a second spends its
time there.  Delivery needs one thing from HTTP: POST bytes to one consumer over a
kept-alive connection, one request at a time, and read the status and body of the
reply.  :class:`HttpClientProtocol` does exactly that (like
:mod:`gridware.container.http11` for the blocking client): ``Content-Length``,
``chunked`` and close-delimited replies, interim ``1xx`` replies skipped, bounded
header and body sizes, a deadline per request, TLS through any
``IOpenSSLClientConnectionCreator``.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

from twisted.internet import defer, protocol
from twisted.python.failure import Failure

MAX_HEADER_BYTES = 64 * 1024
MAX_REPLY_BYTES = 1024 * 1024


class DeliveryError(ConnectionError):
    """The consumer could not be reached or broke HTTP."""


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Target:
    """Where an HTTP request goes: scheme, host, port, request path and Host header."""

    scheme: str
    host: str
    port: int
    path: str
    host_header: str

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise ValueError(f"{url!r} has an invalid port") from None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.scheme, parts.hostname, port, path, parts.netloc.rpartition("@")[2])


class HttpClientProtocol(protocol.Protocol):
    """One kept-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pending: defer.Deferred[Reply] | None = None
        self._state = "idle"  # idle, head, body, chunked, close
        self._status = 0
        self._headers: dict[str, str] = {}
        self._remaining = 0
        self._chunks: list[bytes] = []
        self._total = 0
        self.connected_d: defer.Deferred[HttpClientProtocol] = defer.Deferred()
        self.closed = False
        self.will_close = False
        self.requests = 0

    # -- connection -----------------------------------------------------------------------
    def connectionMade(self) -> None:
        transport: Any = self.transport
        no_delay = getattr(transport, "setTcpNoDelay", None)
        if no_delay is not None:
            no_delay(True)
        d, self.connected_d = self.connected_d, defer.Deferred()
        if d.called:  # the caller gave up waiting (timeout): nobody wants this connection
            self.closed = True
            assert self.transport is not None
            self.transport.loseConnection()
            return
        d.callback(self)

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.closed = True
        if self._pending is not None:
            if self._state == "close" and self._status:  # a close-delimited body ends here
                self._finish(bytes(self._buf))
                return
            d, self._pending = self._pending, None
            d.errback(DeliveryError(f"the connection closed: {reason.getErrorMessage()}"))

    def close(self) -> None:
        if not self.closed and self.transport is not None:
            self.transport.loseConnection()

    def abort(self) -> None:
        if not self.closed and self.transport is not None:
            abort = getattr(self.transport, "abortConnection", None)
            if abort is not None:
                abort()
            else:
                self.transport.loseConnection()

    # -- request --------------------------------------------------------------------------
    def post(self, target: Target, headers: dict[str, str], body: bytes) -> defer.Deferred[Reply]:
        if self._pending is not None:
            raise RuntimeError("a request is already in progress on this connection")
        if self.closed or self.will_close:
            return defer.fail(DeliveryError("the connection is closed"))
        lines = [f"POST {target.path} HTTP/1.1", f"Host: {target.host_header}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self._pending = d = defer.Deferred()
        self._state = "head"
        self._status = 0
        self.requests += 1
        assert self.transport is not None
        self.transport.write(head + body)
        return d

    # -- reply ----------------------------------------------------------------------------
    def dataReceived(self, data: bytes) -> None:
        if self._pending is None:
            if data.strip():  # bytes nobody asked for: do not trust this connection again
                self.will_close = True
                self.abort()
            return
        self._buf += data
        try:
            self._advance()
        except DeliveryError as exc:
            d, self._pending = self._pending, None
            self.will_close = True
            self.abort()
            if d is not None:
                d.errback(exc)

    def _advance(self) -> None:
        while self._pending is not None:
            if self._state == "head":
                end = self._buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(self._buf) > MAX_HEADER_BYTES:
                        raise DeliveryError("reply headers are larger than 64 KiB")
                    return
                head = bytes(self._buf[:end])
                del self._buf[: end + 4]
                if not self._head(head):
                    continue  # an interim 1xx reply
            elif self._state == "body":
                if len(self._buf) < self._remaining:
                    return
                body = bytes(self._buf[: self._remaining])
                del self._buf[: self._remaining]
                self._finish(body)
            elif self._state == "chunked":
                if not self._chunk():
                    return
            else:  # "close": the body runs to the end of the connection
                if len(self._buf) > MAX_REPLY_BYTES:
                    raise DeliveryError("the reply is larger than 1 MiB")
                return

    def _head(self, head: bytes) -> bool:
        status_line, _, rest = head.partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise DeliveryError(f"not an HTTP reply: {status_line[:80]!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        for line in rest.split(b"\r\n") if rest else ():
            name, sep, value = line.partition(b":")
            if not sep:
                raise DeliveryError(f"malformed reply header {line[:80]!r}")
            key = name.strip().lower().decode("latin-1")
            headers[key] = value.strip().decode("latin-1")
        if 100 <= status < 200:
            return False
        self._status, self._headers = status, headers
        connection = headers.get("connection", "").lower()
        self.will_close = "close" in connection or (
            parts[0] == b"HTTP/1.0" and "keep-alive" not in connection
        )
        if status in (204, 304):
            self._remaining, self._state = 0, "body"
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self._state, self._chunks, self._total, self._remaining = "chunked", [], 0, -1
        elif "content-length" in headers:
            text = headers["content-length"].split(",")[0].strip()
            if not text.isdigit() or int(text) > MAX_REPLY_BYTES:
                raise DeliveryError(f"unusable Content-Length {text[:20]!r}")
            self._remaining, self._state = int(text), "body"
        else:
            self._state, self.will_close = "close", True
        return True

    def _chunk(self) -> bool:
        """Consume one chunk (or the last one and its trailers); False when more bytes
        are needed."""
        if self._remaining < 0:  # at a chunk-size line
            end = self._buf.find(b"\r\n")
            if end < 0:
                if len(self._buf) > MAX_HEADER_BYTES:
                    raise DeliveryError("chunk header too long")
                return False
            size_text = bytes(self._buf[:end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise DeliveryError(f"invalid chunk size {size_text[:20]!r}") from None
            if size < 0:
                raise DeliveryError("negative chunk size")
            del self._buf[: end + 2]
            if size == 0:
                self._remaining = -2  # trailers up to an empty line
            else:
                self._total += size
                if self._total > MAX_REPLY_BYTES:
                    raise DeliveryError("the reply is larger than 1 MiB")
                self._remaining = size
            return True
        if self._remaining == -2:
            end = self._buf.find(b"\r\n")
            if end < 0:
                return False
            line = bytes(self._buf[:end])
            del self._buf[: end + 2]
            if not line:
                self._finish(b"".join(self._chunks))
            return True
        if len(self._buf) < self._remaining + 2:
            return False
        self._chunks.append(bytes(self._buf[: self._remaining]))
        if self._buf[self._remaining : self._remaining + 2] != b"\r\n":
            raise DeliveryError("chunk not followed by CRLF")
        del self._buf[: self._remaining + 2]
        self._remaining = -1
        return True

    def _finish(self, body: bytes) -> None:
        d, self._pending = self._pending, None
        self._state = "idle"
        reply = Reply(self._status, self._headers, body)
        if self.will_close:
            self.close()
        if d is not None:
            d.callback(reply)


class HttpClientFactory(protocol.ClientFactory):
    """Makes one :class:`HttpClientProtocol` and reports when it is connected."""

    protocol = HttpClientProtocol

    def __init__(self) -> None:
        self.connected: defer.Deferred[HttpClientProtocol] = defer.Deferred()

    def buildProtocol(self, addr: Any) -> HttpClientProtocol:
        p = HttpClientProtocol()
        p.factory = self
        p.connected_d = self.connected
        return p

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        if not self.connected.called:
            self.connected.errback(DeliveryError(reason.getErrorMessage()))

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        if not self.connected.called:  # closed during the TLS handshake
            self.connected.errback(DeliveryError(reason.getErrorMessage()))


def connect(
    reactor: Any, target: Target, timeout: float, tls_creator: Any = None
) -> defer.Deferred[HttpClientProtocol]:
    """Open a connection to ``target`` (TLS with ``tls_creator`` for https)."""
    factory = HttpClientFactory()
    if target.scheme == "https":
        if tls_creator is None:
            return defer.fail(DeliveryError("no TLS configuration for an https consumer"))
        from twisted.protocols.tls import TLSMemoryBIOFactory

        wrapped: Any = TLSMemoryBIOFactory(tls_creator, True, factory)
        reactor.connectTCP(target.host, target.port, wrapped, timeout=timeout)
    else:
        reactor.connectTCP(target.host, target.port, factory, timeout=timeout)
    return factory.connected


__all__ = [
    "DeliveryError",
    "HttpClientFactory",
    "HttpClientProtocol",
    "Reply",
    "Target",
    "connect",
]
