"""Escalation reasons grouped into categories support-ops can act on.

A ticket's ``reason`` is the text the pipeline stored when it escalated ("signal legal_threat:
…; confidence 0.41 < 0.88"), several reasons joined by "; ". Each category is a SQL ``LIKE``
pattern over that text, so counting them is one aggregate; a ticket escalated for two reasons
counts under both, and one matching none counts as ``other``. When the pipeline words a
reason differently, this table is the one place to change.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, func, not_, or_

from router.signals.base import SIGNAL_NAMES  # (moving to router.domain with issue 10)

REASON_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    *((f"signal:{name}", (f"%signal {name}:%",)) for name in SIGNAL_NAMES),
    ("policy_rule", ("%rule % matched%",)),
    ("low_confidence", ("%confidence % < %",)),
    ("out_of_scope", ("%out of scope for the local model%", "%is not a routine intent%")),
    ("intent_for_humans", ("%is handled by humans%",)),
    ("follow_up", ("%follow-up%",)),
    ("no_llm_configured", ("%no hosted LLM configured%",)),
    ("no_approved_answer", ("%no approved answer%",)),
    ("local_draft_rejected", ("%verifier rejected the local draft%",)),
    ("hosted_draft_rejected", ("%verifier rejected the hosted draft%",)),
    ("llm_error", ("%hosted LLM call failed%",)),
    ("delivery_failed", ("%delivery failed%", "%no accepted draft to deliver%")),
    ("pipeline_error", ("%step failed%",)),
)
CATEGORIES = tuple(name for name, _ in REASON_PATTERNS) + ("other",)


def _matches(reason: ColumnElement, patterns: tuple[str, ...]) -> ColumnElement:
    return or_(*(reason.like(p) for p in patterns))


def reason_counts(reason: ColumnElement, escalated: ColumnElement) -> list[ColumnElement]:
    """One ``SUM`` per category (labelled ``reason__<category>``) over escalated tickets."""
    text = func.coalesce(reason, "")
    cols: list[ColumnElement] = [
        func.sum(case((and_(escalated == 1, _matches(text, pats)), 1), else_=0))
            .label(f"reason__{name}") for name, pats in REASON_PATTERNS]
    any_known = or_(*(_matches(text, pats) for _, pats in REASON_PATTERNS))
    cols.append(func.sum(case((and_(escalated == 1, not_(any_known)), 1), else_=0))
                .label("reason__other"))
    return cols
