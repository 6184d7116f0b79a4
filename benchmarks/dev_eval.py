"""Development harness: AMI of covidlearning discovery vs default BERTopic and k-means(true k).

Reads the labelled sets in ../shared/eval and units of the seed documents under their
own headings (benchmarks/devsets.py); sets whose sources are absent are skipped. Eval
data is never copied into the repository. Rows are shuffled (``--order shuffled``, the
default: a survey export's order carries no human grouping) or kept as the files list them.

Besides AMI of ``topic`` (subthemes) and of ``theme`` (top-level themes), each run's labels
are checked, at both levels (issue #18):

- ``label_nearest``: the share of themes whose label, embedded with MiniLM, is nearer (mean
  cosine) to its own theme's texts than to any other theme's (target at least 0.9);
- ``label_contradicts``: the share of themes whose label's sentiment (VADER compound beyond
  +-0.05) is opposite to that of most (over half) of their texts (target 0);
- ``label_negated``: the share of themes whose label, where their texts write it, mostly
  follows a negation in its clause ("Improve the care" from "could not improve the care"):
  a label that says the opposite of its texts, which sentiment alone misses (target 0). It
  cannot tell what a negation governs: "don't repeat the PPE shortages" flags "PPE shortages".

    .venv/bin/python benchmarks/dev_eval.py [--sets lsbu,seed_003] [--no-baselines]
"""

from __future__ import annotations

import argparse
import re
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


_NEGATION = re.compile(
    r"\b(?:no|not|nothing|never|none|nobody|cannot|\w+n't"
    r"|cant|couldnt|dont|didnt|doesnt|isnt|wasnt|werent|wont|wouldnt|shouldnt)\b",
    re.I,
)


def negated(label: str, texts) -> bool:
    """Whether ``label``, where ``texts`` write it, mostly follows a negation in its clause."""
    pat = re.compile(r"\b" + r"[\s-]+".join(map(re.escape, label.split())) + r"\b", re.I)
    hits = neg = 0
    for t in texts:
        for m in pat.finditer(str(t).replace("\u2019", "'")):
            clause = re.split(r"[.!?;:,()\n]", str(t)[: m.start()].replace("\u2019", "'"))[-1]
            hits += 1
            neg += bool(_NEGATION.search(clause))
    return hits > 0 and neg > hits / 2


def label_quality(res, level: str) -> dict[str, float]:
    """Share of labels nearest their own theme, and share contradicting most of its texts.

    ``level``: ``topic`` (subthemes, ``topics.csv``'s ``label``) or ``theme`` (top-level
    themes, ``themes.csv``). Text means use the run's MiniLM embeddings.
    """
    from covidlearning.nlp.embed import embed_texts
    from covidlearning.themes.labels import SENTIMENT_CUT, label_fit, sentiments

    topic_of = np.asarray(res.topic_of_doc)
    if level == "topic":
        table = res.topics[res.topics["topic"] >= 0]
        keys, groups = table["topic"].tolist(), [topic_of == t for t in table["topic"]]
    else:
        table = res.themes
        theme_of = dict(zip(res.topics["topic"], res.topics["theme"], strict=True))
        of_doc = np.array([theme_of.get(int(t), -1) for t in topic_of])
        keys, groups = table["theme"].tolist(), [of_doc == h for h in table["theme"]]
    if len(keys) < 2:
        nan = float("nan")
        out = dict.fromkeys(("label_nearest", "label_contradicts", "label_negated"), nan)
        return {"n": len(keys), **out}
    labels = table["label"].astype(str).tolist()
    vecs = embed_texts(labels, progress=False)
    means = np.stack([res.embeddings[g].mean(axis=0) for g in groups])
    nearest = float((label_fit(vecs, means) > 0).mean())
    tone = sentiments(labels)
    comp = sentiments(res.docs)
    bad = 0
    for g, s in zip(groups, tone, strict=True):
        pos = float((comp[g] >= SENTIMENT_CUT).mean())
        neg = float((comp[g] <= -SENTIMENT_CUT).mean())
        bad += bool((pos > 0.5 and s <= -SENTIMENT_CUT) or (neg > 0.5 and s >= SENTIMENT_CUT))
    docs = np.asarray(res.docs, dtype=object)
    negs = sum(negated(lab, docs[g]) for lab, g in zip(labels, groups, strict=True))
    return {
        "n": len(keys),
        "label_nearest": nearest,
        "label_contradicts": bad / len(keys),
        "label_negated": negs / len(keys),
    }


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
        "--order", default="shuffled", choices=["shuffled", "file"], help="row order of each set"
    )
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
        if args.order == "shuffled":  # the same permutation for a set's texts and labels
            perm = np.random.default_rng(0).permutation(len(texts))
            texts, labels = [texts[i] for i in perm], [labels[i] for i in perm]
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
            "themes": len(res.themes),
            "theme_ami": round(
                ami(labels, res.assignments["theme"].astype("string").fillna("x")), 3
            ),
        }
        for level in ("topic", "theme"):
            q = label_quality(res, level)
            row[f"{level}_label_nearest"] = round(q["label_nearest"], 3)
            row[f"{level}_label_contradicts"] = round(q["label_contradicts"], 3)
            row[f"{level}_label_negated"] = round(q["label_negated"], 3)
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
