"""Help Scout Mailbox API 2.0 calls, with OAuth2 client-credentials tokens refreshed on expiry.

The token is fetched on first use, cached until shortly before ``expires_in`` runs out, and
fetched again when the API answers 401 (revoked or expired early) — once per call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from connectors.base import DeliveryResult, UpstreamError
from connectors.helpscout.schemas import Conversation, Thread
from connectors.helpscout.settings import HelpScoutSettings
from connectors.http import (
    RetryPolicy,
    VendorClient,
    VendorUnavailable,
    result_of,
    retry_after_seconds,
)

NOT_CONFIGURED = ("Help Scout API not configured: set DESKROUTE_HELPSCOUT_APP_ID and "
                  "DESKROUTE_HELPSCOUT_APP_SECRET")
REFRESH_MARGIN = 60.0


def _resource_id(resp: httpx.Response) -> str | None:
    return resp.headers.get("resource-id")


class HelpScoutClient:
    def __init__(self, settings: HelpScoutSettings,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not (settings.app_id and settings.app_secret):
            raise LookupError(NOT_CONFIGURED)
        self.settings = settings
        self.http = VendorClient("helpscout", settings.base_url,
                                 timeout=settings.timeout_seconds, retry=settings.retry_policy(),
                                 headers={"accept": "application/json"})
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()  # the token
        self._me: str | None = None
        self._me_lock = threading.Lock()  # one /users/me call at a time (it takes ``_lock``)

    # --- OAuth2 ---------------------------------------------------------------------------------

    def _fetch_token(self) -> DeliveryResult:
        s = self.settings
        assert s.app_secret is not None  # checked in __init__
        try:
            resp = self.http.request(
                "POST", s.oauth_token_url, idempotent=True,
                data={"grant_type": "client_credentials", "client_id": s.app_id or "",
                      "client_secret": s.app_secret.get_secret_value()})
        except VendorUnavailable as exc:
            return DeliveryResult(ok=False, error=f"oauth token: {exc}", retryable=True)
        if not resp.is_success:
            failed = result_of(resp, what="helpscout oauth token")
            return failed
        data = resp.json()
        with self._lock:
            self._token = str(data["access_token"])
            self._expires = self._clock() + float(data.get("expires_in", 7200)) - REFRESH_MARGIN
        return DeliveryResult(ok=True, status_code=resp.status_code)

    def _bearer(self, refresh: bool = False) -> tuple[dict[str, str] | None, DeliveryResult]:
        with self._lock:
            fresh = self._token is not None and self._clock() < self._expires and not refresh
            token = self._token
        if not fresh:
            got = self._fetch_token()
            if not got.ok:
                return None, got
            with self._lock:
                token = self._token
        return {"authorization": f"Bearer {token}"}, DeliveryResult(ok=True)

    def _send(self, method: str, path: str, *, json: Any = None,
              params: dict[str, Any] | None = None,
              retry: RetryPolicy | None = None) -> httpx.Response | DeliveryResult:
        """The response (after one token refresh on 401), or why there is none."""
        for refresh in (False, True):
            headers, got = self._bearer(refresh)
            if headers is None:
                return got
            try:
                resp = self.http.request(method, path, json=json, params=params,
                                         headers=headers, retry=retry)
            except VendorUnavailable as exc:
                return DeliveryResult(ok=False, error=str(exc), retryable=True)
            if resp.status_code != 401 or refresh:
                return resp
        raise AssertionError("unreachable")  # pragma: no cover

    def deliver(self, method: str, path: str, json: Any, what: str) -> DeliveryResult:
        resp = self._send(method, path, json=json)
        if isinstance(resp, DeliveryResult):
            return resp
        return result_of(resp, what=f"helpscout {what}", ref=_resource_id(resp))

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        resp = self._send("GET", path, params=params, retry=self.http.impatient())
        if isinstance(resp, DeliveryResult):
            raise UpstreamError(resp.error or "helpscout unavailable", resp.retry_after)
        if resp.status_code == 404:
            return None
        if not resp.is_success:
            raise UpstreamError(f"helpscout GET {path} answered {resp.status_code}",
                                retry_after_seconds(resp))
        return resp.json()

    # --- calls ------------------------------------------------------------------------------

    def my_user_id(self) -> str:
        """The user the app's token acts as (``GET /v2/users/me``, "Get Resource Owner"): the
        author of deskroute's replies unless ``DESKROUTE_HELPSCOUT_USER_ID`` says otherwise.
        Looked up once per process; a failure (``UpstreamError``) is not cached."""
        with self._me_lock:
            if self._me is None:
                data = self.get_json("/v2/users/me")
                found = data.get("id") if isinstance(data, dict) else None
                if found is None:
                    raise UpstreamError("helpscout GET /v2/users/me answered no user id")
                self._me = str(found)
            return self._me

    def conversation(self, conv: str) -> Conversation | None:
        data = self.get_json(f"/v2/conversations/{conv}")
        return None if data is None else Conversation.model_validate(data)

    def threads(self, conv: str) -> list[Thread]:
        data = self.get_json(f"/v2/conversations/{conv}/threads") or {}
        return [Thread.model_validate(t) for t in (data.get("_embedded") or {}).get("threads", [])]

    def reply(self, conv: str, customer_id: str, text: str) -> DeliveryResult:
        body: dict[str, Any] = {"customer": {"id": int(customer_id) if customer_id.isdigit()
                                             else customer_id}, "text": text}
        if self.settings.reply_status:
            body["status"] = self.settings.reply_status
        if self.settings.user_id:
            body["user"] = int(self.settings.user_id) if self.settings.user_id.isdigit() \
                else self.settings.user_id
        return self.deliver("POST", f"/v2/conversations/{conv}/reply", body, "reply")

    def note(self, conv: str, text: str) -> DeliveryResult:
        return self.deliver("POST", f"/v2/conversations/{conv}/notes", {"text": text}, "note")

    def patch(self, conv: str, path: str, value: Any) -> DeliveryResult:
        return self.deliver("PATCH", f"/v2/conversations/{conv}",
                            {"op": "replace", "path": path, "value": value}, f"update {path}")

    def set_tags(self, conv: str, tags: list[str]) -> DeliveryResult:
        """``PUT …/tags`` replaces every tag: callers pass the current ones too."""
        return self.deliver("PUT", f"/v2/conversations/{conv}/tags", {"tags": tags}, "tags")
