"""Speed on a raw export, side by side with the libraries it builds on (``make bench``).

On N short comments (default 10,000; the synthetic trust survey's answers, all distinct,
so no cache serves them), each in its own subprocess and from a cold cache:

* ``st_encode``: sentence-transformers' own ``encode(batch_size=64)`` (the reference);
* ``embed``: :func:`covidlearning.nlp.embed.embed_texts` (batch-independent vectors);
* ``bertopic``: default ``BERTopic`` with the same bundled model, embedding included;
* ``discover``: :func:`covidlearning.themes.discover.discover` with the default config
  (refinement on at this size), embedding included;
* ``report`` (``--report``): ``covidlearning report`` on a table of N rows, cold and then
  warm (the embedding cache filled by the cold run).

Targets (issue #17): embedding throughput at least 0.95x sentence-transformers',
discovery at most 3x default BERTopic's wall time, the report on 8,000 comments under
10 minutes cold and 3 minutes warm on a 2-core machine. Run it alone: a job in parallel
with another doubles both.

    .venv/bin/python benchmarks/speed.py                    # 10,000 comments
    .venv/bin/python benchmarks/speed.py --n 8000 --report  # and the report, cold and warm
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def comments(n: int) -> list[str]:
    """``n`` distinct synthetic comments (deterministic)."""
    from covidlearning.testing import synthetic

    frame = synthetic.generate(int(n * 1.3) + 100, 0).frame
    texts = frame["answer"].dropna().astype(str).str.strip()
    texts = list(dict.fromkeys(t for t in texts if len(t.split()) >= 2))
    if len(texts) < n:
        raise SystemExit(f"only {len(texts)} distinct comments for n={n}")
    return texts[:n]


def worker(stage: str, n: int, cache: str) -> dict:
    """Time one stage in this process and return its figures."""
    os.environ["COVIDLEARNING_CACHE"] = cache
    texts = comments(n)
    extra: dict = {}
    t0 = time.perf_counter()
    if stage == "st_encode":
        from covidlearning.nlp.embed import load_model

        st = load_model()
        t0 = time.perf_counter()
        st.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    elif stage == "embed":
        from covidlearning.nlp.embed import embed_texts, load_model

        load_model()  # both embedding stages time the encoding, not the model load
        t0 = time.perf_counter()
        embed_texts(texts, progress=False)
    elif stage == "bertopic":
        from bertopic import BERTopic

        from covidlearning.nlp.embed import load_model

        st = load_model()
        t0 = time.perf_counter()
        topics, _ = BERTopic(embedding_model=st).fit_transform(texts)
        extra["topics"] = len(set(topics) - {-1})
    elif stage == "discover":
        import pandas as pd

        from covidlearning.config import DiscoverConfig
        from covidlearning.themes.discover import discover

        frame = pd.DataFrame({"id": [str(i) for i in range(n)], "text": texts})
        frame["status"], frame["duplicate"] = "ok", False
        res = discover(frame, DiscoverConfig(), progress=False)
        extra["topics"] = res.metrics.get("n_topics")
        extra["stage_seconds"] = res.manifest.get("timings")
    wall = time.perf_counter() - t0
    return {"stage": stage, "n": n, "seconds": round(wall, 1), "texts_per_s": round(n / wall, 1),
            **extra}  # fmt: skip


def run_stage(stage: str, n: int, cache: str) -> dict:
    """Run ``worker`` in a fresh process (a cold model and memory)."""
    p = subprocess.run(
        [sys.executable, __file__, "--worker", stage, str(n), cache],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if p.returncode != 0:
        return {"stage": stage, "n": n, "error": (p.stderr or p.stdout).strip()[-400:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def report_runs(n: int, work: Path) -> list[dict]:
    """``covidlearning report`` on a synthetic export of ``n`` rows, cold then warm."""
    import pandas as pd

    from covidlearning.testing import synthetic

    frame = synthetic.generate(n, 0).frame
    table = work / "export.csv"
    frame.to_csv(table, index=False)
    config = work / "export.yaml"
    config.write_text(
        f"name: speed-export\nsource: table\nreports_dir: {work / 'reports'}\n"
        f"input:\n  path: {table}\n  text_column: answer\n  id_column: response_id\n"
        "  date_column: submitted\n  group_columns: [staff_group, site]\n",
        encoding="utf-8",
    )
    env = {**os.environ, "COVIDLEARNING_CACHE": str(work / "cache")}
    rows = []
    for state in ("cold", "warm"):
        t0 = time.perf_counter()
        p = subprocess.run(
            [str(Path(sys.executable).parent / "covidlearning"), "report", "--config", str(config)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        rows.append({"stage": f"report ({state} cache)", "n": len(pd.read_csv(table)),
                     "seconds": round(time.perf_counter() - t0, 1),
                     **({"error": p.stderr.strip()[-400:]} if p.returncode else {})})  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="comments (default 10,000)")
    ap.add_argument("--stages", default="st_encode,embed,bertopic,discover")
    ap.add_argument("--report", action="store_true", help="also time `covidlearning report`")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        stage, n, cache = args.worker
        print(json.dumps(worker(stage, int(n), cache)))
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp:
        for stage in args.stages.split(","):
            cache = str(Path(tmp) / f"cache-{stage}")  # every stage starts cold
            rows.append(run_stage(stage, args.n, cache))
            print(json.dumps(rows[-1]), flush=True)
        if args.report:
            rows += report_runs(args.n, Path(tmp))
            print(json.dumps(rows[-2:]), flush=True)
    by = {r["stage"]: r for r in rows if "seconds" in r}
    print()
    for r in rows:
        print(f"{r['stage']:<22} {r.get('seconds', 'error')!s:>8} s  {r.get('error', '')}")
    if "st_encode" in by and "embed" in by:
        ratio = by["st_encode"]["seconds"] / by["embed"]["seconds"]
        print(f"embedding throughput vs sentence-transformers: {ratio:.2f}x (target >= 0.95x)")
    if "bertopic" in by and "discover" in by:
        ratio = by["discover"]["seconds"] / by["bertopic"]["seconds"]
        print(f"discover wall time vs default BERTopic: {ratio:.2f}x (target <= 3x)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"speed-{args.n}.json"
    out.write_text(json.dumps({"cpus": os.cpu_count(), "rows": rows}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
