"""Webhook intake under an open-loop load: how fast a ticket is acknowledged, and that every
acknowledged ticket is stored.

An open-loop generator sends unique, signed generic tickets at a fixed arrival rate (each
request leaves on schedule whatever the previous ones are doing, as helpdesks do) to the real
API under uvicorn on loopback, with PostgreSQL and Redis (the relay enqueues each ticket). It
prints, per rate: the achieved rate, p50/p95/p99/max acknowledgement latency, errors, and the
count of acknowledged tickets missing from the store (must be 0).

    python bench/bench_webhooks.py --rates 50,100,200,500 --seconds 60
    python bench/bench_webhooks.py --rates 500 --workers 2      # two API processes

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
from pathlib import Path

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


def _start_api(url: str, workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "DESKROUTE_DATABASE_URL": url,
           "DESKROUTE_BROKER_URL": REDIS, "DESKROUTE_WEBHOOK_SECRET": SECRET,
           "DESKROUTE_LOG_LEVEL": "WARNING", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "router.api.app:create_app",
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--log-level", "warning", "--no-access-log"]
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
    from connectors.signing import signed_headers

    out = []
    for i in range(n):
        tid = f"{run}-{i}"
        body = json.dumps({"id": tid, "body": f"Where is my order {tid}?"}).encode()
        out.append((tid, body, signed_headers(SECRET, f"msg_{tid}", body)))
    return out


async def _open_loop(base: str, rate: float, seconds: float, run: str
                     ) -> tuple[list[float], list[str], int, float]:
    reqs = _requests(run, int(rate * seconds))
    latencies: list[float] = []
    acked: list[str] = []
    errors = 0
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def one(tid: str, body: bytes, headers: dict[str, str]) -> None:
            nonlocal errors
            t0 = time.perf_counter()
            try:
                r = await client.post("/webhooks/generic", content=body, headers=headers)
            except httpx.HTTPError:
                errors += 1
                return
            latencies.append(time.perf_counter() - t0)
            if r.status_code == 202:
                acked.append(tid)
            else:
                errors += 1

        start = time.perf_counter()
        tasks: list[asyncio.Task[None]] = []
        for i, req in enumerate(reqs):
            delay = start + i / rate - time.perf_counter()  # on schedule, whatever the rest do
            if delay > 0:
                await asyncio.sleep(delay)
            if sum(1 for t in tasks[-MAX_IN_FLIGHT:] if not t.done()) >= MAX_IN_FLIGHT:
                break  # the server fell this far behind: overloaded, say so and stop
            tasks.append(asyncio.create_task(one(*req)))
        sent_for = time.perf_counter() - start
        await asyncio.gather(*tasks)
    return latencies, acked, errors + len(reqs) - len(tasks), len(tasks) / sent_for


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
        proc, base = _start_api(url, args.workers, log)
        try:
            print(f"API processes: {args.workers}; {args.seconds:.0f} s per rate; "
                  f"PostgreSQL + Redis on loopback; {os.cpu_count()} cores")
            print(f"{'rate':>6} {'achieved':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
                  f"{'max ms':>8} {'errors':>7} {'acked':>7} {'missing':>8}")
            for rate in [float(r) for r in args.rates.split(",")]:
                lat, acked, errors, achieved = asyncio.run(
                    _open_loop(base, rate, args.seconds, f"r{int(rate)}-{uuid.uuid4().hex[:6]}"))
                ms = [x * 1000 for x in lat]
                print(f"{rate:>6.0f} {achieved:>9.1f} {statistics.median(ms):>8.1f} "
                      f"{_pct(ms, 95):>8.1f} {_pct(ms, 99):>8.1f} {max(ms):>8.1f} "
                      f"{errors:>7} {len(acked):>7} {_missing(url, acked):>8}", flush=True)
        finally:
            proc.terminate()
            proc.wait(30)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
