"""Row-order context (covidlearning.context): a sticky chain fitted to the scores."""

from __future__ import annotations

import numpy as np
import pytest

from covidlearning.context import MIN_STICKINESS, MIN_TEXTS, chain_starts, order_context


def _runs(n_runs: int = 30, run: int = 8, k: int = 5, noise: float = 1.0, seed: int = 0):
    """Themes in runs (like a report's sections) and noisy probabilities of them."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(rng.integers(0, k, n_runs), run)
    scores = rng.normal(0, noise, (len(truth), k))
    scores[np.arange(len(truth)), truth] += 1.0
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    return truth, probs


def test_runs_of_themes_are_found_and_help():
    truth, probs = _runs()
    res = order_context(probs)
    assert res.used and res.stickiness > 0.3
    alone = (probs.argmax(1) == truth).mean()
    with_context = (res.probs.argmax(1) == truth).mean()
    assert alone < 0.6 and with_context > alone + 0.15
    np.testing.assert_allclose(res.probs.sum(axis=1), 1.0)


def test_rows_in_no_order_are_left_alone():
    truth, probs = _runs()
    perm = np.random.default_rng(1).permutation(len(truth))
    res = order_context(probs[perm])
    assert not res.used and res.stickiness < MIN_STICKINESS
    assert res.probs is not None and np.array_equal(res.probs, probs[perm])
    assert "no theme" in res.summary()["reason"]


def test_too_few_texts_are_left_alone():
    _, probs = _runs(n_runs=2, run=MIN_TEXTS // 2 - 1)
    res = order_context(probs)
    assert not res.used and res.stickiness is None
    assert np.array_equal(res.probs, probs)


def test_chains_restart_at_each_document():
    assert chain_starts(5, np.array(["a", "a", "b", "b", "a"])).tolist() == [
        True, False, True, False, True,
    ]  # fmt: skip
    truth, probs = _runs()
    # every text its own document: there is no sequence to learn from
    res = order_context(probs, np.arange(len(truth)))
    assert not res.used and res.stickiness == 0.0
    # documents that follow the runs: a run never continues into the next document
    docs = np.repeat(np.arange(30), 8)
    assert order_context(probs, docs).used


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_input_same_output(seed):
    _, probs = _runs(seed=seed)
    a, b = order_context(probs), order_context(probs.copy())
    assert a.stickiness == b.stickiness and np.array_equal(a.probs, b.probs)
