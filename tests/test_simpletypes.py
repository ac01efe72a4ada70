"""XML Schema simple types: lexical forms both ways, and round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridware.codegen.runtime import SimpleTypeError, parse_datetime, parse_duration, simple_type
from gridware.codegen.runtime.simpletypes import Duration, format_datetime


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("int", " 42 ", 42),
        ("int", "-2147483648", -(2**31)),
        ("boolean", "1", True),
        ("boolean", "false", False),
        ("double", "INF", float("inf")),
        ("double", "1e3", 1000.0),
        ("decimal", "-0.50", Decimal("-0.50")),
        ("dateTime", "2004-04-12T13:20:00-05:00", datetime(2004, 4, 12, 18, 20, tzinfo=UTC)),
        (
            "dateTime",
            "2004-04-12T13:20:00.5Z",
            datetime(2004, 4, 12, 13, 20, 0, 500000, tzinfo=UTC),
        ),
        ("dateTime", "2004-04-12T24:00:00Z", datetime(2004, 4, 13, tzinfo=UTC)),
        ("token", "  a   b ", "a b"),
        ("base64Binary", "aGk=", b"hi"),
        ("hexBinary", "0aFF", b"\x0a\xff"),
    ],
)
def test_parse(name, text, value):
    assert simple_type(name).parse(text) == value


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("int", "2147483648"),
        ("int", "1.0"),
        ("int", "abc"),
        ("unsignedByte", "256"),
        ("boolean", "yes"),
        ("double", "1,5"),
        ("decimal", "1e5"),
        ("dateTime", "2004-13-01T00:00:00Z"),
        ("dateTime", "2004-04-12 13:20:00"),
        ("dateTime", "2004-04-12T24:00:01Z"),
        ("dateTime", "2004-04-12T13:20:00+15:00"),
        ("base64Binary", "!!!"),
        ("hexBinary", "0g"),
        ("duration", "P"),
        ("duration", "PT"),
        ("duration", "1D"),
    ],
)
def test_rejects(name, text):
    with pytest.raises(SimpleTypeError):
        simple_type(name).parse(text)


def test_format_checks_types():
    with pytest.raises(SimpleTypeError):
        simple_type("int").format("5")
    with pytest.raises(SimpleTypeError):
        simple_type("int").format(True)
    with pytest.raises(SimpleTypeError):
        simple_type("int").format(2**31)
    with pytest.raises(SimpleTypeError):
        simple_type("boolean").format(1)


def test_lookup():
    assert simple_type(int).name == "int"
    assert simple_type("xsd:dateTime").name == "dateTime"
    assert simple_type("{http://www.w3.org/2001/XMLSchema}long").name == "long"
    with pytest.raises(SimpleTypeError):
        simple_type("xsd:nope")
    with pytest.raises(SimpleTypeError):
        simple_type(dict)


def test_durations():
    d = parse_duration("P1Y2M3DT4H5M6.5S")
    assert d.months == 14 and d.seconds == Decimal("273906.5")
    assert parse_duration("-PT1M") == Duration(0, Decimal(-60))
    start = datetime(2024, 1, 31, tzinfo=UTC)
    assert parse_duration("P1M").after(start) == datetime(2024, 2, 29, tzinfo=UTC)
    assert simple_type("duration").format(parse_duration("P1DT2H")) == "P1DT2H"
    assert simple_type("duration").format(timedelta(minutes=30)) == "PT30M"
    assert simple_type("duration").format(Duration(0, Decimal(0))) == "PT0S"


@given(
    st.datetimes(timezones=st.just(UTC))
    | st.datetimes(timezones=st.just(timezone(timedelta(hours=-7))))
)
def test_datetime_round_trip(dt):
    assert parse_datetime(format_datetime(dt)) == dt


@given(st.integers(-(2**31), 2**31 - 1))
def test_int_round_trip(n):
    t = simple_type("int")
    assert t.parse(t.format(n)) == n


@given(st.floats(allow_nan=False))
def test_double_round_trip(f):
    t = simple_type("double")
    assert t.parse(t.format(f)) == f


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_round_trip(d):
    t = simple_type("decimal")
    assert t.parse(t.format(d)) == d


@given(st.binary())
def test_binary_round_trips(b):
    for name in ("base64Binary", "hexBinary"):
        t = simple_type(name)
        assert t.parse(t.format(b)) == b


@given(st.integers(-(10**6), 10**6), st.integers(0, 10**9))
def test_duration_round_trip(months, seconds):
    sign = -1 if months < 0 else 1
    d = Duration(months, Decimal(sign * seconds))
    t = simple_type("duration")
    assert t.parse(t.format(d)) == d
