"""Circuit breakers around the model backends, and the per-ticket time budget.

A hosted LLM that hangs, or a local model that keeps failing, must not make every ticket wait
out its own timeouts before it reaches a human. After ``failures`` consecutive failures or
timeouts a backend's breaker *opens*: calls fail at once (the pipeline moves the ticket on,
to the other model or a human, per policy). After ``cooldown`` seconds one call is let
through (*half-open*); its success closes the breaker, its failure opens it again.

Breakers are per process (one per backend name), like the models themselves; their state is
logged on every change and shown by ``/healthz`` in the process that runs them.

The budget bounds a ticket's total model time: :func:`time_budget` sets a deadline for the
calls made inside it, and :class:`GuardedBackend` passes what is left as the call's timeout.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from router.backends.base import Backend, BackendError, Message
from router.domain import Draft

log = logging.getLogger(__name__)
_deadline: ContextVar[float | None] = ContextVar("deskroute_model_deadline", default=None)


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class BreakerOpen(BackendError):
    """The backend's breaker is open: the call was not made."""


class BudgetSpent(BackendError):
    """The ticket's model time budget is spent: the call was not made."""


@dataclass(frozen=True)
class BreakerSnapshot:
    state: BreakerState
    failures: int
    opened_for_seconds: float | None
    last_error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state.value, "failures": self.failures,
                "opened_for_seconds": self.opened_for_seconds, "last_error": self.last_error}


class CircuitBreaker:
    def __init__(self, name: str, *, failures: int = 3, cooldown: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self.threshold, self.cooldown, self._clock = name, failures, cooldown, clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False
        self._last_error: str | None = None

    def before_call(self) -> None:
        """Raise :class:`BreakerOpen` unless a call may go through now."""
        with self._lock:
            if self._state is BreakerState.CLOSED:
                return
            assert self._opened_at is not None
            waited = self._clock() - self._opened_at
            if self._state is BreakerState.OPEN and waited >= self.cooldown:
                self._set(BreakerState.HALF_OPEN)
            if self._state is BreakerState.HALF_OPEN and not self._probing:
                self._probing = True  # this call is the probe; the others still fail fast
                return
            retry_in = max(0.0, self.cooldown - waited)
            raise BreakerOpen(
                f"{self.name} circuit open after {self._failures} consecutive failures "
                f"(last: {self._last_error}); next probe in {retry_in:.0f} s")

    def success(self) -> None:
        with self._lock:
            self._failures, self._probing = 0, False
            if self._state is not BreakerState.CLOSED:
                self._opened_at = None
                self._set(BreakerState.CLOSED)

    def failure(self, error: str) -> None:
        with self._lock:
            self._failures += 1
            self._last_error = error[:300]
            probe_failed = self._state is BreakerState.HALF_OPEN
            self._probing = False
            if probe_failed or (self._state is BreakerState.CLOSED
                                and self._failures >= self.threshold):
                self._opened_at = self._clock()
                self._set(BreakerState.OPEN)

    def snapshot(self) -> BreakerSnapshot:
        with self._lock:
            opened = None if self._opened_at is None else round(self._clock() - self._opened_at, 1)
            return BreakerSnapshot(self._state, self._failures, opened, self._last_error)

    def _set(self, state: BreakerState) -> None:
        if state is not self._state:
            level = logging.WARNING if state is BreakerState.OPEN else logging.INFO
            log.log(level, "%s breaker %s -> %s (%d consecutive failures; last: %s)",
                    self.name, self._state.value, state.value, self._failures, self._last_error)
        self._state = state


_BREAKERS: dict[str, CircuitBreaker] = {}
_REGISTRY_LOCK = threading.Lock()


def breaker_for(name: str, *, failures: int, cooldown: float) -> CircuitBreaker:
    """This process's breaker for a backend (created on first use; settings of the first)."""
    with _REGISTRY_LOCK:
        if name not in _BREAKERS:
            _BREAKERS[name] = CircuitBreaker(name, failures=failures, cooldown=cooldown)
        return _BREAKERS[name]


def breaker_states() -> dict[str, dict[str, Any]]:
    """Every breaker of this process, for /healthz and the metrics."""
    with _REGISTRY_LOCK:
        breakers = list(_BREAKERS.values())
    return {b.name: b.snapshot().as_dict() for b in breakers}


def reset_breakers() -> None:
    """Forget every breaker (tests; a worker that reloads its settings)."""
    with _REGISTRY_LOCK:
        _BREAKERS.clear()


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Model calls inside get at most ``seconds`` in all (None: no budget)."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def budget_left() -> float | None:
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


class GuardedBackend:
    """A backend behind its breaker, called with the time the ticket's budget has left."""

    def __init__(self, backend: Backend, breaker: CircuitBreaker) -> None:
        self.inner, self.breaker = backend, breaker
        self.name = backend.name
        # the hosted leg honours a timeout; the local model is bounded by its max tokens
        # and cannot be interrupted, so a run past the budget only counts as a timeout
        self._takes_timeout = "timeout" in inspect.signature(backend.generate).parameters

    @property
    def model(self) -> str:
        return self.inner.model

    def generate(self, messages: list[Message]) -> Draft:
        left = budget_left()
        if left is not None and left <= 0:
            raise BudgetSpent(f"the ticket's model time budget is spent; {self.name} not called")
        self.breaker.before_call()
        started = time.monotonic()
        try:
            if left is not None and self._takes_timeout:
                draft = self.inner.generate(messages, timeout=left)  # type: ignore[call-arg]
            else:
                draft = self.inner.generate(messages)
        except BackendError as exc:
            self.breaker.failure(str(exc))
            raise
        except Exception as exc:  # a backend bug counts as a failure too, and says so
            self.breaker.failure(f"{type(exc).__name__}: {exc}")
            raise BackendError(f"{self.name} failed: {type(exc).__name__}: {exc}") from exc
        took = time.monotonic() - started
        if left is not None and took > left:  # finished, but late: the draft is kept
            self.breaker.failure(f"took {took:.0f} s, over the {left:.0f} s the budget left")
        else:
            self.breaker.success()
        return draft

    def __getattr__(self, item: str) -> Any:  # load_plan, uses_extra_buffers, ...
        return getattr(self.inner, item)
