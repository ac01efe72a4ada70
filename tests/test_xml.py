"""The hardened parser and the QName helpers."""

from __future__ import annotations

import pytest
from lxml import etree

from gridware.container.xml import (
    UnsafeXMLError,
    XMLError,
    XMLLimits,
    XMLTooLargeError,
    parse_xml,
    qname_text,
    resolve_qname_text,
)


def test_parses_plain_xml():
    el = parse_xml(b'<a xmlns="urn:a"><b>1</b></a>')
    assert el.tag == "{urn:a}a"


@pytest.mark.parametrize(
    "data",
    [
        b'<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>',
        b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
        b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/x.dtd"><a/>',
        b"<!DOCTYPE a><a/>",
        b'<!DOCTYPE a [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">%p;]><a/>',
    ],
)
def test_refuses_dtds_and_entities(data):
    with pytest.raises(UnsafeXMLError):
        parse_xml(data)


def test_billion_laughs_is_refused_quickly():
    import time

    decls = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 12))
    data = f'<!DOCTYPE a [<!ENTITY l0 "lol">{decls}]><a>&l11;</a>'.encode()
    t = time.monotonic()
    with pytest.raises(XMLError):
        parse_xml(data)
    assert time.monotonic() - t < 2


def test_size_limit():
    with pytest.raises(XMLTooLargeError):
        parse_xml(b"<a>" + b"x" * 100 + b"</a>", XMLLimits(max_size=50))


def test_depth_limits():
    deep = b"<a>" * 300 + b"</a>" * 300
    with pytest.raises(XMLTooLargeError):
        parse_xml(deep)
    ok = b"<a>" * 20 + b"</a>" * 20
    parse_xml(ok, XMLLimits(max_depth=20))
    with pytest.raises(XMLTooLargeError):
        parse_xml(ok, XMLLimits(max_depth=19))
    with pytest.raises(ValueError):
        XMLLimits(max_depth=1000)


@pytest.mark.parametrize(
    "data", [b"", b"  ", b"<a>", b"<a></b>", b"text", b"<a/><b/>", b"\xff\xfe<"]
)
def test_malformed(data):
    with pytest.raises(XMLError):
        parse_xml(data)


def test_resolve_qname_text():
    el = etree.fromstring(b'<a xmlns:p="urn:p" xmlns="urn:d">x</a>')
    assert resolve_qname_text("p:Name", el) == "{urn:p}Name"
    assert resolve_qname_text("Name", el) == "{urn:d}Name"
    assert resolve_qname_text("{urn:x}Name", el) == "{urn:x}Name"
    for bad in ("q:Name", "", "a:b:c", "a b"):
        with pytest.raises(XMLError):
            resolve_qname_text(bad, el)


def test_qname_text_declares_a_prefix():
    el = etree.Element("a")
    text = qname_text("{urn:x}V", el)
    assert resolve_qname_text(text, el) == "{urn:x}V"
    assert qname_text("{urn:x}W", el).split(":")[0] == text.split(":")[0]
