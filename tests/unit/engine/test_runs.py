"""Aggregations the engine computes on the cluster (covidlearning.engine.runs)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from covidlearning.engine.runs import _add_counts, _counts
from covidlearning.errors import InputError


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


def test_ids_repeated_across_partitions_are_refused_as_the_loader_refuses_them(
    client, tmp_path: Path
) -> None:
    from covidlearning.corpus.load import clean_table
    from covidlearning.engine.partitions import read_partitions
    from covidlearning.engine.runs import _refuse_repeated_ids

    folder = tmp_path / "parts"
    folder.mkdir()
    ids = [[" a1", "a2", "a3"], ["b1", "a1", "b3"], ["a3", "c2", "a1 "]]  # a1 thrice, a3 twice
    for f, chunk in enumerate(ids):
        pd.DataFrame({"rid": chunk, "text": ["t"] * 3}).to_csv(folder / f"{f}.csv", index=False)
    frame = read_partitions(folder, partition_rows=1)
    assert frame.npartitions == 3
    with pytest.raises(InputError) as cluster:
        _refuse_repeated_ids(frame, "rid", "parts")
    with pytest.raises(InputError) as one:
        clean_table(frame.compute(), "parts", "text", "rid")
    assert str(cluster.value) == str(one.value)  # the first repeat is a1 here, the smallest too
    assert str(cluster.value).startswith("3 duplicate ids in column 'rid' of parts (e.g. 'a1')")
    unique = tmp_path / "unique"
    unique.mkdir()
    pd.DataFrame({"rid": ["x", "y"], "text": ["t", "u"]}).to_csv(unique / "0.csv", index=False)
    _refuse_repeated_ids(read_partitions(unique, 1), "rid", "unique")  # no error
