"""Property-based round trip: restoring a redaction gives back the normalised text."""

from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

from router.guard.normalize import normalize_text  # noqa: E402
from router.guard.pii import redact, restore  # noqa: E402

PII = st.sampled_from(
    [
        "4111 1111 1111 1111",
        "GB82 WEST 1234 5698 7654 32",
        "ana@example.com",
        "+44 20 7946 0958",
        "123-45-6789",
        "QQ123456C",
        "4111.1111.1111.1111",
        "DE89-3704-0044-0532-0130-00",
        "jane [at] example [dot] com",
        "müller@bücher.de",
        "SSN 123456789",
        "DOB: 1990-02-01",
        "221B Baker Street",
        "London SW1A 2AA",
        "passport no. C01X00T47",
        "Jane Doe",
    ]
)
FILLER = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@hypothesis.given(st.lists(st.one_of(PII, FILLER), max_size=12))
@hypothesis.settings(max_examples=200, deadline=None)
def test_redact_then_restore_is_identity(parts: list[str]) -> None:
    text = " ".join(parts)
    result = redact(text, names=("Jane Doe", "Jane", "Doe"))
    assert restore(result.text, result.mapping) == normalize_text(text)


@hypothesis.given(st.text(max_size=200))
@hypothesis.settings(max_examples=200, deadline=None)
def test_any_text_round_trips_and_counts_match_mapping(text: str) -> None:
    result = redact(text)
    assert restore(result.text, result.mapping) == normalize_text(text)
    assert sum(result.counts.values()) >= len(result.mapping)
