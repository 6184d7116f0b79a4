"""The shipped lists of personal names, and whether a word or term looks like a name.

Owns reading ``resources/names/`` (given names, ambiguous given names, surnames, common
and English words; see its ``SOURCES.md``) and :func:`is_name_like`, the test a topic
term must fail before it may become a keyword, a label or a saved-model vocabulary term.
Shared by :mod:`covidlearning.themes` (vocabulary filter) and :mod:`covidlearning.privacy`
(redaction and the final guard); imports nothing of covidlearning.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

#: Words of the redaction placeholders ([NAME], [NHS NUMBER] ...): never a name.
PLACEHOLDER_WORDS = frozenset(
    {"Nhs", "Number", "Phone", "Email", "Postcode", "Url", "Name", "Address", "Place", "Ref"}
)

_WORD_RE = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*")


@functools.lru_cache(maxsize=1)
def name_lists() -> dict[str, frozenset[str]]:
    """The shipped lists by file stem (names capitalised, words lower case).

    Keys: ``given_names``, ``ambiguous_given_names``, ``surnames``, ``common_words``,
    ``english_words``.
    """
    folder = resources.files("covidlearning") / "resources" / "names"
    out = {}
    for key in (
        "given_names",
        "ambiguous_given_names",
        "surnames",
        "common_words",
        "english_words",
    ):
        text = (folder / f"{key}.txt").read_text(encoding="utf-8")
        out[key] = frozenset(line.strip() for line in text.splitlines() if line.strip())
    return out


def _cap(word: str) -> str:
    """``o'neill`` -> ``O'Neill``, ``anne-marie`` -> ``Anne-Marie``, ``SMITH`` -> ``Smith``."""
    return re.sub(r"(^|[-'’])(\w)", lambda m: m.group(1) + m.group(2).upper(), word.lower())


def is_name_word(word: str) -> bool:
    """True if one word (any case) is a listed given name or surname, not an English word.

    Hyphenated words count when any part is such a name (``smith-jones``); apostrophes
    are kept (``o'neill``). ``care``, ``grace``, ``will`` are English words: not names.
    """
    lists = name_lists()
    low = word.lower().strip("'’")
    if not low or low in lists["english_words"] or low in lists["common_words"]:
        return False
    cap = _cap(low)
    if cap in PLACEHOLDER_WORDS:
        return False
    if cap in lists["given_names"] or cap in lists["surnames"]:
        return True
    if "-" in low:
        return any(is_name_word(part) for part in low.split("-") if len(part) > 1)
    return False


def is_name_like(term: str) -> bool:
    """True if a keyword (any case, possibly a phrase) holds a listed name.

    A listed given name or surname that is not also an English word: ``"jane"``,
    ``"dr okafor"``, ``"anne-marie"``; not ``"care"`` or ``"coffee"``. For filtering topic
    keywords, which are lower case and so escape the rules for capitalised names.
    """
    return any(is_name_word(w) for w in _WORD_RE.findall(term))
