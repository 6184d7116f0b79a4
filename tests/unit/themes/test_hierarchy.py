"""Themes over subthemes: Ward on their words (or centroids), cut where best separated."""

import numpy as np

from covidlearning.themes.hierarchy import (
    HIERARCHY_MIN_TEXTS,
    MAX_THEME_SHARE,
    MAX_THEMES,
    MIN_THEMES,
    build_hierarchy,
    term_coordinates,
    ward_tree,
)


def _nested(n_groups=6, subs=3, per=30, seed=0, dim=48):
    """Texts in ``n_groups`` well separated groups, each of ``subs`` nearby subgroups."""
    rng = np.random.default_rng(seed)
    vecs, topics, group = [], [], []
    for g in range(n_groups):
        centre = np.zeros(dim)
        centre[g] = 4.0
        for s in range(subs):
            sub = centre + rng.normal(0, 0.6, dim)
            for _ in range(per):
                vecs.append(sub + rng.normal(0, 0.15, dim))
                topics.append(g * subs + s)
                group.append(g)
    x = np.asarray(vecs)
    return x / np.linalg.norm(x, axis=1, keepdims=True), np.array(topics), np.array(group)


def test_ward_tree_merges_nearest_small_groups_first():
    cents = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [5.2, 0.0]])
    parts, heights = ward_tree(cents, np.array([1, 1, 1, 1]))
    assert parts[0] == [0, 1, 2, 3] and len(parts) == 4
    assert parts[2][0] == parts[2][1] and parts[2][2] == parts[2][3]
    assert parts[2][0] != parts[2][2]
    assert heights == sorted(heights) and len(heights) == 3
    # size weighs the cost: a big group pays more to merge at the same distance
    _, heavy = ward_tree(cents[:2], np.array([100, 100]))
    _, light = ward_tree(cents[:2], np.array([1, 1]))
    assert heavy[0] > light[0]


def test_hierarchy_recovers_the_groups_over_their_subthemes():
    x, topics, group = _nested()
    tree = build_hierarchy(x, topics)
    assert tree.levels == 2
    themes = tree.themes(topics)
    assert len(set(themes.tolist())) == 6
    # every theme holds exactly one true group's subthemes
    for h in set(themes.tolist()):
        assert len(set(group[themes == h].tolist())) == 1
    assert {len(ts) for ts in tree.members().values()} == {3}
    assert MIN_THEMES <= len(tree.members()) <= MAX_THEMES


def test_hierarchy_numbers_themes_by_size_and_ignores_row_order():
    x, topics, _ = _nested(n_groups=5, subs=2, per=40)
    keep = np.ones(len(topics), dtype=bool)
    keep[topics == 0] = False  # group 0 loses a subtheme: the smallest theme
    x, topics = x[keep], topics[keep]
    tree = build_hierarchy(x, topics)
    sizes = [int((tree.themes(topics) == h).sum()) for h in sorted(tree.members())]
    assert sizes == sorted(sizes, reverse=True)
    perm = np.random.default_rng(1).permutation(len(topics))
    again = build_hierarchy(x[perm], topics[perm])
    assert again.theme_of == tree.theme_of


def test_hierarchy_stable_under_float_noise():
    x, topics, _ = _nested(seed=3)
    base = build_hierarchy(x, topics).theme_of
    rng = np.random.default_rng(0)
    for _ in range(5):
        noisy = x + rng.normal(0, 1e-6, x.shape)
        assert build_hierarchy(noisy, topics).theme_of == base


def test_small_corpora_have_one_level():
    x, topics, _ = _nested(n_groups=2, subs=3, per=20)
    assert len(topics) < HIERARCHY_MIN_TEXTS
    tree = build_hierarchy(x, topics)
    assert tree.levels == 1 and tree.theme_of == {t: t for t in range(6)}
    assert tree.joined_by == ""
    assert "one level" in tree.rule
    # enough texts but too few topics to group: one level too
    x, topics, _ = _nested(n_groups=2, subs=2, per=100)
    assert build_hierarchy(x, topics).levels == 1


def test_ward_tree_leaves_the_callers_sizes_alone():
    cents = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0]])
    sizes = np.array([3.0, 4.0, 5.0])
    ward_tree(cents, sizes)
    assert sizes.tolist() == [3.0, 4.0, 5.0]


def test_theme_zero_is_the_largest_by_texts():
    x, topics, group = _nested(n_groups=6, subs=4, per=30, seed=2)
    # group 3 keeps its 4 subthemes, the others 2 each: its theme is twice as large
    keep = (group == 3) | (topics % 4 < 2)
    x, topics = x[keep], topics[keep]
    tree = build_hierarchy(x, topics)
    sizes = np.bincount(tree.themes(topics))
    assert len(sizes) == 6
    assert sizes.tolist() == sorted(sizes.tolist(), reverse=True)
    assert {tree.theme_of[t] for t in (12, 13, 14, 15)} == {0}


def _one_large_group(seed=0, dim=48, per=40):
    """Six separated groups; group 0 has 8 subthemes (44% of the texts), in two halves."""
    rng = np.random.default_rng(seed)
    vecs, topics = [], []
    topic = 0
    for g in range(6):
        centre = np.zeros(dim)
        centre[g] = 4.0
        halves = (0, 1) if g == 0 else (0,)
        for h in halves:
            half = centre.copy()
            half[10 + g] = 1.2 * h
            for _ in range(4 if g == 0 else 2):
                sub = half + rng.normal(0, 0.3, dim)
                for _ in range(per):
                    vecs.append(sub + rng.normal(0, 0.1, dim))
                    topics.append(topic)
                topic += 1
    x = np.asarray(vecs)
    return x / np.linalg.norm(x, axis=1, keepdims=True), np.array(topics)


def test_no_theme_holds_more_than_the_share_cap_when_a_cut_allows():
    x, topics = _one_large_group()
    tree = build_hierarchy(x, topics)
    sizes = np.bincount(tree.themes(topics))
    assert sizes.max() / sizes.sum() <= MAX_THEME_SHARE
    # the large group is split along its two halves, not scattered
    assert tree.theme_of[0] == tree.theme_of[3] and tree.theme_of[4] == tree.theme_of[7]
    assert tree.theme_of[0] != tree.theme_of[4]
    assert "largest" in tree.rule
    # without the cap, the most separated cut keeps the group whole: the cap decides here
    keys = sorted(set(topics.tolist()))
    cents = np.stack([x[topics == t].mean(axis=0) for t in keys])
    _, heights = ward_tree(cents - x.mean(axis=0), np.bincount(topics).astype(float))
    k = len(keys)
    gaps = {g: np.log(heights[k - g] / heights[k - g - 1]) for g in range(MIN_THEMES, k // 2 + 1)}
    assert max(gaps, key=gaps.get) == 6


def test_when_no_cut_is_balanced_the_smallest_largest_theme_wins():
    # 12 subthemes in 6 pairs; topic 0 alone holds 42% of the texts and its pair partner
    # is near it, so every allowed cut (5 or 6 themes) leaves a theme over the cap
    x, topics, _ = _nested(n_groups=6, subs=2, per=30, seed=4)
    big = np.flatnonzero(topics == 0)
    x = np.vstack([x] + [x[big]] * 7)
    topics = np.concatenate([topics] + [topics[big]] * 7)
    assert (topics == 0).mean() > MAX_THEME_SHARE
    tree = build_hierarchy(x, topics)
    assert "no cut keeps every theme under" in tree.rule
    sizes = np.bincount(tree.themes(topics))
    assert len(sizes) == 6  # of 5 and 6 themes, 6 leaves the smaller largest theme
    assert sizes.max() == (topics == 0).sum() + (topics == 1).sum()


def test_term_coordinates_keep_the_unit_rows_distances():
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    terms = rng.random((7, 40)) * (rng.random((7, 40)) < 0.3)
    terms[:, 0] += 0.1  # every row has a term
    unit = terms / np.linalg.norm(terms, axis=1, keepdims=True)
    want = ((unit[:, None] - unit[None]) ** 2).sum(axis=2)
    for given in (terms, sp.csr_matrix(terms)):
        xy = term_coordinates(given)
        got = ((xy[:, None] - xy[None]) ** 2).sum(axis=2)
        assert xy.shape == (7, 7)
        np.testing.assert_allclose(got, want, atol=1e-12)
    terms[3] = 0.0
    assert term_coordinates(terms) is None


def _stance_and_subject(per=40, seed=0):
    """12 topics: 6 subjects x 2 stances; the space groups by stance, the words by subject."""
    rng = np.random.default_rng(seed)
    vecs, topics, subject = [], [], []
    terms = np.zeros((12, 60))
    for t in range(12):
        s, stance = t // 2, t % 2
        centre = np.zeros(16)
        centre[stance] = 4.0  # the space: praise vs complaint
        centre[2 + s] = 0.5
        for _ in range(per):
            vecs.append(centre + rng.normal(0, 0.2, 16))
            topics.append(t)
            subject.append(s)
        terms[t, s * 8 : s * 8 + 6] = rng.random(6) + 0.5  # the subject's words
        terms[t, 48 + stance * 6 : 54 + stance * 6] = 0.2 * rng.random(6)  # stance words
    x = np.asarray(vecs)
    return x / np.linalg.norm(x, axis=1, keepdims=True), np.array(topics), np.array(subject), terms


def test_themes_group_subthemes_by_their_words_not_their_stance():
    x, topics, subject, terms = _stance_and_subject()
    tree = build_hierarchy(x, topics, terms=terms)
    assert "c-TF-IDF" in tree.rule and tree.joined_by == "terms"
    themes = tree.themes(topics)
    for s in range(6):  # each subject's praise and complaint share a theme
        assert len(set(themes[subject == s].tolist())) == 1
    assert len(tree.members()) == 6
    # by their centroids alone the two stances would be the themes' dividing line
    centroid_tree = build_hierarchy(x, topics)
    assert "centroids" in centroid_tree.rule and centroid_tree.joined_by == "centroids"
    by_space = centroid_tree.themes(topics)
    assert any(len(set(by_space[subject == s].tolist())) > 1 for s in range(6))


def test_a_topic_without_terms_joins_by_centroids_and_rows_must_match():
    x, topics, _, terms = _stance_and_subject()
    terms[5] = 0.0
    assert "centroids" in build_hierarchy(x, topics, terms=terms).rule
    try:
        build_hierarchy(x, topics, terms=terms[:-1])
    except ValueError as err:
        assert "11 rows for 12 topics" in str(err)
    else:
        raise AssertionError("a terms matrix with a row missing was accepted")


def test_term_themes_ignore_subtheme_sizes_and_row_order():
    x, topics, _, terms = _stance_and_subject()
    base = build_hierarchy(x, topics, terms=terms)
    # topic 4 said three times as often: the same subjects, the same groups
    extra = np.flatnonzero(topics == 4)
    x2 = np.vstack([x, x[extra], x[extra]])
    t2 = np.concatenate([topics, topics[extra], topics[extra]])
    grown = build_hierarchy(x2, t2, terms=terms)

    def grouping(tree):
        return sorted(sorted(ts) for ts in tree.members().values())

    assert grouping(grown) == grouping(base)
    assert grown.heights == base.heights  # sizes weigh nothing in the term tree
    perm = np.random.default_rng(2).permutation(len(topics))
    assert build_hierarchy(x[perm], topics[perm], terms=terms).theme_of == base.theme_of


def test_equal_points_merge_at_zero_cost_in_index_order():
    pts = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1e-12], [0.0, 1.0 + 1e-13]])
    parts, heights = ward_tree(pts, np.ones(4))
    assert heights[:2] == [0.0, 0.0]  # rounding-level differences are no distance
    assert parts[1] == [0, 1, 0, 2]  # the first equal pair (0, 2) merges first
    assert parts[2] == [0, 1, 0, 1]


def test_words_in_too_few_directions_join_by_centroids():
    x, topics, _, terms = _stance_and_subject()
    one_word = np.zeros_like(terms)
    one_word[:, 0] = np.arange(1, 13)  # every subtheme marked by the same single word
    assert term_coordinates(one_word).shape == (12, 1)
    assert "centroids" in build_hierarchy(x, topics, terms=one_word).rule


def test_topic_terms_are_the_c_tf_idf_rows_of_the_topics_in_ascending_id():
    from bertopic import BERTopic
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction
    from sklearn.feature_extraction.text import CountVectorizer

    from covidlearning.themes.discover import _topic_terms

    words = ["food", "parking", "nurses", "appointments"]
    sizes = [3, 9, 5, 7]  # unequal: BERTopic renumbers the topics by size
    docs, y = [], []
    for t, (word, n) in enumerate(zip(words, sizes, strict=True)):
        docs += [f"the {word} was {word} again"] * n
        y += [t] * n
    docs += ["nothing else to say"] * 2
    y += [-1, -1]
    model = BERTopic(
        embedding_model=None,
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=BaseCluster(),
        vectorizer_model=CountVectorizer(),
    )
    model.fit(docs, embeddings=np.eye(len(docs), 4), y=y)
    final = np.asarray(model.topics_)
    rows = _topic_terms(model, final)
    vocab = model.vectorizer_model.get_feature_names_out()
    keys = sorted(set(final.tolist()) - {-1})
    assert rows.shape[0] == len(keys) == 4
    for row, t in zip(rows.toarray(), keys, strict=True):
        word = vocab[int(np.argmax(row))]
        assert all(word in docs[i] for i in np.flatnonzero(final == t)), (t, word)
