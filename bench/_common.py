"""Helpers shared by the benchmark scripts: processes, ports, statistics, tables.

Not a benchmark itself; the scripts in this folder import it (Python puts the
script's folder first on ``sys.path``).
"""

from __future__ import annotations

import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

COUNTER_VALUE = "{http://gridware.org/samples/counter}Value"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# -- ports and processes --------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """A server started as a child process; stopped with SIGTERM (then SIGKILL)."""

    name: str
    argv: list[str]
    stderr_path: str = os.devnull
    proc: subprocess.Popen[bytes] | None = None
    _stderr: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> ServerProcess:
        self._stderr = open(self.stderr_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            start_new_session=True,  # a Ctrl-C in the terminal goes to us, not to it
        )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def wait_http(self, url: str, timeout: float = 30.0) -> None:
        """Poll ``url`` (GET) until it answers 200; fail if the process dies first."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with status {self.proc.returncode} before answering "
                    f"{url} (its stderr went to {self.stderr_path})"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        resp.read()
                        return
                    last = f"HTTP {resp.status}"
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer {url} within {timeout} s ({last})")

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far."""
        return proc_cpu_seconds(self.pid)

    def rss_mib(self) -> float:
        return proc_rss_bytes(self.pid) / 2**20

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait, SIGKILL if needed; returns the exit status."""
        rc = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            rc = self.proc.returncode
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        return rc

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def proc_cpu_seconds(pid: int | str = "self") -> float:
    """utime + stime of a process, from /proc/<pid>/stat (resolution: one clock tick)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def proc_rss_bytes(pid: int | str = "self") -> int:
    """Resident set size, from /proc/<pid>/statm."""
    resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return resident * PAGE_SIZE


def gridware_container_argv(
    port: int, log_level: str | None = None, *, state_dir: str | Path
) -> list[str]:
    """``python -m gridware container --demo`` on 127.0.0.1:port, its persistent demo
    counters in ``state_dir`` (a temporary directory: never the user's state)."""
    argv = [sys.executable, "-m", "gridware", "container", "--demo"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--state-dir", str(state_dir)]
    if log_level:
        argv += ["--log-level", log_level]
    return argv


def get_rp_request(
    service_url: str, dialect: str = "wsrf-1.2", soap: str = "1.1"
) -> tuple[str, bytes, dict[str, str]]:
    """Create a counter; return the URL, body and HTTP headers of a GetResourceProperty
    request for its ``Value``, exactly as gridware's client sends it (the WS-Addressing
    headers and the CounterKey reference parameter included)."""
    from gridware.clients.counter import CounterClient
    from gridware.clients.wsrf import WsrfClient

    epr = CounterClient(service_url, dialect=dialect, soap=soap).create()
    client = WsrfClient(epr, dialect=dialect, soap=soap)
    req = client.soap.prepare(
        client.messages.action("GetResourceProperty"),
        client.messages.get_property(COUNTER_VALUE),
    )
    return req.url, req.body, req.headers


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
    """One blocking POST on a fresh connection: status, content type, body."""
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.netloc, timeout=30)
    try:
        conn.request("POST", parts.path, body, headers)
        resp = conn.getresponse()
        return resp.status, resp.getheader("content-type", ""), resp.read()
    finally:
        conn.close()


def check_get_rp_response(status: int, data: bytes) -> str:
    """The body element's local name if ``data`` is a 200 GetResourcePropertyResponse;
    raises ``RuntimeError`` with the start of the reply otherwise."""
    from lxml import etree

    snippet = data[:300].decode("utf-8", "replace")
    if status != 200:
        raise RuntimeError(f"HTTP {status} instead of 200: {snippet}")
    env = etree.fromstring(data)
    body = env[-1]
    payload = next((c for c in body if isinstance(c.tag, str)), None)
    name = etree.QName(payload).localname if payload is not None else ""
    if name != "GetResourcePropertyResponse":
        raise RuntimeError(f"the reply is not a GetResourcePropertyResponse: {snippet}")
    return name


# -- statistics -----------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) of already sorted values, nearest-rank method."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(frozen=True)
class Summary:
    """Per-call timings of one operation, in milliseconds."""

    n: int
    mean: float
    p50: float
    p99: float
    min: float
    max: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Summary:
        ms = sorted(s * 1000 for s in seconds)
        return cls(
            n=len(ms),
            mean=sum(ms) / len(ms) if ms else math.nan,
            p50=percentile(ms, 50),
            p99=percentile(ms, 99),
            min=ms[0] if ms else math.nan,
            max=ms[-1] if ms else math.nan,
        )


# -- output ---------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "") -> str:
    """A plain-text table; ``align`` holds one ``l``/``r`` per column (default: l then r)."""
    cells = [[str(h) for h in headers]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    align = (align or "l").ljust(len(headers), "r")

    def line(r: Sequence[str]) -> str:
        parts = [
            c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(r, widths, align, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.3f}" if abs(value) < 100 else f"{value:,.1f}"
    if value is None:
        return "-"
    return str(value)


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.partition(":")[2].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def print_machine() -> dict[str, Any]:
    info = machine_info()
    load = " ".join(f"{x:.2f}" for x in info["load_avg"])
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, load {load}; "
        f"Python {info['python']} on {info['platform']}"
    )
    return info


def write_json(path: str, data: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"results written to {path}")
