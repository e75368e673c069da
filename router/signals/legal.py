"""``legal_threat`` and ``chargeback``: the ticket threatens legal or payment-reversal action.

A wrong word from a model here can cost far more than the ticket is worth, so the default
policy hands both to a human. Bare words such as "legal", "charge" or "attorney" are routine
("legal name", "what is this charge", "power of attorney"); the patterns need the threat.
"""

from __future__ import annotations

from router.signals.rules import ExemplarBank, RuleDetector, any_of, phrases

LEGAL_PATTERN = any_of(
    r"\b(?:my|our|contact(?:ing|ed)?|call(?:ing)?|hire|hiring|consult(?:ing)?)\s+(?:own\s+)?"
    r"(?:solicitors?|legal\s+(?:team|counsel|advisor|adviser|representative))\b",
    r"\b(?:lawyers?|attorneys?)\b(?<!power of attorney)(?<!power-of-attorney)(?!\s+general)",
    r"\b(?:sue|suing|sued)\s+(?:you|your|the\s+company|the\s+bank|them|this|for)\b",
    r"\b(?:will|gonna|going\s+to|i['’]?ll|shall|to|i)\s+sue\b",
    r"\blaw\s?suits?\b",
    r"\blegal\s+(?:action|proceedings|steps|measures|claim|case|route|notice|letter|remedies)\b",
    r"\b(?:take|taking|see|drag)\s+(?:you|this|them|it|your\s+\w+)\s+to\s+(?:small\s+claims\s+)?"
    r"court\b",
    r"\bsmall[- ]claims\b",
    r"\bclass[- ]action\b",
    r"\bcease\s+and\s+desist\b",
    r"\b(?:report\w*|complain\w*|escalat\w*)\s+(?:\w+\s+){0,4}?(?:to|with)\s+"
    r"(?:the\s+)?(?:ombudsman|regulator|cfpb|ftc|fca|bbb|better\s+business\s+bureau|"
    r"trading\s+standards|attorney\s+general|data\s+protection|ico|sec|finra|"
    r"consumer\s+(?:protection|affairs|ombudsman))\b",
    r"\b(?:financial\s+)?ombudsman\b",
    r"\bbreach\s+of\s+(?:contract|gdpr|the\s+gdpr|data\s+protection)\b",
    r"\b(?:see\s+you|accountable|settle\s+(?:this|it))\s+in\s+court\b",
    r"\bconsumer\s+(?:protection|rights)\s+(?:law|laws|act|legislation|regulations)\b",
)

LEGAL_EXEMPLARS = phrases(
    """
    I will take legal action against your company
    My lawyer will be in touch with you
    I am seeking legal advice about how you treated me
    My legal representative will contact you
    I am going to sue you
    I will take this to court
    I will enforce my consumer rights in court
    I am reporting your company to the authorities and the regulator
    """
)

CHARGEBACK_PATTERN = any_of(
    r"\bcharge[- ]?backs?\b",
    r"\b(?:initiat\w+|request\w*|start\w*)\s+a\s+(?:charge[- ]?back|reversal)\b",
    r"\b(?:dispute|disputing|disputed|reverse|reversing|cancel|cancelling|canceling|block|"
    r"stop|claw\s+back|recall)\s+(?:the\s+|this\s+|that\s+|my\s+|these\s+)?(?:\w+\s+)?"
    r"(?:charges?|payments?|transactions?|purchases?|it|them)\s+(?:with|through|via)\s+"
    r"(?:my\s+)?(?:bank|card\s+(?:issuer|company|provider)|credit\s+card(?:\s+company)?|"
    r"paypal|visa|mastercard|amex|american\s+express)\b",
    r"\b(?:dispute|disputing)\s+(?:the|this|that|these)\s+(?:\w+\s+)?(?:charges?|payments?|"
    r"transactions?)\b",
    r"\b(?:file|filed|filing|open|opening|opened|raise|raising|raised|start|starting|started|"
    r"lodge|lodged|initiate|initiated)"
    r"\s+an?\s+(?:payment\s+|card\s+|paypal\s+|bank\s+)?dispute\b",
    r"\bclaim\s+(?:with|through|via)\s+(?:my\s+)?(?:bank|card\s+(?:issuer|company)|paypal|"
    r"credit\s+card(?:\s+company)?)\b",
    r"\bmy\s+(?:bank|card\s+(?:issuer|company|provider)|credit\s+card(?:\s+company)?)\b"
    r"[^.!?\n]{0,40}?\b(?:reverse|dispute|cancel|stop|claw\s+back|take\s+back)\s+"
    r"(?:\w+\s+)?(?:the\s+|this\s+|that\s+|my\s+)?(?:payment|charge|transaction|money|it)\b",
    r"\bpaypal\s+(?:dispute|claim)\b",
)

CHARGEBACK_EXEMPLARS = phrases(
    """
    I will file a chargeback with my bank
    I am disputing this payment with my credit card company
    I'll ask my bank to reverse the charge
    My card issuer will claw the money back if you don't refund me
    I have opened a dispute on PayPal for this order
    """
)

LEGAL_THREAT = RuleDetector(
    name="legal_threat",
    label="legal threat",
    patterns=(LEGAL_PATTERN,),
    exemplars=ExemplarBank(LEGAL_EXEMPLARS, threshold=0.66),
)

CHARGEBACK = RuleDetector(
    name="chargeback",
    label="chargeback",
    patterns=(CHARGEBACK_PATTERN,),
    exemplars=ExemplarBank(CHARGEBACK_EXEMPLARS, threshold=0.70),
)
