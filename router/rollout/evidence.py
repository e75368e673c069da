"""``deskroute report --promotion``: per intent, what agents did with deskroute's drafts, and
whether the policy's evidence rule says the intent has earned ``auto``.

Counts come from SQL aggregates over the tickets created in the window:

* **drafts seen**: tickets that ended ``shadowed`` or ``assisted`` with an accepted draft (the
  customer never received it, an agent answered instead);
* **settled**: drafts judged against the agent's first reply (``draft_feedback``), plus drafts
  no agent reply reached within ``rollout.evidence.settle_hours`` (counted as ignored);
* **usable**: sent as-is or lightly edited; its share's Wilson lower bound is what the rule
  compares with ``min_lower_bound`` once ``min_drafts`` drafts have settled;
* **SLM vs LLM**: on the tickets the shadow comparison drafted with both models, each model's
  usable share against the same agent reply (the fair comparison: tickets routed to the LLM
  are harder ones), and per model among all judged drafts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from policies.model import Policy
from router.domain import USABLE_FEEDBACK, FeedbackKind, Mode
from router.reports.facts import LOCAL_BACKENDS, in_window, utc
from router.reports.window import Window
from router.rollout.judging import JUDGED_STATES
from router.rollout.promotion import Counts, recommend
from router.store import models as m

USABLE = tuple(k.value for k in USABLE_FEEDBACK)
LABEL = {"promote_to_auto": "promote to auto", "keep": "keep in {mode}",
         "send_to_llm": "send to the LLM", "in_auto": "in auto"}


@dataclass
class _Intent:
    seen: int = 0
    old: int = 0  # seen and older than the settle time
    kinds: dict[str, int] | None = None
    judged_old: int = 0


def _latest_decisions() -> Any:
    return (select(m.Decision.ticket_id, func.max(m.Decision.id).label("decision_id"))
            .group_by(m.Decision.ticket_id).subquery("latest_decision"))


def promotion_report(session: Session, policy: Policy, window: Window | None = None
                     ) -> dict[str, Any]:
    window = window or Window()
    rule = policy.rollout.evidence
    cutoff = utc(window.as_of() - timedelta(hours=rule.settle_hours))
    T, D, DR, F = m.Ticket, m.Decision, m.DraftRow, m.DraftFeedback
    latest = _latest_decisions()
    old = T.created_at <= cutoff
    offered = exists().where(DR.ticket_id == T.id, DR.purpose == "answer",
                             DR.accepted.is_(True))
    seen_q = (select(D.intent, func.count(), func.sum(case((old, 1), else_=0)))
              .select_from(T).join(latest, latest.c.ticket_id == T.id)
              .join(D, D.id == latest.c.decision_id)
              .where(T.state.in_(JUDGED_STATES), offered).group_by(D.intent))
    stats: dict[str, _Intent] = defaultdict(_Intent)
    for intent, n, n_old in session.execute(in_window(seen_q, window)):
        stats[intent].seen, stats[intent].old = int(n), int(n_old or 0)

    judged_q = (select(F.intent, F.kind, func.count(), func.sum(case((old, 1), else_=0)))
                .join(T, T.id == F.ticket_id).where(F.purpose == "answer")
                .group_by(F.intent, F.kind))
    for intent, kind, n, n_old in session.execute(in_window(judged_q, window)):
        s = stats[intent]
        s.kinds = {**(s.kinds or {}), kind: int(n)}
        s.judged_old += int(n_old or 0)

    by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
    usable = case((F.kind.in_(USABLE), 1), else_=0)
    model_q = (select(F.intent, F.backend, F.model, func.count(), func.sum(usable))
               .join(T, T.id == F.ticket_id).group_by(F.intent, F.backend, F.model)
               .order_by(F.intent, F.backend, F.model))
    for intent, backend, model, n, u in session.execute(in_window(model_q, window)):
        by_model[intent].append({"backend": backend, "model": model, "judged": int(n),
                                 "usable": int(u or 0), "share": int(u or 0) / int(n)})

    A, B = aliased(F, name="offered"), aliased(F, name="compared")
    pair_q = (select(A.intent, func.count(), func.sum(case((A.kind.in_(USABLE), 1), else_=0)),
                     func.sum(case((B.kind.in_(USABLE), 1), else_=0)))
              .select_from(A).join(B, and_(B.ticket_id == A.ticket_id, B.purpose == "compare"))
              .join(T, T.id == A.ticket_id)
              .where(A.purpose == "answer", A.backend.in_(LOCAL_BACKENDS))
              .group_by(A.intent))
    pairs = {intent: (int(n), int(a or 0), int(b or 0))
             for intent, n, a, b in session.execute(in_window(pair_q, window))}

    intents = sorted(set(stats) | set(policy.rollout.intents))
    rows = [_row(intent, stats.get(intent, _Intent()), by_model.get(intent, []),
                 pairs.get(intent), policy) for intent in intents]
    return {
        "policy": {"name": policy.name, "version": policy.version, "hash": policy.hash,
                   "default_mode": policy.rollout.mode.value,
                   "evidence": rule.model_dump(mode="json")},
        "window": window.as_dict(),
        "intents": rows,
    }


def _row(intent: str, s: _Intent, models: list[dict[str, Any]],
         pair: tuple[int, int, int] | None, policy: Policy) -> dict[str, Any]:
    kinds = {k.value: (s.kinds or {}).get(k.value, 0) for k in FeedbackKind}
    judged = sum(kinds.values())
    unanswered = max(0, s.old - s.judged_old)  # settled with no agent reply: ignored
    settled = judged + unanswered
    good = kinds[FeedbackKind.SENT_AS_IS.value] + kinds[FeedbackKind.EDITED.value]
    mode = policy.rollout.mode_for(intent)
    local = llm = None
    compare = None
    if pair is not None:
        n, a, b = pair
        local, llm = Counts(n, a), Counts(n, b)
        compare = {"tickets": n, "local_share": a / n, "llm_share": b / n,
                   "gap": (b - a) / n}
    verdict = recommend(mode, Counts(settled, good), policy.rollout.evidence,
                        paired_local=local, paired_llm=llm)
    return {
        "intent": intent, "mode": mode.value, "drafts_seen": s.seen, "settled": settled,
        "pending": max(0, s.seen - settled), **kinds,
        "ignored": kinds[FeedbackKind.IGNORED.value] + unanswered,
        "unanswered": unanswered, "usable": good,
        "usable_share": good / settled if settled else None,
        "lower_bound": round(verdict.lower_bound, 4),
        "by_model": models, "shadow_compare": compare,
        "recommendation": verdict.recommendation.value,
        "advice": LABEL[verdict.recommendation.value].format(mode=mode.value),
        "why": verdict.why,
    }


def next_step(row: dict[str, Any]) -> str | None:
    """The command that acts on a row's recommendation, if any."""
    if row["recommendation"] == "promote_to_auto" and row["mode"] != Mode.AUTO.value:
        return f"deskroute policy promote {row['intent']} --to auto"
    return None


def mode_summary(session: Session, window: Window | None = None) -> list[dict[str, Any]]:
    """Tickets per rollout mode and what happened to them (the demo's table, ``--json``)."""
    T, D = m.Ticket, m.Decision
    latest = _latest_decisions()
    q = (select(D.mode, T.state, func.count()).select_from(T)
         .join(latest, latest.c.ticket_id == T.id).join(D, D.id == latest.c.decision_id)
         .group_by(D.mode, T.state))
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for mode, state, n in session.execute(in_window(q, window or Window())):
        counts[mode][state] = int(n)
    rows = []
    for mode in Mode:
        c = counts.get(mode.value, {})
        rows.append({"mode": mode.value, "tickets": sum(c.values()),
                     "replied": c.get("delivered", 0), "offered_to_agents": c.get("assisted", 0),
                     "shadowed": c.get("shadowed", 0), "escalated": c.get("escalated", 0),
                     "other": sum(n for s, n in c.items() if s not in
                                  ("delivered", "assisted", "shadowed", "escalated"))})
    return rows
