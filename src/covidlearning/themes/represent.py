"""The represent step: the vectors that discovery clusters, and theme means in a vector space.

Owns the representation of a text for clustering (:func:`build_representation`: its
MiniLM embedding centred on the corpus mean, beside a down-weighted LSA projection of its
TF-IDF topic terms) and the vector helpers the other steps share (:func:`normalise`,
:func:`theme_means`). It imports numpy and, inside :func:`build_representation`,
scikit-learn; nothing of covidlearning (the tokenizer is passed in).

Public API: :data:`LEXICAL_WEIGHT`, :func:`normalise`, :func:`theme_means`,
:func:`build_representation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: Weight of the lexical (TF-IDF LSA) block beside the MiniLM block.
LEXICAL_WEIGHT = 0.5


def normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows left as they are), as ``float32``."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms == 0, 1, norms)).astype(np.float32)


def theme_means(embeddings: np.ndarray, topics: np.ndarray) -> dict[int, np.ndarray]:
    """Each theme's (>= 0) normalised mean vector, by theme in ascending order."""
    return {
        int(t): normalise(embeddings[topics == t].mean(axis=0, keepdims=True))[0]
        for t in sorted(set(topics.tolist()))
        if t >= 0
    }


def build_representation(
    docs: Sequence[str],
    embeddings: np.ndarray,
    tokenizer: Any,
    lexical_dims: int,
    seed: int,
    weight: float = LEXICAL_WEIGHT,
) -> np.ndarray:
    """Centred MiniLM block + ``weight`` x LSA of TF-IDF topic terms, row-normalised.

    Args:
        docs: the texts.
        embeddings: their MiniLM embeddings.
        tokenizer: a fitted :class:`covidlearning.nlp.text.TopicTokenizer` (any callable
            from a text to its terms).
        lexical_dims: LSA dimensions (fewer when the vocabulary or the texts are fewer).
        seed: seeds the truncated SVD.
        weight: of the lexical block; 0 or less leaves the centred MiniLM block alone.

    Returns:
        One row-normalised ``float32`` vector per text.
    """
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    sem = normalise(embeddings - embeddings.mean(axis=0, keepdims=True))
    if weight <= 0:
        return sem
    try:
        tfidf = TfidfVectorizer(
            tokenizer=tokenizer,
            lowercase=False,
            token_pattern=None,
            sublinear_tf=True,
            min_df=1 if len(docs) < 300 else 2,
            max_features=50000,
        ).fit_transform(docs)
    except ValueError:  # empty vocabulary
        return sem
    dims = min(lexical_dims, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
    if dims < 2:
        return sem
    lsa = TruncatedSVD(dims, random_state=seed).fit_transform(tfidf)
    return normalise(np.hstack([sem, weight * normalise(lsa)]))
