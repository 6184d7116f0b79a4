"""Fine-tuning MiniLM (covidlearning.nlp.finetune) and a trained coder that saves and
reloads the tuned encoder exactly (marked ``slow``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from covidlearning._io import sha256_file
from covidlearning.coding import result, trained
from covidlearning.config import CodeConfig
from covidlearning.errors import InputError

# Two codes that MiniLM, untuned, does not keep apart: both are about waiting.
WAIT_PHONE = [
    "Waited ages on the phone to get through to reception.",
    "Nobody answered the telephone for an hour.",
    "The phone line was engaged all morning.",
    "Could not get through on the phone to book.",
    "Rang the switchboard ten times before anyone picked up.",
    "Hold music for forty minutes on the phone.",
]


WAIT_ROOM = [
    "Waited ages in the waiting room to be seen.",
    "Sat in the clinic for an hour past my appointment.",
    "The waiting area was full and we were seen late.",
    "Two hours in A&E before a doctor saw me.",
    "Kept waiting in the corridor for the scan.",
    "The clinic ran an hour behind my appointment time.",
]


def _margin(emb: np.ndarray, y: np.ndarray) -> float:
    """Mean cosine within a code minus mean cosine across codes."""
    sim = emb @ emb.T
    same = y[:, None] == y[None, :]
    np.fill_diagonal(same, False)
    other = y[:, None] != y[None, :]
    return float(sim[same].mean() - sim[other].mean())


@pytest.mark.slow
def test_tuning_pulls_texts_of_a_code_together_and_saves_exactly(tmp_path):
    import torch
    from safetensors.torch import load_file, save_file

    from covidlearning.nlp.finetune import encode, load_encoder, save_encoder, tune_encoder

    texts = WAIT_PHONE + WAIT_ROOM
    y = np.array([0] * len(WAIT_PHONE) + [1] * len(WAIT_ROOM))
    base = result._embed(texts, CodeConfig())
    # a third, unused code column is dropped, not trained towards
    targets = np.column_stack([np.eye(2)[y], np.zeros(len(y))])
    state = torch.random.get_rng_state()
    st = tune_encoder(texts, targets, epochs=4, batch_size=4, progress=False)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global generator is untouched
    tuned = encode(st, texts, progress=False)
    assert tuned.shape == base.shape and np.allclose(np.linalg.norm(tuned, axis=1), 1, atol=1e-5)
    assert _margin(tuned, y) > _margin(base, y) + 0.05

    path = save_encoder(st, tmp_path / "encoder.safetensors")
    assert path.stat().st_size < 60e6  # transformer layers only, not the word embeddings
    again = encode(load_encoder(path), texts, progress=False)
    assert np.array_equal(again, tuned)
    # the same seed tunes the same weights
    twin = tune_encoder(texts, targets, epochs=4, batch_size=4, progress=False)
    assert np.array_equal(encode(twin, texts, progress=False), tuned)

    with pytest.raises(InputError, match="not a .* one from"):
        load_encoder(path, model=str(tmp_path))  # a folder that is not the base model
    tensors = load_file(path)
    name = next(iter(tensors))
    tensors[name] = torch.zeros(3)
    with open(path, "rb") as fh:  # keep the metadata, break one shape
        from safetensors import safe_open

        meta = safe_open(str(path), framework="pt").metadata()
        del fh
    save_file(tensors, tmp_path / "bad.safetensors", metadata=meta)
    with pytest.raises(InputError, match="does not fit"):
        load_encoder(tmp_path / "bad.safetensors")
    save_file(tensors, tmp_path / "moved.safetensors", metadata={**meta, "frozen_sha256": "0"})
    with pytest.raises(InputError, match="has changed since"):
        load_encoder(tmp_path / "moved.safetensors")
    (tmp_path / "broken.safetensors").write_bytes(b"nope")
    with pytest.raises(InputError, match="can't be read"):
        load_encoder(tmp_path / "broken.safetensors")


@pytest.mark.slow
def test_trained_mode_saves_the_tuned_encoder_and_recodes_identically(tmp_path):
    rng = np.random.default_rng(0)
    rows = [(t, "phone") for t in WAIT_PHONE] + [(t, "room") for t in WAIT_ROOM]
    rows = [rows[i] for i in rng.permutation(len(rows))]
    train = pd.DataFrame(
        {"id": [f"s{i}" for i in range(len(rows))], "text": [r[0] for r in rows],
         "status": "ok", "duplicate": False, "code": [r[1] for r in rows]}
    )  # fmt: skip
    new = pd.DataFrame(
        {"id": ["n0", "n1"], "text": ["No one picked up the phone.", "Long wait in clinic."],
         "status": "ok", "duplicate": False}
    )  # fmt: skip
    cfg = CodeConfig(finetune=True, holdout=0)
    res = trained.train_and_code(train, "code", new, None, cfg)
    assert res.manifest["timings_s"]["fine_tuning"] > 0
    enc = res.manifest["training"]["encoder"]
    assert enc["tuned"] and enc["texts"] == len(rows)
    res.save(tmp_path / "run")
    files = sorted(p.name for p in (tmp_path / "run" / "model").iterdir())
    assert files == ["coder.json", "coder.safetensors", "encoder.safetensors"]
    model = tmp_path / "run" / "model"
    again = trained.code_with_model(new, tmp_path / "run")
    assert again.manifest["encoder_sha256"] == sha256_file(model / "encoder.safetensors")
    pd.testing.assert_frame_equal(again.assignments, res.assignments)
    pd.testing.assert_frame_equal(again.scores, res.scores)
    assert res.assignments["themes"].tolist() == ["phone", "room"]

    # the coder checks that its encoder is the one it was trained with
    meta = json.loads((model / "coder.json").read_text())
    (model / "coder.json").write_text(json.dumps({**meta, "encoder": "/etc/passwd"}))
    with pytest.raises(InputError, match="names the encoder"):
        trained.code_with_model(new, model)
    (model / "coder.json").write_text(json.dumps({**meta, "encoder_sha256": "0" * 64}))
    trained.coder_folder(model)  # the fast check before the table is read: name and file
    with pytest.raises(InputError, match="checksum differs"):
        trained.code_with_model(new, model)
    (model / "coder.json").write_text(json.dumps(meta))
    (model / "encoder.safetensors").rename(tmp_path / "aside")
    with pytest.raises(InputError, match="tuned encoder is missing"):
        trained.coder_folder(tmp_path / "run")
    (tmp_path / "aside").rename(model / "encoder.safetensors")

    # a frozen run leaves no encoder behind in the same folder
    frozen = trained.train_and_code(train, "code", new, None, CodeConfig(finetune=False))
    assert frozen.manifest["training"]["encoder"] == {"tuned": False}
    frozen.save(tmp_path / "run")
    assert not (tmp_path / "run" / "model" / "encoder.safetensors").exists()
