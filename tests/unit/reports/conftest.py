"""A store seeded with a known mix of tickets, routes, costs and outcomes.

The expected figures in test_report_metrics.py are worked out by hand from this table; keep
the two in step. Every ticket has the same text and every reply the same text, so the all-LLM
estimate can be checked exactly with the tokenizer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from router.store import models as m
from router.store.db import unit_of_work

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
TEXT = "Where is my order? It has not arrived yet."
REPLY = "Your order ships within 2 days; the tracking link is in your confirmation e-mail."


@dataclass
class Seed:
    key: str
    days_ago: float
    channel: str
    state: str
    route: str | None = None
    intent: str = ""
    decision_ms: float = 0.0
    drafts: list[tuple[str, float, bool, int, int]] = field(default_factory=list)
    done_after_s: float | None = None  # seconds from creation to the first ok delivery
    reason: str | None = None
    outcomes: list[tuple[str, float | None]] = field(default_factory=list)


# drafts: (backend, latency_ms, accepted, prompt_tokens, completion_tokens)
SEEDS = [
    Seed("T1", 2, "email", "delivered", "slm", "order_status", 10, [("template", 500, True, 0, 0)],
         2, outcomes=[("resolved", None), ("csat", 5)]),
    Seed("T2", 5, "email", "delivered", "slm", "order_status", 20, [("slm", 1000, True, 0, 0)], 4),
    Seed("T3", 1, "email", "delivered", "slm", "shipping", 10, [("slm", 800, True, 0, 0)], 3),
    Seed("T4", 6, "email", "delivered", "slm", "shipping", 10, [("slm", 700, True, 0, 0)], 5,
         outcomes=[("not_helpful", None)]),
    Seed("T5", 6, "email", "delivered", "slm", "returns", 10, [("template", 0, True, 0, 0)], 2,
         outcomes=[("resolved", None), ("reopened", None)]),
    Seed("T6", 6, "email", "delivered", "slm", "returns", 30,
         [("slm", 900, False, 0, 0), ("llm", 2000, True, 100, 50)], 6,
         outcomes=[("agent_edit", 0.3)]),
    Seed("T7", 2, "chat", "delivered", "llm", "oos", 15, [("llm", 3000, True, 200, 100)], 10,
         outcomes=[("resolved", None), ("csat", 2)]),
    Seed("T8", 3, "chat", "escalated", "human", "refund", 5, [], 1,
         reason="signal legal_threat: mentions a lawyer; confidence 0.40 < 0.88",
         outcomes=[("resolved", None)]),
    Seed("T9", 3, "chat", "escalated", "human", "order_status", 5, [], 1,
         reason="signal human_request: asks for a person"),
    Seed("T10", 1, "chat", "escalated", "llm", "oos", 20, [], 3,
         reason="hosted LLM call failed: Timeout"),
    Seed("T11", 1 / 24, "email", "received"),
    Seed("T12", 8, "email", "delivered", "slm", "shipping", 10, [("slm", 600, True, 0, 0)], 2,
         outcomes=[("agent_override", None)]),
]


def seed_store(url: str, seeds: list[Seed] = SEEDS, model: str = "openai/test-model") -> dict:
    """Insert the seeds; returns ``{key: ticket id}``."""
    ids = {}
    with unit_of_work(url) as s:
        for sd in seeds:
            created = NOW - timedelta(days=sd.days_ago)
            t = m.Ticket(source="generic", external_id=sd.key, channel=sd.channel, body=TEXT,
                         subject="", state=sd.state, reason=sd.reason, meta={},
                         created_at=created, updated_at=created)
            s.add(t)
            s.flush()
            ids[sd.key] = t.id
            if sd.route:
                s.add(m.Decision(ticket_id=t.id, route=sd.route, intent=sd.intent,
                                 confidence=0.9, reasons=[], signals=[], policy_name="default",
                                 policy_hash="abcdef0123456789", classifier_version="clf-1",
                                 latency_ms=sd.decision_ms, created_at=created))
            for backend, ms, ok, pt, ct in sd.drafts:
                s.add(m.DraftRow(ticket_id=t.id, backend=backend,
                                 model=model if backend == "llm" else "kb", text=REPLY,
                                 prompt_tokens=pt, completion_tokens=ct, latency_ms=ms,
                                 cost_usd=0.0, accepted=ok, verifier={}, meta={},
                                 created_at=created))
            if sd.done_after_s is not None:
                s.add(m.DeliveryAttempt(
                    ticket_id=t.id, kind="reply" if sd.state == "delivered" else "escalation",
                    connector="generic", ok=True,
                    created_at=created + timedelta(seconds=sd.done_after_s)))
            for n, (kind, value) in enumerate(sd.outcomes):
                s.add(m.Outcome(ticket_id=t.id, kind=kind, value=value, source="test",
                                created_at=created + timedelta(hours=1 + n)))
                s.flush()
    return ids
