"""Row-order context (covidlearning.nlp.context): a sticky chain fitted to the scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from covidlearning.nlp.context import (
    MIN_LINKS,
    MIN_STICKINESS,
    chain_starts,
    order_context,
    similarity_probabilities,
)


def _probs(truth: np.ndarray, k: int, noise: float = 1.0, seed: int = 0) -> np.ndarray:
    """Noisy theme probabilities of texts whose true themes are ``truth``."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(0, noise, (len(truth), k))
    scores[np.arange(len(truth)), truth] += 1.0
    return np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)


def _runs(n_runs: int = 30, run: int = 8, k: int = 5, noise: float = 1.0, seed: int = 0):
    """Themes in runs (like a report's sections) and noisy probabilities of them."""
    truth = np.repeat(np.random.default_rng(seed).integers(0, k, n_runs), run)
    return truth, _probs(truth, k, noise, seed)


def test_runs_of_themes_are_found_and_help():
    truth, probs = _runs()
    res = order_context(probs)
    assert res.used and res.stickiness > 0.3 and res.links == len(truth) - 1
    alone = (probs.argmax(1) == truth).mean()
    with_context = (res.probs.argmax(1) == truth).mean()
    assert alone < 0.6 and with_context > alone + 0.15
    np.testing.assert_allclose(res.probs.sum(axis=1), 1.0)


def test_rows_in_no_order_are_left_alone():
    truth, probs = _runs()
    perm = np.random.default_rng(1).permutation(len(truth))
    res = order_context(probs[perm])
    assert not res.used and res.stickiness < MIN_STICKINESS
    assert np.array_equal(res.probs, probs[perm])
    assert "no theme" in res.summary()["reason"]


@pytest.mark.parametrize(
    "shares", [[0.8, 0.05, 0.05, 0.05, 0.05], [0.8, 0.2], [0.6, 0.1, 0.1, 0.1, 0.1]]
)
def test_one_dominant_theme_in_no_order_is_left_alone(shares):
    """Skewed shares are not stickiness: the fit learns how often each theme occurs."""
    rng = np.random.default_rng(0)
    truth = rng.choice(len(shares), 2000, p=shares)  # independent rows: no order at all
    res = order_context(_probs(truth, len(shares)))
    assert not res.used and res.stickiness < MIN_STICKINESS


def test_one_dominant_theme_in_runs_still_helps():
    rng = np.random.default_rng(0)
    truth = np.repeat(rng.choice(5, 300, p=[0.6, 0.1, 0.1, 0.1, 0.1]), 8)
    probs = _probs(truth, 5)
    res = order_context(probs)
    assert res.used
    assert (res.probs.argmax(1) == truth).mean() > (probs.argmax(1) == truth).mean() + 0.15


def test_too_few_neighbouring_pairs_are_left_alone():
    _, probs = _runs(n_runs=2, run=MIN_LINKS // 2)
    res = order_context(probs)
    assert not res.used and res.stickiness is None and res.links == MIN_LINKS - 1
    assert np.array_equal(res.probs, probs)
    # many texts, but documents that alternate leave no pair within one document
    truth, probs = _runs()
    res = order_context(probs, np.arange(len(truth)) % 2)
    assert not res.used and res.links == 0 and "neighbouring pairs" in res.reason


def test_chains_restart_at_each_document():
    docs = np.array(["a", "a", "b", "b", "a"], dtype=object)
    assert chain_starts(5, docs).tolist() == [True, False, True, False, True]
    with_na = pd.Series(["a", pd.NA, pd.NA, "b", None], dtype="object").to_numpy()
    assert chain_starts(5, with_na).tolist() == [True, True, False, True, True]
    # two documents whose last / first units are confident about different themes, and a
    # vague unit opening the second: it must not inherit the first document's theme
    truth, probs = _runs(n_runs=8, run=6, k=2, noise=0.3, seed=3)
    truth[:24], truth[24:] = 0, 1
    probs = _probs(truth, 2, noise=0.3, seed=3)
    probs[24] = [0.5, 0.5]
    docs = np.repeat(["first", "second"], 24)
    with_docs = order_context(probs, docs)
    assert with_docs.used and with_docs.links == len(truth) - 2
    assert with_docs.probs[24].argmax() == 1
    one_chain = order_context(probs)
    assert one_chain.probs[24, 0] > with_docs.probs[24, 0]  # the first document pulls


def test_scores_that_are_not_probabilities_are_left_alone():
    truth, probs = _runs()
    bad = probs.copy()
    bad[3, 1] = np.nan
    res = order_context(bad)
    assert not res.used and "finite" in res.reason
    even = np.full_like(probs, 1 / probs.shape[1])
    res = order_context(even)  # scores that say nothing: no stickiness is read into them
    assert not res.used


def test_similarity_probabilities_keep_close_calls_close():
    sims = np.array([[0.50, 0.49], [0.9, 0.1], [0.2, 0.3]])
    p = similarity_probabilities(sims)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert abs(p[0, 0] - 0.5) < 0.05  # a close call stays close, even with two themes
    assert p[1, 0] > 0.95 and p[2, 1] > 0.6


def test_same_input_same_output():
    _, probs = _runs(seed=2)
    a, b = order_context(probs), order_context(probs.copy())
    assert a.stickiness == b.stickiness and np.array_equal(a.probs, b.probs)
    assert a.summary() == b.summary() and isinstance(a.summary()["stickiness"], float)


def test_small_tables_in_no_order_are_rarely_read_as_sticky():
    """The likelihood-ratio test keeps chance runs in small shuffled tables from counting."""
    rng = np.random.default_rng(2)
    used = 0
    for _ in range(60):
        k, n = (2, 40) if rng.random() < 0.5 else (5, 25)
        truth = rng.integers(0, k, n)
        used += order_context(_probs(truth, k, seed=int(rng.integers(1 << 30)))).used
    assert used <= 2  # a 1% test: at most a stray false alarm in 60 tables


def test_the_fit_reads_pairs_not_the_first_rows():
    """Thousands of one-text documents first must not hide the ordered document after them."""
    truth, probs = _runs(n_runs=40, run=10, k=4, noise=0.8, seed=5)
    lone = _probs(np.zeros(12_000, dtype=int), 4, seed=6)
    docs = np.concatenate([np.arange(12_000).astype(str), np.full(len(truth), "report")])
    res = order_context(np.vstack([lone, probs]), docs)
    assert res.used and res.links == len(truth) - 1 and res.stickiness > 0.5
    # one-text documents have no neighbours: the context leaves them as they were
    np.testing.assert_allclose(res.probs[:12_000], lone, atol=1e-12)
