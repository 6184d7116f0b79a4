"""Zero-shot, few-shot and trained coding, with hashed stand-in embeddings (fast)."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from covidlearning.cli import run as cli_run
from covidlearning.coding import fewshot, frameworks, result, trained
from covidlearning.coding.codebook import Codebook, load_codebook
from covidlearning.config import CodeConfig
from covidlearning.errors import InputError

THEMES = {
    "transport": ["parking car park bus travel", "hard to park the car", "bus route to hospital"],
    "food": ["food meals lunch canteen", "the meals were cold", "lovely lunch and hot drinks"],
    "staff": ["nurses doctors kind caring", "the nurses were kind", "doctors explained things"],
}


@pytest.fixture(autouse=True)
def no_model(hashed_coding_embeddings):
    """Code with hashed bag-of-words vectors (conftest), not MiniLM."""


def _book(examples=True):
    return Codebook(
        name="t",
        themes=[
            {"id": k, "name": k.title(), "definition": v[0], "examples": v[1:] if examples else []}
            for k, v in THEMES.items()
        ],
    )


def _frame(texts, status=None):
    return pd.DataFrame(
        {
            "id": [f"t{i}" for i in range(len(texts))],
            "text": texts,
            "status": status or ["ok"] * len(texts),
            "duplicate": False,
        }
    )


TEXTS = [
    "I could not find parking for my car",
    "The bus was late and travel was hard",
    "Meals were lovely and lunch was hot",
    "The canteen food was cold",
    "Nurses were kind and caring",
    "The doctors explained everything, kind nurses",
]


GOLD = ["transport", "transport", "food", "food", "staff", "staff"]


@pytest.mark.parametrize("examples", [True, False])
def test_code_texts_zero_and_few_shot(examples):
    cfg = CodeConfig(finetune=False)
    res = fewshot.code_texts(_frame(TEXTS + ["n/a"], ["ok"] * 6 + ["filler"]), _book(examples), cfg)
    a = res.assignments
    assert list(a.columns[:3]) == ["id", "themes", "confidence"]
    firsts = a["themes"].str.split(";").str[0].tolist()
    assert firsts[:6] == GOLD
    assert a["themes"].iat[6] == "unassigned" and a["status"].iat[6] == "filler"
    assert res.manifest["mode"] == ("few-shot" if examples else "zero-shot")
    probs = res.scores[["transport", "food", "staff"]].iloc[:6].to_numpy()
    assert np.allclose(probs.sum(1), 1, atol=1e-3)
    assert np.allclose(a["confidence"].iloc[:6], probs.max(1), atol=1e-3)
    assert res.threshold == pytest.approx(1.25 / 3)
    counts = res.theme_counts().set_index("theme")
    assert list(counts.index) == ["transport", "food", "staff", "unassigned"]
    assert counts["first"].tolist() == [2, 2, 2, 0]


def test_threshold_leaves_texts_unassigned():
    res = fewshot.code_texts(_frame(TEXTS), _book(), CodeConfig(finetune=False, threshold=0.999))
    assert (res.assignments["themes"] == "unassigned").all()
    assert res.manifest["threshold"] == 0.999


def test_gold_gives_agreement_and_rejects_unknown_codes(tmp_path):
    cfg = CodeConfig(finetune=False)
    res = fewshot.code_texts(_frame(TEXTS), _book(), cfg, gold=[g.title() for g in GOLD])
    assert res.agreement["accuracy"] == 1.0 and res.agreement["n"] == 6
    out = res.save(tmp_path / "o")
    assert {"assignments.csv", "scores.csv", "manifest.json", "agreement.json", "confusion.png",
            "confusion.svg", "theme_counts.csv"} <= {p.name for p in out.iterdir()}  # fmt: skip
    with pytest.raises(InputError, match="not in the codebook"):
        fewshot.code_texts(_frame(TEXTS), _book(), cfg, gold=["transport"] * 5 + ["weather"])


def test_same_input_same_bytes(tmp_path):
    cfg = CodeConfig(finetune=False)
    for k in (1, 2):
        fewshot.code_texts(_frame(TEXTS), _book(), cfg).save(tmp_path / f"o{k}")
    for name in ("assignments.csv", "scores.csv"):
        assert (tmp_path / "o1" / name).read_bytes() == (tmp_path / "o2" / name).read_bytes()


def _coded_sample(n_per=30, multi=False, seed=0):
    rng = np.random.default_rng(seed)
    vocab = {k: " ".join(v).split() for k, v in THEMES.items()}
    filler = "the a was and it very".split()
    rows = []
    for i in range(n_per):
        for k, words in vocab.items():
            labs = [k]
            toks = list(rng.choice(words, 4)) + list(rng.choice(filler, 3))
            if multi and i % 3 == 0:
                other = [o for o in vocab if o != k][i % 2]
                toks += list(rng.choice(vocab[other], 4))
                labs.append(other)
            rows.append((" ".join(rng.permutation(toks)), ";".join(labs)))
    return pd.DataFrame(
        {"id": [f"s{i}" for i in range(len(rows))], "text": [r[0] for r in rows],
         "status": "ok", "duplicate": False, "code": [r[1] for r in rows]}
    )  # fmt: skip


def test_train_and_code_single_label():
    train = _coded_sample()
    res = trained.train_and_code(train, "code", _frame(TEXTS), None, CodeConfig())
    assert res.assignments["themes"].tolist() == GOLD  # single-label sample: one code each
    assert res.agreement is not None and res.agreement["accuracy"] >= 0.9
    assert res.manifest["training"]["holdout"] == 18
    assert res.threshold == 0.0


def test_train_and_code_multi_label():
    train = _coded_sample(multi=True)
    res = trained.train_and_code(train, "code", _frame(TEXTS), ";", CodeConfig())
    assert res.manifest["training"]["multi_label"]
    firsts = res.assignments["themes"].str.split(";").str[0].tolist()
    assert firsts == GOLD
    assert res.agreement["multi_label"]
    fresh = _coded_sample(multi=True, seed=1)
    again = trained.train_and_code(train, "code", fresh, ";", CodeConfig())
    from covidlearning.coding.agreement import agreement

    g = agreement(fresh["code"], again.assignments["themes"])
    assert again.assignments["themes"].str.contains(";").mean() > 0.2  # second codes listed
    assert g["exact_match"] >= 0.9


@pytest.mark.parametrize("multi", [False, True])
def test_saved_coder_codes_like_the_run_that_trained_it(tmp_path, multi):
    train = _coded_sample(multi=multi)
    new = _coded_sample(multi=multi, seed=3)
    res = trained.train_and_code(train, "code", new, ";" if multi else None, CodeConfig())
    res.save(tmp_path / "run")
    model = tmp_path / "run" / "model"
    files = sorted(p.name for p in model.iterdir())
    assert files == ["coder.json", "coder.safetensors"]  # weights as safetensors, no pickle
    assert all(p.stat().st_mode & 0o044 for p in model.iterdir())  # readable by others
    for where in (model, tmp_path / "run"):  # the model/ folder or the run folder
        again = trained.code_with_model(new, where)
        pd.testing.assert_frame_equal(again.assignments, res.assignments)
        pd.testing.assert_frame_equal(again.scores, res.scores)
    assert again.manifest["mode"] == "trained (saved model)"
    assert again.manifest["training"]["multi_label"] is multi
    # a configured threshold overrides the saved one
    assert again.threshold == res.threshold == 0.0
    strict = trained.code_with_model(new, model, CodeConfig(threshold=0.999))
    a = strict.assignments
    assert strict.threshold == 0.999 and strict.manifest["threshold_rule"] == "configured"
    assert ((a["confidence"] < 0.999) == (a["themes"] == "unassigned")).all()


def test_texts_set_aside_by_the_loader_are_coded_when_the_coders_coded_them(tmp_path):
    """A stock phrase the loader calls a repeated non-answer is learnt and coded when the
    sample codes it (Trust B: 31 "Rang pt before visit: Yes", coded Communication)."""
    from covidlearning.corpus.answers import answer_key
    from covidlearning.corpus.load import load_table

    train = _coded_sample()
    form = "Rang pt before visit: Yes"
    extra = pd.DataFrame({"id": [f"f{i}" for i in range(12)], "text": form, "code": "staff"})
    path = tmp_path / "train.csv"
    pd.concat([train[["id", "text", "code"]], extra]).to_csv(path, index=False)
    loaded = load_table(path, "text", "id")
    assert set(loaded.loc[loaded["text"] == form, "status"]) == {"repeated non-answer"}
    new = _frame([form.upper(), "Nothing more", *TEXTS])
    new.loc[:1, "status"] = ["repeated non-answer", "filler"]
    res = trained.train_and_code(loaded, "code", new, None, CodeConfig())
    a = res.assignments
    assert a["themes"].iat[0] == "staff" and a["status"].iat[0] == "ok"
    assert a["themes"].iat[1] == "unassigned" and a["status"].iat[1] == "filler"  # not coded
    assert res.manifest["training"]["n_texts"] == len(train) + 12
    digests = res.manifest["training"]["set_aside_coded_sha256"]
    assert len(digests) == 1 and "rang" not in json.dumps(res.manifest).lower()
    res.save(tmp_path / "run")  # the saved coder codes the phrase too
    again = trained.code_with_model(new, tmp_path / "run")
    pd.testing.assert_frame_equal(again.assignments, a)
    # without codes for it, the phrase stays set aside
    plain = trained.train_and_code(train, "code", new, None, CodeConfig())
    assert plain.assignments["status"].iat[0] == "repeated non-answer"
    assert plain.assignments["themes"].iat[0] == "unassigned"
    # a slip (2 coded of 12) or a code outside the codebook ("No comment") revives nothing
    slip = loaded.assign(code=loaded["code"].where(loaded["text"] != form, ""))
    slip.loc[slip.index[-2:], "code"] = "staff"
    assert trained.revive_coded_non_answers(slip, "code", None)[1] == []
    lone = loaded[loaded["text"] != form].iloc[:-1]  # one coded copy only: maybe a slip
    lone = pd.concat([lone, loaded[loaded["text"] == form].iloc[:1]])
    assert trained.revive_coded_non_answers(lone, "code", None)[1] == []
    assert trained.revive_coded_non_answers(pd.concat([lone, lone.tail(1)]), "code", None)[1]
    aside = loaded.assign(code=loaded["code"].where(loaded["text"] != form, "No comment"))
    assert trained.revive_coded_non_answers(aside, "code", None)[1] == [answer_key(form)]
    assert trained.revive_coded_non_answers(aside, "code", None, _book())[1] == []
    res = trained.train_and_code(aside, "code", new, None, CodeConfig(), codebook=_book())
    assert res.assignments["status"].iat[0] == "repeated non-answer"  # and no error


def test_choose_cut_lowers_the_bar_for_cautiously_scored_codes():
    # code 0 always true and scored high; code 1 true for half the texts, scored 0.3-0.45
    rng = np.random.default_rng(0)
    y = np.zeros((40, 3), dtype=int)
    y[:, 0] = 1
    y[:20, 1] = 1
    probs = np.column_stack(
        [np.full(40, 0.9), np.r_[rng.uniform(0.3, 0.45, 20), rng.uniform(0.0, 0.1, 20)],
         rng.uniform(0.0, 0.1, 40)]
    )  # fmt: skip
    cut = trained.choose_cut(probs, y, max_themes=3)
    assert 0.1 < cut <= 0.3
    assert (trained._indicator(probs, cut, 3) == y).all()
    assert (trained._indicator(probs, 0.5, 3)[:, 1] == 0).all()  # the default cut misses them
    assert (trained._indicator(probs, 0.0, 1).sum(axis=1) == 1).all()  # max_themes caps


def test_saved_coder_bad_folders(tmp_path):
    with pytest.raises(InputError, match="no saved coder"):
        trained.code_with_model(_frame(TEXTS), tmp_path)
    res = trained.train_and_code(_coded_sample(), "code", _frame(TEXTS), None, CodeConfig())
    model = res.coder.save(tmp_path / "m", {"threshold": 0.0})
    (model / "coder.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(InputError, match="can't be read"):
        trained.code_with_model(_frame(TEXTS), model)
    res.coder.save(model, {"threshold": 0.0})
    meta = json.loads((model / "coder.json").read_text())
    (model / "coder.json").write_text(json.dumps({**meta, "format": "other/9"}))
    with pytest.raises(InputError, match="Retrain"):
        trained.code_with_model(_frame(TEXTS), model)


def test_train_errors():
    train = _coded_sample()
    with pytest.raises(InputError, match="label column 'nope' not found"):
        trained.train_and_code(train, "nope", _frame(TEXTS))
    book = Codebook(
        name="b", themes=[{"id": "transport", "name": "T"}, {"id": "food", "name": "F"}]
    )
    with pytest.raises(InputError, match="not themes of the codebook"):
        trained.train_and_code(train, "code", _frame(TEXTS), codebook=book)
    with pytest.raises(InputError, match="at least 10"):
        trained.train_and_code(train.head(3), "code", _frame(TEXTS))


def test_compare_to_framework():
    topics = pd.DataFrame(
        {"topic": [0, 1, 2], "label": ["car parking", "hot meals", "weather rain"],
         "keywords": ["parking, car", "meals, lunch", "rain, snow, weather"], "count": [5, 4, 3]}
    )  # fmt: skip
    texts = {0: ["parking car park", "car park full"], 1: ["meals lunch food", "lunch canteen"],
             2: ["rain snow weather cold", "sunny weather"]}  # fmt: skip
    table = frameworks.compare_to_framework(topics, texts, _book(), CodeConfig(min_similarity=0.2))
    themes = table[table["kind"] == "theme"].set_index("id")
    topic_rows = table[table["kind"] == "topic"].set_index("id")
    assert themes.loc["transport", "flag"] == "supported"
    assert themes.loc["transport", "best_match"] == "0"
    assert themes.loc["staff", "flag"] == "not supported"
    assert topic_rows.loc["2", "flag"] == "new theme"
    assert topic_rows.loc["1", "best_match"] == "food"
    assert {"sim:transport", "sim:food", "sim:staff", "n_texts"} <= set(table.columns)


# --------------------------------------------------------------------------- CLI
@pytest.fixture()
def files(tmp_path):
    inp = tmp_path / "in.csv"
    pd.DataFrame({"uid": [f"u{i}" for i in range(6)], "body": TEXTS, "gold": GOLD}).to_csv(
        inp, index=False
    )
    cb = tmp_path / "cb.yaml"
    cb.write_text(_book().to_yaml(), encoding="utf-8")
    train = tmp_path / "train.csv"
    _coded_sample().rename(columns={"text": "body"})[["id", "body", "code"]].to_csv(
        train, index=False
    )
    return tmp_path, inp, cb, train


def test_cli_codebook_and_gold(files):
    tmp, inp, cb, _ = files
    args = ["code", str(inp), "--text-column", "body", "--id-column", "uid", "--codebook", str(cb),
            "--gold-column", "gold", "--out", str(tmp / "o")]  # fmt: skip
    assert cli_run(args) == 0
    a = pd.read_csv(tmp / "o" / "assignments.csv")
    assert a["id"].tolist() == [f"u{i}" for i in range(6)]
    assert a["themes"].str.split(";").str[0].tolist() == GOLD
    m = json.loads((tmp / "o" / "manifest.json").read_text())
    assert len(m["inputs"]["input"]["sha256"]) == 64 and m["threshold"] > 0
    assert json.loads((tmp / "o" / "agreement.json").read_text())["accuracy"] == 1.0
    assert load_codebook(tmp / "o" / "codebook.yaml") == _book()
    # the same run through the explicit subcommand name
    again = ["code", "run", *args[1:-2], "--out", str(tmp / "o2")]
    assert cli_run(again) == 0
    assert (tmp / "o2" / "assignments.csv").read_bytes() == (
        tmp / "o" / "assignments.csv"
    ).read_bytes()


def test_cli_code_takes_the_codebook_and_settings_from_config(files):
    tmp, inp, cb, _ = files
    cfg = tmp / "run.yaml"
    cfg.write_text(f"name: t\ncode:\n  codebook: {cb}\n  max_themes: 1\n  threshold: 0.2\n")
    base = ["code", str(inp), "--text-column", "body", "--id-column", "uid"]
    assert cli_run([*base, "--config", str(cfg), "--out", str(tmp / "c")]) == 0
    m = json.loads((tmp / "c" / "manifest.json").read_text())
    assert m["threshold"] == 0.2 and m["parameters"]["max_themes"] == 1
    assert load_codebook(tmp / "c" / "codebook.yaml") == _book()
    # a flag overrides its field, the rest still comes from the file
    args = [*base, "--config", str(cfg), "--threshold", "0.3", "--out", str(tmp / "d")]
    assert cli_run(args) == 0
    m = json.loads((tmp / "d" / "manifest.json").read_text())
    assert m["threshold"] == 0.3 and m["parameters"]["max_themes"] == 1


def test_cli_trained_then_audit_loop(files):
    tmp, inp, _, train = files
    args = ["code", str(inp), "--text-column", "body", "--id-column", "uid", "--train", str(train),
            "--label-column", "code", "--out", str(tmp / "t")]  # fmt: skip
    assert cli_run(args) == 0
    reuse = ["code", str(inp), "--text-column", "body", "--id-column", "uid",
             "--model", str(tmp / "t" / "model"), "--out", str(tmp / "r")]  # fmt: skip
    assert cli_run(reuse) == 0
    assert (tmp / "r" / "assignments.csv").read_bytes() == (
        tmp / "t" / "assignments.csv"
    ).read_bytes()
    m = json.loads((tmp / "r" / "manifest.json").read_text())
    assert len(m["inputs"]["model"]["sha256"]) == 64
    # human codes for the new texts may include one the coder never saw: a disagreement
    pd.DataFrame({"uid": ["u0", "u2", "u4"], "code": ["weather", "food", "staff"]}).to_csv(
        tmp / "g.csv", index=False
    )
    graded = [*reuse[:-2], "--gold", str(tmp / "g.csv"), "--gold-column", "code",
              "--out", str(tmp / "g")]  # fmt: skip
    assert cli_run(graded) == 0
    ag = json.loads((tmp / "g" / "agreement.json").read_text())
    assert ag["n"] == 3 and ag["accuracy"] == pytest.approx(2 / 3)
    assert ag["codes_not_in_training"] == ["weather"]
    assert (tmp / "t" / "agreement.json").exists() and (tmp / "t" / "confusion.svg").exists()
    sample = ["code", "sample", str(tmp / "t"), "--input", str(inp), "--text-column", "body",
              "--id-column", "uid", "--per-theme", "1", "--out", str(tmp / "s")]  # fmt: skip
    assert cli_run(sample) == 0
    sheet = pd.read_csv(tmp / "s" / "coding_sheet.csv")
    assert len(sheet) == 3
    sheet["human_themes"] = sheet["id"].map(
        dict(zip([f"u{i}" for i in range(6)], GOLD, strict=False))
    )
    sheet.to_excel(tmp / "filled.xlsx", index=False)
    assert cli_run(["code", "agree", str(tmp / "filled.xlsx"), "--machine", str(tmp / "t"),
                    "--out", str(tmp / "ag")]) == 0  # fmt: skip
    assert json.loads((tmp / "ag" / "agreement.json").read_text())["accuracy"] == 1.0


@pytest.mark.parametrize(
    "case",
    ["missing file", "empty codebook", "duplicate ids", "missing column", "unknown label",
     "no mode", "train without label column", "model and codebook", "no saved model",
     "finetune with model", "finetune without examples"],
)  # fmt: skip
def test_cli_bad_input_exit_2(files, case, capsys):
    tmp, inp, cb, train = files
    base = ["code", str(inp), "--text-column", "body", "--out", str(tmp / "o")]
    if case == "missing file":
        args = ["code", str(tmp / "nope.csv"), "--text-column", "body", "--codebook", str(cb),
                "--out", str(tmp / "o")]  # fmt: skip
    elif case == "empty codebook":
        (tmp / "e.yaml").write_text("name: x\nthemes: []\n")
        args = [*base, "--codebook", str(tmp / "e.yaml")]
    elif case == "duplicate ids":
        (tmp / "d.yaml").write_text("name: x\nthemes:\n- {id: a, name: A}\n- {id: a, name: B}\n")
        args = [*base, "--codebook", str(tmp / "d.yaml")]
    elif case == "missing column":
        args = ["code", str(inp), "--text-column", "nope", "--codebook", str(cb),
                "--out", str(tmp / "o")]  # fmt: skip
    elif case == "unknown label":
        args = [*base, "--codebook", str(cb), "--gold-column", "body"]
    elif case == "no mode":
        args = base
    elif case == "model and codebook":
        args = [*base, "--model", str(tmp), "--codebook", str(cb)]
    elif case == "no saved model":
        args = [*base, "--model", str(tmp)]
    elif case == "finetune with model":
        args = [*base, "--model", str(tmp), "--no-finetune"]
    elif case == "finetune without examples":
        (tmp / "n.yaml").write_text("name: x\nthemes:\n- {id: a, name: A}\n- {id: b, name: B}\n")
        args = [*base, "--codebook", str(tmp / "n.yaml"), "--finetune"]
    else:
        args = [*base, "--train", str(train)]
    assert cli_run(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and len(err.splitlines()) == 1
    assert not (tmp / "o").exists()


def test_cli_help_lists_both_forms(capsys):
    assert cli_run(["code", "--help"]) == 0
    out = capsys.readouterr().out
    assert "code INPUT" in out and "sample" in out and "agree" in out


def test_one_theme_codebook_is_refused_for_zero_and_few_shot():
    one = Codebook(name="t", themes=[{"id": "staff", "name": "Staff", "examples": ["kind"]}])
    with pytest.raises(InputError, match="needs at least 2"):
        fewshot.code_texts(_frame(TEXTS), one, CodeConfig())
    with pytest.raises(InputError, match="needs at least 2"):
        fewshot.fewshot_scores(TEXTS, one, CodeConfig())


def test_trained_mode_needs_two_codes():
    train = _coded_sample().assign(code="food")
    with pytest.raises(InputError, match="1 distinct codes.*2 codes"):
        trained.train_and_code(train, "code", _frame(TEXTS))


def test_labels_with_the_output_separator_are_refused():
    with pytest.raises(InputError, match=r"contain ';', e\.g\. 'a; b'.*--label-sep ';'"):
        result.check_labels(["a", "b", "a; b"], None, "codes")
    with pytest.raises(InputError, match="Rename"):
        result.check_labels(["a|b", "c;d"], "|", "codes")
    result.check_labels(["a", "b", "a; b"], ";", "codes")  # split: fine
    train = _coded_sample(multi=True)
    with pytest.raises(InputError, match="--label-sep"):
        trained.train_and_code(train, "code", _frame(TEXTS), None, CodeConfig())


@pytest.mark.parametrize(
    ("values", "warns"),
    [
        (["a", "b"] * 10 + ["a | b"], True),  # splits into codes seen alone
        (["a", "b"] * 10 + ["a, b"], True),
        (["x|y"] * 2 + ["a", "b"] * 19, True),  # '|' in 5% of cells
        (["x|y"] + ["a", "b"] * 20, False),  # one odd cell of 41
        (["Morale, workplace"] * 10 + ["a", "b"] * 10, False),  # commas in names are normal
    ],
)
def test_labels_that_look_multi_label_warn_once(values, warns):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result.check_labels(values, None, "codes")
    found = [w for w in caught if issubclass(w.category, result.LabelWarning)]
    assert len(found) == (1 if warns else 0)
    if warns:
        assert "--label-sep" in str(found[0].message)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result.check_labels(values, "|", "codes")  # a separator given: no guessing
    assert not [w for w in caught if issubclass(w.category, result.LabelWarning)]


def test_code_texts_takes_a_codebook_path(tmp_path):
    import yaml

    book = _book()
    path = tmp_path / "book.yaml"
    path.write_text(yaml.safe_dump(book.model_dump(mode="json", exclude_none=True)))
    cfg = CodeConfig(finetune=False)
    by_path = fewshot.code_texts(_frame(TEXTS), path, cfg).assignments
    by_object = fewshot.code_texts(_frame(TEXTS), book, cfg).assignments
    pd.testing.assert_frame_equal(by_path, by_object)
    with pytest.raises(InputError, match="not found"):
        fewshot.code_texts(_frame(TEXTS), tmp_path / "missing.yaml", cfg)


def _document(runs: int = 2) -> pd.DataFrame:
    """A report's units: each theme in runs of four, one unit saying nothing itself.

    Fewer than 30 texts, so the scores are not centred and that unit's are even.
    """
    texts, docs = [], []
    for r in range(runs):
        for k in range(3):
            a, b = TEXTS[2 * k], TEXTS[2 * k + 1]
            texts += [a, "It went as we had hoped.", b, a]
            docs += [f"doc{r}"] * 4
    frame = _frame(texts)
    frame["doc_id"] = docs
    return frame


def test_row_order_context_codes_a_unit_by_its_neighbours():
    frame = _document()
    middles = frame.index[frame["text"].str.startswith("It went")]
    expected = ["transport", "food", "staff"] * 2
    off = fewshot.code_texts(frame, _book(), CodeConfig(context="off"))
    alone = off.scores.loc[middles, ["transport", "food", "staff"]].to_numpy()
    assert np.allclose(alone, 1 / 3, atol=0.05)  # on its own the unit says nothing
    res = fewshot.code_texts(frame, _book(), CodeConfig())
    ctx = res.manifest["context"]
    assert ctx["used"] is True and ctx["stickiness"] >= 0.2
    firsts = res.assignments["themes"].str.split(";").str[0]
    assert firsts.loc[middles].tolist() == expected
    assert firsts.drop(middles).tolist() == [t for t in expected for _ in range(3)]
    assert off.manifest["context"]["used"] is False and off.manifest["context"]["reason"] == "off"
    alone = off.assignments["themes"].loc[middles]
    assert alone.nunique() == 1  # the same words, the same codes, whatever surrounds them
    assert alone.iat[0] == "unassigned"  # even scores: below the auto threshold
    assert ctx["moved"] > 0


def test_row_order_context_leaves_shuffled_rows_alone():
    frame = _document(runs=3)
    shuffled = frame.sample(frac=1, random_state=3).reset_index(drop=True)
    shuffled["doc_id"] = "one"
    res = fewshot.code_texts(shuffled, _book(), CodeConfig())
    off = fewshot.code_texts(shuffled, _book(), CodeConfig(context="off"))
    assert res.manifest["context"]["used"] is False
    pd.testing.assert_frame_equal(res.assignments, off.assignments)


def test_two_theme_codebook_keeps_close_calls_close():
    """With two themes, confidences are not all one value (a per-row z-score would be +-1)."""
    themes = [
        {"id": k, "name": k.title(), "definition": v[0], "examples": v[1:]}
        for k, v in list(THEMES.items())[:2]
    ]
    two = Codebook(name="t", themes=themes)
    texts = ["parking", "the bus", "hard to park the car and the meals were cold", "food",
             "lunch", "cold lunch and no parking"]  # fmt: skip
    res = fewshot.code_texts(_frame(texts), two, CodeConfig(context="off"))
    conf = res.assignments["confidence"]
    assert conf.nunique() >= 4 and conf.min() < 0.9


def test_few_shot_tunes_only_when_asked_and_with_examples():
    """SetFit tunes on a codebook with examples when asked; auto and definitions alone never."""
    assert not fewshot.tunes(CodeConfig(), _book())  # auto: untuned (no gain measured)
    assert not fewshot.tunes(CodeConfig(finetune=False), _book())
    assert fewshot.tunes(CodeConfig(finetune=True), _book())
    assert not fewshot.tunes(CodeConfig(finetune=True), _book(examples=False))


def test_zero_shot_is_coded_beside_few_shot():
    res = fewshot.code_texts(_frame(TEXTS), _book(), CodeConfig(context="off"))
    zero = res.extra["zero_shot"]
    assert zero["id"].tolist() == res.assignments["id"].tolist()
    assert res.manifest["zero_shot"]["table"] == "zero_shot.csv"
    assert 0 <= res.manifest["zero_shot"]["same_first_theme"] <= 1
    alone = fewshot.code_texts(_frame(TEXTS), _book(examples=False), CodeConfig(context="off"))
    assert "zero_shot" not in alone.extra and "zero_shot" not in alone.manifest
    # zero-shot beside few-shot is the zero-shot run itself
    pd.testing.assert_frame_equal(zero, alone.assignments)


def test_checked_texts_join_the_codebook_examples():
    book, n = fewshot.with_checked_examples(
        _book(), ["the train was late", "lovely lunch", "no idea", "??"],
        ["transport", "Food;staff", "unassigned", ""],
    )  # fmt: skip
    assert n == 2
    assert book.theme("transport").examples[-1] == "the train was late"
    assert book.theme("food").examples[-1] == "lovely lunch"
    assert "lovely lunch" not in book.theme("staff").examples
    with pytest.raises(InputError, match="not themes of the codebook"):
        fewshot.with_checked_examples(_book(), ["x"], ["parking"])


def test_each_common_code_gets_its_own_cut():
    """Multi-label: a cut per code, chosen for that code's F1; rare codes keep the shared one."""
    rng = np.random.default_rng(0)
    n = 200
    y = np.zeros((n, 3), dtype=int)
    y[:, 0] = 1  # every text's first code
    y[:, 1] = rng.random(n) < 0.4
    y[:5, 2] = 1  # too rare for a cut of its own
    p = np.zeros((n, 3))
    p[:, 0] = 0.95
    p[:, 1] = np.where(y[:, 1] == 1, rng.uniform(0.25, 0.35, n), rng.uniform(0.0, 0.2, n))
    p[:, 2] = np.where(y[:, 2] == 1, 0.3, 0.1)
    cuts = trained.choose_code_cuts(p, y, max_themes=3, base=0.5)
    assert 0.2 < cuts[1] <= 0.25  # code 1's positives sit at 0.25-0.35: cut just below
    assert cuts[2] == 0.5  # 5 texts: the shared cut
    pred = trained._indicator(p, cuts, 3)
    assert (pred[:, 1] == y[:, 1]).all()


def test_multi_label_coder_saves_its_code_cuts(tmp_path):
    train = _coded_sample(multi=True)
    res = trained.train_and_code(train, "code", _frame(TEXTS), ";", CodeConfig())
    cuts = res.manifest["training"]["code_cuts"]
    assert set(cuts) == set(res.manifest["training"]["labels"])
    res.save(tmp_path / "run")
    coder, _ = trained.load_coder(tmp_path / "run")
    assert coder.code_cuts.tolist() == pytest.approx([cuts[k] for k in coder.labels])


def test_trained_coder_is_chosen_by_cross_validation_inside_the_sample(tmp_path):
    train = _coded_sample(n_per=50)
    res = trained.train_and_code(train, "code", _frame(TEXTS), None, CodeConfig())
    training = res.manifest["training"]
    choice = training["model_choice"]
    # the folds cover the sample minus its hold-out, so the hold-out's agreement stays fair
    assert choice["folds"] == trained.CV_FOLDS and training["holdout"] > 0
    assert choice["texts"] == training["n_texts"] - training["holdout"]
    scores = choice["cv_macro_f1"]
    assert set(scores) == set(trained.CANDIDATES)
    # the best, unless it beats the default blend by no more than its standard error
    best = max(scores, key=scores.get)
    se = choice["standard_error_of_gain"]
    if choice["chosen"] != best:
        assert choice["chosen"] == "blend" and scores[best] - scores["blend"] <= se + 1e-4
    else:
        assert best == "blend" or scores[best] - scores["blend"] > se - 1e-4
    chosen = trained.CANDIDATES[choice["chosen"]]
    assert tuple(choice["weights"].values()) == chosen
    res.save(tmp_path / "run")
    coder, meta = trained.load_coder(tmp_path / "run")
    assert coder.blend == chosen and meta["training"]["model_choice"] == choice
    # too few texts to cross-validate: the default blend
    small = trained.train_and_code(_coded_sample(), "code", _frame(TEXTS), None, CodeConfig())
    few = small.manifest["training"]["model_choice"]
    assert few["chosen"] == "blend" and few["folds"] == 0 and few["cv_macro_f1"] == {}


def test_choose_model_passes_over_a_model_whose_features_carry_no_signal():
    sample = trained._coded_sample(_coded_sample(n_per=40), "code", None, None)
    noise = np.random.default_rng(0).normal(size=(len(sample.texts), 16))  # words decide
    choice = trained.choose_model(sample, noise, np.arange(len(sample.texts)), CodeConfig())
    assert choice.scores["svm-embeddings"] < 0.6 < choice.scores["svm-tfidf-embeddings"]
    assert choice.name != "svm-embeddings" and choice.texts == 120
    assert choice.oof.shape == (120, 3) and choice.index.tolist() == list(range(120))
    # chosen on the base model's embeddings for a tuned coder: its out-of-fold scores are
    # not the coder's, so no cuts come from them
    tuned = trained.choose_model(sample, noise, np.arange(120), CodeConfig(), tuned=True)
    assert tuned.oof is None and "base model's embeddings" in tuned.rule
    assert tuned.scores == choice.scores
    # copies of a text stay in one fold
    texts = ["same text"] * 7 + [f"text {i}" for i in range(50)]
    folds = trained._cv_folds(texts, 5, 42)
    assert sorted(np.concatenate(folds).tolist()) == list(range(57))
    assert sum(np.isin(np.arange(7), f).any() for f in folds) == 1


def test_multi_label_cuts_are_chosen_on_the_cross_validation_folds():
    train = _coded_sample(n_per=50, multi=True)
    res = trained.train_and_code(train, "code", _frame(TEXTS), ";", CodeConfig())
    training = res.manifest["training"]
    n_cv = training["model_choice"]["texts"]
    assert n_cv == training["n_texts"] - training["holdout"]
    assert f"on the {n_cv} texts of the cross-validation's held-out folds" in training["cut_rule"]
    assert set(training["code_cuts"]) == set(training["labels"])
    # the hold-out is coded at cuts chosen without it, and its codes agree
    assert "coded at the cuts chosen on the" in res.agreement["source"]
    assert res.agreement["samples_f1"] >= 0.85


def test_a_redacted_run_leaves_no_identifier_in_the_coders_vocabulary():
    """Terms holding a string redaction removed elsewhere, or a name, are dropped."""
    from covidlearning.coding.trained import LinearCoder, _terms

    texts = ["rose was so kind on the ward", "the rose garden was lovely", "nurse rose helped"]
    texts += ["long wait for a bed", "the wait in a and e", "waited six hours for a bed"] * 2
    y = np.array(["staff"] * 3 + ["waiting"] * 6)
    emb = np.eye(len(texts), 4)
    kept = LinearCoder.fit(texts, emb, y, labels=["staff", "waiting"], multi_label=False)
    assert any("rose" in t for t in _terms(kept.word_tfidf))  # the test can fail
    pruned = LinearCoder.fit(texts, emb, y, labels=["staff", "waiting"], multi_label=False,
                             exclude=["Rose"])  # fmt: skip
    for vec in (pruned.word_tfidf, pruned.char_tfidf):
        terms = _terms(vec)
        assert not any(re.search(r"\brose\b", t) for t in terms)
        assert len(vec.idf_) == len(terms) == len(vec.vocabulary_)
    assert "wait" in _terms(pruned.word_tfidf)
    # the pruned coder still codes, with features that line up with its weights
    assert pruned.probabilities(["a long wait for a bed"], emb[:1]).shape == (1, 2)


def test_the_vocabulary_screen_scans_each_term_once_per_training_run(monkeypatch):
    """One screen serves the folds, the hold-out fit and the final fit: same terms kept."""
    from covidlearning.coding.trained import LinearCoder, TermScreen, _terms
    from covidlearning.privacy import redact

    calls: list[str] = []
    real = redact.scan_text

    def counting(text, *args, **kwargs):
        calls.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(redact, "scan_text", counting)
    train = _coded_sample(n_per=50)
    train.loc[::7, "text"] += " nurse rose"
    res = trained.train_and_code(train, "code", _frame(TEXTS), None, CodeConfig(),
                                 exclude=["Rose"])  # fmt: skip
    assert res.manifest["training"]["model_choice"]["folds"] == 5  # 7 fits shared the screen
    assert len(calls) == len(set(calls)) > 0  # no term scanned twice
    kept = _terms(res.coder.word_tfidf) + _terms(res.coder.char_tfidf)
    assert not any(re.search(r"\brose\b", t) for t in kept)
    # a fit with a screen of its own (every term scanned) keeps the same vocabulary
    texts, emb = train["text"].tolist(), np.eye(len(train), 4)
    y, labels = train["code"].to_numpy(), sorted(set(train["code"]))
    fresh = LinearCoder.fit(texts, emb, y, labels=labels, multi_label=False, exclude=["Rose"])
    screen = TermScreen(["Rose"])
    LinearCoder.fit(texts[::2], emb[::2], y[::2], labels=labels, multi_label=False,
                    exclude=screen)  # fmt: skip
    before = screen.scanned
    shared = LinearCoder.fit(texts, emb, y, labels=labels, multi_label=False, exclude=screen)
    assert 0 < before < screen.scanned  # the second fit scanned only terms new to it
    for a, b in ((fresh.word_tfidf, shared.word_tfidf), (fresh.char_tfidf, shared.char_tfidf)):
        assert _terms(a) == _terms(b)
        assert np.array_equal(a.idf_, b.idf_)


@pytest.mark.parametrize("multi", [False, True])
def test_bootstrap_macro_f1_is_scikit_learns_on_each_resample(multi):
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(1)
    y = (rng.random((60, 5)) < 0.3).astype(int)
    pred = (rng.random((60, 5)) < 0.3).astype(int)
    if not multi:  # one code per text, code 4 never used by either side
        y = np.eye(5, dtype=int)[rng.integers(0, 4, 60)]
        pred = np.eye(5, dtype=int)[rng.integers(0, 4, 60)]
    draws = rng.integers(0, 60, size=(3, 60))
    weights = np.stack([np.bincount(d, minlength=60) for d in draws]).astype(float)
    got = trained._bootstrap_macro_f1(y, pred, weights, multi)
    for k, d in enumerate(draws):
        if multi:
            want = f1_score(y[d], pred[d], average="macro", zero_division=0)
        else:
            want = f1_score(y[d].argmax(1), pred[d].argmax(1), average="macro", zero_division=0)
        assert got[k] == pytest.approx(want)


def test_a_candidate_replaces_the_blend_only_beyond_the_noise_of_its_gain():
    rng = np.random.default_rng(0)
    y = np.eye(4, dtype=int)[rng.integers(0, 4, 400)]
    blend = y.copy()
    blend[:120] = np.eye(4, dtype=int)[rng.integers(0, 4, 120)]  # about 90 wrong
    close, far = blend.copy(), blend.copy()
    wrong = np.flatnonzero((blend != y).any(1))
    close[wrong[:20]] = y[wrong[:20]]  # 20 errors mended, 17 made: a gain within the noise
    close[200:217] = np.roll(y[200:217], 1, axis=1)
    far[wrong[:60]] = y[wrong[:60]]  # most errors mended, a few made
    far[200:210] = np.roll(y[200:210], 1, axis=1)
    for other, beats in ((close, False), (far, True)):
        preds = {"blend": blend, "other": other}
        se = trained._standard_error_of_gain(y, preds, "other", False, 42)
        gain = f1(y, other) - f1(y, blend)
        assert gain > 0 and (gain > se) is beats
        assert se == trained._standard_error_of_gain(y, preds, "other", False, 42)  # seeded


def f1(y, pred):
    from sklearn.metrics import f1_score

    return f1_score(y.argmax(1), pred.argmax(1), average="macro", zero_division=0)
