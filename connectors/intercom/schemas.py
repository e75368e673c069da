"""What deskroute reads from Intercom's ``notification_event`` webhooks (API 2.x shapes; the
1.x ``conversation_message`` is read too)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

_LOOSE = ConfigDict(extra="ignore", coerce_numbers_to_str=True)
CUSTOMER_TYPES = frozenset({"user", "lead", "contact"})


class Author(BaseModel):
    model_config = _LOOSE
    type: str | None = None  # user | lead | contact | admin | bot | team
    id: str | None = None
    email: str | None = None
    name: str | None = None


class Source(BaseModel):
    model_config = _LOOSE
    id: str | None = None
    subject: str | None = None
    body: str | None = None
    author: Author = Field(default_factory=Author)


class Part(BaseModel):
    model_config = _LOOSE
    id: str
    part_type: str | None = None
    body: str | None = None
    author: Author = Field(default_factory=Author)


class PartList(BaseModel):
    model_config = _LOOSE
    conversation_parts: list[Part] = Field(default_factory=list)


class Rating(BaseModel):
    """``conversation_rating`` on the Conversation (developers.intercom.com, Conversation Rating
    model: ``rating`` an integer 1..5, ``remark``, ``created_at`` when it was requested,
    ``updated_at`` when it last changed)."""

    model_config = _LOOSE
    rating: int | None = None
    remark: str | None = None
    created_at: int | None = None
    updated_at: int | None = None


class Conversation(BaseModel):
    model_config = _LOOSE
    id: str = Field(min_length=1, max_length=64)
    source: Source | None = None
    conversation_parts: PartList = Field(default_factory=PartList)
    conversation_rating: Rating | None = None
    updated_at: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _v1_message(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and raw.get("source") is None and raw.get("conversation_message"):
            return {**raw, "source": raw["conversation_message"]}
        return raw


class NotificationData(BaseModel):
    model_config = _LOOSE
    item: dict[str, Any] = Field(default_factory=dict)


class Notification(BaseModel):
    model_config = _LOOSE
    type: str
    id: str | None = None
    topic: str = Field(min_length=1)
    data: NotificationData = Field(default_factory=NotificationData)
