"""A user's own service: written in Python, deployed by TOML config or entry point."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from lxml import etree

from gridware.clients.wsrf import WsrfClient
from gridware.container import faults
from gridware.container.addressing import EndpointReference
from gridware.container.client import SoapClient
from tests.conftest import ROOT, start_container

NS = "http://example.org/notebook"
PLUGINS = ROOT / "tests" / "plugins"
PORT_TYPE = f"{NS}/NotebookServicePortType"


def _el(local: str, text: str | None = None, **children: str | list[str]) -> etree._Element:
    el = etree.Element(f"{{{NS}}}{local}", nsmap={"n": NS})
    el.text = text
    for name, value in children.items():
        for v in value if isinstance(value, list) else [value]:
            etree.SubElement(el, f"{{{NS}}}{name}").text = v
    return el


def _call(target: str | EndpointReference, op: str, body: etree._Element) -> etree._Element:
    return SoapClient(target).call(f"{PORT_TYPE}/{op}Request", body)


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    cfg = tmp_path_factory.mktemp("cfg") / "container.toml"
    cfg.write_text(
        """
[container]
log_level = "INFO"
max_message_size = "1MiB"

[[service]]
name = "Notebooks"
class = "notebook_service:NotebookService"
[service.options]
greeting = "My "

[[service]]
name = "gt4/Notebooks"
class = "notebook_service:NotebookService"
dialect = "gt4"
"""
    )
    c = start_container("--config", str(cfg), env={"PYTHONPATH": str(PLUGINS)})
    yield c
    c.stop()


def _create(c, service="Notebooks", title="Lab"):
    reply = _call(c.url(service), "create", _el("create", title=title))
    return EndpointReference.from_element(reply[0])


def test_typed_operations_and_options(notebooks):
    epr = _create(notebooks)
    assert _call(epr, "write", _el("write", page=["one", "two"])).text == "2"
    assert _call(epr, "write", _el("write", page="three")).text == "3"
    nb = WsrfClient(epr)
    assert nb.get_value("Title") == "My Lab"  # the greeting came from [service.options]
    assert [e.text for e in nb.get_property("Page")] == ["one", "two", "three"]
    assert nb.get_value("Owner").startswith("127.0.0.1:")  # from the request context


def test_all_wsrf_operations_come_for_free(notebooks):
    for service in ("Notebooks", "gt4/Notebooks"):
        epr = _create(notebooks, service)
        nb = WsrfClient(epr)
        nb.insert_property("Page", "a", "b")
        assert nb.query("count(/*/n:Page)", {"n": NS}) == "2"
        nb.delete_property("Page")  # minOccurs=0, so that is fine
        assert nb.get_property("Page") == []
        nb.update_property("Title", "Renamed")
        assert nb.get_value("Title") == "Renamed"
        with pytest.raises(faults.UnableToModifyResourcePropertyFault):
            nb.update_property("Owner", "mallory")
        nb.destroy()
        with pytest.raises(faults.ResourceUnknownFault):
            nb.get_value("Title")


def test_missing_and_unexpected_arguments(notebooks):
    with pytest.raises(faults.SenderFault, match="missing element <title>"):
        _call(notebooks.url("Notebooks"), "create", _el("create"))
    with pytest.raises(faults.SenderFault, match="unexpected element <colour>"):
        _call(notebooks.url("Notebooks"), "create", _el("create", title="x", colour="red"))
    with pytest.raises(faults.SenderFault, match="may appear only once"):
        _call(notebooks.url("Notebooks"), "create", _el("create", title=["a", "b"]))
    epr = _create(notebooks)
    with pytest.raises(faults.SenderFault, match="at least one page"):
        _call(epr, "write", _el("write"))


def test_async_and_blocking_operations_do_not_stall_the_reactor(notebooks):
    epr = _create(notebooks)
    _call(epr, "write", _el("write", page="p"))
    results: dict[str, float] = {}

    def slow(op: str) -> None:
        t = time.monotonic()
        reply = _call(epr, op, _el(op, delay="1.5"))
        assert reply.text == "1"
        results[op] = time.monotonic() - t

    threads = [threading.Thread(target=slow, args=(op,)) for op in ("slowCount", "blockingCount")]
    for t in threads:
        t.start()
    time.sleep(0.3)
    start = time.monotonic()
    for _ in range(5):
        assert WsrfClient(epr).get_value("Title") == "My Lab"
    quick = time.monotonic() - start
    for t in threads:
        t.join()
    assert results["slowCount"] >= 1.5 and results["blockingCount"] >= 1.5
    assert quick < 1.0, "other requests waited for the slow operations"
    assert (
        _call(notebooks.url("Notebooks"), "deferredEcho", _el("deferredEcho", text="hi")).text
        == "HI"
    )


def test_internal_errors_do_not_leak(notebooks):
    start = len(notebooks.log_lines)
    with pytest.raises(faults.ReceiverFault) as info:
        _call(notebooks.url("Notebooks"), "crash", _el("crash"))
    message = info.value.description
    assert "secret" not in message and "Traceback" not in message
    assert "internal error" in message
    guid = message.rsplit("guid ", 1)[1]
    assert notebooks.wait_for(f"guid={guid}.*secret internal detail", 5, start)


def test_request_size_limit_from_config(notebooks):
    from tests.helpers import envelope, post

    big = envelope(
        f'<n:create xmlns:n="{NS}"><n:title>{"x" * (2 * 1024 * 1024)}</n:title></n:create>'
    )
    r = post(notebooks.url("Notebooks"), big)
    assert r.status == 413


def _entry_point_dir(tmp: Path) -> Path:
    dist = tmp / "notebook_plugin-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: notebook-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[gridware.services]\nPluginNotebooks = notebook_service:NotebookService\n"
    )
    return tmp


def test_entry_point_services_are_deployed(tmp_path):
    env = {"PYTHONPATH": f"{_entry_point_dir(tmp_path)}:{PLUGINS}"}
    c = start_container("--demo", env=env)
    try:
        assert c.wait_for(r"event=gridware.container.deploy .*service=PluginNotebooks", 5)
        epr = _create(c, "PluginNotebooks")
        assert WsrfClient(epr).get_value("Title") == "Lab"
    finally:
        c.stop()
    cfg = tmp_path / "no-ep.toml"
    cfg.write_text("[container]\nentry_points = false\ndemo = true\n")
    c = start_container("--config", str(cfg), env=env)
    try:
        assert c.wait_for(r"service=CounterService", 5)
        assert not c.wait_for(r"service=PluginNotebooks", 0.5)
    finally:
        c.stop()


def test_embedding_api():
    """Host one service inside a plain Python program."""
    import sys

    sys.path.insert(0, str(PLUGINS))
    try:
        from notebook_service import NotebookService

        from gridware.container.embed import hosted

        with hosted(NotebookService("Embedded", options={"greeting": "E-"})) as container:
            url = container.services["Embedded"].url
            reply = _call(url, "create", _el("create", title="mbed"))
            epr = EndpointReference.from_element(reply[0])
            assert WsrfClient(epr).get_value("Title") == "E-mbed"
        with pytest.raises(Exception):  # noqa: B017 - stopped means connection refused
            _call(url, "create", _el("create", title="gone"))
    finally:
        sys.path.remove(str(PLUGINS))
