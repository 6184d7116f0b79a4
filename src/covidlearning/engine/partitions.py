"""Inputs as partitions: one table file, a folder of them, or a glob, read in pieces.

A folder (every ``.csv`` and ``.parquet`` file directly in it) or a glob
(``exports/2026-*.csv``) is read as one table: its files in name order, each cut into
partitions of about ``engine.partition_rows`` rows (CSV by bytes, parquet by row group),
every cell a string, as :func:`covidlearning.corpus.load.read_table_raw` reads one file.
The workers read the partitions, so the paths must be readable where the workers run
(the same disk, or a shared or object store fsspec reaches).

Public API: :func:`input_files`, :func:`is_many`, :func:`read_partitions`,
:func:`read_whole`.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import pandas as pd

from covidlearning.errors import InputError

#: File types read in partitions.
PARTITION_FORMATS = (".csv", ".parquet")
#: Bytes per CSV block for a partition of ``rows`` rows: a survey answer row is ~200 bytes.
BYTES_PER_ROW = 256


def is_many(spec: str | Path) -> bool:
    """Whether ``spec`` names several files (a folder or a glob) rather than one table."""
    text = str(spec)
    return Path(text).is_dir() or any(c in text for c in "*?[")


def input_files(spec: str | Path) -> list[Path]:
    """The table files ``spec`` names, in name order.

    Raises:
        InputError: nothing matches, or the files mix formats or are of another format.
    """
    text = str(spec)
    if Path(text).is_dir():
        files = sorted(p for p in Path(text).iterdir() if p.suffix.lower() in PARTITION_FORMATS)
    elif any(c in text for c in "*?["):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
    else:
        files = [Path(text)] if Path(text).is_file() else []
    if not files:
        raise InputError(
            f"no CSV or parquet files found at {text}",
            "Pass a table file, a folder of .csv/.parquet files, or a glob such as 'dir/*.csv'",
        )
    kinds = {p.suffix.lower() for p in files}
    if len(kinds) > 1 or not kinds <= set(PARTITION_FORMATS):
        raise InputError(
            f"{text} holds {', '.join(sorted(kinds))} files; partitions must all be CSV or "
            "all parquet",
            "Convert them to one format, or pass a glob matching one kind",
        )
    return files


def read_partitions(spec: str | Path, partition_rows: int) -> Any:
    """A ``dask.dataframe`` of ``spec``'s rows, every column a string (missing cells "").

    Raises:
        InputError: see :func:`input_files`.
    """
    import dask.dataframe as dd

    files = [str(p) for p in input_files(spec)]
    if files[0].lower().endswith(".parquet"):
        frame = dd.read_parquet(files, split_row_groups="adaptive")
        frame = frame.map_partitions(_as_strings)
    else:
        frame = dd.read_csv(
            files,
            dtype=str,
            keep_default_na=False,
            blocksize=max(1 << 16, partition_rows * BYTES_PER_ROW),
            encoding="utf-8-sig",
        )
    return frame.rename(columns={c: str(c).strip() for c in frame.columns})


def _as_strings(part: pd.DataFrame) -> pd.DataFrame:
    """Every cell a string, missing ones "" (as :func:`read_table_raw` reads parquet)."""
    return part.astype(object).where(part.notna(), "").astype(str)


def read_whole(client: Any, spec: str | Path, partition_rows: int) -> pd.DataFrame:
    """``spec``'s rows gathered into one frame (read on the workers), in file and row order."""
    frame = read_partitions(spec, partition_rows)
    parts = client.compute(frame.to_delayed())
    out = pd.concat(client.gather(parts), ignore_index=True)
    if out.empty:
        raise InputError(f"{spec} has no rows", "Pass tables with a header row and responses")
    return out
