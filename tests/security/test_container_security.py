"""GSI in the container, end to end: HTTPS with proxy certificates, grid-mapfile
authorization, per-operation policies, resource ownership, and the client side.

One container process serves every test of the module over HTTP and HTTPS; the
PKI (a CA, a host certificate, users, proxies) is made fresh in tmp.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from gridware.clients.wsrf import WsrfClient
from gridware.container import faults
from gridware.container.addressing import EndpointReference
from gridware.container.client import HttpTransport, SoapClient, TransportError
from gridware.container.security import (
    SecurityConfigError,
    client_tls_context,
    secure_transport,
)
from gridware.security import CertificateAuthority, Credential
from gridware.security.proxy import ProxyKind
from tests.conftest import ROOT, RunningContainer, start_container
from tests.security.conftest import globus_tool, run

NS = "http://example.org/notebook"
PORT_TYPE = f"{NS}/NotebookServicePortType"
PLUGINS = ROOT / "tests" / "plugins"
GT4_PROXY_PASS = "container test pass"


@dataclass
class Site:
    tmp: Path
    ca: CertificateAuthority
    host: Credential
    alice: Credential  # in the grid-mapfile as "alice"
    dave: Credential  # in the grid-mapfile as "dave"
    bob: Credential  # valid, not in the grid-mapfile
    carol: Credential  # in the grid-mapfile, then revoked
    alice_proxy: Path
    container: RunningContainer

    @property
    def cert_dir(self) -> Path:
        return self.ca.trusted_directory


def _el(local: str, **children: str) -> etree._Element:
    el = etree.Element(f"{{{NS}}}{local}", nsmap={"n": NS})
    for name, value in children.items():
        etree.SubElement(el, f"{{{NS}}}{name}").text = value
    return el


def _call(url: str | EndpointReference, op: str, transport: HttpTransport, **args: str) -> str:
    reply = SoapClient(url, transport=transport).call(f"{PORT_TYPE}/{op}Request", _el(op, **args))
    return (reply[0].text or "") if len(reply) else (reply.text or "")


def _create(site: Site, transport: HttpTransport, service: str = "Secure") -> EndpointReference:
    reply = SoapClient(site.container.https_url(service), transport=transport).call(
        f"{PORT_TYPE}/createRequest", _el("create", title="lab")
    )
    return EndpointReference.from_element(reply[0])


@pytest.fixture(scope="module")
def site(tmp_path_factory, key_pool) -> Site:
    tmp = tmp_path_factory.mktemp("gsi-site")
    keys = iter(key_pool)
    ca = CertificateAuthority.create(
        tmp / "ca", "/O=Grid/OU=Container Test/CN=Test CA", key=next(keys)
    )
    host = ca.issue_host("localhost", key=next(keys))
    host.save(tmp / "hostcert.pem", tmp / "hostkey.pem", key_mode=0o600)
    alice = ca.issue_user("Alice", key=next(keys))
    dave = ca.issue_user("Dave", key=next(keys))
    bob = ca.issue_user("Bob", key=next(keys))
    carol = ca.issue_user("Carol", key=next(keys))
    alice_proxy = alice.create_proxy(key=next(keys)).save_proxy(tmp / "alice.proxy")
    gridmap = tmp / "grid-mapfile"
    gridmap.write_text(f'"{alice.subject}" alice\n"{dave.subject}" dave\n"{carol.subject}" carol\n')
    config = tmp / "container.toml"
    config.write_text(
        f"""
[container]
log_level = "INFO"

[container.security]
certificate = "{tmp / "hostcert.pem"}"
key = "{tmp / "hostkey.pem"}"
cert_dir = "{ca.trusted_directory}"
gridmap = "{gridmap}"
https_port = 0

[[service]]
name = "Secure"
class = "notebook_service:NotebookService"
[service.security]
transport = "https"
authorization = "gridmap"

[[service]]
name = "Lab"
class = "notebook_service:NotebookService"
[service.security]
transport = "https"
authorization = "identity"
identity = ["{alice.subject}"]
[service.security.operations.whoami]
authorization = "none"

[[service]]
name = "SecureCounter"
class = "gridware.services.samples.counter:CounterService"
[service.security]
transport = "https"

[[service]]
name = "Signed"
class = "notebook_service:NotebookService"
[service.security]
message = "signature"
authorization = "gridmap"

[[service]]
name = "Sealed"
class = "notebook_service:NotebookService"
[service.security]
message = "encryption"
authorization = "gridmap"

[[service]]
name = "SignedCounter"
class = "gridware.services.samples.counter:CounterService"
[service.security]
message = "signature"
authorization = "gridmap"

[[service]]
name = "SignedOpen"
class = "notebook_service:NotebookService"
[service.security]
message = "signature"
authorization = "authenticated"

[[service]]
name = "FullProxy"
class = "notebook_service:NotebookService"
[service.security]
transport = "https"
authorization = "gridmap"
allow_limited = false

[[service]]
name = "Open"
class = "notebook_service:NotebookService"
"""
    )
    container = start_container("--config", str(config), env={"PYTHONPATH": str(PLUGINS)})
    yield Site(tmp, ca, host, alice, dave, bob, carol, alice_proxy, container)
    container.stop()


def tls(site: Site, who: Credential | None, **kwargs) -> HttpTransport:
    """A client transport presenting ``who`` (a credential or its proxy) or nothing."""
    if who is None:
        return secure_transport(anonymous=True, cert_dir=site.cert_dir, **kwargs)
    return secure_transport(who, cert_dir=site.cert_dir, **kwargs)


# -- who may call ------------------------------------------------------------------------------


def test_a_gridmapped_proxy_user_is_served_as_herself(site):
    transport = secure_transport(site.alice_proxy, cert_dir=site.cert_dir)
    url = site.container.https_url("Secure")
    # the identity is the user's, not the proxy's subject
    assert _call(url, "whoami", transport) == site.alice.subject
    assert _call(url, "localUser", transport) == "alice"


def test_the_start_event_names_the_https_address_and_identity(site):
    assert site.container.https_base_url.startswith("https://127.0.0.1:")
    start = next(line for line in site.container.log_lines if "container.start" in line)
    assert "Container Test/CN=localhost" in start


def test_an_https_only_service_refuses_plain_http(site):
    with pytest.raises(faults.Fault, match="requires HTTPS"):
        _call(site.container.url("Secure"), "whoami", HttpTransport())


def test_an_https_only_service_advertises_its_https_address(site):
    from tests.helpers import get

    reply = get(site.container.url("SecureCounter") + "?wsdl")
    addresses = reply.xml().xpath("//*[local-name()='address']/@location")
    assert addresses and all(a.startswith("https://") for a in addresses), addresses


def test_an_anonymous_caller_is_refused_where_identity_is_needed(site):
    with pytest.raises(faults.Fault, match="no authenticated identity"):
        _call(site.container.https_url("Secure"), "whoami", tls(site, None))


def test_a_valid_user_missing_from_the_gridmap_is_refused(site):
    with pytest.raises(faults.Fault, match="not in the grid-mapfile"):
        _call(site.container.https_url("Secure"), "whoami", tls(site, site.bob))


def test_a_limited_proxy_authenticates_as_its_user(site):
    limited = site.alice.create_proxy(kind=ProxyKind.LIMITED)
    assert _call(site.container.https_url("Secure"), "whoami", tls(site, limited)) == (
        site.alice.subject
    )


def test_a_limited_proxy_is_refused_where_a_full_one_is_required(site):
    url = site.container.https_url("FullProxy")
    assert _call(url, "whoami", tls(site, site.alice.create_proxy())) == site.alice.subject
    limited = site.alice.create_proxy(kind=ProxyKind.LIMITED)
    with pytest.raises(faults.Fault, match="needs a full proxy"):
        _call(url, "whoami", tls(site, limited))
    # a proxy signed by a limited proxy is limited too, whatever it says of itself
    from gridware.security.proxy import issue_proxy

    below = issue_proxy(limited.certificate, limited.private_key, limited.chain)
    chained = Credential(below.certificate, below.private_key, limited.certificates)
    with pytest.raises(faults.Fault, match="needs a full proxy"):
        _call(url, "whoami", tls(site, chained))


def test_clients_use_the_users_proxy_automatically(site, monkeypatch):
    """No transport configured: the proxy and CA directory Globus would use."""
    monkeypatch.setenv("X509_USER_PROXY", str(site.alice_proxy))
    monkeypatch.setenv("X509_CERT_DIR", str(site.cert_dir))
    epr = _create(site, HttpTransport())
    assert WsrfClient(epr, transport=HttpTransport()).get_value("Title", str) == "lab"
    assert _call(site.container.https_url("Secure"), "whoami", HttpTransport()) == (
        site.alice.subject
    )
    # no proxy: the call is anonymous, and the gridmap policy refuses it
    monkeypatch.setenv("X509_USER_PROXY", str(site.tmp / "no-such-proxy"))
    with pytest.raises(faults.Fault, match="no authenticated identity"):
        _call(site.container.https_url("Secure"), "whoami", HttpTransport())


def test_openssl_s_client_authenticates_with_a_proxy_chain(site):
    """A stock TLS client: openssl s_client presenting the proxy file (cert, key, chain)."""
    openssl = globus_tool("openssl")
    host, port = site.container.https_base_url.removeprefix("https://").split(":")
    body = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<n:whoami xmlns:n="{NS}"/></s:Body></s:Envelope>'
    )
    request = (
        "POST /wsrf/services/Secure HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Content-Type: text/xml\r\n"
        f'SOAPAction: "{PORT_TYPE}/whoamiRequest"\r\n'
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n" + body
    )
    result = run(
        openssl,
        "s_client",
        "-connect",
        f"{host}:{port}",
        "-cert",
        str(site.alice_proxy),
        "-key",
        str(site.alice_proxy),
        "-cert_chain",
        str(site.alice_proxy),
        "-CApath",
        str(site.cert_dir),
        "-verify_return_error",
        "-quiet",
        input=request,
    )
    assert "200 OK" in result.stdout and site.alice.subject in result.stdout


def test_an_expired_proxy_is_refused_by_the_server(site):
    now = datetime.now(UTC)
    user = site.ca.issue_user("Alice", now=now - timedelta(days=1))
    expired = user.create_proxy(lifetime=timedelta(hours=1), now=now - timedelta(hours=3))
    # secure_transport refuses to send it; force it through a bare TLS context
    with pytest.raises(SecurityConfigError, match="expired"):
        tls(site, expired)
    transport = HttpTransport(ssl_context=client_tls_context(expired, site.cert_dir))
    with pytest.raises((faults.Fault, TransportError), match=r"not acceptable|expired"):
        _call(site.container.https_url("Secure"), "whoami", transport)
    # the plain-HTTP-only open service does not care, but a bad TLS chain is still refused
    with pytest.raises(faults.Fault, match="not acceptable"):
        _call(site.container.https_url("Open"), "whoami", transport)


def test_a_look_alike_ca_is_not_trusted(site, key_pool):
    # same CA name, different key: the user's DN is one the gridmap knows
    evil = CertificateAuthority.create(site.tmp / "evil-ca", site.ca.subject, key=key_pool[-1])
    fake_alice = evil.issue_user("Alice", key=key_pool[-2])
    assert fake_alice.subject == site.alice.subject
    transport = HttpTransport(ssl_context=client_tls_context(fake_alice, site.cert_dir))
    with pytest.raises(faults.Fault, match="not acceptable") as refused:
        _call(site.container.https_url("Secure"), "whoami", transport)
    assert str(site.tmp) not in str(refused.value)  # no server paths on the wire


def test_a_revoked_user_is_refused_once_the_crl_is_published(site):
    url = site.container.https_url("Secure")
    assert _call(url, "whoami", tls(site, site.carol)) == site.carol.subject
    site.ca.revoke(site.carol.certificate)  # writes the CRL into the trusted directory
    with pytest.raises(faults.Fault, match="revoked"):
        _call(url, "whoami", tls(site, site.carol))  # a new connection: validated again


def test_an_identity_policy_with_a_per_operation_override(site):
    url = site.container.https_url("Lab")
    # whoami is open to anyone (even anonymous callers) ...
    assert _call(url, "whoami", tls(site, None)) == "anonymous"
    assert _call(url, "whoami", tls(site, site.bob)) == site.bob.subject
    # ... every other operation only to Alice
    with pytest.raises(faults.Fault, match="not allowed here"):
        _call(url, "deferredEcho", tls(site, site.bob), text="x")
    assert _call(url, "deferredEcho", tls(site, site.alice), text="x") == "X"


def test_an_unsecured_service_still_knows_its_tls_callers(site):
    assert _call(site.container.https_url("Open"), "whoami", tls(site, site.bob)) == (
        site.bob.subject
    )
    assert _call(site.container.url("Open"), "whoami", HttpTransport()) == "anonymous"


# -- resources belong to their creators ----------------------------------------------------------


def test_only_the_creator_may_modify_or_destroy_a_resource(site):
    alice, dave = tls(site, site.alice), tls(site, site.dave)
    epr = _create(site, alice)
    assert epr.address.startswith("https://")
    as_dave = WsrfClient(epr, transport=dave)
    assert as_dave.get_value("Title", str) == "lab"  # reading is allowed
    with pytest.raises(faults.Fault, match="only the creator"):
        as_dave.update_property("Title", "mine now")
    with pytest.raises(faults.Fault, match="only the creator"):
        as_dave.destroy()
    with pytest.raises(faults.Fault, match="only the creator"):
        as_dave.set_termination_time(timedelta(seconds=1))
    as_alice = WsrfClient(epr, transport=alice)
    as_alice.update_property("Title", "renamed")
    assert as_alice.get_value("Title", str) == "renamed"
    as_alice.destroy()
    with pytest.raises(faults.Fault, match=r"[Uu]nknown"):
        as_alice.get_value("Title", str)


# -- the client checks the server --------------------------------------------------------------


def test_the_client_checks_the_expected_service_identity(site):
    url = site.container.https_url("Secure")
    right = tls(site, site.alice, identity=site.host.subject)
    assert _call(url, "whoami", right) == site.alice.subject
    wrong = tls(site, site.alice, identity="/O=Grid/OU=Container Test/CN=elsewhere")
    with pytest.raises(TransportError, match="not the expected"):
        _call(url, "whoami", wrong)


def test_the_client_refuses_a_server_its_cas_do_not_vouch_for(site, key_pool):
    other = CertificateAuthority.create(
        site.tmp / "other-ca", "/O=Other/CN=Other CA", key=key_pool[-3]
    )
    transport = secure_transport(site.alice, cert_dir=other.trusted_directory)
    with pytest.raises(TransportError, match="not acceptable: unable to get local issuer"):
        _call(site.container.https_url("Secure"), "whoami", transport)


def test_the_client_checks_the_host_name(site, key_pool):
    """A server whose certificate names another host is refused (no identity given)."""
    import socket
    import threading

    elsewhere = site.ca.issue_host("elsewhere.example", key=key_pool[-5])
    cert = site.tmp / "elsewhere.pem"
    cert.write_bytes(elsewhere.to_proxy_pem())
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve_one() -> None:
        conn, _ = listener.accept()
        try:
            with server_ctx.wrap_socket(conn, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass  # the client hangs up during the handshake

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    try:
        with pytest.raises(TransportError, match="not acceptable: IP address mismatch"):
            _call(f"https://127.0.0.1:{port}/wsrf/services/X", "whoami", tls(site, site.alice))
    finally:
        thread.join(10)
        listener.close()


def test_a_missing_proxy_is_a_clear_error(site, tmp_path):
    with pytest.raises(SecurityConfigError, match="gridware proxy init"):
        secure_transport(tmp_path / "no-such-proxy", cert_dir=site.cert_dir)


def test_the_stock_python_tls_client_can_call_with_a_proxy(site, tmp_path):
    """Nothing gridware-specific on the client: Python's ssl with OpenSSL defaults."""
    import http.client

    ctx = ssl.create_default_context(capath=str(site.cert_dir))
    ctx.load_cert_chain(site.alice_proxy)
    host, port = site.container.https_base_url.removeprefix("https://").split(":")
    conn = http.client.HTTPSConnection(host, int(port), context=ctx)
    body = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<n:whoami xmlns:n="{NS}"/></s:Body></s:Envelope>'
    )
    conn.request(
        "POST",
        "/wsrf/services/Secure",
        body,
        {"Content-Type": "text/xml", "SOAPAction": f'"{PORT_TYPE}/whoamiRequest"'},
    )
    reply = conn.getresponse().read().decode()
    conn.close()
    assert site.alice.subject in reply


# -- the command line ----------------------------------------------------------------------------


def _gridware(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridware", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_the_cli_calls_an_https_service_with_the_users_proxy(site, tmp_path):
    epr_file = tmp_path / "n.epr"
    epr_file.write_bytes(_create(site, tls(site, site.alice)).to_xml())
    env = {"X509_USER_PROXY": str(site.alice_proxy), "X509_CERT_DIR": str(site.cert_dir)}
    result = _gridware("wsrf", "get-property", "-e", str(epr_file), "Title", "--text", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "lab"
    # with Bob's credential: refused by the gridmap, one line, exit 1
    bob_proxy = site.bob.create_proxy().save_proxy(tmp_path / "bob.proxy")
    result = _gridware("wsrf", "destroy", "-e", str(epr_file), "--proxy", str(bob_proxy), env=env)
    assert result.returncode == 1
    assert "not in the grid-mapfile" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_the_cli_says_what_to_do_without_a_proxy(site, tmp_path):
    env = {"X509_USER_PROXY": str(tmp_path / "none"), "X509_CERT_DIR": str(site.cert_dir)}
    url = site.container.https_url("Secure")
    result = _gridware("counter", "create", "--url", url, env=env)
    assert result.returncode == 1
    assert "gridware proxy init" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_proxy_made_by_globus_grid_proxy_init_is_accepted(site, tmp_path):
    tool = globus_tool("grid-proxy-init")
    cert, key = tmp_path / "usercert.pem", tmp_path / "userkey.pem"
    site.alice.save(cert, key, GT4_PROXY_PASS)
    out = tmp_path / "globus.proxy"
    home = tmp_path / "home"
    home.mkdir()
    run(
        tool,
        "-pwstdin",
        "-cert",
        str(cert),
        "-key",
        str(key),
        "-certdir",
        str(site.cert_dir),
        "-out",
        str(out),
        input=GT4_PROXY_PASS + "\n",
        env={"HOME": str(home), "X509_CERT_DIR": str(site.cert_dir)},
    )
    transport = secure_transport(out, cert_dir=site.cert_dir)
    assert _call(site.container.https_url("Secure"), "whoami", transport) == site.alice.subject


# -- misconfiguration stops the container at start ---------------------------------------------


def _start_fails(tmp_path: Path, config: str) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(config)
    result = _gridware(
        "container", "--config", str(path), "--port", "0", env={"PYTHONPATH": str(PLUGINS)}
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def _host_table(site: Site, **override: str) -> str:
    values = {
        "certificate": str(site.tmp / "hostcert.pem"),
        "key": str(site.tmp / "hostkey.pem"),
        "cert_dir": str(site.cert_dir),
        **override,
    }
    return "[container.security]\n" + "".join(f'{k} = "{v}"\n' for k, v in values.items())


SERVICE = '[[service]]\nname = "S"\nclass = "notebook_service:NotebookService"\n'


def test_a_missing_host_key_stops_the_container(site, tmp_path):
    line = _start_fails(tmp_path, _host_table(site, key=str(tmp_path / "nokey.pem")) + SERVICE)
    assert "nokey.pem" in line


def test_a_world_readable_host_key_stops_the_container(site, tmp_path):
    key = tmp_path / "hostkey.pem"
    key.write_bytes((site.tmp / "hostkey.pem").read_bytes())
    key.chmod(0o644)
    line = _start_fails(tmp_path, _host_table(site, key=str(key)) + SERVICE)
    assert "hostkey.pem" in line


def test_a_host_certificate_from_an_untrusted_ca_stops_the_container(site, tmp_path, key_pool):
    other = CertificateAuthority.create(tmp_path / "ca2", "/O=Other/CN=CA2", key=key_pool[-4])
    line = _start_fails(
        tmp_path, _host_table(site, cert_dir=str(other.trusted_directory)) + SERVICE
    )
    assert "does not validate" in line


def test_a_gridmap_policy_without_a_gridmap_stops_the_container(site, tmp_path):
    config = _host_table(site) + SERVICE + '[service.security]\nauthorization = "gridmap"\n'
    assert "gridmap" in _start_fails(tmp_path, config)


def test_security_without_a_host_credential_stops_the_container(tmp_path):
    config = SERVICE + '[service.security]\ntransport = "https"\n'
    assert "[container.security]" in _start_fails(tmp_path, config)


def test_an_unknown_security_setting_stops_the_container(site, tmp_path):
    config = _host_table(site) + SERVICE + '[service.security]\nauthorisation = "gridmap"\n'
    assert "authorisation" in _start_fails(tmp_path, config)


def test_an_unknown_policy_stops_the_container(site, tmp_path):
    config = _host_table(site) + SERVICE + '[service.security]\nauthorization = "everyone"\n'
    assert "authorization must be one of" in _start_fails(tmp_path, config)


# -- WS-Security: signed and encrypted messages ------------------------------------------------


def signed(site: Site, who: Credential, **kwargs) -> HttpTransport:
    return secure_transport(who, cert_dir=site.cert_dir, message="signature", **kwargs)


def _raw_signed(site: Site, who: Credential, service: str, op: str = "whoami", **kwargs):
    """A signed request as bytes, and the protection that made it."""
    from gridware.container.client import SoapMessenger
    from gridware.container.security import MessageProtection

    protection = MessageProtection(who, cert_dir=site.cert_dir, **kwargs)
    url = site.container.url(service)
    request = SoapMessenger(url).prepare(f"{PORT_TYPE}/{op}Request", _el(op))
    data, sent = protection.protect(url, request.body)
    return url, data, request.headers, protection, sent


def _post(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
    return HttpTransport().post(url, data, headers, 1 << 20)


def test_a_signed_request_over_plain_http_is_served_and_its_reply_signed(site):
    url = site.container.url("Signed")
    assert _call(url, "whoami", signed(site, site.alice)) == site.alice.subject
    assert _call(url, "localUser", signed(site, site.alice)) == "alice"
    # on the wire: the reply carries a signature by the host, answering our MessageID
    url, data, headers, protection, sent = _raw_signed(site, site.alice, "Signed")
    status, ctype, reply = _post(url, data, headers)
    assert status == 200 and b"Signature" in reply and b"BinarySecurityToken" in reply
    assert site.alice.subject.encode() in protection.accept(sent, ctype, reply)


def test_an_unsigned_request_is_refused_where_signatures_are_required(site):
    with pytest.raises(faults.Fault, match="requires messages signed with WS-Security"):
        _call(site.container.url("Signed"), "whoami", HttpTransport())


def test_a_signed_request_from_a_user_missing_from_the_gridmap_is_refused(site):
    with pytest.raises(faults.Fault, match="not in the grid-mapfile"):
        _call(site.container.url("Signed"), "whoami", signed(site, site.bob))


def test_a_tampered_signed_request_is_refused(site):
    url, data, headers, _, _ = _raw_signed(site, site.alice, "Signed", op="deferredEcho")
    tampered = data.replace(b"deferredEcho", b"whoami")  # same length games do not help
    status, _, reply = _post(url, tampered, headers)
    assert status == 500 and b"not acceptable" in reply


def test_a_replayed_signed_request_is_refused(site):
    url, data, headers, _, _ = _raw_signed(site, site.alice, "Signed")
    assert _post(url, data, headers)[0] == 200
    status, _, reply = _post(url, data, headers)
    assert status == 500 and b"not acceptable" in reply and b"replay" in reply.lower()


def test_a_signed_request_with_a_stale_timestamp_is_refused(site):
    from gridware.container.client import SoapMessenger
    from gridware.security.wssec import sign

    url = site.container.url("Signed")
    request = SoapMessenger(url).prepare(f"{PORT_TYPE}/whoamiRequest", _el("whoami"))
    envelope = etree.fromstring(request.body)
    sign(envelope, site.alice, now=datetime.now(UTC) - timedelta(hours=1))
    status, _, reply = _post(url, etree.tostring(envelope), request.headers)
    assert status == 500 and b"not acceptable" in reply and b"expired" in reply.lower()


def test_a_signer_revoked_after_earlier_signed_calls_is_refused_at_once(site, key_pool):
    """Validated signer chains are cached, but publishing a CRL ends that."""
    frank = site.ca.issue_user("Frank", key=key_pool[-1])
    url = site.container.url("SignedOpen")
    for _ in range(3):
        assert _call(url, "whoami", signed(site, frank)) == frank.subject
    site.ca.revoke(frank.certificate)
    with pytest.raises(faults.Fault, match="revoked"):
        _call(url, "whoami", signed(site, frank))


def test_a_request_signed_under_a_look_alike_ca_is_refused(site, key_pool):
    evil = CertificateAuthority.create(site.tmp / "evil-ca-2", site.ca.subject, key=key_pool[-6])
    fake_alice = evil.issue_user("Alice", key=key_pool[-7])
    url, data, headers, _, _ = _raw_signed(site, fake_alice, "Signed")
    status, _, reply = _post(url, data, headers)
    assert status == 500 and b"not acceptable" in reply


def test_a_signed_request_to_a_container_without_a_credential_is_not_ignored(demo, site):
    """The client marks its Security header mustUnderstand: no silent downgrade."""
    url = demo.url("CounterService")
    with pytest.raises(faults.Fault, match="mustUnderstand"):
        SoapClient(url, transport=signed(site, site.alice)).call(
            "http://gridware.org/samples/counter/CounterPortType/createCounterRequest",
            etree.Element("{http://gridware.org/samples/counter}createCounter"),
        )


def test_encrypted_requests_and_replies(site):
    url = site.container.url("Sealed")
    sealed = secure_transport(
        site.alice,
        cert_dir=site.cert_dir,
        message="encryption",
        server_certificate=site.host.certificate,
    )
    assert _call(url, "whoami", sealed) == site.alice.subject
    # signed but not encrypted: refused
    with pytest.raises(faults.Fault, match="requires an encrypted message body"):
        _call(url, "whoami", signed(site, site.alice))
    # on the wire both ways the body is EncryptedData, not the identity
    _, data, headers, protection, sent = _raw_signed(
        site, site.alice, "Sealed", encrypt_for=site.host.certificate
    )
    assert b"EncryptedData" in data and b"whoami" not in data.split(b"Body", 1)[1]
    status, ctype, reply = _post(url, data, headers)
    assert status == 200 and b"EncryptedData" in reply
    assert site.alice.subject.encode() not in reply
    assert site.alice.subject.encode() in protection.accept(sent, ctype, reply)
    with pytest.raises(SecurityConfigError, match="server_certificate"):
        secure_transport(site.alice, cert_dir=site.cert_dir, message="encryption")


def test_the_client_checks_who_signed_the_reply(site):
    url = site.container.url("Signed")
    right = signed(site, site.alice, identity=site.host.subject)
    assert _call(url, "whoami", right) == site.alice.subject
    wrong = signed(site, site.alice, identity="/O=Grid/OU=Container Test/CN=elsewhere")
    with pytest.raises(TransportError, match="not the expected"):
        _call(url, "whoami", wrong)


def test_a_signed_reply_to_another_request_is_refused(site):
    url, data, headers, protection, _ = _raw_signed(site, site.alice, "Signed")
    _, _, _, _, other = _raw_signed(site, site.alice, "Signed")
    status, ctype, reply = _post(url, data, headers)
    assert status == 200
    with pytest.raises(TransportError, match="does not answer this request"):
        protection.accept(other, ctype, reply)


def test_an_unsigned_reply_to_a_signed_request_is_refused(site):
    """A server (or a man in the middle) that answers without signing is not believed."""
    import http.server
    import threading

    reply = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        b'<n:whoamiResponse xmlns:n="http://example.org/notebook">root</n:whoamiResponse>'
        b"</s:Body></s:Envelope>"
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/wsrf/services/X"
        with pytest.raises(TransportError, match="unsigned reply"):
            _call(url, "whoami", signed(site, site.alice))
    finally:
        server.shutdown()
        server.server_close()


def test_the_cli_signs_with_message_signature(site, tmp_path):
    env = {"X509_USER_PROXY": str(site.alice_proxy), "X509_CERT_DIR": str(site.cert_dir)}
    url = site.container.url("Signed")
    reply = SoapClient(url, transport=signed(site, site.alice)).call(
        f"{PORT_TYPE}/createRequest", _el("create", title="signed lab")
    )
    epr_file = tmp_path / "n.epr"
    epr_file.write_bytes(EndpointReference.from_element(reply[0]).to_xml())
    args = ["wsrf", "get-property", "-e", str(epr_file), "Title", "--text"]
    result = _gridware(*args, env=env)
    assert result.returncode == 1 and "requires messages signed" in result.stderr
    result = _gridware(*args, "--message", "signature", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "signed lab"


ASYNC_SCRIPT = """
import sys
from twisted.internet import defer, task
from gridware.container.security import MessageProtection, secure_agent
from gridware.security import Credential
from gridware.services.samples.generated.counter.client import CounterPortTypeAsyncClient

proxy_file, cert_dir, https_url, signed_url = sys.argv[1:5]


async def run(reactor):
    # https: TLS with the proxy; the generated asynchronous proxy on a secure Agent
    agent = secure_agent(proxy_file, cert_dir=cert_dir)
    counter = CounterPortTypeAsyncClient(
        await CounterPortTypeAsyncClient(https_url, agent=agent).createCounter(), agent=agent
    )
    print("https", await counter.add(5), await counter.add(2))
    # WS-Security over plain HTTP: signed requests, verified replies
    protection = MessageProtection(Credential.load_proxy(proxy_file), cert_dir=cert_dir)
    counter = CounterPortTypeAsyncClient(
        await CounterPortTypeAsyncClient(signed_url, message=protection).createCounter(),
        message=protection,
    )
    print("signed", await counter.add(3))
    # and an untrusting agent: the server's CA is not in this directory
    other = secure_agent(proxy_file, cert_dir=sys.argv[5])
    try:
        await CounterPortTypeAsyncClient(https_url, agent=other).createCounter()
    except Exception as exc:
        print("refused", type(exc).__name__, exc)
    # an agent that expects another service identity
    wrong = secure_agent(proxy_file, cert_dir=cert_dir, identity="/O=Grid/CN=someone else")
    try:
        await CounterPortTypeAsyncClient(https_url, agent=wrong).createCounter()
    except Exception as exc:
        print("refused", type(exc).__name__, exc)


task.react(lambda reactor: defer.ensureDeferred(run(reactor)))
"""


def test_generated_async_proxies_over_https_and_signed_messages(site, tmp_path, key_pool):
    other = CertificateAuthority.create(tmp_path / "ca3", "/O=Other/CN=CA3", key=key_pool[-8])
    script = tmp_path / "async_client.py"
    script.write_text(ASYNC_SCRIPT)
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            str(site.alice_proxy),
            str(site.cert_dir),
            site.container.https_url("SecureCounter"),
            site.container.url("SignedCounter"),
            str(other.trusted_directory),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "https 5 7"
    assert lines[1] == "signed 3"
    assert lines[2].startswith("refused TransportError"), lines
    assert "certificate verify failed" in lines[2], lines
    assert lines[3].startswith("refused TransportError"), lines
    assert "not the expected /O=Grid/CN=someone else" in lines[3], lines


# -- delegation ---------------------------------------------------------------------------------


def _delegation_url(site: Site) -> str:
    return site.container.https_url("DelegationService")


def test_a_delegated_credential_lets_the_service_act_as_the_caller(site):
    from gridware.clients.delegation import delegate

    alice = tls(site, site.alice)
    epr = delegate(_delegation_url(site), site.alice, transport=alice, cert_dir=site.cert_dir)
    used = _call(site.container.https_url("Secure"), "delegatedIdentity", alice)
    identity, _, via = used.partition(" via ")
    assert identity == site.alice.subject
    assert via.startswith(site.alice.subject + "/CN=")  # a proxy of Alice's, held by the host
    # it is Alice's only: Dave has delegated nothing
    assert _call(site.container.https_url("Secure"), "delegatedIdentity", tls(site, site.dave)) == (
        "none"
    )
    # the resource lives until the proxy ends, and only Alice may destroy it
    as_dave = WsrfClient(epr, transport=tls(site, site.dave))
    with pytest.raises(faults.Fault, match="only the creator"):
        as_dave.destroy()
    WsrfClient(epr, transport=alice).destroy()
    assert _call(site.container.https_url("Secure"), "delegatedIdentity", alice) == "none"


def _delegate_raw(site: Site, caller: Credential | None, chain: bytes) -> None:
    from gridware.clients.delegation import _call as delegation_call

    delegation_call(_delegation_url(site), tls(site, caller), "delegate", chain=chain.decode())


def test_delegations_that_must_be_refused(site, key_pool):
    from gridware.security.delegation import delegation_chain

    host_cert = site.host.certificate
    good = delegation_chain(site.alice, host_cert)
    # anonymous callers delegate nothing
    with pytest.raises(faults.Fault, match="no authenticated identity"):
        _delegate_raw(site, None, good)
    # one delegates only oneself: Dave sending Alice's chain
    with pytest.raises(faults.Fault, match=r"acts as .*Alice, but the caller is .*Dave"):
        _delegate_raw(site, site.dave, good)
    # a proxy for some other key is useless to the container
    other = delegation_chain(site.alice, site.bob.certificate)
    with pytest.raises(faults.Fault, match="not for this service's key"):
        _delegate_raw(site, site.alice, other)
    # a chain under an untrusted CA
    evil = CertificateAuthority.create(site.tmp / "evil-ca-3", site.ca.subject, key=key_pool[-9])
    fake_alice = evil.issue_user("Alice", key=key_pool[-10])
    with pytest.raises(faults.Fault, match="does not validate"):
        _delegate_raw(site, site.alice, delegation_chain(fake_alice, host_cert))
    # never a private key on the wire
    with pytest.raises(faults.Fault, match="must not carry a private key"):
        _delegate_raw(site, site.alice, good + site.alice.key_pem())
    # the user's own certificate, not a proxy
    with pytest.raises(faults.Fault):
        _delegate_raw(site, site.alice, site.alice.certificate_pem())


def test_the_client_does_not_delegate_to_an_impostor(site):
    from gridware.clients.delegation import delegate

    with pytest.raises(TransportError, match="not the expected"):
        delegate(
            _delegation_url(site),
            site.alice,
            transport=tls(site, site.alice),
            cert_dir=site.cert_dir,
            identity="/O=Grid/OU=Container Test/CN=elsewhere",
        )


def test_the_cli_delegates(site, tmp_path):
    env = {"X509_USER_PROXY": str(site.alice_proxy), "X509_CERT_DIR": str(site.cert_dir)}
    out = tmp_path / "delegated.epr"
    result = _gridware(
        "delegate", "--url", _delegation_url(site), "-e", str(out), "--lifetime", "1:00", env=env
    )
    assert result.returncode == 0, result.stderr
    epr = EndpointReference.read(out)
    alice = tls(site, site.alice)
    not_after = WsrfClient(epr, transport=alice).get_value("NotAfter", str)
    assert not_after.startswith(str(datetime.now(UTC).year))
    WsrfClient(epr, transport=alice).destroy()
    result = _gridware("delegate", "--url", _delegation_url(site), "--lifetime", "soon", env=env)
    assert result.returncode == 2 and "hours:minutes" in result.stderr
