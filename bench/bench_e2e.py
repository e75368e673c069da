"""End-to-end throughput: tickets per minute from webhook to finished through the decide and
SLM Celery workers, with the bundled models (issue 14).

The production-shaped stack of the fault suite (``tests/fault/stack.py``: a fresh PostgreSQL
database, Redis, ``deskroute serve`` with its relay, Celery worker processes, a callback
receiver) in ``auto`` mode, with the local answer mode of ``--mode`` (``template``, the default:
the approved answer itself; ``slm``: the bundled SmolLM2 writes every draft from it). A few
warm-up tickets load the models first (not counted); then
``--tickets`` routine questions are posted at once and the clock runs from the first one
stored to the last one finished (``tickets.created_at`` / ``updated_at``).

    python bench/bench_e2e.py --tickets 200
    python bench/bench_e2e.py --tickets 30 --mode slm --slm-workers 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402

from tests.fault.stack import ROUTINE, TERMINAL, Stack  # noqa: E402


def _tickets(prefix: str, n: int) -> list[tuple[str, str]]:
    return [(f"{prefix}-{i}", f"{ROUTINE[i % len(ROUTINE)]} (order {prefix}-{i})")
            for i in range(n)]


def _report(stack: Stack, ids: list[str]) -> None:
    with psycopg.connect(stack.url.replace("+psycopg", ""), connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT t.state, t.created_at, t.updated_at, "
            "(SELECT d.route FROM decisions d WHERE d.ticket_id = t.id ORDER BY d.id DESC "
            " LIMIT 1), "
            "(SELECT r.backend FROM drafts r WHERE r.ticket_id = t.id AND r.accepted "
            " ORDER BY r.id DESC LIMIT 1) "
            "FROM tickets t WHERE t.source = 'generic' AND t.external_id = ANY(%s)",
            (ids,)).fetchall()
    done = [r for r in rows if r[0] in TERMINAL]
    if not done:
        print(f"none of {len(ids)} tickets finished")
        return
    span = (max(r[2] for r in done) - min(r[1] for r in rows)).total_seconds()
    each = sorted((r[2] - r[1]).total_seconds() for r in done)

    def mix(i: int) -> str:
        counts: dict[str, int] = {}
        for r in done:
            counts[str(r[i])] = counts.get(str(r[i]), 0) + 1
        return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))

    print(f"finished {len(done)}/{len(ids)} in {span:.1f} s: "
          f"{len(done) / span * 60:.1f} tickets per minute")
    print(f"stored-to-finished per ticket: p50 {statistics.median(each):.1f} s, "
          f"max {each[-1]:.1f} s (all posted at once: mostly queueing)")
    print(f"states: {mix(0)}; routes: {mix(3)}; answered by: {mix(4)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=40)
    ap.add_argument("--slm-workers", type=int, default=1, help="'--queues slm' processes")
    ap.add_argument("--fast-concurrency", type=int, default=2,
                    help="prefork children of the urgent,decide,deliver worker")
    ap.add_argument("--mode", choices=["template", "slm"], default="template",
                    help="DESKROUTE_KB_MODE: approved answers as they are, or model drafts")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait at most")
    args = ap.parse_args()
    run = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory(prefix="deskroute-e2e-") as tmp, Stack(
            Path(tmp), DESKROUTE_KB_MODE=args.mode) as stack:
        stack.worker("fast", "urgent,decide,deliver", concurrency=args.fast_concurrency)
        for i in range(args.slm_workers):
            stack.worker(f"slm{i}", "slm")
        print(f"mode {args.mode}; {args.slm_workers} slm worker(s), fast worker "
              f"x{args.fast_concurrency}, "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}", flush=True)
        warm = _tickets(f"warm-{run}", 2 * args.slm_workers)
        stack.burst(warm, threads=4)
        stack.wait_finished([t for t, _ in warm], 600)  # models loaded in every worker
        tickets = _tickets(f"e2e-{run}", args.tickets)
        started = time.monotonic()
        codes = stack.burst(tickets, threads=8)
        print(f"posted {len(codes)} in {time.monotonic() - started:.1f} s "
              f"({sum(1 for c in codes if c == 202)} answered 202)", flush=True)
        ids = [t for t, _ in tickets]
        stack.wait_finished(ids, args.timeout)
        _report(stack, ids)
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
