"""Inputs as partitions: one table file, a folder of them, or a glob, read in pieces.

A folder (every ``.csv`` and ``.parquet`` file directly in it) or a glob
(``exports/2026-*.csv``) is read as one table: its files in name order, each cut into
partitions of about ``engine.partition_rows`` rows (CSV by bytes, parquet by row group),
every cell a string, as :func:`covidlearning.corpus.load.read_table_raw` reads one file.
The workers read the partitions, so the paths must be readable where the workers run
(the same disk, or a shared or object store fsspec reaches).

CSV files are read as the one-process loader reads one
(:func:`covidlearning.corpus.load.read_table_raw`): the encoding and delimiter detected
from their first bytes; files that differ in encoding or header are refused.

Public API: :func:`input_files`, :func:`is_many`, :func:`csv_layout`,
:func:`quoted_line_break`, :func:`read_partitions`, :func:`read_whole`,
:func:`not_decoded`.
"""

from __future__ import annotations

import glob
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from covidlearning.corpus.load import CP1252_FALLBACK
from covidlearning.errors import InputError

logger = logging.getLogger(__name__)

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


#: Bytes of each CSV file read to detect its encoding, delimiter and header.
HEAD_BYTES = 1 << 20
#: Bytes scanned at a time for line breaks inside quoted cells.
SCAN_BYTES = 1 << 24
#: Encodings one file's first bytes may show, by the family a table's files must share.
_FAMILIES = {
    "utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-8+cp1252": "UTF-8", "cp1252": "cp1252",
    "latin-1": "Latin-1", "utf-16": "UTF-16", "utf-32": "UTF-32",
}  # fmt: skip
#: How pandas reads each family: codec and error handler (UTF-8 reads a stray cp1252
#: byte as cp1252, as :func:`covidlearning.corpus.load.decode_text` does).
_READ_AS = {
    "UTF-8": ("utf-8-sig", CP1252_FALLBACK), "cp1252": ("cp1252", "strict"),
    "Latin-1": ("latin-1", "strict"), "UTF-16": ("utf-16", "strict"),
    "UTF-32": ("utf-32", "strict"),
}  # fmt: skip


@dataclass(frozen=True)
class CsvLayout:
    """How a table's CSV files are read, as the one-process loader reads one file.

    Attributes:
        encoding: the codec pandas reads every file by.
        errors: the codec's error handler.
        sep: the delimiter, sniffed from the first file's first lines.
        whole_files: every file is one partition: a cell holds a line break (dask cuts
            CSV files at line breaks), or the encoding is not byte-compatible with ASCII.
    """

    encoding: str
    errors: str
    sep: str
    whole_files: bool


def _head(path: Path) -> bytes:
    """The first :data:`HEAD_BYTES` of a file, cut after its last whole line."""
    with path.open("rb") as fh:
        data = fh.read(HEAD_BYTES)
        whole = not fh.read(1)
    return data if whole else data[: data.rfind(b"\n") + 1]


def quoted_line_break(path: Path) -> bool:
    """Whether a line break of the file falls inside a quoted cell.

    A break is inside quotes when an odd number of ``"`` comes before it (an escaped
    quote, ``""``, counts twice); the file is scanned in pieces, so memory stays small.
    """
    import numpy as np

    odd = 0
    with path.open("rb") as fh:
        while block := fh.read(SCAN_BYTES):
            raw = np.frombuffer(block, dtype=np.uint8)
            # a running count of quotes, kept mod 256: its last bit is the parity
            parity = (np.cumsum(raw == ord('"'), dtype=np.uint8) + odd) & 1
            if bool(parity[raw == ord("\n")].any()):
                return True
            odd = int(parity[-1])
    return False


def csv_layout(files: Sequence[Path]) -> CsvLayout:
    """The encoding, delimiter and header the CSV ``files`` share, or why they do not.

    Each file's first bytes are read by the one-process loader's rules
    (:func:`covidlearning.corpus.load.text_encoding`,
    :func:`covidlearning.corpus.load.csv_delimiter`); a file of plain ASCII fits any of
    UTF-8, cp1252 and Latin-1.

    Raises:
        InputError: the files' encodings differ, or their header rows do.
    """
    import io

    from covidlearning.corpus.load import csv_delimiter, text_encoding

    heads = {p: _head(p) for p in files}
    families: dict[str, Path] = {}
    for path, data in heads.items():
        if data.isascii():
            continue
        families.setdefault(_FAMILIES[text_encoding(data, path.name)], path)
    wide = {"UTF-16", "UTF-32"} & set(families)
    pairs = list(families.items())
    if wide and (plain := [p for p, d in heads.items() if d.isascii()]):
        pairs.append(("ASCII", plain[0]))  # a wide encoding is no superset of ASCII
    if len(pairs) > 1:
        (one, a), (two, b) = pairs[:2]
        raise InputError(
            f"the files of one input must share an encoding: {a.name} is {one} but "
            f"{b.name} is {two}",
            "Save every file as UTF-8 (in Excel: Save As, 'CSV UTF-8'), then run again",
        )
    family = next(iter(families), "UTF-8")
    encoding, errors = _READ_AS[family]

    def text(data: bytes) -> str:
        return data.decode(encoding, errors=errors)

    first = files[0]
    sep = csv_delimiter(text(heads[first]))

    def header(path: Path) -> list[str]:
        top = pd.read_csv(io.StringIO(text(heads[path])), sep=sep, dtype=str, nrows=0)
        return [str(c).strip() for c in top.columns]

    expected = header(first)
    for path in files[1:]:
        if (got := header(path)) != expected:
            raise InputError(
                f"{path.name} has the columns {', '.join(got)} but {first.name} has "
                f"{', '.join(expected)}",
                "Export every file with the same columns in the same order",
            )
    breaks = [p for p in files if quoted_line_break(p)]
    if breaks:
        logger.warning(
            "%s holds line breaks inside quoted cells: each file is read as one partition "
            "(split the input into smaller files to hold less in memory)",
            breaks[0].name,
        )
    return CsvLayout(encoding, errors, sep, bool(breaks) or bool(wide))


def read_partitions(spec: str | Path, partition_rows: int) -> Any:
    """A ``dask.dataframe`` of ``spec``'s rows, every column a string (missing cells "").

    CSV files are read by :func:`csv_layout` (the one-process loader's encoding and
    delimiter), in blocks of about ``partition_rows`` rows.

    Raises:
        InputError: see :func:`input_files` and :func:`csv_layout`.
    """
    import dask.dataframe as dd
    from dask.dataframe.io.csv import read_pandas

    paths = input_files(spec)
    files = [str(p) for p in paths]
    if files[0].lower().endswith(".parquet"):
        frame = dd.read_parquet(files, split_row_groups="adaptive")
        frame = frame.map_partitions(_as_strings)
    else:
        layout = csv_layout(paths)
        frame = read_pandas(
            _read_csv,
            files,
            blocksize=None if layout.whole_files else max(1 << 16, partition_rows * BYTES_PER_ROW),
            dtype=str,
            keep_default_na=False,
            sep=layout.sep,
            encoding=layout.encoding,
            encoding_errors=layout.errors,
        )
    return frame.rename(columns={c: str(c).strip() for c in frame.columns})


def _read_csv(*args: Any, **kwargs: Any) -> pd.DataFrame:
    """``pandas.read_csv`` where this module is imported, so :data:`CP1252_FALLBACK` is known.

    Dask runs it on the workers; a function of this module (not pandas' own) makes
    each worker import it, and so :mod:`covidlearning.corpus.load`, whose import
    registers the error handler the files are decoded with.
    """
    return pd.read_csv(*args, **kwargs)


def not_decoded(spec: str | Path, exc: UnicodeDecodeError) -> InputError:
    """The error for a CSV file whose bytes past its first megabyte are not its encoding."""
    return InputError(
        f"a file of {Path(str(spec)).name} is not {exc.encoding} throughout: its first "
        f"megabyte is, a later byte is not ({exc.reason})",
        "Save every file as UTF-8 (in Excel: Save As, 'CSV UTF-8'), then run again",
    )


def _as_strings(part: pd.DataFrame) -> pd.DataFrame:
    """Every cell a string, missing ones "" (as :func:`read_table_raw` reads parquet)."""
    return part.astype(object).where(part.notna(), "").astype(str)


def read_whole(client: Any, spec: str | Path, partition_rows: int) -> pd.DataFrame:
    """``spec``'s rows gathered into one frame (read on the workers), in file and row order."""
    frame = read_partitions(spec, partition_rows)
    parts = client.compute(frame.to_delayed())
    try:
        out = pd.concat(client.gather(parts), ignore_index=True)
    except UnicodeDecodeError as exc:
        raise not_decoded(spec, exc) from None
    if out.empty:
        raise InputError(f"{spec} has no rows", "Pass tables with a header row and responses")
    return out
