"""``make fault`` case ``state-machine``: the pipeline state machine (tests/pipeline_machine.py)
against the live stack. Tickets arrive as signed webhooks over HTTP; Celery worker processes
(decide/deliver, and the model lane with the SLM and a loopback hosted LLM) work on their
own; *crash* is a kill -9 of a worker process group (restarted, as a supervisor would),
*redeliver* re-publishes an outbox row's message to Redis, *model-fail* makes the hosted LLM
answer 500 (the workers' breakers open), *callback-fail* makes the receiver answer 500.
After each run the stack must bring every ticket to a terminal state, each answered once."""

from __future__ import annotations

import os
import time
from pathlib import Path

import hypothesis
import psycopg
from hypothesis.stateful import run_state_machine_as_test

from router.worker.celery_app import make_celery
from router.worker.dispatch import send
from tests.fault.stack import Stack, Tally
from tests.llm_standin import ChatStandIn
from tests.pipeline_machine import TERMINAL, PipelineMachine, Totals, replies_by_ticket

EXAMPLES = int(os.environ.get("DESKROUTE_FAULT_STATE_MACHINE_EXAMPLES", "6"))
STEPS = int(os.environ.get("DESKROUTE_FAULT_STATE_MACHINE_STEPS", "15"))
WORKERS = ("fast", "model")


class OnStack:
    def __init__(self, stack: Stack, llm: ChatStandIn) -> None:
        self.stack, self.receiver, self.llm = stack, stack.receiver, llm
        self.celery = make_celery(stack.broker_url)
        self.ids: list[str] = []
        self.kills = self.redeliveries = 0

    def post(self, external_id: str, body: str, msg_id: str) -> int:
        status = self.stack.post(external_id, body, msg_id=msg_id)
        if status == 202 and external_id not in self.ids:
            self.ids.append(external_id)
        return status

    def work(self, pick: int) -> None:
        time.sleep(0.3 + 0.2 * pick)  # the workers go on by themselves meanwhile

    def crash(self, pick: int, after_step: bool) -> None:
        if after_step:
            time.sleep(0.5)
        name = WORKERS[pick % len(WORKERS)]
        self.stack.kill(name)
        self.stack.start(name)
        self.kills += 1

    def redeliver(self, pick: int) -> None:
        with psycopg.connect(self.stack.url, connect_timeout=5) as conn:
            rows = conn.execute("SELECT task, ticket_id, id FROM outbox ORDER BY id").fetchall()
        if rows:
            task, ticket_id, outbox_id = rows[pick % len(rows)]
            send(self.celery, task, ticket_id, outbox_id)
            self.redeliveries += 1

    def time_passes(self) -> None:
        time.sleep(2)

    def settle(self, external_ids: list[str]) -> None:
        self.stack.wait_finished(external_ids, 300)

    def states(self, external_ids: list[str]) -> dict[str, tuple[str, int]]:
        with psycopg.connect(self.stack.url, connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT external_id, min(state), count(*) FROM tickets WHERE source = "
                "'generic' AND external_id = ANY(%s) GROUP BY external_id",
                (external_ids,)).fetchall()
        return {r[0]: (r[1], int(r[2])) for r in rows}


def state_machine_case(work: Path) -> Tally:
    totals = Totals()
    with ChatStandIn() as llm, Stack(work) as stack:
        stack.env.update(llm.env(), DESKROUTE_BREAKER_COOLDOWN_SECONDS="5")  # workers only
        stack.worker("fast", "urgent,decide,deliver", concurrency=2)
        stack.worker("model", "slm,llm")
        driver = OnStack(stack, llm)

        class Machine(PipelineMachine):
            pass

        Machine.driver, Machine.totals = driver, totals
        failure = None
        try:
            run_state_machine_as_test(Machine, settings=hypothesis.settings(
                max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
                database=None, suppress_health_check=list(hypothesis.HealthCheck),
                phases=[hypothesis.Phase.generate]))  # no shrinking on a live stack
        except Exception as exc:  # noqa: BLE001 - a broken guarantee: reported, counted
            failure = exc
            print(f"  state-machine: {type(exc).__name__}: {str(exc)[:3000]}", flush=True)
        ids = driver.ids
        states = driver.states(ids)
        replies = replies_by_ticket(stack.receiver)
        finished = sum(1 for state, _ in states.values() if state in TERMINAL)
        tally = Tally(sent=len(ids), stored=len(states), finished=finished,
                      lost=len(ids) - finished,
                      duplicates=sum(1 for i in ids if len(replies.get(i, ())) > 1))
        tally.extra.update(
            examples=totals.examples, steps=totals.steps, tickets=totals.tickets,
            non_terminal=len(states) - finished,
            stored_twice=sum(1 for _, n in states.values() if n > 1),
            kills=driver.kills, redeliveries=driver.redeliveries,
            model_fails=totals.rules["model_fail"], callback_fails=totals.rules["callback_fail"],
            delivered=totals.states["delivered"], escalated=totals.states["escalated"])
        if failure is not None or tally.extra["stored_twice"]:
            tally.lost += 1  # the guarantee did not hold: count it against the case
        return tally
