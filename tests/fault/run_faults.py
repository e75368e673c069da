"""``make fault``: deskroute under faults, on real PostgreSQL, Redis, Celery worker processes
and the bundled models; one line per guarantee:

    FAULT <name>: sent=N stored=N finished=N lost=0 duplicates=0 ...

``duplicates`` counts tickets that reached the callback receiver with more than one distinct
reply or note; ``resent_same_id`` counts re-sends that carried the same ``webhook-id`` (after
a worker was killed mid-call: a receiver drops them by id). Exits 1 when any line has lost or
duplicates above 0. Run one case with ``--only NAME``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.fault.llm_down import llm_down
from tests.fault.private import PrivatePostgres, PrivateRedis
from tests.fault.scale_out import scale_out
from tests.fault.schema_case import schemathesis_case
from tests.fault.stack import ROUTINE, Stack, Tally, supervise
from tests.fault.state_machine import state_machine_case

HERE = Path(__file__).resolve().parent


def _routine(prefix: str, n: int) -> list[tuple[str, str]]:
    return [(f"{prefix}-{i}", f"{ROUTINE[i % len(ROUTINE)]} (order {prefix}-{i})")
            for i in range(n)]


def duplicate_storm(work: Path) -> Tally:
    """The same webhook 5 times concurrently, 50 times over: one ticket and one reply each."""
    with Stack(work) as stack:
        stack.worker("fast", "urgent,decide,deliver", concurrency=2)
        stack.worker("slm", "slm")
        tickets = _routine("storm", 50)
        codes = stack.burst(tickets, copies=5, threads=10)
        tally = stack.tally([t for t, _ in tickets], 600)
        tally.extra["requests"] = len(codes)
        tally.extra["non_2xx"] = sum(1 for c in codes if not 200 <= c < 300)
        return tally


def callback_down(work: Path) -> Tally:
    """The delivery endpoint answers 500 (from the first delivery on, for 10 s more), then
    recovers: every reply arrives once, after back-off."""
    with Stack(work) as stack:
        stack.receiver.status = 500
        stack.worker("fast", "urgent,decide,deliver", concurrency=2)
        stack.worker("slm", "slm")
        tickets = _routine("cbdown", 30)
        stack.burst(tickets)
        deadline = time.monotonic() + 180  # down from the first delivery attempt on
        while len(stack.receiver.requests) < 10 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(10)
        stack.receiver.status = 200
        tally = stack.tally([t for t, _ in tickets], 600)
        tally.extra["refused_posts"] = sum(1 for r in stack.receiver.requests
                                           if r["status"] >= 500)
        return tally


def poison(work: Path) -> Tally:
    """A ticket whose SLM step kills its worker every time ends escalated with the reason
    after DESKROUTE_TASK_MAX_RUNS runs; the routine tickets around it finish."""
    with Stack(work) as stack:
        stack.worker("fast", "urgent,decide,deliver", concurrency=2)
        stack.worker("slm", "slm", script=HERE / "poison_worker.py")
        tickets = [*_routine("pre", 5), ("poison-1", "Do you accept PayPal? POISON"),
                   *_routine("post", 5)]
        stack.burst(tickets, threads=1)
        ids = [t for t, _ in tickets]
        tally = stack.tally(ids, 600)
        state, reason = stack.states(["poison-1"]).get("poison-1", ("missing", None))
        tally.extra["poison_state"] = state
        tally.extra["poison_reason"] = repr((reason or "")[:60])
        if state != "escalated" or not (reason or "").startswith("poison"):
            tally.lost += 1  # the guarantee did not hold: count it against the case
        return tally


def kill_worker(work: Path) -> Tally:
    """kill -9 the SLM worker and the decide/deliver worker 3 times each (each restarted, as
    a supervisor would) during a burst of 200 tickets."""
    with Stack(work) as stack:
        stack.worker("fast", "urgent,decide,deliver", concurrency=2)
        stack.worker("slm", "slm")
        stop = threading.Event()
        killers = [supervise(stack, "slm", kills=3, every=7, stop=stop),
                   supervise(stack, "fast", kills=3, every=9, stop=stop)]
        tickets = _routine("kill", 200)
        stack.burst(tickets, threads=4)
        for k in killers:
            k.join()
        tally = stack.tally([t for t, _ in tickets], 900)
        tally.extra["kills"] = 6
        return tally


def _burst_in_background(stack: Stack, tickets: list[tuple[str, str]],
                         codes: list[int], seconds: float = 40) -> threading.Thread:
    """Post the tickets one by one, spread over ``seconds`` (webhooks keep coming while a
    fault is on)."""

    def run() -> None:
        start = time.monotonic()
        for i, (tid, body) in enumerate(tickets):
            wait = start + i * seconds / len(tickets) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            codes.append(stack.post(tid, body))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _outage_during_burst(stack: Stack, prefix: str, down: Callable[[], None],
                         up: Callable[[], None], seconds: float) -> tuple[Tally, list[int]]:
    """A fast and an SLM worker; 100 routine tickets posted over 40 s; ``down()`` 5 s in,
    ``up()`` ``seconds`` later. The tally once every ticket finished, and each post's status."""
    stack.worker("fast", "urgent,decide,deliver", concurrency=2)
    stack.worker("slm", "slm")
    tickets = _routine(prefix, 100)
    codes: list[int] = []
    sender = _burst_in_background(stack, tickets, codes)
    time.sleep(5)
    down()
    time.sleep(seconds)
    up()
    sender.join()
    return stack.tally([t for t, _ in tickets], 900), codes


def redis_restart(work: Path) -> Tally:
    """Redis (a private one) killed mid-burst, down 30 s, started again empty: webhooks keep
    answering 2xx (the outbox holds the work), workers and the relay reconnect, the messages
    lost with Redis are re-sent, nothing is answered twice."""
    broker = PrivateRedis(work)
    broker.start()
    try:
        with Stack(work / "stack", broker_url=broker.url) as stack:
            tally, codes = _outage_during_burst(stack, "redis", broker.kill, broker.start, 30)
            tally.extra["non_2xx"] = sum(1 for c in codes if not 200 <= c < 300)
            tally.extra["answered_5xx"] = len(stack.answered_5xx)
            return tally
    finally:
        broker.kill()


def db_down(work: Path) -> Tally:
    """PostgreSQL (a private cluster) stopped mid-burst for 20 s: webhooks answer 503 with
    Retry-After meanwhile (the sender retries), nothing gets a 2xx without a stored row, the
    API, the relay and the workers recover by themselves."""
    pg = PrivatePostgres(work)
    pg.init()
    try:
        with Stack(work / "stack", pg_admin_url=pg.admin_url) as stack:
            tally, codes = _outage_during_burst(stack, "db", pg.stop, pg.start, 20)
            tally.extra["acked"] = sum(1 for c in codes if 200 <= c < 300)
            tally.extra["answered_503"] = sum(1 for c, _ in stack.answered_5xx if c == 503)
            tally.extra["5xx_without_retry_after"] = sum(
                1 for _, has in stack.answered_5xx if not has)
            if tally.extra["5xx_without_retry_after"]:
                tally.lost += 1  # the guarantee (503 + Retry-After) did not hold
            return tally
    finally:
        pg.destroy()


CASES: dict[str, Callable[[Path], Tally]] = {
    "duplicate-storm": duplicate_storm,
    "callback-down": callback_down,
    "poison": poison,
    "kill-worker": kill_worker,
    "redis-restart": redis_restart,
    "db-down": db_down,
    "llm-down": llm_down,
    "scale-out": scale_out,
    "schemathesis": schemathesis_case,
    "state-machine": state_machine_case,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=sorted(CASES), action="append")
    args = ap.parse_args()
    # a TERM (CI's timeout, a Ctrl-C'd make) unwinds the cases so each stack stops its
    # processes and drops its database instead of leaving them running
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    failed = False
    lines = []
    with tempfile.TemporaryDirectory(prefix="deskroute-fault-") as tmp:
        for name in args.only or list(CASES):
            started = time.monotonic()
            try:
                tally = CASES[name](Path(tmp) / name)
            except Exception as exc:  # noqa: BLE001 - a broken case is a failed guarantee
                print(f"FAULT {name}: ERROR {type(exc).__name__}: {exc}", flush=True)
                failed = True
                continue
            line = tally.line(name) + f" seconds={time.monotonic() - started:.0f}"
            lines.append(line)
            print(line, flush=True)
            failed |= tally.lost > 0 or tally.duplicates > 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
