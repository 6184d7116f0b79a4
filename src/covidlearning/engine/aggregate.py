"""Breakdowns of the themes as Dask aggregations on the workers.

- :func:`by_group`: themes per value of each ``input.group_columns`` column
  (``breakdown.csv``): the same table and disclosure control as one process's
  :func:`covidlearning.reporting.breakdown.by_group`.
- :func:`over_time`: the view over time (``breakdown_over_time.csv``): the same table,
  notes and disclosure control as one process's
  :func:`covidlearning.reporting.breakdown.readable_over_time`. The workers read the
  dates (each partition tallied, the tallies added in row order and the rule decided
  from the sum, so a column one process refuses is refused in the same words), put each
  row in its period and count distinct respondents per period and theme; this process
  suppresses and rounds the small table of counts, and makes the period longer while
  most of its figures would be hidden, as one process does.

The active Dask client computes every aggregation.

Public API: :func:`by_group`, :func:`date_rule`, :func:`over_time`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pandas as pd

from covidlearning.config import DisclosureConfig
from covidlearning.errors import InputError

if TYPE_CHECKING:
    from covidlearning.reporting.breakdown import Breakdown
    from covidlearning.reporting.dates import DateRule

logger = logging.getLogger(__name__)


def _partitioned(frame: pd.DataFrame, partition_rows: int) -> Any:
    """``frame`` as a dask frame of contiguous partitions of ``partition_rows`` rows, in order."""
    import dask.dataframe as dd

    return dd.from_pandas(frame, npartitions=max(1, -(-len(frame) // partition_rows)), sort=False)


def by_group(
    assignments: pd.DataFrame,
    frame: pd.DataFrame,
    column: str,
    settings: DisclosureConfig,
    partition_rows: int,
) -> Breakdown:
    """Theme counts per value of ``column``, disclosure-controlled, counted on the workers.

    Equals :func:`covidlearning.reporting.breakdown.by_group` of the same assignments
    and table (without keywords or a figure): distinct respondents per group and theme
    are counted as a Dask groupby; this process merges the groups under the threshold
    into one unnamed row, suppresses and rounds, as one process does.

    Args:
        assignments: the run's assignments (``id``, ``topic``, ``label``; rows without a
            topic are not analysed).
        frame: the loaded table (``id`` and ``column``).
        column: one of ``input.group_columns``.
        settings: the ``disclosure`` section (threshold, secondary, rounding).
        partition_rows: rows per partition of the aggregation.
    """
    import dask

    from covidlearning.privacy import disclosure
    from covidlearning.reporting import breakdown as bd_mod

    assign = bd_mod.assignments_of(assignments)
    groups = disclosure.group_labels(frame[column])
    joined = pd.DataFrame({"id": frame["id"].astype(str).to_numpy(), "group": groups.to_numpy()})
    joined = joined.merge(assign[["id", "topic"]], on="id", how="inner")
    ddf = _partitioned(joined, partition_rows)
    cells, bases = dask.compute(
        ddf.groupby(["group", "topic"])["id"].nunique(), ddf.groupby("group")["id"].nunique()
    )
    counts, bases, labels = bd_mod.arrange_counts(assign, cells, bases)
    counts, bases, _ = disclosure.merge_small_groups(counts, bases, settings.threshold)
    return bd_mod.publish_by_group(
        column, counts, bases, labels, bd_mod.single_theme(assign), settings.threshold,
        settings.secondary, settings.rounding,
    )  # fmt: skip


def _stamp(part: pd.DataFrame, rule: Any) -> pd.DataFrame:
    """One partition's dates read by ``rule``: ``id``, ``topic``, ``date``, ``not_read``."""
    from covidlearning.reporting.dates import parse

    dates = parse(part["value"], rule)
    blank = part["value"].astype("string").str.strip().fillna("") == ""
    return pd.DataFrame(
        {"id": part["id"], "topic": part["topic"], "date": dates,
         "not_read": dates.isna() & ~blank},
        index=part.index,
    )  # fmt: skip


def _in_periods(part: pd.DataFrame, freq: str) -> pd.DataFrame:
    """The partition's dated rows with their period (``period``), as one process labels them."""
    from covidlearning.reporting.breakdown import period_labels

    dated = part[part["date"].notna()]
    return dated.assign(period=period_labels(dated["date"], freq))[["id", "topic", "period"]]


def _date_rows(frame: pd.DataFrame, date_column: str) -> pd.DataFrame:
    """``id`` and the date column's values (``value``) of every row, in order."""
    if date_column not in frame.columns:
        raise InputError(
            f"date column '{date_column}' not found; columns: {', '.join(map(str, frame.columns))}",
            "Fix input.date_column in the config",
        )
    return pd.DataFrame(
        {"id": frame["id"].astype(str).to_numpy(), "value": frame[date_column].to_numpy()}
    )


def date_rule(
    frame: pd.DataFrame,
    date_column: str,
    partition_rows: int,
    dayfirst: bool = True,
    date_format: str | None = None,
) -> DateRule:
    """How ``date_column`` is read, decided from its values tallied on the workers.

    Each partition's :func:`covidlearning.reporting.dates.tally`, added in row order,
    is the whole column's, so :func:`covidlearning.reporting.dates.decide` reaches one
    process's rule, or refuses the column in the same words.

    Raises:
        InputError: the column is not in the table, or no one rule reads it.
    """
    import dask

    from covidlearning.reporting.dates import decide, tally

    parts = _partitioned(_date_rows(frame, date_column), partition_rows).to_delayed()
    tallies = dask.compute(*[dask.delayed(tally)(p["value"], date_format) for p in parts])
    return decide(sum(tallies[1:], tallies[0]), dayfirst, date_format, date_column)


def over_time(
    assignments: pd.DataFrame,
    frame: pd.DataFrame,
    date_column: str,
    freq: str,
    settings: DisclosureConfig,
    partition_rows: int,
    *,
    dayfirst: bool = True,
    date_format: str | None = None,
    rule: DateRule | None = None,
) -> Breakdown:
    """Theme counts per period, disclosure-controlled, counted on the workers.

    Equals :func:`covidlearning.reporting.breakdown.readable_over_time` of the same
    assignments and table (without keywords or a figure): same periods, figures,
    suppression, rounding and notes, and the same refusal of a column no one rule reads.

    Args:
        assignments: the run's assignments (``id``, ``topic``, ``label``; rows without a
            topic are not analysed).
        frame: the loaded table (``id`` and ``date_column``).
        date_column: ``input.date_column``.
        freq: ``input.date_freq`` (made longer while most figures would be hidden).
        settings: the ``disclosure`` section (threshold, secondary, rounding).
        partition_rows: rows per partition of the aggregation.
        dayfirst: ``input.dayfirst``.
        date_format: ``input.date_format``.
        rule: the column's rule, when already decided (:func:`date_rule`).

    Raises:
        InputError: the column is not in the table, or its dates cannot be read by one
            rule (:func:`covidlearning.reporting.dates.decide`).
    """
    import dask

    from covidlearning.reporting import breakdown as bd_mod

    assign = bd_mod.assignments_of(assignments)
    rows = _date_rows(frame, date_column)
    if rule is None:
        rule = date_rule(frame, date_column, partition_rows, dayfirst, date_format)
    meta = pd.DataFrame(
        {"id": pd.Series(dtype=object), "topic": pd.Series(dtype=int),
         "date": pd.Series(dtype="datetime64[ns]"), "not_read": pd.Series(dtype=bool)}
    )  # fmt: skip
    analysed = rows.merge(assign[["id", "topic"]], on="id", how="inner")
    joined = _partitioned(analysed, partition_rows).map_partitions(_stamp, rule, meta=meta)
    joined = joined.persist()
    dated_ids, not_read = dask.compute(
        joined[~joined["date"].isnull()]["id"].nunique(),
        joined[joined["not_read"]]["id"].nunique(),
    )
    undated = int(assign["id"].nunique()) - int(dated_ids)
    single = bd_mod.single_theme(assign)
    period_meta = pd.DataFrame(
        {"id": pd.Series(dtype=object), "topic": pd.Series(dtype=int),
         "period": pd.Series(dtype=object)}
    )  # fmt: skip

    def view(f: str) -> Breakdown:
        dated = joined.map_partitions(_in_periods, f, meta=period_meta)
        cells, bases = dask.compute(
            dated.groupby(["period", "topic"])["id"].nunique(),
            dated.groupby("period")["id"].nunique(),
        )
        order = bd_mod.period_order(bases.index, f)
        counts, bases, labels = bd_mod.arrange_counts(assign, cells, bases, order)
        counted = bd_mod.PeriodCounts(counts, bases, labels, undated, int(not_read))
        return bd_mod.publish_over_time(
            date_column, f, counted, rule, single, settings.threshold, settings.secondary,
            settings.rounding,
        )  # fmt: skip

    out = bd_mod.choose_period(view, freq, settings.threshold, figure=False)
    logger.info("over time: %s by %s, %d periods", date_column, out.freq, len(out.counts))
    return out
