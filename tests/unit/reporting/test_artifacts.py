"""The hand-off files between notebooks: named once, typed readers and writers."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from covidlearning.reporting import artifacts as art

SRC = Path(__file__).resolve().parents[3] / "src" / "covidlearning"


def test_a_summary_round_trips_and_reads_empty_when_missing(tmp_path):
    assert art.CODING_SUMMARY.read(tmp_path).as_dict() == {}
    assert art.FRAMEWORKS.read(tmp_path) == []
    art.CODING_SUMMARY.write(tmp_path, {"mode": "few-shot", "n": 3})
    back = art.CODING_SUMMARY.read(tmp_path)
    assert back.mode == "few-shot" and back.get("n") == 3 and back.get("missing", 5) == 5
    written = (tmp_path / "coding.json").read_text()
    assert json.loads(written) == {"mode": "few-shot", "n": 3} and written.endswith("\n")


def test_a_writer_refuses_content_of_the_wrong_type(tmp_path):
    with pytest.raises(ValidationError):
        art.BREAKDOWN_NOTES.write(tmp_path, {"breakdown_site": "not a list"})
    with pytest.raises(ValidationError):
        art.DISCOVERY_METRICS.write(tmp_path, {"n_topics": "many"})
    assert not art.BREAKDOWN_NOTES.exists(tmp_path)


def test_discovery_metrics_read_their_sections(tmp_path):
    art.DISCOVERY_METRICS.write(
        tmp_path, {"stability": {"mean_ari": 0.9, "per_run": [1]}, "topic_diversity": 0.8}
    )
    m = art.DISCOVERY_METRICS.read(tmp_path)
    assert m.part("stability", "mean_ari") == 0.9 and m.topic_diversity == 0.8
    assert m.part("outliers", "count") is None
    (tmp_path / "discovery" / "metrics.json").write_text("{not json")
    assert art.DISCOVERY_METRICS.read(tmp_path).as_dict() == {}


def test_every_artifact_has_its_own_file():
    names = [a.name for a in art.ALL]
    assert len(names) == len(set(names))


def test_no_stage_names_a_hand_off_file_by_a_literal():
    """The reporting stage opens work-folder files only through ``artifacts``."""
    names = {Path(a.name).name for a in art.ALL if "." in a.name}
    found = []
    for path in (SRC / "reporting").glob("*.py"):
        if path.name == "artifacts.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value in names:
                    found.append(f"{path.name}:{node.lineno} {node.value}")
    assert found == []


def test_the_checker_would_see_a_literal():
    tree = ast.parse('open(work / "coding.json")')
    literals = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert "coding.json" in literals and re.fullmatch(r"\w+\.json", literals[0])
