"""A Hypothesis state machine over the real pipeline (issue 14 item 5, ``state-machine``).

Rules: *receive* a signed webhook, send a *duplicate* of one (same or new webhook-id), let
the workers *work*, *crash* a worker mid-step, have the broker *redeliver* a message, make
the hosted model call *fail* (the loopback LLM answers 500, so the real breaker opens), make
the callback receiver fail, let time pass, *recover*. Invariants after every step: no ticket
stored twice, at most one reply (or note) per ticket at the receiver — a re-send with the same
``webhook-id`` is dropped by a receiver and is not a second reply. After the run: recover,
drain, and every ticket is in a terminal state.

The machine drives a :class:`Driver`: :class:`InProcess` here runs the real runner
(``router.worker.runner.execute``/``drain``) on a SQLite or PostgreSQL store in the test
process; ``tests/fault/state_machine.py`` drives the live stack (Celery worker processes
killed with SIGKILL, messages re-published to Redis).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)
from sqlalchemy import func, select, update

from connectors.signing import signed_headers
from router.domain import TERMINAL_STATES
from router.store import models as m
from router.store import outbox
from router.store.db import unit_of_work
from router.store.models import utcnow
from tests.helpers_http import RecordingServer
from tests.llm_standin import ChatStandIn

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TERMINAL = {s.value for s in TERMINAL_STATES}
# routine (the local leg: a template answer), risky (a human at once), and tickets the
# shipped policy sends to the hosted LLM (off-topic, not English)
BODIES = ["Do you accept PayPal?", "How do I reset my password?",
          "I want a refund now or I will sue you and file a chargeback",
          "Can you recommend a good pasta recipe for dinner tonight?",
          "Hola, ¿dónde está mi pedido? Lo compré hace dos semanas."]


class Driver(Protocol):
    receiver: RecordingServer
    llm: ChatStandIn

    def post(self, external_id: str, body: str, msg_id: str) -> int: ...
    def work(self, pick: int) -> None: ...
    def crash(self, pick: int, after_step: bool) -> None: ...
    def redeliver(self, pick: int) -> None: ...
    def time_passes(self) -> None: ...
    def settle(self, external_ids: list[str]) -> None: ...
    def states(self, external_ids: list[str]) -> dict[str, tuple[str, int]]: ...


@dataclass
class Totals:
    """What every run of the machine added up to (for the FAULT line)."""

    examples: int = 0
    steps: int = 0
    tickets: int = 0
    rules: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    states: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def replies_by_ticket(receiver: RecordingServer) -> dict[str, set[str]]:
    """Distinct webhook-ids of the 2xx-answered callbacks, per external ticket id."""
    found: dict[str, set[str]] = defaultdict(set)
    for req in receiver.ok_requests():
        body = json.loads(req["body"])
        found[str(body["external_id"])].add(str(req["headers"].get("webhook-id")))
    return found


def stored_counts(url: str, external_ids: list[str]) -> dict[str, int]:
    with unit_of_work(url) as s:
        rows = s.execute(select(m.Ticket.external_id, func.count()).where(
            m.Ticket.source == "generic", m.Ticket.external_id.in_(external_ids))
            .group_by(m.Ticket.external_id)).all()
    return {str(ext): int(n) for ext, n in rows}


class PipelineMachine(RuleBasedStateMachine):
    driver: Driver  # set on a subclass by the test
    totals: Totals

    tickets = Bundle("tickets")

    def __init__(self) -> None:
        super().__init__()
        self.prefix = f"sm-{uuid.uuid4().hex[:8]}"
        self.bodies: dict[str, str] = {}
        self.totals.examples += 1
        self.driver.llm.status = 200
        self.driver.receiver.status = 200

    def _count(self, name: str) -> None:
        self.totals.steps += 1
        self.totals.rules[name] += 1

    @initialize(target=tickets, bodies=st.lists(st.sampled_from(BODIES), min_size=1,
                                                max_size=3))
    def first_tickets(self, bodies: list[str]) -> Any:
        return multiple(*(self.receive(body) for body in bodies))

    @rule(target=tickets, body=st.sampled_from(BODIES))
    def receive(self, body: str) -> str:
        self._count("receive")
        ext = f"{self.prefix}-{len(self.bodies)}"
        self.bodies[ext] = body
        self.totals.tickets += 1
        status = self.driver.post(ext, body, f"msg_{ext}")
        assert status == 202, status
        return ext

    @rule(ext=tickets, same_webhook_id=st.booleans())
    def duplicate(self, ext: str, same_webhook_id: bool) -> None:
        self._count("duplicate")
        msg = f"msg_{ext}" if same_webhook_id else f"msg_{ext}_{uuid.uuid4().hex[:6]}"
        assert self.driver.post(ext, self.bodies[ext], msg) == 202

    @rule(pick=st.integers(0, 7))
    def work(self, pick: int) -> None:
        self._count("work")
        self.driver.work(pick)

    @rule(pick=st.integers(0, 7), after_step=st.booleans())
    def crash(self, pick: int, after_step: bool) -> None:
        self._count("crash")
        self.driver.crash(pick, after_step)

    @rule(pick=st.integers(0, 50))
    def redeliver(self, pick: int) -> None:
        self._count("redeliver")
        self.driver.redeliver(pick)

    @rule(what=st.sampled_from(["model", "callback"]))
    def fail(self, what: str) -> None:
        """The hosted model call fails (the LLM answers 500; its real breaker opens after
        DESKROUTE_BREAKER_FAILURES), or the callback receiver answers 500."""
        self._count(f"{what}_fail")
        if what == "model":
            self.driver.llm.status = 500
        else:
            self.driver.receiver.status = 500

    @rule()
    def time_passes(self) -> None:
        self._count("time_passes")
        self.driver.time_passes()

    @rule()
    def recover(self) -> None:
        self._count("recover")
        self._heal()

    def _heal(self) -> None:
        self.driver.llm.status = 200
        self.driver.receiver.status = 200

    @invariant()
    def at_most_one_reply_per_ticket(self) -> None:
        replies = replies_by_ticket(self.driver.receiver)
        twice = {ext: ids for ext, ids in replies.items()
                 if ext in self.bodies and len(ids) > 1}
        assert not twice, f"answered twice: {twice}"

    @invariant()
    def no_ticket_stored_twice(self) -> None:
        states = self.driver.states(list(self.bodies))
        assert set(states) == set(self.bodies), "a received ticket is not stored"
        twice = {ext: n for ext, (_, n) in states.items() if n != 1}
        assert not twice, f"stored more than once: {twice}"

    def teardown(self) -> None:
        self._heal()
        ids = list(self.bodies)
        self.driver.settle(ids)
        states = self.driver.states(ids)
        for state, _ in states.values():
            self.totals.states[state] += 1
        stuck = {ext: state for ext, (state, _) in states.items() if state not in TERMINAL}
        assert not stuck, f"not terminal after recovery: {stuck}"
        self.at_most_one_reply_per_ticket()


def dead_owner() -> str:
    """A lease owner that is a process of this host which has exited (a killed worker)."""
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return f"{socket.gethostname()}:{gone.stdout.strip()}"


class Crash(BaseException):  # noqa: N818 - it is what a SIGKILL looks like to the step
    """A worker dying mid-step: not an Exception, so the runner cannot catch and handle it;
    the step's transaction rolls back and its lease stays with the dead owner."""


class InProcess:
    """The real runner on one store, in this process: ``work`` runs one due outbox row like
    a worker taking the next message; ``crash`` runs one under a dead owner's lease and dies
    before or after the step did its work (for a delivery: after the callback got it);
    ``redeliver`` runs an already-dispatched row again (a broker redelivery)."""

    def __init__(self, url: str, client: Any, services: Any, receiver: RecordingServer,
                 llm: ChatStandIn) -> None:
        self.url, self.client, self.services = url, client, services
        self.receiver, self.llm = receiver, llm
        self.dispatched: list[tuple[str, int, int]] = []
        self.dead = dead_owner()

    def post(self, external_id: str, body: str, msg_id: str) -> int:
        data = json.dumps({"id": external_id, "body": body}).encode()
        r = self.client.post("/webhooks/generic", content=data,
                             headers=signed_headers(SECRET, msg_id, data))
        return int(r.status_code)

    def _due(self, pick: int) -> tuple[str, int, int] | None:
        from router.pipeline.workflow import PRIORITY

        with unit_of_work(self.url) as s:
            outbox.reclaim_orphans(s)
            rows = [(r.task, r.ticket_id, r.id)
                    for r in outbox.due_outbox(s, priority=PRIORITY, limit=8)]
        return rows[pick % len(rows)] if rows else None

    def _run(self, message: tuple[str, int, int]) -> None:
        from router.worker.runner import execute

        self.dispatched.append(message)
        task, ticket_id, outbox_id = message
        execute(task, ticket_id, outbox_id, services=self.services, url=self.url)

    def work(self, pick: int) -> None:
        message = self._due(pick)
        if message is not None:
            self._run(message)

    def crash(self, pick: int, after_step: bool) -> None:
        message = self._due(pick)
        if message is None:
            return
        try:
            with self._dying(message[0], after_step):
                self._run(message)
        except Crash:
            pass

    @contextmanager
    def _dying(self, task: str, after_step: bool) -> Any:
        from router.worker import runner

        real_step, real_owner = runner.STEPS[task], outbox.this_worker

        def step(*args: Any) -> Any:
            if after_step:
                real_step(*args)
            raise Crash

        runner.STEPS[task] = step
        outbox.this_worker = lambda: self.dead  # type: ignore[assignment]
        try:
            yield
        finally:
            runner.STEPS[task] = real_step
            outbox.this_worker = real_owner  # type: ignore[assignment]

    def redeliver(self, pick: int) -> None:
        if self.dispatched:
            self._run(self.dispatched[pick % len(self.dispatched)])

    def time_passes(self) -> None:
        """Every waiting row is due (a back-off or a dead worker's lease has run out)."""
        with unit_of_work(self.url) as s:
            s.execute(update(m.OutboxRow).where(m.OutboxRow.status != outbox.DONE)
                      .values(available_at=utcnow()))

    def settle(self, external_ids: list[str]) -> None:
        from router.worker.runner import drain

        for _ in range(30):  # each pass: every row due, then run until none is due
            self.time_passes()
            drain(services=self.services, url=self.url)
            with unit_of_work(self.url) as s:
                if outbox.unfinished_count(s) == 0:
                    return

    def states(self, external_ids: list[str]) -> dict[str, tuple[str, int]]:
        counts = stored_counts(self.url, external_ids)
        with unit_of_work(self.url) as s:
            rows = s.execute(select(m.Ticket.external_id, m.Ticket.state).where(
                m.Ticket.source == "generic", m.Ticket.external_id.in_(external_ids))).all()
        return {str(ext): (str(state), counts[str(ext)]) for ext, state in rows}
