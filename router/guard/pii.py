"""Redact personal data before a prompt leaves the machine, and restore it in the reply.

Only the hosted-LLM leg is redacted: the local SLM runs on this machine and sees the original
text. Placeholders look like ``[CARD_1]`` so the hosted model can still refer to "your card
[CARD_1]" and the reply reads naturally once :func:`restore` puts the value back. The mapping
(placeholder -> original) never leaves the process; only :attr:`Redaction.counts` (by kind) may
be logged or stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from router.guard.detectors import KINDS, find_pii
from router.guard.names import requester_names
from router.guard.normalize import normalize_text
from router.guard.settings import PIISettings

__all__ = [
    "Redaction", "Redactor", "placeholder", "redact", "requester_names", "restore",
    "unresolved_placeholders",
]

_PLACEHOLDER_KIND = (
    r"CARD|IBAN|EMAIL|PHONE|NATIONAL[\s_-]*ID|PASSPORT|DATE[\s_-]*OF[\s_-]*BIRTH|ADDRESS"
    r"|POSTCODE|NAME"
)
# Tolerant of what models do to placeholders: "[EMAIL 1]", "[ email_1 ]", "\[EMAIL\_1\]".
_BRACKETED_RE = re.compile(
    r"\\?\[\s*(" + _PLACEHOLDER_KIND + r")\s*\\?[_\s-]?\s*(\d+)\s*\\?\]", re.IGNORECASE
)
# Bare "EMAIL_1" (the model dropped the brackets): upper case and underscore only, so prose
# such as "email 1 of 3" is left alone.
_BARE_RE = re.compile(
    r"(?<![\w\[])(CARD|IBAN|EMAIL|PHONE|NATIONAL_ID|PASSPORT|DATE_OF_BIRTH|ADDRESS|POSTCODE|NAME)"
    r"\\?_(\d+)(?![\w\]])"
)
_KIND_SPACES_RE = re.compile(r"[\s_-]+")


def placeholder(kind: str, n: int) -> str:
    """The exact placeholder format, e.g. ``[CARD_1]``, ``[NATIONAL_ID_2]``."""
    return f"[{kind}_{n}]"


@dataclass(frozen=True)
class Redaction:
    """A redacted text, the placeholder -> value mapping and occurrence counts by kind."""

    text: str
    mapping: dict[str, str] = field(default_factory=dict, repr=False)  # values: never log
    counts: dict[str, int] = field(default_factory=dict)


class Redactor:
    """Numbers placeholders per kind across several texts, so one value keeps one placeholder.

    Identity is the exact surface string: the same card written twice the same way gets one
    placeholder, which keeps :func:`restore` an exact inverse of redaction.

    ``names`` are the requester's names (see :func:`requester_names`); ``settings`` says which
    optional kinds an operator turned off (``DESKROUTE_PII_*``, read at the process's edge and
    handed down). Without settings every kind is redacted: nothing is read here.
    """

    def __init__(self, *, names: Sequence[str] = (), settings: PIISettings | None = None) -> None:
        off = settings.disabled_kinds() if settings is not None else frozenset()
        self._kinds = frozenset(k for k in KINDS if k not in off)
        self._names = tuple(names)
        self._by_value: dict[tuple[str, str], str] = {}
        self._mapping: dict[str, str] = {}
        self._next: dict[str, int] = {}
        self._counts: dict[str, int] = {}

    def redact(self, text: str) -> str:
        """``text`` normalised, with every personal value replaced by its placeholder.

        Normalising here too (a no-op for text the intake already normalised) means no
        caller can hand the privacy boundary text in which invisible characters or odd
        spaces split a card or an e-mail so that it is not found.
        """
        text = normalize_text(text)
        out: list[str] = []
        pos = 0
        for span in find_pii(text, kinds=self._kinds, names=self._names):
            out.append(text[pos : span.start])
            out.append(self._placeholder_for(span.kind, span.value))
            self._counts[span.kind] = self._counts.get(span.kind, 0) + 1
            pos = span.end
        out.append(text[pos:])
        return "".join(out)

    def _placeholder_for(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._by_value:
            n = self._next.get(kind, 0) + 1
            self._next[kind] = n
            name = placeholder(kind, n)
            self._by_value[key] = name
            self._mapping[name] = value
        return self._by_value[key]

    @property
    def mapping(self) -> dict[str, str]:
        return dict(self._mapping)

    @property
    def counts(self) -> dict[str, int]:
        """Occurrences replaced, by kind, in :data:`KINDS` order; never the values."""
        return {k: self._counts[k] for k in KINDS if k in self._counts}


def redact(
    text: str, *, names: Sequence[str] = (), settings: PIISettings | None = None
) -> Redaction:
    """Replace every kind of personal data (:data:`~router.guard.detectors.KINDS`) with
    placeholders; ``names`` are the requester's names, found wherever the text repeats them."""
    redactor = Redactor(names=names, settings=settings)
    redacted = redactor.redact(text)
    return Redaction(text=redacted, mapping=redactor.mapping, counts=redactor.counts)


def restore(text: str, mapping: Mapping[str, str]) -> str:
    """Put the original values back; unknown placeholders are left as they are.

    Replies are masked afterwards (:mod:`router.guard.masking`): cards, IBANs, national ids
    and passport numbers never go out whole, even to their owner.
    """
    if not mapping:
        return text

    def _sub(m: re.Match[str]) -> str:
        kind = _KIND_SPACES_RE.sub("_", m.group(1).upper())
        return mapping.get(placeholder(kind, int(m.group(2))), m.group(0))

    return _BARE_RE.sub(_sub, _BRACKETED_RE.sub(_sub, text))


def unresolved_placeholders(text: str) -> list[str]:
    """Placeholders still in a draft after :func:`restore`: ones the model invented (a
    ``[PHONE_2]`` when the ticket had one phone number). Such a draft must not be sent."""
    return [m.group(0) for m in _BRACKETED_RE.finditer(text)] + [
        m.group(0) for m in _BARE_RE.finditer(text)
    ]
