"""The README's layout table matches the tree."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "covidlearning"


def _layout_rows() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)` \| (.+) \|$", table, re.M)


def test_every_path_the_layout_names_exists():
    rows = _layout_rows()
    assert len(rows) >= 10
    for path, _ in rows:
        if "<" in path:  # reports/<run>/
            path = path.split("<", 1)[0]
        assert (ROOT / path).exists(), path


def test_every_stage_subpackage_and_module_is_in_the_layout():
    rows = dict(_layout_rows())
    for pkg in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()):
        key = f"src/covidlearning/{pkg.name}/"
        assert key in rows, f"{key} missing from the README's layout"
        if pkg.name in {"cli", "testing"}:
            continue
        for module in sorted(pkg.glob("[!_]*.py")):
            assert f"`{module.stem}`" in rows[key], f"{pkg.name}/{module.name} not described"


def test_every_module_the_layout_names_exists():
    for path, what in _layout_rows():
        folder = ROOT / path
        if not path.startswith("src/covidlearning/") or not (folder / "__init__.py").is_file():
            continue
        for name in re.findall(r"`(\w+)`", what):
            if name.islower() and name.isidentifier():
                assert (folder / f"{name}.py").is_file(), f"{path}{name}.py"
