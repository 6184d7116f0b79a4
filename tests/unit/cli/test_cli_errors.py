"""Bad input never gives a traceback: one line on stderr naming the fix, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from covidlearning.cli import run

ROOT = Path(__file__).resolve().parents[3]
EXE = Path(sys.executable).parent / "covidlearning"


def _case(tmp_path: Path, name: str) -> list[str]:
    """Arguments of `corpus build` for one bad input."""
    raw = tmp_path / "raw"
    raw.mkdir()
    if name == "missing path":
        return ["--raw", str(tmp_path / "nope")]
    if name == "empty folder":
        return ["--raw", str(raw)]
    if name == "empty file":
        (raw / "a.txt").write_bytes(b"")
    elif name == "blank document":
        (raw / "a.txt").write_text("  \n\n", encoding="utf-8")
    elif name == "header-only table":
        (raw / "t.csv").write_text("id,text\n", encoding="utf-8")
    elif name == "missing text column":
        (raw / "t.csv").write_text("id,body\n1,hello there\n", encoding="utf-8")
        return ["--raw", str(raw), "--text-column", "text"]
    elif name == "no text column":
        (raw / "t.csv").write_text("id,score\n1,4\n2,5\n", encoding="utf-8")
    elif name == "unknown format":
        (raw / "x.xyz").write_text("?", encoding="utf-8")
    elif name == "unreadable encoding":
        (raw / "a.txt").write_bytes("hello there".encode("utf-16-le"))
    elif name == "corrupt pdf":
        (raw / "a.pdf").write_bytes(b"not a pdf at all")
    elif name == "bad manifest":
        (raw / "a.txt").write_text("A real paragraph of text.", encoding="utf-8")
        (raw / "manifest.csv").write_text("name,title\na.txt,A\n", encoding="utf-8")
    elif name == "manifest lists a missing file":
        (raw / "a.txt").write_text("A real paragraph of text.", encoding="utf-8")
        (raw / "manifest.csv").write_text("doc_id,file\na,a.txt\nb,b.txt\n", encoding="utf-8")
    return ["--raw", str(raw)]


CASES = {
    "missing path": "raw folder not found",
    "empty folder": "no documents in",
    "empty file": "a.txt is empty",
    "blank document": "a.txt has no text",
    "header-only table": "header but no rows",
    "missing text column": "column 'text' not found in t.csv; columns found: 'id', 'body'",
    "no text column": "no text column found in t.csv; columns found: 'id', 'score'",
    "unknown format": "unknown format",
    "unreadable encoding": "not readable text",
    "corrupt pdf": "cannot read a.pdf as PDF",
    "bad manifest": "manifest.csv lacks column(s) 'doc_id', 'file'",
    "manifest lists a missing file": "not in",
}


@pytest.mark.parametrize("name", list(CASES))
def test_corpus_build_bad_input(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _case(tmp_path, name)
    out = tmp_path / "out"
    code = run(["corpus", "build", *args, "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ") and CASES[name] in err, err
    assert "Traceback" not in err
    assert not out.exists()  # nothing half-written


def test_corpus_verify_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["corpus", "verify", "--raw", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no manifest.csv") and len(err.splitlines()) == 1


def test_corpus_verify_mismatch_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("text", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("doc_id,file,sha256\na,a.txt,00\n", encoding="utf-8")
    assert run(["corpus", "verify", "--raw", str(tmp_path)]) == 1
    assert "checksum mismatch: a.txt" in capsys.readouterr().err


def test_corpus_verify_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["corpus", "verify", "--raw", str(ROOT / "data" / "raw")]) == 0
    assert capsys.readouterr().out.startswith("ok:")


@pytest.mark.skipif(not EXE.exists(), reason="console script not installed")
@pytest.mark.parametrize("name", ["missing path", "header-only table", "unreadable encoding"])
def test_console_script_bad_input_has_no_traceback(name: str, tmp_path: Path) -> None:
    args = _case(tmp_path, name)
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    p = subprocess.run(
        [str(EXE), "corpus", "build", *args, "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and p.stderr.startswith("error: ")
