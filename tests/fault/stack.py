"""A production-shaped deskroute on loopback for the fault suite: a fresh PostgreSQL database,
a Redis database, the API under uvicorn (with its relay) and Celery worker processes, each in
its own process group so a fault can kill -9 it and a supervisor can start it again; a
callback receiver that records every delivery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

from connectors.signing import signed_headers
from tests.helpers_http import RecordingServer, free_port, wait_ready
from tests.redis_db import claimed_db
from tests.rollout_policy import policy_in_mode

REPO = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("DESKROUTE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = "redis://127.0.0.1:6379"  # a database of the stack's own is claimed there
FIXED_REDIS_URL = os.environ.get("DESKROUTE_FAULT_REDIS_URL")  # or this one, as is
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TERMINAL = ("delivered", "escalated", "failed", "assisted", "shadowed")
ROUTINE = ["Do you accept PayPal?", "How long does shipping take?",
           "How do I reset my password?", "Can I pay with a credit card?"]


@dataclass
class Tally:
    sent: int = 0
    stored: int = 0
    finished: int = 0
    lost: int = 0
    duplicates: int = 0  # tickets that got more than one distinct reply or note
    resent_same_id: int = 0  # re-sends carrying the same webhook-id (a receiver drops them)
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self, name: str) -> str:
        more = " ".join(f"{k}={v}" for k, v in self.extra.items())
        return (f"FAULT {name}: sent={self.sent} stored={self.stored} finished={self.finished} "
                f"lost={self.lost} duplicates={self.duplicates} "
                f"resent_same_id={self.resent_same_id}" + (f" {more}" if more else ""))


class Stack:
    def __init__(self, workdir: Path, *, pg_admin_url: str = PG_ADMIN_URL,
                 broker_url: str | None = None, **env: str) -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.pg_admin_url = pg_admin_url
        # a private Redis (redis-restart) as given; else a database no other run uses
        self._broker = ExitStack()
        self._broker_claimed = broker_url is None
        self.broker_url = broker_url or self._broker.enter_context(
            claimed_db(REDIS_URL, fixed=FIXED_REDIS_URL))
        self.db = f"deskroute_fault_{uuid.uuid4().hex[:8]}"
        self.url = pg_admin_url.rsplit("/", 1)[0] + f"/{self.db}"
        self.receiver = RecordingServer()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ, "PYTHONPATH": str(REPO), "DESKROUTE_DATABASE_URL": self.url,
            "DESKROUTE_BROKER_URL": self.broker_url, "DESKROUTE_WEBHOOK_SECRET": SECRET,
            "DESKROUTE_CALLBACK_URL": self.receiver.url, "DESKROUTE_KB_DIR": str(workdir / "kb"),
            "DESKROUTE_POLICY": str(policy_in_mode(workdir, "auto")),
            "DESKROUTE_TASK_LEASE_SECONDS": "6", "DESKROUTE_OUTBOX_STUCK_SECONDS": "20",
            "DESKROUTE_DELIVERY_BACKOFF_SECONDS": "0.5",
            "DESKROUTE_DELIVERY_BACKOFF_MAX_SECONDS": "4", "DESKROUTE_DELIVERY_ATTEMPTS": "8",
            "DESKROUTE_LOG_LEVEL": "WARNING", "HF_HUB_OFFLINE": "1",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True", **env}
        for k in ("DESKROUTE_LLM_MODEL", "DESKROUTE_LLM_API_BASE"):
            self.env.pop(k, None)
        self.procs: dict[str, subprocess.Popen] = {}
        self.answered_5xx: list[tuple[int, bool]] = []  # (status, had Retry-After) per 5xx
        self.commands: dict[str, list[str]] = {}

    # --- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        try:
            return self._start()
        except BaseException:
            self.__exit__()
            raise

    def _start(self) -> Stack:
        with psycopg.connect(self.pg_admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{self.db}"')
        if not self._broker_claimed:
            redis.Redis.from_url(self.broker_url).flushdb()  # a private Redis of the case
        self._cli("db", "upgrade")
        self._run_py("from router.kb.importers import ensure_default_kb\n"
                     "from router.store.db import unit_of_work\n"
                     "with unit_of_work() as s: ensure_default_kb(s)\n")
        self.receiver.__enter__()
        self.start("api", ["serve", "--host", "127.0.0.1", "--port", str(self.port)])
        wait_ready(self.base, why=lambda: self.log("api")[-2000:])
        return self

    def __exit__(self, *exc: object) -> None:
        for name in list(self.procs):
            self.kill(name)
        if self.receiver._thread.is_alive():  # shutdown() waits forever on one never started
            self.receiver.__exit__(None, None, None)
        try:
            with psycopg.connect(self.pg_admin_url, autocommit=True, connect_timeout=5) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
        except psycopg.OperationalError:
            pass  # a private cluster already gone
        self._broker.close()

    def _cli(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "router.cli.main", *args], cwd=REPO, env=self.env,
                       check=True, capture_output=True, timeout=300)

    def _run_py(self, code: str) -> None:
        subprocess.run([sys.executable, "-c", code], cwd=REPO, env=self.env, check=True,
                       capture_output=True, timeout=300)

    def start(self, name: str, args: list[str] | None = None, *,
              script: Path | None = None) -> None:
        """Start (or restart, with the same command) a process in its own process group."""
        if args is not None or script is not None:
            head = [sys.executable, str(script)] if script else \
                [sys.executable, "-m", "router.cli.main"]
            self.commands[name] = head + (args or [])
        log = (self.dir / f"{name}.log").open("a")
        self.procs[name] = subprocess.Popen(self.commands[name], cwd=REPO, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def worker(self, name: str, queues: str, *, concurrency: int = 1,
               script: Path | None = None) -> None:
        args = ["worker", "--queues", queues, "--concurrency", str(concurrency),
                "--loglevel", "WARNING"]
        self.start(name, args, script=script)

    def kill(self, name: str) -> None:
        """kill -9 the process and everything it started (a Celery worker's children)."""
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(30)

    def log(self, name: str) -> str:
        path = self.dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- traffic -----------------------------------------------------------------------------

    def post(self, ticket_id: str, body: str, *, msg_id: str | None = None) -> int:
        data = json.dumps({"id": ticket_id, "body": body}).encode()
        headers = signed_headers(SECRET, msg_id or f"msg_{ticket_id}", data)
        for _ in range(20):  # a sender retries a 5xx after Retry-After
            try:
                r = httpx.post(f"{self.base}/webhooks/generic", content=data, headers=headers,
                               timeout=30)
            except httpx.HTTPError:
                time.sleep(1)
                continue
            if r.status_code < 500:
                return r.status_code
            self.answered_5xx.append((r.status_code, "Retry-After" in r.headers))
            time.sleep(float(r.headers.get("Retry-After", "1")))
        return 599

    def burst(self, tickets: list[tuple[str, str]], *, copies: int = 1,
              threads: int = 8) -> list[int]:
        """Post every ticket ``copies`` times at once (concurrently), ``threads`` at a time."""
        from concurrent.futures import ThreadPoolExecutor

        jobs = [t for t in tickets for _ in range(copies)]
        with ThreadPoolExecutor(max(threads, copies)) as pool:
            return list(pool.map(lambda t: self.post(*t), jobs))

    # --- what happened -----------------------------------------------------------------------

    def states(self, ids: list[str]) -> dict[str, tuple[str, str | None]]:
        with psycopg.connect(self.url.replace("+psycopg", ""), connect_timeout=5) as conn:
            rows = conn.execute("SELECT external_id, state, reason FROM tickets "
                                "WHERE source = 'generic' AND external_id = ANY(%s)",
                                (ids,)).fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def wait_finished(self, ids: list[str], seconds: float) -> dict[str, tuple[str, str | None]]:
        deadline = time.monotonic() + seconds
        while True:
            states = self.states(ids)
            if len(states) == len(ids) and all(s in TERMINAL for s, _ in states.values()):
                return states
            if time.monotonic() > deadline:
                return states
            time.sleep(1)

    def tally(self, ids: list[str], seconds: float) -> Tally:
        states = self.wait_finished(ids, seconds)
        time.sleep(2)  # a late duplicate would arrive now
        by_ticket: dict[str, set[str]] = defaultdict(set)
        same_id = Counter[tuple[str, str]]()
        ok = self.receiver.ok_requests()
        for req in ok:
            body = json.loads(req["body"])
            key = (str(body["external_id"]), str(req["headers"].get("webhook-id")))
            by_ticket[key[0]].add(key[1])
            same_id[key] += 1
        finished = sum(1 for s, _ in states.values() if s in TERMINAL)
        tally = Tally(
            sent=len(ids), stored=len(states), finished=finished, lost=len(ids) - finished,
            duplicates=sum(1 for i in ids if len(by_ticket.get(i, ())) > 1),
            resent_same_id=sum(n - 1 for n in same_id.values() if n > 1))
        if tally.lost:
            self.explain([i for i in ids if states.get(i, ("missing",))[0] not in TERMINAL])
        return tally

    def explain(self, unfinished: list[str]) -> None:
        """On stderr: where the unfinished tickets stand (state, outbox rows) and the end of
        every process log, so a failed case in CI says why before its store is dropped."""
        with psycopg.connect(self.url.replace("+psycopg", ""), connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT t.external_id, t.state, o.task, o.status, o.runs, o.attempts, o.owner, "
                "o.available_at - now() FROM tickets t LEFT JOIN outbox o ON o.ticket_id = t.id "
                "WHERE t.source = 'generic' AND t.external_id = ANY(%s) ORDER BY t.id, o.id",
                (unfinished,)).fetchall()
        print(f"-- {len(unfinished)} unfinished tickets (ticket, state, task, outbox status, "
              "runs, attempts, owner, due in):", file=sys.stderr)
        for row in rows[:40]:
            print("  ", *row, file=sys.stderr)
        for name in sorted(self.commands):
            tail = self.log(name).splitlines()[-15:]
            print(f"-- {name}.log (last {len(tail)} lines)", *tail, sep="\n", file=sys.stderr)


def supervise(stack: Stack, name: str, *, kills: int, every: float,
              stop: threading.Event) -> threading.Thread:
    """kill -9 ``name`` ``kills`` times, ``every`` seconds apart, restarting it each time."""

    def run() -> None:
        for _ in range(kills):
            if stop.wait(every):
                return
            stack.kill(name)
            stack.start(name)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t
