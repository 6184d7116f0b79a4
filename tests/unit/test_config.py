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


@pytest.mark.parametrize(
    ("written", "read"),
    [("off", "off"), ("'off'", "off"), ("false", "off"), ("no", "off"), ("on", "on"),
     ("true", "on"), ("yes", "on"), ("auto", "auto")],
)  # fmt: skip
def test_on_off_settings_take_yaml_booleans_as_written(tmp_path, written, read):
    # YAML reads an unquoted off as false: the template's own advice ("use off") must work
    path = tmp_path / "c.yaml"
    path.write_text(f"name: x\ndiscover:\n  context: {written}\ncode:\n  context: {written}\n")
    config = load_config(path)
    assert config.discover.context == read and config.code.context == read


def test_on_off_settings_still_refuse_other_values(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: x\ndiscover:\n  context: sometimes\n")
    with pytest.raises(InputError, match="discover.context: Input should be 'auto', 'on' or 'off'"):
        load_config(path)


def test_a_settings_class_built_in_python_names_the_nearest_key():
    from covidlearning.config import CodeConfig, Config, DiscoverConfig

    with pytest.raises(InputError) as info:
        DiscoverConfig(sead=3)
    msg = str(info.value)
    assert "sead: unknown key (did you mean 'seed'?)" in msg
    assert "Extra inputs are not permitted" not in msg and "\n" not in msg
    with pytest.raises(InputError, match=r"discover\.sead: unknown key \(did you mean 'seed'\?\)"):
        Config(name="x", discover={"sead": 3})
    with pytest.raises(ValidationError):  # other bad values stay pydantic's
        CodeConfig(threshold=3)
    assert DiscoverConfig(seed=7).seed == 7


def test_cache_dir_at_the_top_serves_both_sections(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: x\ncache_dir: /tmp/emb\ncode:\n  cache_dir: /tmp/own\n")
    config = load_config(path)
    assert str(config.discover.cache_dir) == "/tmp/emb"
    assert str(config.code.cache_dir) == "/tmp/own"  # a section's own wins
    path.write_text("name: x\n")
    assert load_config(path).discover.cache_dir is None


def test_the_template_sets_every_top_level_setting(root):
    import yaml

    from covidlearning.config import Config

    template = yaml.safe_load((root / "configs" / "trust-template.yaml").read_text())
    # (corpus: is for documents; frameworks: is shown commented out)
    assert set(Config.model_fields) - {"corpus", "frameworks"} <= set(template)
    assert template["cache_dir"] is None
