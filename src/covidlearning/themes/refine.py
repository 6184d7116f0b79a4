"""The refine step: tune the embedding model to the first themes, then cluster again.

Owns the self-training refinement (:func:`refine_clusters`, :class:`Refinement`), when it
is wanted and what blocks it (:func:`refine_wanted`, :func:`refine_blocked`, the
``REFINE_*`` sizes), and how a stability re-run repeats it with another seed
(:func:`rerun_labels`). It imports the cluster step (:mod:`covidlearning.themes.consensus`),
the config and, inside functions, scikit-learn and :mod:`covidlearning.nlp.finetune`;
nothing of the other discovery steps.

Public API: :class:`Refinement`, :func:`refine_clusters`, :func:`refine_wanted`,
:func:`refine_blocked`, :func:`rerun_labels`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from covidlearning.config import DiscoverConfig
from covidlearning.themes import consensus
from covidlearning.themes.consensus import Params

logger = logging.getLogger(__name__)

#: Self-training refinement (``refine="auto"``) runs for this many usable texts: below,
#: themes are few and small (documents' units, where the row-order context matters more);
#: above, embedding every text again with the tuned model takes too long (about 70 texts/s).
REFINE_MIN_TEXTS = 1000
REFINE_MAX_TEXTS = 20000
#: The refinement's fine-tuning reads each text once, and at most this many texts (a
#: seeded sample beyond). On Trust B's 3,198 comments, tuning on 2,000 of them (the share
#: 5,000 is of 8,000) gave AMI 0.186 with the subcategories against 0.189 on all: the
#: budget buys speed at 10,000 texts (issue #17's 3x of BERTopic) at no measurable cost.
REFINE_MAX_EXAMPLES = 5000
#: The refinement leaves this many of MiniLM's 6 transformer layers untuned.
REFINE_FROZEN_LAYERS = 3


@dataclass
class Refinement:
    """What :func:`refine_clusters` found: themes in the tuned space and how it got there.

    Attributes:
        labels: a theme per text, 0..k-1, from k-means in the tuned space.
        share: per text, the share of its nearest neighbours there in its theme.
        embeddings: every text embedded again with the tuned model.
        k: the number of themes tuned to (and asked of k-means).
        info: JSON-ready summary for the run's metrics.
    """

    labels: np.ndarray
    share: np.ndarray
    embeddings: np.ndarray
    k: int
    info: dict[str, Any] = field(default_factory=dict)


def refine_wanted(config: DiscoverConfig, n: int) -> bool:
    """Whether refinement is wanted for ``n`` texts (``auto``: 1,000-20,000)."""
    if config.refine == "auto":
        return REFINE_MIN_TEXTS <= n <= REFINE_MAX_TEXTS
    return bool(config.refine)


def refine_blocked(config: DiscoverConfig, documents: bool, topics: np.ndarray) -> str | None:
    """Why a wanted refinement does not run (None: it runs).

    Args:
        config: ``refine`` is ``"auto"`` or forced on.
        documents: whether the texts are a document's units (a ``doc_id`` column).
        topics: the first pass's themes (-1: outlier).
    """
    if len(set(topics.tolist()) - {-1}) < 2:
        return "fewer than 2 themes to tell apart"
    if documents and config.refine == "auto":
        return (
            "the texts are a document's units (the row-order context serves them; "
            "--refine forces it)"
        )
    return None


def refine_clusters(
    docs: Sequence[str],
    labels: np.ndarray,
    *,
    model: str = "all-MiniLM-L6-v2",
    seed: int = 42,
    progress: bool = True,
    embeddings: np.ndarray | None = None,
    cache_dir: str | Path | None = None,
) -> Refinement:
    """Self-training: tune the embedding model to a first clustering, then cluster again.

    The encoder is fine-tuned to tell the first clustering's themes apart
    (:func:`covidlearning.nlp.finetune.tune_encoder`: one pass, at most
    :data:`REFINE_MAX_EXAMPLES` texts), every text is embedded again with it, and
    k-means with the same number of themes partitions the tuned space. Tuning pulls
    each theme's texts together along the directions that separate themes and away
    from the ones that do not (on patient comments: how warmly a thing is praised), so
    the second clustering follows topics more than tone. On 3,198 Trust B patient
    comments it raised AMI with the human subcategories from 0.192 (k-means on MiniLM
    given the true k) to 0.21-0.22 (benchmarks/README.md).

    Args:
        docs: the texts.
        labels: the first clustering, one theme per text (-1: none, left out of tuning).
        model: embedding model to tune.
        seed: seeds the tuning and k-means.
        progress: show progress bars.
        embeddings: the texts' embeddings by the untuned model, which start the tuning
            head (default: computed again).
        cache_dir: the embedding cache folder: the tuned embeddings are kept there under
            a key of everything they depend on (:func:`memo_key`), so a run on the same
            texts with the same first themes and seed reads them instead of tuning again.
            None: no cache.

    Returns:
        A :class:`Refinement`; ``share`` is, per text, the share of its nearest
        neighbours in the tuned space (10, or all texts when fewer) that are in its
        theme. :func:`covidlearning.themes.discover.discover` reports it as the text's
        ``probability``.
    """
    from sklearn.neighbors import NearestNeighbors

    from covidlearning.nlp.finetune import encode, tune_encoder

    labels = np.asarray(labels, dtype=int)
    keys = sorted(set(labels.tolist()) - {-1})
    if len(keys) < 2:
        raise ValueError("refinement needs at least 2 themes to tell apart")
    idx = np.flatnonzero(labels >= 0)
    targets = np.zeros((len(idx), len(keys)))
    col = {t: j for j, t in enumerate(keys)}
    targets[np.arange(len(idx)), [col[t] for t in labels[idx].tolist()]] = 1.0
    initial = None if embeddings is None else np.asarray(embeddings, dtype=np.float32)[idx]
    memo = None if cache_dir is None else _memo_path(cache_dir, docs, labels, initial, model, seed)
    emb = _read_memo(memo, len(docs))
    if emb is None:
        st = tune_encoder(
            [docs[i] for i in idx],
            targets,
            model=model,
            seed=seed,
            epochs=1,
            max_examples=REFINE_MAX_EXAMPLES,
            balance=False,
            progress=progress,
            length_buckets=True,
            initial=initial,
            freeze_layers=REFINE_FROZEN_LAYERS,
        )
        emb = encode(st, docs, progress=progress)
        seen = int(st.covidlearning_seen)
        _write_memo(memo, emb)
    else:
        seen = min(len(idx), REFINE_MAX_EXAMPLES)
        logger.info("refinement: tuned embeddings read from the cache (%s)", memo)
    k = len(keys)
    new = _kmeans(emb, k, seed)
    nn = NearestNeighbors(n_neighbors=min(11, len(docs))).fit(emb)
    _, ind = nn.kneighbors(emb)
    share = (new[ind[:, 1:]] == new[:, None]).mean(axis=1)
    info = {
        "method": "fine-tune on the first clustering, then k-means in the tuned space",
        "k": k,
        "texts_tuned_on": int(seen),
        "changed_share": round(float(_moved_share(labels, new)), 6),
    }
    logger.info(
        "refined: tuned on %d texts to %d themes, k-means in the tuned space; "
        "%.1f%% of themed texts changed theme",
        info["texts_tuned_on"],
        k,
        100 * info["changed_share"],
    )
    return Refinement(labels=new, share=share, embeddings=emb, k=k, info=info)


#: Version of what the memo holds: bump when the tuning or its batching changes.
MEMO_FORMAT = "refined-embeddings/1"


def memo_key(
    docs: Sequence[str],
    labels: np.ndarray,
    initial: np.ndarray | None,
    model: str,
    seed: int,
) -> str:
    """sha256 of everything the tuned embeddings depend on.

    The texts in order, the first themes, the untuned embeddings that start the head
    (their bytes: a last-bit change gives another key), the model, the seed, the
    tuning's settings
    (:mod:`covidlearning.nlp.finetune`'s constants and :data:`REFINE_MAX_EXAMPLES`) and the
    versions of torch, transformers and sentence-transformers that computed them.
    """
    import hashlib
    import json
    from importlib.metadata import version

    from covidlearning.nlp import finetune
    from covidlearning.nlp.embed import model_id

    settings = {
        "format": MEMO_FORMAT,
        "model": model_id(model),
        "seed": seed,
        "max_examples": REFINE_MAX_EXAMPLES,
        "frozen_layers": REFINE_FROZEN_LAYERS,
        "tuning": [finetune.SCALE, finetune.ENCODER_LR, finetune.HEAD_LR, finetune.THREADS],
        "tokens": [finetune.MAX_TOKENS, finetune.BUCKET_BATCHES],
        "versions": [version(p) for p in ("torch", "transformers", "sentence-transformers")],
    }
    h = hashlib.sha256(json.dumps(settings, sort_keys=True).encode("utf-8"))
    h.update(np.asarray(labels, dtype=np.int64).tobytes())
    h.update(b"-" if initial is None else np.ascontiguousarray(initial, np.float32).tobytes())
    for d in docs:
        h.update(hashlib.sha256(str(d).encode("utf-8")).digest())
    return h.hexdigest()


def _memo_path(
    cache_dir: str | Path,
    docs: Sequence[str],
    labels: np.ndarray,
    initial: np.ndarray | None,
    model: str,
    seed: int,
) -> Path:
    key = memo_key(docs, labels, initial, model, seed)
    return Path(cache_dir) / "refined" / f"{key}.npy"


def _read_memo(path: Path | None, n: int) -> np.ndarray | None:
    """The memo's embeddings, or None when there is none (or it is unreadable)."""
    if path is None or not path.is_file():
        return None
    try:
        emb = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return emb if emb.ndim == 2 and len(emb) == n else None


def _write_memo(path: Path | None, emb: np.ndarray) -> None:
    import io

    from covidlearning._io import atomic_write_bytes

    if path is None:
        return
    buf = io.BytesIO()
    np.save(buf, np.asarray(emb, dtype=np.float32), allow_pickle=False)
    try:
        atomic_write_bytes(path, buf.getvalue())
    except OSError as exc:  # a read-only cache costs time, not the run
        logger.warning("refinement: tuned embeddings not cached (%s)", exc)


def _moved_share(before: np.ndarray, after: np.ndarray) -> float:
    """Share of themed texts (``before`` >= 0) that left their first theme (majority map)."""
    keep = np.asarray(before) >= 0
    before, after = np.asarray(before)[keep], np.asarray(after)[keep]
    if not len(before):
        return 0.0
    best = pd.crosstab(before, after).idxmax(axis=1)
    return float(np.mean(after != best.loc[before].to_numpy()))


def _kmeans(embeddings: np.ndarray, k: int, seed: int) -> np.ndarray:
    return consensus.stable_kmeans(embeddings, k, seed, n_init=10)


def rerun_labels(
    refined: Refinement,
    rep: np.ndarray,
    sample: np.ndarray,
    params: Params,
    seed: int,
    n_topics: int | None,
) -> np.ndarray:
    """A stability re-run of a refined clustering with another ``seed``, on the sample.

    The first pass again with ``seed`` decides k (unless the user fixed it with
    ``n_topics``); k-means at that k then partitions the tuned space of the sample's
    texts. The tuning itself is not repeated (minutes each), and the re-run reads only
    the first pass's seeded sample (at most
    :data:`covidlearning.themes.consensus.SAMPLE_CAP` texts), so its cost does not grow
    with the number of texts.

    Args:
        refined: the run's refinement.
        rep: the first pass's representation of every text.
        sample: the texts the first pass clustered (indices).
        params: the first pass's parameters.
        seed: the re-run's seed.
        n_topics: the number of themes the user asked for (None: auto).

    Returns:
        A theme per text of ``sample``, in its order.
    """
    k = refined.k if n_topics is not None else _rerun_k(rep, sample, params, seed)
    return _kmeans(refined.embeddings[sample], min(k, len(sample) - 1), seed)


def _rerun_k(rep: np.ndarray, sample: np.ndarray, params: Params, seed: int) -> int:
    """Themes of at least ``min_topic_size`` texts that the first pass finds with ``seed``."""
    raw = consensus.first_pass(rep, sample, params, seed, None).labels
    return max(2, len(set(consensus.drop_small(raw, params.min_topic_size).tolist()) - {-1}))
