"""The refinement's memo: tuned embeddings kept in the cache, keyed by all they depend on."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import covidlearning.nlp.finetune as finetune
from covidlearning.themes.refine import memo_key, refine_clusters


@pytest.fixture
def fake_tuning(monkeypatch):
    """Tuning and encoding without a model: count the tunings, embed by a fixed map."""
    calls = []

    def tune(texts, targets, **kw):
        calls.append(kw.get("initial"))
        return SimpleNamespace(covidlearning_seen=len(texts))

    def encode(st, docs, progress=True):
        rng = np.random.default_rng(len(calls))  # another tuning would give other vectors
        v = rng.normal(size=(len(docs), 8)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    monkeypatch.setattr(finetune, "tune_encoder", tune)
    monkeypatch.setattr(finetune, "encode", encode)
    return calls


def _inputs(n: int = 60):
    docs = [f"comment {i} about {'parking' if i % 2 else 'food'}" for i in range(n)]
    labels = np.array([i % 2 for i in range(n)])
    emb = np.random.default_rng(0).normal(size=(n, 8)).astype(np.float32)
    return docs, labels, emb


def test_a_second_run_reads_the_tuned_embeddings(tmp_path, fake_tuning):
    docs, labels, emb = _inputs()
    first = refine_clusters(docs, labels, embeddings=emb, cache_dir=tmp_path, progress=False)
    again = refine_clusters(docs, labels, embeddings=emb, cache_dir=tmp_path, progress=False)
    assert len(fake_tuning) == 1  # the second run did not tune
    assert np.array_equal(first.embeddings, again.embeddings)
    assert np.array_equal(first.labels, again.labels)
    assert first.info == again.info
    assert len(list((tmp_path / "refined").glob("*.npy"))) == 1


def test_other_inputs_tune_again(tmp_path, fake_tuning):
    docs, labels, emb = _inputs()
    refine_clusters(docs, labels, embeddings=emb, cache_dir=tmp_path, progress=False)
    refine_clusters(docs, 1 - labels, embeddings=emb, cache_dir=tmp_path, progress=False)
    noisy = emb + np.float32(1e-6)
    refine_clusters(docs, labels, embeddings=noisy, cache_dir=tmp_path, progress=False)
    refine_clusters(docs, labels, embeddings=emb, cache_dir=tmp_path, seed=7, progress=False)
    refine_clusters(docs, labels, embeddings=emb, progress=False)  # no cache: always tunes
    assert len(fake_tuning) == 5


def test_memo_key_depends_on_text_order_and_model():
    docs, labels, emb = _inputs(10)
    key = memo_key(docs, labels, emb, "all-MiniLM-L6-v2", 42)
    assert key == memo_key(list(docs), labels.copy(), emb.copy(), "all-MiniLM-L6-v2", 42)
    assert key != memo_key(docs[::-1], labels[::-1], emb[::-1], "all-MiniLM-L6-v2", 42)
    assert key != memo_key(docs, labels, None, "all-MiniLM-L6-v2", 42)


def test_an_unreadable_memo_is_computed_again(tmp_path, fake_tuning):
    docs, labels, emb = _inputs()
    refine_clusters(docs, labels, embeddings=emb, cache_dir=tmp_path, progress=False)
    (memo,) = (tmp_path / "refined").glob("*.npy")
    memo.write_bytes(b"not an array")
    refine_clusters(docs, labels, embeddings=emb, cache_dir=tmp_path, progress=False)
    assert len(fake_tuning) == 2
    assert np.load(memo).shape == (len(docs), 8)
