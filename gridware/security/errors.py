"""The exceptions of :mod:`gridware.security`.

Every check fails closed with its own class, so callers (and the container's
faults) can say precisely why something was refused.  All derive from
:class:`SecurityError`; the reasons a certificate chain is refused derive from
:class:`ValidationError`.
"""

from __future__ import annotations


class SecurityError(Exception):
    """Base of every error raised by :mod:`gridware.security`."""


class InvalidNameError(SecurityError, ValueError):
    """A distinguished name that cannot be parsed or printed."""


class CredentialError(SecurityError):
    """A credential (certificate, key, proxy file) cannot be loaded, saved or made."""


class InsecurePermissionsError(CredentialError):
    """A private key or proxy file that others can read, or that is not ours."""


class PassphraseError(CredentialError):
    """A pass phrase is needed, or the one given does not open the key."""


class ProxyError(CredentialError):
    """A proxy certificate cannot be issued (issuer expired, bad options, ...)."""


class CertificateAuthorityError(SecurityError):
    """A CA directory that is missing, incomplete, or asked to do something it cannot."""


class TrustStoreError(SecurityError):
    """The trusted certificates directory is missing or unreadable."""


class GridMapError(SecurityError):
    """A grid-mapfile that cannot be read or has a bad line (with its line number)."""


class ValidationError(SecurityError):
    """A certificate chain was refused.  ``subject`` names the certificate at fault."""

    def __init__(self, message: str, subject: str | None = None) -> None:
        super().__init__(message)
        self.subject = subject


class MalformedCertificateError(ValidationError):
    """A certificate or extension that cannot be decoded."""


class CertificateExpiredError(ValidationError):
    """A certificate in the chain has expired."""


class CertificateNotYetValidError(ValidationError):
    """A certificate in the chain is not valid yet."""


class UntrustedCAError(ValidationError):
    """The chain does not lead to a CA in the trusted certificates directory."""


class BadSignatureError(ValidationError):
    """A signature in the chain (or on a CRL) does not verify."""


class CertificateRevokedError(ValidationError):
    """A certificate in the chain is listed in its CA's CRL."""


class CRLError(ValidationError):
    """A CRL in the trusted directory is malformed, badly signed, expired or not yet valid."""


class NotACAError(ValidationError):
    """A certificate that is not a CA (basicConstraints/keyUsage) was used to issue one."""


class PathLengthError(ValidationError):
    """A CA's basicConstraints pathLenConstraint was exceeded."""


class KeyUsageError(ValidationError):
    """A certificate's keyUsage does not allow what it was used for."""


class UnsupportedExtensionError(ValidationError):
    """A critical extension that gridware does not process (RFC 5280 says: reject)."""


class WeakKeyError(ValidationError):
    """A public key or signature algorithm below the accepted strength."""


class ProxyValidationError(ValidationError):
    """A proxy certificate that breaks an RFC 3820 (or legacy Globus) rule."""


class ProxySubjectError(ProxyValidationError):
    """A proxy whose subject is not its issuer's subject plus one CN."""


class CAProxyError(ProxyValidationError):
    """A proxy that claims to be a CA, or a proxy issued by a CA certificate."""


class MalformedProxyError(ProxyValidationError):
    """A ProxyCertInfo extension that is not critical or not well-formed DER."""


class ProxyPathLengthError(ProxyValidationError):
    """More proxies below a proxy than its ProxyCertInfo path length allows."""


class ProxyPolicyError(ProxyValidationError):
    """A proxy policy language that this relying party does not accept."""


class LimitedProxyError(ProxyValidationError):
    """A limited proxy (or a proxy signed by one) where a full proxy is required."""


class LegacyProxyError(ProxyValidationError):
    """A legacy (pre-RFC 3820) Globus proxy where it is not accepted, or mixed with RFC ones."""


class SigningPolicyError(ValidationError):
    """A ``<hash>.signing_policy`` that cannot be parsed: its CA is then trusted for nothing."""


class SigningPolicyViolationError(ValidationError):
    """A certificate whose subject its CA's signing policy does not allow."""
