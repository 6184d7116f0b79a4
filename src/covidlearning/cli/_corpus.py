"""``covidlearning corpus build|verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

corpus_app = typer.Typer(
    help="Build and check the document corpus (load, clean, segment).", no_args_is_help=True
)

_RAW = Path("data/raw")
_OUT = Path("data/processed")


@corpus_app.command("build")
def build(
    raw: Annotated[
        Path, typer.Option(help="Folder of raw documents and tables, or one file (never modified).")
    ] = _RAW,
    out: Annotated[
        Path, typer.Option(help="Output folder for segments and the removal log.")
    ] = _OUT,
    sentences: Annotated[bool, typer.Option(help="Also split paragraphs into sentences.")] = False,
    min_unit_chars: Annotated[
        int, typer.Option(min=1, help="Shorter paragraphs/quotes get status 'too short'.")
    ] = 20,
    text_column: Annotated[
        str | None,
        typer.Option(help="Free-text column of table files (default: auto-detect)."),
    ] = None,
    reader_comments: Annotated[
        bool,
        typer.Option(help="Keep reader comments under blog posts as units (default: logged)."),
    ] = False,
) -> None:
    """Load, clean and segment every document in RAW into OUT/segments.{parquet,csv}.

    Also writes OUT/removals.csv (every span removed as furniture, with the reason),
    OUT/documents.csv and OUT/corpus_summary.json. OUT is replaced only when the
    whole build succeeds.
    """
    from covidlearning._io import check_output_dir
    from covidlearning.config import CorpusConfig
    from covidlearning.corpus.build import build_corpus

    check_output_dir(out, [raw])
    config = CorpusConfig(
        raw_dir=raw,
        processed_dir=out,
        sentences=sentences,
        min_unit_chars=min_unit_chars,
        text_column=text_column,
        reader_comments=reader_comments,
    )
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
