"""``anger``: strong anger (profanity, shouting, "worst ... ever", "unacceptable", "!!!").

An angry customer who gets a templated answer from a small model usually gets angrier, and
churns; the default policy hands them to a human. Mild frustration is normal in support
("a bit annoyed", "this is frustrating") and must not fire, so weak cues count half and one
alone is not enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from router.domain import Signal
from router.signals.rules import any_of, clip, scan_text, scan_window

STRONG = any_of(
    r"\b(?:fuck\w*|f\*+k\w*|shit\w*|sh\*t|bullshit|crap|wtf|bastards?|assholes?|arseholes?|"
    r"dickheads?|bitch\w*|pissed(?:\s+off)?|screw\s+you|morons?|idiots?|imbeciles?)\b",
    r"\bworst\b[^.!?\n]{0,60}?\bever\b",
    r"\bworst\s+(?:service|company|bank|shop|store|experience|customer\s+service|support)\b",
    r"\b(?:unacceptable|outrageous|disgrace(?:ful)?|disgusting|appalling|abysmal|"
    r"incompetent|incompetence|pathetic|shameful|furious|livid|fuming|infuriat\w*|"
    r"how\s+dare\s+you|what\s+the\s+hell|sick\s+and\s+tired|fed\s+up|"
    r"had\s+it\s+with|daylight\s+robbery|"
    r"had\s+enough(?=\s*(?:[.!,]|$|of\s+(?:this|you|your)))|"
    r"never\s+(?:again|shop(?:ping)?\s+(?:here|with\s+you)|use\s+you))\b",
    r"\b(?:i|we)\s+(?:hate|despise|loathe)\s+(?:you|your|this)\b",
    r"\b(?:clueless|rip-?off|thieves|thieving|crooks?)\b",
)
WEAK = any_of(
    r"\b(?:ridiculous|absurd|useless|shocking|terrible|horrible|awful|rubbish|garbage|joke|nightmare|"
    r"frustrat\w*|annoy\w*|angry|upset|disappointed|damn\w*|hell|still\s+waiting|"
    r"(?:third|fourth|fifth|\d+(?:st|nd|rd|th))\s+time|again\s+and\s+again|seriously\?)\b",
)
_EXCLAIM_RUN = re.compile(r"!{3,}|(?:!\s*\?|\?\s*!){2,}")
_SHOUT_WORD = re.compile(r"\b[A-Z]{4,}\b")
_ACRONYMS = frozenset(
    {
        "IBAN",
        "SWIFT",
        "VISA",
        "HTTP",
        "HTTPS",
        "USPS",
        "UPS",
        "FEDEX",
        "DHL",
        "HMRC",
        "NHS",
        "GDPR",
        "ASAP",
        "ATM",
        "PAYPAL",
        "APPLE",
        "IOS",
        "UTC",
        "PST",
        "EST",
        "USD",
        "EUR",
        "GBP",
        "FAQ",
        "NFC",
        "SEPA",
        "BACS",
        "CHAPS",
        "JSON",
        "HTML",
        "NASA",
        "ISBN",
        "SIM",
    }
)


def _shouting(text: str) -> str | None:
    """Shouting is several long all-caps words, or a mostly upper-case ticket."""
    shouted = [w for w in _SHOUT_WORD.findall(text) if w not in _ACRONYMS]
    if len(shouted) >= 3:
        return " ".join(shouted[:4])
    if not shouted:  # a mostly upper-case text has at least one long upper-case word
        return None
    upper = sum(map(str.isupper, text))
    lower = sum(map(str.islower, text))
    if upper + lower >= 20 and upper >= 0.7 * (upper + lower):
        return clip(text, 30)
    return None


@dataclass(frozen=True)
class AngerDetector:
    """Sums cue weights (strong 1.0, weak 0.5) and fires at ``threshold``."""

    name: str = "anger"
    threshold: float = 1.0

    def detect(self, text: str, embedding: np.ndarray | None = None) -> Signal | None:
        cues: list[str] = []
        weight = 0.0
        lowered = scan_text(text)
        for match in STRONG.finditer(lowered):
            cues.append(f"'{clip(match.group(0), 30)}'")
            weight += 1.0
        for match in WEAK.finditer(lowered):
            cues.append(f"'{clip(match.group(0), 30)}'")
            weight += 0.5
        window = scan_window(text)
        if _EXCLAIM_RUN.search(window) or window.count("!") >= 4:
            cues.append("many '!'")
            weight += 0.5
        shout = _shouting(window)
        if shout:
            cues.append(f"shouting '{shout}'")
            weight += 1.0
        if weight < self.threshold:
            return None
        return Signal(self.name, min(1.0, weight / 2), "strong anger: " + ", ".join(cues[:4]))


ANGER = AngerDetector()
