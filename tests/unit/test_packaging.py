"""The project's set-up files agree with each other."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_installs_the_package_from_pyproject() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert any(line.startswith("-e .") for line in pip), pip
    # No package is listed twice: pyproject.toml is the single source of dependencies.
    conda_pkgs = {re.split(r"[=<>]", d)[0] for d in deps if isinstance(d, str)}
    assert conda_pkgs <= {"python", "pip"}, conda_pkgs
    assert "-c constraints.txt" in pip
    requires = _pyproject()["project"]["requires-python"]
    assert "3.11" in requires


def test_torch_is_pinned_to_the_cpu_wheel_version() -> None:
    deps = _pyproject()["project"]["dependencies"]
    assert "torch==2.13.0" in deps
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text()


def test_every_dependency_is_locked_to_one_version() -> None:
    """A fresh install must get the versions the committed report was made with."""
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and version, f"constraints.txt: {line!r} is not pinned with =="
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    project = _pyproject()["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    for dep in wanted:
        name = re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[; ]", dep)[0]).lower()
        assert name in pins, f"{name} is not locked in constraints.txt"
    assert "sentence-transformers" in pins and "transformers" in pins


def test_readme_opens_with_the_two_setup_commands() -> None:
    head = "\n".join((ROOT / "README.md").read_text().splitlines()[:8])
    assert "make report" in head and "make test" in head


def test_makefile_is_self_documenting() -> None:
    text = (ROOT / "Makefile").read_text()
    for target in ("setup", "report", "test", "bench", "lint", "lab", "help"):
        assert re.search(rf"^{target}:.*## ", text, re.M), target


def test_ci_runs_make_test() -> None:
    assert "make test" in (ROOT / ".ci/run").read_text()


def test_every_public_name_resolves():
    import importlib

    import covidlearning as cl

    for name, module in cl._EXPORTS.items():
        value = getattr(cl, name)
        assert value is getattr(importlib.import_module(f"covidlearning.{module}"), name), name
    assert {"code_with_model", "load_coder", "train_and_code"} <= set(cl.__all__)


def test_stage_modules_and_a_clean_namespace():
    import types

    import covidlearning as cl

    assert isinstance(cl.discover, types.ModuleType) and callable(cl.discover.discover)
    assert isinstance(cl.agreement, types.ModuleType) and callable(cl.agreement.agreement)
    assert callable(cl.assign) and cl.DisclosureConfig.model_fields
    public = [n for n in dir(cl) if not n.startswith("_")]
    assert public == sorted(cl.__all__)  # no typing or importlib helpers leak into dir()


def test_importing_the_package_makes_the_hub_offline():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    code = (
        "import covidlearning, huggingface_hub.constants as c; "
        "print(c.HF_HUB_OFFLINE, covidlearning.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()  # fmt: skip
    assert out == ["True", "covidlearning"]
