"""The onnx-int8 embedding backend (covidlearning.nlp.onnx): exported once, close to fp32.

The export is made offline from the bundled MiniLM into the test's cache folder and
reused; int8 vectors agree with PyTorch's (mean cosine at least 0.98, the issue's bar),
depend on their text alone (not on the texts embedded with it), and are cached apart
from the fp32 vectors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from covidlearning.nlp.embed import embed_texts, load_onnx, onnx_file
from covidlearning.testing.synthetic import generate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def texts() -> list[str]:
    answers = generate(300, seed=4).frame["answer"].astype(str).tolist()
    return list(dict.fromkeys(a for a in answers if a.strip()))[:120]


def test_int8_is_exported_once_and_agrees_with_fp32(tmp_path: Path, texts: list[str]) -> None:
    cache = tmp_path / "embeddings"
    int8 = embed_texts(texts, cache_dir=cache, backend="onnx-int8", progress=False)
    path = onnx_file("all-MiniLM-L6-v2", cache)
    assert path.is_file() and path.stat().st_size > 1_000_000
    made = path.stat().st_mtime_ns
    load_onnx.cache_clear()
    load_onnx("all-MiniLM-L6-v2", str(cache))
    assert path.stat().st_mtime_ns == made  # the cached export is reused, not redone
    fp32 = embed_texts(texts, cache_dir=cache, backend="torch", progress=False)
    assert int8.dtype == np.float32 and np.allclose(np.linalg.norm(int8, axis=1), 1, atol=1e-5)
    cos = (int8 * fp32).sum(axis=1)
    assert cos.mean() >= 0.98
    assert not np.array_equal(int8, fp32)  # really another backend
    folders = sorted(p.name for p in cache.iterdir() if p.is_dir())
    assert len(folders) == 2 and any("onnx-int8" in f for f in folders)


def test_int8_vectors_do_not_depend_on_the_batch(tmp_path: Path, texts: list[str]) -> None:
    kw = {"backend": "onnx-int8", "progress": False, "use_cache": False}
    kw["cache_dir"] = tmp_path / "embeddings"  # the export is kept beside it
    alone = embed_texts(texts[:40], **kw)
    mixed = embed_texts(texts[20:100][::-1], **kw)
    assert np.array_equal(alone[20:40], mixed[::-1][:20])
