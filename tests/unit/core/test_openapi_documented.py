"""Every endpoint is documented (issue 14 item 5): a typed body for each status it answers
with content, a typed 2xx, a request body schema for each POST/PUT/PATCH that reads one, and
the callbacks deskroute sends (the OpenAPI ``webhooks``) with their body schema. Schemathesis
(tests/integration/test_api_schemathesis.py, ``make fault`` case ``schemathesis``) then checks
that the running API answers what this schema says."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.generic.connector import GenericCallback

BODY_METHODS = {"post", "put", "patch"}
# Actions on a resource that read no input: nothing to document as a body.
NO_INPUT = {("post", "/kb/{entry_id}/retire"), ("post", "/kb/{entry_id}/restore")}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    from router.api.app import create_app

    return create_app(database_url="sqlite://", embedded_worker=False).openapi()


def _typed(schema: dict[str, Any], node: dict[str, Any] | None) -> bool:
    """A schema that says something: a type, properties, a union or a resolvable $ref."""
    if not node:
        return False
    ref = node.get("$ref")
    if ref:
        return _typed(schema, schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1]))
    return bool({"type", "properties", "anyOf", "oneOf", "allOf", "enum", "const"} & set(node))


def _problems(schema: dict[str, Any]) -> list[str]:
    found = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            name = f"{method.upper()} {path}"
            responses = op.get("responses", {})
            ok = [c for c in responses if str(c).startswith("2")]
            if not ok:
                found.append(f"{name}: no 2xx response")
            for code, answer in responses.items():
                content = answer.get("content") or {}
                if not content and str(code) != "204":
                    found.append(f"{name} {code}: no content documented")
                for media, spec in content.items():
                    if not _typed(schema, spec.get("schema")):
                        found.append(f"{name} {code} {media}: untyped body")
            if method in BODY_METHODS and (method, path) not in NO_INPUT:
                found += _body_problems(schema, name, op)
    for name, ops in (schema.get("webhooks") or {}).items():
        for method, op in ops.items():
            found += _body_problems(schema, f"webhook {method.upper()} {name}", op)
    return found


def _body_problems(schema: dict[str, Any], name: str, op: dict[str, Any]) -> list[str]:
    content = (op.get("requestBody") or {}).get("content") or {}
    if not content:
        return [f"{name}: no request body documented"]
    return [f"{name} body {media}: untyped" for media, spec in content.items()
            if not _typed(schema, spec.get("schema"))]


def test_every_operation_documents_typed_bodies(schema: dict[str, Any]) -> None:
    assert _problems(schema) == []


def test_the_check_finds_an_undocumented_operation(schema: dict[str, Any]) -> None:
    broken = {**schema, "paths": {**schema["paths"], "/x": {
        "post": {"responses": {"200": {"description": "ok", "content": {
            "application/json": {"schema": {}}}}}}}}}
    assert _problems(broken) == ["POST /x 200 application/json: untyped body",
                                 "POST /x: no request body documented"]


def test_the_callback_deskroute_sends_is_documented(schema: dict[str, Any]) -> None:
    (hook,) = schema["webhooks"].values()
    body = hook["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"type", "ticket_id", "external_id", "text", "reason"}
    assert body["properties"]["type"]["enum"] == ["ticket.reply", "ticket.note", "ticket.draft",
                                                  "ticket.escalated"]
    assert "$ref" not in str(body)  # inlined: it reads without the components
    assert set(body["properties"]) == set(GenericCallback.model_fields)
