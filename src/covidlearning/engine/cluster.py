"""The cluster a run uses: a ``distributed.LocalCluster`` started here, or a running one.

``engine.scheduler`` (``--scheduler``) is ``local`` or an address (``tcp://host:8786``,
a scheduler started with ``dask scheduler`` and joined by ``dask worker ADDRESS``).
Workers run one thread each: the embedding model uses one core per worker, so workers,
not threads, spread the work. Dask retries a task whose worker dies
(``distributed.scheduler.allowed-failures``), so a lost worker costs time, not rows.

Public API: :func:`connect`, :func:`describe`, :func:`worker_count`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from covidlearning.config import EngineConfig
from covidlearning.errors import InputError

logger = logging.getLogger(__name__)

#: Seconds to wait for a scheduler given by address to answer.
CONNECT_TIMEOUT = "10s"


@contextmanager
def connect(engine: EngineConfig) -> Iterator[Any]:
    """A ``distributed.Client`` for ``engine.scheduler`` (None without one), closed on exit.

    ``local`` starts ``engine.workers`` worker processes (default: one per core) of one
    thread each, with ``engine.memory_limit`` each, and stops them on exit.

    Raises:
        InputError: no scheduler answers at the address given.
    """
    if engine.scheduler is None:
        yield None
        return
    from distributed import Client, LocalCluster

    # the workers inherit this process's environment: offline, one BLAS thread each
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                       ("TOKENIZERS_PARALLELISM", "false"), ("OMP_NUM_THREADS", "1")):  # fmt: skip
        os.environ.setdefault(key, value)
    if engine.scheduler == "local":
        workers = engine.workers or os.cpu_count() or 1
        logger.info("starting a Dask LocalCluster: %d workers of 1 thread", workers)
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                memory_limit=engine.memory_limit,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(engine.scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"no Dask scheduler answers at {engine.scheduler} ({exc.__class__.__name__})",
            "Start one with `dask scheduler` and workers with `dask worker ADDRESS`, "
            "or use --scheduler local",
        ) from None
    with client:
        logger.info("using the Dask cluster at %s", engine.scheduler)
        yield client


def worker_count(client: Any) -> int:
    """How many workers the cluster has now (at least 1, so work can be sized by it)."""
    return max(1, len(client.scheduler_info().get("workers", {})))


def describe(client: Any) -> dict[str, Any]:
    """What the manifest records of the cluster: scheduler address, workers, threads."""
    info = client.scheduler_info()
    workers = info.get("workers", {})
    return {
        "scheduler": client.scheduler.address,
        "workers": len(workers),
        "threads": sum(int(w.get("nthreads", 1)) for w in workers.values()),
    }
