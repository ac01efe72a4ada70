"""Credentials: a certificate chain and its private key, in the files Globus uses.

>>> user = Credential.load_user(passphrase=b"secret")      # ~/.globus/usercert.pem + userkey.pem
>>> proxy = user.create_proxy(lifetime=timedelta(hours=12))
>>> proxy.save_proxy()                                    # /tmp/x509up_u<uid>, mode 0600
>>> Credential.load_proxy().identity
'/O=Grid/OU=Test/CN=Jane Doe'

A proxy file holds, in PEM: the proxy certificate, its unencrypted private key,
then the chain that issued it (the user certificate, and the proxies between).
Loading never validates the chain; :func:`gridware.security.validate` does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

from gridware.security import environment, files
from gridware.security.errors import CredentialError, PassphraseError
from gridware.security.names import dn_string
from gridware.security.proxy import (
    DEFAULT_KEY_BITS,
    DEFAULT_LIFETIME,
    ProxyKind,
    ProxyType,
    describe,
    identity_certificate,
    issue_proxy,
    key_bits,
)

PrivateKey = CertificateIssuerPrivateKeyTypes
Passphrase = bytes | str | Callable[[], bytes | str] | None

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)
_KEY_LABELS = {b"PRIVATE KEY", b"RSA PRIVATE KEY", b"EC PRIVATE KEY", b"ENCRYPTED PRIVATE KEY"}


def _passphrase_bytes(passphrase: Passphrase) -> bytes | None:
    value = passphrase() if callable(passphrase) else passphrase
    if value is None:
        return None
    return value.encode() if isinstance(value, str) else value


def load_private_key(pem: bytes, passphrase: Passphrase = None, source: str = "key") -> PrivateKey:
    """Load a PEM private key, asking for the pass phrase only if the key is encrypted."""
    encrypted = b"ENCRYPTED" in pem.split(b"-----END", 1)[0]
    password = _passphrase_bytes(passphrase) if encrypted else None
    if encrypted and not password:
        raise PassphraseError(f"{source} is encrypted: a pass phrase is needed")
    try:
        key = serialization.load_pem_private_key(pem, password)
    except (ValueError, TypeError) as exc:
        if encrypted:
            raise PassphraseError(f"wrong pass phrase for {source}") from None
        raise CredentialError(f"cannot load the private key in {source}: {exc}") from None
    if not isinstance(
        key,
        rsa.RSAPrivateKey
        | ec.EllipticCurvePrivateKey
        | dsa.DSAPrivateKey
        | ed25519.Ed25519PrivateKey
        | ed448.Ed448PrivateKey,
    ):
        raise CredentialError(f"the key in {source} cannot sign certificates")
    return key


def _same_key(certificate: x509.Certificate, key: PrivateKey) -> bool:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return certificate.public_key().public_bytes(der, spki) == key.public_key().public_bytes(
        der, spki
    )


def _pem_blocks(data: bytes) -> list[tuple[bytes, bytes]]:
    return [(m.group(1), m.group(0)) for m in _PEM_BLOCK.finditer(data)]


def load_certificates(data: bytes, source: str = "certificate file") -> list[x509.Certificate]:
    """Every certificate in a PEM file, in file order."""
    certificates = []
    for label, block in _pem_blocks(data):
        if label in (b"CERTIFICATE", b"X509 CERTIFICATE"):
            try:
                certificates.append(x509.load_pem_x509_certificate(block))
            except ValueError as exc:
                raise CredentialError(f"bad certificate in {source}: {exc}") from None
    if not certificates:
        raise CredentialError(f"no certificate in {source}")
    return certificates


@dataclass(frozen=True)
class Credential:
    """A certificate (with the chain that issued it, leaf first) and the matching private key."""

    certificate: x509.Certificate
    private_key: PrivateKey
    chain: tuple[x509.Certificate, ...] = ()

    def __post_init__(self) -> None:
        if not _same_key(self.certificate, self.private_key):
            raise CredentialError("the private key does not belong to the certificate")

    # -- what it is ----------------------------------------------------------------------

    @property
    def certificates(self) -> tuple[x509.Certificate, ...]:
        """The certificate followed by its chain."""
        return (self.certificate, *self.chain)

    @property
    def subject(self) -> str:
        return dn_string(self.certificate.subject)

    @property
    def issuer(self) -> str:
        return dn_string(self.certificate.issuer)

    @property
    def identity(self) -> str:
        """The grid identity: the end-entity DN (or an independent proxy's own DN)."""
        return dn_string(identity_certificate(self.certificates).subject)

    @property
    def proxy_type(self) -> ProxyType:
        return describe(self.certificate).type

    @property
    def is_proxy(self) -> bool:
        return self.proxy_type.is_proxy

    @property
    def is_limited(self) -> bool:
        """True if this proxy or one above it (up to an independent proxy) is limited."""
        for certificate in self.certificates:
            kind = describe(certificate).type
            if kind.is_limited:
                return True
            if kind in (ProxyType.INDEPENDENT, ProxyType.END_ENTITY):
                return False
        return False

    @property
    def not_after(self) -> datetime:
        """When the credential stops working: the earliest end in its chain."""
        return min(c.not_valid_after_utc for c in self.certificates)

    @property
    def bits(self) -> int:
        return key_bits(self.certificate)

    def time_left(self, now: datetime | None = None) -> timedelta:
        """Time until :attr:`not_after` (zero once expired)."""
        now = now or datetime.now(UTC)
        return max(self.not_after - now, timedelta(0))

    # -- proxies --------------------------------------------------------------------------

    def create_proxy(
        self,
        *,
        kind: ProxyKind = ProxyKind.IMPERSONATION,
        lifetime: timedelta = DEFAULT_LIFETIME,
        bits: int = DEFAULT_KEY_BITS,
        path_length: int | None = None,
        key: PrivateKey | None = None,
        now: datetime | None = None,
    ) -> Credential:
        """A new RFC 3820 proxy signed by this credential.

        The lifetime is clamped to this credential's own end (see :attr:`not_after`).
        Signing with a limited proxy always yields a limited proxy, since a proxy
        signed by a limited one is limited anyway.
        """
        if self.is_limited and kind is ProxyKind.IMPERSONATION:
            kind = ProxyKind.LIMITED
        issued = issue_proxy(
            self.certificate,
            self.private_key,
            self.chain,
            kind=kind,
            lifetime=lifetime,
            path_length=path_length,
            key=key,
            bits=bits,
            now=now,
        )
        return Credential(issued.certificate, issued.private_key, self.certificates)

    # -- PEM ------------------------------------------------------------------------------

    @classmethod
    def from_pem(
        cls,
        certificates: bytes,
        key: bytes | None = None,
        passphrase: Passphrase = None,
        source: str = "credential",
    ) -> Credential:
        """From PEM: a certificate file (leaf first) and a key file, or one proxy file with both."""
        chain = load_certificates(certificates, source)
        key_pem = key
        if key_pem is None:
            keys = [block for label, block in _pem_blocks(certificates) if label in _KEY_LABELS]
            if len(keys) != 1:
                raise CredentialError(f"{source} must hold exactly one private key")
            key_pem = keys[0]
        private_key = load_private_key(key_pem, passphrase, source)
        return cls(chain[0], private_key, tuple(chain[1:]))

    def to_proxy_pem(self) -> bytes:
        """The Globus proxy file format: certificate, unencrypted key, then the chain."""
        pem = serialization.Encoding.PEM
        return b"".join(
            [
                self.certificate.public_bytes(pem),
                self.private_key.private_bytes(
                    pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                ),
                *(c.public_bytes(pem) for c in self.chain),
            ]
        )

    def certificate_pem(self) -> bytes:
        pem = serialization.Encoding.PEM
        return b"".join(c.public_bytes(pem) for c in self.certificates)

    def key_pem(self, passphrase: bytes | str | None = None) -> bytes:
        """The key as PKCS#8 PEM; encrypted (best available scheme) if a pass phrase is given."""
        encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
        if passphrase:
            secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
            encryption = serialization.BestAvailableEncryption(secret)
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    # -- files ----------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        cert_path: str | Path,
        key_path: str | Path | None = None,
        passphrase: Passphrase = None,
        *,
        check_permissions: bool = True,
    ) -> Credential:
        """Load a certificate file and a key file, or (no ``key_path``) one proxy file.

        Key and proxy files must be ours and private (mode 0600 or stricter), as
        Globus requires, unless ``check_permissions`` is false.
        """
        cert_path = Path(cert_path)
        private_path = Path(key_path) if key_path is not None else cert_path
        what = "private key" if key_path is not None else "proxy file"
        if check_permissions:
            files.check_private(private_path, what)
        cert_pem = files.read_file(cert_path, "certificate")
        key_pem = files.read_file(private_path, what) if key_path is not None else None
        return cls.from_pem(cert_pem, key_pem, passphrase, str(private_path))

    @classmethod
    def load_proxy(
        cls, path: str | Path | None = None, environ: Mapping[str, str] | None = None
    ) -> Credential:
        """The user's proxy: ``path``, else ``$X509_USER_PROXY``, else ``/tmp/x509up_u<uid>``."""
        return cls.load(Path(path) if path else environment.proxy_path(environ))

    @classmethod
    def load_user(
        cls,
        passphrase: Passphrase = None,
        cert_path: str | Path | None = None,
        key_path: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Credential:
        """The user's own credential: ``$X509_USER_CERT``/``$X509_USER_KEY`` or ``~/.globus``."""
        return cls.load(
            Path(cert_path) if cert_path else environment.user_cert_path(environ),
            Path(key_path) if key_path else environment.user_key_path(environ),
            passphrase,
        )

    @classmethod
    def load_default(
        cls, passphrase: Passphrase = None, environ: Mapping[str, str] | None = None
    ) -> Credential:
        """What Globus clients use: the proxy if there is one, else the user certificate and key."""
        proxy = environment.proxy_path(environ)
        if proxy.exists():
            return cls.load(proxy)
        cert = environment.user_cert_path(environ)
        if cert.exists():
            return cls.load_user(passphrase, environ=environ)
        raise CredentialError(
            f"no credential: neither a proxy at {proxy} nor a certificate at {cert}"
        )

    def save_proxy(
        self, path: str | Path | None = None, environ: Mapping[str, str] | None = None
    ) -> Path:
        """Write the proxy file (mode 0600, atomically); default ``$X509_USER_PROXY`` or /tmp."""
        target = Path(path) if path else environment.proxy_path(environ)
        files.write_file(target, self.to_proxy_pem(), 0o600)
        return target

    def save(
        self,
        cert_path: str | Path,
        key_path: str | Path,
        passphrase: bytes | str | None = None,
        *,
        key_mode: int = 0o400,
    ) -> None:
        """Write the certificate (0644) and the key (``key_mode``; encrypted if a pass phrase)."""
        files.write_file(Path(key_path), self.key_pem(passphrase), key_mode)
        files.write_file(Path(cert_path), self.certificate_pem(), 0o644)
