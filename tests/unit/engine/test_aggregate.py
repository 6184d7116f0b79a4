"""Breakdowns as Dask aggregations equal one process's (covidlearning.engine.aggregate)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from covidlearning.config import DisclosureConfig
from covidlearning.engine.aggregate import by_group, over_time
from covidlearning.errors import InputError
from covidlearning.reporting.breakdown import by_group as by_group_one_process
from covidlearning.reporting.breakdown import readable_over_time


@pytest.mark.parametrize("settings", [DisclosureConfig(), DisclosureConfig(rule="opensafely")])
def test_by_group_on_the_cluster_equals_one_process(client, settings) -> None:
    frame, assign = _survey(700, seed=7)
    rng = np.random.default_rng(7)
    # two large sites, one mid-sized, and two tiny ones that must be merged unnamed
    frame["site"] = rng.choice(["North", "South", "East", "Tiny A", "Tiny B"], len(frame),
                               p=[0.5, 0.35, 0.13, 0.01, 0.01])  # fmt: skip
    one = by_group_one_process(
        assign, frame, "site", settings.threshold, settings.secondary,
        keywords=False, figure=False, rounding=settings.rounding,
    )  # fmt: skip
    two = by_group(assign, frame, "site", settings, partition_rows=53)
    pd.testing.assert_frame_equal(one.table, two.table)
    pd.testing.assert_frame_equal(one.wide, two.wide)
    assert one.notes == two.notes
    # the comparison means something: small groups are not named, some cells are hidden
    assert not two.table["group"].isin(["Tiny A", "Tiny B"]).any()
    assert (two.table["count"] == "*").any() and (two.table["count"] != "*").any()


def _survey(n: int, seed: int, months: int = 8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A table whose dates come in every layout, some blank or unreadable, and its themes."""
    rng = np.random.default_rng(seed)
    day = rng.integers(1, 29, n)
    month = rng.integers(1, months + 1, n)
    layout = rng.choice(["iso", "uk", "serial", "blank", "bad", "text"], n,
                        p=[0.4, 0.3, 0.1, 0.08, 0.04, 0.08])  # fmt: skip
    values = []
    for d, m, kind in zip(day, month, layout, strict=True):
        when = pd.Timestamp(2021, int(m), int(d))
        values.append(
            {
                "iso": when.strftime("%Y-%m-%d"),
                "uk": when.strftime("%d/%m/%Y"),
                "serial": str((when - pd.Timestamp("1899-12-30")).days),
                "blank": "",
                "bad": "last spring",
                "text": when.strftime("%d %B %Y"),
            }[kind]
        )
    ids = [f"r{i:04d}" for i in range(n)]
    frame = pd.DataFrame({"id": ids, "submitted": values})
    topic = rng.choice([-1, 0, 1, 2, 3], n, p=[0.1, 0.4, 0.25, 0.2, 0.05])
    assign = pd.DataFrame(
        {
            "id": ids,
            "topic": pd.array(topic, dtype="Int64"),
            "label": [f"theme {t}" for t in topic],
        }
    )
    assign.loc[rng.random(n) < 0.05, "topic"] = pd.NA  # excluded rows: not analysed
    return frame, assign


def _one_process(frame, assign, freq, settings, **kw):
    return readable_over_time(
        assign, frame, "submitted", freq, settings.threshold, settings.secondary,
        keywords=False, figure=False, rounding=settings.rounding, **kw,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("n", "freq", "settings"),
    [
        (600, "M", DisclosureConfig()),
        (600, "W", DisclosureConfig()),  # weeks hide most figures: a longer period is chosen
        (900, "M", DisclosureConfig(rule="opensafely")),  # rounded to 5, no secondary
    ],
)
def test_over_time_on_the_cluster_equals_one_process(client, n, freq, settings) -> None:
    frame, assign = _survey(n, seed=n)
    one = _one_process(frame, assign, freq, settings)
    two = over_time(assign, frame, "submitted", freq, settings, partition_rows=37)
    pd.testing.assert_frame_equal(one.table, two.table)
    pd.testing.assert_frame_equal(one.wide, two.wide)
    pd.testing.assert_frame_equal(one.counts, two.counts)
    assert one.notes == two.notes
    assert (one.freq, one.not_read) == (two.freq, two.not_read)
    # the comparison means something: figures shown and hidden, dates left out
    shown = two.table["count"] != "*"
    assert shown.any() and (~shown).any()
    assert two.not_read > 0 and any("no usable submitted" in s for s in two.notes)
    if freq == "W":
        assert two.freq != "W" and two.notes[0].startswith("Shown by ")


def test_the_date_format_and_its_misfits_are_read_as_in_one_process(client) -> None:
    frame, assign = _survey(500, seed=5)
    settings = DisclosureConfig()
    fmt = "%Y-%m-%d"  # about half fit: refused alike
    with pytest.raises(InputError) as one:
        _one_process(frame, assign, "M", settings, date_format=fmt)
    with pytest.raises(InputError) as two:
        over_time(assign, frame, "submitted", "M", settings, 41, date_format=fmt)
    assert str(one.value) == str(two.value)
    assert "does not fit" in str(two.value)
    iso = frame.assign(submitted=frame["submitted"].where(
        frame["submitted"].str.match(r"\d{4}-"), ""))  # fmt: skip
    a = _one_process(iso, assign, "Q", settings, date_format=fmt)
    b = over_time(assign, iso, "submitted", "Q", settings, 41, date_format=fmt)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.notes == b.notes


def test_a_column_one_process_refuses_is_refused_in_the_same_words(client) -> None:
    frame, assign = _survey(300, seed=3)
    # month-first dates spread over several partitions, against day-first ones
    frame.loc[::7, "submitted"] = [f"0{1 + i % 9}/{13 + i % 15}/2021" for i in range(43)]
    settings = DisclosureConfig()
    with pytest.raises(InputError) as one:
        _one_process(frame, assign, "M", settings)
    with pytest.raises(InputError) as two:
        over_time(assign, frame, "submitted", "M", settings, partition_rows=25)
    assert str(one.value) == str(two.value)
    assert "mixes day-first and month-first" in str(two.value)
    with pytest.raises(InputError, match="date column 'when' not found"):
        over_time(assign, frame, "when", "M", settings, partition_rows=25)


def test_a_worker_lost_under_the_fit_is_one_line_saying_what_to_change() -> None:
    from distributed.scheduler import KilledWorker

    from covidlearning.engine.runs import _fit_result
    from covidlearning.errors import ClusterFailure

    class Lost:
        def result(self):
            raise KilledWorker("fit-1", "tcp://127.0.0.1:1", 3)

    with pytest.raises(ClusterFailure) as err:
        _fit_result(Lost(), 1_000_000, "8GB")
    message = str(err.value)
    assert "\n" not in message and "1,000,000 texts" in message and "engine.memory_limit" in message
