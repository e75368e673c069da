"""The pipeline state machine (tests/pipeline_machine.py) on the real runner, on SQLite and
PostgreSQL: receive / duplicate / work / crash mid-step / redeliver / model fails / callback
fails / time passes / recover, in any order Hypothesis finds; every ticket stored once,
answered at most once, and terminal after recovery. The bigger run against the live stack is
the ``make fault`` case ``state-machine``; raise DESKROUTE_STATE_MACHINE_EXAMPLES locally."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
from fastapi.testclient import TestClient
from hypothesis.stateful import run_state_machine_as_test

from router.api.app import create_app
from router.pipeline.services import Services, reset_default_services
from tests.helpers_http import RecordingServer
from tests.integration.pipeline_env import configure, seed_kb
from tests.llm_standin import ChatStandIn
from tests.pipeline_machine import InProcess, PipelineMachine, Totals

pytestmark = pytest.mark.integration
EXAMPLES = int(os.environ.get("DESKROUTE_STATE_MACHINE_EXAMPLES", "6"))
STEPS = 16


@pytest.fixture(params=["sqlite", "postgresql"])
def driver(request: pytest.FixtureRequest, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[InProcess]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    with RecordingServer() as receiver, ChatStandIn() as llm:
        configure(monkeypatch, url, receiver.url, tmp_path, **llm.env())
        seed_kb(url)
        services = Services(database_url=url)
        try:
            with TestClient(create_app(database_url=url, embedded_worker=False)) as client:
                yield InProcess(url, client, services, receiver, llm)
        finally:
            reset_default_services(None)


def test_every_ticket_ends_once_whatever_happens(driver: InProcess) -> None:
    totals = Totals()

    class Machine(PipelineMachine):
        pass

    Machine.driver, Machine.totals = driver, totals
    run_state_machine_as_test(Machine, settings=hypothesis.settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None,
        suppress_health_check=list(hypothesis.HealthCheck)))
    assert totals.tickets > 0 and totals.rules["crash"] > 0, totals
    # the run reached the endings that matter: replies sent and tickets handed to a human
    assert {"delivered", "escalated"} <= set(totals.states), dict(totals.states)
