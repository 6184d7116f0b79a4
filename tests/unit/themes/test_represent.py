"""The representation: the same numbers whether rows are handled at once or in blocks."""

from __future__ import annotations

import numpy as np

from covidlearning.themes import represent
from covidlearning.themes.hierarchy import _centroids


def _whole(x: np.ndarray) -> np.ndarray:  # the definition, on the whole array at once
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms == 0, 1, norms)).astype(np.float32)


def test_normalise_in_blocks_equals_the_whole_array(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1003, 17)).astype(np.float32)
    x[5] = 0  # a zero row stays zero
    monkeypatch.setattr(represent, "BLOCK_ROWS", 100)
    for arr in (x, x.astype(np.float64)):
        got = represent.normalise(arr)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, _whole(arr))
    assert not represent.normalise(x)[5].any()


def test_representation_in_blocks_equals_one_block(monkeypatch):
    rng = np.random.default_rng(1)
    words = ["wait", "car", "park", "staff", "kind", "food", "cold", "bed", "ward", "pain"]
    docs = [" ".join(rng.choice(words, 6)) for _ in range(700)]
    emb = rng.normal(size=(700, 12)).astype(np.float32)
    tok = str.split
    whole = represent.build_representation(docs, emb, tok, 5, seed=3)
    monkeypatch.setattr(represent, "BLOCK_ROWS", 64)
    blocks = represent.build_representation(docs, emb, tok, 5, seed=3)
    assert whole.shape == (700, 17) and whole.dtype == np.float32
    np.testing.assert_array_equal(blocks, whole)
    np.testing.assert_allclose(np.linalg.norm(whole, axis=1), 1, rtol=1e-5)


def test_hierarchy_centroids_equal_the_whole_array_computation(monkeypatch):
    rng = np.random.default_rng(2)
    space = rng.normal(size=(900, 8)).astype(np.float32)
    topics = rng.integers(-1, 6, 900)
    keys = sorted(int(t) for t in set(topics.tolist()) if t >= 0)
    x = _whole(space.astype(np.float64)).astype(np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    expected = np.stack([x[topics == t].mean(axis=0) for t in keys])
    monkeypatch.setattr(represent, "BLOCK_ROWS", 128)
    np.testing.assert_array_equal(_centroids(space, topics, keys), expected)
