"""The one typed config: strict, immutable, with suggestions for misspelt keys."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from covidlearning.config import (
    ReportParameters,
    check_report_parameter,
    load_config,
)
from covidlearning.errors import InputError


def test_a_loaded_config_cannot_be_changed(root):
    config = load_config(root / "configs" / "seed-corpus.yaml")
    with pytest.raises(ValidationError):
        config.discover.seed = 7  # type: ignore[misc]
    changed = config.model_copy(update={"name": "other"})
    assert changed.name == "other" and config.name != "other"


def test_a_misspelt_key_names_the_nearest_known_one(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: x\ndiscover:\n  sead: 3\ninput:\n  path: a.csv\n  text_colum: t\n")
    with pytest.raises(InputError) as info:
        load_config(path)
    msg = str(info.value)
    assert "discover.sead: unknown key (did you mean 'seed'?)" in msg
    assert "input.text_colum: unknown key (did you mean 'text_column'?)" in msg
    path.write_text("name: x\nzzzz: 1\n")
    with pytest.raises(InputError) as info:
        load_config(path)
    assert "zzzz: unknown key" in str(info.value) and "did you mean" not in str(info.value)


def test_report_parameters_are_validated_by_the_model():
    assert check_report_parameter("time_period", "q") == "Q"
    assert check_report_parameter("quote_words", "12") == 12
    assert check_report_parameter("site", "007") == "007"  # not the model's: unchanged
    with pytest.raises(InputError, match="max_keywords must be at least 1"):
        check_report_parameter("max_keywords", 0)
    with pytest.raises(InputError, match="time_period must be one of W, M, Q, Y"):
        check_report_parameter("time_period", "X")


def test_notebooks_declare_the_models_defaults(root):
    """Each notebook's parameters cell agrees with ReportParameters and DiscoverConfig."""
    import papermill

    seen = set()
    for path in sorted((root / "notebooks").glob("0*.ipynb")):
        for name, spec in papermill.inspect_notebook(str(path)).items():
            field = ReportParameters.model_fields.get(name)
            if field is None:
                continue
            seen.add(name)
            assert eval(spec["default"]) == field.default, (path.name, name)  # noqa: S307
    assert seen == set(ReportParameters.model_fields)
