"""The support-ops report's shape, so `/report` is documented in the OpenAPI schema key by key.

Definitions of every figure: docs/METRICS.md. Rates are shares of finished tickets (reopen
and negative-outcome rates: of deflected ones) in [0, 1]; money is US dollars; latencies are
milliseconds, nearest-rank percentiles.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Rate = float
USD = float | None


class Percentiles(BaseModel):
    n: int = Field(description="tickets with a value")
    p50: float | None
    p95: float | None


class Costs(BaseModel):
    local: USD = Field(description="SLM and classifier time at DESKROUTE_LOCAL_COST_PER_HOUR")
    hosted: USD = Field(description="hosted-LLM tokens at the model's price")
    human: USD = Field(description="escalations at DESKROUTE_HUMAN_COST_PER_TICKET")
    model: USD = Field(description="local + hosted")
    total: USD = Field(description="model + human")


class Tokens(BaseModel):
    prompt: int
    completion: int


class GroupMetrics(BaseModel):
    """Every figure of one group of tickets: the whole window, a route, an intent, a slice."""

    tickets: int
    finished: int
    pending: int
    deflected: int = Field(description="answered without a human, not reopened/overridden")
    answered_locally: int
    answered_hosted: int
    escalated: int
    deflection_rate: Rate
    answered_locally_rate: Rate
    llm_share: Rate
    escalation_rate: Rate
    escalations_by_reason: dict[str, int]
    escalation_rate_by_reason: dict[str, Rate]
    resolved: int
    resolved_confirmed: int
    resolved_assumed: int = Field(description="no reply within the quiet window")
    resolution_rate: Rate
    resolution_rate_confirmed: Rate
    resolution_rate_assumed: Rate
    automated_resolutions: int
    automated_resolution_rate: Rate
    reopened: int
    not_helpful: int
    agent_edited: int
    agent_overridden: int
    escalated_later: int
    reopen_rate: Rate
    negative_outcome_rate: Rate
    local_answers_settled: int
    local_answers_accurate: int
    local_accuracy: Rate | None
    csat_mean: float | None
    csat_responses: int
    human_handled: int
    hosted_tokens: Tokens
    cost_usd: Costs
    total_cost_usd: USD
    cost_per_resolved_usd: USD
    all_llm_cost_usd: USD = Field(description="the same tickets all sent to the hosted model")
    all_llm_cost_per_resolved_usd: USD
    savings_usd: USD = Field(description="all-LLM cost minus model cost")
    mean_decision_ms: float | None


class Slice(GroupMetrics):
    key: str = Field(description="the slice's value: a day, an intent, a channel…")
    latency_ms: Percentiles


class HostedPrice(BaseModel):
    model: str
    source: str = Field(description="configured, litellm or unknown (counted at $0)")
    input_usd_per_mtok: float
    output_usd_per_mtok: float


class Counterfactual(HostedPrice):
    tokenizer: str
    prompt_overhead_tokens: float
    prompt_tokens_per_char: float
    completion_tokens_per_ticket: float
    completion_method: str
    sampled_tickets: int
    sampled_replies: int


class Pricing(BaseModel):
    local_cost_per_hour_usd: float
    human_cost_per_ticket_usd: float
    resolution_quiet_hours: float
    hosted_models: list[HostedPrice]
    counterfactual: Counterfactual


class Report(GroupMetrics):
    """The support-ops report (docs/METRICS.md), the same figures as ``deskroute report --json``.

    Keys added in later versions may appear beyond these (clients should ignore them).
    """

    model_config = ConfigDict(extra="allow")
    window: dict[str, str | None] = Field(description="since and until, ISO 8601 UTC")
    by_state: dict[str, int]
    answered_by: dict[str, int] = Field(description="slm, template, llm, human")
    latency_ms: dict[str, Percentiles] = Field(description="end to end, per route")
    decision_latency_ms: dict[str, Percentiles] = Field(description="routing, per route")
    by_route: dict[str, int]
    routes: dict[str, GroupMetrics]
    by_intent: dict[str, GroupMetrics]
    csat_scale: list[int] = Field(description="lowest and highest CSAT score")
    pricing: Pricing
    warnings: list[str] = Field(description="e.g. a hosted model with no known price")
    by: str | None = None
    slices: list[Slice] | None = None
