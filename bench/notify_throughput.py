"""Notification throughput and latency: one producer, 1 and 10 consumers.

A container (a separate process) hosts a CounterService whose ``Value`` is a topic,
kept in memory (a persistent home would time SQLite commits, not notifications).
The consumers are NotificationListeners in this process, one subscription each,
that accept batches (``MaxBatch``, the default of ``gridware.clients.wsn.subscribe``)
unless ``--batch 1``.  The changes come from one of two sources:

- ``burst``: the counter changes ``Value`` N times on its own, one change per
  reactor turn (``bench/burst_service.py``): what one producer can publish and
  deliver; latency is from the moment of each change (the container's clock) to
  the callback (this process's clock; same machine);
- ``requests``: driver processes call ``add(1)`` as fast as they can, each change
  a request: the whole path, bounded by how many requests the container serves;
  latency is from the driver *sending* the request (an upper bound).

Reported per run: changes per second, notifications delivered per second (in
total and per consumer), p50/p99 latency, and lost notifications (a consumer that
falls behind loses its oldest, by design; none expected here).

    python bench/notify_throughput.py [--quick] [--consumers 1,10] [--sources burst,requests]
                                      [--changes N] [--drivers 2] [--duration 5] [--batch N]
                                      [--json FILE]

Goal (issue #5): >= 2,000 notifications per second to one consumer.  Reported,
never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from _common import ServerProcess, Summary, free_port, print_machine, table, write_json

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

from gridware.clients.counter import CounterClient  # noqa: E402
from gridware.clients.wsn import subscribe  # noqa: E402
from gridware.container.client import SoapClient  # noqa: E402
from gridware.container.wsn import Notification, NotificationListener  # noqa: E402

GOAL_PER_S = 2000.0
NS = "http://gridware.org/samples/counter"

CONFIG = """
[container]
log_level = "WARNING"

[[service]]
name = "CounterService"
class = "burst_service:BurstCounterService"
[service.options.notification]
queue_limit = 1000000
"""

DRIVER = """
import json, sys, time
sys.path.insert(0, {root!r})
from gridware.clients.counter import CounterClient
from gridware.container.addressing import EndpointReference
counter = CounterClient(EndpointReference.read(sys.argv[1]))
counter.add(0)
print("ready", flush=True)
sys.stdin.readline()
end = time.time() + float(sys.argv[2])
out = []
while True:
    t = time.time()
    if t >= end:
        break
    out.append((counter.add(1), t))
json.dump(out, open(sys.argv[3], "w"))
"""


class Consumer:
    """One subscription: records (value, receive time) of each notification."""

    def __init__(self) -> None:
        self.received: list[tuple[int, float]] = []

    def __call__(self, n: Notification) -> None:
        self.received.append((n.value(int), time.time()))


@dataclass
class Result:
    source: str
    consumers: int
    batch: int
    window_s: float
    changes: int
    changes_per_s: float
    delivered: int
    delivered_per_s: float
    per_consumer_per_s: float
    lost: int
    latency: Summary


def _settle(consumers: list[Consumer], expected: int) -> None:
    """Wait until the consumers have ``expected`` notifications, or nothing comes for 2 s."""
    total, idle = -1, 0.0
    while sum(len(c.received) for c in consumers) < expected and idle < 2.0:
        now = sum(len(c.received) for c in consumers)
        idle = idle + 0.1 if now == total else 0.0
        total = now
        time.sleep(0.1)


def _result(
    source: str, consumers: list[Consumer], changed: dict[int, float], batch: int
) -> Result:
    first, last = min(changed.values()), max(changed.values())
    latencies = []
    end = last
    for c in consumers:
        for value, t in c.received:
            if value in changed:
                latencies.append(t - changed[value])
                end = max(end, t)
    delivered = len(latencies)
    window = max(end - first, 1e-9)
    n = len(consumers)
    return Result(
        source,
        n,
        batch,
        window,
        len(changed),
        len(changed) / max(last - first, 1e-9),
        delivered,
        delivered / window,
        delivered / window / n,
        len(changed) * n - delivered,
        Summary.of(latencies),
    )


def run(url: str, tmp: Path, n_consumers: int, args: argparse.Namespace, source: str) -> Result:
    counter = CounterClient(CounterClient(url).create())
    listener = NotificationListener().start()
    consumers = [Consumer() for _ in range(n_consumers)]
    subs = [
        subscribe(counter.epr, "Value", c, listener=listener, batch=args.batch) for c in consumers
    ]
    try:
        if source == "burst":
            changed = _burst(counter, consumers, args)
        else:
            changed = _requests(counter, tmp, consumers, args)
        return _result(source, consumers, changed, args.batch)
    finally:
        for s in subs:
            s.cancel()
        listener.close()
        counter.destroy()


def _burst(
    counter: CounterClient, consumers: list[Consumer], args: argparse.Namespace
) -> dict[int, float]:
    soap = SoapClient(counter.epr)
    request = etree.Element(f"{{{NS}}}burst")
    etree.SubElement(request, f"{{{NS}}}count").text = str(args.changes)
    soap.call(f"{NS}/Burst/burstRequest", request)
    _settle(consumers, args.changes * len(consumers))
    reply = soap.call(f"{NS}/Burst/burstTimesRequest", etree.Element(f"{{{NS}}}burstTimes"))
    changed = {}
    for pair in (reply.text or "").split(","):
        value, _, t = pair.partition(":")
        changed[int(value)] = float(t)
    return changed


def _requests(
    counter: CounterClient, tmp: Path, consumers: list[Consumer], args: argparse.Namespace
) -> dict[int, float]:
    epr = tmp / "counter.epr"
    counter.epr.write(epr)
    script = tmp / "driver.py"
    script.write_text(DRIVER.format(root=str(ROOT)))
    drivers = []
    for i in range(args.drivers):
        out = tmp / f"driver-{len(consumers)}-{i}.json"
        p = subprocess.Popen(
            [sys.executable, str(script), str(epr), str(args.duration), str(out)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        drivers.append((p, out))
    for p, _ in drivers:  # all start together
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    for p, _ in drivers:
        p.wait()
    sent: dict[int, float] = {}
    for _, out in drivers:
        for value, t in json.loads(out.read_text()):
            sent[value] = t
    _settle(consumers, len(sent) * len(consumers))
    return sent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="3,000-change bursts, 2-second drives")
    p.add_argument("--consumers", default="1,10", help="comma-separated consumer counts")
    p.add_argument("--sources", default="burst,requests", help="of: burst, requests")
    p.add_argument("--changes", type=int, default=20000, help="changes per burst")
    p.add_argument("--drivers", type=int, default=2, help="processes calling add(1)")
    p.add_argument("--duration", type=float, default=5.0, help="seconds of add(1) calls")
    p.add_argument("--batch", type=int, default=100, help="MaxBatch of each subscription")
    p.add_argument("--container-log", default=os.devnull, metavar="FILE")
    p.add_argument("--json", metavar="FILE")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.changes = 2.0, 3000
    print("gridware notification throughput: one producer, consumers in this process")
    machine = print_machine()
    print(
        f"burst: {args.changes} changes made by the counter itself; requests: "
        f"{args.drivers} driver process(es) calling add(1) for {args.duration:g} s; "
        f"MaxBatch {args.batch}; the container is a separate process"
    )
    results: list[Result] = []
    os.environ["PYTHONPATH"] = os.pathsep.join(
        x for x in (str(Path(__file__).parent), os.environ.get("PYTHONPATH")) if x
    )
    with tempfile.TemporaryDirectory(prefix="gridware-bench-wsn-") as tmp_name:
        tmp = Path(tmp_name)
        config = tmp / "container.toml"
        config.write_text(CONFIG)
        port = free_port()
        argv_ = [sys.executable, "-m", "gridware", "container", "--config", str(config)]
        argv_ += ["--host", "127.0.0.1", "--port", str(port)]
        url = f"http://127.0.0.1:{port}/wsrf/services/CounterService"
        with ServerProcess("gridware container", argv_, args.container_log) as container:
            container.wait_http(url + "?wsdl")
            for source in [x.strip() for x in args.sources.split(",") if x.strip()]:
                for n in [int(x) for x in args.consumers.split(",") if x.strip()]:
                    print(f"  {source:>8}, {n:>2} consumer(s) ...", end="", flush=True)
                    r = run(url, tmp, n, args, source)
                    print(f" {r.delivered_per_s:,.0f} notifications/s")
                    results.append(r)
    headers = ["source", "consumers", "MaxBatch", "changes", "changes/s", "delivered"]
    headers += ["notif/s", "per consumer/s", "lost", "p50 ms", "p99 ms"]
    rows = [
        [
            r.source,
            r.consumers,
            r.batch,
            r.changes,
            f"{r.changes_per_s:,.0f}",
            r.delivered,
            f"{r.delivered_per_s:,.0f}",
            f"{r.per_consumer_per_s:,.0f}",
            r.lost,
            r.latency.p50,
            r.latency.p99,
        ]
        for r in results
    ]
    print()
    print(table(headers, rows, "llr"))
    print(
        "(latency: from the change (burst) or from sending the change request (requests) "
        "to the callback)"
    )
    for r in results:
        if r.consumers == 1:
            verdict = "met" if r.delivered_per_s >= GOAL_PER_S else "NOT met"
            print(
                f"goal >= {GOAL_PER_S:,.0f} notifications/s to one consumer ({r.source}): "
                f"{verdict} ({r.delivered_per_s:,.0f}/s)"
            )
    if args.json:
        write_json(
            args.json,
            {
                "benchmark": "notify_throughput",
                "machine": machine,
                "config": vars(args),
                "results": [{**asdict(r), "latency": asdict(r.latency)} for r in results],
                "goal_per_s": GOAL_PER_S,
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
