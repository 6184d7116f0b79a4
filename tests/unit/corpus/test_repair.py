"""The shifted capital i: found from each answer's own evidence, repaired without touching names."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from covidlearning.corpus.load import load_table
from covidlearning.corpus.repair import has_shifted_i, normalise_answer, repair_shifted_i


@pytest.mark.parametrize(
    ("damaged", "repaired"),
    [
        ("NothIng could be better", "Nothing could be better"),
        ("Good sessIon, well delIvered.", "Good session, well delivered."),
        (
            "BookIng home vIsIts lets the servIce down.",
            "Booking home visits lets the service down.",
        ),
        # function words lose the capital mid-sentence; a sentence's first word keeps it
        ("It Is kInd. It was fIne Into the evenIng", "It is kind. It was fine into the evening"),
        # most i's shifted, not all
        ("EverythIng was explaIned, nothIng left out and the exercises helped",
         "Everything was explained, nothing left out and the exercises helped"),
        ("co-ordInatIon was poor", "co-ordination was poor"),
        ("FIne. DIffIcult to fault", "Fine. Difficult to fault"),
        ("UTIs treated quIckly", "UTIs treated quickly"),  # an acronym's plural keeps its I
        ("Very InformatIve and Invaluable", "Very informative and invaluable"),
    ],
)  # fmt: skip
def test_shifted_answers_are_repaired(damaged: str, repaired: str) -> None:
    assert has_shifted_i(damaged)
    assert repair_shifted_i(damaged) == repaired


def test_capitals_that_may_be_real_stay() -> None:
    text = "I'm happy wIth the ICU and INR clInIc, thanks to Ian and Irene. (It helped.)"
    assert repair_shifted_i(text) == (
        "I'm happy with the ICU and INR clinic, thanks to Ian and Irene. (It helped.)"
    )
    # a word starting with I mid-sentence keeps its capital if it may be a name the
    # redaction must still see (a listed name, even one that is also a word, or unknown)
    assert repair_shifted_i("Thank you to Imran and Iris for the InformatIon, Iveta too") == (
        "Thank you to Imran and Iris for the information, Iveta too"
    )


@pytest.mark.parametrize(
    "text",
    [
        "In the end it was fine",  # no I after a lower-case letter
        "I think the ICU was Impressive",  # capital words only
        "It was workIng well, and I received it in time with a visit",  # i's mostly lower case
    ],
)
def test_answers_without_the_damage_are_unchanged(text: str) -> None:
    assert not has_shifted_i(text)
    assert repair_shifted_i(text) == text


def test_normalise_answer_fixes_mojibake_spaces_and_case() -> None:
    assert normalise_answer("  The cafÃ©  was\n nIce ") == "The café was nice"


def test_load_table_repairs_case_and_keeps_keys(tmp_path: Path) -> None:
    p = tmp_path / "fft.csv"
    pd.DataFrame(
        {"id": ["a", "b", "c"], "comment": ["NothIng to Improve", "Nothing to improve", "FIne"]}
    ).to_csv(p, index=False)
    df = load_table(p, "comment", "id")
    assert df["text"].tolist() == ["Nothing to improve", "Nothing to improve", "Fine"]
    # case is all that changed: the repaired answer is still the other's duplicate
    assert df["duplicate"].tolist() == [False, True, False]
    assert pd.read_csv(p)["comment"].tolist()[0] == "NothIng to Improve"  # raw data untouched


@pytest.mark.parametrize(
    "text",
    [
        "Thanks to Inès wIth the care",  # a name in letters beyond ASCII
        "seen at Ipswich Hospital wIth kIndness",  # a place that is also a listed word
        "Thank you to Imran and Iris for the InformatIon",
        "Dr McIntyre and nurse Isla were kInd to my mum",
    ],
)
def test_repair_never_takes_a_capital_that_redaction_reads(text: str) -> None:
    from covidlearning.privacy.redact import redact_text

    before, after = redact_text(text), redact_text(repair_shifted_i(text))
    assert after.count("[") == before.count("[") > 0  # the same names and places caught


@pytest.mark.parametrize(
    ("text", "repaired"),
    [
        ("PIs were supportive, the CIs overlap", None),  # acronyms' plurals: no damage
        ("Dr McIntyre was great", None),  # Mc, Mac: a name's capital, no damage
        ("Good\nImproved parkIng wIth lIghts", "Good\nImproved parking with lights"),
        ("- Improve the servIce", "- Improve the service"),  # a bullet starts a clause
        ("seen at Ipswich Hospital wIth kIndness", "seen at Ipswich Hospital with kindness"),
    ],
)  # fmt: skip
def test_names_acronyms_lines_and_bullets(text: str, repaired: str | None) -> None:
    assert has_shifted_i(text) is (repaired is not None)
    assert repair_shifted_i(text) == (repaired or text)


def test_load_counts_the_answers_it_repaired(tmp_path: Path, caplog) -> None:
    p = tmp_path / "fft.csv"
    pd.DataFrame({"comment": ["NothIng to Improve", "Fine", "Good sessIon\nwell run"]}).to_csv(
        p, index=False
    )
    with caplog.at_level("INFO", logger="covidlearning.corpus.load"):
        df = load_table(p, "comment")
    assert df["text"].tolist() == ["Nothing to improve", "Fine", "Good session well run"]
    assert "2 answers of fft.csv wrote lower-case i as I" in caplog.text
