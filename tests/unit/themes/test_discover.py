"""Theme discovery's steps with stand-in embeddings: parameters, lifetimes, quotes, checks."""

import json

import numpy as np
import pandas as pd
import pytest

from covidlearning.config import DiscoverConfig
from covidlearning.errors import InputError
from covidlearning.themes.consensus import choose_params, consensus_cluster, knn_vote
from covidlearning.themes.discover import THEME_COLUMNS, discover, select_quotes
from covidlearning.themes.texts import MIN_TEXTS_FOR_THEMES, check_usable


def frame_of(texts, statuses=None):
    statuses = statuses or ["ok"] * len(texts)
    return pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(len(texts))],
            "text": texts,
            "status": statuses,
            "duplicate": [False] * len(texts),
        }
    )


# --------------------------------------------------------------------------- parameters
@pytest.mark.parametrize("n", [8, 50, 128, 1000, 3000, 100_000])
def test_params_adapt_to_n(n):
    p = choose_params(n)
    assert p.sample_size == min(n, 2000)
    assert all(2 <= k < p.sample_size for k in p.k_grid)
    assert p.min_topic_size == max(2, -(-n // 200))
    assert p.k_max < p.sample_size


def test_params_small_vs_large():
    small, large = choose_params(50), choose_params(100_000)
    assert small.consensus_runs > large.consensus_runs
    assert max(small.k_grid) < max(large.k_grid)
    assert small.min_topic_size == 2 and large.min_topic_size == 500


# --------------------------------------------------------------------------- quotes
def test_quotes_only_from_own_topic_deduplicated_and_diverse():
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(8, 4)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    docs = ["a", "A ", "b", "c", "d", "e", "shared", "shared"]
    ids = [f"id{i}" for i in range(8)]
    topics = np.array([0, 0, 0, 0, 1, 1, 0, 1])
    q = select_quotes(0, topics, emb, docs, ids, n_quotes=10)
    assert set(q) <= {"id0", "id1", "id2", "id3"}  # never topic 1, never "shared"
    assert not {"id0", "id1"} <= set(q)  # "a" and "A " are the same text
    assert len(q) == 3
    assert select_quotes(0, topics, emb, docs, ids, n_quotes=2) == q[:2]


def test_quotes_prefer_eligible_and_mmr_avoids_near_duplicates():
    emb = np.array([[1, 0], [0.999, 0.045], [0.8, 0.6], [0, 1]], dtype=np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    topics = np.zeros(4, dtype=int)
    q = select_quotes(0, topics, emb, ["w", "x", "y", "z"], ["0", "1", "2", "3"], 2, diversity=0.5)
    assert "0" in q or "1" in q
    assert not {"0", "1"} <= set(q)
    eligible = np.array([False, False, True, True])
    q = select_quotes(0, topics, emb, ["w", "x", "y", "z"], ["0", "1", "2", "3"], 4, eligible)
    assert set(q) == {"2", "3"}


# --------------------------------------------------------------------------- clustering
def blobs(n_per=20, k=3, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, dim)) * 4
    x = np.vstack([c + rng.normal(size=(n_per, dim)) for c in centres]).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True), np.repeat(np.arange(k), n_per)


def test_consensus_finds_k_without_being_told():
    from sklearn.metrics import adjusted_rand_score

    x, y = blobs()
    c = consensus_cluster(x, choose_params(len(x), consensus_runs=3), seed=1)
    assert c.k == 3
    assert adjusted_rand_score(y, c.labels) > 0.95
    assert c.membership.min() >= 0 and c.membership.max() <= 1
    again = consensus_cluster(x, choose_params(len(x), consensus_runs=3), seed=1)
    assert np.array_equal(c.labels, again.labels)


def test_consensus_cuts_at_requested_number():
    x, _ = blobs(k=4)
    c = consensus_cluster(x, choose_params(len(x), consensus_runs=2), seed=0, n_topics=2)
    assert len(set(c.labels.tolist())) == 2
    assert c.rule == "cut at the requested 2 (--topics)"


def test_consensus_says_how_it_chose_k():
    x, _ = blobs()  # 60 texts: 8-15 themes preferred; three separated groups win
    c = consensus_cluster(x, choose_params(len(x), consensus_runs=3), seed=1)
    assert c.k == 3 and c.rule.startswith("longest dendrogram lifetime: a cut coarser than")
    x, _ = blobs(n_per=6, k=10)
    c = consensus_cluster(x, choose_params(len(x), consensus_runs=3), seed=1)
    assert c.rule.startswith("longest dendrogram lifetime among the preferred")


def test_knn_vote_places_unsampled_rows():
    x, y = blobs(n_per=30)
    sample = np.arange(0, len(x), 3)
    labels, share = knn_vote(x, sample, y[sample], k=5)
    assert (labels == y).mean() > 0.95
    assert np.array_equal(labels[sample], y[sample])
    assert share.min() > 0 and share.max() <= 1


# --------------------------------------------------------------------------- input handling
def test_too_few_usable_texts_is_input_error():
    f = frame_of(["N/A", "", "ok text", "nothing"], ["filler", "empty", "ok", "filler"])
    with pytest.raises(InputError, match="usable texts"):
        check_usable(f)
    with pytest.raises(InputError):
        discover(f, DiscoverConfig())


def test_identical_texts_give_no_themes_without_crashing():
    f = frame_of(["Staff were kind."] * 12 + ["N/A"], ["ok"] * 12 + ["filler"])
    res = discover(f, DiscoverConfig(), progress=False)
    assert res.model is None
    assert "identical" in res.metrics["no_themes_found"]
    assert len(res.assignments) == 13
    assert res.assignments["topic"].isna().all()
    assert res.assignments["status"].iloc[-1] == "filler"
    assert res.assignments["status"].iloc[0].startswith("no themes found")


def test_a_run_logs_what_it_decides():
    import logging

    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    logger = logging.getLogger("covidlearning.themes.discover")
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        f = frame_of(["Staff were kind."] * 12 + ["N/A", ""], ["ok"] * 12 + ["filler", "empty"])
        discover(f, DiscoverConfig(), progress=False)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert records[0] == "modelling 12 of 14 rows; excluded: 1 empty, 1 filler"
    assert records[1] == "no themes found: all 12 texts are identical or nearly so"


def test_too_few_texts_for_themes(tmp_path):
    texts = ["Parking was free.", "Video calls saved time.", "The team met daily."]
    assert len(texts) < MIN_TEXTS_FOR_THEMES
    res = discover(frame_of(texts), DiscoverConfig(), progress=False)
    assert "at least" in res.metrics["no_themes_found"]
    res.save(tmp_path / "out")
    a = pd.read_csv(tmp_path / "out" / "assignments.csv")
    assert list(a.columns) == ["id", "topic", "theme", "label", "probability", "status"]
    assert len(a) == 3
    assert list(pd.read_csv(tmp_path / "out" / "topics.csv").columns) == [
        "topic",
        "label",
        "theme",
        "theme_label",
        "size",
        "share",
        "positive",
        "negative",
        "keywords",
        "quote_ids",
    ]
    assert list(pd.read_csv(tmp_path / "out" / "themes.csv").columns) == THEME_COLUMNS
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["no_themes_found"]


def test_refine_auto_runs_for_mid_sized_tables_only():
    from covidlearning.themes.refine import (
        REFINE_MAX_TEXTS,
        REFINE_MIN_TEXTS,
        refine_blocked,
        refine_wanted,
    )

    auto = DiscoverConfig()
    assert not refine_wanted(auto, REFINE_MIN_TEXTS - 1)
    assert refine_wanted(auto, REFINE_MIN_TEXTS) and refine_wanted(auto, REFINE_MAX_TEXTS)
    assert not refine_wanted(auto, REFINE_MAX_TEXTS + 1)
    assert refine_wanted(DiscoverConfig(refine=True), 50)
    assert not refine_wanted(DiscoverConfig(refine=False), 3000)
    two, one = np.array([0, 1, -1]), np.array([0, 0, -1, 0])
    # a document's units (row-order context) are left alone unless asked
    assert "document's units" in refine_blocked(auto, True, two)
    assert refine_blocked(DiscoverConfig(refine=True), True, two) is None
    # one theme (plus outliers) leaves nothing to tell apart, even when asked
    assert refine_blocked(DiscoverConfig(refine=True), False, one) == (
        "fewer than 2 themes to tell apart"
    )
    assert refine_blocked(auto, False, two) is None


def test_moved_share_matches_themes_before_counting():
    from covidlearning.themes.refine import _moved_share

    before = np.array([0, 0, 0, 1, 1, 1])
    assert _moved_share(before, np.array([5, 5, 5, 2, 2, 2])) == 0  # renumbered only
    assert _moved_share(before, np.array([5, 5, 2, 2, 2, 2])) == pytest.approx(1 / 6)
    # outliers (-1) had no theme to leave: only the 4 themed texts count
    before = np.array([0, 0, 1, 1, -1, -1])
    assert _moved_share(before, np.array([3, 3, 4, 3, 4, 3])) == pytest.approx(1 / 4)
    assert _moved_share(np.array([-1, -1]), np.array([0, 1])) == 0


#: The row-order context forced on (``auto`` leaves a table's order alone).
ON = DiscoverConfig(context="on")


def _sections(n_sections: int = 12, per: int = 7, seed: int = 0):
    """Embeddings of a report in sections: 3 themes, and two vague units in each section."""
    rng = np.random.default_rng(seed)
    axes = np.eye(3, 32)
    vecs, truth, vague = [], [], []
    for part in range(n_sections):
        theme = part % 3
        for j in range(per):
            is_vague = j in (2, 5)
            signal = 0.0 if is_vague else 1.0
            vecs.append(signal * axes[theme] + rng.normal(0, 0.35, 32))
            truth.append(theme)
            vague.append(is_vague)
    return np.asarray(vecs, dtype=np.float32), np.array(truth), np.array(vague)


def test_row_order_context_places_units_that_say_little_themselves():
    from covidlearning.config import DiscoverConfig
    from covidlearning.themes.discover import _order_context

    emb, truth, vague = _sections()
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    topics = np.where(vague, 0, truth)  # the clustering lumped the vague units into theme 0
    prob = np.ones(len(truth))
    got = _order_context(emb, topics, prob, None, ON)
    assert got["used"] is True and got["stickiness"] >= 0.2 and got["moved"] > 0
    assert (topics[vague] == truth[vague]).mean() > 0.55  # was 1/3
    assert (topics[~vague] == truth[~vague]).mean() > 0.9
    assert ((prob < 1) == (np.where(vague, 0, truth) != topics)).all()  # moved rows only

    # the same units shuffled: no order, nothing moves
    perm = np.random.default_rng(0).permutation(len(truth))
    lumped = np.where(vague, 0, truth)[perm]
    got = _order_context(emb[perm], lumped.copy(), np.ones(len(truth)), None, ON)
    assert got["used"] is False and got["moved"] == 0
    off = _order_context(emb, np.where(vague, 0, truth), prob, None, DiscoverConfig(context="off"))
    assert off["used"] is False and off["reason"] == "off" and off["moved"] == 0


def test_row_order_context_auto_is_off_for_tables_and_on_for_documents():
    """An export's row order is an artefact: ``auto`` reads the order of documents only."""
    from covidlearning.themes.discover import TABLE_ORDER, _order_context

    emb, truth, vague = _sections()
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    lumped = np.where(vague, 0, truth)
    table = _order_context(emb, lumped.copy(), np.ones(len(truth)), None, DiscoverConfig())
    assert table["used"] is False and table["reason"] == TABLE_ORDER and table["moved"] == 0
    docs = np.zeros(len(truth), dtype=int)  # one document: its units keep the order
    topics = lumped.copy()
    got = _order_context(emb, topics, np.ones(len(truth)), docs, DiscoverConfig())
    assert got["used"] is True and got["moved"] > 0
    assert (topics[vague] == truth[vague]).mean() > 0.55


def test_row_order_context_never_empties_a_theme():
    """Moves that would take a theme below its floor (min_size, or --topics N) are undone."""
    from covidlearning.themes.discover import _order_context

    emb, truth, vague = _sections()
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    lumped = np.where(vague, 0, truth)  # theme 0 holds its own units and every vague one
    size0 = int((lumped == 0).sum())
    free = lumped.copy()
    got = _order_context(emb, free, np.ones(len(truth)), None, ON, min_size=1)
    assert got["used"] is True and (free == 0).sum() < size0  # the order takes units out of 0
    held = lumped.copy()
    got = _order_context(emb, held, np.ones(len(truth)), None, ON, min_size=99)
    assert (held == 0).sum() >= size0  # a floor above its size: nothing leaves theme 0
    assert set(held.tolist()) == {0, 1, 2}


def test_row_order_context_floors_hold_after_knock_on_undos(monkeypatch):
    """Undoing one theme's losses can take another below its floor: undo until none is."""
    import covidlearning.nlp.context as context
    from covidlearning.themes.discover import _order_context

    topics = np.array([0, 1, 1, 2, 2, 2, 2, 2])
    wanted = np.array([2, 0, 2, 2, 2, 2, 2, 2])  # 0 -> 2, 1 -> 0, 1 -> 2

    calls = []

    def moves(probs, documents=None):  # the first round moves as wanted, then nothing
        calls.append(1)
        if len(calls) > 1:
            return context.ContextResult(probs, 0.0, False, "stub", 7)
        p = np.full(probs.shape, 0.01)
        p[np.arange(len(p)), wanted] = 1.0
        return context.ContextResult(p / p.sum(1, keepdims=True), 0.9, True, "stub", 7)

    monkeypatch.setattr(context, "order_context", moves)
    emb = np.random.default_rng(0).normal(size=(8, 8)).astype(np.float32)
    _order_context(emb, topics, np.ones(8), None, ON, min_size=1)
    assert set(topics.tolist()) == {0, 1, 2}  # --topics 3 stays 3


def test_quotes_are_in_the_respondents_own_words_where_a_theme_has_any(monkeypatch):
    """A bare "Everything" read with its question is modelled, not offered as a quote."""
    import covidlearning.themes.discover as disc
    from covidlearning.themes.texts import usable_texts

    rng = np.random.default_rng(0)
    food = [f"The food on day {i} was hot and tasty." for i in range(20)]
    park = [f"Parking on visit {i} cost too much." for i in range(20)]
    f = frame_of(food + park + ["Everything was good"])
    f["original_text"] = food + park + ["Everything"]
    own = usable_texts(f).own_words
    assert not own[40] and own[:40].all()
    assert usable_texts(frame_of(food)).own_words.all()  # no question column: all own words
    offered: list[np.ndarray] = []

    def spy(*args, **kwargs):
        offered.append(np.asarray(args[6]))
        return select_quotes(*args, **kwargs)

    monkeypatch.setattr(disc, "select_quotes", spy)
    centre = np.zeros((2, 384))
    centre[0, 0] = centre[1, 1] = 1.0
    emb = np.vstack(
        [
            centre[0] + 0.01 * rng.standard_normal((20, 384)),
            centre[1] + 0.01 * rng.standard_normal((20, 384)),
            centre[0] + 0.002 * rng.standard_normal((1, 384)),
        ]
    )
    cfg = DiscoverConfig(n_quotes=3, refine="off", stability_runs=0)
    res = disc.discover(f, cfg, progress=False, embeddings=emb.astype(np.float32))
    assert offered and all(not e[40] and e[:40].any() for e in offered)
    assert res.assignments.set_index("id").loc["r40", "read_as"] == "Everything was good"


def test_answers_read_as_one_phrase_get_a_subtheme_of_their_own():
    """ "Nothing" read as "Nothing was good" embeds beside "Everything was good"; the texts
    read as one phrase, enough of them, are not counted in their opposite's subtheme."""
    rng = np.random.default_rng(0)
    park = [f"Parking on visit {i} cost too much." for i in range(30)]
    texts = park + ["Everything was good"] * 30 + ["Nothing was good"] * 12
    f = frame_of(texts)
    f["original_text"] = park + ["Everything"] * 30 + ["Nothing"] * 12
    centre = np.zeros((2, 384))
    centre[0, 0] = centre[1, 1] = 1.0
    emb = np.vstack(
        [
            centre[1] + 0.01 * rng.standard_normal((30, 384)),
            np.tile(centre[0] + 0.001 * rng.standard_normal(384), (30, 1)),
            np.tile(centre[0] + 0.001 * rng.standard_normal(384), (12, 1)),
        ]
    )
    cfg = DiscoverConfig(refine="off", stability_runs=0)
    res = discover(f, cfg, progress=False, embeddings=emb.astype(np.float32))
    a = res.assignments
    good, bad = set(a["topic"].iloc[30:60]), set(a["topic"].iloc[60:])
    assert len(good) == len(bad) == 1 and good != bad
    assert set(a["topic"].iloc[:30]).isdisjoint(good | bad)
    labels = res.topics.set_index("topic")["label"]
    assert labels[bad.pop()] == "Nothing was good" and labels[good.pop()] == "Everything was good"
    assert (a["probability"].iloc[60:] == 1.0).all()


def _apart(docs, own, topics, floor=10, n_topics=None):
    """``_read_answers_apart`` on a stand-in run: the topics it leaves."""
    from types import SimpleNamespace

    import covidlearning.themes.discover as disc

    run = SimpleNamespace(texts=SimpleNamespace(own_words=np.array(own), docs=docs), metrics={})
    themes = disc._Themes(np.array(topics), np.full(len(topics), 0.8), np.full(len(topics), "ok"))
    return disc._read_answers_apart(run, themes, floor, n_topics).topics


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # most of its subtheme: a stray copy joins it, no subtheme is made
        ("join", {0: 30, 1: 36}),
        # 12 among 20 others: a subtheme of their own
        ("minority", {0: 30, 1: 20, 2: 12}),
        # the move would leave subtheme 2 under the floor: its copies stay
        ("floor", {0: 30, 1: 18, 2: 14, 3: 12}),
        # a stray copy stays too where leaving would take its subtheme under the floor
        ("stray", {0: 30, 1: 35, 2: 10}),
        # 12 of 14 in subtheme 2 and 15 of 100 in subtheme 1: all join subtheme 2
        ("home", {0: 30, 1: 85, 2: 29}),
    ],
)
def test_read_answers_apart_keeps_subthemes_whole(case, expected):
    park, bad = ["Parking cost"] * 30, "Nothing was good"
    if case == "stray":
        docs = park + [bad] * 30 + ["Staff kind"] * 5 + ["Food"] * 8 + [bad] * 2
        own = [True] * 30 + [False] * 30 + [True] * 13 + [False] * 2
        topics = [0] * 30 + [1] * 35 + [2] * 10
    elif case == "home":
        docs = park + ["Staff kind"] * 85 + [bad] * 15 + ["Food"] * 2 + [bad] * 12
        own = [True] * 115 + [False] * 15 + [True] * 2 + [False] * 12
        topics = [0] * 30 + [1] * 100 + [2] * 14
    elif case == "join":
        docs = park + ["Everything was good"] * 30 + ["Staff kind"] * 5 + ["Everything was good"]
        own, topics = [True] * 30 + [False] * 30 + [True] * 5 + [False], [0] * 30 + [1] * 35 + [0]
    elif case == "minority":
        docs, own = park + ["Staff kind"] * 20 + [bad] * 12, [True] * 50 + [False] * 12
        topics = [0] * 30 + [1] * 32
    else:
        docs = park + ["Staff kind"] * 18 + [bad] * 12 + ["Food"] * 8 + [bad] * 6
        own = [True] * 48 + [False] * 12 + [True] * 8 + [False] * 6
        topics = [0] * 30 + [1] * 30 + [2] * 14
    got = _apart(docs, own, topics)
    assert dict(zip(*np.unique(got, return_counts=True), strict=True)) == expected
    assert np.array_equal(_apart(docs, own, topics, n_topics=2), topics)  # --topics N: as asked
