"""Street addresses and postcodes.

Precision first: a house number alone, or a five-digit number alone, is as likely an order
number or a quantity. An address is a house number next to a street name with a street word
("221B Baker Street", "Hauptstraße 5", "12 rue de la Paix", "PO Box 1234"); a postcode is a
UK or Canadian postcode (distinctive shapes), a US ZIP after a state ("IL 62704"), or a
five-digit code just after a street address or next to the word "postcode"/"ZIP"/"PLZ".
"""

from __future__ import annotations

import re

from router.guard.spans import Span, after, has_context

ADDRESS = "ADDRESS"
POSTCODE = "POSTCODE"

_EN_SUFFIX = (
    r"Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl"
    r"|Terrace|Terr|Way|Close|Crescent|Cres|Highway|Hwy|Parkway|Pkwy|Square|Sq|Circle|Cir"
    r"|Trail|Trl|Alley|Mews|Gardens|Grove|Row|Walk|Parade|Plaza|Expressway|Freeway|Turnpike|Loop"
)
_WORD = r"(?:[A-Z][A-Za-z'’.-]*|\d{1,3}(?:st|nd|rd|th)|[NSEW]|N[EW]|S[EW])"
_UNIT = (
    r"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Flat|Fl|Floor|Room|Rm)\.? ?#?[A-Za-z0-9-]{1,6}"
    r"|,? #[0-9]{1,5}[A-Za-z]?)"
)
# "2 Hour Drive", "3 Days Way": a quantity, not a house number
_NOT_A_STREET = (
    r"(?!(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|times?|items?"
    r"|pieces?|units?|packs?|boxes|miles?|km|stars?|points?|people|persons?|more|of)\b)"
)
# "221B Baker Street", "1600 Pennsylvania Ave NW, Apt 4B", "350 5th Ave"
_EN_STREET_RE = re.compile(
    r"(?<![\w#$€£.,/-])\d{1,5}[A-Za-z]?(?:-\d{1,5})?,? (?i:" + _NOT_A_STREET + r")(?:" + _WORD
    + r" ){1,4}?(?:" + _EN_SUFFIX + r")\b\.?(?: (?:N|S|E|W|NE|NW|SE|SW)\b)?" + _UNIT + r"?"
)
# "123 main st": lower case only where the ticket says it is an address
_EN_STREET_ANY_CASE_RE = re.compile(
    r"(?<![\w#$€£.,/-])\d{1,5}[A-Za-z]?,? " + _NOT_A_STREET + r"(?:[A-Za-z'’.-]+ ){1,4}?(?:"
    + _EN_SUFFIX + r")\b\.?"
    + _UNIT + r"?",
    re.IGNORECASE,
)
_ADDRESS_WORDS_RE = re.compile(
    r"\b(?:address|addr|live at|living at|lives at|ship(?:ped)? (?:it )?to"
    r"|deliver(?:ed)? (?:it )?to|send (?:it )?to|moved to|residence|street|billing|shipping"
    r"|postal|mailing)\b",
    re.IGNORECASE,
)
# "Hauptstraße 5", "Berliner Str. 12a", "Am Lindenweg 3", "Marktplatz 1-3"
_DE_STREET_RE = re.compile(
    r"(?<![\w-])(?:(?:[A-ZÄÖÜ][a-zäöüß]+|An|Am|Auf|Im|In|Zum|Zur) )?"
    r"(?:[A-ZÄÖÜ][a-zäöüß-]*(?:straße|strasse|str\.|weg|allee|platz|gasse|damm|ufer|chaussee"
    r"|steig|pfad|ring)|(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Gasse|Damm|Ufer|Ring|Chaussee))"
    r" \d{1,4}(?: ?[a-z])?(?:-\d{1,4})?(?![\w-])"
)
# "12 rue de la Paix", "5 bis, avenue des Champs-Élysées", "3 Rue Victor Hugo": the name is
# its particles and up to three capitalised words
_FR_STREET_RE = re.compile(
    r"(?<![\w-])\d{1,4}(?: ?(?:bis|ter))?,? (?i:rue|boulevard|bd|chemin|allée|impasse|quai|cours"
    r"|avenue|place|route)(?: (?:de|du|des|la|le|les|aux?|sur|d'|l'|d’|l’))*"
    r"(?: ?[A-ZÀ-Ý][\w'’-]*){1,3}"
)
_ES_STREET_RE = re.compile(
    r"(?<![\w-])(?:Calle|C/|Avenida|Avda\.?|Paseo|Plaza|Carrer|Rua|Via|Viale|Piazza|Corso)"
    r"(?: (?:de|del|la|las|los|da|do|di|della)?\s?[A-ZÁÉÍÓÚ][\w'’-]*){1,4},? (?:n\.?º ?)?\d{1,4}"
    r"(?![\w-])"
)
_PO_BOX_RE = re.compile(r"(?<![\w-])P\.? ?O\.? ?Box \d{1,6}(?![\w-])", re.IGNORECASE)

# --- postcodes --------------------------------------------------------------------------------
_UK_POSTCODE = r"(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}|GIR ?0AA)"
_UK_POSTCODE_RE = re.compile(r"(?<![\w-])" + _UK_POSTCODE + r"(?![\w-])")
_UK_POSTCODE_ANY_CASE_RE = re.compile(r"(?<![\w-])" + _UK_POSTCODE + r"(?![\w-])", re.IGNORECASE)
_CA_POSTCODE_RE = re.compile(
    r"(?<![\w-])[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d(?![\w-])"
)
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ"
    "|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR"
)
_US_STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia"
    "|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts"
    "|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey"
    "|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania"
    "|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington"
    "|West Virginia|Wisconsin|Wyoming"
)
_ZIP = r"\d{5}(?:-\d{4})?"
# the state stays readable; the ZIP is the span
_US_ZIP_RE = re.compile(r"\b(?:" + _US_STATES + r")\.?,? (" + _ZIP + r")(?![\w-])")
_US_ZIP_NAMED_STATE_RE = re.compile(
    r"\b(?:" + _US_STATE_NAMES + r"),? (" + _ZIP + r")(?![\w-])"
)
_POSTCODE_WORDS_RE = re.compile(
    r"\b(?:post ?code|postal code|zip(?: ?code)?|plz|postleitzahl|code postal|c\.?p\.?"
    r"|código postal|cap)\b",
    re.IGNORECASE,
)
_CODE_RE = re.compile(r"(?<![\w-])(?:[A-Z]{1,2}-)?\d{4,5}(?:-\d{4})?(?![\w-])")
# after a street, past at most three words (city, state): "…, 10115 Berlin",
# "…, Springfield, IL 62704", "…, London sw1a 2aa"; a four-digit code only before a city
# ("1010 Wien"), so "since 2015" is not one
_TAIL_RE = re.compile(
    r"^(?P<between>(?:[,\s]+[^\W\d_][\w'’.-]*){0,3}?)[,\s]+(?P<code>"
    r"(?:[A-Z]{1,2}-)?\d{5}(?:-\d{4})?|(?:[A-Z]{1,2}-)?\d{4}(?= [A-ZÄÖÜ][a-zäöüß])"
    r"|" + _UK_POSTCODE + r"|[A-Z]\d[A-Z] ?\d[A-Z]\d)(?![\w-])",
    re.IGNORECASE,
)
_NOT_A_PLACE = frozenset(
    "since in for from on at and until by before after ago year years the of about around"
    " than to with or was is were".split()
)


def _spans(kind: str, pattern: re.Pattern[str], text: str, group: int = 0) -> list[Span]:
    return [
        Span(kind, m.start(group), m.end(group), m.group(group)) for m in pattern.finditer(text)
    ]


def find_addresses(text: str) -> list[Span]:
    """Street lines with their house number (and flat or suite), and PO boxes."""
    found = _spans(ADDRESS, _EN_STREET_RE, text)
    found += [
        Span(ADDRESS, m.start(), m.end(), m.group())
        for m in _EN_STREET_ANY_CASE_RE.finditer(text)
        if has_context(text, m.start(), m.end(), _ADDRESS_WORDS_RE, width_before=50)
    ]
    for pattern in (_DE_STREET_RE, _FR_STREET_RE, _ES_STREET_RE, _PO_BOX_RE):
        found += _spans(ADDRESS, pattern, text)
    return found


def _codes_after_streets(text: str) -> list[Span]:
    spans: list[Span] = []
    for street in find_addresses(text):
        m = _TAIL_RE.match(after(text, street.end, 60))
        if m is None:
            continue
        between = re.findall(r"[^\W\d_][\w'’.-]*", m.group("between"))
        if any(word.lower() in _NOT_A_PLACE for word in between):
            continue
        start = street.end + m.start("code")
        spans.append(Span(POSTCODE, start, street.end + m.end("code"), m.group("code")))
    return spans


def find_postcodes(text: str) -> list[Span]:
    """UK and Canadian postcodes; ZIP codes after a state; any code after a street or the
    word "postcode"/"ZIP"/"PLZ"."""
    found = _spans(POSTCODE, _UK_POSTCODE_RE, text) + _spans(POSTCODE, _CA_POSTCODE_RE, text)
    found += _spans(POSTCODE, _US_ZIP_RE, text, group=1)
    found += _spans(POSTCODE, _US_ZIP_NAMED_STATE_RE, text, group=1)
    found += _codes_after_streets(text)
    for pattern in (_CODE_RE, _UK_POSTCODE_ANY_CASE_RE):
        found += [
            Span(POSTCODE, m.start(), m.end(), m.group())
            for m in pattern.finditer(text)
            if has_context(text, m.start(), m.end(), _POSTCODE_WORDS_RE, width_before=25)
        ]
    return found
