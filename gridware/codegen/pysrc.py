"""Writing Python source the way ``ruff format`` leaves it.

Calls and collections go on one line when they fit in :data:`LINE_LENGTH`;
otherwise one item per line with a trailing comma (which formatters keep).
"""

from __future__ import annotations

from collections.abc import Sequence

LINE_LENGTH = 88


def q(s: str) -> str:
    """A string literal, double-quoted where possible."""
    r = repr(s)
    if r.startswith("'") and '"' not in s:
        return '"' + r[1:-1].replace("\\'", "'") + '"'
    return r


def lit(value: object) -> str:
    """A literal for str, int, bool, None and lists/tuples of them."""
    if isinstance(value, str):
        return q(value)
    if isinstance(value, list):
        return "[" + ", ".join(lit(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(lit(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def call(
    head: str,
    args: Sequence[str],
    indent: int = 0,
    tail: str = "",
    open_: str = "(",
    close: str = ")",
) -> str:
    """``head(args...)tail`` at ``indent`` spaces; exploded when too long.

    Each arg may itself be multi-line (already exploded); then the call explodes too.
    """
    pad = " " * indent
    one = f"{pad}{head}{open_}{', '.join(args)}{close}{tail}"
    if len(one) <= LINE_LENGTH and "\n" not in one:
        return one
    if not args:
        return one
    inner_pad = pad + "    "
    lines = [f"{pad}{head}{open_}"]
    for a in args:
        a_lines = a.split("\n")
        lines.append(f"{inner_pad}{a_lines[0]}")
        lines.extend(a_lines[1:])
        lines[-1] += ","
    lines.append(f"{pad}{close}{tail}")
    return "\n".join(lines)


def arg_call(head: str, args: Sequence[str], indent: int) -> str:
    """A call used as an argument at ``indent``: returned without its leading padding,
    with continuation lines indented for that position."""
    text = call(head, args, indent)
    return text[indent:]


def assign(target: str, value_head: str, args: Sequence[str]) -> str:
    """``target = value_head(args)`` formatted."""
    return call(f"{target} = {value_head}", args)


def import_from(module: str, names: Sequence[str]) -> str:
    names = _isort_order(names)
    one = f"from {module} import {', '.join(names)}"
    if len(one) <= LINE_LENGTH:
        return one
    body = "".join(f"    {n},\n" for n in names)
    return f"from {module} import (\n{body})"


def _isort_order(names: Sequence[str]) -> list[str]:
    # ruff's isort sorts constants, then classes, then the rest ("force-sort-within-sections"
    # off, order-by-type on): CONSTANT_CASE, CamelCase, lowercase
    def kind(n: str) -> int:
        if n.isupper() and len(n) > 1:
            return 0
        if n[:1].isupper():
            return 1
        return 2

    return sorted(set(names), key=lambda n: (kind(n), n.lower(), n))


class Call:
    """A call (or bracketed list) in generated source, formatted on demand."""

    __slots__ = ("args", "close", "head", "open", "trailing_comma")

    def __init__(
        self,
        head: str,
        args: Sequence[Expr],
        open_: str = "(",
        close: str = ")",
        trailing_comma: bool = True,
    ) -> None:
        self.head = head
        self.args = list(args)
        self.open = open_
        self.close = close
        self.trailing_comma = trailing_comma

    def __repr__(self) -> str:
        return flat(self)


Expr = str | Call


def tuple_of(items: Sequence[Expr]) -> Expr:
    """A tuple literal."""
    if len(items) == 1:
        return Call("", items, "(", ",)")
    return Call("", items)


def list_of(items: Sequence[Expr]) -> Expr:
    return Call("", items, "[", "]")


def flat(expr: Expr) -> str:
    if isinstance(expr, str):
        return expr
    return f"{expr.head}{expr.open}{', '.join(flat(a) for a in expr.args)}{expr.close}"


def render(expr: Expr, indent: int = 0, used: int = 0, after: int = 0) -> str:
    """Source for ``expr`` placed at column ``indent + used``, followed by ``after`` chars.

    Continuation lines are indented from ``indent``.
    """
    one = flat(expr)
    if isinstance(expr, str) or indent + used + len(one) + after <= LINE_LENGTH:
        return one
    if not expr.args:
        return one
    inner = indent + 4
    close = expr.close.lstrip(",") if expr.close.startswith(",") else expr.close
    comma = "," if expr.trailing_comma else ""
    out = [f"{expr.head}{expr.open}"]
    for a in expr.args:
        out.append("\n" + " " * inner + render(a, inner, 0, len(comma)) + comma)
    out.append("\n" + " " * indent + close)
    return "".join(out)


def subscript(name: str, key: str) -> Call:
    """``name[key]``, split the way formatters split a long subscript."""
    return Call(name, [key], "[", "]", trailing_comma=False)


def statement(target: str, expr: Expr, indent: int = 0) -> str:
    """``target = expr`` (or just ``expr`` when target is empty) at ``indent``."""
    prefix = f"{target} = " if target else ""
    pad = " " * indent
    if isinstance(expr, str) and target:
        line = pad + prefix + expr
        if len(line) > LINE_LENGTH and len(pad) + 4 + len(expr) <= LINE_LENGTH:
            return f"{pad}{prefix}(\n{pad}    {expr}\n{pad})"
        return line
    return pad + prefix + render(expr, indent, len(prefix))


def join_module(head: Sequence[str], body: str) -> str:
    """Module text: docstring and imports, the blank lines formatters want, the body."""
    top = "\n".join(head).rstrip("\n")
    code = body.lstrip("\n")
    if not code.strip():
        return top + "\n"
    first = code.split("\n", 1)[0]
    gap = "\n\n\n" if first.startswith(("class ", "def ", "@", "async def ")) else "\n\n"
    return top + gap + code


_STDLIB = {"dataclasses", "datetime", "decimal", "enum", "typing", "collections", "re"}


def import_block(imports: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """Sorted import sections (as isort/ruff sort them, gridware being third-party).

    ``imports`` is a list of (module, names); relative modules start with ".".
    """
    merged: dict[str, set[str]] = {}
    for module, names in imports:
        if names:
            merged.setdefault(module, set()).update(names)
    sections: list[list[str]] = [[], [], [], []]
    for module in sorted(merged, key=lambda m: m.lower()):
        if module == "__future__":
            idx = 0
        elif module.startswith("."):
            idx = 3
        elif module.split(".")[0] in _STDLIB:
            idx = 1
        else:
            idx = 2
        sections[idx].append(import_from(module, sorted(merged[module])))
    out: list[str] = []
    for section in sections:
        if section:
            out.extend(section)
            out.append("")
    return out


def class_header(name: str, bases: Sequence[str]) -> str:
    """``class Name(Base, ...):``, wrapped when too long."""
    one = f"class {name}({', '.join(bases)}):"
    if len(one) <= LINE_LENGTH:
        return one
    inner = ", ".join(bases)
    if len(inner) + 4 <= LINE_LENGTH:
        return f"class {name}(\n    {inner}\n):"
    return f"class {name}(\n" + "".join(f"    {b},\n" for b in bases) + "):"
