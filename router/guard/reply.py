"""Does a draft read as a reply to the customer, and only that?

Small models write about the task instead of doing it ("This answer is incorrect as it does
not include…", "Here is a rewritten version:"), talk about themselves ("As an AI…"), copy
the ticket back ("Support request: Can I pay with PayPal at checkout?") or write in the
customer's voice. Each is a reason not to send; phrases the approved answers themselves use
are never held against a draft.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_I = re.IGNORECASE
#: (label, pattern) of text about the task, the prompt or the model rather than the customer.
META_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("self-reference", re.compile(
        r"\bas an? (?:ai|artificial intelligence|language model|assistant|chatbot|bot)\b|"
        r"\bI(?:'m| am) (?:just )?(?:an? )?(?:ai|artificial intelligence|language model|"
        r"chatbot|bot|virtual assistant)\b|\blanguage model\b", _I)),
    ("comment on the answer", re.compile(
        r"\b(?:this|the|my|that|above|previous|original) (?:answer|response|reply|draft|"
        r"rewrite|rewritten (?:answer|version|text)|rephrasing|version|output) (?:is|was|does|"
        r"doesn't|did|didn't|has|contains|provides|includes|should|would|seems|fails|lacks|"
        r"misses|addresses|answers)\b", _I)),
    ("task words", re.compile(
        r"\bapproved answer\b|\bcustomer(?:'s)? (?:message|ticket|question|query)\b|"
        r"\b(?:rewrite|rewritten|rephrase[sd]?|rephrasing|paraphrased?)\b|"
        r"\bsystem prompt\b|\bmy instructions\b|\bthe instructions (?:say|tell)\b", _I)),
    ("preamble", re.compile(
        r"^\W*(?:here(?:'s| is| are) (?:a|an|the|my|your|some)?\s*(?:possible |suggested |"
        r"revised |updated |improved |polite |short |brief |final )?(?:answer|response|reply|"
        r"draft|version|rewrite|message|email)|sure[,!]? here|certainly[,!]? here)\b", _I)),
    ("verdict on correctness", re.compile(
        r"\b(?:incorrect|inaccurate|not accurate|not correct|correct answer|wrong answer)\b",
        _I)),
    ("no access", re.compile(
        r"\bI (?:do not|don't|cannot|can't|am unable to|am not able to) (?:have )?"
        r"(?:access|browse|see|look up|check) (?:to )?(?:your|real[- ]time|personal|the "
        r"internet|external|any)\b", _I)),
    ("note to self", re.compile(r"(?:^|\n|\()\s*(?:note|n\.b\.|explanation|reasoning)\s*:", _I)),
)
_HEADER_RE = re.compile(r"^\W*(?:subject|re|fwd?|support request|ticket|customer|from|to)\s*:",
                        _I | re.MULTILINE)
_SENTENCE_RE = re.compile(r"[^.!?\n]+[.!?]?")
_WORD_RE = re.compile(r"[\w'’]+")
_ADDRESSEE_RE = re.compile(r"\b(?:you|your|yours|you're|you've|you'll|we|our|ours|us|we're|"
                           r"we've|we'll)\b", _I)
_CUSTOMER_VOICE_RE = re.compile(r"\b(?:I|my|me|mine|I'm|I've)\b")
_CUSTOMER_OPENING_RE = re.compile(
    r"^\W*(?:(?:hi|hello|hey)\W+)?(?:my\b|i (?:want|need|would like|'d like|am looking|have a "
    r"question|ordered|bought|paid|received|can't|cannot|still)\b|i've (?:ordered|been)\b|"
    r"(?:can|could|may|do|should) i\b|how (?:do|can|long do) i\b|where is my\b|"
    r"when will my\b|why (?:is|was|has|hasn't|isn't) my\b)", _I)
ECHO_RUN = 8  # consecutive ticket words a reply never needs to repeat
ECHO_SENTENCE_WORDS = 4  # a ticket sentence this long, copied whole, is an echo


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD_RE.findall(text)]


def _runs(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def meta_text(draft: str, passages: Sequence[str] = ()) -> list[str]:
    """``"meta-text: <label>"`` for text about the task, the prompt or the model."""
    reasons = []
    for label, pattern in META_PATTERNS:
        for m in pattern.finditer(draft):
            if not any(re.search(re.escape(m.group().strip()), p, _I) for p in passages):
                reasons.append(f"meta-text: {label}")
                break
    return reasons


def echoes(draft: str, ticket: str, passages: Sequence[str] = ()) -> list[str]:
    """``"echoes the ticket"`` when the draft copies the ticket back: a header line
    ("Subject:", "Support request:"), a whole ticket sentence of 4+ words, or 8 consecutive
    ticket words. Runs an approved answer also contains do not count."""
    approved = set().union(*(_runs(_words(p), ECHO_RUN) for p in passages)) if passages \
        else set()
    if _HEADER_RE.search(draft) and not any(_HEADER_RE.search(p) for p in passages):
        return ["echoes the ticket: header line"]
    draft_text = " ".join(_words(draft))
    for sentence in _SENTENCE_RE.findall(ticket):
        words = _words(sentence)
        if len(words) >= ECHO_SENTENCE_WORDS and f" {' '.join(words)} " in f" {draft_text} " \
                and not any(" ".join(words) in " ".join(_words(p)) for p in passages):
            return ["echoes the ticket: a sentence of it"]
    copied = (_runs(_words(draft), ECHO_RUN) & _runs(_words(ticket), ECHO_RUN)) - approved
    return ["echoes the ticket: a run of its words"] if copied else []


def not_a_reply(draft: str) -> list[str]:
    """``"does not read as a reply"`` when the draft is written in the customer's voice (it
    opens like a request: "My order…", "I want to…", "Can I…", or asks a question about
    "I/my" without addressing anyone) or is a bare fragment (under three words, or a heading
    ending in a colon)."""
    words = _WORD_RE.findall(draft)
    if len(words) < 3 or draft.rstrip().endswith(":"):
        return ["does not read as a reply: a fragment"]
    if _CUSTOMER_OPENING_RE.match(draft):
        return ["does not read as a reply: written in the customer's voice"]
    for sentence in _SENTENCE_RE.findall(draft):
        s = sentence.strip()
        if s.endswith("?") and _CUSTOMER_VOICE_RE.search(s) and not _ADDRESSEE_RE.search(s):
            return ["does not read as a reply: asks in the customer's voice"]
    return []
