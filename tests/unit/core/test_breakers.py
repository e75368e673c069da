"""Circuit breakers around the models and the per-ticket budget (issue 14)."""

from __future__ import annotations

import pytest

from router.backends.base import BackendError
from router.breakers import (
    BreakerOpen,
    BreakerState,
    BudgetSpent,
    CircuitBreaker,
    GuardedBackend,
    time_budget,
)
from router.domain import Draft


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _fail(b: CircuitBreaker, n: int) -> None:
    for _ in range(n):
        b.before_call()
        b.failure("Timeout")


def test_opens_after_n_consecutive_failures_and_fails_fast() -> None:
    clock = Clock()
    b = CircuitBreaker("llm", failures=3, cooldown=30, clock=clock)
    _fail(b, 2)
    b.before_call()
    b.success()  # a success in between: the count starts again
    _fail(b, 2)
    assert b.snapshot().state is BreakerState.CLOSED
    _fail(b, 1)
    assert b.snapshot().state is BreakerState.OPEN
    with pytest.raises(BreakerOpen, match="llm circuit open after 3 consecutive failures"):
        b.before_call()


def test_half_open_lets_one_probe_through_after_the_cooldown() -> None:
    clock = Clock()
    b = CircuitBreaker("slm", failures=1, cooldown=30, clock=clock)
    _fail(b, 1)
    clock.now += 29
    with pytest.raises(BreakerOpen):
        b.before_call()
    clock.now += 2
    b.before_call()  # the probe
    assert b.snapshot().state is BreakerState.HALF_OPEN
    with pytest.raises(BreakerOpen):
        b.before_call()  # only one probe at a time
    b.failure("still down")  # the probe failed: open again, a new cool-down
    assert b.snapshot().state is BreakerState.OPEN
    with pytest.raises(BreakerOpen):
        b.before_call()
    clock.now += 31
    b.before_call()
    b.success()
    assert b.snapshot().state is BreakerState.CLOSED and b.snapshot().failures == 0
    b.before_call()


class Slow:
    """A backend whose calls report the timeout they were given."""

    name = "llm"
    model = "m"

    def __init__(self) -> None:
        self.timeouts: list[float | None] = []

    def generate(self, messages: list, timeout: float | None = None) -> Draft:
        self.timeouts.append(timeout)
        if timeout is not None and timeout < 1:
            raise BackendError("hosted LLM call failed: Timeout")
        return Draft(backend="llm", model="m", text="ok")


def test_guarded_backend_passes_the_budget_left_and_counts_timeouts() -> None:
    inner = Slow()
    guarded = GuardedBackend(inner, CircuitBreaker("llm", failures=2, cooldown=60))
    guarded.generate([])  # no budget: no timeout imposed
    with time_budget(5):
        guarded.generate([])
    with time_budget(0.5), pytest.raises(BackendError):
        guarded.generate([])
    with time_budget(0.5), pytest.raises(BackendError):
        guarded.generate([])
    with time_budget(5), pytest.raises(BreakerOpen):
        guarded.generate([])  # two timeouts in a row: not called at all
    with time_budget(0), pytest.raises(BudgetSpent):
        guarded.generate([])
    assert inner.timeouts[0] is None and 4 < (inner.timeouts[1] or 0) <= 5
    assert len(inner.timeouts) == 4
