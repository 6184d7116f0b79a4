"""``covidlearning code INPUT ...``, ``code sample`` and ``code agree``.

``code`` is a group whose default command is ``run``: when the first argument is not
a subcommand name, ``code INPUT ...`` means ``code run INPUT ...``. Only light modules
load here; inputs are checked before pandas, scikit-learn or torch load.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from covidlearning.cli._settings import (
    MissingValuesOption,
    QuestionColumnOption,
    RedactOption,
    SchedulerOption,
    answer_settings,
    engine_settings,
    field_help,
    redaction_settings,
    stage_settings,
)
from covidlearning.config import CodeConfig
from covidlearning.errors import InputError, did_you_mean, quoted

if TYPE_CHECKING:
    import pandas as pd

    from covidlearning.coding.codebook import Codebook
    from covidlearning.coding.result import CodingResult

_SUBCOMMANDS = ("run", "sample", "agree")


class DefaultRunGroup(TyperGroup):
    """A group that treats ``code INPUT ...`` as ``code run INPUT ...``."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:  # noqa: ANN001 - click's Context
        """Insert ``run`` unless the first argument names a subcommand or asks for help."""
        help_names = set(ctx.help_option_names or ["--help"])
        if args and args[0] not in self.commands and args[0] not in help_names:
            args = ["run", *args]
        return super().parse_args(ctx, args)


code_app = typer.Typer(
    cls=DefaultRunGroup,
    no_args_is_help=True,
    help=(
        "Code texts against an evaluator's framework, and check agreement with human coders.\n\n"
        "covidlearning code INPUT --text-column COL --codebook FILE --out DIR\n\n"
        "covidlearning code INPUT --text-column COL --train CODED --label-column COL"
        " --out DIR\n\n"
        "covidlearning code INPUT --text-column COL --model DIR/model --out DIR2\n\n"
        "covidlearning code sample RUN_DIR --input INPUT --text-column COL --out SHEET_DIR\n\n"
        "covidlearning code agree SHEET --machine RUN_DIR --out DIR\n\n"
        "`code INPUT ...` is short for `code run INPUT ...` (see `covidlearning code run --help`)."
    ),
)


def _check_table(path: Path) -> None:
    from covidlearning.corpus.load import TABLE_FORMATS, check_input_path

    check_input_path(path, TABLE_FORMATS)


def _at_least(name: str, low: float, high: float | None = None):  # noqa: ANN202
    """A typer callback: a number out of range is one ``error:`` line, not a usage block."""

    def check(value: float | None) -> float | None:
        if value is not None and (value < low or (high is not None and value > high)):
            span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            raise InputError(f"--{name} must be {span} (got {value:g})", None)
        return value

    return check


@contextmanager
def _label_warnings_on_one_line() -> Iterator[None]:
    """Show the coder's warnings about human codes as one ``warning:`` line each, at once."""
    import warnings

    from covidlearning.coding.result import LabelWarning

    with warnings.catch_warnings():
        warnings.simplefilter("always", LabelWarning)
        shown = warnings.showwarning

        def show(message, category, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            if issubclass(category, LabelWarning):
                typer.echo(f"warning: {message}", err=True)
            else:
                shown(message, category, *args, **kwargs)

        warnings.showwarning = show
        yield


_FLAGS = {
    "threshold": "--threshold",
    "max_themes": "--max-themes",
    "seed": "--seed",
    "context": "--context",
    "finetune": "--finetune",
}


def _help(field: str, text: str = "") -> str:
    return field_help(CodeConfig, field, "code", text)


_THRESHOLD_HELP = (
    "Below this confidence (0-1) a text is 'unassigned'. Default: with --codebook, "
    "1.25/K for K themes (the first theme must be 25% more likely than an even share, "
    "e.g. 0.125 for 10 themes), so texts are rarely unassigned - raise it to leave "
    "unclear texts uncoded; with --train, 0 (every text gets a code); with --model, "
    "the saved run's."
)


@code_app.command("run")
def run_cmd(
    input: Annotated[
        Path, typer.Argument(help="Table of texts to code (CSV, XLSX, JSONL, Parquet).")
    ],
    text_column: Annotated[str, typer.Option(help="Column holding the text.")],
    out: Annotated[Path, typer.Option(help="Output folder (replaced atomically).")],
    id_column: Annotated[str | None, typer.Option(help="Column of unique ids.")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet of INPUT.")] = None,
    codebook: Annotated[
        Path | None, typer.Option(help="Codebook YAML: zero-shot, or few-shot with examples.")
    ] = None,
    train: Annotated[
        Path | None, typer.Option(help="Human-coded sample to learn from (trained mode).")
    ] = None,
    label_column: Annotated[
        str | None, typer.Option(help="Column of codes in --train (and --gold by default).")
    ] = None,
    label_sep: Annotated[
        str | None, typer.Option(help="Separator between several codes in one cell, e.g. ';'.")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            help="Code with the coder saved by an earlier --train run (its model/ or run "
            "folder), without retraining."
        ),
    ] = None,
    train_text_column: Annotated[
        str | None, typer.Option(help="Text column of --train (default: --text-column).")
    ] = None,
    gold: Annotated[
        Path | None, typer.Option(help="Human codes for some texts, joined on the id column.")
    ] = None,
    gold_column: Annotated[
        str | None,
        typer.Option(
            help="Column of human codes, in --gold or else in INPUT: writes agreement "
            "(config: code.gold_column)."
        ),
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="YAML config (the same file as `covidlearning report --config`): its code "
            "section sets the codebook and every option below; a flag given overrides its "
            "field.",
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(callback=_at_least("threshold", 0, 1), help=_THRESHOLD_HELP),
    ] = None,
    max_themes: Annotated[
        int | None,
        typer.Option(
            callback=_at_least("max-themes", 1), help=_help("max_themes"), show_default=False
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help=_help("seed"), show_default=False)] = None,
    context: Annotated[
        str | None,
        typer.Option(
            help=_help(
                "context",
                "Zero/few-shot: 'auto' codes each answer of a table on its own (a survey "
                "export's row order says nothing of its themes) and uses the order of a "
                "document's units as context; 'on' uses a table's row order too, as far "
                "as neighbouring rows share themes (fitted from the data); 'off' never.",
            ),
            show_default=False,
        ),
    ] = None,
    finetune: Annotated[
        bool | None,
        typer.Option(
            "--finetune/--no-finetune",
            help=_help(
                "finetune",
                "Fine-tune the embedding model first. 'auto': with --train, on the coded "
                "texts when there are at least 200 (a few minutes); few-shot stays untuned. "
                "--finetune also tunes few-shot coding on the codebook's examples and "
                "definitions (SetFit). The tuned state is saved in OUT/model (safetensors).",
            ),
            show_default=False,
        ),
    ] = None,
    missing_values: MissingValuesOption = None,
    question_column: QuestionColumnOption = None,
    redact: RedactOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Code INPUT against a codebook, a human-coded sample (--train) or a saved coder."""
    engine = engine_settings(config_file, scheduler)
    _check_table(input)
    flags = {
        "threshold": threshold, "max_themes": max_themes, "seed": seed, "context": context,
        "finetune": finetune,
    }  # fmt: skip
    config = stage_settings(config_file, "code", flags, _FLAGS, "covidlearning code")
    answers = answer_settings(config_file, missing_values, question_column)
    if codebook is None and train is None and model is None:
        codebook = config.codebook  # the config's framework, unless another source is given
    if train is not None and _is_coding_sheet(train):  # a checked `code sample` sheet
        label_column = label_column or "human_themes"
        train_text_column = train_text_column or "text"
        label_sep = label_sep or ";"
    _check_sources(codebook, train, model, finetune, label_column)
    book = _checked_codebook(codebook, train, config)
    gold_column = gold_column or config.gold_column
    gcol = _checked_gold(train, gold, gold_column, label_column, book, model)
    from covidlearning._io import check_output_dir, claim_output

    check_output_dir(out, [input, codebook, train, gold, model])

    claim_output(out)  # one run writes it at once
    config = config.model_copy(update={"codebook": codebook})

    import time

    t0 = time.perf_counter()
    train_text = train_text_column or text_column
    train_id = _checked_train_columns(train, label_column, train_text, id_column)
    frame, gold_values = _load_input(input, text_column, id_column, sheet, gold, gcol, answers)
    privacy = redaction_settings(config_file, redact)
    from covidlearning.privacy.redact import Redactor, redact_input

    redactor = Redactor(privacy)
    if privacy.enabled:  # before any modelling: no identifier can reach a coder or an output
        frame = redact_input(frame, redactor)
    if engine.scheduler is not None:  # embed on the cluster; coding finds the vectors cached
        from covidlearning.engine.cluster import connect
        from covidlearning.engine.runs import warm_cache

        with connect(engine) as client:
            texts = frame.loc[frame["status"].astype(str) == "ok", "text"].astype(str)
            warm_cache(client, texts.tolist(), config, engine.partition_rows)
    result, book = _code(frame, config, book, model, train, train_text, train_id, label_column,
                         label_sep, gold_values, redactor if privacy.enabled else None)  # fmt: skip
    if gold_values is not None and "training" in result.manifest:
        _attach_training_agreement(result, gold_values, book, label_sep, len(frame))
    _attach_read_as(result, frame)
    inputs = _input_hashes(result, input, model, codebook, train, gold)
    columns = {"text": text_column, "id": id_column, "label": label_column, "gold": gcol}
    columns["question"] = answers[1]
    result.manifest["redaction"] = {
        "enabled": privacy.enabled,
        "replaced": dict(sorted(Counter(r.kind for r in redactor.log).items())),
    }
    _write_run(result, out, book, inputs, columns, t0, privacy, redactor.originals())


def _attach_read_as(result: CodingResult, frame: pd.DataFrame) -> None:
    """With a question column: the phrase each short answer was coded as (``read_as``)."""
    if "original_text" not in frame.columns:
        return
    own = frame["text"].astype(str) == frame["original_text"].astype(str)
    read = dict(zip(frame["id"].astype(str), frame["text"].where(~own, ""), strict=True))
    a = result.assignments
    a["read_as"] = a["id"].astype(str).map(read).fillna("")


def _check_sources(
    codebook: Path | None,
    train: Path | None,
    model: Path | None,
    finetune: bool | None,
    label_column: str | None,
) -> None:
    """Check that exactly one thing to code against is given, with the options it needs."""
    if model is not None and (codebook is not None or train is not None):
        raise InputError(
            "--model codes with a saved coder, so --codebook and --train don't apply",
            "Pass either --model, or --codebook/--train",
        )
    if model is not None and finetune is not None:
        raise InputError(
            "--finetune/--no-finetune don't apply to --model: the saved coder keeps the "
            "encoder it was trained with",
            "Drop the option, or retrain with --train",
        )
    if model is not None:  # fail fast, before the table is read
        from covidlearning.coding.trained import coder_folder

        coder_folder(model)
    elif codebook is None and train is None:
        raise InputError(
            "nothing to code against", "Pass --codebook FILE, --train CODED or --model DIR"
        )
    if train is not None and not label_column:
        raise InputError("--train needs --label-column", "Name the column of human codes")


def _checked_codebook(
    codebook: Path | None, train: Path | None, config: CodeConfig
) -> Codebook | None:
    """Load the codebook (if any); alone, it must be comparable and have examples to tune on."""
    from covidlearning.coding.codebook import load_codebook

    book = load_codebook(codebook) if codebook is not None else None
    if book is not None and train is None:
        book.check_can_compare(f"codebook {codebook.name}")
        if config.finetune is True and not book.has_examples:
            raise InputError(
                f"--finetune needs examples to tune on, and codebook {codebook.name} has none",
                "Add example quotes to the codebook's themes, or code with --train",
            )
    return book


def _checked_gold(
    train: Path | None,
    gold: Path | None,
    gold_column: str | None,
    label_column: str | None,
    book: Codebook | None,
    model: Path | None,
) -> str | None:
    """Check the --train and --gold tables; return the column of human codes (if any)."""
    if train is not None:
        _check_table(train)
    if gold is not None:
        _check_table(gold)
    gcol = gold_column or (label_column if gold is not None else None)
    if gold is not None and not gcol:
        raise InputError("--gold needs --gold-column", "Name the column of human codes")
    if gcol and train is None and book is None and model is None:
        raise InputError("--gold-column needs --codebook", "Pass the codebook the codes use")
    return gcol


def _checked_train_columns(
    train: Path | None, label_column: str | None, train_text: str, id_column: str | None
) -> str | None:
    """Check the coded sample's columns before anything is computed; return its id column."""
    if train is None:
        return None
    from covidlearning.corpus.load import read_table_head

    header = list(read_table_head(train).columns)
    for col, flag in ((label_column, "--label-column"), (train_text, "--train-text-column")):
        if col not in header:
            raise InputError(
                f"column '{col}' not found in {train.name}{did_you_mean(col, header)}; "
                f"columns found: {quoted(header)}",
                f"Pass {flag} with one of them",
            )
    return id_column if id_column in header else ("id" if "id" in header else None)


def _load_input(
    input: Path,  # noqa: A002
    text_column: str,
    id_column: str | None,
    sheet: str | None,
    gold: Path | None,
    gcol: str | None,
    answers: tuple[list[str], str | None] = ([], None),
) -> tuple[pd.DataFrame, list[Any] | None]:
    """Load the table to code and the human codes aligned with its rows (None without).

    ``answers`` is ``(input.missing_values, input.question_column)``
    (:func:`covidlearning.cli._settings.answer_settings`).
    """
    from covidlearning.corpus.load import load_table

    listed, question = answers
    frame = load_table(
        input, text_column, id_column, sheet, missing_values=listed, question_column=question
    )
    gold_values = None
    if gcol:
        gold_values = _gold_values(frame, gold, gcol, id_column, input)
    return frame, gold_values


def _code(
    frame: pd.DataFrame,
    config: CodeConfig,
    book: Codebook | None,
    model: Path | None,
    train: Path | None,
    train_text: str,
    train_id: str | None,
    label_column: str | None,
    label_sep: str | None,
    gold_values: list[Any] | None,
    redactor: Any = None,
) -> tuple[CodingResult, Codebook | None]:
    """Code ``frame`` in the mode asked for: trained (--train), saved coder or codebook.

    With a ``redactor``, the human-coded sample of ``--train`` is redacted before the
    coder learns from it (its saved vocabulary then holds no identifier). Returns the
    result and the codebook it used (with a checked sheet's texts among its examples,
    when they joined them).
    """
    if train is not None:
        from covidlearning.coding.trained import TUNE_MIN_TEXTS, train_and_code
        from covidlearning.corpus.load import load_table

        train_frame = load_table(train, train_text, train_id, None)
        if redactor is not None:
            from covidlearning.privacy.redact import redact_input

            train_frame = redact_input(train_frame, redactor)
        coded = train_frame[label_column].astype("string").fillna("").str.strip().ne("")
        if book is not None and _is_coding_sheet(train) and int(coded.sum()) < TUNE_MIN_TEXTS:
            return _code_with_checked(frame, book, train_frame[coded], label_column,
                                      label_sep, config, gold_values)  # fmt: skip
        with _label_warnings_on_one_line():
            exclude = None if redactor is None else redactor.originals()
            result = train_and_code(
                train_frame, label_column, frame, label_sep, config, book, exclude
            )
            return result, book
    if model is not None:
        from covidlearning.coding.trained import code_with_model

        return code_with_model(frame, model, config), book
    from covidlearning.coding.fewshot import code_texts

    return code_texts(frame, book, config, gold=gold_values, gold_sep=label_sep or ";"), book


def _is_coding_sheet(path: Path) -> bool:
    """Whether a table is a coding sheet `code sample` wrote (item, id, text, human_themes)."""
    from covidlearning.corpus.load import TABLE_FORMATS, read_table_head

    if path.suffix.lower() not in TABLE_FORMATS or not path.is_file():
        return False
    try:
        header = set(read_table_head(path).columns)
    except InputError:
        return False
    return {"item", "id", "text", "human_themes"} <= header


def _code_with_checked(
    frame: pd.DataFrame,
    book: Codebook,
    checked: pd.DataFrame,
    label_column: str,
    label_sep: str | None,
    config: CodeConfig,
    gold_values: list[Any] | None,
) -> tuple[CodingResult, Codebook]:
    """Few-shot coding with a few checked texts added to the codebook's examples.

    Fewer checked texts than a trained coder needs: they join the examples the model is
    tuned on, so each round of checking improves the coder.
    """
    from covidlearning.coding.fewshot import code_texts, with_checked_examples

    book, n = with_checked_examples(book, checked["text"].astype(str).tolist(),
                                    checked[label_column].tolist(), label_sep)  # fmt: skip
    result = code_texts(frame, book, config, gold=gold_values, gold_sep=label_sep or ";")
    result.manifest["checked_examples"] = {
        "n": n,
        "rule": "fewer checked texts than trained coding needs: added to the codebook's "
        "examples (few-shot)",
    }
    return result, book


def _attach_training_agreement(
    result: CodingResult,
    gold_values: list[Any],
    book: Codebook | None,
    label_sep: str | None,
    n_texts: int,
) -> None:
    """Attach agreement with the human codes to a trained run, noting codes it never saw."""
    from covidlearning.coding.codebook import Codebook
    from covidlearning.coding.result import _attach_agreement, _resolve_gold

    labels = result.manifest["training"]["labels"]
    cb = book or Codebook.from_labels(labels)
    gold_lists = _resolve_gold(gold_values, cb, label_sep or ";", n_texts, book is None)
    _attach_agreement(result, gold_lists, labels)
    unseen = sorted({c for codes in gold_lists for c in codes} - set(labels))
    if result.agreement is not None and unseen:
        result.agreement["codes_not_in_training"] = unseen


def _input_hashes(
    result: CodingResult,
    input: Path,  # noqa: A002
    model: Path | None,
    codebook: Path | None,
    train: Path | None,
    gold: Path | None,
) -> dict[str, dict[str, str]]:
    """Path and sha256 of every input, for the manifest (a saved coder: its weights)."""
    from covidlearning._io import sha256_file

    inputs = {"input": {"path": str(input), "sha256": sha256_file(input)}}
    if model is not None:
        from covidlearning.coding.trained import CODER_WEIGHTS, coder_folder

        weights = coder_folder(model) / CODER_WEIGHTS
        inputs["model"] = {"path": str(model), "sha256": sha256_file(weights)}
        if result.manifest.get("encoder_sha256"):  # checked against the file on loading
            inputs["model"]["encoder_sha256"] = result.manifest["encoder_sha256"]
    for name, path in (("codebook", codebook), ("train", train), ("gold", gold)):
        if path is not None:
            inputs[name] = {"path": str(path), "sha256": sha256_file(path)}
    return inputs


def _write_run(
    result: CodingResult,
    out: Path,
    book: Codebook | None,
    inputs: dict[str, dict[str, str]],
    columns: dict[str, str | None],
    t0: float,
    privacy: Any = None,
    known: list[str] | None = None,
) -> None:
    """Complete the manifest, save the run (and its codebook) to ``out``, print a summary.

    With ``privacy`` (the redaction settings) the final guard checks every file first.
    """
    import time

    result.manifest["inputs"] = inputs
    result.manifest["columns"] = columns
    result.manifest.setdefault("timings_s", {})["wall"] = round(time.perf_counter() - t0, 2)
    if privacy is None:
        result.save(out)
    else:
        from covidlearning.privacy.redact import guarded_dir

        with guarded_dir(out, privacy, known=known or ()) as tmp:
            result.save(tmp)
    if book is not None:
        from covidlearning._io import write_text

        write_text(out / "codebook.yaml", book.to_yaml())
    _summary(result, out)


def _gold_values(frame, gold: Path | None, column: str, id_column: str | None, input: Path):  # noqa: ANN001, ANN202
    """Human codes aligned with ``frame`` rows (empty where a text has none)."""
    from covidlearning.corpus.load import read_table_raw

    if gold is None:
        if column not in frame:
            cols = [c for c in frame.columns if c not in ("id", "text", "status", "duplicate")]
            raise InputError(
                f"gold column '{column}' not found in {input.name}{did_you_mean(column, cols)}; "
                f"columns found: {quoted(cols)}",
                "Pass --gold-column with one of them, or --gold FILE",
            )
        return frame[column].tolist()
    table = read_table_raw(gold)
    key = id_column or "id"
    for col in (key, column):
        if col not in table:
            raise InputError(
                f"column '{col}' not found in {gold.name}{did_you_mean(col, table.columns)}; "
                f"columns found: {quoted(table.columns)}",
                "The gold file needs the id column and the code column",
            )
    codes = dict(zip(table[key].astype(str).str.strip(), table[column], strict=True))
    if not set(codes) & set(frame["id"]):
        raise InputError(
            f"no id of {gold.name} matches an id of {input.name}",
            "Use the same --id-column values in both files",
        )
    return [codes.get(i, "") for i in frame["id"]]


def _summary(result, out: Path) -> None:  # noqa: ANN001
    a = result.assignments
    ok = a[a["status"] == "ok"]
    un = int((ok["themes"] == "unassigned").sum())
    typer.echo(
        f"coded {len(ok)} of {len(a)} texts ({result.manifest['mode']}); "
        f"{un} unassigned below confidence {result.threshold:.3g}; wrote {out}/assignments.csv"
    )
    ctx = result.manifest.get("context") or {}
    if ctx.get("used"):
        moved = int(ctx.get("moved", 0))
        typer.echo(
            f"row order used as context: neighbouring texts share themes (stickiness "
            f"{ctx['stickiness']:.2f}); it changed the first theme of {moved} "
            f"text{'s' if moved != 1 else ''} (--context off codes each text on its own)"
        )
    tuning = (result.manifest.get("method") or {}).get("tuning")
    if tuning:
        typer.echo(
            f"few-shot: the sentence model was tuned on {tuning['texts']} examples and "
            f"definitions of {tuning['codes']} codes ({tuning['pairs']} pairs, "
            f"{tuning['seconds']:.0f} s; SetFit)"
        )
    if result.agreement:
        typer.echo(f"agreement with human codes: {_agreement_line(result.agreement)}")


def _agreement_line(g: dict[str, Any]) -> str:
    """The field's agreement figures on one line, each with its bootstrap 95% interval."""

    def fmt(key: str) -> str:
        value, ci = g.get(key), g.get(f"{key}_ci95") or []
        if value is None:
            return "n/a"
        return f"{value:.3f}" + (f" ({ci[0]:.3f}-{ci[1]:.3f})" if len(ci) == 2 else "")

    kappa = f", Cohen's kappa {fmt('cohen_kappa')}" if g.get("single_label", True) else ""
    weighted = ", weighted as drawn" if g.get("weighted") else ""
    return (
        f"{g['n']} texts{weighted}: accuracy {g['accuracy']:.3f}; F1 micro {fmt('micro_f1')}, "
        f"macro {fmt('macro_f1')}, sample-averaged {fmt('samples_f1')}{kappa} "
        "(95% bootstrap intervals)"
    )


# --------------------------------------------------------------------------- audit loop
@code_app.command("sample")
def sample_cmd(
    run_dir: Annotated[Path, typer.Argument(help="Folder of a `code` run (assignments.csv).")],
    input: Annotated[Path, typer.Option(help="The table that run coded.")],
    text_column: Annotated[str, typer.Option(help="Column holding the text.")],
    out: Annotated[Path, typer.Option(help="Folder for the coding sheet and its key.")],
    id_column: Annotated[
        str | None, typer.Option(help="Column of unique ids [default: the run's].")
    ] = None,
    per_theme: Annotated[
        int, typer.Option(callback=_at_least("per-theme", 1), help="Texts drawn per machine theme.")
    ] = 10,
    seed: Annotated[int, typer.Option(help="Random seed for the draw.")] = 42,
    uncertain: Annotated[
        int | None,
        typer.Option(
            callback=_at_least("uncertain", 1),
            help="Draw this many texts instead: those whose codes are least certain, plus "
            "a random share of the rest (--random-share), weighted as drawn so the "
            "agreement estimate stays unbiased.",
            show_default=False,
        ),
    ] = None,
    random_share: Annotated[
        float,
        typer.Option(
            callback=_at_least("random-share", 0, 1),
            help="With --uncertain: share of the sheet drawn at random from the other texts.",
        ),
    ] = 0.3,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact/--no-redact",
            help="Redact identifiers (names, contact details, NHS and reference numbers...) "
            "from the sheet's texts; --no-redact for data that is already safe.",
        ),
    ] = True,
) -> None:
    """Export a blind coding sheet (CSV and XLSX) from a coding run.

    Texts are drawn per machine theme (and from 'unassigned'), or with --uncertain the
    least certain ones plus a random share, shuffled, and shown without the machine's
    codes; the key (with each text's design weight) stays in OUT/sample_key.csv. Fill
    the 'human_themes' column, then run `covidlearning code agree`, and feed the sheet
    back with `covidlearning code run ... --codebook FILE --train SHEET`.
    """
    from covidlearning._io import check_output_dir, claim_output
    from covidlearning.coding.agreement import code_run_assignments

    run_dir = code_run_assignments(run_dir).parent
    _check_table(input)
    check_output_dir(out, [run_dir, input])
    claim_output(out)  # one run writes it at once
    from covidlearning.coding.agreement import export_sheet

    redactor = None
    if redact:
        from covidlearning.privacy.redact import Redactor

        redactor = Redactor(redaction_settings(None, True))
    paths = export_sheet(run_dir, input, text_column, id_column, out, per_theme, seed,
                         uncertain, random_share, redactor)  # fmt: skip
    said = "" if paths["redacted"] is None else f" ({paths['redacted']} redacted)"
    typer.echo(f"wrote {len(paths['n'])} texts to code{said}: {paths['csv']} and {paths['xlsx']}")


@code_app.command("agree")
def agree_cmd(
    sheet: Annotated[Path, typer.Argument(help="Filled coding sheet (CSV or XLSX).")],
    machine: Annotated[
        Path, typer.Option(help="Folder of the `code` run (or its assignments.csv).")
    ],
    out: Annotated[Path, typer.Option(help="Folder for agreement.json and figures.")],
    column: Annotated[str, typer.Option(help="Column of human codes in SHEET.")] = "human_themes",
    id_column: Annotated[
        str, typer.Option(help="Column of SHEET holding the ids the run used.")
    ] = "id",
    sep: Annotated[str, typer.Option(help="Separator between several codes.")] = ";",
) -> None:
    """Compare a filled coding sheet with the machine's codes, theme by theme.

    SHEET is the one `covidlearning code sample` wrote, or your own table with an id
    column (--id-column) and a column of theme ids or names (--column).
    """
    from covidlearning._io import check_output_dir, claim_output
    from covidlearning.coding.agreement import code_run_assignments

    machine = code_run_assignments(machine)
    _check_table(sheet)
    check_output_dir(out, [sheet, machine])
    claim_output(out)  # one run writes it at once
    from covidlearning.coding.agreement import import_sheet

    res = import_sheet(sheet, machine, out, column, sep, id_column)
    g = res["agreement"]
    typer.echo(f"{_agreement_line(g)}; wrote {out}/agreement.json and per_theme.csv")
    for t in g["per_theme"]:
        ci = t.get("f1_ci95") or [float("nan")] * 2
        typer.echo(
            f"  {t['theme']}: precision {t['precision']:.2f}, recall {t['recall']:.2f}, "
            f"F1 {t['f1']:.2f} ({ci[0]:.2f}-{ci[1]:.2f}), support {t['support']}"
        )
    review = g["needs_review"]
    typer.echo(
        "themes that need a clearer definition: " + (", ".join(review) if review else "none")
    )


def register(app: typer.Typer) -> None:
    """Add the ``code`` group to the root app."""
    app.add_typer(code_app, name="code")
