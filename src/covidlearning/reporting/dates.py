"""Reading a column of dates by one rule, decided from the data, or refusing to.

``03/04/2021`` is 3 April read day first and 4 March read month first. A column that
mixes the two orders (an export stitched together from two systems) cannot be read
right by any single rule, so it is refused, naming how many dates follow each order,
instead of putting some of them silently in the wrong month.

:func:`date_rule` is the one place that decides how a column is read, and
:func:`read_dates` reads it by that rule. A column read in parts (partitions on a
cluster) is decided the same way: each part's :func:`tally`, added in order, goes to
:func:`decide`, the step :func:`date_rule` ends with. The report's input check
(:func:`covidlearning.reporting.run.check_columns`, before any notebook runs) and the
breakdowns over time (:func:`covidlearning.reporting.breakdown.parse_dates`) both go
through :func:`read_dates`, so the check and the parse cannot disagree.

Each value is first classified (:func:`classify`):

==============  ==============================================  ========================
kind            looks like                                      read as
==============  ==============================================  ========================
``iso``         ``2021-03-25``, ``2021-03``, ``2021/03/25``     ISO 8601 (year first)
``day``         ``25/03/2021`` (first field over 12)            day first
``month``       ``03/25/2021`` (second field over 12)           month first
``either``      ``03/04/2021`` (both fields 12 or under)        as ``input.dayfirst`` says
``serial``      ``44280`` (an Excel day number)                 days since 1899-12-30
``month-year``  ``Mar-21``, ``July 19``                         the first of the month
``text``        ``25 March 2021``, ``July 2019``                by the month's name
``other``       anything else (``3``, ``25/03``, ``unknown``)   not read
``blank``       an empty cell                                   no date
==============  ==============================================  ========================

Numeric dates may use slashes, dashes or dots, a two- or four-digit year and a time
(``25/03/2021 14:30``). ISO, serial, month-year and named-month dates read the same
whatever the rule, so they mix safely with each other and with one numeric order.

With ``input.date_format`` (a strptime format such as ``"%d/%m/%Y"``) every value is
read strictly by it; values that do not fit are counted, and more than
:data:`FORMAT_TOLERANCE` of them stops the run.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import pandas as pd

from covidlearning.errors import InputError

logger = logging.getLogger(__name__)

#: Share of non-blank values that may not fit ``input.date_format`` before the run stops.
FORMAT_TOLERANCE = 0.05
#: Dates outside this span are not read (a year typed as 0021, a serial of a wrong cell).
EARLIEST, LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2200-01-01")

_NUMERIC = (
    r"(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})"
    r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
)
_SERIAL = r"[1-6]\d{4}(?:\.\d+)?"
_MONTH_YEAR = r"[A-Za-z]{3,9}[-/ ]\d{2}"
_MONTH_NAME = r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?![a-z])"
_YEAR = r"(?<!\d)(?:1[89]|2[01])\d{2}(?!\d)"
#: Digits alone that are not a year, a serial or a compact ISO date (20210325).
_BARE_DIGITS = r"\d{1,3}|\d{6,7}|\d{9,}"

#: The kinds that read the same whatever the day/month rule.
UNAMBIGUOUS = ("iso", "serial", "month-year", "text")
#: The numeric kinds whose reading depends on the order of day and month.
NUMERIC = ("day", "month", "either")


@dataclass(frozen=True)
class DateRule:
    """How one column of dates is read, and why.

    Attributes:
        column: the column's name, for messages.
        dayfirst: read ``either`` dates (``03/04/2021``) day first.
        date_format: the strptime format every value is read by, or None (detect).
        counts: values of each kind (see :func:`classify`); empty with a format.
        because: why the order was chosen, in words (empty when no date needed it).
    """

    column: str
    dayfirst: bool
    date_format: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    because: str = ""

    @property
    def numeric(self) -> int:
        """Values whose reading depends on the order of day and month."""
        return sum(self.counts.get(k, 0) for k in NUMERIC)

    def describe(self) -> str:
        """The rule in a few words: ``day first (03/04/2021 is 3 April)`` and the like."""
        if self.date_format is not None:
            return f'by input.date_format "{self.date_format}"'
        if self.dayfirst:
            return "day first (03/04/2021 is 3 April)"
        return "month first (03/04/2021 is 4 March)"

    def sentence(self) -> str:
        """What the report says about the rule; empty when no value depended on it."""
        if self.date_format is None and not self.numeric:
            return ""
        text = f"Dates in the column “{self.column}” are read {self.describe()}"
        return text + (f", {self.because}." if self.because else ".")


@dataclass(frozen=True)
class DateReading:
    """A column of dates read by its :class:`DateRule`.

    Attributes:
        dates: the dates, ``NaT`` where blank or not read (index of the values).
        rule: the rule they were read by.
        blank: True where the value is empty.
    """

    dates: pd.Series
    rule: DateRule
    blank: pd.Series

    @property
    def not_read(self) -> pd.Series:
        """True where a value was given but could not be read as a date."""
        return self.dates.isna() & ~self.blank


def _strings(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().fillna("")


def classify(values: pd.Series) -> pd.Series:
    """The kind of each value (see the module's table): ``iso``, ``day``, ``month``..."""
    s = _strings(values)
    kinds = pd.Series("other", index=s.index, dtype=object)
    kinds[s == ""] = "blank"
    parts = s.str.extract(f"^{_NUMERIC}$")
    numeric = parts["a"].notna()
    a = pd.to_numeric(parts["a"], errors="coerce")
    b = pd.to_numeric(parts["b"], errors="coerce")
    valid = numeric & a.between(1, 31) & b.between(1, 31)
    kinds[valid & (a > 12) & (b <= 12)] = "day"
    kinds[valid & (a <= 12) & (b > 12)] = "month"
    kinds[valid & (a <= 12) & (b <= 12)] = "either"
    rest = (kinds == "other") & ~numeric
    serial = rest & s.str.fullmatch(_SERIAL)
    kinds[serial] = "serial"
    rest &= ~serial
    month_year = rest & s.str.fullmatch(_MONTH_YEAR)
    kinds[month_year] = "month-year"
    rest &= ~month_year & ~s.str.fullmatch(_BARE_DIGITS)
    if rest.any():
        iso = _iso(s[rest]).notna()
        kinds[iso[iso].index] = "iso"
        rest &= kinds == "other"
    text = rest & s.str.contains(_MONTH_NAME) & s.str.contains(_YEAR)
    kinds[text] = "text"
    return kinds


def _iso(s: pd.Series) -> pd.Series:
    """ISO 8601 dates (``NaT`` elsewhere); times in several zones are put in UTC."""
    try:
        return pd.to_datetime(s, format="ISO8601", errors="coerce")
    except ValueError:  # offsets that differ from row to row
        out = pd.to_datetime(s, format="ISO8601", errors="coerce", utc=True)
        return out.dt.tz_localize(None)


def _n(n: int, what: str = "date") -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def _quoted(examples: list[str]) -> str:
    """Example values as a message quotes them: ``'25/03/2021', '13/04/2021'``."""
    return ", ".join(repr(str(v)[:30]) for v in examples)


def _shape(value: str, dayfirst: bool) -> str:
    """The strptime format of one numeric date, in the given order."""
    import re

    m = re.fullmatch(_NUMERIC, value)
    if m is None:
        return "%d/%m/%Y" if dayfirst else "%m/%d/%Y"
    sep = m["sep"]
    fmt = sep.join(["%d", "%m"] if dayfirst else ["%m", "%d"])
    fmt += sep + ("%Y" if len(m["year"]) == 4 else "%y")
    if m["hour"]:
        fmt += " %I:%M" if m["ampm"] else " %H:%M"
        fmt += ":%S" if m["second"] else ""
        fmt += " %p" if m["ampm"] else ""
    return fmt


@dataclass(frozen=True)
class DateTally:
    """What deciding a column's rule needs to know of its values; parts add up in order.

    A column read in parts (partitions on a cluster) is tallied part by part and the
    tallies added in row order (``a + b``): the sum equals the whole column's tally, so
    :func:`decide` reaches the same rule, or the same refusal, word for word.

    Attributes:
        counts: values of each kind (see :func:`classify`); with a format, ``given``
            (non-blank values) and ``not fitting`` (those the format does not read).
        examples: the first :data:`EXAMPLES` distinct values, in row order, of the kinds
            a message quotes (``day``, ``month``; ``not fitting`` with a format).
    """

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def __add__(self, other: DateTally) -> DateTally:
        counts = dict(self.counts)
        for k, n in other.counts.items():
            counts[k] = counts.get(k, 0) + n
        examples = {
            k: list(dict.fromkeys([*self.examples.get(k, []), *other.examples.get(k, [])]))[
                :EXAMPLES
            ]
            for k in sorted({*self.examples, *other.examples})
        }
        return DateTally(dict(sorted(counts.items())), examples)


#: Distinct values a message quotes of each kind.
EXAMPLES = 3


def tally(
    values: pd.Series, date_format: str | None = None, kinds: pd.Series | None = None
) -> DateTally:
    """The :class:`DateTally` of ``values`` (a whole column, or one part of it in order).

    ``kinds`` is ``classify(values)``, when already at hand (not used with a format).
    """
    s = _strings(values)

    def first(v: pd.Series) -> list[str]:
        return [str(x) for x in v.drop_duplicates().head(EXAMPLES)]

    if date_format is not None:
        given = s[s != ""]
        bad = given[_strict(given, date_format).isna()]
        counts = {"given": len(given), "not fitting": len(bad)}
        return DateTally(counts, {"not fitting": first(bad)})
    kinds = classify(s) if kinds is None else kinds
    counts = {str(k): int(n) for k, n in kinds.value_counts().sort_index().items()}
    return DateTally(counts, {k: first(s[kinds == k]) for k in ("day", "month")})


def date_rule(
    values: pd.Series,
    dayfirst: bool = True,
    date_format: str | None = None,
    column: str = "date",
    where: str = "",
    kinds: pd.Series | None = None,
) -> DateRule:
    """Decide how a column of dates is read, or refuse a column no one rule reads right.

    Args:
        values: the column, every value as written (strings).
        dayfirst: ``input.dayfirst``: read ``03/04/2021`` as 3 April.
        date_format: ``input.date_format``: read every value strictly by this strptime
            format; None detects the layout of each value.
        column: the column's name, for messages.
        where: the file it comes from, for messages (e.g. ``survey.csv``).
        kinds: ``classify(values)``, when already at hand.

    Returns:
        The :class:`DateRule`; the decision is logged.

    Raises:
        InputError: see :func:`decide`.
    """
    return decide(tally(values, date_format, kinds), dayfirst, date_format, column, where)


def decide(
    seen: DateTally,
    dayfirst: bool = True,
    date_format: str | None = None,
    column: str = "date",
    where: str = "",
) -> DateRule:
    """The rule :func:`date_rule` decides, from the column's :class:`DateTally`.

    Raises:
        InputError: (one line, naming counts, examples and the fix) the column holds
            dates that can only be day first and dates that can only be month first;
            every date that shows its order contradicts ``dayfirst``; or more than
            :data:`FORMAT_TOLERANCE` of the values do not fit ``date_format``.
    """
    of = f"column '{column}'" + (f" of {where}" if where else "")
    counts, examples = seen.counts, seen.examples
    if date_format is not None:
        given, bad = counts.get("given", 0), counts.get("not fitting", 0)
        if bad and bad > FORMAT_TOLERANCE * given:
            raise InputError(
                f'input.date_format "{date_format}" does not fit {bad:,} of the '
                f"{_n(given)} in {of} (e.g. {_quoted(examples.get('not fitting', []))})",
                "Set input.date_format to the format the column holds, or to null to detect "
                "it, or correct those dates",
            )
        rule = DateRule(column, dayfirst, date_format)
        logger.info(
            "%s: read %s; %d of %d values do not fit it", column, rule.describe(), bad, given
        )
        return rule
    day, month = counts.get("day", 0), counts.get("month", 0)
    day_ex, month_ex = examples.get("day", []), examples.get("month", [])
    if day and month:
        either = counts.get("either", 0)
        most, most_day = (day_ex, True) if day >= month else (month_ex, False)
        raise InputError(
            f"input.date_column: {of} mixes day-first and month-first dates: "
            f"{_n(day)} can only be day first (e.g. {_quoted(day_ex)}) and "
            f"{month:,} only month first (e.g. {_quoted(month_ex)})"
            + (f", and {either:,} more could be either" if either else "")
            + ", so no one rule reads them all right",
            "Correct the column so it holds one order, or set input.date_format (e.g. "
            f'"{_shape(most[0], most_day)}") to read it by one format and leave '
            "out the dates that do not fit",
        )
    against, against_ex = (month, month_ex) if dayfirst else (day, day_ex)
    if against:
        order = "month" if dayfirst else "day"
        raise InputError(
            f"input.dayfirst is {str(dayfirst).lower()} but {_n(against)} in {of} can "
            f"only be {order} first (e.g. {_quoted(against_ex)}) and none "
            f"{'day' if dayfirst else 'month'} first",
            f"Set input.dayfirst: {str(not dayfirst).lower()} to read the column {order} "
            f'first (or input.date_format: "{_shape(against_ex[0], not dayfirst)}")',
        )
    shown = day + month
    if shown:
        because = (
            f"as input.dayfirst says and as {shown:,} "
            f"{'date shows' if shown == 1 else 'dates show'} (they can only be read that way)"
        )
    elif counts.get("either"):
        because = "as input.dayfirst says: no date shows the order by itself"
    else:
        because = ""
    rule = DateRule(column, dayfirst, None, counts, because)
    other = counts.get("other", 0)
    written = sum(n for k, n in counts.items() if k != "blank")
    if other and other > FORMAT_TOLERANCE * written:
        logger.warning(
            "%s of the %s values in %s are not dates: those rows are left out of the views "
            "over time (the report says how many; input.date_format would stop the run)",
            f"{other:,}",
            f"{written:,}",
            of,
        )
    logger.info(
        "%s: %s; values by kind: %s",
        column,
        rule.sentence().rstrip(".") or "no date depends on the order of day and month",
        ", ".join(f"{k} {n}" for k, n in counts.items()),
    )
    return rule


def _strict(s: pd.Series, date_format: str) -> pd.Series:
    """``s`` read by a strptime format, exactly; ``NaT`` where a value does not fit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = pd.to_datetime(s, format=date_format, errors="coerce")
        except ValueError:  # offsets (%z) that differ from row to row
            out = pd.to_datetime(s, format=date_format, errors="coerce", utc=True)
    return _in_range(out)


def _naive(out: pd.Series) -> pd.Series:
    """Dates with a time zone as their wall-clock time (a period is read off the clock)."""
    return out.dt.tz_localize(None) if getattr(out.dt, "tz", None) is not None else out


def _in_range(out: pd.Series) -> pd.Series:
    out = _naive(out)
    return out.mask((out < EARLIEST) | (out > LATEST))


def parse(values: pd.Series, rule: DateRule, kinds: pd.Series | None = None) -> pd.Series:
    """Read ``values`` by ``rule``: dates, ``NaT`` where blank or not read.

    ``kinds`` is ``classify(values)``, when already at hand.
    """
    s = _strings(values)
    if rule.date_format is not None:
        out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        given = s != ""
        if given.any():
            out[given] = _strict(s[given], rule.date_format).astype("datetime64[ns]")
        return out
    kinds = classify(s) if kinds is None else kinds
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    parts = []
    if (iso := kinds == "iso").any():
        parts.append(_iso(s[iso]))
    if (num := kinds.isin(NUMERIC)).any():
        parts.append(_numeric(s[num], kinds[num], rule.dayfirst))
    if (serial := kinds == "serial").any():
        days = pd.to_numeric(s[serial], errors="coerce")
        parts.append(pd.to_datetime(days, unit="D", origin="1899-12-30", errors="coerce"))
    if (my := kinds == "month-year").any():
        text = s[my].str.replace(r"[-/ ]", "-", regex=True).str[:3] + "-" + s[my].str[-2:]
        parts.append(pd.to_datetime(text, format="%b-%y", errors="coerce"))
    if (named := kinds == "text").any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parts.append(
                pd.to_datetime(s[named], dayfirst=rule.dayfirst, errors="coerce", format="mixed")
            )
    for part in parts:
        if len(part):
            out[part.index] = _in_range(part).astype("datetime64[ns]")
    return out


def _numeric(s: pd.Series, kinds: pd.Series, dayfirst: bool) -> pd.Series:
    """Numeric dates from their fields: ``day`` and ``month`` rows by what they show."""
    parts = s.str.extract(f"^{_NUMERIC}$")
    a = pd.to_numeric(parts["a"])
    b = pd.to_numeric(parts["b"])
    first = (kinds == "day") | ((kinds == "either") & dayfirst)
    year = pd.to_numeric(parts["year"])
    year = year.where(parts["year"].str.len() == 4, year + 2000 - 100 * (year >= 69))
    hour = pd.to_numeric(parts["hour"]).fillna(0)
    pm = parts["ampm"].fillna("").str.lower().str.startswith("p")
    am = parts["ampm"].fillna("").str.lower().str.startswith("a")
    hour = hour.where(~(am & (hour == 12)), 0).where(~(pm & (hour < 12)), hour + 12)
    fields = pd.DataFrame(
        {
            "year": year,
            "month": b.where(first, a),
            "day": a.where(first, b),
            "hour": hour,
            "minute": pd.to_numeric(parts["minute"]).fillna(0),
            "second": pd.to_numeric(parts["second"]).fillna(0),
        }
    )
    return pd.to_datetime(fields, errors="coerce")


def read_dates(
    values: pd.Series,
    dayfirst: bool = True,
    date_format: str | None = None,
    column: str = "date",
    where: str = "",
) -> DateReading:
    """Decide the column's rule (:func:`date_rule`) and read it by that rule.

    Raises:
        InputError: as :func:`date_rule`.
    """
    kinds = classify(values) if date_format is None else None
    rule = date_rule(values, dayfirst, date_format, column, where, kinds)
    return DateReading(parse(values, rule, kinds), rule, _strings(values) == "")
