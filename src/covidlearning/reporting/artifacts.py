"""The files the report's notebooks hand each other inside a run's work folder.

Each notebook of ``covidlearning report`` writes files into the run's work folder
(``run.work_dir``, never published) that a later notebook or the report reads. Every
such file is named here once, as an :class:`Artifact`, and each JSON summary has a
typed reader and writer (:class:`JsonArtifact` with a pydantic model), so no stage opens
another stage's file by a string literal or guesses at its keys. Published tables go
through :meth:`covidlearning.reporting.run.Run.write_table` instead.

==========================  ============  ===============================================
artifact                    written by    holds
==========================  ============  ===============================================
:data:`UNITS`               01-corpus     every unit or response (``id``, ``text``, ...)
:data:`RUN_SUMMARY`         01-corpus     rows read, analysed and excluded, by reason
:data:`GROUP_MERGES`        01-corpus     group values merged (differing in case or
                                          spaces only), per group column
:data:`PUBLISHED_GROUPS`    01-corpus     published group names that redaction would
                                          take for a ward or a place, allowed in the run
:data:`DISCOVERY`           02-discover   the saved discovery (model, tables, manifest)
:data:`DISCOVERY_METRICS`   02-discover   what discovery measured and decided
:data:`DISCOVERY_MANIFEST`  02-discover   its provenance: inputs, model, versions
:data:`EMBEDDINGS`          02-discover   unit vectors (float32), rows in
                                          :data:`EMBEDDING_IDS` order
:data:`STANCE_SCORES`       03-code       per-unit stance and sentiment (ids, numbers)
:data:`FRAMEWORKS`          03-code       each framework's comparison with the themes
:data:`QUOTE_NOTES`         02-discover   why a theme shows no quote
:data:`BREAKDOWN_NOTES`     03-code       what each breakdown hides and why
:data:`CODING_SUMMARY`      03-code       the coding against ``code.codebook``
:data:`REDACTION_LOG`       every step    strings redaction removed (for the final guard)
==========================  ============  ===============================================

This module imports nothing of the package but :mod:`covidlearning._io`, so any stage
may import it without creating an import cycle.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter

from covidlearning._io import write_json

T = TypeVar("T")


@dataclass(frozen=True)
class Artifact:
    """One file (or folder) a notebook writes into the work folder for a later one.

    Attributes:
        name: its path inside the work folder.
        holds: what it holds, in a few words.
    """

    name: str
    holds: str

    def path(self, work_dir: str | Path) -> Path:
        """Where the artifact lives in ``work_dir``."""
        return Path(work_dir) / self.name

    def exists(self, work_dir: str | Path) -> bool:
        """Whether an earlier notebook has written it."""
        return self.path(work_dir).exists()


@dataclass(frozen=True)
class JsonArtifact(Artifact, Generic[T]):
    """A JSON summary with a typed reader and writer.

    Attributes:
        kind: the type its content validates as (a pydantic model, or a list/dict type).
    """

    kind: Any = None

    @functools.cached_property
    def _adapter(self) -> TypeAdapter[T]:
        return TypeAdapter(self.kind)

    def read(self, work_dir: str | Path) -> T:
        """The summary in ``work_dir``, validated; an empty one when it was not written.

        A file that is not valid JSON reads as empty too: the report then says less, it
        does not fail on an intermediate file.
        """
        path = self.path(work_dir)
        data: Any = None
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                data = None
        if data is None:
            return self._adapter.validate_python(_empty(self.kind))
        return self._adapter.validate_python(data)

    def write(self, work_dir: str | Path, value: T | dict[str, Any] | list[Any]) -> Path:
        """Validate ``value`` and write it atomically (sorted keys: byte-identical reruns)."""
        checked = self._adapter.validate_python(value)
        data = value if isinstance(value, dict | list) else self._adapter.dump_python(checked)
        path = self.path(work_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, data)
        return path


def _empty(kind: Any) -> Any:
    origin = getattr(kind, "__origin__", kind)
    if origin is list:
        return []
    return {}


class Summary(BaseModel):
    """Base of the JSON summaries: frozen, named fields typed, other keys kept as written."""

    model_config = ConfigDict(extra="allow", frozen=True)

    def get(self, key: str, default: Any = None) -> Any:
        """A key's value as a mapping would give it (named fields and extra keys alike)."""
        value = getattr(self, key, None)
        if value is None:
            value = (self.model_extra or {}).get(key)
        return default if value is None else value

    def as_dict(self) -> dict[str, Any]:
        """Every key that was written, as written."""
        return self.model_dump(mode="json", exclude_unset=True)


class DiscoveryMetrics(Summary):
    """What discovery measured and decided (``discover``'s ``metrics.json``).

    The sections (``coherence_npmi``, ``stability``, ``outliers``, ``refine``,
    ``context``, ``excluded``) are mappings whose keys
    :mod:`covidlearning.themes.discover` documents; :meth:`part` reads one value.
    """

    n_rows: int | None = None
    n_modelled: int | None = None
    n_topics: int | None = None
    k_chosen: int | None = None
    no_themes_found: str | None = None
    topic_diversity: float | None = None
    silhouette: float | None = None
    excluded: dict[str, Any] | None = None
    coherence_npmi: dict[str, Any] | None = None
    stability: dict[str, Any] | None = None
    outliers: dict[str, Any] | None = None
    refine: dict[str, Any] | None = None
    context: dict[str, Any] | None = None

    def part(self, section: str, key: str) -> Any:
        """``section[key]`` (e.g. ``part("stability", "mean_ari")``); None when absent."""
        value = (getattr(self, section, None) or {}).get(key)
        return None if isinstance(value, dict) else value


class DiscoveryManifest(Summary):
    """Discovery's provenance (``discover``'s ``manifest.json``)."""

    model_id: str | None = None
    seed: int | None = None
    package_versions: dict[str, str] | None = None
    machine: dict[str, Any] | None = None


class RunSummary(Summary):
    """Rows read, analysed and excluded by reason (01-corpus)."""


class CodingSummary(Summary):
    """What 03-code leaves for 04-report about the coding against ``code.codebook``."""

    codebook: str | None = None
    mode: str | None = None


UNITS = Artifact("units.parquet", "every unit or response, with id, text and status")
RUN_SUMMARY = JsonArtifact[RunSummary](
    "run_summary.json", "rows read, analysed and excluded", RunSummary
)
GROUP_MERGES = JsonArtifact[dict[str, list[str]]](
    "group_merges.json", "group values merged, per group column", dict[str, list[str]]
)
PUBLISHED_GROUPS = JsonArtifact[list[str]](
    "published_groups.json", "group names kept as written though read as places", list[str]
)
DISCOVERY = Artifact("discovery", "the saved discovery: model, assignments, topics, manifest")
DISCOVERY_METRICS = JsonArtifact[DiscoveryMetrics](
    "discovery/metrics.json", "what discovery measured and decided", DiscoveryMetrics
)
DISCOVERY_MANIFEST = JsonArtifact[DiscoveryManifest](
    "discovery/manifest.json", "discovery's provenance", DiscoveryManifest
)
EMBEDDINGS = Artifact("embeddings.npy", "unit vectors, float32, in EMBEDDING_IDS order")
EMBEDDING_IDS = Artifact("embedding_ids.txt", "the unit id of each row of EMBEDDINGS")
STANCE_SCORES = Artifact("stance.csv", "per-unit stance and sentiment (ids and numbers)")
FRAMEWORKS = JsonArtifact[list[dict[str, Any]]](
    "frameworks.json", "each framework's comparison with the themes", list[dict[str, Any]]
)
QUOTE_NOTES = JsonArtifact[dict[str, str]](
    "quote_notes.json", "why a theme shows no quote (topic -> reason)", dict[str, str]
)
BREAKDOWN_NOTES = JsonArtifact[dict[str, list[str]]](
    "breakdowns.json", "what each breakdown hides and why", dict[str, list[str]]
)
CODING_SUMMARY = JsonArtifact[CodingSummary](
    "coding.json", "the coding against code.codebook", CodingSummary
)
REDACTION_LOG = JsonArtifact[list[str]](
    "redaction_originals.json", "strings redaction removed during the run", list[str]
)


def write_embeddings(work_dir: str | Path, vectors: Any, ids: list[str]) -> None:
    """Write :data:`EMBEDDINGS` (float32, no pickle) and :data:`EMBEDDING_IDS`."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) != len(ids):
        raise ValueError(f"{len(vectors)} vectors for {len(ids)} ids")
    np.save(EMBEDDINGS.path(work_dir), vectors, allow_pickle=False)
    EMBEDDING_IDS.path(work_dir).write_text("\n".join(ids) + "\n", encoding="utf-8")


def read_embeddings(work_dir: str | Path) -> tuple[list[str], Any] | None:
    """The unit ids and their vectors (rows in id order); None when not written."""
    import numpy as np

    if not (EMBEDDINGS.exists(work_dir) and EMBEDDING_IDS.exists(work_dir)):
        return None
    vectors = np.load(EMBEDDINGS.path(work_dir), allow_pickle=False)
    ids = EMBEDDING_IDS.path(work_dir).read_text(encoding="utf-8").splitlines()
    return ids, vectors


#: What a run publishes in ``reports/<name>/`` (the report folder, not the work folder).
REPORT_HTML = "report.html"
REPORT_MANIFEST = "manifest.json"
TABLES_DIR = "tables"
FIGURES_DIR = "figures"

#: Every hand-off file, for listings and tests.
ALL: tuple[Artifact, ...] = (
    UNITS,
    RUN_SUMMARY,
    GROUP_MERGES,
    PUBLISHED_GROUPS,
    DISCOVERY,
    DISCOVERY_METRICS,
    DISCOVERY_MANIFEST,
    EMBEDDINGS,
    EMBEDDING_IDS,
    STANCE_SCORES,
    FRAMEWORKS,
    QUOTE_NOTES,
    BREAKDOWN_NOTES,
    CODING_SUMMARY,
    REDACTION_LOG,
)
