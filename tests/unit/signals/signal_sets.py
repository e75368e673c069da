"""Test sets of the risk signals: CSV files of ``text,expected`` written for this project.

``expected`` is a signal name or ``none``. Every ``none`` row of every file is a negative for
every detector, so a detector is checked against the routine tickets and the hard negatives
written for the other signals too.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SHARED_DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
# Sets that are not a single signal's own file.
MIXED_SETS = ("routine", "holdout", "paraphrases", "paraphrases_holdout", "injection_obfuscated",
              "injection_obfuscated_holdout")


@dataclass(frozen=True)
class Row:
    text: str
    expected: str
    source: str


def read_set(name: str) -> tuple[Row, ...]:
    """One CSV file of the test sets, as immutable rows (tests never share mutable data)."""
    with (DATA / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return tuple(Row(r["text"], r["expected"], name) for r in csv.DictReader(handle))


def all_rows() -> tuple[Row, ...]:
    return tuple(row for path in sorted(DATA.glob("*.csv")) for row in read_set(path.stem))


def negatives() -> tuple[str, ...]:
    """Every ``none`` row in every file."""
    return tuple(row.text for row in all_rows() if row.expected == "none")


def positives(signal: str, source: str | None = None) -> tuple[str, ...]:
    rows = all_rows() if source is None else read_set(source)
    return tuple(row.text for row in rows if row.expected == signal)
