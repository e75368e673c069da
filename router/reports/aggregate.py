"""The report's SQL: one grouped aggregate over the ticket facts, and nearest-rank percentiles.

Counts and sums are additive, so the database groups by (route, intent[, slice]) once and
Python adds the groups up into totals, per-route, per-intent and per-slice figures. Only
percentiles are not additive; they come from one ``percentile_disc`` query per partitioning
on PostgreSQL (every latency column in the same pass) and from ``row_number``/``count``
windows on SQLite — the same nearest-rank definition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Subquery,
    TableClause,
    and_,
    case,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from router.reports.reasons import categories

Facts = Subquery | TableClause  # the per-ticket rows (a temporary table in reports)

#: additive columns summed per group (names are also the keys of ``Counts.values``)
SUMS = (
    "finished", "deflected", "escalated", "answered_local", "answered_hosted",
    "answered_template", "llm_used",
    "confirmed", "assumed", "automated_resolution", "local_settled", "local_accurate",
    "human_handled", "negative", "reopened", "not_helpful", "edited", "overridden",
    "escalated_later", "llm_calls", "llm_prompt_tokens", "llm_completion_tokens", "hosted_cost",
    "local_ms",
)


@dataclass
class Counts:
    """Additive figures of a group of tickets."""

    values: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, other: Counts) -> None:
        for k, v in other.values.items():
            self.values[k] += v

    def __getitem__(self, key: str) -> float:
        return self.values.get(key, 0.0)


@dataclass(frozen=True)
class Group:
    route: str
    intent: str
    slice: str | None
    counts: Counts


def grouped_counts(session: Session, facts: Facts, with_slice: bool) -> list[Group]:
    """Every additive figure per (route, intent[, slice]) in one pass over the facts.

    The escalation reason is part of the grouping (only for escalated tickets), so the same
    pass counts escalations per reason text; each distinct text is then put in its
    categories once (``router.reports.reasons``).
    """
    f = facts.c
    keys: list[Any] = [f.route, f.intent] + ([f.slice] if with_slice else [])
    reason = case((f.escalated == 1, func.coalesce(f.reason, "")), else_=None).label("why")
    unsent = and_(f.llm_calls == 0, f.finished == 1)  # finished without the hosted model
    cols: list[ColumnElement] = [
        func.count().label("tickets"),
        *(func.sum(f[name]).label(name) for name in SUMS),
        func.sum(func.coalesce(f.decision_ms, 0.0)).label("decision_ms"),
        func.sum(case((f.decision_ms.is_not(None), 1), else_=0)).label("decided"),
        # text of finished tickets that never reached the hosted model: its prompt is estimated
        func.sum(case((unsent, f.text_chars), else_=0)).label("unsent_chars"),
        func.sum(case((unsent, 1), else_=0)).label("unsent"),
        func.sum(case((f.csat.is_not(None), f.csat), else_=0.0)).label("csat_sum"),
        func.sum(case((f.csat.is_not(None), 1), else_=0)).label("csat_n"),
    ]
    names = [str(c.name) for c in cols]
    groups: dict[tuple[str, str, str | None], Counts] = {}
    for row in session.execute(select(*keys, reason, *cols).group_by(*keys, reason)):
        key = (str(row[0]), str(row[1]), str(row[2]) if with_slice else None)
        why = row[len(keys)]
        counts = groups.setdefault(key, Counts())
        values = counts.values
        for name, value in zip(names, row[len(keys) + 1:], strict=True):
            if value:
                values[name] += float(value)
        if why is not None:
            for category in categories(why or None):
                values[f"reason__{category}"] += float(row.tickets)
    return [Group(*key, counts) for key, counts in groups.items()]


def total(groups: Iterable[Group], key: str | None = None) -> dict[str, Counts]:
    """Sum groups by one of their keys (``route``, ``intent``, ``slice``) or all together."""
    out: dict[str, Counts] = defaultdict(Counts)
    for g in groups:
        out["all" if key is None else str(getattr(g, key))].add(g.counts)
    return dict(out)


def percentiles(session: Session, facts: Facts, values: tuple[str, ...], by: str | None,
                qs: tuple[int, ...] = (50, 95)) -> dict[str, dict[str, dict[str, Any]]]:
    """Nearest-rank percentiles of each of ``values`` per ``by`` group: the value at rank
    ⌈q·n/100⌉ — ``{value: {group: {"n", "p50", "p95"}}}``."""
    f = facts.c
    key = f[by] if by else literal_column("'all'")
    if session.get_bind().dialect.name == "postgresql":
        # percentile_disc is the same nearest-rank definition, computed without a window sort;
        # it skips NULLs, so every value is read in the same pass
        cols = [c for v in values for c in (
            func.count(f[v]).label(f"{v}__n"),
            *(func.percentile_disc(q / 100).within_group(f[v]).label(f"{v}__p{q}")
              for q in qs))]
        out: dict[str, dict[str, dict[str, Any]]] = {v: {} for v in values}
        for row in session.execute(select(key.label("k"), *cols).group_by(key)):
            d = row._mapping
            for v in values:
                if d[f"{v}__n"]:
                    out[v][str(d["k"])] = {"n": int(d[f"{v}__n"]),
                                           **{f"p{q}": _ms(d[f"{v}__p{q}"]) for q in qs}}
        return out
    return {v: _ranked(session, facts, v, by, qs) for v in values}


def _ranked(session: Session, facts: Facts, value: str, by: str | None,
            qs: tuple[int, ...]) -> dict[str, dict[str, Any]]:
    """The same percentiles with ``row_number``/``count`` windows (SQLite)."""
    f = facts.c
    v = f[value]
    key = f[by] if by else literal_column("'all'")
    part = [f[by]] if by else []
    ranked = select(
        key.label("k"),
        v.label("v"),
        func.row_number().over(partition_by=part or None, order_by=v).label("rn"),
        func.count().over(partition_by=part or None).label("n"),
    ).where(v.is_not(None)).subquery("ranked")
    r = ranked.c
    cols = [func.max(case((r.rn == (r.n * q + 99) // 100, r.v), else_=None)).label(f"p{q}")
            for q in qs]
    out: dict[str, dict[str, Any]] = {}
    for row in session.execute(select(r.k, func.max(r.n).label("n"), *cols).group_by(r.k)):
        d = row._mapping
        out[str(d["k"])] = {"n": int(d["n"]), **{f"p{q}": _ms(d[f"p{q}"]) for q in qs}}
    return out


def _ms(x: Any) -> float | None:
    return None if x is None else round(float(x), 1)
