"""Set-up shared by the end-to-end pipeline tests: env, services, signed posts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.signing import signed_headers

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def configure(monkeypatch: pytest.MonkeyPatch, url: str, callback: str, tmp: Any,
              **extra: str) -> None:
    """Point every setting at this test's store and loopback servers, then reset services.

    The policy is the shipped one in ``auto`` (these tests are about replies) unless
    ``DESKROUTE_POLICY`` is among ``extra``.
    """
    from router.pipeline.services import Services, reset_default_services
    from tests.rollout_policy import use_mode

    if "DESKROUTE_POLICY" not in extra:
        use_mode(monkeypatch, tmp, "auto")

    env = {
        "DESKROUTE_DATABASE_URL": url,
        "DESKROUTE_WEBHOOK_SECRET": SECRET,
        "DESKROUTE_CALLBACK_URL": callback,
        "DESKROUTE_KB_DIR": str(tmp / "kb"),
        **extra,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    for k in ("DESKROUTE_LLM_MODEL", "DESKROUTE_LLM_API_BASE", "DESKROUTE_BROKER_URL"):
        if k not in env:
            monkeypatch.delenv(k, raising=False)
    reset_default_services(Services(database_url=url))


def seed_kb(url: str) -> None:
    from router.kb.importers import ensure_default_kb
    from router.store.db import unit_of_work

    with unit_of_work(url) as session:
        ensure_default_kb(session)


def post(client: Any, ticket: dict[str, Any]) -> int:
    body = json.dumps(ticket).encode()
    r = client.post("/webhooks/generic", content=body,
                    headers=signed_headers(SECRET, f"msg_{ticket['id']}", body))
    assert r.status_code == 202, r.text
    return int(r.json()["ticket_id"])
