"""The generation interface both legs (local SLM, hosted LLM) implement."""

from __future__ import annotations

from typing import Protocol

from router.domain import Draft

Message = dict[str, str]


class BackendError(RuntimeError):
    """A model call failed; the pipeline escalates the ticket with this message as reason."""


class Backend(Protocol):
    name: str

    @property
    def model(self) -> str: ...

    def generate(self, messages: list[Message]) -> Draft: ...
