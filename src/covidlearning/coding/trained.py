"""Trained coding from a human-coded sample (:func:`train_and_code`, :func:`code_with_model`).

With 200 coded texts or more, MiniLM is first fine-tuned on the sample
(:mod:`covidlearning.nlp.finetune`; the held-out part excluded). Then a linear SVM on
word and character TF-IDF plus the embeddings, an SVM on the embeddings alone and a
ridge classifier, class-weighted for rare codes, one-vs-rest when the sample is
multi-label; which of them, or which blend, codes is chosen by cross-validation
inside the training sample (:func:`choose_model`). Part of the sample is held out to
measure agreement with the human coders (its softmax temperature is fitted there),
then the linear models are refitted on all of it. The fitted coder is saved
(safetensors + JSON, ``OUT/model/``, with the tuned encoder's layers) and
:func:`code_with_model` codes new texts with it, without retraining.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from covidlearning.coding.codebook import Codebook
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
from covidlearning.config import CodeConfig
from covidlearning.corpus.answers import answer_key
from covidlearning.errors import InputError
from covidlearning.nlp.context import not_used, softmax_rows, standardise_rows
from covidlearning.nlp.embed import DEFAULT_MODEL

if TYPE_CHECKING:
    from scipy.sparse import spmatrix

logger = logging.getLogger(__name__)

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
    """The manifest's ``context`` entry of a trained run: row order not used."""
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


#: The coders to choose among, as weights of the three models' decisions (``full``: SVM on
#: word + character TF-IDF and the embeddings; ``emb``: SVM on the embeddings alone, a
#: linear head on MiniLM; ``ridge``: ridge classifier on the TF-IDF and embeddings).
CANDIDATES: dict[str, tuple[float, float, float]] = {
    "blend": (1.0, 0.5, 0.5),
    "blend-equal": (1.0, 1.0, 1.0),
    "svm-tfidf-embeddings": (1.0, 0.0, 0.0),
    "svm-embeddings": (0.0, 1.0, 0.0),
    "ridge-tfidf-embeddings": (0.0, 0.0, 1.0),
}


#: The coder used when there are too few texts to choose by cross-validation.
DEFAULT_BLEND = CANDIDATES["blend"]


def blend_decisions(
    blocks: dict[str, np.ndarray], blend: tuple[float, ...], multi_label: bool
) -> np.ndarray:
    """The weighted sum of the models' decisions, by ``blend`` in ``_BLOCKS`` order.

    Multi-label: their weighted mean, which keeps each binary model's 0 boundary.
    """
    out = sum(w * blocks[b] for b, w in zip(_BLOCKS, blend, strict=True) if w)
    return out / sum(blend) if multi_label else out


@dataclass(frozen=True, eq=False)
class LinearCoder:
    """Linear SVMs on word + character TF-IDF and sentence embeddings.

    Single-label samples get a multi-class model (one-vs-rest, class-weighted);
    multi-label samples one binary model per code. A second SVM on the embeddings
    alone and a ridge classifier are blended in (z-scored decision values), which
    helps rare codes. Each model is kept as a weight matrix and bias in label order
    (``weights``), which is what :meth:`save` writes as safetensors.

    Build one with :meth:`fit` or :meth:`load`: every field is set when the coder is
    made and never changed afterwards (:meth:`calibrated` returns a new coder).

    Attributes:
        labels: the codes, in the order of the weight rows and probability columns.
        multi_label: one binary model per code (else one multi-class model).
        seed: random state of the SVMs.
        word_tfidf: the fitted word TF-IDF vectoriser (:data:`WORD_TFIDF`).
        char_tfidf: the fitted character TF-IDF vectoriser (:data:`CHAR_TFIDF`).
        weights: ``<block>.weight`` and ``<block>.bias`` for each block in ``_BLOCKS``.
        temperature: of the softmax (or the per-code sigmoids), fitted on held-out texts.
        cut: multi-label: a further code is listed when its probability reaches this.
        code_cuts: multi-label: the same, one per code (chosen per code on held-out texts
            where the code is common enough, :func:`choose_code_cuts`), or None.
        encoder: the fine-tuned embedding model, when training tuned one (else the base
            model is used, and this is None).
    """

    labels: list[str]
    multi_label: bool
    seed: int
    word_tfidf: Any
    char_tfidf: Any
    weights: dict[str, np.ndarray]
    temperature: float = 1.0
    cut: float = 0.5
    encoder: Any = None
    code_cuts: np.ndarray | None = None
    blend: tuple[float, float, float] = DEFAULT_BLEND

    @classmethod
    def fit(
        cls,
        texts: list[str],
        emb: np.ndarray,
        y: np.ndarray,
        *,
        labels: list[str],
        multi_label: bool,
        seed: int = 42,
        temperature: float = 1.0,
        cut: float = 0.5,
        encoder: Any = None,
        code_cuts: np.ndarray | None = None,
        blend: tuple[float, float, float] = DEFAULT_BLEND,
        exclude: Sequence[str] | TermScreen | None = None,
    ) -> LinearCoder:
        """Fit a coder on texts, their embeddings and their codes.

        Args:
            texts: the coded texts.
            emb: their embeddings, one row per text.
            y: their codes: class names, or a 0/1 matrix in ``labels`` order (multi-label).
            labels: the codes, in the order of the outputs' columns.
            multi_label: fit one binary model per code.
            seed: random state of the SVMs.
            temperature: probability temperature (see :meth:`calibrated`).
            cut: multi-label: the probability a further code needs (see :func:`choose_cut`).
            encoder: the fine-tuned embedding model ``emb`` came from, if any.
            code_cuts: multi-label: one cut per code (see :func:`choose_code_cuts`).
            blend: weights of the ``full``, ``emb`` and ``ridge`` models' decisions
                (:data:`CANDIDATES`, chosen by :func:`choose_model`).
            exclude: with redaction on, the strings it removed from the run's texts:
                vocabulary terms holding one, or an identifier the final guard would
                find, are dropped before the coder learns (:func:`_prune`), so the saved
                coder can be published. A :class:`TermScreen` made of them once serves
                many fits on one sample. None: every term is kept.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer

        word = TfidfVectorizer(**WORD_TFIDF).fit(texts)
        char = TfidfVectorizer(**CHAR_TFIDF).fit(texts)
        if exclude is not None:
            screen = exclude if isinstance(exclude, TermScreen) else TermScreen(exclude)
            word, char = _prune(word, texts, screen), _prune(char, texts, screen)
        x = _stack_features(word, char, texts, emb)
        weights = _fit_weights(x, emb, y, labels, multi_label, seed)
        return cls(
            labels, multi_label, seed, word, char, weights, temperature, cut, encoder,
            code_cuts, tuple(blend),
        )  # fmt: skip

    def _score(self, name: str, x: Any) -> np.ndarray:
        """Decision values of one block (``full``, ``emb`` or ``ridge``) for features ``x``."""
        return np.asarray(x @ self.weights[f"{name}.weight"].T) + self.weights[f"{name}.bias"]

    def block_decisions(self, texts: list[str], emb: np.ndarray) -> dict[str, np.ndarray]:
        """Each model's decision values, ``(n, n_labels)``, by block (``_BLOCKS``).

        Single-label: each row z-scored, so the three are on one scale.
        """
        x = _stack_features(self.word_tfidf, self.char_tfidf, texts, emb)
        out = {"full": self._score("full", x), "emb": self._score("emb", emb),
               "ridge": self._score("ridge", x)}  # fmt: skip
        if not self.multi_label:
            out = {k: standardise_rows(v) for k, v in out.items()}
        return out

    def decision(self, texts: list[str], emb: np.ndarray) -> np.ndarray:
        """Blended decision scores, ``(n, n_labels)`` (weights: ``blend``)."""
        return blend_decisions(self.block_decisions(texts, emb), self.blend, self.multi_label)

    def probabilities(self, texts: list[str], emb: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (softmax, or per-code sigmoids when multi-label)."""
        d = self.decision(texts, emb)
        if self.multi_label:
            return 1.0 / (1.0 + np.exp(-d / self.temperature))
        return softmax_rows(d, self.temperature)

    def calibrated(self, texts: list[str], emb: np.ndarray, y: np.ndarray) -> LinearCoder:
        """This coder with the temperature that minimises the log-loss on held-out texts."""
        d = self.decision(texts, emb)
        index = {lab: i for i, lab in enumerate(self.labels)}
        best, best_loss = 1.0, np.inf
        for t in np.geomspace(0.05, 5.0, 60):
            if self.multi_label:
                p = np.clip(1.0 / (1.0 + np.exp(-d / t)), 1e-6, 1 - 1e-6)
                loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
            else:
                p = softmax_rows(d, t)
                cols = np.array([index[v] for v in y])
                loss = -np.mean(np.log(np.clip(p[np.arange(len(y)), cols], 1e-9, 1)))
            if loss < best_loss:
                best, best_loss = float(t), loss
        return replace(self, temperature=best)

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
        tensors["word.idf"] = np.asarray(self.word_tfidf.idf_, dtype=float)
        tensors["char.idf"] = np.asarray(self.char_tfidf.idf_, dtype=float)
        if self.code_cuts is not None:
            tensors["cut.per_code"] = np.asarray(self.code_cuts, dtype=float)
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
            "code_cuts": None if self.code_cuts is None else [float(c) for c in self.code_cuts],
            "blend": dict(zip(_BLOCKS, map(float, self.blend), strict=True)),
            "embedding_weight": EMBEDDING_WEIGHT,
            "encoder": CODER_ENCODER if self.encoder is not None else None,
            "encoder_sha256": encoder_sha,
            "word_terms": _terms(self.word_tfidf),
            "char_terms": _terms(self.char_tfidf),
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
        labels, multi, seed = list(meta["labels"]), bool(meta["multi_label"]), int(meta["seed"])
        temperature, cut = float(meta["temperature"]), float(meta.get("cut", 0.5))
        vectorisers = {}
        for key, params in (("word", WORD_TFIDF), ("char", CHAR_TFIDF)):
            terms = meta[f"{key}_terms"]
            vec = TfidfVectorizer(**params, vocabulary={t: i for i, t in enumerate(terms)})
            vec.idf_ = tensors[f"{key}.idf"]
            vectorisers[key] = vec
        weights = {f"{b}.{p}": tensors[f"{b}.{p}"] for b in _BLOCKS for p in ("weight", "bias")}
        encoder = None
        if meta.get("encoder") is not None:
            from covidlearning.nlp.finetune import load_encoder

            path = _encoder_file(model_dir, meta)
            encoder = load_encoder(path, meta.get("embedding_model", DEFAULT_MODEL))
        blend = meta.get("blend") or dict(zip(_BLOCKS, DEFAULT_BLEND, strict=True))
        coder = cls(
            labels, multi, seed, vectorisers["word"], vectorisers["char"], weights,
            temperature, cut, encoder, tensors.get("cut.per_code"),
            tuple(float(blend[b]) for b in _BLOCKS),
        )  # fmt: skip
        return coder, meta

    def embed(self, texts: list[str], config: CodeConfig) -> np.ndarray:
        """Embed texts as the coder was trained: its tuned encoder, or the cached base model."""
        if self.encoder is None:
            return _embed(texts, config)
        from covidlearning.nlp.finetune import encode

        return encode(self.encoder, texts)


def _stack_features(word: Any, char: Any, texts: list[str], emb: np.ndarray) -> spmatrix:
    """Word and character TF-IDF of ``texts`` beside their weighted embeddings, one row each."""
    from scipy.sparse import csr_matrix, hstack

    return hstack(
        [word.transform(texts), char.transform(texts), csr_matrix(emb * EMBEDDING_WEIGHT)]
    ).tocsr()


def _fit_weights(
    x: Any, emb: np.ndarray, y: np.ndarray, labels: list[str], multi_label: bool, seed: int
) -> dict[str, np.ndarray]:
    """Fit the three blended models; their weights and biases by block, in label order.

    ``full`` is an SVM on all features ``x``, ``emb`` an SVM on the embeddings alone and
    ``ridge`` a ridge classifier on ``x``.
    """
    from sklearn.linear_model import RidgeClassifier

    weight = None if multi_label else "balanced"
    ridge = RidgeClassifier(alpha=1.0, class_weight=weight).fit(x, y)
    if multi_label:  # one column per code already, in label order
        ridge_w = (np.asarray(ridge.coef_, dtype=float), np.asarray(ridge.intercept_, float))
    else:
        ridge_w = _as_weights([ridge], x.shape[1], labels, multi_label)
    full = _svms(x, y, SVM_C_FULL, multi_label, seed)
    alone = _svms(emb, y, SVM_C_EMBEDDINGS, multi_label, seed)
    parts = {
        "full": _as_weights(full, x.shape[1], labels, multi_label),
        "emb": _as_weights(alone, emb.shape[1], labels, multi_label),
        "ridge": ridge_w,
    }
    weights = {}
    for name, (w, b) in parts.items():
        weights[f"{name}.weight"] = np.ascontiguousarray(w)
        weights[f"{name}.bias"] = np.ascontiguousarray(b)
    return weights


def _svms(x: Any, y: np.ndarray, c: float, multi_label: bool, seed: int) -> list[Any]:
    """Class-weighted linear SVMs: one multi-class model, or one per code (multi-label).

    A code present in every (or no) text of a multi-label sample gets the constant
    +1.0 (or -1.0) in place of a model.
    """
    from sklearn.svm import LinearSVC

    if not multi_label:
        return [LinearSVC(C=c, class_weight="balanced", random_state=seed).fit(x, y)]
    models = []
    for j in range(y.shape[1]):
        col = y[:, j]
        if col.all() or not col.any():
            models.append(float(1.0 if col.all() else -1.0))
            continue
        models.append(LinearSVC(C=c, class_weight="balanced", random_state=seed).fit(x, col))
    return models


def _as_weights(
    models: list[Any], n_features: int, labels: list[str], multi_label: bool
) -> tuple[np.ndarray, np.ndarray]:
    """One ``(n_labels, n_features)`` matrix and bias, in label order.

    A label the model never saw scores -10; a code present in every (or no)
    training text of a multi-label sample scores a constant +1 (or -1).
    """
    w = np.zeros((len(labels), n_features))
    b = np.full(len(labels), -10.0)
    if multi_label:
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
    index = {lab: i for i, lab in enumerate(labels)}
    for j, cls in enumerate(m.classes_):
        w[index[cls]], b[index[cls]] = coef[j], icpt[j]
    return w, b


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


class TermScreen:
    """Which vocabulary terms the identifier guard would flag, each distinct term scanned once.

    Whether a term is flagged depends on the term and the run's redacted strings alone, so
    one screen serves every coder fitted on a sample and its parts (the model choice's
    folds, the hold-out fit, the final fit): a part's vocabulary is (nearly) a subset of the
    sample's, and only terms not met before are scanned.

    Args:
        exclude: with redaction on, the strings it removed from the run's texts.
    """

    def __init__(self, exclude: Sequence[str]) -> None:
        from covidlearning.privacy.redact import known_pattern

        self.exclude = tuple(exclude)
        self._pattern = known_pattern(self.exclude)
        self._flagged: dict[str, bool] = {}

    def flagged(self, term: str) -> bool:
        """Whether the guard finds an identifier in ``term``, or it holds a redacted string."""
        key = term.strip()  # character n-grams differ by their edge spaces only
        hit = self._flagged.get(key)
        if hit is None:
            from covidlearning.privacy.redact import scan_text

            hit = bool(scan_text(key, known=self._pattern or ()))
            self._flagged[key] = hit
        return hit

    @property
    def scanned(self) -> int:
        """How many distinct terms (edge spaces aside) have been scanned so far."""
        return len(self._flagged)


def _prune(vectorizer: Any, texts: list[str], screen: TermScreen) -> Any:
    """A fitted TF-IDF vectoriser without the terms the identifier guard would flag.

    A term goes when the guard's recognisers find an identifier in it, or it holds one of
    the strings redaction removed elsewhere in the run (as whole words in any case,
    :class:`TermScreen`): a name redaction caught in one comment but not in another would
    otherwise reach the saved coder's vocabulary. The kept terms are fitted again on
    ``texts`` (a term's weight depends on its own document frequency only, so they keep
    theirs).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    terms = _terms(vectorizer)
    keep = [t for t in terms if not screen.flagged(t)]
    if len(keep) == len(terms):
        return vectorizer
    logger.info("coder vocabulary: %d terms dropped as identifiers", len(terms) - len(keep))
    params = {**vectorizer.get_params(), "vocabulary": keep}
    return TfidfVectorizer(**params).fit(texts)


def _output_rule(coder: LinearCoder, config: CodeConfig) -> tuple[int, float | np.ndarray | None]:
    """How many codes a text may get, and the absolute probability a further one needs.

    Single-label samples give one code per text. Multi-label samples have per-code
    probabilities, so every code at the coder's cut or above is listed (the top one
    always); the cut is chosen on the held-out part of the sample (:func:`choose_cut`).
    """
    if coder.multi_label:
        return config.max_themes, coder.code_cuts if coder.code_cuts is not None else coder.cut
    return 1, None


#: Candidate cuts for a further code (multi-label); ties go to the one nearest 0.5.
CUT_GRID = tuple(round(c, 2) for c in np.arange(0.05, 0.951, 0.05))


def _indicator(probs: np.ndarray, cut: float | np.ndarray, max_themes: int) -> np.ndarray:
    """Codes listed per text (as :func:`_rank` lists them, threshold 0) as a 0/1 matrix.

    ``cut`` is one cut for every code, or one per code.
    """
    order = np.argsort(-probs, axis=1, kind="stable")[:, :max_themes]
    rows = np.arange(len(probs))[:, None]
    out = np.zeros(probs.shape, dtype=int)
    per_code = np.broadcast_to(np.asarray(cut, dtype=float), (probs.shape[1],))
    out[rows, order] = probs[rows, order] >= per_code[order]
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


#: A code gets a cut of its own when at least this many held-out texts carry it; rarer
#: codes keep the shared cut (too few texts to choose one on).
MIN_CODE_SUPPORT = 10


def choose_code_cuts(probs: np.ndarray, y: np.ndarray, max_themes: int, base: float) -> np.ndarray:
    """A cut per code, each maximising that code's F1 against human codes.

    A code carried by fewer than :data:`MIN_CODE_SUPPORT` of the texts keeps ``base``
    (the shared cut, :func:`choose_cut`); ties go to the cut nearest ``base``.

    Args:
        probs: per-code probabilities of held-out texts, ``(n, n_codes)``.
        y: their human codes as a 0/1 matrix of the same shape.
        max_themes: at most this many codes per text.
        base: the shared cut.
    """
    from sklearn.metrics import f1_score

    cuts = np.full(probs.shape[1], float(base))
    for j in np.flatnonzero(y.sum(0) >= MIN_CODE_SUPPORT):
        trial = cuts.copy()

        def score(c: float, j: int = j, trial: np.ndarray = trial) -> tuple[float, float]:
            trial[j] = c
            pred = _indicator(probs, trial, max_themes)[:, j]
            return float(f1_score(y[:, j], pred, zero_division=0)), -abs(c - base)

        cuts[j] = float(max(CUT_GRID, key=score))
    return cuts


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
    frame = _revive_in(frame, set(meta["training"].get("set_aside_coded_sha256") or ()))
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
    logger.info(
        "coding %d texts with the saved coder (%s encoder), threshold %g (%s)",
        len(texts), "its tuned" if coder.encoder is not None else "the base model's",
        threshold, "configured" if config.threshold is not None else "the saved run's",
    )  # fmt: skip
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
    """Codes as a coder learns them: each text's (first) code, or a 0/1 matrix if ``multi``."""
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


#: Passes over the coded texts, and the most texts seen in all (about 2 minutes on 2 cores
#: for 2,000 short comments: batches are drawn from texts of similar length).
TUNE_EPOCHS = 3


TUNE_MAX_EXAMPLES = 8_000


#: Model choice: folds of the cross-validation inside the training sample, and the fewest
#: texts it is run on (fewer: the default blend, :data:`DEFAULT_BLEND`).
CV_FOLDS = 5


CV_MIN_TEXTS = 100


#: Model choice: another candidate replaces the default blend only when its cross-validated
#: macro F1 beats the blend's by more than one standard error of the difference, estimated
#: by this many bootstrap resamples of the held-out folds' texts (paired: the same texts
#: for both). The candidates differ by a few thousandths on a few thousand texts, and the
#: folds' models learn from 64% of the sample, which flatters the embedding-heavy blends;
#: frozen MiniLM, 5 Trust B splits: mean macro F1 0.373 choosing the best, 0.376 with this rule.
CV_BOOTSTRAP = 200


def _bootstrap_macro_f1(
    y: np.ndarray, pred: np.ndarray, weights: np.ndarray, multi_label: bool
) -> np.ndarray:
    """Macro F1 of 0/1 predictions against 0/1 codes, once per row of resampling ``weights``.

    Args:
        y: human codes, ``(n, n_codes)`` 0/1.
        pred: predicted codes, same shape.
        weights: ``(rounds, n)``: how often each text is drawn in each resample.
        multi_label: average over every code (as scikit-learn does for 0/1 matrices);
            else over the codes either side names in that resample (as it does for labels).
    """
    tp = weights @ (y * pred)
    both = weights @ y + weights @ pred
    f1 = np.divide(2 * tp, both, out=np.zeros_like(tp, dtype=float), where=both > 0)
    if multi_label:
        return f1.mean(axis=1)
    present = both > 0
    return (f1 * present).sum(axis=1) / np.maximum(present.sum(axis=1), 1)


def _standard_error_of_gain(
    y: np.ndarray, preds: dict[str, np.ndarray], best: str, multi_label: bool, seed: int
) -> float:
    """Bootstrap standard error of candidate ``best``'s macro F1 minus the default blend's."""
    n = len(y)
    draws = np.random.default_rng(seed).integers(0, n, size=(CV_BOOTSTRAP, n))
    weights = np.zeros((CV_BOOTSTRAP, n))
    np.add.at(weights, (np.arange(CV_BOOTSTRAP)[:, None], draws), 1.0)
    gain = _bootstrap_macro_f1(y, preds[best], weights, multi_label) - _bootstrap_macro_f1(
        y, preds["blend"], weights, multi_label
    )
    return float(gain.std())


def _text_groups(texts: list[str]) -> list[list[int]]:
    """Positions of the copies of each text (same words, case and spacing aside)."""
    from covidlearning.themes.texts import text_key

    groups: dict[str, list[int]] = {}
    for i, t in enumerate(texts):
        groups.setdefault(text_key(t), []).append(i)
    return list(groups.values())


def _cv_folds(texts: list[str], k: int, seed: int) -> list[np.ndarray]:
    """``k`` folds of positions in ``texts``, copies of a text always in one fold."""
    members = _text_groups(texts)
    folds: list[list[int]] = [[] for _ in range(k)]
    for n, g in enumerate(np.random.default_rng(seed).permutation(len(members))):
        folds[n % k].extend(members[g])
    return [np.sort(np.asarray(f, dtype=int)) for f in folds]


@dataclass(frozen=True)
class ModelChoice:
    """Which coder :func:`choose_model` chose, and the cross-validated scores it chose on.

    Attributes:
        name: a key of :data:`CANDIDATES`.
        blend: its weights of the three models.
        scores: candidate -> macro F1 of its codes on the held-out folds (empty: no CV).
        texts: how many texts the cross-validation ran on.
        rule: how the choice was made, in words.
        index: positions in the sample of those texts (None: no cross-validation).
        oof: the chosen coder's decision values for them, each from the models fitted
            without its fold, ``(texts, n_codes)`` (None: no cross-validation).
        standard_error: bootstrap standard error of the best candidate's macro F1 minus
            the default blend's (None: no cross-validation, or the blend was best).
    """

    name: str
    blend: tuple[float, float, float]
    scores: dict[str, float]
    texts: int
    rule: str
    index: np.ndarray | None = field(default=None, repr=False, compare=False)
    oof: np.ndarray | None = field(default=None, repr=False, compare=False)
    standard_error: float | None = None

    def summary(self) -> dict[str, Any]:
        """The manifest's ``training.model_choice`` entry."""
        se = None if self.standard_error is None else round(self.standard_error, 4)
        return {
            "chosen": self.name,
            "weights": dict(zip(_BLOCKS, self.blend, strict=True)),
            "cv_macro_f1": {k: round(v, 4) for k, v in self.scores.items()},
            "standard_error_of_gain": se,
            "folds": CV_FOLDS if self.scores else 0,
            "texts": self.texts,
            "rule": self.rule,
        }


def choose_model(
    sample: _CodedSample,
    emb: np.ndarray,
    idx: np.ndarray,
    config: CodeConfig,
    tuned: bool = False,
) -> ModelChoice:
    """Choose among :data:`CANDIDATES` by cross-validation on the sample's texts at ``idx``.

    Each of :data:`CV_FOLDS` folds (copies of a text kept together) is coded by the three
    models fitted on the other folds; each candidate blends their decisions and its codes
    are scored by macro F1 against the human codes over all folds (multi-label codes at the
    cut that suits each candidate best, :func:`choose_cut`). The best (ties: the earlier
    candidate) is chosen when it beats the default blend by more than one bootstrap
    standard error of the difference (:data:`CV_BOOTSTRAP`); else the blend is kept.
    ``idx`` leaves out the hold-out, whose agreement so stays a fair measure of the chosen
    coder.

    Args:
        sample: the coded sample.
        emb: its embeddings, one row per text of the sample.
        idx: positions of the texts to cross-validate on.
        config: options (``seed``, ``max_themes``).
        tuned: the coder will use an encoder tuned on these texts, and ``emb`` are the
            base model's embeddings instead (a tuned encoder has seen every fold's codes,
            which would flatter the models on the embeddings); the out-of-fold scores are
            then not used for the coder's cuts.
    """
    from sklearn.metrics import f1_score

    if len(idx) < CV_MIN_TEXTS:
        rule = f"{len(idx)} texts, fewer than {CV_MIN_TEXTS}: the default blend, no choice"
        logger.info("model choice: %s", rule)
        return ModelChoice("blend", DEFAULT_BLEND, {}, len(idx), rule)
    texts = sample.texts_at(idx)
    oof = {b: np.zeros((len(idx), len(sample.labels))) for b in _BLOCKS}
    for fold in _cv_folds(texts, CV_FOLDS, config.seed):
        rest = np.setdiff1d(np.arange(len(idx)), fold)
        coder = LinearCoder.fit(
            [texts[i] for i in rest], emb[idx[rest]], sample.y[idx[rest]],
            labels=sample.labels, multi_label=sample.multi_label, seed=config.seed,
            exclude=sample.exclude,
        )  # fmt: skip
        for b, d in coder.block_decisions([texts[i] for i in fold], emb[idx[fold]]).items():
            oof[b][fold] = d
    y = sample.y[idx]
    y01 = y if sample.multi_label else _label_matrix([[c] for c in y], sample.labels, True)
    scores: dict[str, float] = {}
    preds: dict[str, np.ndarray] = {}
    for name, blend in CANDIDATES.items():
        d = blend_decisions(oof, blend, sample.multi_label)
        if sample.multi_label:
            probs = 1.0 / (1.0 + np.exp(-d))
            pred = _indicator(probs, choose_cut(probs, y, config.max_themes), config.max_themes)
            scores[name] = float(f1_score(y, pred, average="macro", zero_division=0))
        else:
            pred = np.zeros(d.shape, dtype=int)
            pred[np.arange(len(d)), d.argmax(1)] = 1
            labels_pred = np.asarray(sample.labels, dtype=object)[d.argmax(1)]
            scores[name] = float(f1_score(y, labels_pred, average="macro", zero_division=0))
        preds[name] = pred
    top = max(scores.values())
    best = next(k for k, v in scores.items() if v >= top - 1e-9)  # ties: the earlier one
    se = _standard_error_of_gain(y01, preds, best, sample.multi_label, config.seed)
    gain = scores[best] - scores["blend"]  # 0 (and se 0) when the blend is best
    name = best if gain > se else "blend"
    where = (
        f"on the held-out folds of a {CV_FOLDS}-fold cross-validation "
        f"inside the training sample ({len(idx)} texts"
        + ("; the hold-out left out" if len(idx) < len(sample.texts) else "")
        + (
            "; on the base model's embeddings, since the tuned encoder saw these texts' codes)"
            if tuned
            else ")"
        )
    )
    rule = (
        f"macro F1 {where}: the best candidate, {best}, beats the default blend by {gain:.4f}, "
        f"{'more' if name == best else 'not more'} than one bootstrap standard error of the "
        f"difference ({se:.4f}, {CV_BOOTSTRAP} resamples)"
        if best != "blend"
        else f"best macro F1 {where}"
    )
    logger.info(
        "model choice: %s (cross-validated macro F1 %s; best %s, gain over the blend %.4f, "
        "standard error %.4f)",
        name, ", ".join(f"{k} {v:.3f}" for k, v in scores.items()), best, gain, se,
    )  # fmt: skip
    se_kept = se if best != "blend" else None
    if tuned:  # scores of other features than the coder's: no cuts from them
        return ModelChoice(name, CANDIDATES[name], scores, len(idx), rule, standard_error=se_kept)
    oof_chosen = blend_decisions(oof, CANDIDATES[name], sample.multi_label)
    return ModelChoice(name, CANDIDATES[name], scores, len(idx), rule, idx, oof_chosen, se_kept)


def _holdout_split(texts: list[str], share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices held out (about ``share`` of the texts) and fitted on.

    Copies of a text (same words, case and spacing aside) stay on one side, so the
    agreement measured on the held-out part is not flattered by texts the coder (and the
    fine-tuned encoder) saw in training.
    """
    members = _text_groups(texts)
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
    """Whether trained mode fine-tunes the encoder on ``n_texts`` coded texts."""
    if config.finetune == "auto":
        return n_texts >= TUNE_MIN_TEXTS
    return bool(config.finetune)


def _encoder_summary(encoder: Any, n_texts: int, held_out: bool) -> dict[str, Any]:
    """The training summary's ``encoder`` entry: tuned or not, on how many texts, how."""
    if encoder is None:
        return {"tuned": False}
    return {
        "tuned": True,
        "texts": n_texts,
        "epochs": round(encoder.covidlearning_seen / max(n_texts, 1), 2),
        "method": "cosine-softmax head, cross-entropy, rare codes weighted up, batches of "
        "texts of similar length (covidlearning.nlp.finetune), on "
        + ("the sample minus its held-out part" if held_out else "the whole sample"),
    }


def train_and_code(
    train_frame: pd.DataFrame,
    label_column: str,
    frame: pd.DataFrame,
    label_sep: str | None = None,
    config: CodeConfig | None = None,
    codebook: Codebook | None = None,
    exclude: Sequence[str] | None = None,
) -> CodingResult:
    """Learn codes from a human-coded sample and code ``frame``.

    The steps: check the labels, split off the hold-out, tune the encoder (or keep it
    frozen), fit on the rest and measure on the hold-out, refit on the whole sample,
    code ``frame``, and gather what is saved with the run.

    Args:
        train_frame: the coded sample as :func:`~covidlearning.corpus.load.load_table`
            returns it; ``label_column`` holds each text's code(s).
        label_column: column of human codes.
        frame: the texts to code.
        label_sep: separator between several codes in one cell (multi-label), e.g. ``;``.
        config: options; ``holdout`` is the share of the sample held out to measure
            agreement (and calibrate probabilities) before refitting on all of it.
        codebook: optional framework; then every label must be one of its themes.
        exclude: with redaction on, the strings it removed from the run's texts; the
            coder's vocabulary then keeps no term holding one or another identifier
            (see :meth:`LinearCoder.fit`).

    Returns:
        A :class:`CodingResult` whose ``agreement`` is measured on the held-out part.

    Raises:
        InputError: missing label column, too few coded texts, labels not in the codebook.
    """
    config = config or CodeConfig()
    _check_frame(frame)
    _check_label_column(train_frame, label_column)
    t0 = time.perf_counter()
    train_frame, revived = revive_coded_non_answers(train_frame, label_column, label_sep, codebook)
    digests = {_key_digest(k) for k in revived}
    sample = _coded_sample(train_frame, label_column, label_sep, codebook)
    sample = replace(sample, exclude=None if exclude is None else TermScreen(exclude))
    frame = _revive_in(frame, digests)
    mask = _coded_mask(frame)
    texts = frame.loc[mask, "text"].astype(str).tolist()
    ho, fit_idx = _split_holdout(sample.texts, config)
    tune_idx = fit_idx if len(ho) else np.arange(len(sample.texts))
    encoder = _tuned_encoder(sample, tune_idx, config)
    t_tune = time.perf_counter() - t0 if encoder is not None else 0.0
    emb_tr, emb = _embed_sample_and_texts(encoder, sample.texts, texts, config)
    t_embed = time.perf_counter() - t0
    cv_idx = fit_idx if len(ho) else np.arange(len(sample.texts))
    if encoder is None:
        choice = choose_model(sample, emb_tr, cv_idx, config)
    else:  # the tuned encoder saw every fold's codes: choose on the base model's embeddings
        choice = choose_model(sample, _embed(sample.texts, config), cv_idx, config, tuned=True)
    t_choice = time.perf_counter() - t0 - t_embed
    held = _measure_on_holdout(sample, emb_tr, ho, fit_idx, config, choice) if len(ho) else None
    t_holdout = time.perf_counter() - t0 - t_embed - t_choice
    model = _refit_on_all(sample, emb_tr, held, encoder, config, choice)
    if sample.exclude is not None:
        logger.info(
            "coder vocabulary: %d distinct terms scanned for identifiers, once for all fits",
            sample.exclude.scanned,
        )
    # auto: every text of the sample carries a code, so nothing is left unassigned
    threshold = config.threshold if config.threshold is not None else 0.0
    assignments, scores = _apply_coder(model, frame, mask, texts, emb, threshold, config)
    timings = {
        "fine_tuning": round(t_tune, 2),
        "embedding": round(t_embed - t_tune, 2),
        "model_choice": round(t_choice, 2),
        "holdout_fit": round(t_holdout, 2),
        "total": round(time.perf_counter() - t0, 2),
    }
    manifest = _base_manifest("trained", config, len(frame), int(mask.sum()))
    manifest.update(
        {
            "training": _training_summary(sample, label_column, label_sep, held, model, tune_idx)
            | {"model_choice": choice.summary(), "set_aside_coded_sha256": sorted(digests)},
            "context": _trained_context(),
            "threshold": threshold,
            "threshold_rule": "configured" if config.threshold is not None else "auto: 0 (trained)",
            "timings_s": timings,
        }
    )
    coder_info = _coder_info(manifest, threshold, config, codebook)
    agreement = comparison = None
    if held is not None:
        ids = train_frame["id"].astype(str).to_numpy()[sample.rows]
        comparison = _holdout_comparison(sample, ids, held, model, threshold, config)
        agreement = _holdout_agreement(comparison, sample, held)
        manifest["agreement"] = {
            k: agreement[k] for k in ("n", "accuracy", "macro_f1", "cohen_kappa")
        }
    return CodingResult(
        assignments,
        scores,
        threshold,
        manifest,
        agreement=agreement,
        comparison=comparison,
        coder=model,
        coder_info=coder_info,
    )


#: Statuses the loader gives a written text it sets aside as saying nothing (a filler,
#: a non-answer, a stock phrase repeated down the column): coded when the human coders
#: coded it (:func:`revive_coded_non_answers`).
SET_ASIDE = frozenset({"filler", "missing", "non-answer", "repeated non-answer"})


#: A text set aside by the loader is taken back when the coders coded at least this many of
#: its copies, and most of them: one coded "None" among 40 left blank is a slip, and so may
#: be a lone coded "N/A" when the sample holds only coded rows (it would code every "N/A").
#: Trust B's coders coded both copies of "Nothing more" "Nothing to improve".
REVIVE_MIN_CODED = 2


def _key_digest(key: str) -> str:
    """What a saved coder keeps of a text it codes although the loader set it aside.

    An unsalted hash: it keeps the text out of plain sight, not from someone guessing it;
    such texts are fillers, listed non-answers or stock phrases, redacted first when
    redaction is on.
    """
    import hashlib

    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def revive_coded_non_answers(
    train_frame: pd.DataFrame,
    label_column: str,
    label_sep: str | None,
    codebook: Codebook | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Take back the texts the loader set aside as saying nothing that the coders coded.

    The loader sets aside fillers, non-answers and phrases repeated down a column
    (``status`` not ``ok``), a guess that a text carries no meaning. When the human coders
    coded most of its copies, two at least (Trust B's 31 "Rang pt before visit: Yes" are
    all "Communication"; :data:`REVIVE_MIN_CODED`), their code says
    what it means in their scheme: the coder learns it, and codes the same text wherever
    it comes. With a codebook, only copies whose codes are all its themes are taken back
    (coders often code non-answers "No comment", outside the framework).

    Copies are texts with one :func:`~covidlearning.corpus.answers.answer_key`, as the
    loader counts them.

    Returns:
        The training frame with those rows' status ``ok``, and the texts' keys, sorted.
    """
    if "status" not in train_frame:
        return train_frame, []

    def usable(value: object) -> bool:
        codes = split_labels(value, label_sep)
        return bool(codes) and (codebook is None or all(codebook.resolve(c) for c in codes))

    coded = train_frame[label_column].map(usable).to_numpy()
    aside = train_frame["status"].isin(SET_ASIDE).to_numpy()
    key = train_frame["text"].map(answer_key)
    copies = key[aside].value_counts()
    hits = key[aside & coded].value_counts()
    keys = sorted(k for k, n in hits.items() if n >= REVIVE_MIN_CODED and 2 * n > copies[k])
    aside = pd.Series(aside & coded & key.isin(keys).to_numpy(), index=train_frame.index)
    if not keys:
        return train_frame, []
    logger.info(
        "%d coded rows (%d distinct texts, e.g. %r) were set aside by the loader as saying "
        "nothing; the coders coded them, so they are learnt and coded like any other text",
        int(aside.sum()), len(keys), str(train_frame.loc[aside, "text"].iloc[0])[:60],
    )  # fmt: skip
    return train_frame.assign(status=train_frame["status"].mask(aside, "ok")), keys


def _revive_in(frame: pd.DataFrame, digests: set[str]) -> pd.DataFrame:
    """``frame`` with status ``ok`` on the rows set aside whose text the coders coded.

    ``digests``: :func:`_key_digest` of those texts' keys (what a saved coder keeps).
    """
    if not digests or "status" not in frame:
        return frame
    keys = frame["text"].map(answer_key).map(_key_digest)
    aside = frame["status"].isin(SET_ASIDE) & keys.isin(digests)
    if aside.any():
        logger.info(
            "%d rows to code were set aside by the loader as saying nothing, but the coders "
            "coded their text: coded", int(aside.sum()),
        )  # fmt: skip
    return frame.assign(status=frame["status"].mask(aside, "ok"))


@dataclass(frozen=True)
class _CodedSample:
    """The texts of a human-coded sample a coder learns from, with their codes.

    Attributes:
        rows: positions in the training frame of the texts kept (status ``ok``, coded).
        texts: those texts.
        codes: each text's codes (theme ids when a codebook was given).
        labels: the distinct codes, sorted (in the codebook's order when there is one).
        multi_label: some text has more than one code.
        y: the codes as the coder learns them: one class name per text, or (multi-label)
            a 0/1 matrix in ``labels`` order.
        exclude: with redaction on, the screen of the coder's vocabulary, shared by every
            coder fitted on the sample (None: every term is kept).
    """

    rows: list[int]
    texts: list[str]
    codes: list[list[str]]
    labels: list[str]
    multi_label: bool
    y: np.ndarray
    exclude: TermScreen | None = None

    def texts_at(self, idx: np.ndarray) -> list[str]:
        """The texts at positions ``idx`` of the sample."""
        return [self.texts[i] for i in idx]


def _check_label_column(train_frame: pd.DataFrame, label_column: str) -> None:
    """Raise :class:`InputError`, naming the columns found, when the label column is missing."""
    if label_column not in train_frame:
        found = ", ".join(c for c in train_frame.columns if c not in ("status", "duplicate"))
        raise InputError(
            f"label column '{label_column}' not found in the coded sample; columns found: {found}",
            "Pass --label-column with one of them",
        )


def _coded_sample(
    train_frame: pd.DataFrame, label_column: str, label_sep: str | None, codebook: Codebook | None
) -> _CodedSample:
    """Check labels: the sample's usable texts (status ``ok``, with a code) and their codes.

    The codes are checked with :func:`check_labels`; with a codebook, each must name one
    of its themes and is replaced by that theme's id.

    Raises:
        InputError: a code names no theme of the codebook, or the sample has fewer than
            10 usable texts or 2 distinct codes.
    """
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
    texts = train_frame["text"].astype(str).to_numpy()[keep].tolist()
    lists = [lists[i] for i in keep]
    labels = sorted({lab for labs in lists for lab in labs})
    if len(texts) < 10 or len(labels) < 2:
        raise InputError(
            f"the coded sample has {len(texts)} usable texts and {len(labels)} distinct codes",
            "Train on at least 10 coded texts and 2 codes",
        )
    if codebook is not None:
        labels = [t for t in codebook.ids if t in set(labels)]
    multi = any(len(lab) > 1 for lab in lists)
    logger.info(
        "coded sample: %d usable texts of %d rows, %d codes, %s",
        len(texts), len(train_frame), len(labels), "multi-label" if multi else "single-label",
    )  # fmt: skip
    return _CodedSample(keep, texts, lists, labels, multi, _label_matrix(lists, labels, multi))


def _split_holdout(texts: list[str], config: CodeConfig) -> tuple[np.ndarray, np.ndarray]:
    """Split off the hold-out: the indices held out and those fitted on.

    Neither is returned (both empty) when ``config.holdout`` is 0 or the sample has fewer
    than 50 texts; then the coder is fitted once, on all of it.
    """
    if config.holdout > 0 and len(texts) >= 50:
        ho, fit_idx = _holdout_split(texts, config.holdout, config.seed)
        logger.info(
            "holding out %d of %d coded texts (share %g) to measure agreement",
            len(ho), len(texts), config.holdout,
        )  # fmt: skip
        return ho, fit_idx
    why = "holdout is 0" if config.holdout <= 0 else f"{len(texts)} coded texts, fewer than 50"
    logger.info("no hold-out (%s): no agreement measured, temperature 1 and cut 0.5 kept", why)
    return np.arange(0), np.arange(0)


def _tuned_encoder(sample: _CodedSample, tune_idx: np.ndarray, config: CodeConfig) -> Any:
    """Tune the encoder on the sample's texts at ``tune_idx``, or None to keep it frozen."""
    n = len(sample.texts)
    enough = "at least" if n >= TUNE_MIN_TEXTS else "fewer than"
    rule = (
        f"finetune=auto: {n} coded texts, {enough} {TUNE_MIN_TEXTS}"
        if config.finetune == "auto"
        else f"finetune={config.finetune} set"
    )
    if not _tune_in_trained_mode(config, n):
        logger.info("embedding model kept frozen (%s)", rule)
        return None
    from covidlearning.nlp.finetune import tune_encoder

    logger.info("fine-tuning the embedding model on %d coded texts (%s)", len(tune_idx), rule)
    return tune_encoder(
        sample.texts_at(tune_idx),
        _label_matrix([sample.codes[i] for i in tune_idx], sample.labels, True),
        model=config.embedding_model,
        seed=config.seed,
        epochs=TUNE_EPOCHS,
        max_examples=TUNE_MAX_EXAMPLES,
        progress=len(tune_idx) * TUNE_EPOCHS > 500,
        length_buckets=True,  # pads less: half the time, the same accuracy (benchmarks)
    )


def _embed_sample_and_texts(
    encoder: Any, sample_texts: list[str], texts: list[str], config: CodeConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of the coded sample and of the texts to code, in one pass.

    With the tuned ``encoder`` when there is one, else with the (cached) base model.
    """
    if encoder is not None:
        from covidlearning.nlp.finetune import encode

        emb_all = encode(encoder, sample_texts + texts)
    else:
        emb_all = _embed(sample_texts + texts, config)
    return emb_all[: len(sample_texts)], emb_all[len(sample_texts) :]


@dataclass(frozen=True)
class _HoldOut:
    """How a coder fitted without the held-out texts scored them.

    Attributes:
        index: positions of the held-out texts in the coded sample.
        probs: their calibrated probabilities, ``(n_held_out, n_codes)``.
        temperature: fitted on them; the final coder keeps it.
        cut: multi-label: the cut for further codes chosen on all of them, which the final
            coder keeps (None when single-label).
        cuts: multi-label: per held-out text, the cut chosen on the other half, which the
            agreement report codes it at (None when single-label).
        code_cuts: multi-label: the per-code cuts chosen on all of them (final coder).
        half_code_cuts: multi-label: per held-out text, the per-code cuts chosen on the
            other half, ``(n_held_out, n_codes)``, which the agreement report codes it at.
            (When the cuts come from the cross-validation, every held-out text is coded
            at them, since they were chosen without it.)
        cuts_from: the texts the cuts were chosen on, in words.
    """

    index: np.ndarray
    probs: np.ndarray
    temperature: float
    cut: float | None = None
    cuts: np.ndarray | None = None
    code_cuts: np.ndarray | None = None
    half_code_cuts: np.ndarray | None = None
    cuts_from: str = ""


def _measure_on_holdout(
    sample: _CodedSample,
    emb: np.ndarray,
    ho: np.ndarray,
    fit_idx: np.ndarray,
    config: CodeConfig,
    choice: ModelChoice,
) -> _HoldOut:
    """Fit the chosen coder on the rest of the sample; calibrate and score on the hold-out.

    Multi-label samples also get their cuts for further codes here (:func:`choose_cut`,
    :func:`choose_code_cuts`): on the held-out folds of the model choice's
    cross-validation when it ran (so the hold-out is coded at cuts chosen without it),
    else on the hold-out, each half coded for the agreement at the other half's cuts.
    """
    sub = LinearCoder.fit(
        sample.texts_at(fit_idx),
        emb[fit_idx],
        sample.y[fit_idx],
        labels=sample.labels,
        multi_label=sample.multi_label,
        seed=config.seed,
        blend=choice.blend,
        exclude=sample.exclude,
    )
    held_texts = sample.texts_at(ho)
    sub = sub.calibrated(held_texts, emb[ho], sample.y[ho])
    logger.info("temperature fitted on the %d held-out texts: %g", len(ho), sub.temperature)
    probs = sub.probabilities(held_texts, emb[ho])
    if not sample.multi_label:
        return _HoldOut(ho, probs, sub.temperature)
    y_ho, most = sample.y[ho], config.max_themes
    if choice.oof is not None and choice.index is not None:
        p_oof = 1.0 / (1.0 + np.exp(-choice.oof / sub.temperature))
        y_oof = sample.y[choice.index]
        cut = choose_cut(p_oof, y_oof, most)
        code_cuts = choose_code_cuts(p_oof, y_oof, most, cut)
        logger.info(
            "cut for further codes: %g (best macro F1 on the %d texts of the cross-validation's "
            "held-out folds); %d codes have their own (best F1 of each)",
            cut, len(y_oof), int((code_cuts != cut).sum()),
        )  # fmt: skip
        n = len(ho)
        return _HoldOut(ho, probs, sub.temperature, cut, np.full(n, cut), code_cuts,
                        np.tile(code_cuts, (n, 1)), f"the {len(y_oof)} texts of the "
                        "cross-validation's held-out folds")  # fmt: skip
    cut = choose_cut(probs, y_ho, most)
    # for the agreement report each half is coded at the cut chosen on the other
    half = np.arange(len(ho)) % 2 == 0
    other = {True: (~half), False: half}
    half_cut = {k: choose_cut(probs[m], y_ho[m], most) for k, m in other.items()}
    cuts = np.where(half, half_cut[True], half_cut[False])
    code_cuts = choose_code_cuts(probs, y_ho, most, cut)
    half_code = {
        k: choose_code_cuts(probs[m], y_ho[m], most, half_cut[k]) for k, m in other.items()
    }
    half_code_cuts = np.where(half[:, None], half_code[True], half_code[False])
    logger.info(
        "cut for further codes: %g (best macro F1 on the held-out texts); %d codes have "
        "their own (best F1 of each)", cut, int((code_cuts != cut).sum()),
    )  # fmt: skip
    return _HoldOut(ho, probs, sub.temperature, cut, cuts, code_cuts, half_code_cuts,
                    "the held-out texts")  # fmt: skip


def _refit_on_all(
    sample: _CodedSample,
    emb: np.ndarray,
    held: _HoldOut | None,
    encoder: Any,
    config: CodeConfig,
    choice: ModelChoice,
) -> LinearCoder:
    """Refit the chosen coder on all the sample, with the hold-out's temperature and cut."""
    return LinearCoder.fit(
        sample.texts,
        emb,
        sample.y,
        labels=sample.labels,
        multi_label=sample.multi_label,
        seed=config.seed,
        temperature=held.temperature if held is not None else 1.0,
        cut=held.cut if held is not None and held.cut is not None else 0.5,
        encoder=encoder,
        code_cuts=held.code_cuts if held is not None else None,
        blend=choice.blend,
        exclude=sample.exclude,
    )


def _training_summary(
    sample: _CodedSample,
    label_column: str,
    label_sep: str | None,
    held: _HoldOut | None,
    model: LinearCoder,
    tune_idx: np.ndarray,
) -> dict[str, Any]:
    """The manifest's ``training`` entry (also saved beside the coder)."""
    multi = sample.multi_label
    if not multi:
        cut_rule = None
    elif held is not None:
        cut_rule = (
            f"macro F1 on {held.cuts_from}; each code carried by at least "
            f"{MIN_CODE_SUPPORT} of them has its own cut, its best F1 there"
        )
    else:
        cut_rule = "0.5 (no held-out part)"
    return {
        "n_texts": len(sample.texts),
        "n_labels": len(sample.labels),
        "labels": sample.labels,
        "multi_label": multi,
        "label_column": label_column,
        "label_sep": label_sep,
        "holdout": len(held.index) if held is not None else 0,
        "temperature": model.temperature,
        "cut": model.cut if multi else None,
        "code_cuts": dict(zip(model.labels, map(float, model.code_cuts), strict=True))
        if multi and model.code_cuts is not None
        else None,
        "cut_rule": cut_rule,
        "model": "linear models on word 1-2gram + char 2-5gram TF-IDF + "
        + ("fine-tuned " if model.encoder is not None else "")
        + "MiniLM embeddings (LinearSVC, ridge) and on the embeddings alone (LinearSVC), "
        "weighted as model_choice says",
        "encoder": _encoder_summary(model.encoder, len(tune_idx), held is not None),
    }


def _coder_info(
    manifest: dict[str, Any], threshold: float, config: CodeConfig, codebook: Codebook | None
) -> dict[str, Any]:
    """What is saved beside the coder (``model/coder.json``) for :func:`code_with_model`."""
    return {
        "training": manifest["training"],
        "threshold": threshold,
        "threshold_rule": manifest["threshold_rule"],
        "embedding_model": config.embedding_model,
        "model_id": manifest["model"],
        "codebook": codebook.model_dump(mode="json") if codebook is not None else None,
    }


def _holdout_comparison(
    sample: _CodedSample,
    ids: np.ndarray,
    held: _HoldOut,
    model: LinearCoder,
    threshold: float,
    config: CodeConfig,
) -> pd.DataFrame:
    """The held-out texts' human and machine codes (``id``, ``human``, ``machine``, ``confidence``).

    Multi-label: each text is coded at the cut chosen on the other half of the hold-out.

    Args:
        sample: the coded sample.
        ids: the ids of the sample's texts, in sample order.
        held: the hold-out's scores.
        model: the final coder, whose output rule (codes per text) applies.
        threshold: confidence below which a text is ``unassigned``.
        config: options (``max_themes``, ``secondary``).
    """
    max_themes, _ = _output_rule(model, config)
    ho = held.index
    t_ho: list[str] = [""] * len(ho)
    c_ho = np.zeros(len(ho))
    if held.half_code_cuts is not None:  # each half at the per-code cuts of the other
        groups = [
            (np.flatnonzero((held.half_code_cuts == v).all(1)), v)
            for v in np.unique(held.half_code_cuts, axis=0)
        ]
    else:
        cuts = held.cuts if held.cuts is not None else np.full(len(ho), np.nan)  # NaN: no cut
        groups = [
            (np.flatnonzero((cuts == c) | np.isnan(cuts)), None if np.isnan(c) else float(c))
            for c in np.unique(cuts)
        ]
    for rows, absolute in groups:
        part_t, c_ho[rows] = _rank(
            held.probs[rows], sample.labels, threshold, max_themes, config.secondary, absolute
        )
        for r, t in zip(rows, part_t, strict=True):
            t_ho[r] = t
    return pd.DataFrame(
        {
            "id": ids[ho],
            "human": [";".join(sample.codes[i]) for i in ho],
            "machine": t_ho,
            "confidence": c_ho,
        }
    )


def _holdout_agreement(
    comparison: pd.DataFrame, sample: _CodedSample, held: _HoldOut
) -> dict[str, Any]:
    """Agreement of the machine's codes with the human ones on the held-out texts."""
    from covidlearning.coding.agreement import agreement

    out = agreement(comparison["human"], comparison["machine"])
    if not sample.multi_label:
        how = ")"
    elif held.cuts_from == "the held-out texts":
        how = "; each half coded at the cut chosen on the other)"
    else:
        how = f"; coded at the cuts chosen on {held.cuts_from})"
    out["source"] = (
        f"held-out {len(comparison)} of {len(sample.texts)} coded texts (model fitted on the "
        f"rest{how}"
    )
    return out
