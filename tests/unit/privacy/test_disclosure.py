"""Disclosure control: primary and secondary suppression, quotes from small groups."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from covidlearning.privacy.disclosure import (
    NOT_STATED,
    SUPPRESSED,
    bounds_of_hidden,
    filter_quotes,
    group_sizes,
    published_group_strings,
    rule_statement,
    small_groups,
    suppress,
    suppression_mask,
    suppression_masks,
)


def table() -> pd.DataFrame:
    return pd.DataFrame(
        {"A": [50, 12, 3, 30], "B": [20, 0, 1, 25], "C": [30, 15, 0, 5]},
        index=["Nursing", "Medical", "Chaplaincy", "Admin"],
    )


def assert_no_line_with_single_hidden(mask: np.ndarray, bases: np.ndarray | None = None) -> None:
    """Rows (cells + group size) and columns (incl. the sizes) never have one hidden entry."""
    full = mask if bases is None else np.column_stack([mask, bases])
    for row in full:
        assert row.sum() != 1
    for col in full.T:
        assert col.sum() != 1


def test_primary_suppression_hides_small_counts_and_small_groups():
    m = suppression_mask(table(), threshold=10, secondary=False)
    assert m.loc["Chaplaincy"].all()  # group of 4: every cell hidden, zeros too
    assert m.loc["Admin", "C"]  # count 5
    assert not m.loc["Medical", "B"]  # a zero in a big group is not disclosive
    assert not m.loc["Nursing"].any()
    assert int(m.to_numpy().sum()) == 4


def test_secondary_suppression_protects_every_row_and_column():
    cells, bases = suppression_masks(table(), threshold=10, secondary=True)
    full = np.column_stack([cells.to_numpy(), bases.to_numpy()])
    assert_no_line_with_single_hidden(cells.to_numpy(), bases.to_numpy())
    # the group sizes, summing to the published total, are protected the same way
    assert bases["Chaplaincy"] and bases.sum() != 1
    assert full.sum() > 5  # more than the primary cells


def test_hidden_cell_cannot_be_recovered_from_totals():
    counts = table()
    cells, bases = (x.to_numpy() for x in suppression_masks(counts, 10, True))
    # Each hidden cell shares its row (cells + hidden group size) and its column with
    # at least one other hidden entry, so subtraction from a total cannot reveal it.
    for i, j in zip(*np.nonzero(cells), strict=True):
        assert cells[i].sum() + bases[i] >= 2, (i, j)
        assert cells[:, j].sum() >= 2, (i, j)


def test_random_tables_always_satisfy_the_rule():
    rng = np.random.default_rng(0)
    for _ in range(100):
        rows, cols = rng.integers(2, 7), rng.integers(2, 6)
        sizes = rng.choice([3, 8, 15, 60, 200], size=rows)
        counts = np.stack([rng.multinomial(s, np.ones(cols) / cols) for s in sizes])
        df = pd.DataFrame(counts)
        cells, bases = suppression_masks(df, 10, True)
        m = cells.to_numpy()
        v = df.to_numpy()
        assert m[(v > 0) & (v < 10)].all()
        assert m[sizes < 10].all()
        assert bases[sizes < 10].all()
        assert_no_line_with_single_hidden(m, bases.to_numpy())


def _reader_range(grid, mask, additive=True):
    """Each hidden entry's range as a reader with an integer programme finds it: an oracle
    written apart from the package's audit (scipy's milp, every relation stated anew)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n, width = grid.shape
    hid = [(i, j) for i in range(n) for j in range(width) if mask[i, j]]
    col = {e: k for k, e in enumerate(hid)}

    def term(i, j):  # (coefficient row over the hidden entries, known value)
        row = np.zeros(len(hid))
        if (i, j) in col:
            row[col[(i, j)]] = 1.0
            return row, 0.0
        return row, float(grid[i, j])

    rows, lo, hi = [], [], []
    for j in range(width):  # every column (the sizes too) sums to its published total
        v = sum(term(i, j)[0] for i in range(n))
        known = sum(term(i, j)[1] for i in range(n))
        rows.append(v), lo.append(grid[:, j].sum() - known), hi.append(grid[:, j].sum() - known)
    for i in range(n):
        size, size_known = term(i, width - 1)
        if additive:  # the cells of a row add up to its size
            v = sum(term(i, j)[0] for j in range(width - 1)) - size
            known = sum(term(i, j)[1] for j in range(width - 1)) - size_known
            rows.append(v), lo.append(-known), hi.append(-known)
        else:  # no cell exceeds its group's size; each respondent is counted somewhere
            for j in range(width - 1):
                v, known = term(i, j)
                rows.append(v - size), lo.append(-np.inf), hi.append(size_known - known)
            v = sum(term(i, j)[0] for j in range(width - 1)) - size
            known = sum(term(i, j)[1] for j in range(width - 1)) - size_known
            rows.append(v), lo.append(-known), hi.append(np.inf)
    out = {}
    for e in hid:
        ends = []
        for sign in (1, -1):
            c = np.zeros(len(hid))
            c[col[e]] = sign
            res = milp(c, constraints=LinearConstraint(np.array(rows), lo, hi),
                       integrality=np.ones(len(hid)), bounds=Bounds(0, np.inf))  # fmt: skip
            ends.append(sign * res.fun if res.status == 0 else sign * np.inf)
        out[e] = (ends[0], ends[1])
    return out


def _narrowed(counts, exact_totals=True, bases=None, additive=True) -> list[tuple]:
    """Hidden small figures a reader can pin to a range narrower than the threshold (10),
    or than the published total they lie under, from every published figure at once."""
    counts = np.asarray(counts)
    sizes = counts.sum(axis=1) if bases is None else np.asarray(bases)
    cells, hidden_sizes = suppression_masks(
        pd.DataFrame(counts), 10, True, sizes, additive, exact_totals=exact_totals
    )
    grid = np.column_stack([counts, sizes]).astype(float)
    mask = np.column_stack([cells.to_numpy(), hidden_sizes.to_numpy()])
    small = np.column_stack([(counts > 0) & (counts < 10), sizes < 10])
    small[sizes < 10, :] = True
    small[:, :-1] |= counts.sum(axis=0) < 10
    totals = grid.sum(axis=0)
    return [
        (i, j, lo, hi)
        for (i, j), (lo, hi) in _reader_range(grid, mask, additive).items()
        if small[i, j] and hi - lo < min(10, totals[j]) - 1e-6
    ]


def test_rows_and_columns_together_do_not_pin_a_hidden_figure():
    # each row and column alone has two hidden cells summing to 10 or more, yet together
    # the published sums put the 5 of the first row between 1 and 8, the 2 beside it
    # between 2 and 9: the line rule alone is not enough
    counts = np.array([[5, 5, 15], [2, 2, 35], [1, 2, 9]])
    assert _narrowed(counts, exact_totals=False)[:2] == [(0, 0, 1.0, 8.0), (0, 1, 2.0, 9.0)]
    assert _narrowed(counts) == []


def test_a_small_groups_row_is_not_pinned_to_zero_by_the_sizes_around_it():
    # a directorate table as a new user's export gave it: the "Other groups" row (7
    # respondents) and one large group's size hidden; the line rule left the small
    # groups' zeros and the Emergency Department's 6 readable from the sums
    counts = np.array(
        [
            [167, 143, 51, 34, 32, 29, 19, 16, 23, 15, 15, 17, 12],
            [179, 157, 63, 44, 45, 37, 29, 28, 21, 20, 15, 14, 6],
            [195, 144, 74, 43, 47, 40, 28, 22, 20, 26, 18, 16, 13],
            [3, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
            [178, 149, 71, 30, 41, 36, 27, 24, 19, 15, 16, 10, 11],
            [208, 156, 70, 47, 51, 43, 37, 29, 22, 33, 18, 17, 11],
        ]
    )
    assert _narrowed(counts, exact_totals=False)
    assert _narrowed(counts) == []


def test_rows_that_do_not_add_up_still_bound_each_cell_by_its_group_size():
    # several themes per respondent: no row sum, but no count exceeds its group's size,
    # so A's visible 20 of 20 once told a reader "Other groups" had at most 3 respondents
    counts, bases = [[20, 1], [10, 20], [0, 2]], [20, 20, 3]
    assert _narrowed(counts, bases=bases, additive=False) == []


def test_rows_that_do_not_add_up_still_count_every_respondent_once_at_least():
    # only the 6 and the 11 hidden: each row's cells sum to at least its size, which put
    # them at 4-12 and 5-13 for a reader
    counts, sizes = [[15, 11], [6, 16], [32, 21], [11, 15]], [20, 20, 40, 20]
    assert _narrowed(counts, bases=sizes, additive=False) == []


def test_a_figure_whose_own_lines_are_hidden_is_protected_from_further_away():
    # B's hidden 2 and the small groups' 1 were pinned to 0-4 with every entry of their
    # row and column hidden already: the audit hides more elsewhere
    assert _narrowed([[0, 40, 0], [0, 2, 10], [1, 1, 1]]) == []


def test_the_audit_bounds_agree_with_an_integer_programme():
    counts = np.array([[5, 5, 15], [2, 2, 35], [1, 2, 9]])
    cells, hidden_sizes = suppression_masks(pd.DataFrame(counts), 10, True, exact_totals=False)
    grid = np.column_stack([counts, counts.sum(axis=1)]).astype(float)
    mask = np.column_stack([cells.to_numpy(), hidden_sizes.to_numpy()])
    got = bounds_of_hidden(grid, mask)
    assert got == _reader_range(grid, mask) and got[(0, 0)] == (1.0, 8.0)


def test_random_tables_leave_no_hidden_figure_narrowed():
    rng = np.random.default_rng(3)
    for additive in (True, False):
        for _ in range(15):
            rows, cols = rng.integers(3, 6), rng.integers(3, 5)
            sizes = rng.choice([5, 15, 40, 120], size=rows)
            share = rng.dirichlet(np.ones(cols))
            counts = np.stack([rng.multinomial(s, share) for s in sizes])
            if not additive:  # a respondent under one theme or two
                counts = counts + np.stack([rng.binomial(s, 0.2 * share) for s in sizes])
                counts = np.minimum(counts, sizes[:, None])
            assert _narrowed(counts, bases=sizes, additive=additive) == [], counts.tolist()


def test_suppress_shows_star_and_keeps_shape():
    counts = table()
    out = suppress(counts)
    assert out.shape == counts.shape
    assert out.loc["Chaplaincy"].tolist() == [SUPPRESSED] * 3
    assert out.loc["Nursing", "A"] == 50
    shares = counts.div(counts.sum(axis=1), axis=0)
    out_sh = suppress(shares, counts=counts)
    assert (out_sh == SUPPRESSED).equals(out == SUPPRESSED)
    with pytest.raises(ValueError):
        suppress(shares, counts=counts.iloc[:2])


@pytest.mark.parametrize("threshold", [1, 5, 10, 30])
def test_threshold_is_configurable(threshold):
    counts = table()
    m = suppression_mask(counts, threshold, secondary=False).to_numpy()
    v = counts.to_numpy()
    expected = (v > 0) & (v < threshold)
    expected[v.sum(axis=1) < threshold] = True
    expected[:, v.sum(axis=0) < threshold] = True
    assert (m == expected).all()


def test_threshold_one_hides_nothing():
    assert not suppression_mask(table(), 1, True).to_numpy().any()


def test_bases_override_row_sums():
    counts = pd.DataFrame({"A": [20, 20], "B": [20, 20]})
    m = suppression_mask(counts, 10, False, bases=[40, 8])
    assert m.iloc[1].all() and not m.iloc[0].any()


def frame() -> pd.DataFrame:
    groups = ["Nursing"] * 30 + ["Chaplaincy"] * 4 + [""] * 12 + ["Medical"] * 20
    sites = ["A"] * 60 + ["Hospice"] * 6
    return pd.DataFrame(
        {"id": [f"r{i}" for i in range(66)], "group": groups, "site": sites, "text": "x"}
    )


def test_group_sizes_and_small_groups():
    f = frame()
    sizes = group_sizes(f, "group")
    assert sizes[NOT_STATED] == 12 and sizes["Chaplaincy"] == 4
    assert small_groups(f, ["group", "site"], 10) == {"group": ["Chaplaincy"], "site": ["Hospice"]}


def test_filter_quotes_drops_any_small_group_membership():
    f = frame()
    quotes = pd.DataFrame({"id": f["id"], "quote": "q"})
    kept = filter_quotes(quotes, f, ["group", "site"], 10)
    kept_ids = set(kept["id"])
    for row in f.itertuples():
        small = row.group == "Chaplaincy" or row.site == "Hospice"
        assert (row.id in kept_ids) is (not small)
    assert len(filter_quotes(quotes, f, [], 10)) == len(quotes)


def test_rule_statement_names_threshold_and_secondary():
    text = rule_statement(7, True)
    assert "fewer than 7" in text and "1 to 6" in text and "secondary" in text
    assert "secondary" not in rule_statement(10, False)
    assert "GP Patient Survey" in text


def test_all_combinations_of_small_tables():
    # exhaustive over 2x2 tables with counts from a small set
    for a, b, c, d in itertools.product([0, 3, 12, 40], repeat=4):
        df = pd.DataFrame([[a, b], [c, d]])
        cells, bases = suppression_masks(df, 10, True)
        assert_no_line_with_single_hidden(cells.to_numpy(), bases.to_numpy())


def test_quote_group_sizes_count_analysed_rows_only():
    # 8 real answers + 4 filler rows: the group has 8 analysed respondents, below 10
    f = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(32)],
            "group": ["Small"] * 12 + ["Big"] * 20,
            "status": ["ok"] * 8 + ["filler"] * 4 + ["ok"] * 20,
        }
    )
    quotes = pd.DataFrame({"id": ["r0", "r20"], "quote": ["a", "b"]})
    assert filter_quotes(quotes, f, ["group"], 10)["id"].tolist() == ["r20"]
    without_status = filter_quotes(quotes, f.drop(columns="status"), ["group"], 10)
    assert without_status["id"].tolist() == ["r0", "r20"]


def test_multi_code_rows_are_not_additive_so_only_columns_get_secondary_suppression():
    # 3 groups x 2 codes; respondents may carry both codes, so rows exceed their bases
    counts = pd.DataFrame([[60, 55], [40, 4], [30, 25]], index=["East", "North", "South"])
    bases = [80, 41, 50]
    additive, _ = suppression_masks(counts, 10, True, bases)
    multi, base_hidden = suppression_masks(counts, 10, True, bases, additive_rows=False)
    assert additive.loc["North", 0]  # treated as additive, North's 40 was hidden too
    assert not multi.loc["North", 0]  # 4 cannot be recovered from North's row: 40 stays
    assert multi.loc["North", 1]
    # the column still adds up to a published theme total: a second cell hides there
    assert int(multi[1].sum()) >= 2
    assert not base_hidden.any()


# ---------------------------------------------------------------- residuals (issue 20)
def _line_sums_safe(values, cells, bases, base_mask, threshold):
    """Each line with a published total and hidden entries has 2+ of them, summing to >= t.

    Rows: a group's cells sum to its size (published unless hidden). Columns: a theme's
    cells sum to its published total; the sizes sum to the published grand total.
    """
    grid = np.column_stack([values, bases])
    mask = np.column_stack([cells, base_mask])
    rows = [(v, h) for v, h, b in zip(values, cells, base_mask, strict=True) if not b]
    for line, hidden in [*rows, *zip(grid.T, mask.T, strict=True)]:
        if hidden.any():
            assert hidden.sum() >= 2, (line, hidden)
            assert line[hidden].sum() >= threshold, (line, hidden)


def test_hidden_cells_summing_to_zero_are_not_recoverable():
    # column "b": two small cells hidden as secondary would be zeros -> recoverable as 0
    counts = pd.DataFrame({"a": [3, 40, 50], "b": [0, 0, 60], "c": [30, 30, 1]})
    cells, bases = suppression_masks(counts, threshold=10, secondary=True)
    values = counts.to_numpy()
    _line_sums_safe(values, cells.to_numpy(), values.sum(axis=1), bases.to_numpy(), 10)


def test_hidden_months_cannot_be_bounded_by_their_total():
    # eight small months summing to 9 beside big ones: the column total would bound them
    months = [1, 1, 1, 1, 1, 1, 1, 2, 30, 40, 50]
    counts = pd.DataFrame({"t1": months, "t2": [0] * 8 + [25, 35, 45]})
    cells, bases = suppression_masks(counts, threshold=10, secondary=True)
    values = counts.to_numpy()
    _line_sums_safe(values, cells.to_numpy(), values.sum(axis=1), bases.to_numpy(), 10)


def test_random_tables_leave_no_residual():
    rng = np.random.default_rng(4)
    for _ in range(50):
        counts = pd.DataFrame(rng.poisson(rng.uniform(0.5, 25), size=(6, 5)))
        cells, bases = suppression_masks(counts, threshold=10, secondary=True)
        values = counts.to_numpy()
        _line_sums_safe(values, cells.to_numpy(), values.sum(axis=1), bases.to_numpy(), 10)


def test_small_groups_are_merged_and_never_named():
    from covidlearning.privacy.disclosure import merge_small_groups, other_groups_label

    counts = pd.DataFrame({"a": [20, 2, 3], "b": [15, 1, 4]}, index=["Big", "Tiny", "Wee"])
    bases = counts.sum(axis=1)
    merged, mbases, small = merge_small_groups(counts, bases, 10)
    assert small == ["Tiny", "Wee"]
    assert list(merged.index) == ["Big", other_groups_label(10)]
    assert merged.loc[other_groups_label(10)].tolist() == [5, 5] and mbases.iloc[-1] == 10
    assert "Tiny" not in merged.index and "Wee" not in mbases.index


def test_opensafely_rule_defaults_and_rounding():
    from covidlearning.config import DisclosureConfig
    from covidlearning.privacy.disclosure import round_count, rule_statement

    cfg = DisclosureConfig(rule="opensafely")
    assert (cfg.threshold, cfg.rounding, cfg.secondary) == (8, 5, False)
    assert DisclosureConfig().rule == "gp-patient-survey" and DisclosureConfig().rounding == 1
    assert DisclosureConfig(rule="opensafely", threshold=11).threshold == 11
    assert [round_count(v, 5) for v in (8, 12, 13, 17, 100)] == [10, 10, 15, 15, 100]
    assert round_count(13, 1) == 13
    text = rule_statement(cfg.threshold, cfg.secondary, cfg.rounding)
    assert "7 or fewer" in text and "nearest 5" in text and "OpenSAFELY" in text
    assert "GP Patient Survey" in rule_statement(10, True)


def test_published_group_names_read_as_wards_or_places_are_allowed():
    from covidlearning.privacy.redact import Redactor

    red = Redactor()
    wards = ["Rowan Ward"] * 12 + ["Ash Ward"] * 4 + ["Palliative Care"] * 15
    wards += ["Oakham Hospital"] * 10 + ["Birch Ward"] * 10
    status = ["ok"] * (len(wards) - 1) + ["missing"]  # Birch Ward: 9 analysed
    frame = pd.DataFrame({"ward": wards, "status": status})
    got = published_group_strings(frame, ["ward", "absent"], red, threshold=10)
    # a small group is not published, "Palliative Care" needs nothing
    assert got == ["Oakham Hospital", "Rowan Ward"]
    assert published_group_strings(frame, ["ward"], red, threshold=20) == []


@pytest.mark.parametrize(
    "names",
    [
        ["Tom Ward", "Mr Ward", "Dr Sarah Ward"],  # people read as wards: titles give it away
        ["Rowan Ward", "Sue Jones"],  # one name read as a person: the column is of people
        ["Rowan Ward", "Ring 07700 900123"],
        ["Tom Ward", "Patel", "Okonkwo"],  # a bare surname: a column of people
        ["Rowan Ward (Sister)", "Ash Ward"],
    ],
)
def test_no_group_name_is_allowed_from_a_column_that_names_people(names):
    from covidlearning.privacy.redact import Redactor

    frame = pd.DataFrame({"who": [n for n in names for _ in range(10)]})
    assert published_group_strings(frame, ["who"], Redactor()) == []
