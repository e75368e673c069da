"""Commitments a draft may only make when a retrieved passage makes the same one.

A promised refund, credit or waiver, or a legal statement, binds the company. The model may
repeat such a commitment from an approved passage but never originate it; the customer
asking for a refund in the ticket does not make a refund promise grounded. Matching is by word
family (refund, refunded, refundable ...), not by meaning, so the check is conservative: a
draft that *declines* a refund still needs a passage that talks about refunds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_I = re.IGNORECASE

#: family name (used in the reason string) -> pattern over the family's words.
FAMILIES: dict[str, re.Pattern[str]] = {
    "refund": re.compile(r"\brefund(?:s|ed|ing|able)?\b|\bmoney[\s-]back\b", _I),
    "reimburse": re.compile(r"\breimburs\w*", _I),
    "credit": re.compile(
        r"\bcredit(?:s|ed|ing)?\b(?!\s+(?:cards?|score|check|limit|report|union)\b)", _I
    ),
    "compensation": re.compile(r"\bcompensat\w*", _I),
    "voucher": re.compile(
        r"\b(?:vouchers?|coupons?|gift[\s-]?cards?|(?:promo|promotional|discount)\s+codes?)\b", _I
    ),
    "discount": re.compile(r"\bdiscount(?:s|ed)?\b(?!\s+codes?\b)", _I),
    "free of charge": re.compile(
        r"\bfree\s+of\s+charge\b|\bat\s+no\s+(?:extra\s+|additional\s+)?(?:cost|charge)\b|"
        r"\bfor\s+free\b|\bcomplimentary\b|\bfree\s+(?:replacement|upgrade|shipping|month)\b",
        _I,
    ),
    "guarantee": re.compile(r"\bguarant\w*|\bwe\s+promise\b|\bpromise\s+(?:you|that)\b", _I),
    "waive": re.compile(r"\bwaiv(?:e|ed|es|ing|er)\b", _I),
    "entitled": re.compile(r"\bentitle(?:d|ment|ments)?\b", _I),
    "liable": re.compile(r"\bliab(?:le|ility|ilities)\b", _I),
    "lawsuit": re.compile(
        r"\blaw\s*suits?\b|\blitigat\w*|\blegal\s+action\b|\bcourt\b|\battorneys?\b|\blawyers?\b",
        _I,
    ),
    "legal": re.compile(r"\blegal(?:ly)?\b|\bstatutory\b|\bconsumer\s+rights?\b", _I),
}


def families_in(text: str) -> list[str]:
    """Commitment families the text mentions, in :data:`FAMILIES` order."""
    return [name for name, pattern in FAMILIES.items() if pattern.search(text)]


def unsupported_commitments(draft: str, passages: Iterable[str]) -> list[str]:
    """``"promise not in passages: <family>"`` for each family no passage mentions."""
    passage_list = list(passages)
    return [
        f"promise not in passages: {name}"
        for name in families_in(draft)
        if not any(FAMILIES[name].search(p) for p in passage_list)
    ]
