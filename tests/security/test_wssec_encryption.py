"""WS-Security body encryption: round trips, sign-then-encrypt, and altered ciphertexts."""

from __future__ import annotations

import base64
import copy

import pytest
from lxml import etree

from gridware.security.wssec import (
    DecryptionError,
    InvalidSignatureError,
    MalformedMessageError,
    UnsupportedAlgorithmError,
    Verifier,
    decrypt_body,
    encrypt_body,
    sign,
)
from gridware.security.wssec.ns import RSA_OAEP_MGF1P, XENC
from tests.security.wssec_messages import body, one, request, security, wire

PAYLOAD = "c:Value"


@pytest.fixture
def host(pki):
    """The service's credential: messages are encrypted for its certificate."""
    return pki.ca.issue_host("localhost", key=pki.new_key())


def plaintext(envelope: etree._Element) -> bytes:
    return b"".join(etree.tostring(child) for child in body(envelope))


@pytest.mark.parametrize("algorithm", ["aes256-cbc", "aes128-cbc", "aes256-gcm", "aes128-gcm"])
@pytest.mark.parametrize("key_identifier", ["issuer-serial", "thumbprint"])
@pytest.mark.parametrize("soap", ["1.1", "1.2"])
def test_round_trip(host, algorithm, key_identifier, soap):
    envelope = request(soap)
    before = plaintext(envelope)
    encrypt_body(envelope, host.certificate, algorithm=algorithm, key_identifier=key_identifier)
    data = etree.tostring(envelope)
    assert PAYLOAD.encode() not in data and b"<wsrp:GetResourceProperty" not in data
    encrypted = one(envelope, "//xenc:EncryptedData")
    assert encrypted.getparent() is body(envelope) and len(body(envelope)) == 1
    assert encrypted.get("Type") == f"{XENC}Content"
    key = one(envelope, "//wsse:Security/xenc:EncryptedKey")
    assert key.getparent() is security(envelope)
    method = key.find(f"{{{XENC}}}EncryptionMethod")
    assert method is not None and method.get("Algorithm") == RSA_OAEP_MGF1P

    received = wire(envelope)
    assert decrypt_body(received, host) is True
    assert plaintext(received) == before


def test_nothing_to_decrypt(host):
    assert decrypt_body(request(), host) is False


def test_sign_then_encrypt(pki, host):
    envelope = request()
    sign(envelope, pki.user)
    encrypt_body(envelope, host.certificate)
    order = [etree.QName(c).localname for c in security(envelope)]
    assert order == ["EncryptedKey", "Timestamp", "BinarySecurityToken", "Signature"]

    received = wire(envelope)
    result = Verifier(pki.trust, decryption_credential=host).verify(received)
    assert result.encrypted and result.identity == "/O=Grid/OU=Test/CN=Jane Doe"
    assert result.is_signed(body(received))
    assert body(received)[0].text == PAYLOAD


def test_encrypt_then_sign(pki, host):
    envelope = request()
    encrypt_body(envelope, host.certificate)
    sign(envelope, pki.user)
    order = [etree.QName(c).localname for c in security(envelope)]
    assert order == ["Timestamp", "BinarySecurityToken", "Signature", "EncryptedKey"]

    received = wire(envelope)
    result = Verifier(pki.trust, decryption_credential=host).verify(received)
    assert result.encrypted and body(received)[0].text == PAYLOAD


def test_encrypted_message_without_a_decryption_key(pki, host):
    envelope = request()
    sign(envelope, pki.user)
    encrypt_body(envelope, host.certificate)
    with pytest.raises(DecryptionError):
        Verifier(pki.trust).verify(wire(envelope))


def test_encrypted_for_another_certificate(pki, host):
    other = pki.ca.issue_host("other.example.org", key=pki.new_key())
    for key_identifier in ("issuer-serial", "thumbprint"):
        envelope = request()
        encrypt_body(envelope, other.certificate, key_identifier=key_identifier)
        with pytest.raises(DecryptionError, match="another certificate"):
            decrypt_body(wire(envelope), host)


def test_wrong_private_key_fails_like_any_other_decryption_failure(pki, host):
    other = pki.ca.issue_host("other.example.org", key=pki.new_key())
    envelope = request()
    encrypt_body(envelope, other.certificate)
    received = wire(envelope)
    key_info = one(received, "//xenc:EncryptedKey/ds:KeyInfo")
    key_info.getparent().remove(key_info)  # so the recipient check cannot tell
    with pytest.raises(DecryptionError) as caught:
        decrypt_body(received, host)
    assert str(caught.value) == "the message body cannot be decrypted"


def _cipher_bytes(envelope: etree._Element) -> tuple[etree._Element, bytearray]:
    value = one(envelope, "//xenc:EncryptedData/xenc:CipherData/xenc:CipherValue")
    return value, bytearray(base64.b64decode(value.text or ""))


@pytest.mark.parametrize("algorithm", ["aes256-cbc", "aes256-gcm"])
def test_tampered_ciphertext(host, algorithm):
    envelope = request()
    encrypt_body(envelope, host.certificate, algorithm=algorithm)
    received = wire(envelope)
    value, data = _cipher_bytes(received)
    data[-1] ^= 0x01  # CBC: the padding breaks; GCM: the tag
    value.text = base64.b64encode(bytes(data)).decode()
    with pytest.raises(DecryptionError, match="cannot be decrypted"):
        decrypt_body(received, host)


def test_cbc_bit_flips_that_still_decrypt_are_caught_by_the_signature(pki, host):
    """CBC is malleable: a flipped IV bit flips the first plaintext byte.  Signing the
    plaintext (sign-then-encrypt) is what detects it."""
    envelope = request(text=PAYLOAD)
    body(envelope).text = " "  # the plaintext starts with a space: flipping it still parses
    sign(envelope, pki.user)
    encrypt_body(envelope, host.certificate, algorithm="aes256-cbc")
    received = wire(envelope)
    value, data = _cipher_bytes(received)
    data[0] ^= ord(" ") ^ ord("\t")  # first IV byte: ' ' becomes a tab
    value.text = base64.b64encode(bytes(data)).decode()
    with pytest.raises(InvalidSignatureError):
        Verifier(pki.trust, decryption_credential=host).verify(received)


def test_tampered_wrapped_key(host):
    envelope = request()
    encrypt_body(envelope, host.certificate)
    received = wire(envelope)
    value = one(received, "//xenc:EncryptedKey//xenc:CipherValue")
    data = bytearray(base64.b64decode(value.text or ""))
    data[5] ^= 0x80
    value.text = base64.b64encode(bytes(data)).decode()
    with pytest.raises(DecryptionError, match="cannot be decrypted"):
        decrypt_body(received, host)


def test_rsa_v15_key_transport_is_refused(host):
    envelope = request()
    encrypt_body(envelope, host.certificate)
    method = one(envelope, "//xenc:EncryptedKey/xenc:EncryptionMethod")
    method.set("Algorithm", f"{XENC}rsa-1_5")
    with pytest.raises(UnsupportedAlgorithmError):
        decrypt_body(envelope, host)


def test_unknown_content_algorithm_is_refused(host):
    envelope = request()
    encrypt_body(envelope, host.certificate)
    method = one(envelope, "//xenc:EncryptedData/xenc:EncryptionMethod")
    method.set("Algorithm", f"{XENC}tripledes-cbc")
    with pytest.raises(UnsupportedAlgorithmError):
        decrypt_body(envelope, host)


def test_cipher_reference_is_refused(host):
    envelope = request()
    encrypt_body(envelope, host.certificate)
    value, _ = _cipher_bytes(envelope)
    cipher_data = value.getparent()
    cipher_data.remove(value)
    etree.SubElement(cipher_data, f"{{{XENC}}}CipherReference", URI="http://evil.example.org/")
    with pytest.raises(MalformedMessageError):
        decrypt_body(envelope, host)


def test_encrypted_data_outside_the_body_is_refused(host):
    envelope = request()
    encrypt_body(envelope, host.certificate)
    data = one(envelope, "//xenc:EncryptedData")
    etree.SubElement(security(envelope), "{urn:x}Wrapper").append(data)
    with pytest.raises(MalformedMessageError):
        decrypt_body(envelope, host)


def test_encrypted_body_without_encrypted_key(host):
    envelope = request()
    encrypt_body(envelope, host.certificate)
    key = one(envelope, "//xenc:EncryptedKey")
    key.getparent().remove(key)
    with pytest.raises(MalformedMessageError):
        decrypt_body(envelope, host)


def test_body_cannot_be_encrypted_twice(host):
    envelope = request()
    encrypt_body(envelope, host.certificate)
    with pytest.raises(MalformedMessageError):
        encrypt_body(copy.deepcopy(envelope), host.certificate)
