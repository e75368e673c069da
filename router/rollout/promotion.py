"""The promotion rule: which intents have earned ``auto``, from what agents did with drafts.

Pure statistics over counts; the counts come from the store (``router/rollout/evidence.py``).
An intent is recommended for ``auto`` when it has enough settled drafts
(``rollout.evidence.min_drafts``) and the lower end of the Wilson score interval of its
*usable* share — drafts sent as-is or lightly edited — clears ``min_lower_bound``. With 50
drafts all sent as-is the lower bound is 0.929; with 49 of 50 it is 0.895 (under a 0.9 bar):
the rule asks for a clean record, not an average.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist

from policies.model import Evidence
from router.domain import Mode


def wilson_lower(successes: int, n: int, confidence: float = 0.95) -> float:
    """Lower end of the two-sided Wilson score interval for ``successes`` of ``n``.

    0.0 when there is nothing to judge (n = 0): no evidence is no evidence of quality.
    """
    if n <= 0:
        return 0.0
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in [0, {n}], got {successes}")
    if successes == 0:
        return 0.0  # exactly; the formula leaves a rounding residue
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - margin) / (1 + z * z / n))


class Recommendation(StrEnum):
    PROMOTE = "promote_to_auto"
    KEEP = "keep"  # stay in the current mode and gather evidence
    SEND_TO_LLM = "send_to_llm"  # the hosted model's drafts are clearly better for this intent
    IN_AUTO = "in_auto"  # already replying on its own


@dataclass(frozen=True)
class Counts:
    """Settled drafts of one kind (local, hosted, or the hosted comparison drafts)."""

    settled: int = 0
    usable: int = 0  # sent as-is or lightly edited

    @property
    def share(self) -> float | None:
        return self.usable / self.settled if self.settled else None


@dataclass(frozen=True)
class Verdict:
    recommendation: Recommendation
    lower_bound: float
    why: str


def recommend(mode: Mode, drafts: Counts, evidence: Evidence, *,
              paired_local: Counts | None = None, paired_llm: Counts | None = None) -> Verdict:
    """The recommendation for one intent in ``mode``.

    ``drafts`` are all the intent's settled drafts (any model); ``paired_local`` and
    ``paired_llm`` the local and hosted drafts of the tickets the shadow comparison drafted
    with both, the only fair SLM-vs-LLM comparison (tickets routed to the LLM are harder).
    """
    lower = wilson_lower(drafts.usable, drafts.settled, evidence.confidence)
    if mode is Mode.AUTO:
        return Verdict(Recommendation.IN_AUTO, lower, "already in auto")
    gap = _llm_gap(paired_local, paired_llm)
    if gap is not None and gap >= evidence.llm_margin:
        return Verdict(Recommendation.SEND_TO_LLM, lower,
                       f"hosted drafts usable {gap:+.0%} more often than local ones "
                       f"on {paired_llm.settled if paired_llm else 0} tickets drafted by both")
    if drafts.settled == 0:
        return Verdict(Recommendation.KEEP, lower, "no settled drafts yet")
    if drafts.settled < evidence.min_drafts:
        return Verdict(Recommendation.KEEP, lower,
                       f"{drafts.settled} of {evidence.min_drafts} settled drafts needed")
    if lower >= evidence.min_lower_bound:
        return Verdict(Recommendation.PROMOTE, lower,
                       f"lower bound {lower:.3f} >= {evidence.min_lower_bound:g} "
                       f"on {drafts.settled} drafts")
    return Verdict(Recommendation.KEEP, lower,
                   f"lower bound {lower:.3f} < {evidence.min_lower_bound:g}")


def _llm_gap(local: Counts | None, llm: Counts | None) -> float | None:
    """Hosted minus local usable share on the same tickets; None when not measured."""
    if local is None or llm is None or local.share is None or llm.share is None:
        return None
    return llm.share - local.share
