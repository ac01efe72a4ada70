"""ServiceGroups and the default index under GSI: Add is authorized from the security
descriptor like any operation, entries belong to whoever added them, and signed
messages work for the index.  One container process, a fresh PKI in tmp.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree

from gridware.clients.servicegroup import IndexClient, ServiceGroupClient
from gridware.clients.wsrf import WsrfClient
from gridware.container import faults
from gridware.container.addressing import EndpointReference
from gridware.container.client import HttpTransport
from gridware.container.security import secure_transport
from gridware.security import CertificateAuthority, Credential
from tests.conftest import RunningContainer, start_container


@dataclass
class Site:
    ca: CertificateAuthority
    alice: Credential  # gridmapped, may Add
    dave: Credential  # gridmapped, may read, may not Add
    bob: Credential  # not in the grid-mapfile
    container: RunningContainer

    def tls(self, who: Credential, **kw) -> HttpTransport:
        return secure_transport(who, cert_dir=self.ca.trusted_directory, **kw)

    def group(self, who: Credential) -> ServiceGroupClient:
        return ServiceGroupClient(self.container.https_url("SecureGroup"), transport=self.tls(who))


@pytest.fixture(scope="module")
def site(tmp_path_factory, key_pool) -> Site:
    tmp: Path = tmp_path_factory.mktemp("sg-gsi")
    keys = iter(key_pool)
    ca = CertificateAuthority.create(tmp / "ca", "/O=Grid/OU=SG Test/CN=Test CA", key=next(keys))
    host = ca.issue_host("localhost", key=next(keys))
    host.save(tmp / "hostcert.pem", tmp / "hostkey.pem", key_mode=0o600)
    alice = ca.issue_user("Alice", key=next(keys))
    dave = ca.issue_user("Dave", key=next(keys))
    bob = ca.issue_user("Bob", key=next(keys))
    gridmap = tmp / "grid-mapfile"
    gridmap.write_text(f'"{alice.subject}" alice\n"{dave.subject}" dave\n')
    config = tmp / "container.toml"
    config.write_text(
        f"""
[container]
sweep_interval = 0.2

[container.security]
certificate = "{tmp / "hostcert.pem"}"
key = "{tmp / "hostkey.pem"}"
cert_dir = "{ca.trusted_directory}"
gridmap = "{gridmap}"
https_port = 0

[[service]]
name = "SecureGroup"
class = "gridware.container.servicegroup:ServiceGroupService"
[service.security]
transport = "https"
authorization = "gridmap"
[service.security.operations.Add]
authorization = "identity"
identity = ["{alice.subject}"]

[[service]]
name = "DefaultIndexService"
class = "gridware.container.index:DefaultIndexService"
[service.security]
message = "signature"
authorization = "gridmap"
"""
    )
    container = start_container("--demo", "--config", str(config))
    yield Site(ca, alice, dave, bob, container)
    container.stop()


def _content() -> etree._Element:
    content = etree.Element("Content")
    etree.SubElement(content, "{urn:test}Info").text = "secure"
    return content


MEMBER = EndpointReference("http://example.org/member")


def test_add_is_authorized_by_the_descriptor(site):
    added = site.group(site.alice).add(MEMBER, _content())
    assert added.entry.address.startswith("https://")  # entries follow the group's transport
    with pytest.raises(faults.Fault, match="not authorized"):
        site.group(site.dave).add(MEMBER, _content())  # gridmapped, but not allowed to Add
    with pytest.raises(faults.Fault, match="Bob is not allowed"):
        site.group(site.bob).add(MEMBER, _content())
    # reading follows the group's default policy: dave may, bob may not
    assert [e.entry for e in site.group(site.dave).entries()] == [added.entry]
    with pytest.raises(faults.Fault, match="not in the grid-mapfile"):
        site.group(site.bob).entries()
    with pytest.raises(faults.Fault, match="requires HTTPS"):
        ServiceGroupClient(site.container.url("SecureGroup")).add(MEMBER, _content())
    WsrfClient(added.entry, transport=site.tls(site.alice)).destroy()


def test_entries_belong_to_whoever_added_them(site):
    added = site.group(site.alice).add(MEMBER, _content())
    as_dave = WsrfClient(added.entry, transport=site.tls(site.dave))
    assert as_dave.document() is not None  # readable by the gridmapped
    with pytest.raises(faults.Fault, match="only the creator"):
        as_dave.destroy()
    with pytest.raises(faults.Fault, match="only the creator"):
        as_dave.set_termination_time(timedelta(seconds=1))
    with pytest.raises(faults.Fault, match="not in the grid-mapfile"):
        WsrfClient(added.entry, transport=site.tls(site.bob)).destroy()
    as_alice = WsrfClient(added.entry, transport=site.tls(site.alice))
    as_alice.set_termination_time(timedelta(minutes=5))
    as_alice.destroy()
    assert added.entry not in [e.entry for e in site.group(site.alice).entries()]


def test_the_index_takes_signed_messages(site):
    signed = site.tls(site.alice, message="signature")
    index = IndexClient(site.container.url("DefaultIndexService"), transport=signed)
    assert "CounterService" in index.services()  # the container registered its services
    added = index.register(MEMBER, interval=None)
    with pytest.raises(faults.Fault, match="signed"):
        IndexClient(site.container.url("DefaultIndexService")).services()
    bob = IndexClient(
        site.container.url("DefaultIndexService"),
        transport=site.tls(site.bob, message="signature"),
    )
    with pytest.raises(faults.Fault, match="not in the grid-mapfile"):
        bob.register(MEMBER, interval=None)
    dave = WsrfClient(added.entry, transport=site.tls(site.dave, message="signature"))
    with pytest.raises(faults.Fault, match="only the creator"):
        dave.destroy()
    WsrfClient(added.entry, transport=signed).destroy()
