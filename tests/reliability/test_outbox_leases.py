"""Outbox leases (issue 14): a duplicate message does no work, a killed worker's task is taken
over, a task waiting in a backlog is not re-sent every minute, and a poison task ends its
ticket escalated with the reason after a bounded number of runs (issue 10 item 3)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from router.domain import InboundTicket, TicketState
from router.pipeline import workflow
from router.pipeline.services import Services
from router.settings import QueueSettings
from router.store import models as m
from router.store import outbox, repo
from router.store.db import unit_of_work
from router.store.outbox import Start
from router.worker.runner import execute
from tests.helpers_http import RecordingServer

REPO = Path(__file__).resolve().parents[2]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _ticket(url: str, ext: str) -> tuple[int, int]:
    with unit_of_work(url) as s:
        t, _ = repo.insert_ticket(s, InboundTicket(source="generic", external_id=ext,
                                                   body="where is my parcel?"))
        row = s.scalar(select(m.OutboxRow).where(m.OutboxRow.ticket_id == t.id))
        assert row is not None
        return t.id, row.id


def _state(url: str, ticket_id: int) -> str:
    with unit_of_work(url) as s:
        t = repo.get_ticket(s, ticket_id)
        assert t is not None
        return t.state


def test_a_duplicate_message_of_a_running_or_finished_task_does_no_work(
        sqlite_url: str) -> None:
    tid, oid = _ticket(sqlite_url, "dup-1")
    with unit_of_work(sqlite_url) as s:  # another worker, alive elsewhere, holds the lease
        assert outbox.start_run(s, oid, owner="elsewhere:1", lease=60, max_runs=3) is Start.RUN
    services = Services(database_url=sqlite_url)
    assert execute("decide", tid, oid, services=services, url=sqlite_url) is None
    assert _state(sqlite_url, tid) == "received"  # the step did not run a second time
    with unit_of_work(sqlite_url) as s:
        outbox.finish(s, oid)
    assert execute("decide", tid, oid, services=services, url=sqlite_url) is None
    assert _state(sqlite_url, tid) == "received"
    with unit_of_work(sqlite_url) as s:
        assert outbox.runs_of(s, oid) == 1


def test_the_lease_of_a_killed_worker_on_this_host_is_taken_over_at_once(
        sqlite_url: str) -> None:
    _, oid = _ticket(sqlite_url, "killed-1")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = f"{socket.gethostname()}:{gone.stdout.strip()}"
    with unit_of_work(sqlite_url) as s:
        assert outbox.start_run(s, oid, owner=dead, lease=600, max_runs=3) is Start.RUN
    with unit_of_work(sqlite_url) as s:
        assert outbox.start_run(s, oid, owner="alive:2", lease=600, max_runs=3) is Start.RUN
    with unit_of_work(sqlite_url) as s:  # alive:2 is not on this host: its lease holds
        assert outbox.start_run(s, oid, owner="other:3", lease=600, max_runs=3) is Start.BUSY


def test_a_task_waiting_in_a_backlog_is_not_resent_every_minute(
        pg_url: str, redis_url: str) -> None:
    from router.worker.celery_app import make_celery
    from router.worker.dispatch import relay_once

    app = make_celery(redis_url)
    ids = [_ticket(pg_url, f"backlog-{i}")[1] for i in range(5)]
    settings = QueueSettings(outbox_stuck_seconds=60)
    assert relay_once(app, url=pg_url, settings=settings) == 5
    for _minute in range(10):  # ten minutes in which no worker gets to them
        with unit_of_work(pg_url) as s:
            for row in s.scalars(select(m.OutboxRow).where(m.OutboxRow.id.in_(ids))):
                row.available_at -= timedelta(seconds=60)
                assert row.enqueued_at is not None
                row.enqueued_at -= timedelta(seconds=60)
        relay_once(app, url=pg_url, settings=settings)
    with unit_of_work(pg_url) as s:
        sends = [r.attempts for r in s.scalars(select(m.OutboxRow).where(m.OutboxRow.id.in_(ids)))]
    # sent at 0, 1, 3 and 7 minutes (the wait doubles), not at every one of the ten minutes
    assert sends == [4] * 5


CRASHING_WORKER = textwrap.dedent("""
    import os, signal, sys
    from router.worker import runner
    def crash(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)  # what a segfault in llama.cpp looks like
    runner.STEPS["slm"] = crash
    runner.drain(url=sys.argv[1])
""")


def test_a_task_that_crashes_its_worker_ends_escalated_after_bounded_runs(
        sqlite_url: str, tmp_path: Path) -> None:
    tid, oid = _ticket(sqlite_url, "poison-1")
    other, _ = _ticket(sqlite_url, "routine-1")
    with unit_of_work(sqlite_url) as s:  # decided for the SLM; its slm task is poison
        ticket = repo.get_ticket(s, tid)
        assert ticket is not None
        repo.set_state(s, ticket, TicketState.DECIDED)
        outbox.finish(s, oid)
        outbox.add_outbox(s, "slm", tid)
        other_row = s.scalar(select(m.OutboxRow).where(m.OutboxRow.ticket_id == other))
        assert other_row is not None
        outbox.finish(s, other_row.id)
        other_ticket = repo.get_ticket(s, other)
        assert other_ticket is not None
        workflow.escalate(s, other_ticket, "routine test escalation")  # runs before the poison
    script = tmp_path / "crashing_worker.py"
    script.write_text(CRASHING_WORKER)
    with RecordingServer() as callback:
        env = {**os.environ, "DESKROUTE_DATABASE_URL": sqlite_url,
               "DESKROUTE_CALLBACK_URL": callback.url, "DESKROUTE_WEBHOOK_SECRET": SECRET,
               "DESKROUTE_TASK_MAX_RUNS": "3", "PYTHONPATH": str(REPO)}
        runs = [subprocess.run([sys.executable, str(script), sqlite_url], cwd=REPO, env=env,
                               capture_output=True, text=True, timeout=120) for _ in range(4)]
        codes = [r.returncode for r in runs]
        assert codes[:3] == [-9, -9, -9], runs  # each run of the poison task killed its worker
        assert codes[3] == 0, "the fourth worker did not run the poison task again"
        with unit_of_work(sqlite_url) as s:
            ticket = repo.get_ticket(s, tid)
            assert ticket is not None and ticket.state == "escalated"
            assert (ticket.reason or "").startswith("poison: the slm step failed to finish")
        assert _state(sqlite_url, other) == "escalated"  # the others were not held up
        sent = {b["ticket_id"]: b for b in callback.json_bodies()}
        requests = list(callback.requests)
    assert sent[tid]["type"] == "ticket.escalated" and "poison" in sent[tid]["reason"]
    assert sent[other]["reason"] == "routine test escalation"
    assert len(requests) == 2  # one note each, nothing sent twice


def test_a_finished_task_keeps_the_worker_that_ran_it(sqlite_url: str) -> None:
    """Which worker process (host:pid) ran each task stays in the store once it is done: an
    operator tracing a ticket sees it, and the fault suite's scale-out case proves from it
    that every worker of a queue took work."""
    _, oid = _ticket(sqlite_url, "owner-1")
    with unit_of_work(sqlite_url) as s:
        assert outbox.start_run(s, oid, owner="worker-b:4242", lease=60, max_runs=3) is Start.RUN
    with unit_of_work(sqlite_url) as s:
        outbox.finish(s, oid)
    with unit_of_work(sqlite_url) as s:
        row = s.get(m.OutboxRow, oid)
        assert row is not None and (row.status, row.owner) == ("done", "worker-b:4242")
        assert outbox.start_run(s, oid, owner="worker-c:1", lease=60, max_runs=3) is Start.DONE
