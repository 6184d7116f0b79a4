"""Theme discovery: consensus clustering of sentence embeddings, described with BERTopic.

Why not default BERTopic: on corpora of this kind (a few dozen to a few thousand
short, same-domain texts) UMAP + HDBSCAN puts most texts into two or three topics
or the outlier topic. This module keeps BERTopic as the framework (c-TF-IDF,
KeyBERTInspired + MaximalMarginalRelevance keywords, topic embeddings, saving as
safetensors, ``topics_per_class``/``topics_over_time``) but hands it clusters found
by a more robust procedure ("manual topic modelling", BERTopic's ``y`` with
``BaseCluster``):

1. **Representation.** Each text is its MiniLM embedding, centred on the corpus mean
   (removing the direction every COVID/NHS text shares), concatenated with a
   down-weighted (0.5) LSA projection of its TF-IDF topic terms (NLTK tokens, stop
   words, stem groups, collocations; see :mod:`covidlearning.nlp.text`), re-normalised.
   The lexical part helps when themes are named by distinctive words ("virtual
   clinics", "red tape") that MiniLM places close to everything else.
2. **Consensus clustering.** On up to ``SAMPLE_CAP`` texts, soft k-means
   (:mod:`covidlearning.themes.consensus`) is run from several seeded starts at a grid of k
   around sqrt(n). The mean over runs of how strongly two texts share a cluster (the
   co-association matrix, from soft memberships) is cut with average-linkage
   ("evidence accumulation", Fred & Jain 2005); the number of themes is the cut with
   the longest dendrogram lifetime
   (:func:`~covidlearning.themes.consensus.choose_k_by_lifetime`; ``--topics N`` cuts
   at N instead). Averaging many partitions chooses k without being told. Every step
   is a smooth function of the vectors, started by comparisons rather than by
   sampling, so the last-bit differences between machines (about 3e-7) do not move a
   theme: an earlier version reduced the vectors with UMAP first, whose stochastic
   layout turned such differences into other themes (AMI 0.76-0.88 under 1e-6 noise on
   the seed corpus; benchmarks/README.md).
3. **Outliers.** Themes smaller than ``min_topic_size`` (max(2, n/200)) are
   outliers (-1). By default each outlier is reassigned to the theme whose mean
   MiniLM embedding is most similar (status ``reassigned outlier``); with
   ``outliers="keep"`` they stay -1.
4. **Refinement** (1,000-20,000 texts that are not a document's units;
   :func:`covidlearning.themes.refine.refine_clusters`). MiniLM is fine-tuned to tell the
   themes found so far apart, every text is embedded again with it, and k-means at the
   same k clusters the tuned space; outliers are handled again, in that space (the
   row-order context has
   already shaped the themes it was tuned to). On short comments this lets subjects
   outweigh tone. A text's ``probability`` is then the share of its nearest neighbours
   in the tuned space that share its theme (a reassigned outlier's: its cosine to the
   theme's mean there). The tuned model is not saved:
   :func:`~covidlearning.themes.store.assign` places new texts with the base embeddings
   (``refined`` in the saved metadata).
5. **Large corpora.** Texts beyond the sample are placed by a 10-nearest-neighbour
   vote among the sampled texts in the same representation, so memory stays
   O(n x dim); time goes to embedding, c-TF-IDF and the stability re-runs
   (see benchmarks/README.md).

What serves which size (:func:`covidlearning.themes.consensus.choose_params`):

=============  =================================================================
50 texts       no sampling; 10 consensus runs, k-means grid 3..10, cut
               preferring k in 7..14, min topic size 2
128 texts      10 runs, grid 5..16, k in 11..22, min size 2
1,000 texts    6 runs, grid 15..47, k in 32..63, min size 5
100,000 texts  2,000-text sample; 4 runs, grid 22..67, k in 45..80, min size 500
               (smaller themes are outliers); the rest placed by a
               10-nearest-neighbour vote
=============  =================================================================

A coarser cut (k < sqrt(n)) wins only when its dendrogram lifetime is at least
``COARSE_DOMINANCE`` times the longest among the preferred cuts and at least
``COARSE_MIN_LIFETIME`` (well separated groups). Peak memory at 100,000 texts was
1.6 GB for the fit (benchmarks/README.md); the sample keeps the soft k-means runs and
the co-association matrix at 2,000 x 2,000.

The steps, in the order :func:`discover` runs them, and the module each lives in:

- **texts** (:mod:`covidlearning.themes.texts`): the usable rows; enough of them?
- **embed** (:mod:`covidlearning.nlp.embed`): MiniLM embeddings, or the caller's.
- **represent** (:mod:`covidlearning.themes.represent`): centred MiniLM + lexical block.
- **cluster** (:mod:`covidlearning.themes.consensus`): consensus on the sample, a
  neighbour vote for the rest.
- **outliers**, then **context** (here): small themes' texts reassigned or kept; the
  row order, where neighbouring texts share themes.
- **refine** (:mod:`covidlearning.themes.refine`): MiniLM tuned to the themes, k-means
  again, outliers again.
- **describe** (here): BERTopic's keywords, labels and quotes.
- **quality** (here, measures in :mod:`covidlearning.themes.quality`): coherence,
  diversity, stability re-runs.
- **result** (here; the model's files in :mod:`covidlearning.themes.store`).

This module owns the order of the steps (:func:`discover`, :func:`discover_file`), the
outlier, context, describe and quality steps and :class:`DiscoveryResult`. It may import
every other module of :mod:`covidlearning.themes`, :mod:`covidlearning.nlp`, the config,
the I/O helpers and :mod:`covidlearning.corpus.load` (nothing of coding, privacy or
reporting); no other themes module imports it. The step modules' functions are called
through their module (``consensus.first_pass``, ``refine.refine_clusters``), so each
call names the step doing the work.

Public API: :func:`discover`, :func:`discover_file`, :func:`load_input`,
:class:`DiscoveryResult`, :func:`select_quotes`; :func:`~covidlearning.themes.store.load_model`,
:func:`~covidlearning.themes.store.assign` and
:func:`~covidlearning.themes.store.read_model_meta` are re-exported from
:mod:`covidlearning.themes.store`.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from covidlearning._io import (
    atomic_dir,
    machine_info,
    package_versions,
    sha256_file,
    sha256_text,
    write_csv,
    write_json,
)
from covidlearning.config import DiscoverConfig
from covidlearning.themes import consensus, hierarchy, refine, store
from covidlearning.themes import labels as labels_mod
from covidlearning.themes.consensus import FirstPass, Params
from covidlearning.themes.quality import npmi_coherence, outlier_stats, stability, topic_diversity
from covidlearning.themes.refine import Refinement
from covidlearning.themes.represent import build_representation, normalise, theme_means
from covidlearning.themes.store import (  # re-exported: callers import them from here
    ASSIGN_COLUMNS,
    assign,
    load_model,
    read_model_meta,
)
from covidlearning.themes.texts import (
    MIN_TEXTS,
    MIN_TEXTS_FOR_THEMES,
    Texts,
    check_usable,
    text_key,
    usable_texts,
)

__all__ = [
    "DiscoveryResult",
    "assign",
    "check_usable",
    "discover",
    "discover_file",
    "load_input",
    "load_model",
    "read_model_meta",
    "select_quotes",
]

logger = logging.getLogger(__name__)

#: KeyBERTInspired picks each topic's keywords among this many top c-TF-IDF words. With
#: BERTopic's default (100) it reached for rare words shared across topics; with 20, on
#: LSBU / Trust B / seed document 003, topic diversity rose from 0.86 / 0.60 / 0.86 to
#: 0.98 / 0.81 / 0.98 and NPMI from -0.60 / -0.47 / -0.29 to -0.57 / -0.47 / +0.07.
KEYWORD_CANDIDATES = 20
#: Best silhouette below this means nothing coherent was found.
MIN_SILHOUETTE = 0.02
TOPIC_COLUMNS = [
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
#: Columns of ``themes.csv``: the top level (one row per topic when there is one level).
THEME_COLUMNS = [
    "theme",
    "label",
    "size",
    "share",
    "subthemes",
    "positive",
    "negative",
    "keywords",
    "quote_ids",
]
#: Row-order context: at most this many rounds of re-estimating theme means.
CONTEXT_ROUNDS = 5
#: Why there are no themes when every text's group is smaller than ``min_topic_size``.
ALL_GROUPS_TOO_SMALL = "every text fell in a group too small to be a theme"


@dataclass
class DiscoveryResult:
    """Everything one discovery run produced.

    Attributes:
        assignments: one row per input row (``id, topic, theme, label, probability,
            status``).
        topics: one row per topic, a subtheme (:data:`TOPIC_COLUMNS`: its label, its
            theme and the theme's label, size, share, shares of positive and negative
            texts, keywords, quote ids).
        themes: one row per top-level theme (:data:`THEME_COLUMNS`); with one level
            (under 300 texts) each topic is its own theme, with the topic's id.
        metrics: quality figures (see :mod:`covidlearning.themes.quality`).
        manifest: parameters, input sha256, model id, package versions, timings.
        model: the fitted ``BERTopic`` model, or None when no themes were found.
        docs: the modelled texts, in input order.
        doc_ids: their ids.
        embeddings: their MiniLM embeddings (``float32``, normalised).
        topic_of_doc: the topic of each modelled text.
        model_meta: what is saved beside the model (:func:`covidlearning.themes.store.model_meta`).
    """

    assignments: pd.DataFrame
    topics: pd.DataFrame
    metrics: dict[str, Any]
    manifest: dict[str, Any]
    model: Any = None
    themes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=THEME_COLUMNS))
    docs: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    embeddings: np.ndarray | None = None
    topic_of_doc: list[int] = field(default_factory=list)
    model_meta: dict[str, Any] = field(default_factory=dict)

    def save(self, out_dir: str | Path) -> Path:
        """Write the run's files into ``out_dir`` atomically; returns ``out_dir``.

        Files: ``assignments.csv``, ``topics.csv``, ``themes.csv``, ``metrics.json``,
        ``manifest.json``
        and, when themes were found, ``model/`` (BERTopic safetensors + ``covidlearning.json``;
        :func:`covidlearning.themes.store.save_model`).
        """
        t0 = time.perf_counter()
        out_dir = Path(out_dir)
        with atomic_dir(out_dir) as tmp:
            write_csv(tmp / "assignments.csv", self.assignments, float_format="%.4f")
            write_csv(tmp / "topics.csv", self.topics, float_format="%.4f")
            write_csv(tmp / "themes.csv", self.themes, float_format="%.4f")
            write_json(tmp / "metrics.json", self.metrics)
            store.save_model(tmp, self.model, self.manifest.get("model_id", ""), self.model_meta)
            self.manifest.setdefault("timings", {})["write"] = round(time.perf_counter() - t0, 3)
            write_json(tmp / "manifest.json", self.manifest)
        return out_dir


# --------------------------------------------------------------------------- main API
def discover(
    frame: pd.DataFrame,
    config: DiscoverConfig | None = None,
    *,
    progress: bool = True,
    input_sha256: str | None = None,
    embeddings: np.ndarray | None = None,
    map_blocks: consensus.BlockMap | None = None,
) -> DiscoveryResult:
    """Find themes in the usable texts of ``frame``.

    Args:
        frame: what :func:`covidlearning.corpus.load.load_table` returns (``id``, ``text``,
            ``status``, ``duplicate``, metadata). Rows whose status is not ``ok``
            keep their row in the assignments, with an empty topic.
        config: discovery settings (seed, ``topics``, outliers, n_quotes, ...).
        progress: show progress bars.
        input_sha256: sha256 of the input file, recorded in the manifest
            (default: the sha256 of the texts).
        embeddings: precomputed embeddings of the usable texts, in order (as BERTopic's
            ``fit(docs, embeddings)``); default: :func:`covidlearning.nlp.embed.embed_texts`.
        map_blocks: how the neighbour vote that places the texts beyond the sample runs
            its blocks (:func:`covidlearning.themes.consensus.knn_vote`; default: here;
            on a cluster, over its workers, with the same result).

    Returns:
        A :class:`DiscoveryResult`; call ``.save(out_dir)`` to write it. In its
        assignments, ``probability`` is the text's consensus membership (mean share of
        clusterings that put it with the other members of its topic; for texts placed
        by kNN, the share of neighbours' votes) or, for a reassigned outlier, its
        cosine similarity to the topic's mean embedding; for a text the row-order
        context moved (``config.context``), its probability of the topic given its
        neighbours. ``status`` is ``ok``,
        ``reassigned outlier``, ``outlier`` (kept), ``no themes found: <reason>``,
        or the loader's exclusion reason (``empty``, ``missing``, ``digits only``,
        ``filler``, ``repeated non-answer``). When ``frame`` has ``original_text`` (a
        table read with its question column), ``read_as`` holds the phrase a short
        answer was modelled as ("Nothing to improve"), empty where the text is the
        respondent's own.

    Raises:
        InputError: fewer than :data:`MIN_TEXTS` usable texts.
    """
    config = config or DiscoverConfig()
    texts = usable_texts(frame)
    run = _start(texts, config, progress, input_sha256)
    if reason := _too_few_to_model(texts):
        return _no_themes(run, reason)
    vectors = _embed(run, embeddings)
    part = _represent_and_cluster(run, vectors, map_blocks)
    if reason := _incoherent(part):
        run.metrics["outliers"] = {"count": texts.n, "share": 1.0}
        return _no_themes(run, reason, embeddings=vectors)
    themes = _themes(run, part, vectors)
    if themes is None:
        return _no_themes(run, ALL_GROUPS_TOO_SMALL)
    described = _describe(run, vectors, themes.topics, part.tokenizer)
    levels = _hierarchy(run, part, themes, vectors, described)
    # quotes: texts placed by the clustering, in the respondent's own words where a
    # theme has any ("Everything" read as "Everything could be improved" says little)
    placed = themes.status == "ok"
    eligible = (placed & texts.own_words, placed)
    topics = _topic_table(run, vectors, described, levels, eligible)
    theme_table = _theme_table(run, vectors, described, levels, eligible)
    assignments = _assignment_table(texts, described, themes, levels)
    with run.timed("quality"):
        run.metrics.update(
            _quality(
                docs=texts.docs,
                described=described,
                part=part,
                refined=themes.refined,
                config=config,
                progress=progress,
            )
        )
    meta = store.model_meta(
        labels=described.labels,
        embeddings=vectors,
        topics=described.topics,
        config=config,
        model_id=run.manifest["model_id"],
        refined=themes.refined is not None,
        theme_of=levels.tree.theme_of,
        theme_labels=levels.labels,
    )
    return DiscoveryResult(
        assignments=assignments,
        topics=topics,
        themes=theme_table,
        metrics=run.metrics,
        manifest=run.manifest,
        model=described.model,
        docs=texts.docs,
        doc_ids=texts.ids,
        embeddings=vectors,
        topic_of_doc=described.topics.tolist(),
        model_meta=meta,
    )


def load_input(
    input: str | Path,  # noqa: A002 - matches the CLI argument
    text_column: str,
    id_column: str | None = None,
    *,
    sheet: str | None = None,
    missing_values: Sequence[str] | None = None,
    question_column: str | None = None,
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    raw: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The table discovery models, checked usable, and the manifest's record of the input.

    Loads ``input`` (:func:`covidlearning.corpus.load.load_table`), or cleans ``raw``
    when the table was read elsewhere (in partitions on a cluster:
    :func:`covidlearning.corpus.load.clean_table`), then applies ``prepare`` (the CLI
    redacts) and checks enough texts are usable. Used by :func:`discover_file` and by
    discovery on a cluster, so both model the same table and record it alike.

    Raises:
        InputError: the file or column is unusable or holds too few texts.
    """
    from covidlearning.corpus.load import clean_table, load_table

    options = {"missing_values": missing_values, "question_column": question_column}
    if raw is None:
        frame = load_table(input, text_column, id_column, sheet, **options)
    else:
        frame = clean_table(raw, input, text_column, id_column, **options)
    if prepare is not None:
        frame = prepare(frame)
    check_usable(frame, Path(input).name)
    info = {
        "file": Path(input).name,
        "text_column": text_column,
        "id_column": id_column,
        "question_column": question_column,
        "missing_values": None if missing_values is None else list(missing_values),
    }
    return frame, info


def discover_file(
    input: str | Path,  # noqa: A002 - matches the CLI argument
    text_column: str,
    id_column: str | None = None,
    out: str | Path | None = None,
    config: DiscoverConfig | None = None,
    *,
    sheet: str | None = None,
    progress: bool = True,
    missing_values: Sequence[str] | None = None,
    question_column: str | None = None,
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> DiscoveryResult:
    """Load a table, find its themes and (when ``out`` is given) write the files.

    ``missing_values`` and ``question_column`` are passed to
    :func:`covidlearning.corpus.load.load_table` (``input.missing_values``: default list;
    ``input.question_column``: none) and recorded in the manifest. ``prepare``, if given,
    transforms the loaded table before anything is modelled (the CLI redacts it).

    Raises:
        InputError: the file or column is unusable or holds too few texts.
    """
    t0 = time.perf_counter()
    frame, info = load_input(
        input, text_column, id_column, sheet=sheet, missing_values=missing_values,
        question_column=question_column, prepare=prepare,
    )  # fmt: skip
    load_s = round(time.perf_counter() - t0, 3)
    result = discover(frame, config, progress=progress, input_sha256=sha256_file(input))
    result.manifest["input"] = info
    result.manifest["timings"]["load"] = load_s
    if out is not None:
        result.save(out)
    return result


# --------------------------------------------------------------------------- the run's records
@dataclass
class _Run:
    """One run's texts and settings, and the records its steps fill in as they go."""

    texts: Texts
    config: DiscoverConfig
    progress: bool
    manifest: dict[str, Any]
    metrics: dict[str, Any]

    _sentiment: np.ndarray | None = None

    @property
    def sentiment(self) -> np.ndarray:
        """VADER compound sentiment of each modelled text (computed once)."""
        if self._sentiment is None:
            self._sentiment = labels_mod.sentiments(self.texts.docs)
        return self._sentiment

    @property
    def timings(self) -> dict[str, float]:
        """Seconds per step, kept in the manifest."""
        return self.manifest["timings"]

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Record how long the block took as ``timings[step]`` (not when it raises)."""
        t0 = time.perf_counter()
        yield
        self.timings[step] = round(time.perf_counter() - t0, 3)


@dataclass(frozen=True)
class _Partition:
    """The cluster step's output: the representation, the sample and the first themes."""

    params: Params
    tokenizer: Any
    rep: np.ndarray
    sample: np.ndarray
    first: FirstPass
    n_topics: int | None

    @property
    def floor(self) -> int:
        """Themes of fewer texts are outliers (with ``--topics N``, none are)."""
        return self.params.min_topic_size if self.n_topics is None else 1


@dataclass
class _Themes:
    """A theme per modelled text, with its probability and status."""

    topics: np.ndarray
    prob: np.ndarray
    status: np.ndarray
    refined: Refinement | None = None


@dataclass(frozen=True)
class _Levels:
    """The hierarchy step's output: each text's top-level theme and the themes' labels."""

    tree: hierarchy.Hierarchy
    theme_of_doc: np.ndarray
    labels: dict[int, str]


@dataclass(frozen=True)
class _Description:
    """The describe step's output: the fitted BERTopic model and what it says of the themes."""

    model: Any
    topics: np.ndarray
    labels: dict[int, str]
    keywords: dict[int, list[str]]


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))


def _start(texts: Texts, config: DiscoverConfig, progress: bool, input_sha256: str | None) -> _Run:
    """The run's manifest and first metrics, before any modelling."""
    from covidlearning.nlp.embed import model_id

    frame = texts.frame
    manifest: dict[str, Any] = {
        "stage": "discover",
        "parameters": json.loads(config.model_dump_json()),
        "input_sha256": input_sha256 or sha256_text("\n".join(texts.docs)),
        "model_id": model_id(config.embedding_model),
        "package_versions": package_versions(),
        "machine": machine_info(),
        "n_rows": len(frame),
        "n_modelled": texts.n,
        "timings": {},
    }
    metrics: dict[str, Any] = {
        "n_rows": len(frame),
        "n_modelled": texts.n,
        "excluded": dict(texts.excluded),
        "no_themes_found": None,
    }
    logger.info(
        "modelling %d of %d rows; excluded: %s",
        texts.n,
        len(frame),
        ", ".join(f"{v} {k}" for k, v in texts.excluded.items()) or "none",
    )
    return _Run(texts, config, progress, manifest, metrics)


def _too_few_to_model(texts: Texts) -> str | None:
    """Why these texts cannot have themes (None: they can)."""
    if texts.n_distinct < MIN_TEXTS:
        return f"all {texts.n} texts are identical or nearly so"
    if texts.n < MIN_TEXTS_FOR_THEMES:
        return f"only {texts.n} texts; at least {MIN_TEXTS_FOR_THEMES} are needed to find themes"
    return None


def _no_themes(run: _Run, reason: str, embeddings: np.ndarray | None = None) -> DiscoveryResult:
    """The result of a run that found no themes: every usable row says why."""
    texts = run.texts
    frame = texts.frame
    status = np.where(texts.ok, f"no themes found: {reason}", frame["status"].astype(str))
    assignments = pd.DataFrame(
        {
            "id": frame["id"].astype(str).values,
            "topic": pd.array([pd.NA] * len(frame), dtype="Int64"),
            "theme": pd.array([pd.NA] * len(frame), dtype="Int64"),
            "label": "",
            "probability": np.nan,
            "status": status,
        }
    )
    run.metrics.update({"no_themes_found": reason, "n_topics": 0})
    logger.info("no themes found: %s", reason)
    return DiscoveryResult(
        assignments=assignments,
        topics=pd.DataFrame(columns=TOPIC_COLUMNS),
        metrics=run.metrics,
        manifest=run.manifest,
        docs=list(texts.docs),
        doc_ids=list(texts.ids),
        embeddings=embeddings,
    )


# --------------------------------------------------------------------------- embed
def _embed(run: _Run, embeddings: np.ndarray | None) -> np.ndarray:
    """The texts' MiniLM embeddings: the caller's, or computed (cached) now."""
    from covidlearning.nlp.embed import embed_with

    n = run.texts.n
    with run.timed("embed"):
        if embeddings is None:
            embeddings = embed_with(run.texts.docs, run.config, progress=run.progress)
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if embeddings.shape[0] != n:
            raise ValueError(f"embeddings has {embeddings.shape[0]} rows for {n} usable texts")
    return embeddings


# --------------------------------------------------------------------------- represent, cluster
def _represent_and_cluster(
    run: _Run, embeddings: np.ndarray, map_blocks: consensus.BlockMap | None = None
) -> _Partition:
    """Parameters for the corpus size, the representation, then the first pass's themes."""
    from covidlearning.nlp.text import TopicTokenizer

    config, texts = run.config, run.texts
    with run.timed("cluster"):
        _seed_everything(config.seed)
        n_topics = None if config.topics == "auto" else min(int(config.topics), texts.n_distinct)
        params = consensus.choose_params(texts.n)
        run.manifest["chosen"] = asdict(params)
        tokenizer = TopicTokenizer().fit(texts.docs)
        rep = build_representation(
            texts.docs, embeddings, tokenizer, params.lexical_dims, config.seed
        )
        sample = consensus.sample_indices(texts.n, params.sample_size, config.seed)
        first = consensus.first_pass(
            rep, sample, params, config.seed, n_topics, run.progress, map_blocks
        )
        run.metrics["silhouette"] = round(first.clustering.silhouette, 6)
        run.metrics["k_chosen"] = first.clustering.k
    _log_first_pass(first, len(sample), texts.n, params)
    return _Partition(params, tokenizer, rep, sample, first, n_topics)


def _log_first_pass(first: FirstPass, sampled: int, n: int, params: Params) -> None:
    clus = first.clustering
    placed = (
        ""
        if sampled == n
        else f"; clustered a sample of {sampled}, the other {n - sampled} texts placed by "
        f"a {params.knn}-nearest-neighbour vote"
    )
    logger.info(
        "first pass: %d themes, %s (silhouette %.3f)%s", clus.k, clus.rule, clus.silhouette, placed
    )


def _incoherent(part: _Partition) -> str | None:
    """Why the first pass found nothing coherent (None: it did, or ``--topics`` was set)."""
    silhouette = part.first.clustering.silhouette
    if part.n_topics is None and silhouette < MIN_SILHOUETTE:
        return f"no coherent groups (best silhouette {silhouette:.3f}); all texts are outliers"
    return None


# --------------------------------------------------------------------------- outliers and refine
def _themes(run: _Run, part: _Partition, embeddings: np.ndarray) -> _Themes | None:
    """Each text's theme: outliers placed, the row order as context, then the refinement.

    With refinement, its themes replace the first pass's and their outliers are placed
    again in the tuned space; the context is not run again (the first pass's context
    already shaped the themes the model was tuned to). None: no theme is big enough.
    """
    themes = _place_outliers(run, part.first.labels, part.first.share, embeddings, part.floor)
    if themes is None:
        return None
    run.metrics["context"] = _order_context(
        embeddings, themes.topics, themes.prob, run.texts.documents, run.config, part.floor
    )
    _log_context(run.metrics["context"])
    refined = _refine(run, themes.topics, embeddings)
    if refined is None:
        return _read_answers_apart(run, themes, part.floor, part.n_topics)
    themes = _place_outliers(
        run, refined.labels, refined.share, refined.embeddings, part.floor, "the tuned space"
    )
    if themes is None:
        return None
    return _read_answers_apart(run, replace(themes, refined=refined), part.floor, part.n_topics)


def _read_answers_apart(run: _Run, themes: _Themes, floor: int, n_topics: int | None) -> _Themes:
    """Give each phrase short answers were read as a subtheme of its own, if big enough.

    A short answer read with its question ("Nothing" to "What was good?") is modelled as
    the phrase it means there ("Nothing was good"). The phrase is the package's reading,
    not a respondent's wording, and MiniLM puts it beside its opposite ("Everything was
    good", and "Everything could be improved" beside "Nothing to improve"). So:

    - where the texts read as one phrase make most of a subtheme (of several, the one
      holding most of them), their copies elsewhere join it;
    - else, when at least ``floor`` of them (the smallest subtheme) sit in subthemes
      they do not make most of, they are taken out into a subtheme of their own
      (probability 1: they are one text).

    Either way no copy leaves a subtheme it would leave with fewer than ``floor`` texts.

    Outliers kept as -1 stay so. With ``--topics N`` (``n_topics``) nothing moves: the
    number of subthemes is the user's.
    """
    own = run.texts.own_words
    if own.all() or n_topics is not None:
        return themes
    docs = np.asarray(run.texts.docs, dtype=object)
    topics, prob = themes.topics.copy(), themes.prob.copy()
    moved = []
    for phrase in sorted(set(docs[~own].tolist())):
        idx = np.flatnonzero(~own & (docs == phrase) & (topics >= 0))
        if not len(idx):
            continue
        where, counts = np.unique(topics[idx], return_counts=True)
        size = dict(zip(*np.unique(topics[topics >= 0], return_counts=True), strict=True))
        # a copy stays where taking it would leave its subtheme under the floor
        stuck = [t for t, c in zip(where, counts, strict=True) if 0 < size[t] - c < floor]
        homes = [(c, -t) for t, c in zip(where, counts, strict=True) if 2 * c > size[t]]
        if homes:  # most of a subtheme: the stray copies join it
            home = -max(homes)[1]
            stray = idx[(topics[idx] != home) & ~np.isin(topics[idx], stuck)]
            if len(stray):
                topics[stray], prob[stray] = home, prob[idx[topics[idx] == home]].max()
                moved.append(f"{phrase!r} ({len(stray)} joined the rest)")
            continue
        take = idx[~np.isin(topics[idx], stuck)]
        if len(take) < floor:
            continue
        topics[take], prob[take] = int(topics.max()) + 1, 1.0
        moved.append(f"{phrase!r} ({len(take)} made a subtheme)")
    if moved:
        logger.info(
            "answers read with their question, kept together apart from other texts: %s",
            ", ".join(moved),
        )
        run.metrics["read_answers_apart"] = len(moved)
    return replace(themes, topics=topics, prob=prob)


def _place_outliers(
    run: _Run,
    labels: np.ndarray,
    share: np.ndarray,
    space: np.ndarray,
    floor: int,
    space_name: str = "the MiniLM space",
) -> _Themes | None:
    """Themes under ``floor`` texts become outliers; reassign them or keep them as -1.

    A reassigned outlier goes to the theme whose mean in ``space`` is most similar, and
    its probability is that cosine. None: every text is an outlier.
    """
    topics = consensus.drop_small(labels, floor)
    run.metrics["outliers"] = outlier_stats(topics)
    if (topics >= 0).sum() == 0:
        return None
    status = np.array(["ok"] * len(topics), dtype=object)
    prob = share.astype(float)
    if run.config.outliers == "reassign" and (topics == -1).any():
        means = theme_means(space, topics)
        keys = list(means)
        mat = np.stack([means[k] for k in keys])
        out_idx = np.flatnonzero(topics == -1)
        sims = space[out_idx] @ mat.T
        topics[out_idx] = np.array(keys)[sims.argmax(axis=1)]
        prob[out_idx] = np.clip(sims.max(axis=1), 0, 1)
        status[out_idx] = "reassigned outlier"
    elif (topics == -1).any():
        status[topics == -1] = "outlier"
    run.metrics["reassigned_outliers"] = int((status == "reassigned outlier").sum())
    _log_outliers(run.metrics["outliers"]["count"], floor, run.config.outliers, space_name)
    return _Themes(topics, prob, status)


def _log_outliers(count: int, floor: int, outliers: str, space_name: str) -> None:
    if not count:
        logger.info("no outliers: every theme has at least %d texts", floor)
    elif outliers == "reassign":
        logger.info(
            "%d outliers (in themes of fewer than %d texts) reassigned to the nearest "
            "theme's mean in %s",
            count,
            floor,
            space_name,
        )
    else:
        logger.info(
            "%d outliers (in themes of fewer than %d texts) kept as -1 (--outliers keep)",
            count,
            floor,
        )


def _order_context(
    embeddings: np.ndarray,
    topics: np.ndarray,
    prob: np.ndarray,
    documents: np.ndarray | None,
    config: DiscoverConfig,
    min_size: int = 1,
) -> dict[str, Any]:
    """Let neighbouring texts inform each other's theme, as far as the row order carries it.

    Each text's theme probabilities come from its similarity to every theme's mean
    (centred MiniLM); :func:`covidlearning.nlp.context.order_context` fits how far the order
    carries theme and, when it does, each text takes its most probable theme given its
    neighbours. Theme means are then recomputed and the step repeated until no text moves
    (at most :data:`CONTEXT_ROUNDS` times), a hard EM of the sticky model. No theme is
    emptied or taken below ``min_size`` (or its own size, if smaller): moves out of such
    a theme are undone. ``topics`` and ``prob`` change in place (``prob`` of a moved text
    is its probability of the new theme given its neighbours); outliers kept as -1 stay so.
    """
    from covidlearning.nlp.context import (
        chain_starts,
        not_used,
        order_context,
        similarity_probabilities,
    )

    idx = np.flatnonzero(topics >= 0)
    docs = documents[idx] if documents is not None else None
    mode = context_mode(config.context, documents is not None)
    if mode != "on":
        links = int((~chain_starts(len(idx), docs)).sum())
        return not_used(prob, mode, links).summary() | {"moved": 0, "rounds": 0, "settled": True}
    start, prob_start = topics[idx].copy(), prob[idx].copy()
    centred = normalise(embeddings[idx] - embeddings[idx].mean(axis=0))
    summary: dict[str, Any] = not_used(prob, "fewer than 2 themes").summary()
    settled, rounds, post = True, 0, np.zeros(len(idx))
    for rounds in range(1, CONTEXT_ROUNDS + 1):
        keys = np.array(sorted(set(topics[idx].tolist())))
        if len(keys) < 2:
            break
        means = normalise(np.stack([centred[topics[idx] == k].mean(axis=0) for k in keys]))
        ctx = order_context(similarity_probabilities(centred @ means.T), docs)
        if rounds == 1 or ctx.used:
            summary = ctx.summary()
        if not ctx.used:
            break
        new = keys[ctx.probs.argmax(axis=1)]
        changed = new != topics[idx]
        topics[idx] = new
        post = ctx.probs.max(axis=1)
        settled = not changed.any()
        if settled:
            break
    current = topics[idx]
    floors = {int(key): min(min_size, int((start == key).sum())) for key in np.unique(start)}
    while True:  # undo moves out of any theme taken below its floor, until none is
        short = [k for k, floor in floors.items() if (current == k).sum() < floor]
        if not short:
            break
        for key in short:
            current[start == key] = key
    topics[idx] = current
    moved = current != start
    prob[idx] = np.where(moved, post, prob_start)
    return summary | {"moved": int(moved.sum()), "rounds": rounds, "settled": settled}


#: Why ``context: auto`` leaves the order of a table of answers alone.
TABLE_ORDER = (
    "off for a table of answers (context auto): an export's row order is an artefact; "
    "--context on uses it"
)


def context_mode(setting: str, documents: bool) -> str:
    """``on``, or why the row order is not used: ``off``, or :data:`TABLE_ORDER`.

    ``auto`` is on for a corpus's document units (``documents``: the table has a
    ``doc_id`` column) and off for a table of answers.
    """
    if setting == "auto":
        return "on" if documents else TABLE_ORDER
    return setting


def _log_context(summary: dict[str, Any]) -> None:
    if summary.get("used"):
        logger.info(
            "row order used as context (stickiness %.2f): %d texts moved theme in %d rounds%s",
            summary["stickiness"],
            summary["moved"],
            summary["rounds"],
            "" if summary["settled"] else " (still moving)",
        )
    else:
        logger.info("row order not used as context: %s", summary.get("reason"))


def _refine(run: _Run, topics: np.ndarray, embeddings: np.ndarray) -> Refinement | None:
    """Run the refinement when it is wanted and nothing blocks it (None: not run).

    Its tuned embeddings are kept in the embedding cache, so a second run on the same
    texts, first themes and seed reads them instead of tuning again.
    """
    from covidlearning.nlp.embed import default_cache_dir

    config, texts = run.config, run.texts
    if not refine.refine_wanted(config, texts.n):
        logger.info(
            "not refined: %s",
            "--no-refine"
            if config.refine is False
            else f"refine 'auto' runs for {refine.REFINE_MIN_TEXTS:,}-"
            f"{refine.REFINE_MAX_TEXTS:,} texts, not {texts.n:,}",
        )
        return None
    why = refine.refine_blocked(config, texts.documents is not None, topics)
    if why:  # it would have run: say why it did not
        run.metrics["refine"] = {"skipped": why}
        logger.info("refinement skipped: %s", why)
        return None
    with run.timed("refine"):
        refined = refine.refine_clusters(
            texts.docs,
            topics,
            model=config.embedding_model,
            seed=config.seed,
            progress=run.progress,
            embeddings=embeddings,
            cache_dir=config.cache_dir or default_cache_dir(),
        )
        run.metrics["refine"] = refined.info
        # the context's moves shaped the themes the model was tuned to; the refined
        # themes replace them, so its "moved" count no longer describes the result
        run.metrics["context"]["superseded_by_refinement"] = True
    return refined


# --------------------------------------------------------------------------- describe
def _describe(
    run: _Run, embeddings: np.ndarray, topics: np.ndarray, tokenizer: Any
) -> _Description:
    """BERTopic fitted with our themes as ``y``, then each theme's keywords and label."""
    with run.timed("represent"):  # BERTopic's topic representations: the manifests' key
        from covidlearning.themes.represent import shared_vocabulary

        vocabulary = shared_vocabulary(
            run.texts.docs, run.texts.ids, tokenizer, run.config.min_respondents
        )
        run.metrics["vocabulary"] = {
            "terms": len(vocabulary),
            "min_respondents": run.config.min_respondents,
        }
        model = _fit_bertopic(run.texts.docs, embeddings, topics, tokenizer, run.config, vocabulary)
        final = np.asarray(model.topics_, dtype=int)
    labels, keywords = _label_topics(run, model, embeddings, final)
    return _Description(model, final, labels, keywords)


def _fit_bertopic(
    docs: list[str],
    embeddings: np.ndarray,
    topics: np.ndarray,
    tokenizer: Any,
    config: DiscoverConfig,
    vocabulary: dict[str, int] | None = None,
) -> Any:
    """BERTopic with our themes as ``y``; its vectoriser limited to ``vocabulary`` if given.

    An empty ``vocabulary`` (no term used by enough respondents) leaves every theme
    without keywords ("Unlabelled").
    """
    from bertopic import BERTopic
    from bertopic.cluster import BaseCluster
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance
    from bertopic.vectorizers import ClassTfidfTransformer

    from covidlearning.nlp.embed import load_model
    from covidlearning.nlp.text import make_vectorizer

    _seed_everything(config.seed)
    model = BERTopic(
        embedding_model=load_model(config.embedding_model),
        umap_model=_NoReduction(),
        hdbscan_model=BaseCluster(),
        vectorizer_model=_vectorizer(make_vectorizer(tokenizer, len(docs)), vocabulary),
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
        representation_model=[
            KeyBERTInspired(
                top_n_words=10, nr_candidate_words=KEYWORD_CANDIDATES, random_state=config.seed
            ),
            MaximalMarginalRelevance(diversity=0.3, top_n_words=10),
        ],
        top_n_words=10,
        calculate_probabilities=False,
        verbose=False,
    )
    model.fit(docs, embeddings=embeddings, y=topics.tolist())
    # KeyBERTInspired's word scores carry last-bit float noise from run to run (the words
    # are embedded in batches); six decimals keep the saved topics.json byte-identical.
    model.topic_representations_ = {
        t: [(w, round(float(score), 6)) for w, score in words]
        for t, words in model.topic_representations_.items()
    }
    return model


class _NoReduction:
    """BERTopic's dimensionality step, unused: the themes are given as ``y``.

    BERTopic passes the reduced vectors only to the clustering step, which here just takes
    ``y`` (``BaseCluster``); its own ``BaseDimensionalityReduction`` hands back every vector,
    which BERTopic then copies (``nan_to_num``): 1.5 GB at a million texts. One zero
    column per text stands in.
    """

    def fit(self, X: np.ndarray, y: Any = None) -> _NoReduction:  # noqa: N803 (sklearn's name)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        return np.zeros((len(X), 1), dtype=np.float32)


def _vectorizer(vectorizer: Any, vocabulary: dict[str, int] | None) -> Any:
    """``vectorizer`` with a fixed vocabulary (a stand-in term when it is empty)."""
    if vocabulary is None:
        return vectorizer
    # scikit-learn refuses an empty vocabulary: one term no tokenizer emits stands in
    return vectorizer.set_params(vocabulary=vocabulary or {_NO_TERM: 0})


#: Stands in for an empty vocabulary (never a token: tokens have no spaces or brackets).
_NO_TERM = "[no shared term]"


def _label_topics(
    run: _Run, model: Any, embeddings: np.ndarray, final: np.ndarray
) -> tuple[dict[int, str], dict[int, list[str]]]:
    """Each topic's keywords and a label written in its texts; the labels are set on ``model``.

    Labels come from :func:`covidlearning.themes.labels.choose_labels` (a phrase of the
    topic's own texts that is nearest its topic and does not contradict its texts'
    sentiment); the keywords are BERTopic's (c-TF-IDF, KeyBERTInspired, MMR).
    """
    docs = run.texts.docs
    keywords: dict[int, list[str]] = {}
    for t in sorted(set(final.tolist())):
        keywords[t] = [w for w, _ in (model.get_topic(t) or []) if w and w != _NO_TERM]
    groups = {t: np.flatnonzero(final == t) for t in keywords if t >= 0}
    chosen = labels_mod.choose_labels(
        groups, docs, embeddings, run.sentiment, _phrase_embedder(run), keywords
    )
    labels = {t: chosen[t].text for t in groups}
    if -1 in keywords:
        labels[-1] = "Outliers"
    run.metrics["labels"] = {"subthemes": _label_summary(chosen)}
    model.set_topic_labels({t: labels[t] for t in sorted(labels)})
    return labels, keywords


def _phrase_embedder(run: _Run) -> Any:
    """Texts -> normalised MiniLM vectors, with the run's model and cache."""
    from covidlearning.nlp.embed import embed_with

    def embed(texts: list[str]) -> np.ndarray:
        return embed_with(texts, run.config)

    return embed


def _label_summary(chosen: dict[int, labels_mod.Label]) -> dict[str, Any]:
    """How many labels are phrases, and how many pick out their own group.

    ``nearest_own`` counts the labels whose margin was measured at this level (not those
    of themes named as their one subtheme).
    """
    margins = [lab.margin for lab in chosen.values() if lab.margin == lab.margin]
    return {
        "n": len(chosen),
        "phrases": sum(lab.source in ("phrase", "answer", "subtheme") for lab in chosen.values()),
        "nearest_own": sum(m > 0 for m in margins),
    }


def _hierarchy(
    run: _Run, part: _Partition, themes: _Themes, embeddings: np.ndarray, described: _Description
) -> _Levels:
    """Top-level themes over the topics (:mod:`covidlearning.themes.hierarchy`), labelled."""
    final = described.topics
    space = themes.refined.embeddings if themes.refined is not None else part.rep
    with run.timed("hierarchy"):
        tree = hierarchy.build_hierarchy(
            space, final, run.texts.n, _topic_terms(described.model, final)
        )
        theme_of_doc = tree.themes(final)
        members = tree.members()
        if tree.levels == 1:
            labels = {h: described.labels[ts[0]] for h, ts in members.items()}
            summary = run.metrics["labels"]["subthemes"]
        else:
            groups = {h: np.flatnonzero(theme_of_doc == h) for h in members}
            kw = {
                h: _merged_keywords([described.keywords[t] for t in ts], [
                    int((final == t).sum()) for t in ts
                ])
                for h, ts in members.items()
            }  # fmt: skip
            # a theme of one subtheme holds the same texts: it is named as the subtheme is
            # (the subthemes' labels are unique), and the other themes choose around them
            single = {h: described.labels[ts[0]] for h, ts in members.items() if len(ts) == 1}
            chosen = labels_mod.choose_labels(
                groups, run.texts.docs, embeddings, run.sentiment, _phrase_embedder(run), kw,
                reserved=single.values(),
            )  # fmt: skip
            for h, name in single.items():
                chosen[h] = labels_mod.Label(name, "subtheme", float("nan"), float("nan"))
            labels = {h: chosen[h].text for h in members}
            summary = _label_summary(chosen)
    run.metrics["labels"]["themes"] = summary
    run.metrics["hierarchy"] = {
        "levels": tree.levels,
        "n_themes": len(members),
        "rule": tree.rule,
        "joined_by": tree.joined_by,
    }
    logger.info("themes: %s", tree.rule)
    return _Levels(tree, theme_of_doc, labels)


def _topic_terms(model: Any, topics: np.ndarray) -> Any:
    """Each topic's c-TF-IDF row, in ascending topic id, without the outliers' row.

    BERTopic builds ``c_tf_idf_`` from its documents grouped by topic (ascending ids, so
    the outliers' -1 first) after renumbering the topics by size, the ids ``topics_``
    holds.
    """
    return model.c_tf_idf_[int((np.asarray(topics) == -1).any()) :]


def _merged_keywords(lists: list[list[str]], sizes: list[int], top: int = 10) -> list[str]:
    """Keywords of a theme: its subthemes' keywords interleaved, larger subthemes first."""
    order = sorted(range(len(lists)), key=lambda i: (-sizes[i], i))
    out: list[str] = []
    for rank in range(max((len(x) for x in lists), default=0)):
        for i in order:
            if rank < len(lists[i]) and lists[i][rank] not in out:
                out.append(lists[i][rank])
    return out[:top]


def _topic_table(
    run: _Run,
    embeddings: np.ndarray,
    described: _Description,
    levels: _Levels,
    eligible: tuple[np.ndarray, np.ndarray],
) -> pd.DataFrame:
    """One row per topic (subtheme): its label and theme, size, stance shares, quotes.

    ``eligible`` is the texts preferred as quotes and the wider mask tried next.
    """
    texts, n_quotes = run.texts, run.config.n_quotes
    final, labels, keywords = described.topics, described.labels, described.keywords
    rows = []
    for t in sorted(set(final.tolist())):
        members = final == t
        size = int(members.sum())
        quotes = (
            []
            if t == -1
            else select_quotes(
                t,
                final,
                embeddings,
                texts.docs,
                texts.ids,
                n_quotes,
                eligible[0],
                keys=texts.keys,
                fallback=eligible[1],
            )  # fmt: skip
        )
        theme = levels.tree.theme_of.get(int(t), -1)
        pos, neg = labels_mod.stance_shares(run.sentiment[members])
        rows.append(
            {
                "topic": t,
                "label": labels[t],
                "theme": theme,
                "theme_label": levels.labels.get(theme, labels[t]),
                "size": size,
                "share": round(size / texts.n, 6),
                "positive": round(pos, 6),
                "negative": round(neg, 6),
                "keywords": "; ".join(keywords[t][:10]),
                "quote_ids": "; ".join(quotes),
            }
        )
    return pd.DataFrame(rows, columns=TOPIC_COLUMNS)


def _theme_table(
    run: _Run,
    embeddings: np.ndarray,
    described: _Description,
    levels: _Levels,
    eligible: tuple[np.ndarray, np.ndarray],
) -> pd.DataFrame:
    """One row per top-level theme: label, size, subthemes, stance shares, keywords, quotes."""
    texts, final = run.texts, described.topics
    rows = []
    for h, ts in levels.tree.members().items():
        members = levels.theme_of_doc == h
        size = int(members.sum())
        sizes = [int((final == t).sum()) for t in ts]
        by_size = [t for _, t in sorted(zip((-z for z in sizes), ts, strict=True))]
        quotes = select_quotes(
            h, levels.theme_of_doc, embeddings, texts.docs, texts.ids, run.config.n_quotes,
            eligible[0], keys=texts.keys, fallback=eligible[1],
        )  # fmt: skip
        pos, neg = labels_mod.stance_shares(run.sentiment[members])
        kw = _merged_keywords([described.keywords[t] for t in ts], sizes)
        rows.append(
            {
                "theme": h,
                "label": levels.labels[h],
                "size": size,
                "share": round(size / texts.n, 6),
                "subthemes": "; ".join(str(t) for t in by_size),
                "positive": round(pos, 6),
                "negative": round(neg, 6),
                "keywords": "; ".join(kw[:10]),
                "quote_ids": "; ".join(quotes),
            }
        )
    return pd.DataFrame(rows, columns=THEME_COLUMNS)


def select_quotes(
    topic: int,
    topics: np.ndarray,
    embeddings: np.ndarray,
    docs: Sequence[str],
    ids: Sequence[str],
    n_quotes: int,
    eligible: np.ndarray | None = None,
    diversity: float = 0.3,
    keys: Sequence[str] | None = None,
    fallback: np.ndarray | None = None,
) -> list[str]:
    """Pick up to ``n_quotes`` representative, diverse quotes of one topic (MMR).

    Only texts assigned to ``topic`` are candidates, a text whose duplicate sits in
    another topic is skipped, and each distinct text is quoted once (first id).

    Args:
        topic: the topic.
        topics: topic of every modelled text.
        embeddings: their normalised embeddings.
        docs: their texts.
        ids: their ids.
        n_quotes: how many quotes.
        eligible: optional mask of texts preferred as quotes (e.g. not reassigned
            outliers); used when it leaves any candidate.
        fallback: a wider mask tried next, when ``eligible`` leaves none (then all).
        diversity: MMR trade-off (0 = most central, 1 = most diverse).
        keys: normalised texts (lower-cased, whitespace collapsed), when already computed.

    Returns:
        the ids of the chosen texts.
    """
    topics = np.asarray(topics)
    members = np.flatnonzero(topics == topic)
    if keys is None:
        keys = [text_key(d) for d in docs]
    member_keys = {keys[i] for i in members.tolist()}
    topics_of_key: dict[str, set[int]] = {}
    for key, t in zip(keys, topics.tolist(), strict=True):
        if key in member_keys:
            topics_of_key.setdefault(key, set()).add(int(t))
    for mask in (eligible, fallback):
        if mask is not None and mask[members].any():
            members = members[mask[members]]
            break
    seen: set[str] = set()
    cand: list[int] = []
    for i in members.tolist():
        if keys[i] in seen or topics_of_key[keys[i]] != {topic}:
            continue
        seen.add(keys[i])
        cand.append(i)
    if not cand:
        return []
    emb = embeddings[cand]
    centre = normalise(embeddings[topics == topic].mean(axis=0, keepdims=True))[0]
    rel = emb @ centre
    chosen: list[int] = []
    for _ in range(min(n_quotes, len(cand))):
        if chosen:
            red = (emb @ emb[chosen].T).max(axis=1)
            score = (1 - diversity) * rel - diversity * red
        else:
            score = rel.copy()
        score[chosen] = -np.inf
        chosen.append(int(np.argmax(score)))
    return [str(ids[cand[j]]) for j in chosen]


def _assignment_table(
    texts: Texts, described: _Description, themes: _Themes, levels: _Levels
) -> pd.DataFrame:
    """One row per input row, in input order; excluded rows keep the loader's status."""
    labels = described.labels
    by_id = {
        i: (int(t), int(h), labels[int(t)], round(float(p), 4), s)
        for i, t, h, p, s in zip(
            texts.ids,
            described.topics,
            levels.theme_of_doc,
            themes.prob,
            themes.status,
            strict=True,
        )
    }
    frame = texts.frame
    out_rows = []
    for rid, st in zip(frame["id"].astype(str), frame["status"].astype(str), strict=True):
        if rid in by_id:
            out_rows.append((rid, *by_id[rid]))
        else:
            out_rows.append((rid, pd.NA, pd.NA, "", np.nan, st))
    assignments = pd.DataFrame(out_rows, columns=ASSIGN_COLUMNS)
    assignments["topic"] = assignments["topic"].astype("Int64")
    assignments["theme"] = assignments["theme"].astype("Int64")
    if "original_text" in frame.columns:
        own = frame["text"].astype(str).to_numpy() == frame["original_text"].astype(str).to_numpy()
        assignments["read_as"] = np.where(own, "", frame["text"].astype(str).to_numpy())
    return assignments


# --------------------------------------------------------------------------- quality
def _quality(
    *,
    docs: list[str],
    described: _Description,
    part: _Partition,
    refined: Refinement | None,
    config: DiscoverConfig,
    progress: bool,
) -> dict[str, Any]:
    """Number of topics, NPMI coherence, topic diversity and stability over other seeds."""
    keywords, final = described.keywords, described.topics
    words = [keywords[t] for t in sorted(keywords) if t >= 0]
    vec = described.model.vectorizer_model
    coherence = npmi_coherence(
        words, matrix=vec.transform(docs), vocabulary=vec.vocabulary_, top_n=10
    )
    return {
        "n_topics": int(len([t for t in set(final.tolist()) if t >= 0])),
        "coherence_npmi": coherence,
        "topic_diversity": topic_diversity(words),
        "stability": _stability(part, refined, config, progress),
    }


def _stability(
    part: _Partition, refined: Refinement | None, config: DiscoverConfig, progress: bool
) -> dict[str, Any]:
    """Mean ARI between the themes and re-runs with seeds ``seed + 1000 r``, on the sample.

    Without refinement the consensus clustering of the sample is re-run; with it, the
    first pass again decides k and k-means partitions the sample's tuned embeddings
    (:func:`covidlearning.themes.refine.rerun_labels`). Either way a re-run reads the
    first pass's seeded sample (at most ``consensus.SAMPLE_CAP`` texts), so the re-runs
    cost the same at 2,000 texts as at 20,000.
    """
    from covidlearning.progress import each

    reruns = []
    runs = range(1, config.stability_runs + 1)
    for r in each(runs, "stability re-runs", len(runs), "run", enabled=progress and len(runs) > 0):
        seed = config.seed + 1000 * r
        if refined is None:
            labels = consensus.consensus_cluster(
                part.rep[part.sample], part.params, seed, part.n_topics
            ).labels
        else:
            labels = refine.rerun_labels(
                refined, part.rep, part.sample, part.params, seed, part.n_topics
            )
        reruns.append(labels.tolist())
    base = part.first.clustering.labels if refined is None else refined.labels[part.sample]
    stab = stability(base.tolist(), reruns)
    stab["texts"] = len(part.sample)
    stab["method"] = (
        "not measured (stability_runs 0)"
        if not len(runs)
        else "consensus clustering re-run with other seeds"
        if refined is None
        else "first pass re-run with other seeds (its number of themes), then k-means on "
        "the tuned embeddings of the first pass's sample; the tuning itself is not repeated"
    )
    return stab
