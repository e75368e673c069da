"""Settings for the risk signals, read from ``DESKROUTE_SIGNALS_*``.

Kept apart from the model settings because operators tune these per deployment (a French
SLM, a model with a larger context) without touching anything else.
"""

from __future__ import annotations

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SignalSettings(BaseSettings):
    """``supported_languages`` takes JSON in the environment: ``'["en", "fr"]'``."""

    model_config = SettingsConfigDict(
        env_prefix="DESKROUTE_SIGNALS_", env_file=None, extra="ignore"
    )

    supported_languages: list[str] = ["en"]
    max_tokens: int = 1200
    min_language_words: int = 4
    use_embeddings: bool = True

    @field_validator("supported_languages")
    @classmethod
    def _lowercase_codes(cls, value: list[str]) -> list[str]:
        """Codes are compared with the detector's lowercase ISO 639-1 codes."""
        codes = [code.strip().lower() for code in value if code.strip()]
        if not codes:
            raise ValueError("supported_languages must name at least one language code")
        return codes

    @field_validator("max_tokens", "min_language_words")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive integer")
        return value
