"""Credential delegation without a round trip for a certificate request.

The service publishes its certificate; the user signs, with their proxy, a new
proxy certificate for the *service's* public key and sends the certificates
only.  The service pairs the new proxy with its own private key: it now holds a
credential that acts as the user, and no private key ever crossed the wire.
(Globus Toolkit 4's delegation service works the same way.)

    chain_pem = delegation_chain(user_proxy, service_certificate, lifetime)   # client
    credential = accept_delegation(chain_pem, host_credential, validator, caller)  # service
"""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gridware.security.credential import Credential, load_certificates
from gridware.security.errors import CredentialError, SecurityError, ValidationError
from gridware.security.proxy import ProxyKind, delegate_proxy
from gridware.security.validation import ValidationResult, Validator

DEFAULT_DELEGATION_LIFETIME = timedelta(hours=12)
MAX_CHAIN_PEM = 64 * 1024


class DelegationError(SecurityError):
    """A delegated chain is refused; the message says why."""


def delegation_chain(
    user: Credential,
    service_certificate: x509.Certificate,
    lifetime: timedelta = DEFAULT_DELEGATION_LIFETIME,
    *,
    limited: bool = False,
) -> bytes:
    """PEM: a new proxy for the service's key signed by ``user``, then ``user``'s chain.

    The lifetime is clamped to the user's credential; a limited user proxy yields
    a limited delegation.
    """
    kind = ProxyKind.LIMITED if limited or user.is_limited else ProxyKind.IMPERSONATION
    certificate = delegate_proxy(
        user.certificate,
        user.private_key,
        user.certificates[1:],
        service_certificate.public_key(),  # type: ignore[arg-type]
        kind=kind,
        lifetime=lifetime,
    )
    pem = serialization.Encoding.PEM
    return b"".join(c.public_bytes(pem) for c in (certificate, *user.certificates))


def accept_delegation(
    chain_pem: bytes,
    host: Credential,
    validator: Validator,
    caller_identity: str | None,
) -> tuple[Credential, ValidationResult]:
    """Check a delegated chain and pair it with the host key; :class:`DelegationError` if not.

    The chain must validate (it is a proxy chain to a trusted CA), its first
    certificate must be a proxy for the host's own public key, and its identity
    must be the caller's: one delegates only oneself.
    """
    if caller_identity is None:
        raise DelegationError("delegation needs an authenticated caller")
    if len(chain_pem) > MAX_CHAIN_PEM:
        raise DelegationError(f"the delegated chain is larger than {MAX_CHAIN_PEM} bytes")
    if b"PRIVATE KEY" in chain_pem:
        raise DelegationError("a delegated chain must not carry a private key: never send one")
    try:
        chain = load_certificates(chain_pem, "delegated chain")
    except CredentialError as exc:
        raise DelegationError(str(exc)) from None
    if not chain:
        raise DelegationError("the delegated chain holds no certificate")
    if _public_der(chain[0]) != _public_der(host.certificate):
        raise DelegationError(
            "the delegated proxy is not for this service's key: sign it for the "
            "certificate the service publishes"
        )
    try:
        result = validator.validate(chain)
    except ValidationError as exc:
        raise DelegationError(f"the delegated chain does not validate: {exc}") from None
    if not result.is_proxy:
        raise DelegationError("the delegated certificate is not a proxy certificate")
    if result.identity != caller_identity:
        raise DelegationError(
            f"the delegated chain acts as {result.identity}, but the caller is {caller_identity}"
        )
    credential = Credential(chain[0], host.private_key, tuple(chain[1:]))
    return credential, result


def _public_der(certificate: x509.Certificate) -> bytes:
    return certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
