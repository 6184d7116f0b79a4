"""Beyond one machine: the stages' work that grows with n, run on a Dask cluster.

Nothing here runs, and Dask is not imported, unless ``--scheduler`` (``engine.scheduler``)
is given; without it every command runs in one process as before.

- :mod:`~covidlearning.engine.cluster`: a ``distributed.LocalCluster`` or an existing
  scheduler, and the client the run talks to.
- :mod:`~covidlearning.engine.partitions`: inputs as partitions (one file, a folder or a
  glob of CSV/parquet files).
- :mod:`~covidlearning.engine.work`: what runs on the workers (embedding partition by
  partition with the model loaded once per worker; placing partitions in saved themes).
- :mod:`~covidlearning.engine.runs`: ``discover``, ``assign`` and ``code`` on a cluster,
  with the same results as in one process, and their outputs (partitioned parquet beside
  the usual CSVs, counts as Dask aggregations).

The subpackage imports the stages (corpus, nlp, themes, coding); only the command line
imports it.
"""
