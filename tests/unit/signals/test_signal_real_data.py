"""Regex layer on public data nobody here wrote: BANKING77-OOS valid and Bitext (../shared).

Why: the hand-written sets share their author's blind spots. Real routine banking tickets
say how often a signal costs a deflection; Bitext's ``contact_human_agent`` intent is a real
set of "let me talk to a person" tickets, typos included.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from router.signals import SignalSettings, build_detectors

# Measured when written: 46 of 1506 in-scope tickets (3.1 %) raise a signal, 40 of them
# account_security on "a payment I don't recognise / didn't make" intents (possible fraud).
MAX_ROUTINE_RATE = 0.04
MAX_ROUTINE_RATE_BESIDES_SECURITY = 0.01
# Measured: 121 of 129 contact_human_agent (93.8 %), 0 of 3495 other Bitext tickets.
MIN_HUMAN_RECALL = 0.90
MAX_HUMAN_FALSE_RATE = 0.002


def read(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [(row["text"], row["intent"]) for row in csv.DictReader(handle)]


def test_few_routine_banking_tickets_raise_a_signal(shared_data: Path) -> None:
    detectors = build_detectors(SignalSettings(use_embeddings=False))
    routine = [
        t for t, intent in read(shared_data / "banking77_oos" / "valid.csv") if intent != "oos"
    ]
    raised: Counter[str] = Counter()
    flagged = 0
    for text in routine:
        names = [d.name for d in detectors if d.detect(text, None) is not None]
        flagged += bool(names)
        raised.update(names)
    rate = flagged / len(routine)
    besides = sum(n for name, n in raised.items() if name != "account_security") / len(routine)
    message = f"{flagged}/{len(routine)} routine tickets flagged ({rate:.3f}): {dict(raised)}"
    assert rate <= MAX_ROUTINE_RATE, message
    assert besides <= MAX_ROUTINE_RATE_BESIDES_SECURITY, message


def test_human_request_finds_real_requests_for_an_agent(shared_data: Path) -> None:
    detector = next(
        d
        for d in build_detectors(SignalSettings(use_embeddings=False))
        if d.name == "human_request"
    )
    rows = read(shared_data / "bitext" / "train.csv")
    asks = [t for t, intent in rows if intent == "contact_human_agent"]
    others = [t for t, intent in rows if intent != "contact_human_agent"]
    recall = sum(detector.detect(t, None) is not None for t in asks) / len(asks)
    false = [t for t in others if detector.detect(t, None) is not None]
    assert recall >= MIN_HUMAN_RECALL, f"recall {recall:.3f} on {len(asks)} Bitext asks"
    assert len(false) / len(others) <= MAX_HUMAN_FALSE_RATE, f"false alarms: {false[:5]}"
