import filecmp
import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from covidlearning.config import DiscoverConfig
from covidlearning.discover import (
    MIN_TEXTS_FOR_THEMES,
    _knn_vote,
    check_usable,
    choose_params,
    consensus_cluster,
    discover,
    select_quotes,
)
from covidlearning.errors import InputError


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


def test_knn_vote_places_unsampled_rows():
    x, y = blobs(n_per=30)
    sample = np.arange(0, len(x), 3)
    labels, share = _knn_vote(x, sample, y[sample], k=5)
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


def test_too_few_texts_for_themes(tmp_path):
    texts = ["Parking was free.", "Video calls saved time.", "The team met daily."]
    assert len(texts) < MIN_TEXTS_FOR_THEMES
    res = discover(frame_of(texts), DiscoverConfig(), progress=False)
    assert "at least" in res.metrics["no_themes_found"]
    res.save(tmp_path / "out")
    a = pd.read_csv(tmp_path / "out" / "assignments.csv")
    assert list(a.columns) == ["id", "topic", "label", "probability", "status"]
    assert len(a) == 3
    assert list(pd.read_csv(tmp_path / "out" / "topics.csv").columns) == [
        "topic",
        "label",
        "size",
        "share",
        "keywords",
        "quote_ids",
    ]
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["no_themes_found"]


# --------------------------------------------------------------------------- end to end
THEMES = {
    "digital": [
        "video consultations with {w} saved hours of travel",
        "remote clinics on video worked well for {w}",
        "we moved {w} appointments online and kept them virtual",
        "the laptop and video call kit for {w} finally arrived",
    ],
    "wellbeing": [
        "free parking and hot food for {w} made a difference",
        "wellbeing rooms and rest breaks for {w} were valued",
        "{w} felt looked after with meals, parking and quiet rooms",
        "psychological support and counselling offered to {w}",
    ],
    "teams": [
        "daily huddles kept {w} working as one team",
        "{w} joined the ward team and shared decisions in huddles",
        "the team of {w} met every morning to plan the day",
        "cross-team working with {w} broke down old silos",
    ],
}
WHO = ["nurses", "porters", "doctors", "therapists", "pharmacists", "managers", "carers", "GPs"]


def corpus_csv(path, n_per_theme=30, seed=0):
    rng = random.Random(seed)
    rows = []
    for theme, templates in THEMES.items():
        for _ in range(n_per_theme):
            rows.append((theme, rng.choice(templates).format(w=rng.choice(WHO))))
    rng.shuffle(rows)
    rows += [("filler", "N/A"), ("filler", "")]
    df = pd.DataFrame({"rid": [f"x{i}" for i in range(len(rows))], "answer": [t for _, t in rows]})
    df.to_csv(path, index=False)
    return df, [th for th, _ in rows]


def _discover_twice(tmp_path: Path, prefix: str, *options: str) -> list[Path]:
    """Run ``covidlearning discover`` on tmp_path/in.csv twice (seed 7); the two out dirs."""
    from covidlearning.cli import run

    outs = []
    for k in (1, 2):
        out = tmp_path / f"{prefix}{k}"
        code = run(
            ["discover", str(tmp_path / "in.csv"), "--text-column", "answer", "--id-column", "rid",
             "--out", str(out), "--seed", "7", *options]
        )  # fmt: skip
        assert code == 0
        outs.append(out)
    return outs


@pytest.mark.slow
def test_cli_discover_end_to_end_deterministic_and_assign(tmp_path):
    from sklearn.metrics import adjusted_mutual_info_score

    from covidlearning.cli import run

    src, truth = corpus_csv(tmp_path / "in.csv")
    outs = _discover_twice(tmp_path, "d", "--stability-runs", "1")
    files = sorted(str(f.relative_to(outs[0])) for f in outs[0].rglob("*") if f.is_file())
    assert {"assignments.csv", "topics.csv", "metrics.json", "model/topics.json"} <= set(files)
    for name in files:
        if name != "manifest.json":  # it holds the timings
            assert filecmp.cmp(outs[0] / name, outs[1] / name, shallow=False), name
    d = outs[0]
    assert {"assignments.csv", "topics.csv", "metrics.json", "manifest.json", "model"} <= {
        p.name for p in d.iterdir()
    }
    assert list((d / "model").glob("*.safetensors"))
    assert all(p.stat().st_mode & 0o044 for p in (d / "model").iterdir())  # not left 0600
    assert not list(d.rglob("*.pkl")) and not list(d.rglob("*.pickle"))
    a = pd.read_csv(d / "assignments.csv", dtype={"id": str})
    assert a["id"].tolist() == src["rid"].tolist()
    assert a.loc[a["id"].isin(["x90", "x91"]), "topic"].isna().all()
    assert set(a.loc[a["id"].isin(["x90", "x91"]), "status"]) == {"filler", "empty"}
    real = a["topic"].notna()
    truth_real = [t for t, r in zip(truth, real, strict=True) if r]
    assert adjusted_mutual_info_score(truth_real, a.loc[real, "topic"]) > 0.6
    topics = pd.read_csv(d / "topics.csv")
    assert topics["size"].sum() == real.sum()
    topic_of = dict(zip(a["id"], a["topic"], strict=True))
    for row in topics.itertuples():
        quotes = [q.strip() for q in str(row.quote_ids).split(";")]
        assert 1 <= len(quotes) <= 5
        assert all(topic_of[q] == row.topic for q in quotes)
        assert 1 <= len(str(row.label).replace(",", " ").split()) <= 4
    metrics = json.loads((d / "metrics.json").read_text())
    assert metrics["stability"]["runs"] == 1
    assert metrics["stability"]["method"].startswith("consensus clustering")
    assert "refine" not in metrics  # auto: 90 texts is below REFINE_MIN_TEXTS
    # the rows are shuffled survey answers: their order carries no theme and is ignored
    assert metrics["context"]["used"] is False and metrics["context"]["moved"] == 0
    assert metrics["context"]["stickiness"] < 0.2
    assert -1 <= metrics["coherence_npmi"]["mean"] <= 1
    manifest = json.loads((d / "manifest.json").read_text())
    assert {"embed", "cluster", "represent", "quality"} <= set(manifest["timings"])
    assert len(manifest["input_sha256"]) == 64

    new = pd.DataFrame(
        {"text": ["Video clinics saved patients travelling", "The new chess club in the atrium"]}
    )
    new.to_csv(tmp_path / "new.csv", index=False)
    code = run(
        ["assign", str(tmp_path / "new.csv"), "--model", str(d), "--text-column", "text",
         "--out", str(tmp_path / "as")]
    )  # fmt: skip
    assert code == 0
    got = pd.read_csv(tmp_path / "as" / "assignments.csv", dtype={"id": str})
    assert got["id"].tolist() == ["0", "1"]
    video_rows = [i for i, t in enumerate(src["answer"]) if "video" in str(t)]
    assert got.loc[0, "topic"] == a.loc[video_rows[0], "topic"]
    assert got.loc[1, "status"] == "candidate new theme"


def test_refine_auto_runs_for_mid_sized_tables_only():
    from covidlearning.discover import (
        REFINE_MAX_TEXTS,
        REFINE_MIN_TEXTS,
        _refine_blocked,
        _refine_on,
    )

    auto = DiscoverConfig()
    assert not _refine_on(auto, REFINE_MIN_TEXTS - 1)
    assert _refine_on(auto, REFINE_MIN_TEXTS) and _refine_on(auto, REFINE_MAX_TEXTS)
    assert not _refine_on(auto, REFINE_MAX_TEXTS + 1)
    assert _refine_on(DiscoverConfig(refine=True), 50)
    assert not _refine_on(DiscoverConfig(refine=False), 3000)
    two, one = np.array([0, 1, -1]), np.array([0, 0, -1, 0])
    # a document's units (row-order context) are left alone unless asked
    assert "document's units" in _refine_blocked(auto, True, two)
    assert _refine_blocked(DiscoverConfig(refine=True), True, two) is None
    # one theme (plus outliers) leaves nothing to tell apart, even when asked
    assert _refine_blocked(DiscoverConfig(refine=True), False, one) == (
        "fewer than 2 themes to tell apart"
    )
    assert _refine_blocked(auto, False, two) is None


def test_moved_share_matches_themes_before_counting():
    from covidlearning.discover import _moved_share

    before = np.array([0, 0, 0, 1, 1, 1])
    assert _moved_share(before, np.array([5, 5, 5, 2, 2, 2])) == 0  # renumbered only
    assert _moved_share(before, np.array([5, 5, 2, 2, 2, 2])) == pytest.approx(1 / 6)
    # outliers (-1) had no theme to leave: only the 4 themed texts count
    before = np.array([0, 0, 1, 1, -1, -1])
    assert _moved_share(before, np.array([3, 3, 4, 3, 4, 3])) == pytest.approx(1 / 4)
    assert _moved_share(np.array([-1, -1]), np.array([0, 1])) == 0


@pytest.mark.slow
def test_cli_discover_refine_tunes_and_reclusters_reproducibly(tmp_path):
    from sklearn.metrics import adjusted_mutual_info_score

    src, truth = corpus_csv(tmp_path / "in.csv")
    outs = _discover_twice(tmp_path, "r", "--stability-runs", "2", "--refine")
    for name in ("assignments.csv", "topics.csv", "metrics.json"):
        assert filecmp.cmp(outs[0] / name, outs[1] / name, shallow=False), name
    metrics = json.loads((outs[0] / "metrics.json").read_text())
    ref = metrics["refine"]
    assert ref["k"] >= 2 and ref["texts_tuned_on"] == 90 and 0 <= ref["changed_share"] <= 1
    assert metrics["stability"]["runs"] == 2 and metrics["stability"]["texts"] == 90
    assert 0 < metrics["stability"]["mean_ari"] <= 1
    assert "first pass re-run" in metrics["stability"]["method"]
    assert metrics["context"]["superseded_by_refinement"] is True
    meta = json.loads((outs[0] / "model" / "covidlearning.json").read_text())
    assert meta["refined"] is True
    manifest = json.loads((outs[0] / "manifest.json").read_text())
    assert "refine" in manifest["timings"] and manifest["parameters"]["refine"] is True
    a = pd.read_csv(outs[0] / "assignments.csv", dtype={"id": str})
    real = a["topic"].notna()
    truth_real = [t for t, r in zip(truth, real, strict=True) if r]
    assert adjusted_mutual_info_score(truth_real, a.loc[real, "topic"]) > 0.6


@pytest.mark.slow
def test_topics_n_merges_down(tmp_path):
    from covidlearning.discover import discover_file

    corpus_csv(tmp_path / "in.csv", n_per_theme=20, seed=1)
    cfg = DiscoverConfig(topics=2, stability_runs=0, seed=3)
    res = discover_file(tmp_path / "in.csv", "answer", "rid", None, cfg, progress=False)
    assert res.metrics["n_topics"] == 2
    keep = DiscoverConfig(outliers="keep", stability_runs=0)
    res = discover_file(tmp_path / "in.csv", "answer", "rid", tmp_path / "k", keep, progress=False)
    assert res.metrics["n_topics"] >= 2


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
    from covidlearning.discover import _order_context

    emb, truth, vague = _sections()
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    topics = np.where(vague, 0, truth)  # the clustering lumped the vague units into theme 0
    prob = np.ones(len(truth))
    got = _order_context(emb, topics, prob, None, DiscoverConfig())
    assert got["used"] is True and got["stickiness"] >= 0.2 and got["moved"] > 0
    assert (topics[vague] == truth[vague]).mean() > 0.55  # was 1/3
    assert (topics[~vague] == truth[~vague]).mean() > 0.9
    assert ((prob < 1) == (np.where(vague, 0, truth) != topics)).all()  # moved rows only

    # the same units shuffled: no order, nothing moves
    perm = np.random.default_rng(0).permutation(len(truth))
    lumped = np.where(vague, 0, truth)[perm]
    got = _order_context(emb[perm], lumped.copy(), np.ones(len(truth)), None, DiscoverConfig())
    assert got["used"] is False and got["moved"] == 0
    off = _order_context(emb, np.where(vague, 0, truth), prob, None, DiscoverConfig(context="off"))
    assert off["used"] is False and off["reason"] == "off" and off["moved"] == 0


def test_row_order_context_never_empties_a_theme():
    """Moves that would take a theme below its floor (min_size, or --topics N) are undone."""
    from covidlearning.config import DiscoverConfig
    from covidlearning.discover import _order_context

    emb, truth, vague = _sections()
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    lumped = np.where(vague, 0, truth)  # theme 0 holds its own units and every vague one
    size0 = int((lumped == 0).sum())
    free = lumped.copy()
    got = _order_context(emb, free, np.ones(len(truth)), None, DiscoverConfig(), min_size=1)
    assert got["used"] is True and (free == 0).sum() < size0  # the order takes units out of 0
    held = lumped.copy()
    got = _order_context(emb, held, np.ones(len(truth)), None, DiscoverConfig(), min_size=99)
    assert (held == 0).sum() >= size0  # a floor above its size: nothing leaves theme 0
    assert set(held.tolist()) == {0, 1, 2}


def test_row_order_context_floors_hold_after_knock_on_undos(monkeypatch):
    """Undoing one theme's losses can take another below its floor: undo until none is."""
    import covidlearning.context as context
    from covidlearning.config import DiscoverConfig
    from covidlearning.discover import _order_context

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
    _order_context(emb, topics, np.ones(8), None, DiscoverConfig(), min_size=1)
    assert set(topics.tolist()) == {0, 1, 2}  # --topics 3 stays 3


@pytest.mark.slow
def test_refinement_reassigns_in_tuned_space_skips_documents_and_reruns_k(tmp_path, monkeypatch):
    import covidlearning.discover as disc
    from covidlearning.embed import embed_texts
    from covidlearning.load import load_table

    corpus_csv(tmp_path / "in.csv")
    frame = load_table(tmp_path / "in.csv", "answer", "rid")
    monkeypatch.setattr(disc, "REFINE_MIN_TEXTS", 10)
    base = embed_texts(frame.loc[frame["status"] == "ok", "text"].tolist(), progress=False)
    seen: dict[str, object] = {}

    def fake_refine(docs, labels, **_):
        # text 0 becomes a singleton (an outlier in pass 2) whose tuned vector sits on the
        # theme least like it in MiniLM: only reassignment in the tuned space puts it there
        keys = sorted(set(labels.tolist()) - {-1})
        own = {t: base[labels == t].mean(axis=0) for t in keys if t != labels[0]}
        target = min(own, key=lambda t: float(base[0] @ own[t]))
        new = labels.copy()
        new[0] = max(keys) + 1
        emb = np.zeros((len(docs), len(keys) + 1), dtype=np.float32)
        emb[np.arange(len(docs)), [keys.index(t) if t >= 0 else len(keys) for t in labels]] = 1
        emb[0] = 0
        emb[0, keys.index(target)] = 1
        seen.update(labels=labels.copy(), target=target)
        return disc.Refinement(new, np.ones(len(docs)), emb, len(keys), {"k": len(keys)})

    raws, ks = [], []
    first_pass, kmeans = disc._first_pass, disc._kmeans

    def record_first_pass(*args, **kwargs):
        out = first_pass(*args, **kwargs)
        raws.append(out[1])
        return out

    def record_kmeans(emb, k, seed):
        ks.append(k)
        return kmeans(emb, k, seed)

    monkeypatch.setattr(disc, "refine_clusters", fake_refine)
    monkeypatch.setattr(disc, "_first_pass", record_first_pass)
    monkeypatch.setattr(disc, "_kmeans", record_kmeans)
    res = disc.discover(frame, DiscoverConfig(seed=7, stability_runs=2), progress=False)
    assert "labels" in seen and res.metrics["refine"]["k"] >= 2
    final = res.assignments.set_index("id")["topic"]
    ids = frame.loc[frame["status"] == "ok", "id"].tolist()
    mates = [i for i, t in zip(ids, seen["labels"], strict=True) if t == seen["target"]]
    assert final[ids[0]] == final[mates[0]]
    assert res.assignments.set_index("id").loc[ids[0], "status"] == "reassigned outlier"
    # each stability re-run takes k from the first pass re-run with its own seed
    floor = disc.choose_params(len(ids)).min_topic_size
    want = [max(2, len(set(disc._drop_small(r, floor).tolist()) - {-1})) for r in raws[1:]]
    assert len(want) == 2 and ks == want
    assert res.model_meta["refined"] is True

    # the same texts as a document's units: auto leaves them to the row-order context
    seen.clear()
    frame["doc_id"] = "d1"
    res = disc.discover(frame, DiscoverConfig(seed=7, stability_runs=0), progress=False)
    assert not seen and res.metrics["refine"]["skipped"].startswith("the texts are a document's")
    assert res.model_meta["refined"] is False


# --------------------------------------------------------------------------- float noise
@pytest.mark.slow
def test_seed_corpus_themes_survive_last_bit_noise(root, tmp_path):
    """Another CPU changes the vectors' last bits; the themes must not move (issue #15)."""
    from sklearn.metrics import adjusted_mutual_info_score

    from covidlearning.config import CorpusConfig
    from covidlearning.corpus import build_corpus
    from covidlearning.embed import embed_texts

    seg = build_corpus(
        CorpusConfig(raw_dir=root / "data" / "raw", processed_dir=tmp_path / "p")
    ).segments
    frame = pd.DataFrame(
        {"id": seg["segment_id"].astype(str), "text": seg["text"], "status": seg["status"],
         "doc_id": seg["doc_id"]}
    )  # fmt: skip
    ok = frame["status"] == "ok"
    emb = embed_texts(frame.loc[ok, "text"].tolist(), progress=False)
    config = DiscoverConfig(stability_runs=0)

    def topics(e):
        res = discover(frame, config, progress=False, embeddings=e)
        return res.assignments["topic"].astype("Int64").fillna(-9).to_numpy()

    base = topics(emb)
    assert len(set(base.tolist())) >= 5
    for draw in range(3):
        rng = np.random.default_rng(draw)
        again = topics(emb + rng.normal(0, 1e-6, emb.shape).astype(np.float32))
        assert len(set(again.tolist())) == len(set(base.tolist()))
        assert adjusted_mutual_info_score(base, again) >= 0.98
