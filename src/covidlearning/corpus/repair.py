"""Repair what an export did to an answer's characters, before anything reads it.

:func:`normalise_answers` is the one normalisation every table's free text goes through
(:func:`covidlearning.corpus.load.clean_table`): mojibake fixed (ftfy), the *shifted capital
i* repaired, then whitespace collapsed (:func:`normalise_answer` for one answer).

**The shifted capital i.** Some exports (an over-eager "i" to "I" replacement, or a
keyboard setting) give answers in which lower-case ``i`` is written as ``I``:
"NothIng could be better", "Good sessIon, well delIvered". Quoted in a report they read as
broken, and the capitals mislead rules that read capitals (names, sentence starts). An answer
is repaired only when it shows the damage itself: it writes an ``I`` straight after a
lower-case letter ("sessIon"; not "McIntyre") or between a word's first capital and
lower-case letters ("FIne", "BIg"; not an acronym's plural, "PIs", "UTIs"), which English
does not, at least as often as it writes a lower-case ``i`` (some exports shift most of an
answer's i's, not all). Each
answer is judged on its own, so the repair does not depend on the other rows, their order
or how the table is partitioned. In such an answer an ``I`` stays a capital where it may be
one: the pronoun ("I", "I'm"), a word in capitals ("ICU", "INR"), a word that starts a
sentence, a line or a bullet, and a word that starts with it mid-sentence unless it is an
ordinary word, no listed name and not followed by another capitalised word ("is",
"improve", "informative"; :mod:`covidlearning.nlp.names`), since "Ian", "Inès", "Iris",
"Ipswich" or "Intensive Care" must keep the capital that marks a name or a place for
redaction.
Every other ``I`` becomes ``i``: "Nothing could be better", "Good session, well delivered".
Letter case is all that changes, so the texts' keys, duplicates and (uncased) embeddings
are the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: Words starting with "i" that are never names, contractions included: their capital is
#: lowered mid-sentence, as is any other ordinary word that is no listed name.
_FUNCTION_WORDS_I = frozenset(
    "if in inside instead into is isn't it it'd it'll it's its itself".split()
)
#: Endings of English words (derived forms the word lists may lack) that no name or place
#: starting with "I" has ("Informative", "Inconsistency"; not "-ness": "Inverness").
_WORD_ENDINGS = (
    "ive", "ives", "able", "ible", "tion", "tions", "sion", "ency", "ancy", "ence", "ance",
    "ment", "ments", "ity", "ities", "ous", "ing", "ings", "ed", "ly", "ful",
)  # fmt: skip
#: A word: letters of any alphabet ("Inès"), with one apostrophe ("I'm", "isn't").
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")
#: A word or line after one of these (or at the start) starts a sentence or a quotation.
_OPENERS = '.!?:;("\u201c\u2018['
#: After a space, these start a bullet or a clause ("- Improve the service").
_BULLETS = "-*\u2022\u2013\u2014"
#: The next word is capitalised ("Ipswich Hospital", "Intensive Care"): a name's run
#: (a capital "I" there may be the damage itself: "It Is").
_NEXT_CAPITALISED = re.compile(r"[ \t]+(?!I)[^\W\d_a-z](?=[^\W\d_A-Z])")


def _shifted(word: str) -> list[int]:
    """Positions of the shifted capital i's in one word (module docstring)."""
    out = []
    for k in range(1, len(word)):
        if word[k] != "I":
            continue
        if word[k - 1].islower() and word[:k] not in ("Mc", "Mac"):
            out.append(k)  # "sessIon", not "McIntyre"
        elif k == 1 and word[0].isupper() and _lower_after(word[2:]):
            out.append(k)  # "FIne", "BIg", not an acronym's plural "PIs"
    return out


def _lower_after(rest: str) -> bool:
    """Lower-case letters (its own shifted i's aside) and no acronym's plural "s"."""
    return rest.replace("I", "i").islower() and rest != "s"


def _lowered(word: str) -> str:
    """The word in lower case, with a straight apostrophe ("It\u2019s" -> "it's")."""
    return word.lower().replace("\u2019", "'")


def _function_word(word: str) -> bool:
    """A function word ("is", "in", "it's" ...): never a name, nor part of one."""
    return _lowered(word) in _FUNCTION_WORDS_I


def _never_a_name(word: str) -> bool:
    """Whether a word starting with "I" is an ordinary word and no listed name.

    "Is", "Improve" (ordinary words) and "Informative", "Inconsistency" (a word's ending
    that no name has) are; "Ian", "Imran", "Iris", "Ivy" (names too), "Ipswich" and other
    words are not, so they keep the capital a name or a place may need.
    """
    from covidlearning.nlp.names import name_lists

    low = _lowered(word)
    if low in _FUNCTION_WORDS_I:
        return True
    lists = name_lists()
    cap = low.capitalize()
    if any(cap in lists[key] for key in ("given_names", "ambiguous_given_names", "surnames")):
        return False
    return low in lists["common_words"] or (len(low) >= 7 and low.endswith(_WORD_ENDINGS))


def has_shifted_i(text: str) -> bool:
    """Whether ``text`` writes lower-case "i" as "I" (module docstring).

    True when it has an "I" straight after a lower-case letter ("sessIon") or between a
    word's first capital and lower-case letters ("FIne") at least once, and at least as
    often as a lower-case "i".
    """
    if "I" not in text:
        return False
    shifted = sum(len(_shifted(m.group(0))) for m in _WORD.finditer(text))
    return shifted > 0 and shifted >= text.count("i")


def _starts_clause(text: str, start: int) -> bool:
    """Whether the word at ``start`` starts the text, a sentence, a line or a bullet."""
    i = start
    while i > 0 and text[i - 1].isspace():
        i -= 1
    if i == 0 or "\n" in text[i:start]:
        return True
    return text[i - 1] in _OPENERS or (i < start and text[i - 1] in _BULLETS)


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
        chars = list(word)
        for k in _shifted(word):
            chars[k] = "i"
        if (
            word[0] == "I"
            and re.split("['\u2019]", word)[0] != "I"  # the pronoun: "I", "I'm"
            and not _starts_clause(text, m.start())
            and (_function_word(word) or not _NEXT_CAPITALISED.match(text, m.end()))
            and _never_a_name(word)
        ):
            chars[0] = "i"
        return "".join(chars)

    return _WORD.sub(fix, text)


def fix_characters(text: str) -> str:
    """Mojibake and odd characters fixed (ftfy); letters, case and spacing otherwise kept."""
    import ftfy

    return ftfy.fix_text(text)


def collapse_spaces(text: str) -> str:
    """Runs of spaces and line breaks as one space, none at either end."""
    return " ".join(text.split())


def normalise_answer(text: str) -> str:
    """One answer as the analysis reads it: characters fixed, case repaired, spaces collapsed.

    Case is repaired before spaces collapse, so a line break still starts a sentence.
    """
    return normalise_answers([text])[0][0]


def normalise_answers(texts: Sequence[str]) -> tuple[list[str], int]:
    """:func:`normalise_answer` of each answer, and how many had their case repaired."""
    out, repaired = [], 0
    for text in texts:
        fixed = fix_characters(text)
        cased = repair_shifted_i(fixed)
        repaired += cased != fixed
        out.append(collapse_spaces(cased))
    return out, repaired
