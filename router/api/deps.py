"""Request-scoped dependencies: a session per request (committed at the boundary), auth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from connectors.webhook_auth import same
from router.api.schemas import ErrorOut
from router.settings import APISettings

# Query parameters that would put a credential in URLs, and so in access logs and proxies.
TOKEN_PARAMS = frozenset({"token", "access_token", "admin_token", "api_key", "apikey",
                          "auth", "authorization", "bearer"})
ADMIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "a token sent in the query string"},
    401: {"model": ErrorOut, "description": "missing or wrong admin token"},
}
_bearer = HTTPBearer(
    auto_error=False,
    description="DESKROUTE_ADMIN_TOKEN as `Authorization: Bearer <token>` (required when set)",
)


def get_session(request: Request) -> Iterator[Session]:
    session: Session = request.app.state.sessions()
    try:
        yield session
    finally:
        session.close()


def require_admin(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> None:
    """``Authorization: Bearer DESKROUTE_ADMIN_TOKEN`` when one is set (set it beyond a laptop).

    A token in the query string is refused whether or not one is configured: URLs end up in
    access logs, proxy logs and browser history.
    """
    if TOKEN_PARAMS.intersection(k.lower() for k in request.query_params):
        raise HTTPException(
            status_code=400,
            detail="send the admin token as 'Authorization: Bearer <token>', never in the URL",
        )
    settings: APISettings = request.app.state.api_settings
    token = settings.admin_token
    if not token:
        return
    given = credentials.credentials if credentials is not None else ""
    if credentials is None or credentials.scheme.lower() != "bearer" \
            or not same(given, token):
        raise HTTPException(
            status_code=401,
            detail="missing or wrong admin token (send 'Authorization: Bearer <token>')",
            headers={"WWW-Authenticate": "Bearer"},
        )


def invalid(loc: tuple[str, ...], message: str) -> RequestValidationError:
    """A 422 in FastAPI's documented shape (``detail[].loc/msg/type``) for a check made in
    a handler, so every 422 of an endpoint matches its schema."""
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": message}])
