"""Row-order context: neighbouring units of a document tend to share a theme.

A report cut into units (paragraphs, bullets, quotes under a heading) keeps its themes
in runs: the LSBU report's units have the same theme as the next unit 92% of the time.
A human coder reads each unit in that context; :func:`order_context` lets coding do the
same, and only as far as the data shows it.

The method is a "sticky" hidden Markov model over the input order. Each text's theme
probabilities are its emission; from one text to the next the theme stays with
probability ``stickiness`` and is otherwise drawn afresh, evenly over the themes. The
stickiness is not set by hand: it is fitted by expectation-maximisation to the scores
themselves. When rows are in no meaningful order (a survey export shuffled, or sorted by
something unrelated to theme) the fitted stickiness is close to 0 and the scores are
left as they are; below :data:`MIN_STICKINESS` nothing is changed. Otherwise each text's
probabilities become its posterior given the whole sequence (forward-backward).
Chains restart where a document ends (a change of ``doc_id`` in a corpus segments table).

The emissions are the scores sharpened to :data:`EMISSION_POWER`: with the softer
reporting probabilities, the fitted stickiness also absorbed neighbours that are merely
alike in wording (rows of one survey export written by one team), and smoothing then
cost accuracy on short patient comments. At power 2 it helped on both development sets
(LSBU units in document order and Trust B comments in file order) and changed nothing on
the same rows shuffled (``benchmarks/dev_eval_coding.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Column of a corpus segments table naming each unit's document; chains restart there.
DOCUMENT_COLUMN = "doc_id"
#: Emissions are the theme probabilities raised to this power (then renormalised).
EMISSION_POWER = 2.0
#: Below this fitted stickiness the row order is taken to carry no theme.
MIN_STICKINESS = 0.2
#: Fewer texts than this give too little sequence to fit a stickiness on.
MIN_TEXTS = 20
#: Fit the stickiness on at most this many texts (contiguous runs); all are smoothed.
MAX_FIT_TEXTS = 10_000


@dataclass(frozen=True)
class ContextResult:
    """What :func:`order_context` did.

    Attributes:
        probs: the posterior theme probabilities (the input ones when not used).
        stickiness: fitted probability that a text keeps the previous text's theme
            beyond chance (None when not fitted).
        used: whether the probabilities were changed.
        reason: a short account for the manifest.
    """

    probs: np.ndarray
    stickiness: float | None
    used: bool
    reason: str

    def summary(self) -> dict[str, object]:
        """JSON-ready description for a run's manifest."""
        return {
            "used": self.used,
            "stickiness": None if self.stickiness is None else round(float(self.stickiness), 4),
            "emission_power": EMISSION_POWER,
            "min_stickiness": MIN_STICKINESS,
            "reason": self.reason,
        }


def similarity_probabilities(similarity: np.ndarray, temperature: float = 0.6) -> np.ndarray:
    """Theme probabilities from similarities: each row z-scored, then a softmax.

    The z-scores make texts of any length comparable; at 0.6 the mean confidence of
    few-shot coding matched its accuracy on the LSBU development units.
    """
    s = np.asarray(similarity, dtype=float)
    sd = s.std(axis=1, keepdims=True)
    z = (s - s.mean(axis=1, keepdims=True)) / np.where(sd > 1e-9, sd, 1.0)
    e = np.exp((z - z.max(axis=1, keepdims=True)) / temperature)
    return e / e.sum(axis=1, keepdims=True)


def chain_starts(n: int, documents: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of the texts that start a chain: the first, and each new document."""
    starts = np.zeros(n, dtype=bool)
    if n:
        starts[0] = True
    if documents is not None and n > 1:
        docs = np.asarray(documents, dtype=object)
        starts[1:] |= docs[1:] != docs[:-1]
    return starts


def _forward_backward(
    emit: np.ndarray, rho: float, starts: np.ndarray
) -> tuple[np.ndarray, float, float]:
    """Posterior marginals, expected stays and log-likelihood of the sticky chain."""
    n, k = emit.shape
    alpha = np.empty((n, k))
    scale = np.empty(n)
    even = np.full(k, 1.0 / k)
    for t in range(n):
        prior = even if starts[t] else rho * alpha[t - 1] + (1.0 - rho) / k
        x = emit[t] * prior
        scale[t] = x.sum()
        alpha[t] = x / scale[t]
    beta = np.empty((n, k))
    beta[-1] = 1.0
    stays = 0.0
    for t in range(n - 2, -1, -1):
        eb = emit[t + 1] * beta[t + 1]
        if starts[t + 1]:
            beta[t] = eb.sum() / k / scale[t + 1]
        else:
            beta[t] = (rho * eb + (1.0 - rho) / k * eb.sum()) / scale[t + 1]
            stays += rho * float(alpha[t] @ eb) / scale[t + 1]
    post = alpha * beta
    post /= post.sum(axis=1, keepdims=True)
    return post, stays, float(np.log(scale).sum())


def fit_stickiness(
    emit: np.ndarray, starts: np.ndarray, max_iter: int = 50, tol: float = 1e-4
) -> float:
    """Fit the stickiness of a sticky chain to emission probabilities by EM."""
    links = int((~starts[1:]).sum()) if len(starts) > 1 else 0
    if links == 0:
        return 0.0
    rho = 0.5
    for _ in range(max_iter):
        _, stays, _ = _forward_backward(emit, rho, starts)
        new = min(max(stays / links, 0.0), 0.999)
        if abs(new - rho) < tol:
            return float(new)
        rho = new
    return float(rho)


def order_context(probs: np.ndarray, documents: np.ndarray | None = None) -> ContextResult:
    """Use the row order as context when, and as far as, it carries theme.

    Args:
        probs: ``(n_texts, n_themes)`` theme probabilities of texts in input order
            (rows sum to 1).
        documents: optional document of each text; chains restart where it changes.

    Returns:
        A :class:`ContextResult` with the posterior probabilities, or the input ones
        when the order carries no theme or there are too few texts.
    """
    probs = np.asarray(probs, dtype=float)
    n = len(probs)
    if n < MIN_TEXTS or probs.ndim != 2 or probs.shape[1] < 2:
        return ContextResult(probs, None, False, f"fewer than {MIN_TEXTS} texts")
    emit = np.clip(probs, 1e-300, None) ** EMISSION_POWER
    emit /= emit.sum(axis=1, keepdims=True)
    starts = chain_starts(n, documents)
    window = slice(0, min(n, MAX_FIT_TEXTS))  # enough to fit one number
    fit_starts = starts[window].copy()
    fit_starts[0] = True
    rho = fit_stickiness(emit[window], fit_starts)
    if rho < MIN_STICKINESS:
        return ContextResult(
            probs, rho, False, f"row order carries no theme (stickiness {rho:.2f})"
        )
    post, _, _ = _forward_backward(emit, rho, starts)
    return ContextResult(post, rho, True, f"neighbouring texts share themes (stickiness {rho:.2f})")
