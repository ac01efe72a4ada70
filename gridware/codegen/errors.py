"""Errors of the code generator: one clear message naming the file and line."""

from __future__ import annotations

from lxml import etree


class CodegenError(Exception):
    """A WSDL or schema problem: ``file:line: message``."""

    def __init__(self, message: str, location: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.location = location
        self.line = line
        where = location or "<input>"
        if line:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}")


def error_at(message: str, el: etree._Element | None, location: str | None) -> CodegenError:
    """A :class:`CodegenError` pointing at ``el`` in ``location``."""
    line = el.sourceline if el is not None else None
    return CodegenError(message, location, line if isinstance(line, int) else None)
