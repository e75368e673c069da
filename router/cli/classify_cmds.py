"""CLI commands for the classifier: ``train``, ``eval`` and ``calibrate``.

Plain functions on a ``typer.Typer`` named ``app`` so the main CLI can mount them at top level
(``deskroute eval ...``). Errors a user can fix (bad CSV, missing artifact, bad target) print
one line on stderr and exit with code 2; a traceback would only hide the sentence that matters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from router.cli.output import console, err_console, fail

app = typer.Typer(help="Train, evaluate and calibrate the ticket classifier.", no_args_is_help=True)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, float], None]]:
    """A rich bar on stderr (so ``--json`` stdout stays machine-readable)."""
    if not enabled:
        yield lambda stage, frac: None
        return
    columns = (TextColumn("{task.description:<22}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("starting", total=1.0)

        def update(stage: str, frac: float) -> None:
            bar.update(task, description=stage, completed=max(0.0, min(1.0, frac)))

        yield update


def _read(path: Path, *, min_classes: int, empty_text: str = "skip") -> list[tuple[str, str]]:
    from router.classify.dataio import read_labelled_csv

    try:
        return read_labelled_csv(path, min_classes=min_classes, empty_text=empty_text)
    except ValueError as exc:
        fail(str(exc))


def _table(title: str, values: dict[str, Any]) -> Table:
    table = Table(title=title, show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in values.items():
        shown = (
            "n/a" if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))
        )
        table.add_row(key, shown)
    return table


FINETUNE_OPTION: Any = typer.Option(
    False,
    "--finetune/--no-finetune",
    help="Fine-tune the sentence encoder on the training rows first (about a minute per "
    "epoch for ~8k tickets on 2 cores): +1 point intent accuracy and 2.5x the calibrated "
    "deflection on BANKING77, but more tickets from other domains are answered locally "
    "and the artifact carries its own 90 MB encoder. See docs/CLASSIFIER_BENCH.md.",
)
EPOCHS_OPTION: Any = typer.Option(
    2, min=1, max=20, help="Fine-tuning epochs (with --finetune)."
)
_SHARE_HELP = (
    "Share of live tickets that are out of scope (must escalate), 0-1. Thresholds are chosen "
    "for traffic with this share, not the training file's. Default {default}: a conservative "
    "guess for users who do not know theirs; `calibrate --from-outcomes` measures it."
)


def _share(value: float | None) -> float | None:
    if value is not None and not 0.0 <= value <= 1.0:
        fail("--oos-share must be between 0 and 1")
    return value


def _shares(value: str | None) -> list[float]:
    """A comma list of shares ('0.1,0.3,0.5'); each between 0 and 1."""
    from router.classify.operating import DEFAULT_OOS_SHARE

    if value is None:
        return [DEFAULT_OOS_SHARE]
    try:
        shares = [float(part) for part in value.split(",") if part.strip()]
    except ValueError:
        fail(f"--oos-share {value!r}: give numbers between 0 and 1, separated by commas")
    if not shares or any(not 0.0 <= v <= 1.0 for v in shares):
        fail(f"--oos-share {value!r}: give numbers between 0 and 1, separated by commas")
    return shares


def _promise(point: dict[str, Any]) -> dict[str, Any]:
    """What an operating point promises, in words a support lead reads."""
    if not point:
        return {}
    level = int(round(100 * float(point.get("confidence", 0.9))))
    return {
        "expected_deflection": f"{point['deflection']:.3f} "
        f"({point['deflection_low']:.3f}-{point['deflection_high']:.3f} at {level} %)",
        "expected_unsafe_rate": f"{point['unsafe_rate']:.4f} "
        f"(≤ {point['unsafe_bound']:.4f} at {level} %)",
    }


@app.command("train")
def train_cmd(
    data: Path = typer.Argument(
        ..., help="Labelled CSV with columns text,intent ('oos' = escalate)."
    ),
    out: Path = typer.Option(..., "--out", help="Directory to write the classifier artifact to."),
    target_unsafe: float = typer.Option(
        0.05, help="Unsafe share of local answers the calibrated threshold aims at (0-1)."
    ),
    oos_share: float | None = typer.Option(None, "--oos-share", help=_SHARE_HELP.format(
        default="0.5")),
    finetune: bool = FINETUNE_OPTION,
    epochs: int = EPOCHS_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary instead of a table."),
) -> None:
    """Train a classifier and calibrate its thresholds by cross-validation on DATA.

    Rows labelled 'oos' are examples of tickets that must escalate; use them if you have them.
    The summary shows what the operating point promises for traffic with --oos-share
    out-of-scope tickets: the deflection and the unsafe rate, each with its bound.
    """
    from router.classify.embedder import encoder_spec
    from router.classify.finetune import FinetuneOptions
    from router.classify.training import train_classifier
    from router.settings import ModelSettings

    if not 0.0 < target_unsafe < 1.0:
        fail("--target-unsafe must be between 0 and 1")
    _share(oos_share)
    rows = _read(data, min_classes=2)
    try:
        with _progress(not as_json) as progress:
            clf = train_classifier(
                rows,
                out,
                progress=progress,
                target_unsafe=target_unsafe,
                oos_share=oos_share,
                finetune=finetune,
                finetune_options=FinetuneOptions(epochs=epochs),
                encoder=encoder_spec(ModelSettings()),  # this command's edge
            )
    except (ValueError, OSError) as exc:
        fail(str(exc))
    point = dict(clf.meta.get("operating_point", {}))
    summary = {
        "out": str(out),
        "version": clf.version,
        "intents": len(clf.intents),
        "rows": len(rows),
        "encoder": Path(clf.encoder_name).name,  # name@precision (a fine-tuned one: encoder@…)
        "oos_parts": clf.meta.get("oos_parts"),
        "threshold": round(clf.threshold, 4),
        "per_intent_thresholds": len(clf.intent_thresholds),
        "target_unsafe": target_unsafe,
        "oos_share": clf.meta.get("oos_share"),
        "cv_intent_accuracy": clf.meta.get("cv_intent_accuracy"),
        # rows whose label looks wrong, left out of the evidence: DIR/suspect_labels.csv
        "suspect_labels": clf.meta.get("suspect_labels"),
        "seconds_train": clf.meta.get("seconds_train"),
    }
    if as_json:
        print(json.dumps({**summary, "operating_point": point}))
    else:
        console.print(_table("trained classifier", {**summary, **_promise(point)}))


@app.command("eval")
def eval_cmd(
    train: Path = typer.Option(..., "--train", help="TRAIN CSV (text,intent; 'oos' = escalate)."),
    test: Path = typer.Option(..., "--test", help="TEST CSV (text,intent) to route and score."),
    target_unsafe: float = typer.Option(
        0.05, help="Unsafe share the operating point is calibrated for, on TRAIN only."
    ),
    oos_shares: str | None = typer.Option(
        None, "--oos-share",
        help="Comma list of out-of-scope shares of live traffic to report operating points for "
        "(one training run), e.g. 0.1,0.3,0.5. The top-level deflection/unsafe_rate are always "
        "at the default share (0.5).",
    ),
    method: str = typer.Option("deskroute", help="deskroute, or naive (the MiniLM+LR baseline)."),
    finetune: bool = FINETUNE_OPTION,
    epochs: int = EPOCHS_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as one JSON object."),
) -> None:
    """Train a fresh classifier on TRAIN, route every TEST row and report how safe that is.

    A TEST row is routine if its intent occurs in TRAIN and is not 'oos'; a row routed to
    the local model is unsafe if it is not routine or its intent is wrong. coverage_at_* are
    the curve's ceilings (best threshold in hindsight); deflection and unsafe_rate are what the
    threshold calibrated on TRAIN alone gives on TEST. operating_points: for each --oos-share,
    the point TRAIN chose for traffic with that share, measured on TEST as it is (compare the
    entry whose share is TEST's own, test_oos_share), next to what TRAIN promised (expected_*,
    unsafe_bound) and the best one global threshold gives on TEST at the same unsafe rate
    (hindsight_deflection).
    """
    from router.classify.embedder import encoder_spec
    from router.classify.finetune import FinetuneOptions
    from router.evaluate import evaluate
    from router.settings import ModelSettings

    if not 0.0 < target_unsafe < 1.0:
        fail("--target-unsafe must be between 0 and 1")
    shares = _shares(oos_shares)
    train_rows = _read(train, min_classes=2)
    test_rows = _read(test, min_classes=0, empty_text="keep")
    try:
        with _progress(not as_json) as progress:
            result = evaluate(
                train_rows,
                test_rows,
                target_unsafe=target_unsafe,
                progress=progress,
                method=method,
                finetune=finetune,
                finetune_options=FinetuneOptions(epochs=epochs),
                oos_shares=shares,
                encoder=encoder_spec(ModelSettings()),  # this command's edge
            )
    except (ValueError, OSError) as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(result))
        return
    points = result.pop("operating_points")
    console.print(_table(f"{method}: {train.name} → {test.name}", result))
    table = Table(title="operating points (chosen on TRAIN, measured on TEST)")
    for column in points[0] if points else ():
        table.add_column(column.replace("_", " "), justify="right")
    for point in points:
        table.add_row(*("n/a" if v is None else str(v) for v in point.values()))
    console.print(table)


@app.command("calibrate")
def calibrate_cmd(
    classifier: Path = typer.Option(..., "--classifier", help="Classifier artifact directory."),
    data: Path | None = typer.Option(
        None, "--data", help="Labelled CSV (text,intent) to calibrate on."
    ),
    from_outcomes: bool = typer.Option(
        False,
        "--from-outcomes",
        help="Calibrate on outcomes logged in the store instead: locally answered tickets "
        "marked resolved (safe) or reopened / agent_edit (unsafe).",
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="Store to read outcomes from (default DESKROUTE_DATABASE_URL)."
    ),
    target_unsafe: float | None = typer.Option(
        None, help="Pick thresholds so at most this share of local answers is unsafe."
    ),
    target_llm_share: float | None = typer.Option(
        None, help="Pick the threshold that escalates this share of tickets (a budget)."
    ),
    oos_share: float | None = typer.Option(
        None, "--oos-share",
        help="Out-of-scope share of live traffic to calibrate for (default: the one stored in "
        "the artifact). Not with --from-outcomes, which measures it.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Re-pick the global and per-intent thresholds of a classifier and write them to its meta.json.

    Give one target and at most one source. Without a source the artifact's own out-of-fold
    evidence is used (say, for another --oos-share). With --data use labelled tickets the
    classifier was NOT trained on (for example last month's tickets with their final intent),
    or the thresholds will be too lax. With --from-outcomes the out-of-scope share is measured
    from the confidences of every logged decision, and the logged outcomes of local answers
    tighten the result where they show it is too lax (only locally answered tickets have
    outcomes, so they cannot loosen it).
    """
    from router.calibrate import calibrate_classifier

    if (target_unsafe is None) == (target_llm_share is None):
        fail("give exactly one of --target-unsafe or --target-llm-share")
    if data is not None and from_outcomes:
        fail("give at most one of --data or --from-outcomes")
    if from_outcomes and oos_share is not None:
        fail("--from-outcomes measures the out-of-scope share: drop --oos-share")
    _share(oos_share)
    for value in (target_unsafe, target_llm_share):
        if value is not None and not 0.0 <= value <= 1.0:
            fail("targets must be between 0 and 1")
    rows = _read(data, min_classes=0) if data is not None else None
    try:
        result = calibrate_classifier(
            classifier,
            rows,
            target_unsafe=target_unsafe,
            target_llm_share=target_llm_share,
            oos_share=oos_share,
            from_outcomes=from_outcomes,
            database_url=database_url,
        )
    except (ValueError, OSError, TypeError) as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"cannot read outcomes from the store: {exc.__class__.__name__}: {exc}")
    if as_json:
        print(json.dumps(result))
    else:
        shown = {k: v for k, v in result.items() if k != "intent_thresholds"}
        shown["per_intent_thresholds"] = len(result["intent_thresholds"])  # type: ignore[arg-type]
        measured = shown.pop("measured_oos_share", None)
        if isinstance(measured, dict):
            shown["measured from"] = (
                f"{measured['tickets']} logged tickets "
                f"({measured['low']:.2f}-{measured['high']:.2f} at 90 %)"
            )
        console.print(_table("calibrated", shown))
