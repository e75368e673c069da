"""``unsupported_language``: the ticket is written in a language the SLM does not handle.

The bundled SLM answers English only; a reply in the wrong language, or a misread ticket, is
worse than a slower human one. Detection is offline and cheap: the script of non-Latin text,
and stop-word counts for common Latin-script languages. It stays silent when unsure (short or
mixed tickets), because a false alarm costs a deflection and a miss only costs a weaker reply.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from router.domain import Signal

LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "sv": "Swedish", "pl": "Polish", "tr": "Turkish",
    "id": "Indonesian", "ru": "Cyrillic-script", "el": "Greek", "he": "Hebrew", "ar": "Arabic",
    "hi": "Devanagari-script", "th": "Thai", "ko": "Korean", "ja": "Japanese", "zh": "Chinese",
    "und": "non-Latin-script",
}  # fmt: skip

# Distinctive function words; words that are also common English words are left out.
STOP_WORDS: dict[str, frozenset[str]] = {
    code: frozenset(words.split())
    for code, words in {
        "en": "the and is are was were to of my i you it that this for with have has not but be"
        " can does did at from please would could will what when where why how your we an or if"
        " there been they them me am just get got should which so about any want need hi hello"
        " thanks thank still yet no do on in a",
        "es": "el la los las que y por para con una es mi mis pero como más esta está este hola"
        " gracias pedido cuenta tarjeta quiero puedo necesito cuando dónde porque muy ya tengo"
        " estoy su sus lo le del al ha he sido hasta sin también todavía usted",
        "fr": "le la les et est une des du je vous nous mon ma mes pas avec dans sur que qui ne ce"
        " cette au aux bonjour merci commande compte carte mais où comment pourquoi quand ai avez"
        " suis été très votre vos il elle sont peux pouvez j qu c l toujours rien",
        "de": "der und ist nicht das ich mit sie ein eine zu auf für mein meine meinen bitte danke"
        " habe haben wurde noch nach bei aber oder wie warum wann wo kann können keine kein sich"
        " auch sehr schon mir mich dem des vom zum zur bestellung konto karte hallo geld sind"
        " wird leider immer ihr ihre",
        "it": "il lo gli della delle dello degli di che è non per una sono ho mio mia miei con"
        " ciao grazie ordine conto carta come perché quando dove ma anche molto questo questa"
        " ancora già ha hanno vorrei posso può nel nella alla al dal sul mi",
        "pt": "o os um uma que não com por para meu minha é está são foi olá obrigado obrigada"
        " pedido conta cartão mas como quando onde porque muito já ainda tenho você vocês da"
        " dos das na nos nas ao isso este esta",
        "nl": "de het een en van ik je niet dat voor zijn mijn wat hoe waarom wanneer waar kan"
        " kunt heb hebt heeft ook nog maar bestelling rekening hallo bedankt alstublieft graag"
        " geen er naar wordt u uw deze dit om bij",
        "sv": "och är jag inte det att ett som på för med har min mitt mina kan vad hur varför"
        " när hej tack beställning konto kort men också till från eller vi ni detta mycket",
        "pl": "w z na nie się jest to że mój moja moje jak dlaczego kiedy gdzie czy proszę"
        " dziękuję zamówienie konto karta ale jestem mam mnie mi po od dla tak już jeszcze"
        " bardzo tego ten",
        "tr": "ve bir bu için ile değil ne nasıl neden nerede merhaba teşekkürler sipariş hesap"
        " kart ama ben benim siz sizin da de mi çok daha var yok olarak gibi kadar hala lütfen",
        "id": "yang dan di ini itu dengan untuk tidak saya kami anda ada dari ke pada akan sudah"
        " belum bisa apa bagaimana kenapa mengapa kapan dimana halo terima kasih pesanan akun"
        " kartu tapi juga sangat masih mohon tolong",
    }.items()
}

_WORD = re.compile(r"[^\W\d_]+")
_NON_LATIN = re.compile(r"[^\x00-\u024f\u1e00-\u1eff\u2000-\u206f\u20a0-\u20cf]")
_SCRIPTS: tuple[tuple[int, int, str], ...] = (
    (0x0370, 0x03FF, "el"), (0x0400, 0x052F, "ru"), (0x0590, 0x05FF, "he"),
    (0x0600, 0x06FF, "ar"), (0x0900, 0x097F, "hi"), (0x0E00, 0x0E7F, "th"),
    (0x1100, 0x11FF, "ko"), (0x3040, 0x30FF, "ja"), (0x4E00, 0x9FFF, "zh"),
    (0xAC00, 0xD7AF, "ko"),
)  # fmt: skip
SCAN_CHARS = 3000


_INDEX: dict[str, tuple[str, ...]] = {}
for _code, _words in STOP_WORDS.items():
    for _word in _words:
        _INDEX[_word] = (*_INDEX.get(_word, ()), _code)


def stop_word_hits(words: Iterable[str]) -> dict[str, int]:
    """Stop-word hits per language, in one pass over the words."""
    hits: dict[str, int] = {}
    for word in words:
        for code in _INDEX.get(word, ()):
            hits[code] = hits.get(code, 0) + 1
    return hits


def script_language(text: str) -> str | None:
    """The language of a mostly non-Latin text from its script, else None.

    Kana anywhere makes CJK text Japanese; an unlisted script gives ``und``.
    """
    foreign = [c for c in _NON_LATIN.findall(text) if c.isalpha()]
    if len(foreign) < 4 or len(foreign) < 0.5 * sum(1 for c in text if c.isalpha()):
        return None
    counts: dict[str, int] = {}
    for char in foreign:
        point = ord(char)
        code = next((c for lo, hi, c in _SCRIPTS if lo <= point <= hi), "und")
        counts[code] = counts.get(code, 0) + 1
    if "ja" in counts and "zh" in counts:
        counts["ja"] += counts.pop("zh")
    return max(counts, key=lambda c: counts[c])


@dataclass(frozen=True)
class LanguageDetector:
    """Flags text whose most likely language is outside ``supported``.

    A Latin-script language must have two stop-word hits, a fifth of the words, and half as
    many hits again as the best supported language, so a "gracias" or "merci" in an English
    ticket does not fire.
    """

    supported: frozenset[str] = frozenset({"en"})
    min_words: int = 4
    name: str = "unsupported_language"

    def detect(self, text: str, embedding: np.ndarray | None = None) -> Signal | None:
        sample = text[:SCAN_CHARS]
        if not sample.isascii():
            script = script_language(sample)
            if script is not None:
                return None if script in self.supported else self._signal(script, 1.0)
        words = _WORD.findall(sample.lower())
        if len(words) < self.min_words:
            return None
        hits = stop_word_hits(words)
        foreign = max(
            (c for c in hits if c not in self.supported), key=lambda c: hits[c], default=None
        )
        if foreign is None:
            return None
        ours = hits[foreign]
        theirs = max((hits.get(code, 0) for code in self.supported), default=0)
        if ours < 2 or ours < 0.2 * len(words) or ours < 1.5 * theirs or ours <= theirs:
            return None
        return self._signal(foreign, ours / (ours + theirs))

    def _signal(self, code: str, share: float) -> Signal:
        name = LANGUAGE_NAMES.get(code, code)
        return Signal(self.name, round(share, 3), f"unsupported language: {name} ({code})")
