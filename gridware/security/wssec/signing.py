"""Signing a SOAP message: Timestamp, BinarySecurityToken and an XML Signature."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import rsa

from gridware.security.credential import Credential
from gridware.security.wssec import dsig
from gridware.security.wssec.errors import MalformedMessageError, UnsupportedAlgorithmError
from gridware.security.wssec.ns import (
    ALL_HEADERS,
    BASE64_BINARY,
    DIGEST_METHODS,
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
from gridware.security.wssec.timestamp import DEFAULT_TTL, Timestamp, format_datetime
from gridware.security.wssec.token import encode_token

SIGNATURE = clark(DS, "Signature")

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
    key = credential.private_key
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UnsupportedAlgorithmError("WS-Security signing needs an RSA key")
    signature_method, digest_method = methods
    digest_name = DIGEST_METHODS[digest_method]

    security = Envelope.of(envelope).ensure_security_header(must_understand=must_understand)
    parts = Envelope.of(envelope)
    if any(child.tag == SIGNATURE for child in children(security)):
        raise MalformedMessageError("the message is already signed")
    if isinstance(headers, str):
        raise TypeError("headers must be a collection of {namespace}LocalName strings")
    wanted = frozenset(headers)
    every = "*" in wanted
    targets = [parts.body] + [
        block
        for block in parts.header_blocks()
        if block.tag != SECURITY and (every or block.tag in wanted)
    ]
    ids = [ensure_wsu_id(element) for element in targets]

    # Timestamp and token, first in the Security header.
    token_id = new_id("X509")
    value_type, token = encode_token(credential.certificates)
    head = [
        f'<wsse:BinarySecurityToken EncodingType="{BASE64_BINARY}" ValueType="{value_type}" '
        f'wsu:Id="{token_id}">{base64.b64encode(token).decode()}</wsse:BinarySecurityToken>'
    ]
    if ttl is not None:
        stamp = Timestamp.starting((now or datetime.now(UTC)).astimezone(UTC), ttl)
        ids.append(new_id("TS"))
        head.insert(
            0,
            f'<wsu:Timestamp wsu:Id="{ids[-1]}"><wsu:Created>{format_datetime(stamp.created)}'
            f"</wsu:Created><wsu:Expires>{format_datetime(stamp.expires)}</wsu:Expires>"
            "</wsu:Timestamp>",
        )
    wrapper = dsig.parse(
        f'<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}">{"".join(head)}</wsse:Security>'
    )
    added = list(wrapper)
    for position, element in enumerate(added):
        security.insert(position, element)

    # Digests of the elements as the receiver will parse them (see dsig.canonicalize).
    as_sent = index_ids(dsig.reparse(envelope))  # refuses duplicate Ids too
    references = []
    for wsu_id in ids:
        element = as_sent[wsu_id].element
        prefixes = _prefixes_in_scope(element)
        value = dsig.digest(dsig.canonicalize(element, prefixes), digest_name)
        references.append(_reference_xml(wsu_id, prefixes, digest_method, dsig.b64(value)))

    signature = dsig.parse(
        _signature_xml(signature_method, "".join(references), token_id, value_type)
    )
    signed_info, signature_value = signature[0], signature[1]
    signature_value.text = dsig.b64(dsig.rsa_sign(key, dsig.canonicalize(signed_info), digest_name))
    security.insert(len(added), signature)


def _reference_xml(wsu_id: str, prefixes: list[str], digest_method: str, digest: str) -> str:
    inclusive = f'<ec:InclusiveNamespaces PrefixList="{" ".join(prefixes)}"/>' if prefixes else ""
    return (
        f'<ds:Reference URI="#{wsu_id}"><ds:Transforms><ds:Transform Algorithm="{EXC_C14N}">'
        f'{inclusive}</ds:Transform></ds:Transforms><ds:DigestMethod Algorithm="{digest_method}"/>'
        f"<ds:DigestValue>{digest}</ds:DigestValue></ds:Reference>"
    )


def _signature_xml(signature_method: str, references: str, token_id: str, value_type: str) -> str:
    # WSS 1.1: a reference to a PkiPath token must say its TokenType.
    token_type = ""
    if value_type == X509_PKIPATH:
        token_type = f' xmlns:wsse11="{WSSE11}" wsse11:TokenType="{X509_PKIPATH}"'
    return (
        f'<ds:Signature xmlns:ds="{DS}" xmlns:ec="{EXC_C14N_NS}" xmlns:wsse="{WSSE}" '
        f'xmlns:wsu="{WSU}" Id="{new_id("SIG")}"><ds:SignedInfo>'
        f'<ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/>'
        f'<ds:SignatureMethod Algorithm="{signature_method}"/>{references}</ds:SignedInfo>'
        f'<ds:SignatureValue/><ds:KeyInfo Id="{new_id("KI")}"><wsse:SecurityTokenReference '
        f'wsu:Id="{new_id("STR")}"{token_type}><wsse:Reference URI="#{token_id}" '
        f'ValueType="{value_type}"/></wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature>'
    )


def _prefixes_in_scope(element: Element) -> list[str]:
    """Every namespace prefix in scope, for exc-c14n's InclusiveNamespaces PrefixList.

    Exclusive c14n leaves out the declarations an element does not use in its
    names, so a prefix used only in text (the QName ``c:Value`` of a
    GetResourceProperty) could be rebound above the signed element without
    breaking the signature.  Listing every prefix in scope signs those bindings.
    """
    return sorted("#default" if p is None else p for p in element.nsmap if p != "xml")
