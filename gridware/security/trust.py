"""The trusted certificates directory, in the Globus/OpenSSL layout.

==========================  ====================================================
``<hash>.0``, ``.1``, ...   a trusted CA certificate (PEM), ``<hash>`` its subject hash
``<hash>.signing_policy``   the subjects that CA may sign (optional; EACL format)
``<hash>.r0``, ``.r1``, ... a CRL issued by that CA (optional)
==========================  ====================================================

Files are read when first needed and read again when they change, so a running
service sees a new CRL without a restart.  A store can also be built in memory
from certificates, CRLs and policies (tests, embedded uses).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gridware.security import environment
from gridware.security.errors import CRLError, SigningPolicyError, TrustStoreError
from gridware.security.names import names_match, subject_hash
from gridware.security.signing_policy import SigningPolicy

MAX_FILES_PER_HASH = 32


@dataclass
class _Cached:
    stamp: tuple[int, int, int]
    value: Any


class TrustStore:
    """Trusted CA certificates, their CRLs and signing policies."""

    def __init__(
        self,
        directory: str | Path | None = None,
        *,
        certificates: Iterable[x509.Certificate] = (),
        crls: Iterable[x509.CertificateRevocationList] = (),
        signing_policies: Mapping[str, SigningPolicy] | None = None,
    ) -> None:
        """``directory`` is read lazily; the other arguments add in-memory entries.

        ``signing_policies`` maps a CA subject hash to its policy.
        """
        self.directory = Path(directory) if directory is not None else None
        if self.directory is not None:
            if not self.directory.is_dir():
                raise TrustStoreError(
                    f"trusted certificates directory {self.directory} does not exist"
                )
            if not os.access(self.directory, os.R_OK | os.X_OK):
                raise TrustStoreError(
                    f"trusted certificates directory {self.directory} is not readable"
                )
        self._extra_certs: dict[str, list[x509.Certificate]] = {}
        for certificate in certificates:
            self._extra_certs.setdefault(subject_hash(certificate.subject), []).append(certificate)
        self._extra_crls: dict[str, list[x509.CertificateRevocationList]] = {}
        for crl in crls:
            self._extra_crls.setdefault(subject_hash(crl.issuer), []).append(crl)
        self._extra_policies = dict(signing_policies or {})
        self._cache: dict[Path, _Cached] = {}

    def generation(self) -> int | None:
        """A number that changes when a file is added to, removed from or renamed in
        the directory, as when a CRL is published (None if it cannot be read)."""
        if self.directory is None:
            return 0
        try:
            return os.stat(self.directory).st_mtime_ns
        except OSError:
            return None

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None) -> TrustStore:
        """The directory Globus would use (``$X509_CERT_DIR`` or the defaults)."""
        return cls(environment.cert_dir(environ))

    # -- reading files -------------------------------------------------------------------

    def _read(self, path: Path, parse: Any) -> Any:
        """Parse a file, cached while its inode, size and mtime stay the same; None if absent."""
        try:
            st = path.stat()
        except FileNotFoundError:
            self._cache.pop(path, None)
            return None
        except OSError as exc:
            raise TrustStoreError(f"cannot read {path}: {exc.strerror}") from None
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        cached = self._cache.get(path)
        if cached is not None and cached.stamp == stamp:
            return cached.value
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TrustStoreError(f"cannot read {path}: {exc.strerror}") from None
        value = parse(data, path)
        self._cache[path] = _Cached(stamp, value)
        return value

    def _numbered(self, hash_: str, suffix: str, parse: Any) -> list[Any]:
        if self.directory is None:
            return []
        found = []
        for n in range(MAX_FILES_PER_HASH):
            value = self._read(self.directory / f"{hash_}.{suffix}{n}", parse)
            if value is None:
                break
            found.append(value)
        return found

    # -- lookups -------------------------------------------------------------------------

    def ca_certificates(self, name: x509.Name) -> list[x509.Certificate]:
        """Trusted certificates whose subject is ``name``."""
        hash_ = subject_hash(name)
        candidates = [*self._extra_certs.get(hash_, []), *self._numbered(hash_, "", _parse_cert)]
        return [c for c in candidates if c is not _BAD and names_match(c.subject, name)]

    def is_trusted(self, certificate: x509.Certificate) -> bool:
        """Is this exact certificate in the store?"""
        return any(c == certificate for c in self.ca_certificates(certificate.subject))

    def crls(self, issuer: x509.Name) -> list[x509.CertificateRevocationList]:
        """CRLs issued under ``issuer`` (their signatures are checked by the validator)."""
        hash_ = subject_hash(issuer)
        candidates = [*self._extra_crls.get(hash_, []), *self._numbered(hash_, "r", _parse_crl)]
        return [c for c in candidates if names_match(c.issuer, issuer)]

    def signing_policy(self, ca_subject: x509.Name) -> SigningPolicy | None:
        """The signing policy of a CA, or None if it has none.  Malformed files raise."""
        hash_ = subject_hash(ca_subject)
        if hash_ in self._extra_policies:
            return self._extra_policies[hash_]
        if self.directory is None:
            return None
        policy: SigningPolicy | None = self._read(
            self.directory / f"{hash_}.signing_policy", _parse_policy
        )
        return policy

    def describe(self) -> str:
        return str(self.directory) if self.directory else "in-memory trust store"


class _BadFile:
    """Marks an unparsable certificate file: skipped, never trusted."""


_BAD: Any = _BadFile()


def _parse_cert(data: bytes, path: Path) -> Any:
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        try:
            return x509.load_der_x509_certificate(data)
        except ValueError:
            return _BAD


def _parse_crl(data: bytes, path: Path) -> x509.CertificateRevocationList:
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise CRLError(f"malformed CRL {path}: {exc}") from None


def _parse_policy(data: bytes, path: Path) -> SigningPolicy:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SigningPolicyError(f"{path}: not a text file") from None
    return SigningPolicy.parse(text, str(path))


def write_trusted(
    directory: str | Path,
    ca_certificate: x509.Certificate,
    signing_policy: str | None = None,
    crl: x509.CertificateRevocationList | None = None,
) -> str:
    """Install a CA into a trusted directory (``<hash>.0`` etc.); returns the hash.

    An existing ``<hash>.N`` holding the same certificate is reused; a different CA
    with the same hash gets the next free number.
    """
    from gridware.security.files import write_file

    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    hash_ = subject_hash(ca_certificate.subject)
    pem = ca_certificate.public_bytes(serialization.Encoding.PEM)
    for n in range(MAX_FILES_PER_HASH):
        path = target / f"{hash_}.{n}"
        if not path.exists() or _parse_cert(path.read_bytes(), path) == ca_certificate:
            write_file(path, pem, 0o644)
            break
    else:
        raise TrustStoreError(f"too many CAs with the hash {hash_} in {target}")
    if signing_policy is not None:
        write_file(target / f"{hash_}.signing_policy", signing_policy.encode(), 0o644)
    if crl is not None:
        write_file(target / f"{hash_}.r0", crl.public_bytes(serialization.Encoding.PEM), 0o644)
    return hash_
