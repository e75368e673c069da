"""The human leg: no customer reply, an internal note for the agent who takes over.

The note says why the ticket was escalated, the intent, and a suggested draft to reuse when a
model wrote one. A suggested draft goes through the same masking as a reply (cards, IBANs and
national ids to their last four): helpdesk notes are read and exported by many people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from router.answering.result import AnswerResult
from router.domain import Draft, Verdict
from router.guard.masking import mask_sensitive


class HumanNote:
    leg = "human"
    mode = "human"

    def compose(self, reason: str, *, intent: str | None = None,
                confidence: float | None = None, suggested: str | None = None,
                suggested_by: str | None = None, summary: str | None = None,
                signals: Sequence[str] = (), customer: Mapping[str, str | None] | None = None,
                urgent: bool = False) -> str:
        """The note text an agent sees in the helpdesk: why (first), what the customer wants,
        the risk signals, who the customer is, and a reply to start from when one exists.
        ``urgent``: a risk signal escalated it (legal, chargeback, security, safety, …)."""
        lines = [f"Escalated by deskroute: {reason}"]
        if urgent:
            lines.append("Urgent: a risk signal asked for a person; please answer first.")
        if summary and summary.strip():
            lines.append(f"Summary: {mask_sensitive(summary)[0]}")
        if signals:
            lines.append("Signals: " + "; ".join(signals))
        known = [f"{k} {v}" for k, v in (customer or {}).items() if v]
        if known:
            lines.append("Customer: " + ", ".join(known))
        if intent is not None:
            conf = f" (confidence {confidence:.2f})" if confidence is not None else ""
            lines.append(f"Intent: {intent}{conf}")
        if suggested and suggested.strip():
            by = f" ({suggested_by}, not sent)" if suggested_by else " (not sent)"
            lines.append(f"Suggested draft{by}: {mask_sensitive(suggested)[0]}")
        return "\n".join(lines)

    def answer(self, reason: str, *, intent: str | None = None,
               confidence: float | None = None, suggested: Draft | None = None) -> AnswerResult:
        """The note as a result: never a sendable reply, so its verdict carries the reason."""
        note = self.compose(reason, intent=intent, confidence=confidence,
                            suggested=suggested.text if suggested else None,
                            suggested_by=suggested.backend if suggested else None)
        draft = Draft(backend="human", model="", text=note)
        return AnswerResult(self.leg, self.mode, draft,
                            Verdict(score=0.0, reasons=(f"escalated to a human: {reason}",)))


def summarize(subject: str, body: str, limit: int = 400) -> str:
    """One paragraph an agent reads first: the subject and the start of the message, on one
    line, cut at a sentence or word end (the customer's own words: no model rewrites a
    ticket that was escalated because a model should not handle it)."""
    text = f"{subject.strip()}: {body}" if subject.strip() else body
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return (cut[: end + 1] if end > limit // 2 else cut.rsplit(" ", 1)[0]) + " …"
