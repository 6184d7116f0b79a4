"""Sentiment of feedback: VADER read as feedback is written.

Owns the one sentiment analyser of the package: VADER (Hutto & Gilbert, 2014), the
``vaderSentiment`` package's implementation and lexicon (nothing is downloaded), read
through :func:`for_sentiment`. The compound score runs from -1 (most negative) to +1 (most
positive). Feedback says "no complaint" in ways VADER scores as complaints, so:

- words of improvement carry no sentiment (:data:`WISH_WORDS`): in feedback they mark a
  wish ("better signage"), and negated they are praise ("Nothing to improve", "Couldn't
  be better");
- a bare answer that opens a sentence ("Nothing, all excellent", "None. Perfect") carries
  none and negates nothing after it;
- "nothing was too much trouble" and "second to none" are praise;
- a negation ends with its sentence: VADER looks three words back across punctuation, so
  in "The care was not good. Lovely staff" it would negate "Lovely" (a comma ends no
  negation: "not friendly, helpful or caring").

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
#: in "could not be improved", which is praise VADER scores as a complaint, and in "could
#: be improved", a wish VADER scores as praise (:func:`for_sentiment`).
_CANNOT_BE_IMPROVED = re.compile(
    r"\b(?:no|not|nothing|never|cannot|can'?t|couldn'?t|wouldn'?t|won'?t"
    r"|could|can|should|would|might|must|needs?\W+to)\b"
    r"((?:\W+\w+){0,2}?\W+be(?:en)?\W+(?:(?:\w+ly|much|a\W+lot|a\W+bit)\W+)?)improved\b",
    re.IGNORECASE,
)


#: Sentence breaks: VADER looks for a negation or an intensifier among the three words
#: before a sentiment word, across punctuation, so in "The care was not good. Lovely staff"
#: it negates "Lovely". :func:`for_sentiment` puts three neutral tokens (in no lexicon,
#: :func:`_barrier`) after each break: a full stop, ; : ! ? or an ellipsis before a space, a
#: line break (answers of several lines), or a dash. A comma is no break: a negation carries
#: through a list or an aside ("not friendly, helpful or caring", "I would not, however,
#: recommend it"); an aside between spaced dashes is read as two sentences. Each run of
#: marks is matched once (the look-behind keeps a long run of dots linear).
_SENTENCE_BREAK = re.compile(
    r"(?<![.;:!?\u2026])[.;:!?\u2026]+(?=\s)|\s[-\u2013\u2014]+(?=\s)|[\u2013\u2014]"
    r"|(?<![.;:!?\u2026\n])\n"
)
#: Words that open a sentence after a bare "Nothing" or "None" written without a break
#: ("Nothing It was fantastic", "None Everything excellent"); the first few in lower case
#: too ("Nothing it was fantastic", "Nothing everything excellent"; not "all" or
#: "absolutely", which may go on the negation: "Nothing all that great").
_OPENERS = (
    "It|It's|Everything|Everyone|Everybody|All|Absolutely|They|You|We|The|Staff"
    "|it|it's|everything|everyone|everybody"
)
#: A bare answer at the start of a sentence or a line ("Nothing, all excellent", "No. The
#: staff were lovely", "None - perfect", "Lovely. Nothing, all fine"): it answers the
#: question ("anything to improve?") and carries no sentiment of its own (VADER scores "no"
#: as a complaint), nor does it negate what follows. Without punctuation, "Nothing" or "None"
#: is one when the next word opens a sentence (:data:`_OPENERS`) and the word after that is
#: in lower case ("Nothing It was fantastic"; not "NOTHING IT WAS", "Nothing The Staff Did
#: Helped"; and not before an adjective: "Nothing special", "Nothing good to say").
_BARE_ANSWER = re.compile(
    r"(?:^|(?<=[.;:!?\u2026]\s)|(?<=\n))[ \t]*"
    r"(?:(?i:no|nope|nah|none|nothing|nil|not really|nothing really|nothing at all"
    r"|nothing else|no nothing|not a thing|no thanks|no thank you)"
    r"(?:[,.;:!?\u2026]+|\s+[-\u2013\u2014]+|\s*$|(?=[ \t]*\n))"
    rf"|(?i:nothing|none)(?=\s+(?:{_OPENERS})\s+[a-z]))"
)
#: Praise that VADER reads as trouble or negation: "nothing was too much trouble", "second
#: to none", each read as the word it means.
_PRAISE_IDIOMS = (
    (
        re.compile(
            r"\bnothing\s+(?:(?:was|is|seemed|seems|ever|had|has|been)\s+){0,3}too\s+much\s+"
            r"(?:trouble|bother|hassle|effort)\b",
            re.IGNORECASE,
        ),
        "helpful",
    ),
    (re.compile(r"\bsecond\s+to\s+none\b", re.IGNORECASE), "excellent"),
)


def for_sentiment(text: str) -> str:
    """``text`` as VADER should read it, with feedback's ways of saying "no complaint".

    "improved" is dropped from "could not be improved" and "could be improved"; a bare
    answer that opens a sentence ("Nothing, all excellent", "No. Lovely staff") is
    dropped; "nothing was too much trouble" reads as "helpful", "second to none" as
    "excellent"; and a negation ends with its sentence (neutral tokens follow each
    break). Used with a VADER lexicon without :data:`WISH_WORDS`, so "Couldn't be
    improved" reads as neutral, not as a complaint.
    """
    text = text.replace("\u2019", "'")
    for idiom, meaning in _PRAISE_IDIOMS:
        text = idiom.sub(meaning, text)
    text = _CANNOT_BE_IMPROVED.sub(
        lambda m: m.group(0)[: m.start(1) - m.start(0)] + m.group(1), text
    )
    text = _BARE_ANSWER.sub("", text)
    barrier = _barrier(text)
    return _SENTENCE_BREAK.sub(lambda m: m.group(0) + barrier, text)


def _barrier(text: str) -> str:
    """Three tokens in no lexicon, in capitals only if the whole text is ("AWFUL. RUDE").

    VADER emphasises capitalised words only in a text that mixes cases.
    """
    return " ZZ ZZ ZZ " if not any(c.islower() for c in text) else " ·· ·· ·· "


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
