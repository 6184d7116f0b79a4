"""How the commands turn ``--config FILE`` and their flags into one stage's settings.

A stage command (``discover``, ``code``) reads its section of the same YAML config
``covidlearning report`` reads; each flag the user gives then overrides one field. A
flag's default is ``None`` ("not given"), and its help shows the config field it sets
and that field's default, read from the config model, so no default is written twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError

from covidlearning.errors import InputError


def field_help(model: type[BaseModel], field: str, section: str, text: str = "") -> str:
    """A flag's help: ``text`` (or the field's description), the field and its default."""
    info = model.model_fields[field]
    default = info.get_default(call_default_factory=True)
    shown = "none" if default is None else default
    if isinstance(default, bool):
        shown = str(default).lower()
    elif isinstance(default, list | tuple):
        head = ", ".join(f"'{v}'" for v in default[:4])
        shown = f"{head}, ... ({len(default)} in all)" if len(default) > 4 else head or "none"
    return f"{text or info.description} (config: {section}.{field}; default: {shown})"


def answer_help() -> dict[str, str]:
    """The help of ``--missing-values`` and ``--question-column``, shared by the commands."""
    from covidlearning.config import InputConfig

    return {
        "missing_values": field_help(
            InputConfig,
            "missing_values",
            "input",
            "Answers that mean no answer was given, comma-separated or repeated, matched "
            "ignoring case, spaces and punctuation: counted as 'missing', not modelled. "
            "Replaces the list; '' for none.",
        ),
        "question_column": field_help(
            InputConfig,
            "question_column",
            "input",
            "Column of the question each row answers: short answers ('Nothing', 'No', "
            "'Everything') are read with it, e.g. 'Nothing' to 'What could we do better?' "
            "as 'Nothing to improve'.",
        ),
    }


def answer_settings(
    config_file: Path | None, missing_values: list[str] | None, question_column: str | None
) -> tuple[list[str], str | None]:
    """``input.missing_values`` and ``input.question_column``: the config's, then the flags.

    ``--missing-values`` may be repeated and each value may list phrases separated by
    commas; the flag replaces the list (``--missing-values ""`` empties it). Without a
    config with an input section, the defaults are :class:`~covidlearning.config.InputConfig`'s.

    Args:
        config_file: ``--config`` (None: the model's defaults).
        missing_values: the ``--missing-values`` given (None or empty: not given).
        question_column: ``--question-column`` (None: not given).
    """
    from covidlearning.config import InputConfig, load_config

    inp = load_config(config_file).input if config_file is not None else None
    if inp is not None:
        listed, question = list(inp.missing_values), inp.question_column
    else:
        fields = InputConfig.model_fields
        listed = list(fields["missing_values"].get_default(call_default_factory=True))
        question = fields["question_column"].default
    if missing_values:
        listed = [v.strip() for value in missing_values for v in value.split(",") if v.strip()]
    return listed, question_column if question_column is not None else question


def stage_settings(
    config_file: Path | None,
    section: str,
    flags: dict[str, Any],
    flag_names: dict[str, str],
    command: str,
) -> Any:
    """The settings of ``section``: the config file's (or the defaults), then the flags given.

    Args:
        config_file: ``--config`` (None: the model's defaults).
        section: ``discover`` or ``code``: the field of :class:`covidlearning.config.Config`.
        flags: field -> the flag's value (None when the flag was not given).
        flag_names: field -> the flag's spelling, for error messages.
        command: the command, for the hint (``covidlearning discover``).

    Raises:
        InputError: the file does not validate, or a flag's value is out of range.
    """
    from covidlearning.config import Config, load_config, one_line

    if config_file is not None:
        base = getattr(load_config(config_file), section)
    else:
        base = Config.model_fields[section].default_factory()  # type: ignore[misc]
    given = {k: v for k, v in flags.items() if v is not None}
    try:
        return type(base).model_validate({**base.model_dump(), **given})
    except ValidationError as exc:
        problem = one_line(exc)
        for field, flag in flag_names.items():
            problem = problem.replace(f"{field}:", f"{flag}:")
        raise InputError(f"invalid option: {problem}", f"See {command} --help") from None


#: ``--redact/--no-redact`` of ``discover``, ``assign`` and ``code``.
REDACT_HELP = (
    "Redact identifiers (names, contact details, NHS and reference numbers, addresses, "
    "wards...) from the texts before any modelling, and check every output file for one "
    "before publishing; --no-redact for data that is already safe "
    "(config: redaction.enabled; default: true)"
)


def redaction_settings(config_file: Path | None, redact: bool | None) -> Any:
    """The ``redaction`` section of ``--config`` (or its defaults), ``--redact`` applied."""
    from covidlearning.config import Config, load_config

    if config_file is not None:
        base = load_config(config_file).redaction
    else:
        base = Config.model_fields["redaction"].default_factory()  # type: ignore[misc]
    return base if redact is None else base.model_copy(update={"enabled": redact})


def scheduler_help() -> str:
    """The help of ``--scheduler``, shared by discover, assign and code."""
    from covidlearning.config import EngineConfig

    return field_help(
        EngineConfig,
        "scheduler",
        "engine",
        "Run the work that grows with the number of texts on a Dask cluster: 'local' starts "
        "one on this machine, an address (tcp://host:8786) uses a running one. The results "
        "are those of one process.",
    )


def engine_settings(config_file: Path | None, scheduler: str | None) -> Any:
    """The config's ``engine`` section (or the defaults), then ``--scheduler`` if given.

    Raises:
        InputError: the scheduler is neither ``local`` nor an address.
    """
    from covidlearning.config import EngineConfig, load_config, one_line

    base = load_config(config_file).engine if config_file is not None else EngineConfig()
    if scheduler is None:
        return base
    try:
        return EngineConfig.model_validate({**base.model_dump(), "scheduler": scheduler})
    except ValidationError as exc:
        problem = one_line(exc).replace("scheduler:", "--scheduler:")
        raise InputError(
            f"invalid option: {problem}", "Use --scheduler local or tcp://HOST:PORT"
        ) from None


# The options ``discover``, ``assign`` and ``code`` share, declared once.
_ANSWER_HELP = answer_help()
MissingValuesOption = Annotated[
    list[str] | None, typer.Option(help=_ANSWER_HELP["missing_values"], show_default=False)
]
QuestionColumnOption = Annotated[
    str | None, typer.Option(help=_ANSWER_HELP["question_column"], show_default=False)
]
RedactOption = Annotated[
    bool | None, typer.Option("--redact/--no-redact", help=REDACT_HELP, show_default=False)
]
SchedulerOption = Annotated[str | None, typer.Option(help=scheduler_help(), show_default=False)]
