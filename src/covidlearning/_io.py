"""Deterministic, atomic file output and hashing shared by every stage."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

_VERSIONED = (
    "covidlearning",
    "bertopic",
    "sentence-transformers",
    "torch",
    "umap-learn",
    "hdbscan",
    "scikit-learn",
    "numpy",
    "pandas",
    "nltk",
    "papermill",
)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _default_mode(is_dir: bool) -> int:
    """Permissions a plain ``open``/``mkdir`` would give (mkstemp/mkdtemp use 0600/0700)."""
    return (0o777 if is_dir else 0o666) & ~_umask()


def ordinary_permissions(folder: str | os.PathLike[str]) -> None:
    """Give every file under ``folder`` the permissions a plain ``open`` would.

    Libraries that write through ``mkstemp`` (safetensors, for one) leave files 0600,
    which a colleague or a CI artefact upload then cannot read.
    """
    for path in Path(folder).rglob("*"):
        os.chmod(path, _default_mode(is_dir=path.is_dir()))


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Return the hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_text(text: str) -> str:
    """Return the hex sha256 of a string encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def package_versions(names: tuple[str, ...] = _VERSIONED) -> dict[str, str]:
    """Return installed versions of the packages that shape results."""
    out: dict[str, str] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@contextlib.contextmanager
def atomic_dir(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``out`` only if the block succeeds.

    Files already in ``out`` that the block does not rewrite are carried over, so a
    stage can add its files to a directory shared with other stages. On failure the
    temporary directory is removed and ``out`` is left exactly as it was.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    os.chmod(tmp, _default_mode(is_dir=True))
    try:
        if out.is_dir():
            shutil.copytree(out, tmp, dirs_exist_ok=True)
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, _default_mode(is_dir=False))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 text atomically with Unix line endings."""
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write JSON deterministically (sorted keys, 2-space indent) and atomically."""
    write_text(
        path, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    )


def write_csv(path: str | os.PathLike[str], df: pd.DataFrame, float_format: str = "%.6g") -> None:
    """Write a table as CSV, byte-identical for identical frames."""
    write_text(path, df.to_csv(index=False, lineterminator="\n", float_format=float_format))


def write_parquet(path: str | os.PathLike[str], df: pd.DataFrame) -> None:
    """Write a table as Parquet atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_xlsx(path: str | os.PathLike[str], sheets: dict[str, pd.DataFrame]) -> None:
    """Write one or more tables to an XLSX workbook atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}.xlsx")
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, df in sheets.items():
                df.to_excel(xw, sheet_name=name[:31], index=False)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
