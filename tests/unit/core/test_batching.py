"""router.api.batching.Batcher: a lone item is handled at once, items that arrive while a batch
runs are the next batch (in order), each item gets its own result or exception, a hung batch
is abandoned without stopping the next one, and an item whose wait ended before its batch
started is never handed over."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import anyio
import pytest

from router.api.batching import Batcher

WAIT = 10.0  # generous: only a broken batcher makes a test wait this long


class Recorder:
    """``func`` for a Batcher: records each batch; the batches whose number is in ``hold``
    wait for ``release`` (set by the test) before answering."""

    def __init__(self, answer: Callable[[str], str | Exception] = str.upper,
                 hold: Sequence[int] = ()) -> None:
        self.calls: list[list[str]] = []
        self.answer, self.hold = answer, set(hold)
        self.entered, self.release = threading.Event(), threading.Event()

    def __call__(self, items: list[str]) -> list[str | Exception]:
        self.calls.append(list(items))
        if len(self.calls) - 1 in self.hold:
            self.entered.set()
            self.release.wait(WAIT)
        return [self.answer(item) for item in items]


def batcher(func: Callable[[list[str]], Sequence[str | Exception]],
            seconds: float = WAIT) -> Batcher[str, str]:
    return Batcher(func, limiter=anyio.CapacityLimiter(4), seconds=seconds)


def run(main: Callable[[], Coroutine[Any, Any, None]], func: Recorder | None = None) -> None:
    try:
        asyncio.run(main())
    finally:
        if func is not None:
            func.release.set()  # a held (or abandoned) batch's thread ends


async def entered(func: Recorder) -> None:
    """Until ``func``'s held batch has started on its thread."""
    assert await anyio.to_thread.run_sync(func.entered.wait, WAIT)


async def queued(b: Batcher[str, str], *items: str) -> list[asyncio.Task[str]]:
    """Submit ``items`` as requests of their own, and return once each is waiting."""
    tasks = [asyncio.create_task(b.submit(item)) for item in items]
    await asyncio.sleep(0)  # each task appends its item before its first await
    return tasks


async def raised(task: asyncio.Task[str]) -> BaseException:
    """The exception ``task`` raised (an exception *returned* as its result fails the test)."""
    with pytest.raises(Exception) as caught:
        await task
    return caught.value


def test_a_lone_item_is_handed_over_at_once() -> None:
    func = Recorder()

    async def main() -> None:
        b = batcher(func)
        with anyio.fail_after(WAIT / 2):  # a batcher waiting for company would hang here
            assert await b.submit("a") == "A"
            assert await b.submit("b") == "B"

    run(main)
    assert func.calls == [["a"], ["b"]]


def test_items_that_arrive_during_a_batch_are_the_next_batch_in_order() -> None:
    func = Recorder(hold=[0])

    async def main() -> None:
        b = batcher(func)
        first = asyncio.create_task(b.submit("a"))
        await entered(func)
        later = await queued(b, "b", "c", "d")
        func.release.set()
        assert await first == "A"
        assert [await t for t in later] == ["B", "C", "D"]

    run(main, func)
    assert func.calls == [["a"], ["b", "c", "d"]]


def test_an_exception_answers_its_own_item_only() -> None:
    def answer(item: str) -> str | Exception:
        return ValueError(f"bad {item}") if item == "b" else item.upper()

    func = Recorder(answer)

    async def main() -> None:
        a, bad, c = await queued(batcher(func), "a", "b", "c")
        failed = await raised(bad)
        assert isinstance(failed, ValueError) and str(failed) == "bad b"
        assert await a == "A" and await c == "C"

    run(main)
    assert func.calls == [["a", "b", "c"]]  # one batch: the three arrived together


def test_a_func_that_raises_answers_every_item_of_its_batch() -> None:
    calls: list[list[str]] = []

    def func(items: list[str]) -> list[str]:
        calls.append(list(items))
        if len(calls) == 1:
            raise RuntimeError("store down")
        return [item.upper() for item in items]

    async def main() -> None:
        b = batcher(func)
        for task in await queued(b, "a", "b", "c"):
            failed = await raised(task)
            assert isinstance(failed, RuntimeError) and str(failed) == "store down"
        assert await b.submit("d") == "D"  # the batcher itself carries on

    run(main)
    assert calls == [["a", "b", "c"], ["d"]]


def test_a_hung_batch_times_out_and_the_next_batch_starts_meanwhile() -> None:
    seconds = 1.0
    func = Recorder(hold=[0])  # the first batch hangs until the end of the test

    async def main() -> None:
        b = batcher(func, seconds=seconds)
        hung = asyncio.create_task(b.submit("a"))
        await entered(func)
        await asyncio.sleep(seconds * 0.6)
        # queued while "a" hangs: its batch must start when "a"'s is abandoned, well before
        # its own deadline (a drainer stuck with "a" would let it time out too)
        (waiting,) = await queued(b, "b")
        assert isinstance(await raised(hung), TimeoutError)
        assert await waiting == "B"
        assert await b.submit("c") == "C"

    run(main, func)
    assert func.calls == [["a"], ["b"], ["c"]]


def test_an_item_whose_wait_ended_before_its_batch_started_is_never_handed_over() -> None:
    func = Recorder(hold=[0])

    async def main() -> None:
        b = batcher(func)
        first = asyncio.create_task(b.submit("a"))
        await entered(func)
        with anyio.move_on_after(0.1) as gave_up:  # the request's own deadline, or a hang-up
            await b.submit("b")
        assert gave_up.cancelled_caught
        (later,) = await queued(b, "c")
        func.release.set()
        assert await first == "A" and await later == "C"

    run(main, func)
    assert func.calls == [["a"], ["c"]]
