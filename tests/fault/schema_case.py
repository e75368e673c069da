"""``make fault`` case ``schemathesis``: Schemathesis against the live stack's OpenAPI schema
over real HTTP (``deskroute serve`` under uvicorn with its relay, PostgreSQL, Redis, Celery
workers running), every operation — Slack and e-mail intakes signed, the dashboard's pages
included — with valid credentials and without (tests/api_fuzz.py):
no 5xx, and every status code, content type and body the one the schema documents. The
seeded tickets must still go through the pipeline once each."""

from __future__ import annotations

import os
import traceback
from pathlib import Path

import httpx

from tests.api_fuzz import ENV, UNSENDABLE, fuzz_all, reached_the_handlers, seed_tickets
from tests.fault.stack import TERMINAL, Stack, Tally

EXAMPLES = int(os.environ.get("DESKROUTE_FAULT_SCHEMATHESIS_EXAMPLES", "10"))


def schemathesis_case(work: Path) -> Tally:
    # the Slack and e-mail intakes configured too, so they are fuzzed past authentication
    with Stack(work, **ENV) as stack:
        stack.worker("fast", "urgent,decide,deliver", concurrency=2)
        stack.worker("slm", "slm")
        failures: list[str] = []
        requests = server_errors = operations = unsendable = 0
        seeds = [f"schema-{i}" for i in range(3)]
        with httpx.Client(base_url=stack.base, timeout=60) as client:
            seeded = seed_tickets(client, seeds)
            for authenticated in (True, False):
                mode = "credentials" if authenticated else "anonymous"

                def failed(op: str, exc: Exception, mode: str = mode,
                           sink: list[str] = failures) -> None:
                    text = "".join(traceback.format_exception_only(exc)).strip()
                    sink.append(f"{op} ({mode}): {text[:3000]}")

                seen = fuzz_all(client, authenticated=authenticated, ticket_ids=seeded,
                                examples=EXAMPLES, on_failure=failed, dashboard=True)
                operations = len(seen)
                requests += sum(n for counts in seen.values()
                                for code, n in counts.items() if code != UNSENDABLE)
                unsendable += sum(counts.get(UNSENDABLE, 0) for counts in seen.values())
                server_errors += sum(n for counts in seen.values()
                                     for code, n in counts.items() if code >= 500)
                failures += [f"{m} ({mode})" for m in reached_the_handlers(
                    seen, authenticated, channels=True, dashboard=True)]
        for failure in failures:
            print(f"  schemathesis: {failure}", flush=True)
        tally = stack.tally(seeds, 300)
        tally.extra.update(operations=operations, examples=EXAMPLES, requests=requests,
                           server_errors=server_errors, nonconforming=len(failures),
                           unsendable=unsendable)
        unfinished = {k: v for k, v in stack.states(seeds).items() if v[0] not in TERMINAL}
        if unfinished:
            tally.extra["unfinished"] = repr(unfinished)[:300]
        if server_errors or failures:
            tally.lost += 1  # the guarantee did not hold: count it against the case
        return tally
