from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from covidlearning._io import atomic_dir, sha256_text, write_csv, write_json


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
