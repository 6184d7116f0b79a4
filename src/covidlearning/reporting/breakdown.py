"""Themes broken down by group and over time, with disclosure control; row accounting.

Counting works from the theme assignments (one row per response and theme: ``id``,
``topic``, ``label``) joined to the loaded responses (:func:`covidlearning.corpus.load.load_table`),
so it serves BERTopic discoveries and codebook coding alike. When the fitted BERTopic
model and its documents are at hand, BERTopic's ``topics_per_class`` and
``topics_over_time`` add keyword views (what each group or month said about a theme),
kept only for cells that pass disclosure control.

Every published table goes through :func:`covidlearning.privacy.disclosure.suppress`; the
raw counts stay on the :class:`Breakdown` object and are never written.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from covidlearning.privacy import disclosure
from covidlearning.reporting import figures

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from covidlearning.privacy.redact import Redactor

logger = logging.getLogger(__name__)

NO_DATE = "(no date)"
OUTLIER_LABEL = "Not assigned to a theme"


@dataclass
class Breakdown:
    """Theme counts for one grouping (a column, or time periods), ready to publish.

    Attributes:
        column: the grouping column (or the date column for time).
        table: tidy publishable table: ``group``, ``respondents``, ``topic``, ``theme``,
            ``count``, ``share``; suppressed figures are ``"*"``.
        wide: publishable group x theme counts, ``"*"`` where suppressed.
        counts: the raw counts behind ``wide``: NOT for publication.
        mask: True where a count is hidden.
        base_mask: True where a group's size is hidden.
        keywords: BERTopic keyword view per group/period and theme (unsuppressed cells
            only), or None when no model was given.
        figure: a matplotlib figure, or None when there was nothing to draw.
        statement: the disclosure rule applied, in plain English.
        notes: anything the reader should know (e.g. rows without a usable date).
        threshold: the disclosure threshold applied.
        freq: the period of an over-time breakdown (``""`` for groups).
        bases: respondents per group or period: NOT for publication.
        not_read: over time, analysed respondents whose date was given but could not
            be read (they are left out of the view).
    """

    column: str
    table: pd.DataFrame
    wide: pd.DataFrame
    counts: pd.DataFrame
    mask: pd.DataFrame
    base_mask: pd.Series
    keywords: pd.DataFrame | None = None
    figure: Figure | None = None
    statement: str = ""
    notes: list[str] = field(default_factory=list)
    threshold: int = disclosure.THRESHOLD
    freq: str = ""
    bases: pd.Series | None = None
    not_read: int = 0

    @property
    def suppressed_groups(self) -> list[str]:
        """Groups whose every figure is hidden (fewer respondents than the threshold)."""
        return [str(g) for g in self.mask.index if bool(self.mask.loc[g].all())]


# --------------------------------------------------------------------------- inputs
def assignments_of(result: Any) -> pd.DataFrame:
    """The analysed rows of a DiscoveryResult's assignments (or of an assignments table).

    Rows without a topic (excluded answers, kept in the assignments with an empty
    topic) are dropped; ids become strings and topics integers.
    """
    table = result if isinstance(result, pd.DataFrame) else getattr(result, "assignments", None)
    if table is None or not {"id", "topic"} <= set(table.columns):
        raise ValueError("need a DiscoveryResult or an assignments table with 'id' and 'topic'")
    topic = pd.to_numeric(table["topic"].astype("string").str.strip(), errors="coerce")
    table = table[topic.notna()].copy()
    table["topic"] = topic[topic.notna()].astype(int)
    table["id"] = table["id"].astype(str)
    if "label" not in table.columns:
        table["label"] = table["topic"].astype(str)
    table["label"] = table["label"].astype(str).where(table["topic"] != -1, OUTLIER_LABEL)
    return table


def single_theme(assign: pd.DataFrame) -> bool:
    """True when every respondent has one theme, so a group's theme counts add up to it."""
    return not bool(assign["id"].duplicated().any())


def _theme_order(assign: pd.DataFrame) -> tuple[list[int], dict[int, str]]:
    sizes = assign.groupby("topic")["id"].nunique()
    order = sorted(sizes.index, key=lambda t: (int(t) == -1, -sizes[t], int(t)))
    labels = assign.drop_duplicates("topic").set_index("topic")["label"].astype(str).to_dict()
    return [int(t) for t in order], {int(k): v for k, v in labels.items()}


def _count(
    assign: pd.DataFrame, groups: pd.Series, order: list[str] | None = None
) -> tuple[pd.DataFrame, pd.Series, dict[int, str]]:
    """Distinct respondents per group x topic, and per group (the base)."""
    joined = assign.merge(groups.rename("group").reset_index(), on="id", how="inner")
    cells = joined.groupby(["group", "topic"])["id"].nunique()
    return arrange_counts(assign, cells, joined.groupby("group")["id"].nunique(), order)


def arrange_counts(
    assign: pd.DataFrame, cells: pd.Series, bases: pd.Series, order: list[str] | None = None
) -> tuple[pd.DataFrame, pd.Series, dict[int, str]]:
    """Counts made in one process or on a cluster, as the tables a breakdown publishes.

    Args:
        assign: the analysed assignments (:func:`assignments_of`): the themes' order
            (largest first, not assigned last) and labels.
        cells: distinct respondents per (group, topic), a two-level index.
        bases: distinct respondents per group.
        order: the groups' order (default: largest first, then by name).

    Returns:
        group x topic counts (every theme a column, every group in ``order`` a row),
        the bases in that order, and each topic's label.
    """
    topics, labels = _theme_order(assign)
    counts = cells.unstack(-1, fill_value=0) if len(cells) else pd.DataFrame()
    counts = counts.reindex(columns=topics, fill_value=0)
    if order is None:
        order = sorted(bases.index, key=lambda g: (-bases[g], str(g)))
    counts = counts.reindex(index=order, fill_value=0).astype(int)
    bases = bases.reindex(order, fill_value=0).astype(int)
    counts.index.name = "group"
    counts.columns.name = "topic"
    return counts, bases, labels


def _publish(
    column: str,
    counts: pd.DataFrame,
    bases: pd.Series,
    labels: dict[int, str],
    threshold: int,
    secondary: bool,
    group_name: str = "group",
    additive_rows: bool = True,
    rounding: int = 1,
) -> Breakdown:
    """Suppress small cells and build the publishable tables of one breakdown.

    ``group_name`` names the group column of the published tables (``period`` for time);
    with ``rounding`` above 1 every published count and group size is rounded to a
    multiple of it, and shares are of the rounded figures.
    """
    mask, base_mask = disclosure.suppression_masks(
        counts, threshold, secondary, bases, additive_rows, exact_totals=rounding == 1
    )
    shown = counts.map(lambda v: disclosure.round_count(v, rounding))
    shown_bases = bases.map(lambda v: disclosure.round_count(v, rounding))
    wide = shown.astype(object).where(~mask, disclosure.SUPPRESSED)
    wide.columns = [labels.get(int(t), str(t)) for t in counts.columns]
    wide.insert(
        0, "respondents", shown_bases.astype(object).where(~base_mask, disclosure.SUPPRESSED)
    )
    wide = wide.reset_index()
    rows = []
    for g in counts.index:
        n = int(shown_bases[g])
        for t in counts.columns:
            hidden = bool(mask.loc[g, t])
            c = int(shown.loc[g, t])
            rows.append(
                {
                    "group_column": column,
                    "group": g,
                    "respondents": disclosure.SUPPRESSED if base_mask[g] else n,
                    "topic": int(t),
                    "theme": labels.get(int(t), str(t)),
                    "count": disclosure.SUPPRESSED if hidden else c,
                    # a share over a hidden group size would reveal that size
                    "share": disclosure.SUPPRESSED
                    if hidden or n == 0 or bool(base_mask[g])
                    else round(c / n, 4),
                }
            )
    cols = ["group_column", "group", "respondents", "topic", "theme", "count", "share"]
    table = pd.DataFrame(rows, columns=cols)
    if group_name != "group":
        table = table.rename(columns={"group": group_name})
        wide = wide.rename(columns={"group": group_name})
    return Breakdown(
        column=column,
        table=table,
        wide=wide,
        counts=counts,
        mask=mask,
        base_mask=base_mask,
        statement=disclosure.rule_statement(threshold, secondary, rounding),
        threshold=threshold,
        bases=bases,
    )


def _model_docs(result: Any) -> tuple[Any, list[str], list[str]] | None:
    model = getattr(result, "model", None)
    docs = getattr(result, "docs", None)
    ids = getattr(result, "doc_ids", None)
    if model is None or docs is None or ids is None or getattr(model, "topics_", None) is None:
        return None
    if len(model.topics_) != len(docs) or len(docs) != len(ids):
        return None
    _repair_vectorizer(model, list(docs))
    return model, list(docs), [str(i) for i in ids]


def _repair_vectorizer(model: Any, docs: list[str]) -> None:
    """Give a model loaded from safetensors its tokenizer back.

    BERTopic saves the vocabulary but not a custom tokenizer, so a reloaded
    ``CountVectorizer`` has neither tokenizer nor token pattern. Refitting the
    package's topic tokenizer on the same documents rebuilds the same terms.
    """
    vec = getattr(model, "vectorizer_model", None)
    if vec is None or getattr(vec, "tokenizer", None) is not None:
        return
    if getattr(vec, "token_pattern", None) is not None:
        return
    try:
        from covidlearning.nlp.text import TopicTokenizer

        vec.tokenizer = TopicTokenizer().fit(docs)
        vec.lowercase = False
    except ImportError:  # pragma: no cover - text.py ships with the package
        vec.token_pattern = r"(?u)\b\w\w+\b"


@dataclass
class ModelView:
    """A saved discovery's model with the documents it was fitted on, for keyword views."""

    assignments: pd.DataFrame
    model: Any
    docs: list[str]
    doc_ids: list[str]


def load_model_view(model_dir: str | Path, assignments: pd.DataFrame, frame: pd.DataFrame) -> Any:
    """Reload a saved discovery model so :func:`by_group`/:func:`over_time` add keywords.

    Args:
        model_dir: the discovery output folder (holding ``model/``) or ``model/`` itself.
        assignments: that run's assignments (``id``, ``topic``, ``label``).
        frame: the loaded responses (``id``, ``text``), in the order they were modelled.

    Returns:
        A :class:`ModelView`, or the analysed assignments alone when the model cannot be
        loaded or does not match the documents (breakdowns then have no keyword view).
    """
    assign = assignments_of(assignments)
    try:
        from covidlearning.themes.store import load_model

        model, _ = load_model(model_dir)
    except Exception as exc:  # noqa: BLE001 - keyword views are optional
        warnings.warn(f"keyword views skipped: cannot load the model ({exc})", stacklevel=2)
        return assign
    texts = frame.assign(id=frame["id"].astype(str)).set_index("id")["text"]
    ids = [i for i in assign["id"] if i in texts.index]
    docs = texts.loc[ids].astype(str).tolist()
    if getattr(model, "topics_", None) is None or len(model.topics_) != len(docs):
        warnings.warn("keyword views skipped: the model does not match the texts", stacklevel=2)
        return assign
    return ModelView(assign, model, docs, ids)


# --------------------------------------------------------------------------- by group
def group_key(value: object) -> str:
    r"""What two spellings of one group value share: case and spacing ignored.

    ``"Nursing\nand midwifery "`` and ``"nursing and Midwifery"`` are one group (an FFT
    question exported with and without a line break, a ward typed in capitals).
    """
    return " ".join(str(value).split()).casefold()


def merge_group_variants(
    frame: pd.DataFrame, columns: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Merge values of each group column that differ only in case or spacing.

    Each set of variants takes its most common spelling (spaces and line breaks made
    single spaces; ties: a mixed-case spelling, then the first in sorted order), so a
    group is never split in two identical-looking rows and never falls below the
    disclosure threshold for a stray space. Blank values are left as they are (they
    read as "not stated").

    Returns:
        A copy of ``frame`` with the values merged, and per column the sentences saying
        what was merged (``2 spellings of 'Nursing and midwifery' ... are counted as one
        group``), without row counts, which could give a small group's size away.
    """
    out = frame.copy()
    said: dict[str, list[str]] = {}
    for col in columns:
        if col not in out.columns:
            continue
        values = out[col]
        text = values.astype("string")
        usable = text.notna() & (text.str.strip() != "")
        if not usable.any():
            continue
        keys = text[usable].map(group_key)
        spelt = text[usable].map(lambda v: " ".join(str(v).split()))
        lines = []
        canon: dict[str, str] = {}
        for key, variants in text[usable].groupby(keys, sort=True):
            kinds = variants.value_counts()
            if len(kinds) > 1 or any(" ".join(v.split()) != v for v in kinds.index):
                tidy = spelt[variants.index].value_counts()
                best = min(tidy.index, key=lambda v: (-int(tidy[v]), v.isupper(), v.islower(), v))
                canon[key] = best
                if len(kinds) > 1:  # no row count: it could reveal a small group's size
                    lines.append(
                        f"{len(kinds)} spellings of '{best}' (differing only in capitals or "
                        "spaces) are counted as one group"
                    )
        if canon:
            merged = keys.map(canon)
            out.loc[merged.dropna().index, col] = merged.dropna()
        if lines:
            said[str(col)] = lines
            logger.info("%s: %s", col, "; ".join(lines))
    return out, said


def by_group(
    result: Any,
    frame: pd.DataFrame,
    column: str,
    threshold: int = disclosure.THRESHOLD,
    secondary: bool = disclosure.SECONDARY,
    keywords: bool = True,
    figure: bool = True,
    rounding: int = 1,
) -> Breakdown:
    """Theme counts and shares per value of ``column``, suppressed for publication.

    Args:
        result: a DiscoveryResult (``assignments``, and ``model``/``docs``/``doc_ids``
            for keywords) or an assignments table (``id``, ``topic``, ``label``).
        frame: the loaded responses (``id`` and ``column``), e.g. from ``load_table``.
        column: the grouping column (staff group, site, service...).
        threshold: minimum respondents behind a published figure.
        secondary: apply secondary suppression.
        keywords: add BERTopic's ``topics_per_class`` view when a model is available.
        figure: draw a heatmap of shares.
        rounding: round published counts and group sizes to a multiple of this.

    Raises:
        KeyError: ``column`` is not in ``frame``.
    """
    if column not in frame.columns:
        raise KeyError(f"grouping column {column!r} not found; columns: {', '.join(frame.columns)}")
    assign = assignments_of(result)
    groups = disclosure.group_labels(frame[column])
    groups.index = frame["id"].astype(str)
    groups.index.name = "id"
    counts, bases, labels = _count(assign, groups)
    # groups below the threshold are reported together, unnamed (privacy.disclosure)
    counts, bases, small = disclosure.merge_small_groups(counts, bases, threshold)
    if small:
        groups = groups.where(~groups.isin(small), disclosure.other_groups_label(threshold))
    bd = publish_by_group(
        column, counts, bases, labels, single_theme(assign), threshold, secondary, rounding
    )
    if keywords and (md := _model_docs(result)) is not None:
        model, docs, ids = md
        classes = [groups.get(i, disclosure.NOT_STATED) for i in ids]
        bd.keywords = _keywords(
            lambda: model.topics_per_class(docs, classes=classes), "Class", bd.mask, labels
        )
    if figure:
        bd.figure = heatmap(bd, f"Themes by {column.replace('_', ' ')}")
    return bd


def _keywords(
    compute: Any,
    key: str,
    mask: pd.DataFrame,
    labels: dict[int, str],
    to_label: Any = str,
) -> pd.DataFrame | None:
    """Run a BERTopic per-class/per-time call; keep rows whose cell is published."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kw = compute()
    except Exception as exc:  # noqa: BLE001 - the keyword view is optional
        warnings.warn(f"BERTopic keyword view skipped: {exc}", stacklevel=3)
        return None
    kw = kw.rename(columns={key: "group", "Topic": "topic", "Words": "keywords"})
    kw["group"] = kw["group"].map(to_label).astype(str)
    keep = []
    for g, t in zip(kw["group"], kw["topic"], strict=True):
        ok = g in mask.index and t in mask.columns and not bool(mask.loc[g, t])
        keep.append(ok)
    kw = kw[keep].copy()
    kw["keywords"] = kw["keywords"].map(_safe_terms)
    kw["theme"] = kw["topic"].map(lambda t: labels.get(int(t), str(t)))
    cols = ["group", "topic", "theme", "keywords"]
    return kw[cols].sort_values(["group", "topic"]).reset_index(drop=True)


def _safe_terms(keywords: Any) -> str:
    """Keywords as one string without name-like terms (a lower-case "jane" or "okafor")."""
    from covidlearning.privacy.redact import is_name_like

    terms = keywords if isinstance(keywords, list | tuple) else str(keywords).split(", ")
    return ", ".join(t for t in map(str, terms) if not is_name_like(t))


# --------------------------------------------------------------------------- over time
def parse_dates(
    values: pd.Series, dayfirst: bool = True, date_format: str | None = None
) -> pd.Series:
    """Parse a column of dates in any of the usual spreadsheet layouts, or refuse it.

    Reads ISO 8601, day-first (UK) or month-first text, ``Jul-19``, ``July 2019`` and
    Excel serial numbers, by the one rule :func:`covidlearning.reporting.dates.date_rule`
    decides for the column (the rule the report's input check applied), or strictly by
    ``date_format``. Unparseable or blank values, and dates before 1900 or after 2200,
    become ``NaT``.

    Raises:
        InputError: the column mixes day-first and month-first dates, its dates
            contradict ``dayfirst``, or too many do not fit ``date_format``.
    """
    from covidlearning.reporting.dates import read_dates

    return read_dates(values, dayfirst, date_format).dates


def period_labels(dates: pd.Series, freq: str) -> pd.Series:
    """Each date's period (``2021-03``, ``2021Q1``...) as text, :data:`NO_DATE` where none."""
    periods = dates.dt.to_period(freq)
    return periods.astype(str).where(periods.notna(), NO_DATE)


def period_order(labels: Iterable[str], freq: str) -> list[str]:
    """Every period from the first to the last of ``labels`` (the view's rows), as text."""
    seen = sorted(set(labels))
    if not seen:
        return []
    return pd.period_range(min(seen), max(seen), freq=freq).astype(str).tolist()


@dataclass(frozen=True)
class PeriodCounts:
    """What a view over time counts from the rows, in one process or on a cluster.

    Attributes:
        counts: distinct respondents per period (rows, every period from the first to
            the last) and theme (columns, in :func:`_theme_order`).
        bases: distinct respondents per period.
        labels: each theme's label.
        undated: analysed respondents without a usable date.
        not_read: of those, the ones whose date was given but could not be read.
    """

    counts: pd.DataFrame
    bases: pd.Series
    labels: dict[int, str]
    undated: int
    not_read: int


def publish_by_group(
    column: str,
    counts: pd.DataFrame,
    bases: pd.Series,
    labels: dict[int, str],
    single: bool,
    threshold: int = disclosure.THRESHOLD,
    secondary: bool = disclosure.SECONDARY,
    rounding: int = 1,
) -> Breakdown:
    """The publishable view by group of counts made by :func:`by_group` or a cluster.

    ``counts`` and ``bases`` have the small groups merged already
    (:func:`covidlearning.privacy.disclosure.merge_small_groups`); suppresses and rounds
    as :func:`_publish` and notes what is hidden.
    """
    bd = _publish(
        column, counts, bases, labels, threshold, secondary, additive_rows=single,
        rounding=rounding,
    )  # fmt: skip
    bd.notes.extend(hidden_notes(bd))
    return bd


def publish_over_time(
    date_column: str,
    freq: str,
    counted: PeriodCounts,
    rule: Any,
    single: bool,
    threshold: int = disclosure.THRESHOLD,
    secondary: bool = disclosure.SECONDARY,
    rounding: int = 1,
) -> Breakdown:
    """The publishable view over time of counts made by :func:`over_time` or a cluster.

    Suppresses and rounds as :func:`_publish`, and writes the notes: what is hidden,
    the date rule (:class:`covidlearning.reporting.dates.DateRule`) and the analysed
    responses left out for want of a date.
    """
    bd = _publish(
        date_column, counted.counts, counted.bases, counted.labels, threshold, secondary,
        "period", single, rounding,
    )  # fmt: skip
    bd.freq = freq.upper()[:1]
    bd.notes.extend(hidden_notes(bd))
    if said := rule.sentence():
        bd.notes.append(said)
    bd.not_read = counted.not_read
    if counted.undated:
        bd.notes.append(
            f"{counted.undated} analysed responses had no usable {date_column} and are left out"
            + (
                f" ({bd.not_read} of them hold a value that could not be read as a date)."
                if bd.not_read
                else "."
            )
        )
    return bd


def over_time(
    result: Any,
    frame: pd.DataFrame,
    date_column: str,
    freq: str = "M",
    threshold: int = disclosure.THRESHOLD,
    secondary: bool = disclosure.SECONDARY,
    dayfirst: bool = True,
    keywords: bool = True,
    figure: bool = True,
    date_format: str | None = None,
    rounding: int = 1,
) -> Breakdown:
    """Theme counts and shares per period (default month), suppressed for publication.

    Args:
        result: a DiscoveryResult or an assignments table (see :func:`by_group`).
        frame: the loaded responses with ``id`` and ``date_column``.
        date_column: the column of dates.
        freq: a pandas period frequency: ``"M"`` month, ``"Q"`` quarter, ``"W"`` week.
        threshold: minimum respondents behind a published figure.
        secondary: apply secondary suppression.
        dayfirst: read ``01/02/2021`` as 1 February.
        keywords: add BERTopic's ``topics_over_time`` view when a model is available.
        figure: draw theme shares over time.
        date_format: read every date strictly by this strptime format (None: detect).
        rounding: round published counts and period sizes to a multiple of this.

    The notes say by what rule the dates were read (when a date's day/month order
    mattered) and how many analysed responses have no usable date, and how many of
    those hold a value that could not be read; ``not_read`` holds that count.

    Raises:
        KeyError: ``date_column`` is not in ``frame``.
        InputError: the dates cannot be read by one rule (see :func:`parse_dates`).
    """
    if date_column not in frame.columns:
        raise KeyError(
            f"date column {date_column!r} not found; columns: {', '.join(frame.columns)}"
        )
    from covidlearning.reporting.dates import read_dates

    assign = assignments_of(result)
    reading = read_dates(frame[date_column], dayfirst, date_format, date_column)
    dates = reading.dates
    labels_s = period_labels(dates, freq)
    labels_s.index = frame["id"].astype(str)
    labels_s.index.name = "id"
    dated = labels_s[labels_s != NO_DATE]
    order = period_order(dated[dated.index.isin(assign["id"])], freq)
    counts, bases, labels = _count(assign, dated, order=order)
    undated = int(assign.loc[~assign["id"].isin(dated.index), "id"].nunique())
    unread = set(frame.loc[reading.not_read.to_numpy(), "id"].astype(str))
    not_read = int(assign.loc[assign["id"].isin(unread), "id"].nunique())
    bd = publish_over_time(
        date_column, freq, PeriodCounts(counts, bases, labels, undated, not_read),
        reading.rule, single_theme(assign), threshold, secondary, rounding,
    )  # fmt: skip
    mask = bd.mask
    if keywords and (md := _model_docs(result)) is not None:
        model, docs, ids = md
        stamp = dates.copy()
        stamp.index = frame["id"].astype(str)
        pairs = [(d, stamp.get(i)) for d, i in zip(docs, ids, strict=True)]
        keep = [k for k, (_, ts) in enumerate(pairs) if ts is not None and not pd.isna(ts)]
        if keep:
            topics = [model.topics_[k] for k in keep]
            ts = [pd.Period(pairs[k][1], freq=freq).start_time for k in keep]
            sub = [pairs[k][0] for k in keep]
            bd.keywords = _keywords(
                lambda: model.topics_over_time(sub, ts, topics=topics),
                "Timestamp",
                mask,
                labels,
                to_label=lambda ts: str(pd.Period(ts, freq=freq)),
            )
    if figure:
        bd.figure = timeline(bd, f"Themes over time ({_freq_name(freq)})")
    return bd


#: The next longer period, for the hint when most of an over-time view is hidden.
COARSER = {"W": "M", "M": "Q", "Q": "Y"}
#: Over time, the period is made longer (month, then quarter, then year) while more than
#: this share of its figures would be hidden; a chart is drawn only below it.
MOSTLY_HIDDEN = 0.5


def hidden_share(bd: Breakdown) -> float:
    """The share of a breakdown's theme figures that disclosure control hides."""
    return float(bd.mask.to_numpy().mean()) if bd.mask.size else 0.0


def readable_over_time(
    result: Any,
    frame: pd.DataFrame,
    date_column: str,
    freq: str = "M",
    threshold: int = disclosure.THRESHOLD,
    secondary: bool = disclosure.SECONDARY,
    dayfirst: bool = True,
    keywords: bool = True,
    figure: bool = True,
    date_format: str | None = None,
    rounding: int = 1,
) -> Breakdown:
    """:func:`over_time` by ``freq``, or by a longer period when most figures would hide.

    When more than :data:`MOSTLY_HIDDEN` of the figures by ``freq`` would be hidden, the
    next longer period is tried (week, month, quarter, year) until one shows most of
    them; the notes say which period was chosen and why. When even the year hides most,
    no chart is drawn (a line of gaps says nothing) and the notes say the table shows
    what can be published. Arguments as :func:`over_time`.
    """
    return choose_period(
        lambda f: over_time(
            result, frame, date_column, f, threshold, secondary, dayfirst, keywords, False,
            date_format, rounding,
        ),
        freq, threshold, figure,
    )  # fmt: skip


def choose_period(
    view: Callable[[str], Breakdown], freq: str, threshold: int, figure: bool = True
) -> Breakdown:
    """``view(freq)``, or ``view`` of a longer period while most of its figures hide.

    The rule of :func:`readable_over_time`, for any way of counting (``view`` gives the
    breakdown of one period, without a figure): in one process or on a cluster.
    """
    asked = freq.upper()[:1] or "M"
    bd = view(asked)
    first = hidden_share(bd)
    while hidden_share(bd) > MOSTLY_HIDDEN and COARSER.get(bd.freq):
        bd = view(COARSER[bd.freq])
    if bd.freq != asked:
        bd.notes.insert(
            0,
            f"Shown {_freq_name(bd.freq)}, not {_freq_name(asked)}: {first:.0%} of the "
            f"figures {_freq_name(asked)} would be hidden (fewer than {threshold} responses "
            "behind them), so a longer period was chosen.",
        )
    if hidden_share(bd) > MOSTLY_HIDDEN:
        bd.notes.append(
            f"Even {_freq_name(bd.freq)}, {hidden_share(bd):.0%} of the figures are hidden, "
            "so no chart is drawn: the table shows what can be published."
        )
    elif figure:
        bd.figure = timeline(bd, f"Themes over time ({_freq_name(bd.freq)})")
    return bd


def hidden_notes(bd: Breakdown) -> list[str]:
    """What a breakdown hides and why, in sentences that reveal no hidden figure.

    Names the groups (or periods) below the threshold, those large enough to count
    whose every theme figure is still hidden (each theme below the threshold there, or
    hidden so none can be worked out), and, when most of an over-time view is hidden,
    the longer period to use instead.
    """
    counts, mask, t = bd.counts, bd.mask, bd.threshold
    if counts.empty or mask.empty:
        return []
    bases = bd.bases if bd.bases is not None else counts.sum(axis=1)
    period = bool(bd.freq)
    what = "period" if period else f"{str(bd.column).replace('_', ' ')} group"
    small = [str(g) for g in counts.index if int(bases[g]) < t]
    full = [
        str(g) for g in counts.index if int(bases[g]) >= t and bool(mask.loc[g].to_numpy().all())
    ]
    notes = []
    if small:
        # the merged row of small groups is many groups: "have ... together"
        merged = small == [disclosure.other_groups_label(t)]
        one = len(small) == 1 and not merged
        notes.append(
            f"{_names(small)} {'has' if one else 'have'} fewer than {t} "
            f"{'responses' if period else 'respondents'}"
            + (" together" if merged else "")
            + f", so every figure for {'it' if one else 'them'} is hidden"
            + ("." if period else f" and no quote is taken from {'it' if one else 'them'}.")
        )
    # a group whose size is hidden (secondary suppression) hides its theme figures too
    sized = [g for g in full if bool(bd.base_mask.get(g, False))]
    for names, size_hidden in (([g for g in full if g not in sized], False), (sized, True)):
        if not names:
            continue
        one = len(names) == 1
        why = (
            f"{'its size is' if one else 'their sizes are'} hidden so that the size of the "
            f"smaller {'periods' if period else 'groups'} cannot be worked out from the "
            "total, and with it every theme figure that would add up to it."
            if size_hidden
            else f"each theme there has fewer than {t} responses, or is hidden so that none "
            "can be worked out from the totals."
        )
        notes.append(
            f"In {_names(names)} every theme figure is hidden although the {what}"
            f"{'' if one else 's'} {'is' if one else 'are'} large enough to count: {why}"
        )
    hidden = float(mask.to_numpy().mean()) if mask.size else 0.0
    if period and hidden > 0.5:
        longer = COARSER.get(bd.freq)
        notes.append(
            f"{hidden:.0%} of the figures {_freq_name(bd.freq)} are hidden, so this view says "
            "little"
            + (
                f"; a longer period shows more: set input.date_freq: {longer} in the config "
                f"(or run with -p time_period={longer})."
                if longer
                else "."
            )
        )
    return notes


def _names(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _freq_name(freq: str) -> str:
    return {"M": "by month", "Q": "by quarter", "W": "by week", "Y": "by year"}.get(
        freq.upper()[:1], freq
    )


# --------------------------------------------------------------------------- figures
#: Groups drawn side by side in one heatmap: more would shrink the figure's labels on a
#: page (the table beside it has every group).
MAX_FIGURE_GROUPS = 12


def heatmap(
    bd: Breakdown, title: str, max_themes: int = 30, max_groups: int = MAX_FIGURE_GROUPS
) -> Figure | None:
    """Shares of each group's respondents per theme; hidden cells blank with ``*``.

    Themes are rows and groups columns (as in the report's figure of themes by
    document), so a long list of themes runs down the page rather than across it.
    Drawn by :func:`covidlearning.reporting.figures.heatmap`, in the report's style.
    Every theme is drawn up to ``max_themes`` and the largest groups up to
    ``max_groups``; beyond that the title says the figure shows the largest and the
    table has all.
    """
    counts = bd.counts
    if counts.empty or counts.shape[1] == 0:
        return None
    cut = []
    if len(counts) > max_groups:
        counts = counts.iloc[:max_groups]
        cut.append(f"largest {max_groups} groups")
    if counts.shape[1] > max_themes:
        cut.append(f"largest {max_themes} themes")
    if cut:
        title += f" ({' and '.join(cut)}; all are in the table)"
    cols = list(counts.columns[:max_themes])
    share = counts[cols].div(_respondents(bd, counts), axis=0)
    # a share over a hidden group size would reveal that size: the whole row is hidden
    hidden = (
        bd.mask.loc[counts.index, cols].to_numpy()
        | bd.base_mask.loc[counts.index].to_numpy()[:, None]
    )
    values = np.where(hidden, np.nan, share.to_numpy(dtype=float))
    text = np.vectorize(_cell_text, otypes=[object])(values, hidden)
    names = _theme_names(bd)
    base_col = bd.wide.set_index(bd.wide.columns[0])["respondents"]
    groups = [f"{g} (n={base_col.get(g, '*')})" for g in counts.index]
    themes = [names.get(int(t), str(t)) for t in cols]
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    return figures.heatmap(
        pd.DataFrame(values.T, index=themes, columns=groups),
        title,
        cbar_label="Share of the group's respondents",
        labels=pd.DataFrame(text.T, index=themes, columns=groups),
        vmin=0.0,
        vmax=max(0.05, top),
        percent=True,
        note="* hidden: based on too few respondents, or hidden so that it cannot be worked out.",
    )


def _cell_text(share: float, hidden: bool) -> str:
    """A heatmap cell's text: ``*`` when hidden, else the share as a percentage."""
    if hidden:
        return "*"
    return "" if share != share else f"{share:.0%}"


def _respondents(bd: Breakdown, counts: pd.DataFrame) -> pd.Series:
    """Respondents per row of ``counts`` (not the row sums: a response may carry two codes)."""
    bases = bd.bases.reindex(counts.index) if bd.bases is not None else counts.sum(axis=1)
    return bases.astype(float).replace(0, np.nan)


def _theme_names(bd: Breakdown) -> dict[int, str]:
    """Each topic's theme name in the published table."""
    names = bd.table.drop_duplicates("topic").set_index("topic")["theme"]
    return {int(t): str(n) for t, n in names.items()}


def timeline(bd: Breakdown, title: str, max_themes: int = 6) -> Figure | None:
    """Share of each period's respondents per theme (largest themes), gaps where hidden.

    Drawn by :func:`covidlearning.reporting.figures.over_time`, in the report's style,
    with what is hidden and why written under it.
    """
    counts = bd.counts
    if counts.empty or counts.shape[1] == 0 or counts.shape[0] < 1:
        return None
    # the themes with the most periods that can be shown, then the largest
    visible = ((~bd.mask) & (counts > 0)).sum(axis=0)
    ranked = sorted(
        (t for t in counts.columns if int(t) != -1),
        key=lambda t: (-int(visible[t]), -int(counts[t].sum()), int(t)),
    )
    themes = [t for t in ranked if visible[t] > 0][:max_themes] or ranked[:max_themes]
    if not themes:
        return None
    if len(themes) < len(ranked):  # say so, as the heatmaps do
        title += f" ({len(themes)} of {len(ranked)} themes; all are in the table)"
    shown = ~bd.mask[themes] & ~bd.base_mask.to_numpy()[:, None]
    share = counts[themes].div(_respondents(bd, counts), axis=0).where(shown)
    names = _theme_names(bd)
    labels = [names.get(int(t), str(t)) for t in themes]
    # one line per theme, even when two themes share a name
    share.columns = [
        n if labels.count(n) == 1 else f"{n} ({t})" for n, t in zip(labels, themes, strict=True)
    ]
    note = " ".join(
        ["Gaps: figures hidden because they rest on too few responses.", *hidden_notes(bd)]
    )
    return figures.over_time(
        share,
        title,
        ylabel="Share of responses in the period (%)",
        max_lines=max_themes,
        note=note,
    )


# --------------------------------------------------------------------------- accounting
def run_summary(
    frame: pd.DataFrame, used_ids: Iterable[str] | None = None, dates_not_read: int = 0
) -> dict[str, Any]:
    """Row accounting for a loaded table: read, used, excluded and why, duplicates.

    Args:
        frame: the output of :func:`covidlearning.corpus.load.load_table` (``id``, ``status``,
            ``duplicate``).
        used_ids: ids that were analysed (e.g. the assignment ids). Default: every row
            whose status is ``ok``. A row with status ``ok`` that was not used is
            counted as excluded for being a duplicate if it is flagged as one, else as
            ``not analysed``.
        dates_not_read: analysed rows whose date was given but could not be read (the
            over-time breakdown's ``not_read``); they stay analysed, left out over time.

    Returns:
        ``rows_read``, ``used``, ``excluded``, ``excluded_by_reason`` (reason -> rows,
        always adding up to ``excluded``), ``duplicates_flagged`` and
        ``duplicates_used``, and ``dates_not_read`` when there are any.
        ``rows_read == used + excluded`` always holds.
    """
    status = frame["status"].astype(str)
    if "duplicate" in frame.columns:
        dup = frame["duplicate"].astype(str).str.lower().isin({"true", "1"})
    else:
        dup = pd.Series(False, index=frame.index)
    ids = frame["id"].astype(str)
    if used_ids is None:
        used = status == "ok"
    else:
        used_set = {str(i) for i in used_ids}
        used = ids.isin(used_set) & (status == "ok")
    reasons: dict[str, int] = {}
    for reason, n in status[status != "ok"].value_counts().sort_index().items():
        reasons[str(reason)] = int(n)
    unused_ok = (status == "ok") & ~used
    if int((unused_ok & dup).sum()):
        reasons["duplicate"] = int((unused_ok & dup).sum())
    if int((unused_ok & ~dup).sum()):
        reasons["not analysed"] = int((unused_ok & ~dup).sum())
    summary = {
        "rows_read": len(frame),
        "used": int(used.sum()),
        "excluded": int((~used).sum()),
        "excluded_by_reason": reasons,
        "duplicates_flagged": int(dup.sum()),
        "duplicates_used": int((dup & used).sum()),
    }
    if dates_not_read:
        summary["dates_not_read"] = int(dates_not_read)
    assert summary["rows_read"] == summary["used"] + summary["excluded"]
    assert summary["excluded"] == sum(reasons.values())
    return summary


_REASON_TEXT = {
    "empty": "empty answers",
    "missing": "non-answers (such as 'Did not answer', 'N/A', 'no comment')",
    "filler": "filler answers (such as 'nothing', 'none', 'not sure')",
    "digits only": "answers of digits or punctuation only",
    "non-answer": "answers saying none was given (such as 'patient declined to comment')",
    "repeated non-answer": "an answer without content repeated by 2% of rows or more "
    "(or 5 rows or more of a non-answer phrase)",
    "duplicate": "repeats of an earlier answer",
    "not analysed": "other rows not analysed",
}


_DATES_NOT_READ = "of which with a date that could not be read (left out over time)"


def summary_table(summary: dict[str, Any]) -> pd.DataFrame:
    """The run summary as a two-column table (``item``, ``rows``) for the report."""
    rows = [("Rows read", summary["rows_read"])]
    for reason, n in summary["excluded_by_reason"].items():
        rows.append((f"Excluded: {_REASON_TEXT.get(reason, reason)}", n))
    rows.append(("Rows excluded in total", summary["excluded"]))
    rows.append(("Rows analysed", summary["used"]))
    if summary.get("dates_not_read"):
        rows.append((_DATES_NOT_READ, summary["dates_not_read"]))
    rows.append(("Duplicates flagged (same text as an earlier row)", summary["duplicates_flagged"]))
    rows.append(("of which analysed", summary["duplicates_used"]))
    return pd.DataFrame(rows, columns=["item", "rows"])


def summary_text(summary: dict[str, Any]) -> str:
    """One plain-English paragraph of the row accounting."""
    parts = [
        f"{n:,} {_REASON_TEXT.get(r, r)}" for r, n in summary["excluded_by_reason"].items() if n
    ]
    text = f"{summary['rows_read']:,} rows were read and {summary['used']:,} analysed"
    text += f"; {summary['excluded']:,} were excluded" + (
        f" ({'; '.join(parts)})." if parts else "."
    )
    if summary["duplicates_flagged"]:
        text += (
            f" {summary['duplicates_flagged']:,} answers repeat an earlier answer word for word "
            f"and are flagged; {summary['duplicates_used']:,} of them are analysed."
        )
    if summary.get("dates_not_read"):
        n = summary["dates_not_read"]
        text += (
            f" {n:,} analysed {'row has a date' if n == 1 else 'rows have dates'} that could "
            "not be read, so they are left out of the view over time."
        )
    return text


# --------------------------------------------------------------------------- quotes and output
def safe_quotes(
    quotes: pd.DataFrame,
    frame: pd.DataFrame,
    group_columns: Sequence[str],
    threshold: int,
    redactor: Redactor,
    text_column: str = "quote",
    id_column: str = "id",
) -> pd.DataFrame:
    """Quotes fit to publish: none from a group below the threshold, all text redacted."""
    from covidlearning.privacy.redact import redact_frame

    kept = disclosure.filter_quotes(quotes, frame, group_columns, threshold, id_column)
    return redact_frame(kept, [text_column], redactor, id_column=id_column)


def write(bd: Breakdown, tables_dir: str | Path, figures_dir: str | Path, name: str) -> list[Path]:
    """Write a breakdown's publishable parts: ``<name>.csv``/``.xlsx``, keywords, figure.

    The raw counts are never written.
    """
    from covidlearning._io import write_csv, write_xlsx

    tables_dir, figures_dir = Path(tables_dir), Path(figures_dir)
    tables_dir.mkdir(parents=True, exist_ok=True)
    written = []
    write_csv(tables_dir / f"{name}.csv", bd.table)
    written.append(tables_dir / f"{name}.csv")
    sheets = {"tidy": bd.table, "wide": bd.wide}
    if bd.keywords is not None:
        write_csv(tables_dir / f"{name}_keywords.csv", bd.keywords)
        written.append(tables_dir / f"{name}_keywords.csv")
        sheets["keywords"] = bd.keywords
    write_xlsx(tables_dir / f"{name}.xlsx", sheets)
    written.append(tables_dir / f"{name}.xlsx")
    if bd.figure is not None:
        written += figures.save(bd.figure, figures_dir, name).values()
    return written
