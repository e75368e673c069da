"""A Redis database of its own for each test or fault stack, so runs side by side on one
machine (two worktrees, a fault case beside the tests) never consume or flush each other's
Celery queues: a database is claimed with ``SET NX`` on a lock key, emptied except for that
key, and released (lock deleted) afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

LOCK = "deskroute:claimed-by"
CLAIM_SECONDS = 3 * 3600  # a crashed run's claim lapses by itself


@contextmanager
def claimed_db(base_url: str, dbs: range = range(1, 16), *, fixed: str | None = None
               ) -> Iterator[str]:
    """Yield ``redis://host:port/N`` for a free database N in ``dbs``, emptied. ``fixed``
    (a URL from the environment) is used as is, flushed, with no claim."""
    if fixed:
        redis.Redis.from_url(fixed).flushdb()
        yield fixed
        return
    root = base_url.rsplit("/", 1)[0] if base_url.count("/") > 2 else base_url.rstrip("/")
    me = f"{os.getpid()}:{uuid.uuid4().hex[:8]}"
    for n in dbs:
        client = redis.Redis.from_url(f"{root}/{n}")
        if client.set(LOCK, me, nx=True, ex=CLAIM_SECONDS):
            break
    else:
        raise RuntimeError(f"no free Redis database in {dbs.start}..{dbs.stop - 1} at {root}")
    try:
        for key in client.scan_iter(count=500):
            if key != LOCK.encode():
                client.delete(key)
        yield f"{root}/{n}"
    finally:
        if client.get(LOCK) == me.encode():
            client.delete(LOCK)
