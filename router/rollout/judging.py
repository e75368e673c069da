"""Judging what the agent did with a draft, once per draft, from the agent's first reply.

The ``feedback`` task runs :func:`judge_ticket` when an agent's public reply is recorded
(``router.outcomes.record_agent_reply``: a helpdesk event or ``POST /tickets/{id}/outcomes``);
the promotion report runs :func:`judge_pending` first, so a reply whose task failed, or that
arrived before the draft was finished, is still judged. Only drafts the customer never
received are judged: tickets that ended ``shadowed`` or ``assisted``. The draft that was
offered and, with the shadow comparison on, the hosted model's draft of the same ticket are
both compared with the same reply, which is what makes the SLM-vs-LLM gap fair.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from router.domain import OutcomeKind, TicketState
from router.pipeline.services import Services
from router.rollout.feedback import Embed, judge
from router.rollout.settings import FeedbackSettings
from router.store import models as m
from router.store import repo

log = logging.getLogger(__name__)

#: the tickets whose drafts an agent's reply is compared with (nothing went to the customer)
JUDGED_STATES = (TicketState.SHADOWED.value, TicketState.ASSISTED.value)


def lazy_embed(spec: str | None = None) -> Embed:
    """The sentence encoder of ``spec`` (:func:`~router.classify.embedder.encoder_spec` of the
    settings), loaded only when a pair's wording alone cannot decide."""

    def embed(texts: Sequence[str]) -> np.ndarray:
        from router.classify.embedder import get_encoder

        return get_encoder(spec).encode(list(texts))

    return embed


def first_agent_reply(session: Session, ticket_id: int) -> m.Outcome | None:
    return session.scalar(
        select(m.Outcome)
        .where(m.Outcome.ticket_id == ticket_id, m.Outcome.kind == OutcomeKind.AGENT_REPLY.value)
        .order_by(m.Outcome.id)
        .limit(1)
    )


def drafts_to_judge(session: Session, ticket: m.Ticket) -> list[m.DraftRow]:
    """The offered (or shadow) draft and the comparison drafts, those not judged yet."""
    answer = repo.latest_draft(session, ticket.id)
    if answer is None or not answer.accepted:
        return []
    compare = list(session.scalars(
        select(m.DraftRow).where(m.DraftRow.ticket_id == ticket.id,
                                 m.DraftRow.purpose == "compare").order_by(m.DraftRow.id)))
    judged = set(session.scalars(
        select(m.DraftFeedback.draft_id).where(m.DraftFeedback.ticket_id == ticket.id)))
    return [d for d in [answer, *compare] if d.id not in judged]


def judge_ticket(session: Session, ticket: m.Ticket, embed: Embed,
                 settings: FeedbackSettings) -> list[m.DraftFeedback]:
    """Judge the ticket's unjudged drafts against the agent's first reply (flushes)."""
    if ticket.state not in JUDGED_STATES:
        return []
    reply = first_agent_reply(session, ticket.id)
    if reply is None:
        return []
    decision = repo.latest_decision(session, ticket.id)
    rows = []
    for draft in drafts_to_judge(session, ticket):
        verdict = judge(draft.text, reply.note, embed, settings)
        row = m.DraftFeedback(
            ticket_id=ticket.id, draft_id=draft.id, outcome_id=reply.id, kind=verdict.kind.value,
            edit_distance=verdict.edit_distance, similarity=verdict.similarity,
            route=decision.route if decision else "undecided",
            intent=decision.intent if decision else "(undecided)",
            mode=decision.mode if decision else "assist", purpose=draft.purpose,
            backend=draft.backend, model=draft.model)
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def judge_pending(session: Session, embed: Embed, settings: FeedbackSettings) -> int:
    """Judge every shadowed or assisted ticket that has an agent reply and an unjudged draft."""
    ids = session.scalars(
        select(m.Ticket.id).distinct()
        .join(m.Outcome, m.Outcome.ticket_id == m.Ticket.id)
        .where(m.Outcome.kind == OutcomeKind.AGENT_REPLY.value,
               m.Ticket.state.in_(JUDGED_STATES))
        .order_by(m.Ticket.id))
    judged = 0
    for tid in list(ids):
        ticket = repo.get_ticket(session, tid)
        if ticket is not None:
            judged += len(judge_ticket(session, ticket, embed, settings))
    return judged


def feedback_step(session: Session, services: Services, ticket: m.Ticket) -> None:
    """The ``feedback`` task: never a next task, never an escalation (the ticket is done)."""
    from router.classify.embedder import encoder_spec

    rows = judge_ticket(session, ticket, lazy_embed(encoder_spec(services.models)),
                        services.feedback)
    for row in rows:
        log.info("agent reply judged %s for draft %s (%s, %s)", row.kind, row.draft_id,
                 row.intent, row.model)
    return None
