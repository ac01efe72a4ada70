"""WS-Topics: topics, topic expressions (Simple, Concrete, Full) and topic sets.

A topic is a path in a tree rooted in an XML namespace: ``{ns}Job`` is a root
topic, ``{ns}Job/Status`` one of its children.  Subscribers name topics with
*topic expressions* in one of three dialects (WS-Topics 1.3 and the 2004/06
draft define the same three, under different URIs):

- **Simple**: one root topic, ``tns:Job``;
- **Concrete**: one topic anywhere in the tree, ``tns:Job/Status``;
- **Full**: a set of topics, XPath-like: ``tns:Job/*`` (the children of Job),
  ``tns://Status`` (every topic named Status), ``tns:Job//.`` (Job and all its
  descendants), ``tns:*``, alternatives joined by ``|``.

Prefixes are resolved with the namespaces in scope where the expression was
written (the ``TopicExpression`` element), an unprefixed name with the default
namespace.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from lxml import etree

from gridware.container.dialects import WSN_1_3, WSN_DRAFT, WsnDialect
from gridware.container.wsn.faults import (
    InvalidTopicExpressionFault,
    TopicExpressionDialectUnknownFault,
)
from gridware.container.xml import Element, qname

SIMPLE = "simple"
CONCRETE = "concrete"
FULL = "full"

_DIALECTS: dict[str, str] = {}
for _wsn in (WSN_1_3, WSN_DRAFT):
    for _kind, _uri in _wsn.topic_dialects.items():
        _DIALECTS[_uri] = _kind


def dialect_kind(uri: str) -> str | None:
    """``"simple"``, ``"concrete"`` or ``"full"`` for a topic dialect URI of either version."""
    return _DIALECTS.get(uri.strip())


_NCNAME = r"[^\W\d][\w.\-]*"
_NCNAME_RE = re.compile(_NCNAME)
_ROOT_RE = re.compile(rf"(?:({_NCNAME}):)?(//)?({_NCNAME}|\*)")
_CHILD_RE = re.compile(rf"(//?)(?:({_NCNAME}):)?({_NCNAME}|\*|\.)")


@dataclass(frozen=True, slots=True)
class Topic:
    """A concrete topic: a namespace and the names from the root topic down."""

    namespace: str
    path: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.path or not all(_NCNAME_RE.fullmatch(n) for n in self.path):
            raise ValueError(f"invalid topic path {self.path!r}: use NCNames")

    @classmethod
    def parse(cls, text: str) -> Topic:
        """``{namespace}Root`` or ``{namespace}Root/Child/...``."""
        t = text.strip()
        if t.startswith("{"):
            uri, sep, rest = t[1:].partition("}")
            if not sep:
                raise ValueError(f"{text!r} is not a topic: write {{namespace}}Root/Child")
        else:
            uri, rest = "", t
        return cls(uri, tuple(rest.split("/")))

    @property
    def root(self) -> str:
        return self.path[0]

    def child(self, name: str) -> Topic:
        return Topic(self.namespace, (*self.path, name))

    def ancestors(self) -> list[Topic]:
        """This topic's ancestors, root first."""
        return [Topic(self.namespace, self.path[:i]) for i in range(1, len(self.path))]

    @property
    def is_root(self) -> bool:
        return len(self.path) == 1

    def expression(self, prefix: str = "tns") -> tuple[str, dict[str, str]]:
        """The text of a Concrete (or, for a root topic, Simple) expression and its
        namespace declarations: ``("tns:Job/Status", {"tns": ns})``."""
        if not self.namespace:
            return "/".join(self.path), {}
        return f"{prefix}:" + "/".join(self.path), {prefix: self.namespace}

    def dialect(self, wsn: WsnDialect) -> str:
        """The URI of the narrowest dialect that names this topic."""
        return wsn.topic_dialects[SIMPLE if self.is_root else CONCRETE]

    def __str__(self) -> str:
        return f"{{{self.namespace}}}" + "/".join(self.path)


# one step of a topic path expression: (descendant axis?, name or "*" or ".")
_Step = tuple[bool, str]


@dataclass(frozen=True, slots=True)
class TopicExpression:
    """A compiled topic expression: which topics it denotes."""

    dialect: str  # SIMPLE, CONCRETE or FULL
    text: str
    # alternatives (joined by "|"): (namespace, steps); namespace None never matches
    alternatives: tuple[tuple[str | None, tuple[_Step, ...]], ...]

    def matches(self, topic: Topic) -> bool:
        """Does the expression denote ``topic``?"""
        for namespace, steps in self.alternatives:
            if namespace == topic.namespace and _match(steps, topic.path):
                return True
        return False

    @property
    def topic(self) -> Topic | None:
        """The one topic a Simple or Concrete expression names (None for Full)."""
        if self.dialect == FULL or len(self.alternatives) != 1:
            return None
        namespace, steps = self.alternatives[0]
        if namespace is None:
            return None
        return Topic(namespace, tuple(name for _, name in steps))


def _match(steps: tuple[_Step, ...], path: tuple[str, ...]) -> bool:
    """XPath-like evaluation over the topic tree: the positions reachable in ``path``
    (0 is the virtual root above the root topics) after each step."""
    k = len(path)
    here = {0}
    for descendant, name in steps:
        if not here:
            return False
        if name == ".":
            here = {j for i in here for j in range(i, k + 1)} if descendant else here
        elif descendant:
            here = {j + 1 for i in here for j in range(i, k) if name in ("*", path[j])}
        else:
            here = {i + 1 for i in here if i < k and name in ("*", path[i])}
    return k in here


def parse_topic_expression(
    text: str, dialect: str, namespaces: Mapping[str | None, str]
) -> TopicExpression:
    """Compile a topic expression in the dialect ``dialect`` (a URI of either version).

    ``namespaces`` are the prefixes in scope (``None`` is the default namespace).
    Raises :class:`TopicExpressionDialectUnknownFault` for an unknown dialect and
    :class:`InvalidTopicExpressionFault` for an expression that is not valid in it.
    """
    kind = dialect_kind(dialect)
    if kind is None:
        known = ", ".join(sorted(_DIALECTS))
        raise TopicExpressionDialectUnknownFault(
            f"topic expression dialect {dialect.strip()!r} is not supported; use one of {known}"
        )
    expr = text.strip()
    if not expr:
        raise InvalidTopicExpressionFault("the topic expression is empty")
    parts = expr.split("|") if kind == FULL else [expr]
    alternatives = []
    for part in parts:
        alternatives.append(_parse_path(part.strip(), kind, namespaces, expr))
    return TopicExpression(kind, expr, tuple(alternatives))


def _namespace(prefix: str | None, namespaces: Mapping[str | None, str], expr: str) -> str:
    if prefix is None:
        return namespaces.get(None, "")
    uri = namespaces.get(prefix)
    if uri is None:
        raise InvalidTopicExpressionFault(
            f"topic expression {expr!r}: the prefix {prefix!r} is not declared"
        )
    return uri


def _parse_path(
    part: str, kind: str, namespaces: Mapping[str | None, str], expr: str
) -> tuple[str | None, tuple[_Step, ...]]:
    names = {SIMPLE: "Simple", CONCRETE: "Concrete", FULL: "Full"}
    invalid = InvalidTopicExpressionFault(f"{expr!r} is not a valid {names[kind]} topic expression")
    m = _ROOT_RE.match(part)
    if m is None:
        raise invalid
    prefix, descendant, name = m.groups()
    if kind != FULL and (descendant or name == "*"):
        raise invalid
    namespace: str | None = _namespace(prefix, namespaces, expr)
    steps: list[_Step] = [(bool(descendant), name)]
    pos = m.end()
    while pos < len(part):
        c = _CHILD_RE.match(part, pos)
        if c is None:
            raise invalid
        axis, child_prefix, child = c.groups()
        if kind == SIMPLE:
            raise invalid
        if kind == CONCRETE and (axis == "//" or child in ("*", ".")):
            raise invalid
        if child_prefix is not None and _namespace(child_prefix, namespaces, expr) != namespace:
            namespace = None  # child topics live in their root's namespace: never matches
        steps.append((axis == "//", child))
        pos = c.end()
    return namespace, tuple(steps)


class TopicSet:
    """The topics a producer publishes (every topic's ancestors are topics too)."""

    def __init__(self, topics: Iterable[Topic] = ()) -> None:
        self.topics: list[Topic] = []
        for t in topics:
            self.add(t)

    def add(self, topic: Topic) -> None:
        for t in [*topic.ancestors(), topic]:
            if t not in self.topics:
                self.topics.append(t)

    def __contains__(self, topic: object) -> bool:
        return topic in self.topics

    def __iter__(self) -> Iterator[Topic]:
        return iter(self.topics)

    def __len__(self) -> int:
        return len(self.topics)

    def matching(self, expression: TopicExpression) -> list[Topic]:
        return [t for t in self.topics if expression.matches(t)]

    def element(self, wsn: WsnDialect = WSN_1_3) -> Element:
        """The WS-Topics ``TopicSet`` element: one element per root topic (its QName),
        child topics nested by local name, each marked ``wstop:topic="true"``."""
        root = etree.Element(wsn.t_tag("TopicSet"), nsmap={"wstop": wsn.t})
        marker = qname(wsn.t, "topic")
        prefixes: dict[str, str] = {}
        nodes: dict[Topic, Element] = {}
        for topic in self.topics:  # ancestors come first
            if topic.is_root:
                if topic.namespace not in prefixes:
                    prefixes[topic.namespace] = f"tns{len(prefixes)}"
                el = etree.SubElement(
                    root,
                    qname(topic.namespace, topic.root),
                    nsmap={prefixes[topic.namespace]: topic.namespace},
                )
            else:
                parent = nodes[Topic(topic.namespace, topic.path[:-1])]
                el = etree.SubElement(parent, qname(topic.namespace, topic.path[-1]))
            el.set(marker, "true")
            nodes[topic] = el
        return root

    def expression_elements(self, tag: str, wsn: WsnDialect) -> list[Element]:
        """One topic expression element (``tag``) per topic, in the narrowest dialect."""
        out = []
        for topic in self.topics:
            text, nsmap = topic.expression()
            el = etree.Element(tag, {"Dialect": topic.dialect(wsn)}, nsmap=nsmap or None)
            el.text = text
            out.append(el)
        return out


def termination_topic(rl_namespace: str) -> Topic:
    """``wsrl:ResourceTermination``: the topic of TerminationNotification messages."""
    return Topic(rl_namespace, ("ResourceTermination",))


__all__ = [
    "CONCRETE",
    "FULL",
    "SIMPLE",
    "Topic",
    "TopicExpression",
    "TopicSet",
    "dialect_kind",
    "parse_topic_expression",
    "termination_topic",
]
