"""Refuse a NUL character anywhere in the URL before any handler sees it.

PostgreSQL text cannot hold NUL, so a ``?q=%00`` filter or a path segment with one reached
the database and came back as a 500 (SQLite accepted it: the stores disagreed). No
legitimate URL carries one; the answer is FastAPI's 422 shape naming the part of the URL.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send


class RefuseNulInUrl:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = _nul_in(scope)
            if where is not None:
                response = JSONResponse(status_code=422, content={"detail": [
                    {"type": "value_error", "loc": [where], "msg": "NUL character in the URL"},
                ]})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _nul_in(scope: Scope) -> str | None:
    query = bytes(scope.get("query_string") or b"")
    if b"\x00" in query or b"%00" in query.lower():
        return "query"
    path = scope.get("path") or ""
    raw = bytes(scope.get("raw_path") or b"")
    if "\x00" in path or b"%00" in raw.lower():
        return "path"
    return None
