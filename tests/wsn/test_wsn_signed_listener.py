"""A listener that requires signed notifications, fed envelopes directly (no sockets)."""

from __future__ import annotations

import uuid

from lxml import etree

from gridware.container.dialects import WSRF_1_2
from gridware.container.wsn import NotificationListener, Topic
from gridware.container.wsn.messages import (
    NotifyWriter,
    message_bytes,
    topic_bytes,
    value_change_message,
)
from gridware.security import CertificateAuthority
from gridware.security.wssec import sign
from tests.wsn.conftest import VALUE


def _signed_notify(writer: NotifyWriter, credential, value: int) -> bytes:
    new = etree.Element(VALUE)
    new.text = str(value)
    payload = etree.tostring(value_change_message(WSRF_1_2, None, [new]))
    topic = topic_bytes(writer.wsn, Topic.parse(VALUE))
    envelope = etree.fromstring(writer.notify([message_bytes(writer.wsn, topic, payload)]))
    sign(envelope, credential)
    return etree.tostring(envelope)


def test_a_producer_chain_is_validated_once_not_per_notification(tmp_path):
    ca = CertificateAuthority.create(tmp_path / "ca", f"/O=Grid/CN=CA {uuid.uuid4()}")
    host = ca.issue_host("localhost")
    got = []
    listener = NotificationListener(require_signature=True, cert_dir=ca.trusted_directory)
    try:
        consumer = listener.add(got.append)
        verifier = listener._verifier
        assert verifier is not None
        validations = []
        validate = verifier.validator.validate

        def counting(*args, **kw):
            validations.append(1)
            return validate(*args, **kw)

        verifier.validator.validate = counting  # type: ignore[method-assign]
        writer = NotifyWriter(consumer.epr, WSRF_1_2)
        for value in (1, 2, 3):
            status, _, dispatch = listener._handle(_signed_notify(writer, host, value))
            assert status == 202
            for c, n in dispatch:
                listener._call(c, n)
        assert [n.value(int) for n in got] == [1, 2, 3]
        assert all(n.signer == host.subject for n in got)
        assert len(validations) == 1
    finally:
        listener.close()
