"""``gridware ca`` and ``gridware proxy`` as a user types them (single- and double-dash)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gridware.security import Credential, ProxyType, TrustStore, validate

PASS = "correct horse battery"


def gw(
    *args: str, input: str | None = None, env: dict[str, str] | None = None, cwd: Path | None = None
):
    full_env = dict(os.environ)
    for name in ("X509_USER_PROXY", "X509_USER_CERT", "X509_USER_KEY", "X509_CERT_DIR"):
        full_env.pop(name, None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "gridware", *args],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def ok(*args: str, **kwargs) -> str:
    result = gw(*args, **kwargs)
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout


def fails(*args: str, status: int = 1, **kwargs) -> str:
    result = gw(*args, **kwargs)
    assert result.returncode == status, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    if status == 1:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("gridware: error: ")
    return result.stderr


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """A CA, a host and a user made with the command line (a 2048-bit CA keeps it quick)."""
    root = tmp_path_factory.mktemp("grid")
    out = ok(
        "ca",
        "create",
        "--dir",
        str(root / "ca"),
        "--subject",
        "/O=Grid/OU=CLI/CN=CLI CA",
        "--days",
        "30",
        "--bits",
        "2048",
    )
    assert "CA created: /O=Grid/OU=CLI/CN=CLI CA" in out
    assert f"export X509_CERT_DIR={root / 'ca' / 'certificates'}" in out
    ok("ca", "issue", "-dir", str(root / "ca"), "-host", "localhost", "-out", str(root / "host"))
    ok(
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
    return root


def test_ca_files(grid):
    host_key = grid / "host" / "hostkey.pem"
    assert stat.S_IMODE(os.stat(host_key).st_mode) == 0o600
    assert b"ENCRYPTED" not in host_key.read_bytes()
    user_key = grid / "user" / "userkey.pem"
    assert stat.S_IMODE(os.stat(user_key).st_mode) == 0o400
    assert b"ENCRYPTED PRIVATE KEY" in user_key.read_bytes()
    host = Credential.load(grid / "host" / "hostcert.pem", host_key)
    assert host.subject == "/O=Grid/OU=CLI/CN=localhost"
    user = Credential.load(grid / "user" / "usercert.pem", user_key, PASS)
    assert user.subject == "/O=Grid/OU=CLI/CN=Jane Doe"
    assert (
        validate(user.certificates, TrustStore(grid / "ca" / "certificates")).identity
        == user.subject
    )


def test_ca_usage_errors(grid, tmp_path):
    fails("ca", "issue", "--dir", str(grid / "ca"), "--out", str(tmp_path), status=2)
    fails(
        "ca",
        "issue",
        "--dir",
        str(grid / "ca"),
        "--host",
        "h",
        "--user",
        "u",
        "--out",
        str(tmp_path),
        status=2,
    )
    fails("ca", "create", status=2)
    assert "exists" in fails(
        "ca", "issue", "--dir", str(grid / "ca"), "--host", "localhost", "--out", str(grid / "host")
    )
    assert "not a CA directory" in fails(
        "ca", "issue", "--dir", str(tmp_path / "none"), "--host", "h", "--out", str(tmp_path)
    )
    assert "already holds a CA" in fails(
        "ca", "create", "--dir", str(grid / "ca"), "--bits", "2048"
    )
    assert "-pwstdin" in fails(
        "ca", "issue", "--dir", str(grid / "ca"), "--user", "Joe", "--out", str(tmp_path / "j")
    )
    assert "too weak" in fails("ca", "create", "--dir", str(tmp_path / "weak"), "--bits", "1024")
    assert "not a host name" in fails(
        "ca", "issue", "--dir", str(grid / "ca"), "--host", "a b", "--out", str(tmp_path)
    )


def test_unencrypted_user_key_for_tests(grid, tmp_path):
    ok(
        "ca",
        "issue",
        "--dir",
        str(grid / "ca"),
        "--user",
        "Robot",
        "--out",
        str(tmp_path),
        "--no-passphrase",
    )
    assert b"ENCRYPTED" not in (tmp_path / "userkey.pem").read_bytes()


def _user_env(grid):
    return {
        "X509_USER_CERT": str(grid / "user" / "usercert.pem"),
        "X509_USER_KEY": str(grid / "user" / "userkey.pem"),
        "X509_CERT_DIR": str(grid / "ca" / "certificates"),
    }


def test_proxy_init_info_destroy(grid, tmp_path):
    proxy = tmp_path / "x509up"
    env = {**_user_env(grid), "X509_USER_PROXY": str(proxy)}
    out = ok("proxy", "init", "-pwstdin", "-valid", "2:30", input=PASS + "\n", env=env)
    lines = out.splitlines()
    assert lines[0] == "Your identity: /O=Grid/OU=CLI/CN=Jane Doe"
    assert lines[1].startswith("Your proxy is valid until: ")
    assert stat.S_IMODE(os.stat(proxy).st_mode) == 0o600
    info = ok("proxy", "info", env=env)
    fields = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in info.splitlines())}
    assert fields["subject"].startswith("/O=Grid/OU=CLI/CN=Jane Doe/CN=")
    assert fields["issuer"] == "/O=Grid/OU=CLI/CN=Jane Doe"
    assert fields["identity"] == "/O=Grid/OU=CLI/CN=Jane Doe"
    assert fields["type"] == "RFC 3820 compliant impersonation proxy"
    assert fields["strength"] == "2048 bits"
    assert fields["path"] == str(proxy)
    assert fields["timeleft"].startswith(("2:29:", "2:30:"))
    assert ok("proxy", "info", "-identity", "-type", env=env).splitlines() == [
        "/O=Grid/OU=CLI/CN=Jane Doe",
        "RFC 3820 compliant impersonation proxy",
    ]
    assert 8900 < int(ok("proxy", "info", "--timeleft", env=env)) <= 9000
    assert ok("proxy", "info", "-strength", "-path", env=env).split() == ["2048", str(proxy)]
    for valid, status in (("2:00", 0), ("3:00", 1)):
        result = gw("proxy", "info", "-exists", "-valid", valid, env=env)
        assert (result.returncode, result.stdout, result.stderr) == (status, "", "")
    assert gw("proxy", "info", "-e", "-bits", "4096", env=env).returncode == 1
    assert gw("proxy", "info", "-exists", "-valid", "nonsense", env=env).returncode == 1
    ok("proxy", "destroy", env=env)
    assert not proxy.exists()
    result = gw("proxy", "info", "-exists", env=env)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", "")
    assert "no proxy at" in fails("proxy", "info", env=env)
    assert "no proxy at" in fails("proxy", "destroy", env=env)


def test_proxy_init_options(grid, tmp_path):
    env = _user_env(grid)
    limited = tmp_path / "limited"
    ok(
        "proxy",
        "init",
        "-limited",
        "-pwstdin",
        "-out",
        str(limited),
        "-bits",
        "3072",
        input=PASS + "\n",
        env=env,
    )
    assert ok("proxy", "info", "-file", str(limited), "-type", "-strength").split("\n")[:2] == [
        "RFC 3820 compliant limited proxy",
        "3072",
    ]
    independent = tmp_path / "independent"
    ok(
        "proxy",
        "init",
        "--independent",
        "--pwstdin",
        "--out",
        str(independent),
        "-q",
        input=PASS + "\n",
        env=env,
    )
    credential = Credential.load(independent)
    assert credential.proxy_type is ProxyType.INDEPENDENT
    explicit = tmp_path / "explicit"
    out = ok(
        "proxy",
        "init",
        "-cert",
        str(grid / "user" / "usercert.pem"),
        "-key",
        str(grid / "user" / "userkey.pem"),
        "-certdir",
        str(grid / "ca" / "certificates"),
        "-verify",
        "-path-length",
        "1",
        "-out",
        str(explicit),
        "-pwstdin",
        input=PASS + "\n",
    )
    assert out.startswith("Your identity: /O=Grid/OU=CLI/CN=Jane Doe")
    assert Credential.load(explicit).proxy_type is ProxyType.IMPERSONATION
    # the CA lives 30 days: a 1000-hour proxy is cut to the certificate's end with a warning
    long = gw(
        "proxy",
        "init",
        "-valid",
        "1000:00",
        "-pwstdin",
        "-out",
        str(tmp_path / "long"),
        input=PASS + "\n",
        env=env,
    )
    assert long.returncode == 0 and "Warning" in long.stderr
    user_end = Credential.load(
        grid / "user" / "usercert.pem", grid / "user" / "userkey.pem", PASS
    ).not_after
    assert Credential.load(tmp_path / "long").not_after == user_end


def test_proxy_init_errors(grid, tmp_path):
    env = {**_user_env(grid), "X509_USER_PROXY": str(tmp_path / "p")}
    assert "wrong pass phrase" in fails("proxy", "init", "-pwstdin", input="nope\n", env=env)
    assert "-pwstdin" in fails("proxy", "init", env=env)  # no terminal to ask on
    assert "too weak" in fails(
        "proxy", "init", "-pwstdin", "-bits", "1024", input=PASS + "\n", env=env
    )
    fails("proxy", "init", "-limited", "-independent", status=2, env=env)
    fails("proxy", "init", "-valid", "soon", status=2, env=env)
    fails("proxy", "init", "-valid", "1:75", status=2, env=env)
    fails("proxy", "init", "-bogus", status=2, env=env)
    missing = {**env, "X509_USER_CERT": str(tmp_path / "none.pem")}
    assert "does not exist" in fails("proxy", "init", "-pwstdin", input=PASS + "\n", env=missing)
    os.chmod(grid / "user" / "userkey.pem", 0o644)
    try:
        assert "too permissive" in fails("proxy", "init", "-pwstdin", input=PASS + "\n", env=env)
    finally:
        os.chmod(grid / "user" / "userkey.pem", 0o400)


def test_revoke_command(grid, tmp_path):
    ok(
        "ca",
        "issue",
        "--dir",
        str(grid / "ca"),
        "--user",
        "Leaver",
        "--out",
        str(tmp_path),
        "--no-passphrase",
    )
    out = ok("ca", "revoke", "--dir", str(grid / "ca"), str(tmp_path / "usercert.pem"))
    assert out.startswith("revoked: /O=Grid/OU=CLI/CN=Leaver")
    assert "already revoked" in ok(
        "ca", "revoke", "-dir", str(grid / "ca"), str(tmp_path / "usercert.pem")
    )
    assert list((grid / "ca" / "certificates").glob("*.r0"))
    leaver = Credential.load(tmp_path / "usercert.pem", tmp_path / "userkey.pem")
    from gridware.security import CertificateRevokedError

    with pytest.raises(CertificateRevokedError):
        validate(leaver.certificates, TrustStore(grid / "ca" / "certificates"))
    assert "CRL signed, 1 revoked" in ok("ca", "crl", "--dir", str(grid / "ca"), "--days", "7")
    assert "No such file" in fails(
        "ca", "revoke", "--dir", str(grid / "ca"), str(tmp_path / "nope.pem")
    )


@pytest.mark.parametrize(
    "command",
    [
        ["ca"],
        ["ca", "create"],
        ["ca", "issue"],
        ["ca", "revoke"],
        ["ca", "crl"],
        ["proxy"],
        ["proxy", "init"],
        ["proxy", "info"],
        ["proxy", "destroy"],
    ],
)
def test_every_command_has_help(command):
    out = ok(*command, "--help")
    assert out.startswith("usage: gridware " + " ".join(command))


def test_help_shows_globus_spellings():
    out = ok("proxy", "init", "--help")
    for option in (
        "-valid",
        "-limited",
        "-independent",
        "-bits",
        "-pwstdin",
        "-out",
        "-cert",
        "-key",
        "-certdir",
    ):
        assert option in out
    info = ok("proxy", "info", "--help")
    for option in ("-file", "-exists", "-identity", "-subject", "-type", "-timeleft"):
        assert option in info
