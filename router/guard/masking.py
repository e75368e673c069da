"""Mask card numbers, IBANs, national ids and passports in outgoing text to their last four.

A reply never carries one of these whole, not even back to its owner: a hosted model may echo
the ``[CARD_1]`` placeholder that :func:`router.guard.pii.restore` turns back into the real
number, and the local model sees the original ticket and may copy it. Whatever the leg, the
text that leaves is masked here, after restoring and before the verifier reads it.

Detection is the redaction detectors' (:func:`router.guard.detectors.find_pii`), so anything
the hosted leg would redact is recognised here the same way; this module only applies masks.
"""

from __future__ import annotations

from collections.abc import Iterable

from router.guard.detectors import CARD, IBAN, find_pii
from router.guard.idnumbers import NATIONAL_ID, PASSPORT

#: Kinds a reply may only show masked. E-mail addresses and phone numbers are how the customer
#: is reached and may be repeated; these identify an account or a person and may not.
REPLY_MASKED_KINDS: frozenset[str] = frozenset({CARD, IBAN, NATIONAL_ID, PASSPORT})
MASK_CHAR = "•"


def mask_value(value: str, keep: int = 4) -> str:
    """Every letter and digit but the last ``keep`` as "•", separators kept:
    ``4111 1111 1111 1111`` → ``•••• •••• •••• 1111``, ``123-45-6789`` → ``•••-••-6789``."""
    total = sum(ch.isalnum() for ch in value)
    seen = 0
    out: list[str] = []
    for ch in value:
        if ch.isalnum():
            seen += 1
            out.append(ch if seen > total - keep else MASK_CHAR)
        else:
            out.append(ch)
    return "".join(out)


def _compact(value: str) -> str:
    return "".join(ch for ch in value if ch.isalnum()).lower()


def mask_sensitive(text: str, *, allow: Iterable[str] = ()) -> tuple[str, dict[str, int]]:
    """``text`` with every card, IBAN, national id and passport masked, and counts by kind.

    Values in ``allow`` (compared without separators, case-insensitively; the shop's own IBAN
    quoted by an approved answer) stay as written.
    """
    allowed = {_compact(v) for v in allow}
    out: list[str] = []
    counts: dict[str, int] = {}
    pos = 0
    for span in find_pii(text, kinds=REPLY_MASKED_KINDS):
        if _compact(span.value) in allowed:
            continue
        out.append(text[pos:span.start])
        out.append(mask_value(span.value))
        counts[span.kind] = counts.get(span.kind, 0) + 1
        pos = span.end
    out.append(text[pos:])
    return "".join(out), counts


def sensitive_kinds(text: str, *, allow: Iterable[str] = ()) -> list[str]:
    """Kinds of unmasked sensitive values in ``text`` not in ``allow`` (the verifier rejects
    any)."""
    allowed = {_compact(v) for v in allow}
    return sorted({s.kind for s in find_pii(text, kinds=REPLY_MASKED_KINDS)
                   if _compact(s.value) not in allowed})


def quoted_values(texts: Iterable[str]) -> list[str]:
    """Sensitive values the approved answers themselves quote (allowed in a reply)."""
    return [s.value for t in texts for s in find_pii(t, kinds=REPLY_MASKED_KINDS)]
