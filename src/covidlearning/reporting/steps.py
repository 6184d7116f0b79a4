"""The work each report notebook does, as functions, so notebooks hold only narrative.

Notebooks pass results to each other through files:

==================  ===========================================  ======================
notebook            writes (``run.work_dir``, unpublished)       writes (``tables/``)
==================  ===========================================  ======================
01-corpus           ``units.parquet`` (every unit or response,   ``corpus_documents``,
                    with ``id``, ``text``, ``status``)           ``corpus_cleaning``,
                                                                 ``run_summary`` (tables)
02-discover         ``discovery/`` (the saved model and its      ``themes``,
                    files), ``embeddings.npy``                   ``assignments``,
                                                                 ``quotes``,
                                                                 ``theme_by_document`` (docs),
                                                                 ``topic_similarity``,
                                                                 ``topic_map``, ``quality``
03-code             ``stance.csv``                               ``stance_by_theme``,
                                                                 ``framework_*``,
                                                                 ``breakdown_*``
04-report           nothing (reads the tables; never refits)     --
==================  ===========================================  ======================

Every text written to ``tables/`` passes the run's redactor. Ids, counts, labels and
keywords are computed from the data; tables are sorted so the same config and seed
give byte-identical files.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from covidlearning.reporting import artifacts as art
from covidlearning.reporting.wording import is_are, plural

if TYPE_CHECKING:
    from covidlearning.reporting.run import Run

logger = logging.getLogger(__name__)

#: Columns of a unit that describe where it comes from (documents).
DOC_COLUMNS = ("doc_id", "title", "publisher", "date", "doc_type", "source_file")


# --------------------------------------------------------------------------- statistics
def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score 95% interval for a proportion ``k / n`` (0, 0 when n is 0)."""
    if n <= 0:
        return 0.0, 0.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


# --------------------------------------------------------------------------- 01 corpus
@dataclass
class UnitsSummary:
    """What 01-corpus produced."""

    units: pd.DataFrame
    documents: pd.DataFrame
    cleaning: pd.DataFrame
    run_summary: pd.DataFrame | None = None


def _first(frame: pd.DataFrame, *names: str) -> str | None:
    for n in names:
        if n in frame.columns:
            return n
    return None


def prepare_units(run: Run) -> UnitsSummary:
    """Build the analysed units (documents) or load the responses (table) and describe them.

    Writes ``units.parquet`` to the work folder and the corpus tables to ``tables/``.
    """
    cfg = run.config
    if run.is_table:
        from covidlearning.corpus.load import load_table

        assert cfg.input is not None
        frame = load_table(
            cfg.input.path,
            cfg.input.text_column,
            cfg.input.id_column,
            cfg.input.sheet,
            missing_values=cfg.input.missing_values,
            question_column=cfg.input.question_column,
        )
        from covidlearning.reporting.breakdown import merge_group_variants

        units, merges = merge_group_variants(frame, cfg.input.group_columns)
        art.GROUP_MERGES.write(run.work_dir, merges)
        units["id"] = units["id"].astype(str)
        documents = pd.DataFrame(
            {
                "file": [Path(cfg.input.path).name],
                "rows": [len(frame)],
                "used": [int((frame["status"] == "ok").sum())],
            }
        )
        cleaning = (
            frame.loc[frame["status"] != "ok", "status"]
            .value_counts()
            .rename_axis("reason")
            .reset_index(name="rows")
            .sort_values(["rows", "reason"], ascending=[False, True])
        )
        from covidlearning.reporting import breakdown

        summary = breakdown.summary_table(breakdown.run_summary(frame))
    else:
        from covidlearning.corpus.build import build_corpus

        result = build_corpus(cfg.corpus, write=True)
        seg = result.segments.copy()
        units = seg.rename(columns={"segment_id": "id"})
        units["id"] = units["id"].astype(str)
        if "status" not in units.columns:
            units["status"] = "ok"
        documents = _documents_table(units, getattr(result, "documents", None))
        cleaning = _cleaning_table(getattr(result, "removals", None))
        summary = None
    units = units.reset_index(drop=True)
    _allow_published_groups(run, units)
    if run.is_table:
        # Responses are modelled in redacted form, so a respondent's or a staff member's
        # name can never become a theme keyword or label (the final guard would stop the run).
        own = (
            units["text"] == units["original_text"] if "original_text" in units else None
        )  # a short answer read with its question keeps what the respondent wrote
        pairs = zip(units["id"], units["text"], strict=True)
        units["text"] = [run.redact(t, f"response {i}") for i, t in pairs]
        if own is not None:
            units["original_text"] = [
                t if same else run.redact(o, f"response {i}")
                for i, t, o, same in zip(
                    units["id"], units["text"], units["original_text"], own, strict=True
                )
            ]
    units.to_parquet(art.UNITS.path(run.work_dir), index=False)
    excluded = units.loc[units["status"] != "ok", "status"].value_counts().to_dict()
    logger.info(
        "%d of %d %s analysed; excluded: %s",
        int((units["status"] == "ok").sum()),
        len(units),
        "rows" if run.is_table else "units",
        ", ".join(f"{n} {why}" for why, n in sorted(excluded.items())) or "none",
    )
    documents = run.redact_columns(documents, [c for c in ("title", "publisher") if c in documents])
    run.write_table(documents, "corpus_documents")
    run.write_table(cleaning, "corpus_cleaning")
    return UnitsSummary(units, documents, cleaning, summary)


def _allow_published_groups(run: Run, units: pd.DataFrame) -> None:
    """Let the names of published groups through redaction, and record them for the run.

    A breakdown by ward names its wards; where redaction reads such a name as a ward or
    a place, the later notebooks and the final guard allow it
    (:func:`covidlearning.privacy.disclosure.published_group_strings`).
    """
    cfg = run.config
    strings: list[str] = []
    if run.is_table and cfg.redaction.enabled and cfg.input and cfg.input.group_columns:
        from covidlearning.privacy.disclosure import published_group_strings
        from covidlearning.privacy.redact import Redactor

        fresh = Redactor(cfg.redaction)  # not the run's: it may hold an older run's list
        strings = published_group_strings(
            units, cfg.input.group_columns, fresh, cfg.disclosure.threshold
        )
    art.PUBLISHED_GROUPS.write(run.work_dir, strings)
    if strings:
        run.redactor.allow(strings)
        logger.info(
            "%d published group %s kept as written, though redaction reads %s as a ward or "
            "a place: %s",
            len(strings), "name" if len(strings) == 1 else "names",
            "it" if len(strings) == 1 else "them", "; ".join(strings),
        )  # fmt: skip


def _documents_table(units: pd.DataFrame, documents: Any) -> pd.DataFrame:
    """One row per document: id, title, publisher, date, type, units, characters."""
    if "status" in units.columns:
        units = units[units["status"] == "ok"]
    counts = units.groupby("doc_id").agg(
        units=("id", "size"), characters=("text", lambda s: int(s.str.len().sum()))
    )
    if isinstance(documents, pd.DataFrame) and "doc_id" in documents.columns:
        docs = documents.copy()
    else:
        cols = [c for c in DOC_COLUMNS if c in units.columns]
        docs = units[cols].drop_duplicates("doc_id")
    keep = [c for c in ("doc_id", "title", "publisher", "date", "doc_type") if c in docs]
    docs = docs[keep].drop_duplicates("doc_id").set_index("doc_id")
    docs = docs.join(counts, how="outer").reset_index()
    docs["units"] = docs["units"].fillna(0).astype(int)
    docs["characters"] = docs["characters"].fillna(0).astype(int)
    return docs.sort_values("doc_id").reset_index(drop=True)


def _cleaning_table(removals: Any) -> pd.DataFrame:
    """What cleaning removed: one row per reason with the number of spans and characters."""
    if not isinstance(removals, pd.DataFrame) or removals.empty:
        return pd.DataFrame(columns=["reason", "spans", "characters"])
    r = removals.copy()
    reason = _first(r, "reason", "kind", "rule") or r.columns[0]
    if {"start", "end"} <= set(r.columns):
        chars = (pd.to_numeric(r["end"]) - pd.to_numeric(r["start"])).abs()
    else:
        text = _first(r, "text", "removed")
        chars = r[text].astype(str).str.len() if text else pd.Series(0, index=r.index)
    out = (
        pd.DataFrame({"reason": r[reason].astype(str), "characters": chars.astype(int)})
        .groupby("reason")
        .agg(spans=("characters", "size"), characters=("characters", "sum"))
        .reset_index()
        .sort_values(["characters", "reason"], ascending=[False, True])
    )
    return out.reset_index(drop=True)


def load_units(run: Run) -> pd.DataFrame:
    """Read the units 01-corpus saved (ids as strings)."""
    path = art.UNITS.path(run.work_dir)
    if not path.is_file():
        from covidlearning.errors import InputError

        raise InputError(
            f"no analysed units in {run.work_dir}", "Run notebooks/01-corpus.ipynb first"
        )
    units = pd.read_parquet(path)
    units["id"] = units["id"].astype(str)
    return units


# --------------------------------------------------------------------------- 02 discover
@dataclass
class Discovery:
    """What 02-discover produced (read back from ``tables/``)."""

    themes: pd.DataFrame
    assignments: pd.DataFrame
    metrics: art.DiscoveryMetrics
    no_themes: str | None = None
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def levels(self) -> int:
        """2 when top-level themes group several subthemes (``theme_groups``), else 1."""
        if self.groups.empty or "subthemes" not in self.groups:
            return 1
        return 2 if (self.groups["subthemes"].astype(int) > 1).any() else 1


def run_discovery(run: Run, units: pd.DataFrame) -> Discovery:
    """Fit themes on the units (:mod:`covidlearning.themes.discover`) and write tables."""
    from covidlearning.themes import discover as disc

    frame = units.copy()
    result = disc.discover(frame, run.config.discover)
    result.save(art.DISCOVERY.path(run.work_dir))
    assignments = result.assignments.copy()
    assignments["id"] = assignments["id"].astype(str)
    topics = result.topics.copy()
    top = result.themes.copy()
    metrics = art.DiscoveryMetrics.model_validate(result.metrics)
    embeddings = getattr(result, "embeddings", None)
    doc_ids = getattr(result, "doc_ids", None)
    if embeddings is not None and doc_ids is not None:
        art.write_embeddings(run.work_dir, embeddings, [str(i) for i in doc_ids])
    return write_discovery_tables(run, units, assignments, topics, metrics, top)


def _topic_key(value: Any) -> str:
    """A topic id as a string (``3.0`` -> ``"3"``); missing values become ``""``."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return ""
    s = str(value)
    return s[:-2] if s.endswith(".0") else s


def write_discovery_tables(
    run: Run,
    units: pd.DataFrame,
    assignments: pd.DataFrame,
    topics: pd.DataFrame,
    metrics: art.DiscoveryMetrics,
    top: pd.DataFrame | None = None,
) -> Discovery:
    """Write themes, assignments, quotes, theme x document, similarity and quality tables.

    ``top`` is discovery's ``themes.csv`` (top-level themes); with it, ``theme_groups``
    (each top-level theme: size, share with CI, its subthemes, stance shares) and
    ``theme_quotes`` (quotes chosen for the top-level themes) are written too.
    """
    a = assignments.copy()
    a["id"] = a["id"].astype(str)
    a["topic"] = a["topic"].map(_topic_key)
    # labels and keywords are made of words from the texts: they pass redaction too
    if "label" in a.columns:
        labels = {v: run.redact(v, "theme label") for v in a["label"].dropna().unique()}
        a["label"] = a["label"].map(lambda v: labels.get(v, v))
    if "theme" in a.columns:
        a["theme"] = a["theme"].map(_topic_key)
    topics = run.redact_columns(
        topics, [c for c in ("label", "theme_label", "keywords") if c in topics]
    )
    columns = ("id", "topic", "theme", "label", "probability", "status", "read_as")
    run.write_table(a[[c for c in columns if c in a]], "assignments")
    modelled = a[a["topic"] != ""]
    n = len(modelled)
    t = topics.copy()
    t["topic"] = t["topic"].map(_topic_key)
    no_themes = None
    if t.empty or n == 0:
        no_themes = str(metrics.no_themes_found or "no coherent themes")
    themes = _hide_small_tone(run, _themes_table(t, modelled, units))
    run.write_table(themes, "themes")
    quotes = _quotes_table(run, t, units, modelled)
    run.write_table(quotes, "quotes", float_format="%.6g")
    art.QUOTE_NOTES.write(run.work_dir, quote_notes(run, t, units, modelled, quotes))
    if not run.is_table:  # a table of responses has no documents
        run.write_table(theme_by_source(run, modelled, units), "theme_by_document")
    sim, coords = _similarity(run, modelled, themes)
    run.write_table(sim, "topic_similarity", float_format="%.4f")
    run.write_table(coords, "topic_map", float_format="%.4f")
    groups = pd.DataFrame()
    if top is not None and "theme" in a.columns:
        top = run.redact_columns(top, [c for c in ("label", "keywords") if c in top])
        groups = _hide_small_tone(run, _theme_groups_table(top, themes, modelled))
        run.write_table(groups, "theme_groups")
        at_top = modelled.assign(topic=modelled["theme"])
        g = groups.rename(columns={"theme": "topic"}).assign(
            quote_ids=top.set_index(top["theme"].map(_topic_key))["quote_ids"]
            .reindex(groups["theme"])
            .to_numpy()
        )
        run.write_table(_quotes_table(run, g, units, at_top), "theme_quotes", float_format="%.6g")
    found = Discovery(themes, a, metrics, no_themes, groups)
    if found.levels == 2:  # counted as the report counts them
        levels = (len(groups), int(groups["subthemes"].astype(int).sum()))
    else:
        levels = (len(themes), None)
    run.write_table(quality_table(metrics, n, *levels), "quality")
    return found


def _hide_small_tone(run: Run, table: pd.DataFrame) -> pd.DataFrame:
    """A table of responses: no stance shares for a theme under the disclosure threshold."""
    if not run.is_table or table.empty or "positive" not in table:
        return table
    small = table["size"].astype(int) < run.config.disclosure.threshold
    return table.assign(
        positive=table["positive"].where(~small), negative=table["negative"].where(~small)
    )


def _theme_groups_table(
    top: pd.DataFrame, themes: pd.DataFrame, modelled: pd.DataFrame
) -> pd.DataFrame:
    """Top-level themes: label, size, share with Wilson 95% CI, subthemes, stance shares."""
    n = len(modelled)
    sizes = modelled.groupby("theme").size()
    rows = []
    for _, r in top.iterrows():
        key = _topic_key(r["theme"])
        size = int(sizes.get(key, 0))
        lo, hi = wilson(size, n)
        subs = [x.strip() for x in str(r.get("subthemes", "")).split(";") if x.strip()]
        names = themes.set_index("topic")["label"].astype(str)
        rows.append(
            {
                "theme": key,
                "label": str(r["label"]),
                "size": size,
                "share": round(size / n, 6) if n else 0.0,
                "ci_low": round(lo, 6),
                "ci_high": round(hi, 6),
                "subthemes": len(subs),
                "subtheme_ids": "; ".join(subs),
                "subtheme_labels": "; ".join(str(names.get(x, x)) for x in subs),
                "positive": float(r.get("positive", 0.0)),
                "negative": float(r.get("negative", 0.0)),
                "keywords": "" if pd.isna(r.get("keywords")) else str(r.get("keywords")),
            }
        )
    cols = ["theme", "label", "size", "share", "ci_low", "ci_high", "subthemes", "subtheme_ids",
            "subtheme_labels", "positive", "negative", "keywords"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def _themes_table(
    topics: pd.DataFrame, modelled: pd.DataFrame, units: pd.DataFrame
) -> pd.DataFrame:
    """Theme, label, keywords, size, share with Wilson 95% CI, and where it appears."""
    n = len(modelled)
    sizes = modelled.groupby("topic").size()
    rows = []
    unit_doc = units.set_index("id")["doc_id"] if "doc_id" in units.columns else None
    for _, r in topics.iterrows():
        key = r["topic"]
        if key in {"", "-1"} and key not in sizes.index:
            continue
        size = int(sizes.get(key, 0))
        lo, hi = wilson(size, n)
        kw = r.get("keywords", "")
        kw = "; ".join(kw) if isinstance(kw, list | tuple) else str(kw if kw == kw else "")
        docs = ""
        if unit_doc is not None:
            ids = modelled.loc[modelled["topic"] == key, "id"]
            d = unit_doc.reindex(ids).dropna().astype(str)
            docs = "; ".join(f"{k} ({v})" for k, v in sorted(d.value_counts().items()))
        rows.append(
            {
                "topic": key,
                "label": str(r.get("label", key)),
                "theme": _topic_key(r.get("theme", key)),
                "theme_label": str(r.get("theme_label", r.get("label", key))),
                "keywords": kw,
                "size": size,
                "share": round(size / n, 6) if n else 0.0,
                "ci_low": round(lo, 6),
                "ci_high": round(hi, 6),
                "positive": float(r.get("positive", 0.0)),
                "negative": float(r.get("negative", 0.0)),
                "documents": docs,
            }
        )
    cols = ["topic", "label", "theme", "theme_label", "keywords", "size", "share", "ci_low",
            "ci_high", "positive", "negative", "documents"]  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    order = out["topic"].map(lambda t: (int(t), "") if t.lstrip("-").isdigit() else (10**9, t))
    out = out.assign(_order=order).sort_values(["size", "_order"], ascending=[False, True])
    return out.drop(columns="_order").reset_index(drop=True)


def _quotes_table(
    run: Run, topics: pd.DataFrame, units: pd.DataFrame, modelled: pd.DataFrame
) -> pd.DataFrame:
    """Representative quotes per theme, redacted, with source and section.

    For tables of responses with grouping columns, quotes are chosen among the texts
    that may be quoted (no respondent from a group below the disclosure threshold):
    a theme whose discovered quotes include such a respondent gets its quotes chosen
    again, the same way (:func:`covidlearning.themes.discover.select_quotes`), from its
    eligible texts only, so every theme with enough eligible texts shows
    ``discover.n_quotes`` quotes.
    """
    by_id = units.set_index("id")
    topic_of = modelled.set_index("id")["topic"]
    chosen = _eligible_quote_ids(run, topics, units, modelled)
    attributed = attributions(run, units, modelled)
    rows = []
    for _, r in topics.iterrows():
        key = r["topic"]
        ids = r.get("quote_ids", "")
        if isinstance(ids, str):
            ids = [x.strip() for x in ids.split(";") if x.strip()]
        ids = chosen.get(key, ids)
        for rank, qid in enumerate(ids or [], start=1):
            qid = str(qid)
            if qid not in by_id.index or str(topic_of.get(qid, key)) != key:
                continue
            u = by_id.loc[qid]
            section = str(u.get("section", "") or "") if not run.is_table else ""
            rows.append(
                {
                    "topic": key,
                    "label": str(r.get("label", key)),
                    "rank": rank,
                    "id": qid,
                    "quote": str(u.get("original_text", u["text"])),  # as written
                    "source": _source_of(u, run, attributed.get(qid, "")),
                    "section": _section_below_title(section, u.get("title")),
                }
            )
    q = pd.DataFrame(rows, columns=["topic", "label", "rank", "id", "quote", "source", "section"])
    if run.is_table and not q.empty:
        from covidlearning.privacy.disclosure import filter_quotes

        cfg = run.config
        groups = list(cfg.input.group_columns) if cfg.input else []
        analysed = units[units["id"].isin(set(modelled["id"]))]
        q = filter_quotes(q, analysed, groups, cfg.disclosure.threshold)
    return run.redact_columns(q, ["quote", "source", "section"])


def _eligible_quote_ids(
    run: Run, topics: pd.DataFrame, units: pd.DataFrame, modelled: pd.DataFrame
) -> dict[str, list[str]]:
    """Quote ids re-chosen among quotable texts, for the themes that need it.

    Returns ``topic -> ids`` only for themes whose discovered quotes are not all
    quotable; empty for documents, runs without grouping columns or saved embeddings.
    """
    cfg = run.config
    if not run.is_table or topics.empty:
        return {}
    allowed = _quotable_ids(run, units, modelled)
    member = modelled.set_index("id")["topic"].astype(str)
    need = []
    for _, r in topics.iterrows():
        key = str(r["topic"])
        ids = [x.strip() for x in str(r.get("quote_ids", "") or "").split(";") if x.strip()]
        # a quote that may not be shown, or whose text ended in another theme (outliers
        # reassigned, themes refined after the quotes were picked)
        if any(i not in allowed or member.get(i) != key for i in ids):
            need.append(key)
    if not need:
        return {}
    saved = art.read_embeddings(run.work_dir)
    if saved is None:
        return _quotes_by_probability(modelled, need, allowed, cfg.discover.n_quotes)
    from covidlearning.themes.discover import select_quotes

    emb_ids, emb = saved
    emb = emb.astype(np.float64)
    emb /= np.clip(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12, None)
    if len(emb_ids) != len(emb):
        return {}
    topic_of = modelled.set_index("id")["topic"].astype(str)
    text_of = units.set_index("id")["text"].astype(str)
    keep = [k for k, i in enumerate(emb_ids) if i in topic_of.index and i in text_of.index]
    if not keep:
        return {}
    ids = [emb_ids[k] for k in keep]
    codes = {t: n for n, t in enumerate(sorted(set(topic_of)))}
    labels = np.array([codes[topic_of[i]] for i in ids])
    eligible = np.array([i in allowed for i in ids])
    if "original_text" in units.columns:  # the respondent's own words first, as discovery
        own_of = units.set_index("id")["original_text"].astype(str) == text_of
        own = eligible & np.array([bool(own_of.get(i, True)) for i in ids])
    else:
        own = eligible
    docs = [text_of[i] for i in ids]
    out = {}
    for key in need:
        if key not in codes:
            continue
        picked = select_quotes(
            codes[key], labels, emb[keep], docs, ids, cfg.discover.n_quotes, own,
            fallback=eligible,
        )  # fmt: skip
        out[key] = [i for i in picked if i in allowed]
    return out


def _quotable_ids(run: Run, units: pd.DataFrame, modelled: pd.DataFrame) -> set[str]:
    """Ids of analysed texts that may be quoted: status ok, in no group below the threshold."""
    cfg = run.config
    groups = list(cfg.input.group_columns) if run.is_table and cfg.input else []
    groups = [g for g in groups if g in units.columns]
    analysed = units[units["id"].isin(set(modelled["id"]))]
    ok = pd.Series(True, index=analysed.index)
    if groups:
        from covidlearning.privacy.disclosure import quotable

        ok &= quotable(analysed, groups, cfg.disclosure.threshold)
    if "status" in analysed.columns:
        ok &= analysed["status"].astype(str) == "ok"
    return set(analysed.loc[ok, "id"].astype(str))


def _quotes_by_probability(
    modelled: pd.DataFrame, topics: list[str], allowed: set[str], n: int
) -> dict[str, list[str]]:
    """Without saved embeddings: each theme's quotable texts it holds most surely."""
    m = modelled[modelled["id"].astype(str).isin(allowed)].copy()
    m["id"] = m["id"].astype(str)
    prob = "probability" if "probability" in m.columns else None
    m["_p"] = pd.to_numeric(m[prob], errors="coerce").fillna(0.0) if prob else 0.0
    out = {}
    for key in topics:
        g = m[m["topic"].astype(str) == key].sort_values(["_p", "id"], ascending=[False, True])
        out[key] = g["id"].head(n).tolist()
    return out


def attributions(run: Run, units: pd.DataFrame, modelled: pd.DataFrame) -> dict[str, str]:
    """Each analysed response's groups, as a quote may name them: ``staff group: Nursing``.

    Group columns are added in the config's order while the respondents sharing every
    value named so far number at least ``disclosure.threshold``: each group alone may be
    large enough while the two together single someone out, so the combination is
    counted, not each group. Empty for documents and runs without group columns.
    """
    cfg = run.config
    if not run.is_table or cfg.input is None:
        return {}
    groups = [g for g in cfg.input.group_columns if g in units.columns]
    if not groups:
        return {}
    from covidlearning.privacy.disclosure import group_labels

    analysed = units[units["id"].isin(set(modelled["id"]))].copy()
    if "status" in analysed.columns:
        analysed = analysed[analysed["status"].astype(str) == "ok"]
    labels = pd.DataFrame({g: group_labels(analysed[g]).to_numpy() for g in groups})
    labels.index = analysed["id"].astype(str).to_numpy()
    parts: dict[str, list[str]] = {i: [] for i in labels.index}
    key = pd.Series("", index=labels.index)
    open_ = pd.Series(True, index=labels.index)
    for g in groups:
        trial = key + "\x1f" + labels[g]
        sizes = trial.map(trial.value_counts())
        grow = open_ & (sizes >= cfg.disclosure.threshold)
        for i in labels.index[grow.to_numpy()]:
            parts[i].append(f"{str(g).replace('_', ' ')}: {labels.at[i, g]}")
        key = key.where(~grow, trial)
        open_ &= grow  # once a combination would be too small, name no further group
    return {i: "; ".join(p) for i, p in parts.items() if p}


def quote_notes(
    run: Run,
    topics: pd.DataFrame,
    units: pd.DataFrame,
    modelled: pd.DataFrame,
    quotes: pd.DataFrame,
) -> dict[str, str]:
    """Why each theme without a quote has none, in words that reveal no hidden figure.

    Returns ``topic -> reason`` (a clause to follow "No quotation can be shown for this
    theme: "), only for themes with no quote.
    """
    shown = set(quotes["topic"].astype(str)) if not quotes.empty else set()
    allowed = _quotable_ids(run, units, modelled)
    cfg = run.config
    groups = list(cfg.input.group_columns) if run.is_table and cfg.input else []
    status = (
        units.set_index(units["id"].astype(str))["status"].astype(str)
        if "status" in units.columns
        else None
    )
    notes = {}
    for key in topics["topic"].astype(str):
        if key in shown or key in {"", "-1"}:
            continue
        ids = modelled.loc[modelled["topic"].astype(str) == key, "id"].astype(str)
        if ids.empty:
            notes[key] = "it holds no analysed text"
        elif ids.isin(allowed).any():
            notes[key] = "none of its texts could be matched to it as a representative quote"
        elif status is not None and not (status.reindex(ids) == "ok").any():
            notes[key] = "none of its texts is a usable answer (all were excluded)"
        elif groups:
            what = " or ".join(str(g).replace("_", " ") for g in groups)
            notes[key] = (
                f"every one of its texts comes from someone in a {what} group of fewer "
                f"than {cfg.disclosure.threshold} respondents"
            )
        else:
            notes[key] = "no representative text was recorded for it"
    return notes


def _section_below_title(section: str, title: Any) -> str:
    """Drop a leading heading that only repeats the document's title ("Title > Part")."""
    parts = [p.strip() for p in section.split(" > ") if p.strip()]
    if parts and isinstance(title, str) and title.strip():
        head, t = parts[0].lower(), title.strip().lower()
        if head == t or t.startswith(head) or head.startswith(t):
            parts = parts[1:]
    return " > ".join(parts)


def _source_of(unit: pd.Series, run: Run, groups: str = "") -> str:
    if run.is_table:
        return f"response {unit.name}" + (f", {groups}" if groups else "")
    title = unit.get("title") if "title" in unit else None
    if isinstance(title, str) and title.strip():
        return title.strip()
    return str(unit.get("doc_id", ""))


def theme_by_source(run: Run, modelled: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Counts of units per theme (rows) and document (columns); long format, sorted."""
    col = "doc_id" if "doc_id" in units.columns else None
    if col is None:
        return pd.DataFrame(columns=["topic", "source", "units"])
    m = modelled.merge(units[["id", col]], on="id", how="left")
    out = (
        m.groupby(["topic", col])
        .size()
        .rename("units")
        .reset_index()
        .rename(columns={col: "source"})
    )
    return out.sort_values(["topic", "source"]).reset_index(drop=True)


def topic_centroids(
    run: Run, modelled: pd.DataFrame, topics: list[str]
) -> tuple[list[str], np.ndarray | None]:
    """Unit-normalised mean embedding of each topic's units (from 02's saved embeddings).

    Returns:
        The topics that have embedded units, and their centroids (rows in that order);
        ``([], None)`` when no embeddings were saved.
    """
    saved = art.read_embeddings(run.work_dir)
    if saved is None:
        return [], None
    ids, emb = saved
    index = {k: i for i, k in enumerate(ids)}
    keys, cents = [], []
    for key in topics:
        rows = [index[i] for i in modelled.loc[modelled["topic"] == key, "id"] if i in index]
        if not rows:
            continue
        c = emb[rows].astype(np.float64).mean(axis=0)
        cents.append(c / (np.linalg.norm(c) or 1.0))
        keys.append(key)
    if not keys:
        return [], None
    return keys, np.vstack(cents)


def _similarity(
    run: Run, modelled: pd.DataFrame, themes: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cosine similarity of theme centroids and a 2-D map of them (classical MDS)."""
    empty = (
        pd.DataFrame(columns=["topic", "other", "similarity"]),
        pd.DataFrame(columns=["topic", "label", "size", "x", "y"]),
    )
    if themes.empty:
        return empty
    keys, c = topic_centroids(run, modelled, themes["topic"].tolist())
    if c is None:
        return empty
    s = np.clip(c @ c.T, -1.0, 1.0)
    sim = pd.DataFrame(
        [(a, b, float(s[i, j])) for i, a in enumerate(keys) for j, b in enumerate(keys)],
        columns=["topic", "other", "similarity"],
    )
    xy = classical_mds(1.0 - s)
    lab = themes.set_index("topic")
    coords = pd.DataFrame(
        {
            "topic": keys,
            "label": [str(lab.loc[k, "label"]) for k in keys],
            "size": [int(lab.loc[k, "size"]) for k in keys],
            "x": xy[:, 0],
            "y": xy[:, 1],
        }
    )
    return sim, coords


def classical_mds(dist: np.ndarray, dims: int = 2) -> np.ndarray:
    """Classical (Torgerson) MDS: deterministic 2-D coordinates from a distance matrix.

    Signs are fixed so the largest-magnitude coordinate of each axis is positive.
    """
    n = dist.shape[0]
    if n == 1:
        return np.zeros((1, dims))
    d2 = np.asarray(dist, dtype=np.float64) ** 2
    j = np.eye(n) - np.ones((n, n)) / n
    b = -0.5 * j @ d2 @ j
    vals, vecs = np.linalg.eigh((b + b.T) / 2)
    order = np.argsort(vals)[::-1][:dims]
    out = vecs[:, order] * np.sqrt(np.clip(vals[order], 0, None))
    for k in range(out.shape[1]):
        if out[np.argmax(np.abs(out[:, k])), k] < 0:
            out[:, k] = -out[:, k]
    if out.shape[1] < dims:
        out = np.hstack([out, np.zeros((n, dims - out.shape[1]))])
    return np.round(out, 6)


def quality_table(
    metrics: art.DiscoveryMetrics, n_units: int, n_themes: int, n_subthemes: int | None = None
) -> pd.DataFrame:
    """Quality and stability figures with what each means, in plain English.

    ``n_subthemes`` is given when the themes are divided into subthemes.
    """
    rows: list[tuple[str, Any, str]] = [("themes", n_themes, "Number of themes found.")]
    if n_subthemes is not None:
        rows.append(("subthemes", n_subthemes, "Number of subthemes the themes divide into."))
    rows += [
        ("units analysed", n_units, "Text units (or responses) given to the model."),
        (
            "coherence (NPMI)",
            metrics.part("coherence_npmi", "mean"),
            "Do a theme's keywords occur together in the texts? -1 never, 0 by chance, "
            "+1 always; above about 0.1 is typical of readable themes.",
        ),
        (
            "diversity",
            metrics.topic_diversity,
            "Share of keywords unique to one theme: 1 means themes do not repeat each other.",
        ),
        (
            "stability (ARI)",
            metrics.part("stability", "mean_ari"),
            "How far re-running with other random seeds gives the same grouping: 1 identical, "
            "0 no better than chance.",
        ),
        (
            "outliers",
            metrics.part("outliers", "count"),
            "Units that fitted no theme well before reassignment.",
        ),
        (
            "outlier share",
            metrics.part("outliers", "share"),
            "The same as a share of all units.",
        ),
    ]
    out = pd.DataFrame(rows, columns=["measure", "value", "meaning"])
    out["value"] = [
        ("" if v is None else round(float(v), 4) if isinstance(v, float) else v)
        for v in out["value"]
    ]
    return out


def read_discovery(run: Run) -> Discovery:
    """Read 02-discover's tables back (for 03 and 04)."""
    themes = run.read_table("themes", dtype={"topic": str, "label": str})
    assignments = run.read_table("assignments", dtype={"id": str, "topic": str, "theme": str})
    assignments["topic"] = assignments["topic"].fillna("").map(_topic_key)
    if "theme" in assignments.columns:
        assignments["theme"] = assignments["theme"].fillna("").map(_topic_key)
    metrics = art.DISCOVERY_METRICS.read(run.work_dir)
    no_themes = None if len(themes) else str(metrics.no_themes_found or "no coherent themes")
    groups = (
        run.read_table("theme_groups", dtype={"theme": str, "label": str, "subtheme_ids": str})
        if run.has_table("theme_groups")
        else pd.DataFrame()
    )
    return Discovery(themes, assignments, metrics, no_themes, groups)


# --------------------------------------------------------------------------- 03 code
def code_stance(run: Run, units: pd.DataFrame, found: Discovery) -> pd.DataFrame:
    """Score stance and sentiment for every modelled unit; write ``stance_by_theme``.

    The per-unit scores (ids and numbers only) go to the work folder as ``stance.csv``.
    With ``stance: false`` in the config nothing is scored or written (empty table).
    """
    from covidlearning._io import write_csv
    from covidlearning.coding import stance as sentiment

    if not run.config.stance:
        return pd.DataFrame()

    modelled = found.assignments[found.assignments["topic"] != ""]
    frame = units[units["id"].isin(set(modelled["id"]))]
    scored = sentiment.score_texts(frame, "text", "section" if "section" in frame else None)
    write_csv(art.STANCE_SCORES.path(run.work_dir), scored)
    run.write_table(
        scored["stance"].value_counts().reindex(sentiment.STANCES, fill_value=0)
        .rename_axis("stance").reset_index(name="units"),
        "stance_overall",
    )  # fmt: skip
    table = sentiment.by_theme(scored, modelled)
    table["topic"] = table["topic"].astype(str)
    order = {k: i for i, k in enumerate(found.themes["topic"].astype(str))}
    table = table.sort_values("topic", key=lambda s: s.map(order)).reset_index(drop=True)
    if run.is_table:
        table = hide_small_themes(table, run.config.disclosure.threshold)
    run.write_table(table, "stance_by_theme")
    return table


def hide_small_themes(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Stance per theme with every figure but the size hidden for themes below ``threshold``.

    A theme's size is a whole-population count and stays exact; its stance counts,
    shares and mean sentiment rest on fewer than ``threshold`` responses, so they are
    published as ``*`` (:mod:`covidlearning.privacy.disclosure`).
    """
    out = table.astype(object).copy()
    small = pd.to_numeric(table["n"]) < threshold
    figures = [c for c in out.columns if c not in {"topic", "label", "n"}]
    out.loc[small, figures] = "*"
    return out


def compare_frameworks(run: Run, units: pd.DataFrame, found: Discovery) -> list[dict[str, Any]]:
    """Compare the discovered themes with each framework codebook named in the config.

    Writes ``framework_<id>.csv`` and ``frameworks.json`` (for 04-report) and returns
    one dict per framework: ``name``, ``markdown``, ``summary``, ``table``, ``figure``.
    """
    results: list[dict[str, Any]] = []
    if run.config.frameworks and not found.themes.empty:
        results = _frameworks(run, units, found)
    art.FRAMEWORKS.write(run.work_dir, results)
    return results


def _frameworks(run: Run, units: pd.DataFrame, found: Discovery) -> list[dict[str, Any]]:
    from covidlearning.coding.codebook import load_codebook
    from covidlearning.coding.frameworks import compare_to_framework

    themes = found.themes.copy()
    themes["topic"] = themes["topic"].astype(str)
    modelled = found.assignments[found.assignments["topic"] != ""]
    keys, cents = topic_centroids(run, modelled, themes["topic"].tolist())
    if cents is not None and len(keys) == len(themes):
        described: Any = cents.astype(np.float32)
    else:  # no saved embeddings: let the coder embed each theme's texts
        texts = modelled.merge(units[["id", "text"]], on="id")
        described = {t: g["text"].tolist() for t, g in texts.groupby("topic")}
    results = []
    for path in run.config.frameworks:
        codebook = load_codebook(path)
        table = compare_to_framework(
            themes[["topic", "label", "keywords", "size"]], described, codebook, run.config.code
        )
        key = slug(Path(path).stem)
        name = f"framework_{key}"
        run.write_table(table, name, float_format="%.4f")
        results.append(
            _framework_story(run, codebook, table, themes, name, run.config.code.min_similarity)
        )
    return results


def framework_alignment(table: pd.DataFrame, cut: float) -> dict[str, pd.DataFrame]:
    """Classify a :func:`covidlearning.coding.compare_to_framework` table.

    Each discovered theme is placed under its closest framework theme when their
    similarity reaches ``cut``; otherwise it is **new**. A framework theme is
    **matched** when at least one discovered theme is placed under it, and **missed**
    when none is (even if some theme is loosely related: it is then reported with its
    closest theme). This is stricter than "any similarity above the cut", which with
    averaged embeddings can call every framework theme supported.

    Returns:
        ``matched`` (framework theme, discovered themes, best similarity), ``missed``
        (framework theme, closest discovered theme, similarity) and ``new``
        (discovered theme, closest framework theme, similarity).
    """
    th = table[table["kind"] == "theme"].reset_index(drop=True)
    tp = table[table["kind"] == "topic"].reset_index(drop=True)
    sims = [f"sim:{i}" for i in th["id"]]
    m = tp[sims].astype(float).to_numpy() if len(tp) and sims else np.zeros((0, len(th)))
    best = m.argmax(axis=1) if m.size else np.array([], dtype=int)
    best_sim = m.max(axis=1) if m.size else np.array([])
    placed = best_sim >= cut
    matched, missed = [], []
    for j, theme in th.iterrows():
        members = [i for i in range(len(tp)) if placed[i] and best[i] == j]
        if members:
            members.sort(key=lambda i: -m[i, j])
            matched.append(
                {
                    "framework_theme": theme["label"],
                    "discovered": "; ".join(str(tp.loc[i, "label"]) for i in members),
                    "similarity": round(float(m[members[0], j]), 4),
                }
            )
        else:
            i = int(m[:, j].argmax()) if len(tp) else -1
            missed.append(
                {
                    "framework_theme": theme["label"],
                    "closest": str(tp.loc[i, "label"]) if i >= 0 else "",
                    "similarity": round(float(m[i, j]), 4) if i >= 0 else float("nan"),
                }
            )
    new = [
        {
            "discovered": str(tp.loc[i, "label"]),
            "closest": str(th.loc[int(best[i]), "label"]),
            "similarity": round(float(best_sim[i]), 4),
        }
        for i in range(len(tp))
        if not placed[i]
    ]
    return {
        "matched": pd.DataFrame(matched, columns=["framework_theme", "discovered", "similarity"]),
        "missed": pd.DataFrame(missed, columns=["framework_theme", "closest", "similarity"]),
        "new": pd.DataFrame(new, columns=["discovered", "closest", "similarity"]),
    }


def _framework_story(
    run: Run, codebook: Any, table: pd.DataFrame, themes: pd.DataFrame, name: str, cut: float
) -> dict[str, Any]:
    """Words, figure and summary for one framework comparison."""
    from covidlearning.reporting import figures

    al = framework_alignment(table, cut)
    matched, missed, new = al["matched"], al["missed"], al["new"]
    n_fw = len(matched) + len(missed)
    n_found = int((table["kind"] == "topic").sum())
    lines = [
        f"*{codebook.name}* has {plural(n_fw, 'theme')}; the analysis found {n_found}. "
        "Each discovered theme is placed under the framework theme closest to it in meaning "
        "(comparing the framework theme's name, definition and examples with the discovered "
        f"theme's texts), provided the cosine similarity is at least {cut:.2f} (1 would be "
        "identical).",
        "",
        f"**Matched ({len(matched)} of {n_fw}): framework themes the data supports**",
    ]
    lines += [
        f"- {r.framework_theme}: found as "
        + "; ".join(f"*{d}*" for d in str(r.discovered).split("; "))
        + f" (best similarity {r.similarity:.2f})"
        for r in matched.itertuples()
    ] or ["- none"]
    lines += [
        "",
        f"**Missed ({len(missed)}): framework themes no discovered theme is mainly about**",
    ]
    lines += [
        f"- {r.framework_theme} (closest: *{r.closest}*, similarity {r.similarity:.2f})"
        for r in missed.itertuples()
    ] or ["- none: every framework theme has at least one discovered theme"]
    lines += ["", f"**New ({len(new)}): discovered themes the framework does not name**"]
    lines += [
        f"- *{r.discovered}* (closest framework theme: {r.closest}, {r.similarity:.2f})"
        for r in new.itertuples()
    ] or [f"- none: every discovered theme is within {cut:.2f} of a framework theme"]
    tp = table[table["kind"] == "topic"]
    sims = [c for c in table.columns if c.startswith("sim:")]
    fig_name = None
    if sims and len(tp):
        m = tp.set_index("label")[sims].astype(float)
        names = {t.id: t.name for t in codebook.themes}
        m.columns = [names.get(c.removeprefix("sim:"), c) for c in sims]
        fig = figures.heatmap(
            m, f"Discovered themes and {codebook.name}", fmt="{:.2f}",
            cbar_label="Similarity of meaning", xlabel=f"{codebook.name} themes",
        )  # fmt: skip
        run.figure(fig, name, alt=f"Similarity of discovered themes to {codebook.name}")
        fig_name = name
    summary = (
        f"Against *{codebook.name}*: {len(matched)} of {plural(n_fw, 'framework theme')} "
        f"{is_are(len(matched))} found in the data, {len(missed)} {is_are(len(missed))} "
        f"not, and {plural(len(new), 'discovered theme')} {is_are(len(new))} outside the "
        "framework."
    )
    return {
        "name": codebook.name,
        "markdown": "\n".join(lines),
        "summary": summary,
        "table": None,
        "figure": fig_name,
        "caption": f"How close in meaning each discovered theme (rows) is to each theme of "
        f"{codebook.name} (columns); 1 is identical. A discovered theme is placed under its "
        f"closest framework theme when the similarity is at least {cut:.2f}.",
    }


def breakdowns(
    run: Run, units: pd.DataFrame, found: Discovery, freq: str = "", level: str = "auto"
) -> list[Any]:
    """Theme breakdowns by each grouping column and over time, disclosure-controlled.

    Only for table inputs (``source: table``); returns the
    :class:`covidlearning.reporting.breakdown.Breakdown` objects and writes ``breakdown_*`` tables.
    ``level``: ``theme`` (top-level themes), ``topic`` (subthemes), or ``auto`` (the
    top-level themes when they group subthemes, else the topics).
    """
    cfg = run.config
    if not run.is_table or cfg.input is None:
        return []
    from covidlearning.reporting import breakdown
    from covidlearning.reporting.run import check_parameter

    freq = check_parameter("time_period", freq) if freq else ""
    modelled = _at_level(found, level)
    out = []
    notes: dict[str, list[str]] = {}
    not_read = 0
    thr, sec = cfg.disclosure.threshold, cfg.disclosure.secondary
    merged = art.GROUP_MERGES.read(run.work_dir)
    for col in cfg.input.group_columns:
        bd = breakdown.by_group(
            modelled, units, col, thr, sec, keywords=False, rounding=cfg.disclosure.rounding
        )
        breakdown.write(bd, run.tables_dir, run.figures_dir, f"breakdown_{slug(col)}")
        said = [f"{line}." for line in merged.get(col, [])]
        notes[f"breakdown_{slug(col)}"] = [*bd.notes, *said]
        out.append(bd)
    if cfg.input.date_column:
        freq = freq or str(getattr(cfg.input, "date_freq", "") or "M")
        bd = breakdown.readable_over_time(
            modelled, units, cfg.input.date_column, freq, thr, sec, cfg.input.dayfirst,
            keywords=False, date_format=cfg.input.date_format,
            rounding=cfg.disclosure.rounding,
        )  # fmt: skip
        breakdown.write(bd, run.tables_dir, run.figures_dir, "breakdown_over_time")
        notes["breakdown_over_time"] = bd.notes
        out.append(bd)
        not_read = bd.not_read
    summary = breakdown.run_summary(units, used_ids=modelled["id"], dates_not_read=not_read)
    run.write_table(breakdown.summary_table(summary), "run_summary")
    art.RUN_SUMMARY.write(run.work_dir, summary)
    art.BREAKDOWN_NOTES.write(run.work_dir, notes)
    return out


def _at_level(found: Discovery, level: str) -> pd.DataFrame:
    """The modelled assignments with ``topic``/``label`` at the level asked for."""
    if level not in {"auto", "theme", "topic"}:
        raise ValueError(f"level must be 'auto', 'theme' or 'topic', not {level!r}")
    modelled = found.assignments[found.assignments["topic"] != ""].copy()
    top = level == "theme" or (level == "auto" and found.levels == 2)
    if top and "theme" in modelled.columns and not found.groups.empty:
        names = found.groups.set_index("theme")["label"].astype(str)
        modelled["topic"] = modelled["theme"]
        modelled["label"] = modelled["theme"].map(names).fillna(modelled["label"])
    modelled["topic"] = modelled["topic"].astype(int)
    return modelled


def slug(text: str) -> str:
    """A file-name-safe, lower-case form of a column or file name (``group`` if empty)."""
    s = "".join(c if c.isalnum() else "_" for c in str(text).lower()).strip("_")
    return s or "group"


# --------------------------------------------------------------------------- code.codebook


def code_units(run: Run, units: Any, freq: str = "") -> dict[str, Any]:
    """Code every analysed unit against the config's ``code.codebook`` (03-code).

    ``frameworks:`` compares the *discovered themes* with a framework; ``code.codebook``
    codes *each unit* (response, paragraph) against one, with
    :func:`covidlearning.coding.code_texts` (zero-shot, or few-shot when the codebook
    has examples) and the ``code:`` settings. Writes, under ``tables/``:

    - ``coding_themes``: units per framework theme (first theme and any position) with
      shares of the coded units and 95% intervals;
    - ``coding_assignments``: each unit's themes (ids and names) and confidence;
    - ``coding_quotes``: the most confident units of each theme, redacted, none from a
      group below the disclosure threshold;
    - for tables of responses, ``coding_by_<column>`` and ``coding_over_time`` (by
      ``freq``, default ``input.date_freq``).

    The policy of :mod:`covidlearning.privacy.disclosure` applies: counts over every unit
    (``coding_themes``) are exact; in the breakdowns by group and period every count
    from fewer than ``disclosure.threshold`` respondents is published as ``*``. The
    summary also goes to the work folder (``coding.json``) for 04-report.

    Returns:
        The summary (``{}`` when the config names no codebook).
    """
    from covidlearning.coding.codebook import UNASSIGNED, load_codebook
    from covidlearning.reporting.run import check_parameter

    summary: dict[str, Any] = {}
    path = run.config.code.codebook
    if path is None:
        art.CODING_SUMMARY.write(run.work_dir, summary)
        return summary
    freq = check_parameter("time_period", freq) if freq else ""
    codebook = load_codebook(path)
    result = _code_each_unit(run, units, codebook)
    names = {t.id: t.name for t in codebook.themes}
    a, ok, lists = _write_coding_assignments(run, result, names)
    ids = [*codebook.ids, UNASSIGNED]
    _write_coding_themes(run, lists, ids, names)
    _write_coding_quotes(run, units, ok, lists, ids, names)
    written, notes = _write_coding_breakdowns(run, units, ok, lists, codebook.ids, names, freq)
    summary = _coding_summary(run, Path(path), codebook, result, a, ok, lists, written, notes)
    if result.agreement is not None:
        summary["agreement"] = _write_coding_agreement(run, result.agreement, names)
    art.CODING_SUMMARY.write(run.work_dir, summary)
    return summary


def _code_each_unit(run: Run, units: Any, codebook: Any) -> Any:
    """Code the units with the ``code:`` settings; a corpus's units keep their document.

    With ``code.gold_column``, that column's human codes are compared with the machine's
    (the result's ``agreement``).

    Raises:
        InputError: ``code.gold_column`` is not a column of the units.
    """
    from covidlearning.coding.fewshot import code_texts
    from covidlearning.coding.result import OUTPUT_SEP
    from covidlearning.nlp.context import DOCUMENT_COLUMN

    keep = ["id", "text", "status"] + ([DOCUMENT_COLUMN] if DOCUMENT_COLUMN in units else [])
    frame = units[keep].copy()  # a corpus's units keep their document: context restarts there
    column = run.config.code.gold_column
    gold = None
    if column is not None:
        if column not in units:
            from covidlearning.errors import InputError

            raise InputError(
                f"code.gold_column: column '{column}' not found in the analysed units",
                "Set code.gold_column to a column of the input table, or to null",
            )
        gold = units[column].where(units[column].notna(), "").astype(str).tolist()
    return code_texts(frame, codebook, run.config.code, gold=gold, gold_sep=OUTPUT_SEP)


#: Columns of the published ``coding_agreement`` table (one row per codebook theme).
AGREEMENT_COLUMNS = (
    "theme_id", "theme", "support", "machine", "precision", "recall", "f1",
    "f1_ci95_low", "f1_ci95_high",
)  # fmt: skip


def _write_coding_agreement(
    run: Run, result: dict[str, Any], names: dict[str, str]
) -> dict[str, Any]:
    """Write ``coding_agreement`` (per theme) and return the overall figures for the summary.

    ``result`` is :func:`covidlearning.coding.agreement.agreement` of the machine's codes
    against ``code.gold_column``'s, over the units a human coded. Like ``coding_themes``,
    its counts cover every coded unit and tie no one to a group, so they are published
    exactly.
    """
    from covidlearning.coding.agreement import per_theme_table

    t = per_theme_table(result)
    t = t[t["theme"].isin(list(names))]  # the codebook's themes, in its order
    t = t.set_index("theme").reindex(list(names)).reset_index()
    table = pd.DataFrame(
        {
            "theme_id": t["theme"],
            "theme": t["theme"].map(names),
            "support": t["support"].fillna(0).astype(int),
            "machine": t["n_machine"].fillna(0).astype(int),
            **{c: t[c] for c in AGREEMENT_COLUMNS[4:]},
        }
    )
    run.write_table(table, "coding_agreement", float_format="%.4f")
    keys = ("accuracy", "micro_f1", "macro_f1", "samples_f1", "cohen_kappa")
    out: dict[str, Any] = {
        "column": run.config.code.gold_column,
        "n": result["n"],
        "single_label": result["single_label"],
        "n_boot": result["n_boot"],
    }
    for key in keys:
        out[key] = result.get(key)
        if f"{key}_ci95" in result:
            out[f"{key}_ci95"] = result[f"{key}_ci95"]
    if result.get("zero_shot"):
        out["zero_shot"] = {k: result["zero_shot"].get(k) for k in ("n", *keys)}
    return out


def _write_coding_assignments(
    run: Run, result: Any, names: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Write ``coding_assignments``; return every unit, the coded ones and their theme lists."""
    a = result.assignments.copy()
    ok = a[a["status"] == "ok"]
    lists = ok["themes"].str.split(";")
    a["theme_names"] = [
        "; ".join(names.get(t, t) for t in str(v).split(";")) if s == "ok" else ""
        for v, s in zip(a["themes"], a["status"], strict=True)
    ]
    run.write_table(a[["id", "themes", "theme_names", "confidence", "status"]],
                    "coding_assignments", float_format="%.4f")  # fmt: skip
    return a, ok, lists


def _write_coding_themes(run: Run, lists: pd.Series, ids: list[str], names: dict[str, str]) -> None:
    """Write ``coding_themes``: units per theme over ALL coded units, published exactly."""
    themes = coding_theme_counts(lists, ids, names)
    run.write_table(themes, "coding_themes", float_format="%.4f")


def _write_coding_quotes(
    run: Run,
    units: Any,
    ok: pd.DataFrame,
    lists: pd.Series,
    ids: list[str],
    names: dict[str, str],
) -> None:
    """Write ``coding_quotes``: the most confident units of each theme, fit to publish."""
    from covidlearning.coding.codebook import UNASSIGNED
    from covidlearning.privacy import disclosure

    cfg = run.config
    by_first = ok.assign(theme_id=lists.str[0]).merge(units, on="id", how="left")
    by_first = by_first[by_first["theme_id"] != UNASSIGNED]
    by_first = by_first.sort_values(["confidence", "id"], ascending=[False, True])
    attributed = attributions(run, units, ok)
    quotes = pd.DataFrame(
        {
            "theme_id": by_first["theme_id"],
            "theme": by_first["theme_id"].map(names),
            "id": by_first["id"],
            "quote": by_first["text"],
            "confidence": by_first["confidence"].round(4),
            "source": [
                _quote_source(r, run.is_table, attributed.get(str(r["id"]), ""))
                for _, r in by_first.iterrows()
            ],
        }
    )
    if run.is_table and cfg.input is not None:
        quotes = disclosure.filter_quotes(
            quotes, units, cfg.input.group_columns, cfg.disclosure.threshold
        )
    quotes = quotes.groupby("theme_id", sort=False).head(cfg.discover.n_quotes)
    quotes = quotes.assign(order=quotes["theme_id"].map({t: i for i, t in enumerate(ids)}))
    quotes = quotes.sort_values(["order", "confidence", "id"], ascending=[True, False, True])
    quotes = quotes.drop(columns="order")
    quotes.insert(2, "rank", quotes.groupby("theme_id").cumcount() + 1)
    texts = ["quote", "source"] if run.is_table else ["quote"]  # sources name groups
    run.write_table(run.redact_columns(quotes.reset_index(drop=True), texts),
                    "coding_quotes", float_format="%.4f")  # fmt: skip


def _write_coding_breakdowns(
    run: Run,
    units: Any,
    ok: pd.DataFrame,
    lists: pd.Series,
    theme_ids: list[str],
    names: dict[str, str],
    freq: str,
) -> tuple[list[str], dict[str, list[str]]]:
    """Write breakdowns by group and over time (tables of responses); return names, notes."""
    from covidlearning.coding.codebook import UNASSIGNED
    from covidlearning.reporting import breakdown

    cfg = run.config
    written: list[str] = []
    notes: dict[str, list[str]] = {}
    if run.is_table and cfg.input is not None:
        code = {t: i for i, t in enumerate(theme_ids)} | {UNASSIGNED: -1}
        assign = ok[["id"]].assign(theme=lists).explode("theme")
        assign = assign.assign(topic=assign["theme"].map(code).astype(int),
                               label=assign["theme"].map(names))  # fmt: skip
        thr, sec = cfg.disclosure.threshold, cfg.disclosure.secondary
        views = [
            (f"coding_by_{slug(col)}",
             breakdown.by_group(assign, units, col, thr, sec, keywords=False, figure=False,
                                rounding=cfg.disclosure.rounding))
            for col in cfg.input.group_columns
        ]  # fmt: skip
        if cfg.input.date_column:
            bd = breakdown.readable_over_time(
                assign, units, cfg.input.date_column, freq or cfg.input.date_freq, thr, sec,
                cfg.input.dayfirst, keywords=False, figure=False,
                date_format=cfg.input.date_format, rounding=cfg.disclosure.rounding,
            )  # fmt: skip
            views.append(("coding_over_time", bd))
        for name, bd in views:
            breakdown.write(bd, run.tables_dir, run.figures_dir, name)
            written.append(name)
            notes[name] = bd.notes
    return written, notes


def _coding_summary(
    run: Run,
    path: Path,
    codebook: Any,
    result: Any,
    a: pd.DataFrame,
    ok: pd.DataFrame,
    lists: pd.Series,
    written: list[str],
    notes: dict[str, list[str]],
) -> dict[str, Any]:
    """The coding summary 04-report reads (``coding.json``)."""
    from covidlearning.coding.codebook import UNASSIGNED

    cfg = run.config
    return {
        "codebook": path.name,
        "name": codebook.name,
        "themes": len(codebook.themes),
        "mode": result.manifest.get("mode", ""),
        "threshold": round(float(result.threshold), 4),
        "max_themes": cfg.code.max_themes,
        "model": cfg.code.embedding_model,
        "units": len(a),
        "coded": len(ok),
        "assigned": int((lists.str[0] != UNASSIGNED).sum()),
        "context": result.manifest.get("context", {}),
        "tuning": (result.manifest.get("method") or {}).get("tuning"),
        "zero_shot": result.manifest.get("zero_shot"),
        "breakdowns": written,
        "notes": notes,
    }


def coding_theme_counts(theme_lists: Any, ids: list[str], names: dict[str, str]) -> Any:
    """Units per codebook theme over every coded unit, with shares and 95% intervals.

    ``units`` counts a unit under every theme it was given, ``main_theme`` under its most
    likely one only. These are whole-population counts: they are published exactly,
    small ones included (:mod:`covidlearning.privacy.disclosure`): they tie no one to a group,
    and the ``units`` column is not additive (a unit can carry several themes), so no
    hidden figure could be recovered from a total; secondary suppression has nothing
    to protect here. Breakdowns by group and period hide small counts instead.

    Args:
        theme_lists: one list of theme ids per coded unit, most likely first.
        ids: every theme id in order (``unassigned`` last).
        names: theme id -> name.
    """
    import numpy as np
    import pandas as pd

    from covidlearning.reporting.steps import wilson

    n = len(theme_lists)
    first = theme_lists.str[0].value_counts().reindex(ids, fill_value=0).astype(int)
    anyp = theme_lists.explode().value_counts().reindex(ids, fill_value=0).astype(int)
    rows = []
    for tid in ids:
        k = int(anyp[tid])
        lo, hi = wilson(k, n) if n else (float("nan"), float("nan"))
        rows.append(
            {
                "theme_id": tid,
                "theme": names.get(tid, "Not assigned to a theme"),
                "units": k,
                "share": round(k / n, 4) if n else np.nan,
                "ci_low": round(lo, 4),
                "ci_high": round(hi, 4),
                "main_theme": int(first[tid]),
            }
        )
    return pd.DataFrame(rows)


def _quote_source(unit: Any, is_table: bool, groups: str = "") -> str:
    if is_table:
        return f"response {unit['id']}" + (f", {groups}" if groups else "")
    title = unit.get("title")
    source = title.strip() if isinstance(title, str) and title.strip() else unit.get("doc_id", "")
    section = unit.get("section")
    return f"{source}, section “{section}”" if isinstance(section, str) and section else source
