"""grid-mapfiles: which local accounts a grid identity may use.

One mapping a line, the DN in double quotes (backslash escapes ``\\"`` and
``\\\\``; a DN without spaces may go unquoted) and one or more local users
separated by commas; ``#`` starts a comment line::

    "/O=Grid/OU=Test/CN=Jane Doe" jdoe
    "/O=Grid/OU=Test/CN=John \\"Jack\\" Smith" jsmith,griduser
    /O=Grid/OU=Test/CN=robot robot

The first user is the default account.  When a DN appears on several lines, the
first line wins (as in Globus).  ``/Email=`` and ``/emailAddress=`` spellings of
the same DN are the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from gridware.security import environment
from gridware.security.errors import GridMapError
from gridware.security.names import normalize_dn_string

_USER = re.compile(r"[A-Za-z0-9._][A-Za-z0-9._@$-]*\Z")


@dataclass(frozen=True)
class GridMapEntry:
    dn: str
    users: tuple[str, ...]
    line: int


class GridMap:
    """A parsed grid-mapfile."""

    def __init__(self, entries: list[GridMapEntry], source: str = "grid-mapfile") -> None:
        self.entries = tuple(entries)
        self.source = source
        self._by_dn: dict[str, GridMapEntry] = {}
        for entry in entries:
            self._by_dn.setdefault(normalize_dn_string(entry.dn), entry)

    @classmethod
    def parse(cls, text: str, source: str = "grid-mapfile") -> GridMap:
        """Parse the text; a bad line raises GridMapError naming ``source`` and the line."""
        entries = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            dn, users = _parse_line(line, f"{source}:{number}")
            entries.append(GridMapEntry(dn, users, number))
        return cls(entries, source)

    @classmethod
    def load(
        cls, path: str | Path | None = None, environ: Mapping[str, str] | None = None
    ) -> GridMap:
        """Read ``path`` (default ``$GRIDMAP`` or /etc/grid-security/grid-mapfile)."""
        target = Path(path) if path else environment.gridmap_path(environ)
        try:
            text = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise GridMapError(f"grid-mapfile {target} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise GridMapError(f"cannot read grid-mapfile {target}: {exc}") from None
        return cls.parse(text, str(target))

    def users(self, dn: str) -> tuple[str, ...]:
        """The local users ``dn`` maps to (empty if none)."""
        entry = self._by_dn.get(normalize_dn_string(dn))
        return entry.users if entry else ()

    def local_user(self, dn: str) -> str | None:
        """The default (first) local user of ``dn``, or None."""
        users = self.users(dn)
        return users[0] if users else None

    def is_mapped(self, dn: str, user: str | None = None) -> bool:
        """Is ``dn`` in the file (and allowed to use ``user``, if given)?"""
        users = self.users(dn)
        return bool(users) and (user is None or user in users)

    def dns_for(self, user: str) -> list[str]:
        """The DNs that may use the local account ``user``."""
        return [e.dn for e in self.entries if user in e.users]

    def __iter__(self) -> Iterator[GridMapEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def _parse_line(line: str, where: str) -> tuple[str, tuple[str, ...]]:
    if line.startswith('"'):
        chars = []
        i = 1
        while True:
            if i >= len(line):
                raise GridMapError(f"{where}: the DN has no closing quote")
            ch = line[i]
            if ch == "\\":
                if i + 1 >= len(line):
                    raise GridMapError(f"{where}: a backslash ends the line")
                chars.append(line[i + 1])
                i += 2
            elif ch == '"':
                i += 1
                break
            else:
                chars.append(ch)
                i += 1
        dn = "".join(chars)
        rest = line[i:]
        if rest and not rest[0].isspace():
            raise GridMapError(f"{where}: expected a space after the quoted DN")
    else:
        dn, _, rest = line.partition(" ")
        if "\t" in dn:
            dn, _, more = dn.partition("\t")
            rest = more + " " + rest
    if not dn.startswith("/"):
        raise GridMapError(f"{where}: the DN must start with '/' (found {dn[:40]!r})")
    if any(ord(c) < 0x20 for c in dn):
        raise GridMapError(f"{where}: control character in the DN")
    rest = rest.strip()
    if not rest:
        raise GridMapError(f"{where}: no local user for {dn}")
    users = tuple(u.strip() for u in rest.split(","))
    for user in users:
        if not _USER.match(user):
            raise GridMapError(f"{where}: {user!r} is not a valid local user name")
    return dn, users
