"""The container as a process: logs, deployment lines, shutdown on signals."""

from __future__ import annotations

import re
import signal
import threading
import time

import pytest

from gridware.clients.counter import CounterClient
from gridware.container.client import SoapClient
from tests.conftest import COUNTER_NS, start_container
from tests.helpers import get

NETLOGGER = re.compile(r"^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z event=\S+ level=[A-Z]+( |$)")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_clean_shutdown(sig):
    c = start_container("--demo")
    # every deployed service URL is logged
    for name in ("CounterService", "VersionService", "gt4/CounterService", "gt4/VersionService"):
        m = c.wait_for(rf"event=gridware.container.deploy .*service={re.escape(name)} url=(\S+)", 5)
        assert m and m.group(1) == c.url(name)
        assert get(m.group(1) + "?wsdl").status == 200
    assert c.stop(sig) == 0
    assert any("event=gridware.container.stop" in line for line in c.log_lines)
    assert not any("Traceback" in line for line in c.log_lines)


def test_shutdown_waits_for_requests_in_progress(tmp_path):
    import os
    from pathlib import Path

    plugins = Path(__file__).parent / "plugins"
    cfg = tmp_path / "c.toml"
    cfg.write_text('[[service]]\nname = "N"\nclass = "notebook_service:NotebookService"\n')
    c = start_container("--config", str(cfg), env={"PYTHONPATH": str(plugins) + os.pathsep})
    from lxml import etree

    ns = "http://example.org/notebook"
    pt = f"{ns}/NotebookServicePortType"
    create = etree.Element(f"{{{ns}}}create")
    etree.SubElement(create, f"{{{ns}}}title").text = "t"
    from gridware.container.addressing import EndpointReference

    epr = EndpointReference.from_element(
        SoapClient(c.url("N")).call(f"{pt}/createRequest", create)[0]
    )
    result: dict[str, object] = {}

    def slow() -> None:
        body = etree.Element(f"{{{ns}}}slowCount")
        etree.SubElement(body, f"{{{ns}}}delay").text = "1.0"
        try:
            result["reply"] = SoapClient(epr).call(f"{pt}/slowCountRequest", body).text
        except Exception as exc:  # pragma: no cover - reported below
            result["reply"] = exc

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.3)
    assert c.stop(signal.SIGTERM) == 0
    t.join(10)
    assert result["reply"] == "0"


def test_one_netlogger_line_per_request(demo):
    start = len(demo.log_lines)
    epr = CounterClient(demo.url("CounterService")).create()
    CounterClient(epr).add(1)
    assert demo.wait_for(r"op=add status=200", 5, start)
    lines = [line for line in demo.log_lines[start:] if "event=gridware.container.request" in line]
    assert len(lines) == 2
    for line in lines:
        assert NETLOGGER.match(line), line
        fields = dict(kv.split("=", 1) for kv in line.split(" ") if "=" in kv)
        assert fields["service"] == "CounterService"
        assert fields["guid"].startswith("urn:uuid:")
        assert float(fields["dur"]) >= 0
        assert fields["status"] == "200"


def test_guid_is_the_message_id(demo):
    """A request can be followed from client to container by its wsa:MessageID."""
    client = SoapClient(demo.url("CounterService"))
    from lxml import etree

    req = client.prepare(
        f"{COUNTER_NS}/CounterPortType/createCounterRequest",
        etree.Element(f"{{{COUNTER_NS}}}createCounter"),
    )
    status, _, _ = client.transport.post(req.url, req.body, req.headers, 1 << 20)
    assert status == 200
    assert demo.wait_for(
        rf"guid={re.escape(req.message_id)} service=CounterService op=createCounter", 5
    )


def test_faults_are_logged_with_their_reason(demo):
    start = len(demo.log_lines)
    from gridware.container import faults

    with pytest.raises(faults.ResourceUnknownFault):
        CounterClient(demo.url("CounterService")).add(1)
    m = demo.wait_for(r"op=add status=500 .*fault=ResourceUnknownFault reason=(.*)$", 5, start)
    assert m and "CounterKey" in m.group(1)
