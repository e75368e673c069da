"""One text normalisation, applied once where text enters, before any guard looks at it.

Redaction, the risk signals, the classifier and the verifier must all read the *same* text:
a card number written with non-breaking spaces, a soft hyphen or a zero-width space between
its digits is still a card, and "ign\u200bore previous instructions" is still an injection.
When one guard normalised and another did not, hidden PII slipped past redaction and reached
the hosted model (issue 18). So the webhook intake stores normalised text, the answering and
routing entry points normalise what the command line hands them, and the privacy boundary
(:func:`router.guard.pii.redact`) normalises again; the function is idempotent, so text that
is already normalised passes through unchanged.

:func:`normalize_text` does, in order:

1. drops invisible characters: every format character (Unicode category ``Cf``: zero-width
   space/joiners, soft hyphen, BOM, bidi controls, invisible operators, tag characters used
   for "ASCII smuggling"), the other default-ignorable code points (variation selectors,
   combining grapheme joiner, Hangul fillers) and control characters other than tab and line
   breaks; a lone surrogate becomes U+FFFD;
2. applies NFKC (full-width and mathematical letters and digits become plain ones);
3. turns every Unicode space (no-break, narrow no-break, thin, ideographic, ...) and tab into
   a plain space and collapses runs of spaces inside a line (indentation stays), and turns
   every line break into ``\\n``;
4. writes decimal digits of any script as ASCII digits.

Look-alike letters from other scripts (Cyrillic "о" for Latin "o") and leetspeak are *not*
rewritten in the stored text: they are real letters of real languages. :func:`matching_views`
gives detectors extra views of a text with them folded, for matching only.
"""

from __future__ import annotations

import re
import unicodedata

_KEEP_CONTROLS = frozenset("\t\n\r")
# Default-ignorable code points that are not in category Cf (Unicode DerivedCoreProperties).
_IGNORABLE_RANGES = (
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul choseong/jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian free variation selectors
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFFA0, 0xFFA0),  # half-width Hangul filler
    (0xE0000, 0xE0FFF),  # tags and variation selectors supplement
)
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_SPACES_RE = re.compile(r"(?<=[^ \n]) {2,}")  # inside a line; indentation stays
_CRLF_RE = re.compile(r"\r\n?")


def _ignorable(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _IGNORABLE_RANGES)


class _DropTable(dict[int, int | None]):
    """Step 1 for ``str.translate``: filled lazily, one entry per distinct character seen."""

    def __missing__(self, cp: int) -> int | None:
        ch = chr(cp)
        category = unicodedata.category(ch)
        value: int | None = cp
        if category == "Cs":
            value = 0xFFFD
        elif ch in _LINE_BREAKS:
            value = cp  # kept: step 3 turns it into \n (\r\n first becomes one \n)
        elif category == "Cf" or _ignorable(cp) or (category == "Cc" and ch not in _KEEP_CONTROLS):
            value = None
        self[cp] = value
        return value


class _SpaceDigitTable(dict[int, int | None]):
    """Step 3 and 4 for ``str.translate``: spaces, line breaks, digits of any script."""

    def __missing__(self, cp: int) -> int | None:
        ch = chr(cp)
        value: int | None = cp
        if ch == "\t" or unicodedata.category(ch) == "Zs":
            value = 0x20
        elif ch in _LINE_BREAKS and ch != "\r":
            value = 0x0A
        elif unicodedata.category(ch) == "Nd":
            value = 0x30 + unicodedata.decimal(ch)
        self[cp] = value
        return value


_DROP = _DropTable()
_SPACE_DIGIT = _SpaceDigitTable()
_ASCII_ODD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\t\r]|[^ \n] {2,}")


def normalize_text(text: str) -> str:
    """The normalised form every guard reads (idempotent; see the module docstring)."""
    if text.isascii() and not _ASCII_ODD.search(text):
        return text  # the common case: plain ASCII without controls, tabs or double spaces
    text = text.translate(_DROP)
    text = _CRLF_RE.sub("\n", text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.translate(_SPACE_DIGIT)
    return _SPACES_RE.sub(" ", text)


def is_normalized(text: str) -> bool:
    return normalize_text(text) == text


# --- matching views: for detectors only, never stored or sent -------------------------------

# Letters of other scripts (and a few Latin extensions) that render like a Latin letter.
# A small, explicit subset of Unicode's confusables.txt covering Cyrillic, Greek,
# Armenian, Latin extensions and small capitals: what a reader takes for Latin letters.
_CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y", "ѵ": "v", "ҽ": "e",
    "А": "a", "В": "b", "Е": "e", "Ё": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p",
    "С": "c", "Т": "t", "У": "y", "Х": "x", "Ѕ": "s", "І": "i", "Ї": "i", "Ј": "j", "Ԁ": "d",
    "Һ": "h", "Ӏ": "l", "Ԛ": "q", "Ԝ": "w", "Ү": "y",
    # Greek
    "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "ϲ": "c", "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k",
    "Μ": "m", "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x", "Ϲ": "c",
    # Armenian
    "օ": "o", "ս": "u", "հ": "h", "ո": "n",
    # Latin extensions and small capitals
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g", "ɩ": "i", "ʟ": "l", "ᴀ": "a", "ʙ": "b", "ᴄ": "c",
    "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k", "ᴍ": "m", "ɴ": "n",
    "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y",
    "ᴢ": "z",
}
_CONFUSABLE_TABLE = str.maketrans(_CONFUSABLES)
_LATIN_RE = re.compile(r"[a-zA-Z]")
# A token that mixes letters with digits or symbols standing in for letters.
_LEET_TOKEN_RE = re.compile(r"[\w@$|!]*[a-zA-Z][\w@$|!]*")
_LEET = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a",
         "$": "s", "|": "l", "!": "i", "_": " "}
_LEET_I = str.maketrans({**_LEET, "1": "i"})
_LEET_L = str.maketrans({**_LEET, "1": "l"})


def fold_confusables(text: str) -> str:
    """Look-alike letters of other scripts as the Latin letters they imitate (matching only).

    Only words that mix scripts are folded: "іgnоrе" (Cyrillic і, о, е among Latin letters) is
    an attack, "привет" is Russian and stays as it is unless the whole text is Latin apart
    from a few such words.
    """
    if text.isascii():
        return text
    latin_words = sum(1 for w in text.split() if _LATIN_RE.search(w))
    words = text.split(" ")
    out = []
    for word in words:
        folded = word.translate(_CONFUSABLE_TABLE)
        if folded != word and (_LATIN_RE.search(word) or latin_words * 2 >= len(words)):
            out.append(folded)
        else:
            out.append(word)
    return " ".join(out)


def unleet(text: str, one: str = "i") -> str:
    """Digits and symbols inside words read as letters ("1gn0r3" -> "ignore"); matching only.

    Tokens without a letter (order numbers, prices) are left alone.
    """
    table = _LEET_I if one == "i" else _LEET_L

    def fix(m: re.Match[str]) -> str:
        token = m.group()
        return token.translate(table) if not token.isalpha() else token

    return _LEET_TOKEN_RE.sub(fix, text)


def matching_views(text: str) -> tuple[str, ...]:
    """The text plus the distinct de-obfuscated views a detector should also match."""
    folded = fold_confusables(text)
    views = [text]
    for view in (folded, unleet(folded, "i"), unleet(folded, "l")):
        if view not in views:
            views.append(view)
    return tuple(views)

