"""Shared fixtures. Tests never reach the network and never need NLTK data."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
SHARED_EVAL = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def root() -> Path:
    """The project root."""
    return ROOT


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    """``../shared/eval`` (development sets, never copied into the repo); skip when absent."""
    if not (SHARED_EVAL / "lsbu_10_leaps_gold.jsonl").exists():
        pytest.skip("../shared/eval is not beside this checkout")
    return SHARED_EVAL


def _hashed_embed(texts, config=None):
    """Hashed bag of words: deterministic, model-free stand-in for MiniLM."""
    import numpy as np
    from sklearn.feature_extraction.text import HashingVectorizer

    hv = HashingVectorizer(n_features=512, alternate_sign=False, norm="l2")
    x = hv.transform([str(t) for t in texts]).toarray().astype(np.float32)
    x[np.linalg.norm(x, axis=1) == 0, 0] = 1.0
    return x


@pytest.fixture
def hashed_coding_embeddings(monkeypatch):
    """Make coding embed texts with :func:`_hashed_embed` instead of loading MiniLM."""
    from covidlearning.coding import fewshot, frameworks, result, trained

    for module in (result, fewshot, trained, frameworks):
        monkeypatch.setattr(module, "_embed", _hashed_embed)
    # the stand-in has no encoder to fine-tune: trained mode keeps it frozen at any size
    monkeypatch.setattr(trained, "TUNE_MIN_TEXTS", 10**9)
    monkeypatch.setattr(fewshot, "TUNE_MIN_EXAMPLES", 10**9)  # nor few-shot (SetFit)
    return _hashed_embed


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    """The synthetic trust survey, loaded, with each usable response's planted theme."""
    import pandas as pd

    from covidlearning.corpus.load import load_table
    from covidlearning.testing.synthetic import write

    path = tmp_path_factory.mktemp("syn") / "survey.csv"
    data = write(path)
    frame = load_table(path, "answer", "response_id")
    used = frame[frame["status"] == "ok"]
    themes = sorted({t for t in data.themes.values() if t not in {"filler", "duplicate"}})
    tid = {t: i for i, t in enumerate(themes)}
    assign = pd.DataFrame(
        {"id": used["id"], "topic": [tid.get(data.themes[i], -1) for i in used["id"]]}
    )
    assign["label"] = assign["topic"].map({v: k for k, v in tid.items()})
    return SimpleNamespace(data=data, frame=frame, assign=assign, path=path)
