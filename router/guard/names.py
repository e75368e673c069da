"""The requester's own name, wherever the ticket repeats it.

Names in general cannot be told from words by pattern; the ticket's requester field says
which name to look for. :func:`requester_names` turns what a connector stores there (a name,
``Name <e-mail>``, or an e-mail such as ``jane.doe@example.com``) into the full name and its
parts; an id (``U024BE7LH``, ``12345``) gives nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from router.guard.normalize import normalize_text
from router.guard.spans import Span

NAME = "NAME"

_HONORIFICS = frozenset(
    "mr mrs ms miss mx dr prof sir madam dame herr frau mme mlle sr sra".split()
)
_PARTICLES = frozenset("van von de der den da di du la le del dos das y bin al st zu ter".split())
# e-mail local parts that name a role, not a person
_ROLES = frozenset(
    "info support admin contact sales hello help noreply no-reply reply billing office team mail"
    " service services customer customers orders order accounts account webmaster enquiries"
    " inquiries hi me shop store user test mailbox feedback marketing newsletter hr jobs".split()
)
# names that are also everyday English words: matched only when written with a capital
_EVERYDAY = frozenset(
    "will may june april august mark bill rose grace hope joy faith dawn summer sunny rich pat"
    " ray art sue don jack bob frank chase hunter page reed lane wood king young white black"
    " brown green gray grey price cook baker miller long short hill field ford rice bell hall"
    " love best sky star river case cash gay buck win son new north south east west crystal"
    " amber ruby penny holly ivy lily daisy iris violet jasper jade hazel sage storm trip"
    " van bishop carter hay may nick norman wade wells ward miles tucker taylor".split()
)
_NAME_RE = re.compile(r"[^\W\d_]+(?:[ '’.-]+[^\W\d_]+)*\.?")
_DISPLAY_RE = re.compile(r'^\s*"?([^"<]*?)"?\s*<([^<>]+)>\s*$')
_LOCAL_SPLIT_RE = re.compile(r"[._+-]+")


def _from_name(name: str) -> list[str]:
    words = [w for w in name.replace(",", " ").split() if w.lower().strip(".") not in _HONORIFICS]
    if not words:
        return []
    out = [" ".join(words)] if len(words) > 1 else []
    if len(words) > 2:  # "van der Berg", "Anne-Marie van der": the name without one end
        out += [" ".join(words[1:]), " ".join(words[:-1])]
    for word in words:
        if len(word) >= 2 and word.lower() not in _PARTICLES:
            out.append(word)
            pieces = [p for p in re.split(r"[-'’]", word) if len(p) >= 3]
            out += pieces if len(pieces) > 1 else []
    return out


def _from_email(address: str) -> list[str]:
    local = address.split("@", 1)[0]
    parts = [p for p in _LOCAL_SPLIT_RE.split(re.sub(r"\d+", ".", local)) if p]
    parts = [p for p in parts if p.isalpha() and p.lower() not in _ROLES]
    if len(parts) >= 2:
        return _from_name(" ".join(p for p in parts if len(p) >= 2))
    if len(parts) == 1 and len(parts[0]) >= 3:
        return parts
    return []


def requester_names(requester: str | None) -> tuple[str, ...]:
    """The names a requester field gives, longest first: ("Jane Doe", "Jane", "Doe")."""
    if not requester or not requester.strip():
        return ()
    text = normalize_text(requester).strip()
    found: list[str] = []
    display = _DISPLAY_RE.match(text)
    if display:
        if _NAME_RE.fullmatch(display.group(1).strip()):
            found += _from_name(display.group(1))
        found += _from_email(display.group(2))
    elif "@" in text:
        found += _from_email(text)
    elif _NAME_RE.fullmatch(text):
        found += _from_name(text)
    unique = {n.lower(): n for n in reversed(found)}
    return tuple(sorted(unique.values(), key=lambda n: (-len(n), n)))


def _pattern(name: str) -> str:
    words = [re.escape(w) for w in name.split()]
    body = r"[\s.,-]+".join(words)
    if len(words) == 1 and name.lower() in _EVERYDAY:
        word = name[:1].upper() + name[1:].lower()
        return r"(?:" + re.escape(word) + "|" + re.escape(name.upper()) + ")"
    return r"(?i:" + body + ")"


def find_names(text: str, names: Sequence[str]) -> list[Span]:
    """Occurrences of ``names`` (whole words; the longest name wins where they overlap)."""
    wanted = sorted({normalize_text(n).strip() for n in names if n and n.strip()},
                    key=lambda n: (-len(n), n))
    if not wanted:
        return []
    pattern = re.compile(r"(?<![\w@.])(?:" + "|".join(_pattern(n) for n in wanted) + r")(?![\w@])")
    return [Span(NAME, m.start(), m.end(), m.group()) for m in pattern.finditer(text)]
