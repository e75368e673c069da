"""The one typed interface covering every call the core makes to a channel.

Connectors import only ``router.domain`` and this module. Fakes implement it too.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

from router.domain import InboundTicket, OutgoingReply


class SignatureError(Exception):
    """The request is not authentic (unsigned, forged or replayed): answer 401."""


class PayloadError(Exception):
    """The payload is malformed: answer 422 naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    retryable: bool = False


class Connector(ABC):
    """A channel: verifies and parses inbound webhooks, delivers replies and escalations."""

    name: str = "base"

    @abstractmethod
    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise ``SignatureError`` unless the raw body is authentic."""

    @abstractmethod
    def parse(self, body: bytes) -> InboundTicket:
        """Raise ``PayloadError`` for a malformed payload."""

    @abstractmethod
    def reply(self, reply: OutgoingReply) -> DeliveryResult:
        """Send the answer to the customer."""

    @abstractmethod
    def escalate(self, reply: OutgoingReply) -> DeliveryResult:
        """Hand the ticket to a human (an internal note with the reasons)."""
