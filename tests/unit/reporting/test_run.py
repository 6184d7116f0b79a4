"""The report runner, parameters, HTML, manifest, stance/sentiment, figures and tables.

Fast tests use no kernel. Tests marked ``notebook`` run tiny stand-in notebooks through
the real runner (papermill + a kernel), so failure handling and the atomic swap are
checked without loading the embedding model.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from covidlearning.coding import stance as sentiment
from covidlearning.corpus.load import HEAD_ROWS, read_table_head
from covidlearning.errors import InputError
from covidlearning.reporting import figures
from covidlearning.reporting import run as report
from covidlearning.reporting import steps as analysis


def test_wilson_interval_matches_published_values():
    # Newcombe (1998), table I: 81/263 -> 0.2553 to 0.3662 (Wilson score)
    lo, hi = analysis.wilson(81, 263)
    assert lo == pytest.approx(0.2553, abs=5e-4)
    assert hi == pytest.approx(0.3662, abs=5e-4)
    lo, hi = analysis.wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=5e-4)
    assert analysis.wilson(0, 0) == (0.0, 0.0)


def test_classical_mds_recovers_distances_and_is_deterministic():
    pts = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0], [3.0, 4.0]])
    d = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    xy = analysis.classical_mds(d)
    d2 = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    assert np.allclose(d, d2, atol=1e-5)
    assert np.array_equal(xy, analysis.classical_mds(d))


def test_coerce_keeps_strings_and_converts_declared_types():
    assert report.coerce("site", "007", "str") == "007"
    assert report.coerce("site", 7, "str") == "7"
    assert report.coerce("n", "12", "int") == 12
    assert report.coerce("x", "0.5", "float") == 0.5
    assert report.coerce("flag", "false", "bool") is False
    assert report.coerce("flag", "yes", "bool") is True
    with pytest.raises(InputError, match="must be int"):
        report.coerce("n", "twelve", "int")
    with pytest.raises(InputError, match="must be bool"):
        report.coerce("flag", "maybe", "bool")


def test_parse_overrides():
    assert report.parse_overrides(["site=007", "note=a=b"]) == {"site": "007", "note": "a=b"}
    with pytest.raises(InputError, match="NAME=VALUE"):
        report.parse_overrides(["oops"])


def _notebook(path: Path, params: str, body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# test"), cell, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, str(path))
    return path


RUNNER_PARAMS = (
    'config_path: str = "c.yaml"  # config\n'
    'out_dir: str = ""  # report folder\n'
    'work_dir: str = ""  # work folder\n'
)


def test_plan_parameters_checks_against_the_parameters_cell(tmp_path):
    a = _notebook(tmp_path / "a.ipynb", RUNNER_PARAMS + 'site: str = "001"  # a site code\n', "")
    b = _notebook(tmp_path / "b.ipynb", RUNNER_PARAMS + "n: int = 3  # how many\n", "")
    runner = {"config_path": "/x.yaml", "out_dir": "/o", "work_dir": "/w"}
    plan = report.plan_parameters({"a": a, "b": b}, {"site": "007", "n": "5"}, runner)
    assert plan["a"] == {**runner, "site": "007"}
    assert plan["b"] == {**runner, "n": 5}
    with pytest.raises(InputError, match="unknown notebook parameter 'sites'.*site"):
        report.plan_parameters({"a": a, "b": b}, {"sites": "1"}, runner)
    with pytest.raises(InputError, match="set by the report runner"):
        report.plan_parameters({"a": a}, {"out_dir": "/elsewhere"}, runner)
    bare = _notebook(tmp_path / "bare.ipynb", "x: int = 1\n", "")
    with pytest.raises(InputError, match="no parameter"):
        report.plan_parameters({"bare": bare}, {}, runner)


def test_shipped_notebooks_declare_typed_commented_parameters(root):
    for stem in report.NOTEBOOKS:
        params = report.notebook_parameters(root / "notebooks" / f"{stem}.ipynb")
        for name in report.RUNNER_PARAMETERS:
            assert name in params, (stem, name)
        for name, p in params.items():
            assert p["inferred_type_name"] in {"str", "int", "float", "bool"}, (stem, name)
            assert p["help"].strip(), f"{stem}: parameter {name} has no comment"
        nb = nbformat.read(str(root / "notebooks" / f"{stem}.ipynb"), as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1
        lines = [x for x in tagged[0].source.splitlines() if x.strip() and not x.startswith("#")]
        assert len(lines) == len(params), f"{stem}: papermill could not parse every parameter"
        # no derived values: every line of the parameters cell is a literal assignment
        for line in tagged[0].source.splitlines():
            if line.strip() and not line.startswith("#"):
                value = line.split("=", 1)[1].split("#", 1)[0].strip()
                assert value[0] in "\"'-0123456789TF", (stem, line)
        assert (root / "notebooks" / f"{stem}.py").is_file(), "jupytext pair missing"
        assert nb.metadata["jupytext"]["formats"] == "ipynb,py:percent"


def test_notebooks_hold_no_logic_of_their_own(root):
    """Code cells only call the package: no def, class, loops over data or imports of pandas."""
    for stem in report.NOTEBOOKS:
        nb = nbformat.read(str(root / "notebooks" / f"{stem}.ipynb"), as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for bad in ("def ", "class ", "import pandas", "import numpy", "lambda"):
                assert bad not in cell.source, (stem, cell.source)


def test_open_run_from_the_notebooks_folder_moves_to_the_project_root(root, tmp_path, monkeypatch):
    monkeypatch.chdir(root / "notebooks")
    run = report.open_run("configs/seed-corpus.yaml", str(tmp_path / "out"), str(tmp_path / "w"))
    assert Path.cwd() == root
    assert run.config.name == "seed-corpus"
    assert run.tables_dir.is_dir() and run.figures_dir.is_dir() and run.work_dir.is_dir()
    assert report.report_dir(run.config) == Path("reports/seed-corpus")
    assert report.default_work_dir(run.config) == Path("data/interim/seed-corpus")


def test_check_inputs_fails_before_running(tmp_path):
    from covidlearning.config import Config

    with pytest.raises(InputError, match="corpus folder not found"):
        report.check_inputs(Config(name="x", corpus={"raw_dir": tmp_path / "nope"}))
    (tmp_path / "raw").mkdir()
    with pytest.raises(InputError, match="empty"):
        report.check_inputs(Config(name="x", corpus={"raw_dir": tmp_path / "raw"}))
    (tmp_path / "raw" / "a.txt").write_text("hello")
    with pytest.raises(InputError, match="not found: .*missing.yaml"):
        report.check_inputs(
            Config(
                name="x",
                corpus={"raw_dir": tmp_path / "raw"},
                frameworks=[tmp_path / "missing.yaml"],
            )
        )
    with pytest.raises(InputError, match="no input section"):
        report.check_inputs(Config(name="x", source="table"))


def test_cli_bad_config_and_unknown_parameter(tmp_path, capsys, monkeypatch, root):
    from covidlearning.cli import run

    assert run(["report", "--config", str(tmp_path / "none.yaml")]) == 2
    assert "config file not found" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nbogus: 1\n")
    assert run(["report", "--config", str(bad)]) == 2
    assert "bogus" in capsys.readouterr().err
    monkeypatch.chdir(root)
    cfg = tmp_path / "seed.yaml"
    cfg.write_text("name: seed-corpus\ncorpus: {raw_dir: data/raw}\n")
    code = run(
        ["report", "--config", str(cfg), "-p", "no_such=1",
         "--reports-dir", str(tmp_path / "r"), "--work-dir", str(tmp_path / "w")]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "unknown notebook parameter 'no_such'" in err
    assert "quotes_per_theme" in err  # the message lists the known ones
    assert not (tmp_path / "r" / "seed-corpus").exists()


_BODY_OK = """
import json, pathlib
from covidlearning.reporting import run as report
run = report.open_run(config_path, out_dir, work_dir)
(run.tables_dir / "{stem}.csv").write_text("a,b\\n1,{stem}\\n")
(run.work_dir / "{stem}.done").write_text(repr(site))
print("ran {stem}", repr(site))
"""


@pytest.fixture
def fake_notebooks(tmp_path, monkeypatch):
    """Four stand-in notebooks with the real runner contract; 03 fails when asked to."""
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    for stem in report.NOTEBOOKS:
        params = RUNNER_PARAMS + (
            'site: str = "001"  # a site code\nfail: bool = False  # fail?\n'
            "leak: bool = False  # write an identifier?\n"
        )
        body = _BODY_OK.format(stem=stem)
        if stem == "03-code":
            body += "\nif fail:\n    raise ValueError('boom in 03')\n"
        if stem == "04-report":
            body += (
                "\nfrom IPython.display import Markdown, display\n"
                "display(Markdown('# Report for site ' + site))\n"
                "import matplotlib\nmatplotlib.use('Agg')\n"
                "from covidlearning.reporting import figures\n"
                "import pandas as pd\n"
                "t = pd.DataFrame({'label': ['A', 'B'], 'size': [3, 1], 'share': [0.75, 0.25],"
                " 'ci_low': [0.3, 0.05], 'ci_high': [0.95, 0.7]})\n"
                "run.figure(figures.theme_sizes(t), 'theme_sizes')\n"
                "if leak:\n"
                "    who = 'jo.bloggs' + chr(64) + 'example.org'\n"
                "    (run.tables_dir / 'leak.csv').write_text('q\\n' + who + '\\n')\n"
            )
        _notebook(nbdir / f"{stem}.ipynb", params, body)
    monkeypatch.setattr(report, "notebooks_dir", lambda: nbdir)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "doc.txt").write_text("Some text about keeping video clinics.\n")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(
        f"name: demo\ntitle: Demo\ncorpus: {{raw_dir: {raw}}}\n"
        f"reports_dir: {tmp_path / 'reports'}\ncell_timeout: 60\n"
    )
    return cfg


@pytest.mark.notebook
def test_runner_publishes_html_tables_manifest_and_keeps_strings(fake_notebooks, tmp_path):
    out = report.run_report(
        fake_notebooks, overrides={"site": "007"}, work_dir=tmp_path / "work", kernel="python3",
        progress=False, log=lambda m: None,
    )  # fmt: skip
    assert out == tmp_path / "reports" / "demo"
    for stem in report.NOTEBOOKS:
        assert (out / f"{stem}.ipynb").is_file()
        assert (out / "tables" / f"{stem}.csv").is_file()
        assert (tmp_path / "work" / f"{stem}.done").read_text() == "'007'"  # a str, not 7
    html = (out / "report.html").read_text()
    assert "Report for site 007" in html
    assert 'src="data:image/png;base64,' in html
    assert '<script src="http' not in html and "cdnjs" not in html
    assert "import json" not in html  # code hidden
    assert (out / "figures" / "theme_sizes.png").is_file()
    assert (out / "figures" / "theme_sizes.svg").is_file()
    assert (out / "tables" / "report-tables.xlsx").is_file()
    m = json.loads((out / "manifest.json").read_text())
    assert m["overrides"] == {"site": "007"}
    assert m["parameters"]["01-corpus"]["site"] == "007"
    assert set(m["timings"]) >= set(report.NOTEBOOKS) | {"total"}
    raw_file = str(Path(m["config"]["corpus"]["raw_dir"]) / "doc.txt")
    assert any(k.endswith("doc.txt") for k in m["inputs_sha256"]), raw_file
    assert m["seed"] == 42 and m["package_versions"]["papermill"] != "not installed"


@pytest.mark.notebook
def test_failing_cell_names_notebook_and_cell_and_keeps_previous_report(fake_notebooks, tmp_path):
    out = report.run_report(
        fake_notebooks, work_dir=tmp_path / "work", kernel="python3", progress=False,
        log=lambda m: None,
    )  # fmt: skip
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(report.ReportFailed) as info:
        report.run_report(
            fake_notebooks, overrides={"fail": "true"}, work_dir=tmp_path / "work",
            kernel="python3", progress=False, log=lambda m: None,
        )  # fmt: skip
    msg = str(info.value)
    assert "03-code.ipynb" in msg and "code cell 2" in msg and "boom in 03" in msg
    saved = tmp_path / "reports" / ".failed" / "demo" / "03-code.ipynb"
    assert saved.is_file() and str(saved) in msg
    nb = nbformat.read(str(saved), as_version=4)
    assert any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # previous report intact
    leftovers = [p.name for p in out.parent.iterdir() if ".tmp-" in p.name]
    assert leftovers == []


@pytest.mark.notebook
def test_cli_failure_exit_code_and_message(fake_notebooks, tmp_path, capsys):
    from covidlearning.cli import run

    code = run(
        ["report", "--config", str(fake_notebooks), "-p", "fail=yes", "--kernel", "python3",
         "--work-dir", str(tmp_path / "w"), "-q"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert "error: notebook 03-code.ipynb failed at code cell 2" in err
    assert "Traceback" not in err


def test_to_html_hides_code_and_warnings_and_embeds_images(tmp_path):
    nb = nbformat.v4.new_notebook()
    png = (Path(__file__).parent / "_tiny.png") if False else None
    del png
    code = nbformat.v4.new_code_cell("secret_code = 1")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: noisy\n"),
        nbformat.v4.new_output("display_data", data={"text/markdown": "## Visible heading"}),
    ]
    params = nbformat.v4.new_code_cell("config_path = 'x'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, code]
    src = tmp_path / "r.ipynb"
    nbformat.write(nb, str(src))
    report.to_html(src, tmp_path / "r.html", "Title")
    html = (tmp_path / "r.html").read_text()
    assert "Visible heading" in html
    assert "secret_code" not in html and "noisy" not in html and "config_path" not in html
    assert "cdnjs.cloudflare.com" not in html


@pytest.mark.parametrize(
    ("text", "section", "stance", "source"),
    [
        ("We are hoping to keep this going as it improved team spirit.", "", "keep", "cue in text"),
        ("I think we will continue to offer patients a choice.", "", "keep", "cue in text"),
        ("Never bring back face to face appts unless necessary.", "", "not repeat", "cue in text"),
        ("Some obtuse targets have disappeared, let's not reinstate them.", "", "not repeat",
         "cue in text"),
        ("We don't want to go back to silos.", "", "not repeat", "cue in text"),
        ("The neglect of care homes by the system.", "We mustn't forget", "not repeat",
         "cue in section heading"),
        ("It has been wonderful and inspiring to work together.", "", "keep", "positive sentiment"),
        ("Terrible shortages, awful stress and anger.", "", "not repeat", "negative sentiment"),
        ("Clinics moved to a different building.", "", "neutral", "no cue, mild sentiment"),
        ("Keep the huddles but never again the PPE chaos, and we must stop the memos.", "",
         "not repeat", "cue in text"),
        ("Keep the rest rooms, as it stopped people burning out.", "", "keep", "cue in text"),
        ("The bureaucracy that has been avoided is stunning.", "", "neutral",
         "no cue, mild sentiment"),
    ],
)  # fmt: skip
def test_stance_rules(text, section, stance, source):
    s = sentiment.stance(text, section)
    assert (s.stance, s.source) == (stance, source)


def test_vader_works_offline_and_scores_direction():
    assert sentiment.compound("This is wonderful, great and helpful") > 0.5
    assert sentiment.compound("This is terrible, awful and harmful") < -0.5
    assert sentiment.compound("") == 0.0


def test_words_of_improvement_are_no_complaint_and_no_praise():
    # VADER alone: "Nothing to improve" -0.34 (not repeat), "Better signage" +0.44
    for text in ("Nothing to improve.", "Couldn't be improved.", "Better signage."):
        assert abs(sentiment.compound(text)) < 0.05, text
        assert sentiment.stance(text).stance == "neutral"
    assert sentiment.compound("It improved team spirit, wonderful.") > 0.35


def test_stance_by_theme_counts_and_shares():
    units = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "text": ["keep this", "never again", "keep it going", "a building"],
            "section": ["", "", "", ""],
        }
    )
    scored = sentiment.score_texts(units)
    assign = pd.DataFrame(
        {"id": ["a", "b", "c", "d"], "topic": ["0", "0", "1", ""], "label": ["X", "X", "Y", ""]}
    )
    t = sentiment.by_theme(scored, assign)
    assert t["topic"].tolist() == ["0", "1"]
    assert t.loc[0, "n"] == 2 and t.loc[0, "keep_n"] == 1 and t.loc[0, "not repeat_n"] == 1
    assert t.loc[0, "keep_share"] == 0.5 and t.loc[1, "keep_share"] == 1.0


def _themes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": ["Video consultations", "Staff wellbeing", "Less bureaucracy"],
            "size": [40, 25, 10],
            "share": [0.53, 0.33, 0.13],
            "ci_low": [0.42, 0.24, 0.07],
            "ci_high": [0.64, 0.44, 0.23],
        }
    )


def test_figures_are_byte_identical_for_the_same_data(tmp_path):
    a = figures.save(figures.theme_sizes(_themes()), tmp_path / "a", "f")
    b = figures.save(figures.theme_sizes(_themes()), tmp_path / "b", "f")
    for kind in ("png", "svg"):
        assert a[kind].read_bytes() == b[kind].read_bytes(), kind
    svg = a["svg"].read_text()
    assert "<dc:date>" not in svg
    assert a["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_all_figure_kinds_render(tmp_path):
    m = pd.DataFrame([[1, 0], [3, 5]], index=["T1", "T2"], columns=["Doc A", "Doc B"])
    coords = pd.DataFrame(
        {"label": ["A", "B", "C"], "x": [0, 1, 0.5], "y": [0, 0, 1], "size": [3, 2, 1]}
    )
    stance = pd.DataFrame(
        {"label": ["A", "B"], "keep_share": [0.6, 0.1], "not repeat_share": [0.2, 0.7],
         "mixed_share": [0.0, 0.1], "neutral_share": [0.2, 0.1], "mean_compound": [0.4, -0.3]}
    )  # fmt: skip
    made = [
        figures.heatmap(m, "Heat", cbar_label="units"),
        figures.similarity_map(coords),
        figures.stance_by_theme(stance),
        figures.units_per_document(pd.Series([3, 5], index=["a", "b"])),
        figures.over_time(
            pd.DataFrame({"A": [0.2, "*"], "B": [0.5, 0.4]}, index=["2020-04", "2020-05"])
        ),
    ]
    for k, fig in enumerate(made):
        paths = figures.save(fig, tmp_path, f"f{k}")
        assert paths["png"].stat().st_size > 5000
    assert figures.OKABE_ITO[0] == "#E69F00"


def test_tables_workbook_is_byte_stable(tmp_path):
    import time

    t = tmp_path / "tables"
    t.mkdir()
    (t / "themes.csv").write_text("topic,label,size\n0,Video clinics,12\n1,007 site,3\n")
    first = report.tables_workbook(t).read_bytes()
    time.sleep(1.1)
    second = report.tables_workbook(t).read_bytes()
    assert first == second
    back = pd.read_excel(t / "report-tables.xlsx", sheet_name="themes", dtype=str)
    assert back["label"].tolist() == ["Video clinics", "007 site"]


def test_tables_workbook_keeps_numbers_as_numbers_and_codes_as_text(tmp_path):
    from openpyxl import load_workbook

    t = tmp_path / "tables"
    t.mkdir()
    (t / "breakdown.csv").write_text(
        "group,code,n,share,ref,theme_id,big\n"
        "Rowan,007,948,0.2764,1.10,3,12345678901234567\n"
        "Ash,012,*,*,1.1,4,1\n"
        "Oak,100,12,,2,5,2\n"
    )
    rows = list(load_workbook(report.tables_workbook(t))["breakdown"].values)
    # a sum or a pivot table can use the figures; codes, ids, long numbers stay as written
    assert rows[1] == ("Rowan", "007", 948, 0.2764, "1.10", "3", "12345678901234567")
    assert rows[2] == ("Ash", "012", "*", "*", "1.1", "4", "1")
    assert rows[3][2] == 12 and rows[3][3] in (None, "")


def test_framework_alignment_matched_missed_new():
    t = pd.DataFrame(
        {
            "kind": ["theme", "theme", "theme", "topic", "topic", "topic"],
            "id": ["a", "b", "c", "0", "1", "2"],
            "label": ["Video", "Wellbeing", "Red tape", "Remote clinics", "Staff rest", "Parking"],
            "sim:a": [np.nan] * 3 + [0.8, 0.3, 0.2],
            "sim:b": [np.nan] * 3 + [0.4, 0.7, 0.3],
            "sim:c": [np.nan] * 3 + [0.5, 0.6, 0.3],  # related to two topics, nobody's closest
        }
    )
    al = analysis.framework_alignment(t, cut=0.45)
    assert al["matched"]["framework_theme"].tolist() == ["Video", "Wellbeing"]
    assert al["matched"]["discovered"].tolist() == ["Remote clinics", "Staff rest"]
    assert al["missed"].to_dict("records") == [
        {"framework_theme": "Red tape", "closest": "Staff rest", "similarity": 0.6}
    ]
    assert al["new"]["discovered"].tolist() == ["Parking"]


def test_framework_summary_agrees_with_its_counts():
    from types import SimpleNamespace

    t = pd.DataFrame(
        {
            "kind": ["theme", "theme", "topic", "topic"],
            "id": ["a", "b", "0", "1"],
            "label": ["Video", "Red tape", "Remote clinics", "Parking"],
            "sim:a": [np.nan, np.nan, 0.8, 0.2],
            "sim:b": [np.nan, np.nan, 0.3, 0.3],
        }
    )
    book = SimpleNamespace(
        name="Leaps",
        themes=[SimpleNamespace(id="a", name="Video"), SimpleNamespace(id="b", name="Red tape")],
    )
    shown = []
    run = SimpleNamespace(figure=lambda fig, name, alt: shown.append(name))
    story = analysis._framework_story(run, book, t, pd.DataFrame(), "framework_leaps", 0.45)
    # one matched, one missed, one new: "1 of 2 ... is found", "1 is not", "1 ... theme is"
    assert story["summary"] == (
        "Against *Leaps*: 1 of 2 framework themes is found in the data, 1 is not, and 1 "
        "discovered theme is outside the framework."
    )
    assert shown == ["framework_leaps"]


@pytest.mark.notebook
def test_guard_blocks_publication_of_an_identifier(fake_notebooks, tmp_path):
    from covidlearning.privacy.redact import IdentifierLeak

    out = report.run_report(
        fake_notebooks, work_dir=tmp_path / "work", kernel="python3", progress=False,
        log=lambda m: None,
    )  # fmt: skip
    before = sorted(p.name for p in out.rglob("*"))
    with pytest.raises(IdentifierLeak):
        report.run_report(
            fake_notebooks, overrides={"leak": "true"}, work_dir=tmp_path / "work",
            kernel="python3", progress=False, log=lambda m: None,
        )  # fmt: skip
    assert sorted(p.name for p in out.rglob("*")) == before
    assert not (out / "tables" / "leak.csv").exists()


@pytest.mark.notebook
def test_kernel_runs_quietly_over_private_sockets(tmp_path, capfd):
    """No ``[IPKernelApp] WARNING | Kernel is running over TCP without encryption``."""
    nb = _notebook(tmp_path / "q.ipynb", RUNNER_PARAMS, "print('hello from the kernel')")
    report.execute(nb, tmp_path / "out.ipynb", {}, tmp_path / "failed", 60, "python3", False)
    err = capfd.readouterr().err
    assert "without encryption" not in err and "IPKernelApp" not in err, err
    ran = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4)
    assert "hello from the kernel" in str(ran.cells[-1].outputs)
    if __import__("os").name == "posix":
        cfg = report.kernel_manager_config(tmp_path)
        assert cfg.KernelManager.transport == "ipc"
        assert cfg.KernelManager.ip.startswith(str(tmp_path))


def _table_config(tmp_path, path, **inp):
    from covidlearning.config import Config

    return Config(name="t", source="table", input={"path": path, **inp})


def _survey(tmp_path, n=30):
    frame = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(n)],
            "answer": [f"Keep the video clinics, reply {i}." for i in range(n)],
            "ward_name": ["A", "B", "C"] * (n // 3),
            "submitted": pd.date_range("2021-01-01", periods=n).strftime("%d/%m/%Y"),
        }
    )
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    return frame, path


@pytest.mark.parametrize(
    ("key", "setting"),
    [
        ("input.text_column", {"text_column": "comment"}),
        ("input.id_column", {"id_column": "id"}),
        ("input.group_columns", {"group_columns": ["ward_name", "ward"]}),
        ("input.date_column", {"date_column": "date"}),
    ],
)
def test_check_inputs_names_the_config_key_and_the_columns_found(tmp_path, key, setting):
    _, path = _survey(tmp_path)
    cfg = _table_config(tmp_path, path, **{"text_column": "answer", **setting})
    with pytest.raises(InputError) as info:
        report.check_inputs(cfg)
    msg = str(info.value)
    assert msg.startswith(f"{key}: column ") and "\n" not in msg
    assert "columns found: 'response_id', 'answer', 'ward_name', 'submitted'" in msg
    assert "--text-column" not in msg  # a config user has no such option


def test_check_inputs_rejects_a_date_column_without_dates(tmp_path):
    _, path = _survey(tmp_path)
    for column in ("ward_name", "answer", "response_id"):
        cfg = _table_config(tmp_path, path, text_column="answer", date_column=column)
        with pytest.raises(InputError, match=f"input.date_column: column '{column}'.*not hold"):
            report.check_inputs(cfg)
    ok = _table_config(
        tmp_path, path, text_column="answer", id_column="response_id", date_column="submitted",
        group_columns=["ward_name"],
    )  # fmt: skip
    report.check_inputs(ok)  # every named column is there and the dates are dates


def test_check_columns_in_every_table_format_reads_only_the_first_rows(tmp_path):
    frame, _ = _survey(tmp_path, n=3000)
    paths = [tmp_path / "s.xlsx", tmp_path / "s.jsonl", tmp_path / "s.parquet"]
    frame.head(300).to_excel(paths[0], index=False)
    frame.to_json(paths[1], orient="records", lines=True)
    frame.to_parquet(paths[2], index=False)
    for path in paths:
        head = read_table_head(path)
        assert list(head.columns) == list(frame.columns)
        assert len(head) == HEAD_ROWS
        with pytest.raises(InputError, match="input.group_columns: column 'site'"):
            report.check_inputs(
                _table_config(tmp_path, path, text_column="answer", group_columns=["site"])
            )
    big = tmp_path / "big.csv"  # > 1 MB, and broken far below the rows that are checked
    body = frame.assign(answer=frame["answer"].str.pad(400, fillchar="x")).to_csv(index=False)
    big.write_text(body + '"unterminated quote\n')
    assert big.stat().st_size > 1 << 20
    head = read_table_head(big)
    assert len(head) == HEAD_ROWS and head["response_id"].iloc[-1] == "r199"
    report.check_inputs(_table_config(tmp_path, big, text_column="answer", date_column="submitted"))


def test_cli_rejects_a_misspelt_column_before_any_notebook(tmp_path, capsys, monkeypatch):
    from covidlearning.cli import run

    _, path = _survey(tmp_path)
    cfg = tmp_path / "trust.yaml"
    cfg.write_text(
        f"name: t\nsource: table\nreports_dir: {tmp_path / 'r'}\n"
        f"input: {{path: {path}, text_column: answer, group_columns: [ward]}}\n"
    )
    monkeypatch.setattr(report, "_execute_notebooks", lambda *a, **k: pytest.fail("ran notebooks"))
    assert run(["report", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: input.group_columns: column 'ward' not found in survey.csv")
    assert "ward_name" in err and len(err.splitlines()) == 1


def test_check_inputs_validates_codebooks_before_running(tmp_path):
    from covidlearning.config import Config

    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.txt").write_text("hello")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nthemes:\n  - id: a\n")
    one = tmp_path / "one.yaml"
    one.write_text("name: x\nthemes:\n  - {id: a, name: A, definition: Only theme.}\n")
    raw = {"raw_dir": tmp_path / "raw"}
    with pytest.raises(InputError, match=r"^code.codebook: invalid codebook bad.yaml.*name"):
        report.check_inputs(Config(name="x", corpus=raw, code={"codebook": bad}))
    with pytest.raises(InputError, match=r"^frameworks: invalid codebook bad.yaml"):
        report.check_inputs(Config(name="x", corpus=raw, frameworks=[bad]))
    with pytest.raises(InputError, match=r"^code.codebook: one.yaml has one theme"):
        report.check_inputs(Config(name="x", corpus=raw, code={"codebook": one}))
    report.check_inputs(Config(name="x", corpus=raw, frameworks=[one]))  # comparing is fine


def test_coded_theme_counts_over_all_responses_are_exact_and_not_additive():
    # 80 units led by "a", 12 by "b", 3 by "c", one unassigned; many carry a second theme
    lists = pd.Series(
        [["a", "b"]] * 40 + [["a"]] * 40 + [["b", "c"]] * 12 + [["c"]] * 3 + [["unassigned"]]
    )
    names = {"a": "Alpha", "b": "Beta", "c": "Gamma"}
    t = analysis.coding_theme_counts(lists, ["a", "b", "c", "unassigned"], names).set_index(
        "theme_id"
    )
    assert "*" not in t.astype(str).to_numpy()  # a whole-population count is never hidden
    assert t.loc["a", "units"] == 80 and t.loc["a", "main_theme"] == 80
    assert t.loc["b", "units"] == 52 and t.loc["b", "main_theme"] == 12
    assert t.loc["c", "units"] == 15 and t.loc["c", "main_theme"] == 3
    assert t.loc["unassigned", "units"] == 1
    assert t["units"].sum() > len(lists)  # not additive: no total to subtract from


def test_shares_in_sentences_never_round_to_all_or_none():
    from covidlearning.reporting.narrative import pct_of

    assert pct_of(347, 348) == "99.7%"
    assert pct_of(348, 348) == "100%"
    assert pct_of(1, 5000) == "0.02%"
    assert pct_of(0, 10) == "0%"
    assert pct_of(99999, 100000) == "over 99.99%"


def test_an_interval_never_reads_from_a_share_to_itself():
    from covidlearning.reporting.wording import pcts

    assert pcts(0.02, 0.016, 0.024) == ("2.0%", "1.6%", "2.4%")  # not "2% (2% to 2%)"
    assert pcts(0.12, 0.10, 0.14) == ("12%", "10%", "14%")
    assert pcts(0.0, 0.0, 0.0) == ("0%", "0%", "0%")
    assert pcts(0.5, 0.4996, 0.5004) == ("50.00%", "49.96%", "50.04%")


def test_stance_of_a_theme_below_the_threshold_is_hidden_but_its_size_is_not():
    table = pd.DataFrame(
        {
            "topic": ["0", "1"],
            "label": ["Big", "Small"],
            "n": [40, 6],
            "keep_n": [30, 4],
            "keep_share": [0.75, 0.6667],
            "mean_compound": [0.5, 0.2],
        }
    )
    out = analysis.hide_small_themes(table, 10)
    assert out.loc[1, "n"] == 6  # the size: a whole-population count
    assert (out.loc[1, ["keep_n", "keep_share", "mean_compound"]] == "*").all()
    assert out.loc[0, "keep_share"] == 0.75


def _table_run(tmp_path, n_quotes=5, groups=("site",), **extra):
    import yaml

    data = tmp_path / "in.csv"
    data.write_text("id,text,site\nr0,hello,A\n")
    cfg = {
        "name": "t",
        "source": "table",
        "input": {"path": str(data), "text_column": "text", "group_columns": list(groups)},
        "discover": {"n_quotes": n_quotes},
        "redaction": {"enabled": False},
        **extra,
    }
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return report.open_run(str(path), str(tmp_path / "out"), str(tmp_path / "work"))


def _stance_rows(rows):
    cols = ["topic", "label", "n"]
    for st in sentiment.STANCES:
        cols += [f"{st}_n", f"{st}_share"]
    cols += ["mean_compound", "median_compound"]
    out = []
    for topic, label, n, keep, notrep in rows:
        r = {"topic": topic, "label": label, "n": n}
        for st in sentiment.STANCES:
            c = {"keep": keep, "not repeat": notrep}.get(st, 0)
            r[f"{st}_n"], r[f"{st}_share"] = c, round(c / n, 4)
        r["mean_compound"] = r["median_compound"] = 0.1
        out.append(r)
    return pd.DataFrame(out, columns=cols)


def test_key_findings_never_rest_on_fewer_responses_than_the_threshold(tmp_path):
    from covidlearning.reporting.narrative import Report

    run = _table_run(tmp_path)
    table = _stance_rows(
        [
            ("0", "Visit, Appointment", 13, 5, 2),  # 15% not repeat, but only 2 responses
            ("1", "Prompt, Helpful", 6, 6, 0),  # 100% keep, from a theme of 6
            ("2", "Staff, Kind", 120, 60, 12),  # 50% keep (60), 10% not repeat (12)
        ]
    )
    run.write_table(analysis.hide_small_themes(table, 10), "stance_by_theme")
    text = Report(run)._stance_findings()
    assert "Prompt" not in text and "Visit" not in text
    assert "what to keep**: Staff, Kind (50%, 60 of its 120" in text
    assert "what not to repeat**: Staff, Kind (10%, 12 of its 120" in text
    table = _stance_rows([("0", "Visit", 13, 5, 2)])
    run.write_table(table, "stance_by_theme")
    assert "no finding" in Report(run)._stance_findings()


def test_rule_statement_matches_what_the_report_does():
    from covidlearning.privacy.disclosure import rule_statement

    text = rule_statement(10, True)
    assert "every figure for a group, period or theme" not in text  # theme sizes are shown
    assert "each theme is shown exactly" in text and "No key finding rests on fewer" in text


def test_quotes_are_chosen_among_quotable_texts_only(tmp_path):
    run = _table_run(tmp_path, n_quotes=3)
    n = 40  # theme 0: 40 texts, the most central 20 from a site of 5 respondents
    ids = [f"r{i}" for i in range(n)]
    units = pd.DataFrame(
        {
            "id": ids,
            "text": [f"text number {i}" for i in range(n)],
            "status": "ok",
            "site": ["Tiny"] * 5 + ["Big"] * 35,
        }
    )
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(n, 8))
    emb[:5] += 10 * np.eye(8)[0]  # the small site's texts sit at the centre
    emb[5:] += 6 * np.eye(8)[0]
    np.save(run.work_dir / "embeddings.npy", emb.astype(np.float32), allow_pickle=False)
    (run.work_dir / "embedding_ids.txt").write_text("\n".join(ids) + "\n")
    modelled = pd.DataFrame({"id": ids, "topic": "0"})
    topics = pd.DataFrame(
        {"topic": ["0"], "label": ["Zero"], "quote_ids": ["r0; r1; r5"]}  # 2 not quotable
    )
    q = analysis._quotes_table(run, topics, units, modelled)
    assert len(q) == 3 and not set(q["id"]) & {"r0", "r1", "r2", "r3", "r4"}
    assert q["rank"].tolist() == [1, 2, 3]


def test_constrained_parameters_are_checked_before_any_notebook_runs(root, tmp_path):
    nbs = {s: root / "notebooks" / f"{s}.ipynb" for s in report.NOTEBOOKS}
    runner = {"config_path": "c.yaml", "out_dir": str(tmp_path), "work_dir": str(tmp_path)}
    with pytest.raises(InputError) as info:
        report.plan_parameters(nbs, {"time_period": "X"}, runner)
    msg = str(info.value)
    assert "time_period must be one of W, M, Q, Y" in msg and "\n" not in msg
    plan = report.plan_parameters(nbs, {"time_period": "q"}, runner)
    assert plan["03-code"]["time_period"] == "Q"
    with pytest.raises(InputError, match="quotes_per_theme must be at least 0"):
        report.plan_parameters(nbs, {"quotes_per_theme": "-1"}, runner)
    # the notebook's own comment lists every allowed value
    help_text = report.notebook_parameters(nbs["03-code"])["time_period"]["help"]
    for value in ("W", "M", "Q", "Y"):
        assert f"{value} " in help_text


def test_quotes_shown_and_methods_state_one_number(tmp_path):
    from covidlearning.reporting.narrative import Report

    run = _table_run(tmp_path, n_quotes=3)
    assert Report(run).quotes_per_theme == 3  # from discover.n_quotes, not a second default
    assert Report(run, quotes_per_theme=2).quotes_per_theme == 2


def test_breakdowns_read_the_same_way_whatever_their_shape():
    from covidlearning.reporting.narrative import wide_breakdown

    def tidy(groups, themes):
        return pd.DataFrame(
            [
                {"group": g, "respondents": 50, "theme": t, "count": 20, "share": 0.4}
                for g in groups
                for t in themes
            ]
        )

    few_groups = wide_breakdown(tidy(["North", "South"], ["a", "b", "c", "d", "e"]))
    many_groups = wide_breakdown(tidy(list("ABCDEFG"), ["a", "b"]))
    assert few_groups.columns[0] == many_groups.columns[0] == "Group"
    assert few_groups["Group"].tolist() == ["North", "South"]


def test_a_notebook_run_by_hand_never_writes_the_published_report(root, tmp_path):
    run = _table_run(tmp_path)
    direct = report.open_run(str(run.config_path))  # as papermill / JupyterLab would
    assert direct.out_dir == report.interactive_dir(run.config)
    assert ".interactive" in direct.out_dir.parts
    assert direct.out_dir != report.report_dir(run.config)


@pytest.mark.parametrize("stance", [True, False])
def test_stance_can_be_switched_off(tmp_path, stance):
    """`stance: false`: nothing scored or written, no section, and Methods says so."""
    from covidlearning.reporting.narrative import Report

    run = _table_run(tmp_path, stance=stance)
    units = pd.DataFrame(
        {"id": [f"r{i}" for i in range(30)], "status": "ok", "site": "A",
         "text": ["We must keep the video clinics, they were great."] * 15
         + ["Please never repeat the cancelled visits again."] * 15}
    )  # fmt: skip
    found = analysis.Discovery(
        themes=pd.DataFrame({"topic": ["0"], "label": ["Clinics"], "size": [30]}),
        assignments=pd.DataFrame({"id": units["id"], "topic": "0", "label": "Clinics"}),
        metrics={},
    )
    table = analysis.code_stance(run, units, found)
    assert table.empty is (not stance)
    assert run.has_table("stance_by_theme") is stance
    assert (run.work_dir / "stance.csv").is_file() is stance
    if stance:
        assert int(table.loc[0, "keep_n"]) == 15 and int(table.loc[0, "not repeat_n"]) == 15
    shown: list = []
    rep = Report(run)
    rep._show = lambda *objs: shown.extend(objs)  # collect what the report would display
    rep.methods()
    rep.stance()
    text = "\n".join(str(getattr(o, "data", o)) for o in shown)
    assert ("were not read (`stance: false`" in text) is (not stance)
    assert ("What to keep" in text) is stance


def test_methods_describe_refinement_and_its_stability_only_when_it_ran(tmp_path):
    from covidlearning.reporting.artifacts import DISCOVERY_METRICS
    from covidlearning.reporting.methods import (
        _context_sentence,
        _refine_sentence,
        _stability_sentence,
    )

    def saved():  # what the report reads
        return DISCOVERY_METRICS.read(tmp_path).as_dict()

    (tmp_path / "discovery").mkdir()
    path = tmp_path / "discovery" / "metrics.json"
    ctx = {"used": True, "stickiness": 0.4, "moved": 3}
    path.write_text(json.dumps({"context": ctx}))
    assert _refine_sentence(saved(), "comment") == ""
    assert "refitted with 5 further random seeds" in _stability_sentence(saved(), 5, 42)
    assert _context_sentence(saved(), "comment").endswith("moved theme this way.")
    path.write_text(json.dumps({"context": ctx, "refine": {"skipped": "fewer than 2 themes"}}))
    assert _refine_sentence(saved(), "comment") == ""
    assert "refitted with 5" in _stability_sentence(saved(), 5, 42)
    assert "not measured" in _stability_sentence(saved(), 0, 42)
    refine = {"k": 12, "texts_tuned_on": 3000, "changed_share": 0.31}
    ctx["superseded_by_refinement"] = True
    path.write_text(json.dumps({"context": ctx, "refine": refine}))
    text = _refine_sentence(saved(), "comment")
    assert "12 themes" in text and "3,000 comments" in text and "31% of comments" in text
    stab = _stability_sentence(saved(), 5, 42)
    assert "k-means in the tuned embeddings" in stab and "not repeated" in stab
    assert _context_sentence(saved(), "comment").endswith("before the refinement.")


def test_methods_are_numbered_when_rendered(root):
    """A paragraph that does not apply is left out and the rest are renumbered."""
    import re

    from covidlearning.config import load_config
    from covidlearning.reporting.methods import MethodsFacts, methods_markdown, numbered

    def headings(cfg, is_table):
        text = methods_markdown(MethodsFacts(cfg, is_table, quotes_per_theme=5))
        return re.findall(r"^(\d+)\. \*\*([^*]+?)\.?\*\*", text, flags=re.MULTILINE)

    docs = load_config(root / "configs" / "seed-corpus.yaml")
    table = load_config(root / "configs" / "synthetic-trust.yaml")
    for cfg, is_table in ((docs, False), (table, True)):
        found = headings(cfg, is_table)
        assert [int(n) for n, _ in found] == list(range(1, len(found) + 1))
        assert ("Disclosure control" in [name for _, name in found]) is is_table
    assert headings(docs, False)[-1] == ("9", "Redaction")  # no disclosure paragraph before it
    off = docs.redaction.model_copy(update={"enabled": False})
    unredacted = docs.model_copy(update={"redaction": off})
    assert len(headings(unredacted, False)) == len(headings(docs, False)) - 1
    # further lines stay inside their item, under its text
    assert numbered(["a", "", "b\nc"]) == "1. a\n\n2. b\n   c"


def test_a_published_ward_name_is_kept_and_passes_the_guard(tmp_path):
    """A breakdown by ward names "Rowan Ward"; the guard used to stop every such run."""
    from covidlearning.privacy.redact import IdentifierLeak
    from covidlearning.reporting import artifacts as art

    wards = ["Rowan Ward"] * 12 + ["Ash Ward"] * 3
    texts = [f"Kind staff on Rowan Ward, visit {i}." for i in range(12)]
    texts += ["Ash Ward was noisy.", "Call 07700 900123 on Ash Ward.", "Good."]
    pd.DataFrame({"id": range(15), "text": texts, "ward": wards}).to_csv(tmp_path / "s.csv")
    cfg = tmp_path / "t.yaml"
    cfg.write_text(
        f"name: t\nsource: table\nreports_dir: {tmp_path / 'reports'}\n"
        f"input: {{path: {tmp_path / 's.csv'}, text_column: text, id_column: id, "
        "group_columns: [ward]}\n"
    )
    out, work = tmp_path / "out", tmp_path / "work"
    run = report.open_run(str(cfg), str(out), str(work))
    units = analysis.prepare_units(run).units
    assert art.PUBLISHED_GROUPS.read(work) == ["Rowan Ward"]
    assert units["text"].iloc[0] == "Kind staff on Rowan Ward, visit 0."
    assert "Ash Ward" not in " ".join(units["text"])  # a group of 3 is not published
    assert run.redact("response 1, ward: Rowan Ward") == "response 1, ward: Rowan Ward"
    run.finish("01-corpus")
    (run.tables_dir / "breakdown_ward.csv").write_text("group,n\nRowan Ward,12\n")
    config = report.load_config(cfg)
    report.guard(config, out, work)  # the published group name is allowed
    art.PUBLISHED_GROUPS.write(work, [])
    with pytest.raises(IdentifierLeak):
        report.guard(config, out, work)


def test_a_notebook_publishes_no_warning_naming_the_install_folder(tmp_path):
    import warnings

    cfg = tmp_path / "t.yaml"
    cfg.write_text(f"name: t\ncorpus: {{raw_dir: {tmp_path}}}\nreports_dir: {tmp_path}/r\n")
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        report.open_run(str(cfg), str(tmp_path / "out"), str(tmp_path / "work"))
        # what tqdm.auto says in a kernel without ipywidgets, from /path/to/site-packages
        warnings.warn("IProgress not found. Please update jupyter and ipywidgets.", stacklevel=1)
        warnings.warn("another warning", stacklevel=1)
    assert [str(w.message) for w in got] == ["another warning"]


def test_a_quote_shown_for_a_theme_is_not_repeated_under_its_subtheme(tmp_path):
    from covidlearning.reporting.narrative import Report

    run = _table_run(tmp_path, n_quotes=3)
    sub = {"label": "", "share": 0.5, "positive": 0.5, "negative": 0.1, "keywords": "a; b"}
    run.write_table(
        pd.DataFrame(
            [
                {"topic": "0", "theme": "9", **sub, "label": "Kind staff", "size": 30},
                {"topic": "1", "theme": "9", **sub, "label": "Polite staff", "size": 20},
            ]
        ),
        "themes",
    )
    run.write_table(
        pd.DataFrame(
            [
                {
                    "theme": "9",
                    "label": "Staff",
                    "size": 50,
                    "share": 1.0,
                    "ci_low": 0.9,
                    "ci_high": 1.0,
                    "positive": 0.5,
                    "negative": 0.1,
                    "subthemes": 2,
                }
            ]
        ),
        "theme_groups",
    )

    def quotes(rows):
        return pd.DataFrame(
            [
                {
                    "topic": t,
                    "label": "",
                    "rank": k,
                    "id": i,
                    "quote": f"said {i}",
                    "source": "",
                    "section": "",
                }
                for t, k, i in rows
            ]
        )

    # the theme shows r1, r2 and r5; subtheme 0 has r1, r2, r3; subtheme 1 only r5
    run.write_table(quotes([("9", 1, "r1"), ("9", 2, "r5"), ("9", 3, "r2")]), "theme_quotes")
    run.write_table(
        quotes([("0", 1, "r1"), ("0", 2, "r2"), ("0", 3, "r3"), ("1", 1, "r5")]), "quotes"
    )
    shown: list = []
    rep = Report(run)
    rep._show = lambda *objs: shown.extend(objs)
    rep._evidence_hierarchy()
    theme, kind, polite = (str(getattr(o, "data", o)) for o in shown)
    assert all(f"said {i}" in theme for i in ("r1", "r2", "r5"))
    assert "said r3" in kind and "said r1" not in kind and "said r2" not in kind
    assert "said r5" not in polite and "shown under the theme above" in polite
