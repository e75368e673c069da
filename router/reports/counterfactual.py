"""What the same tickets would have cost sent to the hosted model: the all-LLM baseline.

Tickets that did reach the hosted model count with their real token counts. For the others,
the prompt is what the hosted leg would have sent (its system prompt and the ticket), counted
with the model's tokenizer on an evenly spread sample of up to ``SAMPLE`` tickets of the window
and scaled by characters; the reply is as long as the replies deskroute actually sent (a
sample of them, same tokenizer), or ``DESKROUTE_LLM_MAX_TOKENS`` when none was sent. Approved
passages the hosted leg would add are not counted, so the baseline errs low: the savings it
implies are not overstated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from router.pricing import Tokenizer
from router.reports.window import Window
from router.store import models as m

SAMPLE = 400


@dataclass(frozen=True)
class TokenModel:
    """Prompt tokens ≈ overhead + per_char × characters; completion tokens per reply."""

    overhead: float
    per_char: float
    completion: float
    completion_method: str
    sampled_tickets: int
    sampled_replies: int
    encoding: str

    def prompt_tokens(self, tickets: float, chars: float) -> float:
        return tickets * self.overhead + chars * self.per_char

    def as_dict(self) -> dict[str, Any]:
        return {"tokenizer": self.encoding, "prompt_overhead_tokens": round(self.overhead, 1),
                "prompt_tokens_per_char": round(self.per_char, 4),
                "completion_tokens_per_ticket": round(self.completion, 1),
                "completion_method": self.completion_method,
                "sampled_tickets": self.sampled_tickets, "sampled_replies": self.sampled_replies}


def token_model(session: Session, window: Window, model: str, max_tokens: int) -> TokenModel:
    from router.backends.prompts import build_messages
    from router.reports.facts import in_window

    tok = Tokenizer(model)
    overhead = float(tok.count_messages(build_messages("", [])))
    n = session.scalar(in_window(select(func.count(m.Ticket.id)), window)) or 0
    step = max(1, n // SAMPLE)
    texts = [f"{s}\n{b}".strip() if s else b for s, b in session.execute(
        in_window(select(m.Ticket.subject, m.Ticket.body), window)
        .where(m.Ticket.id % step == 0).order_by(m.Ticket.id).limit(SAMPLE))]
    chars = sum(len(t) for t in texts)
    extra = sum(tok.count_messages(build_messages(t, [])) - overhead for t in texts)
    per_char = extra / chars if chars else 0.0
    replies = list(session.scalars(
        in_window(select(m.DraftRow.text).join(m.Ticket, m.Ticket.id == m.DraftRow.ticket_id),
                  window)
        .where(m.DraftRow.accepted.is_(True)).order_by(m.DraftRow.id).limit(SAMPLE)))
    if replies:
        completion = sum(tok.count(r) for r in replies) / len(replies)
        method = "mean tokens of the replies sent in the window"
    else:
        completion, method = float(max_tokens), "no reply sent in the window: the hosted leg's max"
    return TokenModel(overhead, per_char, completion, method, len(texts), len(replies),
                      tok.encoding_name)
