"""Fixtures for the security tests: keys, a CA, users and a certificate builder.

Certificates are made fresh in tmp dirs; RSA keys come from a small session pool
(generating a 2048-bit key costs ~70 ms) so that hundreds of certificates stay fast.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from gridware.security import CertificateAuthority, Credential, TrustStore
from gridware.security.names import append_cn, parse_dn

NOW = datetime.now(UTC).replace(microsecond=0)


def globus_tool(name: str) -> str:
    """The path of a Globus/OpenSSL command; missing: skip, or FAIL when CI=true."""
    path = shutil.which(name)
    if path is None:
        message = (
            f"{name} is not installed (Debian packages globus-proxy-utils, "
            "globus-gsi-cert-utils-progs, globus-simple-ca, openssl; ./tools/test installs them)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def run(
    *cmd: str,
    input: str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.update(env or {})
    result = subprocess.run(
        list(cmd), input=input, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{cmd} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def key_pool() -> list[rsa.RSAPrivateKey]:
    return [rsa.generate_private_key(65537, 2048) for _ in range(10)]


@pytest.fixture
def new_key(key_pool) -> Callable[[], rsa.RSAPrivateKey]:
    counter = itertools.cycle(key_pool)
    return lambda: next(counter)


@dataclass
class PKI:
    """A CA in tmp, its trust store and a user credential."""

    ca: CertificateAuthority
    user: Credential
    new_key: Callable[[], rsa.RSAPrivateKey]

    @property
    def trust(self) -> TrustStore:
        return TrustStore(self.ca.trusted_directory)

    def proxy(self, issuer: Credential | None = None, **kwargs) -> Credential:
        kwargs.setdefault("key", self.new_key())
        return (issuer or self.user).create_proxy(**kwargs)


@pytest.fixture(scope="session")
def session_ca(tmp_path_factory, key_pool) -> CertificateAuthority:
    return CertificateAuthority.create(tmp_path_factory.mktemp("ca") / "ca", key=key_pool[0])


@pytest.fixture
def pki(tmp_path, new_key) -> PKI:
    # issued as of NOW (fixed when the tests are collected, minutes before a late test
    # runs), so that tests checking times relative to NOW see a CA already valid then
    ca = CertificateAuthority.create(tmp_path / "ca", key=new_key(), now=NOW)
    user = ca.issue_user("Jane Doe", key=new_key(), now=NOW)
    return PKI(ca, user, new_key)


def build_cert(
    subject: str | x509.Name,
    issuer: Credential | tuple[x509.Name, rsa.RSAPrivateKey],
    key: rsa.RSAPrivateKey,
    *,
    extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    serial: int | None = None,
    algorithm: hashes.HashAlgorithm | None = None,
) -> x509.Certificate:
    """A certificate exactly as described (for negative tests)."""
    name = subject if isinstance(subject, x509.Name) else parse_dn(subject)
    if isinstance(issuer, Credential):
        issuer_name, issuer_key = issuer.certificate.subject, issuer.private_key
    else:
        issuer_name, issuer_key = issuer
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before or NOW - timedelta(hours=1))
        .not_valid_after(not_after or NOW + timedelta(hours=12))
    )
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(issuer_key, algorithm or hashes.SHA256())  # type: ignore[arg-type]


def proxy_name(issuer: Credential, cn: str = "12345") -> x509.Name:
    return append_cn(issuer.certificate.subject, cn)


CN = NameOID.COMMON_NAME


@pytest.fixture
def globus_env(tmp_path) -> Iterator[dict[str, str]]:
    """An environment for Globus tools that never touches ~/.globus or /etc/grid-security."""
    home = tmp_path / "home"
    home.mkdir()
    yield {"HOME": str(home), "X509_USER_PROXY": str(tmp_path / "x509up_test")}
