"""Property: every promised kind, written in any of the many formats people use, is redacted.

tests/pii_variants.py generates cards with any separator, IBANs of ten countries grouped any
way, internationalised and spelled-out e-mails, phones, SSNs/NI/SIN/DNI with and without
separators, dates of birth in a dozen formats, street addresses, postcodes, passport numbers
and the requester's name; a ticket holds one to three of them. Here hundreds of tickets meet
the redaction boundary; tests/integration/test_hosted_privacy_formats.py sends some through
the real hosted leg to a capturing server.
"""

from __future__ import annotations

import hypothesis

from router.guard.pii import redact, requester_names
from tests.pii_variants import Case, formatted_tickets, leaked, name_leaked


def survivors(cases: list[Case], text: str) -> list[str]:
    requester = next((c.requester for c in cases if c.requester), None)
    red = redact(text, names=requester_names(requester))
    out = []
    for case in cases:
        gone = (not name_leaked(case.value, red.text) if case.kind == "NAME"
                else not leaked(case.value, red.text))
        if not gone or red.counts.get(case.kind, 0) < 1:
            out.append(f"{case.kind} {case.value!r} -> {red.text!r} {red.counts}")
    return out


@hypothesis.given(formatted_tickets())
@hypothesis.settings(max_examples=500, deadline=None, database=None)
def test_every_promised_kind_in_any_format_is_redacted(ticket: tuple[list[Case], str]) -> None:
    cases, text = ticket
    assert not survivors(cases, text), text
