"""Message bodies as the models read them: HTML gone, quoted history gone, new text kept."""

from __future__ import annotations

import pytest

from connectors.text import clean_body

CASES = [
    ("<p>Hello</p><p>Where is my <b>order</b>?</p>", "Hello\nWhere is my order?"),
    ("Fish &amp; chips &lt;3", "Fish & chips <3"),
    ("<div>New text</div><div class=\"gmail_quote\">On Mon wrote:<br>old</div>", "New text"),
    ("<p>Yes</p><blockquote><p>Did it arrive?</p><blockquote>x</blockquote></blockquote>"
     "<p>Thanks</p>", "Yes\nThanks"),
    ("Still broken.\n\nOn Tue, 3 Jun 2025, Acme Support <s@acme.example> wrote:\n> Try again",
     "Still broken."),
    ("Fine now\n-----Original Message-----\nFrom: support", "Fine now"),
    ("a\n> quoted\nb", "a\nb"),
    ("<style>p{color:red}</style><script>alert(1)</script><p>Visible</p>", "Visible"),
    ("From: the app, I cannot log in", "From: the app, I cannot log in"),
    ("line one\r\n\r\n\r\nline two\xa0 ", "line one\n\nline two"),
]


@pytest.mark.parametrize("raw,expected", CASES)
def test_clean_body(raw: str, expected: str) -> None:
    assert clean_body(raw) == expected
