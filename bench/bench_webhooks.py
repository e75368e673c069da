"""Webhook intake under an open-loop load: how fast a ticket is acknowledged, and that every
acknowledged ticket is stored.

An open-loop generator sends unique, signed generic tickets at a fixed arrival rate (each
request leaves on schedule whatever the previous ones are doing, as helpdesks do) to the real
API under uvicorn on loopback, with PostgreSQL and Redis (the relay enqueues each ticket). It
prints, per rate: the achieved rate, p50/p95/p99/max acknowledgement latency, errors, the
count of acknowledged tickets missing from the store (must be 0), the CPU the API processes
and the generator spent per request, and the 1-minute load average.

The generator shares the machine's cores with the API, PostgreSQL and Redis, so it must be
cheap: by default (``--client raw``) every request is signed and serialised before the timed
phase and sent as raw HTTP/1.1 on a pool of keep-alive asyncio connections (~0.2 ms of CPU
per request here); ``--client httpx`` uses httpx (~1.4 ms).

    python bench/bench_webhooks.py --rates 50,100,200,300,500 --seconds 60
    python bench/bench_webhooks.py --rates 300,500 --workers 2      # two API processes

No pipeline worker runs: this measures intake (verify, store, outbox, 202), not answering.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

REPO = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("DESKROUTE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("DESKROUTE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MAX_IN_FLIGHT = 1000  # unanswered requests at which a rate is called overloaded and stopped


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_api(url: str, workers: int, log: Path, impl: str
               ) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, "DESKROUTE_DATABASE_URL": url,
           "DESKROUTE_BROKER_URL": REDIS, "DESKROUTE_WEBHOOK_SECRET": SECRET,
           "DESKROUTE_LOG_LEVEL": "WARNING", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "router.api.app:create_app",
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--log-level", "warning", "--no-access-log"]
    if impl == "asyncio":
        cmd += ["--loop", "asyncio", "--http", "h11"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"the API did not start: {log.read_text()[-2000:]}")


def _requests(run: str, n: int) -> list[tuple[str, bytes, dict[str, str]]]:
    """Unique signed tickets, built before the timed phase (signing is not measured)."""
    from connectors.signing import signed_headers

    out = []
    for i in range(n):
        tid = f"{run}-{i}"
        body = json.dumps({"id": tid, "body": f"Where is my order {tid}?"}).encode()
        out.append((tid, body, signed_headers(SECRET, f"msg_{tid}", body)))
    return out


def _raw_request(body: bytes, headers: dict[str, str]) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (f"POST /webhooks/generic HTTP/1.1\r\nhost: 127.0.0.1\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n{head}\r\n"
            ).encode() + body


class RawClient:
    """HTTP/1.1 over asyncio streams with pre-built request bytes and a pool of keep-alive
    connections (a new one whenever all are busy): a few tens of microseconds of generator CPU
    per request, against about a millisecond for httpx, on the cores the API needs."""

    def __init__(self, base: str) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port)
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened: list[asyncio.StreamWriter] = []

    async def post(self, raw: bytes) -> int:
        while self.idle:
            reader, writer = self.idle.pop()
            if not reader.at_eof():  # uvicorn closes a connection idle for 5 s
                try:
                    return await self._exchange(reader, writer, raw)
                except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
                    if getattr(exc, "partial", b""):
                        raise
                    # closed by the server as the request arrived (its keep-alive timeout):
                    # sent again on a new connection, as HTTP clients do
            writer.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.opened.append(writer)
        return await self._exchange(reader, writer, raw)

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        raw: bytes) -> int:
        try:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        self.idle.append((reader, writer))
        return int(head[9:12])

    async def close(self) -> None:
        for writer in self.opened:
            writer.close()


class HttpxClient:
    """The generic client (``--client httpx``): its CPU cost is part of what is measured."""

    def __init__(self, base: str) -> None:
        limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=200)
        self.client = httpx.AsyncClient(base_url=base, timeout=30, limits=limits)

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        r = await self.client.post("/webhooks/generic", content=body, headers=headers)
        return r.status_code

    async def close(self) -> None:
        await self.client.aclose()


@dataclass
class Run:
    latencies: list[float]
    acked: list[str]
    errors: int
    achieved: float
    seconds: float  # how long sending took
    generator_cpu: float  # seconds of this process's CPU while sending and answering
    api_cpu: float  # seconds of the API processes' CPU meanwhile
    pg_cpu: float  # seconds of PostgreSQL's CPU meanwhile
    why: Counter[str]  # errors by kind


async def _open_loop(base: str, rate: float, seconds: float, run: str, client_kind: str,
                     api_pid: int) -> Run:
    reqs = _requests(run, int(rate * seconds))
    raw = client_kind == "raw"
    payloads = [(tid, (_raw_request(body, headers),) if raw else (body, headers))
                for tid, body, headers in reqs]
    client: Any = RawClient(base) if raw else HttpxClient(base)
    latencies: list[float] = []
    acked: list[str] = []
    errors = 0
    why: Counter[str] = Counter()

    async def one(tid: str, args: tuple[Any, ...]) -> None:
        nonlocal errors
        t0 = time.perf_counter()
        try:
            status = await client.post(*args)
        except (OSError, asyncio.IncompleteReadError, httpx.HTTPError) as exc:
            errors += 1
            why[type(exc).__name__] += 1
            return
        latencies.append(time.perf_counter() - t0)
        if status == 202:
            acked.append(tid)
        else:
            errors += 1
            why[f"HTTP {status}"] += 1

    cpu0, api0, pg0 = time.process_time(), _cpu_seconds(api_pid), _postgres_cpu()
    start = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    in_flight = 0
    for i, (tid, args) in enumerate(payloads):
        delay = start + i / rate - time.perf_counter()  # on schedule, whatever the rest do
        if delay > 0:
            await asyncio.sleep(delay)
        in_flight = len(tasks) - len(latencies) - errors
        if in_flight >= MAX_IN_FLIGHT:
            break  # the server fell this far behind: overloaded, say so and stop
        tasks.append(asyncio.create_task(one(tid, args)))
    sent_for = time.perf_counter() - start
    await asyncio.gather(*tasks)
    cpu, api = time.process_time() - cpu0, _cpu_seconds(api_pid) - api0
    pg = _postgres_cpu() - pg0
    await client.close()
    return Run(latencies, acked, errors + len(reqs) - len(tasks), len(tasks) / sent_for,
               sent_for, cpu, api, pg, why)


def _stat(path: Path) -> tuple[str, float] | None:
    """A process's command name and user + system CPU seconds, from ``/proc/<pid>/stat``;
    None when it is gone."""
    try:
        head, _, rest = path.read_text().rpartition(")")
    except OSError:
        return None
    fields = rest.split()
    return head.split("(", 1)[-1], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu() -> float:
    """User + system CPU seconds of every live ``postgres`` process (server and backends: the
    bench's pool keeps its backends for the whole run)."""
    stats = (_stat(path) for path in Path("/proc").glob("[0-9]*/stat"))
    return sum(cpu for name, cpu in filter(None, stats) if name == "postgres")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its live children (uvicorn's workers)."""
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return float("nan")  # not Linux: the column says nan
    stats = (_stat(Path(f"/proc/{p}/stat")) for p in pids)
    return sum(cpu for _, cpu in filter(None, stats))


def _uvicorn_impl(choice: str) -> str:
    """What uvicorn runs: with "auto", uvloop and httptools when installed, else asyncio and h11."""
    import importlib.util

    if choice == "asyncio":
        return "asyncio/h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"{loop}/{'httptools' if importlib.util.find_spec('httptools') else 'h11'}"


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))] if s else float("nan")


def _missing(url: str, acked: list[str]) -> int:
    with psycopg.connect(url, connect_timeout=5) as conn:
        stored = {r[0] for r in conn.execute(
            "SELECT external_id FROM tickets WHERE external_id = ANY(%s)", (acked,))}
    return len(set(acked) - stored)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", default="50,100,200,500", help="requests per second, comma list")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=1, help="API processes (uvicorn --workers)")
    ap.add_argument("--client", choices=["raw", "httpx"], default="raw",
                    help="raw: pre-built requests on asyncio streams (cheap); httpx: httpx")
    ap.add_argument("--uvicorn", choices=["auto", "asyncio"], default="auto",
                    help="auto: uvicorn's choice (uvloop + httptools, installed with deskroute); "
                         "asyncio: the standard library's loop and h11 (the baseline)")
    args = ap.parse_args()
    name = f"deskroute_bench_{uuid.uuid4().hex[:8]}"
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    log = Path(f"/tmp/{name}.log")
    try:
        subprocess.run([sys.executable, "-m", "router.cli.main", "db", "upgrade",
                        "--database-url", url], cwd=REPO, check=True, capture_output=True,
                       env={**os.environ, "PYTHONPATH": str(REPO)})
        import redis

        redis.Redis.from_url(REDIS).flushdb()
        proc, base = _start_api(url, args.workers, log, args.uvicorn)
        try:
            print(f"API processes: {args.workers}; {args.seconds:.0f} s per rate; client: "
                  f"{args.client}; PostgreSQL + Redis on loopback; {os.cpu_count()} cores; "
                  f"uvicorn loop/http: {_uvicorn_impl(args.uvicorn)}")
            print(f"{'rate':>6} {'achieved':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
                  f"{'max ms':>8} {'errors':>7} {'acked':>7} {'missing':>8} "
                  f"{'api cpu ms/req':>14} {'pg cpu ms/req':>13} {'gen cpu ms/req':>14} "
                  f"{'load 1m':>8}")
            for rate in [float(r) for r in args.rates.split(",")]:
                r = asyncio.run(_open_loop(base, rate, args.seconds,
                                           f"r{int(rate)}-{uuid.uuid4().hex[:6]}",
                                           args.client, proc.pid))
                ms = [x * 1000 for x in r.latencies]
                answered = max(1, len(r.latencies))
                print(f"{rate:>6.0f} {r.achieved:>9.1f} {statistics.median(ms):>8.1f} "
                      f"{_pct(ms, 95):>8.1f} {_pct(ms, 99):>8.1f} {max(ms):>8.1f} "
                      f"{r.errors:>7} {len(r.acked):>7} {_missing(url, r.acked):>8} "
                      f"{r.api_cpu * 1000 / answered:>14.2f} "
                      f"{r.pg_cpu * 1000 / answered:>13.2f} "
                      f"{r.generator_cpu * 1000 / answered:>14.2f} "
                      f"{os.getloadavg()[0]:>8.2f}", flush=True)
                if r.why:
                    print("        errors: " + ", ".join(f"{k} x{v}" for k, v in r.why.items()))
        finally:
            proc.terminate()
            proc.wait(30)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
