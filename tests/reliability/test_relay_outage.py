"""``deskroute relay`` survives a database outage and carries on when the database returns
(issue 14: it exited on the first database error)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from router.domain import InboundTicket
from router.store import models as m
from router.store import repo
from router.store.db import get_engine, unit_of_work
from tests.faults import pg_down
from tests.helpers_http import stop_process

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def _outbox_status(url: str, ticket_id: int) -> str:
    with unit_of_work(url) as s:
        return str(s.scalar(select(m.OutboxRow.status).where(m.OutboxRow.ticket_id == ticket_id)))


def test_relay_keeps_running_through_a_database_outage(
        pg_url: str, redis_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "DESKROUTE_DATABASE_URL": pg_url, "DESKROUTE_BROKER_URL": redis_url}
    log = open(tmp_path / "relay.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "router.cli.main", "relay", "--every", "0.2"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        with unit_of_work(pg_url) as s:
            first, _ = repo.insert_ticket(s, InboundTicket(source="generic", external_id="r-1",
                                                           body="where is my parcel"))
        deadline = time.monotonic() + 60
        while _outbox_status(pg_url, first.id) != "enqueued" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _outbox_status(pg_url, first.id) == "enqueued", (tmp_path / "relay.log").read_text()
        get_engine(pg_url).dispose()
        with pg_down(pg_url):
            time.sleep(3)  # several failed passes
            assert proc.poll() is None, (tmp_path / "relay.log").read_text()
        with unit_of_work(pg_url) as s:
            second, _ = repo.insert_ticket(s, InboundTicket(source="generic", external_id="r-2",
                                                            body="where is my other parcel"))
        deadline = time.monotonic() + 60
        while _outbox_status(pg_url, second.id) != "enqueued" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _outbox_status(pg_url, second.id) == "enqueued", \
            (tmp_path / "relay.log").read_text()
        assert proc.poll() is None
        assert "relay pass failed" in (tmp_path / "relay.log").read_text()
    finally:
        stop_process(proc)
        log.close()
