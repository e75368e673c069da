"""The ticket workflow in one place: the tasks, the state each acts on, what a step may ask
for next, and where each task runs (queue, lane, priority).

::

    received ─decide─▶ decided ─slm/llm─▶ drafted ─deliver─▶ delivered | assisted | shadowed
        │                 │                  │
        └─────────────────┴──────────────────┴─▶ escalating ─escalate─▶ escalated
                                 (any step, with a reason)        (the note could not be
                                                                   delivered: failed)

Every hop is an outbox row naming a :class:`Task`. A step returns a typed result
(:class:`Next` or :class:`Escalate`, or None when nothing follows) and :func:`apply` turns it
into the state change and the next row, so escalation is one state with a reason, reached one
way. The *fast* lane (deciding, delivering, escalating) never waits behind model work (the
*model* lane); escalation notes go first of all, on their own Celery queue (``urgent``), so a
risky ticket reaches a human within seconds whatever the SLM backlog.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from router.domain import TicketState
from router.store import models as m
from router.store import outbox, repo


class Task(StrEnum):
    DECIDE = "decide"  # classifier + signals + policy → a route
    SLM = "slm"  # a grounded local draft, verified
    LLM = "llm"  # a hosted draft, redacted and verified
    DELIVER = "deliver"  # the reply (or the draft offered to agents) through the connector
    ESCALATE = "escalate"  # the escalation note to a human: the urgent lane
    FEEDBACK = "feedback"  # an agent's reply compared with the draft (router/rollout/judging)
    COMPARE = "compare"  # a hosted draft of a local ticket, never sent (router/rollout/compare)


class Lane(StrEnum):
    FAST = "fast"  # milliseconds: never queued behind a model
    MODEL = "model"  # seconds: the SLM and the hosted LLM


@dataclass(frozen=True)
class TaskSpec:
    queue: str  # the Celery queue
    lane: Lane  # the embedded worker's thread
    priority: int  # lower runs first within a lane


TASKS: dict[Task, TaskSpec] = {
    Task.ESCALATE: TaskSpec("urgent", Lane.FAST, 0),
    Task.DECIDE: TaskSpec("decide", Lane.FAST, 1),
    Task.DELIVER: TaskSpec("deliver", Lane.FAST, 2),
    Task.LLM: TaskSpec("llm", Lane.MODEL, 3),
    Task.SLM: TaskSpec("slm", Lane.MODEL, 4),
    # needs the sentence encoder, which the decide workers hold; never ahead of an answer
    Task.FEEDBACK: TaskSpec("decide", Lane.MODEL, 5),
    Task.COMPARE: TaskSpec("llm", Lane.MODEL, 6),  # a sample for the promotion report
}
QUEUES: tuple[str, ...] = tuple(dict.fromkeys(spec.queue for spec in TASKS.values()))
PRIORITY: dict[str, int] = {task.value: spec.priority for task, spec in TASKS.items()}


def lane_tasks(lane: Lane) -> frozenset[str]:
    return frozenset(t.value for t, spec in TASKS.items() if spec.lane is lane)


def queue_of(task: str) -> str:
    return TASKS[Task(task)].queue


#: The state a task acts on; found in any other state, the task has nothing to do (it was
#: done already: a redelivered message). Tasks not listed check for themselves.
ACTS_ON: dict[Task, TicketState] = {
    Task.DECIDE: TicketState.RECEIVED,
    Task.SLM: TicketState.DECIDED,
    Task.LLM: TicketState.DECIDED,
    Task.DELIVER: TicketState.DRAFTED,
    Task.ESCALATE: TicketState.ESCALATING,
}


def acts_on(task: str, state: str) -> bool:
    wanted = ACTS_ON.get(Task(task))
    return wanted is None or wanted.value == state


@dataclass(frozen=True)
class Next:
    """Run ``task`` next (``delay`` seconds from now: a delivery's back-off). The step has
    set the state ``task`` acts on."""

    task: Task
    delay: float = 0.0


@dataclass(frozen=True)
class Escalate:
    """A human must take the ticket: the state becomes ``escalating`` with ``reason``, and
    the escalation note is queued on the urgent lane. ``urgent``: a risk signal asked for it
    (the note says so first)."""

    reason: str
    urgent: bool = False


StepResult = Next | Escalate | None


def apply(session: Session, ticket: m.Ticket, result: StepResult) -> Task | None:
    """Record a step's result: the state change (for an escalation) and the next task's
    outbox row, in the step's transaction. Returns the task queued."""
    if result is None:
        return None
    if isinstance(result, Escalate):
        escalate(session, ticket, result.reason, urgent=result.urgent)
        return Task.ESCALATE
    outbox.add_outbox(session, result.task.value, ticket.id, delay=result.delay)
    return result.task


def escalate(session: Session, ticket: m.Ticket, reason: str, *, urgent: bool = False) -> None:
    """The one way a ticket becomes ``escalating`` (a reason is required)."""
    if not reason.strip():
        raise ValueError("an escalation needs a reason")
    ticket.meta = {**(ticket.meta or {}), "escalation": {"urgent": urgent}}
    repo.set_state(session, ticket, TicketState.ESCALATING, reason=reason)
    outbox.add_outbox(session, Task.ESCALATE.value, ticket.id)
