"""`make bench`, scale section (issue 21): discovery on a Dask cluster, and the int8 backend.

Three measurements, each printed and written to benchmarks/results/scale-<n>.json:

* ``fit``: ``covidlearning discover --scheduler local`` on ``--n`` generated texts
  (default 1,000,000) whose vectors are random unit vectors (around 40 random centres)
  put in a fresh embedding cache first (the fit is measured, not MiniLM), wall time per
  stage (load, embed, fit and its steps, write) from the run's manifest, and the peak
  resident memory of every worker process (sampled every 0.2 s with psutil);
* ``assign`` (after ``fit``, in the same folder): ``covidlearning assign --scheduler
  local`` streaming the same texts into the saved themes, once all ``--n`` of them and once
  a tenth of them, with each process's peak memory: streaming holds memory bounded by the
  partition size, so the two peaks should be about the same;
* ``embed``: embedding throughput of ``--embed-n`` texts on a LocalCluster of 1 and of
  2 workers (1 thread each; cold caches; the model loaded on every worker before the
  clock starts), and the speed-up (target at least 1.7x on 2 cores);
* ``int8``: the ``onnx-int8`` backend beside PyTorch in one process on ``--embed-n``
  texts (cold caches; the export done before the clock starts): throughput ratio
  (target at least 1.3x), mean and minimum cosine between the two backends' vectors
  (target mean at least 0.98), and the AMI between the themes discovered with each on
  a synthetic survey of ``--int8-survey`` comments (refinement and stability re-runs
  off, so only the vectors differ).

    .venv/bin/python benchmarks/scale.py                              # 1M texts: long
    .venv/bin/python benchmarks/scale.py --n 50000 --embed-n 2000     # a quick look
    .venv/bin/python benchmarks/scale.py --stages int8 --embed-n 2000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
STAGES = ("fit", "assign", "embed", "int8")
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _texts(n: int, seed: int = 0) -> list[str]:
    from run import make_texts  # benchmarks/run.py: distinct texts from the seed corpus

    return make_texts(n, seed)


class PeakMemory:
    """Peak resident memory of each child process of this one, sampled in a thread."""

    def __init__(self, interval: float = 0.2) -> None:
        import psutil

        self.me = psutil.Process()
        self.peaks: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            for p in self.me.children(recursive=True):
                try:
                    rss = p.memory_info().rss
                    self.names.setdefault(p.pid, " ".join(p.cmdline()[-2:])[-60:])
                except psutil.Error:
                    continue
                self.peaks[p.pid] = max(self.peaks.get(p.pid, 0), rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def bench_fit(n: int, workers: int, tmp: Path) -> dict:
    """discover --scheduler local on ``n`` texts with random unit vectors in the cache."""
    import pandas as pd
    import yaml

    from covidlearning.nlp.embed import EmbeddingCache, _text_key

    texts = _texts(n)
    table = tmp / "texts.csv"
    pd.DataFrame({"id": [f"t{i}" for i in range(n)], "text": texts}).to_csv(table, index=False)
    from covidlearning.corpus.load import load_table

    frame = load_table(table, "text", "id")  # the texts as discover will read them
    texts = frame.loc[frame["status"] == "ok", "text"].drop_duplicates().tolist()
    cache = EmbeddingCache(tmp / "cache", "all-MiniLM-L6-v2", "cap64")
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, 384)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    for s in range(0, len(texts), 100_000):  # the vectors the fit reads: random unit vectors
        chunk = texts[s : s + 100_000]
        # random unit vectors around 40 random centres, so there are themes to describe
        vecs = centres[rng.integers(0, len(centres), len(chunk))]
        vecs = vecs + rng.normal(scale=0.05, size=vecs.shape).astype(np.float32)
        cache.store([_text_key(t) for t in chunk], vecs / np.linalg.norm(vecs, axis=1)[:, None])
    config = tmp / "scale.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "discover": {"cache_dir": str(tmp / "cache")},
                "engine": {"scheduler": "local", "workers": workers, "memory_limit": "8GB"},
            }
        ),
        encoding="utf-8",
    )
    out = tmp / "out"
    cmd = [str(Path(sys.executable).parent / "covidlearning"), "discover", str(table)]
    cmd += [
        "--text-column",
        "text",
        "--id-column",
        "id",
        "--out",
        str(out),
        "--config",
        str(config),
    ]
    t0 = time.perf_counter()
    with PeakMemory() as mem:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"discover failed:\n{proc.stderr[-3000:]}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    peaks = sorted(mem.peaks.values(), reverse=True)
    return {
        "n": n,
        "workers": workers,
        "wall_s": round(wall, 1),
        "timings_s": manifest["timings"],
        "peak_process_mb": [round(p / 2**20) for p in peaks[: workers + 2]],
        "summary": proc.stdout.strip().splitlines()[-1],
    }


def bench_assign(n: int, workers: int, tmp: Path) -> dict:
    """Streamed ``assign`` of the fit's texts (all, and a tenth) into its saved themes."""
    import pandas as pd

    table, config = tmp / "texts.csv", tmp / "scale.yaml"
    if not (tmp / "out" / "manifest.json").exists():
        raise SystemExit("the assign stage needs the fit stage first (--stages fit,assign)")
    tenth = tmp / "texts-tenth.csv"
    pd.read_csv(table, nrows=max(1, n // 10), dtype=str).to_csv(tenth, index=False)
    out: dict = {"n": n, "workers": workers}
    for name, src in (("all", table), ("tenth", tenth)):
        cmd = [str(Path(sys.executable).parent / "covidlearning"), "assign", str(src)]
        cmd += ["--model", str(tmp / "out"), "--text-column", "text", "--id-column", "id"]
        cmd += ["--out", str(tmp / f"assign-{name}"), "--config", str(config)]
        t0 = time.perf_counter()
        with PeakMemory() as mem:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"assign failed:\n{proc.stderr[-3000:]}")
        peaks = sorted(mem.peaks.values(), reverse=True)
        out[name] = {
            "rows": int(pd.read_csv(src, usecols=["id"]).shape[0]),
            "wall_s": round(time.perf_counter() - t0, 1),
            "peak_process_mb": [round(p / 2**20) for p in peaks[: workers + 2]],
        }
    return out


def bench_embed(n: int, tmp: Path) -> dict:
    """Embedding throughput on a LocalCluster of 1 and of 2 workers (cold caches)."""
    from covidlearning.config import DiscoverConfig, EngineConfig
    from covidlearning.engine.cluster import connect
    from covidlearning.engine.runs import embed_on_cluster
    from covidlearning.nlp.embed import load_model

    texts = _texts(n, seed=1)
    out: dict = {"n": n}
    for workers in (1, 2):
        settings = DiscoverConfig(cache_dir=tmp / f"embed-cache-{workers}")
        with connect(EngineConfig(scheduler="local", workers=workers)) as client:
            client.run(load_model, "all-MiniLM-L6-v2")  # loaded before the clock starts
            t0 = time.perf_counter()
            embed_on_cluster(client, texts, settings, 50_000, progress=False)
            secs = time.perf_counter() - t0
        out[f"{workers}_worker_texts_per_s"] = round(n / secs, 1)
    out["speedup"] = round(out["2_worker_texts_per_s"] / out["1_worker_texts_per_s"], 2)
    return out


def bench_int8(n: int, survey: int, tmp: Path) -> dict:
    """The onnx-int8 backend beside PyTorch: throughput, cosine, AMI of the themes."""
    from sklearn.metrics import adjusted_mutual_info_score

    from covidlearning.config import DiscoverConfig
    from covidlearning.corpus.load import clean_table
    from covidlearning.nlp.embed import embed_texts, load_model, load_onnx
    from covidlearning.testing.synthetic import generate
    from covidlearning.themes.discover import discover

    texts = _texts(n, seed=2)
    load_model("all-MiniLM-L6-v2")
    load_onnx("all-MiniLM-L6-v2", str(tmp / "int8-cache"))  # export once, off the clock
    out: dict = {"n": n}
    vecs = {}
    for backend in ("torch", "onnx-int8"):
        t0 = time.perf_counter()
        vecs[backend] = embed_texts(
            texts, cache_dir=tmp / "int8-cache", backend=backend, progress=False
        )
        out[f"{backend}_texts_per_s"] = round(n / (time.perf_counter() - t0), 1)
    cos = (vecs["torch"] * vecs["onnx-int8"]).sum(axis=1)
    out["speedup"] = round(out["onnx-int8_texts_per_s"] / out["torch_texts_per_s"], 2)
    out["cosine_mean"], out["cosine_min"] = round(float(cos.mean()), 4), round(float(cos.min()), 4)
    raw = generate(survey, seed=21).frame.sample(frac=1.0, random_state=0).astype(str)
    frame = clean_table(raw.reset_index(drop=True), "survey.csv", "answer", "response_id")
    topics = {}
    for backend in ("torch", "onnx-int8"):
        config = DiscoverConfig(
            cache_dir=tmp / "int8-cache", backend=backend, refine=False, stability_runs=0
        )
        found = discover(frame, config, progress=False)
        topics[backend] = found.assignments["topic"].fillna(-2).astype(int).to_numpy()
        out[f"{backend}_topics"] = int(found.metrics.get("n_topics", 0))
    out["survey"] = survey
    out["ami"] = round(float(adjusted_mutual_info_score(topics["torch"], topics["onnx-int8"])), 3)
    return out


def main() -> None:
    """Run the chosen stages and print and save their figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="texts for the fit stage")
    ap.add_argument("--embed-n", type=int, default=4000, help="texts for embed and int8")
    ap.add_argument("--int8-survey", type=int, default=3000, help="comments for the AMI")
    ap.add_argument("--workers", type=int, default=2, help="workers for the fit stage")
    ap.add_argument(
        "--stages", default=",".join(STAGES), help="comma-separated: " + ", ".join(STAGES)
    )
    args = ap.parse_args()
    stages = [s for s in args.stages.split(",") if s]
    results: dict = {"load_average": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="covidlearning-scale-") as tmp_name:
        tmp = Path(tmp_name)
        if "fit" in stages:
            results["fit"] = bench_fit(args.n, args.workers, tmp)
            print(json.dumps(results["fit"], indent=2))
        if "assign" in stages:
            results["assign"] = bench_assign(args.n, args.workers, tmp)
            print(json.dumps(results["assign"], indent=2))
        if "embed" in stages:
            results["embed"] = bench_embed(args.embed_n, tmp)
            print(json.dumps(results["embed"], indent=2))
        if "int8" in stages:
            results["int8"] = bench_int8(args.embed_n, args.int8_survey, tmp)
            print(json.dumps(results["int8"], indent=2))
    results["load_average_after"] = os.getloadavg()[0]
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"scale-{args.n}-{'-'.join(stages)}.json"
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
