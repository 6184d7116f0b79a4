"""The command line's --scheduler: refused when wrong, and no Dask without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from covidlearning.cli import run


def test_a_folder_without_a_scheduler_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    pd.DataFrame({"text": ["a b c"] * 3}).to_csv(folder / "a.csv", index=False)
    code = run(["discover", str(folder), "--text-column", "text", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "read in partitions on a cluster" in err and "--scheduler local" in err
    assert "Traceback" not in err


def test_a_scheduler_that_is_not_an_address_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "a.csv"
    pd.DataFrame({"text": ["a b c"] * 3}).to_csv(table, index=False)
    args = ["assign", str(table), "--model", str(tmp_path), "--text-column", "text"]
    code = run([*args, "--out", str(tmp_path / "o"), "--scheduler", "nowhere"])
    assert code == 2
    assert "--scheduler" in capsys.readouterr().err


def test_without_a_scheduler_dask_is_never_imported(tmp_path: Path) -> None:
    table = tmp_path / "a.csv"
    table.write_text("text\n\n", encoding="utf-8")
    probe = (
        "import sys\nfrom covidlearning.cli import run\n"
        f"code = run(['discover', {str(table)!r}, '--text-column', 'text', '--out', "
        f"{str(tmp_path / 'o')!r}])\n"
        "print(code, any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2", "False"]
