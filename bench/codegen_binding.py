"""Parse + serialize of a resource-property document: wsdl2py types versus zeep.

The document (``bench/data/jobs.wsdl``): an owner and 100 nested job entries
(enumeration, dateTime, nillable int, nested complex type with an attribute,
a list of strings, a decimal).  Both libraries load the same WSDL; each round
parses the XML into objects and serializes the objects back to XML.

Goal (issue #3): wsdl2py >= 3x faster than zeep, same run.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
WSDL = HERE / "data" / "jobs.wsdl"
NS = "http://gridware.org/bench/jobs"
DOC = f"{{{NS}}}JobsResourceProperties"


def document(entries: int) -> bytes:
    """The XML of a property document with ``entries`` jobs."""
    e = etree.Element(DOC, nsmap={"j": NS})
    etree.SubElement(e, f"{{{NS}}}Owner").text = "/O=Grid/OU=Bench/CN=Jane Doe"
    start = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    states = ["Pending", "Active", "Done", "Failed"]
    for i in range(entries):
        job = etree.SubElement(e, f"{{{NS}}}Job", id=str(i))
        etree.SubElement(job, f"{{{NS}}}Name").text = f"job-{i}"
        etree.SubElement(job, f"{{{NS}}}State").text = states[i % 4]
        when = start + timedelta(seconds=17 * i)
        etree.SubElement(job, f"{{{NS}}}Submitted").text = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        if i % 3:
            etree.SubElement(job, f"{{{NS}}}ExitCode").text = str(i % 7)
        res = etree.SubElement(job, f"{{{NS}}}Resources", exclusive="true" if i % 2 else "false")
        etree.SubElement(res, f"{{{NS}}}Cpus").text = str(1 + i % 16)
        etree.SubElement(res, f"{{{NS}}}Memory").text = str((1 + i % 8) * 2**30)
        if i % 5 == 0:
            etree.SubElement(res, f"{{{NS}}}Queue").text = "batch"
        for a in range(i % 4):
            etree.SubElement(job, f"{{{NS}}}Argument").text = f"--opt{a}=v{a}"
        etree.SubElement(job, f"{{{NS}}}Cost").text = str(Decimal(i) / 4)
    return etree.tostring(e)


def timed(fn: Callable[[], object], rounds: int, repeat: int) -> list[float]:
    """Seconds per round, best-effort warm: ``repeat`` samples of ``rounds`` rounds."""
    fn()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(rounds):
            fn()
        out.append((time.perf_counter() - t) / rounds)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.repeat = 10, 3

    import zeep

    from gridware.codegen.generator import generate

    xml = document(args.entries)
    tmp = tempfile.mkdtemp(prefix="gw-bench-")
    generate(str(WSDL), "bench_jobs").write(tmp)
    sys.path.insert(0, tmp)
    types = importlib.import_module("bench_jobs.types")
    gw_element = types.ELEMENTS[DOC]

    client = zeep.Client(str(WSDL))
    z_element = client.get_element(DOC)

    # both must agree on what they read
    gw_value = gw_element.read(etree.fromstring(xml))
    z_value = z_element.parse(etree.fromstring(xml), client.wsdl.types)
    assert len(gw_value.job) == len(z_value.Job) == args.entries
    assert gw_value.job[7].resources.memory == z_value.Job[7].Resources.Memory

    def gw_round() -> None:
        value = gw_element.read(etree.fromstring(xml))
        etree.tostring(gw_element.build(value))

    def zeep_round() -> None:
        value = z_element.parse(etree.fromstring(xml), client.wsdl.types)
        holder = etree.Element("holder")
        z_element.render(holder, value)
        etree.tostring(holder[0])

    # interleaved, so both see the same machine (a shared VM's speed drifts)
    gw: list[float] = []
    zp: list[float] = []
    for _ in range(args.repeat):
        gw += timed(gw_round, args.rounds, 1)
        zp += timed(zeep_round, max(1, args.rounds // 5), 1)
    gw_ms, zp_ms = statistics.median(gw) * 1e3, statistics.median(zp) * 1e3
    print(f"document: {args.entries} job entries, {len(xml):,} bytes of XML")
    print(f"{'library':<10} {'ms per parse+serialize':>24} {'min ms':>8}")
    print(f"{'wsdl2py':<10} {gw_ms:>24.3f} {min(gw) * 1e3:>8.3f}")
    print(f"{'zeep':<10} {zp_ms:>24.3f} {min(zp) * 1e3:>8.3f}   (zeep {zeep.__version__})")
    ratio = statistics.median(z / g for z, g in zip(zp, gw, strict=True))
    verdict = "met" if ratio >= 3 else "NOT met"
    print(f"wsdl2py is {ratio:.1f}x faster than zeep (goal >= 3x: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
