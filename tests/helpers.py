"""Raw HTTP and SOAP helpers for tests that look at the wire."""

from __future__ import annotations

import http.client
import urllib.parse
from dataclasses import dataclass

from lxml import etree

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSA05 = "http://www.w3.org/2005/08/addressing"
WSA04 = "http://schemas.xmlsoap.org/ws/2004/03/addressing"


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes

    def xml(self) -> etree._Element:
        return etree.fromstring(self.body)

    def fault_text(self) -> str:
        return " ".join(self.xml().itertext())


def post(
    url: str, body: bytes, headers: dict[str, str] | None = None, timeout: float = 30
) -> Reply:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.netloc, timeout=timeout)
    try:
        hdrs = {"Content-Type": "text/xml; charset=utf-8"}
        hdrs.update(headers or {})
        conn.request("POST", parts.path, body, hdrs)
        resp = conn.getresponse()
        return Reply(resp.status, resp.getheader("content-type", ""), resp.read())
    finally:
        conn.close()


def get(url: str) -> Reply:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.netloc, timeout=30)
    try:
        path = parts.path + ("?" + parts.query if parts.query else "")
        conn.request("GET", path)
        resp = conn.getresponse()
        return Reply(resp.status, resp.getheader("content-type", ""), resp.read())
    finally:
        conn.close()


def envelope(body: str, headers: str = "", soap: str = SOAP11) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{soap}"><s:Header>{headers}</s:Header>'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()
