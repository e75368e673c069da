"""How long the support-ops report takes over many logged tickets (PostgreSQL by default).

Seeds a fresh database with N tickets shaped like production traffic (routes, drafts,
deliveries, outcomes, escalation reasons over 90 days), then times, each as the median of
``--runs``: ``build_report`` (the SQL-aggregate report the CLI, the API and the dashboard
use), the same with ``--by day``, the ``/metrics`` snapshot, and — as the same-run baseline —
merely loading those rows into Python objects, which is what the report did before it was
computed by SQL aggregates.

    python bench/bench_report.py --tickets 100000
    python bench/bench_report.py --tickets 100000 --compare /tmp/old   # + that checkout's report
    python bench/bench_report.py --url sqlite:////tmp/bench.db --tickets 20000

``--compare DIR`` times the report code of another checkout (``git worktree add DIR <commit>``)
on the same database in the same run, so a change is measured against its baseline under the
same load. Besides wall time it prints the PostgreSQL backend's CPU time per report (read from
``/proc`` when the server runs on this machine), which other jobs on the machine disturb far
less than the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# the report code of this checkout (or of --root's), not whatever the venv installed
_ROOT = sys.argv[sys.argv.index("--root") + 1] if "--root" in sys.argv else str(
    Path(__file__).resolve().parents[1])
sys.path.insert(0, _ROOT)

from sqlalchemy import insert, select  # noqa: E402

from router.store import models as m  # noqa: E402

PG_ADMIN = os.environ.get("DESKROUTE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
INTENTS = ["order_status", "shipping", "returns", "refund", "payment_methods",
           "password_reset", "cancel_order", "oos"]
REASONS = ["signal legal_threat: mentions a lawyer", "signal human_request: asks for a person",
           "confidence 0.41 < 0.88; no hosted LLM configured",
           "verifier rejected the local draft: unsupported claim", "hosted LLM call failed: x"]


def seed(url: str, n: int, batch: int = 5000) -> None:
    from router.store.db import get_engine

    rnd = random.Random(7)
    now = datetime.now(UTC)
    engine = get_engine(url)
    next_id = 1
    with engine.begin() as conn:
        for start in range(0, n, batch):
            tickets, decisions, drafts, deliveries, outcomes = [], [], [], [], []
            for i in range(start, min(n, start + batch)):
                tid = next_id
                next_id += 1
                created = now - timedelta(minutes=rnd.randrange(90 * 24 * 60))
                route = rnd.choices(["slm", "llm", "human"], [0.6, 0.15, 0.25])[0]
                state = "delivered" if route != "human" and rnd.random() < 0.9 else "escalated"
                if rnd.random() < 0.01:
                    state = "received"
                tickets.append({"id": tid, "source": "generic", "external_id": f"b{i}",
                                "channel": rnd.choice(["email", "chat", "zendesk"]),
                                "subject": "Order question",
                                "body": "Where is my order? " * rnd.randint(1, 6), "state": state,
                                "reason": rnd.choice(REASONS) if state == "escalated" else None,
                                "meta": {}, "created_at": created, "updated_at": created})
                decisions.append({"ticket_id": tid, "route": route,
                                  "intent": rnd.choice(INTENTS), "confidence": rnd.random(),
                                  "reasons": [], "signals": [], "policy_name": "default",
                                  "policy_hash": "abc", "classifier_version": "clf-1",
                                  "latency_ms": rnd.uniform(4, 20), "created_at": created})
                if route != "human":
                    backend = "llm" if route == "llm" else rnd.choice(["slm", "template"])
                    drafts.append({"ticket_id": tid, "backend": backend,
                                   "model": "gpt-4o-mini" if backend == "llm" else "kb",
                                   "text": "Your order ships within 2 days.",
                                   "prompt_tokens": 300 if backend == "llm" else 0,
                                   "completion_tokens": 60 if backend == "llm" else 0,
                                   "latency_ms": rnd.uniform(200, 3000), "cost_usd": 0.0,
                                   "accepted": state == "delivered", "verifier": {},
                                   "meta": {}, "created_at": created})
                if state != "received":
                    deliveries.append({"ticket_id": tid, "connector": "generic", "ok": True,
                                       "kind": "reply" if state == "delivered" else "escalation",
                                       "created_at": created + timedelta(
                                           seconds=rnd.uniform(1, 30))})
                if state == "delivered" and rnd.random() < 0.4:
                    kind = rnd.choices(["resolved", "reopened", "not_helpful", "agent_edit",
                                        "csat"], [0.6, 0.1, 0.1, 0.1, 0.1])[0]
                    outcomes.append({"ticket_id": tid, "kind": kind, "source": "bench",
                                     "value": rnd.randint(1, 5) if kind == "csat" else None,
                                     "created_at": created + timedelta(hours=2)})
            for table, rows in ((m.Ticket, tickets), (m.Decision, decisions),
                                (m.DraftRow, drafts), (m.DeliveryAttempt, deliveries),
                                (m.Outcome, outcomes)):
                if rows:
                    conn.execute(insert(table), rows)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            from sqlalchemy import text

            conn.execute(text("SELECT setval('tickets_id_seq', (SELECT max(id) FROM tickets))"))
            conn.execute(text("ANALYZE"))


def timed(fn: Any, runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def backend_cpu(pid: int) -> float | None:
    """CPU seconds the PostgreSQL backend has used (None when it is not on this machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_reports(url: str, runs: int, by: str | None) -> dict[str, Any]:
    """Median wall and backend-CPU milliseconds of ``build_report`` (after one warm-up run)."""
    from sqlalchemy import text

    from router.reports import build_report
    from router.settings import Settings
    from router.store.db import session_factory

    sessions = session_factory(url)
    st = Settings.load(database_url=url)  # what `deskroute report` reads, once
    walls, cpus, result = [], [], None
    for i in range(runs + 1):
        with sessions() as s:
            pid = (s.execute(text("SELECT pg_backend_pid()")).scalar()
                   if s.get_bind().dialect.name == "postgresql" else None)
            c0 = backend_cpu(pid) if pid else None
            start = time.perf_counter()
            result = build_report(s, by=by, **report_settings(st))
            wall = time.perf_counter() - start
            c1 = backend_cpu(pid) if pid else None
        if i:  # the first run warms imports, the tokenizer, the price map, the pool
            walls.append(wall)
            if c0 is not None and c1 is not None:
                cpus.append(c1 - c0)
    assert result is not None
    return {"walls": walls, "cpus": cpus,
            "tickets": result["tickets"], "deflection_rate": result["deflection_rate"]}


def report_settings(st: Any) -> dict[str, Any]:
    """build_report's settings from a Settings (a --compare checkout from before they were
    part of Settings read them itself: nothing to pass)."""
    if not hasattr(st, "reports"):
        return {}
    return {"settings": st.reports, "llm": st.llm, "prices": st.prices}


def medians(*timings: dict[str, Any]) -> dict[str, Any]:
    """Median wall and backend-CPU milliseconds over several ``time_reports`` results."""
    walls = [w for t in timings for w in t["walls"]]
    cpus = [c for t in timings for c in t["cpus"]]
    return {**timings[0], "wall_ms": statistics.median(walls) * 1000,
            "cpu_ms": statistics.median(cpus) * 1000 if cpus else None}


def compare(root: str, url: str, runs: int, by: str | None) -> dict[str, Any]:
    """The same timing with the report code of the checkout at ``root`` (a subprocess)."""
    cmd = [sys.executable, __file__, "--root", root, "--time-only", url, "--runs", str(runs)]
    out = subprocess.run(cmd + (["--by", by] if by else []), check=True, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": root}).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def naive_load(url: str) -> int:
    """The baseline: every ticket, decision, draft and outcome as Python objects."""
    from router.store.db import session_factory

    with session_factory(url)() as s:
        rows = 0
        for model in (m.Ticket, m.Decision, m.DraftRow, m.Outcome):
            rows += len(list(s.scalars(select(model))))
        return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--url", help="an existing empty store (default: a fresh PostgreSQL db)")
    ap.add_argument("--compare", metavar="DIR",
                    help="also time the report code of the checkout in DIR (same db, same run)")
    ap.add_argument("--root", help=argparse.SUPPRESS)  # read before the imports (see top)
    ap.add_argument("--time-only", metavar="URL", help=argparse.SUPPRESS)
    ap.add_argument("--by", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.time_only:  # --compare's subprocess: time this checkout's report, print JSON
        print(json.dumps(time_reports(args.time_only, args.runs, args.by)))
        return

    from router.store.db import session_factory
    from router.store.migrate import upgrade

    admin = None
    url = args.url
    if url is None:
        import psycopg

        admin = psycopg.connect(PG_ADMIN, autocommit=True)
        name = f"deskroute_bench_{uuid.uuid4().hex[:8]}"
        admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    try:
        upgrade(url)
        start = time.perf_counter()
        seed(url, args.tickets)
        print(f"seeded {args.tickets} tickets in {time.perf_counter() - start:.1f} s "
              f"({url.split('@')[-1]})")
        sessions = session_factory(url)

        def snapshot() -> Any:
            from router.metrics import snapshot as snap
            from router.settings import Settings

            prices = Settings.load(database_url=url).prices
            with sessions() as s:
                return snap(s, prices)

        def cpu(t: dict[str, Any]) -> str:
            return "n/a" if t["cpu_ms"] is None else f"{t['cpu_ms']:.0f} ms"

        def line(label: str, t: dict[str, Any], base: dict[str, Any] | None = None) -> str:
            out = f"{label:24s}{t['wall_ms']:8.0f} ms  (db CPU {cpu(t)})"
            if base:
                out += f"  baseline {base['wall_ms']:6.0f} ms (db CPU {cpu(base)})"
                out += f"  ratio {t['wall_ms'] / base['wall_ms']:.2f}"
                if t["cpu_ms"] and base["cpu_ms"]:
                    out += f" (CPU {t['cpu_ms'] / base['cpu_ms']:.2f})"
            return out

        print(f"load average before: {load_average()}  (median of {args.runs} runs each)")
        for by in (None, "day"):
            if args.compare:  # interleaved, so a burst of load hits both alike
                half = max(1, args.runs // 2)
                a1, b1 = time_reports(url, half, by), compare(args.compare, url, half, by)
                rest = max(1, args.runs - half)
                a2, b2 = time_reports(url, rest, by), compare(args.compare, url, rest, by)
                mine, base = medians(a1, a2), medians(b1, b2)
            else:
                mine, base = medians(time_reports(url, args.runs, by)), None
            if base and (base["tickets"], base["deflection_rate"]) != (
                    mine["tickets"], mine["deflection_rate"]):
                print(f"  warning: the baseline counts differently: {base} vs {mine}")
            print(line("report" if by is None else f"report --by {by}", mine, base))
        t_metrics, _ = timed(snapshot, args.runs)
        t_naive, rows = timed(lambda: naive_load(url), 1)
        print(f"{'/metrics snapshot':24s}{t_metrics * 1000:8.0f} ms")
        print(f"{'baseline: load rows':24s}{t_naive * 1000:8.0f} ms  ({rows} ORM objects, "
              "before computing anything)")
        print(f"load average after: {load_average()}")
    finally:
        if admin is not None:
            from router.store.db import _engine_for, normalise_url

            _engine_for(normalise_url(url)).dispose()
            admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


if __name__ == "__main__":
    main()
