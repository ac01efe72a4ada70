"""Operations whose actions depend on the service's dialect set.

The WS-Notification operations (Subscribe, Renew, PauseSubscription ...) have
different actions and element namespaces in WS-BaseNotification 1.3 and in the
2004/06 draft.  A service deployed in either set adds them to its dispatch table
when it is built; the method receives the request element as it arrived (its
namespace declarations are needed to read topic expressions and XPath) and
returns the response element.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from gridware.codegen.runtime.operation import OperationBinding
from gridware.container.service import OperationSpec, Service


@dataclass(frozen=True)
class ElementCodec:
    """A message codec that hands the element over as it is (both directions)."""

    tag: str
    param: str = "request"

    def encode(self, args: dict[str, Any]) -> etree._Element:
        el: etree._Element = args[self.param]
        return el

    def decode_args(self, el: etree._Element) -> dict[str, Any]:
        return {self.param: el}

    def encode_result(self, value: Any) -> etree._Element:
        if not isinstance(value, etree._Element):
            raise TypeError(f"expected the <{etree.QName(self.tag).localname}> element")
        return value

    def decode_result(self, el: etree._Element) -> Any:
        return el


@dataclass(frozen=True)
class DialectOperation:
    """One operation: its request action and element, its reply action and element."""

    name: str
    method: str
    action: str
    request: str
    response: str
    response_action: str
    aliases: tuple[str, ...] = ()
    resource: bool = True  # the method receives the addressed resource


def add_operations(service: Service, operations: list[DialectOperation]) -> None:
    """Add ``operations`` to ``service``'s dispatch table (after its own ones)."""
    for op in operations:
        binding = OperationBinding(
            op.name,
            op.action,
            ElementCodec(op.request),
            ElementCodec(op.response, "result"),
            op.response_action,
        )
        spec = OperationSpec(
            op.name,
            op.method,
            op.action,
            binding=binding,
            context_param="context",
            resource_param="resource" if op.resource else None,
        )
        entry: tuple[str, OperationSpec | None] = (op.name, spec)
        service._dispatch[op.action] = entry
        for alias in op.aliases:
            service._dispatch[alias] = entry
        service._by_body[op.request] = entry
        service._response_actions[op.name] = op.response_action


__all__ = ["DialectOperation", "ElementCodec", "add_operations"]
