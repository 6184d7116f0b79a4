"""A Dask cluster gives one process's results (issue 21): same files, no row lost or doubled.

A LocalCluster of 2 workers with 1 thread each embeds the texts (cold caches, so the
workers really compute them), fits on one worker and writes; ``assignments.csv`` and
``topics.csv`` must be byte-identical to the in-process run's, and the view over time the
cluster counts to the report's view of the in-process run. Then ``assign`` streams a
folder of CSV files in partitions while a worker is killed mid-run: Dask retries its
task, and the rows, and what redaction removed, equal the in-process ``assign``'s.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pandas as pd
import pytest
import yaml

from covidlearning.cli import run
from covidlearning.config import RedactionConfig
from covidlearning.privacy.redact import Redactor
from covidlearning.testing.synthetic import generate

pytestmark = pytest.mark.slow

#: Texts in the comparison: a few thousand, kept quick by skipping refinement and
#: stability re-runs (neither touches what differs between the engines); more than the
#: sample discovery clusters (consensus.SAMPLE_CAP), so the rest are placed by the
#: neighbour vote, whose blocks the cluster runs on its workers.
N_TEXTS = 2400


def _config(tmp: Path, name: str) -> Path:
    path = tmp / f"{name}.yaml"
    settings = {"cache_dir": str(tmp / f"cache-{name}"), "refine": False, "stability_runs": 0}
    # the breakdowns the cluster writes (one process leaves them to the report)
    inputs = {"path": str(tmp / "survey.csv"), "date_column": "submitted",
              "group_columns": ["staff_group"]}  # fmt: skip
    engine = {"workers": 2, "partition_rows": 400}
    path.write_text(
        yaml.safe_dump({"discover": settings, "input": inputs, "engine": engine}),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("cluster")
    frame = generate(N_TEXTS, seed=11).frame.sample(frac=1.0, random_state=3)
    frame.to_csv(tmp / "survey.csv", index=False)
    common = ["--text-column", "answer", "--id-column", "response_id"]
    assert run(["discover", str(tmp / "survey.csv"), *common, "--out", str(tmp / "one"),
                "--config", str(_config(tmp, "one"))]) == 0  # fmt: skip
    assert run(["discover", str(tmp / "survey.csv"), *common, "--out", str(tmp / "two"),
                "--config", str(_config(tmp, "two")), "--scheduler", "local"]) == 0  # fmt: skip
    return {"tmp": tmp, "one": tmp / "one", "two": tmp / "two"}


def test_cluster_files_are_byte_identical_to_one_process(runs: dict[str, Path]) -> None:
    from covidlearning.themes.consensus import SAMPLE_CAP

    assert N_TEXTS > SAMPLE_CAP
    for name in ("assignments.csv", "topics.csv"):
        one = (runs["one"] / name).read_bytes()
        assert one == (runs["two"] / name).read_bytes(), name
    topics = pd.read_csv(runs["one"] / "topics.csv")
    assert len(topics) >= 3  # themes were found, so the comparison means something
    # the cluster's texts were embedded by its workers, into its own (cold) cache
    assert any((runs["tmp"] / "cache-two").rglob("*.npy"))


def test_cluster_writes_partitioned_parquet_and_counts(runs: dict[str, Path]) -> None:
    parts = sorted((runs["two"] / "assignments.parquet").glob("part-*.parquet"))
    assert parts
    table = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    csv = pd.read_csv(runs["two"] / "assignments.csv", dtype={"id": str})
    assert table["id"].tolist() == csv["id"].tolist()
    counts = pd.read_csv(runs["two"] / "counts.csv")
    assert counts["rows"].sum() == len(csv) == N_TEXTS


def test_the_cluster_views_by_time_and_group_are_the_reports(runs: dict[str, Path]) -> None:
    from covidlearning._io import write_csv
    from covidlearning.config import load_config
    from covidlearning.corpus.load import load_table
    from covidlearning.reporting.breakdown import readable_over_time

    cfg = load_config(_config(runs["tmp"], "one"))
    frame = load_table(runs["tmp"] / "survey.csv", "answer", "response_id")
    one = pd.read_csv(runs["one"] / "assignments.csv", dtype={"id": str})
    bd = readable_over_time(
        one, frame, "submitted", cfg.input.date_freq, cfg.disclosure.threshold,
        cfg.disclosure.secondary, cfg.input.dayfirst, keywords=False, figure=False,
        rounding=cfg.disclosure.rounding,
    )  # fmt: skip
    write_csv(runs["tmp"] / "over-time-one.csv", bd.table)
    two = runs["two"] / "breakdown_over_time.csv"
    assert two.read_bytes() == (runs["tmp"] / "over-time-one.csv").read_bytes()
    manifest = json.loads((runs["two"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["over_time"]["notes"] == bd.notes
    assert len(bd.table) > 3 and (bd.table["count"] != "*").any()  # figures are published
    # by group: the report's view, small groups merged unnamed, cells suppressed
    from covidlearning.reporting.breakdown import by_group

    g = by_group(
        one, frame, "staff_group", cfg.disclosure.threshold, cfg.disclosure.secondary,
        keywords=False, figure=False, rounding=cfg.disclosure.rounding,
    )  # fmt: skip
    write_csv(runs["tmp"] / "by-group-one.csv", g.table)
    assert (runs["two"] / "breakdown.csv").read_bytes() == (
        runs["tmp"] / "by-group-one.csv"
    ).read_bytes()
    assert manifest["by_group"] == {"staff_group": g.notes}
    assert (g.table["count"] != "*").any()


def test_assign_streams_a_folder_and_survives_a_killed_worker(runs: dict[str, Path]) -> None:
    from distributed import get_client

    from covidlearning.config import DiscoverConfig, EngineConfig
    from covidlearning.engine.runs import assign_stream

    tmp = runs["tmp"]
    new = generate(1200, seed=12).frame[["response_id", "answer"]]
    new.to_csv(tmp / "new.csv", index=False)
    folder = tmp / "new-parts"
    folder.mkdir()
    for i in range(6):  # six files, one partition or more each
        new.iloc[i * 200 : (i + 1) * 200].to_csv(folder / f"part-{i}.csv", index=False)
    config = DiscoverConfig(cache_dir=tmp / "cache-one")
    out_one = tmp / "assign-one"
    args = ["assign", str(tmp / "new.csv"), "--model", str(runs["one"]), "--text-column", "answer"]
    assert run([*args, "--out", str(out_one), "--config", str(_config(tmp, "one"))]) == 0
    killed: list[str] = []

    def kill_one(index: int, rows: int) -> None:
        if index == 0:  # after the first partition is written, kill one worker's process
            pids = get_client().run(os.getpid)
            worker = sorted(pids)[0]
            os.kill(pids[worker], signal.SIGKILL)
            killed.append(worker)

    out_two = tmp / "assign-two"
    engine = EngineConfig(scheduler="local", workers=2, partition_rows=100)
    # the CLI's assign redacts by default: the workers redact each partition the same way
    done = assign_stream(folder, runs["one"], "answer", None, out_two, config, engine,
                         progress=False, on_partition=kill_one,
                         redactor=Redactor(RedactionConfig()))  # fmt: skip
    assert killed
    assert done["rows"] == len(new)
    one = pd.read_csv(out_one / "assignments.csv", dtype={"id": str})
    two = pd.read_csv(out_two / "assignments.csv", dtype={"id": str})
    assert two["id"].tolist() == [str(i) for i in range(len(new))]  # none lost or doubled
    pd.testing.assert_frame_equal(one, two)
    assert (out_one / "assignments.csv").read_bytes() == (out_two / "assignments.csv").read_bytes()
    # what the workers redacted is counted once per partition, as one process counts it
    one_m, two_m = (json.loads((o / "manifest.json").read_text(encoding="utf-8"))
                    for o in (out_one, out_two))  # fmt: skip
    assert two_m["redaction"] == one_m["redaction"]
    assert two_m["redaction"]["enabled"]
