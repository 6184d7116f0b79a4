"""Repair what an export did to an answer's characters, before anything reads it.

:func:`normalise_answer` is the one normalisation every table's free text goes through
(:func:`covidlearning.corpus.load.clean_table`): mojibake fixed (ftfy), whitespace collapsed,
and the *shifted capital i* repaired.

**The shifted capital i.** Some exports (an over-eager "i" to "I" replacement, or a
keyboard setting) give answers in which lower-case ``i`` is written as ``I``:
"NothIng could be better", "Good sessIon, well delIvered". Quoted in a report they read as
broken, and the capitals mislead rules that read capitals (names, sentence starts). An answer
is repaired only when it shows the damage itself: it writes an ``I`` straight after a
lower-case letter ("sessIon") or between a word's first capital and a lower-case letter
("FIne"), which English does not, at least as often as it writes a lower-case
``i`` (some exports shift most of an answer's i's, not all). Each
answer is judged on its own, so the repair does not depend on the other rows, their order
or how the table is partitioned. In such an answer an ``I`` stays a capital where it may be
one: the pronoun ("I", "I'm"), a word in capitals ("ICU", "INR"), a word that starts a
sentence, and a word that starts with it mid-sentence unless it is an English word and no
listed name ("is", "improve"; :mod:`covidlearning.nlp.names`), since "Ian", "Irene" or
"Iris" must keep the capital that marks a name for redaction.
Every other ``I`` becomes ``i``: "Nothing could be better", "Good session, well delivered".
Letter case is all that changes, so the texts' keys, duplicates and (uncased) embeddings
are the same.
"""

from __future__ import annotations

import re

#: Words starting with "i" that are never names, contractions included: their capital is
#: lowered mid-sentence, as is any other English word that is no listed name.
_FUNCTION_WORDS_I = frozenset(
    "if in inside instead into is isn't it it'd it'll it's its itself".split()
)
#: An "I" after a lower-case letter ("sessIon"), or second in a word after a capital and
#: before a lower-case letter ("FIne", "DIffIcult"; an acronym's "UTIs" is neither).
_SHIFTED = re.compile(r"[a-z]I|\b[A-Z]I(?=[a-z])")
#: Endings of English words (derived forms the word list may lack) that no name has.
_WORD_ENDINGS = (
    "ive", "ives", "able", "ible", "tion", "tions", "sion", "ency", "ancy", "ence", "ance",
    "ment", "ments", "ness", "ity", "ities", "ous", "ing", "ings", "ed", "ly", "ful",
)  # fmt: skip
_WORD = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)?")
#: A word after one of these (or at the start) starts a sentence or a quotation.
_OPENERS = '.!?:;("\u201c\u2018['


def _never_a_name(word: str) -> bool:
    """Whether a word starting with "I" is an English word and no listed name.

    "Is", "Improve" (listed words) and "Informative", "Inconsistency" (a word's ending that
    no name has) are; "Ian", "Imran", "Iris", "Ivy" (names too) and other words are not, so
    they keep the capital a name may need.
    """
    from covidlearning.nlp.names import name_lists

    low = word.lower().replace("\u2019", "'")
    if low in _FUNCTION_WORDS_I:
        return True
    lists = name_lists()
    cap = low.capitalize()
    if any(cap in lists[key] for key in ("given_names", "ambiguous_given_names", "surnames")):
        return False
    return low in lists["english_words"] or (len(low) >= 7 and low.endswith(_WORD_ENDINGS))


def has_shifted_i(text: str) -> bool:
    """Whether ``text`` writes lower-case "i" as "I" (module docstring).

    True when it has an "I" straight after a lower-case letter at least once, and at least
    as often as a lower-case "i".
    """
    shifted = len(_SHIFTED.findall(text))
    return shifted > 0 and shifted >= text.count("i")


def repair_shifted_i(text: str) -> str:
    """``text`` with a shifted capital i repaired (module docstring); other texts unchanged.

    >>> repair_shifted_i("NothIng. It Is perfect, I'm happy wIth the ICU")
    "Nothing. It is perfect, I'm happy with the ICU"
    """
    if not has_shifted_i(text):
        return text

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if "I" not in word or not any(c.islower() for c in word):
            return word  # no capital i, or a word in capitals ("I", "ICU")
        head = word[0]
        rest = "".join(
            "i"
            if c == "I" and (word[k].islower() or (k == 0 and word[k + 2 : k + 3].islower()))
            else c
            for k, c in enumerate(word[1:])
        )
        if head == "I" and re.split("['\u2019]", word)[0] != "I":
            before = text[: m.start()].rstrip()
            sentence_start = not before or before[-1] in _OPENERS
            if not sentence_start and _never_a_name(word):
                head = "i"
        return head + rest

    return _WORD.sub(fix, text)


def normalise_answer(text: str) -> str:
    """One answer as the analysis reads it: mojibake fixed, spaces collapsed, case repaired."""
    import ftfy

    return repair_shifted_i(" ".join(ftfy.fix_text(text).split()))
