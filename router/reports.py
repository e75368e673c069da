"""Deflection report computed from the store: what support-ops reads.

Definitions (also in the README): a ticket is *deflected* when an automated reply (local or
hosted) was delivered and no human took it; *deflection_rate* = deflected / finished tickets.
Routes are the router's first decision; *answered_by* is who produced what was delivered.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from statistics import mean
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from router.domain import TERMINAL_STATES, TicketState
from router.store import models as m
from router.store import repo

_RELATIVE = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str | None) -> datetime | None:
    """``7d``, ``24h``, ``30m``, ``2w`` or an ISO date/time; None means everything."""
    if not value:
        return None
    match = _RELATIVE.match(value.strip())
    if match:
        delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        return datetime.now(UTC) - delta
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"--since: expected e.g. 7d, 24h or an ISO date, got {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _r(x: float) -> float:
    return round(x, 4)


def build_report(session: Session, since: datetime | None = None) -> dict[str, Any]:
    tickets = repo.tickets_since(session, since)
    ids = [t.id for t in tickets]
    decisions = {d.ticket_id: d for d in session.scalars(
        select(m.Decision).where(m.Decision.ticket_id.in_(ids)).order_by(m.Decision.id))}
    drafts: dict[int, list[m.DraftRow]] = defaultdict(list)
    for row in session.scalars(select(m.DraftRow).where(m.DraftRow.ticket_id.in_(ids))):
        drafts[row.ticket_id].append(row)
    outcomes: dict[int, list[m.Outcome]] = defaultdict(list)
    for o in session.scalars(select(m.Outcome).where(m.Outcome.ticket_id.in_(ids))):
        outcomes[o.ticket_id].append(o)

    by_state = Counter(t.state for t in tickets)
    by_route = Counter(decisions[t.id].route for t in tickets if t.id in decisions)
    answered_by: Counter[str] = Counter()
    per_route: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    total_cost = 0.0
    for t in tickets:
        decision = decisions.get(t.id)
        if decision is None:
            continue
        route = decision.route
        stats = per_route[route]
        stats["decision_ms"].append(decision.latency_ms)
        cost = sum(x.cost_usd for x in drafts[t.id])
        total_cost += cost
        stats["cost_usd"].append(cost)
        stats["tokens"].append(sum(x.prompt_tokens + x.completion_tokens for x in drafts[t.id]))
        stats["latency_ms"].append(decision.latency_ms + sum(x.latency_ms for x in drafts[t.id]))
        if t.state == TicketState.DELIVERED.value:
            final = [x for x in drafts[t.id] if x.accepted]
            answered_by[final[-1].backend if final else "unknown"] += 1
        elif t.state == TicketState.ESCALATED.value:
            answered_by["human"] += 1

    finished = sum(by_state[s.value] for s in TERMINAL_STATES)
    deflected = by_state[TicketState.DELIVERED.value]
    resolved = {tid for tid, os in outcomes.items() if os and os[-1].kind == "resolved"}
    reopened = {tid for tid, os in outcomes.items() if any(o.kind == "reopened" for o in os)}
    csat = [o.value for os in outcomes.values() for o in os if o.kind == "csat" and o.value]
    routes = {}
    for route, stats in sorted(per_route.items()):
        routes[route] = {
            "tickets": by_route[route],
            "mean_latency_ms": _r(mean(stats["latency_ms"])) if stats["latency_ms"] else 0.0,
            "mean_decision_ms": _r(mean(stats["decision_ms"])) if stats["decision_ms"] else 0.0,
            "tokens": int(sum(stats["tokens"])),
            "cost_usd": _r(sum(stats["cost_usd"])),
        }
    by_intent: dict[str, dict[str, int]] = defaultdict(lambda: Counter())
    for t in tickets:
        dec = decisions.get(t.id)
        if dec is not None:
            counts = by_intent[dec.intent]
            counts["tickets"] += 1
            counts["deflected"] += t.state == TicketState.DELIVERED.value
            counts["resolved"] += t.id in resolved
            counts["reopened"] += t.id in reopened
    return {
        "since": since.isoformat() if since else None,
        "tickets": len(tickets),
        "finished": finished,
        "pending": len(tickets) - finished,
        "by_state": dict(by_state),
        "by_route": dict(by_route),
        "answered_by": dict(answered_by),
        "deflection_rate": _r(deflected / finished) if finished else 0.0,
        "local_rate": _r((answered_by["slm"] + answered_by["template"]) / finished)
        if finished else 0.0,
        "routes": routes,
        "total_cost_usd": _r(total_cost),
        "resolved": len(resolved),
        "reopened": len(reopened),
        "cost_per_resolved_usd": _r(total_cost / len(resolved)) if resolved else None,
        "csat_mean": _r(mean(csat)) if csat else None,
        "by_intent": {k: dict(v) for k, v in sorted(by_intent.items())},
    }
