"""Templates, the security headers of every page, and the chart data of the overview."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))
# Pages load nothing from elsewhere and run no inline script: a CDN reference or an injected
# script would be refused by the browser (and fail the browser tests).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def page(request: Request, name: str, context: dict[str, Any], status: int = 200
         ) -> HTMLResponse:
    resp = TEMPLATES.TemplateResponse(request, name, context, status_code=status)
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def chart_data(report: dict[str, Any]) -> str:
    """What the overview's charts draw, as JSON for a ``<script type=application/json>``."""
    days = report.get("slices") or []
    reasons = sorted(report["escalations_by_reason"].items(), key=lambda kv: -kv[1])[:8]
    data = {
        "days": [d["key"] for d in days],
        "deflection": [d["deflection_rate"] for d in days],
        "resolution_confirmed": [d["resolution_rate_confirmed"] for d in days],
        "resolution_assumed": [d["resolution_rate_assumed"] for d in days],
        "routes": report["by_route"],
        "cost": {"deskroute": report["cost_per_resolved_usd"],
                 "all_llm": report["all_llm_cost_per_resolved_usd"],
                 "deskroute_models": _per_resolved(report["cost_usd"]["model"], report),
                 "human": _per_resolved(report["cost_usd"]["human"], report)},
        "reasons": {"labels": [k for k, _ in reasons], "counts": [v for _, v in reasons]},
    }
    # "</" must not close the script element the JSON sits in
    return json.dumps(data).replace("</", "<\\/")


def _per_resolved(amount: float, report: dict[str, Any]) -> float | None:
    return round(amount / report["resolved"], 6) if report["resolved"] else None


def worst_intents(report: dict[str, Any], limit: int = 10) -> list[dict[str, Any]]:
    """Intents whose local answers were least often accurate: retrain, or send to the LLM."""
    rows = [{"intent": k, **v} for k, v in report["by_intent"].items()
            if v["local_answers_settled"]]
    rows.sort(key=lambda r: (r["local_accuracy"], -r["local_answers_settled"]))
    return rows[:limit]
