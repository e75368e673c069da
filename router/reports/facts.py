"""One row per ticket with everything the metrics need — as a SQL subquery, never loaded.

Every metric in the report is a sum, a count or a percentile over these rows, so the database
does the work whatever the number of tickets (``bench/bench_report.py``). The definitions
match docs/METRICS.md; the outcome kinds and what counts as negative come from
``router.domain`` (the same ones calibration uses).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Subquery,
    TableClause,
    and_,
    case,
    column,
    func,
    literal,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased
from sqlalchemy.sql.expression import ClauseElement, Executable

from router.domain import (
    HUMAN_WORK_OUTCOMES,
    NEGATIVE_OUTCOMES,
    REOPENING_OUTCOMES,
    TERMINAL_STATES,
    OutcomeKind,
    TicketState,
)
from router.pricing import Price
from router.reports.window import Window
from router.store import models as m

LOCAL_BACKENDS = ("slm", "template")
HOSTED_BACKEND = "llm"
FINISHED = tuple(s.value for s in TERMINAL_STATES)
ESCALATED = (TicketState.ESCALATED.value, TicketState.FAILED.value)
AGENT_ANSWERED = (TicketState.ASSISTED.value, TicketState.SHADOWED.value)  # rollout modes
Col = ColumnElement[Any] | InstrumentedAttribute[Any]
SLICES = ("intent", "channel", "route", "day", "week", "policy", "classifier")


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def utc(value: datetime) -> datetime:
    """Bound datetimes in UTC: SQLite stores the wall-clock fields as they are given."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def ms_between(start: Col, end: Col, name: str) -> ColumnElement[Any]:
    if name == "postgresql":
        # date_part gives a double; EXTRACT gives numeric, slower to compute and to sort
        return func.date_part("epoch", end - start) * 1000.0
    return (func.julianday(end) - func.julianday(start)) * 86_400_000.0


def day_of(col: Col, name: str, week: bool = False) -> ColumnElement[Any]:
    """The UTC day (or the Monday of its ISO week) as ``YYYY-MM-DD``."""
    if name == "postgresql":
        at_utc = func.timezone("UTC", col)
        return func.to_char(func.date_trunc("week" if week else "day", at_utc), "YYYY-MM-DD")
    if week:
        return func.date(col, "weekday 0", "-6 days")
    return func.date(col)


def hosted_models(session: Session, window: Window) -> list[str]:
    """Hosted models that drafted answers for tickets in the window (to price each one)."""
    q = select(m.DraftRow.model).where(m.DraftRow.backend == HOSTED_BACKEND).distinct()
    if window.since is not None or window.until is not None:
        q = in_window(q.join(m.Ticket, m.Ticket.id == m.DraftRow.ticket_id), window)
    return sorted(str(x) for x in session.scalars(q))


def in_window(q: Select, window: Window) -> Select:
    if window.since is not None:
        q = q.where(m.Ticket.created_at >= utc(window.since))
    if window.until is not None:
        q = q.where(m.Ticket.created_at < utc(window.until))
    return q


def ticket_facts(session: Session, window: Window, prices: Mapping[str, Price],
                 quiet: timedelta, slice_by: str | None = None,
                 ticket_id: int | None = None) -> Subquery:
    """The per-ticket fact rows for tickets created in ``window`` (or just ``ticket_id``):
    ``per_ticket`` with the flags of ``with_flags`` on top."""
    return with_flags(per_ticket(session, window, prices, quiet, slice_by, ticket_id))


def with_flags(rows: FromClause) -> Subquery:
    """The flags every metric sums (docs/METRICS.md), derived from ``per_ticket`` rows — the
    subquery itself, or the temporary table the report stores it in, so the flags are
    computed in the one pass that sums them rather than stored."""
    r = rows.c
    is_delivered = r.state == TicketState.DELIVERED.value
    answered_local = and_(is_delivered, r.answered_by.in_(LOCAL_BACKENDS))
    confirmed, negative, quiet_passed = r.confirmed == 1, r.negative == 1, r.quiet_passed == 1
    assumed = and_(is_delivered, ~confirmed, ~negative, quiet_passed)
    escalated = r.state.in_(ESCALATED)

    def flag(cond: ColumnElement) -> ColumnElement:
        return case((cond, 1), else_=0)

    cols: list[Any] = [
        *r,
        flag(r.state.in_(FINISHED)).label("finished"),
        flag(is_delivered).label("deflected"),
        flag(escalated).label("escalated"),
        flag(answered_local).label("answered_local"),
        flag(and_(is_delivered, r.answered_by == HOSTED_BACKEND)).label("answered_hosted"),
        flag(and_(is_delivered, r.answered_by == "template")).label("answered_template"),
        flag(r.llm_calls > 0).label("llm_used"),
        flag(assumed).label("assumed"),
        flag(and_(answered_local, or_(confirmed, negative, quiet_passed))).label("local_settled"),
        flag(and_(answered_local, ~negative, or_(confirmed, quiet_passed))).label("local_accurate"),
        flag(and_(is_delivered, or_(confirmed, assumed), r.human_work == 0)
             ).label("automated_resolution"),
        # assisted and shadowed tickets were answered by an agent (deskroute only drafted)
        flag(or_(escalated, r.state.in_(AGENT_ANSWERED), r.human_work == 1)).label("human_handled"),
    ]
    return select(*cols).subquery("facts")


def _latest_decisions(name: str) -> Subquery:
    """Each ticket's latest decision (highest id): one ordered pass with ``DISTINCT ON`` on
    PostgreSQL, the highest id per ticket joined back elsewhere (same rows)."""
    D = m.Decision
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import distinct_on

        return (select(D).ext(distinct_on(D.ticket_id)).order_by(D.ticket_id, D.id.desc())
                .subquery("latest_decision"))
    latest = (select(func.max(D.id).label("decision_id")).group_by(D.ticket_id)
              .subquery("latest_id"))
    return (select(D).join(latest, D.id == latest.c.decision_id)
            .subquery("latest_decision"))


def per_ticket(session: Session, window: Window, prices: Mapping[str, Price],
               quiet: timedelta, slice_by: str | None = None,
               ticket_id: int | None = None) -> Subquery:
    """One row per ticket: its columns, latest decision, draft and outcome aggregates and
    first delivery, joined once each (merge joins on the ticket id on PostgreSQL)."""
    name = dialect(session)
    T, DR, OC, DA = m.Ticket, m.DraftRow, m.Outcome, m.DeliveryAttempt
    latest = _latest_decisions(name)
    D = latest.c

    local = DR.backend.in_(LOCAL_BACKENDS)
    hosted = DR.backend == HOSTED_BACKEND
    cost_cases = [(and_(hosted, DR.model == mdl),
                   DR.prompt_tokens * p.input_per_token + DR.completion_tokens * p.output_per_token)
                  for mdl, p in prices.items() if p.known]
    hosted_cost = case(*cost_cases, else_=0.0) if cost_cases else literal(0.0)
    accepted = DR.accepted.is_(True)

    def newest_accepted(cond: ColumnElement | None = None) -> ColumnElement:
        return func.max(case((and_(accepted, cond) if cond is not None else accepted, DR.id),
                             else_=None))

    answering = (HOSTED_BACKEND, *LOCAL_BACKENDS)
    drafts = (select(
        DR.ticket_id,
        func.sum(case((local, DR.latency_ms), else_=0.0)).label("local_ms"),
        # hosted answers; the shadow comparison's drafts cost (hosted_cost) but answer nothing
        func.sum(case((and_(hosted, DR.purpose == "answer"), 1), else_=0)).label("llm_calls"),
        func.sum(case((hosted, DR.prompt_tokens), else_=0)).label("llm_prompt_tokens"),
        func.sum(case((hosted, DR.completion_tokens), else_=0)).label("llm_completion_tokens"),
        func.sum(hosted_cost).label("hosted_cost"),
        # the newest accepted draft's backend without a join back to drafts: the newest
        # accepted id, and the newest accepted id of each backend that answers
        newest_accepted().label("accepted_id"),
        *(newest_accepted(DR.backend == b).label(f"accepted_{b}") for b in answering),
    ).group_by(DR.ticket_id).subquery("draft_agg"))
    answered_by = case(*((drafts.c.accepted_id == drafts.c[f"accepted_{b}"], b)
                         for b in answering), else_=None)

    def kind_flag(kinds: frozenset[OutcomeKind] | tuple[OutcomeKind, ...]) -> ColumnElement:
        return func.max(case((OC.kind.in_([k.value for k in kinds]), 1), else_=0))

    outcomes = (select(
        OC.ticket_id,
        func.max(case((OC.kind == OutcomeKind.RESOLVED.value, OC.id), else_=None))
        .label("resolved_id"),
        func.max(case((OC.kind.in_([k.value for k in REOPENING_OUTCOMES]), OC.id), else_=None))
        .label("reopening_id"),
        func.max(case((OC.kind == OutcomeKind.CSAT.value, OC.id), else_=None)).label("csat_id"),
        kind_flag(NEGATIVE_OUTCOMES).label("negative"),
        kind_flag(HUMAN_WORK_OUTCOMES).label("human_work"),
        kind_flag((OutcomeKind.REOPENED,)).label("reopened"),
        kind_flag((OutcomeKind.NOT_HELPFUL,)).label("not_helpful"),
        kind_flag((OutcomeKind.AGENT_EDIT,)).label("edited"),
        kind_flag((OutcomeKind.AGENT_OVERRIDE,)).label("overridden"),
        kind_flag((OutcomeKind.HUMAN_ESCALATION,)).label("escalated_later"),
    ).group_by(OC.ticket_id).subquery("outcome_agg"))
    csat = aliased(OC, name="csat_row")
    delivered = (select(DA.ticket_id, func.min(DA.created_at).label("finished_at"))
                 .where(DA.ok.is_(True)).group_by(DA.ticket_id).subquery("first_delivery"))

    o = outcomes.c
    confirmed = and_(o.resolved_id.is_not(None),
                     or_(o.reopening_id.is_(None), o.resolved_id > o.reopening_id))
    cutoff = utc(window.as_of() - quiet)
    quiet_passed = and_(delivered.c.finished_at.is_not(None), delivered.c.finished_at <= cutoff)

    def zero(col: ColumnElement) -> ColumnElement:
        return func.coalesce(col, 0)

    cols: list[ColumnElement] = [
        T.id.label("ticket_id"), T.created_at.label("created_at"), T.state.label("state"),
        T.reason.label("reason"),
        func.coalesce(D.route, "undecided").label("route"),
        func.coalesce(D.intent, "(undecided)").label("intent"),
        D.latency_ms.label("decision_ms"),
        func.coalesce(drafts.c.local_ms, 0.0).label("local_ms"),
        zero(drafts.c.llm_calls).label("llm_calls"),
        zero(drafts.c.llm_prompt_tokens).label("llm_prompt_tokens"),
        zero(drafts.c.llm_completion_tokens).label("llm_completion_tokens"),
        func.coalesce(drafts.c.hosted_cost, 0.0).label("hosted_cost"),
        answered_by.label("answered_by"),
        delivered.c.finished_at.label("finished_at"),
        ms_between(T.created_at, delivered.c.finished_at, name).label("e2e_ms"),
        (func.length(T.subject) + func.length(T.body)).label("text_chars"),
        case((confirmed, 1), else_=0).label("confirmed"),
        case((quiet_passed, 1), else_=0).label("quiet_passed"),
        *(zero(o[k]).label(k) for k in ("negative", "human_work", "reopened", "not_helpful",
                                        "edited", "overridden", "escalated_later")),
        csat.value.label("csat"),
    ]
    if slice_by is not None:
        cols.append(slice_column(slice_by, name, T, D).label("slice"))
    q = (select(*cols)
         .select_from(T)
         .outerjoin(latest, D.ticket_id == T.id)
         .outerjoin(drafts, drafts.c.ticket_id == T.id)
         .outerjoin(outcomes, o.ticket_id == T.id)
         .outerjoin(csat, csat.id == o.csat_id)
         .outerjoin(delivered, delivered.c.ticket_id == T.id))
    q = q.where(T.id == ticket_id) if ticket_id is not None else in_window(q, window)
    return q.subquery("per_ticket")


class _CreateTempAs(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, name: str, query: Select) -> None:
        self.name, self.query = name, query


@compiles(_CreateTempAs)
def _compile_create_temp_as(element: _CreateTempAs, compiler: Any, **kw: Any) -> str:
    return f"CREATE TEMPORARY TABLE {element.name} AS {compiler.process(element.query, **kw)}"


@contextmanager
def materialized(session: Session, facts: Subquery) -> Iterator[TableClause]:
    """The ``per_ticket`` rows computed once into a temporary table that the report's queries
    all read (``with_flags`` on top for the sums).

    Each aggregate over the subquery would recompute the joins; a temporary table is private to
    the connection and dropped afterwards (it needs a writable connection: not a hot standby).
    """
    name = f"report_facts_{uuid.uuid4().hex[:12]}"
    query = select(*facts.c)
    session.execute(_CreateTempAs(name, query))
    try:
        yield table(name, *(column(c.name) for c in facts.c))
    finally:
        session.execute(text(f"DROP TABLE {name}"))


def slice_column(slice_by: str, name: str, T: type[m.Ticket], D: Any) -> Col:
    """The slice key; ``D`` is the latest decision (its columns)."""
    if slice_by == "intent":
        return func.coalesce(D.intent, "(undecided)")
    if slice_by == "route":
        return func.coalesce(D.route, "undecided")
    if slice_by == "channel":
        return T.channel
    if slice_by in ("day", "week"):
        return day_of(T.created_at, name, week=slice_by == "week")
    if slice_by == "policy":
        return func.coalesce(D.policy_name + ":" + func.substr(D.policy_hash, 1, 8),
                             "(undecided)")
    if slice_by == "classifier":
        return func.coalesce(D.classifier_version, "(undecided)")
    raise ValueError(f"--by: expected one of {', '.join(SLICES)}, got {slice_by!r}")
