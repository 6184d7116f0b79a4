"""Agreement between human and machine coding.

Each text carries a set of themes from each coder; the machine's first theme is its
most likely one. :func:`agreement` reports the scores the field publishes, each with
a bootstrap 95% interval:

- ``per_theme``: for each code, precision, recall, F1 (with its interval) and support
  (the texts the human gave it), plus presence/absence kappa, with ``needs_review``
  flagging codes whose definition the coders read differently;
- ``micro_f1``, ``macro_f1`` (over the codes either coder used) and ``samples_f1``
  (F1 between the two sets of codes of each text, averaged over texts);
- ``cohen_kappa``: Cohen's kappa on the first codes, the statistic for single-code
  schemes (``single_label``); ``krippendorff_alpha`` on the code sets with the MASI
  distance (nominal when every text has one code), from NLTK;
- ``accuracy`` (the machine's first code is one of the human's) and ``exact_match``.

Texts drawn unevenly (``code sample --uncertain``) carry design weights, so the scores
estimate those of the whole run.

:func:`plot_confusion` draws the first-theme confusion matrix with a colour-blind-safe
palette. Only numpy and NLTK load at import; matplotlib loads when a figure is drawn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

UNASSIGNED = "unassigned"

#: ``code sample --uncertain``: share of the sheet drawn at random from the other texts.
RANDOM_SHARE = 0.3


#: A theme whose F1 or kappa falls below these needs a clearer definition.
REVIEW_F1 = 0.5
REVIEW_KAPPA = 0.4


def _split(value: Any, sep: str) -> list[str]:
    """Normalise one coder's value for one text into an ordered list of themes."""
    if value is None:
        return []
    if isinstance(value, float) and value != value:
        return []
    if isinstance(value, str):
        items = value.split(sep) if sep else [value]
    elif isinstance(value, Iterable):
        items = [str(v) for v in value]
    else:
        items = [str(value)]
    out: list[str] = []
    for item in items:
        item = " ".join(str(item).split())
        if item and item not in out:
            out.append(item)
    return out


def as_theme_lists(codes: Any, sep: str = ";") -> list[list[str]]:
    """Turn a Series/list of ``;``-separated strings, lists or sets into lists of themes.

    Order is kept for strings and lists (the first is the most likely); sets are
    sorted, so their "first" theme is alphabetical.
    """
    values = codes.tolist() if hasattr(codes, "tolist") else list(codes)
    out = []
    for v in values:
        if isinstance(v, set | frozenset):
            v = sorted(str(x) for x in v)
        out.append(_split(v, sep))
    return out


def _indicators(lists: list[list[str]], labels: list[str]) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(labels)}
    m = np.zeros((len(lists), len(labels)), dtype=bool)
    for r, items in enumerate(lists):
        for item in items:
            if item in index:
                m[r, index[item]] = True
    return m


def _f1s(h: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-label precision, recall, F1 and a mask of labels either coder used."""
    tp = (h & m).sum(0).astype(float)
    fp = (~h & m).sum(0).astype(float)
    fn = (h & ~m).sum(0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        r = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    used = (tp + fp + fn) > 0
    return p, r, f, used


def _binary_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa for two presence/absence vectors (nan when undefined)."""
    n = len(a)
    if n == 0:
        return float("nan")
    po = float((a == b).mean())
    pa, pb = a.mean(), b.mean()
    pe = float(pa * pb + (1 - pa) * (1 - pb))
    if pe >= 1.0:
        return 1.0 if po == 1.0 else float("nan")
    return (po - pe) / (1 - pe)


def _nltk_task(human: list[list[str]], machine: list[list[str]], sets: bool) -> Any:
    from nltk.metrics.agreement import AnnotationTask
    from nltk.metrics.distance import binary_distance, masi_distance

    data = []
    for i, (h, m) in enumerate(zip(human, machine, strict=True)):
        if sets:
            data.append(("human", str(i), frozenset(h) or frozenset([UNASSIGNED])))
            data.append(("machine", str(i), frozenset(m) or frozenset([UNASSIGNED])))
        else:
            data.append(("human", str(i), h[0] if h else UNASSIGNED))
            data.append(("machine", str(i), m[0] if m else UNASSIGNED))
    return AnnotationTask(data=data, distance=masi_distance if sets else binary_distance)


def _safe(fn: Any) -> float:
    try:
        value = float(fn())
    except (ZeroDivisionError, ValueError, FloatingPointError):
        return float("nan")
    return value if np.isfinite(value) else float("nan")


def _boot_weights(n: int, n_boot: int, seed: int, weights: np.ndarray) -> np.ndarray:
    """Bootstrap resamples as weight rows, ``(n_boot, n)``: draw counts times design weights."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    counts = np.zeros((n_boot, n))
    np.add.at(counts, (np.repeat(np.arange(n_boot), n), idx.ravel()), 1.0)
    return counts * weights


def _scores(
    w: np.ndarray,
    H: np.ndarray,
    M: np.ndarray,
    sample_f1: np.ndarray,
    h1: np.ndarray,
    m1: np.ndarray,
) -> dict[str, np.ndarray]:
    """Every reported score for weight rows ``w`` (``(b, n)``): one value (or row) per row.

    Per-label precision/recall/F1 (NaN for a label neither coder used in that resample),
    micro, macro and sample-averaged F1, and Cohen's kappa on the first codes.
    """
    Hf, Mf = H.astype(float), M.astype(float)
    tp = w @ (Hf * Mf)
    fp = w @ ((1 - Hf) * Mf)
    fn = w @ (Hf * (1 - Mf))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        r = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        used = (tp + fp + fn) > 0
        f = np.where(used, 2 * tp / (2 * tp + fp + fn), np.nan)
        macro = np.where(used.any(1), np.nanmean(np.where(used, f, np.nan), axis=1), np.nan)
        tps, fps, fns = tp.sum(1), fp.sum(1), fn.sum(1)
        micro = np.where(2 * tps + fps + fns > 0, 2 * tps / (2 * tps + fps + fns), np.nan)
        total = w.sum(1)
        samples = (w @ sample_f1) / total
        po = (w @ (h1 == m1).astype(float)) / total
        cats = np.union1d(h1, m1)
        ih = (h1[:, None] == cats[None, :]).astype(float)
        im = (m1[:, None] == cats[None, :]).astype(float)
        pe = ((w @ ih) / total[:, None] * (w @ im) / total[:, None]).sum(1)
        kappa = np.where(pe < 1.0, (po - pe) / (1.0 - pe), np.where(po == 1.0, 1.0, np.nan))
    return {"precision": p, "recall": r, "f1": f, "used": used, "macro_f1": macro,
            "micro_f1": micro, "samples_f1": samples, "cohen_kappa": kappa}  # fmt: skip


def _ci(values: np.ndarray) -> list[float]:
    """The 2.5% and 97.5% quantiles of the finite bootstrap values ([] when none)."""
    v = values[np.isfinite(values)]
    return [float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975))] if len(v) else []


def agreement(
    human: Any,
    machine: Any,
    sep: str = ";",
    n_boot: int = 1000,
    seed: int = 42,
    labels: Sequence[str] | None = None,
    weights: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Compare human and machine codes for the same texts, in the same order.

    Scores as the field reports them: per code precision, recall, F1 and support (texts
    the human gave it); micro, macro and sample-averaged F1; Cohen's kappa on the first
    codes (the statistic for single-code schemes; ``single_label`` says whether this is
    one); each with a bootstrap 95% interval (``*_ci95``, texts resampled with
    replacement). A text both coders left ``unassigned`` counts as full agreement in the
    sample-averaged F1.

    Args:
        human: per text, a set/list of themes or a ``sep``-separated string.
        machine: the same for the machine; its first theme is its most likely.
            ``unassigned`` (or empty) means no theme.
        sep: separator inside strings.
        n_boot: bootstrap resamples for the confidence intervals.
        seed: bootstrap random seed.
        labels: themes to report on (default: every theme either coder used).
        weights: per text, its design weight (the inverse of its chance of being
            drawn, :func:`export_sheet`'s ``uncertain`` draw), so the scores estimate
            those of the whole run; default 1 each.

    Returns:
        A JSON-ready dict: ``n``, ``accuracy``, ``exact_match``, ``macro_f1``,
        ``micro_f1``, ``samples_f1`` and ``cohen_kappa``, each with a ``..._ci95``
        ([low, high]); ``krippendorff_alpha``, ``multi_label``, ``single_label``,
        ``weighted``, ``labels`` and ``per_theme`` (a list of dicts with ``theme``,
        ``support``, ``n_human``, ``n_machine``, ``precision``, ``recall``, ``f1``,
        ``f1_ci95``, ``kappa``, ``needs_review``).

    Raises:
        ValueError: the two codings differ in length or are empty, or the weights
            don't match them or are not positive.
    """
    h = [[x for x in t if x != UNASSIGNED] for t in as_theme_lists(human, sep)]
    m = [[x for x in t if x != UNASSIGNED] for t in as_theme_lists(machine, sep)]
    if len(h) != len(m):
        raise ValueError(f"human codes {len(h)} texts but machine codes {len(m)}")
    if not h:
        raise ValueError("no texts to compare")
    n = len(h)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (n,) or not (np.isfinite(w).all() and (w > 0).all()):
        raise ValueError(f"need one positive weight per text ({n}), got {w.shape}")
    if labels is None:
        labels = sorted({x for t in h for x in t} | {x for t in m for x in t})
    labels = list(labels)
    H, M = _indicators(h, labels), _indicators(m, labels)
    first_ok = np.array([(mm[0] in hh) if mm else not hh for hh, mm in zip(h, m, strict=True)])
    accuracy = float(np.average(first_ok, weights=w))
    exact = float(np.average([set(hh) == set(mm) for hh, mm in zip(h, m, strict=True)], weights=w))
    sample_f1 = np.array(
        [
            1.0 if not (hh or mm) else 2 * len(set(hh) & set(mm)) / (len(set(hh)) + len(set(mm)))
            for hh, mm in zip(h, m, strict=True)
        ]
    )
    h1 = np.array([t[0] if t else UNASSIGNED for t in h], dtype=object).astype(str)
    m1 = np.array([t[0] if t else UNASSIGNED for t in m], dtype=object).astype(str)
    point = _scores(w[None, :], H, M, sample_f1, h1, m1)
    boot = _scores(_boot_weights(n, n_boot, seed, w), H, M, sample_f1, h1, m1)
    p, r, f = point["precision"][0], point["recall"][0], np.nan_to_num(point["f1"][0])

    multi = any(len(t) > 1 for t in h) or any(len(t) > 1 for t in m)
    if weights is None:  # NLTK's statistics, as before (equal to the ones above)
        kappa = _safe(_nltk_task(h, m, sets=False).kappa)
    else:
        kappa = float(point["cohen_kappa"][0])
    alpha = _safe(_nltk_task(h, m, sets=multi).alpha)

    per_theme = []
    for j, lab in enumerate(labels):
        k = _binary_kappa(H[:, j], M[:, j])
        nh, nm = int(H[:, j].sum()), int(M[:, j].sum())
        review = bool((nh or nm) and (f[j] < REVIEW_F1 or (np.isfinite(k) and k < REVIEW_KAPPA)))
        per_theme.append(
            {
                "theme": lab,
                "support": nh,
                "n_human": nh,
                "n_machine": nm,
                "precision": float(p[j]),
                "recall": float(r[j]),
                "f1": float(f[j]),
                "f1_ci95": _ci(boot["f1"][:, j]),
                "kappa": k if np.isfinite(k) else None,
                "needs_review": review,
            }
        )
    clean = lambda x: float(x) if np.isfinite(x) else None  # noqa: E731
    out: dict[str, Any] = {"n": n, "accuracy": accuracy, "exact_match": exact}
    for key in ("macro_f1", "micro_f1", "samples_f1"):
        out[key] = clean(point[key][0])
        out[f"{key}_ci95"] = _ci(boot[key])
    out["cohen_kappa"] = clean(kappa)
    out["cohen_kappa_ci95"] = _ci(boot["cohen_kappa"])
    return out | {
        "krippendorff_alpha": clean(alpha),
        "alpha_distance": "masi" if multi else "nominal",
        "multi_label": multi,
        "single_label": not multi,
        "weighted": weights is not None,
        "n_boot": n_boot,
        "labels": labels,
        "per_theme": per_theme,
        "needs_review": [t["theme"] for t in per_theme if t["needs_review"]],
    }


def confusion_table(human: Any, machine: Any, sep: str = ";") -> pd.DataFrame:
    """First-theme confusion matrix: rows are the human's themes, columns the machine's."""
    import pandas as pd

    h = [t[0] if t else UNASSIGNED for t in as_theme_lists(human, sep)]
    m = [t[0] if t else UNASSIGNED for t in as_theme_lists(machine, sep)]
    rows = sorted(set(h) - {UNASSIGNED}) + ([UNASSIGNED] if UNASSIGNED in h else [])
    cols = sorted((set(m) | set(rows)) - {UNASSIGNED}) + [UNASSIGNED] * (UNASSIGNED in m)
    table = pd.crosstab(pd.Series(h, name="human"), pd.Series(m, name="machine"))
    return table.reindex(index=rows, columns=cols, fill_value=0)


def plot_confusion(
    human: Any,
    machine: Any,
    sep: str = ";",
    normalize: bool = True,
    title: str = "Human vs machine: first theme",
) -> Figure:
    """Draw the first-theme confusion matrix (rows: human, columns: machine).

    Cells are shaded by the share of each human theme's texts (``cividis``, readable
    with any colour vision) and labelled with counts.

    Returns:
        A matplotlib Figure (not shown; save it with ``fig.savefig``).
    """
    from matplotlib.figure import Figure

    table = confusion_table(human, machine, sep)
    counts = table.to_numpy()
    shares = counts / np.maximum(counts.sum(1, keepdims=True), 1) if normalize else counts
    nr, nc = counts.shape
    size = max(4.0, 0.45 * max(nr, nc) + 2.5)
    fig = Figure(figsize=(size + 1.0, size), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(shares, cmap="cividis", vmin=0, vmax=1 if normalize else None, aspect="auto")
    fig.colorbar(im, ax=ax, label="share of the human theme's texts" if normalize else "texts")
    ax.set_xticks(range(nc), [str(c) for c in table.columns], rotation=60, ha="right")
    ax.set_yticks(range(nr), [str(r) for r in table.index])
    ax.set_xlabel("machine")
    ax.set_ylabel("human")
    ax.set_title(title)
    if nr * nc <= 900:
        hi = np.nanmax(shares) if shares.size else 1
        for i in range(nr):
            for j in range(nc):
                if counts[i, j]:
                    dark = shares[i, j] < 0.6 * (hi or 1)
                    ax.text(
                        j, i, str(counts[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if dark else "black",
                    )  # fmt: skip
    return fig


# --------------------------------------------------------------------------- audit loop
SHEET_COLUMNS = ("item", "id", "text", "human_themes", "notes")
#: Columns of a ``code`` run's assignments.csv that the audit loop reads.
RUN_COLUMNS = ("id", "themes")
_RUN_FIX = (
    "Pass the --out folder of `covidlearning code INPUT --text-column COL "
    "--codebook FILE` (or --train/--model)"
)


def _run_manifest(folder: Path) -> dict[str, Any]:
    import json

    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def code_run_assignments(path: str | Path) -> Path:
    """Find and check the ``assignments.csv`` of a ``code`` run (light: reads the header).

    Args:
        path: the run's folder, or its ``assignments.csv``.

    Returns:
        The path of ``assignments.csv``.

    Raises:
        InputError: no such file, or not a ``code`` run's (e.g. a ``discover`` run,
            whose assignments have topics and no ``themes`` column).
    """
    import csv

    from covidlearning.errors import InputError

    path = Path(path)
    file = path / "assignments.csv" if path.is_dir() else path
    if not file.is_file():
        where = f"no assignments.csv in {path}" if path.is_dir() else f"{path} not found"
        raise InputError(f"{where}: not the folder of a `code` run", _RUN_FIX)
    try:
        with file.open(newline="", encoding="utf-8-sig") as fh:
            header = [c.strip() for c in next(csv.reader(fh), [])]
    except (UnicodeDecodeError, csv.Error):
        header = []
    missing = [c for c in RUN_COLUMNS if c not in header]
    if not missing:
        return file
    stage = _run_manifest(file.parent).get("stage")
    if stage == "discover" or "topic" in header:
        raise InputError(
            f"{file.parent} is a `discover` run, not a `code` run: its assignments.csv "
            "has topics and no 'themes' column",
            _RUN_FIX,
        )
    raise InputError(
        f"{file} is not a `code` run's assignments.csv: no "
        + " or ".join(f"'{c}'" for c in missing)
        + f" column; columns found: {', '.join(header) or 'none'}",
        _RUN_FIX,
    )


def export_sheet(
    run_dir: str | Path,
    input_path: str | Path,
    text_column: str,
    id_column: str | None,
    out: str | Path,
    per_theme: int = 10,
    seed: int = 42,
    uncertain: int | None = None,
    random_share: float = RANDOM_SHARE,
    redactor: Any = None,
) -> dict[str, Any]:
    """Write a blind coding sheet for a coding run: stratified, or the least certain.

    By default up to ``per_theme`` texts are drawn at random for each machine first
    theme (and from ``unassigned``). With ``uncertain=N``, ``N`` texts are drawn: the
    ``(1 - random_share) * N`` whose codes are least certain (smallest gap between the
    first two themes' probabilities, :func:`uncertainty`) and the rest at random from
    the others, so that checking them improves the coder where it is weakest while the
    agreement estimate stays unbiased: ``sample_key.csv`` records each text's design
    weight (1 for the least certain, taken whole; the others stand for as many texts as
    they were drawn from), which :func:`import_sheet` applies. Texts are shown shuffled.
    ``id_column`` defaults to the one the run used (from its ``manifest.json``). The sheet
    (``coding_sheet.csv`` and ``.xlsx``, with a ``themes`` tab listing the codes a coder
    may use) hides the machine's codes; ``sample_key.csv`` keeps them. With a
    ``redactor`` (:class:`covidlearning.privacy.redact.Redactor`) the sheet's texts are
    redacted (a coder needs the comment, not the names in it), and its instructions say so.

    Returns:
        ``{"csv", "xlsx", "key"}`` paths, ``n`` the item numbers drawn and ``redacted``
        how many of the sheet's texts redaction changed (None: not redacted).

    Raises:
        InputError: ``run_dir`` is not a ``code`` run, or no id of the input is in it.
    """
    import pandas as pd

    from covidlearning._io import atomic_dir, write_csv, write_xlsx
    from covidlearning.corpus.load import load_table
    from covidlearning.errors import InputError

    assign_path = code_run_assignments(run_dir)
    run_dir = assign_path.parent
    run_id = (_run_manifest(run_dir).get("columns") or {}).get("id")
    if id_column is None:
        id_column = run_id
    assign = pd.read_csv(assign_path, dtype=str, keep_default_na=False)
    frame = load_table(input_path, text_column, id_column)
    texts = dict(zip(frame["id"], frame["text"], strict=True))
    known = assign["id"].isin(texts)
    if not known.any():
        used = f"the run used --id-column {run_id}" if run_id else "the run used row numbers"
        raise InputError(
            f"no id of {Path(input_path).name} matches the run in {run_dir} (its ids look "
            f"like {assign['id'].iat[0] if len(assign) else ''!r}, the input's like "
            f"{frame['id'].iat[0]!r}; {used})",
            "Pass the INPUT and --id-column of the code run",
        )
    assign = assign[known]
    if "status" in assign:
        assign = assign[assign["status"] == "ok"]
    if assign.empty:
        raise InputError(
            f"no text of the run in {run_dir} was coded", "Code texts with `covidlearning code`"
        )
    assign = assign.assign(first=assign["themes"].str.split(";").str[0])
    rng = np.random.default_rng(seed)
    if uncertain is not None:
        assign = assign.sort_values("id", kind="stable").reset_index(drop=True)
        drawn = _uncertain_draw(assign, uncertainty(run_dir, assign), uncertain,
                                random_share, rng)  # fmt: skip
    else:
        picks = []
        for _, g in sorted(assign.groupby("first"), key=lambda kv: str(kv[0])):
            take = min(per_theme, len(g))
            picks.append(g.iloc[np.sort(rng.choice(len(g), size=take, replace=False))])
        drawn = pd.concat(picks).assign(drawn_as="stratified")
        sizes = assign.groupby("first")["id"].size()  # a text stands for its stratum's share
        drawn["weight"] = drawn["first"].map(sizes) / drawn.groupby("first")["id"].transform("size")
    drawn = drawn.iloc[rng.permutation(len(drawn))].reset_index(drop=True)
    drawn.insert(0, "item", np.arange(1, len(drawn) + 1))
    shown = drawn["id"].map(texts)
    changed = None
    if redactor is not None:
        pairs = zip(shown, drawn["id"], strict=True)
        redacted = [redactor.redact(str(t), str(i)) for t, i in pairs]
        changed = sum(a != str(b) for a, b in zip(redacted, shown, strict=True))
        shown = pd.Series(redacted, index=shown.index)
    sheet = pd.DataFrame(
        {"item": drawn["item"], "id": drawn["id"], "text": shown,
         "human_themes": "", "notes": ""}
    )  # fmt: skip
    key = drawn[[c for c in ("item", "id", "themes", "confidence", "drawn_as", "weight")
                 if c in drawn]]  # fmt: skip
    themes = _theme_list(run_dir)
    out = Path(out)
    with atomic_dir(out) as tmp:
        write_csv(tmp / "coding_sheet.csv", sheet)
        instructions = pd.DataFrame(
            {
                "how to code": [
                    "Read each text and write the theme id(s) that fit in 'human_themes', "
                    "most important first, separated by ';'.",
                    "Write 'unassigned' if no theme fits. Do not look at the machine's codes.",
                    "Then run: covidlearning code agree coding_sheet.xlsx --machine "
                    f"{run_dir} --out <folder>",
                ]
                + (
                    []
                    if changed is None
                    else [
                        f"Identifiers were redacted from the texts ({changed} of {len(sheet)} "
                        "changed): [NAME], [PHONE] and the like stand for what was removed."
                    ]
                )
            }
        )
        write_xlsx(
            tmp / "coding_sheet.xlsx",
            {"to code": sheet, "themes": themes, "how to code": instructions},
        )
        write_csv(tmp / "sample_key.csv", key)
    return {
        "csv": out / "coding_sheet.csv",
        "xlsx": out / "coding_sheet.xlsx",
        "key": out / "sample_key.csv",
        "n": sheet["item"].tolist(),
        "redacted": changed,
    }


def uncertainty(run_dir: Path, assign: pd.DataFrame) -> np.ndarray:
    """How uncertain each text's codes are, 0-1.

    One minus the gap between its first two themes' probabilities (``scores.csv``), or
    one minus its confidence without them.
    """
    import pandas as pd

    scores_path = run_dir / "scores.csv"
    if scores_path.is_file():
        scores = pd.read_csv(scores_path, dtype={"id": str}).drop_duplicates("id")
        cols = [c for c in scores.columns if c not in ("id", "relevance")]
        p = scores.set_index("id")[cols].reindex(assign["id"]).to_numpy(dtype=float)
        if len(cols) >= 2 and np.isfinite(p).all():
            top = -np.sort(-p, axis=1)
            return 1.0 - (top[:, 0] - top[:, 1])
    conf = pd.to_numeric(assign["confidence"], errors="coerce").fillna(0.0).to_numpy()
    return 1.0 - conf


def _uncertain_draw(
    assign: pd.DataFrame,
    doubt: np.ndarray,
    n: int,
    random_share: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The ``n`` texts of an uncertainty draw, with ``drawn_as`` and design ``weight``.

    Two strata: the least certain texts, taken whole (weight 1), and a simple random
    sample of the rest (weight: the rest's size over the number drawn from it).
    """
    import pandas as pd

    n = min(n, len(assign))
    n_random = min(int(round(n * random_share)), len(assign) - (n - int(round(n * random_share))))
    n_doubt = n - n_random
    order = np.lexsort((assign["id"].to_numpy(), -np.round(doubt, 6)))
    top, rest = order[:n_doubt], order[n_doubt:]
    chosen = np.sort(rng.choice(len(rest), size=n_random, replace=False)) if n_random else []
    picked = rest[chosen] if n_random else np.array([], dtype=int)
    drawn = pd.concat(
        [
            assign.iloc[top].assign(drawn_as="least certain", weight=1.0),
            assign.iloc[picked].assign(drawn_as="random", weight=len(rest) / max(n_random, 1)),
        ]
    )
    return drawn


def _theme_list(run_dir: Path) -> pd.DataFrame:
    """Theme ids (and names, definitions) a run could assign."""
    import pandas as pd

    book = run_dir / "codebook.yaml"
    if book.is_file():
        from covidlearning.coding.codebook import load_codebook

        cb = load_codebook(book)
        return pd.DataFrame(
            {"id": cb.ids, "name": [t.name for t in cb.themes],
             "definition": [t.definition for t in cb.themes]}
        )  # fmt: skip
    scores = run_dir / "scores.csv"
    if scores.is_file():
        cols = pd.read_csv(scores, nrows=0).columns
        return pd.DataFrame({"id": [c for c in cols if c not in ("id", "relevance")]})
    return pd.DataFrame({"id": []})


def import_sheet(
    sheet: str | Path,
    machine: str | Path,
    out: str | Path,
    column: str = "human_themes",
    sep: str = ";",
    id_column: str = "id",
) -> dict[str, Any]:
    """Read a filled coding sheet back and measure agreement with the machine.

    Rows with an empty ``column`` are skipped (not yet coded). Human codes must be
    theme ids (or names) the run could assign, or ``unassigned``. The sheet may be
    the one :func:`export_sheet` wrote or the evaluator's own, keyed on
    ``id_column`` (the ids the run used).

    Writes ``agreement.json``, ``per_theme.csv`` (with ``needs_review``) and
    ``confusion.png``/``.svg`` into ``out``.

    Raises:
        InputError: ``machine`` is not a ``code`` run, missing columns, no coded
            rows, ids not in the run, or codes that are not themes.
    """
    import pandas as pd

    from covidlearning._io import atomic_dir, write_csv, write_json
    from covidlearning.corpus.load import read_table_raw
    from covidlearning.errors import InputError

    sheet = Path(sheet)
    machine = code_run_assignments(machine)
    table = read_table_raw(sheet)
    for col, flag in ((id_column, "--id-column"), (column, "--column")):
        if col not in table:
            raise InputError(
                f"column '{col}' not found in {sheet.name}; columns found: "
                + ", ".join(table.columns),
                f"Pass {flag} with one of them (the sheet of `covidlearning code sample` "
                "has 'id' and 'human_themes')",
            )
    coded = table[table[column].astype(str).str.strip() != ""]
    if coded.empty:
        raise InputError(f"no row of {sheet.name} has codes in '{column}'", "Fill the sheet first")
    sheet_ids = coded[id_column].astype(str).str.strip()
    assign = pd.read_csv(machine, dtype=str, keep_default_na=False)
    machine_codes = dict(zip(assign["id"], assign["themes"], strict=True))
    missing = [i for i in sheet_ids if i not in machine_codes]
    if missing:
        raise InputError(
            f"{len(missing)} of {len(sheet_ids)} id(s) in column '{id_column}' of {sheet.name} are "
            f"not in {machine}, e.g. {missing[0]!r}",
            "Compare the sheet with the run it was drawn from (and check --id-column)",
        )
    themes = _theme_list(machine.parent)
    known = {str(t).lower(): str(t) for t in themes["id"]} if len(themes) else {}
    if "name" in themes:
        known.update(
            {str(n).lower(): str(i) for i, n in zip(themes["id"], themes["name"], strict=True)}
        )
    human = []
    unknown: set[str] = set()
    for cell in coded[column]:
        ids = []
        for lab in _split(cell, sep):
            if lab.lower() == UNASSIGNED:
                continue
            if known and lab.lower() not in known:
                unknown.add(lab)
                continue
            ids.append(known.get(lab.lower(), lab))
        human.append(ids)
    if unknown:
        raise InputError(
            f"{len(unknown)} code(s) in {sheet.name} are not themes of the run, "
            f"e.g. {sorted(unknown)[0]!r}",
            "Use the theme ids on the sheet's 'themes' tab",
        )
    mach = [machine_codes[i] for i in sheet_ids]
    weights = _design_weights(sheet, sheet_ids)
    result = agreement(human, mach, sep=sep, weights=weights)
    if weights is not None:
        result["design"] = (
            "least-certain texts taken whole plus a random share of the rest, weighted as "
            "drawn (sample_key.csv), so the scores estimate the whole run's"
        )
    comp = pd.DataFrame(
        {"id": sheet_ids.to_numpy(), "human": [";".join(h) or UNASSIGNED for h in human],
         "machine": mach}
    )  # fmt: skip
    per_theme = per_theme_table(result)
    out = Path(out)
    with atomic_dir(out) as tmp:
        write_json(tmp / "agreement.json", result)
        write_csv(tmp / "per_theme.csv", per_theme)
        write_csv(tmp / "comparison.csv", comp)
        save_confusion(comp["human"], comp["machine"], tmp)
    return {"agreement": result, "per_theme": per_theme, "out": out}


def _design_weights(sheet: Path, ids: pd.Series) -> np.ndarray | None:
    """The design weights of an uncertainty draw (``sample_key.csv`` beside the sheet).

    None for a stratified draw, a sheet without its key, or a key that misses an id.
    """
    import pandas as pd

    key_path = sheet.parent / "sample_key.csv"
    if not key_path.is_file():
        return None
    key = pd.read_csv(key_path, dtype={"id": str})
    if "weight" not in key or "drawn_as" not in key or not (key["drawn_as"] == "random").any():
        return None
    weight = dict(zip(key["id"].astype(str), key["weight"], strict=True))
    if not all(i in weight for i in ids):
        return None
    return np.array([float(weight[i]) for i in ids])


def per_theme_table(result: dict[str, Any]) -> pd.DataFrame:
    """:func:`agreement`'s ``per_theme`` as a table, the F1 interval in two columns."""
    import pandas as pd

    table = pd.DataFrame(result["per_theme"])
    if "f1_ci95" in table:
        ci = [c if len(c) == 2 else [np.nan, np.nan] for c in table.pop("f1_ci95")]
        at = table.columns.get_loc("f1") + 1
        table.insert(at, "f1_ci95_low", [c[0] for c in ci])
        table.insert(at + 1, "f1_ci95_high", [c[1] for c in ci])
    return table


def save_confusion(human: Any, machine: Any, folder: Path) -> None:
    """Draw the confusion matrix and write ``confusion.png`` and ``confusion.svg`` into ``folder``.

    Both files are byte-identical for the same codes: no dates or software stamps, and a
    fixed SVG id salt (matplotlib otherwise draws random clip-path ids).
    """
    import matplotlib

    fig = plot_confusion(human, machine)
    with matplotlib.rc_context({"svg.hashsalt": "covidlearning"}):
        fig.savefig(folder / "confusion.png", dpi=150, metadata={"Software": None})
        fig.savefig(folder / "confusion.svg", metadata={"Date": None})
