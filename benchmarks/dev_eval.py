"""Development harness: AMI of covidlearning discovery vs default BERTopic and k-means(true k).

Reads the labelled sets in ../shared/eval and units of the seed documents under their
own headings (benchmarks/devsets.py); sets whose sources are absent are skipped. Eval
data is never copied into the repository.

    .venv/bin/python benchmarks/dev_eval.py [--sets lsbu,seed_003] [--no-baselines]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import devsets  # noqa: E402


def ami(a, b) -> float:
    from sklearn.metrics import adjusted_mutual_info_score

    return float(adjusted_mutual_info_score(a, b))


def ours(texts, seed: int, stability_runs: int = 0, context: str = "auto", refine: str = "auto"):
    from covidlearning.config import DiscoverConfig
    from covidlearning.themes.discover import discover

    frame = pd.DataFrame(
        {
            "id": [str(i) for i in range(len(texts))],
            "text": texts,
            "status": "ok",
            "duplicate": False,
        }
    )
    cfg = DiscoverConfig(
        seed=seed,
        stability_runs=stability_runs,
        context=context,
        refine={"auto": "auto", "on": True, "off": False}[refine],
    )
    res = discover(frame, cfg, progress=False)
    topics = res.assignments["topic"].astype("string").fillna("excluded").tolist()
    return topics, res


def default_bertopic(texts, emb, seed: int):
    from bertopic import BERTopic
    from umap import UMAP

    umap_model = UMAP(
        n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed
    )
    model = BERTopic(umap_model=umap_model)
    topics, _ = model.fit_transform(texts, emb)
    return topics


def kmeans_true_k(emb, labels, seeds=3):
    from sklearn.cluster import KMeans

    k = len(set(labels))
    return float(
        np.mean(
            [
                ami(labels, KMeans(k, n_init=5, random_state=s).fit_predict(emb))
                for s in range(seeds)
            ]
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="", help="comma-separated subset of set names")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument(
        "--context", default="auto", choices=["auto", "on", "off"], help="row-order context"
    )
    ap.add_argument(
        "--refine", default="auto", choices=["auto", "on", "off"], help="self-training refinement"
    )
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    from covidlearning.nlp.embed import embed_texts

    sets = devsets.all_sets()
    if args.sets:
        sets = {k: v for k, v in sets.items() if k in args.sets.split(",")}
    if not sets:
        print("no development sets found (../shared/eval and the seed documents are absent)")
        return
    # Both Trust B label sets share one clustering run.
    cache: dict[tuple[str, ...], tuple] = {}
    rows = []
    for name, (texts, labels) in sets.items():
        key = tuple(texts)
        t0 = time.perf_counter()
        if key not in cache:
            emb = embed_texts(texts, progress=False)
            topics, res = ours(texts, args.seed, context=args.context, refine=args.refine)
            bt = None if args.no_baselines else default_bertopic(texts, emb, args.seed)
            cache[key] = (emb, topics, res, bt)
        emb, topics, res, bt = cache[key]
        row = {
            "set": name,
            "n": len(texts),
            "true_k": len(set(labels)),
            "ours_k": res.metrics.get("n_topics"),
            "ours_ami": round(ami(labels, topics), 3),
        }
        if not args.no_baselines:
            row["bertopic_ami"] = round(ami(labels, bt), 3)
            row["kmeans_true_k_ami"] = round(kmeans_true_k(emb, labels), 3)
            best = max(row["bertopic_ami"], row["kmeans_true_k_ami"])
            row["ratio_vs_best"] = round(row["ours_ami"] / best, 2) if best > 0 else float("nan")
        row["seconds"] = round(time.perf_counter() - t0, 1)
        rows.append(row)
        print(row, flush=True)
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
