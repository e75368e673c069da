"""``account_security``: takeover, unauthorised activity, fraud, stolen credentials.

A hurried model answer ("just reset your password") can leave an attacker in the account,
so these go to a human. Routine security chores (how do I reset my password, turn on 2FA)
must not fire: the patterns need something that happened without the customer.
"""

from __future__ import annotations

from router.signals.rules import ExemplarBank, RuleDetector, any_of, phrases

_OWN = r"(?:my|our|the|his|her)\s+(?:\w+\s+)?"

_DENY = r"(?:did\s*n[o']?t|didn['’]t|do\s*n[o']?t|don['’]t|never|did\s+not|do\s+not)"
_MONEY_THINGS = (
    r"(?:payments?|charges?|transactions?|purchases?|transfers?|withdrawals?|debits?|"
    r"log-?ins?|sign-?ins?|orders?)"
)

PATTERN = any_of(
    r"\b(?:hack(?:ed|er|ers|ing)?|compromised|breached|data\s+breach)\b",
    r"\b(?:unauthori[sz]ed|unrecogni[sz]ed|unknown|suspicious|fraudulent)\s+"
    r"(?:\w+\s+)?(?:log-?ins?|sign-?ins?|access|activity|transactions?|payments?|charges?|"
    r"purchases?|withdrawals?|transfers?|devices?|emails?|texts?|sms|calls?|orders?)\b",
    r"\b(?:fraud|fraudster|fraudsters|scam|scammed|scammer|scammers|phishing|spoofed|"
    r"identity\s+theft|stolen\s+identity|sim\s+swap)\b",
    r"\b(?:someone|somebody|a\s+stranger|a\s+third\s+party)\s+(?:else\s+)?"
    r"(?:has\s+|had\s+|have\s+|is\s+|was\s+|must\s+have\s+)?(?:been\s+)?(?:logged|logging|log|"
    r"got|gotten|get|broke|"
    r"broken|hacked|accessed|access|accessing|using|used|changed|made|spent|took|taken|withdrew|"
    r"withdrawn|stole|stolen|opened|ordered|transferred|moved)\s+(?:money\s+|funds\s+|cash\s+)?"
    r"(?:in(?:to)?\s+|in\s+to\s+|on\s+|from\s+)?"
    r"(?:my|our)\s+(?:\w+\s+)?(?:accounts?|cards?|money|funds|password|details|identity|login|"
    r"email|pin|savings|balance|profile|app)\b",
    rf"\b(?:stolen|stole|steal)\s+{_OWN}?(?:card|cards|wallet|phone|password|identity|details|"
    r"credentials|account|money|funds)\b",
    rf"\b{_OWN}?(?:card|wallet|phone|password|identity|details|credentials)\s+(?:was|were|has\s+"
    r"been|have\s+been|got)\s+(?:stolen|leaked|exposed|taken|cloned|skimmed)\b",
    rf"\b{_DENY}\s+(?:make|authori[sz]e|approve|recogni[sz]e)\s+(?:this|these|that|those|the|"
    rf"any|a|an)\s+(?:\w+\s+)?{_MONEY_THINGS}\b",
    rf"\b{_MONEY_THINGS}\b[^.!?\n]{{0,40}}?\b(?:i|we)\s+(?:{_DENY}\s+(?:make|authori[sz]e|"
    r"approve|recogni[sz]e)|never\s+(?:made|authori[sz]ed|approved))\b",
    r"\b(?:fake|spoof|cloned)\s+(?:website|site|email|e-mail|text|sms|call|message|login|page|"
    r"app)\b|\bpretending\s+to\s+be\s+(?:you|your|from\s+you|the\s+bank)\b",
    r"\b(?:clicked|tapped|opened)\s+(?:on\s+)?(?:a|the|that|this)\s+(?:suspicious\s+|dodgy\s+)?"
    r"link\b",
    r"\b(?:password|email|e-mail|phone\s+number|pin)\s+(?:was\s+|has\s+been\s+|got\s+)?"
    r"changed\s+without\b",
    rf"\b(?:verification|security|one[- ]time|2fa|otp|login)\s+codes?\s+(?:that\s+)?i\s+"
    rf"{_DENY}\s+(?:request|ask)",
    r"\bwas\s*n['’]?t\s+me\b|\bwas\s+not\s+me\b|\bnot\s+done\s+by\s+me\b",
)

EXEMPLARS = phrases(
    """
    Someone got into my account without permission
    Someone else is using my account
    There are transactions on my card that I did not make
    Money has disappeared from my account without my knowledge
    A criminal has my login details and access to my online banking
    I keep getting security codes and password reset emails I did not ask for
    My identity was stolen and someone opened an account in my name
    I got a message pretending to be you asking for my PIN
    """
)

ACCOUNT_SECURITY = RuleDetector(
    name="account_security",
    label="account security",
    patterns=(PATTERN,),
    exemplars=ExemplarBank(EXEMPLARS, threshold=0.78),
)
