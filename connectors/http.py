"""The one way connectors call a vendor API: timeouts, 429 ``Retry-After``, jittered back-off.

Why here and not in each connector: the four helpdesks fail the same ways (rate limits, 5xx,
timeouts) and the core must see the same ``DeliveryResult`` from each. Short waits are spent
inside the call; a wait longer than ``max_inline_wait`` is handed back as ``retry_after`` so
the worker re-queues the delivery instead of sleeping. A request that may have reached the
vendor (a read timeout on a POST) is not re-sent inline: it could post the reply twice.

Secrets never reach a log line or a stored error: auth travels in headers set by an
``httpx.Auth``, errors name the method, path and status only, and vendor error bodies are
cut short.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings

from connectors.base import DeliveryResult, UpstreamError

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # tries inside one call
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_inline_wait: float = 10.0  # a longer Retry-After goes back to the worker


class VendorHTTPSettings(BaseSettings):
    """What every vendor's settings class shares (``DESKROUTE_<VENDOR>_TIMEOUT_SECONDS``, ...)."""

    timeout_seconds: float = Field(default=10.0, gt=0)
    retry_attempts: int = Field(default=3, ge=1, le=10)  # tries inside one call
    retry_backoff_seconds: float = Field(default=0.5, ge=0)
    retry_max_wait_seconds: float = Field(default=10.0, ge=0)  # longer waits go to the worker

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(attempts=self.retry_attempts, base_delay=self.retry_backoff_seconds,
                           max_delay=max(self.retry_backoff_seconds * 16, 0.0),
                           max_inline_wait=self.retry_max_wait_seconds)


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential back-off with "equal jitter": half fixed, half random, never above ``cap``.

    ``attempt`` counts from 1. Jitter keeps many workers from retrying in lock-step after an
    outage.
    """
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def retry_after_seconds(resp: httpx.Response, now: float | None = None) -> float | None:
    """Seconds the vendor asked us to wait: ``Retry-After`` (seconds or an HTTP date), Help
    Scout's ``X-RateLimit-Retry-After``, or Intercom's ``X-RateLimit-Reset`` (epoch seconds)."""
    current = time.time() if now is None else now
    for header in ("retry-after", "x-ratelimit-retry-after"):
        raw = resp.headers.get(header)
        if not raw:
            continue
        raw = raw.strip()
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            continue
        return max(0.0, when.timestamp() - current)
    reset = resp.headers.get("x-ratelimit-reset")
    if resp.status_code == 429 and reset:
        try:
            value = float(reset)
        except ValueError:
            return None
        return max(0.0, value - current) if value > 1e9 else max(0.0, value)
    return None


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def json_id(resp: httpx.Response) -> str | None:
    """``ref_of`` for vendors that answer the created object: its ``id``."""
    data = resp.json() if resp.content else None
    return str(data["id"]) if isinstance(data, dict) and data.get("id") is not None else None


def result_of(resp: httpx.Response, *, what: str, ref: str | None = None) -> DeliveryResult:
    """A vendor answer as the core sees it; 429/5xx are retryable, other 4xx are not."""
    if resp.is_success:
        return DeliveryResult(ok=True, status_code=resp.status_code, vendor_ref=ref)
    retry_after = retry_after_seconds(resp) if resp.status_code in (429, 503) else None
    return DeliveryResult(
        ok=False, status_code=resp.status_code,
        error=f"{what} answered {resp.status_code}: {_short(resp.text)}",
        retryable=resp.status_code in RETRYABLE_STATUS, retry_after=retry_after,
    )


class VendorUnavailable(Exception):
    """No HTTP answer at all (connection refused, timeout) after the inline retries."""


class VendorClient:
    """An ``httpx.Client`` for one vendor: base URL, auth, timeouts and the retry policy."""

    def __init__(
        self, name: str, base_url: str, *, auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None, timeout: float = 10.0,
        retry: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), auth=auth, headers=dict(headers or {}),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        )

    def close(self) -> None:
        self._http.close()

    def request(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None,
        idempotent: bool | None = None, headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None, retry: RetryPolicy | None = None,
    ) -> httpx.Response:
        """Send with inline retries; raise ``VendorUnavailable`` when nothing answered."""
        idempotent = method in ("GET", "HEAD") if idempotent is None else idempotent
        policy = retry or self.retry
        for attempt in range(1, policy.attempts + 1):
            last = attempt == policy.attempts
            try:
                resp = self._http.request(method, path, json=json, params=params,
                                          headers=headers, data=data)
            except httpx.TransportError as exc:
                # A connect failure never reached the vendor; a read timeout on a POST may have.
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                why = f"{self.name} {method} {path}: {type(exc).__name__}"
                if last or not (never_sent or idempotent):
                    raise VendorUnavailable(why) from None
                log.warning("%s; retrying (attempt %d of %d)", why, attempt, policy.attempts)
                self._sleep(backoff_delay(attempt, policy.base_delay, policy.max_delay, self._rng))
                continue
            if resp.status_code not in RETRYABLE_STATUS or last:
                return resp
            wait = retry_after_seconds(resp)
            if wait is None:
                wait = backoff_delay(attempt, policy.base_delay, policy.max_delay, self._rng)
            elif wait > policy.max_inline_wait:
                return resp  # the worker waits, not this thread
            log.warning("%s %s %s answered %d; retrying in %.1f s (attempt %d of %d)",
                        self.name, method, path, resp.status_code, wait, attempt, policy.attempts)
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def deliver(
        self, method: str, path: str, *, json: Any = None, what: str,
        ref_of: Callable[[httpx.Response], str | None] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> DeliveryResult:
        """One outbound call as a ``DeliveryResult`` (never raises for a vendor failure).

        ``ref_of`` reads the id of what the vendor created from its answer.
        """
        try:
            resp = self.request(method, path, json=json, headers=headers)
        except VendorUnavailable as exc:
            return DeliveryResult(ok=False, error=str(exc), retryable=True)
        ref = None
        if resp.is_success and ref_of is not None:
            try:
                ref = ref_of(resp)
            except (ValueError, KeyError, TypeError, AttributeError):
                ref = None
        return result_of(resp, what=f"{self.name} {what}", ref=ref)

    def impatient(self) -> RetryPolicy:
        """For reads while a webhook waits for its answer: at most 2 tries and 1 s of waiting
        (the vendor gets a 503 with Retry-After and redelivers, instead of timing out)."""
        return replace(self.retry, attempts=min(self.retry.attempts, 2),
                       max_inline_wait=min(self.retry.max_inline_wait, 1.0))

    def get_json(self, path: str, params: Mapping[str, Any] | None = None, *,
                 headers: Mapping[str, str] | None = None) -> Any:
        """GET for a parse (fetching a comment's text). None for 404 (the thing is gone);
        any other failure becomes ``UpstreamError`` (503: the vendor redelivers later)."""
        try:
            resp = self.request("GET", path, params=params, headers=headers,
                                retry=self.impatient())
        except VendorUnavailable as exc:
            raise UpstreamError(str(exc)) from None
        if resp.status_code == 404:
            return None
        if not resp.is_success:
            raise UpstreamError(
                f"{self.name} GET {path} answered {resp.status_code}",
                retry_after=retry_after_seconds(resp),
            )
        try:
            return resp.json()
        except ValueError as exc:
            raise UpstreamError(f"{self.name} GET {path} answered invalid JSON") from exc
