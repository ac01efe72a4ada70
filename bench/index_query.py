"""Default index query latency: XPath over an index of 1,000 counters.

A ``gridware container --demo`` process (its state in a temporary directory) gets
``--count`` counters (values 0..19 in turn, so 45% have Value > 10), each of which
registers itself in the container's default index; the index then has one entry
per counter plus one per service, read live from the counters when it is asked.
A second run adds as many static registrations (entries whose data the index
keeps, as it does for polled remote members) to see what live reads cost.

One sequential client (``IndexClient`` over one keep-alive connection) times,
call by call after a warm-up:

- ``over-10``: "which counters have Value > 10", the member EPRs (~450 elements back);
- ``count``: the same XPath wrapped in ``count()`` (a number back: the server's side);
- ``services``: "which services run here", ``//gwi:Service/gwi:Name``;
- ``entry-rp``: GetResourceProperty of the whole ``Entry`` property.

    python bench/index_query.py [--quick] [--count 1000] [--rounds 50] [--json FILE]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import (
    ServerProcess,
    Summary,
    free_port,
    gridware_container_argv,
    print_machine,
    proc_cpu_seconds,
    table,
    write_json,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

from gridware.clients.counter import CounterClient  # noqa: E402
from gridware.clients.servicegroup import IndexClient  # noqa: E402
from gridware.container.addressing import EndpointReference  # noqa: E402

COUNTER_NS = "http://gridware.org/samples/counter"
OVER_10 = (
    "//wssg:Entry[wssg:Content/agg:AggregatorData/c:CounterResourceProperties/c:Value > 10]"
    "/wssg:MemberServiceEPR"
)
C = {"c": COUNTER_NS}


def timed(call: Callable[[], Any], rounds: int, warmup: int, pid: int) -> dict[str, Any]:
    for _ in range(warmup):
        call()
    times = []
    cpu0 = proc_cpu_seconds(pid)
    for _ in range(rounds):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    server_cpu = (proc_cpu_seconds(pid) - cpu0) / rounds * 1000
    s = Summary.of(times)
    return {"n": s.n, "mean": s.mean, "p50": s.p50, "p99": s.p99, "server_cpu_ms": server_cpu}


def measure(index: IndexClient, rounds: int, warmup: int, pid: int) -> dict[str, dict[str, Any]]:
    over = index.query(OVER_10, C)
    count = index.query(f"count({OVER_10})", C)
    assert isinstance(over, list) and str(len(over)) == count, (len(over), count)
    entry = "{http://docs.oasis-open.org/wsrf/sg-2}Entry"
    return {
        "over-10": timed(lambda: index.query(OVER_10, C), rounds, warmup, pid),
        "count": timed(lambda: index.query(f"count({OVER_10})", C), rounds, warmup, pid),
        "services": timed(lambda: index.services(), rounds, warmup, pid),
        "entry-rp": timed(lambda: index.get_property(entry), rounds, warmup, pid),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="100 counters, 10 rounds")
    p.add_argument("--count", type=int, default=1000, help="counters in the index (1000)")
    p.add_argument("--rounds", type=int, default=50, help="timed calls per query (50)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = p.parse_args(argv)
    count, rounds = (100, 10) if args.quick else (args.count, args.rounds)
    warmup = max(2, rounds // 10)
    machine = print_machine()
    state = Path(tempfile.mkdtemp(prefix="gridware-bench-index-"))
    port = free_port()
    server = ServerProcess(
        "container", gridware_container_argv(port, "WARNING", state_dir=state)
    ).start()
    results: dict[str, Any] = {}
    try:
        base = f"http://127.0.0.1:{port}/wsrf/services/"
        server.wait_http(base)
        service = CounterClient(base + "CounterService")
        t = time.perf_counter()
        for i in range(count):
            counter = CounterClient(service.create())
            if i % 20:
                counter.add(i % 20)
        made = time.perf_counter() - t
        print(f"{count} counters created and registered in {made:.1f} s "
              f"({made / count * 1000:.2f} ms each, create + add)\n")  # fmt: skip
        index = IndexClient(base + "DefaultIndexService")
        entries = int(float(index.query("count(//wssg:Entry)")))
        results["live"] = {"entries": entries, **measure(index, rounds, warmup, server.pid)}
        info = etree.Element("{urn:bench}Site")
        etree.SubElement(info, "{urn:bench}Name").text = "static"
        for i in range(count):
            index.register(EndpointReference(f"http://host{i}.example.org/"), interval=None,
                           data=[info])  # fmt: skip
        entries = int(float(index.query("count(//wssg:Entry)")))
        results["live+static"] = {"entries": entries, **measure(index, rounds, warmup, server.pid)}
    finally:
        server.stop()
        shutil.rmtree(state, ignore_errors=True)
    rows = []
    for run, found in results.items():
        for name in ("over-10", "count", "services", "entry-rp"):
            r = found[name]
            rows.append(
                [run, found["entries"], name, r["mean"], r["p50"], r["p99"], r["server_cpu_ms"]]
            )
    headers = ["index", "entries", "query", "mean ms", "p50 ms", "p99 ms", "server CPU ms"]
    print(table(headers, rows, "lrlrrrr"))
    print(
        "\nNo peer figures: GT4's DefaultIndexService answered the same XPath over its "
        "aggregated document (Xalan); there is no published number for 1,000 entries."
    )
    if args.json:
        write_json(args.json, {"machine": machine, "count": count, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
