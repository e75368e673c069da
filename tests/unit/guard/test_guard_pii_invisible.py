"""Property: a promised kind of personal data disguised with any Unicode space, invisible
character or digit form is still redacted: the hosted model never receives it.

This checks the redaction boundary on many variants; tests/integration/test_hosted_privacy.py
sends a handful of them through the real HTTP path to a capturing server.
"""

from __future__ import annotations

import hypothesis

from router.guard.pii import redact
from tests.pii_variants import SEEDS, disguised_tickets, leaked


@hypothesis.given(disguised_tickets())
@hypothesis.settings(max_examples=600, deadline=None, database=None)
def test_disguised_personal_data_never_survives_redaction(case: tuple[str, str, str]) -> None:
    kind, value, text = case
    red = redact(text)
    assert not leaked(value, red.text), (kind, ascii(text), red.text)
    assert red.counts.get(kind, 0) >= 1, (kind, ascii(text), red.text, red.counts)


def test_every_seed_is_redacted_as_its_kind_when_written_plainly() -> None:
    for kind, value, template in SEEDS:
        red = redact(template.format(value))
        assert red.counts.get(kind) == 1 and value not in red.text, (kind, red.text)
