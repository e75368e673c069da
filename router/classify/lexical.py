"""Lexical evidence: hashed word and character n-grams with TF-IDF weights.

Sentence embeddings blur the exact words that separate sibling intents ("top up" vs "transfer",
"pending" vs "declined"); n-grams keep them. A softmax on these features makes different
mistakes from the embedding softmax, and averaging the two (in log space) lifted BANKING77-OOS
valid intent accuracy from 88.2 % to 89.8 %. Hashing needs no vocabulary in the artifact: only
the IDF vector and the weights are stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

N_WORD = 2**15
N_CHAR = 2**15
N_FEATURES = N_WORD + N_CHAR


def _vectorizers() -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import HashingVectorizer

    word = HashingVectorizer(ngram_range=(1, 2), n_features=N_WORD, alternate_sign=False, norm=None)
    char = HashingVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), n_features=N_CHAR, alternate_sign=False, norm=None
    )
    return word, char


def counts(texts: Sequence[str]) -> Any:
    """Sparse (n, N_FEATURES) n-gram counts."""
    from scipy.sparse import hstack

    word, char = _vectorizers()
    docs = list(texts)
    return hstack([word.transform(docs), char.transform(docs)]).tocsr()


def fit_idf(texts: Sequence[str]) -> np.ndarray:
    """Smoothed IDF per hashed feature, as scikit-learn's TfidfTransformer computes it."""
    c = counts(texts)
    df = np.bincount(c.indices, minlength=N_FEATURES)
    n = c.shape[0]
    return (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)


def transform(texts: Sequence[str], idf: np.ndarray) -> Any:
    """Sublinear TF × IDF, L2-normalised rows (sparse)."""
    from sklearn.preprocessing import normalize

    c = counts(texts).astype(np.float32)
    c.data = 1.0 + np.log(c.data)
    c = c.multiply(idf[np.newaxis, :]).tocsr()
    return normalize(c)
