"""A hosted LLM on loopback: an OpenAI-compatible ``POST /v1/chat/completions`` (the shape
litellm's ``openai/`` provider speaks) that answers at once, or fails on demand (``status``
500: a provider outage) — the seam through which a test makes the hosted model call fail."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.helpers_http import free_port

ANSWER = ("Thanks for your message. A member of our team will look into this and get back "
          "to you shortly.")


class ChatStandIn:
    def __init__(self, answer: str = ANSWER) -> None:
        self.status = 200
        self.calls = 0
        self.bodies: list[dict[str, Any]] = []  # each request's JSON, as litellm sent it
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.bodies.append(json.loads(raw or b"{}"))
                outer.calls += 1
                status = outer.status
                body: dict[str, Any] = {"error": {"message": "stand-in outage",
                                                  "type": "server_error"}}
                if status == 200:
                    body = {"id": f"chatcmpl-{outer.calls}", "object": "chat.completion",
                            "created": int(time.time()), "model": "standin",
                            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                                "role": "assistant", "content": answer}}],
                            "usage": {"prompt_tokens": 50, "completion_tokens": 20,
                                      "total_tokens": 70}}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.api_base = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def env(self) -> dict[str, str]:
        """The settings that point deskroute's hosted leg here (no retries: a failure is
        one failed call, which the breaker counts)."""
        return {"DESKROUTE_LLM_MODEL": "openai/standin", "DESKROUTE_LLM_API_BASE": self.api_base,
                "DESKROUTE_LLM_RETRIES": "0", "DESKROUTE_LLM_TIMEOUT": "10",
                "OPENAI_API_KEY": "sk-standin"}

    def __enter__(self) -> ChatStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
