"""The blocking HTTP/1.1 client against scripted servers (what Twisted never sends)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import pytest

from gridware.container.client import HttpTransport, TransportError
from gridware.container.http11 import Connection, HTTPError


class ScriptedServer:
    """Accepts connections on 127.0.0.1; each request is answered by ``reply(n)``."""

    def __init__(self, reply: Callable[[int], bytes | None], close_after: bool = False) -> None:
        self.reply = reply
        self.close_after = close_after
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                buf = b""
                while True:
                    while b"\r\n\r\n" not in buf:
                        data = conn.recv(65536)
                        if not data:
                            break
                        buf += data
                    if b"\r\n\r\n" not in buf:
                        break
                    head, _, buf = buf.partition(b"\r\n\r\n")
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    while len(buf) < length:
                        buf += conn.recv(65536)
                    self.requests.append(head + b"\r\n\r\n" + buf[:length])
                    buf = buf[length:]
                    answer = self.reply(len(self.requests))
                    if answer is None:
                        break  # close without answering
                    conn.sendall(answer)
                    if self.close_after:
                        break

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/svc"

    def stop(self) -> None:
        self._stop = True
        self.sock.close()


@pytest.fixture
def server_factory():
    servers: list[ScriptedServer] = []

    def make(reply, close_after=False):
        s = ScriptedServer(reply, close_after)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()


def _post(url: str, transport: HttpTransport | None = None, max_size: int = 1 << 20):
    t = transport or HttpTransport(timeout=5)
    return t.post(url, b"<x/>", {"Content-Type": "text/xml"}, max_size)


def test_content_length_and_keep_alive(server_factory):
    s = server_factory(
        lambda n: b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5\r\n\r\n<a/>\n"
    )
    t = HttpTransport(timeout=5)
    for _ in range(3):
        assert _post(s.url(), t) == (200, "text/xml", b"<a/>\n")
    assert s.connections == 1
    req = s.requests[0]
    assert req.startswith(b"POST /svc HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{s.port}".encode() in req and req.endswith(b"<x/>")


def test_chunked_with_extensions_and_trailers(server_factory):
    body = b"4;ext=1\r\n<ab>\r\n3\r\n</a\r\n1\r\n>\r\n0\r\nX-Trailer: 1\r\n\r\n"
    s = server_factory(lambda n: b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    t = HttpTransport(timeout=5)
    assert _post(s.url(), t) == (500, "", b"<ab></a>")
    assert _post(s.url(), t)[2] == b"<ab></a>"
    assert s.connections == 1


def test_close_delimited_and_interim_replies(server_factory):
    s = server_factory(
        lambda n: (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n<done/>"
        ),
        close_after=True,
    )
    t = HttpTransport(timeout=5)
    assert _post(s.url(), t) == (200, "text/xml", b"<done/>")
    assert _post(s.url(), t) == (200, "text/xml", b"<done/>")
    assert s.connections == 2


def test_stale_keep_alive_connection_is_retried_once(server_factory):
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    s = server_factory(lambda n: None if n == 2 else ok)  # closes on the 2nd request
    t = HttpTransport(timeout=5)
    assert _post(s.url(), t)[2] == b"ok"
    assert _post(s.url(), t)[2] == b"ok"  # retried on a fresh connection
    assert s.connections == 2


def test_a_fresh_connection_closed_without_reply_is_an_error(server_factory):
    s = server_factory(lambda n: None)
    with pytest.raises(TransportError, match="failed"):
        _post(s.url())


@pytest.mark.parametrize(
    "reply",
    [
        b"SMTP ready\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    ],
)
def test_broken_replies(server_factory, reply):
    s = server_factory(lambda n: reply, close_after=True)
    with pytest.raises(TransportError):
        _post(s.url())


def test_reply_size_limits(server_factory):
    big = b"x" * 5000
    s = server_factory(lambda n: b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + big)
    with pytest.raises(TransportError, match="over the limit"):
        _post(s.url(), max_size=1000)
    s2 = server_factory(
        lambda n: (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"".join(b"400\r\n" + b"y" * 1024 + b"\r\n" for _ in range(5))
            + b"0\r\n\r\n"
        )
    )
    with pytest.raises(TransportError, match="over the limit"):
        _post(s2.url(), max_size=3000)
    s3 = server_factory(
        lambda n: b"HTTP/1.1 200 OK\r\n" + b"X: " + b"h" * 70000 + b"\r\n\r\n", close_after=True
    )
    with pytest.raises(TransportError, match="64 KiB"):
        _post(s3.url())


def test_header_injection_refused():
    c = Connection("127.0.0.1", 9)
    with pytest.raises(ValueError):
        c.post("/", {"SOAPAction": "x\r\nEvil: 1"}, b"", 100)


def test_refused_and_bad_urls():
    with pytest.raises(TransportError, match="cannot reach"):
        _post("http://127.0.0.1:9/x")
    with pytest.raises(TransportError, match="invalid port"):
        _post("http://127.0.0.1:99999999/x")
    with pytest.raises(TransportError, match="not an http"):
        _post("ftp://127.0.0.1/x")


def test_timeout(server_factory):
    import time

    s = server_factory(lambda n: time.sleep(2) or b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    with pytest.raises(TransportError, match="did not answer"):
        HttpTransport(timeout=0.3).post(s.url(), b"", {}, 100)


def test_http_error_is_an_oserror():
    assert issubclass(HTTPError, OSError)
