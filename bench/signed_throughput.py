"""Throughput of GetResourceProperty signed both ways versus unsigned (issue #4).

wrk cannot sign (every signed message is new: timestamp, nonce-like signature
value, replay cache), so both runs use the same Python load generator: ``-c``
client processes, each with its own keep-alive connection, calling
GetResourceProperty on its own counter in a loop for ``-d`` seconds.

  unsigned:   the demo CounterService, plain HTTP
  x509-sign:  a CounterService that requires WS-Security signatures, grid-mapfile
              authorization; the client signs every request with a proxy
              credential and verifies every signed reply (the counter suite's
              ``x509-sign`` mode)

Both containers run in the same run, with the same concurrency.  The clients share
the machine's CPUs with the container, as the HPDC 2005 setup did.

    python bench/signed_throughput.py [-c 4] [-d 10] [--json FILE]

Goal: signed req/s >= 0.35 x unsigned.  Reported, not asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

from _common import ServerProcess, free_port, gridware_container_argv, print_machine, write_json
from counter_suite import SERVICE_PATH, VALUE, _secure_deployment

GOAL = 0.35


def _worker(
    args: tuple[str, str, float, str | None, str | None], out: multiprocessing.Queue
) -> None:  # type: ignore[type-arg]
    url, dialect, seconds, proxy_file, cert_dir = args
    from gridware.clients.counter import CounterClient
    from gridware.clients.wsrf import WsrfClient
    from gridware.container.client import HttpTransport

    if proxy_file:
        from gridware.container.security import secure_transport

        transport = secure_transport(proxy_file, cert_dir=cert_dir, message="signature")
    else:
        transport = HttpTransport()
    epr = CounterClient(url, dialect=dialect, transport=transport).create()
    client = WsrfClient(epr, dialect=dialect, transport=transport)
    for _ in range(20):
        client.get_value(VALUE, int)  # warm-up
    n = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        client.get_value(VALUE, int)
        n += 1
    out.put(n)


def measure(
    url: str, clients: int, seconds: float, proxy: str | None, cert_dir: str | None
) -> float:
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    procs = [
        multiprocessing.Process(
            target=_worker, args=((url, "wsrf-1.2", seconds, proxy, cert_dir), queue)
        )
        for _ in range(clients)
    ]
    start = time.perf_counter()
    for p in procs:
        p.start()
    total = sum(queue.get(timeout=seconds + 120) for _ in procs)
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - start
    return total / max(elapsed - 0.0, seconds)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-c", "--clients", type=int, default=4, help="client processes (default 4)")
    p.add_argument("-d", "--duration", type=float, default=10.0, help="seconds per run")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = p.parse_args(argv)
    print("gridware: GetResourceProperty throughput, WS-Security signed vs unsigned")
    machine = print_machine()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="gridware-bench-signed-") as tmp:
        deployment = _secure_deployment(
            Path(tmp), 'message = "signature"\nauthorization = "gridmap"', https=False
        )
        proxy_file = Path(tmp) / "proxy.pem"
        deployment.credential.save_proxy(proxy_file)
        port = free_port()
        argv = gridware_container_argv(port, "WARNING", state_dir=Path(tmp) / "state")
        argv += deployment.container_args
        with ServerProcess("gridware container", argv) as container:
            plain = f"http://127.0.0.1:{port}{SERVICE_PATH['wsrf-1.2']}"
            signed = f"http://127.0.0.1:{port}{deployment.service_path['wsrf-1.2']}"
            container.wait_http(plain + "?wsdl")
            for name, url, proxy in (
                ("unsigned", plain, None),
                ("x509-sign", signed, str(proxy_file)),
            ):
                print(f"  {name:<10} {args.clients} clients x {args.duration:.0f} s ...", end="")
                sys.stdout.flush()
                rate = measure(url, args.clients, args.duration, proxy, deployment.cert_dir)
                results[name] = rate
                print(f" {rate:,.0f} req/s")
    ratio = results["x509-sign"] / results["unsigned"]
    verdict = "met" if ratio >= GOAL else "NOT met"
    print()
    print(f"signed / unsigned = {ratio:.2f} (goal >= {GOAL}: {verdict})")
    if args.json:
        write_json(args.json, {"machine": machine, "req_per_s": results, "ratio": ratio})
    return 0


if __name__ == "__main__":
    sys.exit(main())
