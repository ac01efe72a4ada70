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
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

XSD_NS = "http://www.w3.org/2001/XMLSchema"


XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_SPACE = " \t\r\n"
"""XML Schema whitespace: space, tab, CR and LF only (not NBSP or other Unicode spaces)."""
_XML_SPACE_RUN = re.compile("[ \t\r\n]+")


def xml_split(text: str) -> list[str]:
    """Split on XML whitespace (as list types and whiteSpace=collapse do)."""
    return [t for t in _XML_SPACE_RUN.split(text) if t]


class SimpleTypeError(ValueError):
    """A value does not fit its XML Schema type."""


@dataclass(frozen=True, slots=True)
class SimpleType:
    """An XML Schema simple type: its name, Python type and lexical mapping.

    Types whose values depend on the element they appear in (``xsd:QName``)
    set ``parse_in``/``format_in``, which take that element too.
    """

    name: str
    python_type: type
    parse: Callable[[str], Any]
    format: Callable[[Any], str]
    parse_in: Callable[[str, Any], Any] | None = None
    format_in: Callable[[Any, Any], str] | None = None
    namespace: str = XSD_NS

    @property
    def qname(self) -> str:
        """The type's QName in Clark notation (``{ns}local``)."""
        return f"{{{self.namespace}}}{self.name}"

    def read(self, text: str, element: Any) -> Any:
        """Parse ``text`` found in ``element`` (resolving prefixes if needed)."""
        if self.parse_in is not None:
            return self.parse_in(text, element)
        return self.parse(text)

    def write(self, value: Any, element: Any) -> str:
        """Format ``value`` for ``element`` (declaring prefixes there if needed)."""
        if self.format_in is not None:
            return self.format_in(value, element)
        return self.format(value)


_INT_RE = re.compile(r"[+-]?[0-9]+")
_DOUBLE_RE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_DECIMAL_RE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


def _collapse(text: str) -> str:
    return " ".join(xml_split(text))


def _integer(name: str, low: int | None, high: int | None) -> SimpleType:
    def parse(text: str) -> int:
        t = text.strip(XML_SPACE)
        if not _INT_RE.fullmatch(t):
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
    t = text.strip(XML_SPACE)
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
    t = text.strip(XML_SPACE)
    specials = {"INF": math.inf, "+INF": math.inf, "-INF": -math.inf, "NaN": math.nan}
    if t in specials:
        return specials[t]
    if not _DOUBLE_RE.fullmatch(t):
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
    t = text.strip(XML_SPACE)
    if not _DECIMAL_RE.fullmatch(t):
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
    t = text.strip(XML_SPACE)
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
    try:
        v = value.astimezone(UTC)
    except OverflowError:
        raise SimpleTypeError(f"{value.isoformat()} is out of range in UTC") from None
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
    t = text.strip(XML_SPACE)
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
    if (v.months < 0 < v.seconds) or (v.seconds < 0 < v.months):
        raise SimpleTypeError(
            f"{v!r}: an xsd:duration has one sign, months and seconds cannot differ in sign"
        )
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
        return base64.b64decode("".join(xml_split(text)), validate=True)
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
        return bytes.fromhex(text.strip(XML_SPACE))
    except ValueError as exc:
        raise SimpleTypeError(f"not valid xsd:hexBinary: {exc}") from exc


def _string_like(name: str, parse: Callable[[str], str] = lambda s: s) -> SimpleType:
    return SimpleType(name, str, parse, _format_string)


def _checked_string(name: str, pattern: str, collapse: bool = True) -> SimpleType:
    rx = re.compile(pattern)

    def parse(text: str) -> str:
        t = _collapse(text) if collapse else text
        if not rx.fullmatch(t):
            raise SimpleTypeError(f"{t[:40]!r} is not a valid xsd:{name}")
        return t

    def fmt(v: Any) -> str:
        if not isinstance(v, str):
            raise SimpleTypeError(f"xsd:{name} needs a str, not {type(v).__name__}")
        return parse(v)

    return SimpleType(name, str, parse, fmt)


_NAME_START = (
    r"A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF"
    r"\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
)
_NAME_CHAR = _NAME_START + r"\-.0-9\u00B7\u0300-\u036F\u203F-\u2040"
NCNAME_RE = f"[{_NAME_START}][{_NAME_CHAR}]*"
_NCNAME = re.compile(NCNAME_RE)


class XsdDate(date):
    """An ``xsd:date``: a :class:`datetime.date` that may carry a time zone."""

    __slots__ = ("tz",)
    tz: timezone | None

    def __new__(cls, year: int, month: int, day: int, tz: timezone | None = None) -> XsdDate:
        self = super().__new__(cls, year, month, day)
        self.tz = tz
        return self

    def __eq__(self, other: object) -> bool:
        if isinstance(other, XsdDate):
            return date.__eq__(self, other) and self.tz == other.tz
        if isinstance(other, date) and not isinstance(other, datetime):
            return self.tz is None and date.__eq__(self, other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((date.__hash__(self), self.tz))

    def __repr__(self) -> str:
        return f"XsdDate({self.year}, {self.month}, {self.day}, tz={self.tz!r})"


_DATE_RE = re.compile(r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?")
_TIME_RE = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?")


def _tz_text(tz: Any) -> str:
    if tz is None:
        return ""
    off = tz.utcoffset(None)
    if off is None:
        return ""
    if off == timedelta(0):
        return "Z"
    sign = "-" if off < timedelta(0) else "+"
    minutes = abs(int(off.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_date(text: str) -> date:
    t = text.strip(XML_SPACE)
    m = _DATE_RE.fullmatch(t)
    if not m:
        raise SimpleTypeError(f"{t[:40]!r} is not a valid xsd:date (e.g. 2026-01-31)")
    try:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        tz = _tz(m.group(4))
        return XsdDate(y, mo, d, tz) if tz is not None else date(y, mo, d)
    except ValueError as exc:
        raise SimpleTypeError(f"{t[:40]!r} is not a valid xsd:date: {exc}") from None


def _format_date(v: Any) -> str:
    if isinstance(v, datetime) or not isinstance(v, date):
        raise SimpleTypeError(f"xsd:date needs a date, not {type(v).__name__}")
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}" + _tz_text(getattr(v, "tz", None))


def _parse_time(text: str) -> time:
    t = text.strip(XML_SPACE)
    m = _TIME_RE.fullmatch(t)
    if not m:
        raise SimpleTypeError(f"{t[:40]!r} is not a valid xsd:time (e.g. 13:20:00Z)")
    frac = m.group(4)
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    try:
        return time(
            int(m.group(1)), int(m.group(2)), int(m.group(3)), micro, tzinfo=_tz(m.group(5))
        )
    except ValueError as exc:
        raise SimpleTypeError(f"{t[:40]!r} is not a valid xsd:time: {exc}") from None


def _format_time(v: Any) -> str:
    if not isinstance(v, time):
        raise SimpleTypeError(f"xsd:time needs a time, not {type(v).__name__}")
    out = f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
    if v.microsecond:
        out += f".{v.microsecond:06d}".rstrip("0")
    return out + _tz_text(v.tzinfo)


def _parse_qname_in(text: str, element: Any) -> str:
    t = text.strip(XML_SPACE)
    prefix, sep, local = t.partition(":")
    if not sep:
        prefix, local = "", t
    if not _NCNAME.fullmatch(local) or (prefix and not _NCNAME.fullmatch(prefix)):
        raise SimpleTypeError(f"{t[:40]!r} is not a valid xsd:QName")
    uri = element.nsmap.get(prefix or None) if element is not None else None
    if prefix == "xml":
        uri = XML_NS  # bound implicitly, never declared
    if uri is None and prefix:
        raise SimpleTypeError(f"QName {t!r} uses the unbound namespace prefix {prefix!r}")
    return f"{{{uri}}}{local}" if uri else local


def _format_qname_in(value: Any, element: Any) -> str:
    if not isinstance(value, str):
        raise SimpleTypeError(
            f"xsd:QName needs a str in {{namespace}}local form, not {type(value).__name__}"
        )
    if not value.startswith("{"):
        if not _NCNAME.fullmatch(value):
            raise SimpleTypeError(
                f"{value[:40]!r} is not a QName value: write {{namespace}}local, or a bare "
                "local name for no namespace"
            )
        return value
    uri, _, local = value[1:].partition("}")
    if not _NCNAME.fullmatch(local):
        raise SimpleTypeError(f"{local[:40]!r} is not a valid local name (NCName)")
    if uri == XML_NS:
        return f"xml:{local}"
    if element is None:
        raise SimpleTypeError("a namespaced QName needs an element to declare its prefix")
    for prefix, u in element.nsmap.items():
        if u == uri and prefix:
            return f"{prefix}:{local}"
    # lxml cannot add a bare namespace declaration; setting and removing an attribute
    # in the namespace leaves a generated prefix declared on the element
    element.set(f"{{{uri}}}_gw", "")
    del element.attrib[f"{{{uri}}}_gw"]
    for prefix, u in element.nsmap.items():
        if u == uri and prefix:
            return f"{prefix}:{local}"
    raise SimpleTypeError(f"cannot declare a prefix for {uri}")  # pragma: no cover


def _format_qname(value: Any) -> str:
    if not isinstance(value, str) or value.startswith("{"):
        raise SimpleTypeError("a namespaced xsd:QName can only be written inside an element")
    if not _NCNAME.fullmatch(value):
        raise SimpleTypeError(f"{value[:40]!r} is not a QName value: write {{namespace}}local")
    return value


QNAME = SimpleType(
    "QName",
    str,
    lambda t: _parse_qname_in(t, None),
    _format_qname,
    parse_in=_parse_qname_in,
    format_in=_format_qname_in,
)


def _g(name: str, pattern: str) -> SimpleType:
    return _checked_string(name, pattern + r"(Z|[+-][0-9]{2}:[0-9]{2})?", collapse=True)


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
        "anySimpleType": _string_like("anySimpleType"),
        "anyType": _string_like("anyType"),
        "date": SimpleType("date", date, _parse_date, _format_date),
        "time": SimpleType("time", time, _parse_time, _format_time),
        "gYear": _g("gYear", r"-?[0-9]{4,}"),
        "gYearMonth": _g("gYearMonth", r"-?[0-9]{4,}-(0[1-9]|1[0-2])"),
        "gMonth": _g("gMonth", r"--(0[1-9]|1[0-2])"),
        "gMonthDay": _g("gMonthDay", r"--(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"),
        "gDay": _g("gDay", r"---(0[1-9]|[12][0-9]|3[01])"),
        "QName": QNAME,
        "NOTATION": QNAME,
        "Name": _checked_string("Name", f"[{_NAME_START}:][{_NAME_CHAR}:]*"),
        "NCName": _checked_string("NCName", NCNAME_RE),
        "ID": _checked_string("ID", NCNAME_RE),
        "IDREF": _checked_string("IDREF", NCNAME_RE),
        "ENTITY": _checked_string("ENTITY", NCNAME_RE),
        "NMTOKEN": _checked_string("NMTOKEN", f"[{_NAME_CHAR}:]+"),
        "language": _checked_string("language", r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*"),
        "string": _string_like("string"),
        "normalizedString": _string_like(
            "normalizedString", lambda s: s.replace("\t", " ").replace("\n", " ").replace("\r", " ")
        ),
        "token": _string_like("token", _collapse),
        "anyURI": _string_like("anyURI", str.strip),
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
    date: "date",
    time: "time",
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


# -- derived simple types ---------------------------------------------------------------------


class _Unsupported(Exception):
    pass


class PatternNotCheckedWarning(UserWarning):
    """A schema pattern the runtime cannot check (it is skipped, with this warning)."""


# the multi-character escapes of XML Schema, as bodies of a character class
_CLASS_ESCAPES = {
    "i": _NAME_START + ":",
    "c": _NAME_CHAR + ":",
    "s": " \\t\\n\\r",
    "d": "0-9",
}


def _xsd_regex(pattern: str) -> re.Pattern[str] | None:
    """Compile an XML Schema regular expression (implicitly anchored), or ``None``
    when it uses constructs Python's ``re`` cannot express (Unicode categories)."""
    try:
        return re.compile(_translate(pattern))
    except (_Unsupported, re.error):
        return None


def _translate(p: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(p):
        c = p[i]
        if c == "\\":
            out.append(_escape(p[i + 1 : i + 2], in_class=False))
            i += 2
        elif c == "[":
            text, i = _char_class(p, i)
            out.append(text)
        elif c in "^$":
            out.append("\\" + c)  # not anchors in XML Schema
            i += 1
        elif c == ".":
            out.append("[^\\n\\r]")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _escape(e: str, *, in_class: bool) -> str:
    if e in ("i", "c"):
        body = _CLASS_ESCAPES[e]
        return body if in_class else f"[{body}]"
    if e in ("I", "C"):
        if in_class:
            raise _Unsupported
        return f"[^{_CLASS_ESCAPES[e.lower()]}]"
    if e in ("p", "P"):
        raise _Unsupported  # Unicode categories and blocks: not in Python's re
    if e == "":
        raise _Unsupported
    return "\\" + e


def _char_class(p: str, i: int) -> tuple[str, int]:
    """``[...]`` at ``i`` (with XML Schema class subtraction ``[a-z-[aeiou]]``)."""
    i += 1
    negated = p.startswith("^", i)
    if negated:
        i += 1
    body: list[str] = []
    first = True
    while i < len(p):
        c = p[i]
        if c == "]" and not first:
            return _class_text(body, negated, None), i + 1
        if c == "-" and p.startswith("-[", i):
            sub, i = _char_class(p, i + 1)
            if not p.startswith("]", i):
                raise _Unsupported
            return _class_text(body, negated, sub), i + 1
        if c == "\\":
            body.append(_escape(p[i + 1 : i + 2], in_class=True))
            i += 2
        elif c in "[^":
            body.append("\\" + c)
            i += 1
        else:
            body.append(c)
            i += 1
        first = False
    raise _Unsupported  # unterminated class


def _class_text(body: list[str], negated: bool, subtracted: str | None) -> str:
    cls = f"[{'^' if negated else ''}{''.join(body)}]"
    if subtracted is None:
        return cls
    return f"(?:(?!{subtracted}){cls})"


def _digits(value: Decimal | int) -> tuple[int, int]:
    """(fraction digits, total digits) of a decimal value, as the facets count them."""
    d = Decimal(value)
    if d == 0:
        return 0, 1
    t = d.normalize().as_tuple()
    exp = t.exponent if isinstance(t.exponent, int) else 0
    n = len(t.digits)
    if exp >= 0:
        return 0, n + exp
    return -exp, max(n, -exp)


def restrict(
    base: SimpleType,
    name: str,
    namespace: str,
    *,
    enumeration: list[str] | None = None,
    patterns: list[str] | None = None,
    min_inclusive: str | None = None,
    max_inclusive: str | None = None,
    min_exclusive: str | None = None,
    max_exclusive: str | None = None,
    length: int | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    total_digits: int | None = None,
    fraction_digits: int | None = None,
) -> SimpleType:
    """A restriction of ``base`` that checks its facets both ways."""
    bounds = [
        (base.parse(v), op, v)
        for v, op in (
            (min_inclusive, "ge"),
            (max_inclusive, "le"),
            (min_exclusive, "gt"),
            (max_exclusive, "lt"),
        )
        if v is not None
    ]
    regexes = []
    for pattern in patterns or []:
        compiled = _xsd_regex(pattern)
        if compiled is None:
            warnings.warn(
                f"{name}: pattern {pattern!r} uses XML Schema regular-expression features "
                "Python's re lacks (Unicode categories); it is not checked",
                PatternNotCheckedWarning,
                stacklevel=2,
            )
            continue
        regexes.append(compiled)
    allowed: list[str] | None = None  # the enumeration, for messages
    allowed_values: set[Any] = set()  # compared as values: 0.50 is the decimal value 0.5
    qname_allowed: set[str] = set()  # QName enumerations: checked on the resolved name
    if enumeration:
        if base.parse_in is not None:
            qname_allowed = set(enumeration)
        else:
            allowed = list(enumeration)
            allowed_values = {base.parse(v) for v in enumeration}
    label = f"{name} ({{{namespace}}})" if namespace else name

    def check(value: Any, lexical: str) -> None:
        for bound, op, text in bounds:
            ok = {
                "ge": value >= bound,
                "le": value <= bound,
                "gt": value > bound,
                "lt": value < bound,
            }[op]
            if not ok:
                word = {"ge": ">=", "le": "<=", "gt": ">", "lt": "<"}[op]
                raise SimpleTypeError(f"{lexical!r} is not {word} {text} ({label})")
        size = len(value) if isinstance(value, str | bytes | list) else None
        if size is not None:
            if length is not None and size != length:
                raise SimpleTypeError(f"{lexical[:40]!r} must have length {length} ({label})")
            if min_length is not None and size < min_length:
                raise SimpleTypeError(f"{lexical[:40]!r} is shorter than {min_length} ({label})")
            if max_length is not None and size > max_length:
                raise SimpleTypeError(f"{lexical[:40]!r} is longer than {max_length} ({label})")
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            frac, total = _digits(value)
            if fraction_digits is not None and frac > fraction_digits:
                raise SimpleTypeError(
                    f"{lexical!r} has more than {fraction_digits} fraction digits ({label})"
                )
            if total_digits is not None and total > total_digits:
                raise SimpleTypeError(f"{lexical!r} has more than {total_digits} digits ({label})")
        for rx in regexes:
            if not rx.fullmatch(lexical):
                raise SimpleTypeError(f"{lexical[:40]!r} does not match the pattern of {label}")
        if allowed is not None and value not in allowed_values:
            choices = ", ".join(sorted(allowed))[:200]
            raise SimpleTypeError(f"{lexical[:40]!r} is not one of {choices} ({label})")

    def parse(text: str) -> Any:
        value = base.parse(text)
        check(value, base.format(value))
        return value

    def fmt(value: Any) -> str:
        lexical = base.format(value)
        check(value, lexical)
        return lexical

    parse_in = format_in = None
    if base.parse_in is not None and base.format_in is not None:
        b_in, b_out = base.parse_in, base.format_in

        # QName enumerations are given resolved, as {namespace}local (or local)
        def parse_in(text: str, element: Any) -> Any:
            value = b_in(text, element)
            if qname_allowed and value not in qname_allowed:
                raise SimpleTypeError(
                    f"{text.strip(XML_SPACE)!r} is not an allowed value of {label}"
                )
            return value

        def format_in(value: Any, element: Any) -> str:
            if qname_allowed and value not in qname_allowed:
                raise SimpleTypeError(f"{value!r} is not an allowed value of {label}")
            return b_out(value, element)

    return SimpleType(name, base.python_type, parse, fmt, parse_in, format_in, namespace)


def enumeration_type(enum_cls: type, base: SimpleType, name: str, namespace: str) -> SimpleType:
    """An enumeration as a Python :class:`enum.Enum` whose values are the lexical forms."""
    members: dict[str, Any] = {m.value: m for m in enum_cls}  # type: ignore[attr-defined]
    # keyed by value, not text: "0.50" is the decimal enumeration value 0.5
    by_value = {base.parse(v): m for v, m in members.items()}
    label = f"{name} ({{{namespace}}})" if namespace else name

    def parse(text: str) -> Any:
        try:
            member = by_value.get(base.parse(text))
        except SimpleTypeError:
            member = None
        if member is None:
            choices = ", ".join(sorted(members))[:200]
            raise SimpleTypeError(
                f"{text.strip(XML_SPACE)[:40]!r} is not one of {choices} ({label})"
            )
        return member

    def fmt(value: Any) -> str:
        if isinstance(value, enum_cls):
            return str(value.value)  # type: ignore[attr-defined]
        if isinstance(value, str) and value in members:
            return value
        choices = ", ".join(sorted(members))[:200]
        raise SimpleTypeError(f"{value!r} is not one of {choices} ({label})")

    return SimpleType(name, enum_cls, parse, fmt, namespace=namespace)


def list_type(item: SimpleType, name: str, namespace: str, *, min_length: int = 0) -> SimpleType:
    """An ``xsd:list``: whitespace-separated items as a Python list (at least
    ``min_length`` of them, as the built-in NMTOKENS, IDREFS and ENTITIES need)."""

    def enough(n: int) -> None:
        if n < min_length:
            raise SimpleTypeError(f"{name} needs at least {min_length} item(s)")

    def parse(text: str) -> list[Any]:
        items = [item.parse(t) for t in xml_split(text)]
        enough(len(items))
        return items

    def fmt(value: Any) -> str:
        if not isinstance(value, list | tuple):
            raise SimpleTypeError(f"list type {name} needs a list, not {type(value).__name__}")
        enough(len(value))
        out = [item.format(v) for v in value]
        for o in out:
            if not o or any(c.isspace() for c in o):
                raise SimpleTypeError(f"list item {o!r} of {name} would not survive the round trip")
        return " ".join(out)

    parse_in = format_in = None
    if item.parse_in is not None and item.format_in is not None:
        i_in, i_out = item.parse_in, item.format_in

        def parse_in(text: str, element: Any) -> list[Any]:
            items = [i_in(t, element) for t in xml_split(text)]
            enough(len(items))
            return items

        def format_in(value: Any, element: Any) -> str:
            enough(len(value))
            return " ".join(i_out(v, element) for v in value)

    return SimpleType(name, list, parse, fmt, parse_in, format_in, namespace)


def union_type(members: list[SimpleType], name: str, namespace: str) -> SimpleType:
    """An ``xsd:union``: the first member type that accepts the text."""

    def parse(text: str) -> Any:
        errors = []
        for m in members:
            try:
                return m.parse(text)
            except SimpleTypeError as exc:
                errors.append(str(exc))
        raise SimpleTypeError(f"{text.strip(XML_SPACE)[:40]!r} fits no member of union {name}")

    def fmt(value: Any) -> str:
        for m in members:
            if isinstance(value, m.python_type) and not (
                isinstance(value, bool) and m.python_type is not bool
            ):
                try:
                    return m.format(value)
                except SimpleTypeError:
                    continue
        for m in members:
            try:
                return m.format(value)
            except SimpleTypeError:
                continue
        raise SimpleTypeError(f"{value!r} fits no member of union {name}")

    if not any(m.parse_in is not None for m in members):
        return SimpleType(name, object, parse, fmt, namespace=namespace)

    # a member needs the element (a QName): resolve and declare prefixes there
    def parse_in(text: str, element: Any) -> Any:
        for m in members:
            try:
                return m.read(text, element)
            except SimpleTypeError:
                continue
        raise SimpleTypeError(f"{text.strip(XML_SPACE)[:40]!r} fits no member of union {name}")

    def format_in(value: Any, element: Any) -> str:
        ordered = [m for m in members if isinstance(value, m.python_type)] + list(members)
        for m in ordered:
            if isinstance(value, bool) and m.python_type is not bool:
                continue
            try:
                return m.write(value, element)
            except SimpleTypeError:
                continue
        raise SimpleTypeError(f"{value!r} fits no member of union {name}")

    return SimpleType(name, object, parse, fmt, parse_in, format_in, namespace)


for _name, _item in (("IDREFS", "IDREF"), ("ENTITIES", "ENTITY"), ("NMTOKENS", "NMTOKEN")):
    SIMPLE_TYPES[_name] = list_type(SIMPLE_TYPES[_item], _name, XSD_NS, min_length=1)
