"""Coding with the real MiniLM model: few-shot on the LSBU units (marked ``slow``)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from covidlearning.coding import fewshot
from covidlearning.coding.codebook import Codebook, load_codebook
from covidlearning.config import CodeConfig

ROOT = Path(__file__).resolve().parents[2]


def _frame(texts, status=None):
    return pd.DataFrame(
        {
            "id": [f"t{i}" for i in range(len(texts))],
            "text": texts,
            "status": status or ["ok"] * len(texts),
            "duplicate": False,
        }
    )


# --------------------------------------------------------------------------- real model
@pytest.mark.slow
def test_few_shot_with_the_real_model(monkeypatch):
    monkeypatch.undo()  # use MiniLM
    book = load_codebook(ROOT / "configs" / "codebooks" / "lsbu-10-leaps.yaml")
    texts = [
        "We moved to virtual clinics, video calls and online triage software.",
        "The volunteers from the local community sewed scrubs for the hospital.",
        "Our leaders came to the wards and listened to frontline staff.",
    ]
    for tune in (False, True):
        res = fewshot.code_texts(_frame(texts), book, CodeConfig(finetune=tune, epochs=2))
        firsts = res.assignments["themes"].str.split(";").str[0].tolist()
        assert firsts == ["21st-century-tools", "community-collaboration", "engaged-leaders"]
        assert res.manifest["method"]["finetuned"] is tune


@pytest.mark.slow
def test_few_shot_beats_nearest_prototype_on_lsbu(monkeypatch, shared_eval):
    """Codebook of 3 random units per theme, code the rest: well above the 0.31 baseline.

    In document order the row-order context reaches the issue's 0.60; shuffled, it is
    switched off by the data and the units are coded as on their own.
    """
    import random

    monkeypatch.undo()
    rows = [
        json.loads(x) for x in (shared_eval / "lsbu_10_leaps_gold.jsonl").read_text().splitlines()
    ]
    fw = json.loads((shared_eval / "lsbu_10_leaps_framework.json").read_text())["lsbu_10_leaps"]
    defs = {t["definition"] for t in fw}
    rng, used, themes = random.Random(5), set(), []
    for k, t in enumerate(fw):
        pool = [i for i, r in enumerate(rows) if r["theme"] == t["name"] and r["text"] not in defs]
        pick = rng.sample(pool, 3)
        used |= set(pick)
        themes.append({"id": f"t{k}", "name": t["name"], "definition": t["definition"],
                       "examples": [rows[i]["text"] for i in pick]})  # fmt: skip
    book = Codebook(name="lsbu", themes=themes)
    test = [r for i, r in enumerate(rows) if i not in used and r["text"] not in defs]
    names = {t["id"]: t["name"] for t in themes}

    def accuracy(rows: list[dict], context: str) -> tuple[float, dict]:
        frame = _frame([r["text"] for r in rows])
        res = fewshot.code_texts(frame, book, CodeConfig(context=context))
        firsts = res.assignments["themes"].str.split(";").str[0].map(names)
        hits = [f == r["theme"] for f, r in zip(firsts, rows, strict=True)]
        return float(np.mean(hits)), res.manifest["context"]

    alone, off = accuracy(test, "off")
    assert alone >= 0.45 and off["used"] is False
    # in document order, neighbouring units share themes: the context lifts accuracy
    in_order, ctx = accuracy(test, "auto")
    assert ctx["used"] is True and ctx["stickiness"] > 0.3
    assert in_order >= 0.60 and in_order > alone + 0.05
    # the same units shuffled carry no order: coded as on their own
    shuffled = [test[i] for i in np.random.default_rng(0).permutation(len(test))]
    mixed, ctx = accuracy(shuffled, "auto")
    assert ctx["used"] is False and mixed == pytest.approx(alone, abs=0.03)
