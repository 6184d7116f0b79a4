"""The cluster step: a partition of the texts that survives last-bit changes in the vectors.

Owns the parameters chosen from the number of texts (:class:`Params`,
:func:`choose_params`), the noise-stable soft k-means (:func:`seeded_init`,
:func:`soft_kmeans`, :func:`stable_kmeans`), the consensus of many soft partitions cut by
dendrogram lifetime (:func:`consensus_cluster`, :func:`choose_k_by_lifetime`), the first
pass over a corpus (:func:`first_pass`: consensus on a sample, a neighbour vote for the
rest) and the outlier rule (:func:`drop_small`). It imports numpy, pandas, scipy,
scikit-learn and, of covidlearning, only its progress reporting (:mod:`covidlearning.progress`).

Two machines (other CPUs, BLAS kernels or thread counts) compute a text's embedding
with differences of about 3e-7 per coordinate. A step that *branches* on the vectors
turns such differences into different themes when a branch is close to its boundary,
and a chaotic step (UMAP's stochastic layout, where one changed sample reorders every
later random draw) turns them into different themes everywhere. This module keeps
every branch far from its boundary:

- **Initialisation by comparison, not by cumulative sums.** k-means++ draws each new
  centre by looking a random number up in the running sum of squared distances; noise
  in any earlier term moves every later boundary, so some draw flips in most runs.
  :func:`seeded_init` draws the same D²-weighted centres by an exponential race
  (each text gets a fixed random key per draw; the text with the largest
  ``distance² / key`` wins, which picks a text with probability proportional to its
  distance², as k-means++ does), so a draw changes only when two texts' scores tie to
  the noise.
- **Soft, smooth iterations.** :func:`soft_kmeans` runs a fixed number of soft k-means
  (EM for equal isotropic clusters) iterations at a temperature set from the data. Each
  step is a smooth function of the vectors, so noise stays noise-sized; hard Lloyd
  steps instead flip boundary texts, each flip moves a centre by 1/size and can cascade
  into another local optimum.
- The co-association of many such soft partitions (the mean of ``P Pᵀ``) is therefore
  a smooth function of the vectors too, and so are the dendrogram heights cut from it
  (:func:`consensus_cluster`).

Public API: :class:`Params`, :func:`choose_params`, :func:`seeded_init`,
:func:`soft_kmeans`, :func:`stable_kmeans`, :class:`Clustering`,
:func:`consensus_cluster`, :func:`choose_k_by_lifetime`, :func:`first_pass`,
:func:`sample_indices`, :func:`knn_vote`, :func:`vote_block`, :func:`drop_small`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

#: Consensus clustering runs on at most this many texts; the rest are placed by kNN.
SAMPLE_CAP = 2000
#: A cut coarser than sqrt(n) themes needs this many times the best preferred lifetime,
#: and a lifetime of at least :data:`COARSE_MIN_LIFETIME` on the dendrogram's 0-1 height
#: scale (clearly separated groups: a tenth of the scale between the merges that make the
#: groups and the merge that joins them).
#: By the ratio alone, the soft consensus cut Trust B's 3,198 comments into 14 themes
#: (lifetime 0.011, 8.6 times the best preferred; AMI with the human subcategories 0.166
#: against 0.188 with 32), while three separated blobs reach 0.30.
COARSE_DOMINANCE = 2.0
COARSE_MIN_LIFETIME = 0.1

#: Temperature of the soft memberships, as a share of the mean squared distance of a
#: text to its nearest two centres at the start. 0.05 kept every development set's
#: themes under 1e-6 noise; 0.1 blurred small corpora into one group.
SOFT_TEMPERATURE = 0.05
#: Soft k-means iterations (a fixed count: a convergence test would be a branch).
SOFT_ITERATIONS = 30


@dataclass(frozen=True)
class Params:
    """Modelling parameters chosen from the number of texts.

    The sizes each range of n gets are tabled in :mod:`covidlearning.themes.discover`.
    """

    n: int
    sample_size: int
    consensus_runs: int
    k_grid: tuple[int, ...]
    k_max: int
    k_lo: int
    min_topic_size: int
    lexical_dims: int
    knn: int = 10


def choose_params(n: int, consensus_runs: int | None = None) -> Params:
    """Choose clustering parameters for ``n`` texts.

    Args:
        n: number of texts to model (at least
            :data:`covidlearning.themes.texts.MIN_TEXTS_FOR_THEMES`).
        consensus_runs: override the number of seeded starts in the consensus.
    """
    m = min(n, SAMPLE_CAP)
    root = math.sqrt(m)
    runs = consensus_runs or (10 if m <= 300 else 6 if m <= 1000 else 4)
    lo = max(2, int(root / 2))
    hi = max(lo + 1, min(m - 1, int(root * 1.5)))
    grid = tuple(sorted({int(round(x)) for x in np.linspace(lo, hi, min(hi - lo + 1, 8))}))
    k_max = int(max(2, min(m - 1, int(root * 2), 80)))
    return Params(
        n=n,
        sample_size=m,
        consensus_runs=runs,
        k_grid=grid,
        k_max=k_max,
        k_lo=int(max(2, round(root))),
        min_topic_size=int(max(2, math.ceil(n / 200))),
        lexical_dims=int(max(2, min(100, m // 3))),
    )


def _rng(*seed: int) -> np.random.Generator:
    return np.random.default_rng([int(s) % (2**32) for s in seed])


def _sq_distances(x: np.ndarray, centres: np.ndarray, xx: np.ndarray | None = None) -> np.ndarray:
    xx = (x**2).sum(axis=1)[:, None] if xx is None else xx
    return np.maximum(xx + (centres**2).sum(axis=1)[None, :] - 2.0 * x @ centres.T, 0.0)


def _centres(p: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Membership-weighted means of the rows: one centre per column of ``p``."""
    return (p.T @ x) / np.maximum(p.sum(axis=0), 1e-12)[:, None]


def seeded_init(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Pick ``k`` starting centres among the rows of ``x``, as greedy k-means++ does.

    Each step draws ``2 + log(k)`` candidates, each D²-weighted by an exponential race
    (the row with the largest ``distance² / key`` for its own fixed random keys), and
    keeps the candidate that lowers the sum of squared distances most (scikit-learn's
    greedy k-means++ rule). Every choice is a comparison, so it changes only when two
    scores tie to the noise.

    Args:
        x: the rows, ``(n, dim)``.
        k: how many centres (at most ``n``).
        rng: the random source (same seed, same keys).

    Returns:
        ``(k, dim)`` float64 array of chosen rows.
    """
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    trials = 2 + int(np.log(k))
    keys = rng.exponential(size=(k, trials, n))
    chosen = [int(np.argmin(keys[0, 0]))]  # uniform first pick, independent of the values
    d2 = ((x - x[chosen[0]]) ** 2).sum(axis=1)
    for j in range(1, k):
        cands = np.unique(np.argmax(d2[None, :] / keys[j], axis=1))
        near = np.minimum(d2[None, :], _sq_distances(x[cands], x))
        best = int(np.argmin(near.sum(axis=1)))
        chosen.append(int(cands[best]))
        d2 = near[best]
    return x[chosen].copy()


def soft_kmeans(
    x: np.ndarray,
    k: int,
    seed: int | tuple[int, ...],
    temperature: float = SOFT_TEMPERATURE,
    iterations: int = SOFT_ITERATIONS,
) -> np.ndarray:
    """Soft k-means memberships, a smooth function of ``x`` for a given seed.

    Args:
        x: the rows, ``(n, dim)``.
        k: number of clusters (at most ``n``).
        seed: seeds :func:`seeded_init` (an int or a tuple of ints).
        temperature: see :data:`SOFT_TEMPERATURE`.
        iterations: see :data:`SOFT_ITERATIONS`.

    Returns:
        ``(n, k)`` float64 memberships; each row sums to 1.
    """
    x = np.asarray(x, dtype=np.float64)
    seeds = seed if isinstance(seed, tuple) else (seed,)
    centres = seeded_init(x, k, _rng(*seeds))
    xx = (x**2).sum(axis=1)[:, None]
    scale = None
    p = np.full((len(x), k), 1.0 / k)
    for _ in range(iterations):
        d2 = _sq_distances(x, centres, xx)
        if scale is None:
            near = np.sort(d2, axis=1)[:, : min(2, k)].mean(axis=1)
            scale = max(float(temperature * near.mean()), 1e-12)
        z = -(d2 - d2.min(axis=1, keepdims=True)) / scale
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        centres = _centres(p, x)
    return p


def stable_kmeans(x: np.ndarray, k: int, seed: int, n_init: int = 10) -> np.ndarray:
    """Hard labels from the best of ``n_init`` soft k-means runs.

    The run with the smallest expected squared distance to its centres is kept (two
    runs' objectives differ by far more than last-bit noise), and each text takes its
    most probable cluster; labels are renumbered by first appearance.

    Args:
        x: the rows, ``(n, dim)``.
        k: number of clusters.
        seed: base seed; run ``r`` uses ``(seed, r)``.
        n_init: how many starts.

    Returns:
        ``(n,)`` int labels ``0..j-1``, numbered by first appearance; ``j`` is ``k`` unless
        two centres merged and one is the most probable cluster of no text.
    """
    x = np.asarray(x, dtype=np.float64)
    best, best_cost = None, np.inf
    for r in range(n_init):
        p = soft_kmeans(x, k, (seed, r))
        cost = float((p * _sq_distances(x, _centres(p, x))).sum())
        if cost < best_cost:
            best, best_cost = p, cost
    labels = np.asarray(best).argmax(axis=1)
    _, first = np.unique(labels, return_index=True)
    order = {int(labels[i]): j for j, i in enumerate(sorted(first))}
    return np.array([order[int(v)] for v in labels], dtype=int)


@dataclass
class Clustering:
    """Labels of the sampled texts from one consensus run.

    Attributes:
        labels: a cluster 0..k-1 per text.
        membership: each text's mean co-association with the rest of its cluster.
        k: the number of clusters cut.
        silhouette: of that cut (-1 when it has one cluster, or one per text).
        rule: how ``k`` was chosen, in words (for the run's log).
    """

    labels: np.ndarray
    membership: np.ndarray
    k: int
    silhouette: float
    rule: str = ""


def consensus_cluster(
    rep: np.ndarray,
    params: Params,
    seed: int,
    n_topics: int | None = None,
    progress: bool = False,
) -> Clustering:
    """Cluster rows of ``rep`` by consensus of soft k-means runs (see the module docstring).

    Args:
        rep: row-normalised representation of the sampled texts.
        params: from :func:`choose_params`.
        seed: base seed; run ``r`` at ``k`` clusters starts from seed ``(seed, r, k)``.
        n_topics: cut at this many clusters instead of choosing by dendrogram lifetime.
        progress: show a progress bar over the runs.

    Returns:
        labels 0..k-1, each text's membership (mean co-association with its cluster),
        the k used, the silhouette of that cut and how k was chosen.
    """
    from scipy.cluster.hierarchy import cut_tree, linkage
    from scipy.spatial.distance import squareform
    from sklearn.metrics import silhouette_score

    from covidlearning.progress import each

    m = len(rep)
    co = np.zeros((m, m), dtype=np.float64)
    count = 0
    grid = [k for k in params.k_grid if k < m] or [min(2, m - 1)]
    x = np.asarray(rep, dtype=np.float64)
    runs = range(params.consensus_runs)
    for r in each(runs, "consensus", len(runs), "run", enabled=progress):
        for k in grid:
            p = soft_kmeans(x, k, (seed, r, k))
            co += p @ p.T
            count += 1
    co /= count
    dist = 1.0 - co
    np.fill_diagonal(dist, 0.0)
    dist = np.clip(dist, 0.0, 1.0)
    tree = linkage(squareform(dist, checks=False), method="average")
    k, rule = _choose_k(tree[:, 2], params, m, n_topics)
    lab = cut_tree(tree, n_clusters=k).ravel()
    if 2 <= len(set(lab.tolist())) < m:
        sil = float(silhouette_score(dist, lab, metric="precomputed"))
    else:
        sil = -1.0
    membership = np.zeros(m, dtype=np.float32)
    for c in np.unique(lab):
        idx = np.flatnonzero(lab == c)
        if len(idx) > 1:
            block = co[np.ix_(idx, idx)]
            membership[idx] = (block.sum(axis=1) - np.diag(block)) / (len(idx) - 1)
        else:
            membership[idx] = 1.0
    return Clustering(
        labels=lab.astype(int), membership=membership, k=int(k), silhouette=sil, rule=rule
    )


def _choose_k(heights: np.ndarray, params: Params, m: int, n_topics: int | None) -> tuple[int, str]:
    """The number of clusters to cut ``m`` texts' dendrogram at, and the rule that chose it."""
    if n_topics is not None:
        return max(1, min(n_topics, m)), f"cut at the requested {n_topics} (--topics)"
    k_hi = max(2, min(params.k_max, m - 1))
    k = choose_k_by_lifetime(
        heights, params.k_lo, k_hi, dominance=COARSE_DOMINANCE, min_coarse=COARSE_MIN_LIFETIME
    )
    lo = max(2, min(params.k_lo, k_hi))  # as choose_k_by_lifetime clamps it
    if k < lo:
        return k, (
            f"longest dendrogram lifetime: a cut coarser than the preferred {lo}-{k_hi}, "
            f"lasting at least {COARSE_DOMINANCE:g} times their best and at least "
            f"{COARSE_MIN_LIFETIME:g}"
        )
    return k, f"longest dendrogram lifetime among the preferred {lo}-{k_hi}"


def choose_k_by_lifetime(
    heights: np.ndarray,
    k_lo: int,
    k_hi: int,
    dominance: float = 1.15,
    min_coarse: float = 0.0,
) -> int:
    """Pick the number of clusters whose dendrogram "lifetime" is longest (Fred & Jain 2005).

    The lifetime of the k-cluster cut is the gap between the merge heights that
    create k and k - 1 clusters. Cuts below ``k_lo`` win only when their lifetime is
    ``dominance`` times the best in ``[k_lo, k_hi]`` and at least ``min_coarse``
    (clearly separated groups), because a coarse two-or-three-way split of one domain
    is rarely the themes a reader would name.

    Args:
        heights: merge heights from ``scipy.cluster.hierarchy.linkage`` (ascending).
        k_lo: smallest preferred k.
        k_hi: largest k considered.
        dominance: how much longer a coarse cut's lifetime must be.
        min_coarse: the least lifetime a coarse cut needs (heights of a co-association
            dendrogram lie in [0, 1]).
    """
    m = len(heights) + 1
    k_hi = max(2, min(k_hi, m - 1))
    life = {k: float(heights[m - k] - heights[m - k - 1]) for k in range(2, k_hi + 1)}
    if not life:
        return min(2, m)
    k_lo = max(2, min(k_lo, k_hi))
    best_pref = max(range(k_lo, k_hi + 1), key=lambda k: (life[k], -k))
    need = max(dominance * life[best_pref], min_coarse)
    coarse = [k for k in range(2, k_lo) if life[k] >= need]
    if coarse:
        return max(coarse, key=lambda k: (life[k], -k))
    return best_pref


def sample_indices(n: int, size: int, seed: int) -> np.ndarray:
    """``size`` of ``n`` row indices drawn without replacement, sorted (all when n <= size)."""
    if size >= n:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=size, replace=False))


#: Rows voted at a time: the unit of the vote's work, in one process or on a cluster.
VOTE_CHUNK = 4096

#: Maps a function over blocks of rows with shared arguments: ``run(func, blocks, **shared)``
#: -> ``[func(block, **shared) for block in blocks]``, in order (e.g. on a Dask cluster).
BlockMap = Callable[..., list[Any]]


def _map_here(func: Callable[..., Any], blocks: list[np.ndarray], **shared: Any) -> list[Any]:
    return [func(block, **shared) for block in blocks]


def vote_block(
    rows: np.ndarray, ref: np.ndarray, sample_labels: np.ndarray, k: int, n_lab: int
) -> tuple[np.ndarray, np.ndarray]:
    """The k-nearest-neighbour vote of one block of rows among the sampled rows ``ref``.

    Returns each row's label (-1: outlier) and the share of its neighbours that voted
    for it. A row's vote depends on the block's rows only through the product's shape,
    so blocks of the same :data:`VOTE_CHUNK` rows vote alike wherever they run.
    """
    sims = rows @ ref.T
    nn = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    votes = sample_labels[nn] + 1  # -1 -> 0
    counts = np.zeros((len(votes), n_lab), dtype=np.int32)
    for j in range(k):
        np.add.at(counts, (np.arange(len(votes)), votes[:, j]), 1)
    return counts.argmax(axis=1) - 1, (counts.max(axis=1) / k).astype(np.float32)


def knn_vote(
    rep: np.ndarray,
    sample_idx: np.ndarray,
    sample_labels: np.ndarray,
    k: int,
    chunk: int = VOTE_CHUNK,
    map_blocks: BlockMap | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Label every row by a k-nearest-neighbour vote among the sampled rows.

    The rows are voted in blocks of ``chunk`` (:func:`vote_block`), by ``map_blocks``
    (default: one after the other here; a cluster's spreads them over its workers and
    gives the same labels).
    """
    n = len(rep)
    ref = rep[sample_idx]
    k = min(k, len(sample_idx))
    n_lab = int(sample_labels.max()) + 2
    blocks = [rep[start : start + chunk] for start in range(0, n, chunk)]
    voted = (map_blocks or _map_here)(
        vote_block, blocks, ref=ref, sample_labels=sample_labels, k=k, n_lab=n_lab
    )
    labels = np.concatenate([v[0] for v in voted]).astype(int) if voted else np.empty(0, int)
    share = np.concatenate([v[1] for v in voted]) if voted else np.empty(0, np.float32)
    labels[sample_idx] = sample_labels
    return labels, share


class FirstPass(NamedTuple):
    """What :func:`first_pass` found: the sample's clustering, then one theme per text."""

    clustering: Clustering
    labels: np.ndarray
    share: np.ndarray


def first_pass(
    rep: np.ndarray,
    sample: np.ndarray,
    params: Params,
    seed: int,
    n_topics: int | None,
    progress: bool = False,
    map_blocks: BlockMap | None = None,
) -> FirstPass:
    """Consensus clustering of the sample; the other texts placed by a neighbour vote.

    Args:
        rep: row-normalised representation of every text.
        sample: indices of the texts to cluster (:func:`sample_indices`).
        params: from :func:`choose_params`.
        seed: seeds :func:`consensus_cluster`.
        n_topics: cut at this many clusters (None: by dendrogram lifetime).
        progress: show a progress bar over the consensus runs.
        map_blocks: how the vote's blocks are run (:func:`knn_vote`; default here).

    Returns:
        The sample's :class:`Clustering`, a theme per text and each text's share
        (membership in the sample, vote share elsewhere).
    """
    clus = consensus_cluster(rep[sample], params, seed, n_topics, progress=progress)
    if len(sample) < len(rep):
        raw, share = knn_vote(rep, sample, clus.labels, params.knn, map_blocks=map_blocks)
        share[sample] = clus.membership
    else:
        raw, share = clus.labels.copy(), clus.membership.copy()
    return FirstPass(clus, raw, share)


def drop_small(raw: np.ndarray, floor: int) -> np.ndarray:
    """Themes with fewer than ``floor`` texts become outliers (-1)."""
    sizes = pd.Series(raw).value_counts()
    small = set(sizes[sizes < floor].index.tolist())
    return np.array([-1 if t in small else t for t in raw.tolist()], dtype=int)
