"""The ``covidlearning`` command line: one typer app, thin wrappers over the package API.

Each stage registers its commands from a small private module (``_corpus``,
``_discover``, ``_coding``, ``_report``). Those modules import only light code at
import time, so ``covidlearning --help`` and input errors answer in about a second;
BERTopic and sentence-transformers load inside the commands that need them.
"""

from __future__ import annotations

import logging
import os
import re
import sys

import click
import typer

from covidlearning.errors import ClusterFailure, IdentifierLeak, InputError

# typer >= 0.29 vendors its own click, whose exceptions are not click's: catch both.
_EXIT: tuple[type[BaseException], ...] = (click.exceptions.Exit, typer.Exit)
_ABORT: tuple[type[BaseException], ...] = (click.exceptions.Abort, typer.Abort)
_CLICK_ERRORS: tuple[type[BaseException], ...] = (click.ClickException,)
try:
    from typer._click import exceptions as _typer_click

    _CLICK_ERRORS += (_typer_click.ClickException,)
except ImportError:  # pragma: no cover - older typer uses click itself
    pass

#: The top-level description (``covidlearning --help``).
DESCRIPTION = (
    "Reproducible thematic analysis of free-text feedback from staff or patients (surveys, "
    "Friends and Family Test comments, reflections, published reports): themes found or "
    "coded against your framework, disclosure control and redaction, and a report."
)


def reflow(paragraphs: list[str]) -> str:
    r"""A docstring's paragraphs for the help screen, each one line that the terminal wraps.

    A paragraph that is a list (lines opening with ``-``, ``*`` or ``1.``) or opens with
    click's no-rewrap marker ``\b`` keeps its line breaks.

    Args:
        paragraphs: the paragraphs after the first, as the docstring holds them.

    Returns:
        The paragraphs joined by blank lines.
    """
    out = []
    for paragraph in paragraphs:
        lines = [line.strip() for line in paragraph.strip("\n").splitlines()]
        keep = paragraph.startswith("\b") or any(_LIST_ITEM.match(line) for line in lines)
        out.append(paragraph.removeprefix("\b").strip("\n") if keep else " ".join(lines))
    return "\n\n".join(out)


_LIST_ITEM = re.compile(r"(?:[-*•]|\d+[.)])\s")


def _plain_help() -> None:
    """Help without typer's type placeholders on flags and braces in the usage line.

    typer >= 0.29 shows ``<bool>`` beside on/off flags (which take no value) and writes
    a required argument as ``{input}`` in the usage line; here a flag shows no type and
    an argument reads ``INPUT``, as click has always written it. A command's later
    paragraphs are reflowed to the terminal (:func:`reflow`) instead of keeping the
    docstring's line breaks, which left ragged half-lines in an 80-column terminal.
    """
    from typer import core, rich_utils

    if hasattr(rich_utils, "_fix_linebreaks"):
        rich_utils._fix_linebreaks = lambda paragraphs, markup_mode: reflow(paragraphs)

    option, argument = getattr(core, "TyperOption", None), getattr(core, "TyperArgument", None)
    if option is not None and hasattr(option, "display_type_rich"):
        shown = option.display_type_rich

        def display_type_rich(self, ctx):  # noqa: ANN001, ANN202
            return None if getattr(self, "is_flag", False) else shown(self, ctx)

        option.display_type_rich = display_type_rich
    if argument is not None and hasattr(argument, "_usage_display_name"):

        def usage_name(self):  # noqa: ANN001, ANN202
            name = (self.metavar or self.name or "").upper()
            name = name if self.required else f"[{name}]"
            return name + ("..." if self.nargs != 1 else "")

        argument._usage_display_name = usage_name
        if hasattr(argument, "_rich_display_name"):
            argument._rich_display_name = lambda self: (self.metavar or self.name or "").upper()


_plain_help()

app = typer.Typer(
    name="covidlearning",
    help=DESCRIPTION,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"covidlearning {version('covidlearning')}")
        raise typer.Exit()


def configure_logging(verbose: bool = False, quiet: bool = False) -> None:
    """Send the package's log records to stderr: warnings by default.

    ``verbose`` adds what a run decides (chosen k, refinement run or skipped and why,
    rows excluded, hold-out size); ``quiet`` keeps errors only. Progress bars are not
    log records and show either way.
    """
    logger = logging.getLogger("covidlearning")
    logger.setLevel(logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes to whatever ``sys.stderr`` is when a record comes."""

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:  # StreamHandler.__init__ sets it
        pass


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help="Also log what the run decides: chosen number of themes, refinement, "
        "rows excluded, hold-out size.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Log errors only."),
) -> None:
    configure_logging(verbose, quiet)


from covidlearning.cli import _coding, _corpus, _discover, _report  # noqa: E402

for _module in (_corpus, _discover, _coding, _report):
    _module.register(app)


def _offline() -> None:
    """Make sure nothing tries to reach a model hub at run time."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


#: The top-level options a user may also write after the command (``report -v``).
_GLOBAL_FLAGS = frozenset({"-v", "--verbose", "-q", "--quiet"})


def global_flags_first(argv: list[str]) -> list[str]:
    """``covidlearning report --config F -v`` read as ``covidlearning -v report --config F``.

    ``-v/--verbose`` and ``-q/--quiet`` belong to the top-level command, so click rejects
    them after a command's name. They are moved before it, unless the command has an
    option of that name itself (``report -q``: no progress bars), one is the value of the
    option before it (``--text-column -v``) or follows ``--``.

    Args:
        argv: the arguments after the program's name.

    Returns:
        The same arguments, the top-level flags first.
    """
    if not _GLOBAL_FLAGS.intersection(argv):
        return argv
    command: object = typer.main.get_command(app)
    lead = 0  # flags already before the command
    while lead < len(argv) and argv[lead] in _GLOBAL_FLAGS:
        lead += 1
    depth = lead  # then the command path: words naming (sub)commands
    while depth < len(argv) and argv[depth] in getattr(command, "commands", {}):
        command = command.commands[argv[depth]]  # type: ignore[attr-defined]
        depth += 1
    options = [p for p in getattr(command, "params", []) if p.param_type_name == "option"]
    takes_value = {name for p in options if not p.is_flag for name in (*p.opts, *p.secondary_opts)}
    own = {name for p in options for name in (*p.opts, *p.secondary_opts)}
    hoisted, rest, skip = [], list(argv[:depth]), False
    for i, arg in enumerate(argv[depth:], start=depth):
        if arg == "--":
            rest.extend(argv[i:])
            break
        if arg in _GLOBAL_FLAGS and arg not in own and depth > lead and not skip:
            hoisted.append(arg)
        else:
            rest.append(arg)
        skip = arg in takes_value
    return hoisted + rest


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; bad input prints one line on stderr, code 2."""
    _offline()
    try:
        args = global_flags_first(sys.argv[1:] if argv is None else list(argv))
        result = app(args=args, standalone_mode=False, prog_name="covidlearning")
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        return InputError.exit_code
    except IdentifierLeak as exc:
        click.echo(f"error: {exc}", err=True)
        return IdentifierLeak.exit_code
    except ClusterFailure as exc:
        click.echo(f"error: {exc}", err=True)
        return ClusterFailure.exit_code
    except _EXIT as exc:
        return exc.exit_code
    except _ABORT:
        click.echo("aborted", err=True)
        return 130
    except _CLICK_ERRORS as exc:
        ctx = getattr(exc, "ctx", None)
        args = sys.argv[1:] if argv is None else argv
        if ctx is None or len(args) < len(ctx.command_path.split()):  # a bare command: usage
            exc.show()
            return exc.exit_code
        # a bad option value or a missing option: one line, like every other input error
        message = exc.format_message().rstrip()
        end = "" if message.endswith(".") else "."
        click.echo(f"error: {message}{end} See `{ctx.command_path} --help`.", err=True)
        return InputError.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    finally:
        from covidlearning._io import release_output

        release_output()  # the output folders this command claimed
    return result if isinstance(result, int) else 0


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM (``kill``, a CI timeout) unwinds like Ctrl-C, so half-written outputs are removed."""
    raise SystemExit(128 + signum)


def main() -> None:
    """Console-script entry point."""
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(run())
