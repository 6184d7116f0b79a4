"""Breakdowns by group and over time, row accounting, publishable quotes."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from covidlearning.corpus.load import load_table
from covidlearning.privacy.disclosure import SUPPRESSED
from covidlearning.privacy.redact import Redactor, scan_dir
from covidlearning.reporting import breakdown as B


def test_by_group_counts_match_a_direct_count(survey):
    bd = B.by_group(survey.assign, survey.frame, "staff_group", figure=False)
    joined = survey.assign.merge(survey.frame[["id", "staff_group"]], on="id")
    joined["staff_group"] = joined["staff_group"].replace("", "(not stated)")
    direct = joined.groupby(["staff_group", "topic"]).size()
    sizes = joined.groupby("staff_group")["id"].nunique()
    other = B.disclosure.other_groups_label(10)
    for (g, t), n in direct.items():
        if sizes[g] >= 10:
            assert bd.counts.loc[g, t] == n
    small = sizes[sizes < 10].index
    in_small = joined[joined["staff_group"].isin(small)].groupby("topic").size()
    for t in bd.counts.columns:  # the small groups are counted together, unnamed
        assert bd.counts.loc[other, t] == in_small.get(t, 0)
    assert int(bd.counts.to_numpy().sum()) == len(survey.assign)


def test_by_group_suppresses_every_small_group(survey):
    bd = B.by_group(survey.assign, survey.frame, "staff_group", threshold=10, figure=False)
    small = {"Chaplaincy", "Students", "Volunteers"}
    # no group below the threshold is named anywhere in what is published
    published = " ".join([bd.table.to_csv(), bd.wide.to_csv(), *bd.notes])
    assert not any(g in published for g in small)
    other = B.disclosure.other_groups_label(10)
    assert other in set(bd.table["group"])
    if int(bd.bases[other]) < 10:
        rows = bd.table[bd.table["group"] == other]
        assert (rows[["respondents", "count", "share"]] == SUPPRESSED).all().all()
    # every published count is at least the threshold (or a zero in a big group)
    shown = bd.table[bd.table["count"] != SUPPRESSED]
    assert ((shown["count"].astype(int) >= 10) | (shown["count"].astype(int) == 0)).all()
    assert (shown["respondents"].astype(int) >= 10).all()
    # no line with exactly one hidden cell (rows include the group size)
    full = np.column_stack([bd.mask.to_numpy(), bd.base_mask.to_numpy()])
    assert all(r.sum() != 1 for r in full) and all(c.sum() != 1 for c in full.T)
    assert bd.statement and "10" in bd.statement


def test_site_breakdown_and_threshold_change(survey):
    bd = B.by_group(survey.assign, survey.frame, "site", threshold=5, figure=False)
    assert "Dental hospital" not in set(bd.table["group"])  # 4 respondents: not named
    assert B.disclosure.other_groups_label(5) in bd.suppressed_groups  # and hidden (4 < 5)
    assert "Hospice" in set(bd.table["group"]) and "Hospice" not in bd.suppressed_groups
    with pytest.raises(KeyError, match="columns"):
        B.by_group(survey.assign, survey.frame, "nope")


def test_shares_are_counts_over_group_size(survey):
    bd = B.by_group(survey.assign, survey.frame, "site", figure=False)
    shown = bd.table[(bd.table["share"] != SUPPRESSED) & (bd.table["respondents"] != SUPPRESSED)]
    ratio = shown["count"].astype(float) / shown["respondents"].astype(float)
    assert np.allclose(shown["share"].astype(float), ratio, atol=1e-4)


def test_over_time_by_month(survey):
    bd = B.over_time(survey.assign, survey.frame, "submitted", figure=False)
    periods = bd.counts.index.tolist()
    assert periods[0] == "2020-03" and periods[-1] == "2021-12" and len(periods) == 22
    assert int(bd.counts.to_numpy().sum()) == len(survey.assign)
    assert "period" in bd.table.columns
    q = B.over_time(survey.assign, survey.frame, "submitted", freq="Q", figure=False)
    assert q.counts.index.tolist()[0] == "2020Q1" and len(q.counts) == 8
    assert q.mask.to_numpy().mean() < bd.mask.to_numpy().mean()


def test_parse_dates_uk_iso_and_junk():
    s = pd.Series(
        ["2021-03-15", "15/03/2021", "01/02/2021", "", "not a date", "2020-12-01 00:00:00"]
    )
    d = B.parse_dates(s, dayfirst=True)
    assert d[0] == pd.Timestamp("2021-03-15") and d[1] == pd.Timestamp("2021-03-15")
    assert d[2] == pd.Timestamp("2021-02-01")
    assert pd.isna(d[3]) and pd.isna(d[4]) and d[5] == pd.Timestamp("2020-12-01")
    assert B.parse_dates(pd.Series(["01/02/2021"]), dayfirst=False)[0] == pd.Timestamp("2021-01-02")
    more = B.parse_dates(pd.Series(["Jul-19", "July 2019", "2019-07", "43647", "1 July 2019"]))
    assert (more == pd.Timestamp("2019-07-01")).all()
    assert pd.isna(B.parse_dates(pd.Series(["0001-01-01"]))[0])


def test_undated_rows_are_noted():
    frame = pd.DataFrame(
        {"id": [str(i) for i in range(30)], "when": ["2021-01-05"] * 25 + [""] * 5}
    )
    assign = pd.DataFrame({"id": frame["id"], "topic": [0] * 15 + [1] * 15, "label": "x"})
    bd = B.over_time(assign, frame, "when", figure=False)
    assert any("5 analysed responses had no usable when" in n for n in bd.notes)


def test_run_summary_adds_up(survey):
    s = B.run_summary(survey.frame)
    assert s["rows_read"] == 3000
    assert s["rows_read"] == s["used"] + s["excluded"]
    assert s["excluded"] == sum(s["excluded_by_reason"].values())
    assert set(s["excluded_by_reason"]) == {"empty", "missing", "filler", "digits only"}
    expected = survey.frame["status"].value_counts()
    assert s["excluded_by_reason"]["filler"] == expected["filler"]
    assert s["excluded_by_reason"]["missing"] == expected["missing"]  # 'N/A', 'No comment'
    assert s["duplicates_flagged"] == int(survey.frame["duplicate"].sum())
    # dropping duplicates from the analysis moves them to an exclusion reason
    used = survey.frame.loc[(survey.frame["status"] == "ok") & ~survey.frame["duplicate"], "id"]
    s2 = B.run_summary(survey.frame, used)
    assert s2["excluded_by_reason"]["duplicate"] == s["duplicates_flagged"]
    assert s2["rows_read"] == s2["used"] + s2["excluded"] and s2["duplicates_used"] == 0
    table = B.summary_table(s2)
    assert table.iloc[0].tolist() == ["Rows read", 3000]
    assert "3,000 rows were read" in B.summary_text(s2)


def test_safe_quotes_filters_small_groups_and_redacts(survey):
    rows = survey.frame[survey.frame["status"] == "ok"]
    quotes = pd.DataFrame({"id": rows["id"], "quote": rows["text"]})
    r = Redactor()
    safe = B.safe_quotes(quotes, survey.frame, ["staff_group", "site"], 10, r)
    small = survey.frame["staff_group"].isin(
        ["Chaplaincy", "Students", "Volunteers"]
    ) | survey.frame["site"].isin(["Hospice", "Dental hospital"])
    assert not set(safe["id"]) & set(survey.frame.loc[small, "id"])
    joined = "\n".join(safe["quote"])
    assert not [p for p in survey.data.planted if p.secret in joined]
    assert len(r.log) > 100


def test_write_outputs_pass_the_guard(survey, tmp_path):
    bd = B.by_group(survey.assign, survey.frame, "staff_group")
    ot = B.over_time(survey.assign, survey.frame, "submitted")
    files = B.write(bd, tmp_path / "tables", tmp_path / "figures", "by_staff_group")
    files += B.write(ot, tmp_path / "tables", tmp_path / "figures", "over_time")
    names = {p.name for p in files}
    assert {"by_staff_group.csv", "by_staff_group.xlsx", "by_staff_group.png"} <= names
    assert {"over_time.svg"} <= names
    written = pd.read_csv(tmp_path / "tables" / "by_staff_group.csv", dtype=str)
    assert (written.loc[written["group"] == "Chaplaincy", "count"] == "*").all()
    assert scan_dir(tmp_path) == []
    # byte-identical on a rerun
    first = (tmp_path / "tables" / "by_staff_group.csv").read_bytes()
    svg = (tmp_path / "figures" / "over_time.svg").read_bytes()
    B.write(
        B.by_group(survey.assign, survey.frame, "staff_group"),
        tmp_path / "tables",
        tmp_path / "f2",
        "by_staff_group",
    )
    B.write(
        B.over_time(survey.assign, survey.frame, "submitted"),
        tmp_path / "t2",
        tmp_path / "f2",
        "over_time",
    )
    assert (tmp_path / "tables" / "by_staff_group.csv").read_bytes() == first
    assert (tmp_path / "f2" / "over_time.svg").read_bytes() == svg


def test_assignments_from_result_object(survey):
    result = SimpleNamespace(assignments=survey.assign, model=None, docs=None, doc_ids=None)
    bd = B.by_group(result, survey.frame, "site", figure=False)
    assert bd.keywords is None
    with pytest.raises(ValueError):
        B.assignments_of(pd.DataFrame({"x": [1]}))
    # excluded rows keep their place in a discovery's assignments with an empty topic
    mixed = pd.DataFrame(
        {"id": [1, 2, 3, 4], "topic": ["0", "", None, "-1"], "label": ["a", "", "", "x"]}
    )
    got = B.assignments_of(mixed)
    assert got["id"].tolist() == ["1", "4"] and got["topic"].tolist() == [0, -1]
    assert got["label"].tolist() == ["a", B.OUTLIER_LABEL]


def test_many_groups_figure_is_capped():
    rng = np.random.default_rng(1)
    n = 2000
    frame = pd.DataFrame(
        {
            "id": [str(i) for i in range(n)],
            "ward_code": [f"W{rng.integers(0, 60):02d}" for _ in range(n)],
        }
    )
    assign = pd.DataFrame({"id": frame["id"], "topic": rng.integers(0, 5, n), "label": "t"})
    bd = B.by_group(assign, frame, "ward_code")
    assert len(bd.counts) == 60
    assert bd.figure is not None
    labels = [t.get_text() for t in bd.figure.axes[0].get_xticklabels()]
    assert len(labels) == B.MAX_FIGURE_GROUPS == 12
    assert "largest 12 groups; all are in the table" in bd.figure.axes[0].get_title(loc="left")


@pytest.mark.parametrize("name", ["trust-template.yaml", "synthetic-trust.yaml"])
def test_trust_configs_validate(root, name):
    from covidlearning.config import load_config

    cfg = load_config(root / "configs" / name)
    assert cfg.source == "table" and cfg.input is not None
    assert cfg.input.group_columns and cfg.input.date_column
    assert cfg.disclosure.threshold == 10 and cfg.disclosure.secondary
    assert cfg.redaction.enabled and cfg.redaction.guard
    assert "reports" not in cfg.redaction.log_dir.parts
    if name == "synthetic-trust.yaml":
        assert (root / cfg.input.path).is_file()
        frame = load_table(root / cfg.input.path, cfg.input.text_column, cfg.input.id_column)
        assert set(cfg.input.group_columns) <= set(frame.columns)


def _spread(n_periods=6, per_period=55, n_themes=14, small=None):
    """Responses spread evenly over months and themes: every month has ~55 responses."""
    rows, dates = [], []
    k = 0
    for p in range(n_periods):
        size = small if small is not None and p == 0 else per_period
        for j in range(size):
            rows.append(
                {"id": f"r{k}", "topic": (j + p) % n_themes, "label": f"T{(j + p) % n_themes}"}
            )
            dates.append(f"2021-{p + 1:02d}-{1 + j % 27:02d}")
            k += 1
    assign = pd.DataFrame(rows)
    frame = pd.DataFrame({"id": assign["id"], "received": dates})
    return assign, frame


def test_over_time_caption_names_what_was_hidden_and_why():
    assign, frame = _spread(small=5)
    bd = B.over_time(assign, frame, "received", "M", keywords=False, figure=False)
    text = " ".join(bd.notes)
    # 2021-01 has 5 responses: the only period below the threshold
    assert "2021-01 has fewer than 10 responses" in text
    # 2021-02.. have ~55 responses each: never called periods below the threshold
    assert "2021-02 has fewer" not in text and "2021-03, 2021-04" in text
    # 2021-02's size is hidden so that 2021-01's cannot be worked out from the total
    assert "In 2021-02 every theme figure is hidden" in text
    assert "its size is hidden so that the size of the smaller periods" in text
    assert "large enough to count" in text
    assert "input.date_freq: Q" in text and "time_period=Q" in text
    fig = B.timeline(bd, "t")
    assert "(6 of 14 themes; all are in the table)" in fig.axes[0].get_title(loc="left")
    caption = " ".join(t.get_text() for t in fig.texts)
    assert "Periods with fewer than the threshold" not in caption
    assert "large enough to count" in caption
    quarterly = B.over_time(assign, frame, "received", "Q", keywords=False, figure=False)
    assert "time_period=Q" not in " ".join(quarterly.notes)


def test_group_heatmap_draws_every_theme_or_says_why_not():
    assign, frame = _spread()
    frame["site"] = ["North", "South", "East"] * (len(frame) // 3) + ["North"] * (len(frame) % 3)
    bd = B.by_group(assign, frame, "site", keywords=False, figure=True)
    ax = bd.figure.axes[0]
    # themes run down the figure, groups across it, so many themes never squeeze it
    assert len(ax.get_yticklabels()) == 14 and len(ax.get_xticklabels()) == 3
    capped = B.heatmap(bd, "t", max_themes=12)
    assert "largest 12 themes; all are in the table" in capped.axes[0].get_title(loc="left")
    few = B.heatmap(bd, "t", max_groups=2)
    assert len(few.axes[0].get_xticklabels()) == 2
    assert "largest 2 groups" in few.axes[0].get_title(loc="left")


def test_coded_breakdown_with_several_codes_per_response_hides_no_large_cell():
    # everyone has code A; code B: 50 at East, 3 at North, 20 at South
    ids = [f"r{i}" for i in range(190)]
    site = ["East"] * 100 + ["North"] * 50 + ["South"] * 40
    second = list(range(50)) + [100, 101, 102] + list(range(150, 170))
    rows = [{"id": i, "topic": 0, "label": "A"} for i in ids]
    rows += [{"id": ids[k], "topic": 1, "label": "B"} for k in second]
    frame = pd.DataFrame({"id": ids, "site": site})
    bd = B.by_group(pd.DataFrame(rows), frame, "site", keywords=False, figure=False)
    wide = bd.wide.set_index("group")
    assert wide.loc["North", "B"] == SUPPRESSED  # 3: primary
    assert wide.loc["South", "B"] == SUPPRESSED  # column B adds up to B's total: secondary
    # a row does not add up to its group (two codes each), so nothing more is hidden
    assert wide.loc["North", "A"] == 50 and wide.loc["South", "A"] == 40
    assert wide.loc["East", "B"] == 50


def test_no_share_is_published_over_a_hidden_group_size():
    # Tiny (5) hides its size; North's size is then hidden too (secondary), so North's
    # shares would give its size away (count / share): they are hidden as well
    ids = [f"r{i}" for i in range(215)]
    site = ["East"] * 120 + ["North"] * 90 + ["Tiny"] * 5
    assign = pd.DataFrame({"id": ids, "topic": [i % 2 for i in range(215)], "label": "x"})
    assign["label"] = assign["topic"].map({0: "A", 1: "B"})
    bd = B.by_group(assign, pd.DataFrame({"id": ids, "site": site}), "site", keywords=False)
    t = bd.table
    north = t[t["group"] == "North"]
    assert (north["respondents"] == SUPPRESSED).all()
    assert (north["share"] == SUPPRESSED).all()
    shown = t[(t["share"] != SUPPRESSED)]
    assert (shown["respondents"] != SUPPRESSED).all()
    texts = [x.get_text() for x in bd.figure.axes[0].texts]
    # North's column of the heatmap (themes are rows; East, North, Tiny columns): * only
    assert [texts[1], texts[4]] == ["*", "*"] and "%" in texts[0]
    # the notes say why North is hidden: not its themes' sizes, its own size
    notes = " ".join(bd.notes)
    assert "In North every theme figure is hidden" in notes
    assert "its size is hidden so that the size of the smaller groups cannot be" in notes
    assert "each theme there has fewer" not in notes
    assert "fewer than 10 respondents) have fewer than 10 respondents together" in notes


def test_breakdown_figures_are_drawn_in_the_report_style():
    """The heatmap and timeline use figures.py's colours, colour bar and footnotes."""
    from matplotlib.colors import to_hex
    from matplotlib.ticker import PercentFormatter

    from covidlearning.reporting import figures

    assign, frame = _spread(small=5)
    frame["site"] = ["North", "South", "East"] * (len(frame) // 3) + ["North"] * (len(frame) % 3)
    heat = B.by_group(assign, frame, "site", keywords=False).figure
    line = B.over_time(assign, frame, "received", "M", keywords=False).figure
    image = heat.axes[0].images[0]
    assert image.get_cmap().name.startswith(figures.SEQUENTIAL)
    assert to_hex(image.get_cmap().get_bad()) == figures.BLANK_COLOUR
    assert isinstance(heat.axes[1].yaxis.get_major_formatter(), PercentFormatter)
    assert to_hex(line.axes[0].lines[0].get_color()) == figures.LINE_COLOURS[0].lower()
    for fig in (heat, line):
        assert [to_hex(t.get_color()) for t in fig.texts] == [figures.NOTE_COLOUR]
