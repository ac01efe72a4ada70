"""``gridware ca`` and ``gridware proxy``: a test CA and Globus-style proxy tools.

::

    gridware ca create --dir DIR [--subject "/O=Grid/OU=Test/CN=Test CA"] [--days N] [--bits N]
    gridware ca issue --dir DIR --host NAME --out DIR
    gridware ca issue --dir DIR --user "Jane Doe" --out DIR [-pwstdin | --no-passphrase]
    gridware ca revoke --dir DIR CERTFILE
    gridware ca crl --dir DIR [--days N]
    gridware proxy init [-out FILE] [-limited | -independent] [-valid H:M] [-bits N] [-pwstdin]
                        [-cert FILE] [-key FILE] [-certdir DIR] [-path-length N] [-verify] [-q]
    gridware proxy info [-file FILE] [-exists [-valid H:M] [-bits B]]
                        [-subject] [-issuer] [-identity] [-type] [-timeleft] [-strength] [-path]
    gridware proxy destroy [-file FILE]

Globus users type single-dash options (``-valid 12:00``); the ``--valid`` forms
work too.  User keys are encrypted by default: the pass phrase is asked on the
terminal, read from the first line of standard input with ``-pwstdin``, or
skipped with ``--no-passphrase`` (tests only).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn

EXIT_ERROR = 1

Command = Callable[[argparse.Namespace], int]


def _usage(message: str) -> NoReturn:
    from gridware.clients.cli import UsageError

    raise UsageError(message)


def _fail(message: str) -> NoReturn:
    print(f"gridware: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_ERROR)


def _guarded(func: Command) -> Command:
    """Security errors, unreadable files and bad values: one line, exit status 1."""

    @wraps(func)
    def run(args: argparse.Namespace) -> int:
        from gridware.security.errors import SecurityError

        try:
            return func(args)
        except (SecurityError, OSError, ValueError) as exc:
            if getattr(args, "debug", False):
                raise
            message = str(exc)
            if isinstance(exc, OSError) and exc.filename and exc.strerror:
                message = f"{exc.filename}: {exc.strerror}"
            _fail(message)

    return run


def _hours_minutes(text: str) -> timedelta:
    hours, sep, minutes = text.partition(":")
    try:
        value = timedelta(hours=int(hours), minutes=int(minutes) if sep else 0)
    except ValueError:
        _usage(f"-valid {text!r}: write hours:minutes, e.g. -valid 12:00")
    if value.total_seconds() < 0 or (sep and not 0 <= int(minutes) < 60):
        _usage(f"-valid {text!r}: write hours:minutes, e.g. -valid 12:00")
    return value


def _read_passphrase(args: argparse.Namespace, prompt: str, *, confirm: bool = False) -> bytes:
    if getattr(args, "pwstdin", False):
        line = sys.stdin.readline()
        secret = line.rstrip("\r\n")
        if not secret:
            _fail("-pwstdin: no pass phrase on standard input")
        return secret.encode()
    if not sys.stdin.isatty():
        _fail("a pass phrase is needed: give -pwstdin (and the pass phrase on standard input)")
    secret = getpass.getpass(prompt)
    if confirm and getpass.getpass("Verifying - " + prompt) != secret:
        _fail("the pass phrases do not match")
    return secret.encode()


def _ctime(when: datetime) -> str:
    return time.ctime(when.timestamp())


def _hms(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


# -- ca -------------------------------------------------------------------------------------


@_guarded
def cmd_ca_create(args: argparse.Namespace) -> int:
    from gridware.security.ca import CertificateAuthority
    from gridware.security.names import subject_hash

    ca = CertificateAuthority.create(args.dir, args.subject, days=args.days, bits=args.bits)
    print(f"CA created: {ca.subject}")
    print(f"valid until: {_ctime(ca.certificate.not_valid_after_utc)}")
    print(f"trusted certificates directory: {ca.trusted_directory}")
    print(f"  {subject_hash(ca.certificate.subject)}.0 and .signing_policy")
    print(f"use it with: export X509_CERT_DIR={ca.trusted_directory.resolve()}")
    return 0


@_guarded
def cmd_ca_issue(args: argparse.Namespace) -> int:
    from gridware.security.ca import CertificateAuthority

    if bool(args.host) == bool(args.user):
        _usage("give either --host NAME or --user NAME")
    out = Path(args.out)
    prefix = "host" if args.host else "user"
    cert_path, key_path = out / f"{prefix}cert.pem", out / f"{prefix}key.pem"
    if not args.force:
        for path in (cert_path, key_path):
            if path.exists():
                _fail(f"{path} exists; use --force to replace it")
    ca = CertificateAuthority.load(args.dir)
    passphrase: bytes | None = None
    if args.user:
        if args.pwstdin and args.no_passphrase:
            _usage("-pwstdin and --no-passphrase exclude each other")
        if not args.no_passphrase:
            passphrase = _read_passphrase(args, "Enter PEM pass phrase: ", confirm=True)
            if len(passphrase) < 4:
                _fail("the pass phrase must have at least 4 characters")
        credential = ca.issue_user(args.user, days=args.days, bits=args.bits)
    else:
        if args.pwstdin:
            _usage("host keys are never encrypted (servers cannot type a pass phrase)")
        credential = ca.issue_host(args.host, days=args.days, bits=args.bits)
    out.mkdir(parents=True, exist_ok=True)
    credential.save(cert_path, key_path, passphrase, key_mode=0o600 if args.host else 0o400)
    print(f"subject: {credential.subject}")
    print(f"certificate: {cert_path}")
    state = "encrypted" if passphrase else "unencrypted"
    print(f"private key: {key_path} ({state})")
    return 0


@_guarded
def cmd_ca_revoke(args: argparse.Namespace) -> int:
    from gridware.security.ca import CertificateAuthority
    from gridware.security.credential import load_certificates
    from gridware.security.names import dn_string

    ca = CertificateAuthority.load(args.dir)
    certificate = load_certificates(Path(args.certfile).read_bytes(), args.certfile)[0]
    if ca.is_revoked(certificate):
        print(f"already revoked: {dn_string(certificate.subject)}")
        return 0
    ca.revoke(certificate, crl_days=args.crl_days)
    print(f"revoked: {dn_string(certificate.subject)} (serial {certificate.serial_number:X})")
    print(f"CRL updated: {ca.directory / 'crl.pem'} and {ca.trusted_directory}")
    return 0


@_guarded
def cmd_ca_crl(args: argparse.Namespace) -> int:
    from gridware.security.ca import CertificateAuthority

    ca = CertificateAuthority.load(args.dir)
    crl = ca.update_crl(crl_days=args.days)
    assert crl.next_update_utc is not None
    print(f"CRL signed, {len(crl)} revoked, next update {_ctime(crl.next_update_utc)}")
    return 0


# -- proxy ------------------------------------------------------------------------------------


@_guarded
def cmd_proxy_init(args: argparse.Namespace) -> int:
    from gridware.security import environment, files
    from gridware.security.credential import Credential, load_certificates
    from gridware.security.names import dn_string
    from gridware.security.proxy import ProxyKind, identity_certificate
    from gridware.security.trust import TrustStore
    from gridware.security.validation import validate

    if args.limited and args.independent:
        _usage("-limited and -independent exclude each other")
    lifetime = _hours_minutes(args.valid) if args.valid else timedelta(hours=args.hours or 12)
    if lifetime <= timedelta(0):
        _usage("the proxy lifetime must be positive")
    cert_path = Path(args.cert) if args.cert else environment.user_cert_path()
    key_path = Path(args.key) if args.key else environment.user_key_path()
    if not args.quiet:  # before the pass phrase prompt, as grid-proxy-init does
        chain = load_certificates(files.read_file(cert_path, "certificate"), str(cert_path))
        print(f"Your identity: {dn_string(identity_certificate(chain).subject)}", flush=True)
    user = Credential.load(
        cert_path,
        key_path,
        lambda: _read_passphrase(args, "Enter GRID pass phrase for this identity: "),
    )
    if args.verify:
        certdir = Path(args.certdir) if args.certdir else environment.cert_dir()
        validate(user.certificates, TrustStore(certdir))
    kind = ProxyKind.IMPERSONATION
    if args.limited:
        kind = ProxyKind.LIMITED
    elif args.independent:
        kind = ProxyKind.INDEPENDENT
    now = datetime.now(UTC)
    proxy = user.create_proxy(
        kind=kind, lifetime=lifetime, bits=args.bits, path_length=args.path_length, now=now
    )
    proxy.save_proxy(args.out)
    if proxy.not_after < (now + lifetime).replace(microsecond=0):
        print(
            f"Warning: your certificate expires at {_ctime(user.not_after)}, before the "
            "requested proxy lifetime ends; the proxy expires with it.",
            file=sys.stderr,
        )
    if not args.quiet:
        print(f"Your proxy is valid until: {_ctime(proxy.not_after)}")
    return 0


_INFO_FIELDS = ("subject", "issuer", "identity", "type", "strength", "path", "timeleft")


def cmd_proxy_info(args: argparse.Namespace) -> int:
    if args.exists:
        return _proxy_exists(args)
    return _proxy_info(args)


def _load_proxy(args: argparse.Namespace) -> tuple[Any, Path]:
    from gridware.security import environment
    from gridware.security.credential import Credential
    from gridware.security.errors import CredentialError

    path = Path(args.file) if args.file else environment.proxy_path()
    if not path.exists():
        raise CredentialError(f"no proxy at {path} (create one with 'gridware proxy init')")
    return Credential.load(path), path


def _proxy_exists(args: argparse.Namespace) -> int:
    """Silent: 0 if a proxy exists with at least -valid time left and -bits bits, else 1."""
    try:
        need = _hours_minutes(args.valid) if args.valid else timedelta(hours=args.hours or 0)
        proxy, _ = _load_proxy(args)
        if proxy.bits < (args.bits_required or 0):
            return 1
        left = proxy.time_left()
        return 0 if left > timedelta(0) and left >= need else 1
    except SystemExit:
        raise
    except Exception:
        return 1


@_guarded
def _proxy_info(args: argparse.Namespace) -> int:
    if args.valid or args.hours or args.bits_required:
        _usage("-valid, -hours and -bits go with -exists")
    proxy, path = _load_proxy(args)
    left = proxy.time_left()
    values = {
        "subject": proxy.subject,
        "issuer": proxy.issuer,
        "identity": proxy.identity,
        "type": proxy.proxy_type.describe(),
        "strength": f"{proxy.bits}",
        "path": str(path),
        "timeleft": str(int(left.total_seconds())),
    }
    if args.text:
        from cryptography.hazmat.primitives import serialization

        print(proxy.certificate.public_bytes(serialization.Encoding.PEM).decode(), end="")
    fields = args.fields or []
    if (not fields and not args.text) or args.all:
        values["strength"] += " bits"
        values["timeleft"] = _hms(left)  # 0:00:00 once expired, as grid-proxy-info prints
        for name in _INFO_FIELDS:
            print(f"{name:<9}: {values[name]}")
        if proxy.is_limited and proxy.proxy_type.is_proxy and not proxy.proxy_type.is_limited:
            print("limited  : yes (signed by a limited proxy)")
        return 0
    for name in fields:
        print(values[name])
    return 0


@_guarded
def cmd_proxy_destroy(args: argparse.Namespace) -> int:
    from gridware.security import environment

    path = Path(args.file) if args.file else environment.proxy_path()
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        _fail(f"no proxy at {path}")
    if args.dryrun:
        print(f"would remove {path}")
        return 0
    try:  # overwrite the key material before unlinking, as Globus does
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
        try:
            os.write(fd, b"\0" * size)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
    path.unlink()
    return 0


# -- parser -----------------------------------------------------------------------------------


def _flag(p: argparse.ArgumentParser, name: str, **kwargs: Any) -> None:
    """An option spelled both ``-name`` (Globus) and ``--name``."""
    p.add_argument(f"-{name}", f"--{name}", **kwargs)


def add_commands(subparsers: Any) -> None:
    """Add ``ca`` and ``proxy`` to the ``gridware`` command line."""
    ca = subparsers.add_parser(
        "ca",
        help="a simple certificate authority for test grids",
        description="Create a CA with a Globus trusted-certificates directory, issue host "
        "and user certificates, revoke them.",
    )
    casub = ca.add_subparsers(dest="ca_command", metavar="ACTION")
    casub.required = True

    p = casub.add_parser(
        "create",
        allow_abbrev=False,
        help="create a CA",
        description="Create a self-signed CA in DIR: cacert.pem, private/cakey.pem (unencrypted, "
        "0600) and certificates/ (<hash>.0 and <hash>.signing_policy) to use as X509_CERT_DIR.",
    )
    _flag(p, "dir", required=True, metavar="DIR", help="the CA directory (created)")
    _flag(
        p,
        "subject",
        default="/O=Grid/OU=Test/CN=Test CA",
        metavar="DN",
        help='the CA name (default "/O=Grid/OU=Test/CN=Test CA")',
    )
    _flag(p, "days", type=int, default=5 * 365, metavar="N", help="lifetime (default 1825)")
    _flag(p, "bits", type=int, default=4096, metavar="N", help="RSA key size (default 4096)")
    p.set_defaults(func=cmd_ca_create)

    p = casub.add_parser(
        "issue",
        allow_abbrev=False,
        help="issue a host or user certificate",
        description="Issue a host certificate (hostcert.pem, hostkey.pem: unencrypted, 0600) or "
        "a user certificate (usercert.pem, userkey.pem: 0400, encrypted by default with a pass "
        "phrase asked on the terminal, or read from standard input with -pwstdin).",
    )
    _flag(p, "dir", required=True, metavar="DIR", help="the CA directory")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("-host", "--host", metavar="NAME", help="host name or IP address (CN=NAME)")
    who.add_argument("-user", "--user", metavar="NAME", help='user name, e.g. "Jane Doe"')
    _flag(p, "out", required=True, metavar="DIR", help="where to write the files")
    _flag(p, "pwstdin", action="store_true", help="read the key pass phrase from stdin")
    p.add_argument(
        "-no-passphrase",
        "--no-passphrase",
        "-nopw",
        dest="no_passphrase",
        action="store_true",
        help="leave the user key unencrypted (tests only)",
    )
    _flag(p, "days", type=int, default=365, metavar="N", help="lifetime (default 365)")
    _flag(p, "bits", type=int, default=2048, metavar="N", help="RSA key size (default 2048)")
    _flag(p, "force", action="store_true", help="replace existing files")
    p.set_defaults(func=cmd_ca_issue)

    p = casub.add_parser(
        "revoke",
        allow_abbrev=False,
        help="revoke a certificate",
        description="Add a certificate to the CA's CRL and publish the CRL as <hash>.r0.",
    )
    _flag(p, "dir", required=True, metavar="DIR", help="the CA directory")
    p.add_argument("certfile", metavar="CERTFILE", help="the certificate to revoke (PEM)")
    p.add_argument(
        "-crl-days",
        "--crl-days",
        dest="crl_days",
        type=int,
        default=30,
        metavar="N",
        help="the CRL's validity (default 30 days; re-sign it with 'gridware ca crl')",
    )
    p.set_defaults(func=cmd_ca_revoke)

    p = casub.add_parser(
        "crl",
        allow_abbrev=False,
        help="sign a fresh CRL",
        description="Sign a new CRL with the same entries (CRLs expire; validation then fails).",
    )
    _flag(p, "dir", required=True, metavar="DIR", help="the CA directory")
    _flag(p, "days", type=int, default=30, metavar="N", help="validity (default 30)")
    p.set_defaults(func=cmd_ca_crl)

    proxy = subparsers.add_parser(
        "proxy",
        help="create, inspect and destroy proxy certificates",
        description="RFC 3820 proxy certificates, like grid-proxy-init/-info/-destroy.",
    )
    psub = proxy.add_subparsers(dest="proxy_command", metavar="ACTION")
    psub.required = True

    p = psub.add_parser(
        "init",
        allow_abbrev=False,
        help="create a proxy (like grid-proxy-init)",
        description="Create an RFC 3820 proxy from the user certificate (X509_USER_CERT/"
        "X509_USER_KEY or ~/.globus) in X509_USER_PROXY or /tmp/x509up_u<uid> (mode 0600). "
        "The lifetime is cut to the certificate's own end.",
    )
    _flag(p, "out", metavar="FILE", help="where to write the proxy")
    _flag(p, "limited", action="store_true", help="a limited proxy")
    _flag(p, "independent", action="store_true", help="an independent proxy")
    _flag(p, "valid", metavar="H:M", help="lifetime in hours:minutes (default 12:00)")
    _flag(p, "hours", type=int, metavar="H", help="lifetime in hours (deprecated: -valid)")
    _flag(p, "bits", type=int, default=2048, metavar="N", help="key size (default 2048)")
    p.add_argument(
        "-path-length",
        "--path-length",
        dest="path_length",
        type=int,
        metavar="N",
        help="allow at most N proxies below this one",
    )
    _flag(p, "pwstdin", action="store_true", help="read the pass phrase from stdin")
    _flag(p, "cert", metavar="FILE", help="the user certificate")
    _flag(p, "key", metavar="FILE", help="the user key")
    _flag(p, "certdir", metavar="DIR", help="trusted certificates directory (for -verify)")
    _flag(p, "verify", action="store_true", help="validate the user certificate first")
    p.add_argument(
        "-q", "-quiet", "--quiet", dest="quiet", action="store_true", help="print nothing"
    )
    p.set_defaults(func=cmd_proxy_init)

    p = psub.add_parser(
        "info",
        allow_abbrev=False,
        help="describe a proxy (like grid-proxy-info)",
        description="Print the proxy's subject, issuer, identity, type, strength, path and "
        "time left; with options, only those values, in the order given.  -exists prints "
        "nothing and exits 0 if a proxy with at least -valid H:M left exists, else 1.",
    )
    p.add_argument("-f", "-file", "--file", dest="file", metavar="FILE", help="the proxy file")
    p.add_argument("-e", "-exists", "--exists", dest="exists", action="store_true")
    p.add_argument("-v", "-valid", "--valid", dest="valid", metavar="H:M")
    _flag(p, "hours", type=int, metavar="H", help="with -exists: hours left (deprecated)")
    p.add_argument(
        "-b", "-bits", "--bits", dest="bits_required", type=int, metavar="B",
        help="with -exists: at least B bits",
    )  # fmt: skip
    for name, short, help_text in (
        ("subject", "-s", "the proxy's DN"),
        ("issuer", "-i", "the DN of its issuer"),
        ("identity", None, "the identity it represents"),
        ("type", None, "the proxy type"),
        ("timeleft", None, "seconds until it expires"),
        ("strength", None, "key size in bits"),
        ("path", None, "the proxy file"),
    ):
        spellings = [s for s in (short, f"-{name}", f"--{name}") if s]
        p.add_argument(*spellings, dest="fields", action="append_const", const=name, help=help_text)
    _flag(p, "all", action="store_true", help="everything, human readable (the default)")
    _flag(p, "text", action="store_true", help="the proxy certificate (PEM)")
    p.set_defaults(func=cmd_proxy_info)

    p = psub.add_parser(
        "destroy",
        allow_abbrev=False,
        help="remove a proxy (like grid-proxy-destroy)",
        description="Overwrite and remove the proxy file (X509_USER_PROXY or /tmp/x509up_u<uid>).",
    )
    p.add_argument("-f", "-file", "--file", dest="file", metavar="FILE", help="the proxy file")
    _flag(p, "dryrun", action="store_true", help="only say what would be removed")
    p.set_defaults(func=cmd_proxy_destroy)
