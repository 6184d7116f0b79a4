"""`make bench`: wall time, texts/s and peak memory of embedding and theme discovery.

Texts are generated deterministically from the seed corpus (data/raw/*.txt): sentences
and recombined sentence thirds, all distinct, so nothing is served by a cache it should
not be. Each (size, stage) runs in its own subprocess so its peak resident memory
(ru_maxrss) is measured on its own:

* ``embed``: MiniLM embedding into a cold, temporary cache;
* ``fit``: covidlearning discovery (embeddings read from that cache), all stages
  including BERTopic representation, quotes and quality metrics (5 stability seeds);
* ``bertopic``: default ``BERTopic()`` fitted on the same texts and embeddings.

Results go to benchmarks/results/bench-<sizes>.csv and .json (gitignored) and a table is printed.

    .venv/bin/python benchmarks/run.py                 # 1,000, 10,000 and 100,000 texts
    .venv/bin/python benchmarks/run.py --sizes 1000    # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
STAGES = ("embed", "fit", "bertopic")


def seed_sentences() -> list[str]:
    """Sentences of the seed corpus (raw text; web furniture is harmless here)."""
    sents: list[str] = []
    for path in sorted((ROOT / "data" / "raw").glob("*.txt")):
        text = re.sub(r"\s+", " ", path.read_text(encoding="utf-8", errors="replace"))
        for s in re.split(r"(?<=[.!?])\s+", text):
            if 25 <= len(s) <= 300:
                sents.append(s.strip())
    return sorted(set(sents))


def make_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct short texts: seed sentences, then thirds of three sentences recombined."""
    base = seed_sentences()
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    for s in base:
        if len(out) >= n:
            break
        out.append(s)
        seen.add(s)
    thirds = []
    for s in base:
        w = s.split()
        cut = len(w) // 3
        thirds.append((w[:cut], w[cut : 2 * cut], w[2 * cut :]))
    while len(out) < n:  # ~270 sentences -> ~2e7 distinct three-part texts
        a, b, c = rng.choice(thirds), rng.choice(thirds), rng.choice(thirds)
        t = " ".join(a[0] + b[1] + c[2])
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def random_encoder(texts: list[str]):
    """Stand-in for MiniLM (``--random-embeddings``): random unit vectors of the same shape."""
    import numpy as np

    rng = np.random.default_rng(len(texts))
    return rng.normal(size=(len(texts), 384)).astype(np.float32)


def worker(stage: str, n: int, cache: str, fake: bool = False, refine: str = "auto") -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    texts = make_texts(n)
    t0 = time.perf_counter()
    extra: dict = {}
    if stage == "embed":
        from covidlearning.nlp.embed import embed_texts

        embed_texts(
            texts, cache_dir=cache, progress=False, encoder=random_encoder if fake else None
        )
    elif stage == "fit":
        import pandas as pd

        from covidlearning.config import DiscoverConfig
        from covidlearning.themes.discover import discover

        frame = pd.DataFrame(
            {"id": [str(i) for i in range(n)], "text": texts, "status": "ok", "duplicate": False}
        )
        # random vectors carry no themes for the refinement to tune MiniLM to: off
        ref = False if fake else {"auto": "auto", "on": True, "off": False}[refine]
        res = discover(frame, DiscoverConfig(cache_dir=Path(cache), refine=ref), progress=False)
        extra = {
            "topics": res.metrics.get("n_topics"),
            "stage_seconds": res.manifest.get("timings"),
        }
    else:
        import numpy as np
        from bertopic import BERTopic

        from covidlearning.nlp.embed import embed_texts

        emb = embed_texts(texts, cache_dir=cache, progress=False)
        t0 = time.perf_counter()  # default BERTopic's fit only, same embeddings
        topics, _ = BERTopic().fit_transform(texts, emb)
        extra = {
            "topics": int(len(set(topics)) - (1 if -1 in topics else 0)),
            "outlier_share": round(float(np.mean(np.asarray(topics) == -1)), 3),
        }
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "stage": stage,
        "n": n,
        "seconds": round(wall, 1),
        "texts_per_s": round(n / wall, 1),
        "peak_mb": round(peak_mb),
        **extra,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description="Benchmark embedding and theme discovery.")
    ap.add_argument("--sizes", default="1000,10000,100000", help="comma-separated text counts")
    ap.add_argument("--stages", default=",".join(STAGES), help="subset of embed,fit,bertopic")
    ap.add_argument(
        "--random-embeddings",
        action="store_true",
        help="skip MiniLM: random vectors, to measure fit memory/time at large n quickly",
    )
    ap.add_argument(
        "--refine",
        choices=("auto", "on", "off"),
        default="auto",
        help="self-training refinement in the fit stage (auto: 1,000-20,000 texts; "
        "always off with --random-embeddings)",
    )
    ap.add_argument("--worker", nargs=3, metavar=("STAGE", "N", "CACHE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        stage, n, cache = args.worker
        print(json.dumps(worker(stage, int(n), cache, args.random_embeddings, args.refine)))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    stages = [s for s in STAGES if s in args.stages.split(",")]
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
        for n in sizes:
            for stage in stages:
                p = subprocess.run(
                    [sys.executable, __file__, "--worker", stage, str(n), cache,
                     "--refine", args.refine]
                    + (["--random-embeddings"] if args.random_embeddings else []),
                    capture_output=True, text=True,
                )  # fmt: skip
                if p.returncode != 0:
                    tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
                    row = {"stage": stage, "n": n, "error": " | ".join(tail)}
                else:
                    row = json.loads(p.stdout.strip().splitlines()[-1])
                row["embeddings"] = "random" if args.random_embeddings else "MiniLM"
                row["refine"] = "off" if args.random_embeddings else args.refine
                rows.append(row)
                print(json.dumps(row), flush=True)
    import pandas as pd

    table = pd.DataFrame(rows)
    tag = "-".join(str(s) for s in sizes) + ("-random" if args.random_embeddings else "")
    tag += "" if args.refine == "auto" or args.random_embeddings else f"-refine-{args.refine}"
    table.to_csv(RESULTS / f"bench-{tag}.csv", index=False)
    meta = {"cpus": os.cpu_count(), "python": platform.python_version(), "rows": rows}
    (RESULTS / f"bench-{tag}.json").write_text(json.dumps(meta, indent=2, default=str) + "\n")
    want = (
        "stage", "n", "embeddings", "refine", "seconds", "texts_per_s", "peak_mb", "topics",
        "error",
    )  # fmt: skip
    cols = [c for c in want if c in table]
    print()
    print(table[cols].to_string(index=False))
    print(f"\nwrote {RESULTS}/bench-{tag}.csv")


if __name__ == "__main__":
    main()
