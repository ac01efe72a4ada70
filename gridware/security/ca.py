"""A small certificate authority for test grids and small sites.

>>> ca = CertificateAuthority.create("/tmp/ca", "/O=Grid/OU=Test/CN=Test CA")
>>> host = ca.issue_host("localhost")          # CN=localhost, SAN DNS:localhost, IP:127.0.0.1, ::1
>>> user = ca.issue_user("Jane Doe")           # /O=Grid/OU=Test/CN=Jane Doe
>>> ca.revoke(user.certificate)                # re-signs the CRL in certificates/<hash>.r0

The CA directory::

    cacert.pem                  the CA certificate
    private/cakey.pem           its key (mode 0600 in a 0700 directory, unencrypted)
    newcerts/<SERIAL>.pem       every certificate issued
    crl.pem                     the current CRL (after the first revocation)
    certificates/               a trusted directory to use as X509_CERT_DIR:
        <hash>.0                    the CA certificate
        <hash>.signing_policy       it may sign <CA base DN>/*
        <hash>.r0                   the CRL
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from gridware.security import files
from gridware.security.credential import Credential, PrivateKey, load_private_key
from gridware.security.errors import (
    CertificateAuthorityError,
    CredentialError,
    SigningPolicyError,
)
from gridware.security.names import append_cn, base_name, dn_string, names_match, parse_dn
from gridware.security.proxy import MIN_KEY_BITS, generate_key, signature_hash
from gridware.security.signing_policy import policy_text
from gridware.security.trust import write_trusted

DEFAULT_SUBJECT = "/O=Grid/OU=Test/CN=Test CA"
DEFAULT_CA_DAYS = 5 * 365
DEFAULT_CA_BITS = 4096
DEFAULT_CERT_DAYS = 365
DEFAULT_CRL_DAYS = 30
BACKDATE = timedelta(minutes=5)

_HOSTNAME = re.compile(
    r"(?=.{1,253}\Z)(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?\Z"
)


@dataclass
class CertificateAuthority:
    """A CA certificate and key kept in a directory (see the module docstring)."""

    directory: Path
    certificate: x509.Certificate
    private_key: PrivateKey

    # -- creating and loading -------------------------------------------------------------

    @classmethod
    def create(
        cls,
        directory: str | Path,
        subject: str = DEFAULT_SUBJECT,
        *,
        days: int = DEFAULT_CA_DAYS,
        bits: int = DEFAULT_CA_BITS,
        key: PrivateKey | None = None,
        now: datetime | None = None,
    ) -> CertificateAuthority:
        """Make a self-signed CA (CA:TRUE critical, keyCertSign+cRLSign) in an empty directory."""
        target = Path(directory)
        if (target / "cacert.pem").exists():
            raise CertificateAuthorityError(f"{target} already holds a CA (cacert.pem)")
        if days <= 0:
            raise CertificateAuthorityError("the CA lifetime must be positive")
        name = parse_dn(subject)
        ca_dn = dn_string(name)
        try:
            policy = policy_text(ca_dn, [dn_string(base_name(name)) + "/*"])
        except SigningPolicyError as exc:
            raise CertificateAuthorityError(f"unusable CA subject: {exc}") from None
        if key is None:
            key = _new_key(bits)
        current = now or datetime.now(UTC)
        public = key.public_key()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(current - BACKDATE)
            .not_valid_after(current + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, signature_hash(key))
        )
        target.mkdir(parents=True, exist_ok=True)
        (target / "private").mkdir(mode=0o700, exist_ok=True)
        (target / "newcerts").mkdir(exist_ok=True)
        files.write_file(
            target / "private" / "cakey.pem",
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            0o600,
        )
        files.write_file(
            target / "cacert.pem", certificate.public_bytes(serialization.Encoding.PEM), 0o644
        )
        write_trusted(target / "certificates", certificate, policy)
        return cls(target, certificate, key)

    @classmethod
    def load(cls, directory: str | Path) -> CertificateAuthority:
        target = Path(directory)
        if not (target / "cacert.pem").is_file():
            raise CertificateAuthorityError(f"{target} is not a CA directory (no cacert.pem)")
        try:
            certificate = x509.load_pem_x509_certificate((target / "cacert.pem").read_bytes())
        except (OSError, ValueError) as exc:
            raise CertificateAuthorityError(f"cannot read {target / 'cacert.pem'}: {exc}") from None
        key_path = target / "private" / "cakey.pem"
        try:
            files.check_private(key_path, "CA key")
            key = load_private_key(files.read_file(key_path, "CA key"), None, str(key_path))
            return cls(target, certificate, key)
        except CredentialError as exc:
            raise CertificateAuthorityError(str(exc)) from None

    # -- names -------------------------------------------------------------------------

    @property
    def subject(self) -> str:
        return dn_string(self.certificate.subject)

    @property
    def trusted_directory(self) -> Path:
        """``<dir>/certificates``: use it as X509_CERT_DIR."""
        return self.directory / "certificates"

    def name_for(self, common_name: str) -> x509.Name:
        """The CA's base DN plus ``CN=common_name``."""
        if not common_name or common_name != common_name.strip():
            raise CertificateAuthorityError(f"{common_name!r} is not a usable common name")
        if any(ord(c) < 0x20 or c in "/\"'" for c in common_name):
            raise CertificateAuthorityError(
                f"{common_name!r}: no '/', quotes or control characters"
            )
        return append_cn(base_name(self.certificate.subject), common_name)

    # -- issuing ----------------------------------------------------------------------

    def issue_host(
        self,
        host: str,
        *,
        days: int = DEFAULT_CERT_DAYS,
        key: PrivateKey | None = None,
        bits: int = 2048,
        now: datetime | None = None,
    ) -> Credential:
        """A host certificate: CN=host, SAN DNS (and IP for an address or localhost).

        Like every certificate this CA issues, it ends no later than the CA itself.
        """
        names: list[x509.GeneralName] = []
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            if not _HOSTNAME.match(host):
                raise CertificateAuthorityError(
                    f"{host!r} is not a host name or an IP address"
                ) from None
            names.append(x509.DNSName(host.rstrip(".").lower()))
            if host.lower() == "localhost":
                names += [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
        else:
            names.append(x509.IPAddress(address))
        extensions: list[tuple[x509.ExtensionType, bool]] = [
            (x509.SubjectAlternativeName(names), False),
            (
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                False,
            ),
        ]
        return self._issue(self.name_for(host), extensions, days, key, bits, now, data=False)

    def issue_user(
        self,
        common_name: str,
        *,
        days: int = DEFAULT_CERT_DAYS,
        key: PrivateKey | None = None,
        bits: int = 2048,
        now: datetime | None = None,
    ) -> Credential:
        """A user certificate: the CA's base DN plus ``CN=common_name``."""
        extensions: list[tuple[x509.ExtensionType, bool]] = [
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False),
        ]
        return self._issue(self.name_for(common_name), extensions, days, key, bits, now, data=True)

    def _issue(
        self,
        subject: x509.Name,
        extensions: list[tuple[x509.ExtensionType, bool]],
        days: int,
        key: PrivateKey | None,
        bits: int,
        now: datetime | None,
        *,
        data: bool,
    ) -> Credential:
        if days <= 0:
            raise CertificateAuthorityError("the certificate lifetime must be positive")
        current = now or datetime.now(UTC)
        if self.certificate.not_valid_after_utc <= current:
            raise CertificateAuthorityError(f"the CA {self.subject} has expired")
        key = key or _new_key(bits)
        public = key.public_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(current - BACKDATE)
            .not_valid_after(
                min(current + timedelta(days=days), self.certificate.not_valid_after_utc)
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(data=data), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.certificate.public_key()  # type: ignore[arg-type]
                ),
                critical=False,
            )
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        certificate = builder.sign(self.private_key, signature_hash(self.private_key))
        files.write_file(
            self.directory / "newcerts" / f"{certificate.serial_number:X}.pem",
            certificate.public_bytes(serialization.Encoding.PEM),
            0o644,
        )
        return Credential(certificate, key)

    # -- revocation -------------------------------------------------------------------

    @property
    def crl(self) -> x509.CertificateRevocationList | None:
        path = self.directory / "crl.pem"
        if not path.exists():
            return None
        try:
            return x509.load_pem_x509_crl(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise CertificateAuthorityError(f"cannot read {path}: {exc}") from None

    def revoke(
        self,
        certificate: x509.Certificate,
        *,
        reason: x509.ReasonFlags | None = None,
        crl_days: int = DEFAULT_CRL_DAYS,
        now: datetime | None = None,
    ) -> x509.CertificateRevocationList:
        """Add ``certificate`` to the CRL and publish it (``crl.pem`` and ``<hash>.r0``)."""
        if not names_match(certificate.issuer, self.certificate.subject):
            raise CertificateAuthorityError(
                f"{dn_string(certificate.subject)} was issued by {dn_string(certificate.issuer)}, "
                f"not by this CA ({self.subject})"
            )
        try:
            certificate.verify_directly_issued_by(self.certificate)
        except Exception:
            raise CertificateAuthorityError(
                f"{dn_string(certificate.subject)} was not signed by this CA's key"
            ) from None
        current = now or datetime.now(UTC)
        entry = x509.RevokedCertificateBuilder().serial_number(certificate.serial_number)
        entry = entry.revocation_date(current)
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        return self.update_crl(add=[entry.build()], crl_days=crl_days, now=current)

    def is_revoked(self, certificate: x509.Certificate) -> bool:
        crl = self.crl
        return crl is not None and (
            crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None
        )

    def update_crl(
        self,
        *,
        add: list[x509.RevokedCertificate] | None = None,
        crl_days: int = DEFAULT_CRL_DAYS,
        now: datetime | None = None,
    ) -> x509.CertificateRevocationList:
        """Sign a new CRL (the old entries plus ``add``), valid for ``crl_days``, and publish it."""
        if crl_days <= 0:
            raise CertificateAuthorityError("the CRL lifetime must be positive")
        current = now or datetime.now(UTC)
        previous = self.crl
        number = 1
        entries: dict[int, x509.RevokedCertificate] = {}
        if previous is not None:
            with contextlib.suppress(x509.ExtensionNotFound):
                number = (
                    previous.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number + 1
                )
            entries = {r.serial_number: r for r in previous}
        for revoked in add or []:
            entries.setdefault(revoked.serial_number, revoked)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(current - BACKDATE)
            .next_update(current + timedelta(days=crl_days))
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.certificate.public_key()  # type: ignore[arg-type]
                ),
                critical=False,
            )
        )
        for revoked in sorted(entries.values(), key=lambda r: r.serial_number):
            builder = builder.add_revoked_certificate(revoked)
        crl = builder.sign(self.private_key, signature_hash(self.private_key))
        files.write_file(
            self.directory / "crl.pem", crl.public_bytes(serialization.Encoding.PEM), 0o644
        )
        write_trusted(self.trusted_directory, self.certificate, crl=crl)
        return crl

    def install(self, directory: str | Path) -> str:
        """Copy the CA certificate, signing policy and CRL into another trusted directory."""
        name = self.certificate.subject
        policy = policy_text(dn_string(name), [dn_string(base_name(name)) + "/*"])
        return write_trusted(directory, self.certificate, policy, self.crl)


def _new_key(bits: int) -> rsa.RSAPrivateKey:
    if bits < MIN_KEY_BITS:
        raise CertificateAuthorityError(
            f"{bits}-bit keys are too weak; use at least {MIN_KEY_BITS}"
        )
    return generate_key(bits)


def _key_usage(*, cert_sign: bool = False, data: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=not cert_sign,
        data_encipherment=data,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
