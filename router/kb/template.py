"""Fill an approved answer's placeholders from the ticket: the ``template`` answer mode.

A 135M-parameter model rephrases badly and invents details, so the safest local answer is the
approved text itself with the customer's own details put in. Only details the ticket states
are used (an order number after "order", a name after "my name is", an e-mail address);
anything else becomes a neutral phrase ("your order number"), never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from router.guard.detectors import find_emails

_PLACEHOLDER_RE = re.compile(r"\{\{\s*([^{}]{1,60}?)\s*\}\}")
_ID = r"#?((?:[A-Za-z]{1,5}-?)?\d[\w-]{3,})"
_ORDER_RE = re.compile(
    r"\b(?:order|purchase|package|parcel|shipment|tracking)\s*(?:number|no\.?|num|id|#)?\s*[:#]?\s*"
    + _ID, re.IGNORECASE)
_INVOICE_RE = re.compile(
    r"\b(?:invoice|bill|receipt)\s*(?:number|no\.?|num|id|#)?\s*[:#]?\s*" + _ID, re.IGNORECASE)
_BARE_ID_RE = re.compile(r"(?:(?<=#)|(?<![\w@.+-]))((?:[A-Za-z]{2,5}-)?\d{5,})(?![\w@-])")
_NAME_RE = re.compile(
    r"\b(?i:my name is|my name's|name:)\s+([A-Z][a-zA-Z'’-]+(?:\s+[A-Z][a-zA-Z'’-]+)?)")
_NUMBER_AFTER_NOUN_RE = re.compile(
    r"\b(order|purchase|invoice|bill)\s+(?:number\s+|no\.?\s+)?#?\{\{\s*(?:order|invoice) number"
    r"(?: anonymized)?\s*\}\}", re.IGNORECASE)

_ORDER_KEYS = {"order number", "order number anonymized", "order id", "purchase number",
               "tracking number", "order"}
_INVOICE_KEYS = {"invoice number", "bill number", "invoice id", "receipt number"}
_NAME_KEYS = {"customer name", "client name", "name", "person name", "client first name",
              "customer first name", "first name", "full name", "client last name"}
_EMAIL_KEYS = {"customer email", "customer email address", "client email", "email address"}
NEUTRAL: dict[str, str] = {
    "order number": "your order number",
    "invoice number": "your invoice number",
    "customer support phone number": "our support phone line",
    "support phone number": "our support phone line",
    "customer service phone number": "our support phone line",
    "customer support email": "our support e-mail address",
    "customer support email address": "our support e-mail address",
    "support email": "our support e-mail address",
    "customer support availability": "during our support hours",
    "customer support hours": "during our support hours",
    "customer service hours": "during our support hours",
    "website name": "our website",
    "website": "our website",
    "website url": "our website",
    "company name": "our shop",
    "store name": "our shop",
    "live chat": "live chat",
    "customer email": "your e-mail address",
}


@dataclass(frozen=True)
class TicketFacts:
    """Details the customer stated, and only those."""

    order_number: str | None = None
    invoice_number: str | None = None
    name: str | None = None
    email: str | None = None


def extract_facts(ticket: str) -> TicketFacts:
    """Pull order/invoice numbers, a self-introduced name and an e-mail from the ticket."""
    order = _ORDER_RE.search(ticket)
    invoice = _INVOICE_RE.search(ticket)
    bare = _BARE_ID_RE.search(ticket)
    name = _NAME_RE.search(ticket)
    emails = find_emails(ticket)
    fallback = bare.group(1) if bare else None
    return TicketFacts(
        order_number=order.group(1) if order else (None if invoice else fallback),
        invoice_number=invoice.group(1) if invoice else (None if order else fallback),
        name=name.group(1) if name else None,
        email=emails[0].value if emails else None,
    )


def _key(label: str) -> str:
    return " ".join(label.lower().replace("_", " ").split())


def fill_template(
    answer: str, ticket: str, *, facts: Mapping[str, str] | None = None
) -> str:
    """Replace ``{{Placeholder}}``s: ticket facts first, then shop facts, then neutral text.

    ``facts`` are shop-level values keyed by placeholder name (e.g. ``Customer Support Phone
    Number``); unknown placeholders that look like UI labels ({{Order Details}}) keep the label.
    """
    found = extract_facts(ticket)
    shop = {_key(k): v for k, v in (facts or {}).items()}
    personal: dict[str, str | None] = {}
    for keys, value in ((_ORDER_KEYS, found.order_number),
                        (_INVOICE_KEYS, found.invoice_number or found.order_number),
                        (_NAME_KEYS, found.name), (_EMAIL_KEYS, found.email)):
        personal.update(dict.fromkeys(keys, value))
    if not found.order_number and not found.invoice_number:
        # "cancel order {{Order Number}}" reads better as "cancel your order" than with a filler.
        answer = _NUMBER_AFTER_NOUN_RE.sub(lambda m: f"your {m.group(1)}", answer)

    def replace(match: re.Match[str]) -> str:
        phrase = _value(match)
        # "your {{Website Name}} account" → "your website account", not "your our website".
        before = answer[max(0, match.start() - 6):match.start()].lower()
        if phrase.startswith(("our ", "your ")) and re.search(r"\b(?:our|your|the|a)\s$", before):
            return phrase.split(" ", 1)[1]
        return phrase

    def _value(match: re.Match[str]) -> str:
        key = _key(match.group(1))
        if personal.get(key):
            return str(personal[key])
        if key in shop:
            return shop[key]
        if key in _NAME_KEYS:
            return ""
        if key in _ORDER_KEYS:
            return NEUTRAL["order number"]
        if key in _INVOICE_KEYS:
            return NEUTRAL["invoice number"]
        return NEUTRAL.get(key, match.group(1).strip())

    text = _PLACEHOLDER_RE.sub(replace, answer)
    text = re.sub(r"[ \t]+([,.!?;:])", r"\1", text)  # "Hello {{Customer Name}}," → "Hello,"
    return re.sub(r"[ \t]{2,}", " ", text)
