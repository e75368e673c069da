"""The shipped classifier and a small fresh one, on the real bundled MiniLM encoder.

These run the real encoder (a few seconds): the confidence behaviour under test comes from the
embeddings, so a fake encoder would test nothing that matters.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from router.calibrate import calibrate_classifier
from router.classify.dataio import read_labelled_csv
from router.classify.trained import DEFAULT_CLASSIFIER_DIR, TrainedClassifier, load_classifier
from router.classify.training import train_classifier
from router.settings import DATA_DIR

OFF_TOPIC = [
    "the mitochondria is the powerhouse of the cell",
    "Photosynthesis converts light energy into chemical energy in plants.",
    "who scored the winning goal in the 1966 world cup final",
    "asdf qwer zxcv",
]


@pytest.fixture(scope="module")
def shipped() -> TrainedClassifier:
    return load_classifier(None)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[TrainedClassifier, Path]:
    rows = read_labelled_csv(DATA_DIR / "shop_intents.csv")
    keep = {"password_reset", "order_status", "return_policy", "payment_methods", "oos"}
    out = tmp_path_factory.mktemp("clf")
    clf = train_classifier([r for r in rows if r[1] in keep], out, folds=3, finetune=True)
    return clf, out


def test_shipped_artifact_is_small_and_described() -> None:
    meta = json.loads((DEFAULT_CLASSIFIER_DIR / "meta.json").read_text())
    assert meta["version"].startswith("clf-")
    assert "oos" not in meta["intents"] and len(meta["intents"]) >= 15
    assert 0.0 < meta["threshold"] < 1.0
    size = sum(f.stat().st_size for f in DEFAULT_CLASSIFIER_DIR.iterdir())
    assert size < 5 * 1024 * 1024


def test_shipped_routes_a_password_reset_confidently(shipped: TrainedClassifier) -> None:
    pred = shipped.predict(["how do I reset my password"])[0]
    assert pred.intent == "password_reset"
    assert pred.confidence >= shipped.intent_threshold("password_reset")
    assert pred.runner_up is not None and pred.runner_up != pred.intent
    assert pred.runner_up_confidence <= pred.confidence


def test_far_off_topic_gets_low_confidence(shipped: TrainedClassifier) -> None:
    for pred in shipped.predict(OFF_TOPIC):
        assert pred.confidence < min(0.3, shipped.threshold), pred


def test_confidences_are_probabilities(shipped: TrainedClassifier) -> None:
    texts = ["where is my order", "refund?", "", "x" * 2000, *OFF_TOPIC]
    preds = shipped.predict(texts)
    assert len(preds) == len(texts)
    assert all(0.0 <= p.confidence <= 1.0 for p in preds)
    assert all(p.intent in shipped.intents for p in preds)
    assert shipped.predict([]) == []


def test_round_trip_keeps_predictions_and_version(small: tuple[TrainedClassifier, Path]) -> None:
    clf, out = small
    again = TrainedClassifier.load(out)
    texts = ["I forgot my password", "can I pay with PayPal", "tell me a joke"]
    a, b = clf.predict(texts), again.predict(texts)
    assert [p.intent for p in a] == [p.intent for p in b]
    assert np.allclose([p.confidence for p in a], [p.confidence for p in b], atol=2e-3)
    assert again.version == clf.version
    # fine-tuned: the artifact carries its own encoder, found again after a move
    meta = json.loads((out / "meta.json").read_text())
    assert meta["finetuned"] is True and meta["encoder"] == "encoder@int8"
    assert (out / "encoder" / "model.safetensors").is_file()
    moved = out.parent / "moved"
    shutil.copytree(out, moved)
    assert TrainedClassifier.load(moved).version == clf.version
    assert set(again.intents) == {
        "password_reset",
        "order_status",
        "return_policy",
        "payment_methods",
    }


def test_calibrate_rewrites_thresholds_and_version(
    small: tuple[TrainedClassifier, Path], tmp_path: Path
) -> None:
    clf, trained_dir = small
    out = tmp_path / "copy"
    shutil.copytree(trained_dir, out)  # calibrate rewrites meta.json: work on a copy
    rows = [
        ("I can't log in, reset my password", "password_reset"),
        ("where's my parcel", "order_status"),
        ("how long do I have to send things back", "return_policy"),
        ("do you take Visa", "payment_methods"),
        ("my lawyer will call you", "oos"),
        ("what's the weather", "oos"),
    ]
    result = calibrate_classifier(out, rows, target_llm_share=0.5)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["threshold"] == pytest.approx(result["threshold"])
    assert result["version"] != result["previous_version"] == clf.version
    assert meta["version"] == result["version"]
    assert result["llm_share"] == pytest.approx(0.5, abs=0.17)


def test_routing_with_a_finetuned_classifier_keeps_the_exemplar_signals(
    small: tuple[TrainedClassifier, Path],
) -> None:
    """One encode per ticket: the signals compare the fine-tuned vector with exemplars embedded
    by the same fine-tuned encoder, so paraphrases the regexes miss still raise a signal."""
    from router.pipeline.routing import route_text, signal_encoder
    from router.pipeline.services import Services
    from router.settings import ModelSettings

    _, out = small
    services = Services(models=ModelSettings(classifier=str(out)))
    assert signal_encoder(services) == str((out / "encoder").resolve()) + "@int8"
    assert signal_encoder(Services(models=ModelSettings(classifier=None))) is None
    # asks for a person that no regex catches (the exemplar layer's own test set)
    from router.signals.human import HUMAN_REQUEST
    from tests.unit.signals.signal_sets import read_set

    asks = [
        r.text for r in read_set("paraphrases")
        if r.expected == "human_request" and HUMAN_REQUEST.match(r.text) is None
    ]
    decisions = [route_text(services, text).decision for text in asks]
    caught = [d for d in decisions if any(s.name == "human_request" for s in d.signals)]
    assert len(caught) >= 2, [d.signals for d in decisions]
    assert all(d.route.value == "human" for d in caught)
