"""``wsu:Timestamp``: making one, reading one, and checking that it is fresh."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gridware.security.wssec.errors import (
    MalformedMessageError,
    MessageExpiredError,
    MessageNotYetValidError,
)
from gridware.security.wssec.ns import WSU, clark
from gridware.security.wssec.soap import Element, children

TIMESTAMP = clark(WSU, "Timestamp")
CREATED = clark(WSU, "Created")
EXPIRES = clark(WSU, "Expires")

DEFAULT_TTL = timedelta(minutes=5)
"""How long a message is valid when its Timestamp has no Expires (and sign()'s default)."""

_DATETIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,12}))?(Z|[+-]\d\d:\d\d)\Z"
)


@dataclass(frozen=True)
class Timestamp:
    """The Created and Expires instants of a message (both UTC-aware)."""

    created: datetime
    expires: datetime

    @classmethod
    def starting(cls, now: datetime, ttl: timedelta) -> Timestamp:
        created = now.astimezone(UTC).replace(microsecond=now.microsecond // 1000 * 1000)
        return cls(created, created + ttl)

    @classmethod
    def read(cls, element: Element) -> Timestamp:
        """Parse a ``wsu:Timestamp`` (Created required, Expires optional: DEFAULT_TTL)."""
        items = children(element)
        created = [c for c in items if c.tag == CREATED]
        expires = [c for c in items if c.tag == EXPIRES]
        if len(created) != 1 or len(expires) > 1:
            raise MalformedMessageError(
                "the Timestamp must have one Created and at most one Expires"
            )
        start = parse_datetime(created[0].text or "")
        end = parse_datetime(expires[0].text or "") if expires else start + DEFAULT_TTL
        if end < start:
            raise MalformedMessageError("the Timestamp expires before it was created")
        return cls(start, end)

    def check(self, now: datetime, skew: timedelta) -> None:
        """Refuse a timestamp from the future or from the past, allowing ``skew`` either way."""
        if self.created > now + skew:
            raise MessageNotYetValidError(
                f"the message was created at {format_datetime(self.created)}, in the future "
                f"(it is {format_datetime(now)}; allowed clock skew {_seconds(skew)})"
            )
        if self.expires < now - skew:
            raise MessageExpiredError(
                f"the message expired at {format_datetime(self.expires)} "
                f"(it is {format_datetime(now)}; allowed clock skew {_seconds(skew)})"
            )


def format_datetime(when: datetime) -> str:
    """xsd:dateTime in UTC with milliseconds, as WS-Security peers write it."""
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_datetime(text: str) -> datetime:
    """A timezone-qualified xsd:dateTime; one without a zone is refused (ambiguous)."""
    match = _DATETIME.fullmatch(text.strip())
    if match is None:
        raise MalformedMessageError(
            "a Timestamp value is not a dateTime with a time zone (like 2025-01-31T12:00:00Z)"
        )
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        when = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=UTC,
        )
    except ValueError:
        raise MalformedMessageError("a Timestamp value is not a valid date and time") from None
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        when -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return when


def _seconds(delta: timedelta) -> str:
    return f"{delta.total_seconds():g} s"
