"""The report for people (rich tables) and for spreadsheets (CSV rows of flat metrics)."""

from __future__ import annotations

import csv
import io
from typing import Any

from rich.table import Table

SUMMARY = (
    ("tickets", "tickets"), ("finished", "finished"), ("pending", "pending"),
    ("deflection_rate", "deflection rate"), ("answered_locally", "answered locally"),
    ("answered_hosted", "answered by hosted LLM"), ("llm_share", "LLM share"),
    ("escalation_rate", "escalation rate"),
    ("resolution_rate_confirmed", "resolution rate, confirmed"),
    ("resolution_rate_assumed", "resolution rate, assumed (quiet window)"),
    ("automated_resolution_rate", "automated resolution rate"),
    ("reopen_rate", "reopen rate (of automated replies)"),
    ("negative_outcome_rate", "negative outcome rate (of automated replies)"),
    ("local_accuracy", "local answer accuracy"), ("csat_mean", "CSAT mean (1-5)"),
    ("csat_responses", "CSAT responses"),
)
COSTS = (
    ("local", "local compute"), ("hosted", "hosted LLM tokens"), ("human", "human handling"),
    ("total", "total"),
)
#: flat columns of a CSV row (one per slice)
CSV_COLUMNS = (
    "tickets", "finished", "pending", "deflected", "answered_locally", "answered_hosted",
    "escalated", "deflection_rate", "answered_locally_rate", "llm_share", "escalation_rate",
    "resolved_confirmed", "resolved_assumed", "resolution_rate", "resolution_rate_confirmed",
    "resolution_rate_assumed", "automated_resolution_rate", "reopened", "not_helpful",
    "agent_edited", "agent_overridden", "escalated_later", "reopen_rate", "local_accuracy",
    "csat_mean", "csat_responses", "total_cost_usd", "cost_per_resolved_usd",
    "all_llm_cost_usd", "savings_usd",
)


def _fmt(v: Any, money: bool = False) -> str:
    if v is None:
        return "-"
    if money:
        return f"${v:,.4f}" if abs(v) < 100 else f"${v:,.2f}"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _is_rate(key: str) -> bool:
    return "_rate" in key or key in ("llm_share", "local_accuracy")


def _ms(d: dict[str, Any] | None, key: str) -> str:
    return "-" if not d or d.get(key) is None else f"{d[key]:,.0f}"


def report_tables(r: dict[str, Any]) -> list[Table]:
    """Summary, cost, per route, escalation reasons, per intent, and the ``--by`` slices."""
    tables = []
    summary = Table(title=_title(r), show_header=False, title_justify="left")
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    for key, label in SUMMARY:
        value = r.get(key)
        summary.add_row(label, f"{value:.1%}" if _is_rate(key) and value is not None
                        else _fmt(value))
    tables.append(summary)

    cost = Table(title="Cost (USD)", show_header=False, title_justify="left")
    cost.add_column(style="bold")
    cost.add_column(justify="right")
    for key, label in COSTS:
        cost.add_row(label, _fmt(r["cost_usd"][key], money=True))
    cost.add_row("cost per resolved ticket", _fmt(r["cost_per_resolved_usd"], money=True))
    cf = r["pricing"]["counterfactual"]
    cost.add_row(f"all-LLM ({cf['model']})", _fmt(r["all_llm_cost_usd"], money=True))
    cost.add_row("savings vs all-LLM (model spend)", _fmt(r["savings_usd"], money=True))
    tables.append(cost)

    routes = Table(title="Per route", title_justify="left")
    for col in ("route", "tickets", "deflected", "escalated", "e2e p50 ms", "e2e p95 ms",
                "decision p50 ms", "decision p95 ms", "cost USD"):
        routes.add_column(col, justify="left" if col == "route" else "right")
    for name, m in r["routes"].items():
        lat, dec = r["latency_ms"].get(name), r["decision_latency_ms"].get(name)
        routes.add_row(name, str(m["tickets"]), str(m["deflected"]), str(m["escalated"]),
                       _ms(lat, "p50"), _ms(lat, "p95"), _ms(dec, "p50"), _ms(dec, "p95"),
                       _fmt(m["total_cost_usd"], money=True))
    tables.append(routes)

    if r["escalations_by_reason"]:
        reasons = Table(title="Escalation reasons", title_justify="left")
        for col in ("reason", "tickets", "rate of finished"):
            reasons.add_column(col, justify="left" if col == "reason" else "right")
        for name, n in sorted(r["escalations_by_reason"].items(), key=lambda kv: -kv[1]):
            reasons.add_row(name, str(n), f"{r['escalation_rate_by_reason'][name]:.1%}")
        tables.append(reasons)

    tables.append(_slice_table("Per intent", "intent", r["by_intent"].items()))
    if r.get("slices") is not None:
        tables.append(_slice_table(f"By {r['by']}", r["by"],
                                   ((row["key"], row) for row in r["slices"])))
    return tables


def _slice_table(title: str, key: str, rows: Any) -> Table:
    table = Table(title=title, title_justify="left")
    for col in (key, "tickets", "deflection", "local", "local accuracy", "resolved",
                "reopened", "escalated", "CSAT", "cost/resolved"):
        if col == key:  # names are never cut short, whatever the terminal width
            table.add_column(col, overflow="fold", min_width=12)
        else:
            table.add_column(col, justify="right")
    for name, m in rows:
        table.add_row(str(name), str(m["tickets"]), f"{m['deflection_rate']:.0%}",
                      str(m["answered_locally"]),
                      "-" if m["local_accuracy"] is None else f"{m['local_accuracy']:.0%}",
                      f"{m['resolved']} ({m['resolved_confirmed']} confirmed)",
                      str(m["reopened"]), str(m["escalated"]), _fmt(m["csat_mean"]),
                      _fmt(m["cost_per_resolved_usd"], money=True))
    return table


def _title(r: dict[str, Any]) -> str:
    w = r["window"]
    since, until = w.get("since"), w.get("until")
    span = f"{since[:16] if since else 'start'} → {until[:16] if until else 'now'}"
    return f"deskroute report ({span})"


def report_csv(r: dict[str, Any]) -> str:
    """One row per slice (``--by``; per intent by default) with the flat metrics."""
    by = r.get("by") or "intent"
    rows = r["slices"] if r.get("slices") is not None else [
        {"key": k, **v} for k, v in r["by_intent"].items()]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([by, *CSV_COLUMNS])
    for row in rows:
        writer.writerow([row["key"], *("" if row.get(c) is None else row.get(c)
                                       for c in CSV_COLUMNS)])
    return out.getvalue()
