"""Trained coding from a human-coded sample (:func:`train_and_code`, :func:`code_with_model`).

With 200 coded texts or more, MiniLM is first fine-tuned on the sample
(:mod:`covidlearning.nlp.finetune`; the held-out part excluded). Then a linear SVM on
word and character TF-IDF plus the embeddings, blended with an SVM on the embeddings
alone and a ridge classifier, class-weighted for rare codes, one-vs-rest when the
sample is multi-label. Part of the sample is held out to measure agreement with the
human coders (its softmax temperature is fitted there), then the linear models are
refitted on all of it. The fitted coder is saved (safetensors + JSON, ``OUT/model/``,
with the tuned encoder's layers) and :func:`code_with_model` codes new texts with it,
without retraining.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from covidlearning.coding.codebook import Codebook
from covidlearning.config import CodeConfig
from covidlearning.errors import InputError
from covidlearning.nlp.context import (
    not_used,
    softmax_rows,
    standardise_rows,
)
from covidlearning.nlp.embed import DEFAULT_MODEL

if TYPE_CHECKING:
    from scipy.sparse import spmatrix
from covidlearning.coding.fewshot import EMBEDDING_WEIGHT
from covidlearning.coding.result import (
    CodingResult,
    _base_manifest,
    _check_frame,
    _coded_mask,
    _embed,
    _finish,
    _rank,
    check_labels,
    split_labels,
)

#: Regularisation of the trained coder's SVMs (all features / embeddings alone).
#: scikit-learn's default C=1 for both beat the earlier 0.5 / 0.3 on 4 of 5 Trust B splits
#: (mean ratio to the baseline 1.40 vs 1.375; benchmarks/dev_eval_coding.py).
SVM_C_FULL = 1.0


SVM_C_EMBEDDINGS = 1.0


#: Trained coders code each text on its own: what their manifests say of the row order.
TRAINED_CONTEXT_REASON = (
    "trained coders code each text on its own (the context applies to zero/few-shot)"
)


def _trained_context() -> dict[str, Any]:
    return not_used(np.zeros((0, 0)), TRAINED_CONTEXT_REASON).summary() | {"moved": 0}


# --------------------------------------------------------------------------- trained
#: TF-IDF settings of the trained coder; a saved coder rebuilds its vectorisers from them.
WORD_TFIDF: dict[str, Any] = {
    "ngram_range": (1, 2), "sublinear_tf": True, "strip_accents": "unicode", "lowercase": True,
}  # fmt: skip


CHAR_TFIDF: dict[str, Any] = {
    "analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 2, "sublinear_tf": True,
    "max_features": 200_000, "lowercase": True,
}  # fmt: skip


#: Files of a saved trained coder (``OUT/model/``): weights as safetensors, the rest JSON.
CODER_WEIGHTS = "coder.safetensors"


CODER_META = "coder.json"


CODER_FORMAT = "covidlearning-linear-coder/1"


CODER_ENCODER = "encoder.safetensors"


_BLOCKS = ("full", "emb", "ridge")


class LinearCoder:
    """Linear SVMs on word + character TF-IDF and sentence embeddings.

    Single-label samples get a multi-class model (one-vs-rest, class-weighted);
    multi-label samples one binary model per code. A second SVM on the embeddings
    alone and a ridge classifier are blended in (z-scored decision values), which
    helps rare codes. After fitting, each model is kept as a weight matrix and bias in
    label order (``weights``), which is what :meth:`save` writes as safetensors.
    """

    def __init__(self, labels: list[str], multi_label: bool, seed: int = 42) -> None:
        self.labels = labels
        self.multi_label = multi_label
        self.seed = seed
        self.temperature = 1.0
        #: multi-label: a further code is listed when its probability reaches this cut
        self.cut = 0.5
        self._word: Any = None
        self._char: Any = None
        self.weights: dict[str, np.ndarray] = {}
        #: the fine-tuned embedding model, when training tuned one (else the base model)
        self.encoder: Any = None

    def _features(self, texts: list[str], emb: np.ndarray, fit: bool) -> spmatrix:
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer

        if fit:
            self._word = TfidfVectorizer(**WORD_TFIDF).fit(texts)
            self._char = TfidfVectorizer(**CHAR_TFIDF).fit(texts)
        return hstack(
            [
                self._word.transform(texts),
                self._char.transform(texts),
                csr_matrix(emb * EMBEDDING_WEIGHT),
            ]
        ).tocsr()

    def _svms(self, x: Any, y: np.ndarray, c: float) -> list[Any]:
        from sklearn.svm import LinearSVC

        if not self.multi_label:
            return [LinearSVC(C=c, class_weight="balanced", random_state=self.seed).fit(x, y)]
        models = []
        for j in range(y.shape[1]):
            col = y[:, j]
            if col.all() or not col.any():
                models.append(float(1.0 if col.all() else -1.0))
                continue
            models.append(
                LinearSVC(C=c, class_weight="balanced", random_state=self.seed).fit(x, col)
            )
        return models

    def _as_weights(self, models: list[Any], n_features: int) -> tuple[np.ndarray, np.ndarray]:
        """One ``(n_labels, n_features)`` matrix and bias, in label order.

        A label the model never saw scores -10; a code present in every (or no)
        training text of a multi-label sample scores a constant +1 (or -1).
        """
        w = np.zeros((len(self.labels), n_features))
        b = np.full(len(self.labels), -10.0)
        if self.multi_label:
            for j, m in enumerate(models):
                if isinstance(m, float):
                    b[j] = m
                else:
                    w[j], b[j] = m.coef_[0], m.intercept_[0]
            return w, b
        m = models[0]
        coef = np.atleast_2d(np.asarray(m.coef_, dtype=float))
        icpt = np.broadcast_to(np.asarray(m.intercept_, dtype=float), (coef.shape[0],))
        if coef.shape[0] == 1 and len(m.classes_) == 2:  # binary: one row scores the second class
            coef, icpt = np.vstack([-coef, coef]), np.array([-icpt[0], icpt[0]])
        index = {lab: i for i, lab in enumerate(self.labels)}
        for j, cls in enumerate(m.classes_):
            w[index[cls]], b[index[cls]] = coef[j], icpt[j]
        return w, b

    def fit(self, texts: list[str], emb: np.ndarray, y: np.ndarray) -> LinearCoder:
        """Fit on texts, their embeddings and labels (class names, or an indicator matrix)."""
        from sklearn.linear_model import RidgeClassifier

        x = self._features(texts, emb, fit=True)
        weight = None if self.multi_label else "balanced"
        ridge = RidgeClassifier(alpha=1.0, class_weight=weight).fit(x, y)
        if self.multi_label:  # one column per code already, in label order
            ridge_w = (np.asarray(ridge.coef_, dtype=float), np.asarray(ridge.intercept_, float))
        else:
            ridge_w = self._as_weights([ridge], x.shape[1])
        parts = {
            "full": self._as_weights(self._svms(x, y, SVM_C_FULL), x.shape[1]),
            "emb": self._as_weights(self._svms(emb, y, SVM_C_EMBEDDINGS), emb.shape[1]),
            "ridge": ridge_w,
        }
        self.weights = {}
        for name, (w, b) in parts.items():
            self.weights[f"{name}.weight"] = np.ascontiguousarray(w)
            self.weights[f"{name}.bias"] = np.ascontiguousarray(b)
        return self

    def _score(self, name: str, x: Any) -> np.ndarray:
        return np.asarray(x @ self.weights[f"{name}.weight"].T) + self.weights[f"{name}.bias"]

    def decision(self, texts: list[str], emb: np.ndarray) -> np.ndarray:
        """Blended decision scores, ``(n, n_labels)``."""
        x = self._features(texts, emb, fit=False)
        full, ridge = self._score("full", x), self._score("ridge", x)
        alone = self._score("emb", emb)
        if self.multi_label:  # keep the 0 decision boundary of each binary model
            return (full + 0.5 * alone + 0.5 * ridge) / 2.0
        z = standardise_rows
        return z(full) + 0.5 * z(alone) + 0.5 * z(ridge)

    def probabilities(self, texts: list[str], emb: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (softmax, or per-code sigmoids when multi-label)."""
        d = self.decision(texts, emb)
        if self.multi_label:
            return 1.0 / (1.0 + np.exp(-d / self.temperature))
        return softmax_rows(d, self.temperature)

    def calibrate(self, texts: list[str], emb: np.ndarray, y: np.ndarray) -> float:
        """Fit the temperature on held-out texts by minimising the log-loss."""
        d = self.decision(texts, emb)
        grid = np.geomspace(0.05, 5.0, 60)
        best, best_loss = 1.0, np.inf
        for t in grid:
            if self.multi_label:
                p = np.clip(1.0 / (1.0 + np.exp(-d / t)), 1e-6, 1 - 1e-6)
                loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
            else:
                index = {lab: i for i, lab in enumerate(self.labels)}
                p = softmax_rows(d, t)
                cols = np.array([index[v] for v in y])
                loss = -np.mean(np.log(np.clip(p[np.arange(len(y)), cols], 1e-9, 1)))
            if loss < best_loss:
                best, best_loss = float(t), loss
        self.temperature = best
        return best

    def save(self, model_dir: str | Path, info: dict[str, Any] | None = None) -> Path:
        """Write the fitted coder to ``model_dir`` (safetensors weights + JSON; no pickle).

        Args:
            model_dir: folder to create (its files are overwritten).
            info: extra facts to keep beside the model (training summary, threshold...).
        """
        from safetensors.numpy import save

        from covidlearning._io import atomic_write_bytes, write_json

        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        tensors = dict(self.weights)
        tensors["word.idf"] = np.asarray(self._word.idf_, dtype=float)
        tensors["char.idf"] = np.asarray(self._char.idf_, dtype=float)
        atomic_write_bytes(model_dir / CODER_WEIGHTS, save(tensors, {"format": CODER_FORMAT}))
        (model_dir / CODER_ENCODER).unlink(missing_ok=True)
        encoder_sha = None
        if self.encoder is not None:
            from covidlearning._io import sha256_file
            from covidlearning.nlp.finetune import save_encoder

            encoder_sha = sha256_file(save_encoder(self.encoder, model_dir / CODER_ENCODER))
        meta = {
            "format": CODER_FORMAT,
            "labels": self.labels,
            "multi_label": self.multi_label,
            "seed": self.seed,
            "temperature": self.temperature,
            "cut": self.cut,
            "embedding_weight": EMBEDDING_WEIGHT,
            "encoder": CODER_ENCODER if self.encoder is not None else None,
            "encoder_sha256": encoder_sha,
            "word_terms": _terms(self._word),
            "char_terms": _terms(self._char),
            **(info or {}),
        }
        write_json(model_dir / CODER_META, meta)
        return model_dir

    @classmethod
    def load(cls, model_dir: str | Path) -> tuple[LinearCoder, dict[str, Any]]:
        """Read a coder written by :meth:`save`; returns ``(coder, metadata)``.

        Raises:
            InputError: the folder holds no saved coder, or one this version can't read.
        """
        import json

        from safetensors import SafetensorError
        from safetensors.numpy import load_file
        from sklearn.feature_extraction.text import TfidfVectorizer

        model_dir = coder_folder(model_dir)
        fix = _CODER_FIX
        try:
            meta = json.loads((model_dir / CODER_META).read_text(encoding="utf-8"))
            tensors = load_file(str(model_dir / CODER_WEIGHTS))
        except (OSError, ValueError, SafetensorError) as exc:
            raise InputError(f"the saved coder in {model_dir} can't be read ({exc})", fix) from None
        if meta.get("format") != CODER_FORMAT:
            raise InputError(
                f"{model_dir / CODER_META} is format {meta.get('format')!r}, not {CODER_FORMAT!r}",
                "Retrain with this version of covidlearning",
            )
        coder = cls(list(meta["labels"]), bool(meta["multi_label"]), int(meta["seed"]))
        coder.temperature = float(meta["temperature"])
        coder.cut = float(meta.get("cut", 0.5))
        for attr, params, key in (("_word", WORD_TFIDF, "word"), ("_char", CHAR_TFIDF, "char")):
            terms = meta[f"{key}_terms"]
            vec = TfidfVectorizer(**params, vocabulary={t: i for i, t in enumerate(terms)})
            vec.idf_ = tensors[f"{key}.idf"]
            setattr(coder, attr, vec)
        coder.weights = {
            f"{b}.{p}": tensors[f"{b}.{p}"] for b in _BLOCKS for p in ("weight", "bias")
        }
        if meta.get("encoder") is not None:
            from covidlearning.nlp.finetune import load_encoder

            path = _encoder_file(model_dir, meta)
            coder.encoder = load_encoder(path, meta.get("embedding_model", DEFAULT_MODEL))
        return coder, meta

    def embed(self, texts: list[str], config: CodeConfig) -> np.ndarray:
        """Embed texts as the coder was trained: its tuned encoder, or the cached base model."""
        if self.encoder is None:
            return _embed(texts, config)
        from covidlearning.nlp.finetune import encode

        return encode(self.encoder, texts)


_CODER_FIX = "Pass the model/ folder (or the run folder) of a `code --train` run"


def coder_folder(path: str | Path) -> Path:
    """The folder holding a saved coder: ``path`` itself, or its ``model/`` (a run folder).

    Raises:
        InputError: ``path`` does not exist, or neither folder holds both coder files.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"model folder not found: {path}", "Check the path of the saved coder")
    folder = path / "model" if (path / "model" / CODER_META).exists() else path
    if not ((folder / CODER_META).exists() and (folder / CODER_WEIGHTS).exists()):
        raise InputError(f"no saved coder in {path} ({CODER_META} + {CODER_WEIGHTS})", _CODER_FIX)
    import json

    try:
        meta = json.loads((folder / CODER_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return folder  # reported when the coder is read
    if isinstance(meta, dict) and meta.get("encoder") is not None:
        _encoder_file(folder, meta, checksum=False)  # the checksum is checked on loading
    return folder


def _encoder_file(model_dir: Path, meta: dict[str, Any], checksum: bool = True) -> Path:
    """The tuned encoder a saved coder names, checked against the checksum it recorded.

    Raises:
        InputError: the entry is not this version's file name, the file is missing, or
            (``checksum``) it is not the encoder the coder was trained with.
    """
    from covidlearning._io import sha256_file

    if meta.get("encoder") != CODER_ENCODER:
        raise InputError(
            f"{model_dir / CODER_META} names the encoder {meta.get('encoder')!r}, "
            f"not {CODER_ENCODER!r}",
            _CODER_FIX,
        )
    path = model_dir / CODER_ENCODER
    if not path.is_file():
        raise InputError(f"the coder's tuned encoder is missing: {path}", _CODER_FIX)
    if checksum and sha256_file(path) != meta.get("encoder_sha256"):
        raise InputError(
            f"{path} is not the encoder this coder was trained with (checksum differs)",
            _CODER_FIX,
        )
    return path


def _terms(vectorizer: Any) -> list[str]:
    """A fitted vectoriser's vocabulary as a list in column order."""
    terms = [""] * len(vectorizer.vocabulary_)
    for term, i in vectorizer.vocabulary_.items():
        terms[i] = term
    return terms


def _output_rule(coder: LinearCoder, config: CodeConfig) -> tuple[int, float | None]:
    """How many codes a text may get, and the absolute probability a further one needs.

    Single-label samples give one code per text. Multi-label samples have per-code
    probabilities, so every code at the coder's cut or above is listed (the top one
    always); the cut is chosen on the held-out part of the sample (:func:`choose_cut`).
    """
    if coder.multi_label:
        return config.max_themes, coder.cut
    return 1, None


#: Candidate cuts for a further code (multi-label); ties go to the one nearest 0.5.
CUT_GRID = tuple(round(c, 2) for c in np.arange(0.05, 0.951, 0.05))


def _indicator(probs: np.ndarray, cut: float, max_themes: int) -> np.ndarray:
    """Codes listed per text (as :func:`_rank` lists them, threshold 0) as a 0/1 matrix."""
    order = np.argsort(-probs, axis=1, kind="stable")[:, :max_themes]
    rows = np.arange(len(probs))[:, None]
    out = np.zeros(probs.shape, dtype=int)
    out[rows, order] = probs[rows, order] >= cut
    out[np.arange(len(probs)), order[:, 0]] = 1
    return out


def choose_cut(probs: np.ndarray, y: np.ndarray, max_themes: int) -> float:
    """The cut for further codes that maximises macro F1 against human codes.

    Macro F1 weighs every code alike, so rare codes, which the per-code models score
    cautiously, gain most from a lower cut; 0.5 is rarely best.

    Args:
        probs: per-code probabilities of held-out texts, ``(n, n_codes)``.
        y: their human codes as a 0/1 matrix of the same shape.
        max_themes: at most this many codes per text.
    """
    from sklearn.metrics import f1_score

    def score(c: float) -> tuple[float, float]:
        pred = _indicator(probs, c, max_themes)
        return float(f1_score(y, pred, average="macro", zero_division=0)), -abs(c - 0.5)

    return float(max(CUT_GRID, key=score))


def _apply_coder(
    coder: LinearCoder,
    frame: pd.DataFrame,
    mask: np.ndarray,
    texts: list[str],
    emb: np.ndarray,
    threshold: float,
    config: CodeConfig,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assignments and scores of ``frame`` coded by a fitted coder."""
    probs = coder.probabilities(texts, emb)
    max_themes, absolute = _output_rule(coder, config)
    return _finish(frame, mask, probs, coder.labels, threshold, config, max_themes, absolute)


def load_coder(model_dir: str | Path) -> tuple[LinearCoder, dict[str, Any]]:
    """Load a trained coder saved by a ``code --train`` run (its ``model/`` or run folder)."""
    return LinearCoder.load(model_dir)


def code_with_model(
    frame: pd.DataFrame, model_dir: str | Path, config: CodeConfig | None = None
) -> CodingResult:
    """Code ``frame`` with a coder saved by an earlier trained run, without retraining.

    The texts are embedded with the model the coder was trained with. The threshold
    is the saved run's unless ``config.threshold`` is set.

    Args:
        frame: what :func:`~covidlearning.corpus.load.load_table` returns.
        model_dir: the ``model/`` folder of a trained run, or the run folder itself.
        config: options (threshold, max themes, cache); the embedding model comes
            from the saved coder.

    Raises:
        InputError: no readable coder there, or nothing to code.
    """
    config = config or CodeConfig()
    _check_frame(frame)
    coder, meta = load_coder(model_dir)
    t0 = time.perf_counter()
    config = config.model_copy(update={"embedding_model": meta["embedding_model"]})
    mask = _coded_mask(frame)
    manifest = _base_manifest("trained (saved model)", config, len(frame), int(mask.sum()))
    if manifest["model"] != meta.get("model_id"):
        raise InputError(
            f"the coder was trained with embeddings {meta.get('model_id')!r}, "
            f"but {manifest['model']!r} is installed",
            "Install the embedding model it was trained with, or retrain",
        )
    texts = frame.loc[mask, "text"].astype(str).tolist()
    emb = coder.embed(texts, config)
    threshold = config.threshold if config.threshold is not None else float(meta["threshold"])
    assignments, scores = _apply_coder(coder, frame, mask, texts, emb, threshold, config)
    manifest.update(
        {
            "training": meta["training"],
            "encoder_sha256": meta.get("encoder_sha256"),
            "context": _trained_context(),
            "threshold": threshold,
            "threshold_rule": "configured" if config.threshold is not None
            else f"saved model: {meta.get('threshold_rule', '')}",
            "timings_s": {"total": round(time.perf_counter() - t0, 2)},
        }
    )  # fmt: skip
    return CodingResult(assignments, scores, threshold, manifest)


def _label_matrix(lists: list[list[str]], labels: list[str], multi: bool) -> np.ndarray:
    if not multi:
        return np.array([lab[0] for lab in lists], dtype=object)
    index = {lab: i for i, lab in enumerate(labels)}
    y = np.zeros((len(lists), len(labels)), dtype=int)
    for r, items in enumerate(lists):
        for it in items:
            y[r, index[it]] = 1
    return y


#: Trained mode fine-tunes the embedding model (``finetune="auto"``) from this many texts.
TUNE_MIN_TEXTS = 200


#: Passes over the coded texts, and the most texts seen in all (about 3 minutes on 2 cores).
TUNE_EPOCHS = 3


TUNE_MAX_EXAMPLES = 8_000


def _holdout_split(texts: list[str], share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices held out (about ``share`` of the texts) and fitted on.

    Copies of a text (same words, case and spacing aside) stay on one side, so the
    agreement measured on the held-out part is not flattered by texts the coder (and the
    fine-tuned encoder) saw in training.
    """
    groups: dict[str, list[int]] = {}
    for i, t in enumerate(texts):
        groups.setdefault(" ".join(t.lower().split()), []).append(i)
    members = list(groups.values())
    target = int(round(share * len(texts)))
    held: list[int] = []
    for g in np.random.default_rng(seed).permutation(len(members)):
        if len(held) >= target:
            break
        held.extend(members[g])
    mask = np.zeros(len(texts), dtype=bool)
    mask[held] = True
    return np.asarray(held, dtype=int), np.flatnonzero(~mask)


def _tune_in_trained_mode(config: CodeConfig, n_texts: int) -> bool:
    if config.finetune == "auto":
        return n_texts >= TUNE_MIN_TEXTS
    return bool(config.finetune)


def _encoder_summary(encoder: Any, n_texts: int, held_out: bool) -> dict[str, Any]:
    if encoder is None:
        return {"tuned": False}
    return {
        "tuned": True,
        "texts": n_texts,
        "epochs": round(encoder.covidlearning_seen / max(n_texts, 1), 2),
        "method": "cosine-softmax head, cross-entropy, rare codes weighted up "
        "(covidlearning.nlp.finetune), on "
        + ("the sample minus its held-out part" if held_out else "the whole sample"),
    }


def train_and_code(
    train_frame: pd.DataFrame,
    label_column: str,
    frame: pd.DataFrame,
    label_sep: str | None = None,
    config: CodeConfig | None = None,
    codebook: Codebook | None = None,
) -> CodingResult:
    """Learn codes from a human-coded sample and code ``frame``.

    Args:
        train_frame: the coded sample as :func:`~covidlearning.corpus.load.load_table`
            returns it; ``label_column`` holds each text's code(s).
        label_column: column of human codes.
        frame: the texts to code.
        label_sep: separator between several codes in one cell (multi-label), e.g. ``;``.
        config: options; ``holdout`` is the share of the sample held out to measure
            agreement (and calibrate probabilities) before refitting on all of it.
        codebook: optional framework; then every label must be one of its themes.

    Returns:
        A :class:`CodingResult` whose ``agreement`` is measured on the held-out part.

    Raises:
        InputError: missing label column, too few coded texts, labels not in the codebook.
    """
    config = config or CodeConfig()
    _check_frame(frame)
    if label_column not in train_frame:
        found = ", ".join(c for c in train_frame.columns if c not in ("status", "duplicate"))
        raise InputError(
            f"label column '{label_column}' not found in the coded sample; columns found: {found}",
            "Pass --label-column with one of them",
        )
    t0 = time.perf_counter()
    ok = (train_frame["status"] == "ok") if "status" in train_frame else np.ones(len(train_frame))
    lists = [split_labels(v, label_sep) for v in train_frame[label_column]]
    keep = [i for i, (good, lab) in enumerate(zip(ok, lists, strict=True)) if good and lab]
    check_labels(train_frame[label_column].to_numpy()[keep], label_sep, label_column)
    if codebook is not None:
        unknown = sorted({lab for i in keep for lab in lists[i] if codebook.resolve(lab) is None})
        if unknown:
            raise InputError(
                f"{len(unknown)} label(s) in '{label_column}' are not themes of the codebook, "
                f"e.g. {unknown[0]!r}",
                "Fix the labels or add the themes to the codebook",
            )
        lists = [[codebook.resolve(lab) or lab for lab in labs] for labs in lists]
    texts_tr = train_frame["text"].astype(str).to_numpy()[keep].tolist()
    lists = [lists[i] for i in keep]
    labels = sorted({lab for labs in lists for lab in labs})
    if len(texts_tr) < 10 or len(labels) < 2:
        raise InputError(
            f"the coded sample has {len(texts_tr)} usable texts and {len(labels)} distinct codes",
            "Train on at least 10 coded texts and 2 codes",
        )
    if codebook is not None:
        labels = [t for t in codebook.ids if t in set(labels)]
    multi = any(len(lab) > 1 for lab in lists)
    y = _label_matrix(lists, labels, multi)

    mask = _coded_mask(frame)
    texts = frame.loc[mask, "text"].astype(str).tolist()
    ho = fit_idx = np.arange(0)
    if config.holdout > 0 and len(texts_tr) >= 50:
        ho, fit_idx = _holdout_split(texts_tr, config.holdout, config.seed)
    tune_idx = fit_idx if len(ho) else np.arange(len(texts_tr))
    encoder, t_tune = None, 0.0
    if _tune_in_trained_mode(config, len(texts_tr)):
        from covidlearning.nlp.finetune import encode, tune_encoder

        encoder = tune_encoder(
            [texts_tr[i] for i in tune_idx],
            _label_matrix([lists[i] for i in tune_idx], labels, True),
            model=config.embedding_model,
            seed=config.seed,
            epochs=TUNE_EPOCHS,
            max_examples=TUNE_MAX_EXAMPLES,
            progress=len(tune_idx) * TUNE_EPOCHS > 500,
        )
        t_tune = time.perf_counter() - t0
        emb_all = encode(encoder, texts_tr + texts)
    else:
        emb_all = _embed(texts_tr + texts, config)
    emb_tr, emb = emb_all[: len(texts_tr)], emb_all[len(texts_tr) :]
    t_embed = time.perf_counter() - t0

    held: dict[str, Any] | None = None
    temperature = 1.0
    if len(ho):
        sub = LinearCoder(labels, multi, config.seed)
        sub.fit([texts_tr[i] for i in fit_idx], emb_tr[fit_idx], y[fit_idx])
        temperature = sub.calibrate([texts_tr[i] for i in ho], emb_tr[ho], y[ho])
        p_ho = sub.probabilities([texts_tr[i] for i in ho], emb_tr[ho])
        held = {"index": ho, "probs": p_ho}
        if multi:
            held["cut"] = choose_cut(p_ho, y[ho], config.max_themes)
            # for the agreement report each half is coded at the cut chosen on the other
            half = np.arange(len(ho)) % 2 == 0
            held["cuts"] = np.where(
                half,
                choose_cut(p_ho[~half], y[ho][~half], config.max_themes),
                choose_cut(p_ho[half], y[ho][half], config.max_themes),
            )
    t_holdout = time.perf_counter() - t0 - t_embed

    model = LinearCoder(labels, multi, config.seed).fit(texts_tr, emb_tr, y)
    model.encoder = encoder
    model.temperature = temperature
    if held is not None and multi:
        model.cut = held["cut"]
    # auto: every text of the sample carries a code, so nothing is left unassigned
    threshold = config.threshold if config.threshold is not None else 0.0
    assignments, scores = _apply_coder(model, frame, mask, texts, emb, threshold, config)
    elapsed = time.perf_counter() - t0
    manifest = _base_manifest("trained", config, len(frame), int(mask.sum()))
    max_themes, _ = _output_rule(model, config)
    manifest.update(
        {
            "training": {
                "n_texts": len(texts_tr),
                "n_labels": len(labels),
                "labels": labels,
                "multi_label": multi,
                "label_column": label_column,
                "label_sep": label_sep,
                "holdout": len(held["index"]) if held else 0,
                "temperature": temperature,
                "cut": model.cut if multi else None,
                "cut_rule": (
                    "macro F1 on the held-out part"
                    if multi and held is not None
                    else "0.5 (no held-out part)"
                    if multi
                    else None
                ),
                "model": "LinearSVC on word 1-2gram + char 2-5gram TF-IDF + "
                + ("fine-tuned " if encoder is not None else "")
                + "MiniLM embeddings, blended with LinearSVC on the embeddings and ridge",
                "encoder": _encoder_summary(encoder, len(tune_idx), bool(len(ho))),
            },
            "context": _trained_context(),
            "threshold": threshold,
            "threshold_rule": "configured" if config.threshold is not None else "auto: 0 (trained)",
            "timings_s": {
                "fine_tuning": round(t_tune, 2),
                "embedding": round(t_embed - t_tune, 2),
                "holdout_fit": round(t_holdout, 2),
                "total": round(elapsed, 2),
            },
        }
    )
    result = CodingResult(assignments, scores, threshold, manifest, coder=model)
    result.coder_info = {
        "training": manifest["training"],
        "threshold": threshold,
        "threshold_rule": manifest["threshold_rule"],
        "embedding_model": config.embedding_model,
        "model_id": manifest["model"],
        "codebook": codebook.model_dump(mode="json") if codebook is not None else None,
    }
    if held is not None:
        ho = held["index"]
        t_ho: list[str] = [""] * len(ho)
        c_ho = np.zeros(len(ho))
        cuts = held.get("cuts", np.full(len(ho), np.nan))  # NaN: single-label, no cut
        for cut in np.unique(cuts):
            rows = np.flatnonzero((cuts == cut) | np.isnan(cuts))
            absolute = None if np.isnan(cut) else float(cut)
            part_t, c_ho[rows] = _rank(
                held["probs"][rows], labels, threshold, max_themes, config.secondary, absolute
            )
            for r, t in zip(rows, part_t, strict=True):
                t_ho[r] = t
        ids_tr = train_frame["id"].astype(str).to_numpy()[keep]
        comp = pd.DataFrame(
            {
                "id": ids_tr[ho],
                "human": [";".join(lists[i]) for i in ho],
                "machine": t_ho,
                "confidence": c_ho,
            }
        )
        from covidlearning.coding.agreement import agreement

        result.agreement = agreement(comp["human"], comp["machine"])
        result.agreement["source"] = (
            f"held-out {len(ho)} of {len(texts_tr)} coded texts (model fitted on the rest"
            + ("; each half coded at the cut chosen on the other)" if multi else ")")
        )
        result.comparison = comp
        manifest["agreement"] = {
            k: result.agreement[k] for k in ("n", "accuracy", "macro_f1", "cohen_kappa")
        }
    return result
