"""Build the corpus: load every raw file, clean it, segment it and write the results.

``build_corpus`` reads a folder of documents (and tables of responses), never writes
to it, and writes into the processed folder, atomically (a failed run leaves the
previous results untouched):

* ``segments.parquet`` and ``segments.csv``: one row per unit, columns
  :data:`covidlearning.corpus.segment.SEGMENT_COLUMNS` (tables add their metadata columns);
* ``removals.csv``: the removal log, every span cleaning dropped and why;
* ``documents.csv``: one row per file (format, encoding, sha256, counts);
* ``extracted/<doc_id>.txt``: for HTML, PDF and DOCX files, the extracted text that
  their units' ``start``/``end`` offsets index (for .txt/.md the raw file itself);
* ``corpus_summary.json``: counts by document, kind, status and removal reason.

``manifest.csv`` in the raw folder, when present, gives each file its ``doc_id``
and metadata (``title``, ``publisher``, ``date``, ``doc_type``) and its ``sha256``,
which ``covidlearning corpus verify`` checks. Without a manifest, doc ids are the
file names without their suffix.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from covidlearning.config import CorpusConfig
from covidlearning.corpus.load import DOCUMENT_FORMATS, SUPPORTED_FORMATS, TABLE_FORMATS
from covidlearning.errors import InputError, did_you_mean, quoted

if TYPE_CHECKING:
    from covidlearning.corpus.clean import Removal

logger = logging.getLogger(__name__)

__all__ = [
    "MANIFEST",
    "MANIFEST_COLUMNS",
    "CorpusResult",
    "build_corpus",
    "list_raw_files",
    "load_segments",
    "read_manifest",
    "verify_manifest",
]

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("doc_id", "file", "title", "publisher", "date", "doc_type", "sha256")
_TEXT_COLUMN_NAMES = (
    "text", "comment", "comments", "response", "responses", "answer", "feedback",
    "free_text", "freetext", "body", "content", "what_went_well", "learning",
)  # fmt: skip
_ID_COLUMN_NAMES = ("id", "response_id", "respondent_id", "comment_id", "record_id")
_REMOVAL_COLUMNS = ("doc_id", "source_file", "start", "end", "reason", "text")


@dataclass
class CorpusResult:
    """The built corpus.

    Attributes:
        segments: one row per unit (see :data:`covidlearning.corpus.segment.SEGMENT_COLUMNS`).
        removals: the removal log (doc_id, source_file, start, end, reason, text).
        documents: one row per source file.
        out_dir: where the outputs were written (None when not written).
    """

    segments: pd.DataFrame
    removals: pd.DataFrame
    documents: pd.DataFrame
    out_dir: Path | None = None
    warnings: list[str] = field(default_factory=list)
    extracted: dict[str, str] = field(default_factory=dict)

    def summary_dict(self) -> dict[str, object]:
        """Counts by document, kind, status and removal reason (JSON-ready)."""
        seg, rem = self.segments, self.removals
        per_doc = {}
        for d in self.documents.itertuples(index=False):
            per_doc[d.doc_id] = {
                "source_file": d.source_file,
                "units": int(d.n_units),
                "units_ok": int(d.n_units_ok),
                "removed_spans": int(d.n_removed),
                "removed_chars": int(d.removed_chars),
            }
        reasons = (
            rem.assign(chars=rem["end"] - rem["start"]).groupby("reason")["chars"].sum()
            if len(rem)
            else pd.Series(dtype="int64")
        )
        return {
            "documents": int(len(self.documents)),
            "units": int(len(seg)),
            "units_ok": int((seg["status"] == "ok").sum()) if len(seg) else 0,
            "by_kind": {str(k): int(v) for k, v in seg["kind"].value_counts().sort_index().items()},
            "by_status": {
                str(k): int(v) for k, v in seg["status"].value_counts().sort_index().items()
            },
            "removed_chars_by_reason": {str(k): int(v) for k, v in reasons.sort_index().items()},
            "per_document": per_doc,
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        """A short human-readable account of the build."""
        s = self.summary_dict()
        excluded = int(s["units"]) - int(s["units_ok"])  # type: ignore[call-overload]
        kinds = ", ".join(f"{v} {k}" for k, v in s["by_kind"].items())  # type: ignore[attr-defined]
        rem = self.removals
        chars = int((rem["end"] - rem["start"]).sum()) if len(rem) else 0
        lines = [
            f"corpus: {s['units']} units ({kinds}) from {s['documents']} "
            f"document{'' if s['documents'] == 1 else 's'}; "
            f"{excluded} excluded from modelling (filler, empty or too short); "
            f"{len(rem)} spans ({chars} chars) removed and logged in removals.csv"
        ]
        if self.out_dir is not None:
            lines.append(f"wrote {self.out_dir}/segments.parquet, segments.csv, removals.csv")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


# --------------------------------------------------------------------------- manifest
def read_manifest(raw_dir: str | Path) -> pd.DataFrame | None:
    """Read ``raw_dir/manifest.csv`` (all columns as strings), or None when absent.

    Raises:
        InputError: the manifest lacks required columns or repeats a doc_id or file.
    """
    path = Path(raw_dir) / MANIFEST
    if not path.is_file():
        return None
    from covidlearning.corpus.load import read_table_raw

    df = read_table_raw(path)
    missing = [c for c in ("doc_id", "file") if c not in df.columns]
    if missing:
        found = quoted(df.columns)
        raise InputError(
            f"{path} lacks column(s) {quoted(missing)}; columns found: {found}",
            "Give it the columns " + ", ".join(MANIFEST_COLUMNS),
        )
    for col in ("doc_id", "file"):
        dup = df[col][df[col].duplicated()]
        if len(dup):
            raise InputError(
                f"{path} lists {col} {dup.iloc[0]!r} twice", f"Make every {col} unique"
            )
    return df


def list_raw_files(raw_dir: str | Path) -> list[Path]:
    """The document and table files of a raw folder, sorted by name.

    Hidden files and ``manifest.csv`` are skipped.

    Raises:
        InputError: the folder is missing or empty, or holds a file of unknown format.
    """
    raw = Path(raw_dir)
    if not raw.exists():
        raise InputError(f"raw folder not found: {raw}", "Pass --raw with a folder of documents")
    if raw.is_file():
        if raw.suffix.lower() not in SUPPORTED_FORMATS:
            raise InputError(
                f"unknown format '{raw.suffix or raw.name}' for {raw.name}",
                "Use one of " + ", ".join(SUPPORTED_FORMATS),
            )
        return [raw]
    files, unknown = [], []
    for p in sorted(raw.iterdir()):
        if p.name.startswith((".", "~$")) or p.name == MANIFEST or p.is_dir():
            continue
        (files if p.suffix.lower() in SUPPORTED_FORMATS else unknown).append(p)
    if unknown:
        names = ", ".join(p.name for p in unknown[:5])
        raise InputError(
            f"unknown format for {names} in {raw}",
            "Remove or convert them; supported: " + ", ".join(SUPPORTED_FORMATS),
        )
    if not files:
        raise InputError(
            f"no documents in {raw}", "Add .txt, .md, .html, .pdf, .docx or table files"
        )
    return files


def verify_manifest(raw_dir: str | Path) -> list[str]:
    """Check every file listed in ``raw_dir/manifest.csv`` against its sha256.

    Returns:
        One message per problem (missing file, checksum mismatch, file not listed);
        an empty list means everything matches.

    Raises:
        InputError: the folder or its manifest is missing or malformed.
    """
    from covidlearning._io import sha256_file

    raw = Path(raw_dir)
    if not raw.is_dir():
        raise InputError(f"raw folder not found: {raw}", "Pass --raw with the corpus folder")
    manifest = read_manifest(raw)
    if manifest is None:
        raise InputError(
            f"no {MANIFEST} in {raw}",
            f"Add one with columns {', '.join(MANIFEST_COLUMNS)} (see data/raw/{MANIFEST})",
        )
    if "sha256" not in manifest.columns:
        raise InputError(f"{raw / MANIFEST} has no sha256 column", "Add each file's sha256")
    problems: list[str] = []
    for row in manifest.itertuples(index=False):
        path = raw / row.file
        if not path.is_file():
            problems.append(f"missing: {row.file} (doc_id {row.doc_id})")
            continue
        actual = sha256_file(path)
        if actual != str(row.sha256).strip().lower():
            problems.append(
                f"checksum mismatch: {row.file} (manifest {str(row.sha256)[:12]}..., "
                f"file {actual[:12]}...)"
            )
    listed = set(manifest["file"])
    for p in sorted(raw.iterdir()):
        if p.is_file() and not p.name.startswith(".") and p.name != MANIFEST:
            if p.name not in listed and p.suffix.lower() in SUPPORTED_FORMATS:
                problems.append(f"not in manifest: {p.name}")
    return problems


# --------------------------------------------------------------------------- build
def _doc_ids(files: list[Path], manifest: pd.DataFrame | None) -> dict[Path, str]:
    listed = (
        {} if manifest is None else dict(zip(manifest["file"], manifest["doc_id"], strict=True))
    )
    ids: dict[Path, str] = {}
    used: set[str] = set()
    for p in files:
        did = str(listed.get(p.name) or p.stem).strip() or p.stem
        if did in used:
            did = f"{did}_{p.suffix.lstrip('.').lower()}"
        used.add(did)
        ids[p] = did
    return ids


def _pick_column(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {c.lower().strip(): c for c in df.columns}
    for n in names:
        if n in lower:
            return lower[n]
    return None


def _table_text_column(df: pd.DataFrame, name: str) -> str:
    col = _pick_column(df, _TEXT_COLUMN_NAMES)
    if col is not None:
        return col
    best, best_len = None, 0.0
    for c in df.columns:
        s = df[c].astype(str)
        if s.str.fullmatch(r"[\d\s.,:/+-]*").mean() > 0.5:
            continue
        mean = s.str.len().mean()
        if mean > best_len:
            best, best_len = c, mean
    if best is None:
        found = quoted(df.columns)
        raise InputError(
            f"no text column found in {name}; columns found: {found}",
            "Name the free-text column 'text' (or 'comment', 'response')",
        )
    return str(best)


def _table_units(
    path: Path, doc_id: str, meta: dict[str, str], text_column: str | None = None
) -> pd.DataFrame:
    from covidlearning.corpus.load import load_table, read_table_raw

    raw = read_table_raw(path)
    if raw.empty:
        raise InputError(
            f"{path.name} has a header but no rows", "Add at least one response below the header"
        )
    if text_column is not None and text_column not in raw.columns:
        found = quoted(raw.columns)
        hint = did_you_mean(text_column, raw.columns)
        raise InputError(
            f"column '{text_column}' not found in {path.name}{hint}; columns found: {found}",
            "Pass --text-column with one of them",
        )
    text_col = text_column or _table_text_column(raw, path.name)
    id_col = _pick_column(raw, _ID_COLUMN_NAMES)
    if id_col is not None and raw[id_col].astype(str).str.strip().duplicated().any():
        id_col = None
    frame = load_table(path, text_col, id_col)
    extra = [c for c in frame.columns if c not in ("id", "text", "status", "duplicate")]
    out = pd.DataFrame(
        {
            "segment_id": [f"{doc_id}-{i}" for i in frame["id"]],
            "doc_id": doc_id,
            "source_file": path.name,
            "start": pd.array([pd.NA] * len(frame), dtype="Int64"),
            "end": pd.array([pd.NA] * len(frame), dtype="Int64"),
            "kind": "response",
            "section": "",
            "text": frame["text"],
            **{k: meta.get(k, "") for k in ("title", "publisher", "date", "doc_type")},
            "status": frame["status"],
        }
    )
    for c in extra:
        out[c] = frame[c].astype(str).values
    return out


@dataclass
class _FileUnits:
    """One raw file read into units, with its format and the spans cleaning removed."""

    units: pd.DataFrame
    format: str
    encoding: str
    n_chars: int
    removed: list[Removal]


def build_corpus(config: CorpusConfig, *, write: bool = True) -> CorpusResult:
    """Load, clean and segment every file in ``config.raw_dir``.

    Args:
        config: raw and processed folders, sentence splitting, minimum unit length.
        write: write the outputs into ``config.processed_dir`` (atomically).

    Returns:
        A :class:`CorpusResult`.

    Raises:
        InputError: a missing folder, no documents, an empty or unreadable file, an
            unknown format, or a manifest that does not match the folder.
    """
    files = list_raw_files(config.raw_dir)
    manifest = _checked_manifest(Path(config.raw_dir))
    by_file = {} if manifest is None else {r["file"]: r for r in manifest.to_dict("records")}
    ids = _doc_ids(files, manifest)
    warnings: list[str] = []
    extracted: dict[str, str] = {}
    seg_frames: list[pd.DataFrame] = []
    removal_rows: list[dict[str, object]] = []
    doc_rows: list[dict[str, object]] = []
    for path in _with_progress(files):
        doc_id, row = ids[path], by_file.get(path.name, {})
        meta = {k: str(row.get(k, "") or "") for k in ("title", "publisher", "date", "doc_type")}
        sha = _checked_sha256(path, row, warnings)
        read = _read_units(path, doc_id, meta, config, warnings, extracted)
        seg_frames.append(read.units)
        removal_rows += _removal_rows(doc_id, path.name, read.removed)
        doc_rows.append(_document_row(doc_id, path.name, sha, meta, read))
    segments = _segments_frame(seg_frames)
    removals = pd.DataFrame(removal_rows, columns=list(_REMOVAL_COLUMNS))
    documents = _documents_frame(doc_rows, extracted)
    result = CorpusResult(segments, removals, documents, warnings=warnings, extracted=extracted)
    logger.info(
        "%d documents: %d units, %d spans removed as furniture, %d warnings",
        len(documents),
        len(segments),
        len(removals),
        len(warnings),
    )
    if write:
        _write(result, Path(config.processed_dir))
    return result


def _checked_manifest(raw_dir: Path) -> pd.DataFrame | None:
    """The raw folder's manifest (None without one), checked to list only files present."""
    manifest = read_manifest(raw_dir) if raw_dir.is_dir() else None
    if manifest is not None:
        missing = [f for f in manifest["file"] if not (raw_dir / f).is_file()]
        if missing:
            raise InputError(
                f"{MANIFEST} lists {len(missing)} file(s) not in {raw_dir}: "
                + ", ".join(missing[:3]),
                "Restore the files or remove their rows from the manifest",
            )
    return manifest


def _with_progress(files: list[Path]) -> Iterable[Path]:
    """The files, behind a progress bar when there are more than 20."""
    if len(files) > 20:
        from tqdm.auto import tqdm

        return tqdm(files, desc="corpus", unit="file")
    return files


def _checked_sha256(path: Path, row: dict[str, Any], warnings: list[str]) -> str:
    """The file's sha256; warns (into ``warnings``) when it differs from the manifest's."""
    from covidlearning._io import sha256_file

    sha = sha256_file(path)
    if row.get("sha256") and str(row["sha256"]).strip().lower() != sha:
        warnings.append(f"{path.name} does not match its sha256 in {MANIFEST}")
    return sha


def _read_units(
    path: Path,
    doc_id: str,
    meta: dict[str, str],
    config: CorpusConfig,
    warnings: list[str],
    extracted: dict[str, str],
) -> _FileUnits:
    """Read a table's responses or a document's cleaned units (filling in ``meta['title']``)."""
    suffix = path.suffix.lower()
    if suffix in TABLE_FORMATS:
        if not meta["title"]:
            meta["title"] = path.stem
        units = _table_units(path, doc_id, meta, config.text_column)
        return _FileUnits(units, suffix[1:], "", 0, [])
    assert suffix in DOCUMENT_FORMATS
    return _document_units(path, doc_id, meta, config, warnings, extracted)


def _document_units(
    path: Path,
    doc_id: str,
    meta: dict[str, str],
    config: CorpusConfig,
    warnings: list[str],
    extracted: dict[str, str],
) -> _FileUnits:
    """Read, clean and segment one document; keep the extracted text of HTML, PDF and DOCX."""
    from covidlearning.corpus.clean import clean_document
    from covidlearning.corpus.load import read_document
    from covidlearning.corpus.segment import document_title, segment_document, units_frame

    doc = read_document(path, comments=config.reader_comments)
    cleaned = clean_document(doc.text, reader_comments=config.reader_comments)
    if not meta["title"]:
        meta["title"] = doc.title or document_title(cleaned) or path.stem
    units = units_frame(
        segment_document(
            doc.text,
            doc_id,
            source_file=path.name,
            metadata=meta,
            sentences=config.sentences,
            min_unit_chars=config.min_unit_chars,
            cleaned=cleaned,
        )
    )
    units = units.astype({"start": "Int64", "end": "Int64"})
    if doc.format in ("html", "pdf", "docx"):
        extracted[doc_id] = doc.text
    if units.empty:
        warnings.append(f"{path.name}: no text units were found")
    return _FileUnits(units, doc.format, doc.encoding, len(doc.text), cleaned.removals)


def _removal_rows(doc_id: str, source_file: str, removed: list[Removal]) -> list[dict[str, object]]:
    """One row of the removal log per span cleaning removed from a file."""
    return [
        {
            "doc_id": doc_id,
            "source_file": source_file,
            "start": r.start,
            "end": r.end,
            "reason": r.reason,
            "text": r.text,
        }
        for r in removed
    ]


def _document_row(
    doc_id: str, source_file: str, sha: str, meta: dict[str, str], read: _FileUnits
) -> dict[str, object]:
    """A file's row of ``documents.csv``: format, encoding, sha256, metadata and counts."""
    units, removed = read.units, read.removed
    return {
        "doc_id": doc_id,
        "source_file": source_file,
        "format": read.format,
        "encoding": read.encoding,
        "sha256": sha,
        **meta,
        "n_chars": read.n_chars,
        "n_units": len(units),
        "n_units_ok": int((units["status"] == "ok").sum()),
        "n_removed": len(removed),
        "removed_chars": sum(r.end - r.start for r in removed),
    }


def _segments_frame(seg_frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Every file's units in one frame: the segment columns first, then tables' extra ones."""
    from covidlearning.corpus.segment import SEGMENT_COLUMNS

    segments = pd.concat(seg_frames, ignore_index=True) if seg_frames else pd.DataFrame()
    cols = list(SEGMENT_COLUMNS) + [c for c in segments.columns if c not in SEGMENT_COLUMNS]
    segments = segments.reindex(columns=cols)
    extra = cols[len(SEGMENT_COLUMNS) :]
    if extra:
        segments[extra] = segments[extra].fillna("")
    return segments.astype({"start": "Int64", "end": "Int64"})


def _documents_frame(doc_rows: list[dict[str, object]], extracted: dict[str, str]) -> pd.DataFrame:
    """One row per file, with the path of its extracted text (if any)."""
    documents = pd.DataFrame(doc_rows)
    documents["text_file"] = [
        f"extracted/{d}.txt" if d in extracted else "" for d in documents.get("doc_id", [])
    ]
    return documents


def _write(result: CorpusResult, out: Path) -> None:
    from covidlearning._io import atomic_dir, write_csv, write_json, write_parquet, write_text

    with atomic_dir(out) as tmp:
        write_parquet(tmp / "segments.parquet", result.segments)
        write_csv(tmp / "segments.csv", result.segments)
        write_csv(tmp / "removals.csv", result.removals)
        write_csv(tmp / "documents.csv", result.documents)
        write_json(tmp / "corpus_summary.json", result.summary_dict())
        if (tmp / "extracted").is_dir():
            import shutil

            shutil.rmtree(tmp / "extracted")  # only this run's extractions
        for doc_id, text in sorted(result.extracted.items()):
            write_text(tmp / "extracted" / f"{doc_id}.txt", text)
    result.out_dir = out


def load_segments(processed_dir: str | Path = "data/processed") -> pd.DataFrame:
    """Read the segments a previous ``corpus build`` wrote.

    Raises:
        InputError: no segments in ``processed_dir``.
    """
    d = Path(processed_dir)
    pq, csv = d / "segments.parquet", d / "segments.csv"
    if pq.is_file():
        return pd.read_parquet(pq)
    if csv.is_file():
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
        for c in ("start", "end"):
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("Int64")
        return df
    raise InputError(f"no segments in {d}", f"Run `covidlearning corpus build --out {d}` first")
