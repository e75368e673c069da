"""Schemathesis over every operation of deskroute's OpenAPI schema, shared by the in-process
test (tests/integration/test_api_schemathesis.py, a TestClient) and the ``make fault`` case
``schemathesis`` (the live stack over real HTTP): both are ``httpx.Client``\\ s.

Each operation runs Schemathesis' coverage phase (boundary values, missing and malformed
parameters, wrong types and methods) and its fuzzing phase, with schema-valid and schema-
violating data, either with valid credentials (each intake authenticated as its sender does
it over the exact bytes sent: ``/webhooks/{source}`` with the Standard Webhooks secret,
``/slack/events`` with the Slack signing secret, ``/email/inbound`` with the inbound-parse
basic auth; the admin token as a Bearer header; small ticket ids mapped to ones that exist)
so validation and the handlers answer, or as generated (garbage headers and tokens from any
caller). Every answer must be documented: no 5xx, and the status code, content type and body
the schema says.

The dashboard's HTML pages stay out of the public schema; ``dashboard_schema`` builds one
from its router for the fuzzing, and those answers are checked for "no 5xx" only.
"""

from __future__ import annotations

import base64
import copy
import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
import hypothesis
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from connectors.signing import signed_headers
from connectors.webhook_auth import hmac_hex

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TOKEN = "adm-7f3c9e1b5d2a8c4e6f0b"
SLACK_SECRET = "9c1f0e7d3b5a48e2a6c4f1d08b7e3a52"
EMAIL_USER, EMAIL_PASSWORD = "deskroute", "mail-in-4e8b1c7f2a9d6e03"
ENV = {  # what the fuzzed app is configured with
    "DESKROUTE_WEBHOOK_SECRET": SECRET, "DESKROUTE_ADMIN_TOKEN": TOKEN,
    "DESKROUTE_SLACK_SIGNING_SECRET": SLACK_SECRET,
    "DESKROUTE_EMAIL_INBOUND_USER": EMAIL_USER, "DESKROUTE_EMAIL_INBOUND_PASSWORD": EMAIL_PASSWORD,
}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
HTML_CHECKS = [not_a_server_error]  # dashboard pages: no schema for their HTML
Seen = dict[str, dict[int, int]]  # "METHOD /path" -> status code -> how many answers
UNSENDABLE = 0  # the "status" of a generated request no HTTP client can send


def seed_tickets(client: httpx.Client, external_ids: list[str] | None = None) -> list[int]:
    """A few stored tickets, so reads and outcomes also reach their 2xx paths."""
    ids = []
    for i, ext in enumerate(external_ids or [f"seed-{uuid.uuid4().hex}" for _ in range(3)]):
        body = json.dumps({"id": ext, "body": f"Do you accept PayPal? (seed ticket {i})"})
        r = client.post("/webhooks/generic", content=body.encode(),
                        headers=signed_headers(SECRET, f"msg_{uuid.uuid4().hex}", body.encode()))
        assert r.status_code == 202, r.text
        ids.append(r.json()["ticket_id"])
    return ids


def dashboard_schema() -> dict[str, Any]:
    """An OpenAPI schema of the dashboard's routes, which the app keeps out of its own."""
    from router.api.dashboard import router

    def routes(parent: Any) -> Iterator[APIRoute]:
        for route in parent.routes:
            if isinstance(route, APIRoute):
                yield route
            elif hasattr(route, "original_router"):  # FastAPI keeps included routers as such
                yield from routes(route.original_router)

    app = FastAPI(title="deskroute dashboard", version="test")
    for route in routes(router):
        shown = copy.copy(route)
        shown.include_in_schema = True
        app.router.routes.append(shown)
    schema: dict[str, Any] = app.openapi()
    assert schema.get("paths"), "no dashboard route found"
    return schema


def load_schema(raw: dict[str, Any], codec: str) -> Any:
    schema = schemathesis.openapi.from_dict(raw)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                    codec=codec)
    return schema


def credentials(path: str, content: bytes) -> dict[str, str]:
    """The headers an authentic caller of ``path`` adds, over the exact bytes sent."""
    if path == "/webhooks/{source}":
        return signed_headers(SECRET, f"msg_{uuid.uuid4().hex}", content)
    if path == "/slack/events":
        ts = str(int(time.time()))  # Slack's scheme over the raw bytes, UTF-8 or not
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + hmac_hex(
            SLACK_SECRET.encode(), f"v0:{ts}:".encode() + content, "sha256")}
    if path == "/email/inbound":
        pair = base64.b64encode(f"{EMAIL_USER}:{EMAIL_PASSWORD}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {"Authorization": f"Bearer {TOKEN}"}


def _merged(headers: Mapping[str, Any], added: Mapping[str, str]) -> dict[str, Any]:
    """``headers`` with ``added`` replacing any header of the same name, in any letter case."""
    names = {k.lower() for k in added}
    return {**{k: v for k, v in headers.items() if k.lower() not in names}, **added}


def send(client: httpx.Client, case: Any, authenticated: bool,
         ticket_ids: list[int]) -> httpx.Response:
    """One generated request, sent as raw bytes (the webhook signature covers them)."""
    if authenticated and "ticket_id" in (case.path_parameters or {}):
        raw = case.path_parameters["ticket_id"]
        if isinstance(raw, int) and 0 < raw < 1000:  # small ids: one that exists
            case.path_parameters["ticket_id"] = ticket_ids[raw % len(ticket_ids)]
    if case.operation.path == "/webhooks/{source}" and case.path_parameters.get("source") != "":
        case.path_parameters["source"] = "generic"  # the real connector, not a 404
    if (authenticated and case.operation.path == "/email/inbound" and isinstance(case.body, dict)
            and isinstance(case.body.get("From"), str) and "@" not in case.body["From"]):
        # a sender address (generated text rarely has one), so the mail reaches the intake
        case.body["From"] = f"{case.body['From'][:40]} <sender-{len(case.body)}@example.com>"
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url).rstrip("/"))
    headers = dict(kwargs.pop("headers") or {})
    content: bytes | None = None
    if "json" in kwargs:
        content = json.dumps(kwargs.pop("json")).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "data" in kwargs:
        data = kwargs.pop("data")
        if isinstance(data, dict):  # a form (the dashboard's)
            content = urlencode(data, doseq=True).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        else:
            content = data if isinstance(data, bytes) else str(data).encode()
    if authenticated:
        headers = _merged(headers, credentials(case.operation.path, content or b""))
    kwargs.pop("cookies", None)
    # Leading and trailing blanks of a header value are not part of it (RFC 9110 5.5: a
    # server's parser drops them); a real client refuses to send them.
    raw_headers = {k: (v.encode("latin-1") if isinstance(v, str) else v).strip(b" \t")
                   for k, v in headers.items()}
    return client.request(kwargs.pop("method"), kwargs.pop("url"), headers=raw_headers,
                          params=kwargs.pop("params", None), content=content)


def _checked_call(client: httpx.Client, authenticated: bool, ticket_ids: list[int],
                  counts: dict[int, int], checks: list[Any]) -> Callable[[Any], None]:
    def run(case: Any) -> None:
        try:
            response = send(client, case, authenticated, ticket_ids)
        except httpx.LocalProtocolError:
            # A header value HTTP/1.1 cannot carry (a CR, LF or NUL in it): no client can
            # put it on the wire. Only an in-process transport (TestClient) delivers it.
            counts[UNSENDABLE] = counts.get(UNSENDABLE, 0) + 1
            return
        counts[response.status_code] = counts.get(response.status_code, 0) + 1
        case.validate_response(response, checks=checks)

    return run


def fuzz_all(client: httpx.Client, *, authenticated: bool, ticket_ids: list[int],
             examples: int, on_failure: Callable[[str, Exception], None] | None = None,
             dashboard: bool = False) -> Seen:
    """Run every operation (and the dashboard's, with ``dashboard``); returns the status
    codes seen per operation. A failed check raises, unless ``on_failure`` takes it (then
    the next operation runs)."""
    # Anonymous callers get latin-1 strings: header bytes above 0x7f are what crashed the
    # signature and token comparisons (a server decodes header bytes as latin-1).
    codec = "utf-8" if authenticated else "latin-1"
    schemas = [(load_schema(client.get("/openapi.json").json(), codec), CHECKS)]
    if dashboard:
        schemas.append((load_schema(dashboard_schema(), codec), HTML_CHECKS))
    settings = hypothesis.settings(max_examples=examples, deadline=None, database=None,
                                   derandomize=True,
                                   suppress_health_check=list(hypothesis.HealthCheck))
    seen: Seen = {}
    for schema, checks in schemas:
        for result in schema.get_all_operations():
            operation = result.ok()
            name = f"{operation.method.upper()} {operation.path}"
            counts = seen.setdefault(name, {})

            run = _checked_call(client, authenticated, ticket_ids, counts, checks)
            test = create_test(operation=operation, test_func=run, config=HypothesisTestConfig(
                project=schema.config, settings=settings,
                modes=[HypothesisTestMode.COVERAGE, HypothesisTestMode.FUZZING]))
            try:
                test()
            except Exception as exc:
                if on_failure is None:
                    raise
                on_failure(name, exc)
    return seen


def reached_the_handlers(seen: Seen, authenticated: bool, *, channels: bool = False,
                         dashboard: bool = False) -> list[str]:
    """What the run should have met and did not (an empty list: it reached every path).
    ``channels``: the app had the Slack and e-mail secrets (``ENV``), so those intakes
    must have answered past authentication too; ``dashboard``: its pages were fuzzed."""
    wanted = ({"POST /webhooks/{source}": {202, 422}, "GET /tickets/{ticket_id}": {200},
               "POST /tickets/{ticket_id}/outcomes": {201}, "GET /report": {200, 422}}
              if authenticated else {"POST /webhooks/{source}": {401}})
    if channels:
        wanted |= ({"POST /slack/events": {200, 422}, "POST /email/inbound": {200, 422}}
                   if authenticated else {"POST /slack/events": {401},
                                          "POST /email/inbound": {401}})
    if dashboard:
        wanted |= ({"GET /dashboard/tickets/{ticket_id}": {200, 404, 422}}
                   if authenticated else {"GET /dashboard/tickets/{ticket_id}": {401}})
    return [f"{op}: no {sorted(codes - set(seen.get(op, {})))}"
            for op, codes in wanted.items() if not codes <= set(seen.get(op, {}))]
