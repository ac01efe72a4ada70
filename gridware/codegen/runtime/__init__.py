"""Binding runtime shared by generated code and the container."""

from gridware.codegen.runtime.simpletypes import (
    SIMPLE_TYPES,
    SimpleType,
    SimpleTypeError,
    format_datetime,
    parse_datetime,
    parse_duration,
    simple_type,
)

__all__ = [
    "SIMPLE_TYPES",
    "SimpleType",
    "SimpleTypeError",
    "format_datetime",
    "parse_datetime",
    "parse_duration",
    "simple_type",
]
