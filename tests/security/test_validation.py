"""Path validation: every RFC 5280 / RFC 3820 rule, with a negative test for each check."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from gridware.security import (
    BadSignatureError,
    CAProxyError,
    CertificateAuthority,
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    Credential,
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
    ProxyType,
    ProxyValidationError,
    SigningPolicyError,
    SigningPolicyViolationError,
    TrustStore,
    TrustStoreError,
    UnsupportedExtensionError,
    UntrustedCAError,
    ValidationError,
    ValidationOptions,
    Validator,
    WeakKeyError,
    validate,
)
from gridware.security.names import append_cn, dn_string, parse_dn
from gridware.security.proxy import (
    DRAFT_PROXY_CERT_INFO,
    GLOBUS_LIMITED,
    INDEPENDENT,
    INHERIT_ALL,
    PROXY_CERT_INFO,
    ProxyCertInfo,
    ProxyKind,
    issue_proxy,
)
from tests.security.conftest import NOW, build_cert, proxy_name

JANE = "/O=Grid/OU=Test/CN=Jane Doe"


def pci(language=INHERIT_ALL, path_length=None, policy=None, critical=True):
    return (ProxyCertInfo(language, policy, path_length).to_extension(), critical)


def make_proxy(issuer: Credential, key, *, subject=None, extensions=None, **kwargs) -> Credential:
    """A proxy built by hand, so that it can break any rule."""
    cert = build_cert(
        subject or proxy_name(issuer),
        issuer,
        key,
        extensions=[pci()] if extensions is None else extensions,
        **kwargs,
    )
    return Credential(cert, key, issuer.certificates)


def check(pki, credential, **options):
    return validate(credential.certificates, pki.trust, options=ValidationOptions(**options))


# -- what valid chains prove -----------------------------------------------------------------


def test_end_entity_certificate(pki):
    result = check(pki, pki.user)
    assert result.identity == JANE
    assert result.proxy_type is ProxyType.END_ENTITY and not result.is_proxy
    assert not result.limited
    assert result.chain == (pki.user.certificate, pki.ca.certificate)
    assert result.end_entity == pki.user.certificate
    assert result.not_after == pki.user.certificate.not_valid_after_utc


def test_impersonation_proxy_chain_of_depth_three(pki):
    p1 = pki.proxy()
    p2 = pki.proxy(p1)
    p3 = pki.proxy(p2, lifetime=timedelta(hours=1))
    result = check(pki, p3)
    assert result.identity == JANE
    assert result.proxy_type is ProxyType.IMPERSONATION
    assert not result.limited
    assert result.chain == (*p3.certificates, pki.ca.certificate)
    assert result.not_after == p3.certificate.not_valid_after_utc
    assert [p.policy_language for p in result.proxy_policies] == [INHERIT_ALL] * 3
    assert result.subject == dn_string(p3.certificate.subject)


def test_host_certificate(pki):
    host = pki.ca.issue_host("localhost", key=pki.new_key())
    assert check(pki, host).identity == "/O=Grid/OU=Test/CN=localhost"


def test_chain_may_include_the_trusted_root(pki):
    proxy = pki.proxy()
    result = validate([*proxy.certificates, pki.ca.certificate], pki.trust)
    assert result.trust_anchor == pki.ca.certificate


def test_chain_order_of_the_pool_does_not_matter(pki):
    p1 = pki.proxy()
    p2 = pki.proxy(p1)
    assert check(
        pki, Credential(p2.certificate, p2.private_key, (pki.user.certificate, p1.certificate))
    )


def test_limited_proxy(pki):
    limited = pki.proxy(kind=ProxyKind.LIMITED)
    result = check(pki, limited)
    assert result.proxy_type is ProxyType.LIMITED and result.limited
    assert result.identity == JANE
    with pytest.raises(LimitedProxyError, match="full proxy is required"):
        check(pki, limited, allow_limited=False)


def test_proxy_signed_by_a_limited_proxy_is_limited(pki):
    limited = pki.proxy(kind=ProxyKind.LIMITED)
    # the low level issues exactly what is asked: an impersonation proxy under a limited one
    issued = issue_proxy(limited.certificate, limited.private_key, limited.chain, key=pki.new_key())
    child = Credential(issued.certificate, issued.private_key, limited.certificates)
    result = check(pki, child)
    assert result.proxy_type is ProxyType.IMPERSONATION
    assert result.limited
    with pytest.raises(LimitedProxyError):
        check(pki, child, allow_limited=False)
    # the high level makes it limited outright
    assert pki.proxy(limited).proxy_type is ProxyType.LIMITED


def test_independent_proxy_is_its_own_identity(pki):
    independent = pki.proxy(kind=ProxyKind.INDEPENDENT)
    result = check(pki, independent)
    assert result.proxy_type is ProxyType.INDEPENDENT
    assert result.identity == dn_string(independent.certificate.subject)
    assert result.identity_certificate == independent.certificate
    below = pki.proxy(independent)
    assert check(pki, below).identity == dn_string(independent.certificate.subject)
    # an independent proxy inherits nothing, not even limitation
    under_limited = pki.proxy(pki.proxy(kind=ProxyKind.LIMITED), kind=ProxyKind.INDEPENDENT)
    assert not check(pki, under_limited).limited
    with pytest.raises(ProxyPolicyError, match="independent"):
        check(pki, independent, allow_independent=False)


def test_restricted_proxy_needs_an_accepted_policy_language(pki):
    language = "1.3.6.1.4.1.99999.1"
    restricted = make_proxy(
        pki.user, pki.new_key(), extensions=[pci(language, policy=b"only reads")]
    )
    with pytest.raises(ProxyPolicyError, match=language):
        check(pki, restricted)
    result = check(pki, restricted, accepted_policy_languages=frozenset({language}))
    assert result.proxy_type is ProxyType.RESTRICTED
    assert result.proxy_policies[0].policy == b"only reads"


def test_legacy_proxies_are_read(pki):
    full = make_proxy(pki.user, pki.new_key(), subject=proxy_name(pki.user, "proxy"), extensions=[])
    result = check(pki, full)
    assert result.proxy_type is ProxyType.LEGACY and result.identity == JANE
    limited = make_proxy(
        pki.user, pki.new_key(), subject=proxy_name(pki.user, "limited proxy"), extensions=[]
    )
    result = check(pki, limited)
    assert result.proxy_type is ProxyType.LEGACY_LIMITED and result.limited
    with pytest.raises(LegacyProxyError, match="legacy"):
        check(pki, full, allow_legacy=False)


def test_legacy_and_rfc_proxies_do_not_mix(pki):
    legacy = make_proxy(
        pki.user, pki.new_key(), subject=proxy_name(pki.user, "proxy"), extensions=[]
    )
    with pytest.raises(LegacyProxyError, match="mixes"):
        check(pki, pki.proxy(legacy))


# -- validity times ---------------------------------------------------------------------------


def test_expired_proxy(pki):
    proxy = pki.proxy(lifetime=timedelta(hours=1))
    with pytest.raises(CertificateExpiredError, match="expired at") as info:
        validate(proxy.certificates, pki.trust, at=NOW + timedelta(hours=2))
    assert info.value.subject == dn_string(proxy.certificate.subject)
    old = make_proxy(
        pki.user,
        pki.new_key(),
        not_before=NOW - timedelta(days=2),
        not_after=NOW - timedelta(days=1),
    )
    with pytest.raises(CertificateExpiredError):
        check(pki, old)


def test_not_yet_valid(pki):
    future = make_proxy(pki.user, pki.new_key(), not_before=NOW + timedelta(hours=1))
    with pytest.raises(CertificateNotYetValidError, match="not valid before"):
        check(pki, future)
    with pytest.raises(CertificateNotYetValidError):
        validate(pki.user.certificates, pki.trust, at=NOW - timedelta(days=1))


def test_expired_ca(pki):
    with pytest.raises(CertificateExpiredError, match="Test CA"):
        validate(pki.user.certificates, pki.trust, at=NOW + timedelta(days=3000))


def test_clock_must_be_timezone_aware(pki):
    with pytest.raises(ValueError, match="timezone"):
        validate(pki.user.certificates, pki.trust, at=NOW.replace(tzinfo=None))


# -- trust and signatures -----------------------------------------------------------------------


def test_unknown_ca(pki, tmp_path):
    other = CertificateAuthority.create(
        tmp_path / "other", "/O=Elsewhere/CN=Other CA", key=pki.new_key()
    )
    stranger = other.issue_user("Mallory", key=pki.new_key())
    with pytest.raises(UntrustedCAError, match="Other CA"):
        check(pki, stranger)
    # sending the unknown root along does not make it trusted
    with pytest.raises(UntrustedCAError):
        validate([stranger.certificate, other.certificate], pki.trust)


def test_forged_ca_with_the_trusted_name(pki, tmp_path):
    forged_key = rsa.generate_private_key(65537, 2048)
    forged_root = build_cert(
        pki.ca.certificate.subject,
        (pki.ca.certificate.subject, forged_key),
        forged_key,
        extensions=[(x509.BasicConstraints(ca=True, path_length=None), True)],
    )
    fake_user = build_cert(JANE, (forged_root.subject, forged_key), pki.new_key())
    with pytest.raises(BadSignatureError, match="does not verify"):
        validate([fake_user, forged_root], pki.trust)


def test_bad_signature(pki):
    key = pki.new_key()
    wrong_signer = Credential(pki.user.certificate, pki.user.private_key)  # name right ...
    cert = build_cert(
        proxy_name(pki.user),
        (wrong_signer.certificate.subject, pki.new_key()),
        key,
        extensions=[pci()],
    )  # ... key wrong
    with pytest.raises(BadSignatureError, match="does not verify"):
        validate([cert, pki.user.certificate], pki.trust)


def test_tampered_certificate(pki):
    der = bytearray(pki.user.certificate.public_bytes(serialization.Encoding.DER))
    index = der.find(b"Jane Doe")
    der[index] = ord("X")
    tampered = x509.load_der_x509_certificate(bytes(der))
    with pytest.raises(BadSignatureError):
        validate([tampered], pki.trust)


def test_weak_keys_and_digests(pki):
    weak = rsa.generate_private_key(65537, 1024)
    with pytest.raises(WeakKeyError, match="1024-bit"):
        check(pki, make_proxy(pki.user, weak))
    sha1 = _sha1_resigned(make_proxy(pki.user, pki.new_key()), pki.user.private_key)
    with pytest.raises(WeakKeyError, match="sha1"):
        check(pki, sha1)
    assert check(pki, sha1, allow_sha1=True).is_proxy


def _sha1_resigned(proxy: Credential, issuer_key) -> Credential:
    """The same proxy signed with sha1WithRSAEncryption (cryptography no longer signs SHA-1)."""
    from cryptography.hazmat.primitives.asymmetric import padding

    from gridware.security import der

    sha256_rsa = bytes.fromhex("06092a864886f70d01010b")
    sha1_rsa = bytes.fromhex("06092a864886f70d010105")
    tbs = proxy.certificate.tbs_certificate_bytes.replace(sha256_rsa, sha1_rsa)
    signature = issuer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    algorithm = der.encode_sequence(sha1_rsa, b"\x05\x00")
    cert_der = der.encode_sequence(tbs, algorithm, der.encode(der.BIT_STRING, b"\x00" + signature))
    return Credential(x509.load_der_x509_certificate(cert_der), proxy.private_key, proxy.chain)


def test_empty_and_looping_chains(pki):
    with pytest.raises(ValidationError, match="no certificate"):
        validate([], pki.trust)
    with pytest.raises(ValidationError, match="longer than"):
        chain = [pki.proxy()]
        for _ in range(4):
            chain.append(pki.proxy(chain[-1]))
        check(pki, chain[-1], max_path_length=4)


# -- CA rules ---------------------------------------------------------------------------------


def _intermediate(pki, *, ca=True, key_usage=True, path_length=None):
    key = pki.new_key()
    extensions = [(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), True)]
    if key_usage is not None:
        extensions.append(
            (
                x509.KeyUsage(
                    not key_usage, False, False, False, False, key_usage, key_usage, False, False
                ),
                True,
            )
        )
    cert = build_cert("/O=Grid/OU=Test/CN=Sub CA", pki.ca_credential, key, extensions=extensions)
    return Credential(cert, key)


@pytest.fixture
def pki_ca(pki):
    pki.ca_credential = Credential(pki.ca.certificate, pki.ca.private_key)
    return pki


def test_intermediate_ca(pki_ca):
    sub = _intermediate(pki_ca)
    user = build_cert(
        "/O=Grid/OU=Test/CN=Sub User",
        sub,
        pki_ca.new_key(),
        extensions=[(x509.BasicConstraints(ca=False, path_length=None), True)],
    )
    result = validate([user, sub.certificate], pki_ca.trust)
    assert result.identity == "/O=Grid/OU=Test/CN=Sub User"
    assert len(result.chain) == 3


def test_signer_that_is_not_a_ca(pki_ca):
    not_ca = _intermediate(pki_ca, ca=False, key_usage=None)
    user = build_cert("/O=Grid/OU=Test/CN=Sub User", not_ca, pki_ca.new_key())
    with pytest.raises(NotACAError, match="not a CA"):
        validate([user, not_ca.certificate], pki_ca.trust)
    # an end entity certificate signing a non-proxy
    other = build_cert("/O=Grid/OU=Test/CN=Someone", pki_ca.user, pki_ca.new_key())
    with pytest.raises(NotACAError, match="not a proxy"):
        validate([other, pki_ca.user.certificate], pki_ca.trust)


def test_ca_without_key_cert_sign(pki_ca):
    sub = _intermediate(pki_ca, key_usage=False)
    user = build_cert("/O=Grid/OU=Test/CN=Sub User", sub, pki_ca.new_key())
    with pytest.raises(KeyUsageError, match="keyCertSign"):
        validate([user, sub.certificate], pki_ca.trust)


def test_ca_path_length_exceeded(pki_ca, tmp_path):
    root_key = pki_ca.new_key()
    root_name = parse_dn("/O=Grid/OU=Test/CN=Strict Root")
    root = build_cert(
        root_name,
        (root_name, root_key),
        root_key,
        extensions=[(x509.BasicConstraints(ca=True, path_length=0), True)],
    )
    root_cred = Credential(root, root_key)
    sub_key = pki_ca.new_key()
    sub = build_cert(
        "/O=Grid/OU=Test/CN=Sub",
        root_cred,
        sub_key,
        extensions=[(x509.BasicConstraints(ca=True, path_length=None), True)],
    )
    user = build_cert("/O=Grid/OU=Test/CN=U", Credential(sub, sub_key), pki_ca.new_key())
    trust = TrustStore(certificates=[root])
    with pytest.raises(PathLengthError, match="path length"):
        validate([user, sub], trust)
    direct = build_cert("/O=Grid/OU=Test/CN=U", root_cred, pki_ca.new_key())
    assert validate([direct], trust).identity == "/O=Grid/OU=Test/CN=U"


def test_unsupported_critical_extension(pki):
    odd = (
        x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.7"), b"\x05\x00"),
        True,
    )
    with pytest.raises(UnsupportedExtensionError, match=r"1\.3\.6\.1\.4\.1\.99999\.7"):
        check(pki, make_proxy(pki.user, pki.new_key(), extensions=[pci(), odd]))
    constraints = (x509.NameConstraints([x509.DNSName("example.org")], None), True)
    with pytest.raises(UnsupportedExtensionError):
        check(pki, make_proxy(pki.user, pki.new_key(), extensions=[pci(), constraints]))
    # the same extension, not critical, is fine
    assert check(pki, make_proxy(pki.user, pki.new_key(), extensions=[pci(), (odd[0], False)]))


# -- RFC 3820 rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "/O=Grid/OU=Test/CN=John Doe/CN=123",  # another user's name
        "/O=Grid/OU=Test/CN=Jane Doe",  # nothing appended
        "/O=Grid/OU=Test/CN=Jane Doe/CN=1/CN=2",  # two RDNs appended
        "/O=Grid/OU=Test/CN=Jane Doe/O=123",  # not a CN
        "/O=Grid/OU=Test/CN=Jane Doe/CN=1+CN=2",  # a multi-valued RDN
        "/O=Grid/CN=Jane Doe/CN=123",  # an RDN dropped
    ],
)
def test_proxy_subject_must_be_issuer_plus_one_cn(pki, subject):
    proxy = make_proxy(pki.user, pki.new_key(), subject=parse_dn(subject))
    with pytest.raises((ProxySubjectError, NotACAError)):
        check(pki, proxy)


def test_proxy_subject_error_names_the_rule(pki):
    proxy = make_proxy(pki.user, pki.new_key(), subject=parse_dn("/O=Grid/OU=Test/CN=John/CN=1"))
    with pytest.raises(ProxySubjectError, match="plus one CN"):
        check(pki, proxy)


def test_ca_true_proxy(pki):
    ca_proxy = make_proxy(
        pki.user,
        pki.new_key(),
        extensions=[pci(), (x509.BasicConstraints(ca=True, path_length=None), True)],
    )
    with pytest.raises(CAProxyError, match="claims to be a CA"):
        check(pki, ca_proxy)


def test_proxy_issued_by_a_ca(pki_ca):
    proxy = make_proxy(pki_ca.ca_credential, pki_ca.new_key())
    with pytest.raises(CAProxyError, match="issued directly by the CA"):
        validate([proxy.certificate], pki_ca.trust)


def test_proxy_path_length(pki):
    p0 = pki.proxy(path_length=0)
    assert check(pki, p0).proxy_policies[0].path_length == 0
    with pytest.raises(ProxyPathLengthError, match="path length"):
        check(pki, pki.proxy(p0))
    p1 = pki.proxy(path_length=1)
    assert check(pki, pki.proxy(p1))
    with pytest.raises(ProxyPathLengthError):
        check(pki, pki.proxy(pki.proxy(p1)))
    # a constraint further down may be looser but never widens the one above
    loose = pki.proxy(pki.proxy(p1, path_length=5))
    with pytest.raises(ProxyPathLengthError):
        check(pki, loose)


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"\x30\x00",  # no policy
        b"\x04\x00",  # not a SEQUENCE
        bytes.fromhex("300c300a06082b06010505071501") + b"\x00",  # trailing byte
        bytes.fromhex("300f0201ff300a06082b06010505071501"),  # negative path length
        bytes.fromhex("3010300a06082b06010505071501300a06082b06010505071501"),  # two policies
        bytes.fromhex("3012300e06082b060105050715010402abcd"),  # inheritAll with a policy
        bytes.fromhex("300d300b06082b0601050507150105"),  # junk after the language
        bytes.fromhex("3080300a06082b060105050715010000"),  # BER indefinite length
    ],
)
def test_malformed_proxy_cert_info(pki, value):
    ext = (x509.UnrecognizedExtension(PROXY_CERT_INFO, value), True)
    with pytest.raises(MalformedProxyError, match="malformed ProxyCertInfo"):
        check(pki, make_proxy(pki.user, pki.new_key(), extensions=[ext]))


def test_proxy_cert_info_must_be_critical(pki):
    with pytest.raises(MalformedProxyError, match="not critical"):
        check(pki, make_proxy(pki.user, pki.new_key(), extensions=[pci(critical=False)]))


def test_gt3_draft_proxies_are_refused_clearly(pki):
    draft = (
        x509.UnrecognizedExtension(
            DRAFT_PROXY_CERT_INFO, bytes.fromhex("300c300a06082b06010505071501")
        ),
        True,
    )
    with pytest.raises(MalformedProxyError, match="draft"):
        check(pki, make_proxy(pki.user, pki.new_key(), extensions=[draft]))


def test_proxy_issuer_needs_digital_signature(pki_ca):
    key = pki_ca.new_key()
    no_sign = build_cert(
        "/O=Grid/OU=Test/CN=Encrypt Only",
        pki_ca.ca_credential,
        key,
        extensions=[
            (x509.KeyUsage(False, False, True, False, False, False, False, False, False), True)
        ],
    )
    issuer = Credential(no_sign, key)
    with pytest.raises(KeyUsageError, match="digitalSignature"):
        check(pki_ca, make_proxy(issuer, pki_ca.new_key()))


def test_proxy_may_not_sign_certificates_or_have_alt_names(pki):
    ku = (x509.KeyUsage(True, False, False, False, False, True, False, False, False), True)
    with pytest.raises(KeyUsageError, match="keyCertSign"):
        check(pki, make_proxy(pki.user, pki.new_key(), extensions=[pci(), ku]))
    san = (x509.SubjectAlternativeName([x509.DNSName("evil.example.org")]), False)
    with pytest.raises(ProxyValidationError, match="subjectAltName"):
        check(pki, make_proxy(pki.user, pki.new_key(), extensions=[pci(), san]))


# -- CRLs -----------------------------------------------------------------------------------------


def test_revoked_certificate(pki):
    proxy = pki.proxy()
    trust = pki.trust
    assert validate(proxy.certificates, trust)  # before: fine (and the store has cached files)
    pki.ca.revoke(pki.user.certificate)
    with pytest.raises(CertificateRevokedError, match="revoked") as info:
        validate(proxy.certificates, trust)  # the same store sees the new CRL
    assert info.value.subject == JANE
    with pytest.raises(CertificateRevokedError):
        validate(pki.user.certificates, trust)
    other = pki.ca.issue_user("Other User", key=pki.new_key())
    assert validate(other.certificates, trust).identity == "/O=Grid/OU=Test/CN=Other User"
    assert validate(proxy.certificates, trust, options=ValidationOptions(check_crls=False))


def test_expired_and_future_crls(pki):
    pki.ca.update_crl(crl_days=1)
    with pytest.raises(CRLError, match="expired"):
        validate(pki.user.certificates, pki.trust, at=NOW + timedelta(days=2))
    pki.ca.update_crl(now=NOW + timedelta(hours=1))  # a CA whose clock runs ahead
    with pytest.raises(CRLError, match="not valid before"):
        validate(pki.user.certificates, pki.trust, at=NOW)


def test_crl_with_a_bad_signature(pki):
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.ca.certificate.subject)
        .last_update(NOW - timedelta(hours=1))
        .next_update(NOW + timedelta(days=1))
        .sign(pki.new_key(), hashes.SHA256())
    )
    (pki.ca.trusted_directory / f"{pki.ca_hash}.r0").write_bytes(
        crl.public_bytes(serialization.Encoding.PEM)
    )
    with pytest.raises(CRLError, match="does not verify"):
        check(pki, pki.user)


def test_malformed_crl_and_required_crls(pki):
    with pytest.raises(CRLError, match="no CRL"):
        check(pki, pki.user, require_crls=True)
    (pki.ca.trusted_directory / f"{pki.ca_hash}.r0").write_text(
        "-----BEGIN X509 CRL-----\ngarbage\n-----END X509 CRL-----\n"
    )
    with pytest.raises(CRLError, match="malformed"):
        check(pki, pki.user)


@pytest.fixture(autouse=True)
def _ca_hash(request):
    if "pki" in request.fixturenames or "pki_ca" in request.fixturenames:
        pki = request.getfixturevalue("pki")
        from gridware.security.names import subject_hash

        pki.ca_hash = subject_hash(pki.ca.certificate.subject)


def test_crl_extensions_and_crl_signing_rights(pki, pki_ca):
    from cryptography.x509.oid import ExtensionOID

    def crl_with(extension, *, entry_extension=None, signer=None):
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(pki.ca.certificate.subject)
            .last_update(NOW - timedelta(hours=1))
            .next_update(NOW + timedelta(days=1))
        )
        if extension is not None:
            builder = builder.add_extension(extension, critical=True)
        if entry_extension is not None:
            entry = (
                x509.RevokedCertificateBuilder()
                .serial_number(12345)
                .revocation_date(NOW - timedelta(hours=1))
                .add_extension(entry_extension, critical=True)
                .build()
            )
            builder = builder.add_revoked_certificate(entry)
        crl = builder.sign(signer or pki.ca.private_key, hashes.SHA256())
        path = pki.ca.trusted_directory / f"{pki.ca_hash}.r0"
        path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))

    delta = x509.DeltaCRLIndicator(1)
    crl_with(delta)
    with pytest.raises(CRLError, match="unsupported critical extension"):
        check(pki, pki.user)
    issuer = x509.CertificateIssuer([x509.DirectoryName(parse_dn("/O=Elsewhere/CN=CA"))])
    crl_with(None, entry_extension=issuer)
    with pytest.raises(CRLError, match="critical extension"):
        check(pki, pki.user)
    crl_with(None)
    assert check(pki, pki.user)
    assert delta.oid == ExtensionOID.DELTA_CRL_INDICATOR


def test_ca_that_may_not_sign_crls(pki):
    key = pki.new_key()
    name = parse_dn("/O=Grid/OU=Test/CN=No CRL CA")
    root = build_cert(
        name,
        (name, key),
        key,
        extensions=[
            (x509.BasicConstraints(ca=True, path_length=None), True),
            (x509.KeyUsage(False, False, False, False, False, True, False, False, False), True),
        ],
    )
    user = build_cert("/O=Grid/OU=Test/CN=U", Credential(root, key), pki.new_key())
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(name)
        .last_update(NOW - timedelta(hours=1))
        .next_update(NOW + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    assert validate([user], TrustStore(certificates=[root]))
    with pytest.raises(CRLError, match="cRLSign"):
        validate([user], TrustStore(certificates=[root], crls=[crl]))


def test_malformed_extensions(pki):
    from cryptography.x509.oid import ExtensionOID

    junk = (x509.UnrecognizedExtension(ExtensionOID.BASIC_CONSTRAINTS, b"\x30\x03\x01\x01"), True)
    with pytest.raises(MalformedCertificateError, match="malformed extensions"):
        check(pki, make_proxy(pki.user, pki.new_key(), extensions=[pci(), junk]))


# -- signing policies ---------------------------------------------------------------------------


def test_signing_policy_violation(pki_ca):
    outsider = build_cert("/O=Elsewhere/CN=Jane Doe", pki_ca.ca_credential, pki_ca.new_key())
    with pytest.raises(SigningPolicyViolationError, match="outside the signing policy"):
        validate([outsider], pki_ca.trust)
    policy = pki_ca.ca.trusted_directory / f"{pki_ca.ca_hash}.signing_policy"
    policy.unlink()
    assert validate([outsider], pki_ca.trust).identity == "/O=Elsewhere/CN=Jane Doe"
    with pytest.raises(SigningPolicyViolationError, match="no signing policy"):
        validate([outsider], pki_ca.trust, options=ValidationOptions(require_signing_policy=True))


def test_signing_policy_for_another_ca(pki):
    policy = pki.ca.trusted_directory / f"{pki.ca_hash}.signing_policy"
    policy.write_text(policy.read_text().replace("CN=Test CA", "CN=Some Other CA"))
    with pytest.raises(SigningPolicyViolationError, match="no policy for the CA"):
        check(pki, pki.user)


def test_malformed_signing_policy_fails_closed(pki):
    policy = pki.ca.trusted_directory / f"{pki.ca_hash}.signing_policy"
    policy.write_text("access_id_CA X509 '/O=Grid/OU=Test/CN=Test CA'\npos_rights globus\n")
    with pytest.raises(SigningPolicyError):
        check(pki, pki.user)


# -- trust stores -------------------------------------------------------------------------------


def test_missing_trust_directory(tmp_path):
    with pytest.raises(TrustStoreError, match="does not exist"):
        TrustStore(tmp_path / "nope")


def test_trust_store_from_environment(pki, monkeypatch):
    monkeypatch.setenv("X509_CERT_DIR", str(pki.ca.trusted_directory))
    assert validate(pki.user.certificates).identity == JANE
    monkeypatch.setenv("X509_CERT_DIR", "/nonexistent/certificates")
    with pytest.raises(TrustStoreError, match="X509_CERT_DIR"):
        validate(pki.user.certificates)


def test_junk_files_in_the_trust_directory_are_not_trusted(pki):
    junk = pki.ca.trusted_directory / f"{pki.ca_hash}.1"
    junk.write_text("not a certificate")
    assert check(pki, pki.user)
    os.unlink(pki.ca.trusted_directory / f"{pki.ca_hash}.0")
    os.rename(junk, pki.ca.trusted_directory / f"{pki.ca_hash}.0")
    with pytest.raises(UntrustedCAError):
        check(pki, pki.user)


def test_validator_is_reusable(pki):
    validator = Validator(pki.trust, ValidationOptions(allow_limited=False))
    assert validator.validate(pki.proxy().certificates).identity == JANE
    with pytest.raises(LimitedProxyError):
        validator.validate(pki.proxy(kind=ProxyKind.LIMITED).certificates)


def test_policy_language_constants():
    assert GLOBUS_LIMITED == "1.3.6.1.4.1.3536.1.1.1.9"
    assert INDEPENDENT == "1.3.6.1.5.5.7.21.2"
    assert NameOID.COMMON_NAME.dotted_string == "2.5.4.3"
    assert append_cn(parse_dn("/O=G"), "x") == parse_dn("/O=G/CN=x")
