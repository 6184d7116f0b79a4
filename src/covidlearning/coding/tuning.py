"""Few-shot fine-tuning with SetFit: the sentence model learns an evaluator's examples.

:func:`tune_on_examples` fine-tunes the bundled MiniLM on a codebook's examples and
definitions with `SetFit <https://github.com/huggingface/setfit>`_ (contrastive pairs:
two texts of the same code pulled together, of different codes pushed apart), then fits
SetFit's logistic-regression head on the tuned embeddings. It runs offline on CPU from
the bundled model folder, in a bounded number of steps (:data:`MAX_PAIRS` pairs, about a
minute for a codebook of 10-15 codes on 2 cores), on a fixed number of threads and with
a fixed seed, so the same examples give the same weights.

The word-embedding layer stays frozen as in :mod:`covidlearning.nlp.finetune`, so
:func:`save_tuned` writes only the transformer layers (safetensors, header sorted) and
the head (safetensors), never pickle.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from covidlearning.errors import InputError
from covidlearning.nlp.embed import DEFAULT_MODEL

logger = logging.getLogger(__name__)

#: At most this many contrastive pairs are trained on (half same-code, half not).
MAX_PAIRS = 1280
#: Pairs per optimiser step.
BATCH_SIZE = 16
#: Texts are cut to this many word pieces while tuning (examples are short quotes).
MAX_TOKENS = 96
#: Learning rate of the encoder (SetFit's default).
BODY_LR = 2e-5
#: Files of a saved few-shot model (``OUT/model/``).
TUNED_ENCODER = "fewshot-encoder.safetensors"
TUNED_HEAD = "fewshot-head.safetensors"
TUNED_META = "fewshot.json"
HEAD_FORMAT = "covidlearning-setfit-head/1"


@dataclass
class TunedModel:
    """A sentence model tuned on a codebook's examples, with SetFit's head.

    Attributes:
        encoder: the tuned ``SentenceTransformer`` (embeddings frozen, eval mode).
        coef: the logistic-regression head's weights, ``(n_codes, dim)``.
        intercept: its biases, ``(n_codes,)``.
        info: what was tuned, for the manifest (texts, pairs, steps, seconds...).
    """

    encoder: Any
    coef: np.ndarray
    intercept: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    def head_probabilities(self, emb: np.ndarray) -> np.ndarray:
        """The head's class probabilities (multinomial softmax) for embeddings ``emb``."""
        from covidlearning.nlp.context import softmax_rows

        return softmax_rows(emb @ self.coef.T + self.intercept, 1.0)

    def save(self, model_dir: str | Path, info: dict[str, Any] | None = None) -> Path:
        """Write the tuned layers and head (:func:`save_tuned`) and ``fewshot.json`` beside them."""
        from covidlearning._io import write_json

        model_dir = Path(model_dir)
        hashes = save_tuned(self, model_dir)
        write_json(model_dir / TUNED_META, {"format": HEAD_FORMAT, "sha256": hashes,
                                            "tuning": self.info, **(info or {})})  # fmt: skip
        return model_dir


def _progress_callback(enabled: bool) -> Any:
    """A transformers callback that reports the tuning steps through covidlearning.progress."""
    from transformers import TrainerCallback

    from covidlearning.progress import Progress

    class _Steps(TrainerCallback):
        bar: Progress | None = None

        def on_train_begin(self, args, state, control, **kwargs):  # noqa: ANN001, ANN003, ANN201
            self.bar = Progress("few-shot tuning", state.max_steps, "step", enabled)

        def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001, ANN003, ANN201
            if self.bar is not None:
                self.bar.update(1)

        def on_train_end(self, args, state, control, **kwargs):  # noqa: ANN001, ANN003, ANN201
            if self.bar is not None:
                self.bar.close()
                self.bar = None

    return _Steps()


def _quiet_setfit() -> None:
    """Keep SetFit's and transformers' info logs and bars off the terminal."""
    from datasets.utils.logging import disable_progress_bar as no_datasets_bar
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    no_datasets_bar()
    for name in ("setfit", "sentence_transformers", "transformers", "datasets"):
        logging.getLogger(name).setLevel(logging.WARNING)


def tune_on_examples(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    model: str = DEFAULT_MODEL,
    seed: int = 42,
    max_pairs: int = MAX_PAIRS,
    progress: bool = True,
) -> TunedModel:
    """Fine-tune the sentence model on labelled examples with SetFit.

    Args:
        texts: the examples (a codebook's quotes, definitions and names).
        labels: each one's code, ``0..K-1``.
        model: bundled model name or a local sentence-transformers folder.
        seed: seeds pair order, dropout and the head (the torch generator is restored).
        max_pairs: at most this many contrastive pairs (``max_pairs / BATCH_SIZE`` steps).
        progress: show a progress bar.

    Returns:
        The :class:`TunedModel`.

    Raises:
        InputError: fewer than 2 codes, or texts and labels of different lengths.
    """
    labels = [int(v) for v in labels]
    if len(texts) != len(labels) or len(set(labels)) < 2:
        raise InputError(
            "few-shot tuning needs examples of at least 2 codes",
            "Give at least 2 themes examples or definitions",
        )
    import os

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments
    from sklearn.linear_model import LogisticRegression
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    from covidlearning.nlp.embed import model_id
    from covidlearning.nlp.finetune import THREADS, _fresh_model, _frozen, _transformer

    _quiet_setfit()
    t0 = time.perf_counter()
    threads = torch.get_num_threads()
    steps = max(1, max_pairs // BATCH_SIZE)
    with torch.random.fork_rng(devices=[]), tempfile.TemporaryDirectory() as tmp:
        torch.set_num_threads(THREADS)
        try:
            body = _fresh_model(model)
            body.covidlearning_base = model_id(model)
            body.max_seq_length = min(body.max_seq_length, MAX_TOKENS)
            for name, param in _transformer(body).named_parameters():
                param.requires_grad_(not _frozen(name))
            head = LogisticRegression(max_iter=1000, random_state=seed)
            st = SetFitModel(model_body=body, model_head=head)
            args = TrainingArguments(
                output_dir=tmp,
                batch_size=BATCH_SIZE,
                num_epochs=1,
                max_steps=steps,
                body_learning_rate=BODY_LR,
                seed=seed,
                report_to="none",
                save_strategy="no",
                logging_strategy="no",
                logging_first_step=False,
                show_progress_bar=False,
                max_length=MAX_TOKENS,
            )
            data = Dataset.from_dict({"text": [str(t) for t in texts], "label": labels})
            trainer = Trainer(
                model=st, args=args, train_dataset=data, callbacks=[_progress_callback(progress)]
            )
            for bar in (ProgressCallback, PrinterCallback):  # progress is ours to show
                trainer.st_trainer.remove_callback(bar)
            trainer.train()
            pairs = int(trainer.st_trainer.state.global_step) * BATCH_SIZE
        finally:
            torch.set_num_threads(threads)
    body.eval()
    seconds = round(time.perf_counter() - t0, 2)
    k = int(max(labels)) + 1
    coef = np.zeros((k, head.coef_.shape[1]))
    intercept = np.full(k, -1e3)
    classes = [int(c) for c in head.classes_]
    if len(classes) == 2:  # sklearn's binary head: one row for the second class
        coef[classes[1]], intercept[classes[1]] = head.coef_[0], head.intercept_[0]
        coef[classes[0]], intercept[classes[0]] = 0.0, 0.0
    else:
        coef[classes], intercept[classes] = head.coef_, head.intercept_
    info = {
        "library": "setfit",
        "tuned": "sentence model (transformer layers; word embeddings frozen) "
        "+ logistic-regression head",
        "texts": len(texts),
        "codes": len(set(labels)),
        "pairs": pairs,
        "steps": pairs // BATCH_SIZE,
        "batch_size": BATCH_SIZE,
        "max_tokens": MAX_TOKENS,
        "learning_rate": BODY_LR,
        "threads": THREADS,
        "seconds": seconds,
    }
    logger.info(
        "few-shot tuning (SetFit): %d texts of %d codes, %d pairs in %.1f s",
        len(texts), len(set(labels)), pairs, seconds,
    )  # fmt: skip
    return TunedModel(body, coef, intercept, info)


def save_tuned(tuned: TunedModel, folder: str | Path) -> dict[str, str]:
    """Write a tuned model's encoder layers and head as safetensors (no pickle).

    Returns:
        The sha256 of each file written, by file name.
    """
    from safetensors.numpy import save

    from covidlearning._io import atomic_write_bytes, sha256_file
    from covidlearning.nlp.finetune import canonical_safetensors, save_encoder

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_encoder(tuned.encoder, folder / TUNED_ENCODER)
    tensors = {
        "head.weight": np.ascontiguousarray(tuned.coef),
        "head.bias": np.ascontiguousarray(tuned.intercept),
    }
    atomic_write_bytes(
        folder / TUNED_HEAD, canonical_safetensors(save(tensors, {"format": HEAD_FORMAT}))
    )
    return {name: sha256_file(folder / name) for name in (TUNED_ENCODER, TUNED_HEAD)}


def load_tuned(folder: str | Path, model: str = DEFAULT_MODEL) -> TunedModel:
    """Read a tuned few-shot model written by :meth:`TunedModel.save`.

    Raises:
        InputError: the files are missing or can't be read, or were tuned from another
            base model (:func:`covidlearning.nlp.finetune.load_encoder`).
    """
    import json

    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    from covidlearning.nlp.finetune import load_encoder

    folder = Path(folder)
    fix = "Code again with the codebook (few-shot tunes the model anew)"
    try:
        meta = json.loads((folder / TUNED_META).read_text(encoding="utf-8"))
        head = load_file(str(folder / TUNED_HEAD))
    except (OSError, ValueError, SafetensorError) as exc:
        raise InputError(f"no readable few-shot model in {folder} ({exc})", fix) from None
    encoder = load_encoder(folder / TUNED_ENCODER, model)
    return TunedModel(encoder, head["head.weight"], head["head.bias"], meta.get("tuning", {}))
