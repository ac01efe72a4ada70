"""Encrypting the SOAP Body for one recipient (XML Encryption, WS-Security 1.0/1.1).

The Body's content becomes an ``xenc:EncryptedData`` (AES-CBC or AES-GCM with a
fresh key); that key travels RSA-OAEP encrypted (``rsa-oaep-mgf1p``) in an
``xenc:EncryptedKey`` first in the Security header, whose ``xenc:ReferenceList``
points at the EncryptedData and whose KeyInfo names the recipient certificate
(X509IssuerSerial, or its SHA-1 thumbprint).

Order: sign first, then encrypt.  The EncryptedKey is prepended to the Security
header, before the Signature, so a receiver processing the header in order (as
WS-Security prescribes) decrypts first and then checks the Body digest over the
plaintext; :class:`~gridware.security.wssec.Verifier` does exactly that, and
also accepts encrypt-then-sign (EncryptedKey after the Signature: the digest is
over the EncryptedData, decrypted afterwards).

Decryption failures are deliberately uniform (:class:`DecryptionError`, one
message), and an RSA-OAEP failure continues with a random key, so that neither
the key transport nor the CBC padding becomes an oracle.  Prefer AES-GCM when
both ends support it; CBC is the default because Globus-era peers know nothing else.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
from xml.sax.saxutils import escape

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from gridware.security.credential import Credential
from gridware.security.names import names_match
from gridware.security.wssec.errors import (
    DecryptionError,
    MalformedMessageError,
    UnsupportedAlgorithmError,
)
from gridware.security.wssec.ns import (
    BASE64_BINARY,
    CONTENT_ENCRYPTION,
    DS,
    ENC_CONTENT,
    ENC_ELEMENT,
    RSA_OAEP_MGF1P,
    SHA1,
    SHA256,
    THUMBPRINT_SHA1,
    WSSE,
    XENC,
    EncryptionAlgorithm,
    KeyIdentifier,
    clark,
)
from gridware.security.wssec.soap import Element, Envelope, children, index_ids, new_id

ENCRYPTED_KEY = clark(XENC, "EncryptedKey")
ENCRYPTED_DATA = clark(XENC, "EncryptedData")
_ALGORITHM_URIS = {name: (uri, size) for uri, (name, size) in CONTENT_ENCRYPTION.items()}
_OAEP_DIGESTS: dict[str, hashes.HashAlgorithm] = {SHA1: hashes.SHA1(), SHA256: hashes.SHA256()}
_FAILED = "the message body cannot be decrypted"


def encrypt_body(
    envelope: Element,
    recipient: x509.Certificate,
    *,
    algorithm: EncryptionAlgorithm = "aes256-cbc",
    key_identifier: KeyIdentifier = "issuer-serial",
) -> None:
    """Encrypt the Body's content in place for ``recipient`` (whose key must be RSA).

    ``key_identifier`` says how the EncryptedKey names the recipient's certificate:
    ``"issuer-serial"`` (ds:X509IssuerSerial, what most peers expect) or
    ``"thumbprint"`` (WSS 1.1 ThumbprintSHA1).  Call it after :func:`sign`.
    """
    if algorithm not in _ALGORITHM_URIS:
        raise UnsupportedAlgorithmError(f"unsupported encryption algorithm {algorithm!r}")
    public = recipient.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise UnsupportedAlgorithmError("the recipient's certificate must have an RSA key")
    parts = Envelope.of(envelope)
    if any(child.tag == ENCRYPTED_DATA for child in children(parts.body)):
        raise MalformedMessageError("the message body is already encrypted")
    uri, size = _ALGORITHM_URIS[algorithm]
    session_key = os.urandom(size)

    data_id = new_id("ED")
    template = etree.Element(
        ENCRYPTED_DATA, {"Id": data_id, "Type": ENC_CONTENT}, nsmap={"xenc": XENC}
    )
    etree.SubElement(template, clark(XENC, "EncryptionMethod"), Algorithm=uri)
    etree.SubElement(
        etree.SubElement(template, clark(XENC, "CipherData")), clark(XENC, "CipherValue")
    )
    context = xmlsec.EncryptionContext()
    context.key = xmlsec.Key.from_binary_data(xmlsec.constants.KeyDataAes, session_key)
    # encrypt_binary + our own replacement rather than encrypt_xml: python-xmlsec's
    # encrypt_xml fails on content that starts with text (a pretty-printed Body).
    try:
        encrypted = context.encrypt_binary(template, _content(parts.body))
    except xmlsec.Error:
        raise MalformedMessageError("the message body could not be encrypted") from None
    parts.body.text = None
    for child in list(parts.body):
        parts.body.remove(child)
    parts.body.append(encrypted)

    security = parts.ensure_security_header()
    encrypted_key = etree.SubElement(
        security, ENCRYPTED_KEY, {"Id": new_id("EK")}, nsmap={"xenc": XENC}
    )
    method = etree.SubElement(
        encrypted_key, clark(XENC, "EncryptionMethod"), Algorithm=RSA_OAEP_MGF1P
    )
    etree.SubElement(method, clark(DS, "DigestMethod"), {"Algorithm": SHA1}, nsmap={"ds": DS})
    key_info = etree.SubElement(encrypted_key, clark(DS, "KeyInfo"), nsmap={"ds": DS})
    reference = etree.SubElement(
        key_info, clark(WSSE, "SecurityTokenReference"), nsmap={"wsse": WSSE}
    )
    certificate_der = recipient.public_bytes(serialization.Encoding.DER)
    if key_identifier == "thumbprint":
        identifier = etree.SubElement(
            reference,
            clark(WSSE, "KeyIdentifier"),
            ValueType=THUMBPRINT_SHA1,
            EncodingType=BASE64_BINARY,
        )
        identifier.text = base64.b64encode(hashlib.sha1(certificate_der).digest()).decode()
    elif key_identifier == "issuer-serial":
        issuer_serial = etree.SubElement(
            etree.SubElement(reference, clark(DS, "X509Data")), clark(DS, "X509IssuerSerial")
        )
        etree.SubElement(
            issuer_serial, clark(DS, "X509IssuerName")
        ).text = recipient.issuer.rfc4514_string()
        etree.SubElement(issuer_serial, clark(DS, "X509SerialNumber")).text = str(
            recipient.serial_number
        )
    else:
        raise ValueError(f"unknown key identifier {key_identifier!r}")
    wrapped = public.encrypt(session_key, _oaep(hashes.SHA1()))
    cipher_data = etree.SubElement(encrypted_key, clark(XENC, "CipherData"))
    etree.SubElement(cipher_data, clark(XENC, "CipherValue")).text = base64.b64encode(
        wrapped
    ).decode()
    references = etree.SubElement(encrypted_key, clark(XENC, "ReferenceList"))
    etree.SubElement(references, clark(XENC, "DataReference"), URI=f"#{data_id}")
    security.insert(0, encrypted_key)


def decrypt_body(envelope: Element, credential: Credential) -> bool:
    """Decrypt, in place, what the EncryptedKeys of the Security header point at.

    Returns False if the message has no EncryptedKey (nothing to do).  Only the
    Body (its content, or elements of it) may be encrypted.  For a signed
    message use :class:`~gridware.security.wssec.Verifier` with
    ``decryption_credential``: it decrypts and verifies in the right order.
    """
    parts = Envelope.of(envelope)
    security = parts.security_header()
    keys = [c for c in children(security) if c.tag == ENCRYPTED_KEY] if security is not None else []
    if not keys:
        if any(c.tag == ENCRYPTED_DATA for c in children(parts.body)):
            raise MalformedMessageError(
                "the message body is encrypted but its Security header has no EncryptedKey"
            )
        return False
    for key in keys:
        decrypt_key(parts, key, credential)
    return True


def decrypt_key(parts: Envelope, encrypted_key: Element, credential: Credential) -> None:
    """Process one ``xenc:EncryptedKey``: unwrap its key, decrypt the data it lists."""
    private = credential.private_key
    if not isinstance(private, rsa.RSAPrivateKey):
        raise UnsupportedAlgorithmError("decryption needs an RSA key")
    method = _one(encrypted_key, clark(XENC, "EncryptionMethod"), "EncryptedKey")
    if method.get("Algorithm") != RSA_OAEP_MGF1P:
        raise UnsupportedAlgorithmError("the key must be transported with rsa-oaep-mgf1p")
    digest_methods = [c for c in children(method) if c.tag == clark(DS, "DigestMethod")]
    oaep_hash: hashes.HashAlgorithm = hashes.SHA1()
    if digest_methods:
        found = _OAEP_DIGESTS.get(digest_methods[0].get("Algorithm") or "")
        if found is None:
            raise UnsupportedAlgorithmError("unsupported RSA-OAEP digest")
        oaep_hash = found
    _check_recipient(encrypted_key, credential.certificate)
    wrapped = _cipher_value(encrypted_key)

    reference_list = _one(encrypted_key, clark(XENC, "ReferenceList"), "EncryptedKey")
    uris = [c.get("URI") or "" for c in children(reference_list)]
    if not uris or any(c.tag != clark(XENC, "DataReference") for c in children(reference_list)):
        raise MalformedMessageError("the EncryptedKey's ReferenceList must list DataReferences")
    ids = index_ids(parts.root)
    targets = []
    for uri in uris:
        target = ids.get(uri[1:]) if uri.startswith("#") else None
        if target is None or target.element.tag != ENCRYPTED_DATA:
            raise MalformedMessageError("a DataReference does not point at EncryptedData")
        if target.element.getparent() is not parts.body:
            raise MalformedMessageError("only the SOAP Body may be encrypted")
        targets.append(target.element)

    try:
        unwrapped = private.decrypt(wrapped, _oaep(oaep_hash))
    except ValueError:
        unwrapped = b""
    for data in targets:
        if data.get("Type") not in (ENC_CONTENT, ENC_ELEMENT):
            raise MalformedMessageError("EncryptedData must be of Type Content or Element")
        data_method = _one(data, clark(XENC, "EncryptionMethod"), "EncryptedData")
        algorithm = CONTENT_ENCRYPTION.get(data_method.get("Algorithm") or "")
        if algorithm is None:
            raise UnsupportedAlgorithmError(
                "unsupported content encryption (AES-CBC or AES-GCM, 128 or 256 bits)"
            )
        _cipher_value(data)  # inline CipherValue only, never a CipherReference
        size = algorithm[1]
        # A wrong key size or a failed unwrap carries on with a random key: one failure for all.
        session_key = unwrapped if len(unwrapped) == size else os.urandom(size)
        context = xmlsec.EncryptionContext()
        context.key = xmlsec.Key.from_binary_data(xmlsec.constants.KeyDataAes, session_key)
        try:
            context.decrypt(data)
        except xmlsec.Error:
            raise DecryptionError(_FAILED) from None


def _content(element: Element) -> bytes:
    """The serialized content of ``element`` (text and children), decryptable in its place."""
    chunks = [escape(element.text or "").encode("utf-8")]
    chunks += [etree.tostring(child, encoding="UTF-8", with_tail=True) for child in element]
    return b"".join(chunks)


def _oaep(digest: hashes.HashAlgorithm) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=digest, label=None)


def _one(parent: Element, tag: str, what: str) -> Element:
    found = [c for c in children(parent) if c.tag == tag]
    if len(found) != 1:
        local = etree.QName(tag).localname
        raise MalformedMessageError(f"the {what} must have one {local}")
    return found[0]


def _cipher_value(parent: Element) -> bytes:
    cipher_data = _one(parent, clark(XENC, "CipherData"), etree.QName(parent).localname)
    values = children(cipher_data)
    if len(values) != 1 or values[0].tag != clark(XENC, "CipherValue"):
        raise MalformedMessageError("only an inline CipherValue is accepted")
    try:
        return base64.b64decode("".join((values[0].text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError(_FAILED) from None


def _check_recipient(encrypted_key: Element, certificate: x509.Certificate) -> None:
    """Refuse an EncryptedKey that names another certificate than ours (if it names one)."""
    key_info = [c for c in children(encrypted_key) if c.tag == clark(DS, "KeyInfo")]
    if not key_info:
        return
    for reference in key_info[0].iter(clark(WSSE, "KeyIdentifier")):
        if reference.get("ValueType") == THUMBPRINT_SHA1:
            thumbprint = hashlib.sha1(certificate.public_bytes(serialization.Encoding.DER))
            try:
                given = base64.b64decode("".join((reference.text or "").split()), validate=True)
            except (binascii.Error, ValueError):
                given = b""
            if given != thumbprint.digest():
                raise DecryptionError("the message was encrypted for another certificate")
            return
    for issuer_serial in key_info[0].iter(clark(DS, "X509IssuerSerial")):
        name = issuer_serial.findtext(clark(DS, "X509IssuerName")) or ""
        serial = (issuer_serial.findtext(clark(DS, "X509SerialNumber")) or "").strip()
        same_issuer = False
        with contextlib.suppress(ValueError):
            same_issuer = names_match(
                x509.Name.from_rfc4514_string(name.strip()), certificate.issuer
            )
        if not (same_issuer and serial == str(certificate.serial_number)):
            raise DecryptionError("the message was encrypted for another certificate")
        return
