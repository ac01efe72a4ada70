"""Memory per WS-Resource: RSS growth for 100,000 counters in an in-memory home.

Two variants, each in a fresh Python process so one cannot reuse memory the
other freed:

  direct  ``CounterService()`` built in-process; 100,000 counters created with
          ``service.home.create()``, each one's ``Value`` set; RSS (from
          /proc/self/statm) measured after ``gc.collect()`` before and after.
  soap    the same service hosted in-process (``gridware.container.embed.hosted``)
          and the counters created through the real SOAP path with ``CounterClient``
          (``createCounter`` then ``add``), fewer of them (10,000); the growth is
          extrapolated to 100,000 and labelled so.  Client-side garbage and
          allocator fragmentation count here too: it is an upper bound.

    python bench/memory.py [--quick] [--count 100000] [--soap-count 10000] [--json FILE]

Goal (issue #2): <= 100 MiB for 100,000 resources.  Reported, not asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from typing import Any

from _common import print_machine, proc_rss_bytes, table, write_json

GOAL_MIB = 100.0
GOAL_RESOURCES = 100_000
MiB = 2**20


def _settled_rss() -> int:
    gc.collect()
    return proc_rss_bytes()


def variant_direct(count: int) -> dict[str, Any]:
    from gridware.services.samples.counter import CounterService

    service = CounterService()
    home = service.home
    assert home is not None
    # one resource first, so lazily built class-level state is not counted
    home.destroy(home.create().key)
    before = _settled_rss()
    start = time.perf_counter()
    for i in range(count):
        resource = home.create()
        resource.value = i
    seconds = time.perf_counter() - start
    after = _settled_rss()
    if len(home) != count:
        raise RuntimeError(f"the home holds {len(home)} resources, not {count}")
    return {"before": before, "after": after, "count": count, "seconds": seconds}


def variant_soap(count: int) -> dict[str, Any]:
    from gridware.clients.counter import CounterClient
    from gridware.container.embed import hosted
    from gridware.services.samples.counter import CounterService

    service = CounterService()
    home = service.home
    assert home is not None
    with hosted(service, port=0) as container:
        url = container.services[service.name].url
        factory = CounterClient(url)
        for _ in range(200):  # warm up both sides: connections, caches, first allocations
            CounterClient(factory.create()).destroy()
        before = _settled_rss()
        start = time.perf_counter()
        for i in range(count):
            CounterClient(factory.create()).add(i)
        seconds = time.perf_counter() - start
        after = _settled_rss()
        if len(home) != count:
            raise RuntimeError(f"the home holds {len(home)} resources, not {count}")
    return {"before": before, "after": after, "count": count, "seconds": seconds}


VARIANTS = {"direct": variant_direct, "soap": variant_soap}

LABELS = {
    "direct": "in-memory home, home.create() + set Value",
    "soap": "SOAP path: createCounter + add (in-process container)",
}


def run_child(variant: str, count: int) -> dict[str, Any]:
    """Run one variant in a fresh interpreter; it prints one JSON line."""
    argv = [sys.executable, __file__, "--variant", variant, "--count", str(count)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"variant {variant} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer SOAP-created resources (2,000)")
    p.add_argument("--count", type=int, default=GOAL_RESOURCES, help="direct variant (100,000)")
    p.add_argument("--soap-count", type=int, help="SOAP variant (default 10,000; quick 2,000)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--variant", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.variant:  # child process: measure one variant, print JSON
        print(json.dumps(VARIANTS[args.variant](args.count)))
        return 0
    if args.soap_count is None:
        args.soap_count = 2_000 if args.quick else 10_000

    print("Memory per counter resource (RSS growth)" + (" -- QUICK" if args.quick else ""))
    machine = print_machine()
    results = {
        "direct": run_child("direct", args.count),
        "soap": run_child("soap", args.soap_count),
    }
    rows = []
    for name, r in results.items():
        growth = r["after"] - r["before"]
        per = growth / r["count"]
        r["bytes_per_resource"] = per
        r["mib_per_100k"] = per * GOAL_RESOURCES / MiB
        extrapolated = r["count"] != GOAL_RESOURCES
        r["extrapolated"] = extrapolated
        rows.append(
            [
                LABELS[name],
                f"{r['count']:,}",
                r["before"] / MiB,
                r["after"] / MiB,
                growth / MiB,
                f"{per:,.0f}",
                f"{r['mib_per_100k']:.1f}" + (" (extrapolated)" if extrapolated else ""),
                r["seconds"] / r["count"] * 1e6,
            ]
        )
    print()
    print(
        table(
            [
                "variant",
                "resources",
                "RSS before MiB",
                "RSS after MiB",
                "growth MiB",
                "bytes/resource",
                "MiB per 100,000",
                "us/create",
            ],
            rows,
        )
    )
    print("(RSS from /proc/self/statm after gc.collect(); each variant in its own process.)")
    print()
    for name, r in results.items():
        verdict = "met" if r["mib_per_100k"] <= GOAL_MIB else "NOT met"
        note = ", extrapolated" if r["extrapolated"] else ""
        print(
            f"goal <= {GOAL_MIB:.0f} MiB per {GOAL_RESOURCES:,} resources, {name}: "
            f"{r['mib_per_100k']:.1f} MiB{note} -> {verdict}"
        )
    if args.json:
        write_json(
            args.json,
            {
                "benchmark": "memory",
                "machine": machine,
                "results": results,
                "goal_mib_per_100k": GOAL_MIB,
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
