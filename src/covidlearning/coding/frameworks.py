"""Set discovered themes beside an evaluator's framework (:func:`compare_to_framework`).

Each discovered theme is matched to the framework theme it is most similar to (MiniLM
cosine similarity between the theme's texts and the framework theme's descriptions and
examples), so a report can say which of the framework's themes the data bears out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from covidlearning.coding.codebook import Codebook
from covidlearning.config import CodeConfig
from covidlearning.errors import InputError

if TYPE_CHECKING:
    pass
from covidlearning.coding.fewshot import _anchors
from covidlearning.coding.result import _embed


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
    tids = topics["topic"].tolist()

    def describe(row: pd.Series) -> str:
        kw = row.get("keywords", "")
        kw = ", ".join(kw) if isinstance(kw, list | tuple) else str(kw or "")
        return f"{row[label_col]}. {kw}".strip()

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
        per = [
            groups.get(t) or [describe(r)]
            for t, (_, r) in zip(tids, topics.iterrows(), strict=True)
        ]
        flat = [x for texts in per for x in texts]
        vecs = _embed(flat, config)
        tvec, pos = [], 0
        for texts in per:
            tvec.append(vecs[pos : pos + len(texts)].mean(0))
            pos += len(texts)
        tvec = np.stack(tvec)
    tvec = tvec / np.maximum(np.linalg.norm(tvec, axis=1, keepdims=True), 1e-12)
    anchor_lists = [_anchors(t) for t in codebook.themes]
    avecs = _embed([a for al in anchor_lists for a in al], config)
    theme_vec, pos = [], 0
    for al in anchor_lists:
        theme_vec.append(avecs[pos : pos + len(al)].mean(0))
        pos += len(al)
    theme_vec = np.stack(theme_vec)
    theme_vec /= np.maximum(np.linalg.norm(theme_vec, axis=1, keepdims=True), 1e-12)
    sim = tvec @ theme_vec.T  # topics x themes
    cut = config.min_similarity
    ids = codebook.ids
    rows = []
    # A theme is supported when at least one topic is closest to it (of all themes) at
    # or above the cut; a topic is new when no theme reaches the cut.
    nearest = sim.argmax(axis=1) if len(tids) else np.zeros(0, dtype=int)
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
    for i, t in enumerate(tids):
        j = int(np.argmax(sim[i]))
        s = float(sim[i, j])
        rows.append(
            {"kind": "topic", "id": str(t), "label": str(topics[label_col].iat[i]),
             "best_match": ids[j], "best_match_label": codebook.themes[j].name,
             "similarity": round(s, 4), "flag": "in framework" if s >= cut else "new theme"}
        )  # fmt: skip
    out = pd.DataFrame(rows)
    out["n_topics"] = out["n_topics"].astype("Int64")
    for j, tid in enumerate(ids):
        col = np.full(len(out), np.nan)
        col[len(ids) :] = np.round(sim[:, j], 4)
        out[f"sim:{tid}"] = col
    for extra in ("count", "n", "size"):
        if extra in topics:
            out["n_texts"] = [np.nan] * len(ids) + topics[extra].tolist()
            break
    return out
