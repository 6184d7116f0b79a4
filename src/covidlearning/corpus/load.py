r"""Read documents and tables into text, detecting encodings and failing clearly.

Documents (:func:`read_document`) are one document per file. Offsets that later
stages record (``start``/``end`` of a unit) index the text this module returns:

* ``.txt`` / ``.md``: the decoded file (UTF-8, UTF-8 with BOM, cp1252 or Latin-1,
  detected; the BOM is dropped and line endings become ``\n``, as Python's
  ``Path.read_text`` does), so ``raw[start:end]`` is the unit's raw text;
* ``.html`` / ``.htm``: the main text that trafilatura extracts (as Markdown, so
  headings and lists survive; menus and footers are already gone). Offsets index
  that extracted text, which :func:`read_document` returns;
* ``.pdf``: pypdf's text of each page, pages joined by ``"\n\f\n"``;
* ``.docx``: python-docx paragraphs joined by blank lines, headings as ``#``,
  list items as ``- ``, table rows as tab-separated lines.

Files are only ever opened for reading.

Tables (``.csv``, ``.xlsx``, ``.jsonl``, ``.parquet``) are one response per row;
:func:`load_table` returns them with a normalised ``id``, ``text`` and ``status``
column plus every metadata column carried through unchanged (as strings, so a
site code ``007`` stays ``"007"``).
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import covidlearning.corpus.answers as answers
import covidlearning.corpus.repair as repair
from covidlearning.corpus.answers import filler_reason  # noqa: F401 - part of this API
from covidlearning.errors import InputError, did_you_mean, quoted

logger = logging.getLogger(__name__)

TABLE_FORMATS = (".csv", ".xlsx", ".jsonl", ".parquet")
DOCUMENT_FORMATS = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
SUPPORTED_FORMATS = DOCUMENT_FORMATS + TABLE_FORMATS

# --------------------------------------------------------------------------- encodings
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(data: bytes, name: str = "input") -> str:
    """Return the codec that decodes ``data`` without mojibake.

    Order: a byte-order mark; strict UTF-8; strict cp1252; Latin-1 when every byte
    is printable in it. Anything else (binary data, UTF-16 without a BOM) is refused.

    Raises:
        InputError: the bytes are not text in a supported encoding.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    if b"\x00" in data:
        raise InputError(
            f"{name} is not readable text (it holds NUL bytes: binary, or UTF-16 without a BOM)",
            "Save it as UTF-8 text, CSV or XLSX",
        )
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        pass
    text = data.decode("latin-1")
    controls = sum(1 for c in text if "\x80" <= c <= "\x9f")
    if controls <= max(2, len(text) // 1000):
        return "latin-1"
    raise InputError(
        f"cannot tell the text encoding of {name} (not UTF-8, cp1252 or Latin-1)",
        "Save it as UTF-8 and try again",
    )


_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    assert isinstance(err, UnicodeDecodeError)
    bad = err.object[err.start : err.end]
    return bad.decode("cp1252", errors="replace"), err.end


#: The codec error handler that reads a byte UTF-8 cannot as cp1252 (registered on import).
CP1252_FALLBACK = "covidlearning-cp1252"
codecs.register_error(CP1252_FALLBACK, _cp1252_fallback)


def text_encoding(data: bytes, name: str = "input") -> str:
    """The encoding :func:`decode_text` reads ``data`` by (without decoding it).

    :func:`detect_encoding`'s, or ``"utf-8+cp1252"`` for UTF-8 text with stray cp1252
    bytes: UTF-8, each byte that is not UTF-8 read as cp1252 (the error handler
    :data:`CP1252_FALLBACK`).

    Raises:
        InputError: the bytes are not text in a supported encoding.
    """
    enc = detect_encoding(data, name)
    if enc in ("cp1252", "latin-1") and _UTF8_MULTIBYTE.search(data):
        return "utf-8+cp1252"
    return enc


def decode_text(data: bytes, name: str = "input") -> tuple[str, str]:
    r"""Decode bytes to text without mojibake; return ``(text, encoding)``.

    Like :func:`detect_encoding`, plus one repair: a UTF-8 file with a few stray
    cp1252 bytes (text pasted from Word into a UTF-8 file) is decoded as UTF-8 with
    those bytes read as cp1252 (encoding ``"utf-8+cp1252"``), instead of turning
    every UTF-8 character into mojibake. A BOM is dropped; line endings become ``\n``.

    Raises:
        InputError: the bytes are not text in a supported encoding.
    """
    enc = text_encoding(data, name)
    if enc == "utf-8+cp1252":
        text = data.decode("utf-8", errors=CP1252_FALLBACK)
    else:
        text = data.decode(enc)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n"), enc


def read_text_file(path: str | Path) -> str:
    r"""Decode a text file with :func:`detect_encoding`; line endings become ``\n``.

    Offsets into the returned string are the offsets the segments refer to.
    """
    path = Path(path)
    return decode_text(path.read_bytes(), path.name)[0]


# --------------------------------------------------------------------------- documents
@dataclass(frozen=True)
class Document:
    r"""One document's text, the text that unit offsets refer to.

    Attributes:
        path: the source file.
        text: decoded (or extracted) text, line endings ``\n``.
        format: ``txt``, ``md``, ``html``, ``pdf`` or ``docx``.
        encoding: the detected codec for text formats, else ``""``.
        title: a title the file itself declares (HTML ``<title>``, PDF/DOCX
            properties), else ``""``.
    """

    path: Path
    text: str
    format: str
    encoding: str = ""
    title: str = ""


def read_document(path: str | Path, *, comments: bool = False) -> Document:
    """Read one document file (``.txt``, ``.md``, ``.html``, ``.htm``, ``.pdf``, ``.docx``).

    Args:
        path: the file.
        comments: for HTML, keep the reader comments trafilatura finds under an
            article (by default only the main text is extracted).

    Raises:
        InputError: missing, empty, unknown format, unreadable encoding, corrupt file,
            or no text to extract (e.g. a scanned PDF).
    """
    path = check_input_path(path, DOCUMENT_FORMATS)
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md"):
        text, enc = decode_text(path.read_bytes(), path.name)
        doc = Document(path, text, suffix[1:], enc)
    elif suffix in (".html", ".htm"):
        doc = _read_html(path, comments)
    elif suffix == ".pdf":
        doc = _read_pdf(path)
    else:
        doc = _read_docx(path)
    if not doc.text.strip():
        raise InputError(f"{path.name} has no text", "Remove it from the folder or add its text")
    return doc


def _read_html(path: Path, comments: bool = False) -> Document:
    html, enc = decode_text(path.read_bytes(), path.name)
    import trafilatura

    text = trafilatura.extract(
        html,
        output_format="markdown",
        include_comments=comments,
        include_tables=True,
        include_formatting=True,
        favor_recall=True,
    )
    if not text or not text.strip():
        raise InputError(
            f"no main text found in {path.name}", "Check it is an article page, or save it as .txt"
        )
    meta = trafilatura.extract_metadata(html)
    title = (meta.title or "") if meta is not None else ""
    return Document(path, text.replace("\r\n", "\n"), "html", enc, title)


def _read_pdf(path: Path) -> Document:
    try:
        import pypdf

        reader = pypdf.PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"{path.name} is password-protected", "Save an unprotected copy")
        pages = [(page.extract_text() or "") for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title", "") or "")
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise InputError(
            f"cannot read {path.name} as PDF ({exc.__class__.__name__})",
            "Check the file opens in a PDF viewer",
        ) from None
    text = "\n\f\n".join(p.replace("\r\n", "\n").replace("\r", "\n") for p in pages)
    if not text.strip():
        raise InputError(
            f"{path.name} has no extractable text (a scanned PDF?)",
            "Run OCR on it first or supply the text as .txt",
        )
    return Document(path, text, "pdf", "", title)


def _read_docx(path: Path) -> Document:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        d = docx.Document(str(path))
        parts: list[str] = []
        for child in d.element.body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                para = Paragraph(child, d)
                t = para.text.strip()
                if not t:
                    continue
                style = (para.style.name if para.style is not None else "") or ""
                m = re.match(r"(?i)heading (\d)", style)
                if m:
                    t = "#" * int(m.group(1)) + " " + t
                elif style.lower() == "title":
                    t = "# " + t
                elif (
                    style.lower().startswith("list")
                    or para._p.pPr is not None
                    and (para._p.pPr.numPr is not None)
                ):
                    t = "- " + t
                parts.append(t)
            elif tag == "tbl":
                rows = []
                for row in Table(child, d).rows:
                    cells = [" ".join(c.text.split()) for c in row.cells]
                    rows.append("\t".join(cells))
                if rows:
                    parts.append("\n".join(rows))
        title = d.core_properties.title or ""
    except InputError:
        raise
    except Exception as exc:  # zip/XML errors from damaged files
        raise InputError(
            f"cannot read {path.name} as DOCX ({exc.__class__.__name__})",
            "Check the file opens in Word or LibreOffice",
        ) from None
    return Document(path, "\n\n".join(parts), "docx", "", title)


# --------------------------------------------------------------------------- tables
#: Formats people often have, and the supported format to save them as.
_SAVE_AS = {".xls": ".xlsx", ".xlsm": ".xlsx", ".ods": ".xlsx", ".json": ".jsonl", ".tsv": ".csv"}


def sheet_names(path: str | Path) -> list[str]:
    """The worksheet names of an XLSX workbook, in order (empty if it cannot be read)."""
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        try:
            return list(wb.sheetnames)
        finally:
            wb.close()
    except Exception:  # noqa: BLE001 - a corrupt file is reported by the reader itself
        return []


def check_input_path(path: str | Path, formats: tuple[str, ...] = SUPPORTED_FORMATS) -> Path:
    """Check that ``path`` exists, is non-empty and has a supported suffix.

    Raises:
        InputError: naming the problem and the fix.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"file not found: {path}", "Check the path and try again")
    if path.is_dir():
        raise InputError(
            f"{path} is a folder, not a file", "Pass a table file (CSV, XLSX, JSONL, Parquet)"
        )
    suffix = path.suffix.lower()
    if suffix not in formats:
        fix = "Use one of " + ", ".join(formats)
        if suffix in _SAVE_AS and _SAVE_AS[suffix] in formats:
            fix = f"Save it as {_SAVE_AS[suffix]} (e.g. from Excel or pandas), or use one of " + (
                ", ".join(formats)
            )
        raise InputError(f"unknown format '{suffix or path.name}' for {path.name}", fix)
    if path.stat().st_size == 0:
        raise InputError(
            f"{path.name} is empty", "Pass a file with a header row and at least one response"
        )
    return path


def csv_delimiter(text: str) -> str:
    """The delimiter of a CSV: comma, semicolon, tab or pipe, sniffed from the header."""
    import csv

    lines = text.lstrip("\ufeff").splitlines()
    header = next((ln for ln in lines if ln.strip()), "")
    found = [d for d in ",;\t|" if d in header]
    if not found:
        return "\x1f"  # a single column: no delimiter at all
    if len(found) == 1:
        return found[0]
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters="".join(found)).delimiter
    except csv.Error:
        return max(found, key=header.count)


def read_table_raw(path: str | Path, sheet: str | None = None) -> pd.DataFrame:
    """Read a table file with every column as strings (missing cells as empty strings).

    Raises:
        InputError: unknown format, empty file, unreadable encoding or corrupt file.
    """
    path = check_input_path(path, TABLE_FORMATS)
    suffix = path.suffix.lower()
    if sheet is not None and suffix != ".xlsx":
        raise InputError(
            f"--sheet applies to XLSX workbooks, and {path.name} is {suffix[1:].upper()}",
            "Leave out --sheet (input.sheet in a report config)",
        )
    try:
        if suffix == ".csv":
            text = decode_text(path.read_bytes(), path.name)[0]
            from io import StringIO

            df = pd.read_csv(
                StringIO(text), dtype=str, keep_default_na=False, sep=csv_delimiter(text)
            )
        elif suffix == ".xlsx":
            names = sheet_names(path)
            if sheet is not None and names and sheet not in names:
                raise InputError(
                    f"no sheet '{sheet}' in {path.name}; sheets found: " + ", ".join(names),
                    "Pass --sheet (input.sheet in a report config) with one of them",
                )
            df = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False)
        elif suffix == ".jsonl":
            text = decode_text(path.read_bytes(), path.name)[0]
            from io import StringIO

            df = pd.read_json(StringIO(text), lines=True, dtype=False)
            df = df.astype(object).where(df.notna(), "").astype(str)
        else:
            df = pd.read_parquet(path)
            df = df.astype(object).where(df.notna(), "").astype(str)
    except InputError:
        raise
    except pd.errors.EmptyDataError:
        raise InputError(
            f"{path.name} has no rows", "Pass a table with a header row and responses"
        ) from None
    except (ValueError, OSError, KeyError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise InputError(
            f"cannot read {path.name} as {suffix[1:].upper()}: {msg}",
            "Check the file is not corrupt",
        ) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


#: Rows read to check a table's columns before the run (header plus a sample).
HEAD_ROWS = 200


def read_table_head(
    path: str | Path, sheet: str | None = None, nrows: int = HEAD_ROWS
) -> pd.DataFrame:
    """The header and first ``nrows`` rows of a table file, every cell a string.

    Reads no more than it needs (the first megabyte of a CSV or JSONL, the first rows
    of a workbook sheet or Parquet file), so a config can be checked in well under a
    second whatever the table's size. A CSV too odd to cut short is read whole.

    Raises:
        InputError: the file cannot be read (see :func:`read_table_raw`).
    """
    import io

    import pandas as pd

    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in {".csv", ".jsonl"}:
            with path.open("rb") as fh:
                data = fh.read(1 << 20)
                whole = not fh.read(1)
            if not whole:
                data = data[: data.rfind(b"\n") + 1]  # whole lines only
            text = decode_text(data, path.name)[0]
            if suffix == ".csv":
                df = pd.read_csv(
                    io.StringIO(text), dtype=str, keep_default_na=False, nrows=nrows,
                    sep=csv_delimiter(text),
                )  # fmt: skip
            else:
                df = pd.read_json(io.StringIO(text), lines=True, dtype=False, nrows=nrows)
                df = df.astype(object).where(df.notna(), "").astype(str)
        elif suffix == ".xlsx":
            names = sheet_names(path)
            if sheet is not None and names and sheet not in names:
                return read_table_raw(path, sheet)  # its error names the sheets
            df = pd.read_excel(
                path, sheet_name=sheet or 0, dtype=str, keep_default_na=False, nrows=nrows
            )
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            batch = next(pq.ParquetFile(path).iter_batches(batch_size=nrows), None)
            df = (
                pd.DataFrame(columns=pq.read_schema(path).names)
                if batch is None
                else batch.to_pandas()
            )
            df = df.astype(object).where(df.notna(), "").astype(str)
        else:
            return read_table_raw(path, sheet)
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - let the full reader give the proper message
        return read_table_raw(path, sheet)
    df.columns = [str(c).strip() for c in df.columns]
    return df


#: A table with these columns is a corpus build's segments table: its ``status`` is kept.
CORPUS_STATUS_COLUMNS = ("segment_id", "status")


def load_table(
    path: str | Path,
    text_column: str,
    id_column: str | None = None,
    sheet: str | None = None,
    *,
    missing_values: Iterable[str] | None = None,
    question_column: str | None = None,
) -> pd.DataFrame:
    """Load a table of responses for analysis.

    Args:
        path: CSV, XLSX, JSONL or Parquet file, one response per row.
        text_column: the column of free text.
        id_column: optional column of ids; default is the 0-based row number.
        sheet: XLSX sheet name.
        missing_values: answers that mean no answer was given, matched ignoring case,
            spaces and punctuation (status ``missing``); default
            :data:`covidlearning.config.DEFAULT_MISSING_VALUES` (``input.missing_values``),
            ``()`` for none.
        question_column: the column of the question each row answers. Short answers
            ("Nothing", "No", "Everything") are then read with their question
            (:mod:`covidlearning.corpus.answers`): ``text`` holds the phrase they mean
            ("Nothing to improve") and ``original_text`` what the respondent wrote.
            Without it short filler answers are excluded.

    Returns:
        A frame with ``id`` (str, unique), ``text`` (mojibake fixed, whitespace
        normalised), ``status`` (``ok`` or why the row is excluded: ``empty``,
        ``missing``, ``digits only``, ``filler``, ``non-answer`` (an answer saying no
        answer was given, :func:`covidlearning.corpus.answers.says_no_answer`),
        ``repeated non-answer`` (one text making up at least 2% of the rows and saying
        nothing, or repeated 5+ times and a non-answer phrase,
        :func:`covidlearning.corpus.answers.repeated_non_answers`), or, for the segments
        table of ``covidlearning corpus build``, the build's own reason such as ``too
        short``), ``duplicate`` (True for a repeat of an earlier text), ``original_text``
        (with ``question_column`` only) and every other column of the input,
        unchanged, as strings.

    Raises:
        InputError: the file cannot be read, has no rows, or lacks the columns.
    """
    df = read_table_raw(path, sheet)
    return clean_table(
        df, path, text_column, id_column, sheet,
        missing_values=missing_values, question_column=question_column,
    )  # fmt: skip


def duplicate_ids(
    count: int, id_column: str, name: str, example: str | None, blank: int
) -> InputError:
    """The refusal of an id column whose ids repeat, in one wording for every reader.

    Args:
        count: rows repeating an earlier id.
        id_column: the column.
        name: the file (or folder of files) read.
        example: one repeated id that is not blank (None when only blanks repeat).
        blank: how many of ``count`` are blank ids repeated.
    """
    detail = "; ".join(
        ([f"e.g. {example!r}"] if example is not None else [])
        + ([f"{blank} blank" if example is not None else "blank ids"] if blank else [])
    )
    return InputError(
        f"{count} duplicate {'id' if count == 1 else 'ids'} in column '{id_column}' of "
        f"{name} ({detail})",
        "Make the id column unique, or name no id column (--id-column, or input.id_column "
        "in a config) to number the rows",
    )


def clean_table(
    df: pd.DataFrame,
    path: str | Path,
    text_column: str,
    id_column: str | None = None,
    sheet: str | None = None,
    *,
    missing_values: Iterable[str] | None = None,
    question_column: str | None = None,
) -> pd.DataFrame:
    """What :func:`load_table` does once the file is read: ``df`` (every cell a string) cleaned.

    Also used on a table read in partitions (:mod:`covidlearning.engine.partitions`);
    ``path`` names the input in messages. Arguments and result as :func:`load_table`'s.
    """
    from covidlearning.config import DEFAULT_MISSING_VALUES

    name = Path(path).name
    if df.empty:
        raise InputError(
            f"{name} has a header but no rows", "Add at least one response below the header"
        )
    _check_table_columns(
        df,
        path,
        sheet,
        {"--text-column": text_column, "--id-column": id_column,
         "--question-column": question_column},
    )  # fmt: skip
    normalised, shifted = repair.normalise_answers(df[text_column].astype(str).tolist())
    texts = pd.Series(normalised, index=df.index, dtype=object)
    if shifted:
        logger.info(
            "%d answers of %s wrote lower-case i as I; repaired (corpus.repair)", shifted, name
        )
    if id_column is not None:
        ids = df[id_column].astype(str).str.strip()
        dup = ids[ids.duplicated()]
        if len(dup):
            named = dup[dup != ""]
            example = str(named.iloc[0]) if len(named) else None
            raise duplicate_ids(len(dup), id_column, name, example, len(dup) - len(named))
    else:
        ids = pd.Series([str(i) for i in range(len(df))], index=df.index)
    listed = DEFAULT_MISSING_VALUES if missing_values is None else missing_values
    keys = answers.missing_keys(listed)
    status = texts.map(lambda t: answers.exclusion_reason(t, keys) or "ok")
    status = status.mask((status == "ok") & texts.map(answers.says_no_answer), "non-answer")
    original, questions = texts, []
    if question_column is not None:
        asked = df[question_column].astype(str).map(lambda s: " ".join(s.split()))
        texts, status = answers.read_with_questions(texts, status, asked)
        questions = sorted(set(asked) - {""})
    if set(CORPUS_STATUS_COLUMNS) <= set(df.columns):  # a corpus build's segments table
        earlier = df["status"].astype(str).str.strip()
        status = status.where((status != "ok") | (earlier == "ok"), earlier)
    repeated = answers.repeated_non_answers(texts, status, questions, keys)
    status = status.mask(repeated, "repeated non-answer")
    key = texts.str.lower()
    duplicate = key.duplicated() & (status == "ok")
    meta = df.drop(columns=[c for c in (text_column, id_column) if c is not None])
    reserved = {"id", "text", "status", "duplicate", "original_text"}
    meta = meta.rename(columns={c: f"{c}_" for c in meta.columns if c in reserved})
    columns = {"id": ids.values, "text": texts.values, "status": status.values}
    columns["duplicate"] = duplicate.values
    if question_column is not None:
        columns["original_text"] = original.values
    out = pd.DataFrame(columns)
    return pd.concat([out, meta.reset_index(drop=True)], axis=1)


def header_below(df: pd.DataFrame, column: str, rows: int = 20) -> int | None:
    """The file row of a header below a title: where ``column`` is a cell in ``df``'s first rows.

    A workbook with a title or notes above its header is read with the title as the
    header ("Unnamed: 1", ...); the named column then shows up as a cell further down.

    Returns:
        The 1-based row of the file (the header read is row 1), or None.
    """
    want = column.strip()
    for k, (_, row) in enumerate(df.head(rows).iterrows()):
        if any(str(v).strip() == want for v in row.tolist()):
            return k + 2
    return None


def header_fix(df: pd.DataFrame, column: str, fix: str) -> tuple[str, str]:
    """``(detail, fix)`` of a missing column: where the header seems to be, if below a title."""
    row = header_below(df, column)
    if row is None:
        return "", fix
    return (
        f"; '{column}' is a cell of row {row}, so the header seems to be on row {row}",
        f"Delete the {row - 1} {'row' if row == 2 else 'rows'} above the header (a title or "
        "notes) in a copy of the file and read the copy",
    )


def _check_table_columns(
    df: pd.DataFrame, path: str | Path, sheet: str | None, named: dict[str, str | None]
) -> None:
    """Check that every column named (flag -> column) is in ``df``'s header.

    Raises:
        InputError: one line naming the column, the nearest one found (if any) and
            every column found.
    """
    name = Path(path).name
    header = [str(c) for c in df.columns]
    for flag, col in named.items():
        if col is None or col in df.columns:
            continue
        found = quoted(header)
        where, fix = name, f"Pass {flag} with one of them"
        others = sheet_names(path) if Path(path).suffix.lower() == ".xlsx" else []
        if len(others) > 1:
            where = f"sheet '{sheet or others[0]}' of {name}"
            fix += ", or --sheet with another sheet: " + ", ".join(
                n for n in others if n != (sheet or others[0])
            )
        hint = did_you_mean(col, header, cutoff=0.75)
        below, fix = header_fix(df, col, fix)
        raise InputError(
            f"column '{col}' not found in {where}{hint}; columns found: {found}{below}", fix
        )
