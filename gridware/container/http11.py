"""A small blocking HTTP/1.1 client connection for SOAP calls.

Why not ``http.client``?  It parses every response header block with the
``email`` package, which costs more than the whole SOAP exchange on a
co-located call.  A SOAP client needs one thing from HTTP: POST bytes and read
the reply, over a kept-alive connection.  This module does exactly that and no
more: one request at a time, ``Content-Length``, ``chunked`` and
close-delimited bodies, interim ``1xx`` responses skipped, bounded header and
body sizes, TLS through an :class:`ssl.SSLContext`.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable

MAX_HEADER_BYTES = 64 * 1024
_CRLF = b"\r\n"


class HTTPError(OSError):
    """The server broke the HTTP protocol, or the reply is over a limit."""


class PeerRejected(HTTPError):
    """The server's certificate failed the caller's check (not who it should be)."""


class ConnectionClosed(HTTPError):
    """The server closed the connection before sending any reply."""


class Response:
    """Status, headers (lower-case names) and body of one reply."""

    __slots__ = ("body", "headers", "status", "will_close")

    def __init__(self, status: int, headers: dict[str, str], body: bytes, will_close: bool) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.will_close = will_close


class Connection:
    """One persistent connection to ``host:port``; not thread-safe."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float = 60.0,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        peer_check: Callable[[bytes], None] | None = None,
    ) -> None:
        self.host = host
        self.peer_check = peer_check
        self.port = port
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.server_hostname = server_hostname or host
        self.sock: socket.socket | None = None
        self._buf = bytearray()
        self.requests = 0  # requests sent on the current socket

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ssl_context is not None:
            try:
                sock = self.ssl_context.wrap_socket(sock, server_hostname=self.server_hostname)
                if self.peer_check is not None:
                    der = sock.getpeercert(binary_form=True)
                    if der is None:
                        raise ssl.SSLError("the server sent no certificate")
                    self.peer_check(der)
            except BaseException:
                sock.close()
                raise
        self.sock = sock
        self._buf = bytearray()
        self.requests = 0

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None
                self._buf = bytearray()

    # -- request --------------------------------------------------------------------------
    def post(self, target: str, headers: dict[str, str], body: bytes, max_body: int) -> Response:
        """Send a POST and read its reply.  Raises :class:`ConnectionClosed` when a
        kept-alive connection turns out to be closed before any reply byte arrived."""
        host = self.server_hostname
        default_port = 443 if self.ssl_context is not None else 80
        host_header = host if self.port == default_port else f"{host}:{self.port}"
        if ":" in host and not host.startswith("["):
            host_header = f"[{host}]" + ("" if self.port == default_port else f":{self.port}")
        lines = [f"POST {target} HTTP/1.1", f"Host: {host_header}"]
        for name, value in headers.items():
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise ValueError(f"invalid HTTP header {name!r}")
            lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.sock is None:
            self.connect()
        assert self.sock is not None
        self.requests += 1
        self.sock.sendall(head + body)
        return self._read_response(max_body)

    # -- response -------------------------------------------------------------------------
    def _recv(self) -> bytes:
        assert self.sock is not None
        return self.sock.recv(65536)

    def _read_head(self) -> bytes:
        while True:
            end = self._buf.find(b"\r\n\r\n")
            if end > MAX_HEADER_BYTES or (end < 0 and len(self._buf) > MAX_HEADER_BYTES):
                raise HTTPError("reply headers are larger than 64 KiB")
            if end >= 0:
                head = bytes(self._buf[:end])
                del self._buf[: end + 4]
                return head
            data = self._recv()
            if not data:
                if not self._buf:
                    raise ConnectionClosed("the server closed the connection without a reply")
                raise HTTPError("the connection closed in the middle of the reply headers")
            self._buf += data

    def _read_response(self, max_body: int) -> Response:
        while True:
            head = self._read_head()
            status_line, _, rest = head.partition(_CRLF)
            parts = status_line.split(b" ", 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
                raise HTTPError(f"not an HTTP reply: {status_line[:80]!r}")
            status = int(parts[1])
            headers: dict[str, str] = {}
            for line in rest.split(_CRLF) if rest else ():
                name, sep, value = line.partition(b":")
                if not sep:
                    raise HTTPError(f"malformed reply header {line[:80]!r}")
                key = name.strip().lower().decode("latin-1")
                val = value.strip().decode("latin-1")
                headers[key] = f"{headers[key]}, {val}" if key in headers else val
            if 100 <= status < 200 and status != 101:
                continue  # interim reply (100 Continue, 102, 103): the real one follows
            break
        connection = headers.get("connection", "").lower()
        http10 = parts[0] == b"HTTP/1.0"
        will_close = "close" in connection or (http10 and "keep-alive" not in connection)
        if status in (204, 304):
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._read_chunked(max_body)
        elif "content-length" in headers:
            text = headers["content-length"].split(",")[0].strip()
            if not text.isdigit():
                raise HTTPError(f"invalid Content-Length {text!r}")
            length = int(text)
            if length > max_body:
                raise HTTPError(f"reply of {length} bytes is over the limit of {max_body}")
            body = self._read_exact(length)
        else:
            body = self._read_to_close(max_body)
            will_close = True
        if will_close:
            self.close()
        return Response(status, headers, body, will_close)

    def _read_exact(self, n: int) -> bytes:
        while len(self._buf) < n:
            data = self._recv()
            if not data:
                raise HTTPError("the connection closed in the middle of the reply body")
            self._buf += data
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def _read_line(self) -> bytes:
        while True:
            end = self._buf.find(_CRLF)
            if end >= 0:
                line = bytes(self._buf[:end])
                del self._buf[: end + 2]
                return line
            if len(self._buf) > MAX_HEADER_BYTES:
                raise HTTPError("chunk header too long")
            data = self._recv()
            if not data:
                raise HTTPError("the connection closed in the middle of a chunked reply")
            self._buf += data

    def _read_chunked(self, max_body: int) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_text = self._read_line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise HTTPError(f"invalid chunk size {size_text[:20]!r}") from None
            if size < 0:
                raise HTTPError("negative chunk size")
            if size == 0:
                while self._read_line():  # trailers, up to the empty line
                    pass
                return b"".join(chunks)
            total += size
            if total > max_body:
                raise HTTPError(f"reply is over the limit of {max_body} bytes")
            chunks.append(self._read_exact(size))
            if self._read_exact(2) != _CRLF:
                raise HTTPError("chunk not followed by CRLF")

    def _read_to_close(self, max_body: int) -> bytes:
        data = [bytes(self._buf)]
        total = len(self._buf)
        self._buf = bytearray()
        while True:
            part = self._recv()
            if not part:
                return b"".join(data)
            total += len(part)
            if total > max_body:
                raise HTTPError(f"reply is over the limit of {max_body} bytes")
            data.append(part)
