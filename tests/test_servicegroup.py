"""WS-ServiceGroup: the generated messages, groups and entries in both dialect sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridware.codegen.generator import generate

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("wsdl", "package"), [("servicegroup-1.2.wsdl", "sg12"), ("servicegroup-gt4.wsdl", "sg_gt4")]
)
def test_committed_servicegroup_messages_are_current(wsdl, package):
    """gridware/container/generated/sg*: wsdl2py output of the WS-ServiceGroup WSDLs."""
    committed = ROOT / "gridware" / "container" / "generated" / package
    fresh = generate("gridware.wsdl:" + wsdl, package).files
    assert sorted(fresh) == sorted(p.name for p in committed.glob("*.py"))
    for name, text in fresh.items():
        assert (committed / name).read_text() == text, (
            f"{package}/{name} is stale: run tools/regenerate"
        )
