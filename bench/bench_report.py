"""How long the support-ops report takes over many logged tickets (PostgreSQL by default).

Seeds a fresh database with N tickets shaped like production traffic (routes, drafts,
deliveries, outcomes, escalation reasons over 90 days), then times, each as the median of
``--runs``: ``build_report`` (the SQL-aggregate report the CLI, the API and the dashboard
use), the same with ``--by day``, the ``/metrics`` snapshot, and — as the same-run baseline —
merely loading those rows into Python objects, which is what the report did before it was
computed by SQL aggregates.

    python bench/bench_report.py --tickets 100000
    python bench/bench_report.py --url sqlite:////tmp/bench.db --tickets 20000
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

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
    args = ap.parse_args()

    from router.reports import build_report
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

        def report(by: str | None = None) -> dict:
            with sessions() as s:
                return build_report(s, by=by)

        def snapshot() -> Any:
            from router.metrics import snapshot as snap

            with sessions() as s:
                return snap(s)

        report()  # warm: imports, tokenizer, price map, connection pool
        t_report, r = timed(report, args.runs)
        t_day, _ = timed(lambda: report("day"), args.runs)
        t_metrics, _ = timed(snapshot, args.runs)
        t_naive, rows = timed(lambda: naive_load(url), 1)
        print(f"report                  {t_report * 1000:8.0f} ms  (median of {args.runs}; "
              f"{r['tickets']} tickets, deflection {r['deflection_rate']:.3f})")
        print(f"report --by day         {t_day * 1000:8.0f} ms")
        print(f"/metrics snapshot       {t_metrics * 1000:8.0f} ms")
        print(f"baseline: load rows     {t_naive * 1000:8.0f} ms  ({rows} ORM objects, "
              "before computing anything)")
    finally:
        if admin is not None:
            from router.store.db import _engine_for, normalise_url

            _engine_for(normalise_url(url)).dispose()
            admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


if __name__ == "__main__":
    main()
