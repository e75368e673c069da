"""Generation-side defence against prompt injection in customer text.

Customer text is untrusted data placed inside our prompts. :func:`looks_like_injection` names
the obvious attempts (so the pipeline can escalate with a reason), and :func:`fence_untrusted`
neutralises the structure an attacker relies on -- chat-template tokens, closing tags of our
own prompt sections, fake ``SYSTEM:`` lines -- so the text cannot end its section or pose as
another role. Neither replaces the verifier: a draft is still checked for promises and leaks.
This is deliberately separate from the routing signal in ``router.signals``.
"""

from __future__ import annotations

import re

from router.guard.normalize import normalize_text

_ROLES = r"system|assistant|developer"
_FENCED_ROLES = _ROLES + r"|user|human|tool|function"
_OWN_SECTIONS = (
    r"ticket|customer|system|user|assistant|developer|instructions?|context|passages?|"
    r"documents?|knowledge|kb|prompt|message|s"
)

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ignore previous instructions",
        re.compile(
            r"\b(?:ignore|disregard|forget|override|bypass)\b[\s\w,'-]{0,40}?(?<!my\s)"
            r"\b(?:previous|prior|above|earlier|preceding|all|any|your|system|these|those)\b"
            r"[\s\w'-]{0,20}?\b(?:instructions?|prompts?|rules|directions|guidelines)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "fake role line",
        re.compile(
            r"^[\s>*#\[(]*(?:" + _ROLES + r")\s*[\])]?\s*[:>]|^\s*#{2,}\s*(?:" + _ROLES + r")\b",
            re.IGNORECASE | re.MULTILINE,
        ),
    ),
    (
        "chat template token",
        re.compile(
            r"<\|[\w-]{1,30}\|>|\[/?INST\]|<</?SYS>>|<\s*/?\s*s\s*>|<\s*/?\s*(?:start|end)_of_turn",
            re.IGNORECASE,
        ),
    ),
    (
        "closing or role tag",
        re.compile(r"<\s*/?\s*(?:" + _OWN_SECTIONS + r")(?:\s[^<>]*)?>", re.IGNORECASE),
    ),
    (
        "prompt extraction",
        re.compile(
            r"\b(?:reveal|show|print|repeat|output|display|leak|tell\s+me|give\s+me|"
            r"what\s+(?:is|are|were))\b[\s\w'-]{0,30}?\b(?:system\s+prompt|(?:your|initial|hidden|original)\s+"
            r"(?:prompt|instructions)|(?:the|your)\s+canary|prompt\s+above)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "role override",
        re.compile(
            r"\byou\s+are\s+now\b|\b(?:developer|god|admin|jailbreak|dan)\s+mode\b|"
            r"\bnew\s+(?:system\s+)?instructions?\s*:|\bpretend\s+(?:to\s+be|you\s+are)\b|"
            r"\bact\s+as\s+(?:an?\s+)?(?:system|admin|developer|unrestricted)\b",
            re.IGNORECASE,
        ),
    ),
)

# What fence_untrusted rewrites.
_TAG_LIKE_RE = re.compile(
    r"<\|[\w-]{1,30}\|>|<</?SYS>>|</?[A-Za-z_][\w:-]*(?:\s[^<>]*)?/?>"
    r"|<\s*/?\s*(?:" + _OWN_SECTIONS + r")\b[^<>]*>",
    re.IGNORECASE,
)
_INST_RE = re.compile(r"\[(/?INST)\]", re.IGNORECASE)
_ROLE_LINE_RE = re.compile(
    r"^([ \t]*)(?=[>*#\[( \t]*(?:" + _FENCED_ROLES + r")\s*[\])]?\s*[:>]"
    r"|#{2,}\s*(?:" + _FENCED_ROLES + r")\b)",
    re.IGNORECASE | re.MULTILINE,
)
QUOTE_PREFIX = "(quoted) "


def looks_like_injection(text: str) -> str | None:
    """A reason such as ``"prompt injection: fake role line"``, or None for ordinary text."""
    text = normalize_text(text)
    for name, pattern in _PATTERNS:
        if pattern.search(text):
            return f"prompt injection: {name}"
    return None


def _escape_tag(m: re.Match[str]) -> str:
    return m.group().replace("<", "&lt;").replace(">", "&gt;")


def fence_untrusted(text: str) -> str:
    """Customer text made inert as prompt structure; the words stay readable for the model.

    Tag-like sequences get ``&lt;``/``&gt;`` (so ``</ticket>`` cannot close our section),
    ``[INST]`` becomes ``(INST)``, and lines posing as a role get a ``(quoted)`` prefix.
    Idempotent: fencing fenced text changes nothing.
    """
    text = normalize_text(text)  # a no-op for the normalised text the legs pass in
    text = _TAG_LIKE_RE.sub(_escape_tag, text)
    text = _INST_RE.sub(r"(\1)", text)
    return _ROLE_LINE_RE.sub(lambda m: m.group(1) + QUOTE_PREFIX, text)
