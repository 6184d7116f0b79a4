"""Inputs in partitions (covidlearning.engine.partitions) and the engine's settings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from covidlearning.config import Config, EngineConfig
from covidlearning.engine.partitions import (
    csv_layout,
    input_files,
    is_many,
    quoted_line_break,
    read_partitions,
)
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


def _one_process(folder: Path) -> pd.DataFrame:
    """The files read one by one by the one-process loader, in name order."""
    from covidlearning.corpus.load import read_table_raw

    frames = [read_table_raw(p) for p in sorted(folder.glob("*.csv"))]
    return pd.concat(frames, ignore_index=True)


def _write(folder: Path, name: str, text: str, encoding: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))


def test_csv_partitions_read_encoding_and_delimiter_as_the_loader_does(tmp_path: Path) -> None:
    folder = tmp_path / "cp"
    rows = "".join(f'{i};"Caf\u00e9 {i}, \u201cgood\u201d \u00a3{i}"\n' for i in range(40))
    _write(folder, "a.csv", "rid;text\n" + rows, "cp1252")
    _write(folder, "b.csv", "rid;text\n1;plain ascii\n", "ascii")  # fits any encoding
    layout = csv_layout(input_files(folder))
    assert (layout.encoding, layout.sep, layout.whole_files) == ("cp1252", ";", False)
    got = read_partitions(folder, partition_rows=4).compute(scheduler="sync")
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), _one_process(folder), check_dtype=False
    )
    assert got["text"].iloc[0] == "Caf\u00e9 0, \u201cgood\u201d \u00a30"


def test_a_stray_cp1252_byte_past_the_first_bytes_is_read_as_the_loader_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import covidlearning.engine.partitions as parts

    monkeypatch.setattr(parts, "HEAD_BYTES", 64)  # the stray byte lies beyond the head
    folder = tmp_path / "utf8"
    body = "".join(f"{i},caf\u00e9 number {i}\n" for i in range(30)).encode("utf-8")
    (folder).mkdir()
    (folder / "a.csv").write_bytes(
        b"rid,text\n" + body + "30,pasted \x93quote\x94\n".encode("latin-1")
    )
    assert csv_layout(input_files(folder)).encoding == "utf-8-sig"
    got = read_partitions(folder, partition_rows=4).compute(scheduler="sync")
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), _one_process(folder), check_dtype=False
    )
    assert got["text"].iloc[-1] == "pasted \u201cquote\u201d"


def test_files_in_different_encodings_or_headers_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    _write(folder, "a.csv", "rid,text\n1,caf\u00e9\n", "utf-8")
    _write(folder, "b.csv", "rid,text\n2,caf\u00e9\n", "cp1252")
    with pytest.raises(InputError, match="a.csv is UTF-8 but b.csv is cp1252") as info:
        read_partitions(folder, partition_rows=10)
    assert "Save every file as UTF-8" in str(info.value)
    other = tmp_path / "headers"
    _write(other, "a.csv", "rid,text\n1,x\n", "utf-8")
    _write(other, "b.csv", "id,text\n2,y\n", "utf-8")
    with pytest.raises(InputError, match="b.csv has the columns id, text but a.csv has rid, text"):
        read_partitions(other, partition_rows=10)


def test_line_breaks_in_quoted_cells_keep_each_file_whole(tmp_path: Path) -> None:
    folder = tmp_path / "breaks"
    rows = "".join(f'{i},"line one\nline ""two"" of {i}"\n' for i in range(50))
    _write(folder, "a.csv", "rid,text\n" + rows, "utf-8")
    _write(folder, "b.csv", "rid,text\n" + "".join(f"{i},flat {i}\n" for i in range(50)), "utf-8")
    assert quoted_line_break(folder / "a.csv") and not quoted_line_break(folder / "b.csv")
    assert csv_layout(input_files(folder)).whole_files
    frame = read_partitions(folder, partition_rows=4)
    assert frame.npartitions == 2
    got = frame.compute(scheduler="sync")
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), _one_process(folder), check_dtype=False
    )
    assert got["text"].iloc[3] == 'line one\nline "two" of 3'
