"""Requests that arrive together are handled together: one thread hand-off and one call for
the lot (the webhooks' store: one transaction, one commit, for every ticket that arrived while
the previous batch was being stored).

No request waits for a batch to fill: a batch starts as soon as the one before it ends, so a
lone request is handled at once and, under load, a batch holds what arrived meanwhile. Each
request still has its own deadline, the wait for its batch included.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import anyio
import anyio.to_thread

I = TypeVar("I")  # noqa: E741 - an item
R = TypeVar("R")  # its result


class Batcher(Generic[I, R]):
    """Hands items to ``func`` in batches, on a worker thread, one batch at a time.

    ``func`` answers each item in order, with its result or the exception to raise for that
    item alone. A batch that does not finish within ``seconds`` is abandoned (its thread may
    still finish later) and its items get ``TimeoutError``; the next batch starts meanwhile.
    """

    def __init__(self, func: Callable[[list[I]], Sequence[R | Exception]], *,
                 limiter: anyio.CapacityLimiter, seconds: float, max_items: int = 64) -> None:
        self._func, self._limiter, self._seconds = func, limiter, seconds
        self._max_items = max_items
        self._waiting: deque[tuple[I, asyncio.Future[R]]] = deque()
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: I, seconds: float | None = None) -> R:
        """``item``'s result, or its exception; ``TimeoutError`` after ``seconds`` (default:
        the batcher's own)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, future))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        with anyio.fail_after(self._seconds if seconds is None else seconds):
            # a cancelled wait cancels the future too: a batch not yet started skips it
            return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch: list[tuple[I, asyncio.Future[R]]] = []
                while self._waiting and len(batch) < self._max_items:
                    item, future = self._waiting.popleft()
                    if not future.done():  # its request gave up waiting: never started
                        batch.append((item, future))
                if batch:
                    await self._run(batch)
        finally:  # no await between the last emptiness check and this: nothing is stranded
            self._drainer = None

    async def _run(self, batch: list[tuple[I, asyncio.Future[R]]]) -> None:
        results: Sequence[R | Exception]
        try:
            with anyio.fail_after(self._seconds):
                results = await anyio.to_thread.run_sync(
                    self._func, [item for item, _ in batch], abandon_on_cancel=True,
                    limiter=self._limiter)
        except TimeoutError:
            results = [TimeoutError() for _ in batch]
        except Exception as exc:  # ``func`` itself failed: every item of the batch answers it
            results = [exc for _ in batch]
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
