"""Interop with the Globus tools (Debian: globus-proxy-utils, globus-gsi-cert-utils-progs,
globus-simple-ca) and the openssl command line.  Missing tools skip the tests, except
under CI=true, where they fail (./tools/test installs them as root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from gridware.security import (
    CertificateAuthority,
    CertificateRevokedError,
    Credential,
    ProxyKind,
    ProxyPathLengthError,
    ProxyType,
    TrustStore,
    subject_hash,
    validate,
)
from gridware.security.signing_policy import SigningPolicy
from tests.security.conftest import globus_tool, run

pytestmark = pytest.mark.interop

PASS = "interop pass phrase"


def gridware(*args: str, input: str = "", env: dict[str, str] | None = None) -> str:
    full_env = dict(os.environ)
    full_env.update(env or {})
    result = subprocess.run(
        [sys.executable, "-m", "gridware", *args],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> Path:
    """CA, user (encrypted key) and host made by ``gridware ca``."""
    root = tmp_path_factory.mktemp("interop")
    gridware(
        "ca",
        "create",
        "--dir",
        str(root / "ca"),
        "--subject",
        "/O=Grid/OU=Interop/CN=Interop CA",
        "--bits",
        "2048",
    )
    gridware(
        "ca",
        "issue",
        "--dir",
        str(root / "ca"),
        "--user",
        "Jane Doe",
        "--out",
        str(root / "user"),
        "-pwstdin",
        input=PASS + "\n",
    )
    gridware(
        "ca", "issue", "--dir", str(root / "ca"), "--host", "localhost", "--out", str(root / "host")
    )
    return root


def _globus_env(tmp_path: Path, certdir: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {
        "HOME": str(home),
        "X509_CERT_DIR": str(certdir),
        "X509_USER_PROXY": str(tmp_path / "unused"),
    }


def _grid_proxy_init(
    tmp_path,
    cert: Path,
    key: Path,
    certdir: Path,
    out: Path,
    *options: str,
    passphrase: str | None = PASS,
) -> None:
    tool = globus_tool("grid-proxy-init")
    args = [
        tool,
        "-cert",
        str(cert),
        "-key",
        str(key),
        "-certdir",
        str(certdir),
        "-out",
        str(out),
        *options,
    ]
    if passphrase is not None:
        args.insert(1, "-pwstdin")
    run(*args, input=(passphrase or "") + "\n", env=_globus_env(tmp_path, certdir))


def _grid_proxy_info(tmp_path, proxy: Path, certdir: Path, *options: str) -> str:
    tool = globus_tool("grid-proxy-info")
    return run(
        tool, "-file", str(proxy), *options, env=_globus_env(tmp_path, certdir)
    ).stdout.strip()


# -- (a) grid-proxy-init proxies are accepted by gridware ------------------------------------------


@pytest.mark.parametrize(
    ("options", "kind", "limited"),
    [
        ((), ProxyType.IMPERSONATION, False),
        (("-rfc", "-verify"), ProxyType.IMPERSONATION, False),
        (("-limited",), ProxyType.LIMITED, True),
        (("-independent",), ProxyType.INDEPENDENT, False),
        (("-old",), ProxyType.LEGACY, False),
        (("-old", "-limited"), ProxyType.LEGACY_LIMITED, True),
        # grid-proxy-init writes no constraint for -path-length 0 (0 means unlimited there)
        (("-path-length", "1"), ProxyType.IMPERSONATION, False),
    ],
)
def test_grid_proxy_init_proxy_is_accepted(grid, tmp_path, options, kind, limited):
    certdir = grid / "ca" / "certificates"
    proxy = tmp_path / "x509up"
    _grid_proxy_init(
        tmp_path,
        grid / "user" / "usercert.pem",
        grid / "user" / "userkey.pem",
        certdir,
        proxy,
        *options,
    )
    credential = Credential.load(proxy)
    result = validate(credential.certificates, TrustStore(certdir))
    assert result.proxy_type is kind
    assert result.limited is limited
    expected = "/O=Grid/OU=Interop/CN=Jane Doe"
    if kind is ProxyType.INDEPENDENT:
        expected = credential.subject
    assert result.identity == expected
    assert credential.identity == expected
    if options == ("-path-length", "1"):
        assert result.proxy_policies[0].path_length == 1
        child = credential.create_proxy()
        assert validate(child.certificates, TrustStore(certdir)).identity == expected
        with pytest.raises(ProxyPathLengthError):
            validate(child.create_proxy().certificates, TrustStore(certdir))


def test_gridware_builds_on_a_grid_proxy_init_proxy(grid, tmp_path):
    certdir = grid / "ca" / "certificates"
    proxy = tmp_path / "x509up"
    _grid_proxy_init(
        tmp_path, grid / "user" / "usercert.pem", grid / "user" / "userkey.pem", certdir, proxy
    )
    delegated = Credential.load(proxy).create_proxy().create_proxy()
    result = validate(delegated.certificates, TrustStore(certdir))
    assert result.identity == "/O=Grid/OU=Interop/CN=Jane Doe"
    assert len(result.chain) == 5


def test_revoked_user_is_refused_by_both(grid, tmp_path):
    ca = CertificateAuthority.load(grid / "ca")
    leaver = ca.issue_user("Leaver")
    leaver.save(tmp_path / "cert.pem", tmp_path / "key.pem", key_mode=0o600)
    proxy = tmp_path / "x509up"
    _grid_proxy_init(
        tmp_path,
        tmp_path / "cert.pem",
        tmp_path / "key.pem",
        ca.trusted_directory,
        proxy,
        passphrase=None,
    )
    gridware("ca", "revoke", "--dir", str(grid / "ca"), str(tmp_path / "cert.pem"))
    with pytest.raises(CertificateRevokedError):
        validate(Credential.load(proxy).certificates, TrustStore(ca.trusted_directory))
    openssl = globus_tool("openssl")
    rejected = run(
        openssl,
        "verify",
        "-allow_proxy_certs",
        "-crl_check_all",
        "-CApath",
        str(ca.trusted_directory),
        "-untrusted",
        str(proxy),
        str(proxy),
        check=False,
    )
    assert rejected.returncode != 0 and "revoked" in (rejected.stdout + rejected.stderr)


# -- (b) grid-proxy-info reads gridware proxies --------------------------------------------------


@pytest.mark.parametrize(
    ("options", "type_text", "independent"),
    [
        ((), "RFC 3820 compliant impersonation proxy", False),
        (("-limited",), "RFC 3820 compliant limited proxy", False),
        (("-independent",), "RFC 3820 compliant independent proxy", True),
    ],
)
def test_grid_proxy_info_reads_gridware_proxies(grid, tmp_path, options, type_text, independent):
    certdir = grid / "ca" / "certificates"
    proxy = tmp_path / "x509up"
    gridware(
        "proxy",
        "init",
        "-pwstdin",
        "-valid",
        "3:00",
        "-out",
        str(proxy),
        *options,
        input=PASS + "\n",
        env={
            "X509_USER_CERT": str(grid / "user" / "usercert.pem"),
            "X509_USER_KEY": str(grid / "user" / "userkey.pem"),
        },
    )
    ours = Credential.load(proxy)
    assert _grid_proxy_info(tmp_path, proxy, certdir, "-type") == type_text
    identity = _grid_proxy_info(tmp_path, proxy, certdir, "-identity")
    assert identity == (ours.subject if independent else "/O=Grid/OU=Interop/CN=Jane Doe")
    assert identity == ours.identity
    assert _grid_proxy_info(tmp_path, proxy, certdir, "-subject") == ours.subject
    assert _grid_proxy_info(tmp_path, proxy, certdir, "-issuer") == "/O=Grid/OU=Interop/CN=Jane Doe"
    assert _grid_proxy_info(tmp_path, proxy, certdir, "-strength") == "2048"
    timeleft = int(_grid_proxy_info(tmp_path, proxy, certdir, "-timeleft"))
    assert 3 * 3600 - 120 < timeleft <= 3 * 3600
    tool = globus_tool("grid-proxy-info")
    env = _globus_env(tmp_path, certdir)
    assert (
        run(tool, "-file", str(proxy), "-exists", "-valid", "2:00", env=env, check=False).returncode
        == 0
    )
    assert (
        run(tool, "-file", str(proxy), "-exists", "-valid", "4:00", env=env, check=False).returncode
        == 1
    )


def test_grid_proxy_info_reads_a_deep_gridware_chain(grid, tmp_path):
    user = Credential.load(grid / "user" / "usercert.pem", grid / "user" / "userkey.pem", PASS)
    deep = user.create_proxy().create_proxy(kind=ProxyKind.LIMITED).create_proxy()
    path = deep.save_proxy(tmp_path / "deep")
    certdir = grid / "ca" / "certificates"
    assert _grid_proxy_info(tmp_path, path, certdir, "-type") == "RFC 3820 compliant limited proxy"
    assert (
        _grid_proxy_info(tmp_path, path, certdir, "-identity") == "/O=Grid/OU=Interop/CN=Jane Doe"
    )


def test_globus_accepts_our_signing_policy_and_host_cert(grid, tmp_path):
    # grid-proxy-init -verify checks the chain against <hash>.0 and <hash>.signing_policy
    certdir = grid / "ca" / "certificates"
    proxy = tmp_path / "hostproxy"
    _grid_proxy_init(
        tmp_path,
        grid / "host" / "hostcert.pem",
        grid / "host" / "hostkey.pem",
        certdir,
        proxy,
        "-verify",
        passphrase=None,
    )
    assert (
        _grid_proxy_info(tmp_path, proxy, certdir, "-identity") == "/O=Grid/OU=Interop/CN=localhost"
    )
    # a policy that excludes the user makes Globus refuse too
    strict = tmp_path / "strict"
    shutil.copytree(certdir, strict)
    policy = next(strict.glob("*.signing_policy"))
    policy.write_text(policy.read_text().replace('"/O=Grid/OU=Interop/*"', '"/O=Grid/OU=Nobody/*"'))
    tool = globus_tool("grid-proxy-init")
    refused = run(
        tool,
        "-verify",
        "-cert",
        str(grid / "host" / "hostcert.pem"),
        "-key",
        str(grid / "host" / "hostkey.pem"),
        "-certdir",
        str(strict),
        "-out",
        str(tmp_path / "no"),
        env=_globus_env(tmp_path, strict),
        check=False,
    )
    assert refused.returncode != 0


# -- (c) a CA made by grid-ca-create (globus-simple-ca) ----------------------------------------------


@pytest.fixture(scope="module")
def simple_ca() -> Iterator[dict[str, Path]]:
    """A Globus Simple CA and a user certificate signed by it, made non-interactively.

    grid-ca-create installs the new CA into /etc/grid-security/certificates whenever it
    can write there (the path is fixed in the script), so as root it runs as ``nobody``,
    which cannot; it then prints a notice and goes on.  grid-cert-request and
    grid-ca-sign read the CA's configuration from a trusted directory we build.
    """
    create = globus_tool("grid-ca-create")
    request = globus_tool("grid-cert-request")
    sign = globus_tool("grid-ca-sign")
    openssl = globus_tool("openssl")
    # /tmp, not $TMPDIR: the work directory must be reachable for nobody
    work = Path(
        tempfile.mkdtemp(prefix="gridware-simpleca-", dir="/tmp" if os.geteuid() == 0 else None)
    )
    os.chmod(work, 0o755)
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to run grid-ca-create as nobody"
        shutil.chown(work, "nobody")
        prefix = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    env = {"HOME": str(work)}
    try:
        run(
            *prefix,
            create,
            "-noint",
            "-nobuild",
            "-dir",
            str(work / "ca"),
            "-subject",
            "cn=Interop Simple CA, ou=GlobusTest, o=Grid",
            "-pass",
            "simpleca-pass",
            "-days",
            "30",
            "-bits",
            "2048",
            env=env,
            cwd=work,
        )
        ca_cert = work / "ca" / "cacert.pem"
        hash_ = run(openssl, "x509", "-hash", "-noout", "-in", str(ca_cert)).stdout.strip()
        certs = work / "certificates"
        certs.mkdir()
        shutil.copy(ca_cert, certs / f"{hash_}.0")
        shutil.copy(work / "ca" / "signing-policy", certs / f"{hash_}.signing_policy")
        for name in ("globus-user-ssl.conf", "globus-host-ssl.conf", "grid-security.conf"):
            shutil.copy(work / "ca" / name, certs / f"{name}.{hash_}")
        (work / "user").mkdir()
        if prefix:
            for path in (certs, work / "user"):
                shutil.chown(path, "nobody")
        run(
            *prefix,
            request,
            "-cn",
            "Jane Doe",
            "-dir",
            str(work / "user"),
            "-nopw",
            "-ca",
            hash_,
            "-force",
            env={**env, "X509_CERT_DIR": str(certs)},
            cwd=work,
        )
        run(
            *prefix,
            sign,
            "-in",
            str(work / "user" / "usercert_request.pem"),
            "-out",
            str(work / "user" / "usercert.pem"),
            "-dir",
            str(work / "ca"),
            "-passin",
            "pass:simpleca-pass",
            env=env,
            cwd=work,
        )
        # our own copies, owned by us and private, as Globus and gridware require of keys
        mine = Path(tempfile.mkdtemp(prefix="gridware-simpleca-user-"))
        shutil.copy(work / "user" / "usercert.pem", mine / "usercert.pem")
        shutil.copy(work / "user" / "userkey.pem", mine / "userkey.pem")
        os.chmod(mine / "userkey.pem", 0o600)
        yield {
            "certs": certs,
            "cert": mine / "usercert.pem",
            "key": mine / "userkey.pem",
            "work": work,
        }
        shutil.rmtree(mine, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_simple_ca_left_etc_alone(simple_ca):
    hash_ = next(simple_ca["certs"].glob("*.0")).name[:-2]
    assert not Path(f"/etc/grid-security/certificates/{hash_}.0").exists()


def test_simple_ca_signing_policy_parses(simple_ca):
    policy_file = next(simple_ca["certs"].glob("*.signing_policy"))
    policy = SigningPolicy.parse(policy_file.read_text())
    assert policy.allows(
        "/O=Grid/OU=GlobusTest/CN=Interop Simple CA", "/O=Grid/OU=GlobusTest/OU=x/CN=y"
    )


def test_simple_ca_user_and_grid_proxy_init(simple_ca, tmp_path):
    user = Credential.load(simple_ca["cert"], simple_ca["key"])
    assert user.subject.startswith("/O=Grid/OU=GlobusTest/")
    assert user.subject.endswith("/CN=Jane Doe")
    trust = TrustStore(simple_ca["certs"])
    assert validate(user.certificates, trust).identity == user.subject  # CA without keyUsage: fine
    proxy = tmp_path / "x509up"
    _grid_proxy_init(
        tmp_path, simple_ca["cert"], simple_ca["key"], simple_ca["certs"], proxy, passphrase=None
    )
    result = validate(Credential.load(proxy).certificates, trust)
    assert result.identity == user.subject
    assert result.proxy_type is ProxyType.IMPERSONATION


def test_simple_ca_user_and_gridware_proxy_init(simple_ca, tmp_path):
    proxy = tmp_path / "x509up"
    gridware(
        "proxy",
        "init",
        "-cert",
        str(simple_ca["cert"]),
        "-key",
        str(simple_ca["key"]),
        "-certdir",
        str(simple_ca["certs"]),
        "-verify",
        "-limited",
        "-out",
        str(proxy),
    )
    user = Credential.load(simple_ca["cert"], simple_ca["key"])
    assert _grid_proxy_info(tmp_path, proxy, simple_ca["certs"], "-identity") == user.subject
    assert (
        _grid_proxy_info(tmp_path, proxy, simple_ca["certs"], "-type")
        == "RFC 3820 compliant limited proxy"
    )
    assert validate(Credential.load(proxy).certificates, TrustStore(simple_ca["certs"])).limited


# -- (d) openssl agrees ------------------------------------------------------------------------------


def test_openssl_hash_agrees_with_file_names(grid):
    openssl = globus_tool("openssl")
    certdir = grid / "ca" / "certificates"
    hash_ = run(
        openssl, "x509", "-hash", "-noout", "-in", str(grid / "ca" / "cacert.pem")
    ).stdout.strip()
    assert (certdir / f"{hash_}.0").exists() and (certdir / f"{hash_}.signing_policy").exists()
    cert = x509.load_pem_x509_certificate((grid / "ca" / "cacert.pem").read_bytes())
    assert subject_hash(cert.subject) == hash_
    # and the CRL name too
    ca = CertificateAuthority.load(grid / "ca")
    ca.update_crl()
    crl_hash = run(
        openssl, "crl", "-hash", "-noout", "-in", str(grid / "ca" / "crl.pem")
    ).stdout.strip()
    assert (certdir / f"{crl_hash}.r0").exists()


@pytest.mark.parametrize(
    "kinds",
    [
        ["impersonation"],
        ["impersonation", "limited", "impersonation"],
        ["independent", "impersonation"],
    ],
)
def test_openssl_verify_accepts_our_chains(grid, tmp_path, kinds):
    openssl = globus_tool("openssl")
    user = Credential.load(grid / "user" / "usercert.pem", grid / "user" / "userkey.pem", PASS)
    credential = user
    for kind in kinds:
        credential = credential.create_proxy(kind=ProxyKind[kind.upper()])
    path = credential.save_proxy(tmp_path / "chain")
    certdir = grid / "ca" / "certificates"
    CertificateAuthority.load(grid / "ca").update_crl()  # a current CRL for -crl_check_all
    result = run(
        openssl,
        "verify",
        "-allow_proxy_certs",
        "-crl_check_all",
        "-CApath",
        str(certdir),
        "-untrusted",
        str(path),
        str(path),
    )
    assert result.stdout.strip().endswith(": OK")
    host = run(openssl, "verify", "-CApath", str(certdir), str(grid / "host" / "hostcert.pem"))
    assert host.stdout.strip().endswith(": OK")


def test_missing_tools_fail_under_ci_and_skip_otherwise(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="not installed"):
        globus_tool("grid-proxy-init")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        globus_tool("grid-proxy-init")


def test_gt3_draft_proxy_from_grid_proxy_init_is_refused_clearly(grid, tmp_path):
    from gridware.security import MalformedProxyError

    certdir = grid / "ca" / "certificates"
    proxy = tmp_path / "draft"
    _grid_proxy_init(
        tmp_path,
        grid / "user" / "usercert.pem",
        grid / "user" / "userkey.pem",
        certdir,
        proxy,
        "-draft",
    )
    with pytest.raises(MalformedProxyError, match="GT3 draft"):
        validate(Credential.load(proxy).certificates, TrustStore(certdir))


def _bad_proxies(user: Credential) -> dict[str, Credential]:
    """Chains that break an RFC 3820 rule, made by hand."""
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa

    from gridware.security.names import append_cn, parse_dn
    from gridware.security.proxy import ProxyCertInfo

    def build(issuer: Credential, subject, extensions, start=None, end=None) -> Credential:
        key = rsa.generate_private_key(65537, 2048)
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.certificate.subject)
            .public_key(key.public_key())
            .serial_number(4242)
            .not_valid_before(start or now - timedelta(minutes=5))
            .not_valid_after(end or now + timedelta(hours=1))
        )
        for ext, critical in extensions:
            builder = builder.add_extension(ext, critical=critical)
        cert = builder.sign(issuer.private_key, hashes.SHA256())
        return Credential(cert, key, issuer.certificates)

    pci = ProxyCertInfo("1.3.6.1.5.5.7.21.1").to_extension()
    proxy_subject = append_cn(user.certificate.subject, "4242")
    zero = user.create_proxy(path_length=0)
    start = user.certificate.not_valid_before_utc
    return {
        "subject is not issuer + CN": build(
            user, parse_dn("/O=Grid/OU=Interop/CN=Mallory/CN=4242"), [(pci, True)]
        ),
        "CA:TRUE proxy": build(
            user,
            proxy_subject,
            [(pci, True), (x509.BasicConstraints(ca=True, path_length=None), True)],
        ),
        "path length exceeded": zero.create_proxy(),
        # the user was made 5 minutes after its notBefore: this proxy has already expired
        "expired": build(user, proxy_subject, [(pci, True)], start, start + timedelta(seconds=30)),
    }


@pytest.mark.parametrize(
    "case", ["subject is not issuer + CN", "CA:TRUE proxy", "path length exceeded", "expired"]
)
def test_openssl_refuses_what_gridware_refuses(grid, tmp_path, case):
    from gridware.security import ValidationError

    openssl = globus_tool("openssl")
    user = Credential.load(grid / "user" / "usercert.pem", grid / "user" / "userkey.pem", PASS)
    bad = _bad_proxies(user)[case]
    certdir = grid / "ca" / "certificates"
    with pytest.raises(ValidationError):
        validate(bad.certificates, TrustStore(certdir))
    path = bad.save_proxy(tmp_path / "bad")
    result = run(
        openssl,
        "verify",
        "-allow_proxy_certs",
        "-CApath",
        str(certdir),
        "-untrusted",
        str(path),
        str(path),
        check=False,
    )
    assert result.returncode != 0, result.stdout
