"""Development harness for coding: the issue's two measures, over many splits instead of one.

One split of 640 texts and 41 codes (a handful with one or two test texts) makes macro F1
swing by +-0.05, so a single figure says little. This script repeats each measure:

* **few-shot LSBU** - 3 examples per theme drawn from the units (as ``measure.py code``
  does), the rest coded; accuracy of the first theme, over ``--draws`` example draws. Each
  draw is coded three ways: in document order (row-order context on, the default), with
  ``context off``, and with the rows shuffled.
* **few-shot Trust B** - the patient comments as a few-shot task (3 comments per category
  or subcategory as examples, the rest coded, in file order), the same three ways: the
  check that the row-order context does no harm on short comments.
* **trained, single-label** - Trust B ``subcategory``, 80/20 splits (``random_state`` 42
  is the one ``measure.py`` uses, then 1..4); macro F1 of covidlearning and of the
  TF-IDF + LinearSVC baseline on the same split.
  Each trained row also names the coder the model choice took (``chosen``) and the
  seconds fine-tuning took (``tune_s``, 0 when frozen).
* **trained, multi-label** - Trust B has one code per text, so a multi-label set is
  made from it: about a third of the texts are two comments joined, carrying both
  codes. Baseline: one-vs-rest LinearSVC on TF-IDF. Macro F1 over codes.

Reads ../shared/eval (never copied into the repository); prints a table and writes
``benchmarks/results/dev-coding.csv``.

    .venv/bin/python benchmarks/dev_eval_coding.py [--parts fewshot,single,multi] [--finetune off]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
RESULTS = ROOT / "benchmarks" / "results"


def _slug(s: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in s.lower()).strip("-")


def _frame(ids, texts, codes=None) -> pd.DataFrame:
    d = {"id": list(ids), "text": list(texts), "status": "ok", "duplicate": False}
    if codes is not None:
        d["code"] = list(codes)
    return pd.DataFrame(d)


def fewshot(draws: int) -> list[dict]:
    from covidlearning.coding.codebook import parse_codebook

    rows = [json.loads(x) for x in (EVAL / "lsbu_10_leaps_gold.jsonl").read_text().splitlines()]
    fw = json.loads((EVAL / "lsbu_10_leaps_framework.json").read_text())["lsbu_10_leaps"]
    defs = {t["definition"] for t in fw if t.get("definition")}
    out = []
    for seed in range(draws):
        rng, used, themes = random.Random(seed), set(), []
        for t in fw:
            pool = [
                i for i, r in enumerate(rows) if r["theme"] == t["name"] and r["text"] not in defs
            ]
            pick = rng.sample(pool, 3)
            used |= set(pick)
            themes.append(
                {"id": _slug(t["name"]), "name": t["name"], "definition": t.get("definition", ""),
                 "examples": [rows[i]["text"].strip('"') for i in pick]}
            )  # fmt: skip
        test = [r for i, r in enumerate(rows) if i not in used and r["text"] not in defs]
        book = parse_codebook({"name": "LSBU 10 leaps", "themes": themes})
        gold = [_slug(r["theme"]) for r in test]
        out += _fewshot_orders("few-shot LSBU", book, [r["text"] for r in test], gold, seed)
    return out


def _fewshot_orders(part: str, book, texts: list[str], gold: list[str], seed: int) -> list[dict]:
    """Accuracy of the first theme: in the given order, context off, and rows shuffled."""
    from covidlearning.coding import code_texts
    from covidlearning.config import CodeConfig

    perm = np.random.default_rng(seed).permutation(len(texts))
    runs = {
        "": (np.arange(len(texts)), "auto"),
        " (context off)": (np.arange(len(texts)), "off"),
        " (rows shuffled)": (perm, "auto"),
    }
    out = []
    for suffix, (order, context) in runs.items():
        frame = _frame(range(len(texts)), [texts[i] for i in order])
        res = code_texts(frame, book, CodeConfig(context=context))
        first = res.assignments["themes"].str.split(";").str[0]
        acc = float(np.mean([f == gold[i] for f, i in zip(first, order, strict=True)]))
        ctx = res.manifest["context"]
        out.append({"part": part + suffix, "split": seed, "ours": acc, "baseline": np.nan,
                    "stickiness": ctx.get("stickiness"), "context_used": ctx["used"]})  # fmt: skip
    return out


def fewshot_trustb(draws: int) -> list[dict]:
    """Trust B as a few-shot task: 3 comments per code as examples, the rest coded."""
    from covidlearning.coding.codebook import parse_codebook

    fb = pd.read_csv(EVAL / "nhs_feedback_trust_b.csv", dtype={"id": str})
    fb["text"] = fb["text"].astype(str).str.strip()
    out = []
    for column in ("category", "subcategory"):
        for seed in range(draws):
            rng, used, themes = random.Random(seed), set(), []
            for k, (code, group) in enumerate(fb.groupby(column)):
                if len(group) >= 5:
                    pick = rng.sample(list(group.index), 3)
                    used |= set(pick)
                    themes.append({"id": f"c{k}", "name": code,
                                   "examples": [fb.at[i, "text"] for i in pick]})  # fmt: skip
            ids = {t["name"]: t["id"] for t in themes}
            test = fb[~fb.index.isin(used) & fb[column].isin(ids)]
            book = parse_codebook({"name": f"Trust B {column}", "themes": themes})
            gold = test[column].map(ids).tolist()
            out += _fewshot_orders(f"few-shot Trust B {column}", book, test["text"].tolist(),
                                   gold, seed)  # fmt: skip
    return out


def _baseline(tr_texts, tr_y, te_texts, multi: bool):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.svm import LinearSVC

    tf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(tr_texts)
    svm = LinearSVC(C=0.5, class_weight="balanced")
    model = (OneVsRestClassifier(svm) if multi else svm).fit(tf.transform(tr_texts), tr_y)
    return model.predict(tf.transform(te_texts))


def trained(multi: bool, splits: list[int], finetune: bool | str = "auto") -> list[dict]:
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MultiLabelBinarizer

    from covidlearning.coding import train_and_code
    from covidlearning.config import CodeConfig

    fb = pd.read_csv(EVAL / "nhs_feedback_trust_b.csv", dtype={"id": str})
    texts, labels = fb["text"].astype(str).tolist(), [[c] for c in fb["subcategory"]]
    if multi:  # join about a third of the texts in pairs, with both codes
        rng = np.random.default_rng(0)
        order, joined, codes, i = rng.permutation(len(texts)), [], [], 0
        while i < len(order):
            a = order[i]
            if rng.random() < 0.4 and i + 1 < len(order):
                b = order[i + 1]
                joined.append(f"{texts[a]} {texts[b]}")
                codes.append(sorted({labels[a][0], labels[b][0]}))
                i += 2
            else:
                joined.append(texts[a])
                codes.append(labels[a])
                i += 1
        texts, labels = joined, codes
    mlb = MultiLabelBinarizer().fit(labels)
    out = []
    for rs in splits:
        tr, te = train_test_split(np.arange(len(texts)), test_size=0.2, random_state=rs)
        tr_texts, te_texts = [texts[i] for i in tr], [texts[i] for i in te]
        train = _frame(tr, tr_texts, [";".join(labels[i]) for i in tr])
        config = CodeConfig(finetune=finetune)
        res = train_and_code(train, "code", _frame(te, te_texts), ";" if multi else None, config)
        pred = res.assignments["themes"].str.split(";")
        if multi:
            y_te = mlb.transform([labels[i] for i in te])
            ours = f1_score(y_te, mlb.transform(pred), average="macro", zero_division=0)
            base_pred = _baseline(tr_texts, mlb.transform([labels[i] for i in tr]), te_texts, True)
            base = f1_score(y_te, base_pred, average="macro", zero_division=0)
        else:
            y_te = [labels[i][0] for i in te]
            ours = f1_score(y_te, pred.str[0], average="macro", zero_division=0)
            base_pred = _baseline(tr_texts, [labels[i][0] for i in tr], te_texts, False)
            base = f1_score(y_te, base_pred, average="macro", zero_division=0)
        part = "trained multi-label" if multi else "trained single-label"
        training, seconds = res.manifest["training"], res.manifest["timings_s"]
        out.append({"part": part, "split": rs, "ours": float(ours), "baseline": float(base),
                    "chosen": training["model_choice"]["chosen"],
                    "tune_s": seconds["fine_tuning"]})  # fmt: skip
        print(out[-1], flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="fewshot,fewshot_trustb,single,multi")
    ap.add_argument("--draws", type=int, default=10, help="few-shot example draws")
    ap.add_argument("--splits", default="42,1,2,3,4", help="train/test split seeds")
    ap.add_argument(
        "--finetune", default="auto", choices=["auto", "on", "off"],
        help="trained parts: fine-tune the embedding model (auto: from 200 coded texts)",
    )  # fmt: skip
    args = ap.parse_args()
    if not EVAL.is_dir():
        sys.exit("../shared/eval is absent: nothing to measure")
    warnings.filterwarnings("ignore")
    parts = args.parts.split(",")
    splits = [int(s) for s in args.splits.split(",")]
    rows: list[dict] = []
    if "fewshot" in parts:
        rows += fewshot(args.draws)
    if "fewshot_trustb" in parts:
        rows += fewshot_trustb(max(1, args.draws // 5))
    tune = {"auto": "auto", "on": True, "off": False}[args.finetune]
    if "single" in parts:
        rows += trained(False, splits, tune)
    if "multi" in parts:
        rows += trained(True, splits, tune)
    table = pd.DataFrame(rows)
    table["ratio"] = table["ours"] / table["baseline"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    table.round(4).to_csv(RESULTS / "dev-coding.csv", index=False)
    print(table.round(3).to_string(index=False))
    summary = table.groupby("part")[["ours", "baseline", "ratio"]].agg(["mean", "min", "max"])
    print()
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
