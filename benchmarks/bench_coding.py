"""Benchmark the coding stage: train on a coded sample and code N texts, wall time per step.

    .venv/bin/python benchmarks/bench_coding.py                  # 1,000 and 10,000 texts
    .venv/bin/python benchmarks/bench_coding.py --sizes 1000     # quick

Data: the package's synthetic trust survey (``covidlearning.testing.synthetic``), whose answers
carry the theme they were generated from, so the trained mode has human-like codes.
Every size runs with an empty embedding cache (cold: embedding is timed too).
Writes benchmarks/results/coding.csv and coding.json (with the machine's load average:
on a shared machine, embedding time grows with the load).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pandas as pd  # noqa: E402

from covidlearning.coding import code_texts, code_with_model, train_and_code  # noqa: E402
from covidlearning.coding.codebook import load_codebook  # noqa: E402
from covidlearning.config import CodeConfig  # noqa: E402
from covidlearning.testing import synthetic  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"


def _frame(data: synthetic.SyntheticTrust) -> pd.DataFrame:
    f = data.frame.rename(columns={"response_id": "id", "answer": "text"})
    f["status"] = "ok"
    f["duplicate"] = False
    f["code"] = f["id"].map(data.themes)
    return f


def bench(n: int, seed: int = 7) -> list[dict]:
    rows = []
    frame = _frame(synthetic.generate(n, seed))
    coded = frame[~frame["code"].isin(["filler", "duplicate"])].reset_index(drop=True)
    with tempfile.TemporaryDirectory(prefix="bench-coding-") as cache:
        cfg = CodeConfig(cache_dir=Path(cache))
        t0 = time.perf_counter()
        res = train_and_code(coded, "code", frame, None, cfg)
        wall = time.perf_counter() - t0
        tm = res.manifest["timings_s"]
        rows.append(
            {
                "step": "trained: fit on n coded texts + code n texts",
                "n_texts": n,
                "n_train": len(coded),
                "n_labels": res.manifest["training"]["n_labels"],
                "wall_s": round(wall, 1),
                "fine_tuning_s": tm["fine_tuning"],
                "embedding_s": tm["embedding"],
                "holdout_fit_s": tm["holdout_fit"],
                "holdout_macro_f1": round(res.agreement["macro_f1"], 3) if res.agreement else None,
            }
        )
        print(rows[-1], flush=True)
        t0 = time.perf_counter()
        run_dir = res.save(Path(cache) / "run")
        saved = time.perf_counter() - t0
        t0 = time.perf_counter()
        # a tuned encoder embeds the texts again (its vectors are not cached); else warm cache
        code_with_model(frame, run_dir / "model", cfg)
        model_files = list((run_dir / "model").iterdir())
        rows.append(
            {
                "step": "saved coder: write the run + code n texts with --model",
                "n_texts": n,
                "wall_s": round(time.perf_counter() - t0, 1),
                "save_s": round(saved, 1),
                "model_mb": round(sum(f.stat().st_size for f in model_files) / 2**20, 1),
            }
        )
        print(rows[-1], flush=True)
        book = load_codebook(ROOT / "configs" / "codebooks" / "lsbu-10-leaps.yaml")
        t0 = time.perf_counter()
        # a tuned run embeds with its own encoder, so the base model's cache is still cold
        # here unless the sample was too small to tune: then this times the scoring alone
        res = code_texts(frame, book, cfg)
        rows.append(
            {
                "step": "few-shot: code n texts against the LSBU codebook (base-model "
                "embedding included when the trained step tuned its own)",
                "n_texts": n,
                "wall_s": round(time.perf_counter() - t0, 1),
            }
        )
        print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    rows = [r for n in args.sizes for r in bench(n)]
    args.out.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(rows)
    table.to_csv(args.out / "coding.csv", index=False, lineterminator="\n")
    meta = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],
        },
        "python": sys.version.split()[0],
        "results": rows,
    }
    (args.out / "coding.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
