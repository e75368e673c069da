"""What deskroute reads from Freshdesk: its own webhook body and the v2 REST resources."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_LOOSE = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class RuleWebhook(BaseModel):
    """The body the README asks an automation rule to send (``Content: Advanced``).

    ``{"ticket_id": "{{ticket.id}}", "event": "created"}`` on the ticket-creation rule,
    ``"event": "replied"`` on the rule for customer replies, ``"event": "status"`` on a rule
    for status changes and ``"event": "rating"`` on the rule "Customer feedback is received"
    (the status and the rating are read from the API). Freshdesk's "Simple" content
    (``{"freshdesk_webhook": {"ticket_id": …}}``) is read too.
    """

    model_config = _LOOSE
    ticket_id: str = Field(min_length=1, max_length=32, pattern=r"^\d+$")
    event: Literal["created", "replied", "status", "rating"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and isinstance(raw.get("freshdesk_webhook"), dict):
            return raw["freshdesk_webhook"]
        return raw


class Requester(BaseModel):
    model_config = _LOOSE
    email: str | None = None
    name: str | None = None


class ApiTicket(BaseModel):
    model_config = _LOOSE
    id: str
    subject: str | None = None
    description: str | None = None  # HTML
    description_text: str | None = None
    requester_id: str | None = None
    requester: Requester | None = None
    tags: list[str] = Field(default_factory=list)
    group_id: str | None = None
    status: int | None = None  # 2 Open, 3 Pending, 4 Resolved, 5 Closed (custom ones above)
    updated_at: str | None = None


class SatisfactionRating(BaseModel):
    """One survey answer (developers.freshdesk.com/api, Satisfaction Ratings): ``ratings``
    maps each question to a code, ``default_question`` the main one — 103 Extremely happy,
    102 Very happy, 101 Happy, 100 Neutral, -101 Unhappy, -102 Very unhappy, -103 Extremely
    unhappy (the classic three-point survey uses 103, 100, -103)."""

    model_config = _LOOSE
    id: str
    ratings: dict[str, int] = Field(default_factory=dict)
    feedback: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class Conversation(BaseModel):
    model_config = _LOOSE
    id: str
    body: str | None = None  # HTML, quoted history included
    body_text: str | None = None
    incoming: bool = False  # True: from the customer
    private: bool = False  # True: a private note
    user_id: str | None = None
