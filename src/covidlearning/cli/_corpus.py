"""``covidlearning corpus build|verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from covidlearning.cli._settings import field_help, stage_settings
from covidlearning.config import CorpusConfig

corpus_app = typer.Typer(
    help="Build and check the document corpus (load, clean, segment).", no_args_is_help=True
)

_RAW = CorpusConfig.model_fields["raw_dir"].default
_FLAGS = {
    "raw_dir": "--raw",
    "processed_dir": "--out",
    "sentences": "--sentences",
    "min_unit_chars": "--min-unit-chars",
    "text_column": "--text-column",
    "reader_comments": "--reader-comments",
}


def _help(field: str, text: str = "") -> str:
    return field_help(CorpusConfig, field, "corpus", text)


@corpus_app.command("build")
def build(
    raw: Annotated[
        Path | None,
        typer.Option(
            help=_help(
                "raw_dir", "Folder of raw documents and tables, or one file (never modified)."
            ),
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help=_help("processed_dir", "Output folder for segments and the removal log."),
            show_default=False,
        ),
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="YAML config (the same file as `covidlearning report --config`): its corpus "
            "section sets every option here; a flag given overrides its field.",
        ),
    ] = None,
    sentences: Annotated[
        bool | None, typer.Option(help=_help("sentences"), show_default=False)
    ] = None,
    min_unit_chars: Annotated[
        int | None, typer.Option(help=_help("min_unit_chars"), show_default=False)
    ] = None,
    text_column: Annotated[
        str | None, typer.Option(help=_help("text_column"), show_default=False)
    ] = None,
    reader_comments: Annotated[
        bool | None, typer.Option(help=_help("reader_comments"), show_default=False)
    ] = None,
) -> None:
    """Load, clean and segment every document in RAW into OUT/segments.{parquet,csv}.

    Also writes OUT/removals.csv (every span removed as furniture, with the reason),
    OUT/documents.csv and OUT/corpus_summary.json. OUT is replaced only when the
    whole build succeeds.
    """
    from covidlearning._io import check_output_dir, claim_output
    from covidlearning.corpus.build import build_corpus

    flags = {
        "raw_dir": raw, "processed_dir": out, "sentences": sentences,
        "min_unit_chars": min_unit_chars, "text_column": text_column,
        "reader_comments": reader_comments,
    }  # fmt: skip
    config = stage_settings(config_file, "corpus", flags, _FLAGS, "covidlearning corpus build")
    check_output_dir(config.processed_dir, [config.raw_dir])
    claim_output(config.processed_dir)  # one run writes it at once
    result = build_corpus(config)
    typer.echo(result.summary())


@corpus_app.command("verify")
def verify(
    raw: Annotated[
        Path, typer.Option(help="Folder holding manifest.csv and the raw files.")
    ] = _RAW,
) -> None:
    """Check every raw file against the sha256 in RAW/manifest.csv (exit 1 on a mismatch)."""
    from covidlearning.corpus.build import verify_manifest

    problems = verify_manifest(raw)
    if problems:
        for p in problems:
            typer.echo(p, err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: every file in {raw}/manifest.csv matches its sha256")


def register(app: typer.Typer) -> None:
    """Add the corpus commands to the root app."""
    app.add_typer(corpus_app, name="corpus")
