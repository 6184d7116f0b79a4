"""The report's words, tables and figures, written from the data and the config.

Readers of ``report.html`` are NHS leaders who never see code, so every section
says what a number means in plain English. Notebooks call these functions and
:class:`Report`'s methods; nothing here fits a model (the report never refits).
Methods and Limitations are written by :mod:`covidlearning.reporting.methods`, and
numbers are worded by :mod:`covidlearning.reporting.wording`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from covidlearning.reporting import artifacts as art
from covidlearning.reporting.methods import MethodsFacts, methods_markdown, tuned_settings
from covidlearning.reporting.wording import esc, is_are, pct, pct_of, pcts, plural, share_ci

if TYPE_CHECKING:
    from IPython.display import HTML, Markdown

    from covidlearning.reporting.run import Run
    from covidlearning.reporting.steps import Discovery, UnitsSummary


#: Documents drawn side by side in the figure of themes by document (the table has all).
MAX_FIGURE_DOCUMENTS = 12


def _md(text: str) -> Markdown:
    from IPython.display import Markdown

    return Markdown(text)


def _html(text: str) -> HTML:
    from IPython.display import HTML

    return HTML(text)


def table_html(
    frame: pd.DataFrame, empty: str = "(none)", max_rows: int = 200, nowrap: bool = False
) -> HTML:
    """A plain, readable HTML table (no index, text escaped; ``nowrap``: one-line cells)."""
    if frame is None or frame.empty:
        return _html(f"<p><em>{esc(empty)}</em></p>")
    f = frame.head(max_rows)
    head = "".join(f"<th>{esc(str(c).replace('_', ' '))}</th>" for c in f.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>"
        for row in f.itertuples(index=False)
    )
    more = (
        f"<p><em>First {max_rows} of {len(frame):,} rows.</em></p>" if len(frame) > max_rows else ""
    )
    cls = "cl-table cl-nowrap" if nowrap else "cl-table"
    # a wide table scrolls sideways inside its own box, never the page
    return _html(
        '<div class="cl-scroll" role="region" tabindex="0" aria-label="Table (scrolls '
        f'sideways when wider than the page)"><table class="{cls}"><thead><tr>{head}</tr>'
        f"</thead><tbody>{body}</tbody></table></div>{more}"
    )


def run_header(run: Run, stage: str) -> Markdown:
    """One line naming the run, its config and where output goes."""
    return _md(
        f"**Run:** `{run.config.name}` · **stage:** {stage} · **config:** `{run.config_path}` · "
        f"**source:** {'a table of responses' if run.is_table else 'documents'}"
    )


# --------------------------------------------------------------------------- 01
def corpus_overview(run: Run, corpus: UnitsSummary) -> Markdown:
    """What the corpus is, in a sentence or two."""
    u = corpus.units
    ok = int((u["status"] == "ok").sum()) if "status" in u else len(u)
    if run.is_table:
        return _md(
            f"Read **{len(u):,} responses** from `{Path(run.config.input.path).name}`; "  # type: ignore[union-attr]
            f"**{ok:,}** have usable text and go on to theme discovery."
        )
    docs = corpus.documents
    kinds = ""
    if "kind" in u.columns:
        vc = u["kind"].value_counts()
        kinds = " (" + ", ".join(plural(int(n), str(k)) for k, n in vc.items()) + ")"
    return _md(f"**{plural(len(docs), 'document')}** gave **{plural(ok, 'text unit')}**{kinds}.")


def _per_document(corpus: UnitsSummary) -> bool:
    """Whether the run's units come from documents (a corpus), not rows of a table."""
    return {"units", "doc_id"} <= set(corpus.documents.columns)


def units_figure_name(corpus: UnitsSummary) -> str:
    """The file name :func:`units_figure` is saved as: what the chart shows."""
    return "units_per_document" if _per_document(corpus) else "responses_by_status"


def units_figure(corpus: UnitsSummary) -> Any:
    """Bar chart of units per document (or responses per status for tables)."""
    from covidlearning.reporting import figures

    docs = corpus.documents
    if _per_document(corpus):
        names = docs["title"].fillna(docs["doc_id"]) if "title" in docs else docs["doc_id"]
        counts = pd.Series(docs["units"].to_numpy(), index=[_short(x, 60) for x in names])
        return figures.units_per_document(counts, "Text units per document")
    u = corpus.units
    counts = u["status"].value_counts()
    return figures.units_per_document(counts, "Responses by status (ok = analysed)")


def example_units(run: Run, units: pd.DataFrame, n: int) -> HTML:
    """The first ``n`` usable units, redacted."""
    if n <= 0:
        return _html("")
    u = units[units["status"] == "ok"] if "status" in units else units
    cols = [c for c in ("id", "doc_id", "section", "kind", "text") if c in u.columns]
    sample = run.redact_columns(u[cols].head(n), ["text", "section"])
    sample["text"] = sample["text"].map(lambda s: _short(s, 300))
    return table_html(sample)


def _short(text: Any, n: int) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


# --------------------------------------------------------------------------- 02
def discovery_overview(run: Run, found: Discovery) -> Markdown:
    """How many themes, over how many units."""
    if found.no_themes:
        return _md(f"**No themes found:** {found.no_themes}.")
    n = int(found.themes["size"].sum())
    if found.levels == 2:
        return _md(
            f"Found **{plural(len(found.groups), 'theme')}** over "
            f"**{plural(len(found.themes), 'subtheme')}** across **{plural(n, 'text unit')}**."
        )
    return _md(
        f"Found **{plural(len(found.themes), 'theme')}** across **{plural(n, 'text unit')}**."
    )


def themes_table(themes: pd.DataFrame, max_keywords: int = 8) -> HTML:
    """Theme table: label, keywords, size, share with 95% CI."""
    if themes.empty:
        return _html("<p><em>No themes.</em></p>")
    rows = []
    for _, t in themes.iterrows():
        kw = (
            "; ".join(str(t["keywords"]).split("; ")[:max_keywords])
            if t["keywords"] == t["keywords"]
            else ""
        )
        rows.append(
            {
                "Theme": t["label"],
                "Keywords": kw,
                "Units": int(t["size"]),
                "Share (95% CI)": share_ci(t["share"], t["ci_low"], t["ci_high"], "–"),
            }
        )
    return table_html(pd.DataFrame(rows))


def theme_groups_table(found: Discovery) -> HTML:
    """Top-level themes: label, units, share with 95% CI, their subthemes, tone."""
    g = found.groups
    if g.empty or found.levels < 2:
        return _html("<p><em>One level: each theme is its own subtheme.</em></p>")
    rows = [
        {
            "Theme": r.label,
            "Units": int(r.size),
            "Share (95% CI)": share_ci(r.share, r.ci_low, r.ci_high, "–"),
            "Subthemes": str(r.subtheme_labels),
            "Positive / negative": "*"
            if r.positive != r.positive
            else f"{pct(r.positive)} / {pct(r.negative)}",
        }
        for r in g.itertuples()
    ]
    return table_html(pd.DataFrame(rows))


# --------------------------------------------------------------------------- 03
def framework_section(fw: Any, heading_level: int = 3) -> Markdown:
    """Plain-English comparison of discovered themes with one framework."""
    h = "#" * heading_level
    if isinstance(fw, dict) and "markdown" in fw:
        return _md(f"{h} {fw['name']}\n\n{fw['markdown']}")
    return _md(f"{h} {getattr(fw, 'name', 'Framework')}\n\n{fw}")


def breakdown_section(bd: Any, heading_level: int = 3) -> Any:
    """Show one breakdown: its table (with ``*`` cells) and notes."""
    from IPython.display import display

    h = "#" * heading_level
    display(_md(f"{h} By {str(bd.column).replace('_', ' ')}"))
    wide = bd.wide.copy()
    wide.insert(0, str(bd.column), wide.index.astype(str))
    display(table_html(wide.reset_index(drop=True)))
    return _md("\n\n".join(bd.notes))


# --------------------------------------------------------------------------- 04
_QUALITY_BANDS = {
    "coherence (NPMI)": [(0.1, "good"), (0.0, "fair"), (-1.0, "weak")],
    "diversity": [(0.7, "good"), (0.5, "fair"), (0.0, "weak")],
    "stability (ARI)": [(0.7, "good"), (0.4, "fair"), (-1.0, "weak")],
}


def band(measure: str, value: Any) -> str:
    """A plain-English band (good / fair / weak) for a quality figure, or ''."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    for cut, word in _QUALITY_BANDS.get(measure, []):
        if v >= cut:
            return word
    return ""


class Report:
    """The sections of ``report.html``, each shown by calling one method in 04-report.

    Args:
        run: the run (from :func:`covidlearning.reporting.run.open_run`).
        quotes_per_theme: illustrative quotes shown per theme; 0 (the default) means
            ``discover.n_quotes`` from the config, so Methods and the evidence section
            state one number.
        max_keywords: keywords shown per theme.
        quote_words: longer quotes are cut at a sentence end (or word) near this length,
            marked with an ellipsis; the quotes table keeps the full text.
    """

    def __init__(
        self, run: Run, quotes_per_theme: int = 0, max_keywords: int = 8, quote_words: int = 80
    ) -> None:
        self.run = run
        self.quote_words = quote_words
        self.cfg = run.config
        self.quotes_per_theme = quotes_per_theme or run.config.discover.n_quotes
        self.max_keywords = max_keywords
        t = run.read_table
        self.theme_table = (
            t("themes", dtype={"topic": str, "label": str})
            if run.has_table("themes")
            else pd.DataFrame()
        )
        self.quotes = (
            t("quotes", dtype={"topic": str, "id": str})
            if run.has_table("quotes")
            else pd.DataFrame()
        )
        self.groups = (
            t("theme_groups", dtype={"theme": str, "label": str, "subtheme_ids": str})
            if run.has_table("theme_groups")
            else pd.DataFrame()
        )
        self.theme_quotes = (
            t("theme_quotes", dtype={"topic": str, "id": str})
            if run.has_table("theme_quotes")
            else pd.DataFrame()
        )
        self.documents = (
            t("corpus_documents", dtype=str)
            if run.has_table("corpus_documents")
            else pd.DataFrame()
        )
        self.cleaning = t("corpus_cleaning") if run.has_table("corpus_cleaning") else pd.DataFrame()
        self.quality = (
            t("quality", dtype={"value": str}) if run.has_table("quality") else pd.DataFrame()
        )
        self.stance_table = (
            _numeric_stance(t("stance_by_theme", dtype={"topic": str, "label": str}))
            if run.has_table("stance_by_theme")
            else pd.DataFrame()
        )
        self.by_doc = (
            t("theme_by_document", dtype={"topic": str, "source": str})
            if run.has_table("theme_by_document")
            else pd.DataFrame()
        )
        self.topic_map = (
            t("topic_map", dtype={"topic": str}) if run.has_table("topic_map") else pd.DataFrame()
        )
        self.similarity = (
            t("topic_similarity", dtype={"topic": str, "other": str})
            if run.has_table("topic_similarity")
            else pd.DataFrame()
        )
        self.run_summary = t("run_summary") if run.has_table("run_summary") else pd.DataFrame()
        self.framework_results = art.FRAMEWORKS.read(run.work_dir)
        self._fig = 0

    # ---- helpers
    def _show(self, *objs: Any) -> None:
        from IPython.display import display

        for o in objs:
            display(o)

    def w(self, text: str) -> str:
        """Word a template for the source: for tables, "text units" become "responses"."""
        return _as_responses(text) if self.run.is_table else text

    def _figure(self, fig: Any, name: str, caption: str) -> None:
        self._fig += 1
        caption = self.w(caption)
        self.run.figure(fig, name, alt=f"Figure {self._fig}. {caption}")
        self._show(_md(f"*Figure {self._fig}. {caption}*"))

    @property
    def levels(self) -> int:
        """2 when top-level themes group subthemes (``theme_groups``), else 1."""
        if self.groups.empty or self.theme_table.empty:
            return 1
        return 2 if (self.groups["subthemes"].astype(int) > 1).any() else 1

    def _tone(self, row: Any, sep: str = "") -> str:
        """Shares of positive and negative units; hidden (``*``) for a table's small theme."""
        small = self.run.is_table and int(row.size) < self.cfg.disclosure.threshold
        pos, neg = ("*", "*") if small else (pct(row.positive), pct(row.negative))
        return f"{pos}{sep}{neg}" if sep else f"{pos} positive, {neg} negative"

    def _subthemes(self, theme: str) -> pd.DataFrame:
        """The subtheme rows of one top-level theme, largest first."""
        return self.theme_table[self.theme_table["theme"].astype(str) == str(theme)]

    @property
    def n_units(self) -> int:
        """Units (or responses) placed in a theme."""
        return int(self.theme_table["size"].sum()) if not self.theme_table.empty else 0

    def _label(self, topic: str) -> str:
        m = self.theme_table.set_index("topic")["label"] if not self.theme_table.empty else {}
        return str(m.get(topic, topic)) if len(m) else str(topic)

    def _quality(self, measure: str) -> str:
        if self.quality.empty:
            return ""
        q = self.quality.set_index("measure")["value"]
        v = q.get(measure, "")
        if v is None or str(v) in {"", "nan"}:
            return ""
        try:
            f = float(v)
        except ValueError:
            return str(v)
        if "share" in measure:
            return str(v)
        return str(int(f)) if f.is_integer() else f"{f:.2f}"

    # ---- sections
    def title(self) -> None:
        """Title and one paragraph on what the report is."""
        what = (
            "free-text responses"
            if self.run.is_table
            else (
                "published reports and blogs about what health and care staff learned from COVID-19"
            )
        )
        self._show(
            _md(
                f"# {self.cfg.title}\n\n"
                f"This report finds the recurring themes in {what}, shows the evidence for each "
                "theme in people's own words, and says how far the findings can be trusted. "
                "It was produced by the open-source `covidlearning` package: the same "
                "configuration and data always give the same tables, so the analysis can be "
                "checked and repeated.\n\n"
                f"*{produced_line()}*"
            )
        )

    def summary(self) -> None:
        """Key findings in a few bullets."""
        lines = ["## Key findings", ""]
        if self.theme_table.empty:
            reason = art.DISCOVERY_METRICS.read(self.run.work_dir).no_themes_found or ""
            lines.append(
                "**No themes found**" + (f": {reason}." if reason else ".") + " The material "
                "holds too few texts, or texts too alike or too different, for a grouping that "
                "would survive a re-run. See *How far to trust this* below."
            )
            self._show(_md("\n".join(lines)))
            return
        n = self.n_units
        found = (
            f"**{plural(len(self.groups), 'theme')}** over "
            f"**{plural(len(self.theme_table), 'subtheme')}**"
            if self.levels == 2
            else f"**{plural(len(self.theme_table), 'theme')}**"
        )
        lines.append(
            f"- {found} emerged from "
            f"**{plural(n, self.w('text unit'))}**"
            + (
                f" in **{plural(len(self.documents), 'document')}**."
                if not self.run.is_table
                else "."
            )
        )
        top = (self.groups if self.levels == 2 else self.theme_table).head(3)
        tops = "; ".join(f"**{r.label}** ({pct(r.share)})" for r in top.itertuples())
        lines.append(f"- The largest themes: {tops}.")
        stance = self._stance_findings()
        if stance:
            lines.append(f"- {stance}")
        for fw in self.framework_results:
            if fw.get("summary"):
                lines.append(f"- {fw['summary']}")
        stab = self._quality("stability (ARI)")
        if stab:
            lines.append(
                f"- Stability across random seeds: {stab} "
                f"({band('stability (ARI)', stab) or 'see below'}); "
                "see *How far to trust this*."
            )
        self._show(_md("\n".join(lines)))

    def _stance_findings(self) -> str:
        """The themes most about keeping / not repeating, from enough responses only.

        For tables of responses a finding must rest on at least ``disclosure.threshold``
        responses (the theme's size and the stance count both), so no key finding comes
        from a handful of people. Documents have no such rule.
        """
        st = self.stance_table
        if st.empty:
            return ""
        thr = self.cfg.disclosure.threshold if self.run.is_table else 1
        parts = []
        for stance, what in (("keep", "what to keep"), ("not repeat", "what not to repeat")):
            share = pd.to_numeric(st[f"{stance}_share"], errors="coerce")
            count = pd.to_numeric(st[f"{stance}_n"], errors="coerce")
            size = pd.to_numeric(st["n"], errors="coerce")
            ok = share.notna() & (count >= thr) & (size >= thr) & (count > 0)
            if not ok.any():
                continue
            best = share[ok].sort_values(ascending=False, kind="stable").index[0]
            r = st.loc[best]
            parts.append(
                f"Most about **{what}**: {r['label']} ({pct(float(share[best]))}, "
                f"{int(count[best]):,} of its {int(size[best]):,} {self.w('units')})."
            )
        if not parts and self.run.is_table:
            return (
                f"No theme has {thr} or more {self.w('units')} of one stance, so no finding on "
                "what to keep or not repeat is drawn."
            )
        return " ".join(parts)

    def corpus(self) -> None:
        """What was analysed and what cleaning removed."""
        self._show(_md("## What was analysed"))
        if self.run.is_table:
            text = "Each row of the table is one response."
            if not self.run_summary.empty:
                rs = self.run_summary.rename(columns={"item": "", "rows": "Rows"})
                self._show(_md(text + " The row accounting:"), table_html(rs))
            else:
                self._show(_md(text))
            return
        d = self.documents.copy()
        total = int(pd.to_numeric(d.get("units", pd.Series(dtype=int))).sum()) if not d.empty else 0
        self._show(
            _md(
                f"The corpus is **{plural(len(d), 'document')}**, split into "
                f"**{plural(total, 'text unit')}**: "
                "paragraphs, bullet points and quotations. Headings are not units; each unit "
                "keeps the heading it sits under (its *section*)."
            )
        )
        cols = {
            "title": "Document",
            "publisher": "Publisher",
            "date": "Date",
            "doc_type": "Type",
            "units": "Units",
        }
        show = d[[c for c in cols if c in d.columns]].rename(columns=cols)
        self._show(table_html(show))
        if not self.cleaning.empty:
            c = self.cleaning
            chars = int(pd.to_numeric(c["characters"]).sum())
            self._show(
                _md(
                    "**What cleaning removed.** Web pages and PDFs carry menus, cookie notices, "
                    "newsletter forms, teasers for other articles and page furniture. These were "
                    "removed before analysis: "
                    f"{plural(int(pd.to_numeric(c['spans']).sum()), 'passage')} "
                    f"({chars:,} characters), by reason:"
                ),
                table_html(
                    c.rename(
                        columns={
                            "reason": "Reason",
                            "spans": "Passages",
                            "characters": "Characters",
                        }
                    )
                ),
            )

    def themes(self) -> None:
        """The theme table."""
        self._show(_md("## The themes"))
        if self.theme_table.empty:
            self._show(_md("No themes were found."))
            return
        self._show(
            _md(
                self.w(
                    "Each theme is a group of text units that talk about the same thing. The "
                    "label is a short phrase written in the theme's own text units, the one "
                    "that best tells it apart from the others; the keywords are the words that "
                    "most set it apart. *Share* is the theme's "
                    "part of all analysed units, with a 95% confidence interval (Wilson): "
                    "the range the share would probably fall in if the same kind of "
                    "material were collected again."
                )
            )
        )
        if self.levels == 2:
            self._themes_hierarchy()
            return
        rows = []
        for t in self.theme_table.itertuples():
            kw = (
                "; ".join(str(t.keywords).split("; ")[: self.max_keywords])
                if isinstance(t.keywords, str)
                else ""
            )
            row = {
                "Theme": t.label,
                "Keywords": kw,
                self.w("Units"): int(t.size),
                "Share (95% CI)": share_ci(t.share, t.ci_low, t.ci_high).replace(" ", "\u00a0"),
            }
            if not self.run.is_table:
                row["Appears in"] = self._docs_text(t.documents)
            rows.append(row)
        self._show(table_html(pd.DataFrame(rows)))

    def _themes_hierarchy(self) -> None:
        """Themes with their subthemes beneath them: counts, shares, tone, keywords."""
        joined_by = art.DISCOVERY_METRICS.read(self.run.work_dir).part("hierarchy", "joined_by")
        how = (
            "subthemes marked by the same distinctive words (what they are about, praised "
            "or not) are grouped in one theme"
            if joined_by == "terms"
            else "subthemes whose texts are closest in meaning are grouped in one theme"
        )
        self._show(
            _md(
                self.w(
                    f"The {plural(len(self.theme_table), 'subtheme')} found in the text units "
                    f"group into {plural(len(self.groups), 'theme')}: {how}. "
                    "Each theme's row is followed by its "
                    "subthemes. *Positive / negative* is the share of the theme's text units "
                    "whose wording is positive or negative (VADER sentiment): a label names "
                    "what most of them say."
                )
            )
        )
        rows = []
        for g in self.groups.itertuples():
            for depth, r in [(0, g)] + [(1, s) for s in self._subthemes(g.theme).itertuples()]:
                kw = (
                    "; ".join(str(r.keywords).split("; ")[: self.max_keywords])
                    if isinstance(r.keywords, str)
                    else ""
                )
                rows.append(
                    {
                        "Theme / subtheme": (
                            str(r.label) if depth == 0 else f"\u2003\u2013 {r.label}"
                        ),
                        self.w("Units"): int(r.size),
                        "Share (95% CI)": share_ci(r.share, r.ci_low, r.ci_high).replace(
                            " ", "\u00a0"
                        ),
                        "Positive / negative": self._tone(r, " / "),
                        "Keywords": kw,
                    }
                )
        self._show(table_html(pd.DataFrame(rows)))

    def _doc_names(self, width: int = 34) -> dict[str, str]:
        if self.documents.empty or "doc_id" not in self.documents:
            return {}
        names = {}
        for r in self.documents.itertuples():
            title = getattr(r, "title", None)
            names[str(r.doc_id)] = _short(
                title if isinstance(title, str) and title else r.doc_id, width
            )
        return names

    def _docs_text(self, docs: Any) -> str:
        """``3 of 5 documents; most in 'Title' (21)`` from ``doc (n); doc (n)``."""
        if not isinstance(docs, str) or not docs:
            return ""
        names = self._doc_names(60)
        counts = []
        for item in docs.split("; "):
            doc, _, n = item.partition(" (")
            counts.append((doc, int(n.rstrip(")") or 0)))
        counts.sort(key=lambda x: (-x[1], x[0]))
        total = len(self.documents) or len(counts)
        top, n = counts[0]
        if len(counts) == 1:
            return f"only “{names.get(top, top)}”"
        return f"{len(counts)} of {total} documents; most in “{names.get(top, top)}” ({n})"

    def figures(self) -> None:
        """Theme sizes, theme x document heatmap, map of themes."""
        from covidlearning.reporting import figures

        if self.theme_table.empty:
            return
        self._show(_md("## The themes at a glance"))
        # with two levels, the bars and the map show the subthemes
        what = "subtheme" if self.levels == 2 else "theme"
        self._figure(
            figures.theme_sizes(
                self.theme_table,
                f"How often each {what} appears",
                "responses" if self.run.is_table else "text units",
            ),
            "theme_sizes",
            f"Share of all analysed text units in each {what}. The number in each bar is the "
            "count of units; the black line is the 95% confidence interval.",
        )
        if not self.by_doc.empty:
            names = self._doc_names()
            m = self.by_doc.pivot_table(
                index="topic", columns="source", values="units", aggfunc="sum", fill_value=0
            )
            order = [t for t in self.theme_table["topic"] if t in m.index]
            m = m.reindex(order)
            title = "Where each theme appears"
            if m.shape[1] > MAX_FIGURE_DOCUMENTS:  # more would shrink every label on the page
                top = m.sum().sort_values(ascending=False, kind="stable").index
                m = m[[c for c in m.columns if c in set(top[:MAX_FIGURE_DOCUMENTS])]]
                title += (
                    f" (the {MAX_FIGURE_DOCUMENTS} documents with most units; all are in "
                    "tables/theme_by_document.csv)"
                )
            m.index = [self._label(t) for t in m.index]
            m.columns = [names.get(str(c), str(c)) for c in m.columns]
            self._figure(
                figures.heatmap(m, title, cbar_label="Text units", xlabel="Document"),
                "theme_by_document",
                "Number of text units of each theme (rows) in each document (columns). A theme "
                "found in several documents is shared across sources; one found in a single "
                "document may reflect that document's focus.",
            )
        if len(self.topic_map) >= 3:
            self._figure(
                figures.similarity_map(
                    self.topic_map, f"Map of {what}s: nearby {what}s talk about similar things"
                ),
                "theme_map",
                f"Map of {what}s. {what.capitalize()}s close together use similar language and "
                "ideas; bubble area shows how many units each holds. Positions come from the "
                f"sentence embeddings of each {what}'s units (classical multidimensional "
                "scaling of cosine distances).",
            )
        elif not self.similarity.empty:
            m = self.similarity.pivot(index="topic", columns="other", values="similarity")
            m.index = [self._label(t) for t in m.index]
            m.columns = [self._label(t) for t in m.columns]
            self._figure(
                figures.heatmap(
                    m, "How similar the themes are", fmt="{:.2f}", cbar_label="Cosine similarity"
                ),
                "theme_similarity",
                "Similarity between themes (1 = identical meaning).",
            )

    def evidence(self) -> None:
        """Per theme: what it is, where it appears, and 3-5 quotes with source and section."""
        if self.theme_table.empty:
            return
        self._show(
            _md(
                "## Each theme in people's own words\n\n"
                "For each theme: its keywords, size, and up to "
                f"{self.quotes_per_theme} quotations chosen to be typical of the theme and "
                "different from each other, with where each comes from."
                + (
                    " Names, contact details and other identifiers in quotes are replaced "
                    "by placeholders such as [NAME]."
                    if self.cfg.redaction.enabled
                    else ""
                )
            )
        )
        if self.levels == 2:
            self._evidence_hierarchy()
            return
        q = self.quotes
        reasons = art.QUOTE_NOTES.read(self.run.work_dir)
        for k, t in enumerate(self.theme_table.itertuples(), start=1):
            kw = (
                "; ".join(str(t.keywords).split("; ")[: self.max_keywords])
                if isinstance(t.keywords, str)
                else ""
            )
            share, low, high = pcts(t.share, t.ci_low, t.ci_high)
            head = (
                f"### {k}. {t.label}\n\n"
                f"**{plural(int(t.size), self.w('unit'))}**, {share} of the total "
                f"(95% CI {low} to {high}). **Keywords:** {kw or 'none'}."
            )
            if not self.run.is_table and isinstance(t.documents, str) and t.documents:
                head += f" **Appears in:** {self._docs_text(t.documents)}."
            quotes = (
                q[q["topic"] == str(t.topic)].sort_values("rank").head(self.quotes_per_theme)
                if not q.empty
                else q
            )
            blocks = [head, ""]
            if quotes.empty:
                why = reasons.get(str(t.topic), "")
                blocks.append(
                    "*No quotation can be shown for this theme"
                    + (f": {_md_escape(self.w(why))}.*" if why else ".*")
                )
            for r in quotes.itertuples():
                src = str(r.source)
                sec = str(r.section) if isinstance(r.section, str) and r.section else ""
                where = f"{src}" + (f", section “{unquote(sec)}”" if sec else "")
                blocks.append(quote_block(r.quote, where, self.quote_words))
            self._show(_md("\n".join(blocks)))

    def _quote_blocks(self, quotes: pd.DataFrame) -> list[str]:
        blocks = []
        for r in quotes.itertuples():
            src = str(r.source)
            sec = str(r.section) if isinstance(r.section, str) and r.section else ""
            where = f"{src}" + (f", section “{sec}”" if sec else "")
            blocks.append(quote_block(r.quote, where, self.quote_words))
        return blocks

    def _evidence_hierarchy(self) -> None:
        """Per theme: size, tone and quotes; then each of its subthemes with its quotes."""
        n_top = max(1, min(3, self.quotes_per_theme))
        for k, g in enumerate(self.groups.itertuples(), start=1):
            share, low, high = pcts(g.share, g.ci_low, g.ci_high)
            head = (
                f"### {k}. {g.label}\n\n"
                f"**{plural(int(g.size), self.w('unit'))}**, {share} of the total "
                f"(95% CI {low} to {high}); "
                f"{self._tone(g)}; "
                f"{plural(int(g.subthemes), 'subtheme')}."
            )
            tq = self.theme_quotes
            quotes = (
                tq[tq["topic"] == str(g.theme)].sort_values("rank").head(n_top)
                if not tq.empty
                else tq
            )
            self._show(_md("\n".join([head, "", *self._quote_blocks(quotes)])))
            shown = set(quotes["id"].astype(str)) if "id" in quotes.columns else set()
            for j, t in enumerate(self._subthemes(g.theme).itertuples(), start=1):
                kw = (
                    "; ".join(str(t.keywords).split("; ")[: self.max_keywords])
                    if isinstance(t.keywords, str)
                    else ""
                )
                sub = (
                    f"#### {k}.{j} {t.label}\n\n"
                    f"**{plural(int(t.size), self.w('unit'))}**, {pct(t.share)} of the total; "
                    f"{self._tone(t)}. "
                    f"**Keywords:** {kw or 'none'}."
                )
                q = self.quotes
                own = q[q["topic"] == str(t.topic)].sort_values("rank") if not q.empty else q
                # a quote already shown for the theme is not repeated under its subtheme
                fresh = own[~own["id"].astype(str).isin(shown)] if "id" in own.columns else own
                quotes = fresh.head(self.quotes_per_theme)
                if not quotes.empty:
                    none = []
                elif not own.empty:
                    none = ["*Its quotations are shown under the theme above.*"]
                else:
                    none = ["*No quotation can be shown for this subtheme.*"]
                blocks = [sub, "", *self._quote_blocks(quotes), *none]
                self._show(_md("\n".join(blocks)))

    def breakdowns(self) -> None:
        """Breakdowns by group and over time (tables of responses only)."""
        if not self.run.is_table:
            return
        from covidlearning.privacy.disclosure import rule_statement

        self._show(
            _md(
                "## Themes by group and over time\n\n"
                + rule_statement(
                    self.cfg.disclosure.threshold,
                    self.cfg.disclosure.secondary,
                    self.cfg.disclosure.rounding,
                )
            )
        )
        tables = sorted(
            p.stem
            for p in self.run.tables_dir.glob("breakdown_*.csv")
            if not p.stem.endswith("_keywords")
        )
        notes = art.BREAKDOWN_NOTES.read(self.run.work_dir)
        freq = _freq_of(
            self.run.read_table("breakdown_over_time", dtype=str)
            if self.run.has_table("breakdown_over_time")
            else None
        )
        for name in tables:
            df = self.run.read_table(name, dtype=str)
            what = name.removeprefix("breakdown_").replace("_", " ")
            what = freq if what == "over time" else what
            self._show(_md(f"### {'Over time' if name.endswith('over_time') else 'By ' + what}"))
            fig = self.run.figures_dir / f"{name}.png"
            said = " ".join(notes.get(name, []))
            if fig.is_file():
                from covidlearning.reporting.run import show_image

                self._fig += 1
                caption = (
                    f"Figure {self._fig}. Themes by {what}; hidden figures are "
                    + ("left blank." if name.endswith("over_time") else "grey, marked *.")
                    + (f" {said}" if said else "")
                )
                show_image(fig, caption)
                self._show(_md(f"*{_md_escape_star(caption)}*"))
            elif said:
                self._show(_md(f"*{_md_escape_star(said)}*"))
            wide = wide_breakdown(df)
            cells = wide.iloc[:, 1:].astype(str).to_numpy()
            hidden = float((cells == "*").mean()) if cells.size else 0.0
            if hidden > 0.5 and not name.endswith("over_time"):
                self._show(
                    _md(
                        f"*{pct(hidden)} of these figures are hidden because they rest on fewer "
                        f"than {self.cfg.disclosure.threshold} respondents, or could reveal one "
                        "that does; the overall theme "
                        "table above carries the findings, and this table shows where a theme "
                        "is large enough to report by group.*"
                    )
                )
            self._show(table_html(wide, nowrap=True))

    def stance(self) -> None:
        """What to keep versus what not to repeat, per theme."""
        from covidlearning.reporting import figures

        if self.stance_table.empty:
            return
        st = self.stance_table
        self._show(
            _md(
                self.w(
                    '## "What to keep" and "what not to repeat"\n\n'
                    "Each unit was read for its stance: does it argue for **keeping** something "
                    '("we must keep", "continue", "worth keeping") or against **repeating** it '
                    '("never again", "don\'t go back to", "we mustn\'t forget")? Units without '
                    "such a phrase are judged by their overall tone (VADER sentiment): clearly "
                    "positive reads as *keep*, clearly negative as *not repeat*, the rest as "
                    "*neutral*. Mean sentiment runs from -1 (very negative) to +1 (very positive)."
                )
            )
        )
        hidden = st["keep_share"].isna()
        left_out = ""
        if hidden.any():
            left_out = (
                f" {plural(int(hidden.sum()), 'theme')} with fewer than "
                f"{self.cfg.disclosure.threshold} units {is_are(int(hidden.sum()))} "
                "left out: a split of so few units is not published."
            )
        if (~hidden).any():
            self._figure(
                figures.stance_by_theme(st[~hidden]),
                "stance_by_theme",
                "Stance of each theme's units (left) and their mean sentiment (right)." + left_out,
            )

        def show_pct(x: float) -> str:
            return "*" if x != x else pct(x)

        show = pd.DataFrame(
            {
                "Theme": st["label"],
                self.w("Units"): st["n"],
                "Keep": [show_pct(x) for x in st["keep_share"]],
                "Not repeat": [show_pct(x) for x in st["not repeat_share"]],
                "Mixed": [show_pct(x) for x in st["mixed_share"]],
                "Neutral": [show_pct(x) for x in st["neutral_share"]],
                "Mean sentiment": ["*" if x != x else f"{x:+.2f}" for x in st["mean_compound"]],
            }
        )
        self._show(table_html(show))
        if hidden.any():
            self._show(_md(self.w(f"*\\* hidden: {left_out.strip()}*")))

    def frameworks(self) -> None:
        """How the discovered themes line up with the authors' own frameworks."""
        if not self.framework_results:
            return
        self._show(
            _md(
                "## Comparison with the authors' own themes\n\n"
                "The authors of the source documents named their own themes. Here each "
                "framework is set beside the themes the machine found: which framework "
                "themes the data clearly supports (**matched**), which discovered themes the "
                "framework does not name (**new**), and which framework themes no discovered "
                "theme corresponds to (**missed**)."
            )
        )
        for fw in self.framework_results:
            self._show(_md(f"### {fw['name']}\n\n{fw.get('markdown', '')}"))
            fig = fw.get("figure")
            if fig and (self.run.figures_dir / f"{fig}.png").is_file():
                from covidlearning.reporting.run import show_image

                self._fig += 1
                caption = f"Figure {self._fig}. {fw.get('caption', '')}"
                show_image(self.run.figures_dir / f"{fig}.png", caption)
                self._show(_md(f"*{caption}*"))
            if fw.get("table"):
                self._show(table_html(self.run.read_table(fw["table"], dtype=str)))

    def trust(self) -> None:
        """Quality and stability figures in plain words."""
        self._show(_md("## How far to trust this"))
        if self.quality.empty:
            self._show(_md("No quality figures were recorded."))
            return
        lines = []
        coh = self._quality("coherence (NPMI)")
        div = self._quality("diversity")
        stab = self._quality("stability (ARI)")
        outl = self._quality("outliers")
        outs = self._quality("outlier share")
        if coh:
            lines.append(
                f"- **Coherence {coh}** ({band('coherence (NPMI)', coh) or 'not banded'}): "
                "whether each "
                "theme's keywords really occur together in the texts (from -1 to +1; above 0.1 "
                "is usual for themes people find readable)."
                + (
                    " Below zero, a theme's keywords seldom appear in the same unit; this is "
                    "common when units are short and keywords are phrases, so judge such "
                    "themes by their quotes rather than their keywords."
                    if float(coh) < 0
                    else ""
                )
            )
        if div:
            lines.append(
                f"- **Diversity {div}** ({band('diversity', div) or 'not banded'}): the share of "
                "keywords that belong to only one theme; 1 means no two themes share keywords."
            )
        if stab:
            lines.append(
                f"- **Stability {stab}** ({band('stability (ARI)', stab) or 'not banded'}): "
                "when the "
                "analysis is re-run with different random starting points, how far the same units "
                "end up together (adjusted Rand index: 1 identical, 0 no better than chance). "
                "Themes from an unstable run should be read as one plausible grouping, not "
                "the only one."
            )
        if outl and float(outl) > 0:
            share = ""
            if outs:
                share = f" ({pct(float(outs), 1 if float(outs) < 0.01 else 0)} of units)"
            outl = plural(int(float(outl)), "unit")
            policy = (
                "then placed in their nearest theme"
                if self.cfg.discover.outliers == "reassign"
                else "left out of every theme"
            )
            lines.append(f"- **{outl}{share} fitted no theme well** at first and were {policy}.")
        self._show(_md(self.w("\n".join(lines)) or "No quality figures were recorded."))
        q = self.quality.copy()
        q["value"] = [
            pct(float(self._quality(m)), 1)
            if "share" in m and self._quality(m)
            else self._quality(m)
            for m in q["measure"]
        ]
        q = q.rename(columns={"measure": "Measure", "value": "Value", "meaning": "What it means"})
        self._show(table_html(q))

    def methods(self) -> None:
        """Methods and limitations, written from the actual config and run manifest."""
        manifest = art.DISCOVERY_MANIFEST.read(self.run.work_dir)
        found_metrics = art.DISCOVERY_METRICS.read(self.run.work_dir).as_dict()
        versions = ""
        if manifest.package_versions:
            v = manifest.package_versions
            versions = ", ".join(
                f"{k} {v[k]}"
                for k in ("sentence-transformers", "scikit-learn", "bertopic")
                if k in v
            )
        chosen = manifest.get("chosen") or {}
        facts = MethodsFacts(
            config=self.cfg,
            is_table=self.run.is_table,
            quotes_per_theme=self.quotes_per_theme,
            frameworks=[fw["name"] for fw in self.framework_results if fw.get("name")],
            metrics=found_metrics,
            tuned=tuned_settings(chosen),
            versions=versions,
            published_groups=art.PUBLISHED_GROUPS.read(self.run.work_dir),
        )
        self._show(_md(self.w(methods_markdown(facts))))


def _freq_of(over_time: Any) -> str:
    """``month``/``quarter``/``week``/``year`` from the periods of ``breakdown_over_time``."""
    if not isinstance(over_time, pd.DataFrame) or "period" not in over_time.columns:
        return "month"
    p = str(over_time["period"].iloc[0]) if len(over_time) else ""
    if re.fullmatch(r"\d{4}Q\d", p):
        return "quarter"
    if re.fullmatch(r"\d{4}", p):
        return "year"
    if "/" in p:
        return "week"
    return "month"


def _md_escape_star(text: str) -> str:
    """Escape ``*`` inside an italic Markdown line."""
    return text.replace("*", "\\*")


def _numeric_stance(table: pd.DataFrame) -> pd.DataFrame:
    """``stance_by_theme`` with its figures as numbers; hidden ones (``*``) become NaN."""
    out = table.copy()
    for col in out.columns:
        if col not in {"topic", "label"}:
            out[col] = pd.to_numeric(out[col].replace("*", None), errors="coerce")
    return out


def wide_breakdown(tidy: pd.DataFrame) -> pd.DataFrame:
    """Pivot a tidy breakdown (group, respondents, theme, count, share) to group x theme.

    Groups (or periods) are always rows and themes columns, whatever their numbers,
    so every breakdown in the report reads the same way. Each cell reads
    ``count (share)``; suppressed figures stay ``*``.
    """
    key = "group" if "group" in tidy.columns else "period" if "period" in tidy.columns else None
    if key is None or not {"theme", "count"} <= set(tidy.columns):
        return tidy
    t = tidy.rename(columns={key: "group"})

    def cell(r: pd.Series) -> str:
        c, sh = str(r["count"]), str(r.get("share", ""))
        if c in {"*", "", "0"}:
            return c
        try:
            return f"{c} ({pct(float(sh))})"
        except ValueError:
            return c

    t["cell"] = t.apply(cell, axis=1)
    index = ["group", "respondents"] if "respondents" in t.columns else ["group"]
    groups = list(dict.fromkeys(t["group"]))
    themes = list(dict.fromkeys(t["theme"]))
    wide = t.pivot_table(index=index, columns="theme", values="cell", aggfunc="first")
    wide = wide.reset_index()
    wide["group"] = pd.Categorical(wide["group"], groups, ordered=True)
    wide = wide.sort_values("group")
    wide["group"] = wide["group"].astype(str)
    cols = index + [th for th in themes if th in wide.columns]
    label = "Group" if key == "group" else "Period"
    # one orientation everywhere, as in tables/ and the figures: groups (or periods) are
    # rows, themes are columns
    return wide[cols].rename(columns={"group": label, "respondents": "Respondents"})


_UNIT_WORDS = (
    (re.compile(r"\btext units\b"), "responses"),
    (re.compile(r"\btext unit\b"), "response"),
    (re.compile(r"\bText units\b"), "Responses"),
    (re.compile(r"\bunits\b"), "responses"),
    (re.compile(r"\bunit\b"), "response"),
    (re.compile(r"\bUnits\b"), "Responses"),
)


def _as_responses(text: str) -> str:
    """Reword generated prose for a table of responses (one response per row)."""
    for pattern, word in _UNIT_WORDS:
        text = pattern.sub(word, text)
    return text


def produced_line(when: Any = None) -> str:
    """``Produced on 6 December 2026 by covidlearning 0.4.0.`` for the report's head.

    The date is today's (UTC), or ``SOURCE_DATE_EPOCH``'s when that is set (reproducible
    builds); ``when`` (a date or datetime) overrides both.
    """
    import datetime as dt
    import os
    from importlib.metadata import PackageNotFoundError, version

    if when is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        when = (
            dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
            if epoch.isdigit()
            else dt.datetime.now(tz=dt.UTC)
        )
    try:
        release = version("covidlearning")
    except PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        release = "(version unknown)"
    return f"Produced on {when.day} {when:%B %Y} by covidlearning {release}."


#: Opening and closing marks a quoted text may already carry ("…", “…”, ‘…’, «…»);
#: straight single marks are left alone (they are apostrophes as often as quotes).
_MARKS = {"“": "”", '"': '"', "‘": "’", "«": "»", "„": "“"}


def unquote(text: str) -> str:
    """``text`` without quotation marks around the whole of it (the report adds its own).

    Only a pair that encloses the whole text is removed: ``“Yes”, she said`` keeps its
    marks, and so does a text whose marks enclose two quotations (``“a” and “b”``).
    """
    t = text.strip()
    while len(t) >= 2 and _MARKS.get(t[0]) == t[-1] and _encloses(t):
        t = t[1:-1].strip()
    return t


def _encloses(text: str) -> bool:
    """True when ``text``'s first and last marks are one pair around all of it."""
    open_, close = text[0], text[-1]
    inner = text[1:-1]
    if open_ == close:  # straight marks: only when no other one is inside
        return open_ not in inner
    depth = 0
    for ch in inner:
        depth += (ch == open_) - (ch == close)
        if depth < 0:  # “a” and “b”: the first mark closes before the end
            return False
    return depth == 0


def inner_quotes(text: str) -> str:
    """Double quotation marks inside a quote become single ones (British style).

    The report sets every quote in “double” marks; a quotation within it then reads
    ‘like this’ rather than doubling the marks (“…“…”…”).
    """
    text = re.sub(r'"([^"\n]*)"', "‘\\1’", text)
    return text.replace("“", "‘").replace("”", "’").replace("„", "‘")


def quote_block(quote: object, source: str, limit: int) -> str:
    """A Markdown blockquote of ``quote``, cut to ``limit`` words, with its source below.

    Marks enclosing the whole text are dropped and inner double marks made single, so
    a quote never shows doubled marks.
    """
    text = _trim_words(inner_quotes(unquote(" ".join(str(quote).split()))), limit)
    return f"> “{_md_escape(text)}”\n>\n> — *{_md_escape(source)}*\n"


def _trim_words(text: str, limit: int) -> str:
    """Shorten ``text`` to about ``limit`` words, at a sentence end when one is close."""
    words = text.split()
    if limit <= 0 or len(words) <= limit:
        return text
    cut = " ".join(words[:limit])
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    if end > len(cut) * 0.6:
        return cut[: end + 1] + " […]"
    return cut.rstrip(",;:") + " […]"


def _md_escape(text: str) -> str:
    """Escape characters that Markdown would read as formatting inside a quote."""
    for ch in ("\\", "*", "_", "`", "[", "]", "<", ">", "#"):
        text = text.replace(ch, "\\" + ch)
    return text


def _coding_context(ctx: dict[str, Any], unit: str) -> str:
    """Coding: one sentence on the row-order context, when it was used."""
    if not ctx.get("used"):
        return ""
    return (
        f"Neighbouring {unit}s tended to share a theme (fitted stickiness "
        f"{ctx['stickiness']:.2f}), so each {unit}'s themes also weighed its neighbours'. "
    )


def show_coding(run: Run, quotes_per_theme: int = 0, quote_words: int = 80) -> None:
    """The report's section on coding against ``code.codebook`` (04-report; nothing if unset).

    ``quotes_per_theme`` 0 means ``discover.n_quotes`` from the config (as the rest of
    the report).
    """
    from IPython.display import display

    s = art.CODING_SUMMARY.read(run.work_dir).as_dict()
    if not s or not run.has_table("coding_themes"):
        return
    unit, units = ("response", "responses") if run.is_table else ("text unit", "text units")
    display(_md(_coding_intro(s, unit, units)), *_coding_counts(run, s, unit))
    for name in s.get("breakdowns", []):
        if run.has_table(name):
            display(*_coding_breakdown(run, s, name))
    examples = _coding_examples(run, quotes_per_theme or run.config.discover.n_quotes, quote_words)
    if examples:
        display(_md(examples))


def _coding_intro(s: dict[str, Any], unit: str, units: str) -> str:
    """Coding: how the units were coded and how many were placed in a theme."""
    how = (
        "each theme's name, definition, keywords and example quotes"
        if s["mode"] == "few-shot"
        else "each theme's name, definition and keywords"
    )
    assigned = s["assigned"]
    return (
        f"## Coded against {s['name']}\n\n"
        f"Every {unit} was also coded against the framework *{s['name']}* "
        f"(codebook `{s['codebook']}`, {plural(s['themes'], 'theme')}): its meaning "
        f"(sentence embeddings, `{s['model']}`) and its words were compared with {how}. "
        f"A {unit} gets up to {s['max_themes']} themes, most likely first, and is "
        f"*unassigned* when no theme is clearly more likely than the others (confidence "
        f"below {s['threshold']:.2f}). {_coding_context(s.get('context') or {}, unit)}"
        f"{_coding_tuning(s, unit, units)}"
        f"Of {plural(s['coded'], unit, units)} coded, "
        f"**{assigned:,} ({pct_of(assigned, s['coded'])}) were placed in a theme**. "
        + (
            agreement_sentence(s["agreement"], units)
            if s.get("agreement")
            else "Machine coding is a first pass: check a sample against your own coders "
            "before relying on it."
        )
    )


def _with_ci(g: dict[str, Any], key: str) -> str:
    """One agreement figure with its bootstrap 95% interval, e.g. ``0.71 (0.66 to 0.75)``."""
    value, ci = g.get(key), g.get(f"{key}_ci95") or []
    if value is None:
        return "n/a"
    return f"{value:.2f}" + (f" ({ci[0]:.2f} to {ci[1]:.2f})" if len(ci) == 2 else "")


def agreement_sentence(g: dict[str, Any], units: str) -> str:
    """The coding's agreement with human coders (``code.gold_column``), in a sentence or two.

    Args:
        g: the coding summary's ``agreement`` entry (:func:`steps.code_units`).
        units: what was coded, plural (``responses``).
    """
    kappa = f", Cohen's kappa {_with_ci(g, 'cohen_kappa')}" if g.get("single_label") else ""
    out = (
        f"On the {plural(g['n'], units[:-1], units)} your coders also coded (column "
        f"`{g['column']}`), the machine's codes agree with theirs with **sample-averaged F1 "
        f"{_with_ci(g, 'samples_f1')}**, micro F1 {_with_ci(g, 'micro_f1')}, macro F1 "
        f"{_with_ci(g, 'macro_f1')}{kappa} (bootstrap 95% intervals in brackets; 1 is full "
        "agreement). "
    )
    zero = g.get("zero_shot") or {}
    if zero.get("samples_f1") is not None:
        out += f"From the definitions alone (zero-shot) it would be {zero['samples_f1']:.2f}. "
    return out


def coding_agreement(run: Run, summary: dict[str, Any]) -> list[Any]:
    """03-code: agreement with ``code.gold_column``'s human codes, overall and per theme.

    Nothing (an empty list) when the config names no such column.
    """
    g = summary.get("agreement") if summary else None
    if not g or not run.has_table("coding_agreement"):
        return []
    units = "responses" if run.is_table else "text units"
    t = run.read_table("coding_agreement", dtype={"theme_id": str, "theme": str})

    def f1(r: Any) -> str:
        if pd.isna(r.f1_ci95_low):
            return f"{r.f1:.2f}"
        return f"{r.f1:.2f} ({r.f1_ci95_low:.2f} to {r.f1_ci95_high:.2f})"

    table = pd.DataFrame(
        {
            "Theme": t["theme"],
            "Human": t["support"],
            "Machine": t["machine"],
            "Precision": t["precision"].map("{:.2f}".format),
            "Recall": t["recall"].map("{:.2f}".format),
            "F1 (95% CI)": [f1(r) for r in t.itertuples()],
        }
    )
    note = (
        "*Human* counts the coded "
        f"{units} your coders gave the theme (its support), *Machine* those the machine "
        "gave it; precision is the share of the machine's that your coders agree with, "
        "recall the share of your coders' that the machine found."
    )
    return [_md(agreement_sentence(g, units)), table_html(table), _md(note)]


def _coding_tuning(s: dict[str, Any], unit: str, units: str) -> str:
    """Coding: how the model learnt the examples, and what they changed against zero-shot."""
    out = ""
    tuning = s.get("tuning")
    if tuning:
        out += (
            f"The sentence model was first tuned on the codebook's {tuning['texts']} examples "
            f"and definitions (SetFit, {tuning['pairs']:,} pairs, {tuning['seconds']:.0f} s). "
        )
    zero = s.get("zero_shot") or {}
    if zero.get("same_first_theme") is not None:
        out += (
            f"Coded from the definitions alone (zero-shot), {pct(zero['same_first_theme'])} "
            f"of the {units} would get the same main theme: the examples decide the rest. "
        )
    return out


def _coding_counts(run: Run, s: dict[str, Any], unit: str) -> tuple[HTML, Markdown]:
    """Coding: the table of units per theme, and what its counts mean."""
    t = run.read_table("coding_themes", dtype=str)

    def share(r: Any) -> str:
        if "*" in (r.share, r.ci_low, r.ci_high):
            return "*"
        return share_ci(float(r.share), float(r.ci_low), float(r.ci_high))

    cap = unit.capitalize() + "s"
    table = pd.DataFrame(
        {
            "Theme": t["theme"],
            cap: t["units"],
            "Share (95% CI)": [share(r) for r in t.itertuples()],
            "As main theme": t["main_theme"],
        }
    )
    note = (
        f"*{cap}* counts each {unit} under every theme it was given, so shares can add up "
        f"to more than 100%; *As main theme* counts its most likely theme only."
        + (
            " These counts cover every response and tie no one to a group, so they are "
            "exact, small ones included; the tables by group and over time below show "
            f"counts from fewer than {run.config.disclosure.threshold} respondents as \\*."
            if run.is_table and s.get("breakdowns")
            else ""
        )
    )
    return table_html(table), _md(note)


def _coding_breakdown(run: Run, s: dict[str, Any], name: str) -> list[Any]:
    """Coding: one breakdown by group or over time, with its notes."""
    what = name.removeprefix("coding_").replace("_", " ")
    shown: list[Any] = [
        _md(f"### {s['name']}: {'over time' if what == 'over time' else what}"),
        table_html(wide_breakdown(run.read_table(name, dtype=str)), nowrap=True),
    ]
    if s.get("notes", {}).get(name):
        shown.append(_md("*" + " ".join(s["notes"][name]) + "*"))
    return shown


def _coding_examples(run: Run, quotes_per_theme: int, quote_words: int) -> str:
    """Coding: up to ``quotes_per_theme`` example quotes per theme ("" when none)."""
    q = run.read_table("coding_quotes", dtype={"id": str, "theme_id": str})
    if q.empty or quotes_per_theme <= 0:
        return ""
    blocks = []
    for theme, g in q.groupby("theme", sort=False):
        blocks.append(f"### {theme}: examples\n")
        for r in g.head(quotes_per_theme).itertuples():
            blocks.append(quote_block(r.quote, str(r.source), quote_words))
    return "\n".join(blocks)
