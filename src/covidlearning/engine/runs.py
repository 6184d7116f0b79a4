"""``discover``, ``assign`` and ``code`` on a Dask cluster, with one process's results.

- **discover** (:func:`discover_on_cluster`): the input is read (a folder or glob in
  partitions on the workers), its texts embedded on the workers partition by partition,
  then the themes are fitted on one worker with those vectors
  (:func:`covidlearning.engine.work.fit`: the seeded sample and neighbour vote that
  discovery uses for large n). The vectors equal one process's, so the files do too.
- **assign** (:func:`assign_stream`): each partition is read, cleaned, embedded and
  placed on a worker; the client writes each partition's rows as they come, in order,
  with at most a few partitions in flight, so memory is bounded by the partition size
  whatever the number of texts.
- **code** (:func:`warm_cache`): the texts are embedded on the workers into the
  client's embedding cache; coding then runs in this process and finds every vector
  there.

Outputs are written as in one process (atomically: an interrupted run leaves the
previous outputs as they were), with ``assignments.parquet/`` (one file per partition)
beside ``assignments.csv`` (only up to ``engine.csv_max_rows`` rows), ``counts.csv``
(rows per theme and status, summed over the partitions) and, for discover with
``input.group_columns`` or ``input.date_column``, ``breakdown.csv`` and
``breakdown_over_time.csv`` (Dask aggregations: :mod:`covidlearning.engine.aggregate`).

Public API: :func:`embed_on_cluster`, :func:`warm_cache`, :func:`discover_on_cluster`,
:func:`assign_stream`.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from covidlearning.config import (
    DisclosureConfig,
    DiscoverConfig,
    EmbeddingSettings,
    EngineConfig,
    InputConfig,
)
from covidlearning.engine import aggregate, work
from covidlearning.engine.cluster import connect, describe, worker_count
from covidlearning.engine.partitions import (
    input_files,
    is_many,
    not_decoded,
    read_partitions,
    read_whole,
)
from covidlearning.errors import ClusterFailure, InputError

logger = logging.getLogger(__name__)

#: Partitions of the assignments parquet folder.
PARQUET_DIR = "assignments.parquet"
#: The view over time (``input.date_column``) beside ``breakdown.csv``.
OVER_TIME = "breakdown_over_time.csv"
#: Texts are embedded in at least this many partitions per worker (smaller ones balance).
CHUNKS_PER_WORKER = 4
#: Partitions in flight per worker while assign streams.
IN_FLIGHT_PER_WORKER = 2


def embed_on_cluster(
    client: Any,
    texts: Sequence[str],
    settings: EmbeddingSettings,
    partition_rows: int,
    *,
    progress: bool = True,
) -> np.ndarray:
    """The texts' vectors (``float32``, normalised, in order), embedded on the workers.

    Each distinct text is embedded once, in partitions of at most ``partition_rows``
    texts and at least :data:`CHUNKS_PER_WORKER` per worker
    (:func:`covidlearning.engine.work.embed_part`); every worker reads and fills its
    embedding cache, so where the workers share a disk, a re-run embeds nothing.
    """
    from distributed import as_completed

    from covidlearning.progress import steps

    texts = [str(t) for t in texts]
    distinct = list(dict.fromkeys(texts))
    if not distinct:
        return np.zeros((0, 0), dtype=np.float32)
    workers = worker_count(client)
    size = max(1, min(partition_rows, -(-len(distinct) // (CHUNKS_PER_WORKER * workers))))
    # texts of similar length go together, so a worker's batches of equal token length
    # stay full however small its partitions; the longest partitions go first, so no
    # worker is left with a long one at the end (a vector depends on its text alone)
    order = sorted(range(len(distinct)), key=lambda i: (-len(distinct[i]), i))
    chunks = [[distinct[i] for i in order[j : j + size]] for j in range(0, len(order), size)]
    futures = client.map(work.embed_part, chunks, settings=settings, pure=False)
    with steps("embed (cluster)", len(distinct), "text", enabled=progress) as bar:
        for fut in as_completed(futures):
            bar.update(len(chunks[futures.index(fut)]))
    stacked = np.concatenate(client.gather(futures))  # the distinct texts in `order`
    row = {distinct[i]: k for k, i in enumerate(order)}
    return np.ascontiguousarray(stacked[[row[t] for t in texts]], dtype=np.float32)


def warm_cache(
    client: Any, texts: Sequence[str], settings: EmbeddingSettings, partition_rows: int
) -> int:
    """Embed ``texts`` on the workers into this process's cache; return how many were new.

    The stage that runs next in this process (``code``) then finds every vector cached.
    """
    from covidlearning.nlp.embed import _text_key, embedding_cache

    cache = embedding_cache(
        settings.embedding_model, settings.cache_dir, settings.batch_size, settings.backend
    )
    distinct = list(dict.fromkeys(str(t) for t in texts))
    keys = [_text_key(t) for t in distinct]
    found = cache.lookup(keys)
    todo = [(k, t) for k, t in zip(keys, distinct, strict=True) if k not in found]
    if todo:
        vecs = embed_on_cluster(client, [t for _, t in todo], settings, partition_rows)
        cache.store([k for k, _ in todo], vecs)
    return len(todo)


def _input_sha256(spec: str | Path) -> str:
    """sha256 of one input file, or of the names and sha256s of a folder's or glob's files."""
    from covidlearning._io import sha256_file, sha256_text

    files = input_files(spec) if is_many(spec) else [Path(spec)]
    if len(files) == 1 and not is_many(spec):
        return sha256_file(files[0])
    return sha256_text("\n".join(f"{p.name} {sha256_file(p)}" for p in files))


def discover_on_cluster(
    input: str | Path,  # noqa: A002 - matches the CLI argument
    text_column: str,
    id_column: str | None,
    out: str | Path,
    config: DiscoverConfig,
    engine: EngineConfig,
    *,
    sheet: str | None = None,
    missing_values: Sequence[str] | None = None,
    question_column: str | None = None,
    inputs: InputConfig | None = None,
    disclosure: DisclosureConfig | None = None,
    progress: bool = True,
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    open_dir: Callable[[str | Path], Any] | None = None,
    redaction: Callable[[], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Find themes with the work spread over a cluster; write the run's files to ``out``.

    ``inputs`` (the config's ``input`` section) asks for breakdowns, counted on the
    workers (:mod:`covidlearning.engine.aggregate`): with ``group_columns``,
    ``breakdown.csv`` holds the respondents per theme and group, small groups merged,
    suppressed and rounded as the report's view by group (its notes in the manifest);
    with ``date_column``,
    ``breakdown_over_time.csv`` the themes per period, read, suppressed and rounded (by
    ``disclosure``) as the report's view over time, its notes in the manifest. Both
    columns, and the dates' rule, are checked before the fit. ``prepare`` (e.g.
    redaction) is applied to the loaded table before anything is modelled, as
    ``discover_file`` applies it;
    ``open_dir`` opens the output folder (default :func:`covidlearning._io.atomic_dir`;
    the CLI passes the identifier guard's); ``redaction()`` gives the manifest's
    ``redaction`` record.

    Returns:
        The run's metrics (as ``metrics.json``).

    Raises:
        InputError: the input is unusable (as for one process) or no scheduler answers.
    """
    from covidlearning.themes.discover import load_input
    from covidlearning.themes.texts import usable_texts

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with connect(engine) as client:
        frame, info = load_input(
            input, text_column, id_column, sheet=sheet, missing_values=missing_values,
            question_column=question_column, prepare=prepare,
            raw=read_whole(client, input, engine.partition_rows) if is_many(input) else None,
        )  # fmt: skip
        timings["load"] = round(time.perf_counter() - t0, 3)
        groups, dates = _breakdown_columns(frame, inputs, Path(input).name)
        rule = (
            None if dates is None
            else aggregate.date_rule(frame, dates, engine.partition_rows, inputs.dayfirst,
                                     inputs.date_format)
        )  # fmt: skip
        t1 = time.perf_counter()
        docs = usable_texts(frame).docs
        vectors = embed_on_cluster(client, docs, config, engine.partition_rows, progress=progress)
        timings["embed"] = round(time.perf_counter() - t1, 3)
        t2 = time.perf_counter()
        fut = client.submit(
            work.fit,
            client.scatter(frame, direct=True),
            config,
            client.scatter(vectors, direct=True),
            _input_sha256(input),
            info,
            pure=False,
        )
        files, assignments = _fit_result(fut, len(docs), engine.memory_limit)
        timings["fit"] = round(time.perf_counter() - t2, 3)
        settings = disclosure or DisclosureConfig()
        by_group = [
            aggregate.by_group(assignments, frame, g, settings, engine.partition_rows)
            for g in groups
        ]
        timeline = None
        if dates is not None:
            timeline = aggregate.over_time(
                assignments, frame, dates, inputs.date_freq, settings, engine.partition_rows,
                dayfirst=inputs.dayfirst, date_format=inputs.date_format, rule=rule,
            )  # fmt: skip
        cluster = describe(client)
    metrics = json.loads(files["metrics.json"])
    manifest = json.loads(files["manifest.json"])
    fit_timings = manifest.get("timings", {})
    manifest["timings"] = {**{f"fit.{k}": v for k, v in fit_timings.items()}, **timings}
    manifest["engine"] = {**cluster, "partition_rows": engine.partition_rows}
    if redaction is not None:
        manifest["redaction"] = redaction()
    tables = {}
    if by_group:
        tables["breakdown.csv"] = pd.concat([bd.table for bd in by_group], ignore_index=True)
        manifest["by_group"] = {bd.column: bd.notes for bd in by_group}
    if timeline is not None:
        tables[OVER_TIME] = timeline.table
        manifest["over_time"] = {
            "column": dates, "period": timeline.freq, "notes": timeline.notes,
        }  # fmt: skip
    _write_run(out, files, assignments, manifest, engine, timings, tables, open_dir)
    return metrics


def _fit_result(fut: Any, n: int, memory_limit: str) -> Any:
    """The fit's result; a worker lost under it becomes one line saying what to change.

    The fit runs on one worker with the table and the vectors scattered to it, so a
    worker that dies (most often: over its memory limit, which the nanny enforces) takes
    data the scheduler cannot recompute.
    """
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    try:
        return fut.result()
    except (FutureCancelledError, KilledWorker) as exc:
        raise ClusterFailure(
            f"the Dask worker fitting the themes on {n:,} texts was lost "
            f"({exc.__class__.__name__}), most often because it went over its memory limit "
            f"({memory_limit}); give the workers more memory (engine.memory_limit) or fit "
            "on fewer texts (discover a sample, then assign the rest with `covidlearning "
            "assign --scheduler`); earlier outputs are unchanged"
        ) from None


def _breakdown_columns(
    frame: pd.DataFrame, inputs: InputConfig | None, name: str
) -> tuple[list[str], str | None]:
    """The group columns and the date column ``inputs`` asks for, checked in the table.

    Raises:
        InputError: a column is not in the table.
    """
    if inputs is None:
        return [], None
    for key, col in [("group_columns", g) for g in inputs.group_columns] + [
        ("date_column", inputs.date_column)
    ]:
        if col is not None and col not in frame.columns:
            raise InputError(
                f"{key.rstrip('s').replace('_', ' ')} '{col}' not found in {name}",
                f"Fix input.{key} in the config",
            )
    return list(inputs.group_columns), inputs.date_column


def _write_run(
    out: str | Path,
    files: dict[str, bytes],
    assignments: pd.DataFrame,
    manifest: dict[str, Any],
    engine: EngineConfig,
    timings: dict[str, float],
    tables: dict[str, pd.DataFrame],
    open_dir: Callable[[str | Path], Any] | None = None,
) -> None:
    """The fit's files, the parquet partitions, counts and breakdowns, atomically into ``out``.

    ``tables``: the breakdowns (file name -> table); an empty one is not written.
    """
    import shutil

    from covidlearning._io import atomic_dir, atomic_write_bytes, write_csv, write_json

    t0 = time.perf_counter()
    with (open_dir or atomic_dir)(out) as tmp:
        # the folder starts as a copy of a previous run's: keep none of its results
        shutil.rmtree(tmp / "model", ignore_errors=True)
        shutil.rmtree(tmp / PARQUET_DIR, ignore_errors=True)
        for stale in ("assignments.csv", "breakdown.csv", OVER_TIME):
            (tmp / stale).unlink(missing_ok=True)
        for rel, data in files.items():
            if rel == "manifest.json":
                continue
            if rel == "assignments.csv" and len(assignments) > engine.csv_max_rows:
                continue
            atomic_write_bytes(tmp / rel, data)
        (tmp / PARQUET_DIR).mkdir(exist_ok=True)
        rows = engine.partition_rows
        for i, start in enumerate(range(0, max(len(assignments), 1), rows)):
            _write_part(tmp, i, assignments.iloc[start : start + rows])
        write_csv(tmp / "counts.csv", _counts(assignments))
        for rel, table in tables.items():
            if len(table):
                write_csv(tmp / rel, table)
        timings["write"] = round(time.perf_counter() - t0, 3)
        write_json(tmp / "manifest.json", manifest)


def _write_part(folder: Path, index: int, part: pd.DataFrame) -> None:
    from covidlearning._io import write_parquet

    part = part.copy()
    part["label"] = part["label"].astype(str)
    part["status"] = part["status"].astype(str)
    write_parquet(folder / PARQUET_DIR / f"part-{index:05d}.parquet", part)


def _counts(assignments: pd.DataFrame) -> pd.DataFrame:
    """Rows per theme and status (``topic, label, status, rows``), sorted."""
    cols = ["topic", "label", "status"]
    if assignments.empty:
        return pd.DataFrame(columns=[*cols, "rows"])
    keyed = assignments[cols].astype({"topic": "Int64"}).fillna({"label": ""})
    counts = keyed.groupby(cols, dropna=False).size().rename("rows").reset_index()
    return counts.sort_values(cols, na_position="last").reset_index(drop=True)


def _add_counts(total: pd.DataFrame | None, part: pd.DataFrame) -> pd.DataFrame:
    cols = ["topic", "label", "status"]
    both = part if total is None else pd.concat([total, part], ignore_index=True)
    summed = both.groupby(cols, dropna=False)["rows"].sum().reset_index()
    return summed.sort_values(cols, na_position="last").reset_index(drop=True)


def assign_stream(
    input: str | Path,  # noqa: A002 - matches the CLI argument
    model: str | Path,
    text_column: str,
    id_column: str | None,
    out: str | Path,
    config: DiscoverConfig,
    engine: EngineConfig,
    *,
    progress: bool = True,
    on_partition: Callable[[int, int], None] | None = None,
    redactor: Any = None,
    open_dir: Callable[[str | Path, Iterable[str]], Any] | None = None,
) -> dict[str, Any]:
    """Place every text of ``input`` (a file, folder or glob) into a saved model's themes.

    Partitions are read, cleaned, embedded and placed on the workers
    (:func:`covidlearning.engine.work.place_part`) and written here in input order as
    they come, with at most :data:`IN_FLIGHT_PER_WORKER` per worker in flight, so this
    process holds a few partitions at a time. A partition's rows depend on its own texts
    alone; the loader's rules that look at the whole table (a text repeated in 2%+ of
    the rows, repeated texts) look at its partition, except ids: before anything is
    placed, ids repeated anywhere in the input are refused, as the loader refuses them
    (a Dask ``value_counts`` on the workers). CSV files are read with the loader's
    encoding and delimiter (:func:`covidlearning.engine.partitions.csv_layout`).

    Args:
        input: a table file, a folder of CSV/parquet files or a glob.
        model: a discover output folder or its ``model/`` folder.
        text_column: the column of free text.
        id_column: the column of ids (None: the row number in the whole input).
        out: the output folder (replaced atomically when the run succeeds).
        config: embedding settings (model cache, batch size, backend).
        engine: the scheduler, partition size and CSV limit.
        progress: show a bar of partitions done.
        on_partition: called with (partition index, rows) as each is written.
        redactor: a :class:`covidlearning.privacy.redact.Redactor`: each partition is
            redacted with a copy of it on its worker before it is placed; what the
            workers removed is summed into the manifest's ``redaction`` record (rule ->
            replacements, as one process records it). None: not redacted.
        open_dir: opens the output folder, given it and a collection that holds, once the
            block ends, the distinct strings redaction removed (for the final guard's
            ``known``); default :func:`covidlearning._io.atomic_dir`.

    Returns:
        Rows, rows placed, candidates for a new theme, partitions, timings.

    Raises:
        InputError: a column is missing, an id repeats, or the files cannot be read as
            one table (see :func:`covidlearning.engine.partitions.read_partitions`).
    """
    from covidlearning._io import atomic_dir, write_csv, write_json
    from covidlearning.progress import steps
    from covidlearning.themes.store import placement

    t0 = time.perf_counter()
    where = placement(model)
    summary: dict[str, Any] = {"rows": 0, "placed": 0, "candidates": 0}
    replaced: Counter[str] = Counter()
    # what redaction removed, each string once, for the guard when the block ends
    known: dict[str, None] = {}
    try:
        with (
            connect(engine) as client,
            (open_dir or (lambda o, _: atomic_dir(o)))(out, known) as tmp,
        ):
            (tmp / PARQUET_DIR).mkdir(exist_ok=True)
            for old in (tmp / PARQUET_DIR).glob("part-*.parquet"):
                old.unlink()  # a previous run's partitions (the copy carried over)
            (tmp / "assignments.csv").unlink(missing_ok=True)
            n_parts, placed = _placed_parts(client, input, where, text_column, id_column,
                                            config, engine.partition_rows, redactor)  # fmt: skip
            csv = tmp / ".assignments.csv.partial"
            counts: pd.DataFrame | None = None
            with (
                steps("assign (cluster)", n_parts, "partition", enabled=progress) as bar,
                csv.open("w", encoding="utf-8", newline="") as csv_fh,
            ):
                for i, (table, removed) in enumerate(placed):
                    replaced.update(removed["replaced"])
                    known.update(dict.fromkeys(removed["removed"]))
                    _write_part(tmp, i, table)
                    summary["rows"] += len(table)
                    summary["placed"] += int(table["topic"].notna().sum())
                    summary["candidates"] += int((table["status"] == "candidate new theme").sum())
                    counts = _add_counts(counts, _counts(table))
                    if summary["rows"] <= engine.csv_max_rows:
                        csv_fh.write(table.to_csv(index=False, header=i == 0, lineterminator="\n",
                                                  float_format="%.4f"))  # fmt: skip
                    bar.update(1)
                    if on_partition is not None:
                        on_partition(i, len(table))
            if summary["rows"] <= engine.csv_max_rows:
                csv.replace(tmp / "assignments.csv")
            csv.unlink(missing_ok=True)
            write_csv(tmp / "counts.csv", counts if counts is not None else _counts(pd.DataFrame()))
            summary["partitions"] = n_parts
            summary["timings"] = {"assign": round(time.perf_counter() - t0, 3)}
            write_json(
                tmp / "manifest.json",
                {
                    "stage": "assign",
                    "input": str(input),
                    "input_sha256": _input_sha256(input),
                    "text_column": text_column,
                    "id_column": id_column,
                    "model": str(model),
                    "engine": {**describe(client), "partition_rows": engine.partition_rows},
                    **summary,
                    "redaction": {
                        "enabled": redactor is not None,
                        "replaced": dict(sorted(replaced.items())),
                    },
                },
            )
    except UnicodeDecodeError as exc:  # a byte past a CSV file's head
        raise not_decoded(input, exc) from None
    return summary


def _placed_parts(
    client: Any,
    input: str | Path,  # noqa: A002 - matches the CLI argument
    where: Any,
    text_column: str,
    id_column: str | None,
    config: DiscoverConfig,
    partition_rows: int,
    redactor: Any,
) -> tuple[int, Iterator[tuple[pd.DataFrame, dict[str, Any]]]]:
    """Each partition of ``input`` placed on a worker, in input order, a few in flight.

    Reads the input in partitions and checks its columns and ids; returns how many
    partitions there are and an iterator of what
    :func:`covidlearning.engine.work.place_part` gives for each, in order, with at most
    :data:`IN_FLIGHT_PER_WORKER` partitions per worker submitted ahead.

    Raises:
        InputError: a column is missing or an id repeats.
    """
    import dask
    from distributed import wait

    name = Path(str(input)).name
    frame = read_partitions(input, partition_rows)
    missing = [c for c in (text_column, id_column) if c and c not in frame.columns]
    if missing:
        raise InputError(
            f"column '{missing[0]}' not found in {name}; columns found: "
            + ", ".join(map(str, frame.columns)),
            "Pass --text-column/--id-column with one of them",
        )
    if id_column is not None:
        _refuse_repeated_ids(frame, id_column, name)
    parts = frame.to_delayed()
    offsets = [0] * len(parts)
    if id_column is None:  # ids are row numbers in the whole input
        lengths = dask.compute(*[dask.delayed(len)(p) for p in parts], scheduler=client)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int).tolist()
    where_f = client.scatter(where, broadcast=True)
    window = IN_FLIGHT_PER_WORKER * worker_count(client)

    def submit(i: int) -> Any:
        task = dask.delayed(work.place_part)(
            parts[i], offsets[i], name, text_column, id_column, where_f, config, redactor
        )
        return client.compute(task)

    def results() -> Iterator[tuple[pd.DataFrame, dict[str, Any]]]:
        pending = {i: submit(i) for i in range(min(window, len(parts)))}
        for i in range(len(parts)):
            fut = pending.pop(i)
            wait(fut)
            result = fut.result()
            fut.release()
            nxt = i + len(pending) + 1
            if nxt < len(parts) and nxt not in pending:
                pending[nxt] = submit(nxt)
            yield result

    return len(parts), results()


def _refuse_repeated_ids(frame: Any, id_column: str, name: str) -> None:
    """Refuse ids that repeat anywhere in the input, as the loader refuses them in a table.

    The ids are counted on the workers (a Dask ``value_counts``), so no process holds
    them all. The message gives the loader's count (rows repeating an earlier id) and,
    as an example, the smallest repeated id.

    Raises:
        InputError: an id repeats.
    """
    import dask

    from covidlearning.corpus.load import duplicate_ids

    ids = frame[id_column].astype(str).str.strip()
    seen = ids[ids != ""].value_counts(split_out=True)
    repeated = seen[seen > 1]
    extra, example, blanks = dask.compute(
        (repeated - 1).sum(), repeated.index.min(), (ids == "").sum()
    )
    blank = max(int(blanks) - 1, 0)
    if int(extra) + blank:
        named = None if int(extra) == 0 else str(example)
        raise duplicate_ids(int(extra) + blank, id_column, name, named, blank)
