"""Non-answers and short answers: which rows say nothing, and what a short answer means.

The rules :func:`covidlearning.corpus.load.load_table` applies to each answer:

* **Empty, digits-only and filler answers** (:func:`filler_reason`: "nothing", "not
  sure", "see above") get status ``empty``, ``digits only`` or ``filler``.
* **Listed non-answers** (``input.missing_values``): an answer whose :func:`answer_key`
  is that of a listed phrase ("Did not answer", "N/A", "-", ...) gets status
  ``missing``.
* **Non-answers found without a list**: an answer that on its own says no answer was
  given, with no content word (:func:`says_no_answer`: "Patient declined to comment",
  "[no response]") gets status ``non-answer``.
* **Repeated non-answers**: a text making up at least :data:`REPEAT_SHARE` of the
  non-empty rows (and :data:`MIN_REPEAT_ROWS` rows) is checked with
  :func:`carries_content`; one that does not (a placeholder an export wrote, "No
  feedback given", a form field with a checkbox value, the question echoed back) gets
  status ``repeated non-answer``. One
  that does ("Very good", "Excellent service") stays. A rarer repeat (at least
  :data:`MIN_REPEAT_ROWS` rows) goes only when it is a non-answer or stock phrase.
* **Short answers read with their question** (``input.question_column``): each
  distinct question is classified once (:func:`classify_question`: does it ask what
  to improve, or what was good?), and a bare "Nothing", "No", "None" or "Everything"
  is modelled as the explicit phrase it means there (:func:`read_with_question`:
  "Nothing to improve", "Nothing was good", "Everything was good", ...).

Public API: :data:`REPEAT_SHARE`, :data:`MIN_REPEAT_ROWS`, :func:`answer_key`,
:func:`missing_keys`, :func:`filler_reason`, :func:`exclusion_reason`,
:func:`content_words`, :func:`says_no_answer`, :func:`carries_content`,
:func:`repeated_non_answers`, :func:`classify_question`, :func:`short_answer_kind`,
:func:`read_with_question`, :func:`read_with_questions`.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from typing import Literal

import pandas as pd

logger = logging.getLogger(__name__)

#: A normalised text making up at least this share of the non-empty rows is checked ...
REPEAT_SHARE = 0.02
#: ... when it is at least this many rows.
MIN_REPEAT_ROWS = 5

QuestionKind = Literal["improve", "positive", "other"]
ShortKind = Literal["nothing", "everything"]

#: Answers that carry no content: counted, flagged and excluded from modelling.
_FILLER_WORDS = {
    "n/a", "na", "n.a.", "none", "nothing", "nil", "no", "nope", "idk", "dunno", "same",
    "ditto", "x", "-", ".", "?", "n/k", "nk", "tbc", "unknown", "null", "nan",
}  # fmt: skip
_FILLER_PHRASES = {
    "no comment", "no comments", "not applicable", "nothing to add", "nothing to say",
    "nothing else", "nothing more", "not sure", "don't know", "dont know", "do not know",
    "no further comment", "no further comments", "nothing to report", "nothing at all",
    "none at all", "no thanks", "no thank you", "see above", "as above", "same as above",
    "nothing else to add", "no other comments", "no other comment", "not really",
}  # fmt: skip
_DIGITS_ONLY = re.compile(r"^[\d\s.,/:;+\-()#%]+$")
_EDGE_PUNCT = re.compile(r"^[\s\"'.,!?;:()\[\]-]+|[\s\"'.,!?;:()\[\]-]+$")
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_NOT_WORD = re.compile(r"[^\w]+")


def answer_key(text: object) -> str:
    """The form answers are compared in: case-folded, punctuation and extra spaces gone.

    Apostrophes are dropped (``didn't`` -> ``didnt``) and any other punctuation splits
    words (``N/A`` -> ``n a``), so ``"Did not answer."``, ``"DID NOT ANSWER"`` and
    ``"did-not-answer"`` share one key. A text of punctuation only keeps it, without
    spaces (``"-"``, ``"--"``, ``"?"``), so such placeholders can be listed too.

    Args:
        text: a cell value (None and NaN give ``""``).
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""
    s = _APOSTROPHES.sub("", str(text).casefold())
    words = _NOT_WORD.sub(" ", s).replace("_", " ").split()
    return " ".join(words) if words else "".join(s.split())


def missing_keys(values: Iterable[str]) -> frozenset[str]:
    """The keys (:func:`answer_key`) of the listed non-answers; blank entries are dropped."""
    return frozenset(k for k in (answer_key(v) for v in values) if k)


def filler_reason(text: object, missing: Iterable[str] = ()) -> str | None:
    """Why an answer is left out (``empty``, ``missing``, ``digits only``, ``filler``) or None.

    Checked in that order: a listed non-answer (``missing``, e.g. ``input.missing_values``)
    is ``missing`` even when it is also digits only or filler ("-", "N/A").

    Args:
        text: a cell value; None and NaN count as empty.
        missing: listed non-answers.
    """
    return exclusion_reason(text, missing_keys(missing))


def exclusion_reason(text: object, keys: frozenset[str]) -> str | None:
    """:func:`filler_reason` with the listed non-answers given as :func:`missing_keys`."""
    if text is None or (isinstance(text, float) and text != text):
        return "empty"
    s = " ".join(str(text).split())
    if not s:
        return "empty"
    if keys and answer_key(s) in keys:
        return "missing"
    if _DIGITS_ONLY.match(s):
        return "digits only"
    low = s.lower()
    core = _EDGE_PUNCT.sub("", low)
    if not core or core in _FILLER_WORDS or core in _FILLER_PHRASES or low in _FILLER_WORDS:
        return "filler"
    return None


# --------------------------------------------------------------------------- content
#: Function words: a frequent text made of these (and :data:`_META_WORDS`) says nothing.
_STOP_WORDS = frozenset(
    """a about above after again against all also am an and any anybody anyone anything are
    as at be because been before being below between both but by can cannot cant could couldnt
    did didnt do does doesnt doing dont down during each either else ever every few for from
    further had hadnt has hasnt have havent having he her here hers herself him himself his how
    i id if ill im in into is isnt it its itself ive just me more most much my myself neither
    nil no none nope nor not nothing now of off on once only or other ought our ours ourselves
    out over own quite rather really same she should shouldnt so some something such than that
    thats the their theirs them themselves then there these they theyre this those through to
    too under until up us very was wasnt we were werent what whatever when where which while who
    whom why will with wont would wouldnt yes yet you youd youll your youre yours yourself
    etc n x""".split()
)
#: Words about the answer itself rather than the care: "No feedback given", "Response
#: withheld", "See previous answer" carry no content even though their words are not
#: function words.
_META_WORDS = frozenset(
    """answer answers answered unanswered response responses respond responded reply replies
    replied comment comments commented feedback question questions survey form field text
    entry value data applicable provided given stated recorded entered supplied specified
    completed filled blank missing skipped declined refused withheld redacted removed
    captured available submitted unknown known null nan na prefer say wish add see above
    previous earlier before same ditto""".split()
)
#: Who answered or was asked ("Patient declined", "Service user did not wish to
#: comment"): with nothing else, these words carry no content either.
_RESPONDENT_WORDS = frozenset(
    """patient patients service user users respondent respondents client clients carer
    carers relative relatives family parent parents person people resident residents""".split()
)
#: Phrases that say no answer was given, whatever else the text holds: a negation near
#: an answer word ("service user did not wish to comment"), or a refusal.
_NON_ANSWER = re.compile(
    r"\b(?:no|not|never|didnt|dont|doesnt|without|unable|none)\b(?:\s+\w+){0,3}?\s+"
    r"(?:answer\w*|respon\w*|repl(?:y|ies|ied)|comment\w*|feedback|given|provided|"
    r"stated|recorded|applicable|known)\b"
    r"|\b(?:declined|refused|skipped|withheld|redacted|unanswered|prefer\s+not|rather\s+not)\b"
)
#: A whole answer in brackets (``[blank]``, ``<no response>``, ``(redacted)``) or a
#: system code (``NO_RESPONSE``): placeholders an export writes.
_PLACEHOLDER = re.compile(r"^\s*(?:[\[<{(].*[\]>})]|#\S*|\*+|[A-Z]+(?:_[A-Z]+)+)\s*$")
#: A form's field and a checkbox value, as staff record it in the comment box ("Rang pt
#: before visit: Yes", "Consent: N/A"): a stock phrase when repeated.
_FORM_FIELD = re.compile(
    r"(?i)^\s*[^:\n]{2,60}:\s*(?:yes|no|y|n|n/?a|none|nil|done|true|false|ticked|"
    r"unticked|checked|unchecked|completed?)\s*[.!]?\s*$"
)


def content_words(text: object) -> list[str]:
    """The words of ``text`` that are not function words, words about answering or who answered."""
    return [
        w
        for w in answer_key(text).split()
        if len(w) > 1
        and w.isalpha()
        and w not in _STOP_WORDS
        and w not in _META_WORDS
        and w not in _RESPONDENT_WORDS
    ]


def says_no_answer(text: object) -> bool:
    """Whether an answer, on its own, says that no answer was given.

    True for a text with no content word (:func:`content_words`) that is a negation of
    answering or a refusal ("Patient declined to comment", "No feedback given") or a
    placeholder an export wrote ("[no response]", ``NO_RESPONSE``). A text that says
    anything else is kept: "I was not given any feedback on my results" has content
    ("results").
    """
    key = answer_key(text)
    if not key or content_words(key):
        return False
    return bool(_NON_ANSWER.search(key) or _PLACEHOLDER.match(str(text)))


_NO_CONTENT_WORDS = "no content words"


def carries_content(
    text: object, questions: Iterable[str] = (), missing: Iterable[str] = ()
) -> tuple[bool, str]:
    """Whether a frequently repeated answer says something, and why (for the log).

    An answer carries content unless it is a non-answer phrase (listed in ``missing``,
    one of the built-in filler answers, or a negation of answering such as "patient did
    not wish to comment"), has no content word once function words and words about
    answering are removed ("No response", "Prefer not to say", "Yes"), or is a stock
    phrase: a placeholder in brackets or a system code (``[blank]``, ``NO_RESPONSE``),
    a form field with a checkbox value ("Rang pt before visit: Yes"), or one of the
    ``questions`` echoed back. "Very good", "Excellent service" and
    "Thank you" carry content.

    Args:
        text: the answer.
        questions: the table's question texts, if it has a question column.
        missing: listed non-answer phrases (``input.missing_values``).

    Returns:
        ``(carries, reason)``: the reason names the rule that decided.
    """
    key = answer_key(text)
    if not key or exclusion_reason(text, missing_keys(missing)) is not None:
        return False, "a non-answer phrase"
    if _NON_ANSWER.search(key):
        return False, "a non-answer phrase"
    if _PLACEHOLDER.match(str(text)):
        return False, "a stock phrase (a placeholder)"
    if _FORM_FIELD.match(str(text)):
        return False, "a stock phrase (a form field and its value)"
    for q in questions:
        qk = answer_key(q)
        if qk and (key == qk or (len(key.split()) >= 2 and key in qk)):
            return False, "a stock phrase (the question repeated)"
    words = content_words(key)
    if not words:
        return False, _NO_CONTENT_WORDS
    return True, "it has content words (" + ", ".join(words[:3]) + ")"


def repeated_non_answers(
    texts: pd.Series,
    status: pd.Series,
    questions: Iterable[str] = (),
    missing: Iterable[str] = (),
) -> pd.Series:
    """Mask of the ``ok`` rows whose text is a repeated non-answer.

    A text (compared by :func:`answer_key`) making up at least :data:`REPEAT_SHARE` of
    the non-empty rows, and at least :data:`MIN_REPEAT_ROWS` rows, is checked with
    :func:`carries_content`. A text repeated at least :data:`MIN_REPEAT_ROWS` times but
    by fewer rows is excluded only on the stronger evidence of a non-answer phrase, a
    placeholder or the question echoed back ("Service user declined" 70 times in 3,700
    rows), not merely for lacking a content word ("Yes"). Every decision on a frequent
    text is logged.

    Args:
        texts: the modelled texts, one per row.
        status: each row's status so far (``ok``, ``empty``, ``filler``...), same index.
        questions: the table's question texts (a question echoed back is a stock phrase).
        missing: listed non-answer phrases.
    """
    keys = texts.map(answer_key)
    nonempty = status.astype(str) != "empty"
    counts = keys[nonempty].value_counts()
    floor = max(MIN_REPEAT_ROWS, math.ceil(REPEAT_SHARE * int(nonempty.sum())))
    flagged = pd.Series(False, index=texts.index)
    ok = status.astype(str) == "ok"
    questions = list(questions)
    for key, n in counts[counts >= MIN_REPEAT_ROWS].items():
        rows = ok & (keys == key)
        if not rows.any():
            continue  # already excluded (listed, filler, digits only)
        example = str(texts[rows].iloc[0])
        carries, why = carries_content(example, questions, missing)
        share = n / int(nonempty.sum())
        if n < floor and (carries or why == _NO_CONTENT_WORDS):
            continue  # below the share, only a non-answer phrase or stock phrase counts
        if carries:
            logger.info(
                "%r is %d of the non-empty rows (%.1f%%): kept, %s", example, n, 100 * share, why
            )
        else:
            flagged |= rows
            logger.info(
                "%r is %d of the non-empty rows (%.1f%%): excluded as a repeated non-answer (%s)",
                example,
                n,
                100 * share,
                why,
            )
    return flagged


# --------------------------------------------------------------------------- questions
_IMPROVE = re.compile(
    r"\b(?:better|improv\w*|chang\w*|differently|could we|can we|should we|anything else|"
    r"wrong|worse|worst|least|dislik\w*|disappoint\w*|problems?|issues?|poor\w*|bad|badly|"
    r"complain\w*|concerns?|suggest\w*|fix|lacking|frustrat\w*|unhappy|negative)\b"
)
_NEGATED_POSITIVE = re.compile(
    r"\b(?:not|didnt|dont|wasnt|werent|never)\s+(?:\w+\s+){0,2}?"
    r"(?:good|well|like|liked|happy|helpful|satisf\w*)\b"
)
#: "would like to tell us", "you'd like": a polite verb, not "what did you like".
_POLITE_LIKE = re.compile(r"\b(?:would|youd|wed|id|might)\s+like\b|\blike\s+to\b")
_POSITIVE = re.compile(
    r"\b(?:good|well|liked?|best|positive|enjoy\w*|happy|pleased|great|helpful|excellent|"
    r"valu\w*|right|impress\w*|satisf\w*|praise|compliment\w*)\b"
)


def classify_question(text: object) -> QuestionKind:
    """What a question asks for: ``improve``, ``positive`` or ``other``.

    ``improve`` asks for what to improve or what went wrong ("What could we do better?",
    "How could we improve?", "Is there anything we could change?", "Anything else?",
    "What did you not like?"); ``positive`` asks what was good ("What was good?", "What
    did we do well?", "What did you like best?"); a question that asks both, or neither
    ("Please tell us why you gave your answer"), is ``other``.
    """
    key = answer_key(text)
    improve = bool(_IMPROVE.search(key) or _NEGATED_POSITIVE.search(key))
    positive = bool(_POSITIVE.search(_NEGATED_POSITIVE.sub(" ", _POLITE_LIKE.sub(" ", key))))
    if improve and not positive:
        return "improve"
    if positive and not improve:
        return "positive"
    return "other"


#: Bare short answers that mean "nothing" (compared by :func:`answer_key`).
_NOTHING = frozenset({
    "nothing", "none", "no", "nope", "nil", "nothing really", "none really", "nothing much",
    "not really", "nothing at all", "none at all", "no nothing", "not a thing", "not anything",
    "nothing thanks", "nothing thank you", "no thanks", "no thank you", "none thanks",
    "none thank you",
    "nothing else", "nothing more", "nothing i can think of", "cant think of anything",
    "cannot think of anything", "nothing comes to mind", "no not really",
})  # fmt: skip
#: Bare short answers that mean "everything".
_EVERYTHING = frozenset({
    "everything", "all", "all of it", "all of them", "everything really", "the lot",
    "every thing", "everything thanks", "everything thank you",
})  # fmt: skip
#: The phrase a short answer is modelled as, by the kind of question it answers.
_READ_AS: dict[tuple[str, str], str] = {
    ("improve", "nothing"): "Nothing to improve",
    ("improve", "everything"): "Everything could be improved",
    ("positive", "nothing"): "Nothing was good",
    ("positive", "everything"): "Everything was good",
}


def short_answer_kind(text: object) -> ShortKind | None:
    """``nothing`` ("Nothing", "No", "None", "Not really"), ``everything`` or None."""
    key = answer_key(text)
    if key in _NOTHING:
        return "nothing"
    if key in _EVERYTHING:
        return "everything"
    return None


def read_with_question(text: object, kind: QuestionKind) -> str | None:
    """The explicit phrase a short answer means given its question's kind, or None.

    "Nothing" to an improvement question is "Nothing to improve" (a satisfied answer);
    to "What was good?" it is "Nothing was good"; "Everything" is "Everything was good"
    or "Everything could be improved". Longer answers, and answers to questions of kind
    ``other``, are None (left as they are).
    """
    short = short_answer_kind(text)
    return None if short is None else _READ_AS.get((kind, short))


_KIND_TEXT = {
    "improve": "what to improve: a bare 'Nothing' is read as 'Nothing to improve'",
    "positive": "what was good: a bare 'Nothing' is read as 'Nothing was good'",
    "other": "neither what to improve nor what was good: short answers are left as they are",
}


def read_with_questions(
    texts: pd.Series, status: pd.Series, questions: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Read each short answer with its question: the texts and statuses to model.

    Each distinct question is classified once (:func:`classify_question`, logged); a
    short answer (:func:`short_answer_kind`) whose status is ``ok`` or ``filler`` is
    replaced by the phrase it means there (:func:`read_with_question`) and becomes
    ``ok``. Other rows are unchanged: a listed non-answer stays ``missing``.

    Args:
        texts: the answers.
        status: each answer's status so far, same index.
        questions: the question each row answers, same index.

    Returns:
        ``(texts, status)``, same index as ``texts``.
    """
    questions = questions.astype(str)
    kinds: dict[str, QuestionKind] = {}
    for q, n in questions.value_counts().sort_index().items():
        kinds[str(q)] = classify_question(q)
        logger.info("question %r (%d rows) asks %s", q, n, _KIND_TEXT[kinds[str(q)]])
    read = [
        read_with_question(t, kinds[q]) if st in ("ok", "filler") else None
        for t, st, q in zip(texts, status.astype(str), questions, strict=True)
    ]
    phrase = pd.Series(read, index=texts.index, dtype=object)
    hit = phrase.notna()
    if hit.any():
        logger.info(
            "%d short answers read with their question (e.g. %r as %r)",
            int(hit.sum()),
            str(texts[hit].iloc[0]),
            str(phrase[hit].iloc[0]),
        )
    return texts.where(~hit, phrase), status.where(~hit, "ok")
