"""The human leg: no customer reply, an internal note for the agent who takes over.

The note says why the ticket was escalated, the intent, and a suggested draft to reuse when a
model wrote one. A suggested draft goes through the same masking as a reply (cards, IBANs and
national ids to their last four): helpdesk notes are read and exported by many people.
"""

from __future__ import annotations

from router.answering.result import AnswerResult
from router.domain import Draft, Verdict
from router.guard.masking import mask_sensitive


class HumanNote:
    leg = "human"
    mode = "human"

    def compose(self, reason: str, *, intent: str | None = None,
                confidence: float | None = None, suggested: str | None = None,
                suggested_by: str | None = None) -> str:
        """The note text an agent sees in the helpdesk."""
        lines = [f"Escalated by deskroute: {reason}"]
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
