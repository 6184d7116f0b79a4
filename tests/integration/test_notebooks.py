"""Run every notebook through papermill with small parameters and check what it saved.

A small config (two of the seed documents, no stability refits) keeps this to well
under a minute after the embedding model loads.
"""

from __future__ import annotations

import shutil

import nbformat
import pandas as pd
import pytest
import yaml

from covidlearning.reporting import run as report

pytestmark = [pytest.mark.slow, pytest.mark.notebook]

DOCS = ("000_eeecd7b31482c3f7.txt", "004_e359736b1d51331a.txt")


@pytest.fixture(scope="module")
def executed(root, tmp_path_factory):
    """Execute 01 -> 04 with papermill on a two-document corpus; return the folders."""
    import papermill

    tmp = tmp_path_factory.mktemp("nb")
    raw = tmp / "raw"
    raw.mkdir()
    for name in DOCS:
        shutil.copy(root / "data" / "raw" / name, raw / name)
    frameworks = [
        str(root / "configs" / "codebooks" / n) for n in ("lsbu-10-leaps.yaml", "q-top-5.yaml")
    ]
    cfg = {
        "name": "nb-test",
        "title": "Notebook test",
        "corpus": {"raw_dir": str(raw), "processed_dir": str(tmp / "processed")},
        "discover": {"stability_runs": 0, "seed": 7, "n_quotes": 3},
        "frameworks": [f for f in frameworks if (root / f).is_file()],
        "code": {"codebook": frameworks[1]},  # and every unit coded against one of them
        "redaction": {"log_dir": str(tmp / "anonymisation")},
    }
    config = tmp / "nb-test.yaml"
    config.write_text(yaml.safe_dump(cfg))
    out, work = tmp / "out", tmp / "work"
    out.mkdir()
    for stem in report.NOTEBOOKS:
        extra = {"quotes_per_theme": 3} if stem == "04-report" else {}
        if stem == "01-corpus":
            extra = {"show_units": 2}
        papermill.execute_notebook(
            str(root / "notebooks" / f"{stem}.ipynb"),
            str(out / f"{stem}.ipynb"),
            parameters={"config_path": str(config), "out_dir": str(out), "work_dir": str(work),
                        **extra},
            kernel_name=report.kernel_name(),
            cwd=str(root),
            progress_bar=False,
            execution_timeout=900,
        )  # fmt: skip
    return out, work


def test_no_notebook_holds_an_error(executed):
    out, _ = executed
    for stem in report.NOTEBOOKS:
        nb = nbformat.read(str(out / f"{stem}.ipynb"), as_version=4)
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors, (stem, errors[:1])
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert injected, f"{stem}: papermill did not inject parameters"


def test_tables_are_consistent(executed):
    out, work = executed
    t = out / "tables"
    themes = pd.read_csv(t / "themes.csv", dtype={"topic": str})
    assign = pd.read_csv(t / "assignments.csv", dtype={"id": str, "topic": str})
    units = pd.read_parquet(work / "units.parquet")
    assert len(assign) == len(units)  # one row per unit, in order
    assert assign["id"].tolist() == units["id"].astype(str).tolist()
    modelled = assign[assign["topic"].notna()]
    assert len(themes) >= 2
    assert themes["size"].sum() == len(modelled)
    assert themes["share"].sum() == pytest.approx(1.0, abs=1e-4)
    assert (themes["ci_low"] <= themes["share"]).all() and (
        themes["share"] <= themes["ci_high"]
    ).all()
    sizes = modelled.groupby("topic").size()
    for r in themes.itertuples():
        assert sizes[r.topic] == r.size
    quotes = pd.read_csv(t / "quotes.csv", dtype={"topic": str, "id": str})
    topic_of = modelled.set_index("id")["topic"]
    assert len(quotes) and all(topic_of[q.id] == q.topic for q in quotes.itertuples())
    assert set(quotes["source"]) <= set(units["title"].astype(str))
    stance = pd.read_csv(t / "stance_by_theme.csv", dtype={"topic": str})
    assert stance["n"].sum() == len(modelled)
    by_doc = pd.read_csv(t / "theme_by_document.csv")
    assert by_doc["units"].sum() == len(modelled)
    assert set(by_doc["source"]) == set(units["doc_id"])
    for name in ("quality", "topic_similarity", "topic_map", "corpus_documents", "corpus_cleaning"):
        assert (t / f"{name}.csv").is_file(), name


def test_report_notebook_shows_every_theme_and_respects_parameters(executed):
    out, _ = executed
    nb = nbformat.read(str(out / "04-report.ipynb"), as_version=4)
    text = "\n".join(
        "".join(o.get("data", {}).get("text/markdown", ""))
        for c in nb.cells
        for o in c.get("outputs", [])
    )
    themes = pd.read_csv(out / "tables" / "themes.csv")
    for label in themes["label"]:
        assert label in text
    # at most quotes_per_theme=3 quotes per theme section
    sections = text.split("\n### ")
    for sec in sections:
        assert sec.count("\n> “") <= 3
    for name in ("theme_sizes", "theme_by_document", "stance_by_theme"):
        assert (out / "figures" / f"{name}.png").is_file(), name
        assert (out / "figures" / f"{name}.svg").is_file(), name


def test_code_codebook_is_coded_and_reported(executed):
    out, work = executed
    units = pd.read_parquet(work / "units.parquet")
    coded = pd.read_csv(out / "tables" / "coding_assignments.csv", dtype=str)
    assert coded["id"].tolist() == units["id"].astype(str).tolist()
    themes = pd.read_csv(out / "tables" / "coding_themes.csv", dtype=str)
    assert len(themes) == 6 and themes["theme_id"].iloc[-1] == "unassigned"  # 5 + unassigned
    ok = coded[coded["status"] == "ok"]
    main = ok["themes"].str.split(";").str[0].value_counts()
    assert [int(main.get(t, 0)) for t in themes["theme_id"]] == themes["main_theme"].astype(
        int
    ).tolist()  # documents: nothing suppressed, counts are the codes
    nb = nbformat.read(str(out / "04-report.ipynb"), as_version=4)
    text = "\n".join(
        "".join(o.get("data", {}).get("text/markdown", ""))
        for c in nb.cells
        for o in c.get("outputs", [])
    )
    assert "## Coded against Q community top 5" in text
    assert "Champion structured approaches to learning" in text
