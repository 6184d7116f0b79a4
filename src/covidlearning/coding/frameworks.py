"""Set discovered themes beside an evaluator's framework (:func:`compare_to_framework`).

Each discovered theme is matched to the framework theme it is most similar to (MiniLM
cosine similarity between the theme's texts and the framework theme's descriptions and
examples), so a report can say which of the framework's themes the data bears out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from covidlearning.coding.codebook import Codebook
from covidlearning.coding.fewshot import _anchors
from covidlearning.coding.result import _embed
from covidlearning.config import CodeConfig
from covidlearning.errors import InputError

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- frameworks
def compare_to_framework(
    topics: pd.DataFrame,
    topic_texts: dict[Any, Sequence[str]] | pd.DataFrame | np.ndarray | None,
    codebook: Codebook,
    config: CodeConfig | None = None,
) -> pd.DataFrame:
    """Set discovered topics beside a framework's themes.

    Args:
        topics: one row per topic with ``topic`` and ``label`` (``keywords`` used
            when there are no texts); a ``count``/``n`` column is carried through.
        topic_texts: per topic, its texts: a dict ``topic -> texts``, a frame with
            ``topic`` and ``text`` columns, or an array of topic embeddings (rows in
            ``topics`` order). None: topics are described by label and keywords.
        codebook: the framework.
        config: ``min_similarity`` and the embedding model.

    Returns:
        One row per framework theme (``kind`` = ``theme``) then one per topic
        (``kind`` = ``topic``): ``id``, ``label``, ``best_match``,
        ``best_match_label``, ``similarity``, ``flag`` (``supported`` / ``not
        supported`` for themes; ``in framework`` / ``new theme`` for topics),
        ``n_topics`` (for themes: topics closest to it at or above the cut), and one
        ``sim:<theme id>`` column per theme (cosine similarities of mean embeddings).
    """
    config = config or CodeConfig()
    if "topic" not in topics:
        raise InputError("the topics table has no 'topic' column", "Pass discover's topics.csv")
    topics = topics.reset_index(drop=True)
    label_col = "label" if "label" in topics else "topic"
    topic_vec = _topic_vectors(topics, topic_texts, label_col, config)
    sim = topic_vec @ _theme_vectors(codebook, config).T  # topics x themes
    cut = config.min_similarity
    themes = _theme_rows(topics, label_col, codebook, sim, cut)
    out = pd.DataFrame(themes + _topic_rows(topics, label_col, codebook, sim, cut))
    out["n_topics"] = out["n_topics"].astype("Int64")
    ids = codebook.ids
    for j, tid in enumerate(ids):
        col = np.full(len(out), np.nan)
        col[len(ids) :] = np.round(sim[:, j], 4)
        out[f"sim:{tid}"] = col
    for extra in ("count", "n", "size"):
        if extra in topics:
            out["n_texts"] = [np.nan] * len(ids) + topics[extra].tolist()
            break
    return out


def _topic_vectors(
    topics: pd.DataFrame,
    topic_texts: dict[Any, Sequence[str]] | pd.DataFrame | np.ndarray | None,
    label_col: str,
    config: CodeConfig,
) -> np.ndarray:
    """One unit vector per topic: given, or the mean embedding of its texts.

    A topic without texts is described by its label and keywords.

    Raises:
        InputError: an array of embeddings whose rows are not one per topic.
    """
    if isinstance(topic_texts, np.ndarray):
        tvec = np.asarray(topic_texts, dtype=np.float32)
        if len(tvec) != len(topics):
            raise InputError(
                f"{len(tvec)} topic embeddings for {len(topics)} topics", "Give one per topic"
            )
    else:
        groups: dict[Any, list[str]] = {}
        if isinstance(topic_texts, pd.DataFrame):
            for t, g in topic_texts.groupby("topic", sort=False):
                groups[t] = g["text"].astype(str).tolist()
        elif isinstance(topic_texts, dict):
            groups = {t: [str(x) for x in v] for t, v in topic_texts.items()}
        tids = topics["topic"].tolist()
        per = [
            groups.get(t) or [_describe(r, label_col)]
            for t, (_, r) in zip(tids, topics.iterrows(), strict=True)
        ]
        logger.info(
            "framework comparison: %d of %d topics described by their texts, the rest by "
            "label and keywords",
            sum(bool(groups.get(t)) for t in tids), len(tids),
        )  # fmt: skip
        tvec = _mean_embeddings(per, config)
    return tvec / np.maximum(np.linalg.norm(tvec, axis=1, keepdims=True), 1e-12)


def _describe(row: pd.Series, label_col: str) -> str:
    """A topic's label and keywords as one text, for a topic without texts."""
    kw = row.get("keywords", "")
    kw = ", ".join(kw) if isinstance(kw, list | tuple) else str(kw or "")
    return f"{row[label_col]}. {kw}".strip()


def _mean_embeddings(groups: list[list[str]], config: CodeConfig) -> np.ndarray:
    """The mean embedding of each group of texts (all embedded in one pass), one row each."""
    vecs = _embed([x for texts in groups for x in texts], config)
    out, pos = [], 0
    for texts in groups:
        out.append(vecs[pos : pos + len(texts)].mean(0))
        pos += len(texts)
    return np.stack(out)


def _theme_vectors(codebook: Codebook, config: CodeConfig) -> np.ndarray:
    """One unit vector per framework theme: the mean embedding of its anchors."""
    theme_vec = _mean_embeddings([_anchors(t) for t in codebook.themes], config)
    theme_vec /= np.maximum(np.linalg.norm(theme_vec, axis=1, keepdims=True), 1e-12)
    return theme_vec


def _theme_rows(
    topics: pd.DataFrame, label_col: str, codebook: Codebook, sim: np.ndarray, cut: float
) -> list[dict[str, Any]]:
    """One row per framework theme: its best-matching topic, and whether it is supported.

    A theme is supported when at least one topic is closest to it (of all themes) at or
    above the cut; its best match is then the closest of those topics, else the closest
    topic of all.
    """
    tids = topics["topic"].tolist()
    nearest = sim.argmax(axis=1) if len(tids) else np.zeros(0, dtype=int)
    rows = []
    for j, theme in enumerate(codebook.themes):
        backers = [i for i in range(len(tids)) if nearest[i] == j and sim[i, j] >= cut]
        if backers:
            i = max(backers, key=lambda r: sim[r, j])
        else:
            i = int(np.argmax(sim[:, j])) if len(tids) else -1
        s = float(sim[i, j]) if i >= 0 else float("nan")
        rows.append(
            {"kind": "theme", "id": theme.id, "label": theme.name,
             "best_match": str(tids[i]) if i >= 0 else "",
             "best_match_label": str(topics[label_col].iat[i]) if i >= 0 else "",
             "similarity": round(s, 4), "n_topics": len(backers),
             "flag": "supported" if backers else "not supported"}
        )  # fmt: skip
    logger.info(
        "framework %s: %d of %d themes supported at similarity %g",
        codebook.name, sum(r["flag"] == "supported" for r in rows), len(rows), cut,
    )  # fmt: skip
    return rows


def _topic_rows(
    topics: pd.DataFrame, label_col: str, codebook: Codebook, sim: np.ndarray, cut: float
) -> list[dict[str, Any]]:
    """One row per topic: its closest framework theme, and whether it reaches the cut."""
    rows = []
    for i, t in enumerate(topics["topic"].tolist()):
        j = int(np.argmax(sim[i]))
        s = float(sim[i, j])
        rows.append(
            {"kind": "topic", "id": str(t), "label": str(topics[label_col].iat[i]),
             "best_match": codebook.ids[j], "best_match_label": codebook.themes[j].name,
             "similarity": round(s, 4), "flag": "in framework" if s >= cut else "new theme"}
        )  # fmt: skip
    return rows
