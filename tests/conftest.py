"""Shared fixtures: containers on 127.0.0.1, started and stopped by the tests."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COUNTER_NS = "http://gridware.org/samples/counter"


class RunningContainer:
    """A ``gridware container`` process; a thread collects what it logs."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.base_url = ""
        self.https_base_url = ""
        self.log_lines: list[str] = []
        self.own_state_dir: str | None = None  # removed by stop()
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._cond:
                self.log_lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def url(self, service: str) -> str:
        return f"{self.base_url}/wsrf/services/{service}"

    def https_url(self, service: str) -> str:
        return f"{self.https_base_url}/wsrf/services/{service}"

    def wait_for(self, pattern: str, timeout: float = 10.0, start: int = 0) -> re.Match[str] | None:
        """Wait until a log line (from index ``start``) matches ``pattern``."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.log_lines[start:]:
                    m = rx.search(line)
                    if m:
                        return m
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    return None
                self._cond.wait(min(remaining, 0.2))

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        if self.own_state_dir is not None:
            shutil.rmtree(self.own_state_dir, ignore_errors=True)
        return self.proc.returncode


def start_container(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> RunningContainer:
    """Start ``gridware container ARGS --port 0`` and wait for its start event.

    Persistent services keep their state in a fresh temporary state directory
    (removed by ``stop()``) unless ``env`` sets ``XDG_STATE_HOME`` or ARGS
    ``--state-dir``.
    """
    cmd = [sys.executable, "-m", "gridware", "container", "--port", "0", *args]
    full_env = dict(os.environ)
    full_env["PYTHONUNBUFFERED"] = "1"
    if env:
        full_env.update(env)
    own_state_dir = None
    if not (env and "XDG_STATE_HOME" in env):
        own_state_dir = tempfile.mkdtemp(prefix="gridware-test-state-")
        full_env["XDG_STATE_HOME"] = own_state_dir
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
    )
    running = RunningContainer(proc)
    running.own_state_dir = own_state_dir
    m = running.wait_for(r"event=gridware\.container\.start .*\surl=(\S+)", 30)
    if m is None:
        running.stop(signal.SIGKILL)
        raise RuntimeError("container did not start:\n" + "\n".join(running.log_lines))
    running.base_url = m.group(1)
    https = re.search(r"\shttps_url=(\S+)", m.string)
    running.https_base_url = https.group(1) if https else ""
    return running


@pytest.fixture(scope="session", autouse=True)
def _private_state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Containers the tests run never write to the user's own state directory."""
    old = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("xdg-state"))
    yield
    if old is None:
        os.environ.pop("XDG_STATE_HOME", None)
    else:
        os.environ["XDG_STATE_HOME"] = old


@pytest.fixture(scope="session")
def demo() -> Iterator[RunningContainer]:
    """A ``gridware container --demo`` process shared by the session."""
    c = start_container("--demo")
    yield c
    c.stop()
