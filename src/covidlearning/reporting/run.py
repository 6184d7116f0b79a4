"""Run the analysis notebooks with papermill and assemble ``reports/<name>/``.

``covidlearning report --config configs/NAME.yaml`` (or :func:`run_report`):

1. reads the config (:func:`covidlearning.config.load_config`) and checks every input
   exists *before* any notebook starts;
2. reads each notebook's ``parameters`` cell (``papermill.inspect_notebook``): every
   override must name a declared parameter and is converted to its declared type, so
   ``site="007"`` stays the string ``"007"``;
3. executes ``01-corpus`` -> ``02-discover`` -> ``03-code`` -> ``04-report`` in a
   temporary folder, each cell limited to ``config.cell_timeout`` seconds;
4. converts the executed report notebook to ``report.html`` (code hidden, figures
   embedded as data URIs, no external scripts), writes ``tables/report-tables.xlsx``
   beside the CSVs and ``manifest.json`` (parameters, sha256 of every input, model id,
   seed, package versions, timings);
5. runs the redaction guard (:func:`covidlearning.privacy.redact.scan_dir`) over the whole
   folder and only then swaps it into place (:func:`covidlearning._io.atomic_dir`).

A failing cell stops the run with :class:`ReportFailed`, naming the notebook and the
cell; the partly executed notebook is kept in ``<reports_dir>/.failed/<name>/`` and the
previous report is left untouched.

Notebooks talk to each other through files: ``tables/`` and ``figures/`` in the report
folder and an unpublished work folder (default ``data/interim/<name>/``: the analysed
units, the fitted model) that never goes under ``reports/``, because it holds
unredacted text. :func:`open_run` is what each notebook calls first.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from covidlearning._io import machine_info, package_versions, sha256_file, write_json
from covidlearning.config import Config, load_config
from covidlearning.errors import InputError, did_you_mean, quoted
from covidlearning.reporting import artifacts as art

#: The notebooks of one report run, in order (file stems in ``notebooks/``).
NOTEBOOKS: tuple[str, ...] = ("01-corpus", "02-discover", "03-code", "04-report")
#: Parameters every notebook has; the runner sets them itself.
RUNNER_PARAMETERS = ("config_path", "out_dir", "work_dir")
REPORT_NOTEBOOK = "04-report"
KERNEL_NAME = "covidlearning"

_PROJECT_MARKERS = ("pyproject.toml", "configs")


class ReportFailed(RuntimeError):
    """A notebook cell failed; the message names the notebook, the cell and the saved copy."""

    exit_code = 1


class RunStopped(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error
    """The run was stopped (Ctrl-C, SIGTERM): its kernel is shut down, nothing published.

    A ``BaseException`` like :class:`KeyboardInterrupt`, so no ``except Exception``
    takes it for a failed cell; ``exit_code`` is 128 + the signal's number.
    """

    def __init__(self, signal_name: str, exit_code: int) -> None:
        self.signal_name = signal_name
        self.exit_code = exit_code
        super().__init__(signal_name)


# --------------------------------------------------------------------------- locations
def project_root(start: str | Path | None = None) -> Path | None:
    """Return the nearest folder at or above ``start`` holding pyproject.toml and configs/."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if all((folder / m).exists() for m in _PROJECT_MARKERS):
            return folder
    return None


def notebooks_dir() -> Path:
    """Folder of the analysis notebooks: ``notebooks/`` of this checkout (or of the cwd)."""
    candidates = [Path(__file__).resolve().parents[3] / "notebooks", Path.cwd() / "notebooks"]
    for c in candidates:
        if (c / f"{NOTEBOOKS[0]}.ipynb").is_file():
            return c
    raise InputError(
        "cannot find the analysis notebooks (notebooks/01-corpus.ipynb)",
        "Run from the covidlearning project folder (an editable install: make setup)",
    )


def default_work_dir(config: Config) -> Path:
    """Unpublished intermediate files of a run: ``data/interim/<name>``."""
    return Path("data/interim") / config.name


def report_dir(config: Config) -> Path:
    """Where a run's report goes: ``<reports_dir>/<name>``."""
    return Path(config.reports_dir) / config.name


def interactive_dir(config: Config) -> Path:
    """Scratch folder of notebooks run directly (JupyterLab, papermill): never published.

    Only ``covidlearning report`` writes ``<reports_dir>/<name>/``, atomically and after
    the identifier guard; a notebook opened by hand writes to
    ``<reports_dir>/.interactive/<name>/`` instead.
    """
    return Path(config.reports_dir) / ".interactive" / config.name


def failed_dir(config: Config) -> Path:
    """Where partly executed notebooks of a failed run are kept."""
    return Path(config.reports_dir) / ".failed" / config.name


# --------------------------------------------------------------------------- inputs
def input_files(config: Config, config_path: str | Path | None = None) -> list[Path]:
    """Every file the run reads: config, raw documents or input table, codebooks."""
    files: list[Path] = []
    if config_path is not None:
        files.append(Path(config_path))
    if config.source == "table" and config.input is not None:
        files.append(Path(config.input.path))
    else:
        raw = Path(config.corpus.raw_dir)
        if raw.is_dir():
            files += sorted(p for p in raw.iterdir() if p.is_file() and not p.name.startswith("."))
    files += [Path(p) for p in config.frameworks]
    if config.code.codebook is not None:
        files.append(Path(config.code.codebook))
    if config.redaction.extra_names_file is not None:
        files.append(Path(config.redaction.extra_names_file))
    return files


def check_inputs(config: Config) -> None:
    """Fail fast, before any notebook runs, when an input the config names is missing.

    Raises:
        InputError: a missing raw folder, input table, codebook or name list.
    """
    if config.source == "table":
        if config.input is None:
            raise InputError(
                "source is 'table' but the config has no input section",
                "Add input: {path: FILE, text_column: COLUMN} (see configs/trust-template.yaml)",
            )
        from covidlearning.corpus.load import TABLE_FORMATS, check_input_path

        check_input_path(config.input.path, TABLE_FORMATS)
        check_columns(config)
    else:
        raw = Path(config.corpus.raw_dir)
        if not raw.is_dir():
            raise InputError(
                f"corpus folder not found: {raw}", "Set corpus.raw_dir to a folder of documents"
            )
        if not any(p.is_file() for p in raw.iterdir()):
            raise InputError(f"corpus folder {raw} is empty", "Put documents in it")
    if config.code.gold_column is not None and config.code.codebook is None:
        raise InputError(
            "code.gold_column is set but code.codebook is not: there is no coding to compare",
            "Set code.codebook to the codebook your coders used, or code.gold_column to null",
        )
    if config.code.gold_column is not None and config.source != "table":
        raise InputError(
            "code.gold_column needs a table of responses (source: table); a corpus's units "
            "have no column of human codes",
            "Set code.gold_column to null",
        )
    for path in [*config.frameworks, config.code.codebook, config.redaction.extra_names_file]:
        if path is not None and not Path(path).is_file():
            raise InputError(f"file named in the config not found: {path}", "Fix the path")
    from covidlearning.coding.codebook import load_codebook

    for key, path in [
        *(("frameworks", p) for p in config.frameworks),
        ("code.codebook", config.code.codebook),
    ]:
        if path is None:
            continue
        try:
            codebook = load_codebook(path)
        except InputError as exc:
            raise InputError(f"{key}: {exc.problem}", exc.fix) from None
        if key == "code.codebook" and len(codebook.themes) < 2:
            raise InputError(
                f"code.codebook: {Path(path).name} has one theme; coding needs at least two",
                "Add themes to the codebook, or list it under frameworks: only",
            )


_BARE_NUMBER = r"\d{1,3}(?:[.,]\d+)?|\d{6,7}|\d{9,}"


def check_columns(config: Config) -> None:
    """Check the columns a table config names against the table's header and first rows.

    ``input.text_column``, ``input.id_column``, ``input.date_column``,
    ``input.question_column`` and each of ``input.group_columns`` must be columns of
    the table, and the date column must hold dates that one rule reads right
    (:func:`check_dates`, which reads that whole column). Runs before any notebook, so
    a misspelt column costs a second, not a failed run.

    Raises:
        InputError: naming the config key, the value and the columns found.
    """
    if config.source != "table" or config.input is None:
        return
    inp = config.input
    from covidlearning.corpus.load import header_fix, read_table_head

    head = read_table_head(inp.path, inp.sheet)
    where = Path(inp.path).name + (f" (sheet '{inp.sheet}')" if inp.sheet else "")
    found = quoted(head.columns)
    named: list[tuple[str, str | None]] = [
        ("input.text_column", inp.text_column),
        ("input.id_column", inp.id_column),
        ("input.date_column", inp.date_column),
        ("input.question_column", inp.question_column),
        *(("input.group_columns", c) for c in inp.group_columns),
        ("code.gold_column", config.code.gold_column),
    ]
    for key, column in named:
        if column is not None and column not in head.columns:
            hint = did_you_mean(column, head.columns)
            below, fix = header_fix(head, column, f"Set {key} in the config to one of them")
            raise InputError(
                f"{key}: column '{column}' not found in {where}{hint}; columns found: "
                f"{found}{below}",
                fix,
            )
    if inp.date_column is not None and len(head):
        check_dates(config, head, where, found)


def check_dates(config: Config, head: Any, where: str, found: str) -> None:
    """Check the date column holds dates, and that one rule reads all of them right.

    The first rows must mostly look like dates; then the whole column's rule is decided
    by :func:`covidlearning.reporting.dates.date_rule`, the function that decides it
    when the breakdowns over time read the column, so a column mixing day-first and
    month-first dates, dates that contradict ``input.dayfirst`` or too many that do not
    fit ``input.date_format`` stop the run here, before any notebook.

    Raises:
        InputError: one line naming the counts, examples and the fix.
    """
    assert config.input is not None and config.input.date_column is not None
    inp, column = config.input, config.input.date_column
    from covidlearning.corpus.load import read_table_raw
    from covidlearning.reporting.dates import classify, date_rule

    values = head[column].astype(str).str.strip()
    values = values[values != ""]
    if not len(values):
        return
    kinds = classify(values).mask(values.str.fullmatch(_BARE_NUMBER), "other")  # 3, 12.5
    if inp.date_format is None and (kinds != "other").mean() < 0.5:
        bad = values[kinds == "other"].drop_duplicates().head(3).tolist()
        raise InputError(
            f"input.date_column: column '{column}' of {where} does not hold "
            f"dates ({int((kinds == 'other').sum())} of the first {len(values)} values are "
            f"not, e.g. {', '.join(repr(str(v)[:30]) for v in bad)}); columns found: {found}",
            "Set input.date_column to a column of dates, or to null",
        )
    try:
        whole = read_table_raw(inp.path, inp.sheet)[column]
    except InputError:  # damaged below the first rows: the notebooks' loader says so
        whole = head[column]
    date_rule(whole, inp.dayfirst, inp.date_format, column, where)


# --------------------------------------------------------------------------- parameters
def notebook_parameters(path: str | Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares: name -> {inferred_type_name, default, help}."""
    import papermill

    return papermill.inspect_notebook(str(path))


_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def coerce(name: str, value: Any, type_name: str) -> Any:
    """Convert an override to the type its parameters cell declares.

    Strings stay strings (``"007"`` is not turned into 7); ``int``, ``float`` and
    ``bool`` parameters accept their usual spellings; anything else is kept as given.

    Raises:
        InputError: the value does not fit the declared type.
    """
    t = (type_name or "").strip().lower()
    try:
        if t == "str":
            return value if isinstance(value, str) else str(value)
        if t == "int":
            if isinstance(value, bool):
                raise ValueError
            return int(value) if not isinstance(value, float) or value.is_integer() else int("x")
        if t == "float":
            return float(value)
        if t == "bool":
            if isinstance(value, bool):
                return value
            s = str(value).strip().lower()
            if s in _TRUE:
                return True
            if s in _FALSE:
                return False
            raise ValueError
    except (TypeError, ValueError):
        raise InputError(
            f"parameter {name} must be {t}, got {value!r}", f"Pass a valid {t} for {name}"
        ) from None
    return value


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """Turn ``NAME=VALUE`` strings into a dict (values stay strings).

    Raises:
        InputError: an item has no ``=`` or an empty name.
    """
    out: dict[str, str] = {}
    for item in pairs:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"bad parameter {item!r}", "Write it as NAME=VALUE")
        out[name.strip()] = value
    return out


def check_parameter(name: str, value: Any) -> Any:
    """Check one (already typed) override with the config's model; return it normalised.

    The report notebooks' parameters are fields of
    :class:`covidlearning.config.ReportParameters`; others pass unchanged.

    Raises:
        InputError: one line naming the allowed values or the bound.
    """
    from covidlearning.config import check_report_parameter

    return check_report_parameter(name, value)


def plan_parameters(
    notebooks: Mapping[str, Path],
    overrides: Mapping[str, Any],
    runner: Mapping[str, Any],
) -> dict[str, dict[str, Any]]:
    """Parameters to inject into each notebook, checked against its ``parameters`` cell.

    Args:
        notebooks: stem -> notebook path.
        overrides: user overrides; each must be declared by at least one notebook and
            may not be a runner parameter.
        runner: values the runner sets in every notebook that declares them.

    Raises:
        InputError: an unknown parameter, a runner parameter overridden, a bad value
            (of the wrong type, or outside :func:`parameter_choices`).
    """
    declared = {stem: notebook_parameters(path) for stem, path in notebooks.items()}
    known = sorted({p for params in declared.values() for p in params} - set(RUNNER_PARAMETERS))
    for name in overrides:
        if name in RUNNER_PARAMETERS:
            raise InputError(
                f"parameter {name} is set by the report runner",
                "Change it in the config file or with the report command's options",
            )
        if name not in known:
            raise InputError(
                f"unknown notebook parameter {name!r}",
                f"Known parameters: {', '.join(known) or 'none'}",
            )
    plan: dict[str, dict[str, Any]] = {}
    for stem, params in declared.items():
        missing = [p for p in RUNNER_PARAMETERS if p not in params]
        if missing:
            raise InputError(
                f"notebook {stem} has no parameter {', '.join(missing)}",
                "Every report notebook declares config_path, out_dir and work_dir",
            )
        chosen = {k: v for k, v in runner.items() if k in params}
        for name, value in overrides.items():
            if name in params:
                typed = coerce(name, value, params[name]["inferred_type_name"])
                chosen[name] = check_parameter(name, typed)
        plan[stem] = chosen
    return plan


# --------------------------------------------------------------------------- kernel
def kernel_name() -> str:
    """The project's kernel when it runs this interpreter, else ipykernel's ``python3``."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        exe = Path(spec.argv[0])
        if exe.exists() and Path(sys.prefix).resolve() == exe.resolve().parents[1]:
            return KERNEL_NAME
        if exe.exists() and exe.resolve() == Path(sys.executable).resolve():
            return KERNEL_NAME
    except Exception:  # noqa: BLE001 - no such kernel: fall back to python3
        pass
    return "python3"


def kernel_manager_config(socket_dir: str | Path | None) -> Any:
    """Kernel settings for papermill: talk to the kernel over private Unix sockets.

    jupyter_client's default TCP transport makes every ipykernel print ``Kernel is
    running over TCP without encryption``. On POSIX systems the kernel's channels are
    put on IPC sockets inside ``socket_dir`` (a fresh folder only this user can open),
    which is both quieter and safer than unencrypted local TCP. Elsewhere (Windows) or
    without a folder, ``None``: jupyter_client's defaults.
    """
    if socket_dir is None or os.name != "posix":
        return None
    from traitlets.config import Config as TraitletsConfig

    ip = str(Path(socket_dir) / "k")
    if len(ip) > 80:  # Unix socket paths are limited to ~107 bytes (ip + "-<port>")
        return None
    return TraitletsConfig({"KernelManager": {"transport": "ipc", "ip": ip}})


# --------------------------------------------------------------------------- execution
@dataclass
class NotebookRun:
    """Timing and parameters of one executed notebook."""

    notebook: str
    seconds: float
    parameters: dict[str, Any] = field(default_factory=dict)


def _failed_cell(path: Path) -> tuple[int | None, str]:
    """Find the cell papermill marked as failed or still running in a saved notebook."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None, ""
    index = 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if "papermill-error-cell-tag" in tags or "injected-parameters" in tags:
            continue
        index += 1
        status = cell.get("metadata", {}).get("papermill", {}).get("status")
        if status in {"failed", "running"}:
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            return index, src
    return None, ""


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()[:80]
    return ""


def execute(
    notebook: Path,
    output: Path,
    parameters: Mapping[str, Any],
    keep_failed: Path,
    timeout: int,
    kernel: str | None = None,
    progress: bool = True,
) -> float:
    """Execute one notebook with papermill; return seconds taken.

    Raises:
        ReportFailed: a cell raised or timed out; the partly executed notebook is copied
            to ``keep_failed`` and the message names the notebook and cell.
        InputError: a cell raised :class:`~covidlearning.errors.InputError` (bad input).
    """
    import tempfile

    import papermill
    from papermill.exceptions import PapermillExecutionError

    from covidlearning.progress import STATUS_ENV, StatusWatcher

    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="cl-kernel-") as sockets:
            extra: dict[str, Any] = {}
            if (kernel_config := kernel_manager_config(sockets)) is not None:
                extra["config"] = kernel_config
            # the kernel inherits the variable: its steps write progress to the file, which
            # is drawn here at the terminal, not into the notebook's outputs
            status = Path(sockets) / "progress.json"
            os.environ[STATUS_ENV] = str(status)
            with StatusWatcher(status, notebook.stem, enabled=progress):
                _stoppable(
                    lambda kernels: papermill.execute_notebook(
                        str(notebook),
                        str(output),
                        parameters=dict(parameters),
                        kernel_name=kernel or kernel_name(),
                        cwd=os.getcwd(),
                        progress_bar=False,
                        request_save_on_cell_execute=True,
                        execution_timeout=timeout,
                        kernel_manager_class=kernels,
                        **extra,
                    )
                )
    except Exception as exc:  # noqa: BLE001 - re-raised with context below
        keep_failed.mkdir(parents=True, exist_ok=True)
        saved = keep_failed / output.name
        if output.exists():
            shutil.copyfile(output, saved)
        cell, source = _failed_cell(saved if saved.exists() else output)
        count = ""
        if isinstance(exc, PapermillExecutionError):
            if exc.ename == "InputError":
                raise InputError(str(exc.evalue).rstrip(".")) from None
            what = f"{exc.ename}: {exc.evalue}"
            count = f", In [{exc.exec_count}]" if exc.exec_count else ""
        else:
            what = f"{type(exc).__name__}: {exc}".strip()
            if "timeout" in type(exc).__name__.lower() or "timed out" in what.lower():
                what = f"the cell ran longer than the {timeout} s cell timeout ({what})"
        where = f"code cell {cell}{count}" if cell else "a cell"
        line = _first_line(source)
        raise ReportFailed(
            f"notebook {notebook.name} failed at {where}"
            + (f" ({line})" if line else "")
            + f": {what.splitlines()[0] if what else 'error'}; partly executed notebook saved "
            f"to {saved}"
        ) from None
    finally:
        os.environ.pop(STATUS_ENV, None)
    return time.perf_counter() - start


def _tracked_kernel_manager() -> tuple[type, list[Any]]:
    """A kernel manager class that remembers the kernels it starts, and that list."""
    from jupyter_client import AsyncKernelManager

    started: list[Any] = []

    class TrackedKernelManager(AsyncKernelManager):  # type: ignore[misc]
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            started.append(self)

    return TrackedKernelManager, started


def _kernel_pid(km: Any) -> int | None:
    """The process id of a kernel manager's kernel, when it has one."""
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None) or getattr(
        getattr(provisioner, "process", None), "pid", None
    )
    return int(pid) if pid else None


def stop_kernels(kernels: list[Any], grace: float = 3.0) -> int:
    """Stop the kernels' processes (and anything they started); return how many were running.

    A kernel runs in a session of its own (so Ctrl-C at the terminal does not reach
    it): its whole process group gets SIGTERM, then SIGKILL after ``grace`` seconds.
    """
    import signal

    groups = []
    for km in kernels:
        pid = _kernel_pid(km)
        if pid is None:
            continue
        try:
            groups.append(os.getpgid(pid))
        except ProcessLookupError:
            continue
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for group in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, sig)
        deadline = time.monotonic() + grace
        while sig == signal.SIGTERM and time.monotonic() < deadline:
            if not any(_group_alive(g) for g in groups):
                return len(groups)
            time.sleep(0.05)
    return len(groups)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stoppable(work: Callable[[type], Any]) -> Any:
    """Run ``work(kernel_manager_class)`` so that Ctrl-C or SIGTERM stops its kernel too.

    The notebook runs in a worker thread while this thread waits, so the signal reaches
    the runner (papermill's own handlers only shut the kernel down and let the run go
    on to a "dead kernel" failure). On a signal, every kernel the work started is
    stopped and :class:`RunStopped` raised.

    Raises:
        RunStopped: Ctrl-C (KeyboardInterrupt) or SIGTERM (SystemExit from the CLI's
            handler) arrived while the notebook ran.
    """
    import threading

    kernels_class, kernels = _tracked_kernel_manager()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work(kernels_class)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="covidlearning-notebook", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except (KeyboardInterrupt, SystemExit) as exc:
        import logging

        logging.disable(logging.CRITICAL)  # papermill's "Kernel died": the stop says why
        try:
            stop_kernels(kernels)
            worker.join(10)  # let papermill give up before the temporary folder goes
        finally:
            logging.disable(logging.NOTSET)
        if isinstance(exc, KeyboardInterrupt):
            raise RunStopped("Ctrl-C", 130) from None
        code = exc.code if isinstance(exc.code, int) else 143
        raise RunStopped("SIGTERM" if code == 143 else f"exit {code}", code) from None
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


# --------------------------------------------------------------------------- HTML
def _strip_for_html(nb: Any) -> Any:
    """Drop what a reader should never see: stderr, warnings, empty outputs, tagged cells."""
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"remove-cell", "remove_cell", "hide", "parameters", "injected-parameters"}:
            continue
        if cell.cell_type == "code":
            outputs = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    continue
                if out.get("output_type") == "error":
                    continue
                outputs.append(out)
            cell.outputs = outputs
            if not outputs:
                continue
        cells.append(cell)
    nb.cells = cells
    return nb


def to_html(executed: Path, html: Path, title: str) -> None:
    """Convert an executed notebook to a small, self-contained HTML page with code hidden.

    nbconvert's ``basic`` template renders the cells (Markdown, tables, images as data
    URIs); the page around them is ours: one inline stylesheet, no script, nothing
    loaded from the network, so it opens the same offline, in a browser or an e-mail.
    """
    import html as html_mod

    import nbformat
    from nbconvert import HTMLExporter

    nb = _strip_for_html(nbformat.read(str(executed), as_version=4))
    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        exclude_anchor_links=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="covidlearning">\n'
        f"<title>{html_mod.escape(title)}</title>\n{_REPORT_CSS}</head>\n"
        f'<body>\n<main class="cl-report">\n{body}\n</main>\n</body>\n</html>\n'
    )
    html.write_text(page, encoding="utf-8")


_REPORT_CSS = """<style>
/* covidlearning report: plain, readable, printable; no external resources */
:root { --ink: #1f2328; --muted: #57606a; --rule: #d0d7de; --band: #f6f8fa; --accent: #0072B2; }
html { font-size: 16px; }
body { margin: 0; color: var(--ink); background: #fff;
  font-family: "Segoe UI", "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; line-height: 1.55; }
main.cl-report { max-width: 1050px; margin: 0 auto; padding: 2rem 2rem 4rem; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.5rem; margin: 2.5rem 0 0.75rem; padding-top: 0.5rem;
  border-top: 1px solid var(--rule); }
h3 { font-size: 1.2rem; margin: 1.75rem 0 0.5rem; }
p, li { max-width: 90ch; }
a { color: var(--accent); }
code { font-size: 0.9em; background: var(--band); padding: 0.1em 0.3em; border-radius: 3px; }
p, li, h1, h2, h3, blockquote, figcaption { overflow-wrap: break-word; }
table { border-collapse: collapse; margin: 0.75rem 0 1.25rem; font-size: 0.92rem; }
/* wide tables and figures scroll sideways inside their own box, never the page */
.cl-scroll, .cl-figure { max-width: 100%; overflow-x: auto; }
.cl-scroll { margin: 0.75rem 0 1.25rem; }
.cl-scroll > table { margin: 0; }
.cl-scroll:focus { outline: 2px solid var(--accent); }
th, td { text-align: left; vertical-align: top; padding: 0.35rem 0.7rem;
  border-bottom: 1px solid var(--rule); }
td { max-width: 34em; }
table.cl-nowrap td { white-space: nowrap; }
th { border-bottom: 2px solid var(--ink); font-weight: 600; }
tbody tr:nth-child(even) { background: var(--band); }
blockquote { margin: 0.8rem 0 0.8rem 0.5rem; padding: 0.1rem 1rem;
  border-left: 4px solid var(--rule); color: var(--ink); }
blockquote p { margin: 0.4rem 0; }
img { max-width: 100%; height: auto; display: block; margin: 1rem 0 0.25rem; }
.cl-figure img { margin: 0; }
.cl-figure { margin: 1rem 0 0.25rem; }
em { color: var(--muted); }
.jp-OutputArea-output pre { white-space: pre-wrap; }
@media (max-width: 700px) { main.cl-report { padding: 1rem 1rem 3rem; } }
@media print { main.cl-report { max-width: none; padding: 0; } h2 { break-before: auto; }
  .cl-scroll, .cl-figure { overflow: visible; }
  img, table, blockquote { break-inside: avoid; } }
</style>
"""


# --------------------------------------------------------------------------- tables
def tables_workbook(tables_dir: Path, name: str = "report-tables.xlsx") -> Path | None:
    """Collect every CSV in ``tables_dir`` into one XLSX workbook (one sheet per table)."""
    import pandas as pd

    from covidlearning._io import write_xlsx

    csvs = sorted(p for p in tables_dir.glob("*.csv"))
    if not csvs:
        return None
    sheets: dict[str, pd.DataFrame] = {}
    for p in csvs:
        sheet = p.stem[:31]
        while sheet in sheets:
            sheet = sheet[:29] + f"_{len(sheets)}"
        sheets[sheet] = _numbers_as_numbers(pd.read_csv(p, dtype=str, keep_default_na=False))
    out = tables_dir / name
    write_xlsx(out, sheets)
    stable_xlsx(out)
    return out


#: A number as the tables write it; a leading zero ("007") makes it a code, kept as text.
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _as_number(text: str) -> int | float | None:
    """``text`` as the number a spreadsheet would hold exactly, else None.

    None for codes ("007", "1.10": a number would drop the zero), for integers a
    spreadsheet cannot hold exactly (more than 15 digits) and for what is no number.
    """
    if not _NUMBER.fullmatch(text):
        return None
    if not any(c in text for c in ".eE"):
        return int(text) if len(text.lstrip("-")) <= 15 else None
    value = float(text)
    return value if math.isfinite(value) and repr(value) == text else None


def _numbers_as_numbers(table: Any) -> Any:
    """A table read as text, with each column of numbers turned back into numbers.

    A column is numeric when every cell is a number (:func:`_as_number`), blank, or a
    hidden figure (``*``); those two stay as they are, so a spreadsheet sums the rest.
    Ids (``id``, ``*_id``) and any other column (codes such as ``007``, labels) stay
    text.
    """
    out = table.copy()
    for col in out.columns:
        if str(col) == "id" or str(col).endswith("_id"):
            continue
        values = out[col].astype(str).tolist()
        numbers = [None if v in ("", "*") else _as_number(v) for v in values]
        filled = [n for v, n in zip(values, numbers, strict=True) if v not in ("", "*")]
        if filled and all(n is not None for n in filled):
            out[col] = [v if n is None else n for v, n in zip(values, numbers, strict=True)]
    return out


_FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def stable_xlsx(path: Path) -> None:
    """Make an XLSX byte-identical for identical content.

    openpyxl stamps the save time into ``docProps/core.xml`` and every zip entry; this
    rewrites both with a fixed date so a committed workbook only changes with its data.
    """
    import io
    import re
    import zipfile

    src = zipfile.ZipFile(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                    rb"\g<1>2020-01-01T00:00:00Z\g<2>",
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data)
    src.close()
    from covidlearning._io import atomic_write_bytes

    atomic_write_bytes(path, buf.getvalue())


# --------------------------------------------------------------------------- manifest
def build_manifest(
    config: Config,
    config_path: Path,
    runs: list[NotebookRun],
    work_dir: Path,
    kernel: str,
    overrides: Mapping[str, Any],
    total_seconds: float,
) -> dict[str, Any]:
    """The run's provenance: parameters, input checksums, model, seed, versions, timings."""
    discovery = art.DISCOVERY_MANIFEST.read(work_dir).as_dict()
    inputs = {}
    for p in input_files(config, config_path):
        if p.is_file():
            inputs[p.as_posix()] = sha256_file(p)
    coding = art.CODING_SUMMARY.read(work_dir).as_dict()
    nb_dir = notebooks_dir()
    versions = package_versions()
    versions.update(package_versions(("vaderSentiment", "matplotlib", "nbconvert", "jupytext")))
    return {
        "name": config.name,
        "title": config.title,
        "config_file": config_path.as_posix(),
        "config": config.model_dump(mode="json"),
        "parameters": {r.notebook: r.parameters for r in runs},
        "overrides": dict(overrides),
        "inputs_sha256": inputs,
        "notebooks_sha256": {f"{s}.ipynb": sha256_file(nb_dir / f"{s}.ipynb") for s in NOTEBOOKS},
        "model": discovery.get("model")
        or discovery.get("embedding_model")
        or config.discover.embedding_model,
        "discovery": {k: v for k, v in discovery.items() if k not in {"timings"}},
        "coding": coding,
        "seed": config.discover.seed,
        "kernel": kernel,
        "python": sys.version.split()[0],
        "package_versions": versions,
        "machine": machine_info(),
        "timings": {
            **{r.notebook: round(r.seconds, 2) for r in runs},
            "discovery_stages": discovery.get("timings", {}),
            "total": round(total_seconds, 2),
        },
    }


# --------------------------------------------------------------------------- the run
def run_report(
    config_path: str | Path,
    overrides: Mapping[str, Any] | None = None,
    reports_dir: str | Path | None = None,
    work_dir: str | Path | None = None,
    kernel: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Execute the notebooks for one config and publish ``<reports_dir>/<name>/``.

    Args:
        config_path: the YAML config.
        overrides: notebook parameters to set (``NAME -> value``); each must be declared
            in some notebook's ``parameters`` cell.
        reports_dir: parent folder of reports (default: the config's ``reports_dir``).
        work_dir: unpublished intermediate files (default ``data/interim/<name>``).
        kernel: Jupyter kernel (default: ``covidlearning`` if it runs this Python,
            else ``python3``).
        progress: show papermill's progress bars.
        log: where to print one line per step (default: stderr).

    Returns:
        The report folder.

    Raises:
        InputError: bad config, missing input, unknown parameter, or an input error
            raised inside a notebook.
        ReportFailed: a cell failed; nothing published, the partial notebook is kept.
        covidlearning.privacy.redact.IdentifierLeak: the final guard found an identifier.
    """
    say = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    config_path = Path(config_path)
    config = _checked_config(config_path, reports_dir)
    notebooks = _notebook_paths()
    work = Path(work_dir) if work_dir is not None else default_work_dir(config)
    out = report_dir(config)
    keep_failed = failed_dir(config)
    overrides = dict(overrides or {})
    kernel = kernel or kernel_name()

    from covidlearning._io import atomic_dir, check_output_dir, output_claimed

    started = time.perf_counter()
    check_output_dir(out)
    with output_claimed(out), atomic_dir(out) as tmp:  # a second run at once is refused
        _start_clean(tmp)
        plan = plan_parameters(notebooks, overrides, _runner_parameters(config_path, tmp, work))
        _reset_work_dir(work, keep_failed)
        runs = _execute_notebooks(
            notebooks, plan, tmp, keep_failed, config.cell_timeout, kernel, progress, say
        )
        _write_report_files(tmp, config.title, say)
        seconds = time.perf_counter() - started
        manifest = build_manifest(config, config_path, runs, work, kernel, overrides, seconds)
        write_json(tmp / art.REPORT_MANIFEST, manifest)
        guard(config, tmp, work)
    say(f"report: wrote {out / art.REPORT_HTML}")
    return out


def _checked_config(config_path: Path, reports_dir: str | Path | None) -> Config:
    """Load the config, point it at ``reports_dir`` if given, and check every input exists."""
    config = load_config(config_path)
    if reports_dir is not None:
        config = config.model_copy(update={"reports_dir": Path(reports_dir)})
    check_inputs(config)
    return config


def _notebook_paths() -> dict[str, Path]:
    """Stem -> path of each analysis notebook, in run order."""
    nb_dir = notebooks_dir()
    return {s: nb_dir / f"{s}.ipynb" for s in NOTEBOOKS}


def _start_clean(tmp: Path) -> None:
    """Empty the temporary report folder (atomic_dir copied the old report in)."""
    for child in tmp.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()


def _runner_parameters(config_path: Path, tmp: Path, work: Path) -> dict[str, str]:
    """The parameters the runner sets in every notebook (absolute paths)."""
    return {
        "config_path": str(config_path.resolve()),
        "out_dir": str(tmp.resolve()),
        "work_dir": str(work.resolve()),
    }


def _reset_work_dir(work: Path, keep_failed: Path) -> None:
    """Create the work folder, forget the last redaction log and the last failed run."""
    work.mkdir(parents=True, exist_ok=True)
    art.REDACTION_LOG.path(work).unlink(missing_ok=True)
    if keep_failed.exists():
        shutil.rmtree(keep_failed)


def _execute_notebooks(
    notebooks: Mapping[str, Path],
    plan: Mapping[str, dict[str, Any]],
    tmp: Path,
    keep_failed: Path,
    timeout: int,
    kernel: str,
    progress: bool,
    say: Callable[[str], None],
) -> list[NotebookRun]:
    """Execute every notebook in order into ``tmp``; return what each one ran with."""
    runs: list[NotebookRun] = []
    for stem, path in notebooks.items():
        say(f"report: running {path.name}")
        seconds = execute(
            path,
            tmp / path.name,
            plan[stem],
            keep_failed,
            timeout,
            kernel=kernel,
            progress=progress,
        )
        shown = {k: v for k, v in plan[stem].items() if k not in RUNNER_PARAMETERS}
        runs.append(NotebookRun(stem, seconds, shown))
    return runs


def _write_report_files(tmp: Path, title: str, say: Callable[[str], None]) -> None:
    """Write ``report.html`` from the report notebook and the tables' workbook."""
    say("report: writing report.html")
    to_html(tmp / f"{REPORT_NOTEBOOK}.ipynb", tmp / art.REPORT_HTML, title)
    tables_workbook(tmp / art.TABLES_DIR)
    for book in (tmp / art.TABLES_DIR).glob("*.xlsx"):
        stable_xlsx(book)


def guard(config: Config, folder: Path, work_dir: Path) -> None:
    """Final check before publishing: no detectable identifier anywhere in ``folder``.

    Strings that redaction removed during the run (``redaction_originals.json`` in the
    work folder) must not appear at all. The names of the groups the run publishes
    (:data:`~covidlearning.reporting.artifacts.PUBLISHED_GROUPS`) are allowed.

    Raises:
        covidlearning.privacy.redact.IdentifierLeak: something identifying is left.
    """
    if not (config.redaction.enabled and config.redaction.guard):
        return
    from covidlearning.privacy.redact import check_dir

    known = art.REDACTION_LOG.read(work_dir)
    allow = [*config.redaction.allow, *art.PUBLISHED_GROUPS.read(work_dir)]
    check_dir(folder, known=known, allow=allow, config=config.redaction)


# --------------------------------------------------------------------------- inside notebooks
class Run:
    """What a notebook needs about its run: config, folders, redaction, table and figure output.

    Created by :func:`open_run`. Tables go to ``out_dir/tables`` (CSV, deterministic),
    figures to ``out_dir/figures`` (PNG and SVG, shown inline as PNG), intermediate
    files to ``work_dir``. Every text that reaches the report passes :meth:`redact`.
    """

    def __init__(self, config: Config, config_path: Path, out_dir: Path, work_dir: Path) -> None:
        self.config = config
        self.config_path = config_path
        self.out_dir = out_dir
        self.work_dir = work_dir
        self.tables_dir = out_dir / art.TABLES_DIR
        self.figures_dir = out_dir / art.FIGURES_DIR
        for d in (self.out_dir, self.tables_dir, self.figures_dir, self.work_dir):
            d.mkdir(parents=True, exist_ok=True)
        self._redactor: Any = None

    @property
    def is_table(self) -> bool:
        """True when the run analyses a table of responses rather than documents."""
        return self.config.source == "table"

    # ---- redaction
    @property
    def redactor(self) -> Any:
        """The run's :class:`covidlearning.privacy.redact.Redactor` (created on first use)."""
        if self._redactor is None:
            from covidlearning.privacy.redact import Redactor

            self._redactor = Redactor(self.config.redaction)
            self._redactor.allow(art.PUBLISHED_GROUPS.read(self.work_dir))
        return self._redactor

    def redact(self, text: Any, source: str = "") -> Any:
        """Redact one text (unchanged when redaction is off or it is not a string)."""
        if not self.config.redaction.enabled or not isinstance(text, str):
            return text
        return self.redactor.redact(text, source=source)

    def redact_columns(self, frame: Any, columns: list[str], id_column: str = "id") -> Any:
        """Return a copy of ``frame`` with the named text columns redacted."""
        out = frame.copy()
        ids = frame[id_column].astype(str).tolist() if id_column in frame.columns else None
        for col in columns:
            if col not in out.columns:
                continue
            out[col] = [
                self.redact(v, f"{ids[k] if ids else k}:{col}")
                for k, v in enumerate(out[col].tolist())
            ]
        return out

    def finish(self, notebook: str) -> None:
        """Write the anonymisation log (outside reports/) and remember what was removed."""
        if self._redactor is None or not self._redactor.log:
            return
        self._redactor.write_log(f"{self.config.name}-{notebook}", self.config.redaction.log_dir)
        known = set(art.REDACTION_LOG.read(self.work_dir)) | set(self._redactor.originals())
        art.REDACTION_LOG.write(self.work_dir, sorted(known))

    # ---- output
    def write_table(self, frame: Any, name: str, float_format: str = "%.6g") -> Path:
        """Write ``tables/<name>.csv`` deterministically and return its path."""
        from covidlearning._io import write_csv

        path = self.tables_dir / f"{name}.csv"
        write_csv(path, frame, float_format=float_format)
        return path

    def read_table(self, name: str, **kwargs: Any) -> Any:
        """Read ``tables/<name>.csv`` back (ids and labels as strings)."""
        import pandas as pd

        kwargs.setdefault("keep_default_na", False)
        kwargs.setdefault("na_values", [""])
        return pd.read_csv(self.tables_dir / f"{name}.csv", **kwargs)

    def has_table(self, name: str) -> bool:
        """True when ``tables/<name>.csv`` exists."""
        return (self.tables_dir / f"{name}.csv").is_file()

    def figure(self, fig: Any, name: str, alt: str = "", show: bool = True) -> dict[str, Path]:
        """Save a figure as PNG and SVG under ``figures/`` and show the PNG inline.

        Args:
            fig: a matplotlib figure (closed after saving).
            name: file stem.
            alt: text alternative for screen readers (default: the file stem).
            show: display the PNG in the notebook (embedded as a data URI).
        """
        from covidlearning.reporting.figures import save

        paths = save(fig, self.figures_dir, name)
        if show:
            show_image(paths["png"], alt or name.replace("_", " "))
        return paths


#: A figure is never shown narrower than this share of its pixel width: figures are drawn
#: at :data:`covidlearning.reporting.figures.DPI` (150), so 9-point labels stay at least
#: 9.4 CSS pixels high. A narrower page scrolls the figure sideways in its own box.
MIN_FIGURE_SCALE = 0.5


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG from its header, or None when ``data`` is not a PNG."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def image_html(data: bytes, alt: str) -> str:
    """An embedded PNG in its own scroll box, sized so its labels stay legible.

    Shown at its drawn size (100 CSS px per inch of figure), shrunk to the page's width
    but never below :data:`MIN_FIGURE_SCALE` of its pixels; what does not fit then
    scrolls inside the box, not the page.
    """
    import base64
    import html
    import math

    from covidlearning.reporting.figures import DPI

    size = png_size(data)
    style = "max-width:100%;height:auto"
    if size is not None:
        natural = round(size[0] * 100 / DPI)
        floor = min(natural, math.ceil(size[0] * MIN_FIGURE_SCALE))
        style = f"width:{natural}px;max-width:100%;min-width:{floor}px;height:auto"
    payload = base64.b64encode(data).decode("ascii")
    return (
        f'<div class="cl-figure"><img src="data:image/png;base64,{payload}" '
        f'alt="{html.escape(alt, quote=True)}" style="{style}" /></div>'
    )


def show_image(path: str | Path, alt: str) -> None:
    """Display a PNG inline, in its scroll box, with alternative text (:func:`image_html`)."""
    from IPython.display import HTML, display

    display(HTML(image_html(Path(path).read_bytes(), alt)))


def open_run(config_path: str, out_dir: str = "", work_dir: str = "") -> Run:
    """Start a notebook: find the project root, read the config, make the folders.

    Relative paths in a config are relative to the project root. When a notebook is
    opened in JupyterLab its working folder is ``notebooks/``, so this moves to the
    project root first (the nearest parent holding ``pyproject.toml`` and ``configs/``);
    under ``covidlearning report`` the runner already starts there.

    Args:
        config_path: the run's YAML config.
        out_dir: report folder. ``covidlearning report`` always sets it (a temporary
            folder it publishes atomically after the identifier guard); ``""`` (a
            notebook run by hand) means the scratch folder :func:`interactive_dir`, so
            a direct run never overwrites the published ``<reports_dir>/<name>/``.
        work_dir: unpublished intermediate files; ``""`` means ``data/interim/<name>``.
    """
    path = Path(config_path)
    if not path.is_absolute() and not path.exists():
        root = project_root()
        if root is not None and (root / path).exists():
            os.chdir(root)
    if not path.is_file():
        # a notebook run by hand (JupyterLab, papermill, a copy outside the project): the
        # fix is its own parameter, not a command-line flag
        raise InputError(
            f"config file not found: {config_path} (looked in {Path.cwd()}"
            + ("" if path.is_absolute() else " and in the covidlearning project above it")
            + ")",
            "Set this notebook's config_path parameter (its first code cell, or papermill "
            "-p config_path FILE) to the config's full path, e.g. "
            "/path/to/covidlearning/configs/NAME.yaml",
        )
    config = load_config(path)
    out = Path(out_dir) if out_dir else interactive_dir(config)
    work = Path(work_dir) if work_dir else default_work_dir(config)
    _quiet_kernel_warnings()
    return Run(config, path, out, work)


def _quiet_kernel_warnings() -> None:
    """Keep warnings that say nothing of the run out of the published notebooks.

    ``tqdm.auto`` (imported by BERTopic and sentence-transformers) warns that ipywidgets
    is missing whenever it is imported in a kernel, and the warning names the folder the
    package is installed in; progress goes to the terminal anyway.
    """
    import warnings

    warnings.filterwarnings("ignore", message="IProgress not found")
