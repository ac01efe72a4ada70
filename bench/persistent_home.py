"""Persistent resource homes: create and look up 100,000 counters on SQLite and PostgreSQL.

For each backend the script fills one home with counter resources (one
transaction per resource, as the container commits one per createCounter; a
tenth of them with a termination time), and at 1,000, 10,000 and 100,000
resources it measures:

  create   resources created per second since the previous checkpoint
  warm     ``home.get(key)`` of random existing keys, resources already loaded
           (the container's case once a resource has been used)
  cold     the same after ``home.evict()``: a primary-key query and the rebuild
           of the resource from its stored properties (the first use after a restart)
  save     ``Value`` changed and ``home.save()`` (an UPDATE in its own transaction)

and at the end the time to reopen the store and recover the home (count the
resources, reschedule the termination times).  Backends:

  sqlite         the default: a SQLite file, WAL, synchronous=FULL (each commit on disk)
  sqlite-normal  WAL, synchronous=NORMAL (survives kill -9, not a power cut)
  postgresql     a throwaway PostgreSQL cluster (initdb/pg_ctl from the Debian
                 package), default settings (synchronous_commit=on), over TCP on 127.0.0.1

    python bench/persistent_home.py [--quick] [--count 100000] [--backends sqlite,postgresql]
                                    [--lookups 2000] [--json FILE]

Issue #5: report the rates, and show that lookup latency does not grow with the count.
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import Summary, print_machine, table, write_json

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BACKENDS = ("sqlite", "sqlite-normal", "postgresql")


def checkpoints(count: int) -> list[int]:
    points = [n for n in (1_000, 10_000, 100_000) if n < count]
    return [*points, count]


def lookups(home: Any, sample: list[str]) -> Summary:
    times = []
    for key in sample:
        t = time.perf_counter()
        found = home.get(key)
        times.append(time.perf_counter() - t)
        if found is None:
            raise RuntimeError(f"lost resource {key}")
    return Summary.of(times)


def run_backend(name: str, count: int, n_lookups: int, cluster: Any) -> dict[str, Any]:
    from gridware.container.persistence import ResourceStore
    from gridware.services.samples.counter import Counter

    tmp = Path(tempfile.mkdtemp(prefix="gridware-bench-"))
    try:
        if name == "postgresql":
            database = cluster.database("bench")

            def open_store() -> ResourceStore:
                return ResourceStore.open(database)
        else:
            sync = "normal" if name == "sqlite-normal" else "full"

            def open_store() -> ResourceStore:
                return ResourceStore.open(state_dir=tmp, synchronous=sync)

        store = open_store()
        home = store.home("CounterService", Counter)
        rnd = random.Random(5)
        keys: list[str] = []
        rows = []
        expires = datetime.now(UTC) + timedelta(days=1)
        done = 0
        for point in checkpoints(count):
            t = time.perf_counter()
            first = done
            while done < point:
                counter = Counter(home.new_key(), value=done)
                if done % 10 == 0:
                    counter.termination_time = expires + timedelta(seconds=done)
                home.add(counter)
                keys.append(counter.key)  # type: ignore[arg-type]
                done += 1
            create_rate = (point - first) / (time.perf_counter() - t)
            # distinct keys: every cold lookup misses the cache, every warm one hits it
            sample = rnd.sample(keys, min(n_lookups, len(keys)))
            home.evict()
            cold = lookups(home, sample)
            rnd.shuffle(sample)
            warm = lookups(home, sample)
            saves = []
            for key in [rnd.choice(keys) for _ in range(min(n_lookups, 500))]:
                resource = home.get(key)
                resource.value += 1
                t = time.perf_counter()
                home.save(resource)
                saves.append(time.perf_counter() - t)
            home.evict()  # the next segment starts with nothing loaded
            rows.append(
                {
                    "resources": point,
                    "create_per_s": create_rate,
                    "warm": warm.__dict__,
                    "cold": cold.__dict__,
                    "save": Summary.of(saves).__dict__,
                }
            )
            print(
                f"  {name}: {point:>7} resources, {create_rate:,.0f} creates/s, "
                f"warm p50 {warm.p50 * 1000:.2f} us, cold p50 {cold.p50 * 1000:.0f} us",
                file=sys.stderr,
            )
        store.close()
        t = time.perf_counter()
        store = open_store()
        home = store.home("CounterService", Counter)
        recover_s = time.perf_counter() - t
        if home.recovered != (count, (count + 9) // 10) or len(home) != count:
            raise RuntimeError(f"recovered {home.recovered} from {count} resources")
        store.close()
        return {"backend": name, "checkpoints": rows, "recover_s": recover_s}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--count", type=int, default=100_000, help="resources per backend")
    ap.add_argument("--quick", action="store_true", help="10,000 resources, 500 lookups")
    ap.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated")
    ap.add_argument("--lookups", type=int, default=2000, help="timed lookups per checkpoint")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    count, n_lookups = (10_000, 500) if args.quick else (args.count, args.lookups)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for b in backends:
        if b not in BACKENDS:
            ap.error(f"unknown backend {b!r} (known: {', '.join(BACKENDS)})")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the cluster on the way out
    machine = print_machine()
    cluster = None
    results = []
    try:
        if "postgresql" in backends:
            from tests.persistence.pgcluster import PostgresCluster

            cluster = PostgresCluster().start()
            print(
                f"PostgreSQL {cluster.bin.parent.name} on 127.0.0.1:{cluster.port}", file=sys.stderr
            )
        for b in backends:
            results.append(run_backend(b, count, n_lookups, cluster))
    finally:
        if cluster is not None:
            cluster.stop()

    headers = [
        "backend",
        "resources",
        "creates/s",
        "warm p50 us",
        "warm p99 us",
        "cold p50 us",
        "cold p99 us",
        "save p50 ms",
        "save p99 ms",
    ]
    rows = []
    for r in results:
        for c in r["checkpoints"]:
            rows.append(
                [
                    r["backend"],
                    f"{c['resources']:,}",
                    f"{c['create_per_s']:,.0f}",
                    f"{c['warm']['p50'] * 1000:.2f}",
                    f"{c['warm']['p99'] * 1000:.2f}",
                    f"{c['cold']['p50'] * 1000:.0f}",
                    f"{c['cold']['p99'] * 1000:.0f}",
                    f"{c['save']['p50']:.2f}",
                    f"{c['save']['p99']:.2f}",
                ]
            )
    print()
    print(table(headers, rows, "lr"))
    print()
    print(
        table(
            ["backend", "resources", "reopen + recover s"],
            [[r["backend"], f"{count:,}", f"{r['recover_s']:.2f}"] for r in results],
            "lr",
        )
    )
    print(
        "\nwarm: loaded resources (a dict lookup); cold: after evict(), one primary-key query "
        "and the rebuild of the resource.\nLatency should not grow with the number of resources."
    )
    if args.json:
        write_json(args.json, {"machine": machine, "count": count, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
