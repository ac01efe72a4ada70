"""A notification consumer in its own process, for the delivery tests.

    python consumer_proc.py PRODUCER_EPR_FILE SUBSCRIPTION_EPR_OUT [--delay SECONDS] [--batch N]

Subscribes to the producer's Value topic with a listener of its own, writes the
subscription's EPR, prints ``ready`` and then one line per notification
(``value <new value>``), flushed.  Each callback sleeps ``--delay`` seconds (a slow
consumer).  Runs until killed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gridware.clients.wsn import subscribe  # noqa: E402
from gridware.container.addressing import EndpointReference  # noqa: E402
from gridware.container.wsn import NotificationListener  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("producer")
    p.add_argument("out")
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--batch", type=int, default=None)
    args = p.parse_args()

    def received(n: object) -> None:
        if args.delay:
            time.sleep(args.delay)
        print(f"value {n.value()}", flush=True)  # type: ignore[attr-defined]

    listener = NotificationListener().start()
    options = {} if args.batch is None else {"batch": args.batch}
    sub = subscribe(
        EndpointReference.read(args.producer), "Value", received, listener=listener, **options
    )
    sub.epr.write(args.out)
    print("ready", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
