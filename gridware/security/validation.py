"""Certificate path validation with RFC 5280 and RFC 3820 (proxy) rules.

>>> result = validate(Credential.load_proxy().certificates, TrustStore.default())
>>> result.identity, result.proxy_type, result.limited
('/O=Grid/OU=Test/CN=Jane Doe', <ProxyType.IMPERSONATION: ...>, False)

The path runs from the given leaf through the given chain to a self-signed CA
certificate found in the trust store (a CA the peer sends is never trusted by
itself).  Every rule fails closed with its own :class:`ValidationError` subclass:

- every certificate: validity period at ``at`` (a clock for tests), signature by
  the next one (SHA-1 and MD5 refused by default), key strength, no critical
  extension we do not process, extensions that decode;
- CAs: ``basicConstraints`` CA:TRUE, ``keyUsage`` keyCertSign when present,
  path length constraints; the certificates they sign are checked against the
  CA's CRLs (signature, period, revoked serials) and signing policy (if any);
- proxies (RFC 3820): issued by an end entity or a proxy whose keyUsage (if
  present) has digitalSignature; subject = issuer subject + exactly one CN;
  never a CA; ProxyCertInfo critical and well-formed; no subjectAltName/
  issuerAltName; path length constraints; a proxy under a limited proxy is
  limited; an independent proxy is its own identity; unknown policy languages
  refused unless accepted; legacy (GT2) proxies read, but not mixed with RFC ones.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from gridware.security.errors import (
    BadSignatureError,
    CAProxyError,
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    CRLError,
    KeyUsageError,
    LegacyProxyError,
    LimitedProxyError,
    MalformedCertificateError,
    MalformedProxyError,
    NotACAError,
    PathLengthError,
    ProxyPathLengthError,
    ProxyPolicyError,
    ProxySubjectError,
    ProxyValidationError,
    SigningPolicyViolationError,
    UnsupportedExtensionError,
    UntrustedCAError,
    ValidationError,
    WeakKeyError,
)
from gridware.security.names import canonical_rdns, dn_string, names_match
from gridware.security.proxy import (
    DRAFT_PROXY_CERT_INFO,
    PROXY_CERT_INFO,
    ProxyCertInfo,
    ProxyDescription,
    ProxyType,
    describe,
)
from gridware.security.trust import TrustStore

# Critical extensions this validator processes (or may ignore safely); others are refused.
_UNDERSTOOD = {
    ExtensionOID.BASIC_CONSTRAINTS,
    ExtensionOID.KEY_USAGE,
    ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    ExtensionOID.ISSUER_ALTERNATIVE_NAME,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    ExtensionOID.CERTIFICATE_POLICIES,
    ExtensionOID.INHIBIT_ANY_POLICY,
    PROXY_CERT_INFO,
    DRAFT_PROXY_CERT_INFO,  # understood well enough to be refused with a clear message
}
_CRL_UNDERSTOOD = {ExtensionOID.CRL_NUMBER, ExtensionOID.AUTHORITY_KEY_IDENTIFIER}
_INFINITY = 1 << 62


class Role(enum.Enum):
    CA = "CA"
    END_ENTITY = "end entity"
    PROXY = "proxy"


@dataclass(frozen=True)
class ValidationOptions:
    """What a relying party accepts.  The defaults are strict where Globus is."""

    allow_limited: bool = True
    """False where a full proxy is required (job submission): limited chains are refused."""
    allow_legacy: bool = True
    """Accept legacy (GT2, ``CN=proxy``) proxies; they are never mixed with RFC 3820 ones."""
    allow_independent: bool = True
    accepted_policy_languages: frozenset[str] = frozenset()
    """Restricted-proxy policy languages the caller enforces itself; others are refused."""
    check_crls: bool = True
    require_crls: bool = False
    """Refuse certificates whose CA has no CRL in the trust store."""
    require_signing_policy: bool = False
    """Refuse certificates whose CA has no signing policy (Globus can be set to require one)."""
    min_rsa_bits: int = 2048
    allow_sha1: bool = False
    max_path_length: int = 16


@dataclass(frozen=True)
class ValidationResult:
    """What a valid chain proves."""

    identity: str
    """The grid identity, Globus form: the end entity (or an independent proxy)."""
    identity_certificate: x509.Certificate
    end_entity: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    """The validated path, leaf first, ending with the trusted CA."""
    proxy_type: ProxyType
    """The leaf's type (END_ENTITY when no proxy is involved)."""
    limited: bool
    not_after: datetime
    """When the chain stops being valid (its earliest end)."""
    proxy_policies: tuple[ProxyCertInfo, ...] = field(default=())
    """The ProxyCertInfo of each RFC 3820 proxy, leaf first."""

    @property
    def leaf(self) -> x509.Certificate:
        return self.chain[0]

    @property
    def subject(self) -> str:
        return dn_string(self.leaf.subject)

    @property
    def is_proxy(self) -> bool:
        return self.proxy_type.is_proxy

    @property
    def trust_anchor(self) -> x509.Certificate:
        return self.chain[-1]


def validate(
    chain: Sequence[x509.Certificate],
    trust: TrustStore | None = None,
    *,
    at: datetime | None = None,
    options: ValidationOptions | None = None,
) -> ValidationResult:
    """Validate ``chain`` (leaf first) against ``trust`` (default: ``$X509_CERT_DIR`` & co)."""
    return Validator(trust or TrustStore.default(), options).validate(chain, at=at)


class Validator:
    """A trust store and options, reusable across many validations."""

    def __init__(self, trust: TrustStore, options: ValidationOptions | None = None) -> None:
        self.trust = trust
        self.options = options or ValidationOptions()

    def validate(
        self, chain: Sequence[x509.Certificate], *, at: datetime | None = None
    ) -> ValidationResult:
        when = _when(at)
        path = self._build_path(list(chain))
        return _PathCheck(self, path, when).run()

    # -- path building -------------------------------------------------------------------

    def _build_path(self, chain: list[x509.Certificate]) -> list[x509.Certificate]:
        if not chain:
            raise ValidationError("no certificate to validate")
        path = [chain[0]]
        pool = chain[1:]
        while True:
            current = path[-1]
            if _self_issued(current) and self.trust.is_trusted(current):
                return path
            if len(path) >= self.options.max_path_length:
                raise ValidationError(
                    f"the chain is longer than {self.options.max_path_length} certificates"
                )
            issuer = self._find_issuer(current, pool)
            if issuer is None or any(issuer == p for p in path):
                raise UntrustedCAError(
                    f"no trusted CA for {dn_string(current.subject)}: its issuer "
                    f"{dn_string(current.issuer)} is not in {self.trust.describe()}",
                    dn_string(current.subject),
                )
            path.append(issuer)

    def _find_issuer(
        self, certificate: x509.Certificate, pool: list[x509.Certificate]
    ) -> x509.Certificate | None:
        candidates = [
            c for c in pool if not _self_issued(c) and names_match(c.subject, certificate.issuer)
        ]
        candidates += self.trust.ca_certificates(certificate.issuer)
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        for candidate in candidates:  # several: the one whose key verifies the signature
            try:
                _verify_signature(candidate.public_key(), certificate)
                return candidate
            except (InvalidSignature, UnsupportedAlgorithm, TypeError, ValueError):
                continue
        return candidates[0]


class _PathCheck:
    """One validation run over a built path (root last)."""

    def __init__(self, validator: Validator, path: list[x509.Certificate], at: datetime) -> None:
        self.trust = validator.trust
        self.options = validator.options
        self.path = path
        self.at = at

    def run(self) -> ValidationResult:
        path = self.path
        top = len(path) - 1
        roles: list[Role] = [Role.CA] * len(path)
        max_ca_path = _INFINITY
        proxies_allowed = _INFINITY
        end_entity: x509.Certificate | None = None
        identity: x509.Certificate | None = None
        limited = False
        kinds: list[ProxyType] = []
        policies: list[ProxyCertInfo] = []

        for i in range(top, -1, -1):
            cert = path[i]
            extensions = self._common_checks(cert)
            if i == top:
                self._check_signature(cert, cert)
                bc = extensions.get(ExtensionOID.BASIC_CONSTRAINTS)
                if top == 0:
                    roles[i] = Role.CA if bc is not None and bc.value.ca else Role.END_ENTITY
                    end_entity = identity = cert
                    continue
                self._check_ca(cert, extensions, anchor=True)
                if bc is not None and bc.value.path_length is not None:
                    max_ca_path = bc.value.path_length
                continue

            issuer = path[i + 1]
            self._check_signature(cert, issuer)
            description = _describe(cert)
            if roles[i + 1] is Role.CA:
                if i + 1 != top:
                    self._check_ca(issuer, self._extensions(issuer), anchor=False)
                if description.type.is_proxy:
                    raise CAProxyError(
                        f"{dn_string(cert.subject)} is a proxy certificate issued directly by "
                        f"the CA {dn_string(issuer.subject)}; proxies are issued by end entities",
                        dn_string(cert.subject),
                    )
                bc = extensions.get(ExtensionOID.BASIC_CONSTRAINTS)
                if bc is not None and bc.value.ca:
                    roles[i] = Role.CA
                    if i > 0:
                        if not _self_issued(cert):
                            if max_ca_path <= 0:
                                raise PathLengthError(
                                    f"the CA {dn_string(cert.subject)} exceeds a CA path length "
                                    "constraint above it",
                                    dn_string(cert.subject),
                                )
                            max_ca_path -= 1
                        if bc.value.path_length is not None:
                            max_ca_path = min(max_ca_path, bc.value.path_length)
                else:
                    roles[i] = Role.END_ENTITY
                if roles[i] is Role.END_ENTITY or i == 0:
                    end_entity = identity = cert
                self._check_revocation(cert, issuer)
                self._check_signing_policy(cert, issuer)
                continue

            # The issuer is an end entity or a proxy: this must be a proxy.
            if not description.type.is_proxy:
                raise NotACAError(
                    f"{dn_string(cert.subject)} is signed by {dn_string(issuer.subject)}, "
                    "which is not a CA, and it is not a proxy certificate",
                    dn_string(cert.subject),
                )
            self._check_proxy(cert, issuer, description, extensions)
            roles[i] = Role.PROXY
            if proxies_allowed <= 0:
                raise ProxyPathLengthError(
                    f"the proxy {dn_string(cert.subject)} exceeds the proxy path length "
                    "constraint of a proxy above it",
                    dn_string(cert.subject),
                )
            proxies_allowed -= 1
            if description.info is not None:
                policies.append(description.info)
                if description.info.path_length is not None:
                    proxies_allowed = min(proxies_allowed, description.info.path_length)
            kinds.append(description.type)
            if description.type is ProxyType.INDEPENDENT:
                identity, limited = cert, False
            elif description.type.is_limited:
                limited = True

        if any(k.is_legacy for k in kinds) and not all(k.is_legacy for k in kinds):
            raise LegacyProxyError(
                "the chain mixes legacy (pre-RFC 3820) and RFC 3820 proxies",
                dn_string(path[0].subject),
            )
        if limited and not self.options.allow_limited:
            raise LimitedProxyError(
                f"{dn_string(path[0].subject)} is a limited proxy (or signed by one); "
                "a full proxy is required",
                dn_string(path[0].subject),
            )
        assert end_entity is not None and identity is not None
        return ValidationResult(
            identity=dn_string(identity.subject),
            identity_certificate=identity,
            end_entity=end_entity,
            chain=tuple(path),
            proxy_type=kinds[-1] if kinds else ProxyType.END_ENTITY,
            limited=limited,
            not_after=min(c.not_valid_after_utc for c in path),
            proxy_policies=tuple(reversed(policies)),
        )

    # -- per certificate ---------------------------------------------------------------------

    def _extensions(self, cert: x509.Certificate) -> dict[x509.ObjectIdentifier, Any]:
        try:
            return {ext.oid: ext for ext in cert.extensions}
        except (ValueError, x509.DuplicateExtension) as exc:
            raise MalformedCertificateError(
                f"{_name(cert)} has malformed extensions: {exc}", _name(cert)
            ) from None

    def _common_checks(self, cert: x509.Certificate) -> dict[x509.ObjectIdentifier, Any]:
        subject = _name(cert)
        if cert.not_valid_before_utc > self.at:
            raise CertificateNotYetValidError(
                f"{subject} is not valid before {_time(cert.not_valid_before_utc)}", subject
            )
        if cert.not_valid_after_utc < self.at:
            raise CertificateExpiredError(
                f"{subject} expired at {_time(cert.not_valid_after_utc)}", subject
            )
        self._check_key(cert)
        extensions = self._extensions(cert)
        for oid, ext in extensions.items():
            if ext.critical and oid not in _UNDERSTOOD:
                raise UnsupportedExtensionError(
                    f"{subject} has a critical extension gridware does not process "
                    f"({_oid_name(oid)})",
                    subject,
                )
        return extensions

    def _check_key(self, cert: x509.Certificate) -> None:
        subject = _name(cert)
        try:
            public = cert.public_key()
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise MalformedCertificateError(
                f"{subject} has an unusable key: {exc}", subject
            ) from None
        if isinstance(public, rsa.RSAPublicKey) and public.key_size < self.options.min_rsa_bits:
            raise WeakKeyError(
                f"{subject} has a {public.key_size}-bit RSA key "
                f"(at least {self.options.min_rsa_bits} required)",
                subject,
            )
        if isinstance(public, ec.EllipticCurvePublicKey) and public.key_size < 256:
            raise WeakKeyError(f"{subject} has a {public.key_size}-bit EC key", subject)
        if isinstance(public, dsa.DSAPublicKey) and public.key_size < 2048:
            raise WeakKeyError(f"{subject} has a {public.key_size}-bit DSA key", subject)

    def _check_signature(self, cert: x509.Certificate, issuer: x509.Certificate) -> None:
        subject = _name(cert)
        try:
            algorithm = cert.signature_hash_algorithm
        except UnsupportedAlgorithm:
            raise WeakKeyError(
                f"{subject} is signed with an unsupported algorithm", subject
            ) from None
        if isinstance(algorithm, hashes.MD5) or (
            isinstance(algorithm, hashes.SHA1) and not self.options.allow_sha1
        ):
            raise WeakKeyError(
                f"{subject} is signed with {algorithm.name}, which is too weak", subject
            )
        if _names(cert).issuer != _names(issuer).subject:
            raise BadSignatureError(f"{subject} was not issued by {_name(issuer)}", subject)
        try:
            _verify_signature(issuer.public_key(), cert)
        except (InvalidSignature, UnsupportedAlgorithm, TypeError, ValueError):
            raise BadSignatureError(
                f"the signature on {subject} does not verify with the key of {_name(issuer)}",
                subject,
            ) from None

    def _check_ca(
        self, cert: x509.Certificate, extensions: dict[x509.ObjectIdentifier, Any], *, anchor: bool
    ) -> None:
        subject = _name(cert)
        bc = extensions.get(ExtensionOID.BASIC_CONSTRAINTS)
        if bc is None:
            if not (anchor and cert.version is x509.Version.v1):
                raise NotACAError(f"{subject} is not a CA (no basicConstraints CA:TRUE)", subject)
        elif not bc.value.ca:
            raise NotACAError(f"{subject} is not a CA (basicConstraints CA:FALSE)", subject)
        ku = extensions.get(ExtensionOID.KEY_USAGE)
        if ku is not None and not ku.value.key_cert_sign:
            raise KeyUsageError(
                f"the CA {subject} may not sign certificates (keyUsage lacks keyCertSign)", subject
            )

    def _check_proxy(
        self,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        description: ProxyDescription,
        extensions: dict[x509.ObjectIdentifier, Any],
    ) -> None:
        subject = _name(cert)
        issuer_ku = self._extensions(issuer).get(ExtensionOID.KEY_USAGE)
        if issuer_ku is not None and not issuer_ku.value.digital_signature:
            raise KeyUsageError(
                f"{_name(issuer)} may not sign proxies (keyUsage lacks digitalSignature)", subject
            )
        rdns, issuer_rdns = _names(cert).subject, _names(issuer).subject
        if len(rdns) != len(issuer_rdns) + 1 or rdns[:-1] != issuer_rdns:
            raise ProxySubjectError(
                f"proxy subject {subject} is not its issuer's subject {_name(issuer)} plus one CN",
                subject,
            )
        last = list(list(cert.subject.rdns)[-1])
        if len(last) != 1 or last[0].oid != NameOID.COMMON_NAME or not last[0].value:
            raise ProxySubjectError(
                f"proxy subject {subject} must end with exactly one CN", subject
            )
        bc = extensions.get(ExtensionOID.BASIC_CONSTRAINTS)
        if bc is not None and bc.value.ca:
            raise CAProxyError(f"the proxy {subject} claims to be a CA (CA:TRUE)", subject)
        ku = extensions.get(ExtensionOID.KEY_USAGE)
        if ku is not None and (ku.value.key_cert_sign or ku.value.crl_sign):
            raise KeyUsageError(f"the proxy {subject} asserts keyCertSign or cRLSign", subject)
        for oid in (ExtensionOID.SUBJECT_ALTERNATIVE_NAME, ExtensionOID.ISSUER_ALTERNATIVE_NAME):
            if oid in extensions:
                raise ProxyValidationError(
                    f"the proxy {subject} carries {oid._name}, which RFC 3820 forbids", subject
                )
        kind = description.type
        if description.info is not None and not description.critical:
            raise MalformedProxyError(
                f"the ProxyCertInfo extension of {subject} is not critical", subject
            )
        if kind.is_legacy and not self.options.allow_legacy:
            raise LegacyProxyError(f"{subject} is a legacy Globus proxy; not accepted", subject)
        if kind is ProxyType.INDEPENDENT and not self.options.allow_independent:
            raise ProxyPolicyError(f"{subject} is an independent proxy; not accepted", subject)
        if kind is ProxyType.RESTRICTED:
            assert description.info is not None
            language = description.info.policy_language
            if language not in self.options.accepted_policy_languages:
                raise ProxyPolicyError(
                    f"{subject} is a restricted proxy with the policy language {language}, "
                    "which this service does not accept",
                    subject,
                )

    # -- what the CA says -----------------------------------------------------------------

    def _check_revocation(self, cert: x509.Certificate, issuer: x509.Certificate) -> None:
        if not self.options.check_crls:
            return
        subject = _name(cert)
        crls = self.trust.crls(issuer.subject)
        if not crls and self.options.require_crls:
            raise CRLError(f"no CRL for the CA {_name(issuer)} in {self.trust.describe()}", subject)
        for crl in crls:
            if not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
                raise CRLError(
                    f"the CRL of {_name(issuer)} does not verify with the CA's key", subject
                )
            ku = self._extensions(issuer).get(ExtensionOID.KEY_USAGE)
            if ku is not None and not ku.value.crl_sign:
                raise CRLError(f"the CA {_name(issuer)} may not sign CRLs (no cRLSign)", subject)
            if crl.last_update_utc > self.at:
                raise CRLError(
                    f"the CRL of {_name(issuer)} is not valid before {_time(crl.last_update_utc)}",
                    subject,
                )
            next_update = crl.next_update_utc
            if next_update is not None and next_update < self.at:
                raise CRLError(
                    f"the CRL of {_name(issuer)} expired at {_time(next_update)}; "
                    "the CA must publish a new one",
                    subject,
                )
            try:
                for ext in crl.extensions:
                    if ext.critical and ext.oid not in _CRL_UNDERSTOOD:
                        raise CRLError(
                            f"the CRL of {_name(issuer)} has an unsupported critical extension "
                            f"{ext.oid.dotted_string}",
                            subject,
                        )
                if _has_critical_entry_extension(crl):
                    raise CRLError(
                        f"the CRL of {_name(issuer)} has an entry with a critical extension "
                        "(indirect CRLs are not supported)",
                        subject,
                    )
                revoked = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
            except ValueError as exc:
                raise CRLError(f"the CRL of {_name(issuer)} is malformed: {exc}", subject) from None
            if revoked is not None:
                raise CertificateRevokedError(
                    f"{subject} was revoked by {_name(issuer)} at "
                    f"{_time(revoked.revocation_date_utc)}",
                    subject,
                )

    def _check_signing_policy(self, cert: x509.Certificate, issuer: x509.Certificate) -> None:
        policy = self.trust.signing_policy(issuer.subject)
        if policy is None:
            if self.options.require_signing_policy:
                raise SigningPolicyViolationError(
                    f"the CA {_name(issuer)} has no signing policy in {self.trust.describe()}",
                    _name(cert),
                )
            return
        policy.check(dn_string(issuer.subject), dn_string(cert.subject))


# -- helpers ----------------------------------------------------------------------------------


def _when(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None:
        raise ValueError("the validation time must be timezone-aware")
    return at


_ENTRY_CHECKS: dict[bytes, bool] = {}


def _has_critical_entry_extension(crl: x509.CertificateRevocationList) -> bool:
    """Checked once per CRL: such an entry (certificateIssuer...) changes what others mean."""
    key = crl.fingerprint(hashes.SHA256())
    found = _ENTRY_CHECKS.get(key)
    if found is None:
        found = any(ext.critical for entry in crl for ext in entry.extensions)
        if len(_ENTRY_CHECKS) >= 256:
            _ENTRY_CHECKS.clear()
        _ENTRY_CHECKS[key] = found
    return found


def _oid_name(oid: x509.ObjectIdentifier) -> str:
    name = getattr(oid, "_name", "Unknown OID")
    return oid.dotted_string if name == "Unknown OID" else f"{name}, {oid.dotted_string}"


@dataclass(frozen=True)
class _Names:
    subject: tuple[bytes, ...]
    issuer: tuple[bytes, ...]
    subject_dn: str


@lru_cache(maxsize=2048)
def _names(cert: x509.Certificate) -> _Names:
    """Canonical subject/issuer and the subject's DN string, once per certificate."""
    return _Names(
        tuple(canonical_rdns(cert.subject)),
        tuple(canonical_rdns(cert.issuer)),
        dn_string(cert.subject),
    )


def _self_issued(cert: x509.Certificate) -> bool:
    names = _names(cert)
    return names.subject == names.issuer


def _name(cert: x509.Certificate) -> str:
    try:
        return _names(cert).subject_dn
    except ValueError:
        return "a certificate with an unprintable subject"


def _time(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _describe(cert: x509.Certificate) -> ProxyDescription:
    try:
        return describe(cert)
    except ValueError as exc:
        raise MalformedCertificateError(f"{_name(cert)}: {exc}", _name(cert)) from None


def _verify_signature(public: Any, cert: x509.Certificate) -> None:
    """Verify ``cert``'s signature with ``public`` (raises InvalidSignature and friends)."""
    params = cert.signature_algorithm_parameters
    algorithm = cert.signature_hash_algorithm
    data = cert.tbs_certificate_bytes
    signature = cert.signature
    if isinstance(public, rsa.RSAPublicKey):
        if not isinstance(params, padding.PKCS1v15 | padding.PSS) or algorithm is None:
            raise InvalidSignature
        public.verify(signature, data, params, algorithm)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        if not isinstance(params, ec.ECDSA):
            raise InvalidSignature
        public.verify(signature, data, params)
    elif isinstance(public, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        if algorithm is not None:
            raise InvalidSignature
        public.verify(signature, data)
    elif isinstance(public, dsa.DSAPublicKey):
        if algorithm is None:
            raise InvalidSignature
        public.verify(signature, data, algorithm)
    else:
        raise UnsupportedAlgorithm("unsupported public key type")
