"""Shared fixtures. Tests never reach the network and never need NLTK data."""

from __future__ import annotations

import os
from pathlib import Path

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
