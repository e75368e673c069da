"""The ticket workflow in one place: the tasks, their queues and lanes, and what runs first.

Every hop is an outbox row naming a :class:`Task`; the embedded worker and Celery both route
by the tables below. The *fast* lane (deciding, delivering) never waits behind model work
(the *model* lane), so a reply or an escalation goes out while the SLM is busy.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Task(StrEnum):
    DECIDE = "decide"  # classifier + signals + policy → a route
    SLM = "slm"  # a grounded local draft, verified
    LLM = "llm"  # a hosted draft, redacted and verified
    DELIVER = "deliver"  # the reply, or the escalation note, through the ticket's connector
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
