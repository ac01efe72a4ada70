"""How long wsdl2py takes: the largest standard WSDL set, and a synthetic big WSDL.

1. Every WSDL shipped in ``gridware/wsdl`` (the WSRF 1.2, WSN 1.3 and 2004/06
   draft sets and the demo services), one package each, and the largest one alone.
2. A synthetic WSDL with 500 complex types and 200 operations.

Goal (issue #3): each under 5 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from gridware import wsdl as shipped
from gridware.codegen.generator import generate


def synthetic_wsdl(types: int, operations: int) -> str:
    """A document/literal WSDL: ``types`` nested complex types, ``operations`` operations."""
    tns = "http://gridware.org/bench/synthetic"
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<wsdl:definitions name="Synthetic" targetNamespace="{tns}" xmlns:tns="{tns}"',
        '  xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"',
        '  xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"',
        '  xmlns:xsd="http://www.w3.org/2001/XMLSchema">',
        "<wsdl:types>",
        f'<xsd:schema targetNamespace="{tns}" elementFormDefault="qualified">',
        '<xsd:simpleType name="Kind"><xsd:restriction base="xsd:string">'
        '<xsd:enumeration value="a"/><xsd:enumeration value="b"/></xsd:restriction></xsd:simpleType>',
    ]
    for i in range(types):
        ref = f'<xsd:element name="Child" type="tns:T{i - 1}" minOccurs="0"/>' if i else ""
        parts.append(
            f'<xsd:complexType name="T{i}"><xsd:sequence>'
            f'<xsd:element name="Id" type="xsd:int"/>'
            f'<xsd:element name="Name" type="xsd:string" minOccurs="0"/>'
            f'<xsd:element name="When" type="xsd:dateTime" maxOccurs="unbounded"/>'
            f'<xsd:element name="Kind" type="tns:Kind"/>{ref}'
            f'</xsd:sequence><xsd:attribute name="ref" type="xsd:anyURI"/></xsd:complexType>'
        )
    for j in range(operations):
        t = j % types
        parts.append(
            f'<xsd:element name="op{j}"><xsd:complexType><xsd:sequence>'
            f'<xsd:element name="In" type="tns:T{t}"/></xsd:sequence></xsd:complexType></xsd:element>'
            f'<xsd:element name="op{j}Response"><xsd:complexType><xsd:sequence>'
            f'<xsd:element name="Out" type="tns:T{t}"/></xsd:sequence></xsd:complexType></xsd:element>'
        )
    parts += ["</xsd:schema>", "</wsdl:types>"]
    for j in range(operations):
        parts.append(
            f'<wsdl:message name="op{j}Request"><wsdl:part name="parameters" element="tns:op{j}"/>'
            f'</wsdl:message><wsdl:message name="op{j}Response">'
            f'<wsdl:part name="parameters" element="tns:op{j}Response"/></wsdl:message>'
        )
    parts.append('<wsdl:portType name="SyntheticPortType">')
    for j in range(operations):
        parts.append(
            f'<wsdl:operation name="op{j}"><wsdl:input message="tns:op{j}Request"/>'
            f'<wsdl:output message="tns:op{j}Response"/></wsdl:operation>'
        )
    parts.append("</wsdl:portType>")
    parts.append(
        '<wsdl:binding name="SyntheticBinding" type="tns:SyntheticPortType">'
        '<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>'
    )
    for j in range(operations):
        parts.append(
            f'<wsdl:operation name="op{j}"><soap:operation soapAction="{tns}/op{j}"/>'
            '<wsdl:input><soap:body use="literal"/></wsdl:input>'
            '<wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>'
        )
    parts.append("</wsdl:binding></wsdl:definitions>")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--types", type=int, default=500)
    ap.add_argument("--operations", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="accepted for symmetry; same work")
    args = ap.parse_args(argv)

    out = Path(tempfile.mkdtemp(prefix="gw-gen-"))
    wsdls = sorted(p for p in shipped.shipped_files() if p.endswith(".wsdl"))
    times: dict[str, float] = {}
    lines: dict[str, int] = {}
    start_all = time.perf_counter()
    for i, rel in enumerate(wsdls):
        start = time.perf_counter()
        pkg = generate("gridware.wsdl:" + rel, f"std{i}")
        pkg.write(out)
        times[rel] = time.perf_counter() - start
        lines[rel] = sum(text.count("\n") for text in pkg.files.values())
    total = time.perf_counter() - start_all
    largest = max(lines, key=lambda r: lines[r])
    print(
        f"standard set: {len(wsdls)} WSDLs, {sum(lines.values()):,} lines generated in {total:.2f} s"
    )
    print(f"largest: {largest} ({lines[largest]:,} lines) in {times[largest]:.3f} s")

    src = out / "synthetic.wsdl"
    src.write_text(synthetic_wsdl(args.types, args.operations))
    start = time.perf_counter()
    pkg = generate(str(src), "synthetic")
    took = time.perf_counter() - start
    pkg.write(out)
    generated_lines = sum(text.count("\n") for text in pkg.files.values())
    print(
        f"synthetic: {args.types} types, {args.operations} operations -> "
        f"{generated_lines:,} lines in {took:.2f} s"
    )
    worst = max(total, took)
    print(f"goal: each under 5 s -> {'met' if worst < 5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
