"""The fault suite's ``scale-out`` case: several worker processes per queue on one machine.

Two ``deskroute worker --queues slm`` processes and two ``--queues urgent,decide,deliver``
processes (one pool process each) share the queues during a burst. Each outbox row keeps the
``host:pid`` of the process that ran it; the pid's process group names the ``deskroute
worker`` it belongs to (each was started in its own group), so the line proves from the
store which worker ran how many tasks of each queue, not from the configuration.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import psycopg

from router.pipeline.workflow import queue_of
from tests.fault.stack import ROUTINE, Stack, Tally

WORKERS = {"fast-1": "urgent,decide,deliver", "fast-2": "urgent,decide,deliver",
           "slm-1": "slm", "slm-2": "slm"}


def runs_by_worker(stack: Stack) -> dict[str, Counter[str]]:
    """Finished tasks per queue and per worker (``gone``: a process no longer there)."""
    groups = {proc.pid: name for name, proc in stack.procs.items()}
    with psycopg.connect(stack.url.replace("+psycopg", ""), connect_timeout=5) as conn:
        rows = conn.execute("SELECT task, owner, count(*) FROM outbox WHERE status = 'done' "
                            "GROUP BY task, owner").fetchall()
    out: dict[str, Counter[str]] = {}
    for task, owner, n in rows:
        try:
            worker = groups.get(os.getpgid(int(str(owner).rpartition(":")[2])), "other")
        except (ProcessLookupError, ValueError):
            worker = "gone"
        out.setdefault(queue_of(task), Counter())[worker] += n
    return out


def scale_out(work: Path) -> Tally:
    """2 SLM worker processes and 2 decide/deliver worker processes, a burst of 80 tickets:
    nothing lost or answered twice, and every process ran tasks of its queues."""
    with Stack(work) as stack:
        for name, queues in WORKERS.items():
            stack.worker(name, queues)
        tickets = [(f"scale-{i}", f"{ROUTINE[i % len(ROUTINE)]} (order scale-{i})")
                   for i in range(80)]
        stack.burst(tickets, threads=4)
        tally = stack.tally([t for t, _ in tickets], 900)
        runs = runs_by_worker(stack)
    for queue, counts in sorted(runs.items()):
        tally.extra[f"{queue}_runs"] = ",".join(f"{w}:{n}" for w, n in sorted(counts.items()))
    ran = {w for counts in runs.values() for w, n in counts.items() if n}
    slm_workers = set(runs.get("slm", Counter()))
    fast_workers = {w for q in ("decide", "deliver", "urgent") for w in runs.get(q, Counter())}
    tally.extra["slm_processes"] = len(slm_workers & {"slm-1", "slm-2"})
    tally.extra["fast_processes"] = len(fast_workers & {"fast-1", "fast-2"})
    if not {"slm-1", "slm-2"} <= slm_workers or not {"fast-1", "fast-2"} <= fast_workers \
            or ran - set(WORKERS):
        tally.lost += 1  # the guarantee (each process took work of its queues) did not hold
    return tally
