"""What the pipeline does in each rollout mode, and the draft note agents see in ``assist``.

The delivery step asks :func:`mode_in_force` and then: ``shadow`` sends nothing (the ticket
ends ``shadowed``), ``assist`` offers the draft to the agents through the connector's
``suggest`` (an internal note; the generic channel's ``ticket.draft`` callback) and ends
``assisted``, ``auto`` replies. An escalation is an escalation in ``assist`` and ``auto``; in
``shadow`` it is recorded (state ``shadowed``, reason kept) and nothing reaches the channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from router.domain import Mode, TicketState
from router.store import models as m
from router.store import ticket_queries as tq

#: the terminal state of each delivery kind that succeeded
DONE_STATE = {"reply": TicketState.DELIVERED, "escalation": TicketState.ESCALATED,
              "draft": TicketState.ASSISTED}


def mode_in_force(decision: m.Decision | None, fallback: Mode) -> Mode:
    """The mode stored with the decision; ``fallback`` (the policy's mode for the ticket's
    channel) when the ticket failed before a decision was made."""
    return Mode(decision.mode) if decision is not None else fallback


@dataclass(frozen=True)
class Suggestion:
    note: str  # what an agent reads in the helpdesk
    details: dict[str, Any]  # the same as data, with the draft itself under "text"


def suggestion(session: Session, decision: m.Decision | None, draft: m.DraftRow) -> Suggestion:
    """The draft with what it was built from: route, model, intent, confidence, signals and
    the approved answers it used, so an agent can judge it at a glance."""
    ids = [int(i) for i in (draft.meta or {}).get("kb_entry_ids") or []]
    entries = tq.kb_entries(session, ids)
    signals = [s for s in (decision.signals if decision else []) if isinstance(s, dict)]
    details: dict[str, Any] = {
        "text": draft.text,
        "draft_id": draft.id,
        "route": decision.route if decision else None,
        "intent": decision.intent if decision else None,
        "confidence": round(float(decision.confidence), 4) if decision else None,
        "signals": [{"name": s.get("name"), "score": s.get("score"), "reason": s.get("reason")}
                    for s in signals],
        "backend": draft.backend,
        "model": draft.model,
        "approved_answers": [{"id": e.id, "kb": e.kb, "question": e.question or e.title,
                              "answer": e.answer} for e in entries],
        "policy": {"name": decision.policy_name, "hash": decision.policy_hash}
        if decision else None,
    }
    return Suggestion(_note(details), details)


def _note(d: dict[str, Any]) -> str:
    lines = ["Suggested reply by deskroute (assist mode: not sent to the customer).", "",
             str(d["text"]), "", "---"]
    if d["intent"] is not None:
        lines.append(f"Route: {d['route']} ({d['backend']}, {d['model']}); intent {d['intent']} "
                     f"(confidence {d['confidence']:.2f})")
    sig = "; ".join(f"{s['name']} {float(s['score'] or 0):.2f} ({s['reason']})"
                    for s in d["signals"])
    lines.append(f"Signals: {sig or 'none'}")
    for a in d["approved_answers"]:
        lines.append(f"Approved answer used: #{a['id']} {_short(a['question'] or a['answer'])}")
    if not d["approved_answers"]:
        lines.append("Approved answer used: none")
    if d["policy"]:
        lines.append(f"Policy: {d['policy']['name']} {str(d['policy']['hash'])[:8]}")
    lines.append("Send it as it is, edit it or write your own: deskroute compares your reply "
                 "with this draft to learn which intents it can answer on its own.")
    return "\n".join(lines)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
