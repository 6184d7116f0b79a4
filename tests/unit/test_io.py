"""Atomic writes, hashing, package versions and the machine description in manifests."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from covidlearning._io import atomic_dir, check_output_dir, sha256_text, write_csv, write_json
from covidlearning.cli import run
from covidlearning.errors import InputError


def test_atomic_dir_keeps_previous_results_when_the_block_fails(tmp_path) -> None:
    out = tmp_path / "run"
    with atomic_dir(out) as d:
        (d / "a.txt").write_text("first")
    with pytest.raises(RuntimeError), atomic_dir(out) as d:
        (d / "a.txt").write_text("second")
        raise RuntimeError("boom")
    assert (out / "a.txt").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary left behind


def test_atomic_dir_carries_over_files_it_does_not_rewrite(tmp_path) -> None:
    out = tmp_path / "run"
    with atomic_dir(out) as d:
        (d / "keep.txt").write_text("k")
    with atomic_dir(out) as d:
        (d / "new.txt").write_text("n")
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt", "new.txt"]


def test_outputs_get_ordinary_permissions(tmp_path) -> None:
    out = tmp_path / "run"
    with atomic_dir(out) as d:
        write_json(d / "m.json", {"b": 1, "a": 2})
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o777 & ~mask
    assert stat.S_IMODE(os.stat(out / "m.json").st_mode) == 0o666 & ~mask


def test_json_and_csv_are_deterministic(tmp_path) -> None:
    write_json(tmp_path / "m.json", {"b": 1, "a": 2})
    assert (tmp_path / "m.json").read_text() == '{\n  "a": 2,\n  "b": 1\n}\n'
    df = pd.DataFrame({"x": [1.0 / 3, 2.0], "y": ["a", "b"]})
    write_csv(tmp_path / "a.csv", df)
    write_csv(tmp_path / "b.csv", df.copy())
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert b"\r" not in (tmp_path / "a.csv").read_bytes()


def test_sha256_text_matches_known_digest() -> None:
    assert sha256_text("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_an_existing_file_is_never_replaced_by_an_output_folder(tmp_path) -> None:
    data = tmp_path / "answers.csv"
    data.write_text("id,text\n1,kind staff\n")
    for out in (data, data / "sub"):
        with pytest.raises(InputError, match="not a folder"), atomic_dir(out) as d:
            (d / "x.txt").write_text("x")
    assert data.read_text() == "id,text\n1,kind staff\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.csv"]


@pytest.mark.parametrize("layout", ["data/raw", "docs"])
def test_outputs_may_not_go_into_raw_data(tmp_path, layout) -> None:
    raw = tmp_path / layout
    raw.mkdir(parents=True)
    if layout == "docs":  # any folder whose manifest.csv lists raw files by checksum
        (raw / "manifest.csv").write_text("doc_id,file,sha256\n000,a.txt,abc\n")
    for out in (raw, raw / "run", raw / "a" / "b"):
        with pytest.raises(InputError, match="raw-data folder"):
            check_output_dir(out)
    assert sorted(p.name for p in raw.iterdir()) == (["manifest.csv"] if layout == "docs" else [])
    assert check_output_dir(tmp_path / "reports" / "run") == tmp_path / "reports" / "run"


def test_the_output_folder_may_not_hold_an_input(tmp_path) -> None:
    model = tmp_path / "run1" / "model"
    model.mkdir(parents=True)
    new = tmp_path / "new.csv"
    new.write_text("id,text\n")
    for out in (tmp_path / "run1", model, tmp_path):
        with pytest.raises(InputError, match="holds an input"):
            check_output_dir(out, [new, model])
    check_output_dir(tmp_path / "run2", [new, model, None])


def test_cli_refuses_unsafe_output_folders_in_one_line(tmp_path, capsys) -> None:
    data = tmp_path / "in.csv"
    data.write_text("id,comment\n1,The staff were kind\n2,Parking was hard\n3,Cold food\n")
    before = data.read_bytes()
    for out in (data, tmp_path):
        code = run(["discover", str(data), "--text-column", "comment", "--out", str(out)])
        err = capsys.readouterr().err.strip()
        assert code == 2
        assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    assert data.read_bytes() == before


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(proc.stdout)


def test_folders_left_by_killed_runs_are_swept(tmp_path) -> None:
    dead, alive = _dead_pid(), os.getpid()
    stale = [tmp_path / f".run.tmp-{dead}-abc123", tmp_path / f".run.old-{dead}"]
    running = tmp_path / f".run.tmp-{alive}-xyz789"  # a run still going: left alone
    other = tmp_path / f".other.tmp-{dead}-abc"  # another output's: not ours to sweep
    for d in (*stale, running, other):
        d.mkdir()
    with atomic_dir(tmp_path / "run") as d:
        (d / "a.txt").write_text("a")
    assert not any(d.exists() for d in stale)
    assert running.exists() and other.exists() and (tmp_path / "run" / "a.txt").exists()


def test_sigterm_unwinds_and_removes_the_half_written_folder(tmp_path) -> None:
    import subprocess
    import sys

    script = (
        "import os, signal, sys\n"
        "from covidlearning._io import atomic_dir\n"
        "from covidlearning.cli import _terminate\n"
        "signal.signal(signal.SIGTERM, _terminate)\n"
        f"with atomic_dir({str(tmp_path / 'run')!r}) as d:\n"
        "    (d / 'half.txt').write_text('x')\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    signal.pause()\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], timeout=60, check=False)
    assert proc.returncode == 128 + 15
    assert list(tmp_path.iterdir()) == []  # neither the output nor its temporary folder


def test_machine_info_says_where_a_run_was_made():
    import platform

    from covidlearning._io import _ISA_FLAGS, machine_info

    info = machine_info()
    assert info["machine"] == platform.machine()
    assert info["cpu"] and info["os"] and info["python"] == platform.python_version()
    assert set(info["cpu_flags"]) <= set(_ISA_FLAGS)
    assert isinstance(info["cpu_count"], int) and info["cpu_count"] >= 1
    blas = info["blas"]  # numpy is imported, so its BLAS is loaded
    assert blas and all(b["threads"] >= 1 and b["library"] for b in blas)
