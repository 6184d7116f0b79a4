"""Embedding (covidlearning.nlp.embed): the bundled model, the cache and clear errors."""

import numpy as np
import pytest

from covidlearning.errors import InputError
from covidlearning.nlp.embed import embed_texts, model_id, model_path


class FakeEncoder:
    """Deterministic tiny encoder that records what it was asked to embed."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def __call__(self, texts):
        self.calls.append(list(texts))
        out = np.zeros((len(texts), 8), dtype=np.float32)
        for i, t in enumerate(texts):
            for j, ch in enumerate(t.encode()):
                out[i, (ch + j) % 8] += 1.0
            out[i, 7] += 0.5
        return out


def test_vectors_are_normalised_float32(tmp_path):
    enc = FakeEncoder()
    vec = embed_texts(["hello there", "good staff"], model="fake", cache_dir=tmp_path, encoder=enc)
    assert vec.dtype == np.float32
    assert vec.shape == (2, 8)
    assert np.allclose(np.linalg.norm(vec, axis=1), 1.0)


def test_cache_embeds_only_new_texts_and_returns_identical_vectors(tmp_path):
    enc = FakeEncoder()
    first = embed_texts(["a text", "b text"], model="fake", cache_dir=tmp_path, encoder=enc)
    again = embed_texts(
        ["b text", "new text", "a text"], model="fake", cache_dir=tmp_path, encoder=enc
    )
    assert enc.calls == [["a text", "b text"], ["new text"]]
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])
    third = embed_texts(["new text", "a text"], model="fake", cache_dir=tmp_path, encoder=enc)
    assert len(enc.calls) == 2  # everything cached now
    assert np.array_equal(third[0], again[1])


def test_duplicates_embedded_once(tmp_path):
    enc = FakeEncoder()
    vec = embed_texts(["same", "same", "other"], model="fake", cache_dir=tmp_path, encoder=enc)
    assert enc.calls == [["same", "other"]]
    assert np.array_equal(vec[0], vec[1])


def test_cache_is_keyed_by_model(tmp_path):
    enc = FakeEncoder()
    embed_texts(["x y"], model="fake-a", cache_dir=tmp_path, encoder=enc)
    embed_texts(["x y"], model="fake-b", cache_dir=tmp_path, encoder=enc)
    assert len(enc.calls) == 2


def test_cache_files_are_npy_not_pickle(tmp_path):
    embed_texts(["one", "two"], model="fake", cache_dir=tmp_path, encoder=FakeEncoder())
    files = sorted(p.suffix for p in tmp_path.rglob("*") if p.is_file())
    assert files == [".keys", ".npy"]
    npy = next(tmp_path.rglob("*.npy"))
    assert np.load(npy, allow_pickle=False).shape == (2, 8)


def test_half_written_shard_is_ignored(tmp_path):
    enc = FakeEncoder()
    embed_texts(["one"], model="fake", cache_dir=tmp_path, encoder=enc)
    next(tmp_path.rglob("*.npy")).write_bytes(b"garbage")
    vec = embed_texts(["one"], model="fake", cache_dir=tmp_path, encoder=enc)
    assert len(enc.calls) == 2 and np.isclose(np.linalg.norm(vec), 1.0)


def test_no_cache(tmp_path):
    enc = FakeEncoder()
    embed_texts(["one"], model="fake", cache_dir=tmp_path, encoder=enc, use_cache=False)
    assert not any(tmp_path.iterdir())


def test_unknown_model_is_input_error():
    with pytest.raises(InputError):
        model_path("some-hub/model-that-needs-download")


def test_bundled_model_resolves_offline():
    assert model_id("all-MiniLM-L6-v2") == "sentence-transformers/all-MiniLM-L6-v2"
    path = model_path("all-MiniLM-L6-v2")
    assert path and "minilm" in path.lower()
