"""GSI security: X.509 PKI, RFC 3820 proxy certificates, path validation, grid-mapfiles.

The easy, safe calls are here::

    from gridware.security import Credential, TrustStore, validate

    proxy = Credential.load_user(passphrase=b"...").create_proxy()   # RFC 3820, 12 h, 2048 bits
    proxy.save_proxy()                                               # /tmp/x509up_u<uid>, 0600
    result = validate(proxy.certificates, TrustStore.default())      # X509_CERT_DIR & co
    result.identity        # '/O=Grid/OU=Test/CN=Jane Doe'
    GridMap.load().local_user(result.identity)

The explicit lower layers are modules of their own: :mod:`.names` (Globus DN
strings, OpenSSL subject hashes), :mod:`.der` (a strict DER reader/writer),
:mod:`.proxy` (ProxyCertInfo, issuing one proxy), :mod:`.trust` (the trusted
certificates directory), :mod:`.signing_policy`, :mod:`.validation`,
:mod:`.ca`, :mod:`.gridmap`, :mod:`.environment` (Globus paths and variables).

This package depends on no other gridware package.
"""

from gridware.security.ca import CertificateAuthority
from gridware.security.credential import Credential
from gridware.security.errors import (
    BadSignatureError,
    CAProxyError,
    CertificateAuthorityError,
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    CredentialError,
    CRLError,
    GridMapError,
    InsecurePermissionsError,
    InvalidNameError,
    KeyUsageError,
    LegacyProxyError,
    LimitedProxyError,
    MalformedCertificateError,
    MalformedProxyError,
    NotACAError,
    PassphraseError,
    PathLengthError,
    ProxyError,
    ProxyPathLengthError,
    ProxyPolicyError,
    ProxySubjectError,
    ProxyValidationError,
    SecurityError,
    SigningPolicyError,
    SigningPolicyViolationError,
    TrustStoreError,
    UnsupportedExtensionError,
    UntrustedCAError,
    ValidationError,
    WeakKeyError,
)
from gridware.security.gridmap import GridMap
from gridware.security.names import dn_string, parse_dn, subject_hash
from gridware.security.proxy import ProxyCertInfo, ProxyKind, ProxyType
from gridware.security.trust import TrustStore
from gridware.security.validation import (
    ValidationOptions,
    ValidationResult,
    Validator,
    validate,
)

__all__ = [
    "BadSignatureError",
    "CAProxyError",
    "CRLError",
    "CertificateAuthority",
    "CertificateAuthorityError",
    "CertificateExpiredError",
    "CertificateNotYetValidError",
    "CertificateRevokedError",
    "Credential",
    "CredentialError",
    "GridMap",
    "GridMapError",
    "InsecurePermissionsError",
    "InvalidNameError",
    "KeyUsageError",
    "LegacyProxyError",
    "LimitedProxyError",
    "MalformedCertificateError",
    "MalformedProxyError",
    "NotACAError",
    "PassphraseError",
    "PathLengthError",
    "ProxyCertInfo",
    "ProxyError",
    "ProxyKind",
    "ProxyPathLengthError",
    "ProxyPolicyError",
    "ProxySubjectError",
    "ProxyType",
    "ProxyValidationError",
    "SecurityError",
    "SigningPolicyError",
    "SigningPolicyViolationError",
    "TrustStore",
    "TrustStoreError",
    "UnsupportedExtensionError",
    "UntrustedCAError",
    "ValidationError",
    "ValidationOptions",
    "ValidationResult",
    "Validator",
    "WeakKeyError",
    "dn_string",
    "parse_dn",
    "subject_hash",
    "validate",
]
