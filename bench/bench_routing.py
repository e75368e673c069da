"""Routing speed: decisions per second and p50/p95 latency, single tickets and batches.

Baselines in the same run: encoding the same ticket with the shared sentence encoder alone
(the irreducible cost of any embedding router), and with the same encoder at fp32 (what
routing cost before the int8 default). Ratios are what to compare across runs; absolute
figures move with the load on this shared 2-core machine.

    .venv/bin/python bench/bench_routing.py [--n 300] [--batch 32] [--classifier DIR]

With a fine-tuned classifier the ticket is encoded once, by its own encoder, and the signals'
exemplars are embedded by that encoder too; the baseline stays the shared encoder, which has
the same architecture and cost.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".." / "shared" / "data" / "banking77_oos" / "valid.csv"


def _texts(n: int) -> list[str]:
    demo = REPO / "router" / "data" / "demo_tickets.jsonl"
    import json

    texts = [json.loads(line)["body"] for line in demo.read_text().splitlines() if line.strip()]
    if DATA.is_file():
        with DATA.open() as f:
            texts += [row["text"] for row in csv.DictReader(f)]
    return (texts * (n // max(len(texts), 1) + 1))[:n]


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def _per_call_ms(call: Callable[[str], object], texts: list[str]) -> list[float]:
    times = []
    for t in texts:
        s = time.perf_counter()
        call(t)
        times.append((time.perf_counter() - s) * 1000)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300, help="tickets to route")
    ap.add_argument(
        "--classifier", default=None, help="classifier artifact (default: the shipped one)"
    )
    args = ap.parse_args()

    from router.pipeline.routing import route_text
    from router.pipeline.services import Services
    from router.settings import ModelSettings

    services = Services(models=ModelSettings(classifier=args.classifier))
    texts = _texts(args.n)
    route_text(services, "warm up the models")  # load classifier, encoder, signals
    encoder = services.encoder
    encoder.encode(["warm up"])

    from router.classify.embedder import get_encoder, split_spec

    spec = str(getattr(services.classifier, "encoder_name", "") or encoder.name)
    fp32 = get_encoder(f"{split_spec(spec)[0]}@fp32")
    fp32.encode(["warm up"])
    base = _per_call_ms(lambda t: encoder.encode([t]), texts)
    base_fp32 = _per_call_ms(lambda t: fp32.encode([t]), texts)
    single = _per_call_ms(lambda t: route_text(services, t), texts)

    p50, p95 = statistics.median(single), pct(single, 0.95)
    b50 = statistics.median(base)
    print(
        f"tickets: {len(texts)}   encoder: {getattr(encoder, 'name', '?')}   "
        f"classifier: {services.classifier.version}"
    )
    print(f"{'measure':38s} {'value':>10s}")
    print(f"{'baseline encode-only p50 (ms)':38s} {b50:10.2f}")
    print(f"{'baseline encode-only fp32 p50 (ms)':38s} {statistics.median(base_fp32):10.2f}")
    print(f"{'route single p50 (ms)':38s} {p50:10.2f}")
    print(f"{'route single p95 (ms)':38s} {p95:10.2f}")
    print(f"{'route single decisions/s':38s} {1000 / statistics.mean(single):10.1f}")
    print(f"{'ratio route p50 / encode p50':38s} {p50 / b50:10.2f}")
    print(f"{'ratio route p50 / fp32 encode p50':38s} {p50 / statistics.median(base_fp32):10.2f}")


if __name__ == "__main__":
    main()
