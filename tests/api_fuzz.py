"""Schemathesis over every operation of deskroute's OpenAPI schema, shared by the in-process
test (tests/integration/test_api_schemathesis.py, a TestClient) and the ``make fault`` case
``schemathesis`` (the live stack over real HTTP): both are ``httpx.Client``\\ s.

Each operation runs Schemathesis' coverage phase (boundary values, missing and malformed
parameters, wrong types and methods) and its fuzzing phase, with schema-valid and schema-
violating data, either with valid credentials (webhooks signed with the real secret over the
exact bytes sent, the admin token as a Bearer header, small ticket ids mapped to ones that
exist) so validation and the handlers answer, or as generated (garbage headers and tokens
from any caller). Every answer must be documented: no 5xx, and the status code, content type
and body the schema says.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import hypothesis
import schemathesis
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

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TOKEN = "adm-7f3c9e1b5d2a8c4e6f0b"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
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


def load_schema(client: httpx.Client, codec: str) -> Any:
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                    codec=codec)
    return schema


def send(client: httpx.Client, case: Any, authenticated: bool,
         ticket_ids: list[int]) -> httpx.Response:
    """One generated request, sent as raw bytes (the webhook signature covers them)."""
    if authenticated and "ticket_id" in (case.path_parameters or {}):
        raw = case.path_parameters["ticket_id"]
        if isinstance(raw, int) and 0 < raw < 1000:  # small ids: one that exists
            case.path_parameters["ticket_id"] = ticket_ids[raw % len(ticket_ids)]
    if case.operation.path == "/webhooks/{source}" and case.path_parameters.get("source") != "":
        case.path_parameters["source"] = "generic"  # the real connector, not a 404
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url).rstrip("/"))
    headers = dict(kwargs.pop("headers") or {})
    content: bytes | None = None
    if "json" in kwargs:
        content = json.dumps(kwargs.pop("json")).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "data" in kwargs:
        data = kwargs.pop("data")
        content = data if isinstance(data, bytes) else str(data).encode()
    if authenticated:
        headers["Authorization"] = f"Bearer {TOKEN}"
        if case.operation.path == "/webhooks/{source}":
            headers |= signed_headers(SECRET, f"msg_{uuid.uuid4().hex}", content or b"")
    kwargs.pop("cookies", None)
    # Leading and trailing blanks of a header value are not part of it (RFC 9110 5.5: a
    # server's parser drops them); a real client refuses to send them.
    raw_headers = {k: (v.encode("latin-1") if isinstance(v, str) else v).strip(b" \t")
                   for k, v in headers.items()}
    return client.request(kwargs.pop("method"), kwargs.pop("url"), headers=raw_headers,
                          params=kwargs.pop("params", None), content=content)


def _checked_call(client: httpx.Client, authenticated: bool, ticket_ids: list[int],
                  counts: dict[int, int]) -> Callable[[Any], None]:
    def run(case: Any) -> None:
        try:
            response = send(client, case, authenticated, ticket_ids)
        except httpx.LocalProtocolError:
            # A header value HTTP/1.1 cannot carry (a CR, LF or NUL in it): no client can
            # put it on the wire. Only an in-process transport (TestClient) delivers it.
            counts[UNSENDABLE] = counts.get(UNSENDABLE, 0) + 1
            return
        counts[response.status_code] = counts.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS)

    return run


def fuzz_all(client: httpx.Client, *, authenticated: bool, ticket_ids: list[int],
             examples: int, on_failure: Callable[[str, Exception], None] | None = None
             ) -> Seen:
    """Run every operation; returns the status codes seen per operation. A failed check
    raises, unless ``on_failure`` takes it (then the next operation runs)."""
    # Anonymous callers get latin-1 strings: header bytes above 0x7f are what crashed the
    # signature and token comparisons (a server decodes header bytes as latin-1).
    schema = load_schema(client, "utf-8" if authenticated else "latin-1")
    settings = hypothesis.settings(max_examples=examples, deadline=None, database=None,
                                   derandomize=True,
                                   suppress_health_check=list(hypothesis.HealthCheck))
    seen: Seen = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        name = f"{operation.method.upper()} {operation.path}"
        counts = seen.setdefault(name, {})

        run = _checked_call(client, authenticated, ticket_ids, counts)
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


def reached_the_handlers(seen: Seen, authenticated: bool) -> list[str]:
    """What the run should have met and did not (an empty list: it reached every path)."""
    wanted = ({"POST /webhooks/{source}": {202, 422}, "GET /tickets/{ticket_id}": {200},
               "POST /tickets/{ticket_id}/outcomes": {201}, "GET /report": {200, 422}}
              if authenticated else {"POST /webhooks/{source}": {401}})
    return [f"{op}: no {sorted(codes - set(seen.get(op, {})))}"
            for op, codes in wanted.items() if not codes <= set(seen.get(op, {}))]
