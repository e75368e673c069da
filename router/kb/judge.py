"""Judge a sent reply against a labelled ticket: sendable, edit or wrong (docs/KB.md).

A labelled ticket names the intent of the approved answer that answers it (``answer_intent``;
``none`` when no approved answer does) and whether that answer, sent as it is, still needs an
edit (``expect = edit``: right article, part of the question left open). The rules, in order:

1. **wrong** — the ticket is not covered (``none``), or the reply was built on an approved
   answer of another intent, or it states a detail (number, link, status, date, place, brand,
   price, policy...) found in neither the ticket nor any approved answer of the right intent,
   or it is meta-text / an echo of the ticket / not a reply, or it carries a whole card
   number, IBAN, national id or passport;
2. **edit** — the ticket is labelled ``edit``;
3. **sendable** — otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from router.guard.claims import find_claims
from router.guard.entities import Sources, extract
from router.guard.masking import sensitive_kinds
from router.guard.reply import echoes, meta_text, not_a_reply

SENDABLE, EDIT, WRONG = "sendable", "edit", "wrong"


@dataclass(frozen=True)
class Labelled:
    text: str
    answer_intent: str  # "none": no approved answer covers it
    expect: str = SENDABLE  # sendable | edit, when answered from answer_intent


def unsupported_details(reply: str, ticket: str, approved: Sequence[str]) -> list[str]:
    """Details and claims of ``reply`` that neither ``ticket`` nor ``approved`` contain."""
    sources = Sources([ticket, *approved])
    found = [e.surface for e in extract(reply) if not sources.supports(e)]
    corpus = "\n".join([ticket, *approved]).lower()
    found += [c.surface for c in find_claims(reply) if c.surface.lower() not in corpus]
    return found


def judge(ticket: Labelled, reply: str, source_intent: str | None,
          approved_of_intent: Iterable[str]) -> tuple[str, str]:
    """(verdict, why) for a reply that was sent."""
    if ticket.answer_intent == "none":
        return WRONG, "no approved answer covers this ticket"
    if source_intent != ticket.answer_intent:
        return WRONG, f"built on a {source_intent} answer, needs {ticket.answer_intent}"
    made_up = unsupported_details(reply, ticket.text, list(approved_of_intent))
    if made_up:
        return WRONG, f"unsupported: {', '.join(made_up)}"
    style = meta_text(reply) + echoes(reply, ticket.text) + not_a_reply(reply)
    if style:
        return WRONG, "; ".join(style)
    if sensitive_kinds(reply):
        return WRONG, "whole sensitive value"
    if ticket.expect == EDIT:
        return EDIT, "right answer, part of the question left open"
    return SENDABLE, ""
