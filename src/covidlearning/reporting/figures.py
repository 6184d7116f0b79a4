"""Report figures: matplotlib, colour-blind-safe, readable, saved as PNG and SVG.

Colours come from the Okabe-Ito palette (Okabe & Ito, 2008), which stays distinct
under the common colour-vision deficiencies; heatmaps use ``cividis``, a sequential
map designed to read the same for everyone. Labels are wrapped, not shrunk.

Every figure of the package, the breakdowns by group and over time included, is drawn
here or with these helpers, so one place sets the style: :func:`pyplot` (fonts, sizes,
spines, resolution), the colours below, :func:`wrap` for labels, :func:`footnote` for
notes under a figure and :func:`save` for output.

Output is deterministic: the SVG hash salt is fixed and the creation date is left
out, so the same data give byte-identical files. Every function returns the
``Figure``; :func:`save` writes ``<name>.png`` and ``<name>.svg``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from types import ModuleType

    from matplotlib.figure import Figure

#: Okabe-Ito palette, in its usual order (black last).
OKABE_ITO: tuple[str, ...] = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#000000",  # black
)
#: Stance colours: keep = bluish green, not repeat = vermillion, mixed = yellow, neutral = grey.
STANCE_COLOURS = {
    "keep": "#009E73",
    "not repeat": "#D55E00",
    "mixed": "#E69F00",
    "neutral": "#BBBBBB",
}
#: Line colours: Okabe-Ito without yellow, which is hard to see as a line on white.
LINE_COLOURS: tuple[str, ...] = tuple(c for c in OKABE_ITO if c != "#F0E442")
SEQUENTIAL = "cividis"
#: Heatmap cells with no number to show (missing, or hidden by disclosure control).
BLANK_COLOUR = "#f2f2f2"
#: Notes and other secondary text.
NOTE_COLOUR = "#555555"
DPI = 150


def pyplot() -> ModuleType:
    """``matplotlib.pyplot`` with a non-interactive backend and the package's figure style.

    The one place the style is set (rcParams): fonts, title and label sizes, spines,
    the Okabe-Ito colour cycle, resolution and deterministic SVG output.
    """
    import matplotlib

    if matplotlib.get_backend().lower() not in {"agg", "module://matplotlib_inline.backend_inline"}:
        matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "covidlearning",
            "svg.fonttype": "path",
            "font.size": 11,
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            "axes.labelsize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
            "figure.dpi": 100,
            "savefig.dpi": DPI,
            "savefig.bbox": "tight",
            "font.family": "DejaVu Sans",
        }
    )
    return plt


def wrap(label: object, width: int = 38) -> str:
    """Wrap a label onto several lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(str(label), width=width)) or str(label)


def footnote(fig: Figure, text: str, width: int = 140) -> None:
    """Write ``text`` under the whole figure in small grey type, wrapped to ``width``."""
    fig.text(
        0.0, -0.02, wrap(text, width), fontsize=8, color=NOTE_COLOUR, va="top",
        transform=fig.transFigure,
    )  # fmt: skip


def save(fig: Figure, out_dir: str | Path, name: str) -> dict[str, Path]:
    """Write ``fig`` as ``out_dir/name.png`` and ``out_dir/name.svg`` and close it.

    Returns:
        ``{"png": path, "svg": path}``.
    """
    plt = pyplot()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"png": out / f"{name}.png", "svg": out / f"{name}.svg"}
    fig.savefig(paths["png"], format="png", metadata={"Software": None})
    fig.savefig(paths["svg"], format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths


def theme_sizes(
    themes: pd.DataFrame,
    title: str = "How often each theme appears",
    units: str = "text units",
) -> Figure:
    """Horizontal bars of each theme's share of units, with its 95% confidence interval.

    Args:
        themes: ``label``, ``size``, ``share``, ``ci_low``, ``ci_high`` per theme.
        title: figure title.
        units: what is counted, for the axis ("text units", "responses").
    """
    plt = pyplot()
    t = themes.sort_values(["size", "label"], ascending=[True, False])
    n = len(t)
    fig, ax = plt.subplots(figsize=(9, max(2.5, 0.55 * n + 1.2)))
    y = np.arange(n)
    share = t["share"].to_numpy(dtype=float) * 100
    lo = share - t["ci_low"].to_numpy(dtype=float) * 100
    hi = t["ci_high"].to_numpy(dtype=float) * 100 - share
    ax.barh(y, share, color=OKABE_ITO[4], height=0.65)
    ax.errorbar(share, y, xerr=[lo, hi], fmt="none", ecolor="#333333", capsize=3, lw=1)
    for yi, size in zip(y, t["size"].to_numpy(), strict=True):
        ax.text(0.4, yi, f"{int(size)}", va="center", ha="left", color="white", fontsize=9)
    ax.set_yticks(y, [wrap(x, 42) for x in t["label"]])
    ax.set_xlabel(f"Share of analysed {units} (%), with 95% confidence interval")
    ax.set_xlim(0, max(5.0, float(np.nanmax(share + hi)) * 1.08) if n else 100)
    ax.set_title(title, loc="left")
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    fig.tight_layout()
    return fig


def heatmap(
    matrix: pd.DataFrame,
    title: str,
    xlabel: str = "",
    ylabel: str = "",
    fmt: str = "{:.0f}",
    cbar_label: str = "",
    labels: pd.DataFrame | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    percent: bool = False,
    note: str = "",
) -> Figure:
    """A labelled heatmap (``cividis``) with each cell's value written in it.

    Args:
        matrix: numbers (rows x columns); NaN cells are drawn hatched and blank.
        title: figure title.
        xlabel: x-axis label.
        ylabel: y-axis label.
        fmt: format of the numbers written in cells.
        cbar_label: colour-bar label.
        labels: optional text to write in each cell instead of ``fmt`` (e.g. ``*``).
        vmin: lower end of the colour scale.
        vmax: upper end of the colour scale.
        percent: label the colour bar as percentages (values are shares in 0..1).
        note: a footnote under the figure.
    """
    plt = pyplot()
    values = matrix.to_numpy(dtype=float)
    nr, nc = values.shape
    fig, ax = plt.subplots(figsize=(min(16, 2.6 + 1.05 * max(nc, 1)), max(2.5, 0.5 * nr + 1.8)))
    masked = np.ma.masked_invalid(values)
    cmap = plt.get_cmap(SEQUENTIAL).with_extremes(bad=BLANK_COLOUR)
    im = ax.imshow(masked, cmap=cmap, aspect="auto", vmin=vmin, vmax=vmax)
    top = np.nanmax(values) if np.isfinite(values).any() else 1.0
    bottom = np.nanmin(values) if np.isfinite(values).any() else 0.0
    lo = bottom if vmin is None else vmin
    hi = top if vmax is None else vmax
    for i in range(nr):
        for j in range(nc):
            v = values[i, j]
            text = (
                str(labels.iat[i, j])
                if labels is not None
                else ("" if np.isnan(v) else fmt.format(v))
            )
            if not text:
                continue
            frac = 0.0 if not np.isfinite(v) or hi == lo else (v - lo) / (hi - lo)
            ax.text(j, i, text, ha="center", va="center", fontsize=9,
                    color="black" if frac > 0.55 or not np.isfinite(v) else "white")  # fmt: skip
    ax.set_xticks(
        range(nc), [wrap(c, 22) for c in matrix.columns], rotation=30, ha="right", fontsize=9
    )
    ax.set_yticks(range(nr), [wrap(r, 40) for r in matrix.index], fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    for spine in ax.spines.values():
        spine.set_visible(False)
    cb = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    cb.set_label(cbar_label)
    if percent:
        cb.ax.yaxis.set_major_formatter(_percent())
    if note:
        footnote(fig, note)
    fig.tight_layout()
    return fig


def _percent() -> Any:
    """A tick formatter for shares in 0..1: ``0.25`` reads ``25%``."""
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)


def similarity_map(
    coords: pd.DataFrame,
    title: str = "Map of themes: nearby themes talk about similar things",
) -> Figure:
    """Bubble map of themes in two dimensions; bubble area is the theme's size.

    Args:
        coords: ``label``, ``x``, ``y``, ``size`` per theme (e.g. from
            :func:`covidlearning.reporting.narrative.topic_map`).
        title: figure title.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 7))
    sizes = coords["size"].to_numpy(dtype=float)
    area = 300 + 2700 * (sizes / sizes.max() if len(sizes) and sizes.max() > 0 else sizes)
    colours = [OKABE_ITO[i % 7] for i in range(len(coords))]
    ax.scatter(coords["x"], coords["y"], s=area, c=colours, alpha=0.55, edgecolors="#333333")
    for (_, r), (lx, ly) in zip(coords.iterrows(), _spread_labels(coords), strict=True):
        moved = abs(lx - r["x"]) + abs(ly - r["y"]) > 1e-9
        ax.annotate(
            wrap(r["label"], 24), (r["x"], r["y"]), xytext=(lx, ly), ha="center", va="center",
            fontsize=9, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},  # noqa: E501
            arrowprops={"arrowstyle": "-", "color": "#777777", "lw": 0.7} if moved else None,
        )  # fmt: skip
    pad_x = (coords["x"].max() - coords["x"].min()) * 0.18 + 0.05 if len(coords) else 1
    pad_y = (coords["y"].max() - coords["y"].min()) * 0.18 + 0.05 if len(coords) else 1
    if len(coords):
        ax.set_xlim(coords["x"].min() - pad_x, coords["x"].max() + pad_x)
        ax.set_ylim(coords["y"].min() - pad_y, coords["y"].max() + pad_y)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title, loc="left")
    ax.text(
        0.0, -0.04,
        "Distances come from the meaning of each theme's texts; the axes have no units. "
        "Bubble area shows theme size.",
        transform=ax.transAxes, fontsize=9, color="#555555", va="top",
    )  # fmt: skip
    fig.tight_layout()
    return fig


def _spread_labels(coords: pd.DataFrame, line_gap: float = 0.05) -> list[tuple[float, float]]:
    """Label positions nudged apart vertically so that nearby labels do not overlap.

    Each label's box is estimated from its wrapped text (about 1% of the x span per
    character, ``line_gap`` of the y span per line). Overlapping boxes are pushed apart
    vertically until none overlap (or 200 passes). Deterministic.
    """
    x = coords["x"].to_numpy(dtype=float)
    y = coords["y"].to_numpy(dtype=float)
    if len(x) < 2:
        return list(zip(x.tolist(), y.tolist(), strict=True))
    xs = max(float(np.ptp(x)), 1e-9) * 1.36  # the axes add 18% padding either side
    ys = max(float(np.ptp(y)), 1e-9) * 1.36
    lines = [wrap(v, 24).split("\n") for v in coords["label"]]
    half_w = np.array([max(len(t) for t in ls) * 0.0105 * xs / 2 for ls in lines])
    half_h = np.array([len(ls) * line_gap * ys / 2 for ls in lines])
    ly = y.copy()
    order = np.lexsort((x, y))
    for _ in range(200):
        moved = False
        for i, a in enumerate(order):
            for b in order[i + 1 :]:
                if abs(x[a] - x[b]) >= half_w[a] + half_w[b]:
                    continue
                need = half_h[a] + half_h[b]
                gap = abs(ly[a] - ly[b])
                if gap < need:
                    push = (need - gap) / 2 + 1e-9
                    up, down = (b, a) if (ly[b], b) >= (ly[a], a) else (a, b)
                    ly[up] += push
                    ly[down] -= push
                    moved = True
        if not moved:
            break
    return list(zip(x.tolist(), ly.tolist(), strict=True))


def stance_by_theme(
    table: pd.DataFrame,
    title: str = 'Per theme: "what to keep" versus "what not to repeat"',
) -> Figure:
    """Stacked bars of stance shares per theme, beside each theme's mean sentiment.

    Args:
        table: output of :func:`covidlearning.coding.stance.by_theme`.
        title: figure title.
    """
    from covidlearning.coding.stance import STANCES

    plt = pyplot()
    t = table.sort_values(["keep_share", "label"], ascending=[True, False])
    n = len(t)
    fig, (ax, ax2) = plt.subplots(
        1, 2, figsize=(12, max(2.8, 0.55 * n + 1.6)), sharey=True,
        gridspec_kw={"width_ratios": [3, 1.3]},
    )  # fmt: skip
    y = np.arange(n)
    left = np.zeros(n)
    for st in STANCES:
        share = t[f"{st}_share"].to_numpy(dtype=float) * 100
        ax.barh(y, share, left=left, color=STANCE_COLOURS[st], height=0.65, label=st.capitalize())
        for yi, lft, s in zip(y, left, share, strict=True):
            if s >= 9:
                ax.text(lft + s / 2, yi, f"{s:.0f}%", ha="center", va="center", fontsize=8,
                        color="white" if st in {"keep", "not repeat"} else "black")  # fmt: skip
        left += share
    ax.set_yticks(y, [wrap(x, 40) for x in t["label"]])
    ax.set_xlim(0, 100)
    ax.set_xlabel("Share of the theme's text units (%)")
    ax.legend(ncol=4, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, fontsize=9)
    ax.set_title(title, loc="left", pad=28)
    m = t["mean_compound"].to_numpy(dtype=float)
    ax2.axvline(0, color="#888888", lw=0.8)
    ax2.hlines(y, 0, m, color="#888888", lw=1)
    ax2.scatter(m, y, color=[OKABE_ITO[4] if v >= 0 else OKABE_ITO[5] for v in m], zorder=3)
    ax2.set_xlim(-1, 1)
    ax2.set_xlabel("Mean sentiment\n(-1 negative, +1 positive)")
    ax2.grid(axis="x", color="#eeeeee")
    fig.tight_layout()
    return fig


def units_per_document(counts: pd.Series, title: str = "Text units per document") -> Figure:
    """Horizontal bars of how many analysable units each document (or group) gave."""
    plt = pyplot()
    c = counts.sort_values(ascending=True)
    fig, ax = plt.subplots(figsize=(9, max(2.2, 0.5 * len(c) + 1.2)))
    y = np.arange(len(c))
    ax.barh(y, c.to_numpy(dtype=float), color=OKABE_ITO[1], height=0.6)
    for yi, v in zip(y, c.to_numpy(), strict=True):
        ax.text(v, yi, f" {int(v)}", va="center", fontsize=9)
    ax.set_yticks(y, [wrap(x, 50) for x in c.index])
    ax.set_xlabel("Text units")
    ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig


def over_time(
    table: pd.DataFrame,
    title: str = "Themes over time",
    ylabel: str = "Share of the month's responses (%)",
    max_lines: int = 7,
    note: str = "",
) -> Figure:
    """Lines of each theme's share per period; suppressed (non-numeric) cells are gaps.

    Args:
        table: rows are periods (e.g. ``2020-04``), columns are themes, values are shares
            in 0..1 or ``*``.
        title: figure title.
        ylabel: y-axis label.
        max_lines: plot at most this many themes (the largest on average).
        note: a footnote under the figure.
    """
    plt = pyplot()
    num = table.apply(pd.to_numeric, errors="coerce") * 100
    keep = num.mean().sort_values(ascending=False).index[:max_lines]
    fig, ax = plt.subplots(figsize=(10, 5))
    markers = "osD^vP*X"
    for k, col in enumerate(keep):
        ax.plot(range(len(num)), num[col].to_numpy(), marker=markers[k % len(markers)],
                color=LINE_COLOURS[k % len(LINE_COLOURS)], label=wrap(col, 30))  # fmt: skip
    step = max(1, len(num) // 12)  # at most about 12 period labels
    ticks = range(0, len(num), step)
    ax.set_xticks(ticks, [str(num.index[i]) for i in ticks], rotation=45, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9)
    ax.grid(axis="y", color="#eeeeee")
    if note:
        footnote(fig, note)
    fig.tight_layout()
    return fig


def bars(
    values: pd.Series,
    title: str,
    xlabel: str,
    colour: str = OKABE_ITO[4],
    order: Sequence[str] | None = None,
) -> Figure:
    """Simple labelled horizontal bars."""
    plt = pyplot()
    v = values.reindex(order) if order is not None else values.sort_values()
    fig, ax = plt.subplots(figsize=(9, max(2.2, 0.5 * len(v) + 1.2)))
    y = np.arange(len(v))
    ax.barh(y, v.to_numpy(dtype=float), color=colour, height=0.6)
    ax.set_yticks(y, [wrap(x, 45) for x in v.index])
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig
