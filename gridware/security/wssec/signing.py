"""Signing a SOAP message: Timestamp, BinarySecurityToken and an XML Signature."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import xmlsec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gridware.security.credential import Credential
from gridware.security.wssec.errors import (
    MalformedMessageError,
    MessageSecurityError,
    UnsupportedAlgorithmError,
)
from gridware.security.wssec.ns import (
    ALL_HEADERS,
    DS,
    EXC_C14N,
    EXC_C14N_NS,
    RSA_SHA1,
    RSA_SHA256,
    SHA1,
    SHA256,
    WSSE,
    WSSE11,
    WSU,
    X509_PKIPATH,
    SignatureAlgorithm,
    clark,
)
from gridware.security.wssec.soap import (
    SECURITY,
    Element,
    Envelope,
    children,
    ensure_wsu_id,
    index_ids,
    new_id,
)
from gridware.security.wssec.timestamp import DEFAULT_TTL, Timestamp
from gridware.security.wssec.token import token_element

SIGNATURE = clark(DS, "Signature")
_INCLUSIVE_NAMESPACES = clark(EXC_C14N_NS, "InclusiveNamespaces")

_METHODS: dict[str, tuple[str, str]] = {
    "rsa-sha256": (RSA_SHA256, SHA256),
    "rsa-sha1": (RSA_SHA1, SHA1),
}


def sign(
    envelope: Element,
    credential: Credential,
    *,
    headers: Iterable[str] = ALL_HEADERS,
    algorithm: SignatureAlgorithm = "rsa-sha256",
    ttl: timedelta | None = DEFAULT_TTL,
    now: datetime | None = None,
    must_understand: bool = False,
) -> None:
    """Sign a SOAP 1.1/1.2 envelope in place with WS-Security (X.509 token profile).

    Adds to the ``wsse:Security`` header (created if needed, first in the Header):
    a ``wsu:Timestamp`` valid for ``ttl`` (none if ``ttl`` is None), a
    ``wsse:BinarySecurityToken`` with ``credential``'s chain (``#X509v3`` for a
    lone certificate, ``#X509PKIPathv1`` for a proxy chain) and a ``ds:Signature``
    (exclusive c14n, RSA-SHA256 or RSA-SHA1 with SHA-256 or SHA-1 digests) over
    the Body, the Timestamp and the header blocks named in ``headers``
    (``{namespace}LocalName``; the default :data:`ALL_HEADERS` signs every header
    block, which covers WS-Addressing and WS-RF resource keys).

    ``must_understand`` marks the Security header ``mustUnderstand``; leave it off
    for responses (many clients fault on it).  Works the same for requests and
    responses; sign before :func:`encrypt_body` (sign-then-encrypt).
    """
    methods = _METHODS.get(algorithm)
    if methods is None:
        raise UnsupportedAlgorithmError(f"unsupported signature algorithm {algorithm!r}")
    if not isinstance(credential.private_key, rsa.RSAPrivateKey):
        raise UnsupportedAlgorithmError("WS-Security signing needs an RSA key")
    signature_method, digest_method = methods
    when = (now or datetime.now(UTC)).astimezone(UTC)

    security = Envelope.of(envelope).ensure_security_header(must_understand=must_understand)
    parts = Envelope.of(envelope)
    if any(child.tag == SIGNATURE for child in children(security)):
        raise MalformedMessageError("the message is already signed")

    wanted = frozenset(headers)
    every = "*" in wanted
    targets = [parts.body] + [
        block
        for block in parts.header_blocks()
        if block.tag != SECURITY and (every or block.tag in wanted)
    ]
    ids = [ensure_wsu_id(element) for element in targets]

    added: list[Element] = []
    if ttl is not None:
        timestamp = Timestamp.starting(when, ttl).element(security, new_id("TS"))
        targets.append(timestamp)
        ids.append(timestamp.get(clark(WSU, "Id")) or "")
        added.append(timestamp)
    token_id = new_id("X509")
    value_type = token_element(security, credential.certificates, token_id)
    added.append(security[-1])
    signature = _signature_template(
        security,
        signature_method,
        digest_method,
        list(zip(ids, targets, strict=True)),
        token_id,
        value_type,
    )
    added.append(signature)
    for position, element in enumerate(added):  # first in the header, in this order
        security.insert(position, element)

    index_ids(envelope)  # refuses duplicate Ids before anything is signed
    context = xmlsec.SignatureContext()
    context.key = _signing_key(credential)
    for element in targets:
        context.register_id(element, "Id", WSU)
    try:
        context.sign(signature)
    except xmlsec.Error:
        raise MessageSecurityError("the message could not be signed") from None


def _signature_template(
    security: Element,
    signature_method: str,
    digest_method: str,
    references: list[tuple[str, Element]],
    token_id: str,
    value_type: str,
) -> Element:
    def sub(parent: Element, tag: str, **attributes: str) -> Element:
        child = parent.makeelement(clark(DS, tag), attributes)
        parent.append(child)
        return child

    signature = security.makeelement(SIGNATURE, {"Id": new_id("SIG")}, nsmap={"ds": DS})
    security.append(signature)
    signed_info = sub(signature, "SignedInfo")
    sub(signed_info, "CanonicalizationMethod", Algorithm=EXC_C14N)
    sub(signed_info, "SignatureMethod", Algorithm=signature_method)
    for wsu_id, element in references:
        reference = sub(signed_info, "Reference", URI=f"#{wsu_id}")
        transform = sub(sub(reference, "Transforms"), "Transform", Algorithm=EXC_C14N)
        prefixes = _prefixes_in_scope(element)
        if prefixes:
            inclusive = transform.makeelement(
                _INCLUSIVE_NAMESPACES, {"PrefixList": prefixes}, nsmap={"ec": EXC_C14N_NS}
            )
            transform.append(inclusive)
        sub(reference, "DigestMethod", Algorithm=digest_method)
        sub(reference, "DigestValue")
    sub(signature, "SignatureValue")
    key_info = sub(signature, "KeyInfo", Id=new_id("KI"))
    str_attributes = {clark(WSU, "Id"): new_id("STR")}
    nsmap = None
    if value_type == X509_PKIPATH:  # WSS 1.1: a PkiPath reference must say its TokenType
        str_attributes[clark(WSSE11, "TokenType")] = X509_PKIPATH
        nsmap = {"wsse11": WSSE11}
    reference_to_token = key_info.makeelement(
        clark(WSSE, "SecurityTokenReference"), str_attributes, nsmap=nsmap
    )
    key_info.append(reference_to_token)
    reference = reference_to_token.makeelement(
        clark(WSSE, "Reference"), {"URI": f"#{token_id}", "ValueType": value_type}
    )
    reference_to_token.append(reference)
    return signature


def _prefixes_in_scope(element: Element) -> str:
    """Every namespace prefix in scope, for exc-c14n's InclusiveNamespaces PrefixList.

    Exclusive c14n leaves out the declarations an element does not use in its
    names, so a prefix used only in text (the QName ``c:Value`` of a
    GetResourceProperty) could be rebound above the signed element without
    breaking the signature.  Listing every prefix in scope signs those bindings.
    """
    return " ".join(sorted("#default" if p is None else p for p in element.nsmap if p != "xml"))


# xmlsec keys made from credentials, most recently used last (loading one costs ~0.3 ms).
_KEY_CACHE_SIZE = 32
_keys: OrderedDict[Credential, xmlsec.Key] = OrderedDict()
_keys_lock = threading.Lock()


def _signing_key(credential: Credential) -> xmlsec.Key:
    with _keys_lock:
        key = _keys.get(credential)
        if key is not None:
            _keys.move_to_end(credential)
            return key
    pem = credential.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key = xmlsec.Key.from_memory(pem, xmlsec.constants.KeyDataFormatPem)
    with _keys_lock:
        _keys[credential] = key
        while len(_keys) > _KEY_CACHE_SIZE:
            _keys.popitem(last=False)
    return key
