"""BERTopic's keyword views by group respect disclosure control (marked ``slow``)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from covidlearning.reporting import breakdown as B


@pytest.mark.slow
def test_bertopic_keyword_views_respect_suppression(survey):
    from bertopic import BERTopic
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    rows = survey.frame[survey.frame["status"] == "ok"].head(800)
    docs, ids = rows["text"].tolist(), rows["id"].tolist()
    X = TfidfVectorizer(min_df=2).fit_transform(docs)
    emb = TruncatedSVD(20, random_state=0).fit_transform(X)
    model = BERTopic(
        umap_model=TruncatedSVD(5, random_state=0),
        hdbscan_model=KMeans(6, n_init=3, random_state=0),
        vectorizer_model=CountVectorizer(stop_words="english", min_df=2),
        calculate_probabilities=False,
    )
    topics, _ = model.fit_transform(docs, embeddings=emb)
    assign = pd.DataFrame({"id": ids, "topic": topics})
    assign["label"] = assign["topic"].map(lambda t: f"theme {t}")
    result = SimpleNamespace(assignments=assign, model=model, docs=docs, doc_ids=ids)
    bd = B.by_group(result, survey.frame, "staff_group", figure=False)
    assert bd.keywords is not None and len(bd.keywords)
    for g, t in zip(bd.keywords["group"], bd.keywords["topic"], strict=True):
        assert not bd.mask.loc[g, t]
    assert not set(bd.keywords["group"]) & {"Chaplaincy", "Students", "Volunteers"}
    ot = B.over_time(result, survey.frame, "submitted", freq="Q", figure=False)
    assert ot.keywords is not None and len(ot.keywords)
    assert set(ot.keywords["group"]) <= set(ot.counts.index)
    # a model whose vectorizer lost its tokenizer (as after BERTopic.load) is repaired
    model.vectorizer_model.tokenizer = None
    model.vectorizer_model.token_pattern = None
    again = B.by_group(result, survey.frame, "site", figure=False)
    assert again.keywords is not None and len(again.keywords)
