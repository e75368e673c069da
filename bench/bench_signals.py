"""Micro-benchmark of the risk signals: microseconds per ticket for ``detect_signals``.

Why: routing a ticket (classifier + signals + policy) must stay at p50 <= 15 ms on 2 cores, and
the encoder alone takes most of that, so signals get a budget of about 1-2 ms per ticket. The
figures are compared with one ``re.search`` per text, the cheapest possible check, so they
mean something on any machine.

    .venv/bin/python bench/bench_signals.py            # regex-only and with embeddings
    .venv/bin/python bench/bench_signals.py --no-embeddings
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np

from router.signals import SignalSettings, build_detectors, detect_signals
from router.signals.rules import RuleDetector, scan_text

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
BASELINE = re.compile(r"\bspeak to a human\b", re.IGNORECASE)


def load_texts(limit: int) -> list[str]:
    """Shop and banking tickets: BANKING77-OOS valid, Bitext, the demo tickets."""
    texts: list[str] = []
    for path in (SHARED / "banking77_oos" / "valid.csv", SHARED / "bitext" / "train.csv"):
        if path.exists():
            with path.open(newline="") as handle:
                texts += [row["text"] for row in csv.DictReader(handle)][: limit // 2]
    demo = ROOT / "router" / "data" / "demo_tickets.jsonl"
    if demo.exists():
        for line in demo.read_text().splitlines():
            row = json.loads(line)
            texts.append(f"{row.get('subject', '')}\n{row['body']}".strip())
    if not texts:  # no shared data: fall back to the routine test set
        with (ROOT / "tests/unit/signals/data/routine.csv").open(newline="") as handle:
            texts = [row["text"] for row in csv.DictReader(handle)]
    return texts


def per_ticket_us(run: Callable[[int], object], count: int, repeats: int) -> list[float]:
    """Microseconds per call for each ticket, best of ``repeats`` passes per ticket."""
    best = [float("inf")] * count
    for _ in range(repeats):
        for index in range(count):
            start = time.perf_counter()
            run(index)
            best[index] = min(best[index], (time.perf_counter() - start) * 1e6)
    return best


def one_ticket_us(run: Callable[[], object]) -> float:
    """One call on a text seen before, as if new: the per-ticket lower-casing cache is cleared."""
    scan_text.cache_clear()
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1e6


def summary(label: str, values: Sequence[float], baseline: float) -> str:
    p50 = statistics.median(values)
    p95 = sorted(values)[int(0.95 * (len(values) - 1))]
    mean = statistics.fmean(values)
    return (
        f"{label:<34} p50 {p50:8.1f} us  p95 {p95:8.1f} us  mean {mean:8.1f} us"
        f"  ({mean / baseline:6.0f}x one re.search)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=2000, help="tickets per data set")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-embeddings", action="store_true")
    args = parser.parse_args()

    texts = load_texts(args.limit)
    chars = statistics.fmean(len(t) for t in texts)
    print(f"{len(texts)} shop/banking tickets, mean {chars:.0f} chars, best of {args.repeats}")

    regex_only = build_detectors(SignalSettings(use_embeddings=False))
    base = per_ticket_us(lambda i: BASELINE.search(texts[i]), len(texts), args.repeats)
    baseline = statistics.fmean(base)
    print(summary("baseline: one re.search", base, baseline))
    times = per_ticket_us(
        lambda i: detect_signals(texts[i], None, detectors=regex_only), len(texts), args.repeats
    )
    print(summary("detect_signals, regex only", times, baseline))
    for size in (600, 3000):  # an e-mail, a long thread: ticket texts joined to this length
        joined = "\n\n".join(texts)[:size]
        one = min(one_ticket_us(partial(BASELINE.search, joined)) for _ in range(20))
        ours = min(
            one_ticket_us(partial(detect_signals, joined, detectors=regex_only)) for _ in range(20)
        )
        label = f"{size}-char ticket, regex only"
        print(f"{label:<34} {ours:8.1f} us  ({ours / one:6.0f}x one re.search on it)")

    if args.no_embeddings:
        return
    try:
        from router.classify.embedder import get_encoder

        encoder = get_encoder()
    except Exception as error:  # noqa: BLE001 - report and stop: the model is optional here
        print(f"embeddings skipped: {error}")
        return
    with_embeddings = build_detectors(SignalSettings(use_embeddings=True))
    for detector in with_embeddings:
        if isinstance(detector, RuleDetector) and detector.exemplars is not None:
            detector.exemplars.matrix()  # encode exemplars outside the timed loop
    start = time.perf_counter()
    vectors: np.ndarray = encoder.encode(texts)
    encode_us = (time.perf_counter() - start) * 1e6 / len(texts)
    times = per_ticket_us(
        lambda i: detect_signals(texts[i], vectors[i], detectors=with_embeddings),
        len(texts),
        args.repeats,
    )
    print(summary("detect_signals, with embeddings", times, baseline))
    print(f"{'(shared encoder, batched, for scale)':<34} {encode_us:8.1f} us per ticket")


if __name__ == "__main__":
    main()
