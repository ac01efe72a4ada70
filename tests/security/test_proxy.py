"""Issuing RFC 3820 proxies, the ProxyCertInfo encoding, credentials and Globus files."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gridware.security import (
    Credential,
    CredentialError,
    InsecurePermissionsError,
    PassphraseError,
    ProxyError,
    ProxyKind,
    ProxyType,
    environment,
)
from gridware.security.names import dn_string
from gridware.security.proxy import (
    GLOBUS_LIMITED,
    INHERIT_ALL,
    PROXY_CERT_INFO,
    ProxyCertInfo,
    describe,
    issue_proxy,
)
from tests.security.conftest import NOW


def test_proxy_cert_info_encoding():
    # SEQUENCE { SEQUENCE { OID id-ppl-inheritAll } }, as Globus writes it
    assert ProxyCertInfo(INHERIT_ALL).to_der() == bytes.fromhex("300c300a06082b06010505071501")
    with_length = ProxyCertInfo(GLOBUS_LIMITED, None, 3)
    assert with_length.to_der().hex() == "3012020103300d060b2b060104019b5001010109"
    assert ProxyCertInfo.from_der(with_length.to_der()) == with_length
    restricted = ProxyCertInfo("1.2.3.4", b"policy text", 0)
    assert ProxyCertInfo.from_der(restricted.to_der()) == restricted
    assert restricted.proxy_type is ProxyType.RESTRICTED
    with pytest.raises(ValueError):
        ProxyCertInfo(INHERIT_ALL, path_length=-1)
    with pytest.raises(ValueError):
        ProxyCertInfo(INHERIT_ALL, policy=b"x")


def test_new_proxy_follows_globus_conventions(pki):
    proxy = pki.proxy(lifetime=timedelta(hours=2))
    cert = proxy.certificate
    cn = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[-1].value
    assert cn == str(cert.serial_number)
    assert dn_string(cert.subject) == f"/O=Grid/OU=Test/CN=Jane Doe/CN={cn}"
    assert cert.issuer == pki.user.certificate.subject
    ext = cert.extensions.get_extension_for_oid(PROXY_CERT_INFO)
    assert ext.critical
    assert ProxyCertInfo.from_der(ext.value.value) == ProxyCertInfo(INHERIT_ALL)
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(hours=2, minutes=4) < lifetime <= timedelta(hours=2, minutes=5)  # 5 min skew
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and not ku.value.key_cert_sign
    assert proxy.identity == "/O=Grid/OU=Test/CN=Jane Doe"
    assert proxy.is_proxy and not proxy.is_limited
    assert proxy.chain == (pki.user.certificate,)


def test_key_sizes(pki):
    proxy = pki.user.create_proxy()  # a fresh key
    assert proxy.bits == 2048
    with pytest.raises(ProxyError, match="too weak"):
        pki.user.create_proxy(bits=1024)
    assert pki.user.create_proxy(bits=3072).bits == 3072


def test_lifetime_is_clamped_to_the_issuer(pki):
    short_user = pki.ca.issue_user("Short Lived", days=1, key=pki.new_key())
    issued = issue_proxy(
        short_user.certificate,
        short_user.private_key,
        key=pki.new_key(),
        lifetime=timedelta(days=7),
    )
    assert issued.clamped
    assert issued.certificate.not_valid_after_utc == short_user.certificate.not_valid_after_utc
    proxy = pki.proxy(lifetime=timedelta(hours=1))
    child = pki.proxy(proxy, lifetime=timedelta(hours=5))
    assert child.certificate.not_valid_after_utc == proxy.certificate.not_valid_after_utc
    assert not issue_proxy(pki.user.certificate, pki.user.private_key, key=pki.new_key()).clamped


def test_refuses_to_sign_with_expired_or_unsuitable_issuers(pki):
    proxy = pki.proxy(lifetime=timedelta(hours=1))
    with pytest.raises(ProxyError, match="expired"):
        proxy.create_proxy(key=pki.new_key(), now=NOW + timedelta(hours=2))
    with pytest.raises(ProxyError, match="not valid before"):
        pki.proxy(now=NOW - timedelta(days=1))
    with pytest.raises(ProxyError, match="CA certificate cannot issue"):
        issue_proxy(pki.ca.certificate, pki.ca.private_key, key=pki.new_key())
    with pytest.raises(ProxyError, match="positive"):
        pki.proxy(lifetime=timedelta(0))
    with pytest.raises(ValueError, match="timezone"):
        pki.proxy(now=NOW.replace(tzinfo=None))


def test_kinds(pki):
    assert pki.proxy(kind=ProxyKind.LIMITED).proxy_type is ProxyType.LIMITED
    independent = pki.proxy(kind=ProxyKind.INDEPENDENT)
    assert independent.proxy_type is ProxyType.INDEPENDENT
    assert independent.identity == independent.subject
    limited = pki.proxy(kind=ProxyKind.LIMITED)
    assert pki.proxy(limited).is_limited
    assert describe(pki.user.certificate).type is ProxyType.END_ENTITY


# -- files ----------------------------------------------------------------------------------


def test_proxy_file_format(pki, tmp_path):
    proxy = pki.proxy(pki.proxy())
    path = proxy.save_proxy(tmp_path / "x509up")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    data = path.read_bytes()
    labels = [line for line in data.decode().splitlines() if line.startswith("-----BEGIN")]
    assert labels == [
        "-----BEGIN CERTIFICATE-----",
        "-----BEGIN PRIVATE KEY-----",  # unencrypted
        "-----BEGIN CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----",
    ]
    loaded = Credential.load(path)
    assert loaded.certificates == proxy.certificates
    assert loaded.identity == proxy.identity


def test_proxy_file_replaces_a_planted_symlink(pki, tmp_path):
    target = tmp_path / "victim"
    target.write_text("precious")
    link = tmp_path / "x509up"
    link.symlink_to(target)
    pki.proxy().save_proxy(link)
    assert target.read_text() == "precious"
    assert not link.is_symlink()


def test_private_files_must_be_private(pki, tmp_path):
    path = pki.proxy().save_proxy(tmp_path / "x509up")
    os.chmod(path, 0o644)
    with pytest.raises(InsecurePermissionsError, match="too permissive"):
        Credential.load(path)
    assert Credential.load(path, check_permissions=False)


def test_encrypted_user_key(pki, tmp_path):
    cert, key = tmp_path / "usercert.pem", tmp_path / "userkey.pem"
    pki.user.save(cert, key, b"sekrit")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o400
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    assert Credential.load(cert, key, b"sekrit").subject == pki.user.subject
    assert Credential.load(cert, key, lambda: "sekrit").subject == pki.user.subject
    with pytest.raises(PassphraseError, match="wrong pass phrase"):
        Credential.load(cert, key, b"wrong")
    with pytest.raises(PassphraseError, match="pass phrase is needed"):
        Credential.load(cert, key)


def test_key_must_match(pki, tmp_path):
    with pytest.raises(CredentialError, match="does not belong"):
        Credential(pki.user.certificate, pki.ca.private_key)
    (tmp_path / "empty.pem").write_text("nothing here")
    os.chmod(tmp_path / "empty.pem", 0o600)
    with pytest.raises(CredentialError, match="no certificate"):
        Credential.load(tmp_path / "empty.pem")
    with pytest.raises(CredentialError, match="does not exist"):
        Credential.load(tmp_path / "missing.pem", check_permissions=False)


# -- the Globus environment ------------------------------------------------------------------


def test_default_paths(monkeypatch, tmp_path):
    for name in ("X509_USER_PROXY", "X509_USER_CERT", "X509_USER_KEY", "X509_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert environment.proxy_path() == Path(f"/tmp/x509up_u{os.getuid()}")
    assert environment.user_cert_path() == tmp_path / ".globus" / "usercert.pem"
    assert environment.user_key_path() == tmp_path / ".globus" / "userkey.pem"
    assert environment.cert_dir_candidates()[:2] == [
        tmp_path / ".globus" / "certificates",
        Path("/etc/grid-security/certificates"),
    ]
    (tmp_path / ".globus" / "certificates").mkdir(parents=True)
    assert environment.cert_dir() == tmp_path / ".globus" / "certificates"
    env = {"GRIDMAP": "/x/map", "HOME": str(tmp_path)}
    assert environment.gridmap_path(env) == Path("/x/map")
    assert environment.gridmap_path({}) == Path("/etc/grid-security/grid-mapfile")


def test_environment_variables_are_honoured(pki, tmp_path, monkeypatch):
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    pki.user.save(cert, key, "pass phrase")
    monkeypatch.setenv("X509_USER_CERT", str(cert))
    monkeypatch.setenv("X509_USER_KEY", str(key))
    monkeypatch.setenv("X509_USER_PROXY", str(tmp_path / "proxy"))
    monkeypatch.setenv("X509_CERT_DIR", str(pki.ca.trusted_directory))
    user = Credential.load_user("pass phrase")
    assert user.identity == "/O=Grid/OU=Test/CN=Jane Doe"
    assert Credential.load_default("pass phrase").certificate == user.certificate
    written = user.create_proxy(key=pki.new_key()).save_proxy()
    assert written == tmp_path / "proxy"
    assert Credential.load_proxy().is_proxy
    assert Credential.load_default().is_proxy  # the proxy wins once it exists
    assert environment.cert_dir() == pki.ca.trusted_directory
    monkeypatch.setenv("X509_USER_PROXY", str(tmp_path / "none"))
    monkeypatch.setenv("X509_USER_CERT", str(tmp_path / "none.pem"))
    with pytest.raises(CredentialError, match="no credential"):
        Credential.load_default()


def test_certificate_pem_roundtrip(pki):
    pem = pki.user.certificate_pem()
    key = pki.user.key_pem()
    again = Credential.from_pem(pem, key)
    assert again.certificate == pki.user.certificate
    assert serialization.load_pem_private_key(key, None)
