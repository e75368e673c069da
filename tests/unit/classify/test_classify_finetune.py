"""Fine-tuning the encoder on labelled tickets: real MiniLM, real gradient steps on shop data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from router.classify.dataio import read_labelled_csv
from router.classify.embedder import get_encoder
from router.classify.finetune import FinetuneOptions, finetune_encoder, length_batches
from router.settings import DATA_DIR


def test_length_batches_cover_every_row_once_with_little_padding() -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 60, size=1000)
    batches = length_batches(lengths, 32, np.random.default_rng(1))
    seen = np.concatenate(batches)
    assert sorted(seen.tolist()) == list(range(1000))
    assert max(len(b) for b in batches) == 32
    padded = sum(len(b) * lengths[b].max() for b in batches)
    random_padded = sum(
        32 * lengths[i : i + 32].max() for i in range(0, 1000, 32)
    )  # batches in arrival order
    assert padded < 0.8 * random_padded


def _separation(x: np.ndarray, labels: list[str]) -> float:
    """Mean cosine to the own intent's centroid minus mean cosine to the nearest other one."""
    names = sorted(set(labels))
    y = np.array([names.index(v) for v in labels])
    centroids = np.stack([x[y == k].mean(axis=0) for k in range(len(names))])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    sims = x @ centroids.T
    own = sims[np.arange(len(x)), y]
    sims[np.arange(len(x)), y] = -1.0
    return float((own - sims.max(axis=1)).mean())


@pytest.fixture(scope="module")
def shop_rows() -> list[tuple[str, str]]:
    rows = read_labelled_csv(DATA_DIR / "shop_intents.csv")
    counts = Counter(i for _, i in rows)
    return [r for r in rows if counts[r[1]] >= 5]


def test_finetuning_pulls_tickets_of_one_intent_together(
    shop_rows: list[tuple[str, str]], tmp_path: Path
) -> None:
    texts, labels = [t for t, _ in shop_rows], [i for _, i in shop_rows]
    before = _separation(get_encoder().encode(texts), labels)
    folder = finetune_encoder(texts, labels, tmp_path / "enc", options=FinetuneOptions(epochs=2))
    after = _separation(get_encoder(str(folder)).encode(texts), labels)
    assert (folder / "model.safetensors").is_file() and (folder / "modules.json").is_file()
    assert after > before + 0.05, (before, after)


def test_finetuning_refuses_mismatched_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one label per text"):
        finetune_encoder(["a", "b"], ["x"], tmp_path / "enc")


def test_scratch_encoder_folder_goes_with_the_classifier(
    shop_rows: list[tuple[str, str]],
) -> None:
    """Fine-tuned from Python without a folder: the scratch copy is removed once unused."""
    import gc

    from router.classify.embedder import split_spec
    from router.classify.training import fit_classifier

    keep = {"password_reset", "order_status", "return_policy", "oos"}
    clf = fit_classifier(
        [r for r in shop_rows if r[1] in keep], folds=2, finetune=True,
        finetune_options=FinetuneOptions(epochs=1),
    )
    folder = Path(split_spec(clf.encoder_name)[0])
    assert (folder / "model.safetensors").is_file()
    del clf
    gc.collect()
    assert not folder.exists()
