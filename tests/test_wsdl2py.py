"""wsdl2py on the shipped standard WSDLs and on bad input; generated code in use."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gridware import wsdl as shipped
from gridware.codegen.errors import CodegenError
from gridware.codegen.generator import generate

ROOT = Path(__file__).resolve().parent.parent
STANDARD = sorted(p for p in shipped.shipped_files() if p.endswith(".wsdl"))


def _package(rel: str) -> str:
    return "std_" + "".join(c if c.isalnum() else "_" for c in rel.lower()).strip("_")


@pytest.fixture(scope="module")
def standard_packages(tmp_path_factory):
    """Every shipped WSDL generated into one directory (timed)."""
    out = tmp_path_factory.mktemp("std")
    took = {}
    for rel in STANDARD:
        start = time.perf_counter()
        generate("gridware.wsdl:" + rel, _package(rel)).write(out)
        took[rel] = time.perf_counter() - start
    sys.path.insert(0, str(out))
    yield out, took
    sys.path.remove(str(out))
    for name in list(sys.modules):
        if name.startswith("std_"):
            del sys.modules[name]


@pytest.mark.parametrize("rel", STANDARD)
def test_standard_wsdl_compiles_and_imports(standard_packages, rel):
    pkg = _package(rel)
    for module in ("types", "faults", "client", "server"):
        importlib.import_module(f"{pkg}.{module}")
    types = importlib.import_module(f"{pkg}.types")
    assert types.ELEMENTS, f"{rel} produced no element bindings"


def test_output_is_deterministic():
    for rel in (
        "counter.wsdl",
        "schemas/wsn-1.3/bw-2.wsdl",
        "schemas/wsrf-draft-2004-06/wsrf/properties/WS-ResourceProperties.wsdl",
    ):
        a = generate("gridware.wsdl:" + rel, "pkg").files
        b = generate("gridware.wsdl:" + rel, "pkg").files
        assert a == b


def test_output_is_formatted_and_lint_clean(standard_packages):
    out, _ = standard_packages
    ruff = [sys.executable, "-m", "ruff"]
    # run where a user's project would: gridware is a third-party package there
    fmt = subprocess.run(
        [*ruff, "format", "--isolated", "--check", "--line-length", "88", "."],
        capture_output=True,
        text=True,
        cwd=out,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    lint = subprocess.run(
        [*ruff, "check", "--no-cache", "--isolated", "--select", "F,I", "."],
        capture_output=True,
        text=True,
        cwd=out,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_generated_packages_pass_mypy_strict(standard_packages, tmp_path):
    out, _ = standard_packages
    config = tmp_path / "mypy.ini"
    config.write_text(
        textwrap.dedent(
            """
            [mypy]
            strict = True
            [mypy-gridware.*]
            follow_imports = silent
            [mypy-twisted.*,zope.*]
            follow_imports = skip
            ignore_missing_imports = True
            """
        )
    )
    packages = [
        _package(rel)
        for rel in (
            "counter.wsdl",
            "counter-gt4.wsdl",
            "schemas/wsrf-1.2/rpw-2.wsdl",
            "schemas/wsn-1.3/bw-2.wsdl",
        )
    ]
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            *[str(out / p) for p in packages],
        ],
        capture_output=True,
        text=True,
        cwd=out,
        env={"MYPYPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr


def test_generation_time_of_the_standard_set(standard_packages):
    """Reported by the benchmark; here only a sanity bound against pathologies."""
    _, took = standard_packages
    assert max(took.values()) < 30


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip())
    return p


XSD_HEAD = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t" xmlns:t="urn:t" elementFormDefault="qualified">'


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "a.xsd": f"{XSD_HEAD}\n<xs:import namespace='urn:u' schemaLocation='missing.xsd'/>\n</xs:schema>"
            },
            r"a\.xsd:2: cannot import missing\.xsd",
        ),
        (
            {"a.xsd": f"{XSD_HEAD}\n<xs:element name='e' type='t:Nope'/>\n</xs:schema>"},
            r"a\.xsd:2: unknown type \{urn:t\}Nope",
        ),
        (
            {"a.xsd": f"{XSD_HEAD}\n<xs:element name='e' type='q:Nope'/>\n</xs:schema>"},
            r"a\.xsd:2: unbound namespace prefix 'q'",
        ),
        (
            {
                "a.xsd": f"{XSD_HEAD}\n<xs:complexType name='A'><xs:complexContent><xs:extension base='t:A'/></xs:complexContent></xs:complexType>\n</xs:schema>"
            },
            r"a\.xsd:2: .*extends itself",
        ),
        (
            {
                "a.xsd": f"{XSD_HEAD}\n<xs:group name='g'><xs:sequence><xs:group ref='t:g' maxOccurs='2'/></xs:sequence></xs:group><xs:element name='e'><xs:complexType><xs:group ref='t:g' maxOccurs='2'/></xs:complexType></xs:element>\n</xs:schema>"
            },
            r"a\.xsd:\d+: model group \{urn:t\}g includes itself",
        ),
        (
            {"a.xsd": f"{XSD_HEAD}\n<xs:element name='e'>\n</xs:schema>"},
            r"a\.xsd:3: not usable XML",
        ),
        (
            {
                "a.xsd": f"{XSD_HEAD}<xs:element name='e'><xs:complexType><xs:sequence>\n<xs:element name='x' maxOccurs='lots'/>\n</xs:sequence></xs:complexType></xs:element></xs:schema>"
            },
            r"a\.xsd:2: invalid minOccurs/maxOccurs",
        ),
        (
            {
                "a.wsdl": "<definitions xmlns='http://schemas.xmlsoap.org/wsdl/' targetNamespace='urn:t' xmlns:t='urn:t'>\n<portType name='P'><operation name='o'><input message='t:M'/></operation></portType>\n</definitions>"
            },
            r"a\.wsdl:2: unknown message \{urn:t\}M",
        ),
        (
            {
                "a.wsdl": "<definitions xmlns='http://schemas.xmlsoap.org/wsdl/' targetNamespace='urn:t'>\n<import namespace='urn:x' location='nowhere.wsdl'/>\n</definitions>"
            },
            r"a\.wsdl:2: cannot import nowhere\.wsdl",
        ),
        (
            {
                "a.wsdl": "<definitions xmlns='http://schemas.xmlsoap.org/wsdl/' targetNamespace='urn:t' xmlns:t='urn:t'>\n<message name='M'><part name='p' element='t:missing'/></message>\n</definitions>"
            },
            r"a\.wsdl:2: unknown element \{urn:t\}missing",
        ),
        (
            {
                "a.wsdl": "<definitions xmlns='http://schemas.xmlsoap.org/wsdl/' targetNamespace='urn:t'>\n<import namespace='urn:x' location='http://127.0.0.1:9/x.wsdl'/>\n</definitions>"
            },
            r"refusing to fetch",
        ),
        ({"a.txt": "this is not xml"}, r"a\.txt:1: not usable XML"),
    ],
    ids=[
        "missing-import",
        "unknown-type",
        "unbound-prefix",
        "type-cycle",
        "group-cycle",
        "invalid-xml",
        "bad-occurs",
        "unknown-message",
        "missing-wsdl-import",
        "unknown-part-element",
        "no-network",
        "not-xml",
    ],
)
def test_bad_input_names_file_and_line(tmp_path, files, expected):
    import re

    main = None
    for name, text in files.items():
        main = _write(tmp_path, name, text)
    with pytest.raises(CodegenError) as info:
        generate(str(main), "pkg")
    assert re.search(expected, str(info.value)), str(info.value)
    # and from the command line: one line, exit status 1, no traceback
    r = subprocess.run(
        [sys.executable, "-m", "gridware", "wsdl2py", str(main), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert re.search(expected, r.stderr)


def test_missing_input_file(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "gridware.codegen", str(tmp_path / "nope.wsdl")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1 and "cannot read" in r.stderr and "Traceback" not in r.stderr


def test_bad_package_name(tmp_path):
    with pytest.raises(CodegenError, match="not a valid Python package name"):
        generate("gridware.wsdl:counter.wsdl", "class")


def test_rpc_encoded_is_refused(tmp_path):
    wsdl = _write(
        tmp_path,
        "enc.wsdl",
        """
        <definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
                     xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t" xmlns:t="urn:t">
          <message name="M"><part name="a" type="xs:int"/></message>
          <portType name="P"><operation name="o"><input message="t:M"/><output message="t:M"/></operation></portType>
          <binding name="B" type="t:P"><soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
            <operation name="o"><input><soap:body use="encoded" namespace="urn:t"/></input>
            <output><soap:body use="encoded" namespace="urn:t"/></output></operation></binding>
        </definitions>
        """,
    )
    with pytest.raises(CodegenError, match=r"enc\.wsdl:\d+: rpc/encoded is not supported"):
        generate(str(wsdl), "pkg")


@pytest.mark.parametrize(
    ("wsdl", "package"),
    [
        ("counter.wsdl", "counter"),
        ("counter-gt4.wsdl", "counter_gt4"),
        ("version.wsdl", "version"),
        ("version-gt4.wsdl", "version_gt4"),
    ],
)
def test_committed_code_of_the_demo_services_is_current(wsdl, package):
    """gridware/services/samples/generated is wsdl2py output; tools/regenerate refreshes it."""
    committed = ROOT / "gridware" / "services" / "samples" / "generated" / package
    fresh = generate("gridware.wsdl:" + wsdl, package).files
    assert sorted(fresh) == sorted(p.name for p in committed.glob("*.py"))
    for name, text in fresh.items():
        assert (committed / name).read_text() == text, (
            f"{package}/{name} is stale: run tools/regenerate"
        )


def test_demo_counter_runs_on_generated_code(demo):
    """The generated client talks to the generated-stub service in the container."""
    from gridware.services.samples.generated.counter.client import CounterPortTypeClient
    from gridware.services.samples.generated.counter.faults import ResourceUnknownFault
    from gridware.services.samples.generated.counter_gt4.client import (
        CounterPortTypeClient as GT4Client,
    )

    for client_cls, service in (
        (CounterPortTypeClient, "CounterService"),
        (GT4Client, "gt4/CounterService"),
    ):
        epr = client_cls(demo.url(service)).createCounter()
        counter = client_cls(epr)
        assert counter.add(5) == 5
        assert counter.add(2) == 7
        from gridware.container import faults

        with pytest.raises(faults.ResourceUnknownFault):
            client_cls(demo.url(service)).add(1)
    # the typed fault class of the generated package, with its typed detail
    with pytest.raises(ResourceUnknownFault) as info:
        CounterPortTypeClient(demo.url("CounterService")).add(1)
    detail = info.value.detail_value
    assert detail is not None and "CounterKey" in detail.description[0].value


@pytest.mark.parametrize(
    ("wsdl", "package"), [("wsrf-1.2.wsdl", "wsrf12"), ("wsrf-gt4.wsdl", "wsrf_gt4")]
)
def test_committed_code_of_the_container_messages_is_current(wsdl, package):
    """gridware/container/generated: the WS-RF messages the container and WsrfClient use."""
    committed = ROOT / "gridware" / "container" / "generated" / package
    fresh = generate("gridware.wsdl:" + wsdl, package).files
    assert sorted(fresh) == sorted(p.name for p in committed.glob("*.py"))
    for name, text in fresh.items():
        assert (committed / name).read_text() == text, (
            f"{package}/{name} is stale: run tools/regenerate"
        )
