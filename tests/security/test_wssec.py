"""WS-Security message signatures: round trips and every way a message must be refused."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from gridware.security import (
    CertificateAuthority,
    Credential,
    ProxyKind,
    TrustStore,
    ValidationOptions,
    Validator,
    wssec,
)
from gridware.security.errors import (
    CertificateExpiredError,
    CertificateRevokedError,
    KeyUsageError,
    LimitedProxyError,
    UntrustedCAError,
)
from gridware.security.wssec import (
    ADDRESSING_HEADERS,
    ALL_HEADERS,
    DuplicateIdError,
    InvalidSignatureError,
    MalformedMessageError,
    MessageExpiredError,
    MessageNotYetValidError,
    MessageSecurityError,
    MissingSecurityHeaderError,
    MissingSignatureError,
    MissingTimestampError,
    MissingTokenError,
    ReplayCache,
    ReplayedMessageError,
    SecurityTokenError,
    SignatureWrappingError,
    UnsignedElementError,
    UnsupportedAlgorithmError,
    UnsupportedReferenceError,
    UntrustedSignerError,
    Verifier,
    sign,
)
from gridware.security.wssec.ns import (
    DS,
    SOAP11,
    SOAP12,
    WSSE,
    WSSE11,
    WSU,
    X509_PKIPATH,
    X509V3,
)
from gridware.security.wssec.token import read_token
from tests.security.conftest import NOW, build_cert
from tests.security.wssec_messages import (
    KEY_HEADER,
    SOAP_VERSIONS,
    WSA_VERSIONS,
    body,
    header,
    one,
    request,
    security,
    wire,
    wsu_id,
)

USER_DN = "/O=Grid/OU=Test/CN=Jane Doe"


@pytest.fixture
def verifier(pki) -> Verifier:
    return Verifier(pki.trust, required_headers={*ADDRESSING_HEADERS, KEY_HEADER})


@pytest.fixture
def proxy(pki):
    return pki.proxy()


def signed(credential, soap="1.1", wsa="2005/08", **kwargs) -> etree._Element:
    envelope = request(soap, WSA_VERSIONS[wsa])
    sign(envelope, credential, **kwargs)
    return wire(envelope)


# -- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["rsa-sha256", "rsa-sha1"])
@pytest.mark.parametrize("wsa", sorted(WSA_VERSIONS))
@pytest.mark.parametrize("soap", sorted(SOAP_VERSIONS))
def test_round_trip(pki, proxy, verifier, soap, wsa, algorithm):
    envelope = signed(proxy, soap, wsa, algorithm=algorithm)
    result = verifier.verify(envelope)

    assert result.identity == USER_DN
    assert result.signer.is_proxy and not result.signer.limited
    assert result.algorithm == algorithm
    assert result.digest_algorithm == ("sha1" if algorithm == "rsa-sha1" else "sha256")
    assert result.timestamp is not None
    assert result.timestamp.expires - result.timestamp.created == timedelta(minutes=5)
    # the signed elements are the message's own elements, not copies
    assert result.is_signed(body(envelope))
    blocks = [b for b in header(envelope) if b.tag != f"{{{WSSE}}}Security"]
    assert len(blocks) == 5  # To, Action, MessageID, ReplyTo, CounterKey
    assert all(result.is_signed(b) for b in blocks)
    assert result.is_signed(one(envelope, "//wsse:Security/wsu:Timestamp"))
    assert not result.is_signed(security(envelope))
    assert len(result.signed_elements) == 7


def test_single_certificate_travels_as_x509v3(pki, verifier):
    envelope = signed(pki.user)
    token = one(envelope, "//wsse:BinarySecurityToken")
    assert token.get("ValueType") == X509V3
    certificates, _ = read_token(token)
    assert certificates == (pki.user.certificate,)
    reference = one(envelope, "//ds:KeyInfo/wsse:SecurityTokenReference")
    assert reference.get(f"{{{WSSE11}}}TokenType") is None
    result = verifier.verify(envelope)
    assert result.identity == USER_DN and not result.signer.is_proxy


@pytest.mark.parametrize("depth", [1, 3])
def test_proxy_chain_travels_as_pkipath(pki, verifier, depth):
    credential = pki.user
    for _ in range(depth):
        credential = pki.proxy(credential)
    envelope = signed(credential)
    token = one(envelope, "//wsse:BinarySecurityToken")
    assert token.get("ValueType") == X509_PKIPATH
    # WSS 1.1: the reference to a PkiPath token says its TokenType
    reference = one(envelope, "//ds:KeyInfo/wsse:SecurityTokenReference")
    assert reference.get(f"{{{WSSE11}}}TokenType") == X509_PKIPATH
    certificates, _ = read_token(token)
    assert certificates == credential.certificates  # signer first after reading
    result = verifier.verify(envelope)
    assert result.identity == USER_DN
    assert result.signer.leaf == credential.certificate
    assert len(result.signer.chain) == depth + 2  # proxies, user, CA


def test_pkipath_is_ordered_from_the_trust_anchor_side(pki):
    proxy = pki.proxy()
    token = one(signed(proxy), "//wsse:BinarySecurityToken")
    data = base64.b64decode(token.text or "")
    user_der = pki.user.certificate.public_bytes(Encoding.DER)
    proxy_der = proxy.certificate.public_bytes(Encoding.DER)
    assert data.index(user_der) < data.index(proxy_der)


def test_security_header_layout(pki, proxy):
    envelope = signed(proxy)
    items = [etree.QName(c).localname for c in security(envelope)]
    assert items == ["Timestamp", "BinarySecurityToken", "Signature"]
    assert header(envelope)[0] is security(envelope)
    # exclusive c14n everywhere, SHA-256 digests, references by wsu:Id
    assert set(envelope.xpath("//ds:Transform/@Algorithm", namespaces={"ds": DS})) == {
        "http://www.w3.org/2001/10/xml-exc-c14n#"
    }
    uris = envelope.xpath("//ds:SignedInfo/ds:Reference/@URI", namespaces={"ds": DS})
    assert f"#{wsu_id(body(envelope))}" in uris
    # the customary prefix on the Body's wsu:Id
    assert b"wsu:Id=" in etree.tostring(body(envelope))


@pytest.mark.parametrize("soap", sorted(SOAP_VERSIONS))
def test_no_must_understand_unless_asked(pki, soap):
    ns = SOAP_VERSIONS[soap]
    plain = signed(pki.user, soap)
    assert security(plain).get(f"{{{ns}}}mustUnderstand") is None
    marked = signed(pki.user, soap, must_understand=True)
    assert security(marked).get(f"{{{ns}}}mustUnderstand") == ("1" if ns == SOAP11 else "true")


def test_response_signed_by_the_service(pki, verifier):
    host = pki.ca.issue_host("localhost", key=pki.new_key())
    response = request()
    header(response).append(
        etree.fromstring(
            b'<wsa:RelatesTo xmlns:wsa="http://www.w3.org/2005/08/addressing">urn:uuid:1</wsa:RelatesTo>'
        )
    )
    sign(response, host)
    result = verifier.verify(wire(response))
    assert result.identity == "/O=Grid/OU=Test/CN=localhost"


def test_existing_ids_and_security_header_are_reused(pki, verifier):
    envelope = request()
    body(envelope).set(f"{{{WSU}}}Id", "Body-1")
    header(envelope).insert(0, etree.Element(f"{{{WSSE}}}Security"))
    sign(envelope, pki.user)
    assert body(envelope).get(f"{{{WSU}}}Id") == "Body-1"
    assert len(envelope.xpath("//wsse:Security", namespaces={"wsse": WSSE})) == 1
    verifier.verify(wire(envelope))


def test_sign_refuses_an_existing_id_that_is_not_an_ncname(pki):
    envelope = request()
    body(envelope).set(f"{{{WSU}}}Id", 'x" URI="http://evil.example.org/')
    with pytest.raises(MalformedMessageError, match="not a valid Id"):
        sign(envelope, pki.user)


def test_envelope_without_header_gets_one(pki, verifier):
    envelope = etree.fromstring(
        f'<s:Envelope xmlns:s="{SOAP12}"><s:Body><x xmlns="urn:x"/></s:Body></s:Envelope>'.encode()
    )
    sign(envelope, pki.user)
    assert etree.QName(envelope[0]).localname == "Header"
    verifier.verify(wire(envelope))


def test_only_the_headers_asked_for_are_signed(pki, verifier):
    envelope = request()
    sign(envelope, pki.user, headers=ADDRESSING_HEADERS)
    received = wire(envelope)
    result = Verifier(pki.trust).verify(received)  # addressing headers only: fine
    assert not result.is_signed(received.find(f".//{KEY_HEADER}"))
    with pytest.raises(UnsignedElementError, match="CounterKey"):
        verifier.verify(wire(envelope))  # this service needs its key header signed


def test_all_headers_can_be_required(pki):
    strict = Verifier(pki.trust, required_headers=ALL_HEADERS)
    strict.verify(signed(pki.user))
    envelope = request()
    sign(envelope, pki.user, headers=ADDRESSING_HEADERS)
    with pytest.raises(UnsignedElementError):
        strict.verify(wire(envelope))


def test_timestamp_can_be_left_out_where_not_required(pki):
    envelope = signed(pki.user, ttl=None)
    assert envelope.find(f".//{{{WSU}}}Timestamp") is None
    relaxed = Verifier(pki.trust, require_timestamp=False)
    assert relaxed.verify(envelope).timestamp is None
    with pytest.raises(MissingTimestampError):
        Verifier(pki.trust).verify(signed(pki.user, ttl=None))


def test_reverification_of_the_same_tree_with_a_fresh_cache(pki):
    envelope = signed(pki.user)
    for _ in range(2):
        Verifier(pki.trust).verify(envelope)  # ids registered twice: harmless


def test_sign_refuses_an_already_signed_message(pki):
    envelope = request()
    sign(envelope, pki.user)
    with pytest.raises(MalformedMessageError, match="already signed"):
        sign(envelope, pki.user)


def test_sign_refuses_unknown_algorithms(pki):
    with pytest.raises(UnsupportedAlgorithmError):
        sign(request(), pki.user, algorithm="hmac-sha1")  # type: ignore[arg-type]


# -- refused messages: structure ------------------------------------------------------------


def test_not_an_envelope(verifier):
    with pytest.raises(MalformedMessageError):
        verifier.verify(etree.fromstring(b"<Envelope/>"))


def test_message_with_a_dtd(pki, verifier):
    data = etree.tostring(signed(pki.user))
    hostile = b'<!DOCTYPE Envelope [<!ENTITY x "Value">]>' + data
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False)
    with pytest.raises(MalformedMessageError, match="DTD"):
        verifier.verify(etree.fromstring(hostile, parser))


def test_missing_security_header(verifier):
    with pytest.raises(MissingSecurityHeaderError):
        verifier.verify(request())


def test_security_header_for_another_actor_is_not_ours(pki, verifier):
    envelope = signed(pki.user)
    security(envelope).set(f"{{{SOAP11}}}actor", "http://example.org/some-intermediary")
    with pytest.raises(MissingSecurityHeaderError):
        verifier.verify(envelope)


def test_missing_signature(pki, verifier):
    envelope = signed(pki.user)
    signature = one(envelope, "//ds:Signature")
    security(envelope).remove(signature)
    with pytest.raises(MissingSignatureError):
        verifier.verify(envelope)


def test_two_security_headers_for_us(pki, verifier):
    envelope = signed(pki.user)
    header(envelope).append(etree.Element(f"{{{WSSE}}}Security"))
    with pytest.raises(MalformedMessageError):
        verifier.verify(envelope)


# -- refused messages: integrity -----------------------------------------------------------


def test_tampered_body(pki, verifier):
    envelope = signed(pki.proxy())
    one(envelope, "//*[local-name()='GetResourceProperty']").text = "c:Other"
    with pytest.raises(InvalidSignatureError):
        verifier.verify(envelope)


def test_tampered_signed_header(pki, verifier):
    envelope = signed(pki.user)
    one(envelope, "//*[local-name()='To']").text = "http://evil.example.org/"
    with pytest.raises(InvalidSignatureError):
        verifier.verify(envelope)


def test_tampered_timestamp(pki, verifier):
    envelope = signed(pki.user)
    expires = one(envelope, "//wsu:Expires")
    expires.text = "2099" + (expires.text or "")[4:]
    with pytest.raises(InvalidSignatureError):
        verifier.verify(envelope)


def test_tampered_signature_value(pki, verifier):
    envelope = signed(pki.user)
    value = one(envelope, "//ds:SignatureValue")
    raw = bytearray(base64.b64decode(value.text or ""))
    raw[10] ^= 1
    value.text = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(InvalidSignatureError):
        verifier.verify(envelope)


def test_token_swapped_for_another_certificate(pki, verifier):
    """An attacker cannot claim someone else's identity by replacing the token."""
    envelope = signed(pki.user)
    other = pki.ca.issue_user("Mallory", key=pki.new_key())
    token = one(envelope, "//wsse:BinarySecurityToken")
    token.text = base64.b64encode(other.certificate.public_bytes(Encoding.DER)).decode()
    with pytest.raises(InvalidSignatureError):
        verifier.verify(envelope)


# -- refused messages: signature wrapping --------------------------------------------------


def _evil_body(envelope: etree._Element) -> etree._Element:
    """Replace the Body by an unsigned one; return the original (signed) Body, detached."""
    original = body(envelope)
    evil = etree.Element(etree.QName(original).text)
    etree.SubElement(evil, "{urn:evil}DestroyEverything")
    envelope.replace(original, evil)
    return original


def test_signed_body_moved_into_a_header_block(pki, verifier):
    envelope = signed(pki.proxy())
    original = _evil_body(envelope)
    wrapper = etree.SubElement(header(envelope), "{urn:evil}Wrapper")
    wrapper.append(original)
    with pytest.raises(SignatureWrappingError):
        verifier.verify(envelope)


def test_signed_body_moved_into_the_security_header(pki, verifier):
    envelope = signed(pki.user)
    original = _evil_body(envelope)
    wrapper = etree.SubElement(security(envelope), "{urn:evil}Wrapper")
    wrapper.append(original)
    with pytest.raises(SignatureWrappingError):
        verifier.verify(envelope)


def test_signed_body_moved_after_the_body(pki, verifier):
    envelope = signed(pki.user)
    original = _evil_body(envelope)
    wrapper = etree.SubElement(envelope, "{urn:evil}Wrapper")
    wrapper.append(original)
    with pytest.raises(SignatureWrappingError):
        verifier.verify(envelope)


def test_signed_body_as_a_header_block(pki, verifier):
    """A Body element that is a direct child of the Header is still not THE Body."""
    envelope = signed(pki.user)
    header(envelope).append(_evil_body(envelope))
    with pytest.raises(SignatureWrappingError):
        verifier.verify(envelope)


def test_evil_body_with_the_signed_id_and_a_copy_elsewhere(pki, verifier):
    envelope = signed(pki.user)
    original = _evil_body(envelope)
    body(envelope).set(f"{{{WSU}}}Id", wsu_id(original))
    etree.SubElement(header(envelope), "{urn:evil}Wrapper").append(original)
    with pytest.raises(DuplicateIdError):
        verifier.verify(envelope)


def test_evil_body_with_the_signed_id(pki, verifier):
    envelope = signed(pki.user)
    original = _evil_body(envelope)
    body(envelope).set(f"{{{WSU}}}Id", wsu_id(original))
    with pytest.raises(InvalidSignatureError):
        verifier.verify(envelope)


@pytest.mark.parametrize("attribute", ["Id", "{http://www.w3.org/XML/1998/namespace}id"])
def test_duplicate_ids_of_any_kind(pki, verifier, attribute):
    envelope = signed(pki.user)
    decoy = etree.SubElement(body(envelope), "{urn:x}Decoy")
    decoy.set(attribute, wsu_id(one(envelope, "//wsu:Timestamp")))
    with pytest.raises(DuplicateIdError):
        verifier.verify(envelope)


def test_two_bodies(pki, verifier):
    envelope = signed(pki.user)
    envelope.append(etree.Element(etree.QName(body(envelope)).text))
    with pytest.raises(SignatureWrappingError):
        verifier.verify(envelope)


def test_signed_timestamp_moved_out_of_the_security_header(pki, verifier):
    envelope = signed(pki.user)
    old = one(envelope, "//wsse:Security/wsu:Timestamp")
    header(envelope).append(old)
    fresh = etree.SubElement(security(envelope), f"{{{WSU}}}Timestamp")
    etree.SubElement(fresh, f"{{{WSU}}}Created").text = "2000-01-01T00:00:00Z"
    with pytest.raises(SignatureWrappingError):
        verifier.verify(envelope)


def test_signed_element_nested_in_a_header_block(pki, verifier):
    """A reference to something inside a header block (not the block) is refused."""
    envelope = signed(pki.user)
    address = one(envelope, "//*[local-name()='ReplyTo']")
    reply_to_id = wsu_id(address)
    del address.attrib[f"{{{WSU}}}Id"]
    inner = address[0]
    inner.set(f"{{{WSU}}}Id", reply_to_id)
    with pytest.raises(SignatureWrappingError):
        verifier.verify(envelope)


def test_comment_inserted_into_signed_text(pki, verifier):
    """Comments are outside c14n: one could cut the text a reader sees (``.text``)."""
    envelope = signed(pki.user)
    to = one(envelope, "//*[local-name()='To']")
    text = to.text or ""
    to.text = text[:10]
    comment = etree.Comment("")
    comment.tail = text[10:]
    to.append(comment)
    with pytest.raises(SignatureWrappingError, match="comments"):
        verifier.verify(envelope)


def test_prefix_of_a_qname_in_signed_text_cannot_be_rebound(pki, verifier):
    """``c:Value`` in the Body depends on xmlns:c declared on the Envelope: it is signed."""
    envelope = request()
    sign(envelope, pki.user)
    data = etree.tostring(envelope).replace(
        b'xmlns:c="http://gridware.org/samples/counter"', b'xmlns:c="urn:evil"', 1
    )
    assert b"urn:evil" in data
    with pytest.raises(InvalidSignatureError):
        verifier.verify(etree.fromstring(data))


# -- refused messages: unsigned headers ----------------------------------------------------


@pytest.mark.parametrize("wsa", sorted(WSA_VERSIONS))
def test_unsigned_addressing_header_added(pki, verifier, wsa):
    envelope = signed(pki.user, wsa=wsa)
    extra = etree.SubElement(header(envelope), f"{{{WSA_VERSIONS[wsa]}}}To")
    extra.text = "http://evil.example.org/"
    with pytest.raises(UnsignedElementError, match="To"):
        verifier.verify(envelope)


def test_signed_action_replaced_by_an_unsigned_one(pki, verifier):
    envelope = signed(pki.user)
    action = one(envelope, "//*[local-name()='Action']")
    evil = etree.Element(action.tag)
    evil.text = "http://docs.oasis-open.org/wsrf/rlw-2/ImmediateResourceTermination/DestroyRequest"
    header(envelope).replace(action, evil)
    with pytest.raises(InvalidSignatureError):  # the signed Action's reference is gone
        verifier.verify(envelope)


@pytest.mark.parametrize("wsa", sorted(WSA_VERSIONS))
def test_addressing_headers_left_unsigned_by_the_sender(pki, verifier, wsa):
    envelope = signed(pki.user, wsa=wsa, headers=())
    with pytest.raises(UnsignedElementError):
        verifier.verify(envelope)


def test_body_not_signed(pki, verifier):
    envelope = signed(pki.user)
    body_id = wsu_id(body(envelope))
    reference = one(envelope, f"//ds:Reference[@URI='#{body_id}']")
    reference.getparent().remove(reference)
    with pytest.raises(UnsignedElementError, match="Body"):
        verifier.verify(envelope)


def test_timestamp_not_signed(pki, verifier):
    envelope = signed(pki.user)
    ts_id = wsu_id(one(envelope, "//wsu:Timestamp"))
    reference = one(envelope, f"//ds:Reference[@URI='#{ts_id}']")
    reference.getparent().remove(reference)
    with pytest.raises(UnsignedElementError, match="Timestamp"):
        verifier.verify(envelope)


# -- refused messages: time and replay -----------------------------------------------------


def test_expired_timestamp(pki, verifier):
    envelope = signed(pki.user, now=NOW - timedelta(minutes=20))
    with pytest.raises(MessageExpiredError):
        verifier.verify(envelope, now=NOW)


def test_expired_within_the_clock_skew_is_accepted(pki):
    envelope = signed(pki.user, now=NOW - timedelta(minutes=8))  # expired 3 min ago
    Verifier(pki.trust, clock_skew=timedelta(minutes=5)).verify(envelope, now=NOW)
    with pytest.raises(MessageExpiredError):
        Verifier(pki.trust, clock_skew=timedelta(minutes=1)).verify(envelope, now=NOW)


def test_not_yet_valid_timestamp(pki, verifier):
    envelope = signed(pki.user, now=NOW + timedelta(minutes=10))
    with pytest.raises(MessageNotYetValidError):
        verifier.verify(envelope, now=NOW)
    Verifier(pki.trust, clock_skew=timedelta(minutes=15)).verify(envelope, now=NOW)


def test_malformed_timestamp(pki, verifier):
    envelope = signed(pki.user)
    one(envelope, "//wsu:Created").text = "yesterday"
    with pytest.raises(MalformedMessageError):
        verifier.verify(envelope)


def test_replayed_message(pki, verifier):
    envelope = request()
    sign(envelope, pki.user)
    verifier.verify(wire(envelope))
    with pytest.raises(ReplayedMessageError):
        verifier.verify(wire(envelope))


def test_replay_to_another_verifier_sharing_the_cache(pki):
    cache = ReplayCache()
    envelope = signed(pki.user)
    Verifier(pki.trust, replay_cache=cache).verify(envelope)
    with pytest.raises(ReplayedMessageError):
        Verifier(pki.trust, replay_cache=cache).verify(envelope)


def test_rejected_message_does_not_poison_the_replay_cache(pki, verifier):
    envelope = request()
    sign(envelope, pki.user)
    forged = wire(envelope)
    one(forged, "//*[local-name()='GetResourceProperty']").text = "c:Other"
    with pytest.raises(InvalidSignatureError):
        verifier.verify(forged)
    verifier.verify(wire(envelope))  # the genuine message still goes through once


def test_replay_after_expiry_is_refused_by_the_timestamp(pki, verifier):
    envelope = signed(pki.user, now=NOW)
    verifier.verify(envelope, now=NOW)
    with pytest.raises(MessageExpiredError):
        verifier.verify(envelope, now=NOW + timedelta(minutes=11))


def test_verifier_is_thread_safe(pki):
    verifier = Verifier(pki.trust)
    shared = etree.tostring(signed(pki.proxy()))
    own = [[etree.tostring(signed(pki.user)) for _ in range(5)] for _ in range(6)]
    accepted, refused, errors = [], [], []

    def worker(messages: list[bytes]) -> None:
        try:
            for data in [shared, *messages]:
                try:
                    verifier.verify(etree.fromstring(data))
                    accepted.append(data)
                except ReplayedMessageError:
                    refused.append(data)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(messages,)) for messages in own]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert accepted.count(shared) == 1 and refused.count(shared) == len(own) - 1
    assert len(accepted) == 1 + sum(len(m) for m in own)


# -- refused messages: the signer ----------------------------------------------------------


def test_expired_proxy(pki, verifier):
    short = pki.proxy(lifetime=timedelta(hours=1))
    later = datetime.now(UTC) + timedelta(hours=2)
    with pytest.raises(UntrustedSignerError, match="expired") as caught:
        verifier.verify(signed(short, now=later), now=later)
    assert isinstance(caught.value.reason, CertificateExpiredError)


def test_unknown_ca(pki, tmp_path, verifier):
    other = CertificateAuthority.create(
        tmp_path / "other", "/O=Other/CN=Other CA", key=pki.new_key()
    )
    stranger = other.issue_user("Stranger", key=pki.new_key())
    with pytest.raises(UntrustedSignerError, match="trusted CA") as caught:
        verifier.verify(signed(stranger))
    assert isinstance(caught.value.reason, UntrustedCAError)
    assert str(pki.ca.trusted_directory) not in str(caught.value)  # no local paths


@pytest.mark.parametrize("as_proxy", [False, True])
def test_revoked_certificate(pki, as_proxy):
    signer = pki.proxy() if as_proxy else pki.user
    pki.ca.revoke(pki.user.certificate)
    with pytest.raises(UntrustedSignerError, match="revoked") as caught:
        Verifier(TrustStore(pki.ca.trusted_directory)).verify(signed(signer))
    assert isinstance(caught.value.reason, CertificateRevokedError)


def test_revocation_takes_effect_at_once_without_a_chain_cache(pki):
    verifier = Verifier(TrustStore(pki.ca.trusted_directory))
    verifier.verify(signed(pki.user))
    pki.ca.revoke(pki.user.certificate)
    with pytest.raises(UntrustedSignerError, match="revoked"):
        verifier.verify(signed(pki.user))


def test_chain_cache_reuses_a_validation_for_its_ttl(pki):
    verifier = Verifier(TrustStore(pki.ca.trusted_directory), chain_cache_ttl=timedelta(minutes=1))
    calls = []
    validate = verifier.validator.validate
    verifier.validator.validate = lambda *a, **k: calls.append(1) or validate(*a, **k)  # type: ignore[method-assign]
    start = datetime.now(UTC)
    verifier.verify(signed(pki.user, now=start), now=start)
    later = start + timedelta(seconds=30)
    verifier.verify(signed(pki.user, now=later), now=later)  # cached
    assert len(calls) == 1
    much_later = start + timedelta(seconds=61)
    verifier.verify(signed(pki.user, now=much_later), now=much_later)
    assert len(calls) == 2


def test_chain_cache_ends_when_a_crl_is_published(pki):
    verifier = Verifier(TrustStore(pki.ca.trusted_directory), chain_cache_ttl=timedelta(minutes=1))
    start = datetime.now(UTC)
    verifier.verify(signed(pki.user, now=start), now=start)
    pki.ca.revoke(pki.user.certificate)  # a new file in the trusted directory
    later = start + timedelta(seconds=1)
    with pytest.raises(UntrustedSignerError, match="revoked"):
        verifier.verify(signed(pki.user, now=later), now=later)


def test_chain_cache_never_outlives_the_chain(pki):
    short = pki.proxy(lifetime=timedelta(minutes=30))
    verifier = Verifier(pki.trust, chain_cache_ttl=timedelta(hours=2))
    start = datetime.now(UTC)
    verifier.verify(signed(short, now=start), now=start)
    later = start + timedelta(hours=1)
    with pytest.raises(UntrustedSignerError, match="expired"):
        verifier.verify(signed(short, now=later), now=later)


def test_limited_proxy_where_full_is_required(pki):
    limited = pki.proxy(kind=ProxyKind.LIMITED)
    strict = Verifier(Validator(pki.trust, ValidationOptions(allow_limited=False)))
    with pytest.raises(UntrustedSignerError, match="limited") as caught:
        strict.verify(signed(limited))
    assert isinstance(caught.value.reason, LimitedProxyError)
    result = Verifier(pki.trust).verify(signed(limited))
    assert result.signer.limited and result.identity == USER_DN


def test_signer_certificate_that_may_not_sign(pki, verifier):
    key = pki.new_key()
    certificate = build_cert(
        "/O=Grid/OU=Test/CN=Encrypt Only",
        (pki.ca.certificate.subject, pki.ca.private_key),
        key,
        extensions=[
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (
                x509.KeyUsage(False, False, True, False, False, False, False, False, False),
                True,
            ),
        ],
    )
    with pytest.raises(UntrustedSignerError) as caught:
        verifier.verify(signed(Credential(certificate, key)))
    assert isinstance(caught.value.reason, KeyUsageError)


# -- refused messages: algorithms and references -------------------------------------------


def test_sha1_refused_when_not_accepted(pki):
    strict = Verifier(pki.trust, accept_sha1=False)
    with pytest.raises(UnsupportedAlgorithmError, match="SHA1"):
        strict.verify(signed(pki.user, algorithm="rsa-sha1"))
    strict.verify(signed(pki.user))


def test_sha1_digest_refused_when_not_accepted(pki):
    envelope = signed(pki.user)
    for method in envelope.xpath("//ds:DigestMethod", namespaces={"ds": DS})[:1]:
        method.set("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1")
    with pytest.raises(UnsupportedAlgorithmError):
        Verifier(pki.trust, accept_sha1=False).verify(envelope)


@pytest.mark.parametrize(
    ("path", "algorithm"),
    [
        ("//ds:SignatureMethod", "http://www.w3.org/2000/09/xmldsig#hmac-sha1"),
        ("//ds:SignatureMethod", "http://www.w3.org/2001/04/xmldsig-more#rsa-md5"),
        ("//ds:SignatureMethod", "urn:unknown"),
        ("//ds:CanonicalizationMethod", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"),
        ("(//ds:DigestMethod)[1]", "http://www.w3.org/2001/04/xmldsig-more#md5"),
        ("(//ds:Transform)[1]", "http://www.w3.org/TR/1999/REC-xpath-19991116"),
        ("(//ds:Transform)[1]", "http://www.w3.org/TR/1999/REC-xslt-19991116"),
        ("(//ds:Transform)[1]", "http://www.w3.org/2000/09/xmldsig#enveloped-signature"),
    ],
)
def test_unknown_algorithm(pki, verifier, path, algorithm):
    envelope = signed(pki.user)
    one(envelope, path).set("Algorithm", algorithm)
    with pytest.raises(UnsupportedAlgorithmError):
        verifier.verify(envelope)


def test_reference_without_transforms(pki, verifier):
    envelope = signed(pki.user)
    transforms = one(envelope, "(//ds:Transforms)[1]")
    transforms.getparent().remove(transforms)
    with pytest.raises(UnsupportedAlgorithmError):
        verifier.verify(envelope)


def test_enveloped_signature_on_an_element_without_the_signature(pki, verifier):
    envelope = signed(pki.user)
    transforms = one(envelope, "(//ds:Transforms)[1]")
    transforms.insert(
        0,
        etree.Element(
            f"{{{DS}}}Transform", Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"
        ),
    )
    with pytest.raises(UnsupportedAlgorithmError, match="enveloped"):
        verifier.verify(envelope)


@pytest.mark.parametrize(
    "uri",
    [
        "http://evil.example.org/body.xml",
        "file:///etc/passwd",
        "",
        "#xpointer(/)",
        "#xpointer(id('x'))",
        "other.xml#id-1",
    ],
)
def test_reference_to_an_external_or_unsupported_uri(pki, verifier, uri):
    envelope = signed(pki.user)
    one(envelope, "(//ds:SignedInfo/ds:Reference)[1]").set("URI", uri)
    with pytest.raises(UnsupportedReferenceError):
        verifier.verify(envelope)


def test_signature_with_an_object(pki, verifier):
    envelope = signed(pki.user)
    etree.SubElement(one(envelope, "//ds:Signature"), f"{{{DS}}}Object")
    with pytest.raises(UnsupportedReferenceError):
        verifier.verify(envelope)


def test_reference_to_a_missing_id(pki, verifier):
    envelope = signed(pki.user)
    one(envelope, "(//ds:SignedInfo/ds:Reference)[1]").set("URI", "#nowhere")
    with pytest.raises(InvalidSignatureError):
        verifier.verify(envelope)


# -- refused messages: the token -----------------------------------------------------------


def test_missing_token(pki, verifier):
    envelope = signed(pki.user)
    token = one(envelope, "//wsse:BinarySecurityToken")
    token.getparent().remove(token)
    with pytest.raises(MissingTokenError):
        verifier.verify(envelope)


def test_missing_key_info(pki, verifier):
    envelope = signed(pki.user)
    key_info = one(envelope, "//ds:KeyInfo")
    key_info.getparent().remove(key_info)
    with pytest.raises(MissingTokenError):
        verifier.verify(envelope)


def test_key_info_pointing_outside_the_message(pki, verifier):
    envelope = signed(pki.user)
    one(envelope, "//ds:KeyInfo//wsse:Reference").set("URI", "http://evil.example.org/cert")
    with pytest.raises(SecurityTokenError):
        verifier.verify(envelope)


def test_key_info_pointing_at_a_token_outside_the_security_header(pki, verifier):
    envelope = signed(pki.user)
    token = one(envelope, "//wsse:BinarySecurityToken")
    etree.SubElement(
        header(envelope), f"{{{WSSE}}}Security", {f"{{{SOAP11}}}actor": "urn:x"}
    ).append(token)
    with pytest.raises(SecurityTokenError):
        verifier.verify(envelope)


def test_key_info_with_an_inline_certificate(pki, verifier):
    envelope = signed(pki.user)
    key_info = one(envelope, "//ds:KeyInfo")
    key_info.clear()
    data = etree.SubElement(key_info, f"{{{DS}}}X509Data")
    etree.SubElement(data, f"{{{DS}}}X509Certificate").text = "AAAA"
    with pytest.raises(SecurityTokenError):
        verifier.verify(envelope)


def test_token_reference_type_mismatch(pki, verifier):
    envelope = signed(pki.user)
    one(envelope, "//ds:KeyInfo//wsse:Reference").set("ValueType", X509_PKIPATH)
    with pytest.raises(SecurityTokenError):
        verifier.verify(envelope)


@pytest.mark.parametrize(
    ("value_type", "text"),
    [
        (X509V3, "not base64!"),
        (X509V3, base64.b64encode(b"garbage").decode()),
        (X509_PKIPATH, base64.b64encode(b"\x30\x03\x02\x01\x00").decode()),
        ("urn:unknown-token", "AAAA"),
    ],
)
def test_unreadable_token(pki, verifier, value_type, text):
    envelope = signed(pki.user)
    token = one(envelope, "//wsse:BinarySecurityToken")
    token.set("ValueType", value_type)
    token.text = text
    one(envelope, "//ds:KeyInfo//wsse:Reference").attrib.pop("ValueType")
    with pytest.raises(SecurityTokenError):
        verifier.verify(envelope)


def test_every_refusal_is_a_message_security_error():
    for name in wssec.__all__:
        value = getattr(wssec, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, MessageSecurityError)
            assert value.fault_code
