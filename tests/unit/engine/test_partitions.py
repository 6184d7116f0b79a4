"""Inputs in partitions (covidlearning.engine.partitions) and the engine's settings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from covidlearning.config import Config, EngineConfig
from covidlearning.engine.partitions import input_files, is_many, read_partitions
from covidlearning.errors import InputError


def _parts(tmp_path: Path, n_files: int = 3, rows: int = 4) -> Path:
    folder = tmp_path / "parts"
    folder.mkdir()
    for f in range(n_files):
        frame = pd.DataFrame(
            {
                "rid": [f"00{f}{r}" for r in range(rows)],
                "text": [f"file {f} row {r}" for r in range(rows)],
            }
        )
        frame.loc[0, "text"] = ""
        frame.to_csv(folder / f"b-{f}.csv", index=False)
    return folder


def test_a_folder_or_glob_is_many_and_lists_its_tables_in_name_order(tmp_path: Path) -> None:
    folder = _parts(tmp_path)
    (folder / "notes.txt").write_text("not a table", encoding="utf-8")
    assert is_many(folder) and is_many(folder / "*.csv") and not is_many(folder / "b-0.csv")
    names = [p.name for p in input_files(folder)]
    assert names == ["b-0.csv", "b-1.csv", "b-2.csv"]
    assert [p.name for p in input_files(str(folder / "b-[12].csv"))] == ["b-1.csv", "b-2.csv"]


def test_mixed_formats_or_nothing_found_is_bad_input(tmp_path: Path) -> None:
    folder = _parts(tmp_path)
    pd.DataFrame({"rid": ["1"], "text": ["x"]}).to_parquet(folder / "c.parquet")
    with pytest.raises(InputError, match="must all be CSV or all parquet"):
        input_files(folder)
    with pytest.raises(InputError, match="no CSV or parquet files"):
        input_files(tmp_path / "nothing-*.csv")


def test_partitions_read_every_cell_as_a_string_in_file_and_row_order(tmp_path: Path) -> None:
    folder = _parts(tmp_path)
    frame = read_partitions(folder, partition_rows=100)
    assert frame.npartitions == 3  # one a file at least
    whole = frame.compute(scheduler="sync")
    assert whole["rid"].tolist()[:2] == ["0000", "0001"]  # leading zeros kept: strings
    assert whole["text"].iloc[0] == ""  # missing cells are empty strings, not NaN
    assert whole["text"].tolist()[-1] == "file 2 row 3"


def test_parquet_partitions_are_strings_too(tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    pd.DataFrame({"n": [1, None], "text": ["a", None]}).to_parquet(folder / "a.parquet")
    whole = read_partitions(folder, partition_rows=100).compute(scheduler="sync")
    assert whole["text"].tolist() == ["a", ""]
    assert whole["n"].tolist()[1] == ""


def test_engine_settings_default_to_one_process() -> None:
    assert Config(name="x").engine.scheduler is None
    assert EngineConfig(scheduler="local").scheduler == "local"
    assert EngineConfig(scheduler="tcp://10.0.0.1:8786").scheduler == "tcp://10.0.0.1:8786"
    assert EngineConfig(scheduler=" ").scheduler is None
    with pytest.raises(ValueError, match="neither 'local' nor an address"):
        EngineConfig(scheduler="loacl")
