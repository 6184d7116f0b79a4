"""The texts discovery models: which rows of a loaded table are usable, and are there enough.

Owns the size limits (:data:`MIN_TEXTS`, :data:`MIN_TEXTS_FOR_THEMES`), the check of a
frame from :func:`covidlearning.corpus.load.load_table` (:func:`usable_rows`,
:func:`check_usable`) and the usable texts in the form the later steps read
(:class:`Texts`, :func:`usable_texts`). It imports numpy, pandas, the package's errors
and the name of the document column (:mod:`covidlearning.nlp.context`); no other step.

Public API: :data:`MIN_TEXTS`, :data:`MIN_TEXTS_FOR_THEMES`, :func:`usable_rows`,
:func:`check_usable`, :class:`Texts`, :func:`usable_texts`, :func:`text_key`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from covidlearning.errors import InputError
from covidlearning.nlp.context import DOCUMENT_COLUMN

#: Fewer usable texts than this is bad input (InputError, exit 2).
MIN_TEXTS = 3
#: Fewer usable texts than this gives "no themes found" (files written, no crash).
MIN_TEXTS_FOR_THEMES = 8


def usable_rows(frame: pd.DataFrame) -> pd.Series:
    """Mask of the rows whose status is ``ok``.

    Raises:
        InputError: ``frame`` is not what ``load_table`` returns (no ``id``, ``text`` or
            ``status`` column).
    """
    for col in ("id", "text", "status"):
        if col not in frame.columns:
            raise InputError(
                f"discover needs a frame from load_table (missing column '{col}')",
                "Load the table with covidlearning.load_table",
            )
    return frame["status"].astype(str) == "ok"


def check_usable(frame: pd.DataFrame, name: str = "input") -> int:
    """Return the number of usable texts; raise InputError when fewer than MIN_TEXTS.

    Raises:
        InputError: fewer than :data:`MIN_TEXTS` texts remain after excluding
            empty, missing, filler and digits-only answers and repeated non-answers.
    """
    ok = usable_rows(frame)
    n_ok = int(ok.sum())
    if n_ok < MIN_TEXTS:
        reasons = frame.loc[~ok, "status"].value_counts().to_dict()
        detail = ", ".join(f"{v} {k}" for k, v in sorted(reasons.items())) or "none excluded"
        raise InputError(
            f"{name} has {n_ok} usable texts after excluding empty answers and non-answers "
            f"({detail}); at least {MIN_TEXTS} are needed",
            "Check --text-column points at the free-text answers",
        )
    return n_ok


def text_key(text: str) -> str:
    """What copies of a text share: its words, lower-cased, one space apart."""
    return " ".join(str(text).lower().split())


@dataclass(frozen=True)
class Texts:
    """The usable rows of a table, as the discovery steps read them.

    Attributes:
        frame: the whole table (every row keeps its row in the assignments).
        ok: mask of its usable rows.
        docs: their texts, in input order.
        ids: their ids.
        documents: each one's document (``doc_id``) when the table has that column.
        excluded: how many rows were left out, by status (sorted by status).
    """

    frame: pd.DataFrame
    ok: pd.Series
    docs: list[str]
    ids: list[str]
    documents: np.ndarray | None
    excluded: dict[str, int]

    @property
    def n(self) -> int:
        """The number of usable texts."""
        return len(self.docs)

    @functools.cached_property
    def own_words(self) -> np.ndarray:
        """Mask of the usable texts modelled as the respondent wrote them.

        False for a short answer read with its question ("Nothing" modelled as "Nothing
        to improve"): quoted, it says little.
        """
        if "original_text" not in self.frame.columns:
            return np.ones(self.n, dtype=bool)
        rows = self.frame.loc[self.ok]
        return rows["text"].astype(str).to_numpy() == rows["original_text"].astype(str).to_numpy()

    @functools.cached_property
    def keys(self) -> list[str]:
        """Each text's :func:`text_key`, in input order (copies share one)."""
        return [text_key(d) for d in self.docs]

    @property
    def n_distinct(self) -> int:
        """The number of different texts (lower-cased, whitespace collapsed)."""
        return len(set(self.keys))


def usable_texts(frame: pd.DataFrame) -> Texts:
    """The usable texts of a frame from ``load_table``.

    Raises:
        InputError: the frame lacks a column, or has fewer than :data:`MIN_TEXTS`
            usable texts (:func:`check_usable`).
    """
    ok = usable_rows(frame)
    check_usable(frame)
    excluded = frame.loc[~ok, "status"].value_counts().sort_index().to_dict()
    return Texts(
        frame=frame,
        ok=ok,
        docs=frame.loc[ok, "text"].astype(str).tolist(),
        ids=frame.loc[ok, "id"].astype(str).tolist(),
        documents=frame.loc[ok, DOCUMENT_COLUMN].to_numpy() if DOCUMENT_COLUMN in frame else None,
        excluded={str(k): int(v) for k, v in excluded.items()},
    )
