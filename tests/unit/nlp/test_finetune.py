"""Fine-tuning the embedding model (covidlearning.nlp.finetune) and the trained coder."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from covidlearning.coding import trained
from covidlearning.config import CodeConfig
from covidlearning.errors import InputError


def test_bad_targets_are_refused():
    from covidlearning.nlp.finetune import tune_encoder

    with pytest.raises(InputError, match="a code for every text"):
        tune_encoder(["a", "b"], np.array([[1, 0], [0, 0]]))
    with pytest.raises(InputError, match="at least one text"):
        tune_encoder([], np.zeros((0, 2)))


def test_finetune_option_is_auto_on_or_off():
    from pydantic import ValidationError

    assert CodeConfig().finetune == "auto"
    assert CodeConfig(finetune=True).finetune is True
    assert CodeConfig.model_validate({"finetune": False}).finetune is False
    with pytest.raises(ValidationError):
        CodeConfig(finetune="sometimes")
    assert trained._tune_in_trained_mode(CodeConfig(), trained.TUNE_MIN_TEXTS)
    assert not trained._tune_in_trained_mode(CodeConfig(), trained.TUNE_MIN_TEXTS - 1)
    assert trained._tune_in_trained_mode(CodeConfig(finetune=True), 10)
    assert not trained._tune_in_trained_mode(CodeConfig(finetune=False), 10_000)


def test_holdout_keeps_copies_of_a_text_on_one_side():
    texts = [f"comment {i % 40}" for i in range(100)] + ["Same  text", "same text"]
    ho, fit = trained._holdout_split(texts, 0.2, seed=3)
    assert sorted(np.r_[ho, fit].tolist()) == list(range(len(texts)))
    assert 18 <= len(ho) <= 24
    norm = [" ".join(t.lower().split()) for t in texts]
    assert not {norm[i] for i in ho} & {norm[i] for i in fit}
    again, _ = trained._holdout_split(texts, 0.2, seed=3)
    assert np.array_equal(again, ho)


def test_held_out_texts_never_reach_the_tuning(monkeypatch, hashed_coding_embeddings):
    """Trained mode tunes on the sample minus its held-out part (stubbed tuning)."""
    from covidlearning.nlp import finetune

    _hashed_embed = hashed_coding_embeddings

    seen = {}

    def fake_tune(texts, targets, **kw):
        seen["texts"] = list(texts)
        return SimpleNamespace(covidlearning_seen=3 * len(texts))

    monkeypatch.setattr(finetune, "tune_encoder", fake_tune)
    monkeypatch.setattr(finetune, "encode", lambda st, texts, progress=True: _hashed_embed(texts))
    rng = np.random.default_rng(0)
    words = {"a": "bus parking car road", "b": "food meal tea lunch"}
    rows = [(" ".join(rng.choice(words[c].split(), 5)) + f" n{i}", c)
            for i in range(300) for c in "ab"]  # fmt: skip
    train = pd.DataFrame(
        {"id": [f"s{i}" for i in range(len(rows))], "text": [r[0] for r in rows],
         "status": "ok", "duplicate": False, "code": [r[1] for r in rows]}
    )  # fmt: skip
    res = trained.train_and_code(train, "code", train.head(5), None, CodeConfig(finetune=True))
    held = set(res.comparison["id"])
    tuned_ids = set(train.loc[train["text"].isin(seen["texts"]), "id"])
    assert len(held) == 120 and len(tuned_ids) == 480 and not held & tuned_ids
    assert res.manifest["training"]["encoder"]["texts"] == 480
    assert res.manifest["training"]["encoder"]["epochs"] == 3


def test_saved_safetensors_bytes_depend_on_the_contents_only():
    import json
    import struct

    import torch
    from safetensors.torch import load, save

    from covidlearning.nlp.finetune import canonical_safetensors

    tensors = {f"layer{i}.weight": torch.full((2, 3), float(i)) for i in range(12)}
    blobs = {
        canonical_safetensors(save(tensors, metadata={"b": "2", "a": "1", "c": "3"}))
        for _ in range(5)
    }
    assert len(blobs) == 1
    blob = blobs.pop()
    (size,) = struct.unpack("<Q", blob[:8])
    keys = list(json.loads(blob[8 : 8 + size]))
    assert keys == sorted(keys)
    back = load(blob)
    assert all(torch.equal(back[k], v) for k, v in tensors.items())


def _padding(batches, lengths):
    """Padded positions a pass costs: each batch pads its texts to its longest."""
    return sum(int(lengths[b].max()) * len(b) - int(lengths[b].sum()) for b in batches)


def test_batch_order_without_lengths_is_a_shuffle_cut_into_batches():
    import torch

    from covidlearning.nlp.finetune import batch_order

    got = batch_order(100, 32, torch.Generator().manual_seed(3))
    perm = torch.randperm(100, generator=torch.Generator().manual_seed(3))
    assert [len(b) for b in got] == [32, 32, 32, 4]
    assert torch.equal(torch.cat(got), perm)


def test_length_buckets_read_every_text_once_and_pad_less():
    import torch

    from covidlearning.nlp.finetune import batch_order

    rng = np.random.default_rng(0)
    lengths = rng.integers(4, 120, size=1000)
    bucketed = batch_order(1000, 32, torch.Generator().manual_seed(1), lengths)
    plain = batch_order(1000, 32, torch.Generator().manual_seed(1))
    assert sorted(torch.cat(bucketed).tolist()) == list(range(1000))
    assert all(len(b) <= 32 for b in bucketed)
    assert _padding(bucketed, lengths) < 0.25 * _padding(plain, lengths)
    again = batch_order(1000, 32, torch.Generator().manual_seed(1), lengths)
    assert all(torch.equal(a, b) for a, b in zip(bucketed, again, strict=True))
    # batches mix the sample: a batch's texts are not the next ones in length order overall
    firsts = [int(b[0]) for b in bucketed[:16]]
    assert firsts != sorted(firsts)
