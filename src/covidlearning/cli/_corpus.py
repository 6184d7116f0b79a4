"""``covidlearning corpus build|verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

corpus_app = typer.Typer(help="Build and check the document corpus (load, clean, segment).", no_args_is_help=True)


@corpus_app.command("build")
def build(
    raw: Annotated[Path, typer.Option(help="Folder of raw documents (never modified).")] = Path("data/raw"),
    out: Annotated[Path, typer.Option(help="Output folder for segments and the removal log.")] = Path("data/processed"),
    sentences: Annotated[bool, typer.Option(help="Also split paragraphs into sentences.")] = False,
) -> None:
    """Load, clean and segment every document in RAW into OUT/segments.{parquet,csv}."""
    from covidlearning.config import CorpusConfig
    from covidlearning.corpus import build_corpus

    result = build_corpus(CorpusConfig(raw_dir=raw, processed_dir=out, sentences=sentences))
    typer.echo(result.summary())


@corpus_app.command("verify")
def verify(
    raw: Annotated[Path, typer.Option(help="Folder holding manifest.csv and the raw files.")] = Path("data/raw"),
) -> None:
    """Check every raw file against the sha256 in RAW/manifest.csv."""
    from covidlearning.corpus import verify_manifest

    problems = verify_manifest(raw)
    if problems:
        for p in problems:
            typer.echo(p, err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: every file in {raw}/manifest.csv matches its sha256")


def register(app: typer.Typer) -> None:
    """Add the corpus commands to the root app."""
    app.add_typer(corpus_app, name="corpus")
