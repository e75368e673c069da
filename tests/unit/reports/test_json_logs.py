"""DESKROUTE_LOG_FORMAT=json: one JSON object per line, the ticket id on every task line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from router.logs import LogSettings, configure_logging, ticket_context
from router.pipeline.services import Services
from router.store import repo
from router.store.db import unit_of_work
from router.worker.runner import execute
from tests.unit.reports.conftest import seed_store


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    assert configure_logging(LogSettings(log_format="json", log_level="INFO")) == "json"
    yield stream
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_lines_inside_a_ticket_context_carry_its_id_in_any_logger(captured: io.StringIO
                                                                  ) -> None:
    with ticket_context(42, "decide"):
        logging.getLogger("some.library").warning("inside")
    logging.getLogger("router.x").warning("outside")
    inside, outside = _lines(captured)
    assert inside["ticket_id"] == 42 and inside["task"] == "decide"
    assert inside["message"] == "inside" and inside["level"] == "WARNING"
    assert inside["logger"] == "some.library" and "time" in inside
    assert outside["ticket_id"] is None


def test_every_line_of_a_pipeline_task_names_the_ticket(
        captured: io.StringIO, sqlite_url: str) -> None:
    ids = seed_store(sqlite_url)
    with unit_of_work(sqlite_url) as s:
        t = repo.get_ticket(s, ids["T9"])
        assert t is not None
        t.state = "decided"  # delivery is due: the generic connector has no callback URL
    captured.seek(0)
    captured.truncate()  # only what the task logs
    execute("deliver", ids["T9"], services=Services(database_url=sqlite_url), url=sqlite_url)
    lines = _lines(captured)
    assert lines, "the task logged nothing"
    assert all(line["ticket_id"] == ids["T9"] for line in lines), lines
    assert any(line["message"].startswith("task deliver done") for line in lines)
