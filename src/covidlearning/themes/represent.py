"""The represent step: the vectors that discovery clusters, and theme means in a vector space.

Owns the representation of a text for clustering (:func:`build_representation`: its
MiniLM embedding centred on the corpus mean, beside a down-weighted LSA projection of its
TF-IDF topic terms), the vocabulary that may describe themes (:func:`shared_vocabulary`:
terms used by at least ``min_respondents`` distinct respondents, none name-like) and the
vector helpers the other steps share (:func:`normalise`, :func:`theme_means`). It imports
numpy, :mod:`covidlearning.nlp.names` and, inside :func:`build_representation`,
scikit-learn (the tokenizer is passed in).

Public API: :data:`LEXICAL_WEIGHT`, :func:`normalise`, :func:`theme_means`,
:func:`build_representation`, :func:`shared_vocabulary`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from covidlearning.nlp.names import is_name_like

logger = logging.getLogger(__name__)

#: Weight of the lexical (TF-IDF LSA) block beside the MiniLM block.
LEXICAL_WEIGHT = 0.5


#: Rows handled at a time by :func:`normalise` and :func:`build_representation`.
BLOCK_ROWS = 65536


def normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows left as they are), as ``float32``.

    Each row's numbers depend on that row alone, so a block of rows at a time gives the
    result of the whole array at once, without its full-size temporaries.
    """
    x = np.asarray(x)
    return _blockwise(lambda b: _normalise_rows(x[b]), len(x))


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms == 0, 1, norms)).astype(np.float32, copy=False)


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

    mean = embeddings.mean(axis=0, keepdims=True)
    if weight <= 0:
        return _blockwise(lambda b: normalise(embeddings[b] - mean), len(embeddings))
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
        return build_representation(docs, embeddings, tokenizer, lexical_dims, seed, 0.0)
    dims = min(lexical_dims, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
    if dims < 2:
        return build_representation(docs, embeddings, tokenizer, lexical_dims, seed, 0.0)
    lsa = TruncatedSVD(dims, random_state=seed).fit_transform(tfidf)
    del tfidf

    def rows(b: slice) -> np.ndarray:  # row by row as for the whole array at once
        sem = normalise(embeddings[b] - mean)
        return normalise(np.hstack([sem, weight * normalise(lsa[b])]))

    return _blockwise(rows, len(embeddings))


def _blockwise(rows: Callable[[slice], np.ndarray], n: int) -> np.ndarray:
    """``rows(slice)`` for each block of :data:`BLOCK_ROWS` rows, stacked (``float32``)."""
    if n <= BLOCK_ROWS:
        return rows(slice(0, n))
    first = rows(slice(0, BLOCK_ROWS))
    out = np.empty((n, first.shape[1]), dtype=np.float32)
    out[:BLOCK_ROWS] = first
    for s in range(BLOCK_ROWS, n, BLOCK_ROWS):
        out[s : s + BLOCK_ROWS] = rows(slice(s, s + BLOCK_ROWS))
    return out


def shared_vocabulary(
    docs: Sequence[str],
    respondents: Sequence[str],
    terms: Callable[[str], list[str]],
    min_respondents: int,
) -> dict[str, int]:
    """The terms that may name or describe a theme, as a vectoriser's fixed vocabulary.

    A term (word or collocation) is kept only if texts from at least ``min_respondents``
    distinct respondents use it, and never if any of its words looks like a personal
    name (:func:`covidlearning.nlp.names.is_name_like`). Keywords, labels and the saved
    model's vocabulary are drawn from these terms only, so a word one person wrote (a
    name, a street, a rare condition) cannot reach them.

    Args:
        docs: the modelled texts.
        respondents: who wrote each text (its row id when each row is one respondent).
        terms: the tokenizer (text -> its terms).
        min_respondents: ``k``, the fewest distinct respondents a term needs.

    Returns:
        term -> column index, in sorted term order (empty when no term qualifies).
    """
    if len(docs) != len(respondents):
        raise ValueError(f"{len(docs)} texts but {len(respondents)} respondents")
    codes = {}  # respondent -> a small int: sets of ints, not of id strings
    who_of = [codes.setdefault(str(rid), len(codes)) for rid in respondents]
    counts: Counter[str] = Counter()
    if len(codes) == len(who_of):  # one text per respondent: a term's texts are its people
        for doc in docs:
            counts.update(set(terms(doc)))
    else:
        who: dict[str, set[int]] = {}
        for doc, rid in zip(docs, who_of, strict=True):
            for term in set(terms(doc)):
                who.setdefault(term, set()).add(rid)
        counts.update({t: len(ids) for t, ids in who.items()})
    common = [t for t, c in counts.items() if c >= min_respondents]
    kept = sorted(t for t in common if not is_name_like(t))
    logger.info(
        "vocabulary: %d of %d terms used by %d+ respondents (%d name-like dropped)",
        len(kept),
        len(counts),
        min_respondents,
        len(common) - len(kept),
    )
    return {t: i for i, t in enumerate(kept)}
