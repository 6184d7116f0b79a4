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
    assert all(removed == {"replaced": {}, "removed": []} for _, removed in parts)
    joined = pd.concat([table for table, _ in parts], ignore_index=True)
    pd.testing.assert_frame_equal(whole, joined)
    assert joined["id"].tolist() == [str(i) for i in range(30)]
    assert joined.loc[7, "status"] == "empty" and pd.isna(joined.loc[7, "topic"])
    assert set(joined["status"]) <= {"ok", "candidate new theme", "empty"}
    assert joined["topic"].notna().sum() == 29


def test_partitions_redacted_apart_log_what_one_redactor_logs_for_the_whole(
    tmp_path: Path,
) -> None:
    from collections import Counter

    from covidlearning.privacy.redact import Redactor, redact_input

    texts = [f"comment {i}: ask for Dr Sarah Okafor or mail s{i}@nhs.net" for i in range(12)]
    texts += [f"the ward was calm on day {i}" for i in range(12)]
    raw = pd.DataFrame({"answer": texts})
    one = Redactor()
    whole = redact_input(clean_table(raw, "in.csv", "answer"), one)
    config = _cached(tmp_path, whole["text"].tolist())
    where = Placement([0, 1], np.eye(2, 6, dtype=np.float32), {0: "A", 1: "B"}, 0.1, "fake-model")
    shared = Redactor()  # one object for every partition, as a worker may hold it
    parts = [
        place_part(raw.iloc[s : s + 5], s, "in.csv", "answer", None, where, config, shared)
        for s in range(0, len(raw), 5)
    ]
    assert shared.log == []  # each partition redacted with a copy: nothing accumulates
    replaced: Counter[str] = Counter()
    for _, removed in parts:
        replaced.update(removed["replaced"])
    assert dict(replaced) == dict(Counter(r.kind for r in one.log))
    assert sum(replaced.values()) >= 24  # a name and an address in each of 12 texts
    assert sorted({s for _, removed in parts for s in removed["removed"]}) == one.originals()
    placed = pd.concat([table for table, _ in parts], ignore_index=True)
    pd.testing.assert_frame_equal(placed, place(whole, where, config, progress=False))


def test_the_neighbour_vote_spread_over_a_cluster_equals_the_vote_in_one_process(
    client, monkeypatch
) -> None:
    import covidlearning.engine.work as work
    from covidlearning.engine.work import spread
    from covidlearning.themes.consensus import VOTE_CHUNK, knn_vote, sample_indices

    rng = np.random.default_rng(4)
    centres = rng.normal(size=(5, 24))
    rep = centres[rng.integers(0, 5, 10_000)] + rng.normal(scale=0.8, size=(10_000, 24))
    rep = (rep / np.linalg.norm(rep, axis=1, keepdims=True)).astype(np.float32)
    sample = sample_indices(len(rep), 600, seed=1)
    labels = rng.integers(-1, 5, len(sample))
    here = knn_vote(rep, sample, labels, 10)
    there = knn_vote(rep, sample, labels, 10, map_blocks=spread(client))
    assert len(rep) > 2 * VOTE_CHUNK  # three blocks, run as tasks
    np.testing.assert_array_equal(here[0], there[0])
    np.testing.assert_array_equal(here[1], there[1])
    assert here[1].dtype == there[1].dtype == np.float32
    assert set(np.unique(there[0])) >= {0, 1, 2, 3, 4}  # a real vote, not one label
    np.testing.assert_array_equal(there[0][sample], labels)  # the sample keeps its labels
    monkeypatch.setattr(work, "VOTE_BLOCKS_PER_WORKER", 1)  # blocks sent in several waves
    waves = knn_vote(rep, sample, labels, 10, map_blocks=spread(client))
    np.testing.assert_array_equal(here[0], waves[0])
    np.testing.assert_array_equal(here[1], waves[1])
