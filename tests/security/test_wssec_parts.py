"""The parts of gridware.security.wssec: replay cache, timestamps, tokens, envelopes."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from gridware.security.wssec import (
    MalformedMessageError,
    MessageExpiredError,
    MessageNotYetValidError,
    ReplayCache,
    ReplayedMessageError,
    SignatureWrappingError,
    Timestamp,
)
from gridware.security.wssec.soap import Envelope, index_ids
from gridware.security.wssec.timestamp import format_datetime, parse_datetime
from gridware.security.wssec.token import encode_token, read_token

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


# -- replay cache ----------------------------------------------------------------------------


def key(n: int) -> bytes:
    return ReplayCache.key(n.to_bytes(4, "big"), T0, T0 + 5 * MINUTE)


def test_replay_cache_refuses_a_second_copy():
    cache = ReplayCache()
    cache.add(key(1), T0 + 5 * MINUTE, T0)
    assert cache.seen(key(1), T0)
    with pytest.raises(ReplayedMessageError):
        cache.add(key(1), T0 + 5 * MINUTE, T0 + MINUTE)
    cache.add(key(2), T0 + 5 * MINUTE, T0)
    assert len(cache) == 2


def test_replay_cache_entries_expire_with_the_message():
    cache = ReplayCache()
    cache.add(key(1), T0 + 5 * MINUTE, T0)
    assert not cache.seen(key(1), T0 + 6 * MINUTE)
    cache.add(key(2), T0 + 20 * MINUTE, T0 + 6 * MINUTE)  # purges the expired entry
    assert len(cache) == 1


def test_replay_cache_key_depends_on_signature_and_timestamp():
    signature = b"\x01" * 256
    a = ReplayCache.key(signature, T0, T0 + 5 * MINUTE)
    assert a == ReplayCache.key(signature, T0, T0 + 5 * MINUTE)
    assert a != ReplayCache.key(signature, T0 + MINUTE, T0 + 5 * MINUTE)
    assert a != ReplayCache.key(signature, T0, T0 + 6 * MINUTE)
    assert a != ReplayCache.key(b"\x02" * 256, T0, T0 + 5 * MINUTE)


def test_full_replay_cache_fails_closed_for_the_oldest_messages():
    cache = ReplayCache(max_entries=3)
    for n in range(3):
        cache.add(key(n), T0 + (n + 1) * MINUTE, T0)
    cache.add(key(10), T0 + 10 * MINUTE, T0)  # drops the entry expiring at T0 + 1 min
    assert len(cache) == 3
    # a message expiring no later than a forgotten one might be a replay: refused
    with pytest.raises(ReplayedMessageError, match="too old"):
        cache.add(key(0), T0 + MINUTE, T0)
    with pytest.raises(ReplayedMessageError, match="too old"):
        cache.add(key(20), T0 + MINUTE - timedelta(seconds=1), T0)
    # fresh messages are still accepted, and still recognized when replayed
    cache.add(key(21), T0 + 11 * MINUTE, T0)
    with pytest.raises(ReplayedMessageError):
        cache.add(key(21), T0 + 11 * MINUTE, T0)
    assert len(cache) == 3


def test_replay_cache_is_thread_safe():
    cache = ReplayCache(max_entries=10_000)
    accepted: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(500):
            try:
                cache.add(key(i), T0 + 5 * MINUTE, T0)
            except ReplayedMessageError:
                continue
            with lock:
                accepted.append(i)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(accepted) == list(range(500))  # each message accepted exactly once


def test_replay_cache_needs_room():
    with pytest.raises(ValueError):
        ReplayCache(max_entries=0)


# -- timestamps -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-01T12:00:00Z", T0),
        ("2030-01-01T12:00:00.5Z", T0 + timedelta(milliseconds=500)),
        ("2030-01-01T12:00:00.123456789Z", T0 + timedelta(microseconds=123456)),
        ("2030-01-01T13:30:00+01:30", T0),
        ("2030-01-01T10:00:00-02:00", T0),
        ("  2030-01-01T12:00:00Z\n", T0),
    ],
)
def test_parse_datetime(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2030-01-01T12:00:00",
        "2030-01-01",
        "2030-13-01T12:00:00Z",
        "tomorrow",
        "",
        "2030-01-01T12:00Z",
    ],
)
def test_parse_datetime_refuses(text):
    with pytest.raises(MalformedMessageError):
        parse_datetime(text)


def test_format_datetime_is_utc_with_milliseconds():
    when = datetime(2030, 1, 1, 13, 0, 0, 123999, tzinfo=UTC) + timedelta(hours=0)
    assert format_datetime(when) == "2030-01-01T13:00:00.123Z"


def test_timestamp_starts_at_a_whole_millisecond():
    stamp = Timestamp.starting(T0 + timedelta(microseconds=1500), 5 * MINUTE)
    assert stamp.created == T0 + timedelta(milliseconds=1)
    assert stamp.expires == stamp.created + 5 * MINUTE
    assert parse_datetime(format_datetime(stamp.created)) == stamp.created


def test_timestamp_freshness():
    stamp = Timestamp(T0, T0 + 5 * MINUTE)
    stamp.check(T0, timedelta(0))
    stamp.check(T0 - MINUTE, 2 * MINUTE)
    stamp.check(T0 + 6 * MINUTE, 2 * MINUTE)
    with pytest.raises(MessageNotYetValidError):
        stamp.check(T0 - 3 * MINUTE, 2 * MINUTE)
    with pytest.raises(MessageExpiredError):
        stamp.check(T0 + 8 * MINUTE, 2 * MINUTE)


def test_timestamp_without_expires_lasts_the_default_ttl():
    wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    element = etree.fromstring(
        f'<wsu:Timestamp xmlns:wsu="{wsu}"><wsu:Created>2030-01-01T12:00:00Z</wsu:Created>'
        "</wsu:Timestamp>"
    )
    assert Timestamp.read(element) == Timestamp(T0, T0 + 5 * MINUTE)


@pytest.mark.parametrize(
    "inner",
    [
        "",
        "<wsu:Expires>2030-01-01T12:00:00Z</wsu:Expires>",
        "<wsu:Created>2030-01-01T12:00:00Z</wsu:Created>" * 2,
        "<wsu:Created>2030-01-01T12:00:00Z</wsu:Created><wsu:Expires>2029-01-01T12:00:00Z</wsu:Expires>",
    ],
)
def test_malformed_timestamps(inner):
    wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    element = etree.fromstring(f'<wsu:Timestamp xmlns:wsu="{wsu}">{inner}</wsu:Timestamp>')
    with pytest.raises(MalformedMessageError):
        Timestamp.read(element)


# -- tokens and envelopes ------------------------------------------------------------------


def test_token_round_trip(pki):
    proxy = pki.proxy(pki.proxy())
    value_type, data = encode_token(proxy.certificates)
    token = etree.Element("token", ValueType=value_type)
    token.text = base64.b64encode(data).decode()
    certificates, read_type = read_token(token)
    assert certificates == proxy.certificates and read_type == value_type
    with pytest.raises(ValueError):
        encode_token([])


def test_envelope_parts():
    soap = "http://www.w3.org/2003/05/soap-envelope"
    envelope = etree.fromstring(f'<e:Envelope xmlns:e="{soap}"><e:Body/></e:Envelope>'.encode())
    parts = Envelope.of(envelope)
    assert parts.header is None and parts.body is envelope[0] and parts.soap == soap
    with pytest.raises(MalformedMessageError):
        Envelope.of(etree.fromstring(f'<e:Envelope xmlns:e="{soap}"/>'.encode()))
    with pytest.raises(SignatureWrappingError):
        Envelope.of(
            etree.fromstring(
                f'<e:Envelope xmlns:e="{soap}"><e:Header/><e:Header/><e:Body/></e:Envelope>'.encode()
            )
        )


def test_ids_are_indexed_across_the_whole_document():
    wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    root = etree.fromstring(
        f'<r xmlns:wsu="{wsu}"><a wsu:Id="x" Id="x"/><b Id="y"/><c xml:id="z"/></r>'.encode()
    )
    ids = index_ids(root[0])  # from any element: the whole document is indexed
    assert {k: v.element.tag for k, v in ids.items()} == {"x": "a", "y": "b", "z": "c"}
    assert ids["x"].attribute == f"{{{wsu}}}Id"
