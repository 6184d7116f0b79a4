"""covidlearning: reproducible thematic analysis of COVID-19 learning in health and care.

The public API is re-exported here lazily, so ``import covidlearning`` stays fast and
BERTopic or sentence-transformers load only when a stage that needs them runs::

    import covidlearning as cl
    cfg = cl.load_config("configs/seed-corpus.yaml")
    corpus = cl.build_corpus(cfg.corpus)
    frame = cl.load_table("responses.csv", text_column="comment")
    result = cl.discover_file("responses.csv", "comment", None, "out/", cfg.discover)

Names that are also submodules (``discover``, ``agreement``) are reached through the
submodule, e.g. ``covidlearning.discover.discover(frame, config)``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    "Config": "config",
    "CorpusConfig": "config",
    "DiscoverConfig": "config",
    "CodeConfig": "config",
    "InputConfig": "config",
    "load_config": "config",
    "InputError": "errors",
    "load_table": "load",
    "build_corpus": "corpus",
    "load_segments": "corpus",
    "verify_manifest": "corpus",
    "embed_texts": "embed",
    "discover_file": "discover",
    "load_codebook": "codebook",
    "code_texts": "coding",
    "train_and_code": "coding",
    "code_with_model": "coding",
    "load_coder": "coding",
    "compare_to_framework": "coding",
    "run_report": "report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"covidlearning.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'covidlearning' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
