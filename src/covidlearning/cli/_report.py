"""``covidlearning report --config FILE``: run the notebooks and publish reports/NAME/."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import click
import typer


def report(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Run config YAML, e.g. configs/seed-corpus.yaml.")
    ],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="NAME=VALUE: set a notebook parameter declared in a notebook's parameters "
            "cell (strings stay strings: 007 stays '007'). Repeatable.",
        ),
    ] = None,
    reports_dir: Annotated[
        Path | None,
        typer.Option("--reports-dir", help="Parent folder of reports (default: the config's)."),
    ] = None,
    work_dir: Annotated[
        Path | None,
        typer.Option(
            "--work-dir", help="Unpublished intermediate files (default data/interim/NAME)."
        ),
    ] = None,
    kernel: Annotated[
        str | None,
        typer.Option("--kernel", help="Jupyter kernel (default: covidlearning, else python3)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> int:
    """Run the notebooks for CONFIG and write reports/NAME/ (report.html, tables, figures).

    Executes notebooks/01-corpus, 02-discover, 03-code and 04-report with papermill.

    A failing cell exits with code 1, naming the notebook and the cell.

    The partly executed notebook is kept in reports/.failed/NAME/; the last report stays.

    Ctrl-C or SIGTERM stops the notebook's kernel with the run: nothing is published
    and the exit code is 130 (Ctrl-C) or 143 (SIGTERM). A second run into the same
    report folder while one is going is refused.
    """
    from covidlearning.reporting.artifacts import REPORT_HTML
    from covidlearning.reporting.run import ReportFailed, RunStopped, parse_overrides, run_report

    overrides = parse_overrides(param or [])
    try:  # run_report checks the config and inputs first (one line, before anything heavy)
        out = run_report(
            config,
            overrides=overrides,
            reports_dir=reports_dir,
            work_dir=work_dir,
            kernel=kernel,
            progress=not quiet,
        )
    except ReportFailed as exc:
        click.echo(f"error: {exc}", err=True)
        raise typer.Exit(ReportFailed.exit_code) from None
    except (RunStopped, KeyboardInterrupt, SystemExit) as exc:
        if isinstance(exc, RunStopped):
            what, code = exc.signal_name, exc.exit_code
        elif isinstance(exc, KeyboardInterrupt):
            what, code = "Ctrl-C", 130
        else:
            code = exc.code if isinstance(exc.code, int) else 143
            what = "SIGTERM" if code == 143 else f"exit {code}"
        click.echo(
            f"report stopped ({what}): the notebook kernel was shut down and nothing was "
            "published (the last report, if any, is unchanged)",
            err=True,
        )
        raise typer.Exit(code) from None
    except Exception as exc:
        from covidlearning.privacy.redact import IdentifierLeak

        if isinstance(exc, IdentifierLeak):
            click.echo(f"error: report not published: {exc}", err=True)
            raise typer.Exit(1) from None
        raise
    click.echo(str(out / REPORT_HTML))
    return 0


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.command("report")(report)
