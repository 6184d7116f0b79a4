"""Fine-tuning the embedding model (covidlearning.finetune) and the trained coder that uses it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from covidlearning import coding
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


def test_bad_targets_are_refused():
    from covidlearning.finetune import tune_encoder

    with pytest.raises(InputError, match="a code for every text"):
        tune_encoder(["a", "b"], np.array([[1, 0], [0, 0]]))
    with pytest.raises(InputError, match="at least one text"):
        tune_encoder([], np.zeros((0, 2)))


@pytest.mark.slow
def test_tuning_pulls_texts_of_a_code_together_and_saves_exactly(tmp_path):
    from covidlearning.embed import model_id
    from covidlearning.finetune import encode, load_encoder, save_encoder, tune_encoder

    texts = WAIT_PHONE + WAIT_ROOM
    y = np.array([0] * len(WAIT_PHONE) + [1] * len(WAIT_ROOM))
    base = coding._embed(texts, CodeConfig())
    st = tune_encoder(texts, np.eye(2)[y], epochs=4, batch_size=4, progress=False)
    tuned = encode(st, texts, progress=False)
    assert tuned.shape == base.shape and np.allclose(np.linalg.norm(tuned, axis=1), 1, atol=1e-5)
    assert _margin(tuned, y) > _margin(base, y) + 0.05

    path = save_encoder(st, tmp_path / "encoder.safetensors", model_id())
    assert path.stat().st_size < 60e6  # transformer layers only, not the word embeddings
    again = encode(load_encoder(path), texts, progress=False)
    assert np.array_equal(again, tuned)
    # the same seed tunes the same weights
    twin = tune_encoder(texts, np.eye(2)[y], epochs=4, batch_size=4, progress=False)
    assert np.array_equal(encode(twin, texts, progress=False), tuned)

    with pytest.raises(InputError, match="not from"):
        save_encoder(st, tmp_path / "other.safetensors", "some/other-model")
        load_encoder(tmp_path / "other.safetensors")
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
    res = coding.train_and_code(train, "code", new, None, cfg)
    enc = res.manifest["training"]["encoder"]
    assert enc["tuned"] and enc["texts"] == len(rows)
    res.save(tmp_path / "run")
    files = sorted(p.name for p in (tmp_path / "run" / "model").iterdir())
    assert files == ["coder.json", "coder.safetensors", "encoder.safetensors"]
    again = coding.code_with_model(new, tmp_path / "run")
    pd.testing.assert_frame_equal(again.assignments, res.assignments)
    pd.testing.assert_frame_equal(again.scores, res.scores)
    assert res.assignments["themes"].tolist() == ["phone", "room"]

    # a frozen run leaves no encoder behind in the same folder
    frozen = coding.train_and_code(train, "code", new, None, CodeConfig(finetune=False))
    assert frozen.manifest["training"]["encoder"] == {"tuned": False}
    frozen.save(tmp_path / "run")
    assert not (tmp_path / "run" / "model" / "encoder.safetensors").exists()


def test_finetune_option_is_auto_on_or_off():
    from pydantic import ValidationError

    assert CodeConfig().finetune == "auto"
    assert CodeConfig(finetune=True).finetune is True
    assert CodeConfig.model_validate({"finetune": False}).finetune is False
    with pytest.raises(ValidationError):
        CodeConfig(finetune="sometimes")
    assert coding._tune_in_trained_mode(CodeConfig(), coding.TUNE_MIN_TEXTS)
    assert not coding._tune_in_trained_mode(CodeConfig(), coding.TUNE_MIN_TEXTS - 1)
    assert coding._tune_in_trained_mode(CodeConfig(finetune=True), 10)
    assert not coding._tune_in_trained_mode(CodeConfig(finetune=False), 10_000)
