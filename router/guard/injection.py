"""Generation-side defence against prompt injection in customer text.

Customer text is untrusted data placed inside our prompts. The routing signal
(``router.signals.injection``) names the attempts so the ticket escalates with a reason;
:func:`fence_untrusted` neutralises the structure an attacker relies on -- chat-template tokens,
closing tags of our own prompt sections, fake ``SYSTEM:`` lines -- so that text which does
reach a model cannot end its section or pose as another role. Neither replaces the verifier: a
draft is still checked for promises and leaks.
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
