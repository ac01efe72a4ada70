"""NotificationConsumer endpoints for ordinary (blocking) programs.

:class:`NotificationListener` is a small HTTP (or HTTPS) server in background
threads that receives ``Notify`` messages (and raw notifications) and calls Python
callbacks::

    with NotificationListener() as listener:
        consumer = listener.add(lambda n: print(n.topic, n.value(int)))
        ...subscribe with consumer.epr as the ConsumerReference...

Each :meth:`~NotificationListener.add` gets its own consumer EPR: the listener's
URL plus a reference parameter (``gw:ConsumerKey``) that the producer echoes as a
SOAP header, which routes the message to its callback in both WS-Notification
versions and for raw delivery alike.

**Why threads and not the Twisted reactor.**  The listener must work from a plain
script that blocks (in ``time.sleep``, in blocking client calls, in a callback).
A Twisted reactor is one per process and cannot be restarted; running it in a
background thread for the listener would take it from programs that run their
own reactor (or embed a container, :mod:`gridware.container.embed`) and make
callbacks that call back into Twisted deadlock.  A listener built on sockets and
threads owns nothing global: any number can run in one process, they stop
cleanly, and callbacks may block (even call the producer again).  HTTP is handled
by a small keep-alive HTTP/1.1 reader, like the client's (:mod:`gridware.container.http11`):
a producer sends one request at a time per consumer over one connection.

**Threads and order.**  A connection is served by one thread, which answers a
request (``202 Accepted``) and then runs its callbacks, in order, before reading
the next: notifications of one subscription reach their callback one at a time
and in the order produced, and a slow callback slows down only its own producer's
queue (which is bounded and drops the oldest).  Callbacks of different
subscriptions may run at the same time in different threads.  An exception in a
callback is logged and does not stop the listener.

**Security.**  ``https=True`` serves TLS with ``credential`` (the user's proxy by
default; a host certificate works too), asking producers for their certificate;
``require_signature=True`` accepts only WS-Security signed notifications whose
signer chains to a CA of ``cert_dir`` (and is ``producer_identity`` when given);
unsigned or badly signed ones are refused with a SOAP fault and never reach a
callback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import ssl
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from lxml import etree

from gridware.container import faults
from gridware.container.addressing import (
    WSA_2004_03,
    WSA_2005_08,
    AddressingVersion,
    EndpointReference,
    addressing_version,
)
from gridware.container.security import CHAIN_CACHE_TTL
from gridware.container.soap import SOAP11, envelope_bytes, fault_element, parse_envelope
from gridware.container.wsn.messages import Notification, NotifyFormatError, is_notify, parse_notify
from gridware.container.xml import DEFAULT_MAX_SIZE, Element, XMLLimits, qname
from gridware.security import Credential, TrustStore
from gridware.security.wssec import ADDRESSING_HEADERS, MessageSecurityError, Verifier

log = logging.getLogger("gridware.wsn.consumer")

CONSUMER_KEY = qname("urn:gridware:wsn", "ConsumerKey")

Callback = Callable[[Notification], Any]

_MAX_HEAD = 64 * 1024


class ListenerError(Exception):
    """The listener cannot start (address in use, unusable credential ...)."""


@dataclass(eq=False)
class Consumer:
    """One registered callback and the endpoint reference producers send to."""

    key: str
    epr: EndpointReference
    callback: Callback
    listener: NotificationListener
    received: int = 0

    def remove(self) -> None:
        """Stop dispatching to the callback (later notifications are refused)."""
        self.listener.remove(self)


class NotificationListener:
    """An embedded NotificationConsumer (see the module documentation).

    ``host``/``port`` is where to listen (port 0 picks a free one);
    ``advertised_host`` the host name put in EPRs (default: ``host``, or this
    machine's name when listening on all interfaces).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        advertised_host: str | None = None,
        https: bool = False,
        credential: Credential | str | Path | None = None,
        cert_dir: str | Path | None = None,
        require_signature: bool = False,
        producer_identity: str | None = None,
        max_message_size: int = DEFAULT_MAX_SIZE,
        idle_timeout: float = 300.0,
    ) -> None:
        self.host = host
        self.port = port
        self.advertised_host = advertised_host
        self.https = https
        self.require_signature = require_signature
        self.producer_identity = producer_identity
        self.limits = XMLLimits(max_message_size)
        self.idle_timeout = idle_timeout
        self._consumers: dict[str, Consumer] = {}
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._closing = False
        self.refused = 0
        self._ssl: ssl.SSLContext | None = None
        self._verifier: Verifier | None = None
        if https:
            self._ssl = _server_context(credential, cert_dir)
        if require_signature:
            try:
                trust = TrustStore(Path(cert_dir)) if cert_dir else TrustStore.default()
                trust.describe()
            except Exception as exc:
                raise ListenerError(f"trusted certificates directory: {exc}") from None
            # the chain of a producer is validated once a minute, not for every
            # notification (validation is most of the cost of a verification); a file
            # added to cert_dir (a published CRL) ends it at once, as in the container
            self._verifier = Verifier(
                trust,
                required_headers=ADDRESSING_HEADERS | {CONSUMER_KEY},
                clock_skew=timedelta(minutes=5),
                chain_cache_ttl=CHAIN_CACHE_TTL,
            )

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> NotificationListener:
        if self._sock is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise ListenerError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror}"
            ) from None
        sock.listen(128)
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._closing = False
        self._thread = threading.Thread(
            target=self._accept, name=f"gridware-wsn-listener-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop listening and close every connection."""
        self._closing = True
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        with self._lock:
            conns = list(self._connections)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)

    def __enter__(self) -> NotificationListener:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        host = self.advertised_host or self.host
        if host in ("", "0.0.0.0", "::"):
            host = socket.getfqdn()
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        scheme = "https" if self.https else "http"
        return f"{scheme}://{host}:{self.port}/wsn/consumer"

    # -- consumers --------------------------------------------------------------------------
    def add(
        self, callback: Callback, *, addressing: AddressingVersion | str = WSA_2005_08
    ) -> Consumer:
        """Register ``callback``; the returned consumer's ``epr`` is what to subscribe with
        (``addressing="2004/03"`` for Globus Toolkit 4 producers)."""
        self.start()
        v = addressing_version(addressing)
        key = str(uuid.uuid4())
        ref = etree.Element(CONSUMER_KEY, nsmap={"gw": "urn:gridware:wsn"})
        ref.text = key
        if v.reference_properties:
            epr = EndpointReference(self.url, reference_properties=(ref,), version=v)
        else:
            epr = EndpointReference(self.url, reference_parameters=(ref,), version=v)
        consumer = Consumer(key, epr, callback, self)
        with self._lock:
            self._consumers[key] = consumer
        return consumer

    def remove(self, consumer: Consumer) -> None:
        with self._lock:
            self._consumers.pop(consumer.key, None)

    # -- serving ----------------------------------------------------------------------------
    def _accept(self) -> None:
        sock = self._sock
        while sock is not None and not self._closing:
            try:
                conn, _addr = sock.accept()
            except OSError:
                break
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(
                target=self._serve, args=(conn,), name="gridware-wsn-connection", daemon=True
            ).start()

    def _serve(self, raw: socket.socket) -> None:
        conn: socket.socket = raw
        with self._lock:
            self._connections.add(raw)
        try:
            conn.settimeout(self.idle_timeout)
            if self._ssl is not None:
                try:
                    conn = self._ssl.wrap_socket(raw, server_side=True)
                except (ssl.SSLError, OSError) as exc:
                    log.info("TLS handshake with a producer failed: %s", exc)
                    return
                problem = self._check_peer(conn)
                if problem is not None:
                    log.warning("refusing a producer connection: %s", problem)
                    return
            reader = _Reader(conn, self.limits.max_size)
            while not self._closing:
                request = reader.request()
                if request is None:
                    return
                method, keep_alive, body = request
                if method != "POST":
                    reader.send(405, b"POST SOAP messages here\n", "text/plain", keep_alive)
                    if not keep_alive:
                        return
                    continue
                status, reply, dispatch = self._handle(body)
                reader.send(status, reply, f"{SOAP11.content_type}; charset=utf-8", keep_alive)
                for consumer, notification in dispatch:
                    self._call(consumer, notification)
                if not keep_alive:
                    return
        except (OSError, _HttpError) as exc:
            if not self._closing:
                log.debug("producer connection ended: %s", exc)
        finally:
            with self._lock:
                self._connections.discard(raw)
            with contextlib.suppress(OSError):
                conn.close()

    def _check_peer(self, conn: socket.socket) -> str | None:
        if self.producer_identity is None:
            return None
        der = conn.getpeercert(binary_form=True) if isinstance(conn, ssl.SSLSocket) else None
        if der is None:
            return "the producer presented no certificate"
        from cryptography import x509

        from gridware.security.names import dn_string

        subject = dn_string(x509.load_der_x509_certificate(der).subject)
        if subject != self.producer_identity:
            return f"the producer identifies as {subject}, not {self.producer_identity}"
        return None

    def _handle(self, body: bytes) -> tuple[int, bytes, list[tuple[Consumer, Notification]]]:
        """The HTTP status and reply of one request, and what to dispatch after replying."""
        try:
            msg = parse_envelope(body, self.limits)
            signer = None
            if self._verifier is not None:
                try:
                    verified = self._verifier.verify(msg.envelope)
                except MessageSecurityError as exc:
                    raise faults.SenderFault(f"the notification is not acceptable: {exc}") from None
                signer = verified.identity
                if self.producer_identity is not None and signer != self.producer_identity:
                    raise faults.SenderFault(
                        f"the notification is signed by {signer}, not {self.producer_identity}"
                    )
            consumer = self._route(msg.header)
            payload = msg.body_element
            if payload is None:
                raise faults.SenderFault("the SOAP Body is empty")
            if is_notify(payload):
                try:
                    notifications = parse_notify(payload)
                except NotifyFormatError as exc:
                    raise faults.SenderFault(str(exc)) from None
            else:
                notifications = [Notification(payload, raw=True)]
            headers = list(msg.header.iterchildren(etree.Element)) if msg.header is not None else []
            for n in notifications:
                n.signer = signer
                n.headers = headers
            return 202, b"", [(consumer, n) for n in notifications]
        except faults.Fault as fault:
            self.refused += 1
            log.info("refused a notification: %s", fault.description)
            detail = fault.to_detail(None)
            data = envelope_bytes(SOAP11, b"", etree.tostring(fault_element(SOAP11, fault, detail)))
            return 500, data, []

    def _route(self, header: Element | None) -> Consumer:
        key = None
        if header is not None:
            el = header.find(CONSUMER_KEY)
            if el is not None:
                key = (el.text or "").strip()
        if key is None:
            raise faults.SenderFault(
                f"the notification carries no {CONSUMER_KEY} header: send it to the EPR "
                "this consumer gave, with its reference parameters"
            )
        with self._lock:
            consumer = self._consumers.get(key)
        if consumer is None:
            raise faults.ResourceUnknownFault("no such consumer here (it was removed)")
        return consumer

    def _call(self, consumer: Consumer, notification: Notification) -> None:
        consumer.received += 1
        try:
            consumer.callback(notification)
        except Exception:
            log.exception("a notification callback failed")


class _HttpError(Exception):
    pass


class _Reader:
    """Reads HTTP/1.1 requests from one connection and writes the replies."""

    def __init__(self, conn: socket.socket, max_body: int) -> None:
        self.conn = conn
        self.max_body = max_body
        self.buf = bytearray()

    def _fill(self) -> bool:
        data = self.conn.recv(65536)
        if not data:
            return False
        self.buf += data
        return True

    def request(self) -> tuple[str, bool, bytes] | None:
        """(method, keep-alive, body) of the next request; None when the peer is done."""
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(self.buf) > _MAX_HEAD:
                raise _HttpError("request headers are larger than 64 KiB")
            if not self._fill():
                if self.buf.strip():
                    raise _HttpError("the connection closed in the middle of a request")
                return None
        head = bytes(self.buf[:end]).decode("latin-1")
        del self.buf[: end + 4]
        request_line, _, rest = head.partition("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _HttpError(f"not an HTTP request: {request_line[:80]!r}")
        method, _target, version = parts
        headers: dict[str, str] = {}
        for line in rest.split("\r\n") if rest else ():
            name, sep, value = line.partition(":")
            if not sep:
                raise _HttpError("malformed request header")
            headers[name.strip().lower()] = value.strip()
        connection = headers.get("connection", "").lower()
        keep_alive = "close" not in connection and (
            version != "HTTP/1.0" or "keep-alive" in connection
        )
        if "100-continue" in headers.get("expect", "").lower():
            self.conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._chunked()
        else:
            text = headers.get("content-length", "0").strip()
            if not text.isdigit():
                raise _HttpError("invalid Content-Length")
            n = int(text)
            if n > self.max_body:
                raise _HttpError(f"a request of {n} bytes is over the limit")
            while len(self.buf) < n:
                if not self._fill():
                    raise _HttpError("the connection closed in the middle of a request body")
            body = bytes(self.buf[:n])
            del self.buf[:n]
        return method, keep_alive, body

    def _line(self) -> bytes:
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buf[:end])
                del self.buf[: end + 2]
                return line
            if len(self.buf) > _MAX_HEAD or not self._fill():
                raise _HttpError("bad chunked request body")

    def _chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                size = int(self._line().split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _HttpError("invalid chunk size") from None
            if size <= 0:
                while self._line():
                    pass
                return b"".join(chunks)
            total += size
            if total > self.max_body:
                raise _HttpError("the request is over the size limit")
            while len(self.buf) < size + 2:
                if not self._fill():
                    raise _HttpError("the connection closed in the middle of a chunk")
            chunks.append(bytes(self.buf[:size]))
            del self.buf[: size + 2]

    def send(self, status: int, body: bytes, content_type: str, keep_alive: bool) -> None:
        reason = {
            202: "Accepted",
            200: "OK",
            405: "Method Not Allowed",
            500: "Internal Server Error",
        }
        head = f"HTTP/1.1 {status} {reason.get(status, 'OK')}\r\nContent-Length: {len(body)}\r\n"
        if body:
            head += f"Content-Type: {content_type}\r\n"
        if not keep_alive:
            head += "Connection: close\r\n"
        self.conn.sendall(head.encode("latin-1") + b"\r\n" + body)


def _server_context(
    credential: Credential | str | Path | None, cert_dir: str | Path | None
) -> ssl.SSLContext:
    """TLS for the listener: our credential, producers asked for theirs (proxies allowed)."""
    from gridware.security import environment

    try:
        cred = (
            credential if isinstance(credential, Credential) else Credential.load_proxy(credential)
        )
    except Exception as exc:
        raise ListenerError(
            f"an https listener needs a credential ({exc}): run 'gridware proxy init' "
            "or give credential="
        ) from None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        directory = Path(cert_dir) if cert_dir else environment.cert_dir()
        ctx.load_verify_locations(capath=str(directory))
        for pem in sorted(directory.glob("*.0")):
            ctx.load_verify_locations(cafile=str(pem))
    except Exception as exc:
        raise ListenerError(f"trusted certificates directory: {exc}") from None
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.verify_flags |= getattr(ssl, "VERIFY_ALLOW_PROXY_CERTS", 0x40)
    fd, path = tempfile.mkstemp(prefix="gridware-wsn-", suffix=".pem")
    try:
        os.write(fd, cred.to_proxy_pem())
        os.close(fd)
        ctx.load_cert_chain(path)
    except (ssl.SSLError, OSError) as exc:
        raise ListenerError(f"cannot use the credential {cred.subject}: {exc}") from None
    finally:
        os.unlink(path)
    return ctx


__all__ = [
    "CONSUMER_KEY",
    "WSA_2004_03",
    "Consumer",
    "ListenerError",
    "Notification",
    "NotificationListener",
]
