"""Dates are read by one rule decided from the data, or refused: never silently misread."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from covidlearning.errors import InputError
from covidlearning.reporting import breakdown as B
from covidlearning.reporting import dates as D
from covidlearning.reporting import run as report

# 10 dates only day first can read, 289 only month first can, 40 either way
DAY_FIRST = [f"{d}/03/2021" for d in range(13, 23)]
MONTH_FIRST = [f"03/{13 + i % 16}/2021" for i in range(289)]
EITHER = [f"0{1 + i % 9}/04/2021" for i in range(40)]


def test_a_column_mixing_day_first_and_month_first_dates_is_refused_with_counts():
    values = pd.Series(EITHER[:20] + DAY_FIRST + MONTH_FIRST + EITHER[20:])
    for dayfirst in (True, False):
        with pytest.raises(InputError) as info:
            D.read_dates(values, dayfirst, column="submitted", where="fft.csv")
        msg = str(info.value)
        assert msg.startswith("input.date_column: column 'submitted' of fft.csv mixes")
        assert "10 dates can only be day first (e.g. '13/03/2021'" in msg
        assert "289 only month first (e.g. '03/13/2021'" in msg
        assert "40 more could be either" in msg
        assert 'input.date_format (e.g. "%m/%d/%Y")' in msg  # the order most dates show
        assert "\n" not in msg
    with pytest.raises(InputError, match="mixes day-first and month-first"):
        B.parse_dates(values)  # the parse refuses what the check refuses


def test_an_all_ambiguous_column_is_read_as_dayfirst_says():
    values = pd.Series(["03/04/2021", "01/02/2021", "12/11/2020", ""])
    uk = D.read_dates(values, dayfirst=True, column="when")
    us = D.read_dates(values, dayfirst=False, column="when")
    assert uk.dates[:3].tolist() == [pd.Timestamp(s) for s in ("2021-04-03", "2021-02-01",
                                                                "2020-11-12")]  # fmt: skip
    assert us.dates[:3].tolist() == [pd.Timestamp(s) for s in ("2021-03-04", "2021-01-02",
                                                                "2020-12-11")]  # fmt: skip
    assert pd.isna(uk.dates[3]) and not bool(uk.not_read.any())  # a blank is no date
    assert uk.rule.sentence() == (
        "Dates in the column “when” are read day first (03/04/2021 is 3 April), as "
        "input.dayfirst says: no date shows the order by itself."
    )
    assert "month first (03/04/2021 is 4 March)" in us.rule.sentence()


def test_dates_that_show_the_order_agree_with_dayfirst():
    values = pd.Series([*DAY_FIRST, *EITHER, "25.12.2020", "31-01-21", "25/03/2021 2:30 PM"])
    reading = D.read_dates(values, dayfirst=True, column="when")
    assert reading.dates.iloc[10] == pd.Timestamp("2021-04-01")  # either: day first
    assert reading.dates.iloc[-3] == pd.Timestamp("2020-12-25")
    assert reading.dates.iloc[-2] == pd.Timestamp("2021-01-31")
    assert reading.dates.iloc[-1] == pd.Timestamp("2021-03-25 14:30")
    assert "as 13 dates show" in reading.rule.sentence()


def test_month_first_dates_under_dayfirst_true_are_refused_not_flipped():
    values = pd.Series(EITHER + MONTH_FIRST)
    with pytest.raises(InputError) as info:
        D.read_dates(values, dayfirst=True, column="submitted", where="fft.csv")
    msg = str(info.value)
    assert msg.startswith(
        "input.dayfirst is true but 289 dates in column 'submitted' of fft.csv can only be "
        "month first (e.g. '03/13/2021'"
    )
    assert "Set input.dayfirst: false" in msg and 'input.date_format: "%m/%d/%Y"' in msg
    with pytest.raises(InputError, match="input.dayfirst is false but 1 date in"):
        D.read_dates(pd.Series(["25/03/2021", "01/02/2021"]), dayfirst=False)
    us = D.read_dates(values, dayfirst=False).dates  # the rule the message names reads it
    assert us.iloc[0] == pd.Timestamp("2021-01-04") and us.iloc[40] == pd.Timestamp("2021-03-13")


def test_date_format_is_strict_and_counts_what_does_not_fit():
    values = pd.Series(["25/03/2021"] * 60 + ["2021-03-25", "03/25/2021", "soon", ""])
    reading = D.read_dates(values, date_format="%d/%m/%Y", column="when")
    assert int(reading.not_read.sum()) == 3  # not NaT in silence: counted; the blank is not
    assert (reading.dates[:60] == pd.Timestamp("2021-03-25")).all()
    assert reading.dates[60:].isna().all()
    assert reading.rule.sentence() == (
        'Dates in the column “when” are read by input.date_format "%d/%m/%Y".'
    )
    too_many = pd.Series(["25/03/2021"] * 20 + ["2021-03-25"] * 2 + ["03/25/2021"])
    with pytest.raises(InputError) as info:
        D.read_dates(too_many, date_format="%d/%m/%Y", column="when", where="fft.csv")
    msg = str(info.value)
    assert msg.startswith(
        "input.date_format \"%d/%m/%Y\" does not fit 3 of the 23 dates in column 'when' of "
        "fft.csv (e.g. '2021-03-25', '03/25/2021')"
    )
    assert "\n" not in msg
    # a format the data contradicts beats detection: the user said which one holds
    strict = D.read_dates(pd.Series(["03/04/2021"] * 30), True, "%m/%d/%Y").dates
    assert (strict == pd.Timestamp("2021-03-04")).all()


def test_dates_not_read_reach_the_breakdown_notes_and_the_row_accounting():
    n = 60
    frame = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "when": ["25/03/2021"] * 30 + ["10/04/2021"] * 27 + ["2021-04-10", "", "x"],
            "status": "ok",
        }
    )
    assign = pd.DataFrame({"id": frame["id"], "topic": [i % 2 for i in range(n)], "label": "t"})
    bd = B.over_time(assign, frame, "when", figure=False, keywords=False, date_format="%d/%m/%Y")
    assert bd.counts.index.tolist() == ["2021-03", "2021-04"]
    assert bd.bases.tolist() == [30, 27]
    assert bd.not_read == 2
    assert 'Dates in the column “when” are read by input.date_format "%d/%m/%Y".' in bd.notes
    assert (
        "3 analysed responses had no usable when and are left out (2 of them hold a value "
        "that could not be read as a date)." in bd.notes
    )
    summary = B.run_summary(frame, dates_not_read=bd.not_read)
    assert summary["dates_not_read"] == 2 and summary["used"] == n
    table = B.summary_table(summary).set_index("item")["rows"]
    assert table["of which with a date that could not be read (left out over time)"] == 2
    assert "2 analysed rows have dates that could not be read" in B.summary_text(summary)
    assert "dates_not_read" not in B.run_summary(frame)  # nothing to say: nothing said


def test_iso_serial_and_month_year_columns_read_as_before_whatever_dayfirst():
    values = pd.Series(
        ["2021-03-04", "2021/03/04", "2020-12-01 00:00:00", "44259", "Mar-21", "July 2019",
         "4 March 2021", "2019-07", "20210304"]
    )  # fmt: skip
    expected = ["2021-03-04", "2021-03-04", "2020-12-01", "2021-03-04", "2021-03-01",
                "2019-07-01", "2021-03-04", "2019-07-01", "2021-03-04"]  # fmt: skip
    for dayfirst in (True, False):
        reading = D.read_dates(values, dayfirst)
        assert reading.dates.tolist() == [pd.Timestamp(e) for e in expected]
        assert reading.rule.sentence() == ""  # no date depended on the order: nothing to say
    kinds = D.classify(values).tolist()
    assert kinds == ["iso", "iso", "iso", "serial", "month-year", "text", "text", "iso", "iso"]
    junk = D.read_dates(pd.Series(["3", "25/03", "May", "0001-01-01", "31/02/2021"]))
    assert junk.dates.isna().all() and int(junk.not_read.sum()) == 5


def test_the_decision_is_logged(caplog):
    with caplog.at_level(logging.INFO, logger="covidlearning.reporting.dates"):
        D.read_dates(pd.Series(DAY_FIRST + EITHER), True, column="submitted")
    assert "submitted: Dates in the column “submitted” are read day first" in caplog.text
    assert "day 10, either 40" in caplog.text


def test_date_format_in_the_config_is_checked():
    from covidlearning.config import Config

    ok = Config(name="t", source="table", input={"path": "x.csv", "date_format": "%d/%m/%Y"})
    assert ok.input is not None and ok.input.date_format == "%d/%m/%Y"
    assert Config(name="t", source="table", input={"path": "x.csv"}).input.date_format is None
    for bad in ("dd/mm/yyyy", "%d/%m", "%d/%Y"):
        with pytest.raises(ValueError, match="date_format"):
            Config(name="t", source="table", input={"path": "x.csv", "date_format": bad})


def _mixed_table(tmp_path, n=400):
    """A survey whose month-first rows all lie below the rows read to check the header."""
    dates = [f"{13 + i % 15}/03/2021" for i in range(250)]
    dates += [f"03/{13 + i % 15}/2021" for i in range(n - 250)]
    frame = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(n)],
            "answer": [f"Keep the video clinics, reply {i}." for i in range(n)],
            "submitted": dates,
        }
    )
    path = tmp_path / "fft.csv"
    frame.to_csv(path, index=False)
    return path


def test_check_inputs_reads_the_whole_date_column(tmp_path):
    from covidlearning.config import Config

    path = _mixed_table(tmp_path)
    cfg = Config(name="t", source="table", input={"path": path, "text_column": "answer",
                                                  "date_column": "submitted"})  # fmt: skip
    with pytest.raises(InputError, match="250 dates can only be day first.*150 only month first"):
        report.check_inputs(cfg)
    strict = cfg.model_copy(
        update={"input": cfg.input.model_copy(update={"date_format": "%d/%m/%Y"})}
    )
    with pytest.raises(InputError, match='date_format "%d/%m/%Y" does not fit 150 of the 400'):
        report.check_inputs(strict)


def test_cli_rejects_a_mixed_date_column_before_any_notebook(tmp_path, capsys, monkeypatch):
    from covidlearning.cli import run

    path = _mixed_table(tmp_path)
    cfg = tmp_path / "trust.yaml"
    cfg.write_text(
        f"name: t\nsource: table\nreports_dir: {tmp_path / 'r'}\n"
        f"input: {{path: {path}, text_column: answer, date_column: submitted}}\n"
    )
    monkeypatch.setattr(report, "_execute_notebooks", lambda *a, **k: pytest.fail("ran notebooks"))
    assert run(["report", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        "error: input.date_column: column 'submitted' of fft.csv mixes day-first and "
        "month-first dates: 250 dates can only be day first"
    )
    assert "150 only month first (e.g. '03/13/2021'" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_column_with_many_values_that_are_not_dates_warns(caplog):
    values = pd.Series(["03/04/2024"] * 80 + ["unknown"] * 10 + ["TBC"] * 5 + [""] * 5)
    with caplog.at_level(logging.WARNING, logger="covidlearning.reporting.dates"):
        D.date_rule(values, True, None, "Date", "fft.xlsx")
    assert "15 of the 95 values in column 'Date' of fft.xlsx are not dates" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="covidlearning.reporting.dates"):
        D.date_rule(pd.Series(["03/04/2024"] * 96 + ["unknown"] * 4), True, None, "Date")
    assert "not dates" not in caplog.text  # 4%: within the tolerance


def test_report_logs_its_date_rule_once(tmp_path, capsys, monkeypatch):
    """The inputs are checked once before the notebooks, so -v shows the decision once."""
    from covidlearning.cli import run

    dates = ["unknown" if i % 10 == 0 else f"2021-03-{1 + i % 28:02d}" for i in range(100)]
    frame = pd.DataFrame({"answer": [f"Reply {i}." for i in range(100)], "submitted": dates})
    frame.to_csv(tmp_path / "fft.csv", index=False)
    cfg = tmp_path / "trust.yaml"
    cfg.write_text(
        f"name: t\nsource: table\nreports_dir: {tmp_path / 'r'}\n"
        f"input: {{path: {tmp_path / 'fft.csv'}, text_column: answer, date_column: submitted}}\n"
    )

    def stop(*a, **k):
        raise InputError("stopped before the notebooks")

    monkeypatch.setattr(report, "_execute_notebooks", stop)
    assert run(["report", "--config", str(cfg), "-v"]) == 2
    err = capsys.readouterr().err
    assert err.count("10 of the 100 values in column 'submitted' of fft.csv are not dates") == 1
    assert err.count("submitted: no date depends on the order") == 1
