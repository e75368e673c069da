"""Browser sessions for the dashboard: the admin token, once, in exchange for a cookie.

Tools send ``Authorization: Bearer <DESKROUTE_ADMIN_TOKEN>``; people type the token into the
login form and get an HttpOnly, SameSite=Strict cookie holding an expiry and an HMAC of it
keyed by the admin token (nothing to store server-side; changing the token logs everyone
out). Form posts made with the cookie must come from the dashboard's own origin.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from connectors.webhook_auth import same
from router.settings import APISettings

COOKIE = "deskroute_session"
TTL_SECONDS = 12 * 3600


def _sign(token: str, expires: int) -> str:
    return hmac.new(token.encode(), f"deskroute-session:{expires}".encode(),
                    hashlib.sha256).hexdigest()


def new_session(token: str, now: float | None = None) -> str:
    expires = int((now or time.time()) + TTL_SECONDS)
    return f"{expires}.{_sign(token, expires)}"


def valid_session(token: str, value: str | None, now: float | None = None) -> bool:
    if not value or "." not in value:
        return False
    raw, sig = value.split(".", 1)
    if not (raw.isascii() and raw.isdigit()) or int(raw) < (now or time.time()):
        return False
    return same(sig, _sign(token, int(raw)))  # a non-ASCII cookie is unequal, not a 500


def token_matches(token: str, given: str) -> bool:
    return same(given, token)


def admin_token(request: Request) -> str | None:
    settings: APISettings = request.app.state.api_settings
    return settings.admin_token


def is_admin(request: Request) -> bool:
    """Bearer token or a valid session cookie; everything is open when no token is set."""
    token = admin_token(request)
    if not token:
        return True
    bearer = request.headers.get("authorization", "")
    if bearer.startswith("Bearer ") and token_matches(token, bearer.removeprefix("Bearer ")
                                                      .strip()):
        return True
    return valid_session(token, request.cookies.get(COOKIE))


class LoginRequired(Exception):
    """A page asked for without a session: the app answers with a redirect to the form."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def require_page_admin(request: Request) -> None:
    """Dashboard pages: a browser without a session is sent to the login form, htmx
    fragments and tools get 401."""
    if is_admin(request):
        return
    if request.headers.get("hx-request") or "text/html" not in request.headers.get("accept", ""):
        raise HTTPException(status_code=401, detail="missing or wrong admin token",
                            headers={"WWW-Authenticate": "Bearer"})
    raise LoginRequired(safe_next(str(request.url.path)
                                  + (f"?{request.url.query}" if request.url.query else "")))


def require_same_origin(request: Request) -> None:
    """A form post riding on the cookie must come from this site (no cross-site requests)."""
    if request.headers.get("authorization"):
        return  # a tool with the Bearer token, not a browser
    origin = request.headers.get("origin") or request.headers.get("referer") or ""
    host = request.headers.get("host", "")
    if not origin or urlsplit(origin).netloc != host:
        raise HTTPException(status_code=403, detail="cross-site form post refused")


def safe_next(value: str | None) -> str:
    """Only paths inside the dashboard: a login link cannot send anyone elsewhere."""
    if value and value.startswith("/dashboard") and "//" not in value and "\\" not in value:
        return value
    return "/dashboard"
