"""Concrete details in a draft that must come from the ticket or a passage.

Small models invent plausible details: a 30-day window, a hotline number, an order id, a
help-centre URL. Anything concrete in a draft (numbers, amounts, percentages, times, URLs,
e-mails, phone numbers, order-number-like references) must appear in the ticket or in a
retrieved passage, after normalisation, or the draft is not grounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from router.guard.detectors import find_emails, find_phones
from router.guard.render import find_url_spans

_PLACEHOLDER_RES: tuple[re.Pattern[str], ...] = (
    re.compile(r"\{\{[^{}]{1,60}\}\}"),  # {{Order Number}}
    re.compile(r"\{[A-Za-z_ ]{1,40}\}"),  # {order_id}
    re.compile(r"\\?\[[A-Z][A-Z\\_]{1,20}[ _]\d{1,3}\\?\]"),  # [EMAIL_1], [ORDER 2]
    re.compile(r"\[[A-Za-z][A-Za-z_ ]{0,39}\]"),  # [Customer Name]
)
_LIST_NUMBER_RE = re.compile(r"^([ \t]*)\d{1,2}[.)](?=\s)", re.MULTILINE)
_IDIOMS_RE = re.compile(r"\b24/7\b|\b24x7\b", re.IGNORECASE)
_TOKEN_RE = re.compile(r"#?[A-Za-z0-9]+(?:[-_/][A-Za-z0-9]+)*")
_UNIT_SUFFIX = (
    r"st|nd|rd|th|am|pm|h|hr|hrs|hour|hours|d|day|days|k|m|x|s|min|mins|kg|g|lb|lbs|"
    r"gb|mb|tb|km|mi|ml|l"
)
_NUMBER_UNIT_RE = re.compile(r"^(\d+)(?:" + _UNIT_SUFFIX + r")$", re.IGNORECASE)
_NUMBER_RE = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.:]\d+)?")
_DIGITS_RE = re.compile(r"\d+")
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]")
_NON_DIGIT_RE = re.compile(r"\D")


@dataclass(frozen=True)
class Entity:
    kind: str  # number | url | email | phone | reference
    surface: str  # as written in the draft, for the reason string
    key: str  # normalised form compared with the sources


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _mask_re(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


def normalise_url(url: str) -> str:
    url = url.lower().split("://", 1)[-1]
    url = url.removeprefix("www.")
    return url.rstrip("/.,;:!?")


def normalise_number(surface: str) -> str:
    """``$1,299.00`` and ``1299`` compare equal; ``09:30`` is the time ``9:30``."""
    key = surface.replace(",", "")
    if ":" in key:
        hours, _, minutes = key.partition(":")
        return f"{hours.lstrip('0') or '0'}:{minutes}"
    whole, _, frac = key.partition(".")
    whole = whole.lstrip("0") or "0"
    frac = frac.rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def _classify_token(token: str) -> str:
    """``reference`` (A12345, ORD-5512, #884) or ``number`` (30-day, 10am, 2nd)."""
    if token.startswith("#"):
        return "reference"
    seen_word = False
    for part in re.split(r"[-_/]", token):
        if part.isdigit() or _NUMBER_UNIT_RE.match(part):
            if seen_word:
                return "reference"
        elif part.isalpha():
            seen_word = True
        else:
            return "reference"
    return "number"


def extract(text: str) -> list[Entity]:
    """Concrete details in text, in order; placeholders and list numbering are ignored."""
    for pattern in _PLACEHOLDER_RES:
        text = _mask_re(text, pattern)
    text = _LIST_NUMBER_RE.sub(
        lambda m: m.group(1) + " " * (len(m.group()) - len(m.group(1))), text
    )
    text = _mask_re(text, _IDIOMS_RE)
    found: list[tuple[int, Entity]] = []

    emails = find_emails(text)
    found += [(s.start, Entity("email", s.value, s.value.lower())) for s in emails]
    text = _mask(text, ((s.start, s.end) for s in emails))
    urls = find_url_spans(text)
    found += [(start, Entity("url", url, normalise_url(url))) for start, _, url in urls]
    text = _mask(text, ((start, end) for start, end, _ in urls))
    phones = find_phones(text)
    found += [(s.start, Entity("phone", s.value, _NON_DIGIT_RE.sub("", s.value))) for s in phones]
    text = _mask(text, ((s.start, s.end) for s in phones))

    references: list[tuple[int, int]] = []
    for m in _TOKEN_RE.finditer(text):
        token = m.group()
        if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
            if _classify_token(token) == "reference":
                key = _NON_ALNUM_RE.sub("", token.lower())
                found.append((m.start(), Entity("reference", token, key)))
                references.append((m.start(), m.end()))
    text = _mask(text, references)
    for m in _NUMBER_RE.finditer(text):
        found.append((m.start(), Entity("number", m.group(), normalise_number(m.group()))))
    return [entity for _, entity in sorted(found, key=lambda pair: pair[0])]


class Sources:
    """Everything the ticket and the passages make available, normalised once per draft."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.keys: dict[str, set[str]] = {k: set() for k in ("number", "url", "email", "phone")}
        self.keys["reference"] = set()
        compact: list[str] = []
        for text in texts:
            for entity in extract(text):
                self.keys[entity.kind].add(entity.key)
            # Numbers hidden inside phones, URLs and references still count as mentioned.
            for m in _NUMBER_RE.finditer(text):
                self.keys["number"].add(normalise_number(m.group()))
            for m in _DIGITS_RE.finditer(text):
                self.keys["number"].add(normalise_number(m.group()))
            compact.append(_NON_ALNUM_RE.sub("", text.lower()))
        self._compact = "\n".join(compact)

    def supports(self, entity: Entity) -> bool:
        keys = self.keys[entity.kind]
        if entity.key in keys:
            return True
        if entity.kind == "number" and entity.key.endswith(":00"):
            return entity.key[:-3] in self.keys["number"]  # "10:00" vs "10am"
        if entity.kind == "url":
            return any(src.startswith(entity.key) for src in keys)
        if entity.kind == "phone":
            tail = entity.key[-9:]
            return any(src.endswith(tail) for src in keys) or tail in self._compact
        if entity.kind == "reference":
            return len(entity.key) >= 4 and entity.key in self._compact
        return False


def unsupported(draft: str, sources: Iterable[str]) -> list[str]:
    """One reason per distinct detail of the draft that no source mentions."""
    known = Sources(sources)
    reasons: list[str] = []
    for entity in extract(draft):
        if known.supports(entity):
            continue
        reason = f"unsupported {entity.kind}: {entity.surface[:80]}"
        if reason not in reasons:
            reasons.append(reason)
    return reasons
