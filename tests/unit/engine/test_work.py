"""Placing partitions apart (covidlearning.engine.work) gives the rows placing them whole does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from covidlearning.config import DiscoverConfig
from covidlearning.corpus.load import clean_table
from covidlearning.engine.work import place_part
from covidlearning.nlp.embed import EmbeddingCache, _text_key
from covidlearning.themes.store import Placement, place


def _cached(tmp_path: Path, texts: list[str]) -> DiscoverConfig:
    """A cache holding a vector for every text, so nothing is embedded by a model."""
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(len(texts), 6)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    EmbeddingCache(tmp_path, "fake-model", "cap64").store([_text_key(t) for t in texts], vecs)
    return DiscoverConfig(cache_dir=tmp_path, embedding_model="fake-model")


def test_partitions_placed_apart_equal_the_table_placed_whole(tmp_path: Path) -> None:
    texts = [f"comment number {i} about the ward" for i in range(30)]
    raw = pd.DataFrame({"answer": texts})
    raw.loc[7, "answer"] = ""
    config = _cached(tmp_path, texts)
    cents = np.eye(3, 6, dtype=np.float32)
    where = Placement([0, 1, 2], cents, {0: "A", 1: "B", 2: "C"}, 0.1, "fake-model")
    whole = place(clean_table(raw, "in.csv", "answer"), where, config, progress=False)
    parts = [
        place_part(raw.iloc[s : s + 8], s, "in.csv", "answer", None, where, config)
        for s in range(0, len(raw), 8)
    ]
    joined = pd.concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(whole, joined)
    assert joined["id"].tolist() == [str(i) for i in range(30)]
    assert joined.loc[7, "status"] == "empty" and pd.isna(joined.loc[7, "topic"])
    assert set(joined["status"]) <= {"ok", "candidate new theme", "empty"}
    assert joined["topic"].notna().sum() == 29
