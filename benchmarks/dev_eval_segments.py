"""Development harness: discovery on the seed corpus's own segments, scored against their sections.

The corpus build (``make report``, or ``covidlearning corpus build``) writes
``data/processed/segments.parquet``: each seed document cut into units, with the heading
each unit sits under (``section``). Those headings are the authors' own grouping, so AMI
between the discovered themes and the sections shows how far discovery recovers them, per
document and pooled, beside k-means on the same MiniLM vectors given the true number of
sections (mean over 3 k-means seeds). The units keep their ``doc_id``, so the row-order
context sees document boundaries as it does in a real run; ``--context off`` shows the
clustering alone.

    .venv/bin/python benchmarks/dev_eval_segments.py [--seeds 42,1,2] [--context auto|off]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dev_eval import ami, kmeans_true_k  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEGMENTS = ROOT / "data" / "processed" / "segments.parquet"
#: Documents with enough units and sections to score (the two smallest have 13-14 units).
MIN_UNITS = 20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="42,1,2", help="comma-separated discovery seeds")
    ap.add_argument(
        "--context", default="auto", choices=["auto", "on", "off"], help="row-order context"
    )
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    if not SEGMENTS.exists():
        print(f"{SEGMENTS} not found: run `make report` (or `covidlearning corpus build`) first")
        return
    from covidlearning.config import DiscoverConfig
    from covidlearning.corpus.load import load_table
    from covidlearning.nlp.embed import embed_texts
    from covidlearning.themes.discover import discover

    frame = load_table(SEGMENTS, "text", "segment_id")
    frame = frame[frame["status"] == "ok"].reset_index(drop=True)
    section = pd.read_parquet(SEGMENTS).set_index("segment_id")["section"].fillna("")
    groups = {
        str(doc): g.reset_index(drop=True)
        for doc, g in frame.groupby("doc_id", sort=True)
        if len(g) >= MIN_UNITS
    }
    groups["all documents"] = frame
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    for name, units in groups.items():
        labels = section.loc[units["id"]].tolist()
        emb = embed_texts(units["text"].tolist(), progress=False)
        scores, ks = [], []
        for seed in seeds:
            cfg = DiscoverConfig(seed=seed, stability_runs=0, context=args.context)
            res = discover(units, cfg, progress=False)
            topics = res.assignments["topic"].astype("string").fillna("excluded").tolist()
            scores.append(ami(labels, topics))
            ks.append(res.metrics.get("n_topics"))
        km = kmeans_true_k(emb, labels)
        rows.append(
            {
                "set": name,
                "units": len(units),
                "sections": len(set(labels)),
                "themes found": "/".join(str(k) for k in ks),
                "AMI per seed": " / ".join(f"{s:.3f}" for s in scores),
                "AMI mean": round(float(np.mean(scores)), 3),
                "k-means (true k)": round(km, 3),
                "ratio": round(float(np.mean(scores)) / km, 2) if km > 0 else None,
            }
        )
        print(rows[-1], flush=True)
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
