"""Python names for XML names: readable, valid, and never colliding."""

from __future__ import annotations

import builtins
import keyword
import re

_RESERVED_ATTRS = {"to_element", "to_xml", "from_element", "from_xml"}
# names generated modules use in annotations or as module aliases: a field named
# ``int: int`` would shadow the type inside its own class body
_SHADOWING = {
    "int",
    "float",
    "str",
    "bool",
    "bytes",
    "list",
    "dict",
    "set",
    "tuple",
    "object",
    "type",
    "date",
    "datetime",
    "time",
    "etree",
    "xs",
    "types",
}
_BUILTINS = set(dir(builtins))


def split_words(name: str) -> list[str]:
    """``getResourcePropertyDocument`` / ``wsa-Action`` -> words."""
    parts = re.split(r"[^0-9A-Za-z]+", name)
    words: list[str] = []
    for part in parts:
        words.extend(re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[A-Z]", part))
    return [w for w in words if w]


def class_name(name: str) -> str:
    """A CamelCase class name that keeps the XML name when it already is one."""
    cleaned = re.sub(r"[^0-9A-Za-z_]", "_", name)
    if re.fullmatch(r"[A-Z][0-9A-Za-z]*", cleaned):
        out = cleaned
    else:
        out = "".join(w[:1].upper() + w[1:] for w in split_words(name)) or "Type"
    if out[0].isdigit():
        out = "T" + out
    if keyword.iskeyword(out) or out in _BUILTINS:
        out += "_"
    return out


def attr_name(name: str) -> str:
    """A snake_case attribute name."""
    words = split_words(name)
    out = "_".join(w.lower() for w in words) or "value"
    if out[0].isdigit():
        out = "n" + out
    if (
        keyword.iskeyword(out)
        or out in _RESERVED_ATTRS
        or out in _SHADOWING
        or keyword.issoftkeyword(out)
    ):
        out += "_"
    return out


def constant_name(name: str) -> str:
    return attr_name(name).upper().rstrip("_") or "VALUE"


def enum_member(value: str) -> str:
    """An Enum member name for a lexical value (``"in-progress"`` -> ``IN_PROGRESS``;
    a URI gives its last segment)."""
    if "/" in value or ("#" in value and ":" in value):
        tail = re.split(r"[/#]", value.rstrip("/#"))[-1]
        value = tail or value
    words = split_words(value)
    out = "_".join(w.upper() for w in words) or "EMPTY"
    if out[0].isdigit():
        out = "V" + out
    if keyword.iskeyword(out.lower()) and out.lower() == out:
        out += "_"
    return out


class NameTable:
    """Hands out unique names within one scope."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken: set[str] = set(taken or ())

    def claim(self, wanted: str, suffix: str = "") -> str:
        name = wanted
        if name in self.taken and suffix:
            name = f"{wanted}{suffix}"
        n = 2
        base = name
        while name in self.taken:
            name = f"{base}{n}"
            n += 1
        self.taken.add(name)
        return name


def namespace_prefix(uri: str | None) -> str:
    """A short CamelCase tag for a namespace, used to tell same-named things apart.

    ``.../wsrf/2004/06/wsrf-WS-ResourceLifetime-1.2-draft-01.xsd`` -> ``ResourceLifetime``,
    ``http://docs.oasis-open.org/wsrf/rl-2`` -> ``Rl``.
    """
    if not uri:
        return "NoNs"
    segments = [s for s in re.split(r"[/:#]", uri) if s and not s.startswith("www")]
    for segment in reversed(segments):
        stem = re.sub(r"\.(xsd|wsdl)$", "", segment)
        stem = re.sub(r"-[0-9].*$", "", stem)
        words = [w for w in stem.split("-") if w and not w.isdigit()]
        if words:
            return class_name(words[-1])
    return "Ns"
