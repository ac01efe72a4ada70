"""The ``gridware`` command line, as a user types it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from lxml import etree

from gridware.container.addressing import EndpointReference
from tests.conftest import COUNTER_NS


def gw(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridware", *args], capture_output=True, text=True, timeout=timeout
    )


def ok(*args: str) -> str:
    r = gw(*args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def fails(*args: str, status: int = 1) -> str:
    r = gw(*args)
    assert r.returncode == status, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 or status == 2, r.stderr
    return r.stderr


@pytest.mark.parametrize(
    ("service", "dialect"), [("CounterService", "wsrf-1.2"), ("gt4/CounterService", "gt4")]
)
def test_counter_walkthrough(demo, tmp_path, service, dialect):
    epr_file = tmp_path / "counter.epr"
    ok("counter", "create", "--url", demo.url(service), "-e", str(epr_file), "--dialect", dialect)
    epr = EndpointReference.read(epr_file)
    assert epr.reference(f"{{{COUNTER_NS}}}CounterKey")
    assert ok("counter", "add", "-e", str(epr_file), "5").strip() == "5"
    assert ok("counter", "add", "-e", str(epr_file), "6").strip() == "11"
    out = ok("wsrf", "get-property", "-e", str(epr_file), "Value")
    el = etree.fromstring(out.encode())
    assert el.tag == f"{{{COUNTER_NS}}}Value" and el.text == "11"
    assert (
        ok("wsrf", "get-property", "-t", "-e", str(epr_file), f"{{{COUNTER_NS}}}Value").strip()
        == "11"
    )
    assert (
        ok(
            "wsrf", "get-property", "-t", "-e", str(epr_file), "c:Value", "-n", f"c={COUNTER_NS}"
        ).strip()
        == "11"
    )
    out = ok("wsrf", "get-properties", "-t", "-e", str(epr_file), "Value", "TerminationTime")
    assert out.splitlines() == ["11", ""]
    doc = etree.fromstring(ok("wsrf", "get-document", "-e", str(epr_file)).encode())
    assert etree.QName(doc).localname == "CounterResourceProperties"
    assert (
        ok("wsrf", "query", "-e", str(epr_file), "/*/c:Value > 10", "-n", f"c={COUNTER_NS}").strip()
        == "true"
    )
    ok("wsrf", "update-property", "-e", str(epr_file), "Value", "100")
    assert ok("counter", "add", "-e", str(epr_file), "1").strip() == "101"
    out = ok("wsrf", "set-termination-time", "-e", str(epr_file), "3600")
    assert "termination time: 20" in out
    assert "infinity" in ok("wsrf", "set-termination-time", "-e", str(epr_file), "infinity")
    ok("wsrf", "destroy", "-e", str(epr_file))
    err = fails("counter", "add", "-e", str(epr_file), "1")
    assert "ResourceUnknownFault" in err


def test_counter_create_prints_epr_without_file(demo):
    out = ok("counter", "create", "--url", demo.url("CounterService"))
    epr = EndpointReference.from_xml(out)
    assert epr.address == demo.url("CounterService")


def test_url_and_key_instead_of_epr_file(demo, tmp_path):
    epr_file = tmp_path / "c.epr"
    ok("counter", "create", "--url", demo.url("CounterService"), "-e", str(epr_file))
    key = EndpointReference.read(epr_file).reference(f"{{{COUNTER_NS}}}CounterKey")
    k = ["--url", demo.url("CounterService"), "-k", f"{{{COUNTER_NS}}}CounterKey", key]
    assert ok("counter", "add", *k, "3").strip() == "3"
    assert ok("wsrf", "get-property", "-t", *k, "Value").strip() == "3"
    assert ok("wsrf", "get-property", "-t", "--url", demo.url("VersionService"), "Version").strip()


def test_user_errors_are_one_line(demo, tmp_path):
    assert "cannot read EPR file" in fails(
        "counter", "add", "-e", str(tmp_path / "missing.epr"), "1"
    )
    bad = tmp_path / "bad.epr"
    bad.write_text("<not-an-epr/>")
    assert "no endpoint reference" in fails("wsrf", "get-property", "-e", str(bad), "Value")
    bad.write_text("garbage <<<")
    assert "not usable XML" in fails("wsrf", "get-property", "-e", str(bad), "Value")
    assert "cannot reach" in fails(
        "wsrf", "get-property", "--url", "http://127.0.0.1:9/wsrf/services/X", "Value"
    )
    fails("wsrf", "get-property", "Value", status=2)
    fails("counter", "add", "-e", "x.epr", "not-a-number", status=2)
    assert "unknown prefix" in fails(
        "wsrf", "get-property", "--url", demo.url("VersionService"), "q:Version", status=2
    )
    assert "InvalidResourcePropertyQNameFault" in fails(
        "wsrf", "get-property", "--url", demo.url("VersionService"), "{urn:x}Nope"
    )
    assert "seconds from now" in fails(
        "wsrf", "set-termination-time", "--url", demo.url("CounterService"), "soon", status=2
    )
    r = gw("wsrf", "get-property", "--url", "ftp://example.org/x", "Value")
    assert r.returncode != 0 and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["container"],
        ["counter"],
        ["counter", "create"],
        ["counter", "add"],
        ["wsrf"],
        ["wsrf", "get-property"],
        ["wsrf", "query"],
        ["wsrf", "set-termination-time"],
    ],
)
def test_help(args):
    r = gw(*args, "--help")
    assert r.returncode == 0
    assert "usage: gridware" in r.stdout


def test_version():
    import gridware

    assert gridware.__version__ in ok("--version")


def test_container_errors_are_one_line(tmp_path, demo):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[container]\nport = 'eighty'\n")
    assert "wrong type" in fails("container", "--config", str(cfg))
    cfg.write_text("[container]\nbogus = 1\n")
    assert "unknown setting container.bogus" in fails("container", "--config", str(cfg))
    cfg.write_text("[[service]]\nclass = 'no.such.module:Thing'\n")
    assert "cannot import no.such.module" in fails("container", "--config", str(cfg))
    cfg.write_text("[[service]]\nclass = 'gridware.container:Resource'\n")
    assert "not a gridware Service class" in fails("container", "--config", str(cfg))
    cfg.write_text("this is = not toml [")
    assert "not valid TOML" in fails("container", "--config", str(cfg))
    assert "cannot read config" in fails("container", "--config", str(tmp_path / "nope.toml"))
    assert "no services to deploy" in fails("container")
    port = demo.base_url.rsplit(":", 1)[1]
    assert "cannot listen" in fails("container", "--demo", "--port", port)
