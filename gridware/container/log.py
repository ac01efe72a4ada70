"""Structured logs in the NetLogger best-practice style.

One event per line: ``ts=2026-01-31T12:00:00.123456Z event=gridware.container.request
level=INFO guid=urn:uuid:... service=CounterService op=add status=200 dur=0.000412``.
The ``guid`` of a request is its ``wsa:MessageID`` when it has one, so a request
can be followed across client, container and backend.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import IO, Any

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


_NEEDS_QUOTES = re.compile(r'[\s"=\\]')


def _quote(value: Any) -> str:
    s = value if isinstance(value, str) else str(value)
    if s and not _NEEDS_QUOTES.search(s):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_second: tuple[int, str] = (0, "")


def format_ts(t: float) -> str:
    """``2026-01-31T12:00:00.123456Z`` (the seconds part is cached)."""
    global _second
    whole = int(t)
    cached = _second
    if cached[0] != whole:
        cached = _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{cached[1]}.{int((t - whole) * 1e6):06d}Z"


class NetLoggerFormatter(logging.Formatter):
    """Formats records as ``key=value`` lines.

    The event name is the record's ``event`` extra (default: the logger name);
    other extras become fields; the message, if any, becomes ``msg=``.
    """

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "netlogger", False):  # written by event(): already a line
            line: str = record.msg
            if record.exc_info:
                line += f" error={_quote(self.formatException(record.exc_info))}"
            return line
        fields = [
            f"ts={format_ts(record.created)}",
            f"event={_quote(getattr(record, 'event', record.name))}",
            f"level={record.levelname}",
        ]
        guid = getattr(record, "guid", None)
        if guid:
            fields.append(f"guid={_quote(guid)}")
        for key, value in record.__dict__.items():
            if key in _RESERVED or key in ("event", "guid"):
                continue
            fields.append(f"{key}={_quote(value)}")
        msg = record.getMessage()
        if msg:
            fields.append(f"msg={_quote(msg)}")
        if record.exc_info:
            fields.append(f"error={_quote(self.formatException(record.exc_info))}")
        return " ".join(fields)


_PREFORMATTED = {"netlogger": True}


def event(
    logger: logging.Logger,
    name: str,
    level: int = logging.INFO,
    guid: str | None = None,
    **fields: Any,
) -> None:
    """Log one structured event: ``ts= event= level= guid=`` and then ``fields``."""
    if not logger.isEnabledFor(level):
        return
    parts = [
        f"ts={format_ts(time.time())}",
        f"event={_quote(name)}",
        f"level={logging.getLevelName(level)}",
    ]
    if guid:
        parts.append(f"guid={_quote(guid)}")
    for key, value in fields.items():
        parts.append(f"{key}={_quote(value)}")
    logger.log(level, " ".join(parts), extra=_PREFORMATTED)


def configure(level: int | str = logging.INFO, stream: IO[str] | None = None) -> None:
    """Send gridware's logs to ``stream`` (stderr by default) in NetLogger format."""
    root = logging.getLogger("gridware")
    for h in list(root.handlers):
        if getattr(h, "_gridware", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(NetLoggerFormatter())
    handler._gridware = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    root.propagate = False
