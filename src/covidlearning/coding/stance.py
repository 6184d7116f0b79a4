"""Sentiment and stance: "what to keep" versus "what not to repeat", per text and per theme.

Sentiment is the package's one VADER reading (:func:`covidlearning.nlp.sentiment.compound`,
re-exported here as :func:`compound`), from -1 (most negative) to +1 (most positive):
"Nothing to improve" and "Nothing, all excellent" are not complaints, "Better signage" not
praise.

Stance says whether a text argues for keeping something or against repeating it.
Staff learning exercises ask exactly that ("what do we want to keep, and what should
not be repeated?"), and people answer with recognisable phrases, so stance is decided
in this order:

1. **Cue phrases in the text.** "keep", "continue", "retain", "sustain", "build on",
   "worth keeping", "here to stay", "hope this continues", "don't lose" count for
   *keep*; "not (be) repeated", "never again", "never bring/let/go back",
   "go back to", "return to the old", "not reinstate", "mustn't forget", "must avoid",
   "should stop" count for *not repeat* (descriptive "stopped" or "avoided" do
   not). Each phrase is matched on word boundaries; a text
   with more cues of one kind takes that stance, a tie is ``mixed``.
2. **Cue phrases in the section heading** the text sits under (documents such as the
   LSBU survey report group their "we mustn't forget" items under one heading).
3. **Sentiment** when no cue is present: compound >= ``positive`` (default 0.35)
   reads as *keep* (a good experience people want to hold on to); compound <=
   ``negative`` (default -0.2) as *not repeat*; anything between is ``neutral``.

``stance_source`` records which rule decided, so a reader can audit every call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from covidlearning.nlp.sentiment import compound

KEEP = "keep"
NOT_REPEAT = "not repeat"
MIXED = "mixed"
NEUTRAL = "neutral"
#: Display order of stances in tables and figures.
STANCES = (KEEP, NOT_REPEAT, MIXED, NEUTRAL)

_APOS = "['\u2019]"
KEEP_CUES: tuple[str, ...] = (
    r"keep(?:s|ing)?",
    r"kept",
    r"continu(?:e|es|ed|ing)",
    r"retain(?:s|ed|ing)?",
    r"sustain(?:s|ed|ing)?",
    r"maintain(?:s|ed|ing)?",
    r"build(?:ing)? on",
    r"hold on to",
    r"lock(?:ed)? in",
    r"embed(?:s|ded|ding)?",
    r"here to stay",
    r"worth keeping",
    r"(?:do not|don" + _APOS + r"t|must not|mustn" + _APOS + r"t|not) lose",
)
NOT_REPEAT_CUES: tuple[str, ...] = (
    r"(?:not|never) (?:be )?repeat(?:ed)?",
    r"never again",
    r"never (?:bring|let|go|going) back",
    r"(?:go|going|went|move|moving) back to",
    r"return to the old",
    r"should(?:n" + _APOS + r"t| not) return",
    r"not reinstate",
    r"(?:must not|mustn" + _APOS + r"t|must never|should not|shouldn" + _APOS + r"t) forget",
    r"(?:should|must|need to|needs to|have to|let" + _APOS + r"s) (?:avoid|stop)",
    r"(?:do not|don"
    + _APOS
    + r"t|never|not) (?:want|wish) (?:to )?(?:see )?(?:that|this|it) again",
)


def _compile(cues: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?i)(?<![\w-])(?:" + "|".join(cues) + r")(?![\w-])")


_KEEP_RE = _compile(KEEP_CUES)
_NOT_RE = _compile(NOT_REPEAT_CUES)


@dataclass(frozen=True)
class Stance:
    """The stance of one text and why."""

    stance: str
    source: str
    keep_cues: int
    not_repeat_cues: int
    compound: float


def _by_cues(keep: int, not_repeat: int) -> str | None:
    if keep > not_repeat:
        return KEEP
    if not_repeat > keep:
        return NOT_REPEAT
    if keep:
        return MIXED
    return None


def stance(
    text: str,
    section: str = "",
    positive: float = 0.35,
    negative: float = -0.2,
) -> Stance:
    """Classify one text as keep, not repeat, mixed or neutral (see the module docstring).

    Args:
        text: the text.
        section: the heading path it sits under (may be empty).
        positive: compound at or above which an uncued text reads as *keep*.
        negative: compound at or below which an uncued text reads as *not repeat*.
    """
    text = text if isinstance(text, str) else ""
    score = compound(text)
    k, n = len(_KEEP_RE.findall(text)), len(_NOT_RE.findall(text))
    decided = _by_cues(k, n)
    if decided is not None:
        return Stance(decided, "cue in text", k, n, score)
    if isinstance(section, str) and section:
        decided = _by_cues(len(_KEEP_RE.findall(section)), len(_NOT_RE.findall(section)))
        if decided is not None and decided != MIXED:
            return Stance(decided, "cue in section heading", k, n, score)
    if score >= positive:
        return Stance(KEEP, "positive sentiment", k, n, score)
    if score <= negative:
        return Stance(NOT_REPEAT, "negative sentiment", k, n, score)
    return Stance(NEUTRAL, "no cue, mild sentiment", k, n, score)


def score_texts(
    frame: pd.DataFrame,
    text_column: str = "text",
    section_column: str | None = "section",
    id_column: str = "id",
) -> pd.DataFrame:
    """Return ``id``, ``compound``, ``stance``, ``stance_source`` and cue counts per row.

    Args:
        frame: the analysed texts.
        text_column: column of text.
        section_column: column of heading paths, if any (ignored when absent).
        id_column: column of ids carried into the output.
    """
    sections = (
        frame[section_column].fillna("").astype(str).tolist()
        if section_column and section_column in frame.columns
        else [""] * len(frame)
    )
    rows = []
    for text, section in zip(frame[text_column].tolist(), sections, strict=True):
        s = stance(text, section)
        rows.append((s.compound, s.stance, s.source, s.keep_cues, s.not_repeat_cues))
    out = pd.DataFrame(
        rows, columns=["compound", "stance", "stance_source", "keep_cues", "not_repeat_cues"]
    )
    out.insert(0, "id", frame[id_column].astype(str).to_numpy())
    out["compound"] = out["compound"].round(4)
    return out


def by_theme(scored: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """Summarise stance and sentiment per theme.

    Args:
        scored: output of :func:`score_texts` (``id``, ``compound``, ``stance``).
        assignments: ``id``, ``topic`` and ``label`` per text (unassigned rows dropped).

    Returns:
        One row per theme: ``topic``, ``label``, ``n``, counts and shares of each stance,
        ``mean_compound`` and ``median_compound``; ordered by topic.
    """
    a = assignments[["id", "topic", "label"]].copy()
    a["id"] = a["id"].astype(str)
    a = a[a["topic"].notna() & (a["topic"].astype(str) != "")]
    merged = a.merge(scored, on="id", how="inner")
    rows = []
    for (topic, label), g in merged.groupby(["topic", "label"], sort=True):
        row: dict[str, object] = {"topic": topic, "label": label, "n": len(g)}
        for st in STANCES:
            c = int((g["stance"] == st).sum())
            row[f"{st}_n"] = c
            row[f"{st}_share"] = round(c / len(g), 4) if len(g) else 0.0
        row["mean_compound"] = round(float(g["compound"].mean()), 4)
        row["median_compound"] = round(float(g["compound"].median()), 4)
        rows.append(row)
    cols = ["topic", "label", "n"]
    cols += [f"{st}_{k}" for st in STANCES for k in ("n", "share")]
    cols += ["mean_compound", "median_compound"]
    return pd.DataFrame(rows, columns=cols)
