"""Stage 1, corpus: read what a project brings and turn it into analysable units.

Owns reading files (:mod:`.load`: tables, PDF, Word, HTML), telling answers from
non-answers and reading short answers with their question (:mod:`.answers`), cleaning documents
(:mod:`.clean`: boilerplate, headers, broken text), segmenting them into units
(:mod:`.segment`) and building the processed corpus with its manifest
(:mod:`.build`). May import :mod:`covidlearning.config`, :mod:`covidlearning.errors`
and :mod:`covidlearning._io`; nothing of a later stage.
"""

from covidlearning.corpus.build import CorpusResult, build_corpus, load_segments, verify_manifest

__all__ = ["CorpusResult", "build_corpus", "load_segments", "verify_manifest"]
