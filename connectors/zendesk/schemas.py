"""The parts of Zendesk's payloads deskroute reads (everything else is ignored, not refused).

Event webhooks (``zen:event-type:ticket.*``, zendesk_event_version 2022-11-06) carry ids as
strings; the REST API carries them as integers. Both are read as strings.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_LOOSE = ConfigDict(extra="ignore", coerce_numbers_to_str=True)
TICKET_CREATED = "zen:event-type:ticket.created"
COMMENT_ADDED = "zen:event-type:ticket.comment_added"
STATUS_CHANGED = "zen:event-type:ticket.status_changed"


class Via(BaseModel):
    model_config = _LOOSE
    channel: str | None = None


class TicketDetail(BaseModel):
    model_config = _LOOSE
    id: str = Field(min_length=1, max_length=64)
    actor_id: str | None = None  # who made the change (ticket events' detail)
    subject: str | None = None
    description: str | None = None
    requester_id: str | None = None
    status: str | None = None
    tags: list[str] = Field(default_factory=list)
    via: Via | None = None


class Author(BaseModel):
    model_config = _LOOSE
    id: str | None = None
    is_staff: bool = False
    name: str | None = None


class EventComment(BaseModel):
    model_config = _LOOSE
    id: str = Field(min_length=1, max_length=64)
    body: str | None = None
    is_public: bool = True
    author: Author = Field(default_factory=Author)


class EventBody(BaseModel):
    """``comment`` in comment_added events; ``current``/``previous`` in *_changed events."""

    model_config = _LOOSE
    comment: EventComment | None = None
    current: str | None = None
    previous: str | None = None


class EventWebhook(BaseModel):
    """An event-subscription webhook (Admin Center → Webhooks → "Zendesk events")."""

    model_config = _LOOSE
    id: str = Field(min_length=1, max_length=128)
    type: str
    subject: str | None = None
    time: str | None = None
    detail: TicketDetail
    event: EventBody = Field(default_factory=EventBody)

    @field_validator("event", mode="before")
    @classmethod
    def _empty_event(cls, value: Any) -> Any:
        return value or {}


class TriggerWebhook(BaseModel):
    """The body deskroute's README asks a trigger's webhook action to send:
    ``{"ticket_id": "{{ticket.id}}"}`` on a new comment, plus ``"event": "satisfaction"`` on the
    trigger for satisfaction ratings (the rating itself is read from the API)."""

    model_config = _LOOSE
    ticket_id: str = Field(min_length=1, max_length=64, pattern=r"^\d+$")
    event: Literal["comment", "satisfaction"] | None = None


# --- REST API -------------------------------------------------------------------------------


class ApiComment(BaseModel):
    model_config = _LOOSE
    id: str
    author_id: str | None = None
    body: str | None = None
    plain_body: str | None = None
    public: bool = True

    @property
    def text(self) -> str:
        return self.plain_body or self.body or ""


class ApiUser(BaseModel):
    model_config = _LOOSE
    id: str
    role: str | None = None  # end-user | agent | admin
    email: str | None = None
    name: str | None = None


class CommentPage(BaseModel):
    model_config = _LOOSE
    comments: list[ApiComment] = Field(default_factory=list)
    users: list[ApiUser] = Field(default_factory=list)
    next_page: str | None = None


class SatisfactionRating(BaseModel):
    """``satisfaction_rating`` on the REST ticket (developer.zendesk.com, Tickets: "the
    satisfaction rating of the ticket, if it exists, or the state of satisfaction"): ``score``
    is ``good`` or ``bad`` once rated, ``offered`` / ``unoffered`` before."""

    model_config = _LOOSE
    id: str | None = None
    score: str | None = None
    comment: str | None = None


class ApiTicket(BaseModel):
    model_config = _LOOSE
    id: str
    satisfaction_rating: SatisfactionRating | None = None
    subject: str | None = None
    description: str | None = None
    requester_id: str | None = None
    tags: list[str] = Field(default_factory=list)
