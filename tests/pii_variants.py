"""Promised personal data hidden by invisible characters and odd spaces (issue 18).

Each seed is a value of a kind the README promises never leaves the machine. A variant keeps
the value as a reader sees it but writes it the way an attacker (or a copy-paste from a PDF)
might: every separator replaced by a run of any Unicode space or a tab, zero-width and other
invisible characters inserted anywhere, digits written full-width or in another script.
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata

import hypothesis.strategies as st

SEEDS: tuple[tuple[str, str, str], ...] = (  # kind, value, ticket text around it
    ("CARD", "4111 1111 1111 1111", "My card {} was charged twice, please help."),
    ("CARD", "5555-5555-5555-4444", "Refund to card {} please."),
    ("CARD", "3782 822463 10005", "The Amex {} was declined."),
    ("IBAN", "GB82 WEST 1234 5698 7654 32", "Please refund to IBAN {} today."),
    ("IBAN", "DE89 3704 0044 0532 0130 00", "My account is {} for the refund."),
    ("EMAIL", "jane.doe@example.com", "Write to {} about order 55123."),
    ("PHONE", "+44 20 7946 0958", "Call me back on {} about my delivery."),
    ("PHONE", "(415) 555-0132", "My phone is {} if you need it."),
    ("NATIONAL_ID", "123-45-6789", "My SSN is {} for the tax form."),
    ("NATIONAL_ID", "QQ 12 34 56 C", "My NI number is {} for payroll."),
)
SPACES = tuple(c for c in map(chr, range(sys.maxunicode + 1))
               if unicodedata.category(c) == "Zs") + ("\t",)
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u200e",
             "\u200f", "\u202a", "\u202c", "\u2066", "\u2069", "\u034f", "\ufe0f",
             "\U000e0020", "\u2061", "\u2063")
DIGIT_ZEROS = tuple(cp for cp in range(sys.maxunicode + 1)
                    if unicodedata.category(chr(cp)) == "Nd" and unicodedata.decimal(chr(cp)) == 0
                    and all(unicodedata.category(chr(cp + d)) == "Nd" for d in range(10)))


def disguise(value: str, rng: random.Random) -> str:
    """One disguised spelling of ``value`` (deterministic for a seeded ``rng``)."""
    zero = rng.choice((0x30, 0xFF10, *DIGIT_ZEROS[:40]))
    out: list[str] = []
    for ch in value:
        if ch == " ":
            out.append("".join(rng.choice(SPACES) for _ in range(rng.randint(1, 3))))
        elif ch.isdigit() and rng.random() < 0.5:
            out.append(chr(zero + int(ch)))
        else:
            out.append(ch)
        while rng.random() < 0.3:
            out.append(rng.choice(INVISIBLE))
    return "".join(out)


@st.composite
def disguised_tickets(draw: st.DrawFn) -> tuple[str, str, str]:
    """(kind, value, ticket text with the value disguised)."""
    kind, value, template = draw(st.sampled_from(SEEDS))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    return kind, value, template.format(disguise(value, rng))


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def leaked(value: str, sent: str) -> bool:
    """Whether ``value`` (normalised) or, for numbers, its digit sequence is in ``sent``."""
    from router.guard.normalize import normalize_text

    plain = normalize_text(sent)
    if value in plain or value.replace(" ", "") in plain.replace(" ", ""):
        return True
    run = digits(value)
    return len(run) >= 8 and run in digits(plain)
