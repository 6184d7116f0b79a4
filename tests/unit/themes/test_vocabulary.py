"""The vocabulary that may describe themes: k distinct respondents, never a name (issue 20)."""

from __future__ import annotations

from covidlearning.nlp.text import TopicTokenizer
from covidlearning.themes.represent import shared_vocabulary


def _texts() -> tuple[list[str], list[str]]:
    docs, ids = [], []
    for i in range(12):  # 12 respondents mention parking and "okafor"
        docs.append(f"Parking was terrible and okafor helped, visit {i}")
        ids.append(f"r{i}")
    for i in range(9):  # 9 respondents mention the canteen: below k = 10
        docs.append("The canteen food was cold")
        ids.append(f"s{i}")
    for _ in range(15):  # one respondent repeating a street name 15 times is still one
        docs.append("Acacia gardens flooding again")
        ids.append("t0")
    return docs, ids


def test_terms_need_k_distinct_respondents_and_no_name():
    docs, ids = _texts()
    tok = TopicTokenizer().fit(docs)
    vocab = shared_vocabulary(docs, ids, tok, min_respondents=10)
    terms = set(vocab)
    assert "parking" in terms and "terrible" in terms
    assert "okafor" not in terms  # 12 respondents, but a name
    assert not {"canteen", "food", "cold"} & terms  # 9 respondents < 10
    assert not {"acacia", "gardens", "flooding"} & terms  # one respondent
    assert list(vocab.values()) == list(range(len(vocab)))
    # a lower k lets the canteen in, still never the name
    low = set(shared_vocabulary(docs, ids, tok, min_respondents=9))
    assert "canteen" in low and "okafor" not in low


def test_one_text_per_respondent_counts_texts():
    docs, _ = _texts()
    ids = [f"u{i}" for i in range(len(docs))]  # every text its own respondent
    tok = TopicTokenizer().fit(docs)
    terms = set(shared_vocabulary(docs, ids, tok, min_respondents=10))
    assert {"acacia", "gardens", "flooding"} <= terms  # 15 respondents now
    assert not {"canteen", "food"} & terms and "okafor" not in terms
