"""Prometheus metrics read from the store, so every process exposes the same numbers.

deskroute's work is done by many processes (API workers, Celery workers on several machines,
the embedded worker); every one of them writes what it did to SQL. Counting there — rather
than in per-process counters that Prometheus' multiprocess mode can only merge for processes
sharing one host and one directory — makes ``/metrics`` correct whichever API process is
scraped, across restarts, and equal to ``deskroute report``. The price is a few aggregate
queries per scrape (measured in docs/BENCHMARKS.md), cached for
``DESKROUTE_METRICS_CACHE_SECONDS``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from router.domain import TERMINAL_STATES
from router.pricing import PriceSettings, price_of
from router.store import models as m

DECISION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
GENERATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Histogram:
    buckets: dict[str, list[int]] = field(default_factory=dict)  # label → cumulative counts
    sums: dict[str, float] = field(default_factory=dict)


@dataclass
class Snapshot:
    states: dict[str, int]
    finished: dict[tuple[str, str], int]
    answers: dict[str, int]
    tokens: dict[tuple[str, str], int]
    cost: dict[str, float]
    outbox: dict[str, int]
    delivery_failures: dict[tuple[str, str], int]
    outcomes: dict[str, int]
    decision: Histogram
    generation: Histogram
    seconds: float


def _histogram(session: Session, label: Any, ms: Any, bounds: Iterable[float]) -> Histogram:
    bounds = tuple(bounds)
    cols = [func.sum(case((ms <= b * 1000.0, 1), else_=0)) for b in bounds]
    h = Histogram()
    for row in session.execute(select(label, func.count(), func.sum(ms), *cols).group_by(label)):
        name, count, total, *cum = row
        h.buckets[str(name)] = [int(c or 0) for c in cum] + [int(count)]
        h.sums[str(name)] = float(total or 0.0) / 1000.0
    return h


def snapshot(session: Session, prices: PriceSettings) -> Snapshot:
    """Every metric in a handful of aggregate queries."""
    start = time.perf_counter()
    T, D, DR, OC, DA = m.Ticket, m.Decision, m.DraftRow, m.Outcome, m.DeliveryAttempt
    latest = select(D.ticket_id, func.max(D.id).label("did")).group_by(D.ticket_id).subquery()
    route = func.coalesce(D.route, "undecided")
    finished = dict(((str(r), str(s)), int(n)) for r, s, n in session.execute(
        select(route, T.state, func.count()).select_from(T)
        .outerjoin(latest, latest.c.ticket_id == T.id).outerjoin(D, D.id == latest.c.did)
        .where(T.state.in_([s.value for s in TERMINAL_STATES])).group_by(route, T.state)))
    accepted = (select(DR.ticket_id, func.max(DR.id).label("aid"))
                .where(DR.accepted.is_(True)).group_by(DR.ticket_id).subquery())
    final = m.DraftRow
    answers = {str(b): int(n) for b, n in session.execute(
        select(final.backend, func.count()).select_from(T)
        .join(accepted, accepted.c.ticket_id == T.id).join(final, final.id == accepted.c.aid)
        .where(T.state == "delivered").group_by(final.backend))}
    tokens: dict[tuple[str, str], int] = {}
    cost: dict[str, float] = {}
    for model, prompt, completion in session.execute(
            select(DR.model, func.sum(DR.prompt_tokens), func.sum(DR.completion_tokens))
            .where(DR.backend == "llm").group_by(DR.model)):
        tokens[(str(model), "prompt")] = int(prompt or 0)
        tokens[(str(model), "completion")] = int(completion or 0)
        cost[str(model)] = price_of(str(model), prices).cost(prompt or 0, completion or 0)
    return Snapshot(
        states={str(s): int(n) for s, n in session.execute(
            select(T.state, func.count()).group_by(T.state))},
        finished=finished, answers=answers, tokens=tokens, cost=cost,
        outbox={str(t): int(n) for t, n in session.execute(
            select(m.OutboxRow.task, func.count()).where(m.OutboxRow.status != "done")
            .group_by(m.OutboxRow.task))},
        delivery_failures={(str(k), str(c)): int(n) for k, c, n in session.execute(
            select(DA.kind, DA.connector, func.count()).where(DA.ok.is_(False))
            .group_by(DA.kind, DA.connector))},
        outcomes={str(k): int(n) for k, n in session.execute(
            select(OC.kind, func.count()).group_by(OC.kind))},
        decision=_histogram(session, D.route, D.latency_ms, DECISION_BUCKETS),
        generation=_histogram(session, DR.backend, DR.latency_ms, GENERATION_BUCKETS),
        seconds=time.perf_counter() - start,
    )


class StoreCollector(Collector):
    """Turns a (cached) :class:`Snapshot` into Prometheus metric families."""

    def __init__(self, sessions: Callable[[], Session], ttl: float,
                 prices: PriceSettings) -> None:
        self._sessions, self._ttl, self._prices = sessions, ttl, prices
        self._lock = threading.Lock()
        self._cached: tuple[float, Snapshot] | None = None

    def _snapshot(self) -> Snapshot:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] >= self._ttl:
                with self._sessions() as session:
                    self._cached = (now, snapshot(session, self._prices))
            return self._cached[1]

    def collect(self) -> Iterator[Metric]:
        s = self._snapshot()
        g = GaugeMetricFamily("deskroute_tickets", "Tickets in each state now.", labels=["state"])
        for state, n in sorted(s.states.items()):
            g.add_metric([state], n)
        yield g
        c = CounterMetricFamily("deskroute_tickets_received", "Tickets stored.")
        c.add_metric([], sum(s.states.values()))
        yield c
        c = CounterMetricFamily("deskroute_tickets_finished", "Tickets that reached a final "
                                "state, by route (latest decision) and state.",
                                labels=["route", "state"])
        for (route, state), n in sorted(s.finished.items()):
            c.add_metric([route, state], n)
        yield c
        c = CounterMetricFamily("deskroute_answers_delivered", "Automated replies delivered, "
                                "by who wrote them (slm, template, llm).", labels=["backend"])
        for backend, n in sorted(s.answers.items()):
            c.add_metric([backend], n)
        yield c
        yield from self._histograms(s)
        c = CounterMetricFamily("deskroute_llm_tokens", "Hosted LLM tokens.",
                                labels=["model", "kind"])
        for (model, kind), n in sorted(s.tokens.items()):
            c.add_metric([model, kind], n)
        yield c
        c = CounterMetricFamily("deskroute_llm_cost_usd", "Hosted LLM cost in USD (litellm's "
                                "price map or DESKROUTE_LLM_PRICE_*; 0 when unknown).",
                                labels=["model"])
        for model, usd in sorted(s.cost.items()):
            c.add_metric([model], usd)
        yield c
        g = GaugeMetricFamily("deskroute_outbox_depth", "Pipeline tasks not done yet.",
                              labels=["task"])
        for task, n in sorted(s.outbox.items()):
            g.add_metric([task], n)
        yield g
        c = CounterMetricFamily("deskroute_delivery_failures", "Failed delivery attempts.",
                                labels=["kind", "connector"])
        for (kind, conn), n in sorted(s.delivery_failures.items()):
            c.add_metric([kind, conn], n)
        yield c
        c = CounterMetricFamily("deskroute_outcomes", "Outcomes recorded, by kind.",
                                labels=["kind"])
        for kind, n in sorted(s.outcomes.items()):
            c.add_metric([kind], n)
        yield c
        g = GaugeMetricFamily("deskroute_metrics_query_seconds",
                              "Time the last metrics snapshot took to read from the store.")
        g.add_metric([], s.seconds)
        yield g

    def _histograms(self, s: Snapshot) -> Iterator[Metric]:
        for name, doc, label, hist, bounds in (
            ("deskroute_decision_latency_seconds", "Routing decision time (classifier, "
             "signals, policy).", "route", s.decision, DECISION_BUCKETS),
            ("deskroute_generation_latency_seconds", "Draft generation time per backend.",
             "backend", s.generation, GENERATION_BUCKETS),
        ):
            h = HistogramMetricFamily(name, doc, labels=[label])
            for key, cum in sorted(hist.buckets.items()):
                edges = [str(b) for b in bounds] + ["+Inf"]
                h.add_metric([key], list(zip(edges, cum, strict=True)), hist.sums[key])
            yield h
