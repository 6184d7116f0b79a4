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


def _lsbu_split(shared_eval: Path, seed: int) -> tuple[Codebook, list[dict], dict[str, str]]:
    """A codebook of 3 random LSBU units per theme (``random.Random(seed)``) with each
    theme's definition, the other units (definitions left out) and each theme's name by id.
    """
    import random

    rows = [
        json.loads(x) for x in (shared_eval / "lsbu_10_leaps_gold.jsonl").read_text().splitlines()
    ]
    fw = json.loads((shared_eval / "lsbu_10_leaps_framework.json").read_text())["lsbu_10_leaps"]
    defs = {t["definition"] for t in fw}
    rng, used, themes = random.Random(seed), set(), []
    for k, t in enumerate(fw):
        pool = [i for i, r in enumerate(rows) if r["theme"] == t["name"] and r["text"] not in defs]
        pick = rng.sample(pool, 3)
        used |= set(pick)
        themes.append({"id": f"t{k}", "name": t["name"], "definition": t["definition"],
                       "examples": [rows[i]["text"] for i in pick]})  # fmt: skip
    test = [r for i, r in enumerate(rows) if i not in used and r["text"] not in defs]
    return Codebook(name="lsbu", themes=themes), test, {t["id"]: t["name"] for t in themes}


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
        res = fewshot.code_texts(_frame(texts), book, CodeConfig(finetune=tune))
        firsts = res.assignments["themes"].str.split(";").str[0].tolist()
        assert firsts == ["21st-century-tools", "community-collaboration", "engaged-leaders"]
        assert res.manifest["method"]["finetuned"] is tune


@pytest.mark.slow
def test_few_shot_beats_nearest_prototype_on_lsbu(monkeypatch, shared_eval):
    """Codebook of 3 random units per theme, code the rest: well above the 0.31 baseline.

    In document order the row-order context reaches the issue's 0.60; shuffled, it is
    switched off by the data and the units are coded as on their own.
    """
    monkeypatch.undo()
    book, test, names = _lsbu_split(shared_eval, 5)

    def accuracy(rows: list[dict], context: str) -> tuple[float, dict]:
        frame = _frame([r["text"] for r in rows])
        config = CodeConfig(context=context, finetune=False)  # the context, not the tuning
        res = fewshot.code_texts(frame, book, config)
        firsts = res.assignments["themes"].str.split(";").str[0].map(names)
        hits = [f == r["theme"] for f, r in zip(firsts, rows, strict=True)]
        return float(np.mean(hits)), res.manifest["context"]

    alone, off = accuracy(test, "off")
    assert alone >= 0.45 and off["used"] is False
    # a table's rows are coded each on its own unless asked
    auto, ctx = accuracy(test, "auto")
    assert ctx["used"] is False and auto == alone
    # in document order, neighbouring units share themes: the context lifts accuracy
    in_order, ctx = accuracy(test, "on")
    assert ctx["used"] is True and ctx["stickiness"] > 0.3
    assert in_order >= 0.60 and in_order > alone + 0.05
    # the same units shuffled carry no order: coded as on their own
    shuffled = [test[i] for i in np.random.default_rng(0).permutation(len(test))]
    mixed, ctx = accuracy(shuffled, "on")
    assert ctx["used"] is False and mixed == pytest.approx(alone, abs=0.03)


@pytest.mark.slow
def test_setfit_few_shot_learns_the_examples_and_reruns_byte_identical(
    monkeypatch, shared_eval, tmp_path
):
    """SetFit tuning on 3 examples per theme codes shuffled LSBU units well above chance,
    and the same codebook, texts and seed give byte-identical codes and tuned weights."""
    import random

    monkeypatch.undo()
    book, test, names = _lsbu_split(shared_eval, 11)
    random.Random(7).shuffle(test)
    frame = _frame([r["text"] for r in test])
    ids = {name: k for k, name in names.items()}
    gold = [ids[r["theme"]] for r in test]

    def run(out: Path, **options):
        res = fewshot.code_texts(frame, book, CodeConfig(**options), gold=gold)
        res.save(out)
        firsts = res.assignments["themes"].str.split(";").str[0].map(names)
        return res, float(np.mean([f == r["theme"] for f, r in zip(firsts, test, strict=True)]))

    tuned, acc = run(tmp_path / "a", finetune=True)
    frozen, acc_frozen = run(tmp_path / "f")  # auto: few-shot stays untuned
    tuning = tuned.manifest["method"]["tuning"]
    assert tuned.manifest["method"]["finetuned"] and tuning["library"] == "setfit"
    assert tuning["pairs"] > 0 and tuning["texts"] >= 33 and tuning["seconds"] > 0
    # on LSBU (seed 0, measure.py) tuning gave 0.512 against 0.524 frozen: no gain to assert,
    # but the codes must stay well above chance (1/11) and the scores must have moved
    assert acc >= 0.4 and acc_frozen >= 0.4, (acc, acc_frozen)
    assert not np.allclose(tuned.scores.iloc[:, 2:], frozen.scores.iloc[:, 2:], atol=1e-3)
    # zero-shot (definitions only) is measured beside it
    zero = tuned.agreement["zero_shot"]
    assert zero["n"] == len(test) and zero["accuracy"] < acc
    assert (tmp_path / "a" / "zero_shot.csv").is_file()
    # the tuned state is saved as safetensors, and a rerun is byte-identical
    files = tuned.manifest["model_files"]
    assert set(files) == {"fewshot-encoder.safetensors", "fewshot-head.safetensors", "fewshot.json"}
    again, _ = run(tmp_path / "b", finetune=True)
    for name in ("assignments.csv", "scores.csv", "zero_shot.csv", "model/fewshot-head.safetensors",
                 "model/fewshot-encoder.safetensors"):  # fmt: skip
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
