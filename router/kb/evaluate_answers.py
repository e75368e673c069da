"""``eval-answers``: what each answering leg would send, and how good that is.

For each test ticket the mode's leg object — the very :mod:`router.answering` class the
pipeline calls — retrieves, checks relevance, drafts, redacts/restores and verifies; then the
answer is compared with the row's reference answer by embedding cosine, and answered tickets
are checked for a wrong source (an approved answer of another intent than the row's label)
and for unsupported details. Modes are compared on the same sampled rows, so ``slm-no-kb`` is
the honest baseline for what the KB buys. The KB lives in a throw-away SQLite file, so
evaluation needs no migrated database.

By default each ticket's labelled intent is passed to retrieval, as if the classifier were
right: the SLM route only runs for confidently classified tickets. ``use_intent=False``
measures retrieval by similarity alone.
"""

from __future__ import annotations

import csv
import random
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from router.answering.result import AnswerResult
from router.guard.claims import find_claims
from router.guard.entities import Sources, extract
from router.kb.retrieve import KnowledgeBase
from router.settings import LLMSettings, Settings

DEFAULT_MODES = ("slm", "template", "slm-no-kb")
_HALLUCINATION_RE = re.compile(r"^unsupported (?:number|url|email|phone|reference)\b")

Step = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass(frozen=True)
class EvalRow:
    text: str
    reference: str
    intent: str | None


@dataclass(frozen=True)
class Record:
    """One answered test ticket, as much as the summary needs."""

    text: str
    accepted: bool
    hallucinated: bool
    latency_ms: float
    tokens: int
    gen_ms: float
    intent_hit: bool | None
    wrong_source: bool | None = None  # answered from another intent's approved answer
    unsupported_claim: bool = False  # answered with a detail nothing backs


def read_test(path: Path) -> list[EvalRow]:
    """Test rows from ``text,response[,intent]`` (Bitext) or ``question,answer[,intent]``."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = [(c or "").strip().lower() for c in reader.fieldnames or []]
        reader.fieldnames = cols
        q = "text" if "text" in cols else "question" if "question" in cols else None
        a = "response" if "response" in cols else "answer" if "answer" in cols else None
        if q is None or a is None:
            raise ValueError(f"{path}: test file needs columns text,response[,intent] or "
                             f"question,answer[,intent]; found {', '.join(cols) or 'none'}")
        rows = [EvalRow((r.get(q) or "").strip(), (r.get(a) or "").strip(),
                        (r.get("intent") or "").strip() or None) for r in reader]
    rows = [r for r in rows if r.text and r.reference]
    if not rows:
        raise ValueError(f"{path}: no test rows with both a ticket text and a reference answer")
    return rows


def stratified_sample(rows: Sequence[EvalRow], limit: int | None, seed: int) -> list[EvalRow]:
    """Up to ``limit`` rows, round-robin over intents so every intent is represented."""
    if limit is None or limit >= len(rows):
        return list(rows)
    rng = random.Random(seed)
    groups: dict[str, list[EvalRow]] = defaultdict(list)
    for row in rows:
        groups[row.intent or ""].append(row)
    intents = sorted(groups)
    rng.shuffle(intents)
    for name in intents:
        rng.shuffle(groups[name])
    picked: list[EvalRow] = []
    while len(picked) < limit:
        for name in intents:
            if groups[name] and len(picked) < limit:
                picked.append(groups[name].pop())
    return picked


def available_modes(llm: LLMSettings) -> tuple[str, ...]:
    """The default mode list: the local ones, plus ``llm`` when one is configured."""
    return (*DEFAULT_MODES, "llm") if llm.configured else DEFAULT_MODES


def evaluate(kb_csv: Path, test_csv: Path, settings: Settings, *,
             modes: Sequence[str] | None = None,
             limit: int | None = None, seed: int = 7, use_intent: bool = True,
             step: Step | None = None,
             backends: dict[str, Any] | None = None,
             index_dir: Path | None = None) -> list[dict[str, Any]]:
    """One summary dict per mode (see :func:`summarise`).

    ``index_dir`` keeps the KB's vector index between runs (embedding a few thousand long
    answers takes minutes on two cores); by default it is thrown away with the temp store.
    """
    from router.classify.embedder import encoder_spec, get_encoder
    from router.kb.importers import import_file
    from router.store.db import make_engine
    from router.store.models import Base

    rows = stratified_sample(read_test(test_csv), limit, seed)
    modes = list(modes or available_modes(settings.llm))
    with tempfile.TemporaryDirectory(prefix="deskroute-eval-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'kb.db'}")
        Base.metadata.create_all(engine)
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            import_file(session, kb_csv, kb="eval")
            session.commit()
            kb = KnowledgeBase.from_session(
                session, kb="eval", kb_dir=index_dir or Path(tmp),
                encoder=get_encoder(encoder_spec(settings.models)),
                progress=(lambda d, t: step("embed KB", d, t)) if step else None)
        engine.dispose()
    refs = kb.encode([r.reference for r in rows])
    judge = ClaimJudge(kb)
    out = []
    for mode in modes:
        answerer = _answerer(mode, kb, settings, backends)
        records, texts = [], []
        for i, row in enumerate(rows):
            res = answerer.answer(row.text, row.intent if use_intent else None)
            records.append(_record(res, row, judge))
            texts.append(res.draft.text)
            if step:
                step(mode, i + 1, len(rows))
        vecs = kb.encode(texts)
        sims = np.einsum("ij,ij->i", vecs, refs) if len(rows) else np.zeros(0)
        out.append(summarise(mode, records, [float(x) for x in sims]))
    return out


def _answerer(mode: str, kb: KnowledgeBase, settings: Settings,
              backends: dict[str, Any] | None) -> Any:
    """The pipeline's leg object for ``mode``, with the models and redaction ``settings``
    name (a test may hand in a scripted backend)."""
    from router.answering.modes import answerer_for
    from router.backends.llm import get_llm
    from router.backends.slm import get_slm

    given = (backends or {}).get(mode)
    return answerer_for(
        mode, settings.kb, kb, pii=settings.pii,
        slm=(lambda: given) if given else (lambda: get_slm(settings.models, kb=settings.kb)),
        llm=(lambda: given) if given else (lambda: get_llm(settings.llm, settings.prices)))


class ClaimJudge:
    """Does an answered reply state a detail or a claim that nothing backs?

    Backed means: in the ticket, in the row's reference answer, or in any approved answer of
    the row's labelled intent. This judge is independent of what the verifier was shown (the
    retrieved passage), so an answer built on the wrong article is caught here. Details are
    router.guard.entities' (numbers, links, references...), claims router.guard.claims'
    (statuses, dates, delays, prices, policies, places, brands, names).
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        by_intent: dict[str | None, list[str]] = defaultdict(list)
        for entry in kb.entries:
            by_intent[entry.intent].append(entry.answer)
        self._sources = {k: Sources(v) for k, v in by_intent.items()}
        self._corpus = {k: "\n".join(v).lower() for k, v in by_intent.items()}

    def unsupported(self, draft: str, row: EvalRow) -> list[str]:
        row_sources = Sources([row.text, row.reference])
        intent_sources = self._sources.get(row.intent)
        found = [e.surface for e in extract(draft)
                 if not row_sources.supports(e)
                 and not (intent_sources is not None and intent_sources.supports(e))]
        corpus = "\n".join([row.text, row.reference, self._corpus.get(row.intent, "")]).lower()
        return found + [c.surface for c in find_claims(draft) if c.surface.lower() not in corpus]


def _record(res: AnswerResult, row: EvalRow, judge: ClaimJudge) -> Record:
    draft = res.draft
    tokens = draft.completion_tokens or int(draft.meta.get("rephrase_tokens", 0) or 0)
    top = res.source_intent
    answered = res.verdict.accepted
    return Record(
        text=draft.text,
        accepted=answered,
        hallucinated=any(_HALLUCINATION_RE.match(r) for r in res.verdict.reasons),
        latency_ms=res.latency_ms,
        tokens=tokens,
        gen_ms=draft.latency_ms if tokens else 0.0,
        intent_hit=(top == row.intent) if res.passages and row.intent else None,
        wrong_source=(top != row.intent) if answered and res.passages and row.intent else None,
        unsupported_claim=answered and bool(judge.unsupported(draft.text, row)),
    )


def _mean(values: Sequence[float]) -> float | None:
    return round(float(np.mean(values)), 4) if values else None


def summarise(mode: str, records: Sequence[Record], sims: Sequence[float]) -> dict[str, Any]:
    """Figures for one mode; similarity fields are None when a group is empty."""
    n = len(records)
    accepted = [s for r, s in zip(records, sims, strict=True) if r.accepted]
    rejected = [s for r, s in zip(records, sims, strict=True) if not r.accepted]
    lat = np.array([r.latency_ms for r in records]) if n else np.zeros(1)
    # Retrieve + verify time alone: what the KB adds on top of generation.
    over = np.array([r.latency_ms - r.gen_ms for r in records]) if n else np.zeros(1)
    gen_s = sum(r.gen_ms for r in records) / 1000
    hits = [r.intent_hit for r in records if r.intent_hit is not None]
    return {
        "mode": mode,
        "n": n,
        "similarity_mean": _mean(sims),
        "accept_rate": round(len(accepted) / n, 4) if n else None,
        "similarity_accepted": _mean(accepted),
        "similarity_rejected": _mean(rejected),
        "n_accepted": len(accepted),
        "hallucination_rate": round(sum(r.hallucinated for r in records) / n, 4) if n else None,
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p95_ms": round(float(np.percentile(lat, 95)), 1),
        "p50_overhead_ms": round(float(np.percentile(over, 50)), 1),
        "tokens_per_s": round(sum(r.tokens for r in records) / gen_s, 1) if gen_s else None,
        "retrieval_intent_hit": round(sum(hits) / len(hits), 4) if hits else None,
        **answer_rates(records),
    }


def answer_rates(records: Sequence[Record]) -> dict[str, float | None]:
    """``answered_rate`` over all rows; the other two over answered rows (None: none)."""
    n = len(records)
    answered = [r for r in records if r.accepted]
    sourced = [r.wrong_source for r in answered if r.wrong_source is not None]
    return {
        "answered_rate": round(len(answered) / n, 4) if n else None,
        "wrong_source_rate": round(sum(sourced) / len(sourced), 4) if sourced else None,
        "unsupported_claim_rate": (round(sum(r.unsupported_claim for r in answered)
                                         / len(answered), 4) if answered else None),
    }
