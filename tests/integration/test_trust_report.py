"""End to end: `covidlearning report --config configs/synthetic-trust.yaml` on the synthetic
trust survey. Checks what a trust evaluator must be able to rely on before publishing:
no planted identifier anywhere under reports/<name>/, every small group suppressed, no
quote from a small group, and row accounting that adds up.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from covidlearning.corpus.load import load_table
from covidlearning.privacy.redact import file_chunks, scan_dir
from covidlearning.testing.synthetic import SITES, STAFF_GROUPS, generate

pytestmark = [pytest.mark.slow, pytest.mark.notebook]

SMALL_GROUPS = {n for n, w in STAFF_GROUPS if isinstance(w, int)}
SMALL_SITES = {n for n, w in SITES if isinstance(w, int)}


CODEBOOK = {
    "name": "What to keep",
    "themes": [
        {"id": "flex", "name": "Flexible and home working",
         "definition": "Working from home, flexible hours, remote or hybrid working."},
        {"id": "digital", "name": "Digital tools",
         "definition": "Video calls, online meetings, laptops, apps and other technology."},
        {"id": "wellbeing", "name": "Staff wellbeing",
         "definition": "Rest areas, psychological support, breaks and looking after staff."},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def run(root: Path, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("trust")
    cfg = yaml.safe_load((root / "configs" / "synthetic-trust.yaml").read_text())
    cfg["input"]["path"] = str(root / cfg["input"]["path"])
    cfg["reports_dir"] = str(tmp / "reports")
    cfg["redaction"]["log_dir"] = str(tmp / "anonymisation")
    cfg.setdefault("discover", {})["stability_runs"] = 0  # keep the test quick
    cfg["discover"]["refine"] = False  # (test_discover covers the refinement)
    codebook = tmp / "keep.yaml"  # the evaluator's own framework, under code.codebook
    codebook.write_text(yaml.safe_dump(CODEBOOK, sort_keys=False))
    cfg.setdefault("code", {})["codebook"] = str(codebook)
    path = tmp / "synthetic-trust.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    from covidlearning.cli import run as cli

    code = cli(["report", "--config", str(path), "--work-dir", str(tmp / "work"), "--quiet"])
    assert code == 0, "covidlearning report failed"
    out = tmp / "reports" / cfg["name"]
    return {"out": out, "tmp": tmp, "cfg": cfg, "data": generate()}


_BASE64 = re.compile(r"(?:data:[\w/+.-]+;base64,|\"image/png\": \")[A-Za-z0-9+/=\\n\s]+")


def _all_text(folder: Path) -> str:
    """Every readable text of every file (tables, xlsx cells, notebooks, HTML, SVG...),
    plus the raw text of every text file (attributes, markup) without embedded images.
    """
    chunks = []
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        chunks.extend(text for _, text in file_chunks(f))
        if f.suffix.lower() not in {".png", ".xlsx", ".parquet"}:
            raw = f.read_bytes().decode("utf-8", errors="replace")
            chunks.append(_BASE64.sub(" ", raw))
    return "\n".join(chunks)


def test_report_exists(run):
    out = run["out"]
    assert (out / "report.html").is_file()
    assert (out / "tables" / "run_summary.csv").is_file()
    # two levels: the page says how subthemes were grouped (by subject, not by tone)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "marked by the same distinctive words (what they are about, praised or not)" in page


def test_executed_notebooks_hold_no_progress_bars(run):
    """Steps inside the notebooks report progress to the runner, not into their outputs."""
    import nbformat

    for path in sorted(run["out"].glob("0*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        streams = [
            o.get("text", "")
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.get("outputs", [])
            if o.get("output_type") == "stream"
        ]
        assert not any(re.search(r"\d+/\d+ \[|it/s|text/s", s) for s in streams), path.name
        assert path.stat().st_size < 200_000 or path.name == "04-report.ipynb", path.name


def test_no_planted_identifier_anywhere(run):
    text = _all_text(run["out"])
    low = text.lower()
    leaks = [p for p in run["data"].planted if p.secret.lower() in low]
    assert leaks == [], f"{len(leaks)} planted identifiers reached the report"
    # and the final guard agrees
    assert scan_dir(run["out"]) == []


def test_anonymisation_log_is_outside_reports_and_keeps_decoys(run):
    logs = list((run["tmp"] / "anonymisation").glob("*.csv"))
    assert logs, "no anonymisation log written"
    assert not list(run["out"].rglob("*anonymis*"))
    originals = set()
    for f in logs:
        originals |= set(pd.read_csv(f, dtype=str)["original"].dropna())
    assert not originals & set(run["data"].decoys)


def _breakdown(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)


def test_small_groups_suppressed(run):
    for name, small in (("breakdown_staff_group", SMALL_GROUPS), ("breakdown_site", SMALL_SITES)):
        t = _breakdown(run["out"], name)
        # a group under the threshold is never named: its respondents are counted in one
        # unnamed row with the other small groups (issue #20)
        assert not set(t["group"]) & small
        assert t["group"].str.startswith("Other groups (each fewer than 10").any()
        shown = t[t["count"] != "*"]
        assert ((shown["count"].astype(int) >= 10) | (shown["count"].astype(int) == 0)).all()


def test_over_time_by_a_period_that_shows_most_figures(run):
    # config: by month; ~120 responses a month over ~40 themes hide most monthly figures,
    # so the report takes a longer period and says so
    # (the breakdown is by top-level theme since themes have subthemes: whether months
    # hide most figures depends on how many themes there are, so either period may come)
    t = _breakdown(run["out"], "breakdown_over_time")
    periods = sorted(set(t["period"]))
    assert periods[0].startswith("2020") and periods[-1].startswith("2021")
    hidden = (t["count"] == "*").mean()
    assert hidden <= 0.5
    page = (run["out"] / "report.html").read_text(encoding="utf-8")
    if all(re.fullmatch(r"\d{4}-\d{2}", p) for p in periods):
        assert "not by month:" not in page
    else:
        assert all(re.fullmatch(r"\d{4}(Q\d)?", p) for p in periods), periods
        assert "not by month:" in page and "of the figures by month would be hidden" in page
    shown = t[t["count"] != "*"]
    counts = shown["count"].astype(int)
    assert ((counts >= 10) | (counts == 0)).all()


def test_no_quote_from_a_small_group(run, root):
    frame = load_table(root / run["cfg"]["input"]["path"], "answer", "response_id")
    small = frame["staff_group"].isin(SMALL_GROUPS) | frame["site"].isin(SMALL_SITES)
    small_ids = set(frame.loc[small, "id"])
    quotes = pd.read_csv(run["out"] / "tables" / "quotes.csv", dtype=str, keep_default_na=False)
    assert len(quotes) > 0
    assert not set(quotes["id"]) & small_ids


def test_row_accounting_adds_up(run, root):
    frame = load_table(root / run["cfg"]["input"]["path"], "answer", "response_id")
    t = pd.read_csv(run["out"] / "tables" / "run_summary.csv", dtype=str, keep_default_na=False)
    values = dict(zip(t.iloc[:, 0], t.iloc[:, 1].astype(int), strict=True))
    assert values["Rows read"] == len(frame) == 3000
    excluded = {k: v for k, v in values.items() if k.startswith("Excluded:")}
    assert sum(excluded.values()) == values["Rows excluded in total"]
    assert values["Rows analysed"] + values["Rows excluded in total"] == 3000
    status = frame["status"].value_counts()
    assert values["Rows analysed"] <= status["ok"]
    for reason, label in (
        ("empty", "empty"), ("filler", "filler"), ("digits only", "digits"),
        ("missing", "non-answers"),  # 'N/A', 'No comment': input.missing_values
    ):  # fmt: skip
        match = [v for k, v in excluded.items() if re.search(label, k)]
        assert match == [int(status[reason])]
    assert values["Duplicates flagged (same text as an earlier row)"] == int(
        frame["duplicate"].sum()
    )


def test_code_codebook_codes_every_response(run, root):
    """``code: codebook:`` codes each analysed response; tables and section are published."""
    out, tables = run["out"], run["out"] / "tables"
    units = pd.read_csv(tables / "assignments.csv", dtype=str, keep_default_na=False)
    coded = pd.read_csv(tables / "coding_assignments.csv", dtype=str, keep_default_na=False)
    assert set(coded["id"]) == set(units["id"])  # every analysed response, once
    ok = coded[coded["status"] == "ok"]
    assert len(ok) > 0.9 * len(coded)
    allowed = {"flex", "digital", "wellbeing", "unassigned"}
    assert {t for v in ok["themes"] for t in v.split(";")} <= allowed
    themes = pd.read_csv(tables / "coding_themes.csv", dtype=str, keep_default_na=False)
    assert themes["theme_id"].tolist() == ["flex", "digital", "wellbeing", "unassigned"]
    first = ok["themes"].str.split(";").str[0].value_counts()
    anyp = ok["themes"].str.split(";").explode().value_counts()
    for r in themes.itertuples():  # whole-population counts: exact, never hidden
        assert r.main_theme == str(int(first.get(r.theme_id, 0)))
        assert r.units == str(int(anyp.get(r.theme_id, 0)))
    assert int(themes.loc[0, "main_theme"]) > 100  # flexible working is a big theme
    by_group = _breakdown(out, "coding_by_staff_group")
    assert not set(by_group["group"]) & SMALL_GROUPS  # never named (issue #20)
    assert by_group["group"].str.startswith("Other groups").any()
    frame = load_table(root / run["cfg"]["input"]["path"], "answer", "response_id")
    small = frame["staff_group"].isin(SMALL_GROUPS) | frame["site"].isin(SMALL_SITES)
    quotes = pd.read_csv(tables / "coding_quotes.csv", dtype=str, keep_default_na=False)
    assert len(quotes) and not set(quotes["id"]) & set(frame.loc[small, "id"])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Coded against What to keep" in html and "Flexible and home working" in html
    manifest = yaml.safe_load((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["coding"]["codebook"] == "keep.yaml"
    assert "keep.yaml" in " ".join(manifest["inputs_sha256"])


def test_one_disclosure_policy_throughout_the_report(run):
    """What the report says it does is what it does (disclosure.py's one policy)."""
    out, tables = run["out"], run["out"] / "tables"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "every figure for a group, period or theme" not in html
    assert "Periods with fewer than the threshold" not in html
    themes = pd.read_csv(tables / "themes.csv", dtype=str, keep_default_na=False)
    assert "*" not in set(themes["size"])  # theme sizes over all responses: exact
    stance = pd.read_csv(tables / "stance_by_theme.csv", dtype=str, keep_default_na=False)
    small = stance["n"].astype(int) < 10
    assert (stance.loc[small, "keep_share"] == "*").all()
    assert (stance.loc[~small, "keep_share"] != "*").all()
    # a key finding on stance names counts of at least the threshold
    for m in re.finditer(r"\((\d+)%, (\d+) of its (\d+) responses\)", html):
        assert int(m.group(2)) >= 10 and int(m.group(3)) >= 10
    # every theme with enough quotable responses shows n_quotes quotes
    quotes = pd.read_csv(tables / "quotes.csv", dtype=str, keep_default_na=False)
    per_theme = quotes.groupby("topic").size()
    big = themes[themes["size"].astype(int) >= 60]["topic"]
    assert (per_theme.reindex(big, fill_value=0) == run["cfg"]["discover"]["n_quotes"]).all()
