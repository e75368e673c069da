"""E-mail addresses as people write them: plain, internationalised, or spelled out.

``find_emails`` finds what a mail client would accept, including addresses in other scripts
(``müller@bücher.de``, ``用户@例子.广告``) and punycode domains. ``find_obfuscated_emails`` finds
the forms people use to dodge harvesters: ``jane [at] example [dot] com``,
``jane(at)example(dot)com``, ``jane @ example.com``, and ``jane at example dot com`` (bare
words only when the domain ends in a common top-level domain, and ``jane at gmail.com`` only
when the word before "at" is not one that ordinary sentences put there, so "bought it at
amazon.com" stays).
"""

from __future__ import annotations

import re

from router.guard.spans import Span

EMAIL = "EMAIL"

_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_TLD = r"(?:[^\W\d_]{2,24}|xn--[a-z0-9-]{2,59})"
_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[^\W_][\w.%+-]*@" + _LABEL + r"(?:\." + _LABEL + r")*\." + _TLD + r"(?![\w-])"
)

_BRACKETS = (r"\[", r"\]"), (r"\(", r"\)"), (r"\{", r"\}"), (r"<", r">")


def _bracketed(word: str) -> str:
    return "|".join(rf"{o}\s*{word}\s*{c}" for o, c in _BRACKETS)


_AT_MARKED = _bracketed(r"(?:at|@)") + r"|\s@\s?|@\s"
_DOT_MARKED = r"\s*(?:" + _bracketed(r"(?:dot|\.)") + r")\s*"
_DOT_WORD = r"\s+dot\s+"
_COMMON_TLDS = (
    r"com|org|net|edu|gov|mil|int|io|co|uk|de|fr|es|it|nl|be|ch|at|ca|au|us|info|biz|me|eu|ie"
    r"|se|no|dk|fi|pl|pt|br|in|jp|cn|ru|mx|nz|za|app|dev|shop|online|store|xyz|tv|ai"
)
_PART = r"[^\W_][\w%+-]*"
_ANY_DOT = r"(?:\.|" + _DOT_MARKED + "|" + _DOT_WORD + ")"
_SPELLED_DOT = r"(?:" + _DOT_MARKED + "|" + _DOT_WORD + ")"

# Every form is anchored on its "at": the local part is read backwards from it and the domain
# forwards, each within a bounded window, so the cost stays linear in the ticket's length.
_AT_RE = re.compile(r"\s*(?:" + _AT_MARKED + r")\s*|\s+at\s+", re.IGNORECASE)
_LOCAL_RE = re.compile(
    r"(?<![\w.%+-])" + _PART + r"(?:" + _ANY_DOT + _PART + r")*$", re.IGNORECASE
)
_DOMAIN_RE = re.compile(
    _LABEL + r"(?:" + _ANY_DOT + _LABEL + r")*" + _ANY_DOT + _TLD + r"(?![\w-])", re.IGNORECASE
)
# after a bare "at": the domain's last dot is spelled out and its TLD a common one
_WORD_DOMAIN_RE = re.compile(
    _LABEL + r"(?:" + _ANY_DOT + _LABEL + r")*" + _SPELLED_DOT + r"(?:" + _COMMON_TLDS
    + r")(?![\w-])",
    re.IGNORECASE,
)
# or a real domain, when the local part could not be an ordinary word ("jane.doe", "jd85")
_REAL_DOMAIN_RE = re.compile(
    _LABEL + r"(?:\." + _LABEL + r")*\.(?:" + _COMMON_TLDS + r")(?![\w-])", re.IGNORECASE
)
_ADDRESS_LIKE_LOCAL_RE = re.compile(r"[._+\d]|\sdot\s|[\[({<]", re.IGNORECASE)
# words that stand before "at <shop>.com" in ordinary sentences ("bought it at amazon.com")
_NOT_A_LOCAL_PART = frozenset(
    "it this that these those them him her me us you one ones something anything everything"
    " nothing stuff things thing item items product products order orders ordered bought buy"
    " buying purchased purchase shop shopping shopped sold available listed found seen look"
    " looked looking here there online price prices cheaper cheap deal deals offer offers sale"
    " account registered signed up in on out review reviews checkout login log website site"
    " page pages store stores visit visited service support help contact details info email"
    " mail it's is was are were be been am pm now today later again well also too only just"
    " and or but so then all both more most less least best better work working works live"
    " lives living home arrive arrived arrives delivered available stock ticket tickets"
    " account accounts subscription subscriptions".split()
)
_LOCAL_WINDOW = 80
_DOMAIN_WINDOW = 255


def _local_part_like(local: str) -> bool:
    """Whether the word before a bare "at" reads as a mailbox rather than part of a sentence."""
    return bool(_ADDRESS_LIKE_LOCAL_RE.search(local)) or local.lower() not in _NOT_A_LOCAL_PART


def find_emails(text: str) -> list[Span]:
    """``local@domain.tld``, in any script."""
    return [Span(EMAIL, m.start(), m.end(), m.group()) for m in _EMAIL_RE.finditer(text)]


def find_obfuscated_emails(text: str) -> list[Span]:
    """Addresses with "at"/"dot" spelled out or bracketed, or "@" with spaces around it."""
    spans: list[Span] = []
    for at in _AT_RE.finditer(text):
        local = _LOCAL_RE.search(text, max(0, at.start() - _LOCAL_WINDOW), at.start())
        if local is None:
            continue
        end = min(len(text), at.end() + _DOMAIN_WINDOW)
        if at.group().strip().lower() != "at":
            domain = _DOMAIN_RE.match(text, at.end(), end)
        else:
            domain = _WORD_DOMAIN_RE.match(text, at.end(), end)
            if domain is None and _local_part_like(local.group()):
                domain = _REAL_DOMAIN_RE.match(text, at.end(), end)
        if domain is not None:
            start, end = local.start(), domain.end()
            spans.append(Span(EMAIL, start, end, text[start:end]))
    return spans


def find_all_emails(text: str) -> list[Span]:
    """Plain addresses first, then the spelled-out forms (overlaps are resolved by the caller)."""
    return find_emails(text) + find_obfuscated_emails(text)
