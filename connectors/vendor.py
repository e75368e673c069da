"""Plumbing the four helpdesk connectors share, so each file holds only its vendor's rules.

A vendor connector owns its settings and one lazily built API client (one per process: the
registry caches connectors). Calls go through :meth:`VendorConnector.deliver_with` (outbound:
never raises, a missing credential is a non-retryable failure naming the settings) or
:meth:`VendorConnector.read_with` (inbound reads: a failure is ``UpstreamError``, answered 503
so the vendor redelivers).
"""

from __future__ import annotations

import json
import threading
from abc import abstractmethod
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings

from connectors.base import Connector, DeliveryResult, PayloadError, UpstreamError

SettingsT = TypeVar("SettingsT", bound=BaseSettings)
ClientT = TypeVar("ClientT")
ModelT = TypeVar("ModelT", bound=BaseModel)


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError("body", f"not valid JSON: {exc}") from exc


def validated(model: type[ModelT], raw: Any) -> ModelT:
    """``model`` from ``raw``, or ``PayloadError`` naming the first bad field."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise PayloadError(".".join(str(p) for p in err["loc"]) or "body", err["msg"]) from exc


class VendorConnector(Connector, Generic[SettingsT, ClientT]):
    def __init__(self, settings: SettingsT | None = None) -> None:
        assert self.settings_class is not None
        self.settings: SettingsT = settings or self.settings_class()  # type: ignore[assignment]
        self._client: ClientT | None = None
        self._client_lock = threading.Lock()

    @abstractmethod
    def make_client(self) -> ClientT:
        """Build the API client; ``LookupError`` naming the settings when credentials lack."""

    @property
    def client(self) -> ClientT:
        with self._client_lock:
            if self._client is None:
                self._client = self.make_client()
            return self._client

    def deliver_with(self, call: Callable[[ClientT], DeliveryResult]) -> DeliveryResult:
        try:
            client = self.client
        except LookupError as exc:
            return DeliveryResult(ok=False, error=str(exc))
        try:
            return call(client)
        except UpstreamError as exc:  # a read the delivery needed (current tags, customer)
            return DeliveryResult(ok=False, error=str(exc), retryable=True,
                                  retry_after=exc.retry_after)

    def read_with(self, call: Callable[[ClientT], Any]) -> Any:
        try:
            client = self.client
        except LookupError as exc:
            raise UpstreamError(str(exc)) from None
        return call(client)
