"""Fine-tune the sentence-embedding model on coded texts, SetFit style, offline on CPU.

A cosine-softmax head, one row per code initialised at the code's mean embedding, is
trained jointly with the encoder by cross-entropy (scale 20). A text with several codes
spreads its target evenly over them, and with ``balance`` rare codes weigh more (by the
square root of their rarity). The head is then dropped: the tuned encoder embeds texts
for the linear coder (:mod:`covidlearning.coding`), which places texts of the same code
closer together than the general-purpose model does.

The word-embedding layer stays frozen (half of MiniLM's weights), so training is faster
and the saved encoder holds only the transformer layers: about 43 MB of safetensors
(never pickle), with a checksum of the frozen base weights it was tuned on. Training runs
on a fixed number of threads (:data:`THREADS`) and truncates texts to
:data:`MAX_TOKENS` word pieces, so the same texts and seed give the same weights on any
machine, and long texts cost no more than short ones to train on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from covidlearning.errors import InputError
from covidlearning.nlp.embed import DEFAULT_MODEL

#: Scale of the cosine logits (SetFit and normalised-softmax classifiers use 16-30).
SCALE = 20.0
#: Learning rates of the encoder and of the head.
ENCODER_LR = 3e-5
HEAD_LR = 1e-2
#: Torch threads while training: fixed, since the float sums (so the weights) depend on it.
THREADS = 2
#: Texts are cut to this many word pieces while training (embedding uses the model's own
#: limit); it bounds the time per text.
MAX_TOKENS = 128
#: Format tag written into a saved encoder's safetensors metadata.
ENCODER_FORMAT = "covidlearning-tuned-encoder/2"

_FIX = "Retrain the coder (code --train) with this version and embedding model"


def _fresh_model(model: str) -> Any:
    """A new (not the shared, cached) SentenceTransformer on CPU, since tuning changes it."""
    import os

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer

    from covidlearning.nlp.embed import model_path, quiet_loading

    quiet_loading()

    return SentenceTransformer(model_path(model), device="cpu")


def _transformer(st: Any) -> Any:
    """The Hugging Face model inside a SentenceTransformer (its first module)."""
    return st[0].auto_model


def _frozen(name: str) -> bool:
    """Whether tuning leaves a weight alone: the embeddings and the (unused) pooler."""
    return name.startswith(("embeddings.", "pooler."))


def _frozen_digest(st: Any) -> str:
    """sha256 over the frozen weights, which a saved encoder borrows from its base model."""
    import hashlib

    h = hashlib.sha256()
    for name, p in sorted(_transformer(st).state_dict().items()):
        if _frozen(name):
            h.update(name.encode())
            h.update(p.detach().contiguous().numpy().tobytes())
    return h.hexdigest()


def tune_encoder(
    texts: Sequence[str],
    targets: np.ndarray,
    *,
    model: str = DEFAULT_MODEL,
    seed: int = 42,
    epochs: int = 3,
    max_examples: int | None = None,
    batch_size: int = 32,
    balance: bool = True,
    progress: bool = True,
    length_buckets: bool = False,
    initial: np.ndarray | None = None,
    freeze_layers: int = 0,
) -> Any:
    """Fine-tune the embedding model so that texts of the same code embed close together.

    Args:
        texts: the coded texts.
        targets: ``(n_texts, n_codes)`` non-negative weights, a 1 for each code a text
            carries (rows are normalised to sum to 1); every row needs one code. Codes
            no text carries are left out of the head.
        model: bundled model name or local folder to start from.
        seed: seeds the head, the batch order and dropout (the global torch generator is
            left as it was).
        epochs: passes over the texts.
        max_examples: stop once this many texts have been seen in all (None: no cap);
            bounds the time on large samples (about 25 ms a short text on 2 cores).
        batch_size: texts per step.
        balance: weigh each text by the mean over its codes of
            ``sqrt(largest code's count / code's count)``, so rare codes count more.
        progress: show a progress bar.
        length_buckets: draw each batch from texts of similar length
            (:func:`batch_order`), which pads less and so trains about twice as fast on
            short comments; the texts a pass reads, and their number, are unchanged.
        initial: the texts' embeddings by the untuned model (``(n_texts, dim)``), which
            place the head's starting rows; default: computed here.
        freeze_layers: also leave this many of the lowest transformer layers untuned;
            back-propagation then stops above them, which saves most of their training
            time (a saved encoder still holds every layer's weights).

    Returns:
        The tuned ``SentenceTransformer``, in eval mode; ``st.covidlearning_base`` holds
        the id of the model it was tuned from, ``st.covidlearning_seen`` how many texts
        training read (passes times texts, or the cap).

    Raises:
        InputError: no texts, or a text without a code.
    """
    targets = np.asarray(targets, dtype=np.float64)
    if (
        len(texts) == 0
        or targets.ndim != 2
        or targets.shape[0] != len(texts)
        or (targets.sum(1) <= 0).any()
    ):
        raise InputError(
            "fine-tuning needs at least one text, and a code for every text",
            "Pass the coded texts with their codes",
        )
    import torch

    from covidlearning.nlp.embed import model_id
    from covidlearning.progress import steps

    targets = targets[:, targets.sum(0) > 0]
    texts = [str(t) for t in texts]
    soft = targets / targets.sum(1, keepdims=True)
    threads = torch.get_num_threads()
    st = _fresh_model(model)
    st.covidlearning_base = model_id(model)
    lower = tuple(f"encoder.layer.{i}." for i in range(freeze_layers))
    for name, param in _transformer(st).named_parameters():
        param.requires_grad_(not (_frozen(name) or name.startswith(lower)))
    kw = {"batch_size": 64, "normalize_embeddings": True, "convert_to_numpy": True}
    tokenize = getattr(st, "preprocess", None) or st.tokenize
    n = len(texts)
    total = n * epochs if max_examples is None else min(n * epochs, max_examples)
    limit = st.max_seq_length
    try:
        torch.set_num_threads(THREADS)
        st.max_seq_length = min(limit, MAX_TOKENS)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            st.eval()
            if initial is None:
                initial = st.encode(texts, show_progress_bar=False, **kw)
            base = np.asarray(initial, dtype=np.float64)
            proto = soft.T @ base
            proto /= np.maximum(np.linalg.norm(proto, axis=1, keepdims=True), 1e-12)
            head = torch.nn.Parameter(torch.tensor(proto, dtype=torch.float32))
            trainable = [p for p in st.parameters() if p.requires_grad]
            opt = torch.optim.AdamW(
                [{"params": trainable, "lr": ENCODER_LR}, {"params": [head], "lr": HEAD_LR}],
                weight_decay=0.01,
            )
            weights = np.ones(n)
            if balance:
                has = targets > 0
                code_w = np.sqrt(has.sum(0).max() / has.sum(0))
                weights = (has * code_w).sum(1) / has.sum(1)
            y = torch.tensor(soft, dtype=torch.float32)
            w = torch.tensor(weights, dtype=torch.float32)
            gen = torch.Generator().manual_seed(seed)
            st.train()
            seen = 0
            lengths = _token_lengths(st, texts) if length_buckets else None
            with steps("fine-tune", total, "text", enabled=progress) as bar:
                while seen < total:
                    for batch in batch_order(n, batch_size, gen, lengths):
                        idx = batch[: total - seen]
                        emb = st(tokenize([texts[j] for j in idx]))["sentence_embedding"]
                        logits = (
                            SCALE
                            * torch.nn.functional.normalize(emb, dim=-1)
                            @ (torch.nn.functional.normalize(head, dim=-1).T)
                        )
                        loss = -(y[idx] * torch.log_softmax(logits, dim=-1)).sum(1)
                        loss = (loss * w[idx]).sum() / w[idx].sum()
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                        seen += len(idx)
                        bar.update(len(idx))
                        if seen >= total:
                            break
    finally:
        torch.set_num_threads(threads)
        st.max_seq_length = limit
    st.covidlearning_seen = seen
    st.eval()
    return st


#: With length buckets, texts are sorted by length within runs of this many batches.
BUCKET_BATCHES = 16


def batch_order(
    n: int, batch_size: int, gen: Any, lengths: Sequence[int] | None = None
) -> list[Any]:
    """One pass's batches: index tensors over ``range(n)`` drawn with ``gen``.

    Without ``lengths`` the texts are shuffled and cut into batches. With them, each run
    of :data:`BUCKET_BATCHES` batches of the shuffled texts is sorted by length (ties
    kept in shuffled order) and cut into batches, whose order within the run is shuffled
    again; a batch then pads its texts to a similar length, while every batch still
    comes from a random part of the sample (the usual bucketing of sequence training).
    """
    import torch

    perm = torch.randperm(n, generator=gen)
    if lengths is None:
        return [perm[i : i + batch_size] for i in range(0, n, batch_size)]
    size = torch.as_tensor(np.asarray(lengths, dtype=np.int64))
    span = batch_size * BUCKET_BATCHES
    out: list[Any] = []
    for start in range(0, n, span):
        run = perm[start : start + span]
        run = run[torch.argsort(size[run], stable=True)]
        batches = [run[i : i + batch_size] for i in range(0, len(run), batch_size)]
        out.extend(batches[j] for j in torch.randperm(len(batches), generator=gen).tolist())
    return out


def _token_lengths(st: Any, texts: Sequence[str]) -> list[int]:
    """Word pieces per text as training reads it (special tokens included, truncated)."""
    enc = st.tokenizer(list(texts), truncation=True, max_length=st.max_seq_length)
    return [len(ids) for ids in enc["input_ids"]]


def encode(st: Any, texts: Sequence[str], progress: bool = True) -> np.ndarray:
    """Embed texts with a (tuned) model, L2-normalised, never cached.

    Batched as :mod:`covidlearning.nlp.embed` batches (:func:`encode_batches`), so a
    vector depends on the text alone; duplicates are encoded once.
    """
    from covidlearning.nlp.embed import embed_texts, encode_batches

    return embed_texts(
        list(texts),
        encoder=lambda batch: encode_batches(st, batch, progress=progress),
        use_cache=False,
    )


def save_encoder(st: Any, path: str | Path) -> Path:
    """Write a tuned encoder's trained weights as safetensors (the frozen ones are not kept).

    The metadata names the base model and holds a checksum of its frozen weights, which
    :func:`load_encoder` checks.

    Args:
        st: the model :func:`tune_encoder` returned.
        path: file to write.
    """
    from safetensors.torch import save

    from covidlearning._io import atomic_write_bytes

    tensors = {
        name: p.detach().contiguous()
        for name, p in _transformer(st).state_dict().items()
        if not _frozen(name)
    }
    meta = {
        "format": ENCODER_FORMAT,
        "base_model": st.covidlearning_base,
        "frozen_sha256": _frozen_digest(st),
    }
    path = Path(path)
    atomic_write_bytes(path, canonical_safetensors(save(tensors, metadata=meta)))
    return path


def canonical_safetensors(blob: bytes) -> bytes:
    """The same safetensors file with its JSON header's keys sorted.

    safetensors writes the header from a hash map, so two saves of the same tensors can
    order it differently; sorting makes a saved model's bytes (and checksum) depend on its
    contents only. Offsets are relative to the data section, so they do not change.
    """
    import json
    import struct

    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + size])
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    if len(text) > size:  # never: the same keys and values, compactly written
        return blob
    return blob[:8] + text.ljust(size, b" ") + blob[8 + size :]


def load_encoder(path: str | Path, model: str = DEFAULT_MODEL) -> Any:
    """Rebuild a tuned encoder: the base model with the weights :func:`save_encoder` wrote.

    Raises:
        InputError: the file can't be read, was tuned from another base model, or the
            base model's weights are not the ones it was tuned on.
    """
    from safetensors import SafetensorError, safe_open

    from covidlearning.nlp.embed import model_id

    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118 - not a dict
    except (OSError, SafetensorError) as exc:
        raise InputError(f"the tuned encoder {path} can't be read ({exc})", _FIX) from None
    if meta.get("format") != ENCODER_FORMAT or meta.get("base_model") != model_id(model):
        raise InputError(
            f"{path} is a {meta.get('format')!r} encoder tuned from "
            f"{meta.get('base_model')!r}, not a {ENCODER_FORMAT!r} one from {model_id(model)!r}",
            _FIX,
        )
    st = _fresh_model(model)
    st.covidlearning_base = model_id(model)
    if _frozen_digest(st) != meta.get("frozen_sha256"):
        raise InputError(
            f"the embedding model {model!r} has changed since {path} was tuned from it",
            _FIX,
        )
    try:
        missing, unexpected = _transformer(st).load_state_dict(tensors, strict=False)
    except RuntimeError as exc:  # shapes differ
        problem = str(exc).splitlines()[-1].strip()
        raise InputError(f"{path} does not fit {model!r}: {problem}", _FIX) from None
    if unexpected or any(not _frozen(k) for k in missing):
        raise InputError(f"{path} does not match the embedding model {model!r}", _FIX)
    st.eval()
    return st
