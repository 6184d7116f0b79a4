"""The store: a fitted model saved with a run, loaded again, and new texts placed in it.

Owns the saved model's layout (:data:`MODEL_SUBDIR`, :data:`META_FILE`: BERTopic's
safetensors beside covidlearning's metadata), what the metadata records
(:func:`model_meta`), writing it (:func:`save_model`), reading it
(:func:`read_model_meta`, :func:`load_model`) and placing new texts without refitting
(:func:`assign`, :data:`ASSIGN_COLUMNS`; :func:`placement` and :func:`place` split it for
partitions placed apart). It imports the I/O helpers, the config, the
errors, :mod:`covidlearning.themes.texts` and :mod:`covidlearning.themes.represent`, and,
inside functions, BERTopic and :mod:`covidlearning.nlp.embed`; not the other discovery
steps.

Public API: :func:`model_meta`, :func:`save_model`, :func:`read_model_meta`,
:func:`load_model`, :func:`assign`, :func:`placement`, :func:`place`, :class:`Placement`.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from covidlearning._io import ordinary_permissions, write_json
from covidlearning.config import DiscoverConfig
from covidlearning.errors import InputError
from covidlearning.themes.represent import normalise, theme_means
from covidlearning.themes.texts import usable_rows

logger = logging.getLogger(__name__)

#: Columns of an assignments table (discover's and assign's).
ASSIGN_COLUMNS = ["id", "topic", "theme", "label", "probability", "status"]
#: The model's folder inside a discover run's output folder.
MODEL_SUBDIR = "model"
#: covidlearning's metadata beside BERTopic's files in the model folder.
META_FILE = "covidlearning.json"


def model_meta(
    *,
    labels: dict[int, str],
    embeddings: np.ndarray,
    topics: np.ndarray,
    config: DiscoverConfig,
    model_id: str,
    refined: bool,
    theme_of: dict[int, int] | None = None,
    theme_labels: dict[int, str] | None = None,
) -> dict[str, Any]:
    """What a saved model records beside BERTopic's files.

    Args:
        labels: each theme's label.
        embeddings: the modelled texts' (base) embeddings.
        topics: each modelled text's theme.
        config: the run's settings (embedding model, seed).
        model_id: the embedding model's id (name and content hash).
        refined: whether the themes were found in a fine-tuned space (not saved).
        theme_of: each topic's top-level theme (default: itself).
        theme_labels: each top-level theme's label (default: its topic's).

    Returns:
        The labels, each topic's theme and the themes' labels, the embedding model, the
        new-theme threshold (the 5th percentile of the texts' cosine to their own
        theme's mean), the seed, the number of texts and ``refined``.
    """
    theme_of = theme_of if theme_of is not None else {t: t for t in labels if t >= 0}
    theme_labels = theme_labels if theme_labels is not None else {t: labels[t] for t in theme_of}
    means = theme_means(embeddings, topics)
    own = np.array([embeddings[i] @ means[t] for i, t in enumerate(topics.tolist()) if t >= 0])
    return {
        "labels": {str(t): labels[t] for t in sorted(labels)},
        "themes": {str(t): int(theme_of[t]) for t in sorted(theme_of)},
        "theme_labels": {str(h): theme_labels[h] for h in sorted(theme_labels)},
        "model_id": model_id,
        "embedding_model": config.embedding_model,
        "new_theme_threshold": round(float(np.quantile(own, 0.05)), 6) if len(own) else 0.0,
        "seed": config.seed,
        "n_modelled": len(topics),
        # themes were found in a fine-tuned space that is not saved; assign() places
        # new texts by the saved model's (base) embeddings
        "refined": refined,
    }


def save_model(run_dir: Path, model: Any, model_id: str, meta: dict[str, Any]) -> None:
    """Write ``model`` and its metadata into ``run_dir/model/`` (replacing what is there).

    BERTopic saves as safetensors with its c-TF-IDF and the embedding model's id (no
    pickles); ``meta`` goes to :data:`META_FILE` beside it. With no model (no themes
    found) any earlier ``model/`` folder is removed.

    Args:
        run_dir: the run's output folder (in practice its temporary copy).
        model: the fitted BERTopic model, or None.
        model_id: recorded by BERTopic as the embedding model to load with it.
        meta: from :func:`model_meta`.
    """
    model_dir = run_dir / MODEL_SUBDIR
    if model_dir.exists():
        shutil.rmtree(model_dir)
    if model is None:
        return
    model.save(
        str(model_dir),
        serialization="safetensors",
        save_ctfidf=True,
        save_embedding_model=model_id,
    )
    write_json(model_dir / META_FILE, meta)
    ordinary_permissions(model_dir)


def read_model_meta(model_dir: str | Path) -> tuple[Path, dict[str, Any]]:
    """Find a saved model's folder and read its covidlearning metadata (no heavy imports).

    Args:
        model_dir: the ``model/`` folder of a discover run, or the run folder.

    Returns:
        The folder holding the model and its metadata (labels, threshold, model id, refined).

    Raises:
        InputError: no saved model there.
    """
    model_dir = Path(model_dir)
    if (model_dir / MODEL_SUBDIR / META_FILE).exists():
        model_dir = model_dir / MODEL_SUBDIR
    meta_path = model_dir / META_FILE
    if not meta_path.exists():
        raise InputError(
            f"no saved discovery model in {model_dir}",
            "Pass --model the output folder of `covidlearning discover` (it holds model/)",
        )
    return model_dir, json.loads(meta_path.read_text(encoding="utf-8"))


def load_model(model_dir: str | Path) -> tuple[Any, dict[str, Any]]:
    """Load a saved model (the ``model/`` folder of a discover run, or the run folder).

    Returns:
        the BERTopic model and its covidlearning metadata (labels, threshold, model id).

    Raises:
        InputError: no saved model there.
    """
    model_dir, meta = read_model_meta(model_dir)
    from bertopic import BERTopic

    from covidlearning.nlp.embed import load_model as load_st

    model = BERTopic.load(str(model_dir), embedding_model=load_st(meta["embedding_model"]))
    return model, meta


@dataclass(frozen=True)
class Placement:
    """What placing a text needs from a saved model: each theme's direction and label.

    ``themes`` maps each topic to its top-level theme (empty for a model saved before
    themes had levels: each topic is then its own theme).

    Small (a few kB) and free of BERTopic, so it travels to cluster workers
    (:mod:`covidlearning.engine`) that place partitions of a large table.
    """

    topic_ids: list[int]
    centroids: np.ndarray
    labels: dict[int, str]
    threshold: float
    embedding_model: str
    themes: dict[int, int] = field(default_factory=dict)


def placement(model_dir: str | Path, threshold: float | None = None) -> Placement:
    """Read a saved model's themes for :func:`place` (``threshold`` overrides the model's)."""
    model, meta = load_model(model_dir)
    topic_ids = sorted(int(t) for t in model.topic_labels_ if int(t) >= 0)
    emb_table = np.asarray(model.topic_embeddings_, dtype=np.float32)
    offset = 1 if -1 in model.topic_labels_ else 0
    return Placement(
        topic_ids=topic_ids,
        centroids=normalise(emb_table[[t + offset for t in topic_ids]]),
        labels={int(k): v for k, v in meta["labels"].items()},
        threshold=meta.get("new_theme_threshold", 0.0) if threshold is None else threshold,
        embedding_model=meta["embedding_model"],
        themes={int(k): int(v) for k, v in meta.get("themes", {}).items()},
    )


def assign(
    frame: pd.DataFrame,
    model_dir: str | Path,
    config: DiscoverConfig | None = None,
    *,
    progress: bool = True,
    threshold: float | None = None,
) -> pd.DataFrame:
    """Place new texts into a saved model's themes without refitting.

    Each usable text goes to the theme whose topic embedding is most similar
    (cosine); ``probability`` is that similarity. Texts less similar than the
    model's threshold (the 5th percentile of the training texts' similarity to
    their own theme) keep the nearest theme but get status ``candidate new theme``.
    Placement is always in the base embedding space: when the themes were found by
    refinement (``refined`` in the model's metadata), the tuned model is not saved, so
    a new text can land in a theme other than the one a refit would give it.

    Args:
        frame: from :func:`covidlearning.corpus.load.load_table`.
        model_dir: a discover output folder or its ``model/`` folder.
        config: embedding cache and batch settings (default :class:`DiscoverConfig`).
        progress: show a progress bar while embedding.
        threshold: override the similarity threshold.

    Returns:
        ``id, topic, theme, label, probability, status``, one row per input row (``theme``:
        the topic's top-level theme; models saved before themes had levels: the topic).
    """
    return place(frame, placement(model_dir, threshold), config, progress=progress)


def place(
    frame: pd.DataFrame,
    where: Placement,
    config: DiscoverConfig | None = None,
    *,
    progress: bool = True,
) -> pd.DataFrame:
    """:func:`assign`'s work once the model is read: one row per row of ``frame``.

    A row's result depends on its own text alone, so a table placed in partitions gives
    the same rows as placed whole.
    """
    config = config or DiscoverConfig()
    ok = usable_rows(frame)
    from covidlearning.nlp.embed import embed_with

    docs = frame.loc[ok, "text"].astype(str).tolist()
    topic_ids, cents, labels, thr = where.topic_ids, where.centroids, where.labels, where.threshold
    theme_of = where.themes
    result: dict[str, tuple[int, int, str, float, str]] = {}
    if docs:
        emb = embed_with(docs, config, model=where.embedding_model, progress=progress)
        # einsum sums each row's products in one fixed order (a BLAS product's last bits
        # depend on how many rows it is given), so a partition's rows match the whole's
        sims = np.einsum("nd,kd->nk", emb, cents)
        best = sims.argmax(axis=1)
        for rid, b, s in zip(frame.loc[ok, "id"].astype(str), best, sims.max(axis=1), strict=True):
            t = topic_ids[int(b)]
            st = "ok" if s >= thr else "candidate new theme"
            result[rid] = (t, theme_of.get(t, t), labels.get(t, str(t)), round(float(s), 4), st)
    rows = []
    for rid, st in zip(frame["id"].astype(str), frame["status"].astype(str), strict=True):
        rows.append((rid, *result[rid]) if rid in result else (rid, pd.NA, pd.NA, "", np.nan, st))
    out = pd.DataFrame(rows, columns=ASSIGN_COLUMNS)
    out["topic"] = out["topic"].astype("Int64")
    out["theme"] = out["theme"].astype("Int64")
    logger.info(
        "placed %d texts in %d themes (%d below the new-theme threshold %.3f); %d rows excluded",
        len(docs),
        len(topic_ids),
        sum(r[4] == "candidate new theme" for r in result.values()),
        thr,
        int((~ok).sum()),
    )
    return out
