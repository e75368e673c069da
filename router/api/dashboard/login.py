"""The login form (admin token → session cookie) and logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from router.api.dashboard.render import page
from router.api.session_auth import (
    COOKIE,
    TTL_SECONDS,
    admin_token,
    new_session,
    require_same_origin,
    safe_next,
    token_matches,
)

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/dashboard") -> HTMLResponse:
    return page(request, "login.html", {"next": safe_next(next), "error": None,
                                        "open": not admin_token(request)})


@router.post("/login")
def login(request: Request, token: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/dashboard") -> Response:
    """A wrong token re-shows the form with 401; the right one sets the session cookie."""
    require_same_origin(request)
    given, target = token.strip(), safe_next(next)
    expected = admin_token(request)
    if expected and not token_matches(expected, given):
        return page(request, "login.html", {"next": target, "error": "That token is not "
                                            "DESKROUTE_ADMIN_TOKEN.", "open": False},
                    status=401)
    resp = RedirectResponse(target, status_code=303)
    if expected:
        resp.set_cookie(COOKIE, new_session(expected), max_age=TTL_SECONDS, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    return resp


@router.post("/logout")
def logout(request: Request) -> Response:
    require_same_origin(request)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp
