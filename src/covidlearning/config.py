"""One typed configuration object that flows from YAML or the CLI to every stage.

Every model forbids unknown keys, so a misspelt option is an error rather than
silently ignored. ``Config`` is what ``covidlearning report --config FILE`` reads;
each stage takes only its own section.
"""

from __future__ import annotations

import contextvars
from pathlib import Path
from typing import Annotated, Any, Literal, Self, get_args

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from covidlearning.errors import InputError


class StrictModel(BaseModel):
    """Base model: unknown keys are errors; immutable once validated.

    A stage that needs other settings makes a changed copy
    (``config.model_copy(update=...)``), so what was loaded is what the manifest records.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    def __init__(self, **data: object) -> None:
        """Validate; a misspelt key names the nearest known one (as :func:`load_config` does).

        Raises:
            InputError: an unknown key given to a settings class directly
                (``DiscoverConfig(sead=1)``): one line with the nearest known key.
            pydantic.ValidationError: any other invalid value, or any error of a section
                validated inside a larger config (its caller words it).
        """
        depth = _NESTED.get()
        token = _NESTED.set(depth + 1)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            if depth or not any(e["type"] == "extra_forbidden" for e in exc.errors()):
                raise
            raise InputError(
                f"invalid {type(self).__name__}: {one_line(exc, type(self))}",
                f"See help({type(self).__name__}) for its settings",
            ) from None
        finally:
            _NESTED.reset(token)

    @classmethod
    def model_validate(cls, obj: object, **kwargs: object) -> Self:  # type: ignore[override]
        """Validate ``obj``; its sections' errors stay pydantic's, for the caller to word."""
        token = _NESTED.set(_NESTED.get() + 1)
        try:
            return super().model_validate(obj, **kwargs)  # type: ignore[arg-type]
        finally:
            _NESTED.reset(token)


#: How deep in a config's validation we are (0: not validating): only a settings class
#: built directly turns an unknown key into an InputError.
_NESTED: contextvars.ContextVar[int] = contextvars.ContextVar("covidlearning_nested", default=0)


class CorpusConfig(StrictModel):
    """Loading, cleaning and segmentation."""

    raw_dir: Path = Field(Path("data/raw"), description="Folder of raw documents and tables.")
    processed_dir: Path = Field(Path("data/processed"), description="Where segments are written.")
    sentences: bool = Field(False, description="Split paragraphs further into sentences.")
    min_unit_chars: int = Field(
        20, ge=1, description="Shorter paragraphs/quotes get status 'too short' (bullets kept)."
    )
    text_column: str | None = Field(
        None, description="Free-text column of table files in raw_dir (default: auto-detect)."
    )
    reader_comments: bool = Field(
        False, description="Keep reader comments under blog posts as units (default: logged)."
    )


def _auto_on_off(value: object) -> object:
    """YAML reads an unquoted ``on``/``yes`` as True and ``off``/``no`` as False.

    A setting of 'auto', 'on' and 'off' takes them as written: True is ``'on'``, False
    is ``'off'``.
    """
    word = value.strip().lower() if isinstance(value, str) else None
    if value is True or word in {"on", "yes", "true"}:
        return "on"
    if value is False or word in {"off", "no", "false"}:
        return "off"
    return value


#: A setting that is 'auto' (left to the data), 'on' (also true/yes) or 'off' (also
#: false/no; YAML's unquoted ``on``/``off`` are booleans).
AutoOnOff = Annotated[Literal["auto", "on", "off"], BeforeValidator(_auto_on_off)]

#: Periods a breakdown over time can use: week, month, quarter, year.
Period = Literal["W", "M", "Q", "Y"]

#: ``input.missing_values``' default: what exports and respondents write for "no answer".
#: Matched after normalising case, whitespace and punctuation ("did not answer." matches
#: "Did not answer"); such rows get status ``missing`` and are not modelled.
DEFAULT_MISSING_VALUES = (
    "Did not answer", "Didn't answer", "Not answered", "Unanswered", "No answer",
    "No answer given", "No response", "No reply", "N/A", "NA", "Not applicable", "-", "--",
    "No comment", "No comments", "Prefer not to say", "Rather not say", "Declined to answer",
    "Declined to comment", "Declined", "Refused", "Not provided", "Not stated", "Not given",
    "None given", "Not recorded", "Left blank", "Blank", "Skipped", "Missing", "No data",
    "Null", "NaN", "#N/A",
)  # fmt: skip


def _check_date_format(value: str | None) -> str | None:
    """``input.date_format`` must be a strptime format that gives a year and a month."""
    if value is None:
        return None
    import datetime as dt

    if "%" not in value or not any(d in value for d in ("%Y", "%y")):
        raise ValueError(f"{value!r} is not a date format with a year (e.g. '%d/%m/%Y')")
    if not any(d in value for d in ("%m", "%b", "%B")):
        raise ValueError(f"{value!r} is not a date format with a month (e.g. '%d/%m/%Y')")
    try:
        sample = dt.datetime(2021, 3, 25, 14, 30, 15).strftime(value)
        dt.datetime.strptime(sample, value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a strptime format ({exc})") from None
    return value


class InputConfig(StrictModel):
    """A table of responses (survey, feedback) rather than the document corpus."""

    path: Path = Field(description="CSV, XLSX, JSONL or Parquet file.")
    text_column: str = Field("text", description="Column holding the free text.")
    id_column: str | None = Field(None, description="Column of respondent/response ids.")
    date_column: str | None = Field(None, description="Column of dates, for change over time.")
    group_columns: list[str] = Field(default_factory=list, description="Columns to break down by.")
    sheet: str | None = Field(None, description="XLSX sheet name (default: the first).")
    dayfirst: bool = Field(
        True, description="Read ambiguous dates such as 01/02/2021 as day first (UK)."
    )
    date_format: Annotated[str | None, AfterValidator(_check_date_format)] = Field(
        None,
        description="strptime format every date is read by, e.g. '%d/%m/%Y' (None: detect "
        "each date's layout; a column mixing day-first and month-first dates is refused).",
    )
    date_freq: Period = Field(
        "M", description="Period for change over time: week, month, quarter or year."
    )
    missing_values: list[str] = Field(
        default_factory=lambda: list(DEFAULT_MISSING_VALUES),
        description="Answers that mean no answer was given (matched ignoring case, spaces and "
        "punctuation): counted as 'missing' and not modelled.",
    )
    question_column: str | None = Field(
        None,
        description="Column of the question each row answers, when the table holds several: "
        "short answers such as 'Nothing' are read with their question.",
    )


class EmbeddingSettings(StrictModel):
    """The sentence-embedding model and its cache, shared by discovery and coding."""

    embedding_model: str = Field(
        "all-MiniLM-L6-v2", description="Bundled sentence-embedding model."
    )
    cache_dir: Path | None = Field(
        None,
        description="Embedding cache folder: vectors are kept by model and text hash, so a "
        "re-run embeds only new texts (default: $COVIDLEARNING_CACHE/embeddings, else "
        "~/.cache/covidlearning/embeddings). Holds no text, only hashes and vectors.",
    )
    batch_size: int = Field(64, ge=1, description="Embedding batch size.")
    backend: Literal["torch", "onnx-int8"] = Field(
        "torch",
        description="'torch': sentence-transformers on PyTorch (fp32); 'onnx-int8': the model "
        "exported to ONNX and quantised to int8 on first use (cached; faster on CPU, mean "
        "cosine to fp32 about 0.99). Each backend's vectors are cached apart.",
    )


class DiscoverConfig(EmbeddingSettings):
    """Theme discovery with BERTopic."""

    min_respondents: int = Field(
        10,
        ge=1,
        description="A word enters a theme's keywords or label, or the saved model's "
        "vocabulary, only if texts from at least this many distinct respondents use it; "
        "a word that looks like a personal name never does.",
    )
    topics: Literal["auto"] | Annotated[int, Field(ge=2)] = Field(
        "auto", description="'auto', or merge down to this many topics."
    )
    seed: int = Field(42, description="Random seed for clustering, sampling and fine-tuning.")
    outliers: Literal["reassign", "keep"] = Field(
        "reassign", description="Reassign outliers to their nearest topic, or keep them as -1."
    )
    context: AutoOnOff = Field(
        "auto",
        description="Use the row order as context where neighbouring texts share themes. "
        "'on' fits how far they do and uses the order where they do; 'off' ignores it; "
        "'auto': on for a corpus's document units (a doc_id column), off for a table of "
        "answers (an export's order is an artefact: sorted by ward, date or a code).",
    )
    refine: bool | Literal["auto"] = Field(
        "auto",
        description="Self-training: fine-tune the embedding model on the first clustering's "
        "themes, then cluster again (k-means, same k) in the tuned space. 'auto': on for "
        "1,000-20,000 texts (short comments; a few minutes on CPU), off for documents' "
        "units and very large tables.",
    )
    n_quotes: int = Field(5, ge=1, le=20, description="Representative quotes per topic.")
    stability_runs: int = Field(
        3,
        ge=0,
        description="Extra seeds for the stability ARI (0 = skip); each re-runs the first "
        "pass on its sample (at most 2,000 texts, about 10 s).",
    )


class CodeConfig(EmbeddingSettings):
    """Coding text against an evaluator's framework."""

    codebook: Path | None = Field(None, description="Codebook YAML; none skips framework coding.")
    threshold: float | None = Field(
        None, ge=0, le=1, description="Below this confidence a text is 'unassigned' (None = auto)."
    )
    max_themes: int = Field(3, ge=1, description="At most this many themes per text.")
    secondary: float = Field(
        0.5,
        gt=0,
        le=1,
        description="List a further theme when its probability is at least "
        "this share of the first theme's (multi-label codebooks and samples).",
    )
    seed: int = Field(42, description="Random seed.")
    finetune: bool | Literal["auto"] = Field(
        "auto",
        description="Fine-tune the embedding model first. 'auto': in trained mode when the "
        "sample has at least 200 coded texts (a few minutes on CPU); few-shot coding stays "
        "untuned. true: also few-shot, on the codebook's examples and definitions (SetFit). "
        "The tuned state is saved with the run (safetensors).",
    )
    tune_pairs: int = Field(
        1280,
        ge=16,
        le=100_000,
        description="Few-shot tuning (SetFit): at most this many contrastive pairs, half of "
        "texts of the same code, half of different codes (16 per step; about a minute for "
        "1,280 on 2 CPU cores).",
    )
    lexical_weight: float = Field(
        0.5, ge=0, description="Weight of word overlap (TF-IDF) beside embeddings, zero/few-shot."
    )
    context: AutoOnOff = Field(
        "auto",
        description="Zero/few-shot: use the row order as context where neighbouring texts "
        "share themes. 'auto': on for a document's units (they carry a doc_id), off for a "
        "table (a survey export's row order says nothing of its answers' themes); 'on' fits "
        "how far neighbours share themes in a table too; 'off' codes each text on its own.",
    )
    holdout: float = Field(
        0.2,
        ge=0,
        lt=0.5,
        description="Trained mode: share of the coded sample held out to "
        "measure agreement before the final model is fitted on all of it (0 = skip).",
    )
    gold_column: str | None = Field(
        None,
        description="Column of the input table holding human codes for some answers (theme "
        "ids or names, ';'-separated; an empty cell: not coded by a human). The report then "
        "shows the coding's agreement with them: per code precision, recall, F1 and support, "
        "micro, macro and sample-averaged F1 and, when each answer has one code, Cohen's "
        "kappa, each with a bootstrap 95% interval. Needs code.codebook.",
    )
    min_similarity: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Framework comparison: a theme is supported by a topic closest to it "
        "at or above this cosine similarity; a topic below it for every theme is new.",
    )


class EngineConfig(StrictModel):
    """Where the work that grows with n runs: this process, or a Dask cluster."""

    scheduler: str | None = Field(
        None,
        description="None: one process (no Dask); 'local': start a Dask LocalCluster on this "
        "machine; an address such as tcp://host:8786: use that running cluster.",
    )
    workers: int | None = Field(
        None, ge=1, description="LocalCluster workers (default: one per core)."
    )
    memory_limit: str = Field(
        "8GB", description="LocalCluster: memory each worker may use before it is restarted."
    )
    partition_rows: int = Field(
        50_000, ge=100, description="Rows per partition read, embedded and assigned at once."
    )
    csv_max_rows: int = Field(
        1_000_000,
        ge=0,
        description="Write assignments.csv beside the partitioned parquet only up to this "
        "many rows (0: parquet only).",
    )

    @field_validator("scheduler")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        value = value.strip()
        if value != "local" and "://" not in value and ":" not in value:
            raise ValueError(f"{value!r} is neither 'local' nor an address such as tcp://host:8786")
        return value


class DisclosureConfig(StrictModel):
    """Statistical disclosure control for group breakdowns."""

    rule: Literal["gp-patient-survey", "opensafely"] = Field(
        "gp-patient-survey",
        description="'gp-patient-survey': figures from fewer than 10 respondents "
        "suppressed, with secondary suppression; 'opensafely': counts of 7 or fewer hidden "
        "and every other count and total rounded to the nearest 5 (threshold 8, rounding 5, "
        "no secondary suppression, unless set).",
    )
    threshold: int = Field(10, ge=1, description="Cells from fewer respondents are shown as '*'.")
    secondary: bool = Field(
        True, description="Suppress extra cells so hidden ones can't be derived."
    )
    rounding: int = Field(
        1, ge=1, description="Round every published count and total to a multiple of this."
    )

    @model_validator(mode="before")
    @classmethod
    def _rule_defaults(cls, data: Any) -> Any:
        """``rule: opensafely`` sets the threshold, rounding and secondary it implies."""
        if isinstance(data, dict) and data.get("rule") == "opensafely":
            data = {"threshold": 8, "rounding": 5, "secondary": False, **data}
        return data


class RedactionConfig(StrictModel):
    """Removal of personal identifiers from every text that reaches reports/."""

    enabled: bool = Field(True, description="Redact quotes and texts before they are published.")
    names: bool = Field(True, description="Redact titled names and given-name + surname pairs.")
    log_dir: Path = Field(
        Path("data/processed/anonymisation"),
        description="Where the anonymisation audit log goes (outside reports/).",
    )
    lone_given_names: bool = Field(
        True, description="Also redact a known given name on its own ('Thanks to Priya')."
    )
    extra_names: list[str] = Field(
        default_factory=list, description="Names (or other strings) always redacted as [NAME]."
    )
    extra_names_file: Path | None = Field(
        None, description="Text file of such names, one a line (e.g. a staff list)."
    )
    allow: list[str] = Field(
        default_factory=list,
        description="Exact strings never redacted and allowed by the final guard.",
    )
    guard: bool = Field(
        True, description="Fail the run if any report file still holds an identifier."
    )
    places: Literal["redact", "keep"] = Field(
        "redact",
        description="Named hospitals and buildings ('St Thomas' Hospital', 'Bevan House'): "
        "'redact' replaces them with [PLACE], 'keep' leaves them as written; never [NAME].",
    )


class Config(StrictModel):
    """Everything one report run needs."""

    name: str = Field(description="Run name; outputs go to reports/<name>/.")
    title: str = Field("Thematic analysis", description="Report title.")
    source: Literal["corpus", "table"] = Field(
        "corpus", description="'corpus': documents in corpus.raw_dir; 'table': input.path."
    )
    input: InputConfig | None = None
    corpus: CorpusConfig = Field(default_factory=CorpusConfig)
    discover: DiscoverConfig = Field(default_factory=DiscoverConfig)
    code: CodeConfig = Field(default_factory=CodeConfig)
    frameworks: list[Path] = Field(
        default_factory=list, description="Codebooks to compare discovered themes against."
    )
    stance: bool = Field(
        True,
        description="Read each unit for its stance (what to keep, what not to repeat) and "
        "sentiment. Turn off for material where that means only tone, such as patient "
        "feedback: the report then has no stance section, finding or table.",
    )
    engine: EngineConfig = Field(default_factory=EngineConfig)
    disclosure: DisclosureConfig = Field(default_factory=DisclosureConfig)
    redaction: RedactionConfig = Field(default_factory=RedactionConfig)
    reports_dir: Path = Field(Path("reports"), description="Parent folder of report runs.")
    cell_timeout: int = Field(1800, ge=10, description="Seconds any one notebook cell may run.")
    cache_dir: Path | None = Field(
        None,
        description="Embedding cache of both discover and code, unless a section sets its "
        "own cache_dir (default: $COVIDLEARNING_CACHE/embeddings, else "
        "~/.cache/covidlearning/embeddings). It holds text hashes and vectors, no text.",
    )

    @model_validator(mode="before")
    @classmethod
    def _shared_cache_dir(cls, data: object) -> object:
        """``cache_dir`` at the top applies to each section that does not set its own."""
        if not isinstance(data, dict) or data.get("cache_dir") is None:
            return data
        data = dict(data)
        for section in ("discover", "code"):
            own = data.get(section)
            if own is None:
                data[section] = {"cache_dir": data["cache_dir"]}
            elif isinstance(own, dict) and own.get("cache_dir") is None:
                data[section] = {**own, "cache_dir": data["cache_dir"]}
        return data


class ReportParameters(StrictModel):
    """The report notebooks' own parameters (``covidlearning report -p NAME=VALUE``).

    They change what the report shows, not what is computed, so they live beside the
    config rather than in it. Each notebook's ``parameters`` cell declares the ones it
    reads with these defaults (a test checks they agree); the runner validates every
    override with this model before any notebook runs.
    """

    show_units: int = Field(5, ge=0, description="Example units 01-corpus shows (0: none).")
    time_period: Literal["", "W", "M", "Q", "Y"] = Field(
        "", description="Breakdown over time by week, month, quarter or year ('': the config's)."
    )
    quotes_per_theme: int = Field(
        0, ge=0, description="Quotes shown per theme (0: discover.n_quotes)."
    )
    max_keywords: int = Field(8, ge=1, description="Keywords shown per theme.")
    quote_words: int = Field(
        80, ge=0, description="Longer quotes are shortened to about this many words (0: never)."
    )

    @field_validator("time_period", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value


def check_report_parameter(name: str, value: object) -> object:
    """Validate one notebook parameter against :class:`ReportParameters`; return it typed.

    Names the model does not define (a notebook an evaluator added) pass unchanged.

    Raises:
        InputError: one line naming the allowed values or the bound.
    """
    field = ReportParameters.model_fields.get(name)
    if field is None:
        return value
    try:
        return getattr(ReportParameters.model_validate({name: value}), name)
    except ValidationError as exc:
        err = exc.errors()[0]
        if err["type"] == "literal_error":
            allowed = ", ".join(a for a in get_args(field.annotation) if a)
            raise InputError(
                f"parameter {name} must be one of {allowed} (or empty for the config's "
                f"input.date_freq), got {value!r}",
                f"Pass e.g. -p {name}={allowed.split(', ')[-1]}",
            ) from None
        if err["type"] == "greater_than_equal":
            raise InputError(
                f"parameter {name} must be at least {err['ctx']['ge']}, got {value!r}",
                f"Pass e.g. -p {name}={field.default}",
            ) from None
        raise InputError(
            f"parameter {name}: {err['msg']}, got {value!r}", f"Pass e.g. -p {name}={field.default}"
        ) from None


def load_config(path: str | Path) -> Config:
    """Read and validate a YAML config.

    Relative paths inside the file are kept relative to the working directory,
    which for ``make report`` is the project root.

    Raises:
        InputError: the file is missing, is not YAML, or does not validate.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"config file not found: {path}", "Pass an existing YAML file to --config")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(
            f"{path} is not valid YAML ({exc.__class__.__name__})", "Fix the syntax"
        ) from None
    if not isinstance(data, dict):
        raise InputError(
            f"{path} must hold a mapping of settings", "See configs/trust-template.yaml"
        )
    data.setdefault("name", path.stem)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            f"invalid config {path}: {one_line(exc, Config)}", "See configs/trust-template.yaml"
        ) from None


def one_line(exc: ValidationError, model: type[BaseModel] | None = None) -> str:
    """Summarise a pydantic error in one line: ``field.path: message; ...``.

    An unknown key gets the nearest known one of its section when ``model`` (the model
    that was validated) is given: ``discover.sead: ... (did you mean 'seed'?)``.
    """
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "config"
        msg, hint = err["msg"], ""
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
            near = _nearest_key(model, err["loc"]) if model is not None else None
            hint = f" (did you mean '{near}'?)" if near else ""
        parts.append(f"{loc}: {msg}{hint}")
    return "; ".join(parts)


def _nearest_key(model: type[BaseModel], loc: tuple[int | str, ...]) -> str | None:
    """The known key of ``loc``'s section closest to its misspelt last part."""
    import difflib

    section: type[BaseModel] | None = model
    for part in loc[:-1]:
        field = section.model_fields.get(str(part)) if section else None
        section = None
        if field is not None:
            for kind in (field.annotation, *get_args(field.annotation)):
                if isinstance(kind, type) and issubclass(kind, BaseModel):
                    section = kind
        if section is None:
            return None
    near = difflib.get_close_matches(str(loc[-1]), list(section.model_fields), n=1, cutoff=0.6)
    return near[0] if near else None
