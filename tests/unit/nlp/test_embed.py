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


class _FakeST:
    """Tokenizer + forward with the shape behaviour the batching relies on (no model)."""

    max_seq_length = 256

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls = 0
        self.shapes: list[tuple[int, int]] = []
        self.fail_after = fail_after

    def get_sentence_embedding_dimension(self) -> int:
        return 4

    def tokenizer(self, texts, truncation=True, max_length=256, padding=None, return_tensors=None):  # noqa: ANN001, ANN201
        import torch

        ids = [[1, *[len(w) for w in t.split()], 2][:max_length] for t in texts]
        if return_tensors is None:
            return {"input_ids": ids}
        assert padding == "max_length"
        rows = [r + [0] * (max_length - len(r)) for r in ids]
        mask = [[1] * len(r) + [0] * (max_length - len(r)) for r in ids]
        return {"input_ids": torch.tensor(rows), "attention_mask": torch.tensor(mask)}

    def forward(self, features):  # noqa: ANN001, ANN201
        import torch

        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise KeyboardInterrupt
        x = features["input_ids"].float()
        self.shapes.append(tuple(x.shape))
        emb = torch.stack([x.sum(1), (x > 3).float().sum(1), x[:, 1], torch.ones(len(x))], 1)
        return {"sentence_embedding": emb}


def test_batches_have_one_shape_per_length_bucket():
    from covidlearning.nlp.embed import batch_rows, bucket, encode_batches

    st = _FakeST()
    texts = [" ".join(["word"] * (i % 40 + 1)) for i in range(150)]
    vecs = encode_batches(st, texts, progress=False)
    assert vecs.shape == (150, 4)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1)
    for rows, padded in st.shapes:
        assert rows == batch_rows(padded) and padded == bucket(padded)


def test_an_interrupted_run_keeps_what_it_embedded(tmp_path, monkeypatch):
    from covidlearning.nlp import embed

    monkeypatch.setattr(embed, "FLUSH_EVERY", 10)
    texts = [f"text number {i} " + "x " * (i % 5) for i in range(200)]
    monkeypatch.setattr(embed, "load_model", lambda model: _FakeST(fail_after=3))
    with pytest.raises(KeyboardInterrupt):
        embed.embed_texts(texts, cache_dir=tmp_path, progress=False)
    cache = embed.EmbeddingCache(tmp_path, embed.DEFAULT_MODEL, "cap64")
    kept = cache.lookup([embed._text_key(t) for t in texts])
    assert 0 < len(kept) < len(texts)  # three batches' worth, nothing half-written
    monkeypatch.setattr(embed, "load_model", lambda model: _FakeST())
    asked: list[int] = []
    real = embed.encode_batches
    monkeypatch.setattr(
        embed, "encode_batches", lambda st, t, **kw: asked.append(len(t)) or real(st, t, **kw)
    )
    again = embed.embed_texts(texts, cache_dir=tmp_path, progress=False)
    assert asked == [len(texts) - len(kept)]  # the kept ones are not embedded again
    fresh = embed.embed_texts(texts, cache_dir=tmp_path / "other", progress=False)
    assert again.tobytes() == fresh.tobytes()
