"""Row-order context: neighbouring units of a document tend to share a theme.

A report cut into units (paragraphs, bullets, quotes under a heading) keeps its themes
in runs: the LSBU report's units have the same theme as the next unit 92% of the time.
A human coder reads each unit in that context; :func:`order_context` lets coding do the
same, and only as far as the data shows it.

The method is a "sticky" hidden Markov model over the input order. Each text's theme
probabilities are its evidence; from one text to the next the theme stays with
probability ``stickiness`` and is otherwise drawn afresh from the themes' shares. Both
numbers are fitted by expectation-maximisation to the scores themselves, not set by
hand. The shares matter: with even odds for a fresh draw, a table where one theme
dominates would look sticky in any order. When rows are in no meaningful order (a survey
export shuffled, or sorted by something unrelated to theme) the fitted stickiness is
close to 0; below :data:`MIN_STICKINESS`, or when a likelihood-ratio test against no
stickiness falls short of :data:`MIN_EVIDENCE` (the 1% level), nothing changes.
Otherwise each text's probabilities become its posterior given the whole sequence
(forward-backward). Chains restart where a document ends (a change of ``doc_id`` in a
corpus segments table).

The fit reads the scores sharpened to :data:`EMISSION_POWER`; the posterior uses them as
they are. Fitted on the plain probabilities, the stickiness also absorbed neighbours that
are merely alike in wording (rows of one survey export written by one team: 0.8 fitted
where the human codes say 0.27), and smoothing then cost accuracy on short patient
comments. Fitted on the squared ones it helped on both development sets (LSBU units in
document order, Trust B comments in file order) and changed nothing on the same rows
shuffled (``benchmarks/dev_eval_coding.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Column of a corpus segments table naming each unit's document; chains restart there.
DOCUMENT_COLUMN = "doc_id"
#: The stickiness is fitted on the theme probabilities raised to this power.
EMISSION_POWER = 2.0
#: Below this fitted stickiness the row order is taken to carry no theme.
MIN_STICKINESS = 0.2
#: Fewer neighbouring pairs (within one document) than this are too few to fit on.
MIN_LINKS = 20
#: Stickiness values EM starts from; the likelier fit is kept.
EM_STARTS = (0.1, 0.6)
#: Fit on at most this many neighbouring pairs (the first ones); all texts are smoothed.
MAX_FIT_LINKS = 10_000
#: The order is used only when the fitted stickiness raises the log-likelihood this much
#: (twice the gain over no stickiness; 6.6 is the 1% point of chi-square with 1 df).
MIN_EVIDENCE = 6.6


@dataclass(frozen=True)
class ContextResult:
    """What :func:`order_context` did.

    Attributes:
        probs: the posterior theme probabilities (the input ones when not used).
        stickiness: fitted probability that a text keeps the previous text's theme
            rather than drawing one afresh (None when not fitted).
        used: whether the probabilities were changed.
        reason: a short account for the manifest.
        links: neighbouring pairs within one document that the fit could use.
        evidence: twice the log-likelihood the fitted stickiness gains over none.
    """

    probs: np.ndarray
    stickiness: float | None
    used: bool
    reason: str
    links: int = 0
    evidence: float | None = None

    def summary(self) -> dict[str, object]:
        """JSON-ready description for a run's manifest or metrics."""
        return {
            "used": self.used,
            "stickiness": None if self.stickiness is None else round(float(self.stickiness), 4),
            "links": int(self.links),
            "evidence": None if self.evidence is None else round(float(self.evidence), 2),
            "emission_power": EMISSION_POWER,
            "min_stickiness": MIN_STICKINESS,
            "reason": self.reason,
        }


def not_used(probs: np.ndarray, reason: str, links: int = 0) -> ContextResult:
    """A :class:`ContextResult` that leaves ``probs`` as they are."""
    return ContextResult(np.asarray(probs), None, False, reason, links)


def standardise_rows(scores: np.ndarray) -> np.ndarray:
    """Centre each row (one text's scores across themes) and divide by its spread.

    So long and short texts compare alike. With two themes a row's spread is just half
    its gap, which would turn every call, however close, into +1 / -1; there the
    table's overall spread is used instead.
    """
    s = np.asarray(scores, dtype=float)
    s = s - s.mean(axis=1, keepdims=True)
    if s.shape[1] > 2:
        spread = s.std(axis=1, keepdims=True)
    else:
        spread = np.full((len(s), 1), float(s.std()) if s.size else 1.0)
    return s / np.where(spread > 1e-9, spread, 1.0)


def softmax_rows(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax of each row at ``temperature``."""
    e = np.exp((scores - scores.max(axis=1, keepdims=True)) / max(temperature, 1e-6))
    return e / e.sum(axis=1, keepdims=True)


def similarity_probabilities(similarity: np.ndarray, temperature: float = 0.6) -> np.ndarray:
    """Theme probabilities from similarities: a softmax on :func:`standardise_rows`.

    At 0.6 the mean confidence of few-shot coding matched its accuracy on the LSBU
    development units.
    """
    return softmax_rows(standardise_rows(similarity), temperature)


def chain_starts(n: int, documents: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of the texts that start a chain: the first, and each new document.

    A missing document (None, NaN, NA) counts as the document "".
    """
    starts = np.zeros(n, dtype=bool)
    if n:
        starts[0] = True
    if documents is not None and n > 1:
        import pandas as pd

        docs = pd.Series(list(documents), dtype="object")
        docs = docs.where(docs.notna(), "").astype(str).to_numpy()
        starts[1:] |= docs[1:] != docs[:-1]
    return starts


def _forward_backward(
    emit: np.ndarray, rho: float, mix: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, float, np.ndarray, float]:
    """Posterior marginals, expected stays, expected draws of each theme, log-likelihood.

    From one text to the next the theme stays with probability ``rho`` and is otherwise
    drawn from ``mix`` (the themes' shares); a chain starts with a draw from ``mix``.
    """
    n, k = emit.shape
    alpha = np.empty((n, k))
    scale = np.empty(n)
    for t in range(n):
        prior = mix if starts[t] else rho * alpha[t - 1] + (1.0 - rho) * mix
        x = emit[t] * prior
        scale[t] = x.sum()
        alpha[t] = x / scale[t]
    beta = np.empty((n, k))
    beta[-1] = 1.0
    stays = 0.0
    draws = np.zeros(k)
    for t in range(n - 2, -1, -1):
        eb = emit[t + 1] * beta[t + 1]
        if starts[t + 1]:
            beta[t] = float(mix @ eb) / scale[t + 1]
        else:
            beta[t] = (rho * eb + (1.0 - rho) * float(mix @ eb)) / scale[t + 1]
            stays += rho * float(alpha[t] @ eb) / scale[t + 1]
            draws += (1.0 - rho) * mix * eb / scale[t + 1]
    post = alpha * beta
    post /= post.sum(axis=1, keepdims=True)
    draws += post[starts].sum(axis=0)
    return post, stays, draws, float(np.log(scale).sum())


def fit_stickiness(
    emit: np.ndarray, starts: np.ndarray, max_iter: int = 100, tol: float = 1e-4
) -> tuple[float, np.ndarray, float]:
    """Fit the stickiness and the themes' shares of a sticky chain by EM.

    The shares matter: if every fresh draw were taken as even over the themes, a table
    where one theme dominates would look sticky in any order. EM starts from a low and a
    high stickiness (the likelihood can have two peaks) and keeps the likelier fit; on a
    tie, the lower stickiness, so scores that say nothing about the order stay unused.

    Returns:
        ``(stickiness, shares, evidence)``: evidence is twice the log-likelihood gained
        over the same shares with no stickiness (a likelihood-ratio statistic).
    """
    k = emit.shape[1]
    if int((~starts).sum()) == 0:
        return 0.0, np.full(k, 1.0 / k), 0.0
    free = _em(emit, starts, 0.0, max_iter, tol)  # stickiness held at 0: shares only
    fits = [_em(emit, starts, rho, max_iter, tol) for rho in EM_STARTS]
    best = max(fits, key=lambda f: (round(f[2], 6), -f[0]))
    return best[0], best[1], max(0.0, 2.0 * (best[2] - free[2]))


def _em(
    emit: np.ndarray, starts: np.ndarray, rho: float, max_iter: int, tol: float
) -> tuple[float, np.ndarray, float]:
    """One EM run from stickiness ``rho``: (stickiness, shares, log-likelihood).

    From ``rho`` = 0 the stickiness stays 0 and only the shares are fitted.
    """
    links = int((~starts).sum())
    mix = np.full(emit.shape[1], 1.0 / emit.shape[1])
    for _ in range(max_iter):
        _, stays, draws, _ = _forward_backward(emit, rho, mix, starts)
        new = min(max(stays / links, 0.0), 0.999)
        old_mix, mix = mix, np.maximum(draws, 1e-12) / np.maximum(draws, 1e-12).sum()
        done = abs(new - rho) < tol and float(np.abs(mix - old_mix).max()) < tol
        rho = new
        if done:
            break
    return float(rho), mix, _forward_backward(emit, rho, mix, starts)[3]


def _fit_rows(starts: np.ndarray) -> np.ndarray:
    """Rows to fit on: those in documents of 2+ texts, until :data:`MAX_FIT_LINKS` pairs."""
    doc = np.cumsum(starts)
    sizes = np.bincount(doc)
    rows = np.flatnonzero(sizes[doc] >= 2)
    links = np.cumsum(~starts[rows])
    return rows[: int(np.searchsorted(links, MAX_FIT_LINKS)) + 1]


def order_context(probs: np.ndarray, documents: np.ndarray | None = None) -> ContextResult:
    """Use the row order as context when, and as far as, it carries theme.

    Args:
        probs: ``(n_texts, n_themes)`` theme probabilities of texts in input order.
        documents: optional document of each text; chains restart where it changes.

    Returns:
        A :class:`ContextResult` with the posterior probabilities, or the input ones
        when the order carries no theme (stickiness under :data:`MIN_STICKINESS`, or
        evidence for it under :data:`MIN_EVIDENCE`), the probabilities are not finite,
        or there are fewer than :data:`MIN_LINKS` neighbouring pairs.
    """
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2 or probs.shape[1] < 2:
        return not_used(probs, "fewer than 2 themes")
    if not np.isfinite(probs).all() or (probs < 0).any():
        return not_used(probs, "theme probabilities are not finite and non-negative")
    n = len(probs)
    starts = chain_starts(n, documents)
    links = int((~starts).sum())
    if links < MIN_LINKS:
        return ContextResult(
            probs, None, False,
            f"{links} neighbouring pairs within a document; at least {MIN_LINKS} are needed",
            links,
        )  # fmt: skip
    base = np.where(probs.sum(axis=1, keepdims=True) > 0, probs, 1.0)
    base = base / base.sum(axis=1, keepdims=True)
    emit = np.clip(base, 1e-300, None) ** EMISSION_POWER
    emit /= emit.sum(axis=1, keepdims=True)
    rows = _fit_rows(starts)
    rho, mix, evidence = fit_stickiness(emit[rows], starts[rows])
    if rho < MIN_STICKINESS or evidence < MIN_EVIDENCE:
        return ContextResult(
            probs, rho, False,
            f"row order carries no theme (stickiness {rho:.2f}, evidence {evidence:.1f})",
            links, evidence,
        )  # fmt: skip
    # the shares shape the fit, not the output: a fresh draw is taken as even, so the
    # context adds what the neighbours say and never favours a theme for being common
    even = np.full(len(mix), 1.0 / len(mix))
    post = _forward_backward(np.clip(base, 1e-300, None), rho, even, starts)[0]
    return ContextResult(
        post, rho, True,
        f"neighbouring texts share themes (stickiness {rho:.2f}, evidence {evidence:.1f})",
        links, evidence,
    )  # fmt: skip
