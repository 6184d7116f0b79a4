"""The command line: help, version, corpus and discover commands, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from covidlearning.cli import run


@pytest.mark.parametrize(
    "argv",
    [
        ["nosuch"],
        ["discover"],
        ["code", "x.csv", "--out", "o"],
        ["discover", "x.csv", "--text-column", "t", "--out", "o", "--bogus"],
    ],
)
def test_usage_errors_exit_2_without_traceback(argv, capsys) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if argv == ["discover"]:  # a bare command shows its usage
        assert "Usage: covidlearning discover" in err and "Missing" in err
    else:  # anything else is one line naming the problem and where to look
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert "--help`" in err


def test_version_is_printed(capsys) -> None:
    from importlib.metadata import version

    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"covidlearning {version('covidlearning')}"


def test_help_answers_without_loading_heavy_libraries() -> None:
    code = (
        "import sys; from covidlearning.cli import run; rc = run(['--help']);"
        "heavy = [m for m in ('bertopic', 'sentence_transformers', 'torch', 'umap')"
        " if m in sys.modules];"
        "print(rc, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 []"
