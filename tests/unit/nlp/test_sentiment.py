"""Tests for covidlearning.nlp.sentiment: VADER read as feedback is written."""

from __future__ import annotations

import numpy as np
import pytest

from covidlearning.nlp.sentiment import compound, compounds, for_sentiment

CUT = 0.05


@pytest.mark.parametrize(
    "text",
    [
        "Nothing, everything was excellent",
        "Nothing. Perfect.",
        "None, all excellent",
        "Nothing - excellent service",
        "Nothing at all, the care was wonderful",
        "Not a thing, brilliant service",
        "Nothing It was fantastic",
        "Nothing it was fantastic",
        "Nothing everything excellent",
        "No, nothing. The staff were lovely",
        "Nothing was too much trouble.",
        "Nothing seemed too much trouble for the nurses",
        "The treatment has been second to none, [NAME] brilliant.",
    ],
)
def test_a_bare_no_before_praise_is_praise(text: str) -> None:
    # VADER reads "nothing" three words back across the comma: all of these scored < 0
    assert compound(text) > CUT


@pytest.mark.parametrize(
    "text",
    ["Nothing, it was awful", "Not really, it was bad", "No, it wasn't good"],
)
def test_a_bare_no_before_a_complaint_is_a_complaint(text: str) -> None:
    # "Nothing, it was awful" scored +0.36: the answer negated the complaint after it
    assert compound(text) < -CUT


@pytest.mark.parametrize("text", ["Nothing", "No", "No.", "None", "Nothing to improve"])
def test_a_bare_answer_alone_carries_no_sentiment(text: str) -> None:
    assert abs(compound(text)) < CUT


def test_a_negation_ends_with_its_sentence() -> None:
    # VADER looks three words back across the full stop: "not" negated "Lovely"
    assert compound("The food was not hot. Lovely staff") > CUT
    assert compound("The staff were great. Nothing, it was awful") < compound(
        "The staff were great. It was fine"
    )
    assert compound("Lovely. Nothing, all fine") > CUT  # a bare answer opening a sentence
    assert compound("The food was not hot\nLovely staff") > CUT  # or a line
    assert compound("Lovely staff\nNothing, all fine") > CUT
    assert compound("Nothing\nEverything was excellent") > CUT


@pytest.mark.parametrize(
    "text",
    [
        "The food was not good",
        "Not helpful at all",
        "Staff were not friendly, helpful or caring",  # through a list
        "I would not, however, recommend this service",  # through an aside
        "NOTHING WAS GOOD",  # capitals open no sentence
        "Nothing Good To Say About The Ward",
        "NONE WERE HELPFUL",
        "Nothing good to say about the ward",
        "Nothing special",
        "Nothing all that great",  # "all" and "absolutely" may go on the negation
        "Nothing absolutely great about it",
    ],
)
def test_a_negation_still_reads_inside_its_sentence(text: str) -> None:
    assert compound(text) < -CUT


def test_the_reading_changes_nothing_else() -> None:
    assert compound("Nothing I didn't like") > -CUT  # "I" opens no new sentence here
    # "but" still weighs the clause after it; capitals weigh the same with a break or not
    assert compound("The care was great, but the food was awful") < compound(
        "The care was great, and the food was fine"
    )
    assert compound("TERRIBLE SERVICE. RUDE STAFF") == compound("TERRIBLE SERVICE RUDE STAFF")
    out = for_sentiment("Lovely staff, kind nurses. Thank you!")
    assert [w for w in out.split() if w != "··"] == "Lovely staff, kind nurses. Thank you!".split()
    assert compounds(["Lovely staff", "", "Awful wait"]).tolist() == [
        compound("Lovely staff"),
        0.0,
        compound("Awful wait"),
    ]


def test_themes_and_coding_read_sentiment_alike() -> None:
    from covidlearning.coding.stance import compound as stance_compound
    from covidlearning.themes.labels import sentiments

    texts = ["No complaints", "Nothing, excellent", "Awful wait", "Couldn't be improved"]
    assert np.array_equal(sentiments(texts), np.array([stance_compound(t) for t in texts]))


@pytest.mark.parametrize(
    "text",
    [
        "Everything could be improved",
        "The food could be improved",
        "Communication needs to be improved",
        "Parking should be improved.",
        "It could be much improved",
        "Access could be greatly improved",
    ],
)
def test_a_wish_to_improve_is_not_praise(text: str) -> None:
    # VADER scored each of these +0.48 for "improved"
    assert compound(text) < CUT


def test_an_improvement_that_happened_stays_praise() -> None:
    assert compound("Things have improved a lot") > CUT
