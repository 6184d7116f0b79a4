"""Theme discovery end to end with MiniLM and BERTopic: the CLI, refinement, merging and
noise stability (marked ``slow``)."""

import filecmp
import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from covidlearning.config import DiscoverConfig
from covidlearning.themes.discover import (
    discover,
)

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
    # 'N/A' is a listed non-answer (input.missing_values), '' is empty
    assert set(a.loc[a["id"].isin(["x90", "x91"]), "status"]) == {"missing", "empty"}
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
    # a table of survey answers: context auto leaves its row order alone (an artefact)
    assert metrics["context"]["used"] is False and metrics["context"]["moved"] == 0
    assert metrics["context"]["reason"].startswith("off for a table")
    assert metrics["hierarchy"]["levels"] == 1  # 90 texts: each topic is its own theme
    assert (topics["theme"] == topics["topic"]).all()
    assert (topics["theme_label"] == topics["label"]).all()
    assert "Unlabelled" not in set(topics["label"])
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
    from covidlearning.themes.discover import discover_file

    corpus_csv(tmp_path / "in.csv", n_per_theme=20, seed=1)
    cfg = DiscoverConfig(topics=2, stability_runs=0, seed=3)
    res = discover_file(tmp_path / "in.csv", "answer", "rid", None, cfg, progress=False)
    assert res.metrics["n_topics"] == 2
    keep = DiscoverConfig(outliers="keep", stability_runs=0)
    res = discover_file(tmp_path / "in.csv", "answer", "rid", tmp_path / "k", keep, progress=False)
    assert res.metrics["n_topics"] >= 2


@pytest.mark.slow
def test_refinement_reassigns_in_tuned_space_skips_documents_and_reruns_k(tmp_path, monkeypatch):
    import covidlearning.themes.consensus as consensus
    import covidlearning.themes.discover as disc
    import covidlearning.themes.refine as refine
    from covidlearning.corpus.load import load_table
    from covidlearning.nlp.embed import embed_texts

    corpus_csv(tmp_path / "in.csv")
    frame = load_table(tmp_path / "in.csv", "answer", "rid")
    monkeypatch.setattr(refine, "REFINE_MIN_TEXTS", 10)
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
        return refine.Refinement(new, np.ones(len(docs)), emb, len(keys), {"k": len(keys)})

    raws, ks = [], []
    first_pass, kmeans = consensus.first_pass, refine._kmeans

    def record_first_pass(*args, **kwargs):
        out = first_pass(*args, **kwargs)
        raws.append(out[1])
        return out

    def record_kmeans(emb, k, seed):
        ks.append(k)
        return kmeans(emb, k, seed)

    monkeypatch.setattr(refine, "refine_clusters", fake_refine)
    monkeypatch.setattr(consensus, "first_pass", record_first_pass)
    monkeypatch.setattr(refine, "_kmeans", record_kmeans)
    res = disc.discover(frame, DiscoverConfig(seed=7, stability_runs=2), progress=False)
    assert "labels" in seen and res.metrics["refine"]["k"] >= 2
    final = res.assignments.set_index("id")["topic"]
    ids = frame.loc[frame["status"] == "ok", "id"].tolist()
    mates = [i for i, t in zip(ids, seen["labels"], strict=True) if t == seen["target"]]
    assert final[ids[0]] == final[mates[0]]
    assert res.assignments.set_index("id").loc[ids[0], "status"] == "reassigned outlier"
    # each stability re-run takes k from the first pass re-run with its own seed
    floor = consensus.choose_params(len(ids)).min_topic_size
    want = [max(2, len(set(consensus.drop_small(r, floor).tolist()) - {-1})) for r in raws[1:]]
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
    from covidlearning.corpus.build import build_corpus
    from covidlearning.nlp.embed import embed_texts

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


@pytest.mark.slow
def test_tables_are_the_same_from_a_cold_cache_and_a_cache_filled_by_other_batches(
    tmp_path, monkeypatch
):
    """The cache's contents never change a table (vectors do not depend on their batch)."""
    from covidlearning.cli import run
    from covidlearning.nlp.embed import embed_texts

    src, _ = corpus_csv(tmp_path / "in.csv")
    texts = src["answer"].dropna().astype(str).tolist()
    others = [f"Unrelated remark {i}: the car park {'was ' * (i % 7)}full." for i in range(150)]
    outs = {}
    for state in ("cold", "warm"):
        cache = tmp_path / f"cache-{state}"
        monkeypatch.setenv("COVIDLEARNING_CACHE", str(cache))
        if state == "warm":  # the same texts among others, in another order and batches
            embed_texts(others[:70] + texts[::-1] + others[70:], progress=False)
        out = tmp_path / state
        argv = ["discover", str(tmp_path / "in.csv"), "--text-column", "answer",
                "--id-column", "rid", "--out", str(out), "--stability-runs", "1"]  # fmt: skip
        assert run(argv) == 0
        outs[state] = out
    for name in ("assignments.csv", "topics.csv", "metrics.json"):
        assert filecmp.cmp(outs["cold"] / name, outs["warm"] / name, shallow=False), name


# --------------------------------------------------------------------------- two levels
@pytest.mark.slow
def test_themes_over_subthemes_with_labels_that_fit(tmp_path):
    """600 synthetic survey answers: 5-15 themes over their subthemes, readable labels.

    Every label is a phrase written in its own texts, nearer its own theme than any other
    (MiniLM), never contradicting most of its texts' sentiment; the run is byte-identical.
    """
    from sklearn.metrics import adjusted_mutual_info_score

    from covidlearning.corpus.load import load_table
    from covidlearning.nlp.embed import embed_texts
    from covidlearning.testing.synthetic import write
    from covidlearning.themes.labels import SENTIMENT_CUT, label_fit, sentiments

    data = write(tmp_path / "survey.csv", n=600, seed=5)
    frame = load_table(tmp_path / "survey.csv", "answer", "response_id")
    cfg = DiscoverConfig(seed=3, stability_runs=0, refine=False)
    res = discover(frame, cfg, progress=False)
    again = discover(frame, cfg, progress=False)
    for name, table in (("topics", res.topics), ("themes", res.themes)):
        other = getattr(again, name)
        assert table.to_csv(index=False) == other.to_csv(index=False), name
    assert res.assignments.to_csv(index=False) == again.assignments.to_csv(index=False)

    assert res.metrics["hierarchy"]["levels"] == 2
    n_themes = len(res.themes)
    assert 5 <= n_themes <= 15 and n_themes < len(res.topics)
    assert res.themes["size"].sum() == res.topics["size"].sum()
    # each topic's theme and label agree across the three tables
    theme_label = dict(zip(res.themes["theme"], res.themes["label"], strict=True))
    assert all(
        theme_label[h] == lab
        for h, lab in zip(res.topics["theme"], res.topics["theme_label"], strict=True)
    )  # noqa: E501
    single = res.topics.groupby("theme").filter(lambda g: len(g) == 1)
    assert (single["theme_label"] == single["label"]).all()  # one subtheme: the same name
    a = res.assignments.dropna(subset=["topic"])
    topic_theme = dict(zip(res.topics["topic"], res.topics["theme"], strict=True))
    assert (a["theme"] == a["topic"].map(topic_theme)).all()
    truth = [data.themes[i] for i in a["id"]]
    assert adjusted_mutual_info_score(truth, a["theme"]) > 0.3

    docs, emb = res.docs, res.embeddings
    topic_of = np.asarray(res.topic_of_doc)
    of_doc = np.array([topic_theme[int(t)] for t in topic_of])
    comp = sentiments(docs)
    for level, table, keys in (
        ("topic", res.topics, topic_of),
        ("theme", res.themes, of_doc),
    ):
        labels = table["label"].astype(str).tolist()
        ids = table[level].tolist()
        assert len(set(labels)) == len(labels) and "Unlabelled" not in labels
        for lab, key in zip(labels, ids, strict=True):
            assert len(lab.split()) >= 2, lab  # never a lone word
            members = " ".join(docs[i] for i in np.flatnonzero(keys == key)).lower()
            words = lab.lower().replace(",", " ").split()
            assert all(w in members for w in words), lab  # written in its own texts
        means = np.stack([emb[keys == k].mean(axis=0) for k in ids])
        nearest = float((label_fit(embed_texts(labels, progress=False), means) > 0).mean())
        assert nearest >= 0.9, (level, nearest)
        for lab, key, tone in zip(labels, ids, sentiments(labels), strict=True):
            c = comp[keys == key]
            assert not ((c >= SENTIMENT_CUT).mean() > 0.5 and tone <= -SENTIMENT_CUT), lab
            assert not ((c <= -SENTIMENT_CUT).mean() > 0.5 and tone >= SENTIMENT_CUT), lab
