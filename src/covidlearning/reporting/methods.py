"""The report's Methods and Limitations, written from the config and what the run recorded.

Methods is a numbered list built from :data:`PARAGRAPHS`: named paragraph builders in
reading order, each returning its paragraph's Markdown, or ``""`` when it does not apply
to the run (no frameworks, no disclosure control for documents...). The list is numbered
when it is rendered (:func:`numbered`), so adding or dropping a paragraph renumbers it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from covidlearning.reporting.wording import plural

if TYPE_CHECKING:
    from covidlearning.config import Config


@dataclass(frozen=True)
class MethodsFacts:
    """What Methods states about one run, gathered by ``Report.methods``.

    Text says "unit"; the report rewords it ("response") for tables of responses.

    Attributes:
        config: the run's config.
        is_table: the source is a table of responses, not documents.
        quotes_per_theme: quotes shown per theme.
        frameworks: names of the frameworks the themes were compared with.
        metrics: the discovery's ``metrics.json`` as a dict (``{}`` when missing).
        tuned: the settings chosen for this number of units, in words (``""``: none).
        versions: the key package versions, in words (``""``: unknown).
        published_groups: published group names that redaction would have taken for a
            ward or a place, kept as written.
    """

    config: Config
    is_table: bool
    quotes_per_theme: int
    frameworks: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    tuned: str = ""
    versions: str = ""
    published_groups: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- paragraphs
def _data(f: MethodsFacts) -> str:
    c = f.config
    if f.is_table and c.input is not None:
        table, column = Path(c.input.path).name, c.input.text_column
        return f"**Data.** The table `{table}` (text column `{column}`)."
    split = "into sentences" if c.corpus.sentences else "into paragraphs, bullets and quotes"
    return (
        f"**Data.** The documents in `{c.corpus.raw_dir}`, split {split} "
        f"(units shorter than {c.corpus.min_unit_chars} characters dropped)."
    )


def _meaning(f: MethodsFacts) -> str:
    return (
        "**Meaning.** Each unit was turned into a sentence embedding with the "
        f"`{f.config.discover.embedding_model}` "
        "model, run locally (nothing leaves the machine)."
    )


def _themes(f: MethodsFacts) -> str:
    d = f.config.discover
    topics = (
        "chosen automatically from the data" if d.topics == "auto" else f"merged down to {d.topics}"
    )
    text = (
        "**Themes.** Units were grouped by *consensus clustering*: the embeddings (with "
        "a smaller weight on each unit's distinctive words) were partitioned with soft "
        "k-means many times, over several seeded starts and numbers of groups; units "
        "that kept landing together form a theme. Every step is a smooth function of "
        "the embeddings, so the same themes come out on any computer. Settings adapt to the "
        f"number of units, and the number of themes was {topics}. BERTopic then describes "
        "each theme: keywords from class-based TF-IDF refined for relevance and variety, "
        "and a short label."
    )
    more = (_context_sentence(f.metrics, "unit"), _refine_sentence(f.metrics, "unit"))
    return "\n".join([text, *(s for s in more if s)])


def _outliers(f: MethodsFacts) -> str:
    return "**Units that fit no theme** were " + (
        "assigned to their nearest theme."
        if f.config.discover.outliers == "reassign"
        else "kept apart as outliers."
    )


def _quotes(f: MethodsFacts) -> str:
    c = f.config
    grouped = f.is_table and c.input is not None and c.input.group_columns
    return (
        f"**Quotes.** Up to {f.quotes_per_theme} representative, mutually different "
        "quotes per theme"
        + (
            " (chosen only among units from groups of at least "
            f"{c.disclosure.threshold} respondents)"
            if grouped
            else ""
        )
        + "; a quote always belongs to its theme."
    )


def _stability(f: MethodsFacts) -> str:
    d = f.config.discover
    return _stability_sentence(f.metrics, d.stability_runs, d.seed)


def _stance(f: MethodsFacts) -> str:
    if not f.config.stance:
        return "**Stance and sentiment** were not read (`stance: false` in the config)."
    return (
        "**Stance and sentiment.** Cue phrases for keeping or not repeating, then VADER "
        "sentiment (the vaderSentiment package), read as feedback is written: 'improve' and "
        "'better' carry no sentiment, an opening 'Nothing,' or 'None.' negates nothing "
        "after it, and a negation ends with its sentence."
    )


def _frameworks(f: MethodsFacts) -> str:
    paths = f.config.frameworks
    if not paths:
        return ""
    return (
        "**Frameworks.** Discovered themes were compared with "
        + "; ".join(f"*{name}*" for name in f.frameworks)
        + " (codebooks "
        + ", ".join(f"`{Path(p).name}`" for p in paths)
        + "): each framework theme's name, definition and examples were embedded "
        "with the same model and compared with each theme's texts."
    )


def _disclosure(f: MethodsFacts) -> str:
    if not f.is_table:
        return ""
    dc = f.config.disclosure
    return (
        f"**Disclosure control.** Theme sizes over all responses are exact; no "
        f"figure rests on fewer than {dc.threshold} respondents: in the "
        "breakdowns by group and period small counts and small groups are hidden (`*`)"
        + (", with secondary suppression" if dc.secondary else "")
        + ", the stance of a smaller theme is hidden, and no quote comes "
        "from a group below that size."
    )


def _redaction(f: MethodsFacts) -> str:
    if not f.config.redaction.enabled:
        return ""
    return (
        "**Redaction.** "
        + (
            "Every response was redacted before it was modelled, and e"
            if f.config.source == "table"
            else "E"
        )
        + "very quote and text in this report passed an offline redactor (names, "
        "NHS-number-like numbers, phone numbers, e-mails, postcodes, street addresses, "
        "dates of birth, ages over 89, "
        "reference numbers, web addresses, ward and bed numbers"
        + (", named hospitals and buildings" if f.config.redaction.places == "redact" else "")
        + "); "
        + (
            "theme keywords and labels use only words that at least "
            f"{f.config.discover.min_respondents} respondents wrote, never a name; "
            if f.config.discover.min_respondents > 1
            else "theme keywords and labels never use a name; "
        )
        + "and a final check scanned every published file."
        + _published_groups(f.published_groups)
    )


def _published_groups(names: list[str]) -> str:
    """The sentence saying which published group names redaction let through."""
    if not names:
        return ""
    shown = ", ".join(f"“{n}”" for n in names[:3]) + (", ..." if len(names) > 3 else "")
    return (
        " The names of the groups the breakdowns publish were kept as written where the "
        f"redactor would have read them as a ward or a place ({shown})."
    )


#: The Methods paragraphs in reading order; a builder returning "" is left out.
PARAGRAPHS: Mapping[str, Callable[[MethodsFacts], str]] = {
    "data": _data,
    "meaning": _meaning,
    "themes": _themes,
    "outliers": _outliers,
    "quotes": _quotes,
    "stability": _stability,
    "stance": _stance,
    "frameworks": _frameworks,
    "disclosure": _disclosure,
    "redaction": _redaction,
}

#: Limitations that hold for every run; one more depends on the source.
LIMITATIONS = (
    "Themes are found by a statistical model from word use and meaning. They are a "
    "starting point for human reading, not a replacement for it: each label is a phrase "
    "the texts themselves use, chosen by a rule, and may need rewording.",
    "Each unit belongs to one theme, although people often make several points at once.",
    "Shares describe this material only. Confidence intervals assume units are "
    "independent; "
    "units from the same document or person are not, so the true uncertainty is larger.",
    "Stance and sentiment come from word lists. They miss irony and context, and NHS "
    "words such as *positive* (a test result) can mislead them.",
)
_DOCUMENTS_LIMITATION = (
    "The documents are already summaries written by their authors, so the analysis "
    "finds the themes of those summaries, not of the original conversations or surveys."
)
_TABLE_LIMITATION = (
    "Respondents chose to answer; their views may not represent all staff or patients."
)


# --------------------------------------------------------------------------- rendering
def numbered(paragraphs: Iterable[str]) -> str:
    """A Markdown numbered list (1, 2, 3...) of the non-empty ``paragraphs``.

    Items are separated by a blank line; a paragraph's further lines are indented
    under its first, so they stay part of the item.
    """
    items = []
    for k, text in enumerate((p for p in paragraphs if p), start=1):
        marker = f"{k}. "
        first, *rest = text.split("\n")
        items.append("\n".join([marker + first, *(" " * len(marker) + r for r in rest)]))
    return "\n\n".join(items)


def methods_markdown(facts: MethodsFacts) -> str:
    """The Methods and Limitations sections as Markdown."""
    lines = ["## Methods", "", numbered(build(facts) for build in PARAGRAPHS.values())]
    if facts.tuned:
        lines.append(f"\nSettings chosen for this number of units: {facts.tuned}.")
    if facts.versions:
        lines.append(
            f"\nSoftware: {facts.versions} (embeddings, k-means consensus clustering and "
            "BERTopic's theme descriptions); full versions and input checksums are in "
            "`manifest.json`."
        )
    limits = [*LIMITATIONS, _TABLE_LIMITATION if facts.is_table else _DOCUMENTS_LIMITATION]
    lines += ["", "## Limitations", "", *(f"- {text}" for text in limits)]
    return "\n".join(lines)


def tuned_settings(chosen: Any) -> str:
    """The settings discovery chose for this number of units (manifest ``chosen``), in words."""
    if not isinstance(chosen, dict) or not chosen:
        return ""
    names = {
        "n": "units clustered",
        "consensus_runs": "clustering runs",
        "min_topic_size": "smallest theme",
    }
    tuned = "; ".join(f"{label} {chosen[k]}" for k, label in names.items() if k in chosen)
    grid = chosen.get("k_grid")
    if isinstance(grid, list) and grid:
        tuned += f"; numbers of groups tried {grid[0]} to {grid[-1]}"
    return tuned


# --------------------------------------------------------------------------- sentences
def _stability_sentence(metrics: dict[str, Any], runs: int, seed: int) -> str:
    """How stability was measured (re-runs differ when refinement ran)."""
    if runs == 0:
        return "**Stability** was not measured (`discover.stability_runs: 0`)."
    if (metrics.get("refine") or {}).get("k"):
        return (
            f"**Stability.** The first grouping was re-run with {runs} further random "
            "seeds; each re-run's number of themes was cut again by k-means in the tuned "
            f"embeddings and compared with the main run (seed {seed}). The fine-tuning was "
            "not repeated per seed, so this measures the clustering's stability, not the "
            "tuning's."
        )
    return (
        f"**Stability.** The model was refitted with {runs} further random seeds and "
        f"compared with the main run (seed {seed})."
    )


def _refine_sentence(metrics: dict[str, Any], unit: str) -> str:
    """The self-training refinement, when it ran (metrics.json ``refine``); else ``""``."""
    ref = metrics.get("refine") or {}
    if not ref.get("k"):  # not run (or skipped: the reason is in metrics.json)
        return ""
    return (
        f"The embedding model was then fine-tuned to tell these {ref['k']} themes apart "
        f"(one pass over {plural(int(ref['texts_tuned_on']), unit)}), every {unit} was "
        f"embedded again, and k-means with the same number of themes grouped them anew "
        f"(*self-training*); {float(ref['changed_share']):.0%} of {unit}s changed theme. "
        "The themes reported are this second grouping."
    )


def _context_sentence(metrics: dict[str, Any], unit: str) -> str:
    """How far the order of the units informed their themes (metrics.json ``context``)."""
    ctx: dict[str, Any] = metrics.get("context") or {}
    if ctx.get("used"):
        return (
            f"Neighbouring {unit}s tended to share a theme (fitted stickiness "
            f"{ctx['stickiness']:.2f}), as the parts of a document do, so each {unit}'s theme "
            "also weighed its neighbours' (a sticky hidden Markov model over the order); "
            f"{plural(int(ctx.get('moved', 0)), unit)} "
            "moved theme this way"
            + (" before the refinement." if ctx.get("superseded_by_refinement") else ".")
        )
    if ctx.get("reason") == "off":
        return f"The order of the {unit}s was not used (`discover.context: off`)."
    if str(ctx.get("reason", "")).startswith("off for a table"):
        return (
            f"The order of the {unit}s was not used: in a table of answers it is an "
            "artefact of the export (`discover.context: on` would use it)."
        )
    if ctx.get("stickiness") is not None:  # fitted, and too low to use
        return f"The order of the {unit}s carried no theme, so it was not used."
    return ""  # not checked (too few texts or themes, or a run from before this step)
