"""Benchmark: the naive baseline vs the deskroute classifier, same run, same machine, same data.

    .venv/bin/python bench/bench_classifier.py [--data ../shared/data] [--json] [--finetune]

For BANKING77-OOS and HWU64 (train → valid) it trains both methods once each (base-encoder
vectors are computed once and shared; with --finetune a third variant fine-tunes its own
encoder), prints
the issue's metrics side by side plus ``foreign_deflection``: the share of tickets from the
other data sets (another domain, all must escalate) that would be answered locally, and the
operating points for unsafe targets 5 % and 10 % at the default out-of-scope share and at
valid's own share (chosen on TRAIN, measured on valid, next to the best threshold in
hindsight at the same unsafe rate). Then it
measures the shipped classifier's single-ticket latency (p50/p95, encoder included) and batch
throughput; bench/bench_routing.py --classifier DIR measures any other artifact.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from embedding_cache import cached_vectors

from router.classify.dataio import read_labelled_csv
from router.classify.operating import DEFAULT_OOS_SHARE
from router.classify.trained import TrainedClassifier
from router.evaluate import METRIC_KEYS, evaluate_sets

DATASETS = ("banking77_oos", "hwu64")
TARGETS = (0.05, 0.10)
FOREIGN = ("banking77_oos", "hwu64", "bitext")
LATENCY_TEXTS = (
    "how do I reset my password",
    "my card payment was declined at the shop this morning, why?",
    "I want to cancel the transfer I made yesterday",
    "set an alarm for six tomorrow",
    "what is the exchange rate for euros",
    "tell me a joke",
)


def _foreign(folder: Path, data: Path, limit: int = 1000) -> list[tuple[str, str]]:
    """Tickets from the other data sets (another domain): every one must escalate."""
    rows: list[tuple[str, str]] = []
    for other in FOREIGN:
        name = "valid.csv" if (data / other / "valid.csv").is_file() else "train.csv"
        path = data / other / name
        if other != folder.name and path.is_file():
            found = read_labelled_csv(path, min_classes=0, empty_text="skip")
            rows += [(text, "oos") for text, _ in found[: limit // 2]]
    return rows


def bench_dataset(folder: Path, finetune: bool = False) -> dict[str, dict[str, Any]]:
    """Both methods on TRAIN → valid, and on tickets from other domains (must all escalate)."""
    train = read_labelled_csv(folder / "train.csv", empty_text="skip")
    test = read_labelled_csv(folder / "valid.csv", min_classes=0, empty_text="keep")
    foreign = _foreign(folder, folder.parent)
    started = time.perf_counter()
    x_train = cached_vectors([t for t, _ in train])  # bench/embedding_cache.py: once per machine
    x_test = cached_vectors([t for t, _ in test])
    x_foreign = cached_vectors([t for t, _ in foreign])
    encode_s = time.perf_counter() - started
    own_share = round(sum(1 for _, i in test if i == "oos") / len(test), 3)
    shares = sorted({DEFAULT_OOS_SHARE, own_share})
    results = {}
    variants = [("naive", "naive", False), ("deskroute", "deskroute", False)]
    if finetune:
        variants.append(("deskroute-finetuned", "deskroute", True))
    for label, method, tuned in variants:
        scored = evaluate_sets(
            train,
            {"valid": (test, x_test), "foreign": (foreign, x_foreign)},
            method=method,
            train_embeddings=x_train,
            finetune=tuned,
            oos_shares=shares,
            targets=TARGETS,
        )
        result = scored["valid"]
        # the shared encoding time belongs to both methods' training and routing
        result["seconds_train"] = round(
            result["seconds_train"] + encode_s * len(train) / (len(train) + len(test)), 2
        )
        result["foreign_deflection"] = scored["foreign"]["deflection"]
        result["n_foreign"] = scored["foreign"]["n_test"]
        results[label] = result
    return results


def bench_latency(classifier: TrainedClassifier, repeats: int = 30) -> dict[str, float]:
    classifier.predict(["warm up"])
    times = []
    for _ in range(repeats):
        for text in LATENCY_TEXTS:
            started = time.perf_counter()
            classifier.predict([text])
            times.append((time.perf_counter() - started) * 1000)
    batch = list(LATENCY_TEXTS) * 50
    started = time.perf_counter()
    classifier.predict(batch)
    per_s = len(batch) / (time.perf_counter() - started)
    times.sort()
    return {
        "single_p50_ms": round(statistics.median(times), 2),
        "single_p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        "batch_tickets_per_s": round(per_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--finetune", action="store_true", help="also train deskroute with a fine-tuned encoder"
    )
    args = parser.parse_args()
    report: dict[str, Any] = {}
    for name in DATASETS:
        report[name] = bench_dataset(args.data / name, args.finetune)
    from router.classify.trained import load_classifier

    report["latency_shipped_classifier"] = bench_latency(load_classifier(None))
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name in DATASETS:
        print(f"\n{name} (train → valid)")
        methods = list(report[name])
        print(f"{'metric':28s} " + " ".join(f"{m:>20s}" for m in methods))
        keys = [k for k in (*METRIC_KEYS, "foreign_deflection", "n_foreign")
                if k != "operating_points"]
        for key in keys:
            row = [report[name][m][key] for m in methods]
            print(f"{key:28s} " + " ".join(f"{'n/a' if v is None else v:>20}" for v in row))
        print("operating points (target, share): deflection / unsafe on valid, ratio to the best "
              "threshold in hindsight at that unsafe rate, bound promised on TRAIN")
        for m in methods:
            for point in report[name][m]["operating_points"]:
                best = point["hindsight_deflection"]
                ratio = point["deflection"] / best if best else float("nan")
                print(f"  {m:22s} {point['target_unsafe']:.2f} {point['oos_share']:.3f}  "
                      f"{point['deflection']:.4f} / {point['unsafe_rate']:.4f}  x{ratio:.2f}  "
                      f"bound {point['unsafe_bound']}")
    print("\nlatency (shipped classifier, encoder included):", report["latency_shipped_classifier"])


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
