"""Accepted hosted-LLM answers to routine tickets, as chat-format JSONL for fine-tuning.

When the hosted model answers a ticket of an intent the local model is meant to handle (it
went to the LLM for low confidence, or after a rejected local draft) and the answer was
accepted, delivered and not later reopened, overridden or edited, that exchange is a training
example for the local model. Each line is ``{"messages": [system, user, assistant],
"metadata": {...}}`` where the user turn is the prompt the local leg builds (approved passages
and the fenced ticket) and every personal detail — in the ticket, the reply and the passages —
is replaced by the same placeholder throughout (``[EMAIL_1]``, ``[CARD_1]``, …).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from router.domain import NEGATIVE_OUTCOMES, TicketState
from router.reports.window import Window
from router.store import models as m

if TYPE_CHECKING:
    from router.guard.settings import PIISettings

OUT_OF_SCOPE = "oos"


@dataclass(frozen=True)
class ExportSummary:
    written: int
    candidates: int
    redactions: dict[str, int]


def _candidates(session: Session, window: Window, intents: list[str] | None) -> Any:
    T, D, DR, OC = m.Ticket, m.Decision, m.DraftRow, m.Outcome
    latest = select(D.ticket_id, func.max(D.id).label("did")).group_by(D.ticket_id).subquery()
    accepted = (select(DR.ticket_id, func.max(DR.id).label("aid"))
                .where(DR.accepted.is_(True)).group_by(DR.ticket_id).subquery())
    negative = (select(OC.ticket_id).where(OC.kind.in_([k.value for k in NEGATIVE_OUTCOMES]))
                .distinct())
    q = (select(T.id, T.subject, T.body, D.intent, DR.text, DR.meta, DR.model)
         .join(latest, latest.c.ticket_id == T.id).join(D, D.id == latest.c.did)
         .join(accepted, accepted.c.ticket_id == T.id).join(DR, DR.id == accepted.c.aid)
         .where(and_(T.state == TicketState.DELIVERED.value, DR.backend == "llm",
                     D.intent != OUT_OF_SCOPE, T.id.not_in(negative)))
         .order_by(T.id))
    if intents:
        q = q.where(D.intent.in_(intents))
    if window.since is not None:
        q = q.where(T.created_at >= window.since.astimezone(UTC))
    if window.until is not None:
        q = q.where(T.created_at < window.until.astimezone(UTC))
    return q


def count_candidates(session: Session, window: Window, intents: list[str] | None = None) -> int:
    q = _candidates(session, window, intents).subquery()
    return int(session.scalar(select(func.count()).select_from(q)) or 0)


def examples(session: Session, window: Window, intents: list[str] | None = None,
             counts: dict[str, int] | None = None,
             pii: PIISettings | None = None) -> Iterator[dict[str, Any]]:
    """One training example per qualifying ticket (streamed, not loaded all at once);
    ``pii``: the kinds an operator turned off (None: every kind is redacted)."""
    from router.backends.prompts import SYSTEM_PROMPT, build_messages
    from router.guard.pii import Redactor

    kb_answers: dict[int, str] = {}
    for tid, subject, body, intent, reply, meta, model in session.execute(
            _candidates(session, window, intents).execution_options(yield_per=500)):
        ids = [int(i) for i in (meta or {}).get("kb_entry_ids", [])]
        missing = [i for i in ids if i not in kb_answers]
        if missing:
            for eid, answer in session.execute(
                    select(m.KBEntry.id, m.KBEntry.answer).where(m.KBEntry.id.in_(missing))):
                kb_answers[int(eid)] = str(answer)
        redactor = Redactor(settings=pii)  # one numbering per example: one e-mail, one tag
        text = f"{subject}\n{body}".strip() if subject else str(body)
        ticket = redactor.redact(text)
        passages = [redactor.redact(kb_answers[i]) for i in ids if i in kb_answers]
        answer = redactor.redact(str(reply))
        messages = build_messages(ticket, passages)
        messages[0] = {"role": "system", "content": SYSTEM_PROMPT}  # no canary in training
        if counts is not None:
            for kind, n in redactor.counts.items():
                counts[kind] = counts.get(kind, 0) + n
        yield {"messages": [*messages, {"role": "assistant", "content": answer}],
               "metadata": {"ticket_id": int(tid), "intent": intent, "teacher": model,
                            "kb_entry_ids": ids}}


def export_distill(session: Session, out: IO[str], window: Window | None = None,
                   intents: list[str] | None = None,
                   progress: Callable[[int], None] | None = None,
                   pii: PIISettings | None = None) -> ExportSummary:
    window = window or Window()
    candidates = count_candidates(session, window, intents)
    counts: dict[str, int] = {}
    written = 0
    for example in examples(session, window, intents, counts, pii):
        out.write(json.dumps(example, ensure_ascii=False) + "\n")
        written += 1
        if progress is not None:
            progress(written)
    return ExportSummary(written, candidates, dict(sorted(counts.items())))
