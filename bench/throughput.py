"""Throughput of GetResourceProperty with keep-alive: gridware vs a bare Twisted Web server.

wrk posts one fixed request (a Lua script sets the method, the body and the
Content-Type / SOAPAction headers) over keep-alive connections to

  (a) the gridware container (demo CounterService; a counter created beforehand;
      the request carries its CounterKey and the WS-Addressing 2005/08 headers,
      exactly as gridware's client writes them), and
  (b) a bare ``twisted.web`` resource answering every POST with gridware's reply
      to that request, byte for byte (``bare_twisted.py``),

in the same run with the same wrk settings.  Each server is one Python process;
the container logs at WARNING and neither writes an access log, so both do
comparable work apart from the SOAP processing.  Before timing, one request
checks that the container answers 200 with a GetResourcePropertyResponse (not a
fault).

    python bench/throughput.py [--quick] [-t 1] [-c 10] [-d 10] [--rounds 1] [--json FILE]

Goal (issue #2): gridware req/s >= 0.6 x bare Twisted.  Reported, not asserted.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from _common import (
    ServerProcess,
    check_get_rp_response,
    free_port,
    get_rp_request,
    gridware_container_argv,
    post,
    print_machine,
    table,
    write_json,
)

GOAL_RATIO = 0.6
SERVICE_PATH = "/wsrf/services/CounterService"
BARE_SCRIPT = Path(__file__).with_name("bare_twisted.py")


# -- wrk ------------------------------------------------------------------------------------


def lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def wrk_script(body_file: Path, headers: dict[str, str]) -> str:
    """A wrk Lua script posting the bytes of ``body_file`` with ``headers``."""
    lines = [
        f"local f = assert(io.open({lua_string(str(body_file))}, 'rb'))",
        'wrk.method = "POST"',
        "wrk.body = f:read('*a')",
        "f:close()",
    ]
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()]
    return "\n".join(lines) + "\n"


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError(f"cannot read the wrk duration {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    latency_avg_ms: float
    latency_p50_ms: float
    latency_p75_ms: float
    latency_p90_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    non_2xx: int
    socket_errors: int


def parse_wrk(out: str) -> WrkResult:
    """Read wrk's report (run with ``--latency``)."""

    def find(pattern: str) -> re.Match[str]:
        m = re.search(pattern, out, re.MULTILINE)
        if m is None:
            raise ValueError(f"wrk output has no match for {pattern!r}:\n{out}")
        return m

    lat = find(r"^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)")
    dist = {p: _ms(v) for p, v in re.findall(r"^\s*(50|75|90|99)%\s+(\S+)", out, re.MULTILINE)}
    total = find(r"^\s*(\d+) requests in ([\d.]+)(\w+)")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        requests=int(total.group(1)),
        seconds=_ms(total.group(2) + total.group(3)) / 1000,
        rps=float(find(r"^Requests/sec:\s+([\d.]+)").group(1)),
        latency_avg_ms=_ms(lat.group(1)),
        latency_p50_ms=dist["50"],
        latency_p75_ms=dist["75"],
        latency_p90_ms=dist["90"],
        latency_p99_ms=dist["99"],
        latency_max_ms=_ms(lat.group(3)),
        non_2xx=int(non2xx.group(1)) if non2xx else 0,
        socket_errors=sum(int(g) for g in errors.groups()) if errors else 0,
    )


def run_wrk(wrk: str, url: str, script: Path, args: argparse.Namespace, seconds: float) -> str:
    argv = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return done.stdout


@dataclass
class Measurement:
    server: str
    round: int
    wrk: WrkResult
    server_cpu_us: float  # CPU time of the server process per request


def measure(
    name: str, server: ServerProcess, url: str, script: Path, args: argparse.Namespace, rnd: int
) -> Measurement:
    if args.warmup > 0:
        run_wrk(args.wrk, url, script, args, args.warmup)
    cpu0 = server.cpu_seconds()
    out = run_wrk(args.wrk, url, script, args, args.duration)
    cpu = server.cpu_seconds() - cpu0
    if args.verbose:
        print(out)
    w = parse_wrk(out)
    m = Measurement(name, rnd, w, cpu / max(1, w.requests) * 1e6)
    print(
        f"  round {rnd} {name:<16} {w.rps:>9,.0f} req/s  p50 {w.latency_p50_ms:.2f} ms  "
        f"p99 {w.latency_p99_ms:.2f} ms"
    )
    if w.non_2xx or w.socket_errors:
        print(f"    WARNING: {w.non_2xx} non-2xx responses, {w.socket_errors} socket errors")
    return m


# -- report ---------------------------------------------------------------------------------


def median_of(ms: list[Measurement], server: str) -> Measurement:
    """The round with the median requests/s (the only round, usually)."""
    mine = sorted((m for m in ms if m.server == server), key=lambda m: m.wrk.rps)
    return mine[(len(mine) - 1) // 2]


def report(measurements: list[Measurement], rounds: int) -> dict[str, float]:
    g = median_of(measurements, "gridware")
    b = median_of(measurements, "bare twisted.web")
    rows = []
    for m in (g, b):
        w = m.wrk
        rows.append(
            [
                m.server,
                w.rps,
                w.latency_avg_ms,
                w.latency_p50_ms,
                w.latency_p90_ms,
                w.latency_p99_ms,
                w.latency_max_ms,
                w.requests,
                w.non_2xx + w.socket_errors,
                m.server_cpu_us,
            ]
        )
    print()
    if rounds > 1:
        print(f"(median of {rounds} rounds by requests/s)")
    print(
        table(
            [
                "server",
                "req/s",
                "avg ms",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "max ms",
                "requests",
                "errors",
                "server CPU us/req",
            ],
            rows,
        )
    )
    ratio = g.wrk.rps / b.wrk.rps
    verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
    print()
    print(
        f"throughput ratio gridware / bare twisted.web = {ratio:.2f}  (goal >= {GOAL_RATIO}: "
        f"{verdict})"
    )
    cpu_ratio = b.server_cpu_us / g.server_cpu_us if g.server_cpu_us else float("nan")
    print(
        f"server CPU per request: gridware {g.server_cpu_us:.0f} us, bare {b.server_cpu_us:.0f} us"
        f" (ratio bare/gridware {cpu_ratio:.2f}); gridware's SOAP work ~"
        f"{g.server_cpu_us - b.server_cpu_us:.0f} us per request"
    )
    return {"ratio": ratio, "cpu_ratio": cpu_ratio}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="3 s runs and a 1 s warm-up")
    p.add_argument("-t", "--threads", type=int, default=1, help="wrk threads (default 1)")
    p.add_argument("-c", "--connections", type=int, default=10, help="wrk connections (10)")
    p.add_argument("-d", "--duration", type=float, help="seconds per run (default 10, quick 3)")
    p.add_argument("--warmup", type=float, help="seconds of wrk warm-up per run (2, quick 1)")
    p.add_argument("--rounds", type=int, default=1, help="alternate the servers N times")
    p.add_argument(
        "--bare-form-parsing",
        choices=["on", "off"],
        default="on",
        help="the bare Site's parsePOSTFormSubmission (default on: Twisted's default)",
    )
    p.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="print wrk's own output")
    args = p.parse_args(argv)
    if args.duration is None:
        args.duration = 3.0 if args.quick else 10.0
    if args.warmup is None:
        args.warmup = 1.0 if args.quick else 2.0
    if not Path(args.wrk).exists():
        p.error(f"wrk not found at {args.wrk}")

    print(
        "GetResourceProperty throughput, keep-alive: gridware vs bare twisted.web"
        + (" -- QUICK" if args.quick else "")
    )
    machine = print_machine()
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency (after a "
        f"{args.warmup:g} s warm-up), POST of one fixed SOAP 1.1 request;\n"
        "each server is a single Python process on 127.0.0.1; the container logs at WARNING "
        "(no per-request log line) and neither server writes an access log;\n"
        f"bare server: a default twisted.web Site, form parsing of POST bodies "
        f"{args.bare_form_parsing} (parsePOSTFormSubmission)."
    )
    g_port, b_port = free_port(), free_port()
    while b_port == g_port:
        b_port = free_port()
    g_url = f"http://127.0.0.1:{g_port}{SERVICE_PATH}"
    b_url = f"http://127.0.0.1:{b_port}{SERVICE_PATH}"
    measurements: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="gridware-bench-") as tmp:
        work = Path(tmp)
        gridware = ServerProcess(
            "gridware container",
            gridware_container_argv(g_port, "WARNING", state_dir=work / "state"),
            str(work / "container.log"),
        )
        with gridware:
            gridware.wait_http(g_url + "?wsdl")
            url, body, headers = get_rp_request(g_url)
            status, ctype, reply = post(url, body, headers)
            name = check_get_rp_response(status, reply)
            print(
                f"check: gridware answered HTTP {status} {ctype} with a {name} "
                f"({len(reply)} bytes) to a {len(body)}-byte request"
            )
            (work / "request.xml").write_bytes(body)
            (work / "response.xml").write_bytes(reply)
            script = work / "request.lua"
            script.write_text(wrk_script(work / "request.xml", headers))
            bare = ServerProcess(
                "bare twisted.web",
                [
                    sys.executable,
                    str(BARE_SCRIPT),
                    str(b_port),
                    str(work / "response.xml"),
                    "--content-type",
                    ctype,
                    *(["--no-form-parsing"] if args.bare_form_parsing == "off" else []),
                ],
                str(work / "bare.log"),
            )
            with bare:
                bare.wait_http(b_url)
                b_status, _, b_reply = post(b_url, body, headers)
                if b_status != 200 or b_reply != reply:
                    raise RuntimeError("the bare server does not answer with gridware's reply")
                for rnd in range(1, args.rounds + 1):
                    measurements.append(measure("gridware", gridware, g_url, script, args, rnd))
                    measurements.append(measure("bare twisted.web", bare, b_url, script, args, rnd))
            status, _, reply = post(url, body, headers)
            check_get_rp_response(status, reply)
            print(f"after the runs: the container still answers (RSS {gridware.rss_mib():.0f} MiB)")
    ratios = report(measurements, args.rounds)
    if args.json:
        write_json(
            args.json,
            {
                "benchmark": "throughput",
                "config": {
                    "threads": args.threads,
                    "connections": args.connections,
                    "duration_s": args.duration,
                    "warmup_s": args.warmup,
                    "rounds": args.rounds,
                    "container_log_level": "WARNING",
                    "bare_form_parsing": args.bare_form_parsing,
                },
                "machine": machine,
                "measurements": [asdict(m) for m in measurements],
                **ratios,
                "goal_ratio": GOAL_RATIO,
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
