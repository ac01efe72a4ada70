"""The test CA: layout, certificate profiles, revocation."""

from __future__ import annotations

import os
import stat
from ipaddress import ip_address

import pytest
from cryptography import x509

from gridware.security import CertificateAuthority, CertificateAuthorityError, subject_hash
from gridware.security.signing_policy import SigningPolicy


def test_layout_and_ca_profile(pki):
    ca = pki.ca
    hash_ = subject_hash(ca.certificate.subject)
    assert sorted(p.name for p in ca.trusted_directory.iterdir()) == [
        f"{hash_}.0",
        f"{hash_}.signing_policy",
    ]
    assert (ca.trusted_directory / f"{hash_}.0").read_bytes() == (
        ca.directory / "cacert.pem"
    ).read_bytes()
    assert stat.S_IMODE(os.stat(ca.directory / "private" / "cakey.pem").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ca.directory / "private").st_mode) == 0o700
    cert = ca.certificate
    assert cert.subject == cert.issuer
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
    assert not ku.value.digital_signature
    policy = SigningPolicy.parse((ca.trusted_directory / f"{hash_}.signing_policy").read_text())
    assert policy.allows("/O=Grid/OU=Test/CN=Test CA", "/O=Grid/OU=Test/CN=anyone")
    assert not policy.allows("/O=Grid/OU=Test/CN=Test CA", "/O=Grid/OU=Other/CN=anyone")
    again = CertificateAuthority.load(ca.directory)
    assert again.certificate == cert


def test_refuses_to_overwrite_or_load_garbage(pki, tmp_path):
    with pytest.raises(CertificateAuthorityError, match="already holds a CA"):
        CertificateAuthority.create(pki.ca.directory, key=pki.new_key())
    with pytest.raises(CertificateAuthorityError, match="not a CA directory"):
        CertificateAuthority.load(tmp_path / "nothing")
    with pytest.raises(CertificateAuthorityError, match="too weak"):
        CertificateAuthority.create(tmp_path / "weak", bits=1024)
    with pytest.raises(CertificateAuthorityError, match="signing policy"):
        CertificateAuthority.create(tmp_path / "q", "/O=Grid/CN=It's", key=pki.new_key())


def test_host_certificates(pki):
    host = pki.ca.issue_host("localhost", key=pki.new_key())
    assert host.subject == "/O=Grid/OU=Test/CN=localhost"
    san = host.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [ip_address("127.0.0.1"), ip_address("::1")]
    eku = host.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.SERVER_AUTH in eku
    bc = host.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and not bc.value.ca
    by_ip = pki.ca.issue_host("192.0.2.7", key=pki.new_key())
    san = by_ip.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ip_address("192.0.2.7")]
    assert san.get_values_for_type(x509.DNSName) == []
    named = pki.ca.issue_host("grid.example.org", key=pki.new_key())
    san = named.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["grid.example.org"]
    for bad in ("bad host", "-x", "a/b", ""):
        with pytest.raises(CertificateAuthorityError):
            pki.ca.issue_host(bad, key=pki.new_key())


def test_user_certificates(pki):
    assert pki.user.subject == "/O=Grid/OU=Test/CN=Jane Doe"
    assert pki.user.issuer == "/O=Grid/OU=Test/CN=Test CA"
    ku = pki.user.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.key_encipherment and not ku.key_cert_sign
    assert pki.user.bits == 2048
    serial = f"{pki.user.certificate.serial_number:X}"
    assert (pki.ca.directory / "newcerts" / f"{serial}.pem").exists()
    for bad in ("", " padded", "a/b", 'quote"'):
        with pytest.raises(CertificateAuthorityError):
            pki.ca.issue_user(bad, key=pki.new_key())


def test_revocation_updates_the_crl(pki, tmp_path):
    ca = pki.ca
    assert ca.crl is None and not ca.is_revoked(pki.user.certificate)
    first = ca.revoke(pki.user.certificate, reason=x509.ReasonFlags.key_compromise)
    other = ca.issue_user("Other", key=pki.new_key())
    second = ca.revoke(other.certificate)
    assert ca.is_revoked(pki.user.certificate) and ca.is_revoked(other.certificate)
    assert len(second) == 2
    number = lambda crl: crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number  # noqa: E731
    assert number(second) == number(first) + 1
    hash_ = subject_hash(ca.certificate.subject)
    published = x509.load_pem_x509_crl((ca.trusted_directory / f"{hash_}.r0").read_bytes())
    assert published == second
    assert published.is_signature_valid(ca.certificate.public_key())
    stranger = CertificateAuthority.create(tmp_path / "x", "/O=X/CN=X CA", key=pki.new_key())
    with pytest.raises(CertificateAuthorityError, match="not by this CA"):
        ca.revoke(stranger.issue_user("Y", key=pki.new_key()).certificate)


def test_certificates_never_outlive_the_ca(pki, tmp_path):
    short = CertificateAuthority.create(
        tmp_path / "short", "/O=S/CN=S CA", days=10, key=pki.new_key()
    )
    user = short.issue_user("U", days=365, key=pki.new_key())
    assert user.certificate.not_valid_after_utc == short.certificate.not_valid_after_utc


def test_install_into_another_directory(pki, tmp_path):
    pki.ca.revoke(pki.user.certificate)
    hash_ = pki.ca.install(tmp_path / "certs")
    names = sorted(p.name for p in (tmp_path / "certs").iterdir())
    assert names == [f"{hash_}.0", f"{hash_}.r0", f"{hash_}.signing_policy"]
    assert pki.ca.install(tmp_path / "certs") == hash_  # idempotent: the same .0 reused
    assert not (tmp_path / "certs" / f"{hash_}.1").exists()
