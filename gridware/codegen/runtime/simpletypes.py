"""Lexical forms of the XML Schema built-in simple types, both ways.

Each :class:`SimpleType` turns text from the wire into a Python value
(``parse``) and a Python value into its canonical text (``format``).  Both
raise :class:`SimpleTypeError` with a message that says what was wrong.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

XSD_NS = "http://www.w3.org/2001/XMLSchema"


class SimpleTypeError(ValueError):
    """A value does not fit its XML Schema type."""


@dataclass(frozen=True, slots=True)
class SimpleType:
    """An XML Schema simple type: its name, Python type and lexical mapping."""

    name: str
    python_type: type
    parse: Callable[[str], Any]
    format: Callable[[Any], str]

    @property
    def qname(self) -> str:
        """The type's QName in Clark notation (``{ns}local``)."""
        return f"{{{XSD_NS}}}{self.name}"


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _integer(name: str, low: int | None, high: int | None) -> SimpleType:
    def parse(text: str) -> int:
        t = text.strip()
        if not re.fullmatch(r"[+-]?[0-9]+", t):
            raise SimpleTypeError(f"{t[:40]!r} is not a valid xsd:{name}")
        v = int(t)
        check(v)
        return v

    def check(v: int) -> None:
        if (low is not None and v < low) or (high is not None and v > high):
            raise SimpleTypeError(f"{v} is out of range for xsd:{name} [{low}, {high}]")

    def fmt(v: Any) -> str:
        if isinstance(v, bool) or not isinstance(v, int):
            raise SimpleTypeError(f"xsd:{name} needs an int, not {type(v).__name__}")
        check(v)
        return str(v)

    return SimpleType(name, int, parse, fmt)


def _parse_bool(text: str) -> bool:
    t = text.strip()
    if t in ("true", "1"):
        return True
    if t in ("false", "0"):
        return False
    raise SimpleTypeError(f"{t[:40]!r} is not a valid xsd:boolean (true, false, 1, 0)")


def _format_bool(v: Any) -> str:
    if not isinstance(v, bool):
        raise SimpleTypeError(f"xsd:boolean needs a bool, not {type(v).__name__}")
    return "true" if v else "false"


def _parse_double(text: str) -> float:
    t = text.strip()
    specials = {"INF": math.inf, "+INF": math.inf, "-INF": -math.inf, "NaN": math.nan}
    if t in specials:
        return specials[t]
    if not re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", t):
        raise SimpleTypeError(f"{t[:40]!r} is not a valid xsd:double")
    return float(t)


def _format_double(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise SimpleTypeError(f"xsd:double needs a float, not {type(v).__name__}")
    f = float(v)
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "INF" if f > 0 else "-INF"
    return repr(f)


def _parse_decimal(text: str) -> Decimal:
    t = text.strip()
    if not re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", t):
        raise SimpleTypeError(f"{t[:40]!r} is not a valid xsd:decimal")
    try:
        return Decimal(t)
    except InvalidOperation as exc:  # pragma: no cover - the pattern guards this
        raise SimpleTypeError(f"{t[:40]!r} is not a valid xsd:decimal") from exc


def _format_decimal(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, int | Decimal):
        raise SimpleTypeError(f"xsd:decimal needs a Decimal or int, not {type(v).__name__}")
    d = Decimal(v)
    if not d.is_finite():
        raise SimpleTypeError("xsd:decimal has no infinities or NaN")
    s = format(d, "f")
    return s


def _format_string(v: Any) -> str:
    if not isinstance(v, str):
        raise SimpleTypeError(f"xsd:string needs a str, not {type(v).__name__}")
    return v


_DT_RE = re.compile(
    r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)


def _tz(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise SimpleTypeError(f"time zone {text!r} is out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_datetime(text: str) -> datetime:
    """Parse an ``xsd:dateTime``.  Values without a time zone are taken as UTC."""
    t = text.strip()
    m = _DT_RE.fullmatch(t)
    if not m:
        raise SimpleTypeError(f"{t[:40]!r} is not a valid xsd:dateTime (e.g. 2026-01-31T12:00:00Z)")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    frac = m.group(7)
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    tz = _tz(m.group(8)) or UTC
    extra = timedelta(0)
    if hour == 24:
        if minute or second or micro:
            raise SimpleTypeError(f"{t!r}: 24:00:00 is the only time allowed with hour 24")
        hour, extra = 0, timedelta(days=1)
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz) + extra
    except ValueError as exc:
        raise SimpleTypeError(f"{t[:40]!r} is not a valid xsd:dateTime: {exc}") from exc


def format_datetime(value: datetime) -> str:
    """Format an aware (or UTC-naive) datetime as canonical UTC ``xsd:dateTime``."""
    if not isinstance(value, datetime):
        raise SimpleTypeError(f"xsd:dateTime needs a datetime, not {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    v = value.astimezone(UTC)
    base = f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
    if v.microsecond:
        base += f".{v.microsecond:06d}".rstrip("0")
    return base + "Z"


_DUR_RE = re.compile(
    r"(-)?P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)D)?"
    r"(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?"
)


@dataclass(frozen=True, slots=True)
class Duration:
    """An ``xsd:duration``: months and seconds kept apart, as the standard does."""

    months: int
    seconds: Decimal

    def after(self, start: datetime) -> datetime:
        """The instant this duration after ``start`` (calendar-aware for months)."""
        total = start.year * 12 + (start.month - 1) + self.months
        year, month = divmod(total, 12)
        day = min(start.day, calendar.monthrange(year, month + 1)[1])
        moved = start.replace(year=year, month=month + 1, day=day)
        return moved + timedelta(seconds=float(self.seconds))


def parse_duration(text: str) -> Duration:
    """Parse an ``xsd:duration`` such as ``PT30M`` or ``P1DT2H``."""
    t = text.strip()
    m = _DUR_RE.fullmatch(t)
    if not m or t in ("P", "-P") or t.endswith("T"):
        raise SimpleTypeError(f"{t[:40]!r} is not a valid xsd:duration (e.g. PT30M, P1DT2H)")
    neg = -1 if m.group(1) else 1
    years, months, days, hours, minutes = (int(g) if g else 0 for g in m.groups()[1:6])
    secs = Decimal(m.group(7)) if m.group(7) else Decimal(0)
    total_seconds = ((days * 24 + hours) * 60 + minutes) * 60 + secs
    return Duration(neg * (years * 12 + months), neg * total_seconds)


def _format_duration(v: Any) -> str:
    if isinstance(v, timedelta):
        v = Duration(0, Decimal(str(v.total_seconds())))
    if not isinstance(v, Duration):
        raise SimpleTypeError(f"xsd:duration needs a Duration or timedelta, not {type(v).__name__}")
    neg = v.months < 0 or v.seconds < 0
    months, secs = abs(v.months), abs(v.seconds)
    out = "-P" if neg else "P"
    years, months = divmod(months, 12)
    if years:
        out += f"{years}Y"
    if months:
        out += f"{months}M"
    days, rest = divmod(secs, 86400)
    if days:
        out += f"{int(days)}D"
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    if hours or minutes or rest or out in ("P", "-P"):
        out += "T"
        if hours:
            out += f"{int(hours)}H"
        if minutes:
            out += f"{int(minutes)}M"
        if rest or not (hours or minutes):
            out += f"{format(rest.normalize(), 'f')}S"
    return out


def _parse_base64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error as exc:
        raise SimpleTypeError(f"not valid xsd:base64Binary: {exc}") from exc


def _format_bytes(encode: Callable[[bytes], bytes], name: str) -> Callable[[Any], str]:
    def fmt(v: Any) -> str:
        if not isinstance(v, bytes | bytearray):
            raise SimpleTypeError(f"xsd:{name} needs bytes, not {type(v).__name__}")
        return encode(bytes(v)).decode("ascii")

    return fmt


def _parse_hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text.strip())
    except ValueError as exc:
        raise SimpleTypeError(f"not valid xsd:hexBinary: {exc}") from exc


def _string_like(name: str, parse: Callable[[str], str] = lambda s: s) -> SimpleType:
    return SimpleType(name, str, parse, _format_string)


_INTS = {
    "integer": (None, None),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 255),
}

SIMPLE_TYPES: dict[str, SimpleType] = {
    name: _integer(name, low, high) for name, (low, high) in _INTS.items()
}
SIMPLE_TYPES.update(
    {
        "string": _string_like("string"),
        "normalizedString": _string_like("normalizedString"),
        "token": _string_like("token", _collapse),
        "anyURI": _string_like("anyURI", str.strip),
        "NCName": _string_like("NCName", str.strip),
        "language": _string_like("language", str.strip),
        "boolean": SimpleType("boolean", bool, _parse_bool, _format_bool),
        "double": SimpleType("double", float, _parse_double, _format_double),
        "float": SimpleType("float", float, _parse_double, _format_double),
        "decimal": SimpleType("decimal", Decimal, _parse_decimal, _format_decimal),
        "dateTime": SimpleType("dateTime", datetime, parse_datetime, format_datetime),
        "duration": SimpleType("duration", Duration, parse_duration, _format_duration),
        "base64Binary": SimpleType(
            "base64Binary", bytes, _parse_base64, _format_bytes(base64.b64encode, "base64Binary")
        ),
        "hexBinary": SimpleType(
            "hexBinary",
            bytes,
            _parse_hex,
            _format_bytes(lambda b: b.hex().upper().encode(), "hexBinary"),
        ),
    }
)

_BY_PYTHON: dict[type, str] = {
    int: "int",
    str: "string",
    bool: "boolean",
    float: "double",
    Decimal: "decimal",
    datetime: "dateTime",
    bytes: "base64Binary",
}


def simple_type(spec: SimpleType | str | type) -> SimpleType:
    """Find a simple type by object, XSD local name (``"int"``, ``"xsd:int"``) or Python type."""
    if isinstance(spec, SimpleType):
        return spec
    if isinstance(spec, type):
        try:
            return SIMPLE_TYPES[_BY_PYTHON[spec]]
        except KeyError:
            raise SimpleTypeError(
                f"no XML Schema simple type for Python type {spec.__name__}"
            ) from None
    name = spec.split(":", 1)[-1].rsplit("}", 1)[-1]
    try:
        return SIMPLE_TYPES[name]
    except KeyError:
        raise SimpleTypeError(f"unknown XML Schema simple type {spec!r}") from None
