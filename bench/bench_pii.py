"""False alarms of PII redaction on ordinary ticket text, and its cost per ticket.

Why: redaction must catch personal data however it is written (tests/pii_variants.py and the
property tests check that), without eating the order numbers, dates and amounts the hosted
model needs to answer. The shared data sets hold real customer-service requests (Bitext,
BANKING77-OOS, HWU64) with almost no personal data, so a text with anything redacted is, with
few exceptions, a false alarm; the script lists them so a person can tell the exceptions. The
shipped shop's approved answers and demo tickets are measured too (two demo tickets carry an
e-mail address and a card number on purpose).

Baseline in the same run: the five kinds redacted before issue 11 (cards, IBANs, e-mails,
phones, national ids) alone, so the false alarms the new kinds add are visible.

    .venv/bin/python bench/bench_pii.py              # every shared text
    .venv/bin/python bench/bench_pii.py --show 20    # and the flagged texts
    .venv/bin/python bench/bench_pii.py --json
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from collections import Counter
from collections.abc import Collection
from pathlib import Path

from router.guard.detectors import CARD, EMAIL, IBAN, KINDS, NATIONAL_ID, PHONE, find_pii
from router.guard.normalize import normalize_text

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
BEFORE_ISSUE_11 = frozenset({CARD, IBAN, EMAIL, PHONE, NATIONAL_ID})
CORPORA = (  # name, file, column
    ("bitext requests", "bitext/train.csv", "text"),
    ("bitext agent answers", "bitext/train.csv", "response"),
    ("banking77-oos", "banking77_oos/train.csv", "text"),
    ("banking77-oos valid", "banking77_oos/valid.csv", "text"),
    ("hwu64", "hwu64/train.csv", "text"),
    ("hwu64 valid", "hwu64/valid.csv", "text"),
)


SHIPPED = (  # the shipped shop's approved answers and demo tickets (two hold seeded data)
    ("shop KB answers", ROOT / "router/data/shop_kb.csv", "answer"),
    ("demo tickets", ROOT / "router/data/demo_tickets.jsonl", "body"),
)


def load(path: Path, column: str) -> list[str]:
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [normalize_text(f"{r.get('subject', '')}\n{r[column]}".strip()) for r in rows]
    with path.open(newline="") as handle:
        return [normalize_text(row[column]) for row in csv.DictReader(handle)]


def flagged(texts: list[str], kinds: Collection[str]) -> tuple[Counter[str], list[tuple]]:
    """Texts with at least one span, by kind (a text counts once per kind), and the spans."""
    by_kind: Counter[str] = Counter()
    hits: list[tuple] = []
    for text in texts:
        spans = find_pii(text, kinds=kinds)
        for kind in {s.kind for s in spans}:
            by_kind[kind] += 1
        if spans:
            hits.append((text, [(s.kind, s.value) for s in spans]))
    return by_kind, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", type=int, default=0, help="print up to N flagged texts")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    all_kinds = frozenset(KINDS) - {"NAME"}  # no requester: names are never looked for here
    rows: list[dict[str, object]] = []
    shown: list[tuple] = []
    total = total_hits = total_base = 0
    timings: list[float] = []
    for name, path, column in [(n, SHARED / rel, c) for n, rel, c in CORPORA] + list(SHIPPED):
        if not path.exists():
            continue
        texts = load(path, column)
        base_kinds, base_hits = flagged(texts, BEFORE_ISSUE_11)
        start = time.perf_counter()
        kinds, hits = flagged(texts, all_kinds)
        timings.append((time.perf_counter() - start) / len(texts) * 1e6)
        total += len(texts)
        total_hits += len(hits)
        total_base += len(base_hits)
        shown += [(name, *h) for h in hits]
        rows.append({
            "corpus": name, "texts": len(texts),
            "with_a_number": sum(any(ch.isdigit() for ch in t) for t in texts),
            "flagged": len(hits),
            "false_alarm_rate": round(len(hits) / len(texts), 5),
            "by_kind": dict(sorted(kinds.items())),
            "baseline_flagged": len(base_hits),
            "baseline_by_kind": dict(sorted(base_kinds.items())),
        })
    if not rows:
        raise SystemExit(f"no shared data under {SHARED}")
    summary = {
        "texts": total, "flagged": total_hits, "false_alarm_rate": round(total_hits / total, 5),
        "baseline_flagged": total_base,
        "baseline_false_alarm_rate": round(total_base / total, 5),
        "us_per_text_mean_of_corpora": round(statistics.mean(timings), 1),
        "corpora": rows,
    }
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    print(f"{'corpus':22} {'texts':>6} {'numbers':>8} {'flagged':>8} {'rate':>8} {'baseline':>9}"
          "  by kind")
    for r in rows:
        print(f"{r['corpus']:22} {r['texts']:>6} {r['with_a_number']:>8} {r['flagged']:>8}"
              f" {r['false_alarm_rate']:>8.4%} {r['baseline_flagged']:>9}  {r['by_kind']}")
    numbers = sum(int(str(r["with_a_number"])) for r in rows)
    print(f"{'all':22} {total:>6} {numbers:>8} {total_hits:>8} {total_hits / total:>8.4%}"
          f" {total_base:>9}")
    print(f"redaction cost: {summary['us_per_text_mean_of_corpora']} us per text "
          "(mean over corpora, every kind)")
    for name, text, spans in shown[: args.show]:
        print(f"\n[{name}] {text[:160]!r}\n    {spans}")


if __name__ == "__main__":
    main()
