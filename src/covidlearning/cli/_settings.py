"""How the commands turn ``--config FILE`` and their flags into one stage's settings.

A stage command (``discover``, ``code``) reads its section of the same YAML config
``covidlearning report`` reads; each flag the user gives then overrides one field. A
flag's default is ``None`` ("not given"), and its help shows the config field it sets
and that field's default, read from the config model, so no default is written twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from covidlearning.errors import InputError


def field_help(model: type[BaseModel], field: str, section: str, text: str = "") -> str:
    """A flag's help: ``text`` (or the field's description), the field and its default."""
    info = model.model_fields[field]
    default = info.default
    shown = "none" if default is None else default
    if isinstance(default, bool):
        shown = str(default).lower()
    return f"{text or info.description} (config: {section}.{field}; default: {shown})"


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
