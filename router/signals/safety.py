"""``safety``: injury, danger to life, self-harm, threats of violence, hazardous products.

These tickets need a person now, and a canned reply to them does harm, so they always go to a
human. Everyday words that look violent ("kill time", "fired from my job", "is it safe",
"shocked at the fees") are kept out by requiring the harmful sense.
"""

from __future__ import annotations

from router.signals.rules import ExemplarBank, RuleDetector, any_of, phrases

_PEOPLE = (
    r"(?:myself|me|my\s+(?:self|son|daughter|child|children|kids?|baby|wife|husband|partner|"
    r"mum|mom|dad|family|dog|cat|hand|hands|arm|leg|face|eye|eyes|finger|fingers|skin|back)|"
    r"you|him|her|them|someone|somebody|everyone|people|themselves|himself|herself)"
)

PATTERN = any_of(
    r"\b(?:injur(?:y|ies|ed|ing)|wounded|bleeding|concussion|burns|scald(?:ed)?|"
    r"electrocut\w*|poison(?:ed|ing|ous)|overdose|choking|choked|suffocat\w*)\b",
    rf"\b(?:hurt|harm|burn(?:ed|t)?|cut|kill|killed|stab|attack(?:ed)?|punch(?:ed)?)\s+"
    rf"{_PEOPLE}\b(?!\s+(?:off|out|a|some|in|back)\b)",
    r"\b(?:got|was|were|been|getting|being)\s+(?:badly\s+|seriously\s+)?(?:hurt|burned|burnt|"
    r"cut|injured|electrocuted|attacked|assaulted|threatened)\b"
    r"(?!\s+(?:off|out|short|in\s+half|up|down|in\s+two)\b)",
    r"\b(?:electric(?:al)?\s+shock|gave\s+(?:me|him|her|us|my\s+\w+)\s+a\s+shock|shocked\s+me)\b",
    r"\b(?:caught|catch(?:es|ing)?)\s+(?:on\s+)?fire\b|\bon\s+fire\b|\bfire\s+hazard\b|"
    r"\bburst\s+into\s+flames\b|\b(?:exploded|explosion|smoke\s+(?:came|coming|pouring))\b",
    r"\b(?:spark(?:ed|ing)|burn\s+marks?|scorch(?:ed|\s+marks?)|mou?ldy?)\b",
    r"\b(?:son|daughter|child|kid|baby|toddler|mum|mom|mother|dad|father|wife|husband|partner)"
    r"\s+(?:has\s+been|was|got|became|fell|has\s+fallen|is)\s+(?:very\s+|really\s+)?(?:sick|ill|"
    r"unwell|out|off|over|down|burned|burnt)\b",
    r"\b(?:trouble|difficulty|struggling|could\s*n['’]?t|can['’]?t)\s+breath(?:e|ing)\b",
    r"\ballergic\s+reaction\b|\banaphyla\w*|\brash\s+(?:all\s+)?over\b",
    r"\b(?:emergency\s+room|a\s*&\s*e|hospitali[sz]ed|in\s+(?:the\s+)?hospital|ambulance|"
    r"(?:call(?:ed)?|dial(?:led)?)\s+(?:911|999|112)|medical\s+emergency)\b",
    r"\b(?:suicid\w*|self[- ]harm|end\s+(?:my|it)\s+(?:life|all)|want\s+to\s+die|"
    r"kill\s+myself|don['’]?t\s+want\s+to\s+live|no\s+reason\s+to\s+live)\b",
    r"\b(?:dangerous|unsafe|hazardous|toxic|choking\s+hazard|safety\s+(?:issue|hazard|"
    r"concern|risk|recall)|product\s+recall|recall\s+notice|recalled)\b",
    r"\b(?:son|daughter|child|kid|baby|toddler|dog|cat|puppy|he|she|i|we)\s+(?:has\s+|had\s+|"
    r"may\s+have\s+|might\s+have\s+)?(?:swallowed|ingested)\s+(?!my\s+card)",
    r"\b(?:domestic\s+(?:violence|abuse)|abusive\s+(?:partner|husband|wife|ex)|stalk(?:ed|ing|er)"
    r"|threaten(?:ed|ing)\s+(?:to\s+)?(?:kill|hurt|harm)|i\s+(?:will|['’]ll)\s+(?:find|come\s+"
    r"for)\s+you)\b",
)

EXEMPLARS = phrases(
    """
    The product hurt my child
    The toy broke and my child was cut and needed medical treatment
    The heater started smoking and nearly set the house on fire
    The device overheated and burned my hand
    I had a bad reaction to your product and could not breathe
    An elderly person fell and was injured because the product collapsed
    I feel hopeless and I am afraid I might hurt myself
    My partner is violent and I am afraid for my safety
    """
)

SAFETY = RuleDetector(
    name="safety",
    label="safety",
    patterns=(PATTERN,),
    exemplars=ExemplarBank(EXEMPLARS, threshold=0.55),
)
