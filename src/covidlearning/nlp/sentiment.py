"""Sentiment of feedback: VADER read as feedback is written.

Owns the one sentiment analyser of the package: VADER (Hutto & Gilbert, 2014), the
``vaderSentiment`` package's implementation and lexicon (nothing is downloaded), read
through :func:`for_sentiment`. The compound score runs from -1 (most negative) to +1 (most
positive). Feedback says "no complaint" in ways VADER scores as complaints, so:

- words of improvement carry no sentiment (:data:`WISH_WORDS`): in feedback they mark a
  wish ("better signage"), and negated they are praise ("Nothing to improve", "Couldn't
  be better");
- a bare answer that opens a text ("Nothing, all excellent", "None. Perfect") carries none
  and negates nothing after it;
- "nothing was too much trouble" is praise;
- a negation ends at a clause break: VADER looks three words back across punctuation, so
  "Nothing, it was awful" would read as praise.

Used by the themes stage (labels' tone and each theme's positive and negative shares) and
the coding stage (stance). Public API: :data:`WISH_WORDS`, :func:`for_sentiment`,
:func:`compound`, :func:`compounds`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np

#: Words of improvement that carry no sentiment in feedback: they mark a wish ("could be
#: better", "better signage", "improve the parking"), and negated they are praise ("nothing
#: to improve", "couldn't be better"), both of which VADER scores the other way round.
WISH_WORDS = frozenset({"improve", "improvement", "improvements", "better"})
#: "improved" reports an outcome ("it improved team spirit", "it has not improved"), except
#: in "could not be improved", which is praise VADER scores as a complaint
#: (:func:`for_sentiment`).
_CANNOT_BE_IMPROVED = re.compile(
    r"\b(?:no|not|nothing|never|cannot|can'?t|couldn'?t|wouldn'?t|won'?t)\b"
    r"((?:\W+\w+){0,2}?\W+be(?:en)?\W+)improved\b",
    re.IGNORECASE,
)


#: Clause breaks: VADER looks for a negation or an intensifier among the three words before
#: a sentiment word, across punctuation, so "Nothing, it was awful" reads as praise and
#: "Nothing. Perfect." as a complaint. :func:`for_sentiment` puts neutral tokens
#: (:data:`_BARRIER`, in no lexicon) after each break, so a negation ends with its clause.
_CLAUSE_BREAK = re.compile(r"[,.;:!?\u2026]+(?=\s)|\s[-\u2013\u2014]+(?=\s)|[\u2013\u2014]")
_BARRIER = " ·· ·· ·· "
#: A bare answer that opens a text ("Nothing, all excellent", "No. The staff were lovely",
#: "None - perfect"): it answers the question ("anything to improve?") and carries no
#: sentiment of its own (VADER scores "no" as a complaint), nor does it negate what follows.
#: Without punctuation, "Nothing" or "None" is a bare answer when the next word starts a
#: sentence with a capital ("Nothing It was fantastic"; not "I": "Nothing I didn't like").
_BARE_ANSWER = re.compile(
    r"^\s*(?i:no|nope|nah|none|nothing|nil|not really|nothing really|nothing at all"
    r"|nothing else|no nothing|not a thing|no thanks|no thank you)"
    r"(?:[,.;:!?\u2026]+|\s+[-\u2013\u2014]+|\s*$)"
    r"|^\s*(?i:nothing|none)(?=\s+(?!I\b|I')[A-Z])"
)
#: "Nothing was too much trouble": praise, which VADER reads as trouble.
_NO_TROUBLE = re.compile(
    r"\bnothing\s+(?:(?:was|is|seemed|seems|ever|had|has|been)\s+){0,3}too\s+much\s+"
    r"(?:trouble|bother|hassle|effort)\b",
    re.IGNORECASE,
)


def for_sentiment(text: str) -> str:
    """``text`` as VADER should read it, with feedback's ways of saying "no complaint".

    "improved" is dropped from "could not be improved"; a bare answer that opens the text
    ("Nothing, all excellent", "No. Lovely staff") is dropped; "nothing was too much
    trouble" reads as "helpful"; and a negation ends at a clause break (neutral tokens
    follow each one), so "Nothing, it was awful" stays a complaint. Used with a VADER
    lexicon without :data:`WISH_WORDS` (``themes.labels`` and ``coding.stance``), so
    "Couldn't be improved" reads as neutral, not as a complaint.
    """
    text = _NO_TROUBLE.sub("helpful", text.replace("\u2019", "'"))
    text = _CANNOT_BE_IMPROVED.sub(
        lambda m: m.group(0)[: m.start(1) - m.start(0)] + m.group(1), text
    )
    text = _BARE_ANSWER.sub("", text, count=1)
    return _CLAUSE_BREAK.sub(lambda m: m.group(0) + _BARRIER, text)


@functools.lru_cache(maxsize=1)
def _analyzer():  # vaderSentiment is untyped
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    for word in WISH_WORDS:  # a wish, not praise; negated, not a complaint
        analyzer.lexicon.pop(word, None)
    return analyzer


def compound(text: str) -> float:
    """VADER's compound sentiment of ``text`` read by :func:`for_sentiment` (0.0 if blank)."""
    if not isinstance(text, str) or not text.strip():
        return 0.0
    return float(_analyzer().polarity_scores(for_sentiment(text))["compound"])


def compounds(texts: Sequence[str]) -> np.ndarray:
    """:func:`compound` of each of ``texts``, as a float array."""
    return np.array([compound(str(t)) for t in texts], dtype=float)
