"""Turning head evidence into a confidence that means "P(this local answer is safe)".

A stacker (logistic regression over the head's features) is fitted on out-of-fold predictions,
so it learns how often the head is right when it looks like this, not how well it memorised.
A novelty gate then scales confidence down for texts farther from every training example than
almost all real in-scope tickets are: TRAIN has no off-topic examples, so nothing learned from
it can be trusted there, and distance is the only evidence that holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from router.classify.head import FEATURE_NAMES


@dataclass
class ConfidenceModel:
    coef: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURE_NAMES)))
    intercept: float = 0.0
    gate_low: float = -1.0  # at or below: confidence 0
    gate_high: float = -1.0  # at or above: no penalty

    def score(self, features: np.ndarray, sim_any: np.ndarray) -> np.ndarray:
        z = features.astype(np.float64) @ self.coef + self.intercept
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))
        return np.clip(p * self.gate(sim_any), 0.0, 1.0)

    def gate(self, sim_any: np.ndarray) -> np.ndarray:
        span = max(self.gate_high - self.gate_low, 1e-6)
        return np.clip((np.asarray(sim_any, dtype=np.float64) - self.gate_low) / span, 0.0, 1.0)

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(FEATURE_NAMES),
            "coef": [round(float(v), 6) for v in self.coef],
            "intercept": round(float(self.intercept), 6),
            "gate_low": round(float(self.gate_low), 6),
            "gate_high": round(float(self.gate_high), 6),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ConfidenceModel:
        coef = data.get("coef", [])
        assert isinstance(coef, list)
        return cls(
            coef=np.asarray(coef, dtype=np.float64),
            intercept=float(data.get("intercept", 0.0)),  # type: ignore[arg-type]
            gate_low=float(data.get("gate_low", -1.0)),  # type: ignore[arg-type]
            gate_high=float(data.get("gate_high", -1.0)),  # type: ignore[arg-type]
        )


def fit_confidence(
    features: np.ndarray,
    safe: np.ndarray,
    sim_any: np.ndarray,
    routine: np.ndarray,
    *,
    gate_quantile: float = 0.01,
    gate_width: float = 0.15,
) -> ConfidenceModel:
    """Fit the stacker on out-of-fold evidence and place the novelty gate.

    The gate opens fully at the ``gate_quantile`` of routine tickets' nearest-neighbour
    similarity: 99 % of genuine in-scope tickets pass untouched, texts well below are damped.
    """
    from sklearn.linear_model import LogisticRegression

    safe = np.asarray(safe, dtype=bool)
    model = ConfidenceModel()
    if safe.all() or not safe.any():  # degenerate: nothing to learn, trust the top probability
        model.coef = np.zeros(len(FEATURE_NAMES))
        model.coef[0] = 1.0
    else:
        lr = LogisticRegression(C=1.0, max_iter=1000)
        lr.fit(features, safe)
        model.coef = lr.coef_[0].astype(np.float64)
        model.intercept = float(lr.intercept_[0])
    ref = np.asarray(sim_any)[np.asarray(routine, dtype=bool)]
    if len(ref):
        model.gate_high = float(np.quantile(ref, gate_quantile))
        model.gate_low = model.gate_high - gate_width
    return model
