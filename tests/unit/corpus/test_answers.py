"""Non-answers (listed and repeated) and short answers read with their question."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from covidlearning.config import DEFAULT_MISSING_VALUES, InputConfig
from covidlearning.corpus.answers import (
    answer_key,
    carries_content,
    classify_question,
    filler_reason,
    read_with_question,
    repeated_non_answers,
    says_no_answer,
    short_answer_kind,
)
from covidlearning.corpus.load import load_table
from covidlearning.errors import InputError

SUBJECTS = "nurses doctors porters receptionists the ward the clinic the pharmacy parking".split()
VERBS = "were kind|explained things|kept me waiting|listened|were rushed|helped my mum".split("|")
PLACES = ["on arrival", "at night", "after surgery", "in outpatients", "by phone", "at discharge"]


def varied(n: int) -> list[str]:
    """``n`` different answers with content (no text repeated)."""
    out = [f"{s} {v} {p}" for s in SUBJECTS for v in VERBS for p in PLACES]
    assert len(out) >= n
    return [t[0].upper() + t[1:] for t in out[:n]]


def write(path: Path, texts: list[str], questions: list[str] | None = None) -> Path:
    frame = pd.DataFrame({"rid": [f"r{i}" for i in range(len(texts))], "answer": texts})
    if questions is not None:
        frame["question"] = questions
    frame.to_csv(path, index=False)
    return path


# --------------------------------------------------------------------------- listed
@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Did not answer", "did not answer"),
        ("  DID NOT   ANSWER. ", "did not answer"),
        ("did-not-answer!", "did not answer"),
        ("Didn\u2019t answer", "didnt answer"),
        ("N/A", "n a"),
        ("#N/A", "n a"),
        ("-", "-"),
        ("Prefer not to say...", "prefer not to say"),
    ],
)
def test_answer_key_ignores_case_spaces_and_punctuation(text: str, key: str) -> None:
    assert answer_key(text) == key


def test_listed_values_are_missing_before_digits_and_filler() -> None:
    listed = ["Did not answer", "-", "Awaiting callback"]
    assert filler_reason("did not answer.", listed) == "missing"
    assert filler_reason("AWAITING CALLBACK", listed) == "missing"
    assert filler_reason("-", listed) == "missing"  # else 'digits only'
    assert filler_reason("-") == "digits only"
    assert filler_reason("Did not answer") is None  # no list: an ordinary text
    assert filler_reason("", listed) == "empty"
    assert filler_reason("nothing", listed) == "filler"
    assert filler_reason("Did not answer the phone", listed) is None  # whole answer only


def test_the_config_default_list_is_the_loaders_default(tmp_path: Path) -> None:
    assert InputConfig(path=Path("x.csv")).missing_values == list(DEFAULT_MISSING_VALUES)
    texts = ["Did not answer", "n/a", "Prefer not to say", "No response.", "Kind nurses"]
    p = write(tmp_path / "t.csv", texts)
    frame = load_table(p, "answer", "rid")
    assert list(frame["status"]) == ["missing"] * 4 + ["ok"]
    own = load_table(p, "answer", "rid", missing_values=["Kind nurses"])
    # the user's list replaces the default; what says no answer is still caught, unlisted
    assert list(own["status"]) == ["non-answer", "filler", "non-answer", "non-answer", "missing"]


# --------------------------------------------------------------------------- repeated
def test_a_repeated_non_answer_is_excluded_and_a_repeated_content_answer_stays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    texts = varied(250) + ["Very good"] * 20 + ["Excellent service."] * 12
    texts += ["Yes"] * 12 + ["[Patient too unwell]"] * 8 + ["Thank you"] * 3
    p = write(tmp_path / "t.csv", texts)
    with caplog.at_level(logging.INFO, logger="covidlearning.corpus.answers"):
        frame = load_table(p, "answer", "rid", missing_values=())
    status = dict(zip(frame["text"], frame["status"], strict=False))
    assert status["Very good"] == "ok" and status["Excellent service."] == "ok"
    assert status["Yes"] == "repeated non-answer"  # no content word, 12 of 305 rows
    assert status["[Patient too unwell]"] == "repeated non-answer"  # a placeholder, 8 rows
    assert status["Thank you"] == "ok"  # 3 rows: too few to check
    assert (frame["status"] == "repeated non-answer").sum() == 20
    assert (frame["status"] == "ok").sum() == 250 + 20 + 12 + 3
    log = caplog.text
    assert "'Very good' is 20 of the non-empty rows" in log and "kept" in log
    assert "'Yes' is 12" in log and "excluded as a repeated non-answer" in log


def test_a_rarer_repeat_goes_only_on_a_non_answer_phrase(tmp_path: Path) -> None:
    texts = varied(300) + ["[Patient too unwell]"] * 5 + ["Yes"] * 5
    texts += ["Rang pt before visit: Yes"] * 5 + ["Rang before my visit: very helpful"] * 5
    texts += ["Consent: N/A"] * 4 + ["Appointment at 10:30"] * 5
    frame = load_table(write(tmp_path / "t.csv", texts), "answer", missing_values=())
    by_text = frame.groupby("text")["status"].agg(set)
    assert by_text["[Patient too unwell]"] == {"repeated non-answer"}  # 5 of 325: a placeholder
    # a form field with a checkbox value, written by staff 5 times: a stock phrase
    assert by_text["Rang pt before visit: Yes"] == {"repeated non-answer"}
    assert by_text["Rang before my visit: very helpful"] == {"ok"}  # a comment after a colon
    assert by_text["Consent: N/A"] == {"ok"}  # 4 rows: too few to check
    assert by_text["Appointment at 10:30"] == {"ok"}  # a time, not a field and its value
    assert by_text["Yes"] == {"ok"}  # 5 of 310, under 2%: no content word is not enough


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Patient declined to comment", True),
        ("Service user did not wish to comment", True),
        ("No feedback given", True),
        ("[no response]", True),
        ("NO_RESPONSE", True),
        ("I was not given any feedback on my results", False),
        ("The nurse declined to help me", False),
        ("Yes", False),
        ("Nothing to improve", False),
        ("", False),
    ],
)
def test_says_no_answer(text: str, says: bool) -> None:
    assert says_no_answer(text) is says


def test_a_lone_non_answer_is_excluded_without_a_list(tmp_path: Path) -> None:
    texts = varied(100) + ["Patient declined to comment", "No feedback given by service user"]
    frame = load_table(write(tmp_path / "t.csv", texts), "answer", missing_values=())
    status = dict(zip(frame["text"], frame["status"], strict=True))
    assert status["Patient declined to comment"] == "non-answer"
    assert status["No feedback given by service user"] == "non-answer"
    assert (frame["status"] == "ok").sum() == 100


def test_without_a_list_did_not_answer_is_still_caught_when_it_repeats(tmp_path: Path) -> None:
    texts = varied(200) + ["Did not answer"] * 30 + ["Nothing to improve"] * 30
    frame = load_table(write(tmp_path / "t.csv", texts), "answer", missing_values=())
    by_text = frame.groupby("text")["status"].agg(set)
    assert by_text["Did not answer"] == {"non-answer"}
    assert by_text["Nothing to improve"] == {"ok"}  # content: 'improve'


def test_the_share_counts_non_empty_rows_only() -> None:
    texts = pd.Series(varied(90) + ["Skipped"] * 5 + [""] * 400)
    status = pd.Series(["ok"] * 95 + ["empty"] * 400)
    flagged = repeated_non_answers(texts, status)  # 5 of 95 non-empty rows: 5%
    assert flagged.sum() == 5 and set(texts[flagged]) == {"Skipped"}
    assert not repeated_non_answers(texts.iloc[:94], status.iloc[:94]).any()  # 4 rows: too few


@pytest.mark.parametrize(
    ("text", "carries"),
    [
        ("Very good", True),
        ("Excellent service", True),
        ("All good", True),
        ("No complaints", True),
        ("Could not fault them", True),
        ("Thank you", True),
        ("Did not answer", False),
        ("Patient declined to comment", False),
        ("Service user did not wish to comment", False),
        ("No response", False),
        ("See previous answer", False),
        ("Yes", False),
        ("NO_RESPONSE", False),
        ("<no data>", False),
        ("What could we do better", False),  # the question echoed back
    ],
)
def test_carries_content(text: str, carries: bool) -> None:
    assert carries_content(text, ["What could we do better?"])[0] is carries


# --------------------------------------------------------------------------- questions
@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What could we do better?", "improve"),
        ("How could we improve?", "improve"),
        ("Is there anything we could change?", "improve"),
        ("What could we have done differently?", "improve"),
        ("Is there anything else you would like to tell us?", "improve"),
        ("What did you not like?", "improve"),
        ("What was good?", "positive"),
        ("What did we do well?", "positive"),
        ("What did you like best about your visit?", "positive"),
        ("What went well?", "positive"),
        ("Please tell us why you gave your answer", "other"),
        ("Overall, how was your experience of our service?", "other"),
        ("What was good and what could be better?", "other"),
    ],
)
def test_classify_question(question: str, kind: str) -> None:
    assert classify_question(question) == kind


@pytest.mark.parametrize(
    ("answer", "kind", "read"),
    [
        ("Nothing", "improve", "Nothing to improve"),
        ("no.", "improve", "Nothing to improve"),
        ("None really", "improve", "Nothing to improve"),
        ("Not really", "improve", "Nothing to improve"),
        ("Nothing", "positive", "Nothing was good"),
        ("Everything!", "positive", "Everything was good"),
        ("everything", "improve", "Everything could be improved"),
        ("Nothing", "other", None),
        ("Nothing about the food was hot", "improve", None),
        ("Nothing to improve", "positive", None),  # already explicit
    ],
)
def test_read_with_question(answer: str, kind: str, read: str | None) -> None:
    assert read_with_question(answer, kind) == read  # type: ignore[arg-type]


def test_short_answer_kind() -> None:
    assert short_answer_kind("NOTHING AT ALL") == "nothing"
    assert short_answer_kind("All of it") == "everything"
    assert short_answer_kind("Lovely staff") is None


def test_short_answers_are_read_with_their_question(tmp_path: Path) -> None:
    better, good, why = "What could we do better?", "What was good?", "Why did you say that?"
    texts = ["Nothing", "Nothing", "No", "Everything", "Nothing", "N/A", "Kind staff", "Nothing"]
    asked = [better, good, better, good, why, better, good, better]
    p = write(tmp_path / "t.csv", texts, asked)
    frame = load_table(p, "answer", "rid", question_column="question")
    assert list(frame["text"]) == [
        "Nothing to improve", "Nothing was good", "Nothing to improve", "Everything was good",
        "Nothing", "N/A", "Kind staff", "Nothing to improve",
    ]  # fmt: skip
    assert list(frame["status"]) == ["ok"] * 4 + ["filler", "missing", "ok", "ok"]
    assert list(frame["original_text"]) == texts  # what respondents wrote, kept
    assert list(frame["question"]) == asked  # a metadata column, usable to group by
    assert frame["duplicate"].tolist()[-1]  # the same reading as row 0
    plain = load_table(p, "answer", "rid")  # no question column: as before
    assert list(plain["status"])[:3] == ["filler", "filler", "filler"]
    assert "original_text" not in plain.columns


def test_a_frequent_read_answer_stays_a_theme(tmp_path: Path) -> None:
    texts = varied(150) + ["Nothing"] * 40
    asked = ["Tell us about your visit"] * 150 + ["How could we improve?"] * 40
    frame = load_table(
        write(tmp_path / "t.csv", texts, asked), "answer", question_column="question"
    )
    read = frame[frame["original_text"] == "Nothing"]
    assert set(read["text"]) == {"Nothing to improve"} and set(read["status"]) == {"ok"}


def test_a_misspelt_question_column_names_the_nearest(tmp_path: Path) -> None:
    p = write(tmp_path / "t.csv", ["Nothing", "Kind staff"], ["Q1", "Q2"])
    with pytest.raises(InputError) as err:
        load_table(p, "answer", "rid", question_column="questoin")
    assert err.value.problem == (
        "column 'questoin' not found in t.csv (did you mean 'question'?); "
        "columns found: 'rid', 'answer', 'question'"
    )
    assert "--question-column" in str(err.value.fix)
