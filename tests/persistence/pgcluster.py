"""A throwaway PostgreSQL cluster for tests and benchmarks.

``initdb`` and ``pg_ctl`` from the Debian package ``postgresql``
(``/usr/lib/postgresql/<version>/bin``) make a cluster in a temporary directory,
listening on 127.0.0.1 at a free port and on a unix socket in that directory,
with ``trust`` authentication for the user ``gridware``.  PostgreSQL refuses
to run as root: as root the cluster runs as ``nobody`` (through ``setpriv``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

USER = "gridware"


class ClusterUnavailable(RuntimeError):
    """PostgreSQL (or what runs it) is not installed."""


def postgres_bin() -> Path:
    """The newest ``/usr/lib/postgresql/*/bin`` with initdb and pg_ctl."""
    found = []
    for d in Path("/usr/lib/postgresql").glob("*/bin"):
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            try:
                found.append((float(d.parent.name), d))
            except ValueError:
                continue
    if not found:
        raise ClusterUnavailable(
            "PostgreSQL is not installed (Debian package postgresql; ./tools/test installs it)"
        )
    return max(found)[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PostgresCluster:
    """``start()`` a private cluster, ``database()`` fresh databases in it, ``stop()`` it."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise ClusterUnavailable(
                "psycopg is not installed (pip install 'psycopg[binary]'; ./tools/test does)"
            ) from None
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                raise ClusterUnavailable("setpriv (util-linux) is needed to run PostgreSQL")
            self.prefix = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        self.dir = Path(tempfile.mkdtemp(prefix="gridware-pg-", dir="/tmp"))
        self.data = self.dir / "data"
        self.port = 0
        self.running = False

    def _run(self, *cmd: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.prefix, *cmd],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.dir,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"},
            check=False,
        )
        if result.returncode != 0:
            log = self.dir / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}\n{tail}"
            )
        return result

    def start(self) -> PostgresCluster:
        os.chmod(self.dir, 0o755)
        if self.prefix:
            shutil.chown(self.dir, "nobody", "nogroup")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        for _ in range(5):
            self.port = _free_port()
            try:
                self._run(
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.dir / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
                    "start",
                )
            except RuntimeError:
                if "already in use" in (self.dir / "server.log").read_text(errors="replace"):
                    continue  # lost a race for the port: try another
                raise
            self.running = True
            return self
        raise RuntimeError("no free port for PostgreSQL")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def database(self, prefix: str = "t") -> str:
        """Create an empty database; returns its URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if self.running:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
                self.running = False
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
