"""What support-ops configure about the report: unit costs and the resolution quiet window."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReportSettings(BaseSettings):
    """Defaults are placeholders to replace with your own figures; the report prints the ones
    it used, so a number is never read without its assumptions."""

    model_config = SettingsConfigDict(env_prefix="DESKROUTE_", env_file=None, extra="ignore")
    # what an hour of the machine running the classifier and the local model costs you
    local_cost_per_hour: float = Field(default=0.10, ge=0)
    # what a person handling one escalated (or edited / taken-over) ticket costs you
    human_cost_per_ticket: float = Field(default=4.00, ge=0)
    # an automated reply nobody came back on for this long counts as an *assumed* resolution
    resolution_quiet_hours: float = Field(default=72.0, gt=0)
    # the hosted model for the all-LLM comparison (default: DESKROUTE_LLM_MODEL, else
    # gpt-4o-mini)
    counterfactual_model: str | None = None
