"""wsdl2py on WSDL and schema inputs beyond the feature schema.

- a WSDL split over files with ``wsdl:import`` (relative paths), and a bare schema;
- bad input: one clear ``CodegenError`` naming the file and line, never a
  traceback (``python -m gridware.codegen`` prints one line and exits 1).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gridware.codegen.errors import CodegenError
from gridware.codegen.generator import generate
from tests.codegen.support import forget, import_one

XS = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"'
WSDL_NS = (
    'xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" '
    'xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
    f'xmlns:t="urn:t" {XS}'
)


def schema(body: str, extra: str = "") -> str:
    return (
        f'<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t" '
        f'elementFormDefault="qualified" {extra}>\n{body}\n</xs:schema>\n'
    )


INTERFACE = f"""<wsdl:definitions {WSDL_NS} targetNamespace="urn:t">
  <wsdl:types>
    {schema('<xs:element name="echo" type="xs:string"/><xs:element name="echoed" type="xs:int"/>')}
  </wsdl:types>
  <wsdl:message name="in"><wsdl:part name="body" element="t:echo"/></wsdl:message>
  <wsdl:message name="out"><wsdl:part name="body" element="t:echoed"/></wsdl:message>
  <wsdl:portType name="EchoPortType">
    <wsdl:operation name="echo"><wsdl:input message="t:in"/><wsdl:output message="t:out"/>
    </wsdl:operation>
  </wsdl:portType>
</wsdl:definitions>
"""

SERVICE = f"""<wsdl:definitions {WSDL_NS} targetNamespace="urn:t">
  <wsdl:import namespace="urn:t" location="interface/echo.wsdl"/>
  <wsdl:binding name="EchoBinding" type="t:EchoPortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="echo"><soap:operation soapAction="urn:t/echo"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="EchoService">
    <wsdl:port name="EchoPort" binding="t:EchoBinding">
      <soap:address location="http://127.0.0.1:1/echo"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_wsdl_split_over_files_with_wsdl_import(tmp_path):
    write(tmp_path / "interface" / "echo.wsdl", INTERFACE)
    service = write(tmp_path / "service.wsdl", SERVICE)
    pkg = generate(str(service), "gw_test_split")
    try:
        client = import_one(pkg, tmp_path / "out", "client")
        op = client.ECHO_PORT_TYPE_OPERATIONS["echo"]
        assert op.soap_action is None or op.soap_action == "urn:t/echo"
        assert client.EchoPortTypeClient.default_address == "http://127.0.0.1:1/echo"
        assert op.input.encode({"echo": "hi"}).text == "hi"
        assert op.output.decode_result(op.output.encode_result(3)) == 3
    finally:
        forget("gw_test_split", tmp_path / "out")


def test_a_bare_schema_gives_types_only(tmp_path):
    xsd = write(
        tmp_path / "point.xsd",
        schema(
            '<xs:element name="point"><xs:complexType><xs:attribute name="x" type="xs:int"/>'
            "</xs:complexType></xs:element>"
        ),
    )
    pkg = generate(str(xsd), "gw_test_bare")
    try:
        t = import_one(pkg, tmp_path / "out", "types")
        point = t.ELEMENTS["{urn:t}point"].read(t.ELEMENTS["{urn:t}point"].build(t.Point(x=3)))
        assert point == t.Point(x=3)
    finally:
        forget("gw_test_bare", tmp_path / "out")


# -- bad input ----------------------------------------------------------------------------

BAD_INPUTS = [
    # (id, {file: text}, the file named in the error, its line, words of the message[, mark])
    (
        "invalid XML",
        {"a.xsd": schema('<xs:element name="a" type="xs:int">')},
        "a.xsd",
        3,
        ["not well-formed"],
    ),
    (
        "unknown type",
        {"a.xsd": schema('<xs:element name="a" type="t:Nope"/>')},
        "a.xsd",
        2,
        ["Nope"],
    ),
    (
        "unknown element reference",
        {
            "a.xsd": schema(
                '<xs:complexType name="A"><xs:sequence>\n<xs:element ref="t:nope"/>'
                "</xs:sequence></xs:complexType>"
            )
        },
        "a.xsd",
        3,
        ["nope"],
    ),
    (
        "missing include",
        {"a.xsd": schema('<xs:include schemaLocation="missing.xsd"/>')},
        "a.xsd",
        2,
        ["missing.xsd"],
    ),
    (
        "missing import",
        {"a.xsd": schema('<xs:import namespace="urn:o" schemaLocation="sub/missing.xsd"/>')},
        "a.xsd",
        2,
        ["missing.xsd"],
    ),
    (
        "error inside an imported schema",
        {
            "a.xsd": schema('<xs:import namespace="urn:o" schemaLocation="b.xsd"/>'),
            "b.xsd": (
                f'<xs:schema {XS} targetNamespace="urn:o">\n\n'
                '<xs:element name="b" type="xs:nothing"/></xs:schema>'
            ),
        },
        "b.xsd",
        3,
        ["nothing"],
    ),
    (
        "extension cycle",
        {
            "a.xsd": schema(
                '<xs:complexType name="A"><xs:complexContent><xs:extension base="t:B"/>'
                '</xs:complexContent></xs:complexType>\n<xs:complexType name="B">'
                '<xs:complexContent><xs:extension base="t:A"/></xs:complexContent>'
                '</xs:complexType><xs:element name="a" type="t:A"/>'
            )
        },
        "a.xsd",
        None,
        ["A"],
    ),
    (
        "model group cycle",
        {
            "a.xsd": schema(
                '<xs:group name="G"><xs:sequence><xs:element name="x" type="xs:int"/>'
                '<xs:group ref="t:G"/></xs:sequence></xs:group>\n<xs:complexType name="A">'
                '<xs:group ref="t:G"/></xs:complexType>'
            )
        },
        "a.xsd",
        None,
        ["G"],
    ),
    (
        "attribute group cycle",
        {
            "a.xsd": schema(
                '<xs:attributeGroup name="G"><xs:attributeGroup ref="t:G"/></xs:attributeGroup>'
                '\n<xs:complexType name="A"><xs:attributeGroup ref="t:G"/></xs:complexType>'
            )
        },
        "a.xsd",
        None,
        ["G"],
    ),
    (
        "substitution group cycle",
        {
            "a.xsd": schema(
                '<xs:element name="a" substitutionGroup="t:b"/>\n'
                '<xs:element name="b" substitutionGroup="t:a"/>'
            )
        },
        "a.xsd",
        None,
        ["cycle"],
    ),
    (
        "a location on the network",
        {
            "a.xsd": schema(
                '<xs:import namespace="urn:o" schemaLocation="http://example.org/o.xsd"/>'
            )
        },
        "a.xsd",
        2,
        ["http://example.org/o.xsd"],
    ),
    (
        "unknown message",
        {"a.wsdl": INTERFACE.replace('message="t:out"', 'message="t:gone"')},
        "a.wsdl",
        None,
        ["gone"],
    ),
]


@pytest.mark.parametrize(
    ("files", "culprit", "line", "words"),
    [pytest.param(*case[1:5], id=case[0], marks=case[5:]) for case in BAD_INPUTS],
)
def test_bad_input_gives_one_clear_error(tmp_path, files, culprit, line, words):
    for name, text in files.items():
        write(tmp_path / name, text)
    first = tmp_path / next(iter(files))
    with pytest.raises(CodegenError) as info:
        generate(str(first), "gw_test_bad")
    error = info.value
    assert error.location is not None and Path(error.location).name == culprit, str(error)
    if line is not None:
        assert error.line == line, str(error)
    for word in words:
        assert word in error.message, str(error)


def test_command_line_reports_bad_input_in_one_line(tmp_path):
    bad = write(tmp_path / "bad.xsd", schema('<xs:element name="a" type="t:Nope"/>'))
    done = subprocess.run(
        [sys.executable, "-m", "gridware.codegen", str(bad), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("wsdl2py: error: ") and f"{bad}:2:" in lines[0]
