"""Statistical disclosure control for published breakdowns and quotes.

One policy for the whole report (default threshold 10, after the GP Patient Survey,
which publishes no result based on fewer than 10 respondents):

* **Whole-population counts are exact.** How many responses fall in each theme
  (discovered or coded) covers everyone who answered and ties no one to a group a
  reader could pick out, so theme sizes and their shares of all responses are shown
  as they are, small ones included.
* **No figure rests on fewer than ``threshold`` responses.** A share, mean or stance
  split *within* a theme, group or period of fewer than ``threshold`` responses is
  hidden (``*``), and no key finding is drawn from fewer than ``threshold`` responses.
* **Primary suppression in breakdowns.** Where responses are split by a recorded
  characteristic (a grouping column, a period), a count from 1 to ``threshold - 1``
  is hidden, shown as ``*``; so is every figure for a group or period whose size is
  below the threshold. Zero counts in groups at or above the threshold stay visible.
* **Secondary suppression, only where totals make it recoverable.** In those
  breakdowns the row and column totals are published (group sizes and theme sizes),
  so the hidden cells of a line sum to its total minus its visible cells. One hidden
  cell would be recovered by subtraction; hidden cells summing to 0 (beside a visible
  zero) would all be recovered as 0; hidden cells summing to less than the threshold
  (eight hidden months summing to 9) would each be bounded below it. In every such line
  the next smallest visible cell is hidden too, repeated until each line with hidden
  cells has at least two, summing to at least ``threshold``. The group sizes are treated
  the same way against the grand total, so one small group's size cannot be
  recovered. Where a respondent can carry several codes (framework coding with
  ``code.max_themes`` above 1) a group's row does not add up to its size, so only
  columns and group sizes get secondary suppression. Lines can be safe one by one while
  the rows and columns together pin a figure (a small group's row forced to 0 by the
  sizes around it), so the table is then audited as statistical offices audit theirs,
  by linear programming over every published sum (:func:`bounds_of_hidden`; where rows
  do not add up, no count exceeds its group's size and every respondent is counted at
  least once): while a figure the primary rule hid can be narrowed to a range under
  ``threshold`` wide (or under the total it lies in, if smaller), the smallest visible
  figure of its row or column is hidden too (of a line through its hidden partners, or
  of the table, once those are all hidden). Rectangles of hidden cells (or moves within
  a column, where rows do not add up) that already move a figure that far spare the
  programme. Rounded totals (the OpenSAFELY rule) are not audited this way.
* **Small groups are not named.** Groups below the threshold are reported together as
  one row, "Other groups (each fewer than 10 respondents)" (:func:`merge_small_groups`):
  a row naming a group of 3, even with every figure hidden, tells a reader it answered.
* **Group names are published as written.** A group of at least ``threshold``
  respondents is named in the breakdowns and in its quotes' sources, so its name is
  allowed through redaction where redaction would take it for a ward or a place
  ("Rowan Ward", "Oakham Hospital"; :func:`published_group_strings`). A name holding
  anything else redaction finds (a person's name, a phone number) is not, and the
  final guard stops the run.
* **Quotes.** No quote is shown from a respondent in any group (in any grouping
  column) with fewer than ``threshold`` respondents.
* **The OpenSAFELY rule** (``disclosure.rule: opensafely``) instead hides counts of 7 or
  fewer and rounds every other count and total to the nearest 5 (:func:`round_count`),
  so totals no longer give hidden cells away; the report states whichever rule ran
  (:func:`rule_statement`).

Shares are hidden wherever the count they come from is hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from covidlearning.config import DisclosureConfig

#: The default rule (``disclosure.threshold`` and ``disclosure.secondary`` of the config).
THRESHOLD: int = DisclosureConfig.model_fields["threshold"].default
SECONDARY: bool = DisclosureConfig.model_fields["secondary"].default

SUPPRESSED = "*"
NOT_STATED = "(not stated)"


def suppression_mask(
    counts: pd.DataFrame,
    threshold: int = THRESHOLD,
    secondary: bool = SECONDARY,
    bases: pd.Series | Sequence[int] | None = None,
    additive_rows: bool = True,
) -> pd.DataFrame:
    """Return a boolean frame, True where a cell of ``counts`` must be hidden.

    See :func:`suppression_masks` for the arguments; this drops the mask of the bases.
    """
    return suppression_masks(counts, threshold, secondary, bases, additive_rows)[0]


def suppression_masks(
    counts: pd.DataFrame,
    threshold: int = THRESHOLD,
    secondary: bool = SECONDARY,
    bases: pd.Series | Sequence[int] | None = None,
    additive_rows: bool = True,
    exact_totals: bool = True,
) -> tuple[pd.DataFrame, pd.Series]:
    """Return (cell mask, base mask): True where a count or a row's base must be hidden.

    Args:
        counts: respondents per cell (rows are groups or periods, columns are themes).
        threshold: the minimum number of respondents a published figure may rest on.
        secondary: also hide cells that would let a hidden one be recovered from totals.
        bases: respondents per row (group size); default the row sums. A row whose base
            is below the threshold is hidden entirely.
        additive_rows: the cells of a row add up to its base (one theme per respondent).
            False when a respondent can be counted under several themes (coding with
            ``code.max_themes`` above 1): a row then has no total to subtract from, and
            secondary suppression protects the columns (each respondent is in one group,
            so a theme's column still adds up to its published total) and the bases only.
        exact_totals: the totals are published exactly (no rounding), so the rows and
            columns together are audited too (:func:`_protect_jointly`).
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    values = counts.fillna(0).to_numpy(dtype=float)
    base = (
        values.sum(axis=1)
        if bases is None
        else np.asarray(pd.Series(bases).to_numpy(), dtype=float).reshape(-1)
    )
    if len(base) != values.shape[0]:
        raise ValueError("bases must have one value per row of counts")
    hide = (values > 0) & (values < threshold)
    hide[base < threshold, :] = True
    col_tot = values.sum(axis=0)
    hide[:, col_tot < threshold] = True
    base_hide = base < threshold
    if secondary and values.size:
        hide, base_hide = _secondary(values, hide, base, threshold, additive_rows, exact_totals)
    return (
        pd.DataFrame(hide, index=counts.index, columns=counts.columns),
        pd.Series(base_hide, index=counts.index, name="base"),
    )


def _secondary(
    values: np.ndarray,
    hide: np.ndarray,
    base: np.ndarray,
    threshold: int,
    additive_rows: bool = True,
    exact_totals: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Hide more cells until no row or column relation exposes a hidden entry.

    Each row's cells sum to its base (the group size) when ``additive_rows``; each column
    sums to a published theme total; the bases form one more column summing to the
    published grand total. Line by line first (:func:`_exposed`); then, with
    ``exact_totals`` (no rounding), the relations together (:func:`_protect_jointly`).
    """
    n_cols = values.shape[1]
    grid = np.column_stack([values, base])
    mask = np.column_stack([hide, base < threshold])
    sensitive = mask.copy()  # what the primary rule hid: the figures to protect
    safe: set[tuple[int, int]] = set()  # protected already: hiding more only widens a range
    changed = True
    while changed:
        changed = False
        for i in range(grid.shape[0] if additive_rows else 0):
            if _exposed(grid[i, :n_cols], mask[i, :n_cols], threshold):
                changed |= _hide_next(grid[i, :n_cols], mask[i, :n_cols])
        for j in range(grid.shape[1]):
            col = mask[:, j].copy()
            if _exposed(grid[:, j], col, threshold) and _hide_next(grid[:, j], col):
                mask[:, j] = col
                changed = True
        if not changed and exact_totals:
            changed = _protect_jointly(grid, mask, sensitive, threshold, additive_rows, safe)
    return mask[:, :n_cols], mask[:, n_cols]


def _exposed(line: np.ndarray, hidden: np.ndarray, threshold: int) -> bool:
    """True if a line's published total lets a reader recover or narrow its hidden cells.

    The hidden cells of a line sum to its total minus the visible cells. One hidden cell
    is recovered exactly; hidden cells summing to 0 (beside a visible zero, say) are all
    recovered as 0; and hidden cells summing to less than ``threshold`` are each bounded
    below it (eight hidden months summing to 9). So a line with hidden cells needs at
    least two of them, summing to at least ``threshold``.
    """
    k = int(hidden.sum())
    if k == 0:
        return False
    return k == 1 or float(line[hidden].sum()) < threshold


def _hide_next(line: np.ndarray, hidden: np.ndarray) -> bool:
    """Hide the smallest visible entry of one line (positive ones first), in place."""
    candidates = [k for k in range(len(line)) if not hidden[k]]
    if not candidates:
        return False
    positive = [k for k in candidates if line[k] > 0]
    pool = positive or candidates
    k = min(pool, key=lambda k: (line[k], k))
    hidden[k] = True
    return True


def _relations(
    shape: tuple[int, int], additive_rows: bool
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """What a reader knows of a grid of cells plus a last column of group sizes.

    Coefficients over the flattened grid: ``(equalities, at_most_zero)``. Equal to
    what was published: a row's cells minus its size make 0 (when rows add up), each
    theme's column sums to its published size, and the sizes to the grand total. When
    rows do not add up (a respondent under several themes), no cell exceeds its group's
    size (each cell minus its size is at most 0), and every respondent is counted at least
    once (the size minus the row's cells is at most 0).
    """
    n, width = shape
    equal, at_most = [], []
    for i in range(n):
        row = np.zeros(shape)
        row[i, :-1], row[i, -1] = 1.0, -1.0
        if additive_rows:
            equal.append(row.ravel())
            continue
        at_most.append(-row.ravel())
        for j in range(width - 1):
            c = np.zeros(shape)
            c[i, j], c[i, -1] = 1.0, -1.0
            at_most.append(c.ravel())
    for j in range(width):
        c = np.zeros(shape)
        c[:, j] = 1.0
        equal.append(c.ravel())
    return equal, at_most


class _Audit:
    """A reader's linear programme over one suppressed grid: the range of a hidden entry.

    Args:
        grid: counts, with the group sizes as the last column.
        mask: True where an entry of ``grid`` is hidden.
        additive_rows: a row's cells add up to its size.
    """

    def __init__(self, grid: np.ndarray, mask: np.ndarray, additive_rows: bool) -> None:
        flat, hid = grid.ravel(), mask.ravel()
        self.hidden = np.flatnonzero(hid)
        self.width = grid.shape[1]
        self.position = {int(h): k for k, h in enumerate(self.hidden)}
        equal, at_most = _relations(grid.shape, additive_rows)

        def split(rows: list[np.ndarray]) -> tuple[np.ndarray | None, np.ndarray | None]:
            """The relations on hidden entries: their coefficients, and the visible part."""
            rows = [c for c in rows if c[self.hidden].any()]
            if not rows:
                return None, None
            m = np.array(rows)
            return m[:, hid], m[:, ~hid] @ flat[~hid]

        # an equality holds at the true values, so its right-hand side is the hidden part's
        self.a_eq, _ = split(equal)
        self.b_eq = None if self.a_eq is None else self.a_eq @ flat[hid]
        # at most 0: the visible part moves to the right-hand side
        self.a_ub, visible = split(at_most)
        self.b_ub = None if visible is None else -visible

    def bounds(self, i: int, j: int) -> tuple[float, float]:
        """The smallest and largest value hidden entry ``(i, j)`` can take (``inf``: none)."""
        from scipy.optimize import linprog

        ends = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(self.hidden))
            c[self.position[i * self.width + j]] = sign
            res = linprog(
                c, A_ub=self.a_ub, b_ub=self.b_ub, A_eq=self.a_eq, b_eq=self.b_eq,
                bounds=(0, None), method="highs",
            )  # fmt: skip
            ends.append(sign * res.fun if res.status == 0 else sign * np.inf)
        return max(ends[0], 0.0), ends[1]


def bounds_of_hidden(
    grid: np.ndarray,
    mask: np.ndarray,
    additive_rows: bool = True,
    entries: Iterable[tuple[int, int]] | None = None,
) -> dict[tuple[int, int], tuple[float, float]]:
    """What a reader can infer of hidden entries from everything published.

    Two linear programmes per entry over everything a reader knows (:func:`_relations`),
    every count non-negative, give the smallest and largest value the entry can take
    (``inf`` when unbounded): the audit statistical offices run on a suppressed table
    (Hundepool et al., *Statistical Disclosure Control*, 2012, ch. 4), solved by
    scipy's HiGHS.

    Args:
        grid: counts, with the group sizes as the last column.
        mask: True where an entry of ``grid`` is hidden.
        additive_rows: a row's cells add up to its size.
        entries: the hidden ``(row, column)`` entries to bound (default: all).
    """
    audit = _Audit(grid, mask, additive_rows)
    if entries is None:
        entries = [divmod(int(h), grid.shape[1]) for h in audit.hidden]
    return {(i, j): audit.bounds(i, j) for i, j in entries}


def _rectangle_width(grid: np.ndarray, mask: np.ndarray, i: int, j: int) -> float:
    """How far a hidden cell can move, at least, along rectangles of hidden cells.

    With rows adding up, adding ``d`` at ``(i, j)`` and ``(r, k)`` and taking it from
    ``(i, k)`` and ``(r, j)`` keeps every published sum. Rectangles through the cell that
    share no other row or column move it independently: up by the sum of their
    ``min(x_ik, x_rj)``, down by the sum of their ``min(x_ij, x_rk)`` (at most ``x_ij``).
    Their total is a lower bound of the width of a reader's range, found greedily and
    without a linear programme (0 for a group size, or with no hidden rectangle).
    """
    cells = grid.shape[1] - 1
    if j >= cells:
        return 0.0
    ks = [int(k) for k in np.flatnonzero(mask[i, :cells]) if k != j]
    rs = [int(r) for r in np.flatnonzero(mask[:, j]) if r != i]
    pairs = sorted(
        ((min(grid[i, k], grid[r, j]), min(grid[i, j], grid[r, k]), k, r)
         for k in ks for r in rs if mask[r, k]),
        key=lambda p: (-p[0] - p[1], p[2], p[3]),
    )  # fmt: skip
    up = down = 0.0
    used_k: set[int] = set()
    used_r: set[int] = set()
    for u, d, k, r in pairs:
        if k not in used_k and r not in used_r:
            used_k.add(k)
            used_r.add(r)
            up, down = up + float(u), down + float(d)
    return up + min(down, float(grid[i, j]))


def _column_width(grid: np.ndarray, mask: np.ndarray, i: int, j: int) -> float:
    """A lower bound of a hidden cell's range when rows do not add up, without a programme.

    Moving ``d`` between the cell and another hidden cell of its column keeps every
    published sum; each row must keep every cell within its size and its cells summing to
    at least its size. Up by what its partners can give (``min(x_rj, surplus_r)``, their
    rows' surplus over their sizes) within its own headroom to its size; down by its value
    and its row's surplus, within what its partners can take (``size_r - x_rj``). 0 for a
    group size.
    """
    cells = grid.shape[1] - 1
    if j >= cells:
        return 0.0
    size = grid[:, cells]
    surplus = grid[:, :cells].sum(axis=1) - size
    rs = [int(r) for r in np.flatnonzero(mask[:, j]) if r != i]
    give = sum(min(float(grid[r, j]), max(float(surplus[r]), 0.0)) for r in rs)
    take = sum(max(float(size[r] - grid[r, j]), 0.0) for r in rs)
    up = min(float(size[i] - grid[i, j]), give)
    down = min(float(grid[i, j]), max(float(surplus[i]), 0.0), take)
    return max(up, 0.0) + max(down, 0.0)


def _protect_jointly(
    grid: np.ndarray,
    mask: np.ndarray,
    sensitive: np.ndarray,
    threshold: int,
    additive_rows: bool,
    safe: set[tuple[int, int]],
) -> bool:
    """Hide one more entry beside the first protected figure the sums together pin down.

    Line by line every hidden figure may be safe while the rows and columns together
    pin one (a small group's cells forced to 0 by the sizes around them). A figure the
    primary rule hid is protected when a reader's range for it (:func:`bounds_of_hidden`)
    is at least ``threshold`` wide, or as wide as the published total it lies under
    when that is smaller. The first one that is not gets the smallest visible entry of
    its row or column hidden too (in place); when those are all hidden, the smallest
    visible entry of a line through another hidden entry of its row or column, and then
    of the whole table. Figures found protected are added to ``safe`` and not bounded
    again: hiding more can only widen their ranges. Returns whether anything was hidden.
    """
    n, width = grid.shape
    totals = grid.sum(axis=0)
    shortcut = _rectangle_width if additive_rows else _column_width
    audit = None  # built when a figure first needs the programme
    for i, j in zip(*np.nonzero(sensitive & mask), strict=True):
        i, j = int(i), int(j)
        if (i, j) in safe:
            continue
        need = min(float(threshold), float(totals[j])) - 1e-6
        if shortcut(grid, mask, i, j) >= need:
            safe.add((i, j))  # no programme needed: moves along hidden cells go that far
            continue
        audit = audit or _Audit(grid, mask, additive_rows)
        lo, hi = audit.bounds(i, j)
        if hi - lo >= need:
            safe.add((i, j))
            continue
        rows = {i} | {int(r) for r in np.flatnonzero(mask[:, j])}
        cols = {j} | {int(k) for k in np.flatnonzero(mask[i])}
        near = [(i, k) for k in range(width)] if additive_rows else []
        near += [(r, j) for r in range(n)]
        beside = [(r, k) for r in rows for k in range(width)]
        beside += [(r, k) for k in cols for r in range(n)]
        everywhere = [(r, k) for r in range(n) for k in range(width)]
        for entries in (near, beside, everywhere):
            pool = [(float(grid[e]), e) for e in entries if not mask[e]]
            if pool:
                positive = [p for p in pool if p[0] > 0]
                mask[min(positive or pool)[1]] = True
                return True
        return False  # everything is hidden
    return False


def suppress(
    table: pd.DataFrame,
    threshold: int = THRESHOLD,
    secondary: bool = SECONDARY,
    counts: pd.DataFrame | None = None,
    bases: pd.Series | Sequence[int] | None = None,
) -> pd.DataFrame:
    """Return ``table`` with every disclosive cell replaced by ``"*"``.

    Args:
        table: a wide table of counts (or of shares, with ``counts`` given).
        threshold: minimum respondents behind a published figure (default 10).
        secondary: hide further cells so hidden ones cannot be recovered from totals.
        counts: the counts behind ``table`` when ``table`` holds shares or rates.
        bases: respondents per row; default the row sums of the counts.

    Returns:
        An object-dtype frame with the same index and columns.
    """
    counts = table if counts is None else counts
    if counts.shape != table.shape:
        raise ValueError("counts must have the same shape as table")
    mask = suppression_mask(counts, threshold, secondary, bases)
    out = table.astype(object).copy()
    out[mask.to_numpy()] = SUPPRESSED
    return out


def other_groups_label(threshold: int) -> str:
    """The row that stands for every group below the threshold, unnamed."""
    return f"Other groups (each fewer than {threshold} respondents)"


def merge_small_groups(
    counts: pd.DataFrame, bases: pd.Series, threshold: int = THRESHOLD
) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """Report every group below the threshold together, so no small group is named.

    A breakdown that lists a group of 3 respondents, even with every figure hidden, tells
    a reader that such a group answered (and which). The small groups' rows are summed into
    one row, :func:`other_groups_label`, placed last; suppression then treats it as any
    other row (it may still be below the threshold and hidden).

    Returns:
        The counts and bases with the merged row, and the names of the merged groups
        (for the audit, never for publication).
    """
    small = [g for g in bases.index if 0 < int(bases[g]) < threshold]
    if not small:
        return counts, bases, []
    label = other_groups_label(threshold)
    keep = [g for g in bases.index if g not in small]
    merged = counts.loc[keep].copy()
    merged.loc[label] = counts.loc[small].sum(axis=0)
    merged_bases = bases.loc[keep].copy()
    merged_bases.loc[label] = int(bases.loc[small].sum())
    merged.index.name = counts.index.name
    return merged.astype(int), merged_bases.astype(int), [str(g) for g in small]


def group_sizes(frame: pd.DataFrame, column: str) -> pd.Series:
    """Respondents per value of ``column``; blank values are counted as ``(not stated)``."""
    return group_labels(frame[column]).value_counts().sort_index()


def group_labels(values: pd.Series) -> pd.Series:
    """Group values as clean strings, blanks as ``(not stated)``."""
    s = values.astype("string").str.strip().fillna("")
    return s.mask(s == "", NOT_STATED).astype(str)


#: Kinds of identifier a published group name may be read as: where people were seen,
#: which a breakdown by ward or site publishes by design.
GROUP_NAME_KINDS = frozenset({"ward_bed", "place"})


def published_group_strings(
    frame: pd.DataFrame,
    group_columns: Iterable[str],
    redactor: Any,
    threshold: int = THRESHOLD,
) -> list[str]:
    """The published group names (and the spans in them) that redaction would remove.

    A group is published when at least ``threshold`` analysed respondents are in it (as
    :func:`quotable` counts them). Where the redactor reads such a name only as wards
    and places ("Rowan Ward", "Oakham Hospital"), the name is returned, for the run to
    allow; otherwise every report broken down by ward would be stopped by the final
    guard. Since a person can read as a ward ("Mr Ward", "Tom Ward"), a column is a
    column of places only when every published name the redactor flags in it is a ward
    or a place without a title ("Dr", "Nurse") and no published name in it is one listed
    name ("Patel"): one name read as a person, a contact or a number, and none of the
    column's names is returned, so the guard still stops the run.

    Args:
        frame: the responses, with the group columns (and ``status`` when loaded).
        group_columns: the grouping columns.
        redactor: the run's :class:`covidlearning.privacy.redact.Redactor` (its
            ``find`` and ``is_listed_name``).
        threshold: smallest group that is published.

    Returns:
        The strings, sorted.
    """
    from covidlearning.privacy.redact import has_title

    if "status" in frame.columns:
        frame = frame[frame["status"].astype(str) == "ok"]
    out: set[str] = set()
    for col in group_columns:
        if col not in frame.columns:
            continue
        sizes = group_sizes(frame, col)
        names = list(sizes[sizes >= threshold].index.astype(str))
        flagged = {}
        for name in names:
            spans = redactor.find(name)
            if spans:
                flagged[name] = all(s.kind in GROUP_NAME_KINDS for s in spans) and not (
                    has_title(name)
                )
        people = any(redactor.is_listed_name(n) for n in names)  # "Patel", "Okonkwo"...
        if flagged and all(flagged.values()) and not people:
            out |= set(flagged)
    return sorted(out)


def small_groups(
    frame: pd.DataFrame, group_columns: Iterable[str], threshold: int = THRESHOLD
) -> dict[str, list[str]]:
    """For each grouping column, the values held by fewer than ``threshold`` respondents."""
    out = {}
    for col in group_columns:
        sizes = group_sizes(frame, col)
        out[col] = sorted(sizes[sizes < threshold].index.tolist())
    return out


def quotable(
    frame: pd.DataFrame, group_columns: Iterable[str], threshold: int = THRESHOLD
) -> pd.Series:
    """Boolean per row of ``frame``: True when no grouping puts the respondent in a small group.

    Group sizes count analysed rows only: when ``frame`` has a ``status`` column (from
    :func:`covidlearning.corpus.load.load_table`), rows whose status is not ``ok`` (empty or
    filler answers) do not make a group look bigger than it is in the breakdowns.
    """
    counted = frame["status"].astype(str) == "ok" if "status" in frame.columns else None
    ok = pd.Series(True, index=frame.index)
    for col in group_columns:
        labels = group_labels(frame[col])
        basis = labels if counted is None else labels[counted]
        sizes = labels.map(basis.value_counts()).fillna(0)
        ok &= sizes >= threshold
    return ok


def filter_quotes(
    quotes: pd.DataFrame,
    frame: pd.DataFrame,
    group_columns: Iterable[str],
    threshold: int = THRESHOLD,
    id_column: str = "id",
) -> pd.DataFrame:
    """Drop quotes from respondents in any group below the threshold.

    Args:
        quotes: a table of quotes with an ``id_column`` naming the response quoted.
        frame: the analysed responses (``id`` plus the grouping columns); group sizes
            are counted here.
        group_columns: the columns the report breaks down by.
        threshold: minimum group size.
        id_column: the column of ``quotes`` holding response ids.
    """
    group_columns = [c for c in group_columns if c in frame.columns]
    if not group_columns or quotes.empty:
        return quotes.copy()
    ok = quotable(frame, group_columns, threshold)
    allowed = set(frame.loc[ok, "id"].astype(str))
    keep = quotes[id_column].astype(str).isin(allowed)
    return quotes[keep].copy()


def share_publishable(base: float, threshold: int = THRESHOLD) -> bool:
    """True when a share, mean or split of ``base`` responses may be published."""
    return bool(base >= threshold)


def round_count(value: int, rounding: int = 1) -> int:
    """``value`` rounded to the nearest multiple of ``rounding`` (halves up; 1: unchanged)."""
    if rounding <= 1:
        return int(value)
    return int((int(value) + rounding // 2) // rounding * rounding)


def rule_statement(
    threshold: int = THRESHOLD, secondary: bool = SECONDARY, rounding: int = 1
) -> str:
    """The disclosure-control rule in plain English, for the report (one policy throughout)."""
    if rounding > 1:
        return _rounding_statement(threshold, secondary, rounding)
    t = threshold
    text = (
        f"To protect respondents, no figure is published that rests on fewer than {t} people. "
        "How many responses fall in each theme is shown exactly, small themes included: it "
        "covers everyone who answered and ties no one to a group. For a theme of fewer "
        f"than {t} responses, the split of its responses by stance and their mean sentiment "
        "are shown as *. "
        "Where themes are broken down by a group or by period, counts from 1 to "
        f"{t - 1} are shown as *, and every figure for a group or period with fewer than {t} "
        "respondents is shown as * too. "
    )
    if secondary:
        text += (
            "So that a hidden figure cannot be worked out by subtracting the others from a "
            "total, at least one more figure is hidden in any row or column of those "
            "breakdowns that would otherwise have only one (secondary suppression), and more "
            "until the totals taken together leave every hidden small figure a range of at "
            f"least {t} possible values. "
        )
    text += (
        f"No key finding rests on fewer than {t} responses. "
        f"No quote is shown from anyone in a group of fewer than {t} respondents, and every "
        "quote has names, contact details, NHS and reference numbers, addresses, postcodes, "
        "dates of birth, web addresses and ward or bed numbers replaced by placeholders "
        "such as [NAME]. "
        "Where groups or periods are broken down, every group of fewer than "
        f"{t} respondents is reported together with the others that small, never by name. "
        "The threshold follows the GP Patient Survey, which publishes no result based on "
        "fewer than 10 responses."
    )
    return text


def _rounding_statement(threshold: int, secondary: bool, rounding: int) -> str:
    """The OpenSAFELY-style rule (small counts hidden, all others rounded) in plain English."""
    t = threshold
    text = (
        f"To protect respondents, where themes are broken down by a group or by period, "
        f"counts of {t - 1} or fewer are shown as *, and every other count and every total "
        f"is rounded to the nearest {rounding}, so no hidden figure can be worked out by "
        "subtracting the others from a total. Every group of fewer than "
        f"{t} respondents is reported together with the others that small, never by name. "
    )
    if secondary:
        text += "Further figures are hidden where a row or column would otherwise reveal one. "
    text += (
        f"No key finding rests on fewer than {t} responses, and no quote is shown from anyone "
        f"in a group of fewer than {t} respondents. Every quote has names, contact details, "
        "NHS and reference numbers, addresses, postcodes, dates of birth, web addresses and "
        "ward or bed numbers replaced by placeholders such as [NAME]. The rule follows "
        f"OpenSAFELY's: counts of {t - 1} or fewer redacted, others rounded to the nearest "
        f"{rounding}."
    )
    return text
