"""The command line: help, version, corpus and discover commands, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from covidlearning.cli import run


@pytest.mark.parametrize(
    "argv",
    [
        ["nosuch"],
        ["discover"],
        ["code", "x.csv", "--out", "o"],
        ["discover", "x.csv", "--text-column", "t", "--out", "o", "--bogus"],
    ],
)
def test_usage_errors_exit_2_without_traceback(argv, capsys) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if argv == ["discover"]:  # a bare command shows its usage
        assert "Usage: covidlearning discover" in err and "Missing" in err
    else:  # anything else is one line naming the problem and where to look
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert "--help`" in err


def test_version_is_printed(capsys) -> None:
    from importlib.metadata import version

    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"covidlearning {version('covidlearning')}"


def test_help_answers_without_loading_heavy_libraries() -> None:
    code = (
        "import sys; from covidlearning.cli import run; rc = run(['--help']);"
        "heavy = [m for m in ('bertopic', 'sentence_transformers', 'torch', 'umap')"
        " if m in sys.modules];"
        "print(rc, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 []"


def test_discover_takes_its_settings_from_config_and_flags_override(tmp_path) -> None:
    from covidlearning.cli._settings import stage_settings

    cfg = tmp_path / "run.yaml"
    cfg.write_text("name: t\ndiscover:\n  seed: 7\n  n_quotes: 3\n")
    flags = {"seed": None, "n_quotes": None, "stability_runs": 0}
    got = stage_settings(cfg, "discover", flags, {"n_quotes": "--quotes"}, "covidlearning discover")
    assert (got.seed, got.n_quotes, got.stability_runs) == (7, 3, 0)
    got = stage_settings(None, "discover", {"seed": 9}, {}, "covidlearning discover")
    assert got.seed == 9 and got.n_quotes == 5  # the model's default


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--quotes", "0"], "invalid option: --quotes: Input should be greater than or equal to 1"),
        (["--config", "{cfg}"], "discover.sead: unknown key (did you mean 'seed'?)"),
    ],
)
def test_discover_bad_settings_fail_before_any_model_loads(tmp_path, capsys, extra, expected):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("name: t\ndiscover:\n  sead: 7\n")
    table = tmp_path / "t.csv"
    table.write_text("text\nhello there\n")
    argv = ["discover", str(table), "--text-column", "text", "--out", str(tmp_path / "o")]
    assert run([*argv, *[a.format(cfg=cfg) for a in extra]]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("flag", "shown"), [("--verbose", True), (None, False), ("-q", False)])
def test_verbose_logs_what_the_run_decides(tmp_path, capsys, flag, shown) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "note.txt").write_text(
        "Lessons from the first wave\n\nStaff said that daily huddles kept everyone informed "
        "and that redeployment worked best with a named buddy on each ward.\n"
    )
    argv = ["corpus", "build", "--raw", str(raw), "--out", str(tmp_path / "out")]
    assert run([flag, *argv] if flag else argv) == 0
    err = capsys.readouterr().err
    assert ("covidlearning.corpus.build: 1 documents: " in err) is shown


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["report", "--config", "c.yaml", "-v"], ["-v", "report", "--config", "c.yaml"]),
        (
            ["-q", "code", "run", "in.csv", "--verbose"],
            ["--verbose", "-q", "code", "run", "in.csv"],
        ),
        (["-v", "discover", "in.csv"], ["-v", "discover", "in.csv"]),
        # the value of an option, or after --, stays where it is
        (
            ["discover", "in.csv", "--text-column", "-v"],
            ["discover", "in.csv", "--text-column", "-v"],
        ),
        (["discover", "--", "-v"], ["discover", "--", "-v"]),
        # report has its own -q (no progress bars)
        (
            ["report", "--config", "c.yaml", "-q", "-v"],
            ["-v", "report", "--config", "c.yaml", "-q"],
        ),
        (["discover", "--refine", "-q", "x"], ["-q", "discover", "--refine", "x"]),
    ],
)
def test_top_level_flags_may_follow_the_command(argv, expected) -> None:
    from covidlearning.cli import global_flags_first

    assert global_flags_first(argv) == expected


def test_verbose_after_the_command_logs_too(tmp_path, capsys) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "note.txt").write_text(
        "Lessons\n\nStaff said that daily huddles kept everyone informed.\n"
    )
    assert run(["corpus", "build", "--raw", str(raw), "--out", str(tmp_path / "out"), "-v"]) == 0
    assert "covidlearning.corpus.build: 1 documents: " in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [[], ["discover"], ["assign"], ["code", "run"], ["corpus", "build"], ["report"]],
)
def test_help_has_no_placeholders_a_reader_cannot_use(argv, capsys) -> None:
    import re

    assert run([*argv, "--help"]) == 0
    out = capsys.readouterr().out
    assert "<bool>" not in out  # an on/off flag takes no value
    assert not re.search(r"\{\w+\}", out), out  # the usage line reads INPUT, not {input}
    usage = next(line for line in out.splitlines() if "Usage:" in line)
    if argv and argv[0] in {"discover", "assign"}:
        assert usage.strip().endswith("INPUT"), usage


def test_the_description_covers_any_staff_or_patient_feedback(capsys) -> None:
    assert run(["--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "staff or patients" in out and "Friends and Family Test" in out
    assert "learned from COVID-19" not in out


def test_a_command_description_is_reflowed_to_the_terminal(capsys, monkeypatch) -> None:
    # the docstring breaks this sentence after "--uncertain" and after "the"
    monkeypatch.setenv("COLUMNS", "200")
    assert run(["code", "sample", "--help"]) == 0
    out = capsys.readouterr().out
    assert "or with --uncertain the least certain ones plus a random share, shuffled" in out


def test_reflow_joins_a_paragraph_but_keeps_lists_and_marked_blocks() -> None:
    from covidlearning.cli import reflow

    text = reflow(["One sentence\ncontinued here.", "- first\n- second", "\bkeep\nas is"])
    assert text == "One sentence continued here.\n\n- first\n- second\n\nkeep\nas is"
