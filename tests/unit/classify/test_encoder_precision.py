"""Encoder precision: int8 by default, fp32 on request, never mixed inside one classifier.

Real bundled MiniLM in both precisions: what matters is how far quantisation moves the vectors.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from router.classify.embedder import DEFAULT_ENCODER, encoder_spec, get_encoder, split_spec
from router.classify.trained import DEFAULT_CLASSIFIER_DIR, TrainedClassifier
from router.settings import ModelSettings

TEXTS = [
    "how do I reset my password",
    "where is my parcel, it was due on Monday",
    "I want to return the shoes I bought last week",
    "the mitochondria is the powerhouse of the cell",
]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("all-MiniLM-L6-v2@int8", ("all-MiniLM-L6-v2", "int8")),
        ("/models/enc@fp32", ("/models/enc", "fp32")),
        ("/models/user@host", ("/models/user@host", None)),
        ("all-MiniLM-L6-v2", ("all-MiniLM-L6-v2", None)),
        ("@int8", ("@int8", None)),
    ],
)
def test_split_spec_only_takes_known_precisions(spec: str, expected: tuple) -> None:
    assert split_spec(spec) == expected


def test_default_encoder_is_int8_and_close_to_fp32() -> None:
    int8, fp32 = get_encoder(), get_encoder(f"{DEFAULT_ENCODER}@fp32")
    assert int8.name == f"{DEFAULT_ENCODER}@int8" and fp32.name == f"{DEFAULT_ENCODER}@fp32"
    a, b = int8.encode(TEXTS), fp32.encode(TEXTS)
    cos = (a * b).sum(axis=1)
    assert np.all(cos > 0.95), cos
    assert not np.allclose(a, b, atol=1e-4)  # really quantised, not the same model twice
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)


def test_single_text_path_matches_the_batch_path() -> None:
    enc = get_encoder()
    batch = enc.encode(TEXTS)
    single = np.vstack([enc.encode([t]) for t in TEXTS])
    assert single.shape == batch.shape and single.dtype == np.float32
    assert np.allclose(single, batch, atol=1e-4)


def test_the_settings_name_the_encoder_and_its_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKROUTE_ENCODER_PRECISION", "fp32")
    read_at_the_edge = encoder_spec(ModelSettings())
    assert read_at_the_edge == f"{DEFAULT_ENCODER}@fp32"
    assert get_encoder(read_at_the_edge).name == f"{DEFAULT_ENCODER}@fp32"
    assert get_encoder().name == f"{DEFAULT_ENCODER}@int8"  # nothing below reads the variable
    pinned = ModelSettings(embedding_model="/models/enc@int8", encoder_precision="fp32")
    assert encoder_spec(pinned) == "/models/enc@int8"  # a precision in the spec wins
    assert encoder_spec(ModelSettings(embedding_model="/models/enc")) == "/models/enc@fp32"


def test_artifact_without_precision_loads_as_fp32(tmp_path: Path) -> None:
    """Classifiers saved before precisions existed were trained on fp32 vectors."""
    legacy = tmp_path / "legacy"
    shutil.copytree(DEFAULT_CLASSIFIER_DIR, legacy)
    meta = json.loads((legacy / "meta.json").read_text())
    meta["encoder"] = DEFAULT_ENCODER
    (legacy / "meta.json").write_text(json.dumps(meta))
    clf = TrainedClassifier.load(legacy)
    assert clf.encoder_name == f"{DEFAULT_ENCODER}@fp32"
    assert clf.version == meta["version"]


def test_shipped_classifier_names_its_precision() -> None:
    meta = json.loads((DEFAULT_CLASSIFIER_DIR / "meta.json").read_text())
    assert split_spec(meta["encoder"]) == (DEFAULT_ENCODER, "int8")
