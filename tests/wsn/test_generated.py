"""gridware/container/generated/wsn13 and wsn_gt4 are wsdl2py output of the WS-Notification
WSDLs (tools/regenerate refreshes them)."""

from __future__ import annotations

import pytest

from gridware.codegen.generator import generate
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("wsdl", "package"), [("wsn-1.3.wsdl", "wsn13"), ("wsn-gt4.wsdl", "wsn_gt4")]
)
def test_committed_code_of_the_notification_messages_is_current(wsdl, package):
    committed = ROOT / "gridware" / "container" / "generated" / package
    fresh = generate("gridware.wsdl:" + wsdl, package).files
    assert sorted(fresh) == sorted(p.name for p in committed.glob("*.py"))
    for name, text in fresh.items():
        assert (committed / name).read_text() == text, (
            f"{package}/{name} is stale: run tools/regenerate"
        )
