"""Zero-shot and few-shot coding against an evaluator's codebook (:func:`code_texts`).

- **zero-shot** (codebook without examples): each theme is described by its name,
  definition, include notes and keywords; a text's score for a theme combines the
  MiniLM cosine similarity to those descriptions with TF-IDF word overlap.
- **few-shot** (codebook with examples): as zero-shot, plus the example quotes.
  Optionally (``finetune``) the embedding model is first fine-tuned for a few epochs on
  the examples and descriptions (a cosine-softmax classifier, SetFit style, about 20 s
  on CPU); on the LSBU units this gave no clear gain.

Scores become probabilities with a softmax at a fixed temperature. The rows are then
read in order (:mod:`covidlearning.nlp.context`): where neighbouring texts share
themes, as a document's units do, each text's probabilities take its neighbours' into
account, as far as the fitted stickiness says; rows in no meaningful order are left as
they are. ``confidence`` is the first theme's probability; below ``threshold`` a text
is ``unassigned``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from covidlearning.coding.codebook import Codebook, Theme, load_codebook
from covidlearning.coding.result import (
    CodingResult,
    _attach_agreement,
    _base_manifest,
    _check_frame,
    _coded_mask,
    _embed,
    _finish,
    _resolve_gold,
)
from covidlearning.config import CodeConfig
from covidlearning.nlp.context import (
    DOCUMENT_COLUMN,
    ContextResult,
    chain_starts,
    not_used,
    order_context,
    softmax_rows,
    standardise_rows,
)

logger = logging.getLogger(__name__)

#: Softmax temperature on the weighted mean of z-scored zero/few-shot scores; at 0.6 the
#: mean confidence matched the accuracy on the LSBU development units.
FEWSHOT_TEMPERATURE = 0.6


#: Scale of the sentence embeddings beside the TF-IDF features (trained mode).
EMBEDDING_WEIGHT = 1.5


#: Centre embeddings on the coded texts' mean when at least this many are coded.
MIN_TEXTS_TO_CENTRE = 30


#: Few-shot, tuned: weight of the SetFit head's (z-scored) log-probabilities beside the
#: prototype similarities.
HEAD_WEIGHT = 1.0


#: Zero/few-shot auto threshold: a text is unassigned unless its first theme's probability
#: is at least this many times an even share, 1/K for K themes.
AUTO_THRESHOLD_SHARE = 1.25


# --------------------------------------------------------------------------- zero/few-shot
def _anchors(theme: Theme) -> list[str]:
    """Texts that stand for a theme: examples, definition, name and notes."""
    out = list(theme.examples)
    if theme.definition:
        out.append(theme.definition)
        out.append(f"{theme.name}: {theme.definition}")
    out.append(theme.name)
    out.extend(theme.include)
    if theme.keywords:
        out.append(", ".join(theme.keywords))
    seen: set[str] = set()
    return [a for a in out if not (a.lower() in seen or seen.add(a.lower()))]


def _lexical_scores(texts: list[str], docs: list[str]) -> np.ndarray:
    """TF-IDF cosine between each text and each theme document."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(
        sublinear_tf=True, stop_words="english", ngram_range=(1, 2), strip_accents="unicode"
    )
    try:
        vec.fit(docs + texts)
    except ValueError:  # nothing but stop words
        return np.zeros((len(texts), len(docs)))
    return (vec.transform(texts) @ vec.transform(docs).T).toarray()


def tunes(config: CodeConfig, codebook: Codebook) -> bool:
    """Whether few-shot coding fine-tunes the sentence model (SetFit) on the codebook.

    Only when asked (``finetune: true``, ``--finetune``) and the codebook has examples:
    ``auto`` leaves few-shot coding untuned, since with 3 examples a code tuning did not
    raise agreement on the development set (LSBU, rows shuffled: 0.512 tuned, 0.524
    untuned, 84 units) and it adds minutes to a run. A codebook of definitions only is
    coded zero-shot, with the model as it is.
    """
    n = sum(len(t.examples) for t in codebook.themes)
    return config.finetune is True and n > 0


def _tuned(
    anchor_texts: list[str], anchor_y: np.ndarray, texts: list[str], config: CodeConfig
) -> tuple[Any, np.ndarray, np.ndarray]:
    """Tune the model on the anchors (:func:`~covidlearning.coding.tuning.tune_on_examples`).

    Returns:
        ``(tuned, anchors, texts)``: the :class:`~covidlearning.coding.tuning.TunedModel`,
        and the anchors' and texts' embeddings with the tuned encoder.
    """
    from covidlearning.coding.tuning import tune_on_examples
    from covidlearning.nlp.finetune import encode

    tuned = tune_on_examples(
        anchor_texts,
        anchor_y,
        model=config.embedding_model,
        seed=config.seed,
        max_pairs=config.tune_pairs,
    )
    vecs = encode(tuned.encoder, anchor_texts + texts, progress=len(texts) > 500)
    return tuned, vecs[: len(anchor_texts)], vecs[len(anchor_texts) :]


def fewshot_scores(
    texts: list[str], codebook: Codebook, config: CodeConfig
) -> tuple[np.ndarray, dict[str, Any]]:
    """Score texts against each theme of a codebook (zero-shot or few-shot).

    Returns:
        ``(probabilities, info)``: an ``(n_texts, n_themes)`` array whose rows sum
        to 1, and what was done (anchors per theme, whether and how the model was
        tuned; ``tuned_model`` holds the tuned model, or None).
    """
    anchor_texts, y, is_example = _anchor_table(codebook)
    codebook.check_can_compare()
    k = len(codebook.themes)
    tuned = None
    if tunes(config, codebook):
        tuned, anchors, emb = _tuned(anchor_texts, y, texts, config)
    else:
        vecs = _embed(anchor_texts + texts, config)
        anchors, emb = vecs[: len(anchor_texts)], vecs[len(anchor_texts) :]
    centre = len(texts) >= MIN_TEXTS_TO_CENTRE
    score, weight = _prototype_scores(emb, anchors, y, is_example, k, centre)
    if tuned is not None and HEAD_WEIGHT > 0 and len(texts):
        head = np.log(np.clip(tuned.head_probabilities(emb), 1e-12, 1.0))
        score = score + HEAD_WEIGHT * standardise_rows(head)
        weight += HEAD_WEIGHT
    if config.lexical_weight > 0:
        docs = [" ".join(_anchors(t) + t.keywords) for t in codebook.themes]
        score = score + config.lexical_weight * standardise_rows(_lexical_scores(texts, docs))
        weight += config.lexical_weight
    score /= max(weight, 1e-9)  # a weighted mean of z-scores: the temperature keeps its scale
    probs = softmax_rows(score, FEWSHOT_TEMPERATURE)
    logger.info(
        "%s: %d texts scored against %d themes (%d anchors; embedding model %s; %s)",
        "few-shot" if codebook.has_examples else "zero-shot", len(texts), k, len(anchor_texts),
        "tuned on the anchors (SetFit)" if tuned is not None else "frozen",
        "centred on the texts' mean" if centre
        else f"not centred, fewer than {MIN_TEXTS_TO_CENTRE} texts",
    )  # fmt: skip
    info = {
        "anchors_per_theme": {t.id: int((y == i).sum()) for i, t in enumerate(codebook.themes)},
        "finetuned": tuned is not None,
        "tuning": tuned.info if tuned is not None else None,
        "tuned_model": tuned,
        "temperature": FEWSHOT_TEMPERATURE,
        "centred": centre,
        "max_similarity": emb @ anchors.T if len(texts) else np.zeros((0, len(anchors))),
    }
    return probs, info


def _anchor_table(codebook: Codebook) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every theme's anchors (:func:`_anchors`), each one's theme index, and which are examples."""
    anchor_texts: list[str] = []
    anchor_y: list[int] = []
    example_flags: list[bool] = []
    for k, theme in enumerate(codebook.themes):
        examples = {e.lower() for e in theme.examples}
        for a in _anchors(theme):
            anchor_texts.append(a)
            anchor_y.append(k)
            example_flags.append(a.lower() in examples)
    return anchor_texts, np.asarray(anchor_y), np.asarray(example_flags, dtype=bool)


def _unit(v: np.ndarray) -> np.ndarray:
    """Rows (or a vector) scaled to unit length."""
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _prototype_scores(
    emb: np.ndarray,
    anchors: np.ndarray,
    y: np.ndarray,
    is_example: np.ndarray,
    k: int,
    centre: bool,
) -> tuple[np.ndarray, float]:
    """Summed z-scored cosines of texts to theme prototypes, and the weight they carry.

    Each theme has one prototype of its example quotes and one of its descriptions
    (the mean anchor; a theme without examples uses all its anchors); the two kinds
    are weighted alike. With ``centre`` the texts' mean is first taken off: it removes
    what every text shares (e.g. "NHS", "COVID"), so themes are told apart by what
    differs between texts.
    """
    mu = emb.mean(0) if centre else np.zeros(emb.shape[1], dtype=emb.dtype)
    emb_c = _unit(emb - mu)
    score = np.zeros((len(emb), k))
    weight = 0.0
    for part in (is_example, ~is_example):  # examples and descriptions, weighted alike
        if not (part & np.isin(y, range(k))).any():
            continue
        proto = np.stack(
            [
                anchors[part & (y == c)].mean(0)
                if (part & (y == c)).any()
                else anchors[y == c].mean(0)
                for c in range(k)
            ]
        )
        score += standardise_rows(emb_c @ _unit(_unit(proto) - mu).T)
        weight += 1.0
    return score, weight


def code_texts(
    frame: pd.DataFrame,
    codebook: Codebook | str | Path,
    config: CodeConfig | None = None,
    gold: Sequence[Any] | pd.Series | None = None,
    gold_sep: str | None = ";",
) -> CodingResult:
    """Code each text of ``frame`` against ``codebook`` (zero-shot or few-shot).

    Args:
        frame: what :func:`covidlearning.corpus.load.load_table` returns (``id``, ``text``,
            ``status``); rows whose status is not ``ok`` are left ``unassigned``.
        codebook: the framework, or the path of its YAML file.
        config: coding options (threshold, max themes, fine-tuning...).
        gold: optional human codes, one per row of ``frame`` (theme ids or names,
            ``gold_sep``-separated; empty = not coded by a human). With them the
            result carries agreement metrics.
        gold_sep: separator inside ``gold`` cells.

    Returns:
        A :class:`CodingResult`.

    Raises:
        InputError: nothing to code, a codebook of one theme, or gold codes that name
            no theme of the codebook.
    """
    config = config or CodeConfig()
    if not isinstance(codebook, Codebook):
        codebook = load_codebook(codebook)
    codebook.check_can_compare()
    _check_frame(frame)
    gold_lists = _resolve_gold(gold, codebook, gold_sep, len(frame)) if gold is not None else None
    t0 = time.perf_counter()
    mask = _coded_mask(frame)
    texts = frame.loc[mask, "text"].astype(str).tolist()
    probs, info = fewshot_scores(texts, codebook, config)
    context, moved = _order_context(frame, mask, probs, config)
    probs = context.probs
    k = len(codebook.themes)
    threshold = _fewshot_threshold(config, k)
    max_themes = config.max_themes
    assignments, scores = _finish(frame, mask, probs, codebook.ids, threshold, config, max_themes)
    relevance = info.pop("max_similarity")
    tuned = info.pop("tuned_model")
    scores.insert(1, "relevance", np.nan)
    scores.loc[mask, "relevance"] = np.round(relevance.max(axis=1), 4) if k else np.nan
    zero = _zero_shot_beside(frame, mask, texts, codebook, config, threshold, assignments)
    elapsed = time.perf_counter() - t0
    manifest = _base_manifest("few-shot" if codebook.has_examples else "zero-shot", config,
                              len(frame), int(mask.sum()))  # fmt: skip
    manifest.update(
        {
            "codebook": {
                "name": codebook.name,
                "version": codebook.version,
                "themes": codebook.ids,
            },
            "threshold": threshold,
            "threshold_rule": "configured"
            if config.threshold is not None
            else f"auto: {AUTO_THRESHOLD_SHARE:g}/K",
            "method": info,
            "context": context.summary() | {"moved": moved},
            "timings_s": {"coding": round(elapsed, 2)}
            | ({"tuning": info["tuning"]["seconds"]} if tuned is not None else {}),
        }
    )
    if zero is not None:
        manifest["zero_shot"] = _zero_shot_summary(zero, assignments)
    result = CodingResult(assignments, scores, threshold, manifest)
    if zero is not None:
        result.extra[ZERO_SHOT_TABLE] = zero
    if tuned is not None:
        result.coder = tuned
        result.coder_info = {"codebook": codebook.model_dump(mode="json"),
                             "embedding_model": config.embedding_model}  # fmt: skip
    if gold_lists is not None:
        _attach_agreement(result, gold_lists, codebook.ids)
        if zero is not None and result.agreement is not None:
            _attach_zero_shot_agreement(result, zero, gold_lists)
    return result


#: The run's table of zero-shot codes beside few-shot ones (``zero_shot.csv``).
ZERO_SHOT_TABLE = "zero_shot"


def _zero_shot_beside(
    frame: pd.DataFrame,
    mask: np.ndarray,
    texts: list[str],
    codebook: Codebook,
    config: CodeConfig,
    threshold: float,
    fewshot: pd.DataFrame,
) -> pd.DataFrame | None:
    """The same texts coded zero-shot: definitions only, the model as it is.

    Few-shot runs code them so too, to show what the examples buy. Returns ``id``,
    ``themes``, ``confidence`` and ``status`` (None for a codebook without examples).
    """
    if not codebook.has_examples:
        return None
    bare = codebook.model_copy(
        update={"themes": [t.model_copy(update={"examples": []}) for t in codebook.themes]}
    )
    plain = config.model_copy(update={"finetune": False})
    probs, _ = fewshot_scores(texts, bare, plain)
    probs = _order_context(frame, mask, probs, plain)[0].probs
    zero, _ = _finish(frame, mask, probs, codebook.ids, threshold, plain, plain.max_themes)
    same = zero["themes"].str.split(";").str[0] == fewshot["themes"].str.split(";").str[0]
    logger.info(
        "zero-shot (definitions only) beside few-shot: %d of %d coded texts get the same "
        "first theme", int(same[mask].sum()), int(mask.sum()),
    )  # fmt: skip
    return zero


def _zero_shot_summary(zero: pd.DataFrame, fewshot: pd.DataFrame) -> dict[str, Any]:
    """The manifest's ``zero_shot`` entry: how often the examples change the first theme."""
    ok = (fewshot["status"] == "ok").to_numpy()
    z = zero["themes"].str.split(";").str[0].to_numpy()[ok]
    f = fewshot["themes"].str.split(";").str[0].to_numpy()[ok]
    return {
        "table": f"{ZERO_SHOT_TABLE}.csv",
        "what": "the same texts coded from the definitions alone, with the model as it is",
        "same_first_theme": round(float(np.mean(z == f)), 4) if ok.any() else None,
    }


def _attach_zero_shot_agreement(
    result: CodingResult, zero: pd.DataFrame, gold: list[list[str]]
) -> None:
    """Add the zero-shot codes' agreement with the human codes beside the few-shot one."""
    from covidlearning.coding.agreement import agreement

    status = result.assignments["status"].to_numpy()
    keep = [i for i, g in enumerate(gold) if g and status[i] == "ok"]  # as _attach_agreement
    z = agreement([";".join(gold[i]) for i in keep], zero["themes"].to_numpy()[keep])
    result.agreement["zero_shot"] = {key: z[key] for key in ZERO_SHOT_KEYS}
    result.manifest["agreement"]["zero_shot"] = {
        key: z[key] for key in ("n", "accuracy", "macro_f1", "cohen_kappa")
    }


#: What the agreement of a few-shot run keeps of its zero-shot counterpart's.
ZERO_SHOT_KEYS = (
    "n", "accuracy", "micro_f1", "micro_f1_ci95", "macro_f1", "macro_f1_ci95", "samples_f1",
    "samples_f1_ci95", "cohen_kappa", "cohen_kappa_ci95",
)  # fmt: skip


#: Why a table's rows are coded each on its own under ``context: auto``.
TABLE_CONTEXT_REASON = (
    "a table: each answer coded on its own (its row order says nothing of its themes; "
    "--context on to use it)"
)


def _order_context(
    frame: pd.DataFrame, mask: np.ndarray, probs: np.ndarray, config: CodeConfig
) -> tuple[ContextResult, int]:
    """Apply :func:`covidlearning.nlp.context.order_context` where the config asks for it.

    ``auto``: to a document's units (``frame`` has a ``doc_id`` column), not to a
    table's rows; ``on``: to either; ``off``: to neither.

    Returns:
        ``(context, moved)``: what the row order did, and how many texts it gave
        another first theme.
    """
    docs = frame.loc[mask, DOCUMENT_COLUMN].to_numpy() if DOCUMENT_COLUMN in frame else None
    links = int((~chain_starts(len(probs), docs)).sum())
    if config.context == "off":
        context = not_used(probs, "off", links)
    elif config.context == "auto" and docs is None:
        context = not_used(probs, TABLE_CONTEXT_REASON, links)
    else:
        context = order_context(probs, docs)
    moved = int((context.probs.argmax(axis=1) != probs.argmax(axis=1)).sum()) if len(probs) else 0
    logger.info(
        "row order %s as context (%s); %d texts changed first theme",
        "used" if context.used else "not used", context.reason, moved,
    )  # fmt: skip
    return context, moved


def _fewshot_threshold(config: CodeConfig, k: int) -> float:
    """The confidence below which a text is unassigned: configured, or 1.25/K for K themes.

    Auto: a text whose best theme is barely more likely than the others is unassigned.
    """
    threshold = config.threshold if config.threshold is not None else AUTO_THRESHOLD_SHARE / k
    logger.info(
        "threshold %g (%s)",
        threshold, "configured" if config.threshold is not None
        else f"auto: {AUTO_THRESHOLD_SHARE:g}/K for K={k} themes",
    )  # fmt: skip
    return threshold


def with_checked_examples(
    codebook: Codebook, texts: Sequence[str], codes: Sequence[Any], sep: str | None = ";"
) -> tuple[Codebook, int]:
    """The codebook with checked texts (a filled ``code sample`` sheet) added as examples.

    Each text joins the examples of its first code (the most important, as the sheet
    asks); texts without a code, or coded ``unassigned``, are left out.

    Returns:
        ``(codebook, n_added)``.

    Raises:
        InputError: a code names no theme of the codebook.
    """
    from covidlearning.coding.codebook import UNASSIGNED
    from covidlearning.coding.result import split_labels
    from covidlearning.errors import InputError

    added: dict[str, list[str]] = {t.id: [] for t in codebook.themes}
    unknown: list[str] = []
    for text, cell in zip(texts, codes, strict=True):
        labels = [lab for lab in split_labels(cell, sep) if lab.lower() != UNASSIGNED]
        if not labels or not str(text).strip():
            continue
        tid = codebook.resolve(labels[0])
        if tid is None:
            unknown.append(labels[0])
        elif str(text) not in added[tid]:
            added[tid].append(" ".join(str(text).split()))
    if unknown:
        raise InputError(
            f"{len(set(unknown))} code(s) of the checked sheet are not themes of the codebook, "
            f"e.g. {sorted(set(unknown))[0]!r}",
            "Use the theme ids on the sheet's 'themes' tab",
        )
    themes = [
        t.model_copy(
            update={"examples": t.examples + [x for x in added[t.id] if x not in t.examples]}
        )
        for t in codebook.themes
    ]
    n = sum(len(v) for v in added.values())
    logger.info("%d checked texts added to the codebook's examples", n)
    return codebook.model_copy(update={"themes": themes}), n
