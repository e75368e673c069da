"""The classifier commands as a user runs them: JSON on stdout, errors as one line + exit 2."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from router.classify.dataio import read_labelled_csv
from router.cli.classify_cmds import app
from router.evaluate import METRIC_KEYS
from router.settings import DATA_DIR

runner = CliRunner()


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "intent"])
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    rows = read_labelled_csv(DATA_DIR / "shop_intents.csv")
    keep = {"password_reset", "order_status", "cancel_order", "invoice_request", "oos"}
    rows = [r for r in rows if r[1] in keep]
    folder = tmp_path_factory.mktemp("cli")
    train = _write(folder / "train.csv", [r for i, r in enumerate(rows) if i % 4])
    test = rows[::4] + [("what's the tallest mountain in Africa", "oos")]
    return train, _write(folder / "test.csv", test)


def test_eval_json_has_exactly_the_issue_keys(split: tuple[Path, Path]) -> None:
    train, test = split
    result = runner.invoke(
        app, ["eval", "--train", str(train), "--test", str(test), "--json", "--oos-share", "0,0.5"]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert tuple(metrics) == METRIC_KEYS
    assert metrics["n_test"] == len(read_labelled_csv(test, min_classes=0))
    assert metrics["intent_accuracy"] >= 0.6
    assert 0.0 <= metrics["unsafe_rate"] <= 1.0
    # one operating point per requested share, from the one training run
    none, half = metrics["operating_points"]
    assert (none["oos_share"], half["oos_share"]) == (0.0, 0.5) == (0.0, metrics["oos_share"])
    assert half["deflection"] == metrics["deflection"]  # the top level is the default share
    assert half["threshold"] >= none["threshold"]  # more out-of-scope traffic: stricter
    for point in (none, half):
        assert point["expected_unsafe_rate"] <= point["unsafe_bound"] <= 1.0
        assert 0.0 <= point["hindsight_deflection"] <= 1.0


def test_bad_share_list_is_refused_before_training(split: tuple[Path, Path]) -> None:
    train, test = split
    for bad in ("0.2,abc", "1.5", ","):
        result = runner.invoke(
            app, ["eval", "--train", str(train), "--test", str(test), "--oos-share", bad]
        )
        assert result.exit_code == 2 and "--oos-share" in result.stderr, result.output


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "empty"),
        ("text,label\nhello,greet\nbye,leave\n", "missing column"),
        ("text,intent\nhello,greet\nhi there,greet\n", "at least 2 in-scope intents"),
    ],
)
def test_bad_train_csv_exits_2_with_a_message(
    split: tuple[Path, Path], tmp_path: Path, body: str, message: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(body, encoding="utf-8")
    result = runner.invoke(app, ["eval", "--train", str(bad), "--test", str(split[1])])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_calibrate_needs_exactly_one_target(split: tuple[Path, Path], tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["calibrate", "--classifier", str(tmp_path), "--data", str(split[1])]
    )
    assert result.exit_code == 2
    assert "exactly one" in result.stderr


def test_calibrate_missing_artifact_is_a_clear_error(
    split: tuple[Path, Path], tmp_path: Path
) -> None:
    args = ["calibrate", "--classifier", str(tmp_path / "none"), "--data", str(split[1])]
    result = runner.invoke(app, [*args, "--target-unsafe", "0.05"])
    assert result.exit_code == 2
    assert "not a classifier" in result.stderr


def test_train_with_finetune_writes_an_artifact_with_its_own_encoder(
    split: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "clf"
    result = runner.invoke(
        app,
        ["train", str(split[0]), "--out", str(out), "--finetune", "--epochs", "1", "--json",
         "--oos-share", "0.1"],
    )
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "meta.json").read_text())
    assert meta["oos_share"] == 0.1 and meta["oos_share_source"] == "declared"
    assert (out / "evidence.npz").is_file()
    assert meta["finetuned"] is True and meta["method"].startswith("finetuned-")
    assert (out / "encoder" / "model.safetensors").is_file()
    summary = json.loads(result.stdout)
    assert summary["version"] == meta["version"]
    assert summary["encoder"] == "encoder@int8" and meta["encoder"] == "encoder@int8"
    assert summary["oos_parts"] == meta["oos_parts"] >= 1
    promised = summary["operating_point"]
    assert promised == meta["operating_point"] and promised["oos_share"] == 0.1
    assert promised["unsafe_rate"] <= promised["unsafe_bound"]
    assert promised["deflection_low"] <= promised["deflection"] <= promised["deflection_high"]
    # re-pick for another share from the stored out-of-fold evidence: no data, no retraining
    again = runner.invoke(
        app,
        ["calibrate", "--classifier", str(out), "--target-unsafe", "0.05", "--oos-share", "0.6",
         "--json"],
    )
    assert again.exit_code == 0, again.output
    recalibrated = json.loads(again.stdout)
    assert recalibrated["source"].startswith("out-of-fold") and recalibrated["oos_share"] == 0.6
    assert recalibrated["threshold"] >= meta["threshold"]
    assert json.loads((out / "meta.json").read_text())["oos_share"] == 0.6
