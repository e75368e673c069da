"""Private Redis and PostgreSQL servers for the fault cases that stop them (the shared ones on
6379 and 5432 serve every other job on the machine and are never stopped)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import redis

from tests.helpers_http import free_port


class PrivateRedis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.dir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("private redis did not start")

    def kill(self) -> None:
        """kill -9: what was queued in memory is gone (no persistence), as in a crash."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(found[-1]) if found else (shutil.which(name) or name)


class PrivatePostgres:
    """A throw-away cluster (initdb) owned by the ``postgres`` user, trust auth on loopback."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        # its own folder: the postgres user must reach it (the run's temp folder is 0700)
        self.base = Path(tempfile.mkdtemp(prefix="deskroute-fault-pg-"))
        self.base.chmod(0o755)
        self.data = self.base / "pgdata"
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_postgres, *args], check=True, capture_output=True,
                       timeout=120)

    def init(self) -> None:
        if self._as_postgres:
            shutil.chown(self.base, "postgres", "postgres")
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()

    def start(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-w", "-l",
                  str(self.data.parent / "pg.log"), "-o",
                  f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1", "start")
        for _ in range(100):
            try:
                psycopg.connect(self.admin_url, connect_timeout=1).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.1)

    def stop(self) -> None:
        """Immediate shutdown: open connections are cut, new ones refused."""
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.base, ignore_errors=True)
