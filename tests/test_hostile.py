"""Hostile input: each is answered by a fault, and the container keeps serving."""

from __future__ import annotations

import http.client
import socket
import urllib.parse

import pytest

from gridware.clients.counter import CounterClient
from tests.conftest import COUNTER_NS
from tests.helpers import SOAP11, SOAP12, WSA05, envelope, post

ADD = f"{COUNTER_NS}/CounterPortType/addRequest"

LOL = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
    + b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    + b'<c:add xmlns:c="http://gridware.org/samples/counter">&lol9;</c:add></s:Body></s:Envelope>'
)

XXE = (
    b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    b'<c:add xmlns:c="http://gridware.org/samples/counter">&xxe;</c:add></s:Body></s:Envelope>'
)

DOCTYPE = (
    b'<?xml version="1.0"?><!DOCTYPE Envelope SYSTEM "http://127.0.0.1:9/evil.dtd">'
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    b'<c:createCounter xmlns:c="http://gridware.org/samples/counter"/></s:Body></s:Envelope>'
)


def _still_serving(demo) -> None:
    epr = CounterClient(demo.url("CounterService")).create()
    assert CounterClient(epr).add(2) == 2


def _fault(reply, expect_code: str = "Client") -> str:
    assert reply.status in (400, 413, 500), reply.status
    assert b"Traceback" not in reply.body
    doc = reply.xml()
    code = doc.findtext(".//faultcode") or doc.findtext(f".//{{{SOAP12}}}Value") or ""
    assert code.endswith(expect_code), code
    return reply.fault_text()


CASES = {
    "xxe": (XXE, "not allowed"),
    "billion-laughs": (LOL, "not allowed"),
    "doctype": (DOCTYPE, "DOCTYPE"),
    "not-xml": (b"this is not XML at all", "well-formed"),
    "truncated-xml": (b'<s:Envelope xmlns:s="' + SOAP11.encode() + b'"><s:Body>', "well-formed"),
    "empty-body": (b"", "empty message"),
    "whitespace-body": (b"   \n  ", "empty message"),
    "not-an-envelope": (b"<hello/>", "not a SOAP Envelope"),
    "missing-body": (
        f'<s:Envelope xmlns:s="{SOAP11}"><s:Header/></s:Envelope>'.encode(),
        "no Body",
    ),
    "empty-soap-body": (envelope(""), "Body is empty"),
    "header-after-body": (
        f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><x/></s:Body><s:Header/></s:Envelope>'.encode(),
        "unexpected",
    ),
    "unknown-body-element": (envelope('<x:nothing xmlns:x="urn:x"/>'), "no operation"),
    "wrong-type": (
        envelope(f'<c:add xmlns:c="{COUNTER_NS}">abc</c:add>'),
        "add: 'abc' is not a valid xsd:int",
    ),
    "deep-nesting": (envelope("<a>" * 10000 + "</a>" * 10000), "deeper"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_message(demo, name):
    data, expected = CASES[name]
    reply = post(demo.url("CounterService"), data)
    assert expected in _fault(reply)
    _still_serving(demo)


def test_entity_content_never_leaks(demo):
    reply = post(demo.url("CounterService"), XXE)
    assert b"root:" not in reply.body


def test_unknown_action(demo):
    hdr = f'<wsa:Action xmlns:wsa="{WSA05}">urn:no-such-action</wsa:Action>'
    reply = post(
        demo.url("CounterService"), envelope(f'<c:createCounter xmlns:c="{COUNTER_NS}"/>', hdr)
    )
    text = _fault(reply, "ActionNotSupported")
    assert "urn:no-such-action" in text
    # SOAPAction naming an unknown action with an unknown body is refused too
    reply = post(
        demo.url("CounterService"),
        envelope('<x:nothing xmlns:x="urn:x"/>'),
        {"SOAPAction": '"urn:no-such-action"'},
    )
    assert "urn:no-such-action" in _fault(reply)
    _still_serving(demo)


def test_wrong_type_for_a_real_counter(demo):
    epr = CounterClient(demo.url("CounterService")).create()
    key = epr.reference(f"{{{COUNTER_NS}}}CounterKey")
    hdr = f'<c:CounterKey xmlns:c="{COUNTER_NS}">{key}</c:CounterKey>'
    for bad in ("abc", "1.5", "99999999999", ""):
        reply = post(
            demo.url("CounterService"),
            envelope(f'<c:add xmlns:c="{COUNTER_NS}">{bad}</c:add>', hdr),
        )
        _fault(reply)
    reply = post(
        demo.url("CounterService"),
        envelope(f'<c:add xmlns:c="{COUNTER_NS}"><c:nested>1</c:nested></c:add>', hdr),
    )
    _fault(reply)
    assert CounterClient(epr).add(1) == 1


def test_unknown_resource_key(demo):
    hdr = f'<c:CounterKey xmlns:c="{COUNTER_NS}">does-not-exist</c:CounterKey>'
    reply = post(
        demo.url("CounterService"), envelope(f'<c:add xmlns:c="{COUNTER_NS}">1</c:add>', hdr)
    )
    assert "does-not-exist" in _fault(reply)
    assert b"ResourceUnknownFault" in reply.body
    # a key header with element content is malformed, not a crash
    hdr = f'<c:CounterKey xmlns:c="{COUNTER_NS}"><evil/></c:CounterKey>'
    reply = post(
        demo.url("CounterService"), envelope(f'<c:add xmlns:c="{COUNTER_NS}">1</c:add>', hdr)
    )
    _fault(reply)
    _still_serving(demo)


@pytest.mark.parametrize(
    "reply_to",
    [
        f'<wsa:ReplyTo xmlns:wsa="{WSA05}"><wsa:Nothing/></wsa:ReplyTo>',
        f'<wsa:ReplyTo xmlns:wsa="{WSA05}"><wsa:Address>  </wsa:Address></wsa:ReplyTo>',
        f'<wsa:ReplyTo xmlns:wsa="{WSA05}">'
        "<wsa:Address>a</wsa:Address><wsa:Address>b</wsa:Address></wsa:ReplyTo>",
    ],
)
def test_malformed_epr_in_headers(demo, reply_to):
    reply = post(
        demo.url("CounterService"), envelope(f'<c:createCounter xmlns:c="{COUNTER_NS}"/>', reply_to)
    )
    assert "endpoint reference" in _fault(reply, "InvalidAddressingHeader")
    _still_serving(demo)


def test_mixed_addressing_versions(demo):
    hdr = (
        f'<a:Action xmlns:a="{WSA05}">x</a:Action>'
        '<b:MessageID xmlns:b="http://schemas.xmlsoap.org/ws/2004/03/addressing">urn:uuid:1</b:MessageID>'
    )
    reply = post(
        demo.url("CounterService"), envelope(f'<c:createCounter xmlns:c="{COUNTER_NS}"/>', hdr)
    )
    assert "mixes" in _fault(reply, "InvalidAddressingHeader")


def test_must_understand(demo):
    hdr = f'<x:Secret xmlns:x="urn:x" s:mustUnderstand="1" xmlns:s="{SOAP11}">1</x:Secret>'
    reply = post(
        demo.url("CounterService"), envelope(f'<c:createCounter xmlns:c="{COUNTER_NS}"/>', hdr)
    )
    assert "mustUnderstand" in _fault(reply, "MustUnderstand")
    # the same header without mustUnderstand is ignored
    hdr = '<x:Secret xmlns:x="urn:x">1</x:Secret>'
    reply = post(
        demo.url("CounterService"), envelope(f'<c:createCounter xmlns:c="{COUNTER_NS}"/>', hdr)
    )
    assert reply.status == 200


def test_soap_version_mismatch(demo):
    data = b'<s:Envelope xmlns:s="urn:soap-3000"><s:Body><x/></s:Body></s:Envelope>'
    reply = post(demo.url("CounterService"), data)
    assert "SOAP 1.1 or SOAP 1.2" in _fault(reply, "VersionMismatch")


def test_100_mib_body(demo):
    """A body over the 16 MiB limit is refused without being kept, and nothing breaks."""
    url = urllib.parse.urlsplit(demo.url("CounterService"))
    size = 100 * 1024 * 1024
    chunk = b"x" * (1024 * 1024)

    def body():
        for _ in range(size // len(chunk)):
            yield chunk

    conn = http.client.HTTPConnection(url.netloc, timeout=120)
    try:
        conn.request(
            "POST",
            url.path,
            body(),
            {"Content-Type": "text/xml", "Content-Length": str(size)},
            encode_chunked=False,
        )
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    assert resp.status == 413
    assert b"exceeds the limit" in data
    _still_serving(demo)


def test_chunked_oversized_body(demo):
    url = urllib.parse.urlsplit(demo.url("CounterService"))
    with socket.create_connection((url.hostname, url.port), timeout=60) as s:
        s.sendall(
            f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: text/xml\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        piece = b"x" * (1024 * 1024)
        for _ in range(20):
            s.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
        s.sendall(b"0\r\n\r\n")
        data = b""
        while b"</soapenv:Envelope>" not in data:
            part = s.recv(65536)
            if not part:
                break
            data += part
    assert data.startswith(b"HTTP/1.1 413")
    _still_serving(demo)


def test_get_unknown_paths(demo):
    from tests.helpers import get

    assert get(demo.base_url + "/wsrf/services/NoSuchService").status == 404
    assert get(demo.base_url + "/wsrf/share/gridware/../../../etc/passwd").status == 404
    assert get(demo.base_url + "/wsrf/share/gridware/%2e%2e/%2e%2e/pyproject.toml").status == 404
    r = get(demo.base_url + "/wsrf/services/")
    assert r.status == 200 and b"CounterService" in r.body
