"""What every coding mode shares: the typed result, label checks and the finishing steps.

:class:`CodingResult` is the one output of zero-shot, few-shot and trained coding
(:mod:`covidlearning.coding.fewshot`, :mod:`covidlearning.coding.trained`). This module
also owns the checks of human labels (:func:`check_labels`, :func:`split_labels`), the
ranking of scores into codes with a confidence (``_rank``, ``_finish``) and the
agreement with a gold column. It imports no other coding module.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from covidlearning.coding.codebook import UNASSIGNED, Codebook
from covidlearning.config import CodeConfig
from covidlearning.errors import InputError

logger = logging.getLogger(__name__)

#: Separator between several themes in the outputs' ``themes`` column.
OUTPUT_SEP = ";"


#: Separators that human coders put between several codes in one cell.
LIKELY_LABEL_SEPS = ("|", ",")


#: Warn that codes look multi-label when at least this share of coded rows hold a '|'.
MULTI_LABEL_SHARE = 0.05


# --------------------------------------------------------------------------- result
@dataclass
class CodingResult:
    """What a coding run produces.

    Attributes:
        assignments: ``id``, ``themes`` (``;``-separated, most likely first, or
            ``unassigned``), ``confidence`` (first theme's probability) and ``status``
            (``ok``, or why the row was not coded: ``empty``, ``filler``...).
        scores: ``id`` and one probability column per theme id.
        threshold: the confidence below which texts are ``unassigned``.
        manifest: parameters, input hashes, model id, versions and timings.
        agreement: metrics against human codes, when there were any.
        comparison: the texts' human and machine codes behind ``agreement``.
        coder: the trained coder (trained mode; a
            :class:`~covidlearning.coding.trained.LinearCoder`), saved with the run as
            ``model/``.
        coder_info: what is saved beside the coder (training summary, threshold).
    """

    assignments: pd.DataFrame
    scores: pd.DataFrame
    threshold: float
    manifest: dict[str, Any]
    agreement: dict[str, Any] | None = None
    comparison: pd.DataFrame | None = None
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    coder: Any = None
    coder_info: dict[str, Any] = field(default_factory=dict)

    def theme_counts(self) -> pd.DataFrame:
        """Texts per theme (any position) and as first theme, with shares of coded texts."""
        ok = self.assignments[self.assignments["status"] == "ok"]
        lists = ok["themes"].str.split(";")
        first = lists.str[0].value_counts()
        anyp = lists.explode().value_counts()
        ids = [c for c in self.scores.columns if c not in ("id", "relevance")] + [UNASSIGNED]
        out = pd.DataFrame({"theme": ids})
        out["first"] = out["theme"].map(first).fillna(0).astype(int)
        out["any"] = out["theme"].map(anyp).fillna(0).astype(int)
        out["share_first"] = out["first"] / max(len(ok), 1)
        return out

    def save(self, out: str | Path) -> Path:
        """Write the run to ``out`` atomically and return the folder.

        Files: ``assignments.csv``, ``scores.csv``, ``theme_counts.csv``,
        ``manifest.json``; with human codes also ``agreement.json``,
        ``comparison.csv`` and ``confusion.png``/``confusion.svg``; in trained mode
        the coder in ``model/`` (``coder.safetensors`` + ``coder.json``, and
        ``encoder.safetensors`` when the embedding model was fine-tuned); in tuned
        few-shot mode the tuned layers and head there (``fewshot-*.safetensors``,
        ``fewshot.json``). The manifest's ``model_files`` lists their sha256.
        """
        import shutil

        from covidlearning._io import atomic_dir, write_csv, write_json

        out = Path(out)
        with atomic_dir(out) as tmp:
            for stale in ("agreement.json", "comparison.csv", "confusion.png", "confusion.svg"):
                (tmp / stale).unlink(missing_ok=True)
            shutil.rmtree(tmp / "model", ignore_errors=True)
            if self.coder is not None:
                from covidlearning._io import sha256_file

                self.coder.save(tmp / "model", self.coder_info)
                files = sorted(p for p in (tmp / "model").iterdir() if p.is_file())
                self.manifest["model_files"] = {p.name: sha256_file(p) for p in files}
            write_csv(tmp / "assignments.csv", self.assignments)
            write_csv(tmp / "scores.csv", self.scores, float_format="%.5f")
            write_csv(tmp / "theme_counts.csv", self.theme_counts())
            for name, table in self.extra.items():
                write_csv(tmp / f"{name}.csv", table)
            if self.agreement is not None and self.comparison is not None:
                write_json(tmp / "agreement.json", self.agreement)
                write_csv(tmp / "comparison.csv", self.comparison)
                from covidlearning.coding.agreement import save_confusion

                save_confusion(self.comparison["human"], self.comparison["machine"], tmp)
            write_json(tmp / "manifest.json", self.manifest)
        return out


# --------------------------------------------------------------------------- helpers
def split_labels(value: Any, sep: str | None) -> list[str]:
    """Split one cell of human codes into an ordered, de-duplicated list."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    parts = str(value).split(sep) if sep else [str(value)]
    out: list[str] = []
    for p in parts:
        p = " ".join(p.split())
        if p and p not in out:
            out.append(p)
    return out


class LabelWarning(UserWarning):
    """Human codes that look malformed, e.g. several codes per cell but no separator given."""


def check_labels(values: Sequence[Any], label_sep: str | None, column: str = "codes") -> None:
    """Check a column of human codes before a coder learns from it.

    A code that contains the output separator ``;`` would be ambiguous in
    ``assignments.csv``: that is an error whose fix is usually ``--label-sep ';'``.
    Without a separator, codes that look like several codes in one cell (``A | B``
    or ``A, B`` where ``A`` and ``B`` are codes of their own, or ``|`` in at least
    5% of coded cells) give a :class:`LabelWarning`; commas alone don't, as code
    names often contain them ("Morale, workplace").

    Args:
        values: one cell of human codes per text.
        label_sep: the separator between several codes in a cell, if any.
        column: the column's name, for messages.

    Raises:
        InputError: a code contains ``;``.
    """
    lists = [split_labels(v, label_sep) for v in values]
    lists = [labs for labs in lists if labs]
    codes = sorted({lab for labs in lists for lab in labs})
    bad = [c for c in codes if OUTPUT_SEP in c]
    if bad:
        fix = (
            f"If ';' separates several codes in a cell, pass --label-sep '{OUTPUT_SEP}'"
            if label_sep is None
            else "Rename the codes without ';'"
        )
        raise InputError(
            f"{len(bad)} code(s) in '{column}' contain '{OUTPUT_SEP}', e.g. {bad[0]!r}, which "
            f"the outputs use between themes",
            fix,
        )
    if label_sep is not None or not lists:
        return
    import warnings

    alone = set(codes)
    for sep in LIKELY_LABEL_SEPS:
        joined = [c for c in codes if sep in c]
        if not joined:
            continue
        n_cells = sum(1 for labs in lists if sep in labs[0])
        parts = [[p.strip() for p in c.split(sep) if p.strip()] for c in joined]
        split_known = [c for c, ps in zip(joined, parts, strict=True)
                       if len(ps) > 1 and all(p in alone for p in ps)]  # fmt: skip
        if split_known or (sep != "," and n_cells >= MULTI_LABEL_SHARE * len(lists)):
            example = (split_known or joined)[0]
            warnings.warn(
                f"{n_cells} of {len(lists)} coded cells in '{column}' contain '{sep}' "
                f"(e.g. {example!r}), so they look like several codes per cell, but each "
                f"is read as one code; if '{sep}' separates codes, pass --label-sep '{sep}'",
                LabelWarning,
                stacklevel=2,
            )
            return


def _rank(
    probs: np.ndarray,
    ids: list[str],
    threshold: float,
    max_themes: int,
    secondary: float,
    absolute: float | np.ndarray | None = None,
) -> tuple[list[str], np.ndarray]:
    """Turn probabilities into ``themes`` strings and confidences.

    Further themes are listed when their probability is at least ``secondary`` times
    the first's (softmax scores) or, with ``absolute``, at least that (per-code sigmoids;
    one cut for every code, or one per code).
    """
    if absolute is not None:
        absolute = np.broadcast_to(np.asarray(absolute, dtype=float), (probs.shape[1],))
    order = np.argsort(-probs, axis=1, kind="stable")
    themes, conf = [], []
    for i in range(len(probs)):
        top = probs[i, order[i, 0]]
        conf.append(float(top))
        if top < threshold:
            themes.append(UNASSIGNED)
            continue
        chosen = [ids[order[i, 0]]]
        for j in order[i, 1:max_themes]:
            p = probs[i, j]
            further = p >= absolute[j] if absolute is not None else p >= secondary * top
            if p >= threshold and further:
                chosen.append(ids[j])
        themes.append(";".join(chosen))
    return themes, np.round(np.asarray(conf), 4)


def _finish(
    frame: pd.DataFrame,
    mask: np.ndarray,
    probs: np.ndarray,
    ids: list[str],
    threshold: float,
    config: CodeConfig,
    max_themes: int,
    absolute: float | np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the assignments and scores tables for every row of ``frame``."""
    n = len(frame)
    themes = np.array([UNASSIGNED] * n, dtype=object)
    conf = np.zeros(n)
    t, c = _rank(probs, ids, threshold, max_themes, config.secondary, absolute)
    themes[mask] = t
    conf[mask] = c
    logger.info(
        "%d of %d coded texts left unassigned (confidence below %g)",
        sum(theme == UNASSIGNED for theme in t), len(t), threshold,
    )  # fmt: skip
    status = frame["status"].to_numpy() if "status" in frame else np.array(["ok"] * n)
    assignments = pd.DataFrame(
        {"id": frame["id"].astype(str).to_numpy(), "themes": themes, "confidence": conf,
         "status": status}
    )  # fmt: skip
    full = np.full((n, len(ids)), np.nan)
    full[mask] = np.round(probs, 5)
    scores = pd.DataFrame(full, columns=ids)
    scores.insert(0, "id", assignments["id"])
    return assignments, scores


def _coded_mask(frame: pd.DataFrame) -> np.ndarray:
    """Rows to code: status ``ok`` (or, without a status column, a non-blank text)."""
    if "status" in frame:
        return (frame["status"] == "ok").to_numpy()
    return frame["text"].astype(str).str.strip().ne("").to_numpy()


def _check_frame(frame: pd.DataFrame) -> None:
    """Raise :class:`InputError` unless the table has ``id`` and ``text`` and a text to code."""
    for col in ("id", "text"):
        if col not in frame:
            raise InputError(f"the table to code has no '{col}' column", "Load it with load_table")
    if not _coded_mask(frame).any():
        raise InputError(
            "no text to code: every row is empty or filler",
            "Check --text-column points at the text",
        )


def _embed(texts: Sequence[str], config: CodeConfig) -> np.ndarray:
    """Embed texts with the configured model, through the embedding cache."""
    from covidlearning.nlp.embed import embed_with

    return embed_with(list(texts), config, progress=len(texts) > 500)


def _versions() -> dict[str, str]:
    """Versions of the packages a run depends on, for its manifest."""
    from covidlearning._io import package_versions

    return package_versions()


def _base_manifest(mode: str, config: CodeConfig, n_texts: int, n_coded: int) -> dict[str, Any]:
    """The manifest entries every coding mode writes (mode, parameters, model, counts)."""
    from covidlearning._io import machine_info
    from covidlearning.nlp.embed import model_id

    return {
        "stage": "code",
        "mode": mode,
        "parameters": config.model_dump(mode="json"),
        "model": model_id(config.embedding_model),
        "n_texts": n_texts,
        "n_coded": n_coded,
        "versions": _versions(),
        "machine": machine_info(),
    }


def _resolve_gold(
    gold: Sequence[Any] | pd.Series,
    codebook: Codebook,
    sep: str | None,
    n: int,
    keep_unknown: bool = False,
) -> list[list[str]]:
    """Human codes as lists of theme ids, one list per text.

    A code that names no theme is an error (a typo in a codebook's ids), unless
    ``keep_unknown``: a trained coder never saw a code that only the new texts carry,
    so it is kept as written and counts as a disagreement.
    """
    values = gold.tolist() if hasattr(gold, "tolist") else list(gold)
    if len(values) != n:
        raise InputError(f"{len(values)} human codes for {n} texts", "Give one code cell per text")
    out, unknown = [], []
    for v in values:
        ids = []
        for lab in split_labels(v, sep):
            tid = codebook.resolve(lab) or (lab if keep_unknown else None)
            if tid is None:
                unknown.append(lab)
            elif tid not in ids:
                ids.append(tid)
        out.append(ids)
    if unknown:
        names = sorted(set(unknown))
        raise InputError(
            f"{len(names)} human code(s) not in the codebook, e.g. {names[0]!r}",
            "Use the codebook's theme ids or names: " + ", ".join(codebook.ids[:12]),
        )
    return out


def _attach_agreement(result: CodingResult, gold: list[list[str]], labels: list[str]) -> None:
    """Set ``result``'s agreement with the human codes ``gold`` (texts a human coded, ok)."""
    from covidlearning.coding.agreement import agreement

    a = result.assignments
    keep = [i for i, g in enumerate(gold) if g and a["status"].iat[i] == "ok"]
    if not keep:
        return
    comp = pd.DataFrame(
        {
            "id": a["id"].iloc[keep].to_numpy(),
            "human": [";".join(gold[i]) for i in keep],
            "machine": a["themes"].iloc[keep].to_numpy(),
            "confidence": a["confidence"].iloc[keep].to_numpy(),
        }
    )
    result.agreement = agreement(comp["human"], comp["machine"], labels=None)
    result.agreement["source"] = result.manifest.get("mode", "")
    result.comparison = comp
    result.manifest["agreement"] = {
        k: result.agreement[k] for k in ("n", "accuracy", "macro_f1", "cohen_kappa")
    }
