"""DER reader/writer, Globus DN strings and OpenSSL subject hashes."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from gridware.security import der
from gridware.security.errors import InvalidNameError
from gridware.security.names import (
    canonical_encoding,
    dn_string,
    names_match,
    normalize_dn_string,
    parse_dn,
    subject_hash,
    subject_hash_old,
)
from tests.security.conftest import build_cert, globus_tool, run

# -- DER ------------------------------------------------------------------------------------


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_integer_roundtrip(value):
    assert der.decode_integer(der.decode(der.encode_integer(value))) == value


@pytest.mark.parametrize(
    "oid", ["1.3.6.1.5.5.7.1.14", "1.3.6.1.4.1.3536.1.1.1.9", "2.5.4.3", "2.999.1", "0.9.2342"]
)
def test_oid_roundtrip(oid):
    assert der.decode_oid(der.decode(der.encode_oid(oid))) == oid


def test_oid_matches_cryptography():
    ext = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.5.5.7.1.14"), b"\x30\x00")
    assert ext.oid.dotted_string == der.decode_oid(der.decode(der.encode_oid("1.3.6.1.5.5.7.1.14")))


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "truncated"),
        (b"\x30", "truncated"),
        (b"\x30\x80\x00\x00", "indefinite"),
        (b"\x30\x81\x01\x00", "long form"),
        (b"\x30\x82\x00\x81" + b"\x00" * 0x81, "leading zero"),
        (b"\x30\x05\x00", "truncated content"),
        (b"\x30\x00\x00", "trailing"),
        (b"\x1f\x01\x00", "high tag"),
        (b"\x30\x85\x01\x00\x00\x00\x00", "too large"),
    ],
)
def test_der_rejects_non_der(data, why):
    with pytest.raises(der.DERError, match=why):
        der.decode(data)


@pytest.mark.parametrize(
    "data",
    [
        b"\x02\x00",
        b"\x02\x02\x00\x01",
        b"\x02\x02\xff\x80",
        b"\x01\x01\x01",
        b"\x06\x00",
        b"\x06\x02\x80\x01",
        b"\x06\x01\x81",
    ],
)
def test_der_rejects_bad_primitives(data):
    element = der.decode(data)
    with pytest.raises(der.DERError):
        if element.tag == der.INTEGER:
            der.decode_integer(element)
        elif element.tag == der.BOOLEAN:
            der.decode_boolean(element)
        else:
            der.decode_oid(element)


def test_der_wrong_tag_and_primitive_children():
    element = der.decode(der.encode_integer(5))
    with pytest.raises(der.DERError, match="expected tag"):
        element.expect(der.SEQUENCE)
    with pytest.raises(der.DERError, match="primitive"):
        element.children()


def test_set_of_is_sorted():
    assert der.encode_set([b"\x02\x01\x05", b"\x02\x01\x01"]) == b"\x31\x06\x02\x01\x01\x02\x01\x05"


@given(st.binary(max_size=64))
def test_der_fuzz_never_crashes_unexpectedly(data):
    try:
        element = der.decode(data)
        if element.constructed:
            element.children()
    except der.DERError:
        pass


# -- names ----------------------------------------------------------------------------------


def test_dn_string_roundtrip():
    text = "/O=Grid/OU=Test/CN=Jane Doe"
    assert dn_string(parse_dn(text)) == text


def test_dn_string_forms():
    name = x509.Name(
        [
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "org")]),
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "A"),
                    x509.NameAttribute(NameOID.USER_ID, "a1"),
                ]
            ),
            x509.RelativeDistinguishedName(
                [x509.NameAttribute(NameOID.EMAIL_ADDRESS, "a@example.org")]
            ),
        ]
    )
    assert dn_string(name) in (
        "/DC=org/CN=A+UID=a1/emailAddress=a@example.org",
        "/DC=org/UID=a1+CN=A/emailAddress=a@example.org",
    )


def test_non_ascii_is_escaped_like_openssl_and_read_back():
    name = parse_dn("/O=Grid/CN=J\\xC3\\xBCrgen M\\xC3\\xBCller")
    assert [a.value for a in name][-1] == "Jürgen Müller"
    assert dn_string(name) == "/O=Grid/CN=J\\xC3\\xBCrgen M\\xC3\\xBCller"
    assert dn_string(parse_dn("/O=Grid/CN=Jürgen")) == "/O=Grid/CN=J\\xC3\\xBCrgen"


def test_parse_dn_escapes_and_legacy_names():
    name = parse_dn("/O=Grid/OU=a\\/b/CN=x\\+y/Email=j@x.org/USERID=jd")
    values = [a.value for a in name]
    assert values == ["Grid", "a/b", "x+y", "j@x.org", "jd"]
    assert normalize_dn_string("/O=G/Email=a@b") == "/O=G/emailAddress=a@b"


@pytest.mark.parametrize("bad", ["O=Grid", "/", "/O=Grid//CN=x", "/O", "/O=", "/NOPE=x", "/C=USA"])
def test_parse_dn_rejects(bad):
    with pytest.raises(InvalidNameError):
        parse_dn(bad)


def test_names_match_folds_case_and_space():
    a = parse_dn("/O=Grid/CN=Jane  Doe")
    b = parse_dn("/O=grid/CN= jane doe ")
    assert names_match(a, b)
    assert not names_match(a, parse_dn("/O=Grid/CN=Jane Doe2"))
    assert canonical_encoding(a) == canonical_encoding(b)


# Names whose hash must agree with `openssl x509 -hash`: mixed case, runs of spaces,
# leading/trailing spaces, multi-valued RDNs, non-ASCII, PrintableString/IA5/BMP values.
def _names() -> list[x509.Name]:
    attr = x509.NameAttribute
    rdn = x509.RelativeDistinguishedName
    return [
        parse_dn("/O=Grid/OU=Test/CN=Test CA"),
        parse_dn("/C=US/O=Globus  Alliance/CN= Mixed Case\tName "),
        parse_dn("/DC=org/DC=example/CN=Ünïcödé Ñame"),
        x509.Name(
            [
                rdn([attr(NameOID.COUNTRY_NAME, "DE")]),
                rdn(
                    [
                        attr(
                            NameOID.ORGANIZATION_NAME,
                            "ZZ Top",
                            _type=x509.name._ASN1Type.PrintableString,
                        ),
                        attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "aa bottom"),
                    ]
                ),
                rdn([attr(NameOID.EMAIL_ADDRESS, "Jane@Example.ORG")]),
                rdn([attr(NameOID.COMMON_NAME, "Bmp Näme", _type=x509.name._ASN1Type.BMPString)]),
            ]
        ),
    ]


@pytest.mark.interop
@pytest.mark.parametrize("index", range(4))
def test_subject_hash_agrees_with_openssl(tmp_path, new_key, index):
    openssl = globus_tool("openssl")
    name = _names()[index]
    key = new_key()
    cert = build_cert(name, (name, key), key)
    path = tmp_path / "c.pem"
    from cryptography.hazmat.primitives.serialization import Encoding

    path.write_bytes(cert.public_bytes(Encoding.PEM))
    new = run(openssl, "x509", "-hash", "-noout", "-in", str(path)).stdout.strip()
    old = run(openssl, "x509", "-subject_hash_old", "-noout", "-in", str(path)).stdout.strip()
    assert subject_hash(name) == new
    assert subject_hash_old(name) == old
    subject = run(openssl, "x509", "-subject", "-noout", "-nameopt", "compat", "-in", str(path))
    assert subject.stdout.rstrip("\n") == "subject=" + dn_string(name)
    assert names_match(parse_dn(dn_string(name)), name) or index == 3
