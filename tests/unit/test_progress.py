"""Progress: bars at a terminal, a status file inside a report's notebooks."""

from __future__ import annotations

import json

from covidlearning import progress


def test_inside_a_report_a_step_writes_the_status_file_not_a_bar(tmp_path, monkeypatch, capsys):
    status = tmp_path / "progress.json"
    monkeypatch.setenv(progress.STATUS_ENV, str(status))
    monkeypatch.setattr(progress, "INTERVAL", 0.0)
    with progress.steps("embed", 300, "text") as bar:
        bar.update(120)
        state = json.loads(status.read_text())
        assert (state["desc"], state["done"], state["total"], state["finished"]) == (
            "embed", 120, 300, False,
        )  # fmt: skip
    assert json.loads(status.read_text())["finished"] is True
    out = capsys.readouterr()
    assert out.err == "" and out.out == ""  # nothing drawn into the notebook


def test_at_a_terminal_a_step_draws_a_bar_with_counts(monkeypatch, capsys):
    monkeypatch.delenv(progress.STATUS_ENV, raising=False)
    assert list(progress.each(range(3), "consensus", 3, "run")) == [0, 1, 2]
    err = capsys.readouterr().err
    assert "consensus" in err and "3/3" in err


def _watch(status, monkeypatch, capsys, state, seconds):
    """What the runner draws while a notebook's step reports ``state`` for ``seconds``."""
    monkeypatch.setattr(progress, "INTERVAL", 0.01)
    with progress.StatusWatcher(status, "02-discover"):
        status.write_text(json.dumps(state))
        import time

        time.sleep(seconds)
    return capsys.readouterr().err


def test_the_runner_draws_what_the_notebook_writes(tmp_path, monkeypatch, capsys):
    status = tmp_path / "progress.json"
    state = {"desc": "embed", "done": 40, "total": 80, "unit": "text", "started": 0.0,
             "finished": False}  # fmt: skip
    err = _watch(status, monkeypatch, capsys, state, 0.2)
    assert "02-discover: embed" in err and "40/80" in err
    assert not status.exists()


def test_a_disabled_step_is_silent(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv(progress.STATUS_ENV, str(tmp_path / "p.json"))
    with progress.steps("embed", 10, enabled=False) as bar:
        bar.update(10)
    assert not (tmp_path / "p.json").exists() and capsys.readouterr().err == ""


def test_a_finished_step_is_drawn_once_not_refreshed_while_the_next_runs(
    tmp_path, monkeypatch, capsys
):
    state = {"desc": "consensus", "done": 10, "total": 10, "unit": "run", "started": 0.0,
             "finished": True}  # fmt: skip
    # 30 intervals: the bar must not tick on with a growing time
    err = _watch(tmp_path / "progress.json", monkeypatch, capsys, state, 0.3)
    assert "02-discover: consensus" in err
    assert 1 <= err.count("10/10") <= 2  # drawn, then closed; not redrawn every interval
