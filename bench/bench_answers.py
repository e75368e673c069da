"""Benchmark grounded answers on the Bitext customer-support data.

Splits ``../shared/data/bitext/train.csv`` by intent into a KB (70 %), valid rows (15 %, for
tuning: the relevance settings were chosen on these) and held-out test rows (15 %) with a fixed
seed, then runs ``eval-answers`` on (a stratified sample of) the test rows for the local modes.
The split lives in a temp folder: the data set is never copied into the repository.

    .venv/bin/python bench/bench_answers.py --limit 60 [--on valid] [--no-intent]

Prints the command it ran, a Markdown table and the JSON lines (for docs/ANSWERS_BENCH.md).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = (
    "mode",
    "n",
    "answered_rate",
    "wrong_source_rate",
    "unsupported_claim_rate",
    "similarity_mean",
    "accept_rate",
    "similarity_accepted",
    "similarity_rejected",
    "hallucination_rate",
    "p50_ms",
    "p95_ms",
    "p50_overhead_ms",
    "tokens_per_s",
    "retrieval_intent_hit",
)
# The split is deterministic, so the KB's embeddings can be reused between runs.
INDEX_DIR = Path(tempfile.gettempdir()) / "deskroute-bench-answers-index"
DATA = ROOT / ".." / "shared" / "data" / "bitext" / "train.csv"


def split(
    source: Path, out_dir: Path, *, seed: int = 13, shares: tuple[float, float] = (0.7, 0.85)
) -> tuple[Path, Path, Path]:
    """Stratified by intent, so every intent has approved answers, valid and test tickets."""
    with source.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    by_intent: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_intent[row["intent"]].append(row)
    rng = random.Random(seed)
    parts: tuple[list[dict[str, str]], ...] = ([], [], [])
    for intent in sorted(by_intent):
        group = by_intent[intent]
        rng.shuffle(group)
        a, b = round(len(group) * shares[0]), round(len(group) * shares[1])
        parts[0].extend(group[:a])
        parts[1].extend(group[a:b])
        parts[2].extend(group[b:])
    paths = out_dir / "kb.csv", out_dir / "valid.csv", out_dir / "test.csv"
    for path, part in zip(paths, parts, strict=True):
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(part)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="test rows to sample")
    parser.add_argument("--on", choices=["valid", "test"], default="test",
                        help="which held-out rows (tune on valid, report test)")
    parser.add_argument("--seed", type=int, default=7, help="sampling seed")
    parser.add_argument("--mode", action="append", help="modes (default: local ones)")
    parser.add_argument("--no-intent", action="store_true", help="retrieve without intent")
    parser.add_argument("--shop", action="store_true", help="demo-shop latency run instead")
    args = parser.parse_args()
    if args.shop:
        return shop_latency(args.mode or ["slm", "template"])
    if not DATA.is_file():
        print(f"missing data: {DATA}", file=sys.stderr)
        return 2
    modes = args.mode or ["slm", "template", "slm-no-kb"]
    with tempfile.TemporaryDirectory(prefix="bench-answers-") as tmp:
        kb, valid, test = split(DATA, Path(tmp))
        rows = valid if args.on == "valid" else test
        base = [
            sys.executable,
            "-m",
            "router.cli.kb_cmds",
            "eval-answers",
            "--kb",
            str(kb),
            "--test",
            str(rows),
            *(["--limit", str(args.limit)] if args.limit else []),
            "--seed",
            str(args.seed),
            "--index-dir",
            str(INDEX_DIR),
        ]
        if args.no_intent:
            base.append("--no-intent")
        print("$", " ".join([*base, "--mode", "MODE", "--json"]), flush=True)
        results = []
        for mode in modes:  # one run per mode, so a slow run still yields finished modes
            done = subprocess.run([*base, "--mode", mode, "--json"], cwd=ROOT,
                                  stdout=subprocess.PIPE, text=True)
            if done.returncode:
                print(f"mode {mode} failed with exit code {done.returncode}", file=sys.stderr)
                return done.returncode
            results += [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
            print(json.dumps(results[-1]), flush=True)
    print()
    print(markdown_table(results))
    return 0


SHOP_TICKETS = [
    ("I forgot my password and can't get into my account", "password_reset"),
    ("Hi, where is my order 88213? It's been a while", "order_status"),
    ("How many days does standard delivery take?", "shipping_time"),
    ("Can I still send back a jacket I bought two weeks ago?", "return_policy"),
    ("I returned my shoes last week, when do I get my money?", "refund_status"),
    ("Please cancel order 55123, I ordered the wrong size", "cancel_order"),
    ("I moved, can I change the delivery address of my order?", "change_address"),
    ("Do you take PayPal or only cards?", "payment_methods"),
    ("The vase I received is cracked", "damaged_item"),
    ("My parcel came but one of the two lamps is missing", "missing_item"),
    ("Please delete my account and all my data", "account_delete"),
    ("The code SPRING10 says invalid at checkout", "discount_code"),
    ("I need an invoice for order 77120 for my company", "invoice_request"),
    ("When is your support team available?", "opening_hours_contact"),
    ("Is the oak side table back in stock soon?", "product_availability"),
]


def shop_latency(modes: list[str]) -> int:
    """Local answer latency on the shipped demo KB (short answers, as in ``make demo``).

    Each ticket's reference is the first approved answer of its intent, so the similarity
    column shows how far drafts drift from the approved text.
    """
    kb_csv = ROOT / "router" / "data" / "shop_kb.csv"
    with kb_csv.open(newline="", encoding="utf-8") as fh:
        first: dict[str, str] = {}
        for row in csv.DictReader(fh):
            first.setdefault(row["intent"], row["answer"])
    with tempfile.TemporaryDirectory(prefix="bench-shop-") as tmp:
        test = Path(tmp) / "tickets.csv"
        with test.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["text", "intent", "response"])
            writer.writerows([text, intent, first[intent]] for text, intent in SHOP_TICKETS)
        cmd = [sys.executable, "-m", "router.cli.kb_cmds", "eval-answers", "--kb", str(kb_csv),
               "--test", str(test), "--json", *(a for m in modes for a in ("--mode", m))]
        print("$", " ".join(cmd), flush=True)
        done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if done.returncode:
        return done.returncode
    results = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    print("\n".join(json.dumps(r) for r in results))
    print()
    print(markdown_table(results))
    return 0


def markdown_table(results: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table, ready for docs/ANSWERS_BENCH.md."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in results:
        lines.append(
            "| " + " | ".join("-" if row.get(c) is None else str(row[c]) for c in COLUMNS) + " |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
