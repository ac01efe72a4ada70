"""``gridware wsdl2py`` (also ``python -m gridware.codegen``)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from gridware.codegen.errors import CodegenError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "wsdl", metavar="WSDL", help="path or http(s) URL of a WSDL (or XML Schema) file"
    )
    p.add_argument(
        "-o",
        "--output",
        "--outdir",
        dest="outdir",
        default=".",
        metavar="DIR",
        help="directory to write the package into (default: current directory)",
    )
    p.add_argument(
        "--package", metavar="NAME", help="package name (default: from the WSDL file name)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def default_package(wsdl: str) -> str:
    stem = Path(wsdl.split("?")[0].rstrip("/")).stem or "service"
    from gridware.codegen.naming import attr_name

    name = attr_name(stem)
    return name if name.isidentifier() else "service"


def run(args: argparse.Namespace) -> int:
    from gridware.codegen.generator import generate

    package = args.package or default_package(args.wsdl)
    start = time.perf_counter()
    generated = generate(args.wsdl, package)
    root = generated.write(args.outdir)
    if not args.quiet:
        took = time.perf_counter() - start
        files = ", ".join(sorted(generated.files))
        print(f"wrote package {package} ({files}) to {root} in {took:.2f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gridware.codegen",
        description="Generate typed Python client proxies and server stubs from a WSDL.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except CodegenError as exc:
        print(f"wsdl2py: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"wsdl2py: error: {exc}", file=sys.stderr)
        return 1
