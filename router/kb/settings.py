"""Knowledge-base settings, read from ``DESKROUTE_KB_*``.

Kept apart from the model settings because the KB is tuned per shop (threshold, domains, how
many approved answers go into the prompt) while the model settings are tuned per machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class KBSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESKROUTE_KB_", env_file=None, extra="ignore")

    #: Folder for the on-disk vector index (a cache: SQL holds the entries).
    dir: Path = Path("deskroute-kb")
    #: Grounding threshold: cosine between the draft and its best approved answer.
    min_similarity: float = 0.6
    #: Approved answers placed in the SLM prompt.
    top_k: int = 1
    #: Approved answers placed in the hosted LLM's prompt (a larger model blends them well).
    llm_top_k: int = 2
    #: Relevance an approved answer needs to the ticket (cosine between the ticket and the
    #: entry's question + answer) to be used at all. None: calibrated per knowledge base as the
    #: ``relevance_quantile`` of its own questions' scores against other intents' answers.
    min_relevance: float | None = None
    #: See min_relevance; 0.75 was chosen on Bitext valid rows (docs/KB.md).
    relevance_quantile: float = 0.75
    #: The chosen answer must beat the best answer of any other intent by this much.
    min_intent_margin: float = 0.02
    #: Link domains a draft may contain even when no passage mentions them.
    allowed_domains: Annotated[tuple[str, ...], NoDecode] = ()
    #: ``slm`` drafts from the approved answer; ``template`` returns the filled answer itself
    #: (or a verified SLM rephrasing). Template is the default because the bundled 135M model
    #: writes a verifiable draft for only about a third of the demo shop's tickets.
    mode: Literal["slm", "template"] = "template"
    #: In template mode, let the SLM rephrase the filled answer (kept only if verified). Off by
    #: default: the bundled 135M model's rephrasings add made-up details the approved text
    #: does not have (issue 11); a rephrasing model must earn it on the labelled set.
    template_rephrase: bool = False
    #: Shop facts for template placeholders, e.g. {"Customer Support Phone Number": "..."}.
    placeholders: dict[str, str] = {}
    #: Mean token log-probability below which a local draft is rejected (None: no check).
    min_logprob: float | None = None
    #: How often a cached KnowledgeBase checks SQL for new or changed entries.
    refresh_seconds: float = 30.0

    @field_validator("allowed_domains", mode="before")
    @classmethod
    def _split_domains(cls, value: object) -> object:
        """Accept ``a.example,b.example`` from the environment as well as a list."""
        if isinstance(value, str):
            return tuple(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @field_validator("relevance_quantile")
    @classmethod
    def _quantile(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError("must be between 0 and 1")
        return value
