"""A fake vendor API: a real HTTP server on 127.0.0.1 with routes, auth, recording and faults.

Each vendor fake (zendesk.py, freshdesk.py, ...) registers the documented endpoints it serves
and checks the documented auth; tests read ``requests`` and the fake's state, and inject
faults (``fail_next``: a status with headers, or a delay past the client's timeout).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.helpers_http import free_port


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a timeout when above the client's)
    body: Any = None
    only: str | None = None  # regex on "METHOD /path": faults apply to matching calls only


Handler = Callable[[Request, re.Match[str]], Response]


class FakeVendor:
    name = "fake"

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.faults: deque[Fault] = deque()
        self.lock = threading.RLock()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                req = Request(self.command, url.path, parse_qs(url.query),
                              {k.lower(): v for k, v in self.headers.items()}, raw)
                ctype = req.headers.get("content-type", "")
                if raw and "json" in ctype:
                    try:
                        req.json = json.loads(raw)
                    except ValueError:
                        req.json = None
                resp = outer.dispatch(req)
                payload = b"" if resp.body is None else (
                    resp.body if isinstance(resp.body, bytes) else json.dumps(resp.body).encode())
                try:
                    self.send_response(resp.status)
                    if payload:
                        self.send_header("content-type", "application/json")
                    for k, v in resp.headers.items():
                        self.send_header(k, v)
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> FakeVendor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- routing --------------------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def authorized(self, req: Request) -> bool:  # vendors override
        return True

    def unauthorized(self) -> Response:
        return Response(401, {"error": "Couldn't authenticate you"})

    def dispatch(self, req: Request) -> Response:
        with self.lock:
            self.requests.append(req)
            fault = self._take_fault(req)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            return Response(fault.status, fault.body or {"error": "injected fault"},
                            fault.headers)
        if not self.authorized(req):
            return self.unauthorized()
        for method, pattern, handler in self._routes:
            match = pattern.match(req.path)
            if match and method == req.method:
                with self.lock:
                    return handler(req, match)
        return Response(404, {"error": "RecordNotFound", "path": req.path})

    def _take_fault(self, req: Request) -> Fault | None:
        for i, fault in enumerate(self.faults):
            if fault.only is None or re.search(fault.only, f"{req.method} {req.path}"):
                del self.faults[i]
                return fault
        return None

    def fail_next(self, count: int = 1, **fault: Any) -> None:
        for _ in range(count):
            self.faults.append(Fault(**fault))

    # --- reading what happened ------------------------------------------------------------------

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        with self.lock:
            return [r for r in self.requests
                    if (method is None or r.method == method)
                    and (path is None or re.search(path, r.path))]
