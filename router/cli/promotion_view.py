"""``deskroute report --promotion``: the promotion evidence as a table (or JSON)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from router.rollout.evidence import next_step


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.0%}"


def _compare(row: dict[str, Any]) -> str:
    c = row["shadow_compare"]
    if not c:
        return "-"
    return f"{c['local_share']:.0%} vs {c['llm_share']:.0%} ({c['gap']:+.0%}, n={c['tickets']})"


def promotion_table(data: dict[str, Any]) -> Table:
    p, rule = data["policy"], data["policy"]["evidence"]
    table = Table(title=(f"Promotion evidence — policy {p['name']} v{p['version']} "
                         f"({p['hash'][:8]}); auto needs >= {rule['min_drafts']} settled "
                         f"drafts and a lower bound >= {rule['min_lower_bound']:.0%}"),
                  title_justify="left")
    for col in ("intent", "mode", "drafts", "settled", "as-is", "edited", "rewritten",
                "ignored", "usable", "lower bound", "local vs LLM", "recommendation"):
        table.add_column(col, justify="left" if col in ("intent", "mode", "recommendation")
                         else "right")
    for r in data["intents"]:
        table.add_row(r["intent"], r["mode"], str(r["drafts_seen"]), str(r["settled"]),
                      str(r["sent_as_is"]), str(r["edited"]), str(r["rewritten"]),
                      str(r["ignored"]), _pct(r["usable_share"]), _pct(r["lower_bound"]),
                      _compare(r), f"{r['advice']}: {r['why']}")
    return table


def promotion_hints(data: dict[str, Any]) -> list[str]:
    return [cmd for r in data["intents"] if (cmd := next_step(r))]


def modes_table(rows: list[dict[str, Any]], title: str = "Rollout modes") -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("mode", "tickets", "replied to customer", "draft offered to agents",
                "shadowed (nothing sent)", "escalated", "other"):
        table.add_column(col, justify="left" if col == "mode" else "right")
    for r in rows:
        table.add_row(r["mode"], str(r["tickets"]), str(r["replied"]),
                      str(r["offered_to_agents"]), str(r["shadowed"]), str(r["escalated"]),
                      str(r["other"]))
    return table
