"""Benchmark: do the operating points chosen on TRAIN hold on valid, and how much do they deflect?

    PYTHONPATH=. .venv/bin/python bench/bench_operating.py [--data ../shared/data]
        [--datasets banking77_oos,hwu64] [--folds 4] [--json]

For each data set (train → valid) it trains the default classifier once on cached base-encoder
vectors (bench/embedding_cache.py) and, for unsafe targets 5 % and 10 % at valid's own
out-of-scope share and at the default share, reports what the point chosen on TRAIN's
out-of-fold evidence gives on valid: unsafe rate, deflection, the best deflection one global
threshold gives on valid at the same unsafe rate (hindsight) and their ratio — the acceptance of
issue 17 (unsafe ≤ target + 1 point, ratio ≥ 0.85). Next to it, the diagnosis: the same point
with per-intent cuts off, and what the out-of-fold evidence itself estimated (point and bound)
at the chosen cut, so a gap between promise and valid shows where deflection is lost.

Trained runs are cached (``runs/`` in the cache folder) by data set, folds and a hash of the
classifier sources, so re-running the tables after changing only the threshold rule is quick.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from embedding_cache import cache_dir, cached_vectors

from router.classify.base import OOS
from router.classify.dataio import read_labelled_csv
from router.classify.metrics import at_threshold
from router.classify.operating import DEFAULT_OOS_SHARE, OperatingPoint, Outcomes, choose
from router.evaluate import hindsight_deflection

TARGETS = (0.05, 0.10)
SOURCES = (
    "head.py", "training.py", "confidence.py", "lexical.py", "negatives.py", "label_noise.py"
)


def _source_hash() -> str:
    digest = hashlib.sha256()
    folder = Path(__file__).resolve().parents[1] / "router" / "classify"
    for name in SOURCES:
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:10]


def trained_run(folder: Path, folds: int) -> dict[str, Any]:
    """Out-of-fold evidence and valid scores of one training (cached on disk)."""
    run_file = cache_dir() / "runs" / f"{folder.name}-f{folds}-{_source_hash()}.npz"
    if run_file.is_file():
        with np.load(run_file, allow_pickle=True) as data:
            return {k: data[k] for k in data.files}
    from router.classify.training import fit_classifier

    train = read_labelled_csv(folder / "train.csv", empty_text="skip")
    valid = read_labelled_csv(folder / "valid.csv", min_classes=0, empty_text="keep")
    x_train = cached_vectors([t for t, _ in train])
    x_valid = cached_vectors([t for t, _ in valid])
    started = time.perf_counter()
    clf = fit_classifier(train, embeddings=x_train, folds=folds)
    seconds = time.perf_counter() - started
    conf, pred, _ = clf.score_embeddings(x_valid, [t for t, _ in valid])
    ev = clf.evidence
    assert ev is not None
    run = {
        "ev_confidence": ev.confidence,
        "ev_intent": ev.intent.astype(str),
        "ev_safe": ev.safe,
        "ev_routine": ev.in_scope,
        "valid_confidence": conf,
        "valid_pred": pred.astype(str),
        "valid_label": np.asarray([lab for _, lab in valid], dtype=str),
        "known": np.asarray(sorted(clf.intents), dtype=str),
        "seconds_train": np.float64(seconds),
    }
    run_file.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(run_file, **run)  # type: ignore[arg-type]
    return run


def evidence_of(run: dict[str, Any]) -> Outcomes:
    return Outcomes(
        run["ev_confidence"], run["ev_intent"].astype(object), run["ev_safe"], run["ev_routine"]
    )


def measure_point(point: OperatingPoint, run: dict[str, Any]) -> dict[str, float]:
    """What ``point`` gives on valid, and the best global threshold in hindsight there."""
    labels = run["valid_label"].astype(object)
    pred = run["valid_pred"].astype(object)
    known = set(run["known"].tolist())
    routine = np.array([lab in known and lab != OOS for lab in labels], dtype=bool)
    correct = pred == labels
    conf = run["valid_confidence"]
    got = at_threshold(conf, routine, correct, point.cuts(pred))
    best = hindsight_deflection(conf, routine, correct, got["unsafe_rate"])
    return {
        "unsafe": got["unsafe_rate"],
        "deflection": got["deflection"],
        "hindsight": best,
        "ratio": got["deflection"] / best if best > 0 else float("nan"),
    }


def valid_share(run: dict[str, Any]) -> float:
    known = set(run["known"].tolist())
    labels = run["valid_label"].tolist()
    return round(sum(1 for lab in labels if lab not in known or lab == OOS) / len(labels), 3)


def operating_table(run: dict[str, Any]) -> list[dict[str, Any]]:
    evidence = evidence_of(run)
    rows = []
    for share in sorted({valid_share(run), DEFAULT_OOS_SHARE}):
        for target in TARGETS:
            for per_intent in (True, False):
                point = choose(evidence, target, share, per_intent=per_intent)
                est = point.estimate
                assert est is not None
                rows.append({
                    "share": share,
                    "target": target,
                    "per_intent": per_intent,
                    "threshold": round(point.threshold, 4),
                    "n_intent_cuts": len(point.intent_thresholds),
                    "promised_unsafe": round(est.unsafe_rate, 4),
                    "bound": round(est.unsafe_bound, 4),
                    "promised_deflection": round(est.deflection, 4),
                    **{k: round(v, 4) for k, v in measure_point(point, run).items()},
                })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument("--datasets", default="banking77_oos,hwu64")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = {}
    for name in args.datasets.split(","):
        run = trained_run(args.data / name, args.folds)
        report[name] = {
            "valid_share": valid_share(run),
            "seconds_train": round(float(run["seconds_train"]), 1),
            "points": operating_table(run),
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name, part in report.items():
        print(f"\n{name} train → valid (valid share {part['valid_share']}, "
              f"{part['seconds_train']} s to train, {args.folds} folds)")
        print("share  target per-int  cut     unsafe  defl   hind   ratio  | promised  bound")
        for p in part["points"]:
            print(f"{p['share']:<6} {p['target']:<6} {str(p['per_intent']):<8} "
                  f"{p['threshold']:<7} {p['unsafe']:<7.4f} {p['deflection']:<6.3f} "
                  f"{p['hindsight']:<6.3f} {p['ratio']:<6.2f} | {p['promised_unsafe']:<9} "
                  f"{p['bound']}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
