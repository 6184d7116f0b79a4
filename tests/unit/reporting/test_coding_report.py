"""The report's coding step with human codes (``code.gold_column``), stand-in embeddings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from covidlearning.errors import InputError
from covidlearning.reporting import narrative, steps
from covidlearning.reporting import run as report

THEMES = {
    "transport": ("Transport", "parking car park bus travel to hospital"),
    "food": ("Food", "food meals lunch canteen drinks"),
    "staff": ("Staff", "nurses doctors kind caring staff"),
}
TEXTS = [
    ("I could not find parking for my car", "transport"),
    ("The bus was late and travel was hard", "transport"),
    ("Meals were lovely and lunch was hot", "food"),
    ("The canteen food was cold", "food"),
    ("Nurses were kind and caring", "staff"),
    ("The doctors explained everything, kind nurses", "staff"),
    ("Parking was expensive but the nurses were kind", "transport;staff"),
    ("Hot drinks in the canteen", ""),  # not coded by a human
    ("The car park bus was full", "food"),  # a human code the machine will miss
]


@pytest.fixture(autouse=True)
def no_model(hashed_coding_embeddings):
    """Code with hashed bag-of-words vectors (conftest), not MiniLM."""


def _config(tmp_path, **code):
    book = tmp_path / "book.yaml"
    themes = [{"id": k, "name": n, "definition": d} for k, (n, d) in THEMES.items()]
    book.write_text(yaml.safe_dump({"name": "Mini", "themes": themes}))
    data = tmp_path / "in.csv"
    pd.DataFrame(
        {"rid": [f"r{i}" for i in range(len(TEXTS))], "answer": [t for t, _ in TEXTS],
         "coders": [g for _, g in TEXTS]}
    ).to_csv(data, index=False)  # fmt: skip
    cfg = {
        "name": "t",
        "source": "table",
        "input": {"path": str(data), "text_column": "answer", "id_column": "rid"},
        "code": {"codebook": str(book), **code},
        "redaction": {"enabled": False},
    }
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _units(path):
    from covidlearning.corpus.load import load_table

    frame = load_table(path, "answer", "rid")
    frame["id"] = frame["id"].astype(str)
    return frame


def test_gold_column_reports_agreement_per_theme_and_overall(tmp_path):
    from sklearn.metrics import precision_recall_fscore_support
    from sklearn.preprocessing import MultiLabelBinarizer

    cfg = _config(tmp_path, gold_column="coders", max_themes=2)
    run = report.open_run(str(cfg), str(tmp_path / "out"), str(tmp_path / "work"))
    report.check_inputs(run.config)
    units = _units(tmp_path / "in.csv")
    summary = steps.code_units(run, units)
    g = summary["agreement"]
    coded = [i for i, (_, gold) in enumerate(TEXTS) if gold]
    assert g["n"] == len(coded) == 8 and g["column"] == "coders"
    assert g["single_label"] is False and g["cohen_kappa"] is not None
    for key in ("accuracy", "micro_f1", "macro_f1", "samples_f1"):
        low, high = g[f"{key}_ci95"] if key != "accuracy" else (g[key], g[key])
        assert 0 <= low <= g[key] <= high <= 1, key
    # per theme: checked against scikit-learn on the published assignments
    a = run.read_table("coding_assignments", dtype=str).set_index("id")
    machine = [a.loc[f"r{i}", "themes"].split(";") for i in coded]
    human = [TEXTS[i][1].split(";") for i in coded]
    ids = list(THEMES)
    mlb = MultiLabelBinarizer(classes=ids)
    p, r, f, support = precision_recall_fscore_support(
        mlb.fit_transform(human), mlb.transform(machine), zero_division=0
    )
    t = run.read_table("coding_agreement", dtype={"theme_id": str})
    assert t["theme_id"].tolist() == ids and t["theme"].tolist() == ["Transport", "Food", "Staff"]
    assert t["support"].tolist() == [3, 3, 3] == support.tolist()
    np.testing.assert_allclose(t["precision"], p, atol=1e-4)
    np.testing.assert_allclose(t["recall"], r, atol=1e-4)
    np.testing.assert_allclose(t["f1"], f, atol=1e-4)
    assert (t["f1_ci95_low"] <= t["f1"] + 1e-4).all()
    assert (t["f1"] <= t["f1_ci95_high"] + 1e-4).all()
    assert set(t.columns) == set(steps.AGREEMENT_COLUMNS)  # no text, no id
    # 03-code shows the figures; 04-report says them in the coding section
    shown = narrative.coding_agreement(run, summary)
    text = "\n".join(getattr(o, "data", "") for o in shown)
    assert f"sample-averaged F1 {g['samples_f1']:.2f}" in text and "Transport" in text
    assert "On the 8 responses your coders also coded" in narrative._coding_intro(
        summary, "response", "responses"
    )


def test_without_gold_column_no_agreement_is_shown(tmp_path):
    run = report.open_run(str(_config(tmp_path)), str(tmp_path / "o"), str(tmp_path / "w"))
    summary = steps.code_units(run, _units(tmp_path / "in.csv"))
    assert "agreement" not in summary and not run.has_table("coding_agreement")
    assert narrative.coding_agreement(run, summary) == []
    assert "check a sample against your own coders" in narrative._coding_intro(
        summary, "response", "responses"
    )


def test_gold_column_is_checked_before_any_notebook(tmp_path):
    from covidlearning.config import load_config

    bad = load_config(_config(tmp_path, gold_column="coder"))
    with pytest.raises(InputError, match=r"^code.gold_column: column 'coder' not found"):
        report.check_inputs(bad)
    cfg = yaml.safe_load(_config(tmp_path, gold_column="coders").read_text())
    del cfg["code"]["codebook"]
    (tmp_path / "nobook.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(InputError, match="code.gold_column is set but code.codebook is not"):
        report.check_inputs(load_config(tmp_path / "nobook.yaml"))
    # a column missing from the units (e.g. a config changed after 01-corpus) stops cleanly
    run = report.open_run(str(_config(tmp_path, gold_column="coders")), str(tmp_path / "o"),
                          str(tmp_path / "w"))  # fmt: skip
    with pytest.raises(InputError, match="code.gold_column: column 'coders' not found"):
        steps.code_units(run, _units(tmp_path / "in.csv").drop(columns="coders"))
