"""The report's coding step on a real corpus with MiniLM (marked ``slow``)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from covidlearning.reporting import narrative
from covidlearning.reporting import run as report
from covidlearning.reporting import steps as analysis


@pytest.mark.slow
def test_code_units_codes_every_unit_of_a_corpus(tmp_path):
    """``code.codebook`` with documents: every unit coded, tables written, no disclosure stars."""
    import yaml

    cb = tmp_path / "cb.yaml"
    cb.write_text(
        yaml.safe_dump(
            {
                "name": "Mini",
                "themes": [
                    {
                        "id": "video",
                        "name": "Video clinics",
                        "definition": "Remote consultations by video or telephone.",
                    },
                    {
                        "id": "rest",
                        "name": "Staff rest",
                        "definition": "Rest areas, breaks and wellbeing support for staff.",
                    },
                ],
            }  # fmt: skip
        )
    )
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"name: mini\ncode: {{codebook: {cb}}}\nredaction: {{enabled: false}}\n")
    run = report.open_run(str(cfg), str(tmp_path / "out"), str(tmp_path / "work"))
    texts = ["Video clinics saved patients long journeys."] * 3 + [
        "Staff valued the new rest rooms and wellbeing hubs.",
        "Phone consultations worked.",
    ]
    units = pd.DataFrame({"id": [f"u{i}" for i in range(6)], "text": texts + ["ok"],
                          "status": ["ok"] * 5 + ["too short"], "title": "Report A",
                          "section": "Learning"})  # fmt: skip
    summary = analysis.code_units(run, units)
    assert summary["coded"] == 5 and summary["units"] == 6 and summary["name"] == "Mini"
    coded = run.read_table("coding_assignments", dtype=str)
    assert coded["id"].tolist() == [f"u{i}" for i in range(6)]
    first = dict(zip(coded["id"], coded["themes"].str.split(";").str[0], strict=True))
    assert first["u0"] == "video" and first["u3"] == "rest"
    assert coded.loc[5, "status"] == "too short"
    themes = run.read_table("coding_themes", dtype=str)
    assert themes["theme_id"].tolist() == ["video", "rest", "unassigned"]
    assert "*" not in set(themes["units"])  # documents: no disclosure control
    assert int(themes.loc[0, "main_theme"]) >= 3
    quotes = run.read_table("coding_quotes", dtype=str)
    assert quotes.loc[0, "source"] == "Report A, section “Learning”"
    shown = []
    monkey = pytest.MonkeyPatch()
    monkey.setattr("IPython.display.display", lambda *objs: shown.extend(objs))
    narrative.show_coding(run)
    monkey.undo()
    text = "\n".join(getattr(o, "data", "") or "" for o in shown)
    assert "## Coded against Mini" in text and "Video clinics" in text
    assert json.loads((tmp_path / "work" / "coding.json").read_text())["mode"] == "zero-shot"
    none = tmp_path / "none.yaml"
    none.write_text("name: none\n")
    run = report.open_run(str(none), str(tmp_path / "o2"), str(tmp_path / "w2"))
    assert analysis.code_units(run, units) == {}
    assert not run.has_table("coding_themes")
