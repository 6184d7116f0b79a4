"""The `code` commands' answers to inputs a user gets wrong: one `error:` line, exit 2."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from covidlearning.cli import run as cli_run


@pytest.fixture(autouse=True)
def no_model(hashed_coding_embeddings):
    """Code with hashed bag-of-words vectors (conftest), not MiniLM."""


WORDS = {
    "Transport": "parking car park bus travel route".split(),
    "Food": "food meals lunch canteen hot cold".split(),
    "Staff": "nurses doctors kind caring explained".split(),
}


@pytest.fixture()
def files(tmp_path: Path):
    """A survey keyed on response_id with a `comment` column, and a coded sample of it."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(90):
        code = list(WORDS)[i % 3]
        text = " ".join(rng.choice(WORDS[code], 5))
        rows.append((f"R{i:03d}", text, code))
    survey = pd.DataFrame(rows, columns=["response_id", "comment", "codes"])
    inp = tmp_path / "comments.csv"
    survey[["response_id", "comment"]].to_csv(inp, index=False)
    train = tmp_path / "coded.csv"
    survey.to_csv(train, index=False)
    disc = tmp_path / "disc"  # what `covidlearning discover` writes
    disc.mkdir()
    pd.DataFrame(
        {"id": survey["response_id"], "topic": 0, "label": "x", "probability": 0.9, "status": "ok"}
    ).to_csv(disc / "assignments.csv", index=False)
    (disc / "manifest.json").write_text('{"stage": "discover"}')
    one = tmp_path / "one.yaml"
    one.write_text("name: one\nthemes:\n- {id: staff, name: Staff, definition: Staff.}\n")
    return tmp_path, inp, train, disc, one


def _one_line_error(capsys, *needles: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.mark.parametrize("with_id", [True, False])
def test_sample_of_a_discover_run(files, capsys, with_id):
    tmp, inp, _, disc, _ = files
    args = ["code", "sample", str(disc), "--input", str(inp), "--text-column", "comment",
            "--out", str(tmp / "a")]  # fmt: skip
    if with_id:
        args += ["--id-column", "response_id"]
    assert cli_run(args) == 2
    _one_line_error(capsys, "is a `discover` run, not a `code` run", "themes", "covidlearning code")
    assert not (tmp / "a").exists()


def test_agree_with_a_discover_run(files, capsys):
    tmp, _, _, disc, _ = files
    (tmp / "filled.csv").write_text("item,id,text,human_themes\n1,R000,t,Staff\n")
    for machine in (disc, disc / "assignments.csv"):
        args = ["code", "agree", str(tmp / "filled.csv"), "--machine", str(machine),
                "--out", str(tmp / "r")]  # fmt: skip
        assert cli_run(args) == 2
        _one_line_error(capsys, "is a `discover` run", "themes")
    assert not (tmp / "r").exists()


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--threshold", "2"], "--threshold must be between 0 and 1 (got 2)"),
        (["--threshold", "-0.1"], "--threshold must be between 0 and 1"),
        (["--max-themes", "0"], "--max-themes must be at least 1 (got 0)"),
    ],
)
def test_out_of_range_options(files, capsys, extra, needle):
    tmp, inp, train, _, _ = files
    args = ["code", str(inp), "--text-column", "comment", "--train", str(train),
            "--label-column", "codes", "--out", str(tmp / "o"), *extra]  # fmt: skip
    assert cli_run(args) == 2
    _one_line_error(capsys, needle)
    assert not (tmp / "o").exists()


def test_sample_per_theme_out_of_range(files, capsys):
    tmp, inp, _, disc, _ = files
    args = ["code", "sample", str(disc), "--input", str(inp), "--text-column", "comment",
            "--per-theme", "0", "--out", str(tmp / "a")]  # fmt: skip
    assert cli_run(args) == 2
    _one_line_error(capsys, "--per-theme must be at least 1")


def test_one_theme_codebook(files, capsys):
    tmp, inp, _, _, one = files
    args = ["code", str(inp), "--text-column", "comment", "--codebook", str(one),
            "--out", str(tmp / "o")]  # fmt: skip
    assert cli_run(args) == 2
    _one_line_error(capsys, "has 1 theme ('staff')", "at least 2", "--train")
    assert not (tmp / "o").exists()


def test_train_label_column_error_lists_the_users_columns(files, capsys):
    tmp, inp, train, _, _ = files
    args = ["code", str(inp), "--text-column", "comment", "--train", str(train),
            "--label-column", "code", "--out", str(tmp / "o")]  # fmt: skip
    assert cli_run(args) == 2
    err = _one_line_error(capsys, "column 'code' not found in coded.csv")
    assert "columns found: 'response_id', 'comment', 'codes'" in err and "text" not in err


def test_multi_label_cells_without_label_sep(files, capsys):
    tmp, inp, train, _, _ = files
    coded = pd.read_csv(train)
    coded.loc[::4, "codes"] = coded["codes"][::4] + "; Staff"
    coded.to_csv(tmp / "semi.csv", index=False)
    base = ["code", str(inp), "--text-column", "comment", "--id-column", "response_id",
            "--label-column", "codes"]  # fmt: skip
    assert cli_run([*base, "--train", str(tmp / "semi.csv"), "--out", str(tmp / "o")]) == 2
    _one_line_error(capsys, "contain ';'", "--label-sep ';'")
    assert not (tmp / "o").exists()
    # with the separator the same file trains a multi-label coder
    args = [*base, "--train", str(tmp / "semi.csv"), "--label-sep", ";", "--out", str(tmp / "m")]
    assert cli_run(args) == 0
    assert "warning" not in capsys.readouterr().err
    # '|' may be part of a code's name, so it warns (once) and goes on
    coded["codes"] = coded["codes"].str.replace("; ", "|")
    coded.to_csv(tmp / "pipe.csv", index=False)
    assert cli_run([*base, "--train", str(tmp / "pipe.csv"), "--out", str(tmp / "p")]) == 0
    warned = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("warning:")]
    assert len(warned) == 1 and "--label-sep '|'" in warned[0]
    assert (tmp / "p" / "assignments.csv").exists()


def test_agree_with_the_evaluators_own_sheet(files, capsys):
    tmp, inp, train, _, _ = files
    run = tmp / "run"
    args = ["code", str(inp), "--text-column", "comment", "--id-column", "response_id",
            "--train", str(train), "--label-column", "codes", "--out", str(run)]  # fmt: skip
    assert cli_run(args) == 0
    machine = pd.read_csv(run / "assignments.csv", dtype=str)
    own = machine.rename(columns={"id": "response_id", "themes": "my_codes"})
    own[["response_id", "my_codes"]].head(20).to_excel(tmp / "own.xlsx", index=False)
    agree = ["code", "agree", str(tmp / "own.xlsx"), "--machine", str(run), "--column",
             "my_codes", "--out", str(tmp / "ag")]  # fmt: skip
    assert cli_run(agree) == 2
    _one_line_error(capsys, "column 'id' not found in own.xlsx", "--id-column")
    assert cli_run([*agree, "--id-column", "response_id"]) == 0
    assert "20 texts: accuracy 1.000" in capsys.readouterr().out
    # `code sample` takes the run's --id-column when none is given
    sample = ["code", "sample", str(run), "--input", str(inp), "--text-column", "comment",
              "--per-theme", "2", "--out", str(tmp / "s")]  # fmt: skip
    assert cli_run(sample) == 0
    sheet = pd.read_csv(tmp / "s" / "coding_sheet.csv", dtype=str)
    assert len(sheet) == 6 and sheet["id"].str.startswith("R").all()


def test_threshold_help_states_the_auto_rule(capsys):
    assert cli_run(["code", "run", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "1.25/K" in out and "--train, 0" in out


def test_outputs_never_replace_the_runs_inputs(files, capsys):
    tmp, inp, train, disc, _ = files
    before = {p: p.read_bytes() for p in (inp, train, disc / "assignments.csv")}
    attempts = [
        ["code", str(inp), "--text-column", "comment", "--train", str(train),
         "--label-column", "codes", "--out", str(tmp)],
        ["code", str(inp), "--text-column", "comment", "--train", str(train),
         "--label-column", "codes", "--out", str(inp)],
        ["code", "agree", str(inp), "--machine", str(disc), "--out", str(disc)],
    ]  # fmt: skip
    for args in attempts:
        assert cli_run(args) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    assert {p: p.read_bytes() for p in before} == before


def test_context_option(files, capsys):
    """--context off codes each text alone; a bad value is one line; the run says what it did."""
    tmp, inp, _, _, _ = files
    book = tmp / "book.yaml"
    book.write_text(
        "name: b\nthemes:\n"
        + "".join(
            f"- {{id: {k.lower()}, name: {k}, definition: {' '.join(w)}}}\n"
            for k, w in WORDS.items()
        )  # fmt: skip
    )
    base = ["code", str(inp), "--text-column", "comment", "--codebook", str(book)]
    assert cli_run([*base, "--out", str(tmp / "c1"), "--context", "sideways"]) == 2
    _one_line_error(capsys, "--context", "'auto', 'on' or 'off'")
    assert not (tmp / "c1").exists()
    assert cli_run([*base, "--out", str(tmp / "c2"), "--context", "off"]) == 0
    assert "row order" not in capsys.readouterr().out
    import json

    ctx = json.loads((tmp / "c2" / "manifest.json").read_text())["context"]
    assert ctx["used"] is False and ctx["reason"] == "off"
    # rows that cycle Transport, Food, Staff never repeat a theme: no runs, order not used
    assert cli_run([*base, "--out", str(tmp / "c3"), "--context", "on"]) == 0
    ctx = json.loads((tmp / "c3" / "manifest.json").read_text())["context"]
    assert ctx["used"] is False and ctx["stickiness"] < 0.2
    assert "row order" not in capsys.readouterr().out
    # the same rows in runs of one theme: a table's answers are still coded each on its own
    runs = pd.read_csv(inp).iloc[np.argsort(np.arange(90) % 3, kind="stable")]
    runs.to_csv(tmp / "runs.csv", index=False)
    assert cli_run(["code", str(tmp / "runs.csv"), *base[2:], "--out", str(tmp / "c4")]) == 0
    assert "row order" not in capsys.readouterr().out
    ctx = json.loads((tmp / "c4" / "manifest.json").read_text())["context"]
    assert ctx["used"] is False and ctx["reason"].startswith("a table")
    # ... unless --context on asks for the order: used, and the run says so
    on = ["code", str(tmp / "runs.csv"), *base[2:], "--out", str(tmp / "c5"), "--context", "on"]
    assert cli_run(on) == 0
    assert "row order used as context" in capsys.readouterr().out


def test_code_redacts_before_training_and_records_it(files):
    """Issue 20: identifiers never reach the trained coder or its outputs (--no-redact skips)."""
    import json

    tmp, inp, train, _, _ = files
    coded = pd.read_csv(train)
    planted = "Call Sister Okonkwo-Briggs on 07700 900123"
    coded.loc[::3, "comment"] = coded["comment"][::3] + f". {planted}"
    coded.to_csv(tmp / "planted.csv", index=False)
    base = ["code", str(inp), "--text-column", "comment", "--id-column", "response_id",
            "--label-column", "codes", "--train", str(tmp / "planted.csv")]  # fmt: skip
    assert cli_run([*base, "--out", str(tmp / "red")]) == 0
    everything = "\n".join(
        p.read_text(errors="ignore") for p in (tmp / "red").rglob("*") if p.is_file()
    ).lower()
    assert "okonkwo" not in everything and "07700 900123" not in everything
    manifest = json.loads((tmp / "red" / "manifest.json").read_text())
    assert manifest["redaction"]["enabled"] is True
    assert manifest["redaction"]["replaced"] == {"name": 30, "phone": 30}
    assert cli_run([*base, "--no-redact", "--out", str(tmp / "raw")]) == 0
    raw = json.loads((tmp / "raw" / "manifest.json").read_text())
    assert raw["redaction"] == {"enabled": False, "replaced": {}}


def test_audit_loop_least_certain_sheet_feeds_back(files, capsys):
    """code sample --uncertain, code agree weighted as drawn, code run --train SHEET."""
    import json

    tmp, inp, _, _, _ = files
    book = tmp / "book.yaml"
    book.write_text(
        "name: b\nthemes:\n"
        + "".join(
            f"- {{id: {k.lower()}, name: {k}, definition: {' '.join(w[:2])}, "
            f"examples: ['{' '.join(w[2:4])}']}}\n"
            for k, w in WORDS.items()
        )  # fmt: skip
    )
    base = ["code", str(inp), "--text-column", "comment", "--id-column", "response_id"]
    assert cli_run([*base, "--codebook", str(book), "--out", str(tmp / "r1")]) == 0
    capsys.readouterr()
    sample = ["code", "sample", str(tmp / "r1"), "--input", str(inp), "--text-column", "comment"]
    assert cli_run([*sample, "--out", str(tmp / "s"), "--uncertain", "20"]) == 0
    key = pd.read_csv(tmp / "s" / "sample_key.csv")
    assert (key["drawn_as"] == "least certain").sum() == 14 and len(key) == 20
    sheet = pd.read_csv(tmp / "s" / "coding_sheet.csv")
    truth = {f"R{i:03d}": list(WORDS)[i % 3].lower() for i in range(90)}
    sheet["human_themes"] = sheet["id"].map(truth)
    sheet.to_csv(tmp / "s" / "coding_sheet.csv", index=False)
    agree = ["code", "agree", str(tmp / "s" / "coding_sheet.csv"), "--machine", str(tmp / "r1")]
    assert cli_run([*agree, "--out", str(tmp / "a")]) == 0
    out = capsys.readouterr().out
    assert "weighted as drawn" in out and "sample-averaged" in out and "support" in out
    assert json.loads((tmp / "a" / "agreement.json").read_text())["weighted"] is True
    again = [*base, "--codebook", str(book), "--train", str(tmp / "s" / "coding_sheet.csv")]
    assert cli_run([*again, "--out", str(tmp / "r2")]) == 0
    manifest = json.loads((tmp / "r2" / "manifest.json").read_text())
    assert manifest["mode"] == "few-shot" and manifest["checked_examples"]["n"] == 20
    saved = (tmp / "r2" / "codebook.yaml").read_text()
    assert sum(t in saved for t in sheet["text"]) == 20  # the codebook it used, examples and all
