"""The synthetic trust survey: deterministic, realistic in shape, with ground truth."""

from __future__ import annotations

import filecmp
import re
import subprocess
import sys

import pytest

from covidlearning.corpus.load import load_table
from covidlearning.testing.synthetic import (
    SITES,
    STAFF_GROUPS,
    failing_number,
    generate,
    nhs_number,
    write,
)


def mod11_ok(number: str) -> bool:
    d = [int(c) for c in number if c.isdigit()]
    r = sum((10 - i) * x for i, x in enumerate(d[:9])) % 11
    return len(d) == 10 and (11 - r) % 11 != 10 and (11 - r) % 11 == d[9]


@pytest.fixture(scope="module")
def data():
    return generate()


def test_same_seed_same_data_other_seed_differs(data):
    again = generate()
    assert data.frame.equals(again.frame) and data.planted == again.planted
    other = generate(seed=5)
    assert not data.frame["answer"].equals(other.frame["answer"])


def test_committed_csv_is_exactly_what_the_script_writes(root, tmp_path):
    committed = root / "data" / "raw" / "synthetic-trust" / "staff_survey.csv"
    out = tmp_path / "s.csv"
    proc = subprocess.run(
        [sys.executable, str(root / "scripts" / "make_synthetic_trust.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "wrote 3000 responses" in proc.stdout
    assert filecmp.cmp(committed, out, shallow=False)
    # the script prints counts only, never a planted identifier
    assert "@" not in proc.stdout and not re.search(r"\d{6}", proc.stdout)


def test_shape_dates_and_groups(data):
    f = data.frame
    assert len(f) == 3000
    assert list(f.columns) == ["response_id", "submitted", "staff_group", "site", "answer"]
    assert f["response_id"].is_unique
    assert f["submitted"].min() >= "2020-03-01" and f["submitted"].max() <= "2021-12-31"
    assert f["submitted"].str[:4].nunique() == 2
    sizes = f["staff_group"].value_counts()
    for name, w in STAFF_GROUPS:
        if isinstance(w, int):
            assert sizes[name] == w < 10
    assert sizes.max() > 500  # very different sizes
    site_sizes = f["site"].value_counts()
    assert sum(site_sizes[n] < 10 for n, _ in SITES) >= 2


def test_filler_duplicates_and_identifiers_present(data, tmp_path):
    path = tmp_path / "s.csv"
    write(path)
    loaded = load_table(path, "answer", "response_id")
    status = loaded["status"].value_counts()
    assert status["ok"] > 2700
    assert status.get("filler", 0) > 50 and status.get("empty", 0) > 5
    assert status.get("digits only", 0) > 5
    assert 30 < int(loaded["duplicate"].sum()) < 150
    kinds = {p.kind for p in data.planted}
    assert kinds == {"name", "nhs_number", "phone", "email", "postcode", "url", "ward_bed"}
    assert len(data.planted) > 150 and len(data.decoys) > 10


def test_planted_identifiers_are_in_their_rows(data):
    by_id = dict(zip(data.frame["response_id"], data.frame["answer"], strict=True))
    for p in data.planted:
        assert p.text in by_id[p.response_id]
        assert p.secret in p.text


def test_planted_nhs_numbers_valid_and_decoys_invalid(data):
    nhs = [p.secret for p in data.planted if p.kind == "nhs_number"]
    assert nhs and all(mod11_ok(n) for n in nhs)
    assert all(re.fullmatch(r"\d{2,3}mg at \d\d:\d\d", d) for d in data.decoys)


def test_number_helpers():
    import random

    rng = random.Random(0)
    assert all(mod11_ok(nhs_number(rng)) for _ in range(500))
    assert not any(mod11_ok(failing_number(rng)) for _ in range(500))


def test_themes_are_varied_text(data):
    answers = data.frame["answer"][data.frame["answer"].str.len() > 40]
    assert answers.nunique() > 0.9 * len(answers)
    assert set(data.themes.values()) >= {"digital", "wellbeing", "never_again", "filler"}


def test_too_small_n_rejected():
    with pytest.raises(ValueError):
        generate(n=10)
