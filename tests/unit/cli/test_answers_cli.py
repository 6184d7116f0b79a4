"""``--missing-values`` and ``--question-column`` on ``discover`` and ``code``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from covidlearning.cli import run

BETTER, GOOD = "What could we do better?", "What was good?"


def _table(tmp_path: Path, texts: list[str], questions: list[str] | None = None) -> Path:
    frame = pd.DataFrame({"rid": [f"r{i}" for i in range(len(texts))], "answer": texts})
    if questions is not None:
        frame["question"] = questions
    path = tmp_path / "fft.csv"
    frame.to_csv(path, index=False)
    return path


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


# Too few usable texts is an error before any model loads: its message counts the
# exclusions, so it shows which list of non-answers the command used.
TEXTS = ["Blank", "Awaiting callback", "Kind nurses", "Nothing"]


@pytest.mark.parametrize(
    ("flags", "counts"),
    [
        ([], "(1 filler, 1 missing)"),  # the default list: 'Blank'
        (["--missing-values", "Awaiting callback"], "(1 filler, 1 missing)"),  # replaced
        (["--missing-values", "Awaiting callback,blank."], "(1 filler, 2 missing)"),
        (
            ["--missing-values", "awaiting callback", "--missing-values", "BLANK"],
            "(1 filler, 2 missing)",
        ),
    ],
)
def test_discover_missing_values(tmp_path, capsys, flags: list[str], counts: str) -> None:
    path = _table(tmp_path, TEXTS)
    out = tmp_path / "out"
    args = ["discover", str(path), "--text-column", "answer", "--out", str(out), *flags]
    assert run(args) == 2
    err = _error(capsys)
    assert "usable texts" in err and counts in err, err
    if flags:  # the list named by the flag is used: 'Blank' is then a text
        listed = "blank" in flags[-1].lower()
        assert ("has 1 usable texts" if listed else "has 2 usable texts") in err, err
    assert not out.exists()


def test_discover_missing_values_from_the_config(tmp_path, capsys) -> None:
    path = _table(tmp_path, TEXTS)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"name: c\ninput: {{path: {path}, missing_values: [Kind nurses]}}\n")
    args = ["discover", str(path), "--text-column", "answer", "--out", str(tmp_path / "o")]
    assert run([*args, "--config", str(cfg)]) == 2
    assert "has 2 usable texts" in _error(capsys)  # only 'Kind nurses' is listed


@pytest.mark.parametrize("command", ["discover", "code"])
def test_a_misspelt_question_column(tmp_path, capsys, command: str) -> None:
    path = _table(tmp_path, ["Nothing", "Kind nurses", "Lovely"], [BETTER, GOOD, GOOD])
    out = tmp_path / "out"
    args = [command, str(path), "--text-column", "answer", "--out", str(out)]
    if command == "code":
        args += ["--codebook", str(Path("configs/codebooks/q-top-5.yaml").resolve())]
    assert run([*args, "--question-column", "Questoin"]) == 2
    err = _error(capsys)
    assert err.startswith(
        "error: column 'Questoin' not found in fft.csv (did you mean 'question'?); "
        "columns found: 'rid', 'answer', 'question'."
    ), err
    assert "--question-column" in err
    assert not out.exists()


def test_code_reads_short_answers_with_their_question(
    tmp_path, capsys, hashed_coding_embeddings
) -> None:
    texts = [
        "The nurses were kind and caring", "Parking was hard to find", "Nothing", "Nothing",
        "Did not answer", "Awaiting callback", "Food was cold", "Doctors explained everything",
    ]  # fmt: skip
    asked = [GOOD, BETTER, BETTER, GOOD, BETTER, GOOD, BETTER, GOOD]
    path = _table(tmp_path, texts, asked)
    book = tmp_path / "book.yaml"
    book.write_text(
        "name: fft\nthemes:\n"
        "- {id: staff, name: Staff, definition: Nurses and doctors were kind and explained.}\n"
        "- {id: access, name: Access, definition: Parking and getting to the hospital.}\n"
        "- {id: food, name: Food, definition: Meals were hot or cold.}\n"
    )
    out = tmp_path / "out"
    args = ["code", str(path), "--text-column", "answer", "--id-column", "rid"]
    args += ["--codebook", str(book), "--out", str(out), "--question-column", "question"]
    args += ["--missing-values", "Did not answer,Awaiting callback"]
    assert run(args) == 0, capsys.readouterr().err
    a = pd.read_csv(out / "assignments.csv", dtype=str, keep_default_na=False)
    status = dict(zip(a["id"], a["status"], strict=True))
    assert status["r4"] == status["r5"] == "missing"
    assert status["r2"] == status["r3"] == "ok"  # 'Nothing' read with its question
    assert sum(v == "ok" for v in status.values()) == 6
    read = dict(zip(a["id"], a["read_as"], strict=True))  # what the short answers meant
    assert read["r2"] == "Nothing to improve" and read["r3"] == "Nothing was good"
    assert read["r0"] == read["r4"] == ""
    assert "coded 6 of 8 texts" in capsys.readouterr().out
