"""Non-answers in the report's row accounting; the question column in config checks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from covidlearning.config import Config
from covidlearning.corpus.load import load_table
from covidlearning.errors import InputError
from covidlearning.reporting import breakdown as B
from covidlearning.reporting import run as report

BETTER, GOOD = "What could we do better?", "How was your visit?"


@pytest.fixture()
def fft(tmp_path: Path) -> Path:
    """An FFT-style export: two questions, listed and repeated non-answers, short answers."""
    texts, asked = [], []
    for i in range(120):
        texts.append(f"Visit {i}: the staff on ward {i % 7} were kind and quick")
        asked.append(GOOD if i % 2 else BETTER)
    texts += ["Did not answer"] * 30 + ["No feedback given"] * 10 + ["Nothing"] * 20
    asked += [BETTER] * 30 + [GOOD] * 10 + [BETTER] * 20
    path = tmp_path / "fft.csv"
    pd.DataFrame({"rid": range(len(texts)), "answer": texts, "question": asked}).to_csv(
        path, index=False
    )
    return path


def test_row_accounting_names_every_exclusion(fft: Path) -> None:
    frame = load_table(fft, "answer", "rid", question_column="question")
    summary = B.run_summary(frame)
    assert summary["excluded_by_reason"] == {"missing": 30, "non-answer": 10}
    assert summary["used"] == 120 + 20  # 'Nothing' to an improvement question is analysed
    table = B.summary_table(summary)
    rows = dict(zip(table["item"], table["rows"], strict=True))
    assert rows["Excluded: non-answers (such as 'Did not answer', 'N/A', 'no comment')"] == 30
    said = [k for k in rows if "answers saying none was given" in k]
    assert len(said) == 1 and rows[said[0]] == 10
    assert "30 non-answers" in B.summary_text(summary)
    plain = B.run_summary(load_table(fft, "answer", "rid"))  # no question column
    assert plain["excluded_by_reason"]["filler"] == 20


def test_the_question_column_is_a_group_column(fft: Path) -> None:
    frame = load_table(fft, "answer", "rid", question_column="question")
    used = frame[frame["status"] == "ok"]
    assign = pd.DataFrame({"id": used["id"], "topic": 0, "label": "Staff"})
    bd = B.by_group(assign, frame, "question", keywords=False, figure=False)
    assert set(bd.table["group"]) == {BETTER, GOOD}


def _config(path: Path, **fields: object) -> Config:
    return Config(name="t", source="table", input={"path": path, "text_column": "answer", **fields})


def test_check_columns_names_a_misspelt_question_column(fft: Path) -> None:
    report.check_columns(_config(fft, question_column="question", group_columns=["question"]))
    with pytest.raises(InputError) as err:
        report.check_columns(_config(fft, question_column="Question"))
    assert err.value.problem.startswith(
        "input.question_column: column 'Question' not found in fft.csv "
        "(did you mean 'question'?); columns found: 'rid', 'answer', 'question'"
    )
