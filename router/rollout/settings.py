"""Thresholds for judging what an agent did with a draft (``DESKROUTE_FEEDBACK_*``).

They describe how the texts are compared, not what the team decides from them (that is the
policy's ``rollout.evidence``), so they are settings and changing them leaves the policy hash.
"""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class FeedbackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESKROUTE_FEEDBACK_", env_file=None,
                                      extra="ignore")

    #: normalised edit distance (0 = same text, 1 = nothing in common) up to which the agent
    #: sent the draft as it was: a typo fixed, a word changed
    as_is_distance: float = Field(default=0.03, ge=0.0, le=1.0)
    #: up to this distance the agent edited the draft lightly (kept most of it)
    edited_distance: float = Field(default=0.35, ge=0.0, le=1.0)
    #: beyond that, an agent reply whose meaning is this close to the draft (cosine of the
    #: sentence embeddings) is the same answer rewritten; a farther one ignored the draft
    rewritten_similarity: float = Field(default=0.65, ge=-1.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> FeedbackSettings:
        if self.as_is_distance > self.edited_distance:
            raise ValueError("DESKROUTE_FEEDBACK_AS_IS_DISTANCE must not exceed "
                             "DESKROUTE_FEEDBACK_EDITED_DISTANCE")
        return self
