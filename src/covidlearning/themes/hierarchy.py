"""The hierarchy step: themes built from the discovered subthemes (topics).

Owns the rule that groups topics into top-level themes (:func:`build_hierarchy`) and the
result (:class:`Hierarchy`). It imports numpy and, of covidlearning, only
:mod:`covidlearning.themes.represent`.

A human thematic analysis gives a handful of themes, each with its subthemes (Trust B's
coders: 9 categories over 41 subcategories), and a theme is a subject ("the food",
"appointments"), with praise and complaint about it inside. Discovery finds the subthemes
in a space where stance weighs as much as subject ("Good care" beside "Excellent
service"); the themes group them by **what they are about: the words that mark each
subtheme**, its c-TF-IDF vector over the shared vocabulary (BERTopic's class-based TF-IDF,
the vectors BERTopic's own ``hierarchical_topics`` joins topics by). The vectors, scaled
to unit length, are joined by Ward agglomeration on their Euclidean distances (Ward 1963;
BERTopic passes cosine distances to scipy's Ward instead, so its trees differ), every
subtheme weighing the same, as in BERTopic: a subtheme's size says how often a thing was
said, not how far its subject is from another's. :func:`ward_tree` runs on exact
coordinates of the vectors (from their Gram matrix), so a vocabulary of any size costs
only ``(k, k)`` numbers for ``k`` subthemes. Where a subtheme has no shared term to be
placed by, or the vectors span fewer than ``2 * MIN_THEMES`` directions (a vocabulary
too small), the subthemes' centroids in the clustering space are joined instead, by
size-weighted Ward (``n_a n_b / (n_a + n_b) |c_a - c_b|²``).

The tree is cut where it is most clearly separated: the cut with the largest ratio
between the merge heights just above and just below it, among
:data:`MIN_THEMES`-:data:`MAX_THEMES` themes of two subthemes each on average, and among
those only the cuts whose largest theme holds at most :data:`MAX_THEME_SHARE` of the texts
(or the largest single subtheme's share, when that is more). A theme holding half the
comments says little a reader can act on, and a coarse cut that leaves one does: on Trust
B's patient comments the coarsest lexical cuts join the generic praise into a theme of
half the comments. When no cut in the range is that balanced, the cut whose largest theme
is smallest is kept.

Every step is deterministic and independent of row order. The term vectors depend on
the topics alone (counts), not on the embedding's last bits; in the centroids' fallback,
merges and cuts differ by far more than last-bit float noise on real data (centroids
average many texts; ``benchmarks/noise.py``). Equal points merge at cost 0, in index
order. Below :data:`HIERARCHY_MIN_TEXTS` texts, or with fewer than ``2 * MIN_THEMES``
topics, there is one level: each topic is its own theme, with the topic's id.

Public API: :data:`HIERARCHY_MIN_TEXTS`, :data:`MIN_THEMES`, :data:`MAX_THEMES`,
:data:`MAX_THEME_SHARE`, :data:`ZERO_COST`, :data:`RANK_TOLERANCE`, :class:`Hierarchy`,
:func:`ward_tree`, :func:`term_coordinates`, :func:`build_hierarchy`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Below this many modelled texts, themes are the topics themselves (one level).
HIERARCHY_MIN_TEXTS = 300
#: Fewest and most top-level themes of a two-level result.
MIN_THEMES = 5
MAX_THEMES = 15
#: A top-level theme holds at most this share of the texts, unless one subtheme does.
MAX_THEME_SHARE = 1 / 3
#: A merge cost below this is 0: the points are equal up to rounding.
ZERO_COST = 1e-12
#: Directions of the term vectors whose eigenvalue is below this share of the largest
#: are rounding noise, and dropped.
RANK_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Hierarchy:
    """Each topic's top-level theme.

    Attributes:
        theme_of: topic id -> theme id (themes numbered 0.. by size, largest first).
        levels: 2 when themes group several topics, 1 when each topic is its own theme.
        rule: how the themes were made, in words (for the run's log and metrics).
        heights: the Ward merge heights (cost of each merge), ascending; empty for 1 level.
        joined_by: what the subthemes were joined by: ``terms`` (their c-TF-IDF vectors)
            or ``centroids``; empty for 1 level.
    """

    theme_of: dict[int, int]
    levels: int
    rule: str
    heights: list[float] = field(default_factory=list)
    joined_by: str = ""

    def themes(self, topics: np.ndarray) -> np.ndarray:
        """The theme of each text, given its topic (-1 stays -1)."""
        return np.array([self.theme_of.get(int(t), -1) for t in topics], dtype=int)

    def members(self) -> dict[int, list[int]]:
        """Theme id -> its topic ids, ascending."""
        out: dict[int, list[int]] = {}
        for t, h in sorted(self.theme_of.items()):
            out.setdefault(h, []).append(t)
        return dict(sorted(out.items()))


def ward_tree(points: np.ndarray, weights: np.ndarray) -> tuple[list[list[int]], list[float]]:
    """Weighted Ward agglomeration of groups given as points (their means) and weights.

    Args:
        points: ``(k, dim)`` the mean vector of each group (a subtheme's centroid, or its
            term vector's coordinates).
        weights: ``(k,)`` each group's weight (its number of texts, or 1 each).

    Returns:
        The partitions from ``k`` groups down to 1 (``partitions[j]`` has ``k - j``
        groups; each a list of group labels 0.. per input row), and the ``k - 1`` merge
        costs in order (non-decreasing for Ward). A cost below :data:`ZERO_COST` counts as
        0 (equal points merge first, by index, not by rounding noise).
    """
    c = np.asarray(points, dtype=np.float64)
    w = np.array(weights, dtype=np.float64)  # a copy: merges add weights up in place
    k = len(c)
    sums = c * w[:, None]
    alive = list(range(k))
    member = list(range(k))
    partitions = [list(range(k))]
    heights: list[float] = []
    while len(alive) > 1:
        idx = np.array(alive)
        cent = sums[idx] / w[idx, None]
        sq = (cent**2).sum(axis=1)
        # squared distances from inner products: (m, m) numbers, not (m, m, dim)
        d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (cent @ cent.T), 0.0)
        cost = (w[idx, None] * w[None, idx]) / (w[idx, None] + w[None, idx]) * d2
        cost[cost < ZERO_COST] = 0.0
        cost[np.tril_indices(len(idx))] = np.inf
        a, b = np.unravel_index(int(np.argmin(cost)), cost.shape)
        heights.append(float(cost[a, b]))
        ia, ib = int(idx[a]), int(idx[b])
        sums[ia] += sums[ib]
        w[ia] += w[ib]
        alive.remove(ib)
        member = [ia if m == ib else m for m in member]
        relabel = {g: j for j, g in enumerate(sorted(set(member)))}
        partitions.append([relabel[m] for m in member])
    return partitions, heights


def _theme_range(k: int) -> tuple[int, int]:
    """Fewest and most themes a cut of ``k`` subthemes may give."""
    lo = min(MIN_THEMES, k)
    return lo, max(lo, min(MAX_THEMES, k // 2))


def _cut(
    heights: list[float], partitions: list[list[int]], sizes: np.ndarray
) -> tuple[int, bool, float]:
    """Number of groups to keep, whether a cut within the share cap existed, and the cap.

    The most separated cut (largest log-ratio of the merge costs above and below it)
    among the allowed numbers of themes whose largest theme holds at most
    :data:`MAX_THEME_SHARE` of the texts (or the largest subtheme's share, if more);
    without such a cut, the one whose largest theme is smallest (ties: most separated).
    """
    k = len(sizes)
    lo, hi = _theme_range(k)
    total = float(sizes.sum())
    cap = max(MAX_THEME_SHARE, float(sizes.max()) / total)
    scored = []
    for g in range(lo, hi + 1):
        if g >= k:
            continue
        below, above = heights[k - g - 1], heights[k - g]  # merges making g, then g - 1 groups
        gap = math.log(max(above, 1e-300)) - math.log(max(below, 1e-300))
        largest = float(np.bincount(partitions[k - g], weights=sizes).max()) / total
        scored.append((g, gap, largest))
    if not scored:
        return lo, True, cap
    within = [(g, gap) for g, gap, largest in scored if largest <= cap + 1e-9]
    if within:
        return max(within, key=lambda c: (c[1], -c[0]))[0], True, cap
    return min(scored, key=lambda c: (c[2], -c[1], c[0]))[0], False, cap


def _centroids(space: np.ndarray, topics: np.ndarray, keys: list[int]) -> np.ndarray:
    """Each topic's centroid of the normalised, centred ``space``, in ``float64``.

    The numbers of normalising, centring and averaging the whole array at once, without
    a copy of it (a million texts' would take gigabytes): the centre is summed a block of
    normalised rows at a time, in the same order as one sum over every row, and each
    topic's rows are normalised again when its centroid is taken.
    """
    from covidlearning.themes.represent import BLOCK_ROWS, normalise

    def rows(sel: slice | np.ndarray) -> np.ndarray:
        return normalise(np.asarray(space[sel], dtype=np.float64)).astype(np.float64)

    space = np.asarray(space)
    total = None
    for s in range(0, len(space), BLOCK_ROWS):
        block = rows(slice(s, s + BLOCK_ROWS))
        # the running total as the first row: the row-by-row order of one whole sum
        total = np.add.reduce(block if total is None else np.vstack([total[None], block]))
    mean = (total / len(space))[None]
    return np.stack([(rows(topics == t) - mean).mean(axis=0) for t in keys])


def term_coordinates(terms: Any) -> np.ndarray | None:
    """Coordinates whose distances are those of the unit-length rows of ``terms``.

    Args:
        terms: ``(k, vocabulary)`` term weights, one row per group (dense or scipy sparse).

    Returns:
        ``(k, r)`` ``float64`` rows with the pairwise distances (and lengths) of the rows
        of ``terms`` scaled to unit length, from the eigenvectors of their Gram matrix;
        ``r`` is its rank (directions with an eigenvalue under :data:`RANK_TOLERANCE` of
        the largest are dropped). ``None`` when a row has no term (it has no direction to
        be placed by).
    """
    gram = terms @ terms.T
    gram = np.asarray(gram.toarray() if hasattr(gram, "toarray") else gram, dtype=np.float64)
    norms = np.sqrt(np.clip(np.diag(gram), 0.0, None))
    if len(norms) == 0 or float(norms.min()) <= 0.0:
        return None
    cos = gram / np.outer(norms, norms)
    values, vectors = np.linalg.eigh((cos + cos.T) / 2)
    keep = values > RANK_TOLERANCE * float(values.max())
    return vectors[:, keep] * np.sqrt(values[keep])[None, :]


def build_hierarchy(
    space: np.ndarray, topics: np.ndarray, n_texts: int | None = None, terms: Any = None
) -> Hierarchy:
    """Group the topics of ``topics`` into top-level themes (see the module docstring).

    Args:
        space: one vector per text, rows normalised (the space the topics were found in).
        topics: each text's topic (-1 for an outlier kept as such).
        n_texts: modelled texts (default: ``len(topics)``).
        terms: each topic's c-TF-IDF row, in ascending topic id (outliers' row excluded),
            dense or scipy sparse; ``None`` joins the topics by their centroids in
            ``space``, as when a topic has no term or the rows span fewer than
            ``2 * MIN_THEMES`` directions.

    Returns:
        A :class:`Hierarchy`: two levels for :data:`HIERARCHY_MIN_TEXTS` texts or more
        with at least ``2 * MIN_THEMES`` topics, otherwise each topic its own theme.

    Raises:
        ValueError: ``terms`` has not one row per topic.
    """
    topics = np.asarray(topics)
    keys = sorted(int(t) for t in set(topics.tolist()) if t >= 0)
    n = len(topics) if n_texts is None else n_texts
    if n < HIERARCHY_MIN_TEXTS or len(keys) < 2 * MIN_THEMES:
        why = (
            f"one level: {n} texts (themes and subthemes from {HIERARCHY_MIN_TEXTS})"
            if n < HIERARCHY_MIN_TEXTS
            else f"one level: {len(keys)} topics (subthemes from {2 * MIN_THEMES})"
        )
        return Hierarchy({t: t for t in keys}, 1, why)
    if terms is not None and terms.shape[0] != len(keys):
        raise ValueError(f"terms has {terms.shape[0]} rows for {len(keys)} topics")
    sizes = np.array([(topics == t).sum() for t in keys], dtype=float)
    coords = None if terms is None else term_coordinates(terms)
    if coords is not None and coords.shape[1] < 2 * MIN_THEMES:
        coords = None  # words in too few directions to tell the subthemes apart
    if coords is not None:
        partitions, heights = ward_tree(coords, np.ones(len(keys)))
        joined_by = "terms"
        joined = "Ward agglomeration of the subthemes' c-TF-IDF vectors (each subtheme alike)"
    else:
        partitions, heights = ward_tree(_centroids(space, topics, keys), sizes)
        joined_by = "centroids"
        joined = "size-weighted Ward agglomeration of the subthemes' centroids"
    g, capped, cap = _cut(heights, partitions, sizes)
    groups = np.array(partitions[len(keys) - g])
    # number themes by size (largest first), ties by their smallest topic id
    order = sorted(
        range(g), key=lambda j: (-sizes[groups == j].sum(), min(np.array(keys)[groups == j]))
    )
    renum = {j: i for i, j in enumerate(order)}
    theme_of = {t: renum[int(groups[i])] for i, t in enumerate(keys)}
    lo, hi = _theme_range(len(keys))
    largest = max(float(sizes[groups == j].sum()) for j in range(g)) / float(sizes.sum())
    balance = (
        f"no theme over {cap:.0%} of the texts"
        if capped
        else f"no cut keeps every theme under {cap:.0%} of the texts: the one with the "
        "smallest largest theme"
    )
    rule = (
        f"{g} themes over {len(keys)} subthemes: {joined}, cut at its most separated level "
        f"among {lo}-{hi} themes with {balance} (largest {largest:.0%})"
    )
    return Hierarchy(theme_of, 2, rule, [round(h, 9) for h in heights], joined_by)
