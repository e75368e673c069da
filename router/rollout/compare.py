"""The shadow comparison: a sample of locally drafted tickets drafted by the hosted LLM too.

Policy keys ``rollout.shadow_compare``: ``rate`` (the share of local drafts compared; 0 = off),
``budget_usd_per_day`` (hosted spend on comparison drafts per UTC day; none once reached) and
``intents`` (empty = every intent). Only tickets in ``shadow`` or ``assist`` are compared:
there the agent answers, and both drafts are judged against the same reply
(router/rollout/judging.py), which is what the promotion report's SLM-vs-LLM gap reads.

The comparison runs as its own ``compare`` task on the LLM queue, after the local draft is
stored, so it never delays the local answer. Its draft goes through the same hosted leg as
any hosted answer (redaction, verification) and is stored with ``purpose = compare``: never
delivered, never a ticket's answer; a failed call is logged and forgotten (it is a sample).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policies.model import ShadowCompare
from router.backends.base import BackendError
from router.domain import Mode
from router.pipeline.services import Services
from router.store import models as m
from router.store import repo

log = logging.getLogger(__name__)
_COMPARED_MODES = (Mode.SHADOW.value, Mode.ASSIST.value)


def sampled(ticket_id: int, rate: float) -> bool:
    """A stable draw per ticket (the same answer on a re-run): Knuth's multiplicative hash."""
    return rate > 0 and ((ticket_id * 2654435761) % 2**32) / 2**32 < rate


def wanted(cfg: ShadowCompare, decision: m.Decision | None, ticket_id: int,
           llm_available: bool) -> bool:
    """Whether this locally drafted ticket gets a comparison draft."""
    return (llm_available and decision is not None and decision.mode in _COMPARED_MODES
            and (not cfg.intents or decision.intent in cfg.intents)
            and sampled(ticket_id, cfg.rate))


def spent_today(session: Session, now: datetime | None = None) -> float:
    day = (now or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    total = session.scalar(select(func.coalesce(func.sum(m.DraftRow.cost_usd), 0.0))
                           .where(m.DraftRow.purpose == "compare", m.DraftRow.created_at >= day))
    return float(total or 0.0)


def compare_step(session: Session, services: Services, ticket: m.Ticket) -> None:
    """The ``compare`` task: one hosted draft for comparison, within the day's budget."""
    if any(d.purpose == "compare" for d in ticket.drafts):
        return None
    cfg = services.policy.rollout.shadow_compare
    spent = spent_today(session)
    if spent >= cfg.budget_usd_per_day:
        log.info("shadow comparison skipped: $%.4f of $%.2f spent today", spent,
                 cfg.budget_usd_per_day)
        return None
    decision = repo.latest_decision(session, ticket.id)
    text = f"{ticket.subject}\n{ticket.body}".strip()
    try:
        ans = services.hosted_answerer().answer(text, decision.intent if decision else None,
                                                requester=ticket.requester)
    except Exception as exc:  # noqa: BLE001 - a sample: it must never touch the ticket's answer
        level = logging.WARNING if isinstance(exc, BackendError) else logging.ERROR
        log.log(level, "shadow comparison draft failed (a sample, not retried): %s: %s",
                type(exc).__name__, exc)
        return None
    repo.add_draft(session, ticket.id, ans.draft, ans.verdict, purpose="compare")
    return None
