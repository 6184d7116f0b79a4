"""Quality measures: NPMI coherence, topic diversity, stability and outliers."""

import math

import pytest

from covidlearning.themes.quality import npmi_coherence, outlier_stats, stability, topic_diversity


def test_npmi_perfect_and_never_together():
    docs = [{"a", "b"}, {"a", "b"}, {"c"}, {"d"}]
    # p(a)=p(b)=p(ab)=0.5 -> log(0.5/0.25)/-log(0.5) = 1
    assert npmi_coherence([["a", "b"]], docs)["mean"] == pytest.approx(1.0)
    # c and d never co-occur -> -1
    assert npmi_coherence([["c", "d"]], docs)["mean"] == pytest.approx(-1.0)


def test_npmi_hand_computed_value():
    docs = [{"a", "b"}, {"a"}, {"b"}, {"c"}]
    # p(a)=p(b)=0.5, p(ab)=0.25 -> log(0.25/0.25)=0 -> independent
    assert npmi_coherence([["a", "b"]], docs)["mean"] == pytest.approx(0.0)
    docs = [{"a", "b"}, {"a", "b"}, {"a"}, {"c"}]
    # p(a)=.75 p(b)=.5 p(ab)=.5 -> log(.5/.375)/-log(.5)
    expected = math.log(0.5 / 0.375) / -math.log(0.5)
    assert npmi_coherence([["a", "b"]], docs)["mean"] == pytest.approx(expected)


def test_npmi_skips_unknown_words_and_single_word_topics():
    docs = [{"a", "b"}, {"a"}]
    out = npmi_coherence([["a", "zzz"], ["a", "b"]], docs)
    assert out["per_topic"][0] is None
    assert out["mean"] == pytest.approx(out["per_topic"][1])


def test_topic_diversity():
    assert topic_diversity([["a", "b"], ["c", "d"]]) == 1.0
    assert topic_diversity([["a", "b"], ["a", "b"]]) == 0.5
    assert topic_diversity([]) is None


def test_stability_mean_ari():
    ref = [0, 0, 1, 1]
    out = stability(ref, [[1, 1, 0, 0], [0, 0, 1, 1]])
    assert out["mean_ari"] == pytest.approx(1.0)
    assert out["runs"] == 2
    worse = stability(ref, [[0, 1, 0, 1]])
    assert worse["mean_ari"] < 0.1
    assert stability(ref, [])["mean_ari"] is None


def test_outlier_stats():
    assert outlier_stats([-1, 0, 0, -1]) == {"count": 2, "share": 0.5}
    assert outlier_stats([]) == {"count": 0, "share": 0.0}
