"""Request-scoped dependencies: a session per request (committed at the boundary), auth."""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from fastapi import Header, HTTPException, Request
from sqlalchemy.orm import Session

from router.settings import APISettings


def get_session(request: Request) -> Iterator[Session]:
    session: Session = request.app.state.sessions()
    try:
        yield session
    finally:
        session.close()


def require_admin(request: Request, authorization: str | None = Header(default=None)) -> None:
    """Bearer ``DESKROUTE_ADMIN_TOKEN`` when one is set (always set it beyond a laptop)."""
    settings: APISettings = request.app.state.api_settings
    token = settings.admin_token
    if not token:
        return
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given, token):
        raise HTTPException(status_code=401, detail="missing or wrong admin token")
