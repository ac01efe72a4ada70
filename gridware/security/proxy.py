"""RFC 3820 proxy certificates: the ProxyCertInfo extension, proxy types, issuing.

A proxy certificate is signed by an end-entity certificate (or by another proxy),
its subject is the issuer's subject with one more ``CN`` (Globus uses the proxy's
serial number), and it carries the critical ProxyCertInfo extension::

    ProxyCertInfo ::= SEQUENCE {
        pCPathLenConstraint  INTEGER (0..MAX) OPTIONAL,
        proxyPolicy          ProxyPolicy }
    ProxyPolicy ::= SEQUENCE {
        policyLanguage       OBJECT IDENTIFIER,
        policy               OCTET STRING OPTIONAL }

The policy language says what the proxy may do: everything its issuer may
(*impersonation*), nothing inherited (*independent*), only what the Globus
*limited* policy allows (no job submission), or a restricted policy in some
other language.  Legacy Globus (GT2) proxies have no extension; their last CN is
``proxy`` or ``limited proxy``.  gridware reads those and issues RFC 3820 ones.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificateIssuerPublicKeyTypes,
)
from cryptography.x509.oid import ExtensionOID, NameOID

from gridware.security import der
from gridware.security.errors import MalformedProxyError, ProxyError
from gridware.security.names import append_cn, base_name, names_match

# id-pe-proxyCertInfo (RFC 3820) and the pre-RFC GT3 draft extension.
PROXY_CERT_INFO = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.14")
DRAFT_PROXY_CERT_INFO = x509.ObjectIdentifier("1.3.6.1.4.1.3536.1.222")

# Policy languages.
ANY_LANGUAGE = "1.3.6.1.5.5.7.21.0"  # id-ppl-anyLanguage
INHERIT_ALL = "1.3.6.1.5.5.7.21.1"  # id-ppl-inheritAll: impersonation
INDEPENDENT = "1.3.6.1.5.5.7.21.2"  # id-ppl-independent
GLOBUS_LIMITED = "1.3.6.1.4.1.3536.1.1.1.9"  # Globus limited proxy

LEGACY_FULL_CN = "proxy"
LEGACY_LIMITED_CN = "limited proxy"

DEFAULT_LIFETIME = timedelta(hours=12)
DEFAULT_KEY_BITS = 2048
MIN_KEY_BITS = 2048
CLOCK_SKEW = timedelta(minutes=5)  # notBefore is set this far back, as Globus does


class ProxyType(enum.Enum):
    """What a certificate is, as ``grid-proxy-info -type`` names it."""

    END_ENTITY = "end entity credential"
    IMPERSONATION = "RFC 3820 compliant impersonation proxy"
    LIMITED = "RFC 3820 compliant limited proxy"
    INDEPENDENT = "RFC 3820 compliant independent proxy"
    RESTRICTED = "RFC 3820 compliant restricted proxy"
    LEGACY = "full legacy globus proxy"
    LEGACY_LIMITED = "limited legacy globus proxy"

    @property
    def is_proxy(self) -> bool:
        return self is not ProxyType.END_ENTITY

    @property
    def is_limited(self) -> bool:
        return self in (ProxyType.LIMITED, ProxyType.LEGACY_LIMITED)

    @property
    def is_legacy(self) -> bool:
        return self in (ProxyType.LEGACY, ProxyType.LEGACY_LIMITED)

    def describe(self) -> str:
        return self.value


class ProxyKind(enum.Enum):
    """The kinds of RFC 3820 proxy gridware issues."""

    IMPERSONATION = INHERIT_ALL
    LIMITED = GLOBUS_LIMITED
    INDEPENDENT = INDEPENDENT


_LANGUAGE_TYPES = {
    INHERIT_ALL: ProxyType.IMPERSONATION,
    INDEPENDENT: ProxyType.INDEPENDENT,
    GLOBUS_LIMITED: ProxyType.LIMITED,
}


@dataclass(frozen=True)
class ProxyCertInfo:
    """The value of the ProxyCertInfo extension."""

    policy_language: str
    policy: bytes | None = None
    path_length: int | None = None

    def __post_init__(self) -> None:
        if self.path_length is not None and self.path_length < 0:
            raise ValueError("the proxy path length constraint cannot be negative")
        if self.policy_language in _LANGUAGE_TYPES and self.policy is not None:
            raise ValueError("inheritAll, independent and limited proxies carry no policy")
        der.encode_oid(self.policy_language)  # raises on a malformed OID

    @property
    def proxy_type(self) -> ProxyType:
        return _LANGUAGE_TYPES.get(self.policy_language, ProxyType.RESTRICTED)

    def to_der(self) -> bytes:
        policy = [der.encode_oid(self.policy_language)]
        if self.policy is not None:
            policy.append(der.encode_octet_string(self.policy))
        parts = []
        if self.path_length is not None:
            parts.append(der.encode_integer(self.path_length))
        parts.append(der.encode_sequence(*policy))
        return der.encode_sequence(*parts)

    def to_extension(self) -> x509.UnrecognizedExtension:
        return x509.UnrecognizedExtension(PROXY_CERT_INFO, self.to_der())

    @classmethod
    def from_der(cls, data: bytes) -> ProxyCertInfo:
        """Parse the extension value; anything but well-formed DER raises MalformedProxyError."""
        try:
            items = der.decode(data).expect(der.SEQUENCE).children()
            path_length = None
            if items and items[0].tag == der.INTEGER:
                path_length = der.decode_integer(items.pop(0))
                if path_length < 0:
                    raise der.DERError("negative pCPathLenConstraint")
            if len(items) != 1:
                raise der.DERError("expected exactly one ProxyPolicy")
            policy_items = items[0].expect(der.SEQUENCE).children()
            if not 1 <= len(policy_items) <= 2:
                raise der.DERError("ProxyPolicy has a language and an optional policy")
            language = der.decode_oid(policy_items[0])
            policy = None
            if len(policy_items) == 2:
                policy = policy_items[1].expect(der.OCTET_STRING).content
            return cls(language, policy, path_length)
        except (der.DERError, ValueError) as exc:
            raise MalformedProxyError(f"malformed ProxyCertInfo extension: {exc}") from None


@dataclass(frozen=True)
class ProxyDescription:
    """What a certificate says about itself: its type and, for RFC proxies, the extension."""

    type: ProxyType
    info: ProxyCertInfo | None = None
    critical: bool = True


def describe(certificate: x509.Certificate) -> ProxyDescription:
    """Classify one certificate by its own content (no chain validation).

    RFC 3820 proxies are recognised by the ProxyCertInfo extension (which must then
    parse); legacy ones by a last ``CN=proxy``/``CN=limited proxy`` whose issuer is
    the rest of the subject.  GT3 draft proxies raise MalformedProxyError.
    """
    try:
        extension = certificate.extensions.get_extension_for_oid(PROXY_CERT_INFO)
    except x509.ExtensionNotFound:
        extension = None
    except ValueError as exc:  # duplicate or undecodable extensions
        raise MalformedProxyError(f"undecodable extensions: {exc}") from None
    if extension is not None:
        value = extension.value
        if not isinstance(value, x509.UnrecognizedExtension):  # pragma: no cover - future
            raise MalformedProxyError("unexpected ProxyCertInfo representation")
        info = ProxyCertInfo.from_der(value.value)
        return ProxyDescription(info.proxy_type, info, extension.critical)
    try:
        certificate.extensions.get_extension_for_oid(DRAFT_PROXY_CERT_INFO)
    except x509.ExtensionNotFound:
        pass
    else:
        raise MalformedProxyError(
            "GT3 draft (pre-RFC) proxy certificates are not supported; use RFC 3820 proxies"
        )
    legacy = legacy_type(certificate)
    if legacy is not None:
        return ProxyDescription(legacy, None)
    return ProxyDescription(ProxyType.END_ENTITY)


def legacy_type(certificate: x509.Certificate) -> ProxyType | None:
    """LEGACY or LEGACY_LIMITED for a GT2 proxy, else None."""
    rdns = list(certificate.subject.rdns)
    if len(rdns) < 2 or len(rdns[-1]) != 1:
        return None
    (last,) = list(rdns[-1])
    if last.oid != NameOID.COMMON_NAME or last.value not in (LEGACY_FULL_CN, LEGACY_LIMITED_CN):
        return None
    if not names_match(base_name(certificate.subject), certificate.issuer):
        return None
    return ProxyType.LEGACY if last.value == LEGACY_FULL_CN else ProxyType.LEGACY_LIMITED


def identity_certificate(certificates: Sequence[x509.Certificate]) -> x509.Certificate:
    """The certificate whose subject is the identity of a chain (leaf first).

    From the leaf up, the first certificate that is not an impersonation or limited
    proxy: the end-entity certificate, or an independent proxy, which is its own
    identity.  This only reads the chain; :mod:`gridware.security.validation`
    decides whether to believe it.
    """
    for certificate in certificates:
        kind = describe(certificate).type
        if kind in (ProxyType.END_ENTITY, ProxyType.INDEPENDENT):
            return certificate
    if not certificates:
        raise ValueError("an empty chain has no identity")
    return certificates[-1]


# -- issuing --------------------------------------------------------------------------------


def signature_hash(key: CertificateIssuerPrivateKeyTypes) -> hashes.SHA256 | None:
    """SHA-256, or None for the EdDSA keys that hash internally."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return None
    return hashes.SHA256()


def generate_key(bits: int = DEFAULT_KEY_BITS) -> rsa.RSAPrivateKey:
    """A new RSA key; fewer than 2048 bits is refused."""
    if bits < MIN_KEY_BITS:
        raise ProxyError(f"{bits}-bit keys are too weak; use at least {MIN_KEY_BITS} bits")
    if bits > 16384:
        raise ProxyError(f"{bits}-bit keys are not supported (at most 16384)")
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("times must be timezone-aware (use datetime.now(UTC))")
    return now


@dataclass(frozen=True)
class IssuedProxy:
    certificate: x509.Certificate
    private_key: CertificateIssuerPrivateKeyTypes
    clamped: bool
    """True when the lifetime asked for was cut to the issuer chain's end."""


def issue_proxy(
    issuer: x509.Certificate,
    issuer_key: CertificateIssuerPrivateKeyTypes,
    issuer_chain: Sequence[x509.Certificate] = (),
    *,
    kind: ProxyKind | ProxyCertInfo = ProxyKind.IMPERSONATION,
    lifetime: timedelta = DEFAULT_LIFETIME,
    path_length: int | None = None,
    key: CertificateIssuerPrivateKeyTypes | None = None,
    bits: int = DEFAULT_KEY_BITS,
    now: datetime | None = None,
) -> IssuedProxy:
    """Issue one RFC 3820 proxy exactly as asked (the low level; see Credential.create_proxy).

    The lifetime is **clamped** to the earliest end of the issuer and its chain (the
    proxy never outlives what signed it; ``clamped`` reports it); an issuer that has
    already expired, or whose keyUsage lacks digitalSignature, is refused.  A new
    RSA key of ``bits`` bits is made unless ``key`` is given.
    """
    if key is None:
        key = generate_key(bits)
    certificate, clamped = _proxy_certificate(
        issuer, issuer_key, issuer_chain, key.public_key(), kind, lifetime, path_length, now
    )
    return IssuedProxy(certificate, key, clamped)


def delegate_proxy(
    issuer: x509.Certificate,
    issuer_key: CertificateIssuerPrivateKeyTypes,
    issuer_chain: Sequence[x509.Certificate],
    public_key: CertificateIssuerPublicKeyTypes,
    *,
    kind: ProxyKind | ProxyCertInfo = ProxyKind.IMPERSONATION,
    lifetime: timedelta = DEFAULT_LIFETIME,
    now: datetime | None = None,
) -> x509.Certificate:
    """A proxy certificate for someone else's key (delegation): the holder of the
    private key of ``public_key`` gets a credential acting as the issuer.  Same rules
    as :func:`issue_proxy` (the lifetime is clamped to the issuer chain)."""
    certificate, _ = _proxy_certificate(
        issuer, issuer_key, issuer_chain, public_key, kind, lifetime, None, now
    )
    return certificate


def _proxy_certificate(
    issuer: x509.Certificate,
    issuer_key: CertificateIssuerPrivateKeyTypes,
    issuer_chain: Sequence[x509.Certificate],
    public_key: CertificateIssuerPublicKeyTypes,
    kind: ProxyKind | ProxyCertInfo,
    lifetime: timedelta,
    path_length: int | None,
    now: datetime | None,
) -> tuple[x509.Certificate, bool]:
    current = _now(now)
    if lifetime <= timedelta(0):
        raise ProxyError("the proxy lifetime must be positive")
    _check_can_issue(issuer)
    issuer_end = min(c.not_valid_after_utc for c in (issuer, *issuer_chain))
    if issuer_end <= current:
        raise ProxyError(
            "cannot sign a proxy: the issuing credential expired at "
            f"{issuer_end:%Y-%m-%d %H:%M:%S} UTC"
        )
    if issuer.not_valid_before_utc > current:
        raise ProxyError(
            "cannot sign a proxy: the issuing certificate is not valid before "
            f"{issuer.not_valid_before_utc:%Y-%m-%d %H:%M:%S} UTC"
        )
    not_after = current + lifetime
    clamped = not_after > issuer_end
    not_after = min(not_after, issuer_end)
    not_before = max(current - CLOCK_SKEW, issuer.not_valid_before_utc)

    if isinstance(kind, ProxyCertInfo):
        info = kind
        if path_length is not None:
            raise ValueError("give the path length inside the ProxyCertInfo")
    else:
        info = ProxyCertInfo(kind.value, None, path_length)
    serial = secrets.randbits(63) | 1 << 32  # positive, and never short
    builder = (
        x509.CertificateBuilder()
        .subject_name(append_cn(issuer.subject, str(serial)))
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(info.to_extension(), critical=True)
    )
    builder = _copy_usage(issuer, builder)
    try:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
    except x509.ExtensionNotFound:
        pass
    certificate = builder.sign(issuer_key, signature_hash(issuer_key))
    return certificate, clamped


def _check_can_issue(issuer: x509.Certificate) -> None:
    try:
        bc = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
        if bc.ca:
            raise ProxyError("a CA certificate cannot issue proxy certificates")
    except x509.ExtensionNotFound:
        pass
    try:
        ku = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
        if not ku.digital_signature:
            raise ProxyError("the issuing certificate's keyUsage does not allow digitalSignature")
    except x509.ExtensionNotFound:
        pass


def _copy_usage(
    issuer: x509.Certificate, builder: x509.CertificateBuilder
) -> x509.CertificateBuilder:
    """Carry over the issuer's keyUsage (never keyCertSign/cRLSign) and extendedKeyUsage."""
    try:
        ku_ext = issuer.extensions.get_extension_for_class(x509.KeyUsage)
        ku = ku_ext.value
        agreement = ku.key_agreement
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=ku.key_encipherment,
                data_encipherment=ku.data_encipherment,
                key_agreement=agreement,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=agreement and ku.encipher_only,
                decipher_only=agreement and ku.decipher_only,
            ),
            critical=True,
        )
    except x509.ExtensionNotFound:
        pass
    try:
        eku = issuer.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE)
        builder = builder.add_extension(eku.value, critical=eku.critical)
    except x509.ExtensionNotFound:
        pass
    return builder


def key_bits(certificate: x509.Certificate) -> int:
    """The strength grid-proxy-info prints: the key size in bits."""
    public = certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return public.key_size
    size = getattr(public, "key_size", None)
    if isinstance(size, int):
        return size
    if isinstance(public, ed25519.Ed25519PublicKey):
        return 256
    if isinstance(public, ed448.Ed448PublicKey):
        return 456
    return 0
