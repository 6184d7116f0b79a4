"""Aggregations the engine computes on the cluster (covidlearning.engine.runs)."""

from __future__ import annotations

import pandas as pd

from covidlearning.engine.runs import _add_counts, _counts


def _assignments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [str(i) for i in range(7)],
            "topic": pd.array([0, 1, 0, pd.NA, 1, 1, 0], dtype="Int64"),
            "label": ["A", "B", "A", "", "B", "B", "A"],
            "status": ["ok", "ok", "reassigned outlier", "empty", "ok", "ok", "ok"],
        }
    )


def test_counts_summed_over_partitions_equal_the_whole() -> None:
    a = _assignments()
    whole = _counts(a)
    summed = _add_counts(_counts(a.iloc[:3]), _counts(a.iloc[3:]))
    pd.testing.assert_frame_equal(whole, summed)
    assert whole["rows"].sum() == 7
    row = whole[(whole["topic"] == 0) & (whole["status"] == "ok")]
    assert row["rows"].tolist() == [2]
