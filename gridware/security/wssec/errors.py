"""The exceptions of :mod:`gridware.security.wssec`.

Every refusal has its own class, all under :class:`MessageSecurityError` (itself
a :class:`~gridware.security.errors.SecurityError`).  Messages say why a message
was refused in words fit for a SOAP fault: they name what the sender sent, never
files, keys or library internals.  ``fault_code`` is the WS-Security 1.0 fault
code (a local name in the ``wsse`` namespace) a SOAP fault should carry.
"""

from __future__ import annotations

from typing import ClassVar

from gridware.security.errors import SecurityError, ValidationError


class MessageSecurityError(SecurityError):
    """Base of every error of WS-Security message processing."""

    fault_code: ClassVar[str] = "InvalidSecurity"


class MalformedMessageError(MessageSecurityError):
    """Not a SOAP envelope, or a Security header that does not follow WS-Security."""


class MissingSecurityHeaderError(MessageSecurityError):
    """The message has no ``wsse:Security`` header for this receiver."""


class MissingSignatureError(MessageSecurityError):
    """The Security header holds no ``ds:Signature``."""


class SecurityTokenError(MessageSecurityError):
    """The signer's token is missing, unreadable, of an unsupported type, or not where
    the signature's KeyInfo must point (a BinarySecurityToken in the same header)."""

    fault_code = "InvalidSecurityToken"


class MissingTokenError(SecurityTokenError):
    """The signature names no security token, or the message carries none."""

    fault_code = "SecurityTokenUnavailable"


class UnsupportedAlgorithmError(MessageSecurityError):
    """A signature, digest, canonicalization, transform or encryption algorithm that
    is not accepted."""

    fault_code = "UnsupportedAlgorithm"


class InvalidSignatureError(MessageSecurityError):
    """The signature or a digest does not verify: the message was altered."""

    fault_code = "FailedCheck"


class SignatureWrappingError(MessageSecurityError):
    """What was signed is not what would be processed (XML signature wrapping)."""

    fault_code = "FailedCheck"


class DuplicateIdError(SignatureWrappingError):
    """Two elements of the message carry the same Id."""


class UnsupportedReferenceError(SignatureWrappingError):
    """A signature reference that is not a same-document ``#id`` reference."""


class UnsignedElementError(MessageSecurityError):
    """The Body, the Timestamp or a header block that must be signed is not."""


class TimestampError(MessageSecurityError):
    """The message's ``wsu:Timestamp`` is missing or not fresh."""

    fault_code = "MessageExpired"


class MissingTimestampError(TimestampError):
    """A timestamp is required and the message has none."""

    fault_code = "InvalidSecurity"


class MessageExpiredError(TimestampError):
    """The message's timestamp has expired (beyond the allowed clock skew)."""


class MessageNotYetValidError(TimestampError):
    """The message's timestamp was created in the future (beyond the allowed clock skew)."""


class ReplayedMessageError(MessageSecurityError):
    """The same signed message was already accepted."""


class UntrustedSignerError(MessageSecurityError):
    """The signer's certificate chain was refused.

    ``reason`` is the :class:`~gridware.security.errors.ValidationError` of the
    validator (for logs); the message is safe to send back.
    """

    fault_code = "FailedAuthentication"

    def __init__(self, message: str, reason: ValidationError | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class DecryptionError(MessageSecurityError):
    """The encrypted body cannot be decrypted (wrong key, altered ciphertext, ...).

    Deliberately uniform: it never says which step failed.
    """

    fault_code = "FailedCheck"
