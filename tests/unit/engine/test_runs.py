"""Aggregations the engine computes on the cluster (covidlearning.engine.runs)."""

from __future__ import annotations

import pandas as pd
import pytest

from covidlearning.engine.runs import _add_counts, _counts, group_counts


@pytest.fixture(scope="module")
def client():
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0") as c:
        yield c


def _assignments() -> tuple[pd.DataFrame, pd.DataFrame]:
    a = pd.DataFrame(
        {
            "id": [str(i) for i in range(7)],
            "topic": pd.array([0, 1, 0, pd.NA, 1, 1, 0], dtype="Int64"),
            "label": ["A", "B", "A", "", "B", "B", "A"],
            "status": ["ok", "ok", "reassigned outlier", "empty", "ok", "ok", "ok"],
        }
    )
    frame = pd.DataFrame({"site": ["x", "x", "y", "y", "y", "x", "x"]})
    return a, frame


def test_group_counts_per_theme_and_group_on_the_cluster(client) -> None:
    a, frame = _assignments()
    out = group_counts(a, frame, ["site"], partition_rows=3)  # three partitions
    got = {(r.value, None if pd.isna(r.topic) else int(r.topic)): r.rows for r in out.itertuples()}
    assert got == {("x", 0): 2, ("x", 1): 2, ("y", 0): 1, ("y", 1): 1, ("y", None): 1}
    assert out["rows"].sum() == len(a)
    assert set(out["column"]) == {"site"}
    assert group_counts(a, frame, [], partition_rows=3).empty


def test_counts_summed_over_partitions_equal_the_whole() -> None:
    a, _ = _assignments()
    whole = _counts(a)
    summed = _add_counts(_counts(a.iloc[:3]), _counts(a.iloc[3:]))
    pd.testing.assert_frame_equal(whole, summed)
    assert whole["rows"].sum() == 7
    row = whole[(whole["topic"] == 0) & (whole["status"] == "ok")]
    assert row["rows"].tolist() == [2]
