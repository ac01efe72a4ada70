"""``wsse:BinarySecurityToken`` with X.509 certificates (X.509 Token Profile 1.0/1.1).

One certificate travels as ``#X509v3`` (its DER); a chain (a proxy and the
certificates that issued it) as ``#X509PKIPathv1``: the DER of a ``SEQUENCE OF
Certificate`` ordered from the trust anchor side down to the signer, so the
signer is *last* on the wire and first in :func:`read_token`'s answer.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gridware.security import der
from gridware.security.wssec.errors import SecurityTokenError
from gridware.security.wssec.ns import BASE64_BINARY, WSSE, X509_PKIPATH, X509V3, clark
from gridware.security.wssec.soap import Element

BINARY_SECURITY_TOKEN = clark(WSSE, "BinarySecurityToken")
MAX_TOKEN_BYTES = 256 * 1024
MAX_CHAIN_LENGTH = 16


def encode_token(certificates: Sequence[x509.Certificate]) -> tuple[str, bytes]:
    """(ValueType, DER bytes) for a chain given leaf first: X509v3 if it is one certificate."""
    if not certificates:
        raise ValueError("no certificate to put in a token")
    der_encoding = serialization.Encoding.DER
    if len(certificates) == 1:
        return X509V3, certificates[0].public_bytes(der_encoding)
    return X509_PKIPATH, der.encode_sequence(
        *(c.public_bytes(der_encoding) for c in reversed(certificates))
    )


def read_token(token: Element) -> tuple[tuple[x509.Certificate, ...], str]:
    """The certificates of a BinarySecurityToken, signer first, and its ValueType."""
    value_type = (token.get("ValueType") or "").strip()
    encoding = (token.get("EncodingType") or BASE64_BINARY).strip()
    if encoding != BASE64_BINARY:
        raise SecurityTokenError("the BinarySecurityToken is not Base64Binary encoded")
    text = "".join((token.text or "").split())
    if not text:
        raise SecurityTokenError("the BinarySecurityToken is empty")
    if len(text) > MAX_TOKEN_BYTES * 4 // 3 + 4:
        raise SecurityTokenError("the BinarySecurityToken is too large")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SecurityTokenError("the BinarySecurityToken is not valid base64") from None
    if value_type == X509V3:
        return (_certificate(data),), value_type
    if value_type == X509_PKIPATH:
        try:
            items = der.decode(data).expect(der.SEQUENCE).children()
        except der.DERError:
            raise SecurityTokenError("the X509PKIPathv1 token is not a DER PkiPath") from None
        if not items or len(items) > MAX_CHAIN_LENGTH:
            raise SecurityTokenError(
                f"the X509PKIPathv1 token must hold 1 to {MAX_CHAIN_LENGTH} certificates"
            )
        return tuple(_certificate(item.encoding) for item in reversed(items)), value_type
    raise SecurityTokenError(
        "unsupported BinarySecurityToken ValueType (X509v3 and X509PKIPathv1 are accepted)"
    )


def _certificate(data: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise SecurityTokenError("the BinarySecurityToken holds a malformed certificate") from None
