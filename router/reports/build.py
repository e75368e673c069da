"""Assemble the support-ops report from the SQL aggregates (definitions: docs/METRICS.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from router.domain import CSAT_SCALE
from router.pricing import DEFAULT_COUNTERFACTUAL_MODEL, Price, PriceSettings, price_of
from router.reports.aggregate import Counts, Group, grouped_counts, percentiles, total
from router.reports.counterfactual import TokenModel, token_model
from router.reports.facts import hosted_models, materialized, per_ticket, with_flags
from router.reports.reasons import CATEGORIES
from router.reports.settings import ReportSettings
from router.reports.window import Window
from router.settings import LLMSettings
from router.store import models as m


def _r(x: float) -> float:
    return round(x, 4)


def _rate(num: float, den: float) -> float:
    return _r(num / den) if den else 0.0


def _usd(x: float) -> float:
    return round(x, 6)


class _Pricing:
    """Unit costs, hosted prices and the all-LLM token model for one report."""

    def __init__(self, session: Session, window: Window, settings: ReportSettings,
                 llm: LLMSettings, prices: PriceSettings) -> None:
        self.settings = settings
        self.hosted = {mdl: price_of(mdl, prices) for mdl in hosted_models(session, window)}
        cf_model = settings.counterfactual_model or llm.llm_model or DEFAULT_COUNTERFACTUAL_MODEL
        self.counterfactual: Price = price_of(cf_model, prices)
        self.tokens: TokenModel = token_model(session, window, cf_model, llm.llm_max_tokens)

    def costs(self, c: Counts) -> dict[str, float | None]:
        """Local compute, hosted tokens, human handling, and the all-LLM baseline of a group."""
        s = self.settings
        local = (c["decision_ms"] + c["local_ms"]) / 3_600_000.0 * s.local_cost_per_hour
        hosted = c["hosted_cost"]
        human = c["human_handled"] * s.human_cost_per_ticket
        model_cost = local + hosted
        cf = None
        if self.counterfactual.known:
            prompt = c["llm_prompt_tokens"] + self.tokens.prompt_tokens(c["unsent"],
                                                                         c["unsent_chars"])
            completion = c["llm_completion_tokens"] + c["unsent"] * self.tokens.completion
            cf = self.counterfactual.cost(prompt, completion)
        resolved = c["confirmed"] + c["assumed"]
        total_cost = model_cost + human
        return {
            "local": _usd(local), "hosted": _usd(hosted), "human": _usd(human),
            "model": _usd(model_cost), "total": _usd(total_cost),
            "per_resolved": _usd(total_cost / resolved) if resolved else None,
            "all_llm": None if cf is None else _usd(cf),
            "all_llm_per_resolved": None if cf is None or not resolved else _usd(cf / resolved),
            "savings": None if cf is None else _usd(cf - model_cost),
        }

    def warnings(self) -> list[str]:
        out = [f"hosted model {p.model!r} has no known price (litellm's price map does not know "
               "it): its tokens are counted at $0; set DESKROUTE_LLM_PRICE_INPUT_PER_MTOK and "
               "DESKROUTE_LLM_PRICE_OUTPUT_PER_MTOK"
               for p in self.hosted.values() if not p.known]
        if not self.counterfactual.known:
            out.append(f"counterfactual model {self.counterfactual.model!r} has no known price: "
                       "all-LLM cost and savings are not computed; set "
                       "DESKROUTE_LLM_PRICE_INPUT_PER_MTOK/_OUTPUT_PER_MTOK or "
                       "DESKROUTE_COUNTERFACTUAL_MODEL")
        return out

    def as_dict(self) -> dict[str, Any]:
        s = self.settings
        return {
            "local_cost_per_hour_usd": s.local_cost_per_hour,
            "human_cost_per_ticket_usd": s.human_cost_per_ticket,
            "resolution_quiet_hours": s.resolution_quiet_hours,
            "hosted_models": [p.as_dict() for p in self.hosted.values()],
            "counterfactual": {**self.counterfactual.as_dict(), **self.tokens.as_dict()},
        }


def metrics(c: Counts, pricing: _Pricing) -> dict[str, Any]:
    """Every rate and cost of one group of tickets (the whole window, a route, an intent…)."""
    tickets, finished, deflected = c["tickets"], c["finished"], c["deflected"]
    resolved = c["confirmed"] + c["assumed"]
    costs = pricing.costs(c)
    reasons = {k: int(c[f"reason__{k}"]) for k in CATEGORIES if c[f"reason__{k}"]}
    return {
        "tickets": int(tickets), "finished": int(finished), "pending": int(tickets - finished),
        "deflected": int(deflected), "answered_locally": int(c["answered_local"]),
        "answered_hosted": int(c["answered_hosted"]), "escalated": int(c["escalated"]),
        "deflection_rate": _rate(deflected, finished),
        "answered_locally_rate": _rate(c["answered_local"], finished),
        "llm_share": _rate(c["llm_used"], finished),
        "escalation_rate": _rate(c["escalated"], finished),
        "escalations_by_reason": reasons,
        "escalation_rate_by_reason": {k: _rate(v, finished) for k, v in reasons.items()},
        "resolved": int(resolved), "resolved_confirmed": int(c["confirmed"]),
        "resolved_assumed": int(c["assumed"]),
        "resolution_rate": _rate(resolved, finished),
        "resolution_rate_confirmed": _rate(c["confirmed"], finished),
        "resolution_rate_assumed": _rate(c["assumed"], finished),
        "automated_resolutions": int(c["automated_resolution"]),
        "automated_resolution_rate": _rate(c["automated_resolution"], finished),
        "reopened": int(c["reopened"]), "not_helpful": int(c["not_helpful"]),
        "agent_edited": int(c["edited"]), "agent_overridden": int(c["overridden"]),
        "escalated_later": int(c["escalated_later"]),
        "reopen_rate": _rate(c["reopened"], deflected),
        "negative_outcome_rate": _rate(c["negative"], deflected),
        "local_answers_settled": int(c["local_settled"]),
        "local_answers_accurate": int(c["local_accurate"]),
        "local_accuracy": _rate(c["local_accurate"], c["local_settled"])
        if c["local_settled"] else None,
        "csat_mean": _r(c["csat_sum"] / c["csat_n"]) if c["csat_n"] else None,
        "csat_responses": int(c["csat_n"]),
        "human_handled": int(c["human_handled"]),
        "hosted_tokens": {"prompt": int(c["llm_prompt_tokens"]),
                          "completion": int(c["llm_completion_tokens"])},
        "cost_usd": {k: costs[k] for k in ("local", "hosted", "human", "model", "total")},
        "total_cost_usd": costs["total"],
        "cost_per_resolved_usd": costs["per_resolved"],
        "all_llm_cost_usd": costs["all_llm"],
        "all_llm_cost_per_resolved_usd": costs["all_llm_per_resolved"],
        "savings_usd": costs["savings"],
        "mean_decision_ms": _r(c["decision_ms"] / c["decided"]) if c["decided"] else None,
    }


def build_report(session: Session, window: Window | None = None, *, by: str | None = None,
                 settings: ReportSettings, llm: LLMSettings,
                 prices: PriceSettings) -> dict[str, Any]:
    """The whole report for tickets created in ``window``; ``by`` adds a table of slices.
    The settings are the process's (``Settings.reports``, ``.llm``, ``.prices``)."""
    window = window or Window()
    pricing = _Pricing(session, window, settings, llm, prices)
    quiet = timedelta(hours=settings.resolution_quiet_hours)
    with_slice = by is not None and by not in ("route", "intent")
    rows = per_ticket(session, window, pricing.hosted, quiet, by if with_slice else None)
    with materialized(session, rows) as stored:
        return _assemble(session, window, with_flags(stored), by, with_slice, pricing)


def _assemble(session: Session, window: Window, facts: Any, by: str | None, with_slice: bool,
              pricing: _Pricing) -> dict[str, Any]:
    groups = grouped_counts(session, facts, with_slice)
    everything = total(groups).get("all", Counts())
    report: dict[str, Any] = {"window": window.as_dict(), **metrics(everything, pricing)}
    report["by_state"] = _by_state(session, window)
    report["answered_by"] = _answered_by(everything)
    latency = percentiles(session, facts, ("e2e_ms", "decision_ms"), "route")
    report["latency_ms"] = latency["e2e_ms"]
    report["decision_latency_ms"] = latency["decision_ms"]
    per_route = total(groups, "route")
    report["by_route"] = {k: int(v["tickets"]) for k, v in sorted(per_route.items())}
    report["routes"] = {k: metrics(v, pricing) for k, v in sorted(per_route.items())}
    report["by_intent"] = {k: metrics(v, pricing)
                           for k, v in sorted(total(groups, "intent").items())}
    report["csat_scale"] = list(CSAT_SCALE)
    report["pricing"] = pricing.as_dict()
    report["warnings"] = pricing.warnings()
    if by is not None:
        report["by"] = by
        report["slices"] = _slices(session, facts, groups, by, with_slice, pricing)
    return report


def _slices(session: Session, facts: Any, groups: list[Group], by: str, with_slice: bool,
            pricing: _Pricing) -> list[dict[str, Any]]:
    key = "slice" if with_slice else by
    lat = percentiles(session, facts, ("e2e_ms",), key)["e2e_ms"]
    rows = []
    for name, counts in sorted(total(groups, key).items()):
        rows.append({"key": name, **metrics(counts, pricing),
                     "latency_ms": lat.get(name, {"n": 0, "p50": None, "p95": None})})
    return rows


def _answered_by(everything: Counts) -> dict[str, int]:
    template = int(everything["answered_template"])
    out = {"slm": int(everything["answered_local"]) - template, "template": template,
           "llm": int(everything["answered_hosted"]),
           "human": int(everything["escalated"])}
    return {k: v for k, v in out.items() if v}


def _by_state(session: Session, window: Window) -> dict[str, int]:
    from router.reports.facts import in_window

    q = in_window(select(m.Ticket.state, func.count()).group_by(m.Ticket.state), window)
    return {str(s): int(n) for s, n in session.execute(q)}
