"""An evaluator's framework as a validated YAML codebook.

A codebook names a framework and lists its themes. Each theme has an ``id`` (what
the outputs use), a ``name``, a ``definition`` and optional ``include``/``exclude``
notes, ``examples`` (quotes that belong to the theme) and ``keywords``::

    name: LSBU 10 leaps forward
    themes:
      - id: valued-staff
        name: Valued Staff
        definition: Being valued as staff and having the energy to focus on the job.
        examples: ["It's been a game changer in terms of team morale and my own wellbeing."]

Every mistake (missing file, bad YAML, no themes, duplicate ids, a missing field, an
unknown key) is an :class:`~covidlearning.errors.InputError` with a one-line message.
This module is light: it imports only pydantic and PyYAML.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from covidlearning.errors import InputError

#: The label a text gets when no theme reaches the confidence threshold.
UNASSIGNED = "unassigned"

_BAD_ID = re.compile(r"[;\n\r\t]")


def _as_list(value: Any) -> Any:
    """Accept a single string where a list of strings is expected."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return value


def _as_text(value: Any) -> Any:
    """Accept numbers where text is expected (YAML reads ``id: 1`` as an int)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


class Theme(BaseModel):
    """One theme of a framework."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(
        min_length=1, description="Short unique id used in outputs, e.g. 'valued-staff'."
    )
    name: str = Field(min_length=1, description="Human-readable name.")
    definition: str = Field("", description="What the theme means, in one or two sentences.")
    include: list[str] = Field(default_factory=list, description="Notes on what belongs here.")
    exclude: list[str] = Field(default_factory=list, description="Notes on what does not.")
    examples: list[str] = Field(default_factory=list, description="Quotes that belong here.")
    keywords: list[str] = Field(default_factory=list, description="Words that signal the theme.")

    _to_text = field_validator("id", "name", "definition", mode="before")(_as_text)

    @field_validator("include", "exclude", "examples", "keywords", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        value = _as_list(value)
        if isinstance(value, list):
            value = [_as_text(v) for v in value]
        return value

    @field_validator("include", "exclude", "examples", "keywords")
    @classmethod
    def _drop_blank(cls, value: list[str]) -> list[str]:
        return [" ".join(v.split()) for v in value if v and v.strip()]

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if _BAD_ID.search(value):
            raise ValueError("must not contain ';', tabs or line breaks")
        if value.lower() == UNASSIGNED:
            raise ValueError(f"'{UNASSIGNED}' is reserved for texts no theme fits")
        return value

    def description(self) -> str:
        """Name, definition and include notes as one text (what zero-shot coding reads)."""
        parts = [self.name]
        if self.definition:
            parts.append(self.definition)
        parts.extend(self.include)
        return ". ".join(p.rstrip(". ") for p in parts) + "."


class Codebook(BaseModel):
    """A framework: a name and its themes, in the framework's own order."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, description="Framework name.")
    description: str = Field("", description="What the framework is and where it comes from.")
    source: str = Field("", description="Citation or file the themes were taken from.")
    version: str = Field("", description="Version of the codebook, for the manifest.")
    themes: list[Theme] = Field(description="The themes.")

    _to_text = field_validator("name", "version", mode="before")(_as_text)

    @field_validator("themes")
    @classmethod
    def _check_themes(cls, themes: list[Theme]) -> list[Theme]:
        if not themes:
            raise ValueError("the codebook has no themes")
        seen: set[str] = set()
        for t in themes:
            key = t.id.lower()
            if key in seen:
                raise ValueError(f"duplicate theme id '{t.id}'")
            seen.add(key)
        return themes

    @property
    def ids(self) -> list[str]:
        """Theme ids in codebook order."""
        return [t.id for t in self.themes]

    def theme(self, theme_id: str) -> Theme:
        """Return the theme with this id (case-insensitive).

        Raises:
            KeyError: no such theme.
        """
        for t in self.themes:
            if t.id == theme_id or t.id.lower() == theme_id.lower():
                return t
        raise KeyError(theme_id)

    def resolve(self, label: str) -> str | None:
        """Map a human label (an id or a name, any case) to a theme id, or None."""
        key = " ".join(str(label).split()).lower()
        for t in self.themes:
            if key in (t.id.lower(), t.name.lower()):
                return t.id
        return None

    def check_can_compare(self, origin: str = "the codebook") -> None:
        """Check the codebook can be used for zero-/few-shot coding.

        Zero- and few-shot coding rank a text's themes against each other, so a
        single theme would take every text at confidence 1.

        Raises:
            InputError: the codebook has fewer than 2 themes.
        """
        if len(self.themes) < 2:
            raise InputError(
                f"{origin} has 1 theme ('{self.themes[0].id}'); zero-/few-shot coding "
                "compares themes, so it needs at least 2",
                "Add a theme (e.g. 'other', for anything else), "
                "or learn from human codes with --train",
            )

    @property
    def has_examples(self) -> bool:
        """True when at least one theme has example quotes (few-shot coding)."""
        return any(t.examples for t in self.themes)

    @classmethod
    def from_labels(cls, labels: list[str], name: str = "trained labels") -> Codebook:
        """Build a codebook whose themes are the distinct labels of a coded sample."""
        return cls(name=name, themes=[Theme(id=lab, name=lab) for lab in labels])

    def to_yaml(self) -> str:
        """Return the codebook as YAML (empty optional fields left out)."""
        data = self.model_dump(exclude_defaults=True)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _one_line(exc: ValidationError, data: dict[str, Any]) -> str:
    """Summarise pydantic errors as ``themes[2] (id 'x').field: message; ...``."""
    parts = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = []
        i = 0
        while i < len(loc):
            part = loc[i]
            if part == "themes" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
                idx = loc[i + 1]
                label = f"themes[{idx + 1}]"
                try:
                    tid = data["themes"][idx].get("id")
                except (KeyError, IndexError, AttributeError, TypeError):
                    tid = None
                if tid is not None:
                    label += f" (id '{tid}')"
                where.append(label)
                i += 2
                continue
            where.append(str(part))
            i += 1
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "missing field"
        msg = msg.removeprefix("Value error, ")
        parts.append(f"{'.'.join(where) or 'codebook'}: {msg}")
    return "; ".join(parts)


def parse_codebook(data: Any, origin: str = "codebook") -> Codebook:
    """Validate a codebook already read into Python objects.

    Raises:
        InputError: naming the first problems on one line.
    """
    if data is None:
        raise InputError(f"{origin} is empty", "Write a 'name' and a list of 'themes'")
    if not isinstance(data, dict):
        raise InputError(
            f"{origin} must be a mapping with 'name' and 'themes'",
            "See configs/codebooks/lsbu-10-leaps.yaml",
        )
    if "themes" in data and not data["themes"]:
        raise InputError(f"{origin} has no themes", "List at least one theme under 'themes'")
    if isinstance(data.get("themes"), list):
        for i, t in enumerate(data["themes"]):
            if not isinstance(t, dict):
                raise InputError(
                    f"{origin}: themes[{i + 1}] must be a mapping with id, name and definition",
                    "See configs/codebooks/lsbu-10-leaps.yaml",
                )
    try:
        return Codebook.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            f"invalid {origin}: {_one_line(exc, data)}", "See configs/codebooks/lsbu-10-leaps.yaml"
        ) from None


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a YAML codebook.

    Args:
        path: the YAML file.

    Returns:
        The validated :class:`Codebook`.

    Raises:
        InputError: missing file, not YAML, no themes, duplicate ids, missing
            fields or unknown keys - one line naming the problem and the fix.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"codebook not found: {path}", "Pass an existing YAML file to --codebook")
    if path.is_dir():
        raise InputError(f"codebook {path} is a folder", "Pass a YAML file to --codebook")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"codebook {path.name} is not UTF-8 text", "Save it as UTF-8") from None
    if not text.strip():
        raise InputError(f"codebook {path.name} is empty", "Write a 'name' and a list of 'themes'")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(
            f"codebook {path.name} is not valid YAML{where}", "Fix the syntax (check indentation)"
        ) from None
    return parse_codebook(data, f"codebook {path.name}")
