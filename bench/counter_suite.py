"""The WS-RF counter suite of Humphrey et al. (HPDC 2005), run against gridware.

"State and Events for Web Services: A Comparison of Five WS-Resource Framework
and WS-Notification Implementations" timed GT4-Java, GT4-C, pyGridWare,
WSRF::Lite and WSRF.NET with one sequential client on the container's machine.
This script does the same for gridware: it starts the demo container as a
separate process, then times, call by call,

    GetResourceProperty     10,000 calls   (the counter's Value)
    SetResourceProperties   10,000 calls   (Update of Value)
    createCounter            1,000 calls
    Destroy                  1,000 calls
    Notify                     100 rounds  (subscribed once to Value: SetResourceProperties,
                                            then wait for the value-change notification)

with the project's blocking client (keep-alive HTTP/1.1), after a warm-up.  The counters
are kept in memory, as the 2005 peers kept theirs; mode ``persistent`` times the demo's
persistent counters instead (each change a SQLite commit, synchronous=FULL, in a
temporary state directory).

    python bench/counter_suite.py [--quick] [--modes none,x509-sign,https,persistent] [--dialect ...] [--soap 1.1|1.2]
                                  [--json FILE] [--profile FILE]

Security modes (``--modes none,x509-sign,https``), as in the 2005 paper: WS-Security
X.509 signatures on requests and replies over HTTP, and HTTPS with mutual
authentication by a proxy certificate over persistent connections; both with
grid-mapfile authorization, on a CA, host credential and user proxy made in a
temporary directory.  Another mode is one more :class:`Mode` in ``MODES``; an
operation (Notify) is one more :class:`Operation` in ``OPERATIONS``.
Speed goals are reported, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import pstats
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    ServerProcess,
    Summary,
    check_get_rp_response,
    free_port,
    get_rp_request,
    gridware_container_argv,
    post,
    print_machine,
    table,
    write_json,
)

from gridware.clients.counter import CounterClient
from gridware.clients.wsrf import WsrfClient
from gridware.container.addressing import EndpointReference
from gridware.container.client import HttpTransport
from gridware.container.faults import ResourceUnknownFault
from gridware.services.samples.counter import COUNTER_NS

VALUE = f"{{{COUNTER_NS}}}Value"
BARE_SCRIPT = Path(__file__).with_name("bare_twisted.py")

#: Mean ms per call published in Humphrey et al., HPDC 2005 (2005 hardware: for scale only).
PEERS_2005: dict[str, dict[str, dict[str, float]]] = {
    "none": {
        "GetResourceProperty": {"GT4-C": 2.24, "pyGridWare": 25.65},
        "Notify": {"GT4-C": 8.78, "GT4-Java": 27.83, "pyGridWare": 46.52},
    },
    "x509-sign": {
        "GetResourceProperty": {"GT4-C": 15.77, "pyGridWare": 139.65, "GT4-Java": 182.66}
    },
    "https": {"GetResourceProperty": {"GT4-C": 2.75, "GT4-Java": 11.81}},
}
#: gridware's goals, mean ms per call (issue #2 plain, issue #4 secured).
GOALS_MS: dict[str, dict[str, float]] = {
    "none": {"GetResourceProperty": 0.25, "Notify": 1.0},
    "x509-sign": {"GetResourceProperty": 2.0},
    "https": {"GetResourceProperty": 0.35},
}

#: Where the demo container deploys the counter in each dialect set.
SERVICE_PATH = {
    "wsrf-1.2": "/wsrf/services/CounterService",
    "gt4": "/wsrf/services/gt4/CounterService",
}


# -- security modes -----------------------------------------------------------------------


@dataclass
class Deployment:
    """A mode made concrete in a temporary directory: container arguments and clients."""

    container_args: list[str] = field(default_factory=list)
    service_path: dict[str, str] = field(default_factory=lambda: dict(SERVICE_PATH))
    scheme: str = "http"
    https_port: int | None = None
    transport: Callable[[], HttpTransport] = lambda: HttpTransport(timeout=60.0)
    credential: Any = None  # the user's proxy, for secure modes
    cert_dir: str | None = None


@dataclass(frozen=True)
class Mode:
    """How messages are protected: what the container needs and what clients need."""

    name: str
    description: str
    setup: Callable[[Path], Deployment] = lambda tmp: Deployment()


def _secure_deployment(tmp: Path, descriptor: str, https: bool) -> Deployment:
    """A CA, a host credential, a user proxy in the grid-mapfile, and counters deployed
    with ``descriptor`` (their ``[service.security]``) under ``secure/``."""
    from gridware.container.security import secure_transport
    from gridware.security import CertificateAuthority

    ca = CertificateAuthority.create(tmp / "ca", "/O=Grid/OU=Bench/CN=Bench CA")
    host = ca.issue_host("localhost")
    host.save(tmp / "hostcert.pem", tmp / "hostkey.pem", key_mode=0o600)
    user = ca.issue_user("Bench User")
    proxy = user.create_proxy()
    (tmp / "grid-mapfile").write_text(f'"{user.subject}" bench\n')
    https_port = free_port()
    config = tmp / "container.toml"
    config.write_text(
        f"""
[container.security]
certificate = "{tmp / "hostcert.pem"}"
key = "{tmp / "hostkey.pem"}"
cert_dir = "{ca.trusted_directory}"
gridmap = "{tmp / "grid-mapfile"}"
https_port = {https_port}

[[service]]
name = "secure/CounterService"
class = "gridware.services.samples.counter:CounterService"
[service.security]
{descriptor}

[[service]]
name = "secure/gt4/CounterService"
class = "gridware.services.samples.counter:GT4CounterService"
[service.security]
{descriptor}
"""
    )
    message = "none" if https else "signature"
    return Deployment(
        ["--config", str(config)],
        {d: p.replace("/services/", "/services/secure/") for d, p in SERVICE_PATH.items()},
        "https" if https else "http",
        https_port,
        lambda: secure_transport(
            proxy, cert_dir=ca.trusted_directory, message=message, timeout=60.0
        ),
        proxy,
        str(ca.trusted_directory),
    )


def _plain_deployment(tmp: Path) -> Deployment:
    """In-memory counters under ``memory/`` (the demo's own are persistent)."""
    config = tmp / "container.toml"
    config.write_text(
        """
[[service]]
name = "memory/CounterService"
class = "gridware.services.samples.counter:CounterService"

[[service]]
name = "memory/gt4/CounterService"
class = "gridware.services.samples.counter:GT4CounterService"
"""
    )
    memory = {d: p.replace("/services/", "/services/memory/") for d, p in SERVICE_PATH.items()}
    return Deployment(["--config", str(config)], service_path=memory)


MODES: dict[str, Mode] = {
    "none": Mode("none", "no message or transport security (plain HTTP)", _plain_deployment),
    "persistent": Mode(
        "persistent",
        "no security; the demo's persistent counters (SQLite, synchronous=FULL)",
        lambda tmp: Deployment(),
    ),
    "x509-sign": Mode(
        "x509-sign",
        "WS-Security X.509 signatures on requests and replies (plain HTTP), grid-mapfile",
        lambda tmp: _secure_deployment(
            tmp, 'message = "signature"\nauthorization = "gridmap"', https=False
        ),
    ),
    "https": Mode(
        "https",
        "HTTPS, mutual authentication with a proxy certificate, persistent connections, "
        "grid-mapfile",
        lambda tmp: _secure_deployment(
            tmp, 'transport = "https"\nauthorization = "gridmap"', https=True
        ),
    ),
}


# -- the suite's shared state -------------------------------------------------------------


@dataclass
class Suite:
    """What operations need: the service URL and how to build clients for it."""

    service_url: str
    dialect: str
    soap: str
    mode: Mode
    transport: HttpTransport
    deployment: Deployment = field(default_factory=Deployment)

    def factory(self, url: str | None = None) -> CounterClient:
        """A client of the service itself (for createCounter)."""
        return CounterClient(
            url or self.service_url,
            dialect=self.dialect,
            soap=self.soap,
            transport=self.transport,
        )

    def resource(self, epr: EndpointReference) -> WsrfClient:
        """A client of one counter resource."""
        return WsrfClient(
            epr,
            dialect=self.dialect,
            soap=self.soap,
            transport=self.transport,
        )

    def new_counter(self) -> WsrfClient:
        return self.resource(self.factory().create())


# -- operations ---------------------------------------------------------------------------
# Each operation is: prepare(suite, n) -> state (untimed), call(state, i) (timed, once per
# call) and cleanup(suite, state) (untimed).


@dataclass(frozen=True)
class Operation:
    name: str
    calls: int  # in a full run; --quick runs a tenth
    prepare: Callable[[Suite, int], Any]
    call: Callable[[Any, int], Any]
    cleanup: Callable[[Suite, Any], None]


def _one_counter(suite: Suite, n: int) -> WsrfClient:
    return suite.new_counter()


def _destroy_counter(suite: Suite, client: WsrfClient) -> None:
    client.destroy()


def _get_rp(client: WsrfClient, i: int) -> None:
    client.get_property(VALUE)


def _set_rp(client: WsrfClient, i: int) -> None:
    client.update_property(VALUE, i)


@dataclass
class _Created:
    factory: CounterClient
    eprs: list[EndpointReference] = field(default_factory=list)


def _prepare_create(suite: Suite, n: int) -> _Created:
    return _Created(suite.factory())


def _create(state: _Created, i: int) -> None:
    state.eprs.append(state.factory.create())


def _cleanup_create(suite: Suite, state: _Created) -> None:
    for epr in state.eprs:
        suite.resource(epr).destroy()


def _prepare_destroy(suite: Suite, n: int) -> list[WsrfClient]:
    return [suite.new_counter() for _ in range(n)]


def _destroy(clients: list[WsrfClient], i: int) -> None:
    clients[i].destroy()


def _no_cleanup(suite: Suite, state: Any) -> None:
    pass


class _Notified:
    """One counter, subscribed once to its Value by a listener in this process (signed
    notifications required in x509-sign, an HTTPS listener with the user's proxy in
    https); a round sets Value and waits for the notification of that value."""

    def __init__(self, suite: Suite) -> None:
        from gridware.clients.wsn import ProducerClient
        from gridware.container.wsn import NotificationListener, Topic

        d = suite.deployment
        options: dict[str, Any] = {}
        if suite.mode.name == "x509-sign":
            options = {"require_signature": True, "cert_dir": d.cert_dir}
        elif suite.mode.name == "https":
            options = {"https": True, "credential": d.credential, "cert_dir": d.cert_dir}
        self.listener = NotificationListener(**options).start()
        self.client = suite.new_counter()
        self.cond = threading.Condition()
        self.last: int | None = None
        self.next = 0
        consumer = self.listener.add(self._received, addressing=self.client.dialect.addressing)
        producer = ProducerClient(
            self.client.epr, dialect=suite.dialect, soap=suite.soap, transport=suite.transport
        )
        self.subscription = producer.subscribe(consumer.epr, Topic(COUNTER_NS, ("Value",)))

    def _received(self, n: Any) -> None:
        with self.cond:
            self.last = n.value(int)
            self.cond.notify()

    def round(self) -> None:
        self.next += 1
        value = self.next
        self.client.update_property(VALUE, value)
        with self.cond:
            if not self.cond.wait_for(lambda: self.last == value, timeout=30):
                raise SystemExit(f"Notify: no notification of Value {value} within 30 s")

    def close(self) -> None:
        self.subscription.unsubscribe()
        self.client.destroy()
        self.listener.close()


def _prepare_notify(suite: Suite, n: int) -> _Notified:
    return _Notified(suite)


def _notify(state: _Notified, i: int) -> None:
    state.round()


def _cleanup_notify(suite: Suite, state: _Notified) -> None:
    state.close()


OPERATIONS: list[Operation] = [
    # Operation(name, calls in a full run, prepare, timed call, cleanup)
    Operation("GetResourceProperty", 10_000, _one_counter, _get_rp, _destroy_counter),
    Operation("SetResourceProperties", 10_000, _one_counter, _set_rp, _destroy_counter),
    Operation("createCounter", 1_000, _prepare_create, _create, _cleanup_create),
    Operation("Destroy", 1_000, _prepare_destroy, _destroy, _no_cleanup),
    Operation("Notify", 100, _prepare_notify, _notify, _cleanup_notify),
]


# -- running ------------------------------------------------------------------------------


@dataclass
class Result:
    mode: str
    operation: str
    summary: Summary
    wall_s: float
    client_cpu_ms: float  # per call
    container_cpu_ms: float  # per call

    @property
    def calls_per_s(self) -> float:
        return self.summary.n / self.wall_s


def run_operation(
    suite: Suite, op: Operation, n: int, container: ServerProcess | None = None
) -> tuple[list[float], float, float, float]:
    """Run ``op`` ``n`` times; returns per-call seconds, wall, client CPU and container CPU."""
    state = op.prepare(suite, n)
    call = op.call
    clock = time.perf_counter
    durations = [0.0] * n
    server0 = container.cpu_seconds() if container else 0.0
    cpu0 = time.process_time()
    start = clock()
    for i in range(n):
        t0 = clock()
        call(state, i)
        durations[i] = clock() - t0
    wall = clock() - start
    cpu = time.process_time() - cpu0
    server = container.cpu_seconds() - server0 if container else 0.0
    op.cleanup(suite, state)
    return durations, wall, cpu, server


def smoke_test(suite: Suite) -> None:
    """Check that the operations do what they should before timing them."""
    c = suite.new_counter()
    c.update_property(VALUE, 5)
    value = c.get_value(VALUE, int)
    if value != 5:
        raise SystemExit(f"smoke test: Value is {value} after setting it to 5")
    c.destroy()
    try:
        c.get_property(VALUE)
    except ResourceUnknownFault:
        return
    raise SystemExit("smoke test: a destroyed counter still answers")


def run_mode(
    mode: Mode, args: argparse.Namespace, operations: list[Operation], scale: float
) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix=f"gridware-bench-{mode.name}-") as tmp:
        return _run_mode(mode, mode.setup(Path(tmp)), args, operations, scale, Path(tmp))


def _run_mode(
    mode: Mode,
    deployment: Deployment,
    args: argparse.Namespace,
    operations: list[Operation],
    scale: float,
    tmp: Path,
) -> list[Result]:
    port = free_port()
    path = deployment.service_path[args.dialect]
    plain_url = f"http://127.0.0.1:{port}{path}"
    if deployment.scheme == "https":
        url = f"https://localhost:{deployment.https_port}{path}"
    else:
        url = plain_url
    argv = gridware_container_argv(port, args.log_level, state_dir=tmp / "state")
    if args.profile:
        argv[1:1] = ["-m", "cProfile", "-o", args.profile]
    argv += deployment.container_args
    container = ServerProcess(f"gridware container ({mode.name})", argv, args.container_log)
    results: list[Result] = []
    with container:
        container.wait_http(plain_url + "?wsdl")
        suite = Suite(url, args.dialect, args.soap, mode, deployment.transport(), deployment)
        smoke_test(suite)
        for op in operations:
            n = max(1, round(op.calls * scale))
            warm = min(n, args.warmup)
            print(
                f"  {mode.name:>9} {op.name:<22} warm-up {warm:>5}, timing {n:>6} ...",
                end="",
                flush=True,
            )
            run_operation(suite, op, warm)
            gc.collect()
            durations, wall, cpu, server = run_operation(suite, op, n, container)
            s = Summary.of(durations)
            print(f" {s.mean:.3f} ms/call")
            results.append(Result(mode.name, op.name, s, wall, cpu / n * 1000, server / n * 1000))
        if args.baseline and mode.name == "none":
            n = max(1, round(OPERATIONS[0].calls * scale))
            results.append(measure_floor(suite, n, min(n, args.warmup)))
        suite.transport.close()
    return results


FLOOR = "floor"
FLOOR_OP = "POST, bare twisted.web"


def measure_floor(suite: Suite, n: int, warm: int) -> Result:
    """The same HTTP transport posting the bytes of a GetResourceProperty request to a
    bare twisted.web resource that answers with the container's reply: what one call
    costs without any SOAP work on either side."""
    url, body, headers = get_rp_request(suite.service_url, suite.dialect, suite.soap)
    status, ctype, reply = post(url, body, headers)
    check_get_rp_response(status, reply)
    port = free_port()
    bare_url = f"http://127.0.0.1:{port}{SERVICE_PATH[suite.dialect]}"
    print(f"  {FLOOR:>6} {FLOOR_OP:<22} warm-up {warm:>5}, timing {n:>6} ...", end="", flush=True)
    with tempfile.TemporaryDirectory(prefix="gridware-bench-") as tmp:
        response = Path(tmp) / "response.xml"
        response.write_bytes(reply)
        argv = [sys.executable, str(BARE_SCRIPT), str(port), str(response), "--content-type", ctype]
        with ServerProcess("bare twisted.web", argv) as bare:
            bare.wait_http(bare_url)
            transport = HttpTransport(timeout=60.0)
            max_size = len(reply) + 1

            def call(_: None, i: int) -> None:
                transport.post(bare_url, body, headers, max_size)

            op = Operation(FLOOR_OP, n, lambda s, k: None, call, _no_cleanup)
            run_operation(suite, op, warm)
            durations, wall, cpu, server = run_operation(suite, op, n, bare)
            transport.close()
    s = Summary.of(durations)
    print(f" {s.mean:.3f} ms/call")
    return Result(FLOOR, FLOOR_OP, s, wall, cpu / n * 1000, server / n * 1000)


# -- report -------------------------------------------------------------------------------


def report(results: list[Result]) -> None:
    rows = [
        [
            r.mode,
            r.operation,
            r.summary.n,
            r.summary.mean,
            r.summary.p50,
            r.summary.p99,
            r.summary.max,
            r.calls_per_s,
            r.client_cpu_ms,
            r.container_cpu_ms,
        ]
        for r in results
    ]
    print()
    print(
        table(
            [
                "mode",
                "operation",
                "calls",
                "mean ms",
                "p50 ms",
                "p99 ms",
                "max ms",
                "calls/s",
                "client CPU ms",
                "server CPU ms",
            ],
            rows,
            "llrrrrrrrr",
        )
    )
    print("(CPU columns: CPU time per call of the client and of the server process.)")
    floor = next((r for r in results if r.mode == FLOOR), None)
    if floor is not None:
        print(
            f"({FLOOR}: the client's HTTP transport posting the bytes of a GetResourceProperty "
            "request to a bare twisted.web resource\n that answers with the container's reply: "
            "keep-alive HTTP in Python on both sides, no SOAP work.)"
        )
    print()
    print("Comparison (mean ms per call; the 2005 figures are from 2005 hardware, for scale):")
    rows = []
    for r in results:
        mine = r.summary.mean
        label = f"{r.operation} ({r.mode})"
        for peer, ms in PEERS_2005.get(r.mode, {}).get(r.operation, {}).items():
            rows.append([label, f"{peer} (HPDC 2005)", ms, _relative(mine, ms)])
        if floor is not None and r.operation == "GetResourceProperty" and r.mode == "none":
            rows.append(
                [
                    label,
                    f"{FLOOR} ({FLOOR_OP})",
                    floor.summary.mean,
                    f"+{mine - floor.summary.mean:.3f} ms of SOAP work (client + container)",
                ]
            )
        goal = GOALS_MS.get(r.mode, {}).get(r.operation)
        if goal is not None:
            verdict = "met" if mine <= goal else "NOT met"
            rows.append([label, "goal", f"<= {goal}", f"{verdict}: {mine / goal:.1f}x the goal"])
    print(table(["operation", "reference", "ms/call", "gridware (this run)"], rows, "llrl"))


def _relative(mine: float, theirs: float) -> str:
    if mine <= theirs:
        return f"{theirs / mine:.1f}x faster ({mine:.3f} ms)"
    return f"{mine / theirs:.1f}x slower ({mine:.3f} ms)"


def print_profile(path: str, top: int = 30) -> None:
    print(f"\nContainer profile ({path}), top {top} by own time (tottime):")
    stats = pstats.Stats(path, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(top)
    print(f"gridware functions by cumulative time (python -m pstats {path} for more):")
    stats.sort_stats("cumulative").print_stats(r"gridware/(container|services)", top)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a tenth of the calls")
    p.add_argument("--dialect", choices=sorted(SERVICE_PATH), default="wsrf-1.2")
    p.add_argument("--soap", choices=["1.1", "1.2"], default="1.1")
    p.add_argument("--modes", default="none", help=f"comma-separated, of: {', '.join(MODES)}")
    p.add_argument("--ops", help="comma-separated operation names (default: all)")
    p.add_argument("--warmup", type=int, help="warm-up calls per operation (default 200, 50)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="container log level (default: the container's default, INFO)",
    )
    p.add_argument(
        "--container-log",
        default="/dev/null",
        metavar="FILE",
        help="where the container's stderr (its log) goes (default /dev/null)",
    )
    p.add_argument("--profile", metavar="FILE", help="run the container under cProfile")
    p.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="skip the floor: the same HTTP POSTs to a bare twisted.web resource",
    )
    args = p.parse_args(argv)
    if args.warmup is None:
        args.warmup = 50 if args.quick else 200
    scale = 0.1 if args.quick else 1.0
    modes = [MODES[m.strip()] for m in args.modes.split(",") if m.strip()]
    operations = OPERATIONS
    if args.ops:
        wanted = {o.strip() for o in args.ops.split(",")}
        operations = [op for op in OPERATIONS if op.name in wanted]
        unknown = wanted - {op.name for op in operations}
        if unknown:
            p.error(f"unknown operations: {', '.join(sorted(unknown))}")

    print(
        "gridware WS-RF counter suite (Humphrey et al., HPDC 2005)"
        + (" -- QUICK: a tenth of the calls" if args.quick else "")
    )
    machine = print_machine()
    level = args.log_level or "INFO (default)"
    print(
        f"dialect {args.dialect}, SOAP {args.soap}; one sequential client (blocking, "
        f"keep-alive) and the container as a separate process, both on 127.0.0.1;\n"
        f"container log level {level}, its stderr to {args.container_log}"
    )
    results: list[Result] = []
    for mode in modes:
        print(f"mode {mode.name}: {mode.description}")
        results += run_mode(mode, args, operations, scale)
    report(results)
    if args.profile:
        print_profile(args.profile)
    if args.json:
        write_json(
            args.json,
            {
                "benchmark": "counter_suite",
                "config": {
                    "dialect": args.dialect,
                    "soap": args.soap,
                    "quick": args.quick,
                    "warmup": args.warmup,
                    "container_log_level": level,
                },
                "machine": machine,
                "results": [
                    {**asdict(r), "summary": asdict(r.summary), "calls_per_s": r.calls_per_s}
                    for r in results
                ],
                "peers_2005_ms": PEERS_2005,
                "goals_ms": GOALS_MS,
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
