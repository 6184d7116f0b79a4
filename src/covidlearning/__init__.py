"""covidlearning: reproducible thematic analysis of COVID-19 learning in health and care.

The public API is re-exported here lazily, so ``import covidlearning`` stays fast and
BERTopic or sentence-transformers load only when a stage that needs them runs::

    import covidlearning as cl
    cfg = cl.load_config("configs/seed-corpus.yaml")
    corpus = cl.build_corpus(cfg.corpus)
    frame = cl.load_table("responses.csv", text_column="comment")
    result = cl.discover_file("responses.csv", "comment", None, "out/", cfg.discover)

The package is laid out by stage, in the order a run goes through them::

    corpus/    load, clean and segment what a project brings  (covidlearning.corpus)
    themes/    discover themes and describe them              (covidlearning.themes)
    coding/    code texts against an evaluator's framework    (covidlearning.coding)
    privacy/   disclosure control and redaction               (covidlearning.privacy)
    reporting/ parameterised notebooks and the report         (covidlearning.reporting)

with ``nlp/`` (embeddings, fine-tuning, tokenising) shared by themes and coding.
``cl.discover`` and ``cl.agreement`` are modules whose main function has the module's
name: call ``cl.discover.discover(frame, config)`` and
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
    "DisclosureConfig": "config",
    "RedactionConfig": "config",
    "load_config": "config",
    "InputError": "errors",
    "load_table": "corpus.load",
    "build_corpus": "corpus.build",
    "load_segments": "corpus.build",
    "verify_manifest": "corpus.build",
    "embed_texts": "nlp.embed",
    "discover_file": "themes.discover",
    "assign": "themes.store",
    "load_model": "themes.store",
    "DiscoveryResult": "themes.discover",
    "load_codebook": "coding.codebook",
    "Codebook": "coding.codebook",
    "code_texts": "coding.fewshot",
    "train_and_code": "coding.trained",
    "code_with_model": "coding.trained",
    "load_coder": "coding.trained",
    "compare_to_framework": "coding.frameworks",
    "CodingResult": "coding.result",
    "run_report": "reporting.run",
}

#: stage modules reachable as attributes (``cl.discover.discover``, ``cl.agreement``...)
_MODULES = {
    "agreement": "coding.agreement",
    "coding": "coding",
    "corpus": "corpus",
    "discover": "themes.discover",
    "embed": "nlp.embed",
    "load": "corpus.load",
    "report": "reporting.run",
}

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str) -> _Any:
    if name in _EXPORTS:
        value = getattr(_importlib.import_module(f"covidlearning.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    if name in _MODULES:
        return _importlib.import_module(f"covidlearning.{_MODULES[name]}")
    raise AttributeError(f"module 'covidlearning' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, "__version__"})
