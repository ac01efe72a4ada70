"""Interop of WS-Security signatures with the xmlsec1 command line (Debian package xmlsec1).

- gridware signs, xmlsec1 verifies: the signer certificate is cut out of the
  BinarySecurityToken with ``openssl`` (a PkiPath is split with ``asn1parse``, as a
  peer would, not with gridware's reader), its chain is checked by ``openssl verify
  -allow_proxy_certs``, and ``xmlsec1 --verify`` checks the signature with it
  (``--id-attr:Id`` declares each element type that carries an Id);
- xmlsec1 signs a template (Timestamp, BinarySecurityToken, empty ds:Signature
  referring to the Body, the Timestamp and the WS-Addressing headers, KeyInfo =
  SecurityTokenReference to the token), gridware's Verifier accepts it.

Without xmlsec1 these tests skip, unless CI=true: then they fail.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from gridware.security import Credential
from gridware.security.wssec import InvalidSignatureError, ReplayedMessageError, Verifier, sign
from gridware.security.wssec.ns import (
    ADDRESSING_HEADERS,
    BASE64_BINARY,
    DS,
    EXC_C14N,
    RSA_SHA1,
    RSA_SHA256,
    SHA1,
    SHA256,
    WSSE,
    WSSE11,
    WSU,
    X509_PKIPATH,
    X509V3,
)
from tests.security.conftest import run
from tests.security.wssec_messages import (
    KEY_HEADER,
    PARSER,
    SOAP_VERSIONS,
    WSA_VERSIONS,
    body,
    header,
    one,
    request,
)

pytestmark = pytest.mark.interop

USER_DN = "/O=Grid/OU=Test/CN=Jane Doe"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian packages xmlsec1, openssl; ./tools/test installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def xmlsec1() -> str:
    return tool("xmlsec1")


@pytest.fixture
def openssl() -> str:
    return tool("openssl")


def id_attr_arguments(document: etree._Element) -> list[str]:
    """``--id-attr:Id NS:Name`` for every element type carrying an Id attribute."""
    names = set()
    for element in document.iter(etree.Element):
        if any(etree.QName(a).localname == "Id" for a in element.attrib):
            qname = etree.QName(element)
            names.add(
                f"{qname.namespace}:{qname.localname}" if qname.namespace else qname.localname
            )
    arguments = []
    for name in sorted(names):
        arguments += ["--id-attr:Id", name]
    return arguments


def certificates_from_token(openssl: str, signed: etree._Element, tmp: Path) -> list[str]:
    """The token's certificates as PEM, signer first, cut out with openssl alone."""
    token = signed.find(f".//{{{WSSE}}}BinarySecurityToken")
    assert token is not None
    der = tmp / "token.der"
    der.write_bytes(base64.b64decode("".join((token.text or "").split())))
    value_type = token.get("ValueType")
    if value_type == X509V3:
        return [run(openssl, "x509", "-inform", "DER", "-in", str(der)).stdout]
    assert value_type == X509_PKIPATH
    listing = run(openssl, "asn1parse", "-inform", "DER", "-in", str(der)).stdout
    pems = []
    for offset, header_length, length in re.findall(
        r"^\s*(\d+):d=1\s+hl=\s*(\d+)\s+l=\s*(\d+)", listing, re.MULTILINE
    ):
        piece = tmp / f"cert{offset}.der"
        run(
            openssl, "asn1parse", "-inform", "DER", "-in", str(der), "-offset", offset,
            "-length", str(int(header_length) + int(length)), "-noout", "-out", str(piece),
        )  # fmt: skip
        pems.append(run(openssl, "x509", "-inform", "DER", "-in", str(piece)).stdout)
    return pems[::-1]  # a PkiPath starts at the trust anchor side


def xmlsec1_verify(
    xmlsec1: str, openssl: str, signed: etree._Element, ca_pem: Path, tmp: Path
) -> tuple[int, str]:
    pems = certificates_from_token(openssl, signed, tmp)
    (tmp / "signer.pem").write_text(pems[0])
    (tmp / "chain.pem").write_text("".join(pems))
    run(
        openssl, "verify", "-allow_proxy_certs", "-CAfile", str(ca_pem),
        "-untrusted", str(tmp / "chain.pem"), str(tmp / "signer.pem"),
    )  # fmt: skip
    (tmp / "signed.xml").write_bytes(etree.tostring(signed))
    result = run(
        xmlsec1, "--verify", "--pubkey-cert-pem", str(tmp / "signer.pem"),
        *id_attr_arguments(signed), str(tmp / "signed.xml"), check=False,
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


# -- gridware signs, xmlsec1 verifies -----------------------------------------------------------


@pytest.mark.parametrize(
    ("soap", "wsa", "algorithm", "depth"),
    [
        ("1.1", "2005/08", "rsa-sha256", 0),
        ("1.1", "2004/03", "rsa-sha1", 1),
        ("1.2", "2004/08", "rsa-sha256", 1),
        ("1.2", "2005/08", "rsa-sha1", 3),
    ],
)
def test_gridware_signature_verifies_with_xmlsec1(
    pki, xmlsec1, openssl, tmp_path, soap, wsa, algorithm, depth
):
    credential = pki.user
    for _ in range(depth):
        credential = pki.proxy(credential)
    envelope = request(soap, WSA_VERSIONS[wsa])
    sign(envelope, credential, algorithm=algorithm)

    status, output = xmlsec1_verify(
        xmlsec1, openssl, envelope, pki.ca.directory / "cacert.pem", tmp_path
    )
    assert status == 0, output
    assert "SignedInfo References (ok/all): 7/7" in output  # Body, 5 headers, Timestamp


def test_default_namespace_in_scope_verifies_with_xmlsec1(pki, xmlsec1, openssl, tmp_path):
    """The InclusiveNamespaces PrefixList names ``#default``: xmlsec1 must agree on it."""
    envelope = etree.fromstring(
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns="urn:payload">'
        b"<s:Header/><s:Body><Echo>hello <b>world</b></Echo></s:Body></s:Envelope>",
        PARSER,
    )
    sign(envelope, pki.user)
    assert "#default" in one(envelope, "(//ec:InclusiveNamespaces)[1]").get("PrefixList", "")
    status, output = xmlsec1_verify(
        xmlsec1, openssl, envelope, pki.ca.directory / "cacert.pem", tmp_path
    )
    assert status == 0, output
    Verifier(pki.trust).verify(etree.fromstring(etree.tostring(envelope), PARSER))


def test_xmlsec1_refuses_a_tampered_gridware_message(pki, xmlsec1, openssl, tmp_path):
    envelope = request()
    sign(envelope, pki.proxy())
    body(envelope)[0].text = "c:Tampered"
    status, output = xmlsec1_verify(
        xmlsec1, openssl, envelope, pki.ca.directory / "cacert.pem", tmp_path
    )
    assert status != 0, output


# -- xmlsec1 signs, gridware verifies ------------------------------------------------------------


def pkipath(certificates: list[bytes]) -> bytes:
    """DER SEQUENCE OF Certificate (written here, independently of gridware)."""
    content = b"".join(certificates)
    size = len(content)
    length = bytes([size]) if size < 0x80 else bytes([0x80 | 2]) + size.to_bytes(2, "big")
    return b"\x30" + length + content


def template(credential: Credential, soap: str, wsa: str, algorithm: str) -> etree._Element:
    """A request with an unsigned WS-Security signature template, as a Java/C peer builds it."""
    signature_method, digest_method = {
        "rsa-sha256": (RSA_SHA256, SHA256),
        "rsa-sha1": (RSA_SHA1, SHA1),
    }[algorithm]
    envelope = request(soap, WSA_VERSIONS[wsa])
    now = datetime.now(UTC)
    stamp = "%Y-%m-%dT%H:%M:%S.000Z"
    ders = [c.public_bytes(Encoding.DER) for c in credential.certificates]
    if len(ders) == 1:
        value_type, token = X509V3, ders[0]
    else:
        value_type, token = X509_PKIPATH, pkipath(ders[::-1])
    to_sign = [body(envelope), *(b for b in header(envelope) if b.tag in ADDRESSING_HEADERS)]
    to_sign.append(header(envelope).find(KEY_HEADER))
    for n, element in enumerate(to_sign):
        element.set(f"{{{WSU}}}Id", f"part-{n}")
    soap_ns = SOAP_VERSIONS[soap]
    token_type = f' xmlns:wsse11="{WSSE11}" wsse11:TokenType="{value_type}"'
    references = "".join(
        f'<ds:Reference URI="#{uri}"><ds:Transforms><ds:Transform Algorithm="{EXC_C14N}"/>'
        f'</ds:Transforms><ds:DigestMethod Algorithm="{digest_method}"/><ds:DigestValue/>'
        "</ds:Reference>"
        for uri in ["TS-1", *(f"part-{n}" for n in range(len(to_sign)))]
    )
    security = etree.fromstring(
        f"""<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}" xmlns:s="{soap_ns}"
 s:mustUnderstand="{"1" if soap == "1.1" else "true"}"><wsu:Timestamp wsu:Id="TS-1"><wsu:Created
>{now.strftime(stamp)}</wsu:Created><wsu:Expires>{(now + timedelta(minutes=5)).strftime(stamp)}</wsu:Expires
></wsu:Timestamp><wsse:BinarySecurityToken EncodingType="{BASE64_BINARY}" ValueType="{value_type}"
 wsu:Id="X509-1">{base64.b64encode(token).decode()}</wsse:BinarySecurityToken><ds:Signature
 xmlns:ds="{DS}"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/><ds:SignatureMethod
 Algorithm="{signature_method}"/>{references}</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo
><wsse:SecurityTokenReference{token_type if value_type == X509_PKIPATH else ""}><wsse:Reference
 URI="#X509-1" ValueType="{value_type}"/></wsse:SecurityTokenReference></ds:KeyInfo
></ds:Signature></wsse:Security>""".encode()
    )
    header(envelope).insert(0, security)
    return etree.fromstring(etree.tostring(envelope), PARSER)


def xmlsec1_sign(xmlsec1: str, unsigned: etree._Element, credential: Credential, tmp: Path):
    (tmp / "template.xml").write_bytes(etree.tostring(unsigned))
    (tmp / "key.pem").write_bytes(credential.key_pem())
    run(
        xmlsec1, "--sign", "--privkey-pem", str(tmp / "key.pem"), *id_attr_arguments(unsigned),
        "--output", str(tmp / "signed.xml"), str(tmp / "template.xml"),
    )  # fmt: skip
    return etree.fromstring((tmp / "signed.xml").read_bytes(), PARSER)


@pytest.mark.parametrize(
    ("soap", "wsa", "algorithm", "depth"),
    [
        ("1.1", "2005/08", "rsa-sha256", 0),
        ("1.1", "2004/03", "rsa-sha1", 0),
        ("1.2", "2004/08", "rsa-sha256", 1),
        ("1.1", "2005/08", "rsa-sha1", 3),
    ],
)
def test_xmlsec1_signature_is_accepted(pki, xmlsec1, tmp_path, soap, wsa, algorithm, depth):
    credential = pki.user
    for _ in range(depth):
        credential = pki.proxy(credential)
    signed = xmlsec1_sign(xmlsec1, template(credential, soap, wsa, algorithm), credential, tmp_path)
    assert one(signed, "//ds:SignatureValue").text

    verifier = Verifier(pki.trust, required_headers={*ADDRESSING_HEADERS, KEY_HEADER})
    result = verifier.verify(signed)
    assert result.identity == USER_DN
    assert result.algorithm == algorithm
    assert result.is_signed(body(signed))
    assert len(result.signed_elements) == 7
    with pytest.raises(ReplayedMessageError):
        verifier.verify(etree.fromstring(etree.tostring(signed), PARSER))


def test_xmlsec1_enveloped_signature_over_the_security_header(pki, xmlsec1, tmp_path):
    """A reference to the Security header itself, which contains the signature: the
    enveloped-signature transform then exc-c14n, as XML-DSig peers write it."""
    unsigned = template(pki.user, "1.1", "2005/08", "rsa-sha256")
    security_header = one(unsigned, "//wsse:Security")
    security_header.set(f"{{{WSU}}}Id", "SEC-1")
    signed_info = one(unsigned, "//ds:SignedInfo")
    reference = etree.SubElement(signed_info, f"{{{DS}}}Reference", URI="#SEC-1")
    transforms = etree.SubElement(reference, f"{{{DS}}}Transforms")
    etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=f"{DS}enveloped-signature")
    etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=EXC_C14N)
    etree.SubElement(reference, f"{{{DS}}}DigestMethod", Algorithm=SHA256)
    etree.SubElement(reference, f"{{{DS}}}DigestValue")
    unsigned = etree.fromstring(etree.tostring(unsigned), PARSER)
    signed = xmlsec1_sign(xmlsec1, unsigned, pki.user, tmp_path)

    result = Verifier(pki.trust).verify(signed)
    assert result.is_signed(one(signed, "//wsse:Security"))
    tampered = etree.fromstring(etree.tostring(signed), PARSER)
    one(tampered, "//wsse:BinarySecurityToken").set("Extra", "x")  # inside the signed header
    with pytest.raises(InvalidSignatureError):
        Verifier(pki.trust).verify(tampered)


def test_tampered_xmlsec1_message_is_refused(pki, xmlsec1, tmp_path):
    signed = xmlsec1_sign(
        xmlsec1, template(pki.user, "1.1", "2005/08", "rsa-sha256"), pki.user, tmp_path
    )
    body(signed)[0].text = "c:Tampered"
    with pytest.raises(InvalidSignatureError):
        Verifier(pki.trust).verify(signed)
