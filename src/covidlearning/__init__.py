"""covidlearning: reproducible thematic analysis of COVID-19 learning in health and care.

The public API is re-exported here lazily, so ``import covidlearning`` stays fast and
BERTopic or sentence-transformers load only when a stage that needs them runs::

    import covidlearning as cl
    cfg = cl.load_config("configs/seed-corpus.yaml")
    corpus = cl.build_corpus(cfg.corpus)
    frame = cl.load_table("responses.csv", text_column="comment")
    result = cl.discover_file("responses.csv", "comment", None, "out/", cfg.discover)

``covidlearning.discover`` and ``covidlearning.agreement`` are submodules whose main
function has the module's name: call ``cl.discover.discover(frame, config)`` and
``cl.agreement.agreement(human, machine)``.
"""

import importlib as _importlib
import os as _os
from typing import Any as _Any

# Nothing is fetched at run time: the embedding model is bundled, NLTK data is not used.
# Set before any stage imports huggingface_hub, which reads these once at import.
for _name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
    _os.environ.setdefault(_name, "1")

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
    "DisclosureConfig": "config",
    "RedactionConfig": "config",
    "discover_file": "discover",
    "assign": "discover",
    "load_model": "discover",
    "DiscoveryResult": "discover",
    "load_codebook": "codebook",
    "code_texts": "coding",
    "train_and_code": "coding",
    "code_with_model": "coding",
    "load_coder": "coding",
    "compare_to_framework": "coding",
    "CodingResult": "coding",
    "Codebook": "codebook",
    "run_report": "report",
}

#: stage modules reachable as attributes (``cl.discover.discover``, ``cl.agreement``...)
_MODULES = ("agreement", "coding", "corpus", "discover", "embed", "load", "report")

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str) -> _Any:
    if name in _EXPORTS:
        value = getattr(_importlib.import_module(f"covidlearning.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    if name in _MODULES:
        return _importlib.import_module(f"covidlearning.{name}")
    raise AttributeError(f"module 'covidlearning' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, "__version__"})
