"""``deskroute route TEXT`` and ``deskroute answer TEXT``: what the pipeline would do."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer

from router.cli.output import console, emit_json, err_console, fail, kv_table
from router.domain import Decision, Route


def _services():  # type: ignore[no-untyped-def]
    from router.pipeline.services import default_services

    return default_services()


def decision_dict(d: Decision) -> dict[str, Any]:
    return {
        "route": d.route.value,
        "intent": d.intent,
        "confidence": round(d.confidence, 4),
        "runner_up": d.runner_up,
        "reasons": list(d.reasons),
        "signals": [asdict(s) for s in d.signals],
        "policy": {"name": d.policy_name, "hash": d.policy_hash},
        "classifier": d.classifier_version,
        "mode": d.mode.value,  # the rollout mode a ticket with this text would be handled in
    }


def route(
    text: str = typer.Argument(..., help="The ticket text (subject and body)."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Decide a route for TEXT (classifier + risk signals + policy); generates nothing."""
    from router.pipeline.routing import route_text

    if not text.strip():
        fail("TEXT is empty")
    try:
        routed = route_text(_services(), text)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    out = decision_dict(routed.decision) | {"latency_ms": round(routed.latency_ms, 2)}
    if json_out:
        emit_json(out)
    else:
        console.print(kv_table("route", out))


def _store_with_kb(services: Any) -> None:
    """The store must be usable (the embedded SQLite default is migrated on first use); an
    empty knowledge base is allowed but said, since no local answer can be grounded then."""
    from router.kb.importers import count_entries
    from router.store.db import unit_of_work
    from router.store.migrate import ensure_ready

    url = services.database_url
    ensure_ready(url)
    with unit_of_work(url) as session:
        empty = count_entries(session) == 0
    if empty:
        err_console.print("[yellow]note:[/] the knowledge base is empty, so nothing can be "
                          "answered locally: import approved answers with `deskroute kb "
                          "import FILE` (or `deskroute kb import --sample` for the demo shop's)")


def answer(
    text: str = typer.Argument(..., help="The ticket text (subject and body)."),
    force: Route | None = typer.Option(
        None, "--route", help="Force a leg (slm, llm, human) to compare what each would say."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Route TEXT and draft the answer the pipeline would send (nothing is stored or sent).

    The legs are the pipeline's own objects (router.answering), so this shows exactly what a
    ticket would get: same retrieval, relevance check, redaction, masking and verifier.
    """
    from router.answering.human import HumanNote
    from router.answering.result import AnswerResult
    from router.backends.base import BackendError
    from router.pipeline.routing import route_text
    from router.pipeline.services import KnowledgeBaseError

    if not text.strip():
        fail("TEXT is empty")
    services = _services()
    _store_with_kb(services)
    try:
        decision = route_text(services, text).decision
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    out = decision_dict(decision)
    leg = force or decision.route
    out["answered_by"] = leg.value
    result: AnswerResult | None = None
    try:
        if leg is Route.SLM:
            result = services.local_answerer().answer(text, decision.intent)
        elif leg is Route.LLM:
            result = services.hosted_answerer().answer(text, decision.intent)
    except KnowledgeBaseError as exc:
        fail(str(exc))
    except BackendError as exc:
        out["error"] = str(exc)
        out["escalated"] = str(exc)
    if result is not None:
        d = result.draft
        if not result.verdict.accepted and force is None:
            out["escalated"] = "; ".join(result.verdict.reasons)
        out |= {
            "answer": d.text or None, "backend": d.backend, "model": d.model,
            "mode": result.mode, "latency_ms": round(d.latency_ms, 1), "cost_usd": d.cost_usd,
            "prompt_tokens": d.prompt_tokens, "completion_tokens": d.completion_tokens,
            "verifier": {"accepted": result.verdict.accepted,
                         "score": round(result.verdict.score, 4),
                         "reasons": list(result.verdict.reasons)},
            "relevance": None if result.relevance is None else round(result.relevance, 4),
            "kb_entry_ids": result.entry_ids,
            "redactions": result.redactions, "masked": result.masked,
        }
    else:
        note = HumanNote().answer("; ".join(decision.reasons), intent=decision.intent,
                                  confidence=decision.confidence)
        out |= {
            "answer": None, "backend": "human", "model": None, "latency_ms": 0.0,
            "cost_usd": 0.0, "verifier": None, "redactions": {},
            "note": note.draft.text,
        }
    if json_out:
        emit_json(out)
    else:
        console.print(kv_table("answer", out))
