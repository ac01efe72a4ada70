"""WS-Notification under GSI: subscribing is authorized from the producer's security
descriptor, a subscription is owned by its creator and used the way it was made,
notifications are signed (message security) or sent over HTTPS to a consumer that
must hold the subscriber's credential, and a listener checks what it receives.

One container process with a fresh PKI in tmp; listeners in this process.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from gridware.clients.counter import CounterClient
from gridware.clients.wsn import ProducerClient, SubscriptionClient
from gridware.container import faults
from gridware.container.client import HttpTransport
from gridware.container.security import secure_transport
from gridware.container.wsn import NotificationListener, Topic
from gridware.security import CertificateAuthority, Credential
from tests.conftest import RunningContainer, start_container
from tests.wsn.conftest import Inbox

COUNTER_NS = "http://gridware.org/samples/counter"
VALUE = Topic(COUNTER_NS, ("Value",))


@dataclass
class Site:
    ca: CertificateAuthority
    host: Credential
    alice: Credential  # gridmapped
    bob: Credential  # gridmapped
    mallory: Credential  # not in the grid-mapfile
    container: RunningContainer

    def tls(self, who: Credential, **kw) -> HttpTransport:
        return secure_transport(who, cert_dir=self.ca.trusted_directory, **kw)

    def signed(self, who: Credential) -> HttpTransport:
        return self.tls(who, message="signature")

    def listener(self, **kw) -> NotificationListener:
        kw.setdefault("cert_dir", self.ca.trusted_directory)
        return NotificationListener(**kw).start()


@pytest.fixture(scope="module")
def site(tmp_path_factory, key_pool) -> Site:
    tmp: Path = tmp_path_factory.mktemp("wsn-gsi")
    keys = iter(key_pool)
    ca = CertificateAuthority.create(tmp / "ca", "/O=Grid/OU=WSN Test/CN=Test CA", key=next(keys))
    host = ca.issue_host("localhost", key=next(keys))
    host.save(tmp / "hostcert.pem", tmp / "hostkey.pem", key_mode=0o600)
    alice = ca.issue_user("Alice", key=next(keys))
    bob = ca.issue_user("Bob", key=next(keys))
    mallory = ca.issue_user("Mallory", key=next(keys))
    gridmap = tmp / "grid-mapfile"
    gridmap.write_text(f'"{alice.subject}" alice\n"{bob.subject}" bob\n')
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
name = "SignedCounters"
class = "gridware.services.samples:CounterService"
[service.security]
message = "signature"
authorization = "gridmap"

[[service]]
name = "TlsCounters"
class = "gridware.services.samples:CounterService"
[service.security]
transport = "https"
authorization = "gridmap"

[[service]]
name = "PlainCounters"
class = "gridware.services.samples:CounterService"
"""
    )
    container = start_container("--config", str(config))
    yield Site(ca, host, alice, bob, mallory, container)
    container.stop()


def _counter(url: str, transport: HttpTransport | None) -> CounterClient:
    return CounterClient(CounterClient(url, transport=transport).create(), transport=transport)


def _subscribe(
    counter: CounterClient, listener: NotificationListener, inbox: Inbox, transport
) -> SubscriptionClient:
    consumer = listener.add(inbox, addressing=counter.dialect.addressing)
    producer = ProducerClient(counter.epr, transport=transport)
    return producer.subscribe(consumer.epr, VALUE)


# -- message security -------------------------------------------------------------------------


def test_signed_subscription_delivers_signed_notifications(site):
    transport = site.signed(site.alice)
    counter = _counter(site.container.url("SignedCounters"), transport)
    inbox = Inbox()
    with site.listener(require_signature=True, producer_identity=site.host.subject) as listener:
        sub = _subscribe(counter, listener, inbox, transport)
        counter.add(5)
        (n,) = inbox.wait(1)
        assert n.value(int) == 5
        assert n.signer == site.host.subject  # the listener verified the container's signature
        # the subscription is used the way it was made: signed, and by its creator only
        with pytest.raises(faults.Fault, match="signed"):
            SubscriptionClient(sub.epr).pause()
        with pytest.raises(faults.Fault, match="only the creator"):
            SubscriptionClient(sub.epr, transport=site.signed(site.bob)).pause()
        with pytest.raises(faults.Fault, match="only the creator"):
            SubscriptionClient(sub.epr, transport=site.signed(site.mallory)).unsubscribe()
        counter.add(1)
        assert inbox.wait(2)[1].value(int) == 6  # still active: none of that took effect
        sub.pause()
        counter.add(1)
        assert len(inbox.quiet(0.5)) == 2
        sub.resume()
        counter.add(1)
        assert inbox.wait(3)[2].value(int) == 8
        sub.unsubscribe()
    counter.destroy()


def test_subscribe_is_authorized_like_every_operation(site):
    counter = _counter(site.container.url("SignedCounters"), site.signed(site.alice))
    with site.listener() as listener:
        consumer = listener.add(Inbox())
        with pytest.raises(faults.Fault, match="not in the grid-mapfile"):
            ProducerClient(counter.epr, transport=site.signed(site.mallory)).subscribe(
                consumer.epr, VALUE
            )
        with pytest.raises(faults.Fault, match="signed"):
            ProducerClient(counter.epr).subscribe(consumer.epr, VALUE)
        tls_epr = CounterClient(
            site.container.https_url("TlsCounters"), transport=site.tls(site.alice)
        ).create()
        plain_epr = dataclasses.replace(tls_epr, address=site.container.url("TlsCounters"))
        with pytest.raises(faults.Fault, match="requires HTTPS"):
            ProducerClient(plain_epr).subscribe(consumer.epr, VALUE)
        CounterClient(tls_epr, transport=site.tls(site.alice)).destroy()
    counter.destroy()


def test_a_listener_requiring_signatures_refuses_unsigned_notifications(site):
    counter = _counter(site.container.url("PlainCounters"), None)
    inbox = Inbox()
    with site.listener(require_signature=True) as listener:
        _subscribe(counter, listener, inbox, None)
        counter.add(1)
        deadline = time.monotonic() + 10
        while listener.refused == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert listener.refused >= 1
        assert inbox.quiet(0.3) == []  # never reached the callback
    counter.destroy()


def test_a_listener_refuses_a_signer_it_was_not_told_to_expect(site):
    transport = site.signed(site.alice)
    counter = _counter(site.container.url("SignedCounters"), transport)
    inbox = Inbox()
    with site.listener(require_signature=True, producer_identity=site.alice.subject) as listener:
        _subscribe(counter, listener, inbox, transport)
        counter.add(1)
        deadline = time.monotonic() + 10
        while listener.refused == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert listener.refused >= 1
        assert inbox.quiet(0.3) == []
    counter.destroy()


def test_a_listener_trusting_another_ca_refuses_signed_notifications(site, tmp_path, key_pool):
    other = CertificateAuthority.create(tmp_path / "other", "/O=Elsewhere/CN=CA", key=key_pool[5])
    transport = site.signed(site.alice)
    counter = _counter(site.container.url("SignedCounters"), transport)
    inbox = Inbox()
    with site.listener(require_signature=True, cert_dir=other.trusted_directory) as listener:
        _subscribe(counter, listener, inbox, transport)
        counter.add(1)
        deadline = time.monotonic() + 10
        while listener.refused == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert listener.refused >= 1
        assert inbox.quiet(0.3) == []
    counter.destroy()


# -- transport security -----------------------------------------------------------------------


def test_https_notifications_reach_the_subscriber(site):
    alice_proxy = site.alice.create_proxy()
    transport = site.tls(alice_proxy)
    counter = _counter(site.container.https_url("TlsCounters"), transport)
    inbox = Inbox()
    with site.listener(
        https=True, credential=alice_proxy, producer_identity=site.host.subject
    ) as listener:
        assert listener.url.startswith("https://")
        sub = _subscribe(counter, listener, inbox, transport)
        assert sub.epr.address.startswith("https://")  # the manager follows the producer
        counter.add(3)
        assert inbox.wait(1)[0].value(int) == 3
        with pytest.raises(faults.Fault, match="only the creator"):
            SubscriptionClient(sub.epr, transport=site.tls(site.bob)).unsubscribe()
        sub.unsubscribe()
    counter.destroy()


def test_https_notifications_are_not_sent_to_someone_else(site):
    """Alice subscribes a consumer that holds Bob's credential: the container refuses to
    hand Alice's notifications to it (the consumer must be the subscriber or its host)."""
    transport = site.tls(site.alice)
    counter = _counter(site.container.https_url("TlsCounters"), transport)
    inbox = Inbox()
    with site.listener(https=True, credential=site.bob) as listener:
        _subscribe(counter, listener, inbox, transport)
        counter.add(1)
        counter.add(1)
        assert inbox.quiet(1.5) == []
        assert site.container.wait_for("not .*Alice|identifies as .*Bob", timeout=10)
    counter.destroy()
