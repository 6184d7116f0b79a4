"""The report as an NHS analyst reads it (#22): sizes, periods, quotes, provenance."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import yaml

from covidlearning.reporting import breakdown as B
from covidlearning.reporting import narrative, steps
from covidlearning.reporting import run as report


def _table_run(tmp_path, groups=("staff_group", "site"), threshold=10, n_quotes=3):
    data = tmp_path / "in.csv"
    data.write_text("id,text,staff_group,site\nr0,hello,A,X\n")
    cfg = {
        "name": "t",
        "source": "table",
        "input": {"path": str(data), "text_column": "text", "group_columns": list(groups)},
        "discover": {"n_quotes": n_quotes},
        "disclosure": {"threshold": threshold},
        "redaction": {"enabled": False},
    }
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return report.open_run(str(path), str(tmp_path / "out"), str(tmp_path / "work"))


# --------------------------------------------------------------------------- page layout
def _png(width: int, height: int = 300) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buf, format="PNG")
    return buf.getvalue()


def test_a_figure_is_never_shown_below_half_its_pixels():
    data = _png(1800)  # a 12-inch figure at 150 dpi
    assert report.png_size(data) == (1800, 300)
    tag = report.image_html(data, "Figure 1. Wide")
    # drawn size (100 px per inch), shrinks to the page but not below half its pixels,
    # inside a box of its own that scrolls instead of the page
    assert 'class="cl-figure"' in tag
    assert "width:1200px;max-width:100%;min-width:900px" in tag
    assert 'alt="Figure 1. Wide"' in tag
    assert report.png_size(b"not a png") is None


def test_wide_tables_scroll_in_their_own_box():
    wide = pd.DataFrame({f"Theme {i}, with a comma": ["12 (4%)"] for i in range(30)})
    html = narrative.table_html(wide, nowrap=True).data
    assert html.startswith('<div class="cl-scroll"') and html.count("<table") == 1
    assert "</table></div>" in html
    css = report._REPORT_CSS
    assert ".cl-scroll, .cl-figure { max-width: 100%; overflow-x: auto; }" in css
    assert "table.cl-table { display: block" not in css  # the box scrolls, not the table


# --------------------------------------------------------------------------- heatmaps
def test_group_heatmap_keeps_many_themes_legible():
    rng = np.random.default_rng(3)
    n = 3000
    ids = [str(i) for i in range(n)]
    frame = pd.DataFrame({"id": ids, "site": [f"Site {i % 5}" for i in range(n)]})
    assign = pd.DataFrame({"id": ids, "topic": rng.integers(0, 30, n)})
    assign["label"] = "Theme " + assign["topic"].astype(str)
    fig = B.by_group(assign, frame, "site", keywords=False).figure
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == 30 and len(ax.get_xticklabels()) == 5
    width, height = fig.get_size_inches()
    assert width < 10 < height  # 30 themes run down the page, not across it
    sizes = {t.get_fontsize() for t in ax.texts}
    assert min(sizes) >= 9  # cell labels as large as the axis labels


# --------------------------------------------------------------------------- over time
def _sparse(months=24, per_month=12, n_themes=8):
    """Two years of 12 responses a month over 8 themes: most monthly cells below 10."""
    rows, dates = [], []
    for m in range(months):
        for j in range(per_month):
            k = len(rows)
            rows.append({"id": f"r{k}", "topic": (j + m) % n_themes, "label": f"T{(j + m) % 8}"})
            dates.append(f"{2020 + m // 12}-{m % 12 + 1:02d}-{1 + j:02d}")
    assign = pd.DataFrame(rows)
    return assign, pd.DataFrame({"id": assign["id"], "received": dates})


def test_over_time_takes_a_longer_period_when_most_figures_would_hide():
    assign, frame = _sparse()
    monthly = B.over_time(assign, frame, "received", "M", keywords=False, figure=False)
    assert B.hidden_share(monthly) > B.MOSTLY_HIDDEN
    bd = B.readable_over_time(assign, frame, "received", "M", keywords=False)
    assert bd.freq in {"Q", "Y"} and B.hidden_share(bd) <= B.MOSTLY_HIDDEN
    assert bd.notes[0].startswith(f"Shown {B._freq_name(bd.freq)}, not by month:")
    assert f"{B.hidden_share(monthly):.0%} of the figures by month would be hidden" in bd.notes[0]
    assert bd.figure is not None
    assert "set input.date_freq" not in " ".join(bd.notes)  # nothing left to advise
    # a view that shows most figures is kept as asked
    kept = B.readable_over_time(assign, frame, "received", "Y", keywords=False)
    assert kept.freq == "Y" and not any(n.startswith("Shown") for n in kept.notes)


def test_no_chart_when_even_years_are_mostly_hidden():
    assign, frame = _sparse(months=24, per_month=2)  # 24 responses a year over 8 themes
    bd = B.readable_over_time(assign, frame, "received", "M", keywords=False)
    assert bd.freq == "Y" and bd.figure is None
    assert "so no chart is drawn: the table shows what can be published" in bd.notes[-1]


# --------------------------------------------------------------------------- groups
def test_group_values_differing_in_case_or_spaces_are_one_group():
    frame = pd.DataFrame(
        {
            "id": [str(i) for i in range(8)],
            "question": ["How was your visit?\n"] * 3 + ["How was  your visit?"] * 4 + [" "],
            "site": ["North", "north ", "NORTH", "South", "South", "South", "South", "South"],
        }
    )
    out, said = B.merge_group_variants(frame, ["question", "site", "absent"])
    assert set(out["question"]) == {"How was your visit?", " "}  # a blank stays blank
    assert out["site"].tolist()[:3] == ["North"] * 3
    assert said["question"] == [
        "2 spellings of 'How was your visit?' (differing only in capitals or spaces) "
        "are counted as one group"
    ]
    assert said["site"][0].startswith("3 spellings of 'North'")
    assert not any(ch.isdigit() for ch in said["site"][0][1:])  # no group size given away
    assert frame["site"].tolist()[1] == "north "  # the input is not changed


# --------------------------------------------------------------------------- quotes
def test_quotes_name_groups_only_while_the_combination_is_large_enough(tmp_path):
    run = _table_run(tmp_path, threshold=10)
    n = 60
    units = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "text": "x",
            "status": "ok",
            # Nursing 40 (of whom 35 at North, 5 at South), Admin 20 (all at South)
            "staff_group": ["Nursing"] * 40 + ["Admin"] * 20,
            "site": ["North"] * 35 + ["South"] * 25,
        }
    )
    modelled = pd.DataFrame({"id": units["id"], "topic": "0"})
    said = steps.attributions(run, units, modelled)
    assert said["r0"] == "staff group: Nursing; site: North"
    assert said["r36"] == "staff group: Nursing"  # Nursing at South: 5, too few to name
    assert said["r50"] == "staff group: Admin; site: South"
    tiny = units.assign(staff_group=["Nursing"] * 55 + ["Porter"] * 5)
    assert "r57" not in steps.attributions(run, tiny, modelled)  # a group of 5: never named


def test_a_theme_without_quotes_says_the_true_reason(tmp_path):
    run = _table_run(tmp_path, groups=("site",), threshold=10)
    units = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(30)],
            "text": "x",
            "status": "ok",
            "site": ["Tiny"] * 4 + ["Big"] * 26,
        }
    )
    modelled = pd.DataFrame({"id": units["id"], "topic": ["0"] * 4 + ["1"] * 26})
    topics = pd.DataFrame({"topic": ["0", "1", "2"], "label": ["A", "B", "C"]})
    quotes = pd.DataFrame({"topic": [], "id": []})
    notes = steps.quote_notes(run, topics, units, modelled, quotes)
    assert "from someone in a site group of fewer than 10 respondents" in notes["0"]
    # theme 1's texts come from a group of 26: never blamed on the threshold
    assert "fewer than" not in notes["1"] and "could be matched" in notes["1"]
    assert notes["2"] == "it holds no analysed text"


def test_quotes_are_chosen_again_when_their_texts_moved_to_another_theme(tmp_path):
    run = _table_run(tmp_path, groups=("site",), threshold=10, n_quotes=2)
    units = pd.DataFrame(
        {"id": [f"r{i}" for i in range(30)], "text": "x", "status": "ok", "site": "Big"}
    )
    modelled = pd.DataFrame(
        {
            "id": units["id"],
            "topic": ["0"] * 15 + ["1"] * 15,
            "probability": np.linspace(0.5, 0.99, 30),
        }
    )
    # theme 1's quotes were picked before its texts r0, r1 were placed in theme 0
    topics = pd.DataFrame({"topic": ["0", "1"], "label": ["A", "B"], "quote_ids": ["r2", "r0;r1"]})
    q = steps._quotes_table(run, topics, units, modelled)  # no embeddings: by probability
    assert q[q["topic"] == "1"]["id"].tolist() == ["r29", "r28"]
    assert q[q["topic"] == "1"]["source"].tolist()[0] == "response r29, site: Big"


def test_no_doubled_quote_marks():
    text = '“Leaders said “barriers are shattered” and "teams link".”'
    block = narrative.quote_block(text, "a source", 80)
    assert block.startswith("> “Leaders said ‘barriers are shattered’ and ‘teams link’.”")
    assert block.count("“") == 1 and block.count("”") == 1
    assert narrative.unquote("“Yes”, she said") == "“Yes”, she said"
    assert narrative.unquote("“a” and “b”") == "“a” and “b”"
    assert narrative.unquote('"It\'s fine"') == "It's fine"


def test_the_report_says_when_and_by_which_version(monkeypatch):
    from importlib.metadata import version

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 14 November 2023
    line = narrative.produced_line()
    assert line == f"Produced on 14 November 2023 by covidlearning {version('covidlearning')}."


def test_assignments_table_has_whole_topic_numbers(tmp_path):
    from covidlearning.reporting import artifacts as art

    run = _table_run(tmp_path, groups=())
    units = pd.DataFrame({"id": ["a", "b", "c"], "text": ["x y", "y z", "-"], "status": "ok"})
    units.loc[2, "status"] = "digits only"
    # as read back from a CSV: excluded rows have no topic, so the column is float
    assign = pd.DataFrame(
        {"id": ["a", "b", "c"], "topic": [1.0, 0.0, np.nan], "label": ["A", "B", None]}
    )
    topics = pd.DataFrame({"topic": [0, 1], "label": ["B", "A"], "keywords": ["y", "x"]})
    steps.write_discovery_tables(run, units, assign, topics, art.DiscoveryMetrics())
    text = (run.tables_dir / "assignments.csv").read_text()
    assert text.splitlines()[1:] == ["a,1,A", "b,0,B", "c,,"]


@pytest.mark.parametrize("bad", ["(no groups)"])
def test_quote_notes_without_groups(tmp_path, bad):
    run = _table_run(tmp_path, groups=())
    units = pd.DataFrame({"id": ["a", "b"], "text": "x", "status": ["ok", "filler"]})
    modelled = pd.DataFrame({"id": ["b"], "topic": ["0"]})
    notes = steps.quote_notes(run, pd.DataFrame({"topic": ["0"]}), units, modelled, pd.DataFrame())
    assert notes == {"0": "none of its texts is a usable answer (all were excluded)"}


# --------------------------------------------------------------------------- config checks
def test_a_misspelt_group_column_gets_a_suggestion_and_names_are_quoted(tmp_path):
    from covidlearning.config import Config
    from covidlearning.errors import InputError

    path = tmp_path / "fft.csv"
    pd.DataFrame(
        {
            "comment": ["Kind staff"] * 3,
            "Staff listening, understanding & involving patients": ["Yes"] * 3,
            "Staff Group": ["A"] * 3,
        }
    ).to_csv(path, index=False)
    cfg = Config(
        name="t",
        source="table",
        input={"path": path, "text_column": "comment", "group_columns": ["staff_group"]},
    )
    with pytest.raises(InputError) as info:
        report.check_inputs(cfg)
    msg = str(info.value)
    assert "input.group_columns: column 'staff_group' not found" in msg
    assert "(did you mean 'Staff Group'?)" in msg
    assert (
        "columns found: 'comment', 'Staff listening, understanding & involving patients', "
        "'Staff Group'" in msg
    )


def test_a_header_below_a_title_gets_its_row_in_the_config_check(tmp_path):
    from openpyxl import Workbook

    from covidlearning.config import Config
    from covidlearning.errors import InputError

    path = tmp_path / "fft.xlsx"
    wb = Workbook()
    wb.active.append(["Friends and Family Test - comments"])
    wb.active.append(["Comment", "Ward"])
    wb.active.append(["Kind staff", "Rowan Ward"])
    wb.save(path)
    cfg = Config(name="t", source="table", input={"path": path, "text_column": "Comment"})
    with pytest.raises(InputError) as info:
        report.check_inputs(cfg)
    msg = str(info.value)
    assert "input.text_column: column 'Comment' not found" in msg
    assert "the header seems to be on row 2" in msg and "Delete the 1 row above" in msg


def test_a_notebook_run_outside_the_project_names_its_config_path_parameter(tmp_path, monkeypatch):
    from covidlearning.errors import InputError

    monkeypatch.chdir(tmp_path)  # a copied notebook: no project above it
    with pytest.raises(InputError) as info:
        report.open_run("configs/seed-corpus.yaml")
    msg = str(info.value)
    assert "config file not found: configs/seed-corpus.yaml" in msg
    assert "config_path parameter" in msg and "--config" not in msg


def test_theme_by_document_figure_draws_at_most_twelve_documents(tmp_path, monkeypatch):
    from covidlearning.reporting import figures

    run = _table_run(tmp_path, groups=())
    themes = pd.DataFrame(
        {
            "topic": ["0", "1"], "label": ["A", "B"], "keywords": ["a", "b"], "size": [60, 40],
            "share": [0.6, 0.4], "ci_low": [0.5, 0.3], "ci_high": [0.7, 0.5], "documents": "",
        }
    )  # fmt: skip
    run.write_table(themes, "themes")
    by_doc = pd.DataFrame(
        [{"topic": t, "source": f"d{d:02d}", "units": d + 1} for t in "01" for d in range(20)]
    )
    run.write_table(by_doc, "theme_by_document")
    drawn = {}
    heatmap = figures.heatmap

    def spy(matrix, title, **kw):
        drawn[title] = list(matrix.columns)
        return heatmap(matrix, title, **kw)

    monkeypatch.setattr(figures, "heatmap", spy)
    narrative.Report(run).figures()
    ((title, columns),) = drawn.items()
    assert len(columns) == narrative.MAX_FIGURE_DOCUMENTS == 12
    assert set(columns) == {f"d{d:02d}" for d in range(8, 20)}  # the 12 with most units
    assert "the 12 documents with most units" in title


def test_the_units_figure_is_named_by_what_it_shows():
    import matplotlib

    matplotlib.use("Agg")
    from covidlearning.reporting import narrative
    from covidlearning.reporting.steps import UnitsSummary

    empty = pd.DataFrame()
    docs = pd.DataFrame({"doc_id": ["a", "b"], "units": [3, 5]})
    corpus = UnitsSummary(pd.DataFrame({"status": ["ok"] * 8}), docs, empty)
    table = UnitsSummary(pd.DataFrame({"status": ["ok", "ok", "filler"]}), empty, empty)
    assert narrative.units_figure_name(corpus) == "units_per_document"
    assert narrative.units_figure_name(table) == "responses_by_status"
    assert "status" in narrative.units_figure(table).axes[0].get_title(loc="left")
