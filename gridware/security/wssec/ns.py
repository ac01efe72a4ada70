"""Namespaces, token types and algorithm identifiers of WS-Security, XML-DSig and XML-Enc."""

from __future__ import annotations

from typing import Final, Literal

SOAP11: Final = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12: Final = "http://www.w3.org/2003/05/soap-envelope"
XML: Final = "http://www.w3.org/XML/1998/namespace"

WSSE: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSSE11: Final = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
WSU: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS: Final = "http://www.w3.org/2000/09/xmldsig#"
XENC: Final = "http://www.w3.org/2001/04/xmlenc#"
XENC11: Final = "http://www.w3.org/2009/xmlenc11#"
EXC_C14N_NS: Final = "http://www.w3.org/2001/10/xml-exc-c14n#"

WSA_2004_03: Final = "http://schemas.xmlsoap.org/ws/2004/03/addressing"
WSA_2004_08: Final = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSA_2005_08: Final = "http://www.w3.org/2005/08/addressing"
ADDRESSING_NAMESPACES: Final = (WSA_2004_03, WSA_2004_08, WSA_2005_08)

# -- tokens (X.509 Token Profile 1.0/1.1, SOAP Message Security 1.0/1.1) -----------------------

_X509_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0"
X509V3: Final = _X509_PROFILE + "#X509v3"
X509_PKIPATH: Final = _X509_PROFILE + "#X509PKIPathv1"
BASE64_BINARY: Final = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)
THUMBPRINT_SHA1: Final = (
    "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#ThumbprintSHA1"
)

# -- SOAP actors/roles that mean "this receiver" ----------------------------------------------

ROLES_FOR_US: Final = frozenset(
    {
        "",
        "http://schemas.xmlsoap.org/soap/actor/next",
        "http://www.w3.org/2003/05/soap-envelope/role/next",
        "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver",
    }
)

# -- algorithms -------------------------------------------------------------------------------

EXC_C14N: Final = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED_SIGNATURE: Final = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

RSA_SHA256: Final = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1: Final = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA256: Final = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA1: Final = "http://www.w3.org/2000/09/xmldsig#sha1"

AES128_CBC: Final = XENC + "aes128-cbc"
AES256_CBC: Final = XENC + "aes256-cbc"
AES128_GCM: Final = XENC11 + "aes128-gcm"
AES256_GCM: Final = XENC11 + "aes256-gcm"
RSA_OAEP_MGF1P: Final = XENC + "rsa-oaep-mgf1p"
ENC_CONTENT: Final = XENC + "Content"
ENC_ELEMENT: Final = XENC + "Element"

SignatureAlgorithm = Literal["rsa-sha256", "rsa-sha1"]
EncryptionAlgorithm = Literal["aes256-cbc", "aes128-cbc", "aes256-gcm", "aes128-gcm"]
KeyIdentifier = Literal["issuer-serial", "thumbprint"]

SIGNATURE_METHODS: Final[dict[str, SignatureAlgorithm]] = {
    RSA_SHA256: "rsa-sha256",
    RSA_SHA1: "rsa-sha1",
}
DIGEST_METHODS: Final[dict[str, str]] = {SHA256: "sha256", SHA1: "sha1"}
CONTENT_ENCRYPTION: Final[dict[str, tuple[EncryptionAlgorithm, int]]] = {
    AES256_CBC: ("aes256-cbc", 32),
    AES128_CBC: ("aes128-cbc", 16),
    AES256_GCM: ("aes256-gcm", 32),
    AES128_GCM: ("aes128-gcm", 16),
}

# -- header blocks ----------------------------------------------------------------------------

_ADDRESSING_NAMES = ("Action", "To", "MessageID", "RelatesTo", "ReplyTo", "From", "FaultTo")

ADDRESSING_HEADERS: Final[frozenset[str]] = frozenset(
    f"{{{ns}}}{name}" for ns in ADDRESSING_NAMESPACES for name in _ADDRESSING_NAMES
)
"""The WS-Addressing header blocks of the three dialects, as ``{namespace}LocalName``."""

ALL_HEADERS: Final[frozenset[str]] = frozenset({"*"})
"""Every header block of the message (but the Security header itself)."""


def clark(namespace: str, local: str) -> str:
    """``{namespace}local``, the form lxml uses for qualified names."""
    return f"{{{namespace}}}{local}"
