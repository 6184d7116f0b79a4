"""What runs on the workers: embedding, fitting and placing, one partition per task.

Each function takes plain data and returns plain data, so Dask can retry it on another
worker when one dies: a task writes nothing the run reads back (cache shards are written
atomically and keyed by text, so a retried task at worst rewrites the same vectors).
The embedding model is loaded once per worker process
(:func:`covidlearning.nlp.embed.load_model` keeps it), and every vector depends on its
text alone (:func:`covidlearning.nlp.embed.encode_batches`), so any split of the texts
into partitions gives the vectors one process gives.

Public API: :func:`embed_part`, :func:`fit`, :func:`spread`, :func:`place_part`.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from covidlearning.config import DiscoverConfig, EmbeddingSettings


def embed_part(texts: list[str], settings: EmbeddingSettings) -> np.ndarray:
    """The vectors of one partition's texts, through the worker's embedding cache."""
    from covidlearning.nlp.embed import embed_with

    return embed_with(texts, settings)


def fit(
    frame: pd.DataFrame,
    config: DiscoverConfig,
    embeddings: np.ndarray,
    input_sha256: str,
    input_info: dict[str, Any],
) -> tuple[dict[str, bytes], pd.DataFrame]:
    """Discovery on one worker with the texts' vectors: the run's files and assignments.

    :func:`covidlearning.themes.discover.discover` runs as in one process (its seeded
    sample for large n, the neighbour vote for the rest), with ``embeddings`` computed on
    the cluster; the neighbour vote's blocks run as tasks on every worker
    (:func:`spread`); its files are written by :meth:`DiscoveryResult.save` into a temporary
    folder here and returned as bytes (path relative to the run folder -> content), so
    the worker needs no disk in common with the client.
    """
    from contextlib import nullcontext

    from distributed import worker_client

    from covidlearning.themes.discover import discover

    with worker_client() if _on_worker() else nullcontext() as client:
        result = discover(
            frame, config, progress=False, input_sha256=input_sha256, embeddings=embeddings,
            map_blocks=None if client is None else spread(client),
        )  # fmt: skip
    result.manifest["input"] = input_info
    with tempfile.TemporaryDirectory(prefix="covidlearning-fit-") as tmp:
        run = Path(tmp) / "run"
        result.save(run)
        files = {
            p.relative_to(run).as_posix(): p.read_bytes()
            for p in sorted(run.rglob("*"))
            if p.is_file()
        }
    return files, result.assignments


def _on_worker() -> bool:
    """Whether this code runs in a task on a Dask worker."""
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return False
    return True


def spread(client: Any) -> Callable[..., list[Any]]:
    """A :data:`covidlearning.themes.consensus.BlockMap` running each block as a task.

    The blocks go to the workers (scattered), the arrays every block shares to every
    worker once (broadcast); the results come back in the blocks' order. Each block is
    computed by the same function on the same rows as in one process, so the result is
    the same.
    """
    from covidlearning.engine.cluster import worker_count

    def run(func: Callable[..., Any], blocks: list[np.ndarray], **shared: Any) -> list[Any]:
        held = {
            key: client.scatter(value, broadcast=True, hash=False)
            if isinstance(value, np.ndarray)
            else value
            for key, value in shared.items()
        }
        # a wave of blocks at a time: the caller never holds every block's copy in flight
        wave = VOTE_BLOCKS_PER_WORKER * worker_count(client)
        out: list[Any] = []
        for start in range(0, len(blocks), wave):
            # keys of their own (hash=False): a call's data is never a key an earlier
            # call with the same arrays is still releasing ("lost dependencies")
            part = client.scatter(blocks[start : start + wave], hash=False)
            out.extend(client.gather(client.map(func, part, **held, pure=False)))
        return out

    return run


#: Blocks sent to each worker at a time by :func:`spread`.
VOTE_BLOCKS_PER_WORKER = 4


def place_part(
    raw: pd.DataFrame,
    offset: int,
    name: str,
    text_column: str,
    id_column: str | None,
    where: Any,
    config: DiscoverConfig,
    redactor: Any = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Clean one partition as the loader cleans a table, redact it, place it in saved themes.

    Args:
        raw: the partition's rows, every cell a string.
        offset: its first row's number in the whole input (ids when ``id_column`` is None).
        name: the input, for messages.
        text_column: the column of free text.
        id_column: the column of ids (None: the row number).
        where: :class:`covidlearning.themes.store.Placement`.
        config: embedding settings.
        redactor: a :class:`covidlearning.privacy.redact.Redactor` to redact the texts
            with before they are placed (None: not redacted). A copy with a log of its
            own redacts, so a worker's partitions never share a log.

    Returns:
        The partition's assignments (``id, topic, theme, label, probability, status``)
        and what redaction removed: ``replaced`` (rule -> replacements) and ``removed``
        (the distinct strings removed, places aside, as
        :meth:`~covidlearning.privacy.redact.Redactor.originals`), for the final guard.
    """
    import copy

    from covidlearning.corpus.load import clean_table
    from covidlearning.themes.store import ASSIGN_COLUMNS, place

    removed: dict[str, Any] = {"replaced": {}, "removed": []}
    if raw.empty:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in ASSIGN_COLUMNS})
        out["topic"] = out["topic"].astype("Int64")
        out["theme"] = out["theme"].astype("Int64")
        out["probability"] = out["probability"].astype(float)
        return out, removed
    frame = clean_table(raw.reset_index(drop=True), name, text_column, id_column)
    if id_column is None:
        frame["id"] = [str(offset + i) for i in range(len(frame))]
    if redactor is not None:
        from covidlearning.privacy.redact import redact_input

        own = copy.copy(redactor)
        own.log = []
        frame = redact_input(frame, own)
        kinds = Counter(r.kind for r in own.log)
        removed = {"replaced": dict(sorted(kinds.items())), "removed": own.originals()}
    return place(frame, where, config, progress=False), removed
