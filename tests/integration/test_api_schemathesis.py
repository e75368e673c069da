"""Schemathesis over the whole OpenAPI schema, on SQLite and PostgreSQL: no 5xx, and every
status code, content type and body is the one the schema documents.

Every operation, with valid credentials and as generated (tests/api_fuzz.py, shared with the
``make fault`` case ``schemathesis``, which runs it against the live stack over HTTP). Here
the app also has the Slack signing secret and the e-mail inbound password, so
``/slack/events`` and ``/email/inbound`` are fuzzed past authentication, and the dashboard's
pages (not in the public schema) are fuzzed from a schema of their own: no 5xx.
Fuzzing is bounded so the module runs in about two minutes on two cores; raise
DESKROUTE_SCHEMATHESIS_EXAMPLES locally for a longer run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from router.api.app import create_app
from tests.api_fuzz import ENV, fuzz_all, reached_the_handlers, seed_tickets

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("DESKROUTE_SCHEMATHESIS_EXAMPLES", "10"))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    store = request.getfixturevalue(
        "sqlite_url_module" if request.param == "sqlite" else "pg_url_module")
    with pytest.MonkeyPatch.context() as env:
        for name, value in ENV.items():
            env.setenv(name, value)
        with TestClient(create_app(database_url=store, embedded_worker=False),
                        raise_server_exceptions=False) as c:
            yield c


@pytest.fixture(scope="module")
def ticket_ids(client: TestClient) -> list[int]:
    return seed_tickets(client)


@pytest.mark.parametrize("authenticated", [True, False], ids=["credentials", "anonymous"])
def test_no_server_error_and_every_answer_matches_the_schema(
        client: TestClient, ticket_ids: list[int], authenticated: bool) -> None:
    seen = fuzz_all(client, authenticated=authenticated, ticket_ids=ticket_ids,
                    examples=EXAMPLES, dashboard=True)
    statuses = {code for counts in seen.values() for code in counts}
    assert statuses and not any(code >= 500 for code in statuses), seen
    assert reached_the_handlers(seen, authenticated, channels=True, dashboard=True) == [], seen
