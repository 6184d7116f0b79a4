"""Quality measures for a set of topics, computed on the corpus itself.

* :func:`npmi_coherence`: mean normalised pointwise mutual information of each
  topic's top words, from document co-occurrence in the modelled texts
  (Bouma 2009; -1 never together, 0 independent, 1 always together).
* :func:`topic_diversity`: share of unique words among all topics' top words
  (Dieng et al. 2020; 1 = no word shared between topics).
* :func:`stability`: mean adjusted Rand index between the assignment and
  re-runs with other seeds.
* :func:`outlier_stats`: count and share of texts no topic claimed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np


def npmi_coherence(
    topic_words: Sequence[Sequence[str]],
    doc_terms: Sequence[set[str]] | None = None,
    *,
    matrix=None,  # noqa: ANN001 - scipy sparse doc-term matrix
    vocabulary: dict[str, int] | None = None,
    top_n: int = 10,
) -> dict[str, object]:
    """Return NPMI coherence per topic and overall.

    Give either ``doc_terms`` (one set of terms per document) or a sparse
    document-term ``matrix`` with its ``vocabulary`` (term -> column).
    Word pairs never seen together score -1; words absent from the corpus are skipped.

    Returns:
        ``{"mean": float | None, "per_topic": [float | None, ...]}``.
    """
    if matrix is None:
        from scipy import sparse

        docs = list(doc_terms or [])
        vocab: dict[str, int] = {}
        rows, cols = [], []
        for i, terms in enumerate(docs):
            for t in terms:
                rows.append(i)
                cols.append(vocab.setdefault(t, len(vocab)))
        matrix = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(docs), max(1, len(vocab)))
        )
        vocabulary = vocab
    assert vocabulary is not None
    binary = (matrix > 0).astype(np.float64).tocsc()
    n_docs = binary.shape[0]
    per_topic: list[float | None] = []
    for words in topic_words:
        cols = [vocabulary[w] for w in list(words)[:top_n] if w in vocabulary]
        if len(cols) < 2 or n_docs == 0:
            per_topic.append(None)
            continue
        sub = binary[:, cols]
        p = np.asarray(sub.sum(axis=0)).ravel() / n_docs
        joint = (sub.T @ sub).toarray() / n_docs
        scores = []
        for i, j in itertools.combinations(range(len(cols)), 2):
            pij = joint[i, j]
            if pij <= 0 or p[i] <= 0 or p[j] <= 0:
                scores.append(-1.0)
            elif pij >= 1:
                scores.append(1.0)
            else:
                scores.append(float(np.log(pij / (p[i] * p[j])) / -np.log(pij)))
        per_topic.append(float(np.mean(scores)))
    valid = [s for s in per_topic if s is not None]
    return {"mean": float(np.mean(valid)) if valid else None, "per_topic": per_topic}


def topic_diversity(topic_words: Sequence[Sequence[str]], top_n: int = 10) -> float | None:
    """Share of unique words among the top ``top_n`` words of all topics (None if no topics)."""
    tops = [list(w)[:top_n] for w in topic_words if len(w)]
    total = sum(len(w) for w in tops)
    if not total:
        return None
    return len({w for ws in tops for w in ws}) / total


def stability(reference: Sequence[int], reruns: Sequence[Sequence[int]]) -> dict[str, object]:
    """Mean adjusted Rand index between ``reference`` and each re-run's labels.

    Returns:
        ``{"mean_ari": float | None, "per_run": [...], "runs": int}``.
    """
    from sklearn.metrics import adjusted_rand_score

    per = [float(adjusted_rand_score(reference, r)) for r in reruns]
    return {"mean_ari": float(np.mean(per)) if per else None, "per_run": per, "runs": len(per)}


def outlier_stats(topics: Sequence[int]) -> dict[str, float | int]:
    """Count and share of ``-1`` (outlier) labels."""
    arr = np.asarray(topics)
    count = int((arr == -1).sum())
    return {"count": count, "share": float(count / len(arr)) if len(arr) else 0.0}
