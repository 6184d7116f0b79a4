"""Deterministic, atomic file output and hashing shared by every stage."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from covidlearning.errors import InputError

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


#: CPU flags that change how floating-point kernels sum (vector width, fused multiply-add).
_ISA_FLAGS = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "amx_tile",
)


def _cpu_model_and_flags() -> tuple[str, list[str]]:
    model, flags = platform.processor() or platform.machine(), set()
    with contextlib.suppress(OSError):
        for line in (
            Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
        ):
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() in {"flags", "Features"}:
                flags = set(value.split())
                break
    return model, [f for f in _ISA_FLAGS if f in flags]


def machine_info() -> dict[str, Any]:
    """Describe where a run was made, so a difference between two runs can be explained.

    CPU model and the instruction-set flags that change floating-point kernels, core
    count, OS, Python, the BLAS libraries loaded and their threads (``threadpoolctl``),
    and, when torch is already imported, its thread count and the CPU kernel set it uses
    (``ATEN_CPU_CAPABILITY`` overrides it). Nothing here is imported just to describe it.
    """
    import sys

    model, flags = _cpu_model_and_flags()
    info: dict[str, Any] = {
        "cpu": model,
        "cpu_flags": flags,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }
    with contextlib.suppress(Exception):  # threadpoolctl is a scikit-learn dependency
        from threadpoolctl import threadpool_info

        info["blas"] = sorted(
            (
                {
                    "library": str(p.get("internal_api")),
                    "version": str(p.get("version")),
                    "threads": int(p.get("num_threads") or 0),
                    "architecture": str(p.get("architecture")),
                }
                for p in threadpool_info()
                if p.get("user_api") == "blas"
            ),
            key=lambda d: (d["library"], d["version"], d["architecture"]),
        )
    torch = sys.modules.get("torch")
    if torch is not None:
        with contextlib.suppress(Exception):
            info["torch"] = {
                "threads": int(torch.get_num_threads()),
                "cpu_capability": str(torch.backends.cpu.get_cpu_capability()),
            }
    return info


#: Raw data is read, never written: an output folder may not be in one.
RAW_MANIFEST = "manifest.csv"
_RAW_MANIFEST_COLUMNS = ("doc_id", "sha256")
_OUT_FIX = "Pass --out a new folder for the outputs, e.g. reports/<run>"


def _is_raw_folder(folder: Path) -> bool:
    """A project's ``data/raw``, or any folder whose ``manifest.csv`` lists raw files."""
    if folder.name == "raw" and folder.parent.name == "data":
        return True
    manifest = folder / RAW_MANIFEST
    try:
        with open(manifest, encoding="utf-8-sig") as fh:
            header = fh.readline().lower()
    except OSError:
        return False
    return all(col in header for col in _RAW_MANIFEST_COLUMNS)


def check_output_dir(
    out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str] | None] = ()
) -> Path:
    """Check that a run may write its output folder ``out``; returns it as a Path.

    Refused, with an :class:`InputError` naming the fix: ``out`` (or a folder on its
    path) is an existing file; ``out`` is inside a raw-data folder (``data/raw``, or
    one with a raw ``manifest.csv``), which is only ever read; ``out`` is one of the
    run's ``inputs`` or a folder holding one (replacing it could lose the input);
    or ``out`` cannot be created.
    """
    out = Path(out)
    full = out.resolve()
    for folder in (full, *full.parents):
        if folder.exists() and not folder.is_dir():
            problem = (
                f"--out {out} is a file, not a folder"
                if folder == full
                else f"--out {out} lies inside {folder}, which is a file, not a folder"
            )
            raise InputError(problem, _OUT_FIX)
        if folder.is_dir() and _is_raw_folder(folder):
            raise InputError(
                f"--out {out} is inside the raw-data folder {folder}, which is only ever read",
                _OUT_FIX,
            )
    for item in inputs:
        if item is None:
            continue
        src = Path(item).resolve()
        if src == full or full in src.parents:
            raise InputError(
                f"--out {out} holds an input of this run ({Path(item)}); writing the outputs "
                "there would replace it",
                _OUT_FIX,
            )
    try:
        full.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the output folder {out}: {exc.strerror or exc}",
            "Pass --out a folder you can write to",
        ) from None
    if not os.access(full.parent, os.W_OK):
        raise InputError(
            f"cannot write in {full.parent}: permission denied",
            "Pass --out a folder you can write to",
        )
    return out


#: Output folders this process has claimed: resolved path -> (open lock file, holds).
_CLAIMS: dict[Path, list[Any]] = {}


def lock_path(out: str | os.PathLike[str]) -> Path:
    """The lock file of an output folder: ``.NAME.lock`` beside it."""
    out = Path(out)
    return out.parent / f".{out.name}.lock"


def claim_output(out: str | os.PathLike[str]) -> None:
    """Claim the output folder ``out`` for this process, or refuse: one run writes it at once.

    The claim is an exclusive ``flock`` on ``.NAME.lock`` beside ``out``, held until
    :func:`release_output` (the operating system drops it when the process ends, so a
    killed run never blocks the next). The lock file names the claiming process. A
    process may claim the same folder again (each claim needs its release).

    Raises:
        InputError: another process is writing ``out`` now.
    """
    full = Path(out).resolve()
    if full in _CLAIMS:
        _CLAIMS[full][1] += 1
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no claim, as before
        return
    lock = lock_path(full)
    lock.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(10):
        fh = open(lock, "a+", encoding="utf-8")  # noqa: SIM115 - held past this function
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip()
            fh.close()
            raise InputError(
                f"another run is writing {out} now"
                + (f" ({holder})" if holder else "")
                + "; this one stopped before writing anything",
                "Wait for it to finish, or write elsewhere (another --out or --reports-dir)",
            ) from None
        try:  # the file may have been removed and re-made by a run that just ended
            same = os.fstat(fh.fileno()).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        fh.close()
    else:  # pragma: no cover - the lock file keeps changing under us
        raise InputError(f"cannot claim {out}", "Try again")
    import datetime as dt

    fh.seek(0)
    fh.truncate()
    fh.write(
        f"process {os.getpid()} on {platform.node() or 'this machine'}, since "
        f"{dt.datetime.now(tz=dt.UTC):%Y-%m-%d %H:%M} UTC\n"
    )
    fh.flush()
    _CLAIMS[full] = [fh, 1]


def release_output(out: str | os.PathLike[str] | None = None) -> None:
    """Release a claim of :func:`claim_output` (``None``: every claim of this process)."""
    paths = list(_CLAIMS) if out is None else [Path(out).resolve()]
    for full in paths:
        held = _CLAIMS.get(full)
        if held is None:
            continue
        held[1] -= 1
        if held[1] > 0 and out is not None:
            continue
        del _CLAIMS[full]
        with contextlib.suppress(OSError):
            lock_path(full).unlink()  # while still locked: a waiting run re-opens it
        held[0].close()


@contextlib.contextmanager
def output_claimed(out: str | os.PathLike[str]) -> Iterator[None]:
    """Hold :func:`claim_output` on ``out`` for the block."""
    claim_output(out)
    try:
        yield
    finally:
        release_output(out)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _sweep_stale(out: Path) -> None:
    """Remove the temporary folders of earlier runs into ``out`` that were killed.

    A run killed by a signal Python cannot catch (SIGKILL, a power cut) leaves its
    ``.NAME.tmp-PID-*`` or ``.NAME.old-PID`` folder beside ``out``; it is removed once
    that process is gone. Folders of a run still going are left alone.
    """
    for pattern in (f".{out.name}.tmp-*", f".{out.name}.old-*"):
        for path in out.parent.glob(pattern):
            pid = path.name.rsplit(".", 1)[-1].split("-")[1:2]
            if path.is_dir() and pid and pid[0].isdigit() and not _pid_alive(int(pid[0])):
                shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def atomic_dir(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``out`` only if the block succeeds.

    Files already in ``out`` that the block does not rewrite are carried over, so a
    stage can add its files to a directory shared with other stages. On failure the
    temporary directory is removed and ``out`` is left exactly as it was.

    Only one process writes ``out`` at once (:func:`claim_output`).

    Raises:
        InputError: ``out`` may not be written (see :func:`check_output_dir`), or
            another run is writing it now.
    """
    out = check_output_dir(out)
    with output_claimed(out):
        yield from _replace_dir(out)


def _replace_dir(out: Path) -> Iterator[Path]:
    """:func:`atomic_dir`'s work, while this process holds ``out``'s claim."""
    _sweep_stale(out)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
    except OSError as exc:
        raise InputError(
            f"cannot write in {out.parent}: {exc.strerror or exc}",
            "Pass --out a folder you can write to",
        ) from None
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
