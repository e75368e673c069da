"""Mask card numbers, IBANs and national ids in outgoing text down to their last four.

A reply never carries a full card number, IBAN or national id, not even the customer's own:
a hosted model may echo the ``[CARD_1]`` placeholder that :func:`router.guard.pii.restore`
turns back into the real number, the local model sees the original ticket and may copy it, and
a filled template may pick a long number up as an "order number". Whatever the leg, the text
that leaves is masked here, after restoring and before the verifier reads it.

Detection is the redaction detectors' (:func:`router.guard.detectors.find_pii`), so anything
the hosted leg would redact is recognised here the same way; this module only applies masks.
"""

from __future__ import annotations

import re

from router.guard.detectors import find_pii

#: Kinds a reply may only show masked. E-mail addresses and phone numbers are how the customer
#: is reached and may be repeated; these identify an account or a person and may not.
MASKED_KINDS: frozenset[str] = frozenset({"CARD", "IBAN", "NATIONAL_ID", "PASSPORT"})
MASK = "•••• "
_ALNUM_RE = re.compile(r"[A-Za-z0-9]")


def last_four(value: str) -> str:
    """``4111 1111 1111 1111`` → ``•••• 1111``: the last four letters or digits only."""
    chars = _ALNUM_RE.findall(value)
    return MASK + "".join(chars[-4:])


def mask_sensitive(text: str) -> tuple[str, dict[str, int]]:
    """``text`` with every card, IBAN and national id masked, and the counts by kind."""
    out: list[str] = []
    counts: dict[str, int] = {}
    pos = 0
    for span in find_pii(text):
        if span.kind not in MASKED_KINDS:
            continue
        out.append(text[pos:span.start])
        out.append(last_four(span.value))
        counts[span.kind] = counts.get(span.kind, 0) + 1
        pos = span.end
    out.append(text[pos:])
    return "".join(out), counts


def sensitive_kinds(text: str) -> list[str]:
    """Kinds of unmasked sensitive values in ``text`` (the verifier rejects any)."""
    return sorted({s.kind for s in find_pii(text) if s.kind in MASKED_KINDS})
