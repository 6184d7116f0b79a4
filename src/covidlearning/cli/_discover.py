"""``covidlearning discover`` and ``covidlearning assign``.

Input is validated (``load_table``) before BERTopic or sentence-transformers are
imported, so bad input answers in about a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

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
from covidlearning.config import DiscoverConfig
from covidlearning.errors import InputError


def _topics(value: str) -> str | int:
    if value.strip().lower() == "auto":
        return "auto"
    try:
        n = int(value)
    except ValueError:
        raise InputError(f"--topics must be 'auto' or a number, not {value!r}", None) from None
    if n < 2:
        raise InputError(f"--topics must be at least 2 (got {n})", "Use 'auto' or a number >= 2")
    return n


_FLAGS = {
    "seed": "--seed",
    "topics": "--topics",
    "outliers": "--outliers",
    "context": "--context",
    "refine": "--refine",
    "n_quotes": "--quotes",
    "stability_runs": "--stability-runs",
}


def _help(field: str, text: str = "") -> str:
    return field_help(DiscoverConfig, field, "discover", text)


def _many_needs_cluster(input: Path, engine: Any) -> None:  # noqa: A002
    """A folder or glob of tables is read in partitions, which needs ``--scheduler``."""
    from covidlearning.engine.partitions import is_many

    if engine.scheduler is None and is_many(input):
        raise InputError(
            f"{input} is a folder or glob of tables; they are read in partitions on a cluster",
            "Add --scheduler local (or the address of a running Dask scheduler)",
        )


def discover_cmd(
    input: Annotated[Path, typer.Argument(help="Table of texts: CSV, XLSX, JSONL or Parquet.")],  # noqa: A002
    text_column: Annotated[str, typer.Option(help="Column holding the free text.")],
    out: Annotated[Path, typer.Option(help="Output folder (replaced atomically on success).")],
    id_column: Annotated[
        str | None, typer.Option(help="Column of unique ids (default: 0-based row number).")
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="YAML config (the same file as `covidlearning report --config`): its "
            "discover section sets every option below; a flag given overrides its field.",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help=_help("seed"), show_default=False)] = None,
    topics: Annotated[str | None, typer.Option(help=_help("topics"), show_default=False)] = None,
    outliers: Annotated[
        str | None, typer.Option(help=_help("outliers"), show_default=False)
    ] = None,
    context: Annotated[
        str | None,
        typer.Option(
            help=_help(
                "context",
                "'on' uses the row order as context where neighbouring texts share themes "
                "(fitted from the data, a shuffled table is left alone); 'off' ignores the "
                "order; 'auto': on for a corpus's document units (doc_id), off for a table "
                "of answers.",
            ),
            show_default=False,
        ),
    ] = None,
    refine: Annotated[
        bool | None,
        typer.Option(
            "--refine/--no-refine",
            help=_help(
                "refine",
                "Fine-tune the embedding model on the first clustering's themes and "
                "cluster again ('auto': on for 1,000-20,000 texts).",
            ),
            show_default=False,
        ),
    ] = None,
    quotes: Annotated[int | None, typer.Option(help=_help("n_quotes"), show_default=False)] = None,
    stability_runs: Annotated[
        int | None, typer.Option(help=_help("stability_runs"), show_default=False)
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet (default: the first).")] = None,
    missing_values: MissingValuesOption = None,
    question_column: QuestionColumnOption = None,
    redact: RedactOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Find themes in INPUT and write assignments, topics, metrics, manifest and model to OUT."""
    from covidlearning._io import check_output_dir, claim_output

    engine = engine_settings(config_file, scheduler)
    _many_needs_cluster(input, engine)
    check_output_dir(out, [input])

    claim_output(out)  # one run writes it at once
    flags = {
        "seed": seed,
        "topics": None if topics is None else _topics(topics),
        "outliers": outliers,
        "context": context,
        "refine": refine,
        "n_quotes": quotes,
        "stability_runs": stability_runs,
    }
    config = stage_settings(config_file, "discover", flags, _FLAGS, "covidlearning discover")
    listed, question = answer_settings(config_file, missing_values, question_column)
    privacy = redaction_settings(config_file, redact)
    if engine.scheduler is not None:
        from covidlearning.config import load_config
        from covidlearning.engine.runs import discover_on_cluster
        from covidlearning.privacy.redact import Redactor, guarded_dir, redact_input

        redactor = Redactor(privacy)
        whole = load_config(config_file) if config_file is not None else None
        metrics = discover_on_cluster(
            input, text_column, id_column, out, config, engine, sheet=sheet,
            missing_values=listed, question_column=question,
            inputs=whole.input if whole is not None else None,
            disclosure=whole.disclosure if whole is not None else None,
            prepare=(lambda f: redact_input(f, redactor)) if privacy.enabled else None,
            open_dir=lambda o: guarded_dir(o, privacy, known=redactor.originals()),
            redaction=lambda: _redaction_record(privacy, redactor),
        )  # fmt: skip
        _print_summary(metrics, out)
        return
    # discover_file loads and checks the table before BERTopic or the embedding model load
    from covidlearning.privacy.redact import Redactor, guarded_dir, redact_input
    from covidlearning.themes.discover import discover_file

    redactor = Redactor(privacy)
    result = discover_file(
        input, text_column, id_column, None, config, sheet=sheet, missing_values=listed,
        question_column=question,
        prepare=(lambda f: redact_input(f, redactor)) if privacy.enabled else None,
    )  # fmt: skip
    result.manifest["redaction"] = _redaction_record(privacy, redactor)
    with guarded_dir(out, privacy, known=redactor.originals()) as tmp:
        result.save(tmp)
    _print_summary(result.metrics, out)


def _redaction_record(privacy: Any, redactor: Any) -> dict[str, Any]:
    """What the manifest says about redaction: on or off, and how much it replaced."""
    kinds: dict[str, int] = {}
    for r in redactor.log:
        kinds[r.kind] = kinds.get(r.kind, 0) + 1
    return {"enabled": privacy.enabled, "replaced": dict(sorted(kinds.items()))}


def _print_summary(m: dict[str, Any], out: Path) -> None:
    """Print what the metrics ``m`` say: themes, quality, what refinement and context changed."""
    if m.get("no_themes_found"):
        typer.echo(f"no themes found: {m['no_themes_found']}; wrote {out}")
        return
    npmi = m["coherence_npmi"]["mean"]
    ari = m["stability"]["mean_ari"]
    typer.echo(
        f"{m['n_topics']} topics from {m['n_modelled']} texts "
        f"({m['outliers']['count']} outliers, {m.get('reassigned_outliers', 0)} reassigned); "
        f"NPMI {'n/a' if npmi is None else f'{npmi:.3f}'}, "
        f"stability ARI {'n/a' if ari is None else f'{ari:.3f}'}; wrote {out}"
    )
    levels = m.get("hierarchy") or {}
    if levels.get("levels") == 2:
        typer.echo(
            f"{levels['n_themes']} themes over the {m['n_topics']} topics (subthemes): "
            "themes.csv; each topic's theme in topics.csv and assignments.csv"
        )
    ref = m.get("refine") or {}
    if ref.get("skipped"):
        typer.echo(f"not refined: {ref['skipped']}")
    elif ref:
        typer.echo(
            f"refined: embedding model tuned to the first {ref['k']} themes "
            f"({ref['texts_tuned_on']} texts), then clustered again; "
            f"{ref['changed_share']:.0%} of texts changed theme (--no-refine skips this)"
        )
    ctx = m.get("context") or {}
    if ctx.get("used"):
        moved = int(ctx.get("moved", 0))
        typer.echo(
            f"row order used as context: neighbouring texts share themes (stickiness "
            f"{ctx['stickiness']:.2f}); "
            + (f"{moved} text{'s' if moved != 1 else ''} moved theme" if moved else "no text moved")
            + ("" if ctx.get("settled", True) else f" (still moving after {ctx['rounds']} rounds)")
            + (" before the refinement" if ctx.get("superseded_by_refinement") else "")
            + " (--context off ignores the order)"
        )


def assign_cmd(
    input: Annotated[Path, typer.Argument(help="Table of new texts.")],  # noqa: A002
    model: Annotated[Path, typer.Option(help="Output folder of an earlier `discover` run.")],
    text_column: Annotated[str, typer.Option(help="Column holding the free text.")],
    out: Annotated[Path, typer.Option(help="Output folder for assignments.csv.")],
    id_column: Annotated[str | None, typer.Option(help="Column of unique ids.")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet (default: the first).")] = None,
    scheduler: SchedulerOption = None,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="YAML config: its discover section's embedding settings (cache, backend), "
            "its engine section and its redaction section.",
        ),
    ] = None,
    redact: RedactOption = None,
) -> None:
    """Place new texts in INPUT into a saved model's themes, without refitting."""
    from covidlearning._io import check_output_dir, claim_output
    from covidlearning.corpus.load import load_table

    if not model.exists():
        raise InputError(
            f"model folder not found: {model}",
            "Pass --model the output folder of `covidlearning discover`",
        )
    engine = engine_settings(config_file, scheduler)
    _many_needs_cluster(input, engine)
    check_output_dir(out, [input, model])
    claim_output(out)  # one run writes it at once
    settings = stage_settings(config_file, "discover", {}, {}, "covidlearning assign")
    privacy = redaction_settings(config_file, redact)
    if engine.scheduler is not None:
        from covidlearning.engine.runs import assign_stream
        from covidlearning.privacy.redact import Redactor, guarded_dir

        # each partition is redacted on its worker; the workers' counts reach the
        # manifest and the strings they removed the guard, as in one process
        done = assign_stream(
            input, model, text_column, id_column, out, settings, engine,
            redactor=Redactor(privacy) if privacy.enabled else None,
            open_dir=lambda o, known: guarded_dir(o, privacy, known=known),
        )  # fmt: skip
        n_new = done["candidates"]
        new = "candidate for a new theme" if n_new == 1 else "candidates for a new theme"
        typer.echo(
            f"assigned {done['placed']} texts ({n_new} {new}) in {done['partitions']} "
            f"partitions; wrote {out}"
        )
        return
    frame = load_table(input, text_column, id_column, sheet)
    from covidlearning.privacy.redact import Redactor, guarded_dir, redact_input

    redactor = Redactor(privacy)
    if privacy.enabled:
        frame = redact_input(frame, redactor)
    if not (frame["status"] == "ok").any():
        raise InputError(f"{input.name} has no usable texts", "Check --text-column")
    from covidlearning.themes.store import read_model_meta

    _, meta = read_model_meta(model)
    import time

    from covidlearning._io import (
        machine_info,
        package_versions,
        sha256_file,
        write_csv,
        write_json,
    )
    from covidlearning.themes.store import assign

    t0 = time.perf_counter()
    table = assign(frame, model, settings)
    with guarded_dir(out, privacy, known=redactor.originals()) as tmp:
        write_csv(tmp / "assignments.csv", table, float_format="%.4f")
        write_json(
            tmp / "manifest.json",
            {
                "stage": "assign",
                "input": str(input),
                "input_sha256": sha256_file(input),
                "text_column": text_column,
                "id_column": id_column,
                "sheet": sheet,
                "model": str(model),
                "package_versions": package_versions(),
                "machine": machine_info(),
                "timings": {"assign": round(time.perf_counter() - t0, 3)},
                "redaction": _redaction_record(privacy, redactor),
            },
        )
    n_new = int((table["status"] == "candidate new theme").sum())
    n_done = int(table["topic"].notna().sum())
    new = "candidate for a new theme" if n_new == 1 else "candidates for a new theme"
    typer.echo(f"assigned {n_done} texts ({n_new} {new}); wrote {out}")
    if meta.get("refined"):
        typer.echo(
            "note: the model's themes came from a refined (fine-tuned) embedding space that "
            "is not saved; new texts were placed by the base embeddings"
        )


def register(app: typer.Typer) -> None:
    """Add the discover and assign commands to the root app."""
    app.command("discover")(discover_cmd)
    app.command("assign")(assign_cmd)
