"""Claims a draft may only make when the ticket or an approved answer makes them.

:mod:`router.guard.entities` catches invented numbers, links and references; a small model
also invents words: an order "In Progress", a tracking link "updated shortly", shipping to
"Canada", a "warranty". Each claim family below is a closed list of words and phrases; a
claim in the draft must appear (as a word-bounded phrase, case-insensitive) in an approved
answer, or for most families in the ticket. **Statuses** must come from an approved answer:
a customer asking "has it shipped?" does not make "your order has shipped" true.

Names (places, brands, products) are found two ways: a gazetteer of countries, regions and
carriers/payment brands, and any capitalised word that does not start a sentence. Both must
appear in the ticket or an approved answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def _phrases(*items: str) -> re.Pattern[str]:
    alts = sorted({i for item in items for i in item.split("|")}, key=len, reverse=True)
    body = "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in alts)
    return re.compile(r"(?<![\w-])(?:" + body + r")(?![\w-])", re.IGNORECASE)


#: family -> (pattern, the ticket may back it)
FAMILIES: dict[str, tuple[re.Pattern[str], bool]] = {
    "status": (_phrases(
        "in progress|in transit|out for delivery|on its way|on the way|being processed|"
        "being prepared|being packed|processed|processing|pending|on hold|dispatched|shipped|"
        "delivered|has arrived|have arrived|was lost|is lost|been lost|is delayed|was delayed|"
        "been delayed|backordered|back-ordered|back in stock|in stock|out of stock|sold out|"
        "approved|declined|rejected|confirmed|completed|cancelled|canceled|has been refunded|"
        "was refunded|been issued|was issued|awaiting|under review|being reviewed|escalated|"
        "resolved|closed|reopened|suspended|blocked|locked|unlocked|reactivated|deactivated|"
        "activated|verified|expired|ready for pickup|ready to ship|left our warehouse|"
        "picked up|returned to sender"), False),
    "date": (_phrases(
        "monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend|weekends|weekday|"
        "weekdays|today|tonight|tomorrow|yesterday|this week|next week|last week|this month|"
        "next month|end of the week|end of the month|january|february|march|april|june|july|"
        "august|september|october|november|december|christmas|easter|holidays|bank holiday|"
        "public holiday|morning|afternoon|evening|overnight|midnight|noon"), True),
    "delay": (_phrases(
        "shortly|soon|very soon|as soon as possible|asap|immediately|right away|straight away|"
        "instantly|promptly|quickly|in no time|within minutes|within hours|within a few days|"
        "in a few days|in a few hours|a few days|a few hours|few minutes|a couple of days|"
        "same day|same-day|next day|next-day|express|expedited|priority shipping|delay|delays|"
        "delayed|late|running late|behind schedule|on time|on schedule|"
        "will be updated|be updated|updated shortly"), True),
    "price": (_phrases(
        "free|fee|fees|charge|charges|charged|surcharge|cost|costs|price|prices|priced|"
        "pricing|cheaper|cheapest|expensive|tax|taxes|vat|duty|duties|customs|deposit|"
        "per cent|percent|dollars|euros|pounds|usd|eur|gbp|paid|unpaid|payable|"
        "no extra cost|no additional cost|shipping costs|postage|instalment|instalments|"
        "installment|installments|pay later|split the payment|split payment|financing"), True),
    "policy": (_phrases(
        "policy|policies|warranty|warranties|guarantee|guaranteed|eligible|eligibility|"
        "ineligible|non-refundable|nonrefundable|refundable|exchange|exchanges|exchanged|"
        "return window|returns window|restocking|final sale|store credit|proof of purchase|"
        "original packaging|unused|tags attached|terms and conditions|terms of service|"
        "trial|subscription|membership|loyalty|points|rewards|insurance|insured|signature "
        "required|age verification|minimum order|price match|price-match|lifetime|sale|"
        "sale items|on sale|clearance|outlet|student|students|student discount|reserve|"
        "reservation|pre-order|preorder|gift wrap|gift wrapping|gift-wrapping|assembly|"
        "installation|price guarantee|bulk order|wholesale|b2b"), True),
    "place": (_phrases(
        "abroad|overseas|international|internationally|worldwide|domestic|domestically|"
        "nationwide|europe|european union|united kingdom|britain|great britain|england|"
        "scotland|wales|ireland|northern ireland|united states|america|canada|mexico|"
        "australia|new zealand|germany|france|spain|italy|portugal|netherlands|belgium|"
        "luxembourg|switzerland|austria|denmark|norway|sweden|finland|iceland|poland|czechia|"
        "czech republic|slovakia|hungary|romania|bulgaria|greece|turkey|russia|ukraine|"
        "china|japan|korea|india|pakistan|singapore|hong kong|taiwan|thailand|vietnam|"
        "indonesia|malaysia|philippines|brazil|argentina|chile|colombia|peru|south africa|"
        "nigeria|kenya|egypt|morocco|israel|united arab emirates|saudi arabia|qatar|"
        "alaska|hawaii|puerto rico|guam|channel islands|canary islands|asia|africa|"
        "latin america|south america|north america|middle east|in-store|pickup point|"
        "pick-up point|parcel locker|post office|po box|po boxes|p.o. box"), True),
    "brand": (_phrases(
        "paypal|visa|mastercard|master card|amex|american express|maestro|klarna|"
        "afterpay|affirm|sezzle|apple pay|google pay|samsung pay|amazon pay|venmo|zelle|"
        "stripe|bitcoin|crypto|cryptocurrency|bank transfer|wire transfer|cash on delivery|"
        "gift card|ups|usps|fedex|dhl|dpd|gls|hermes|evri|royal mail|parcelforce|tnt|"
        "canada post|australia post|la poste|postnl|amazon|ebay|etsy|shopify|iphone|ipad|"
        "android|macbook|playstation|xbox|nintendo"), True),
}
#: Country and union acronyms, case-sensitive ("contact us" is no place).
_ACRONYM_PLACES_RE = re.compile(r"(?<![\w-])(?:US|USA|U\.S\.|UK|EU|UAE)(?![\w-])")
#: Idioms that contain a claim word but make no claim.
_IDIOMS_RE = re.compile(
    r"\bfeel\s+free\b|\bfree\s+to\b|\bgood\s+(?:morning|afternoon|evening)\b|"
    r"\bhave\s+a\s+(?:good|great|nice|lovely)\s+(?:day|week|weekend|evening)\b|"
    r"\bat\s+your\s+earliest\s+convenience\b|\bin\s+the\s+meantime\b",
    re.IGNORECASE)
_PLACEHOLDER_RE = re.compile(r"\{\{[^{}]{1,60}\}\}|\\?\[[^\[\]\n]{1,40}\\?\]")
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;)]\s+|\n\s*(?:[-*•]\s*|\d{1,2}[.)]\s*)?|"
                                r"[\"'(“‘*_>]\s*)$")
_CAPITALISED_RE = re.compile(r"(?<![\w@/.-])([A-Z][a-z]+(?:[A-Z][a-z]+)*|[A-Z][a-z]*[A-Z]\w*)"
                             r"(?![\w@/-])")
#: Capitalised words that are no claim in a reply (greetings, pronouns, UI words).
_COMMON_CAPITALS = frozenset("""
i i'm i've i'll i'd hi hello dear thanks thank best kind kindly regards sincerely please sorry
yes no ok okay sure certainly absolutely great happy glad you your we our us the a an if when
once after before in on at for to of and or but so as this that these those there here it its
my me he she they them his her their mr mrs ms dr team support customer service help centre
center account orders order my account settings profile sign log password faq contact
note step steps click go open select choose enter visit""".split())


@dataclass(frozen=True)
class Claim:
    family: str  # status | date | delay | price | policy | place | brand | name
    surface: str


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


def find_claims(text: str) -> list[Claim]:
    """Claims in ``text``, in order, one per distinct (family, phrase)."""
    text = _blank(_blank(text, _PLACEHOLDER_RE), _IDIOMS_RE)
    found: list[tuple[int, Claim]] = []
    taken: list[tuple[int, int]] = []
    patterns = [*((f, p) for f, (p, _) in FAMILIES.items()), ("place", _ACRONYM_PLACES_RE)]
    for family, pattern in patterns:
        for m in pattern.finditer(text):
            surface = m.group() if pattern is _ACRONYM_PLACES_RE else _norm(m.group())
            found.append((m.start(), Claim(family, surface)))
            taken.append((m.start(), m.end()))
    for m in _CAPITALISED_RE.finditer(text):
        word = m.group(1)
        if word.lower() in _COMMON_CAPITALS or _SENTENCE_START_RE.search(text[:m.start()]):
            continue
        if any(a <= m.start() < b for a, b in taken):
            continue
        found.append((m.start(), Claim("name", word)))
    seen: set[tuple[str, str]] = set()
    out: list[Claim] = []
    for _, claim in sorted(found, key=lambda pair: pair[0]):
        key = (claim.family, claim.surface.lower())
        if key not in seen:
            seen.add(key)
            out.append(claim)
    return out


def _mentions(phrase: str, texts: Iterable[str], *, case: bool = False) -> bool:
    pattern = re.compile(r"(?<![\w-])" + r"\s+".join(map(re.escape, phrase.split()))
                         + r"(?![\w-])", 0 if case else re.IGNORECASE)
    return any(pattern.search(t) for t in texts)


_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+|\n+")
_QUESTION_START_RE = re.compile(
    r"^\W*(?:do|does|did|can|could|will|would|shall|should|is|are|was|were|have|has|had|may|"
    r"when|where|what|which|who|why|how|any|anything)\b", re.IGNORECASE)


def stated(ticket: str) -> str:
    """The ticket's statements without its questions: "Do you ship to Canada?" asks, it does
    not make "we ship to Canada" a fact a reply may repeat."""
    parts = [p.strip() for p in _SENTENCE_SPLIT_RE.split(ticket) if p.strip()]
    return "\n".join(p for p in parts if not p.endswith("?") and not _QUESTION_START_RE.match(p))


def unsupported_claims(draft: str, *, ticket: str, passages: Sequence[str]) -> list[str]:
    """``"unsupported <family>: <phrase>"`` for each claim nothing allowed backs.

    Backed means: in an approved answer, or, except for statuses, in a sentence of the ticket
    that states rather than asks (:func:`stated`); names may come from any part of the ticket.
    """
    reasons: list[str] = []
    facts = stated(ticket)
    for claim in find_claims(draft):
        if claim.family == "name":
            sources = [*passages, ticket]
        else:
            sources = [*passages, facts] if FAMILIES[claim.family][1] else list(passages)
        if not _mentions(claim.surface, sources, case=claim.surface.isupper()):
            reason = f"unsupported {claim.family}: {claim.surface}"
            if reason not in reasons:
                reasons.append(reason)
    return reasons
