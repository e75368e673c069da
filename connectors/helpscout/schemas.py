"""What deskroute reads from Help Scout webhooks (v2 Conversation object, v2 Rating object) and
threads (developer.helpscout.com/webhooks: each event's body is the object its table names)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_LOOSE = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class Person(BaseModel):
    model_config = _LOOSE
    id: str | None = None
    type: str | None = None  # customer | user
    email: str | None = None
    first: str | None = None
    last: str | None = None


class Thread(BaseModel):
    model_config = _LOOSE
    id: str
    type: str | None = None  # customer | message (agent reply) | note | lineitem | chat | phone
    body: str | None = None  # HTML
    createdBy: Person = Field(default_factory=Person)  # noqa: N815 - Help Scout's field name
    createdAt: str | None = None  # noqa: N815

    @property
    def order(self) -> tuple[str, int]:
        return (self.createdAt or "", int(self.id) if self.id.isdigit() else 0)


class Embedded(BaseModel):
    model_config = _LOOSE
    threads: list[Thread] = Field(default_factory=list)


class Tag(BaseModel):
    model_config = _LOOSE
    id: str | None = None
    tag: str | None = None


class Conversation(BaseModel):
    model_config = _LOOSE
    id: str = Field(min_length=1, max_length=32)
    subject: str | None = None
    createdBy: Person = Field(default_factory=Person)  # noqa: N815
    primaryCustomer: Person = Field(default_factory=Person)  # noqa: N815
    tags: list[Tag] = Field(default_factory=list)
    embedded: Embedded | None = Field(default=None, alias="_embedded")
    status: str | None = None  # active | pending | closed | spam (``convo.status``)
    closedAt: str | None = None  # noqa: N815
    closedBy: str | None = None  # noqa: N815 - the user id who closed it
    userUpdatedAt: str | None = None  # noqa: N815


class Rating(BaseModel):
    """The ``satisfaction.ratings`` body (developer.helpscout.com/webhooks/objects/rating):
    ``ticketId`` is the conversation id, ``rating`` one of Great, Okay, Bad."""

    model_config = _LOOSE
    id: str = Field(min_length=1, max_length=32)
    ticketId: str = Field(min_length=1, max_length=32)  # noqa: N815
    threadId: str | None = None  # noqa: N815
    rating: str
    comments: str | None = None
    createdAt: str | None = None  # noqa: N815
    modifiedAt: str | None = None  # noqa: N815
