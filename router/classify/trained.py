"""The shipped classifier: sentence embeddings → softmax + kNN evidence → calibrated P(safe).

Training is cross-validated on purpose: the stacker and the thresholds are fitted on
out-of-fold predictions, so the operating point chosen on TRAIN holds on tickets the model has
not seen (a model always looks safe on its own training rows). An artifact is a directory:
``meta.json`` (version = content hash, encoder, intents, thresholds, method, the declared
out-of-scope share and what the operating point promises there), ``head.npz`` and
``evidence.npz``: the out-of-fold predictions the thresholds were chosen on, kept so the
operating point can be re-picked for another share or target without retraining.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from router.classify.base import OOS
from router.classify.confidence import ConfidenceModel
from router.classify.embedder import DEFAULT_ENCODER, get_encoder, join_spec, split_spec
from router.classify.head import Head, run_head
from router.classify.operating import Outcomes
from router.domain import Prediction
from router.settings import DATA_DIR

Progress = Callable[[str, float], None]
DEFAULT_CLASSIFIER_DIR = DATA_DIR / "classifier"
METHOD = "minilm+ngram-softmax-oos+knn-stacker+novelty-gate"
METHOD_FINETUNED = "finetuned-" + METHOD
ENCODER_DIR = "encoder"  # a fine-tuned encoder lives in this sub-folder of the artifact
EVIDENCE_FILE = "evidence.npz"
SUSPECTS_FILE = "suspect_labels.csv"  # training rows whose label looks wrong (label_noise.py)
_LOADED: dict[str, TrainedClassifier] = {}
_LOAD_LOCK = threading.Lock()


class TrainedClassifier:
    """Implements :class:`router.classify.base.Classifier` over a trained head."""

    def __init__(
        self,
        head: Head,
        confidence: ConfidenceModel,
        *,
        encoder: str = DEFAULT_ENCODER,
        threshold: float = 0.5,
        intent_thresholds: dict[str, float] | None = None,
        meta: dict[str, Any] | None = None,
        evidence: Outcomes | None = None,
    ) -> None:
        self.head = head
        self.evidence = evidence  # out-of-fold outcomes (None: an artifact from before them)
        self.confidence_model = confidence
        self.encoder_name = encoder
        self._threshold = float(threshold)
        self.intent_thresholds = dict(intent_thresholds or {})
        self.meta = dict(meta or {})
        # (text, label, predicted) of training rows whose label looks wrong; written on save
        self.suspects: list[tuple[str, str, str]] = []
        self._version = self.meta.get("version") or self._content_hash()

    # -- Classifier protocol -------------------------------------------------------------
    @property
    def version(self) -> str:
        return str(self._version)

    @property
    def intents(self) -> Sequence[str]:
        return self.head.intents

    @property
    def threshold(self) -> float:
        return self._threshold

    def intent_threshold(self, intent: str) -> float:
        return self.intent_thresholds.get(intent, self._threshold)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        x = get_encoder(self.encoder_name).encode(list(texts))
        return self.predict_embeddings(x, texts)

    # -- beyond the protocol ---------------------------------------------------------------
    def score_embeddings(
        self, x: np.ndarray, texts: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(confidence, predicted intent names, runner-up names) for pre-encoded texts."""
        out = run_head(self.head, x, texts)
        conf = self.confidence_model.score(out.features, out.sim_any)
        names = np.asarray(self.head.classes, dtype=object)
        return conf, names[out.pred], names[out.runner_up]

    def predict_embeddings(self, x: np.ndarray, texts: Sequence[str]) -> list[Prediction]:
        out = run_head(self.head, x, texts)
        conf = self.confidence_model.score(out.features, out.sim_any)
        classes = self.head.classes
        oos = self.head.oos_index
        preds: list[Prediction] = []
        for i in range(len(x)):
            top = np.argsort(-out.proba[i])[:5]
            scores = {classes[j]: round(float(out.proba[i, j]), 4) for j in top}
            if oos is not None:
                scores[OOS] = round(float(out.proba[i, oos]), 4)
            scores["nearest_similarity"] = round(float(out.sim_any[i]), 4)
            runner = int(out.runner_up[i])
            # runner-up confidence: the runner-up's share of in-scope probability, scaled like
            # the winner's, so policies can compare the two on one scale
            p1, p2 = float(out.proba[i, out.pred[i]]), float(out.proba[i, runner])
            preds.append(
                Prediction(
                    intent=classes[int(out.pred[i])],
                    confidence=float(conf[i]),
                    runner_up=classes[runner],
                    runner_up_confidence=float(conf[i] * p2 / p1) if p1 > 0 else 0.0,
                    scores=scores,
                )
            )
        return preds

    def _content_hash(self) -> str:
        digest = hashlib.sha256()
        for arr in self._arrays().values():
            digest.update(np.ascontiguousarray(arr).tobytes())
        body = {
            "classes": self.head.classes,
            "encoder": self.encoder_fingerprint(),
            "confidence": self.confidence_model.to_json(),
            "threshold": round(self._threshold, 6),
            "intent_thresholds": {
                k: round(v, 6) for k, v in sorted(self.intent_thresholds.items())
            },
        }
        if self.head.knn_share:
            body["knn_share"] = round(self.head.knn_share, 6)
        digest.update(json.dumps(body, sort_keys=True).encode())
        return "clf-" + digest.hexdigest()[:12]

    def encoder_fingerprint(self) -> str:
        """The encoder's name, or for a fine-tuned encoder folder a hash of its weights (the
        folder moves when the artifact is saved; the weights do not change)."""
        base, precision = split_spec(self.encoder_name)
        if "encoder_sha256" in self.meta:
            return join_spec(str(self.meta["encoder_sha256"]), precision)
        folder = Path(base)
        if not (folder.is_absolute() and folder.is_dir()):
            return self.encoder_name
        digest = hashlib.sha256()
        for file in sorted(folder.rglob("*.safetensors")):
            digest.update(file.read_bytes())
        self.meta["encoder_sha256"] = "sha256-" + digest.hexdigest()[:16]
        return join_spec(str(self.meta["encoder_sha256"]), precision)

    def _arrays(self) -> dict[str, np.ndarray]:
        """What head.npz stores: float16 where the precision does not matter (bank, n-grams)."""
        h = self.head
        arrays: dict[str, np.ndarray] = {
            "weight": h.weight.astype(np.float32),
            "bias": h.bias.astype(np.float32),
            "bank": h.bank.astype(np.float16),
            "bank_labels": h.bank_labels.astype(np.int32),
        }
        if h.lex_weight is not None and h.lex_bias is not None and h.idf is not None:
            arrays["lex_weight"] = h.lex_weight.astype(np.float16)
            arrays["lex_bias"] = h.lex_bias.astype(np.float32)
            arrays["idf"] = h.idf.astype(np.float16)
        return arrays

    def set_thresholds(self, threshold: float, intent_thresholds: dict[str, float]) -> None:
        """Replace the operating point (the version changes with it; the old versions are kept
        in ``previous_versions``, as logged decisions name them)."""
        previous = [v for v in self.meta.get("previous_versions", []) if v != self.version]
        self._threshold = float(threshold)
        self.intent_thresholds = dict(intent_thresholds)
        self.meta.pop("version", None)
        new = self._content_hash()
        if new != self._version:
            previous.append(self._version)
        self.meta["previous_versions"] = previous
        self._version = new

    # -- persistence -------------------------------------------------------------------------
    def save(self, out_dir: str | Path) -> Path:
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(folder / "head.npz", **self._arrays())  # type: ignore[arg-type]
        encoder = self.encoder_name
        base, precision = split_spec(encoder)
        source = Path(base)
        if source.is_absolute() and source.is_dir():  # fine-tuned: carry its own encoder
            self.encoder_fingerprint()
            target = folder / ENCODER_DIR
            if source.resolve() != target.resolve():
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(source, target)
            encoder = join_spec(ENCODER_DIR, precision)
        meta = {
            **self.meta,
            "version": self.version,
            "method": self.meta.get("method", METHOD),
            "encoder": encoder,
            "classes": self.head.classes,
            "intents": list(self.intents),
            "threshold": round(self._threshold, 6),
            "intent_thresholds": {
                k: round(v, 6) for k, v in sorted(self.intent_thresholds.items())
            },
            "confidence": self.confidence_model.to_json(),
            "knn_share": round(self.head.knn_share, 6),
        }
        (folder / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        if self.evidence is not None:
            _save_evidence(folder / EVIDENCE_FILE, self.evidence, self.head.classes)
        if self.suspects:
            _save_suspects(folder / SUSPECTS_FILE, self.suspects)
        return folder

    @classmethod
    def load(cls, path: str | Path) -> TrainedClassifier:
        folder = Path(path)
        meta_file, head_file = folder / "meta.json", folder / "head.npz"
        if not meta_file.is_file() or not head_file.is_file():
            raise FileNotFoundError(f"{folder}: not a classifier (needs meta.json and head.npz)")
        meta = json.loads(meta_file.read_text())
        with np.load(head_file) as data:
            lexical = "lex_weight" in data.files
            head = Head(
                classes=list(meta["classes"]),
                weight=data["weight"].astype(np.float32),
                bias=data["bias"].astype(np.float32),
                bank=data["bank"].astype(np.float32),
                bank_labels=data["bank_labels"],
                lex_weight=data["lex_weight"].astype(np.float32) if lexical else None,
                lex_bias=data["lex_bias"].astype(np.float32) if lexical else None,
                idf=data["idf"].astype(np.float32) if lexical else None,
                knn_share=float(meta.get("knn_share", 0.0)),
            )
        # artifacts from before encoder precisions existed were trained on fp32 vectors
        base, precision = split_spec(str(meta.get("encoder", DEFAULT_ENCODER)))
        if (folder / base).is_dir():  # a fine-tuned encoder stored inside the artifact
            base = str((folder / base).resolve())
        encoder = join_spec(base, precision or "fp32")
        return cls(
            head,
            ConfidenceModel.from_json(meta.get("confidence", {})),
            encoder=encoder,
            threshold=float(meta.get("threshold", 0.5)),
            intent_thresholds={k: float(v) for k, v in meta.get("intent_thresholds", {}).items()},
            meta=meta,
            evidence=_load_evidence(folder / EVIDENCE_FILE, head.classes),
        )


def _save_evidence(file: Path, evidence: Outcomes, classes: list[str]) -> None:
    index = {name: i for i, name in enumerate(classes)}
    np.savez_compressed(
        file,
        confidence=np.asarray(evidence.confidence, dtype=np.float64),
        intent=np.array([index[str(i)] for i in evidence.intent], dtype=np.int16),
        safe=np.asarray(evidence.safe, dtype=bool),
        routine=evidence.in_scope,
    )


def _save_suspects(file: Path, suspects: list[tuple[str, str, str]]) -> None:
    import csv

    with file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "intent", "predicted"])
        writer.writerows(suspects)


def _load_evidence(file: Path, classes: list[str]) -> Outcomes | None:
    if not file.is_file():
        return None
    with np.load(file) as data:
        names = np.asarray(classes, dtype=object)
        return Outcomes(
            data["confidence"].astype(np.float64),
            names[data["intent"].astype(np.int64)],
            data["safe"].astype(bool),
            data["routine"].astype(bool),
        )


def load_classifier(path: str | Path | None = None) -> TrainedClassifier:
    """A trained classifier, cached per process; None → the shipped one (the one a process's
    settings name is ``load_classifier(models.classifier)``)."""
    chosen = path or DEFAULT_CLASSIFIER_DIR
    key = str(Path(chosen).resolve())
    with _LOAD_LOCK:
        if key not in _LOADED:
            _LOADED[key] = TrainedClassifier.load(key)
        return _LOADED[key]
