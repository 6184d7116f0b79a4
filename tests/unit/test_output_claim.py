"""Two runs writing one output folder at once: the second refuses in one line (#22)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from covidlearning import _io
from covidlearning.errors import InputError


def _hold(out: Path, ready: Path) -> subprocess.Popen[str]:
    """Another process that claims ``out`` and keeps it until killed."""
    code = textwrap.dedent(
        f"""
        import time, pathlib
        from covidlearning._io import claim_output
        claim_output({str(out)!r})
        pathlib.Path({str(ready)!r}).write_text("ok")
        time.sleep(60)
        """
    )
    return subprocess.Popen([sys.executable, "-c", code], text=True)


def _wait(path: Path) -> None:
    import time

    for _ in range(300):
        if path.exists():
            return
        time.sleep(0.05)
    raise AssertionError("the other process never claimed the folder")


def test_a_second_run_into_the_same_out_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    ready = tmp_path / "ready"
    other = _hold(out, ready)
    try:
        _wait(ready)
        with pytest.raises(InputError) as info:
            with _io.atomic_dir(out) as tmp:
                (tmp / "a.txt").write_text("mine")
        msg = str(info.value)
        assert "another run is writing" in msg and f"process {other.pid}" in msg
        assert "\n" not in msg
        assert not out.exists()  # nothing written
    finally:
        other.kill()
        other.wait()
    # once that run is gone (even killed), the folder can be written again
    with _io.atomic_dir(out) as tmp:
        (tmp / "a.txt").write_text("mine")
    assert (out / "a.txt").read_text() == "mine"
    assert not _io.lock_path(out).exists()


def test_the_cli_refuses_a_second_discover_into_the_same_out(tmp_path: Path, capsys) -> None:
    from covidlearning.cli import run

    table = tmp_path / "t.csv"
    table.write_text("id,text\n" + "".join(f"{i},comment number {i}\n" for i in range(10)))
    out = tmp_path / "out"
    ready = tmp_path / "ready"
    other = _hold(out, ready)
    try:
        _wait(ready)
        code = run(["discover", str(table), "--text-column", "text", "--out", str(out)])
    finally:
        other.kill()
        other.wait()
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "another run is writing" in err, err


def test_one_process_may_claim_a_folder_it_holds(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with _io.output_claimed(out):
        with _io.atomic_dir(out) as tmp:  # atomic_dir claims it again: allowed
            (tmp / "x").write_text("1")
        assert _io.lock_path(out).exists()
    assert not _io.lock_path(out).exists()
