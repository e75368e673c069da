"""Real HTTP servers on 127.0.0.1 for tests: a recording callback receiver and a proxy."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RecordingServer:
    """Answers every POST with ``status`` and keeps (path, headers, body) of each request."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = status
        self.headers: dict[str, str] = {}  # extra response headers (e.g. Retry-After)
        self.on_request: Any = None  # called with each request once recorded (a fault hook)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                req = {"path": self.path, "headers": dict(self.headers), "body": body,
                       "status": outer.status}
                outer.requests.append(req)
                if outer.on_request is not None:
                    outer.on_request(req)
                status = req["status"]
                self.send_response(status)
                self.send_header("content-type", "application/json")
                for name, value in outer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ok_requests(self) -> list[dict[str, Any]]:
        """The requests answered 2xx (what a receiver accepted)."""
        return [r for r in self.requests if 200 <= r["status"] < 300]

    def json_bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests]


class CapturingProxy:
    """Forwards every request to ``upstream`` and records the request bodies it saw."""

    def __init__(self, upstream: str) -> None:
        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []  # each request's headers, in order
        outer = self
        self.upstream = upstream.rstrip("/")

        class Handler(BaseHTTPRequestHandler):
            def _forward(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.bodies.append(body)
                outer.headers.append(dict(self.headers))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in {"host", "content-length"}}
                resp = httpx.request(method, outer.upstream + self.path, content=body,
                                     headers=headers, timeout=300)
                self.send_response(resp.status_code)
                self.send_header("content-type", resp.headers.get("content-type", "text/plain"))
                self.send_header("content-length", str(len(resp.content)))
                self.end_headers()
                self.wfile.write(resp.content)

            def do_POST(self) -> None:  # noqa: N802
                self._forward("POST")

            def do_GET(self) -> None:  # noqa: N802
                self._forward("GET")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CapturingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def stop_process(proc: Any, timeout: float = 20) -> None:
    """Terminate a child process, killing it if it does not exit in time."""
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextmanager
def running_app(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port (lifespan on); yields the base
    URL. Real sockets, so client timeouts apply (TestClient has none)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(),
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(400):
        if server.started:
            break
        threading.Event().wait(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def wait_ready(base: str, *, seconds: float = 120,
               why: Callable[[], str] | None = None) -> None:
    """Poll ``base``/readyz until it answers 200. ``why`` is asked after each miss: what it
    returns (e.g. the end of the server's log) goes into the RuntimeError raised after
    ``seconds``, and it may raise itself to stop early (a server process that exited)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        detail = why() if why else ""
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base} did not become ready: {detail}")
        time.sleep(0.3)
