"""``human_request``: the customer explicitly asks for a person.

Answering such a ticket with any model, however good, ignores what the customer asked for,
so the default policy sends it to a human.
"""

from __future__ import annotations

from router.signals.rules import ExemplarBank, RuleDetector, any_of, phrases

_PERSON = (
    r"(?:real|live|actual|human|flesh[- ]and[- ]blood)\s+(?:person|human|being|agent|"
    r"representative|rep|operator|support)"
)
_WHO = (
    r"(?:a\s+|an\s+|your\s+|the\s+|some\s+)?(?:\w+\s+)?(?:customer\s+(?:service|support|care)\s+)?"
    r"(?:human|person|people|agent|representative|rep|manager|supervisor|operator|someone|"
    r"somebody|staff|team\s+member|assistant)\b(?!\s+resources)"
)

PATTERN = any_of(
    rf"\b(?:speak|speaking|talk|talking|chat|chatting|get\s+through|reach|reaching)\s+"
    rf"(?:to|with)\s+{_WHO}",
    rf"\b(?:contact|contacting)\s+{_WHO}",
    r"\b(?:want|need|get|give|demand|request)\s+(?:me\s+)?(?:a|an|your|some)\s+"
    r"(?:real\s+|live\s+)?(?:human|person|manager|supervisor|operator|representative|agent)"
    r"\b(?!\s+(?:resources|code|number|id)\b)",
    rf"\b{_PERSON}\b",
    r"\b(?:transfer|connect|put|escalate|pass|forward)\s+(?:me|this|my\s+\w+|it)\s+"
    r"(?:to|through\s+to|with|over\s+to)\s+(?:a\s+|an\s+|your\s+|the\s+)?(?:\w+\s+)?"
    r"(?:human|person|agent|manager|supervisor|someone|somebody|representative|specialist|"
    r"colleague|team\s+member)\b",
    r"\bescalate\s+(?:this|my\s+(?:case|ticket|complaint|issue))\b",
    r"\b(?:not|no|stop|enough|done)\s+(?:with\s+)?(?:(?:more|the|this|a|your)\s+)?"
    r"(?:bots?|robots?|chat\s?bots?|automated\s+(?:replies|responses|answers)|ai)\b",
    r"\bare\s+you\s+(?:a\s+)?(?:bot|robot|machine|real|human|an\s+ai)\b",
    r"\b(?:can|could|would|will)\s+(?:someone|somebody|an\s+agent|a\s+person|you)\s+"
    r"(?:please\s+)?(?:call|phone|ring)\s+me\b",
    r"\bcall\s+me\s+back\b|\bcall-?backs?\b",
    r"\b(?:deal|discuss\s+\w+|speak|talk)\s+with\s+(?:one\s+of\s+)?(?:your|a)\s+"
    r"(?:staff|people|team|colleagues?)\b",
    r"\bin\s+touch\s+with\s+(?:someone|somebody|a\s+person|a\s+human|an\s+agent)\b",
    r"\bnot\s+automated\b|\bhuman,?\s+please\b|\b(?:don['’]?t|do\s+not)\s+want\s+(?:an?\s+)?"
    r"(?:ai|bot|automated|robot|machine)\b",
)

EXEMPLARS = phrases(
    """
    I want to speak to a real person
    Let me talk to a human please
    Connect me with a live agent
    I don't want to chat with a bot
    I want an employee to deal with my case, not an automatic system
    Please have a member of your staff phone me
    Is a human being actually reading my messages
    I want a person from your team to handle this personally
    Stop sending me canned automated replies and let a person answer
    I need to talk to your manager
    """
)

HUMAN_REQUEST = RuleDetector(
    name="human_request",
    label="asks for a human",
    patterns=(PATTERN,),
    exemplars=ExemplarBank(EXEMPLARS, threshold=0.55),
)
