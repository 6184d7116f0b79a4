"""Agreement between coders: kappa, alpha, F1 with intervals, and the audit sheet round trip."""

import json

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, f1_score

from covidlearning.coding.agreement import (
    agreement,
    as_theme_lists,
    confusion_table,
    export_sheet,
    import_sheet,
    plot_confusion,
)
from covidlearning.errors import InputError


def test_perfect_agreement():
    h = ["a", "b", "c", "a", "b"]
    r = agreement(h, h, n_boot=200)
    assert r["accuracy"] == 1.0 and r["exact_match"] == 1.0
    assert r["macro_f1"] == 1.0 and r["macro_f1_ci95"] == [1.0, 1.0]
    assert r["cohen_kappa"] == pytest.approx(1.0)
    assert r["krippendorff_alpha"] == pytest.approx(1.0)
    assert r["needs_review"] == []


def test_single_label_matches_sklearn():
    h = ["a", "a", "b", "b", "c", "c", "a", "b"]
    m = ["a", "b", "b", "b", "c", "a", "a", "c"]
    r = agreement(h, m, n_boot=300, seed=1)
    assert r["accuracy"] == pytest.approx(np.mean([x == y for x, y in zip(h, m, strict=False)]))
    assert r["macro_f1"] == pytest.approx(f1_score(h, m, average="macro"))
    assert r["cohen_kappa"] == pytest.approx(cohen_kappa_score(h, m))
    lo, hi = r["macro_f1_ci95"]
    assert lo <= r["macro_f1"] <= hi
    assert r["alpha_distance"] == "nominal" and not r["multi_label"]


def test_hand_computed_kappa_and_f1():
    r = agreement(["a", "a", "b", "b"], ["a", "b", "b", "b"], n_boot=50)
    assert r["accuracy"] == 0.75
    assert r["cohen_kappa"] == pytest.approx(0.5)  # po .75, pe .5
    assert r["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)


def test_bootstrap_is_seeded():
    h = list("aabbccabcabc")
    m = list("abbbcaabcacc")
    assert agreement(h, m, seed=3)["macro_f1_ci95"] == agreement(h, m, seed=3)["macro_f1_ci95"]


def test_multi_label_sets_and_strings():
    human = [{"a", "b"}, {"b"}, {"c"}]
    machine = ["b;a", "b;c", "c"]
    r = agreement(human, machine, n_boot=50)
    assert r["multi_label"] and r["alpha_distance"] == "masi"
    assert r["accuracy"] == 1.0  # every first machine theme is among the human's
    assert r["exact_match"] == pytest.approx(2 / 3)
    per = {t["theme"]: t for t in r["per_theme"]}
    assert per["c"]["n_machine"] == 2 and per["c"]["precision"] == 0.5


def test_unassigned_is_no_theme():
    r = agreement(["a", "b"], ["a", "unassigned"], n_boot=20)
    assert r["accuracy"] == 0.5
    assert "unassigned" not in r["labels"]


def test_flags_theme_that_needs_review():
    h = ["a"] * 10 + ["b"] * 10
    m = ["a"] * 10 + ["a"] * 8 + ["b"] * 2
    r = agreement(h, m, n_boot=50)
    assert "b" in r["needs_review"]
    per = {t["theme"]: t for t in r["per_theme"]}
    assert per["b"]["recall"] == pytest.approx(0.2) and per["b"]["precision"] == 1.0
    # 'a' swallows 'b': its F1 is fine but presence/absence kappa is low, so it is flagged too
    assert per["a"]["kappa"] == pytest.approx(0.2)
    assert "a" in r["needs_review"]
    good = agreement(h, ["a"] * 10 + ["b"] * 9 + ["a"], n_boot=50)
    assert good["needs_review"] == []


def test_length_mismatch():
    with pytest.raises(ValueError):
        agreement(["a"], ["a", "b"])


def test_theme_lists_keep_order():
    assert as_theme_lists(["b; a", None, ["x", "x"]]) == [["b", "a"], [], ["x"]]


def test_confusion_and_plot():
    h = ["a", "a", "b", "c"]
    m = ["a", "b", "b", "unassigned"]
    t = confusion_table(h, m)
    assert list(t.index) == ["a", "b", "c"]
    assert t.loc["a", "b"] == 1 and t.loc["c", "unassigned"] == 1
    assert int(t.to_numpy().sum()) == 4
    fig = plot_confusion(h, m)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "machine" and ax.get_ylabel() == "human"
    assert [x.get_text() for x in ax.get_yticklabels()] == ["a", "b", "c"]
    assert ax.images[0].get_cmap().name == "cividis"


def _run_dir(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    ids = [f"r{i}" for i in range(30)]
    themes = ["x"] * 12 + ["y;x"] * 10 + ["unassigned"] * 8
    run.joinpath("assignments.csv").write_text(
        "id,themes,confidence,status\n"
        + "".join(f"{i},{t},0.5,ok\n" for i, t in zip(ids, themes, strict=False)),
        encoding="utf-8",
    )
    run.joinpath("scores.csv").write_text("id,relevance,x,y\n", encoding="utf-8")
    inp = tmp_path / "in.csv"
    inp.write_text("uid,text\n" + "".join(f"{i},text number {i}\n" for i in ids), encoding="utf-8")
    return run, inp, dict(zip(ids, themes, strict=False))


def test_audit_loop_round_trip(tmp_path):
    import pandas as pd

    run, inp, truth = _run_dir(tmp_path)
    paths = export_sheet(run, inp, "text", "uid", tmp_path / "sheet", per_theme=4, seed=0)
    sheet = pd.read_csv(paths["csv"], dtype=str, keep_default_na=False)
    assert len(sheet) == 12  # 4 from each of x, y and unassigned
    assert "themes" not in sheet.columns and "confidence" not in sheet.columns  # blind
    assert paths["xlsx"].exists() and paths["key"].exists()
    assert set(pd.read_excel(paths["xlsx"], sheet_name=None)) == {
        "to code",
        "themes",
        "how to code",
    }
    # a coder who agrees except on every 'y' text
    sheet["human_themes"] = [
        "x" if truth[i].startswith("y") else truth[i].split(";")[0] for i in sheet["id"]
    ]
    sheet.to_csv(tmp_path / "filled.csv", index=False)
    res = import_sheet(tmp_path / "filled.csv", run / "assignments.csv", tmp_path / "agree")
    g = res["agreement"]
    assert g["n"] == 12
    assert g["accuracy"] == pytest.approx(8 / 12)
    assert "y" in g["needs_review"]
    saved = json.loads((tmp_path / "agree" / "agreement.json").read_text())
    assert saved["n"] == 12
    assert (tmp_path / "agree" / "confusion.png").stat().st_size > 1000


def test_import_rejects_unknown_theme(tmp_path):
    run, inp, _ = _run_dir(tmp_path)
    (tmp_path / "bad.csv").write_text("item,id,text,human_themes\n1,r0,t,zebra\n")
    with pytest.raises(InputError, match="not themes of the run"):
        import_sheet(tmp_path / "bad.csv", run / "assignments.csv", tmp_path / "o")
    (tmp_path / "empty.csv").write_text("item,id,text,human_themes\n1,r0,t,\n")
    with pytest.raises(InputError, match="no row"):
        import_sheet(tmp_path / "empty.csv", run / "assignments.csv", tmp_path / "o")


def _discover_dir(tmp_path):
    run = tmp_path / "disc"
    run.mkdir()
    run.joinpath("assignments.csv").write_text(
        "id,topic,label,probability,status\n"
        + "".join(f"r{i},{i % 2},lab,0.9,ok\n" for i in range(30)),
        encoding="utf-8",
    )
    run.joinpath("manifest.json").write_text('{"stage": "discover"}', encoding="utf-8")
    return run


def test_a_discover_run_is_not_a_code_run(tmp_path):
    from covidlearning.coding.agreement import code_run_assignments

    run, inp, _ = _run_dir(tmp_path)
    assert code_run_assignments(run) == run / "assignments.csv"
    assert code_run_assignments(run / "assignments.csv") == run / "assignments.csv"
    disc = _discover_dir(tmp_path)
    (tmp_path / "filled.csv").write_text("item,id,text,human_themes\n1,r0,t,x\n")
    for call in (
        lambda: code_run_assignments(disc),
        lambda: export_sheet(disc, inp, "text", "uid", tmp_path / "s"),
        lambda: export_sheet(disc, inp, "text", None, tmp_path / "s"),
        lambda: import_sheet(tmp_path / "filled.csv", disc, tmp_path / "o"),
        lambda: import_sheet(tmp_path / "filled.csv", disc / "assignments.csv", tmp_path / "o"),
    ):
        with pytest.raises(InputError, match="is a `discover` run, not a `code` run.*themes"):
            call()
    (tmp_path / "other.csv").write_text("id,score\nr0,1\n")
    with pytest.raises(InputError, match=r"no 'themes' column; columns found: id, score"):
        code_run_assignments(tmp_path / "other.csv")
    with pytest.raises(InputError, match="no assignments.csv"):
        code_run_assignments(tmp_path)
    assert not (tmp_path / "s").exists() and not (tmp_path / "o").exists()


def test_sample_uses_the_runs_id_column_and_explains_a_mismatch(tmp_path):
    import pandas as pd

    run, inp, truth = _run_dir(tmp_path)
    run.joinpath("manifest.json").write_text(
        json.dumps({"stage": "code", "columns": {"id": "uid", "text": "text"}})
    )
    paths = export_sheet(run, inp, "text", None, tmp_path / "sheet", per_theme=2)
    sheet = pd.read_csv(paths["csv"], dtype=str)
    assert set(sheet["id"]) <= set(truth)  # ids from the run's own --id-column
    other = tmp_path / "other.csv"
    other.write_text("ref,text\n" + "".join(f"z{i},t {i}\n" for i in range(5)))
    with pytest.raises(InputError, match=r"ids look like 'r0'.*like 'z0'.*--id-column uid"):
        export_sheet(run, other, "text", "ref", tmp_path / "s2")


def test_import_an_evaluators_own_sheet_keyed_on_its_id_column(tmp_path):
    run, _, truth = _run_dir(tmp_path)
    own = tmp_path / "own.csv"
    own.write_text(
        "response_id,code\n" + "".join(f"{i},{t.split(';')[0]}\n" for i, t in truth.items())
    )
    with pytest.raises(InputError, match="column 'id' not found.*--id-column"):
        import_sheet(own, run, tmp_path / "o", column="code")
    res = import_sheet(own, run, tmp_path / "o", column="code", id_column="response_id")
    assert res["agreement"]["n"] == 30 and res["agreement"]["accuracy"] == 1.0


def test_confusion_figures_are_byte_identical(tmp_path) -> None:
    from covidlearning.coding.agreement import save_confusion

    human = ["staff", "food", "staff", "access", "food"]
    machine = ["staff", "food", "access", "access", "staff"]
    for k in (1, 2):
        (tmp_path / f"r{k}").mkdir()
        save_confusion(human, machine, tmp_path / f"r{k}")
    for name in ("confusion.png", "confusion.svg"):
        assert (tmp_path / "r1" / name).read_bytes() == (tmp_path / "r2" / name).read_bytes()
    assert b"<svg" in (tmp_path / "r1" / "confusion.svg").read_bytes()


def test_multilabel_scores_match_sklearn_with_intervals():
    """Per-code P/R/F1/support, micro, macro and sample-averaged F1 as scikit-learn has them."""
    from sklearn.metrics import precision_recall_fscore_support
    from sklearn.preprocessing import MultiLabelBinarizer

    rng = np.random.default_rng(0)
    codes = ["a", "b", "c", "d"]
    h = [sorted(set(rng.choice(codes, size=rng.integers(1, 3)))) for _ in range(60)]
    m = [sorted(set(rng.choice(codes, size=rng.integers(1, 3)))) if i % 3 else h[i]
         for i in range(60)]  # fmt: skip
    r = agreement(h, m, n_boot=400, seed=3)
    mlb = MultiLabelBinarizer(classes=codes).fit([codes])
    H, M = mlb.transform(h), mlb.transform(m)
    assert r["micro_f1"] == pytest.approx(f1_score(H, M, average="micro"))
    assert r["macro_f1"] == pytest.approx(f1_score(H, M, average="macro"))
    assert r["samples_f1"] == pytest.approx(f1_score(H, M, average="samples"))
    p, rec, f, support = precision_recall_fscore_support(H, M, average=None)
    for j, row in enumerate(r["per_theme"]):
        assert row["theme"] == codes[j]
        assert (row["precision"], row["recall"], row["f1"]) == pytest.approx((p[j], rec[j], f[j]))
        assert row["support"] == support[j]
        lo, hi = row["f1_ci95"]
        assert lo <= row["f1"] <= hi and hi - lo > 0
    for key in ("micro_f1", "macro_f1", "samples_f1", "cohen_kappa"):
        lo, hi = r[f"{key}_ci95"]
        assert lo <= r[key] <= hi and 0 < hi - lo < 0.6, key
    assert r["multi_label"] and not r["single_label"]


def test_single_code_kappa_interval_and_weights():
    """Kappa has its interval; design weights count a text as often as it stands for."""
    h = ["a", "b", "a", "c", "b", "a", "c", "c", "b", "a"] * 3
    m = ["a", "b", "b", "c", "b", "a", "a", "c", "b", "a"] * 3
    r = agreement(h, m, n_boot=300)
    assert r["single_label"] and r["cohen_kappa"] == pytest.approx(cohen_kappa_score(h, m))
    lo, hi = r["cohen_kappa_ci95"]
    assert lo <= r["cohen_kappa"] <= hi
    w = np.where(np.array(h) == np.array(m), 1.0, 3.0)  # the disagreements stand for 3 each
    weighted = agreement(h, m, n_boot=100, weights=w)
    assert weighted["weighted"] and not r["weighted"]
    assert weighted["accuracy"] == pytest.approx(np.average(np.array(h) == np.array(m), weights=w))
    assert weighted["cohen_kappa"] == pytest.approx(cohen_kappa_score(h, m, sample_weight=w))
    assert weighted["macro_f1"] == pytest.approx(f1_score(h, m, average="macro", sample_weight=w))
    with pytest.raises(ValueError, match="positive weight"):
        agreement(h, m, weights=np.zeros(len(h)))


def test_uncertain_sample_takes_the_least_certain_and_a_weighted_random_share(tmp_path):
    import pandas as pd

    run = tmp_path / "run"
    run.mkdir()
    ids = [f"r{i:02d}" for i in range(40)]
    px = [0.5 + 0.0125 * i for i in range(40)]  # r00 the least certain (gap 0), r39 the most
    pd.DataFrame({"id": ids, "themes": "x", "confidence": px, "status": "ok"}).to_csv(
        run / "assignments.csv", index=False
    )
    pd.DataFrame({"id": ids, "relevance": 0.5, "x": px, "y": [1 - p for p in px]}).to_csv(
        run / "scores.csv", index=False
    )
    inp = tmp_path / "in.csv"
    pd.DataFrame({"uid": ids, "text": [f"text {i}" for i in ids]}).to_csv(inp, index=False)
    paths = export_sheet(run, inp, "text", "uid", tmp_path / "s", seed=1, uncertain=10,
                         random_share=0.3)  # fmt: skip
    key = pd.read_csv(paths["key"], dtype={"id": str})
    doubt = key[key["drawn_as"] == "least certain"]
    rand = key[key["drawn_as"] == "random"]
    assert sorted(doubt["id"]) == ids[:7] and (doubt["weight"] == 1.0).all()
    assert len(rand) == 3 and not set(rand["id"]) & set(ids[:7])
    assert rand["weight"].tolist() == pytest.approx([33 / 3] * 3)  # each stands for 11
    # the coder disagrees on the least certain texts only: weighted, the run's accuracy is
    # estimated as (0 * 7 + 1 * 33) / 40, not the sheet's raw 3/10
    sheet = pd.read_csv(paths["csv"], dtype=str, keep_default_na=False)
    drawn = dict(zip(key["id"], key["drawn_as"], strict=True))
    sheet["human_themes"] = ["y" if drawn[i] == "least certain" else "x" for i in sheet["id"]]
    sheet.to_csv(paths["csv"], index=False)
    res = import_sheet(paths["csv"], run, tmp_path / "agree")["agreement"]
    assert res["weighted"] and "design" in res
    assert res["accuracy"] == pytest.approx(33 / 40)
    # the same draw again: the same sheet
    again = export_sheet(run, inp, "text", "uid", tmp_path / "s2", seed=1, uncertain=10)
    assert again["key"].read_bytes() == paths["key"].read_bytes()


def test_the_coding_sheet_is_redacted_and_says_so(tmp_path):
    import pandas as pd

    from covidlearning.privacy.redact import Redactor

    run, inp, _ = _run_dir(tmp_path)
    rows = inp.read_text(encoding="utf-8").splitlines()
    rows[1:] = [
        r.replace("text number", "Dr Okafor rang 07700 900123 about number") for r in rows[1:]
    ]
    inp.write_text("\n".join(rows) + "\n", encoding="utf-8")
    paths = export_sheet(run, inp, "text", "uid", tmp_path / "sheet", per_theme=4, seed=0,
                         redactor=Redactor())  # fmt: skip
    sheet = pd.read_csv(paths["csv"], dtype=str, keep_default_na=False)
    assert not sheet["text"].str.contains("Okafor|07700").any()
    assert sheet["text"].str.contains(r"\[NAME\]").all()
    assert paths["redacted"] == len(sheet)
    how = pd.read_excel(paths["xlsx"], sheet_name="how to code")["how to code"].tolist()
    assert any("redacted" in line for line in how)
    plain = export_sheet(run, inp, "text", "uid", tmp_path / "plain", per_theme=4, seed=0)
    assert plain["redacted"] is None
    assert pd.read_csv(plain["csv"], dtype=str)["text"].str.contains("Okafor").all()
