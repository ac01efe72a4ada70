"""WS-Security message security: X.509 signatures, timestamps, replay, body encryption.

WS-Security 1.0/1.1 with the X.509 token profile, over SOAP 1.1 and 1.2::

    from gridware.security import Credential, TrustStore
    from gridware.security.wssec import Verifier, sign

    sign(envelope, Credential.load_proxy())        # Timestamp + token + signature, in place
    ...
    verifier = Verifier(TrustStore.default())      # one per service; share its ReplayCache
    message = verifier.verify(envelope)            # or raises a MessageSecurityError
    message.identity                               # '/O=Grid/OU=Test/CN=Jane Doe'
    message.is_signed(body_element)                # True

What goes on the wire: a ``wsse:Security`` header holding a ``wsu:Timestamp``,
a ``wsse:BinarySecurityToken`` with the signer's certificate (``#X509v3``) or
chain (``#X509PKIPathv1``) and a ``ds:Signature`` (exclusive c14n, RSA-SHA256 by
default, RSA-SHA1 on request) over the Body, the Timestamp and the header
blocks (WS-Addressing of any dialect, resource keys).  Deciding *what* must
be signed and *where* it must be, so that what was signed is exactly what is
processed, is :class:`Verifier`'s (see :mod:`.verification` for the list of
checks); the digests are computed over exactly the elements it resolved, with
libxml2's exclusive c14n (:mod:`.dsig`); XML Encryption is python-xmlsec's.

Optional body encryption (:func:`encrypt_body`, :func:`decrypt_body`): AES-CBC
or AES-GCM content, RSA-OAEP key transport; sign first, then encrypt (see
:mod:`.encryption` on the order).
"""

from gridware.security.wssec.encryption import decrypt_body, encrypt_body
from gridware.security.wssec.errors import (
    DecryptionError,
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
    ReplayedMessageError,
    SecurityTokenError,
    SignatureWrappingError,
    TimestampError,
    UnsignedElementError,
    UnsupportedAlgorithmError,
    UnsupportedReferenceError,
    UntrustedSignerError,
)
from gridware.security.wssec.ns import ADDRESSING_HEADERS, ALL_HEADERS
from gridware.security.wssec.replay import ReplayCache
from gridware.security.wssec.signing import sign
from gridware.security.wssec.timestamp import Timestamp
from gridware.security.wssec.verification import VerifiedMessage, Verifier

__all__ = [
    "ADDRESSING_HEADERS",
    "ALL_HEADERS",
    "DecryptionError",
    "DuplicateIdError",
    "InvalidSignatureError",
    "MalformedMessageError",
    "MessageExpiredError",
    "MessageNotYetValidError",
    "MessageSecurityError",
    "MissingSecurityHeaderError",
    "MissingSignatureError",
    "MissingTimestampError",
    "MissingTokenError",
    "ReplayCache",
    "ReplayedMessageError",
    "SecurityTokenError",
    "SignatureWrappingError",
    "Timestamp",
    "TimestampError",
    "UnsignedElementError",
    "UnsupportedAlgorithmError",
    "UnsupportedReferenceError",
    "UntrustedSignerError",
    "VerifiedMessage",
    "Verifier",
    "decrypt_body",
    "encrypt_body",
    "sign",
]
