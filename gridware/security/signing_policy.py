"""Globus signing policies (``<hash>.signing_policy``, the EACL format).

A trusted CA may come with a policy that limits the subjects it may sign::

    # comments start with '#'
    access_id_CA   X509   '/O=Grid/OU=Test/CN=Test CA'
    pos_rights     globus CA:sign
    cond_subjects  globus '"/O=Grid/OU=Test/*" "/O=Grid/OU=Other/*"'

Patterns are matched case-sensitively against the Globus form of the subject;
``*`` matches any run of characters and ``?`` one character.  ``neg_rights``
entries deny.  A file that cannot be parsed raises :class:`SigningPolicyError`,
and the validator then trusts nothing the CA signed (fail closed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gridware.security.errors import SigningPolicyError, SigningPolicyViolationError
from gridware.security.names import normalize_dn_string

CA_SIGN = "CA:sign"


@dataclass(frozen=True)
class Right:
    """``pos_rights``/``neg_rights`` and the ``cond_subjects`` patterns that go with it."""

    positive: bool
    authority: str
    name: str
    subjects: tuple[str, ...]

    def matches(self, subject: str) -> bool:
        return any(_pattern(p).fullmatch(normalize_dn_string(subject)) for p in self.subjects)


@dataclass(frozen=True)
class PolicyEntry:
    """One ``access_id_CA`` block."""

    ca: str
    rights: tuple[Right, ...]


@dataclass(frozen=True)
class SigningPolicy:
    entries: tuple[PolicyEntry, ...]
    source: str = field(default="signing policy", compare=False)

    @classmethod
    def parse(cls, text: str, source: str = "signing policy") -> SigningPolicy:
        return cls(tuple(_parse(text, source)), source)

    def entries_for(self, ca_dn: str) -> list[PolicyEntry]:
        wanted = normalize_dn_string(ca_dn)
        return [e for e in self.entries if normalize_dn_string(e.ca) == wanted]

    def allows(self, ca_dn: str, subject_dn: str) -> bool:
        try:
            self.check(ca_dn, subject_dn)
        except SigningPolicyViolationError:
            return False
        return True

    def check(self, ca_dn: str, subject_dn: str) -> None:
        """Raise SigningPolicyViolationError unless the CA may sign ``subject_dn``."""
        entries = self.entries_for(ca_dn)
        if not entries:
            raise SigningPolicyViolationError(
                f"{self.source} has no policy for the CA {ca_dn}", subject_dn
            )
        rights = [
            r for e in entries for r in e.rights if r.name == CA_SIGN and r.authority == "globus"
        ]
        if any(not r.positive and r.matches(subject_dn) for r in rights):
            raise SigningPolicyViolationError(
                f"the signing policy of {ca_dn} forbids it to sign {subject_dn}", subject_dn
            )
        if not any(r.positive and r.matches(subject_dn) for r in rights):
            raise SigningPolicyViolationError(
                f"{subject_dn} is outside the signing policy of {ca_dn} ({self.source})",
                subject_dn,
            )


def policy_text(ca_dn: str, subject_patterns: list[str]) -> str:
    """A signing policy for one CA (as ``gridware ca create`` writes it)."""
    for text in [ca_dn, *subject_patterns]:
        if "'" in text or '"' in text or "\n" in text:
            raise SigningPolicyError(f"{text!r} cannot be written in a signing policy")
    patterns = " ".join(f'"{p}"' for p in subject_patterns)
    return (
        f"# Signing policy of {ca_dn} (EACL format), written by gridware\n"
        f"access_id_CA   X509   '{ca_dn}'\n"
        f"pos_rights     globus CA:sign\n"
        f"cond_subjects  globus '{patterns}'\n"
    )


_CACHE: dict[str, re.Pattern[str]] = {}


def _pattern(glob: str) -> re.Pattern[str]:
    compiled = _CACHE.get(glob)
    if compiled is None:
        parts = []
        for ch in normalize_dn_string(glob):
            parts.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        compiled = re.compile("".join(parts), re.DOTALL)
        if len(_CACHE) < 4096:
            _CACHE[glob] = compiled
    return compiled


def _tokens(text: str, source: str) -> list[tuple[str, int, bool]]:
    """(token, line, quoted) triples; single quotes make one token of anything inside."""
    tokens = []
    i, line = 0, 1
    while i < len(text):
        ch = text[i]
        if ch == "\n":
            line += 1
            i += 1
        elif ch.isspace():
            i += 1
        elif ch == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
        elif ch == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise SigningPolicyError(f"{source}:{line}: unterminated quoted string")
            tokens.append((text[i + 1 : end], line, True))
            line += text.count("\n", i, end)
            i = end + 1
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in "'#":
                i += 1
            tokens.append((text[start:i], line, False))
    return tokens


def _subjects(value: str, source: str, line: int) -> tuple[str, ...]:
    patterns = []
    i = 0
    while i < len(value):
        if value[i].isspace():
            i += 1
        elif value[i] == '"':
            end = value.find('"', i + 1)
            if end < 0:
                raise SigningPolicyError(f"{source}:{line}: unterminated subject pattern")
            patterns.append(value[i + 1 : end])
            i = end + 1
        else:
            start = i
            while i < len(value) and not value[i].isspace():
                i += 1
            patterns.append(value[start:i])
    if not patterns or any(not p for p in patterns):
        raise SigningPolicyError(f"{source}:{line}: cond_subjects needs subject patterns")
    return tuple(patterns)


def _parse(text: str, source: str) -> list[PolicyEntry]:
    tokens = _tokens(text, source)
    entries: list[PolicyEntry] = []
    ca: str | None = None
    rights: list[Right] = []
    pending: tuple[bool, str, str] | None = None  # a right waiting for its conditions
    seen_condition = False

    def finish_right(line: int) -> None:
        if pending is not None and not seen_condition:
            raise SigningPolicyError(f"{source}:{line}: a right without cond_subjects")

    def finish_entry(line: int) -> None:
        finish_right(line)
        if ca is not None:
            if not rights:
                raise SigningPolicyError(f"{source}:{line}: access_id_CA without rights")
            entries.append(PolicyEntry(ca, tuple(rights)))

    i = 0
    while i < len(tokens):
        keyword, line, quoted = tokens[i]
        if quoted:
            raise SigningPolicyError(f"{source}:{line}: unexpected quoted string")
        if i + 2 >= len(tokens):
            raise SigningPolicyError(f"{source}:{line}: incomplete statement {keyword!r}")
        authority, _, _ = tokens[i + 1]
        value, _, value_quoted = tokens[i + 2]
        i += 3
        if keyword == "access_id_CA":
            finish_entry(line)
            if authority != "X509" or not value_quoted or not value.startswith("/"):
                raise SigningPolicyError(
                    f"{source}:{line}: write access_id_CA X509 '/DN/of/the/CA'"
                )
            ca, rights, pending, seen_condition = value, [], None, False
        elif keyword in ("pos_rights", "neg_rights"):
            if ca is None:
                raise SigningPolicyError(f"{source}:{line}: {keyword} before access_id_CA")
            finish_right(line)
            pending = (keyword == "pos_rights", authority, value)
            seen_condition = False
        elif keyword == "cond_subjects":
            if pending is None:
                raise SigningPolicyError(f"{source}:{line}: cond_subjects without a right")
            if not value_quoted:
                raise SigningPolicyError(f"{source}:{line}: cond_subjects needs a quoted list")
            positive, right_authority, name = pending
            rights.append(Right(positive, right_authority, name, _subjects(value, source, line)))
            seen_condition = True
        else:
            raise SigningPolicyError(f"{source}:{line}: unknown statement {keyword!r}")
    finish_entry(tokens[-1][1] if tokens else 1)
    if not entries:
        raise SigningPolicyError(f"{source}: no access_id_CA entry")
    return entries
