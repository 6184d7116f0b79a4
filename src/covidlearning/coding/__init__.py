"""Stage 3, coding: code texts against a framework an evaluator brings.

Owns the codebook (:mod:`.codebook`), zero- and few-shot coding (:mod:`.fewshot`),
trained coding from a human-coded sample (:mod:`.trained`), the result all modes share
(:mod:`.result`), matching discovered themes to a framework (:mod:`.frameworks`),
agreement with human coders (:mod:`.agreement`) and stance (:mod:`.stance`). May import
:mod:`covidlearning.nlp`, :mod:`covidlearning.corpus.load`, the config and the I/O
helpers; nothing of themes, privacy or reporting.
"""

from covidlearning.coding.fewshot import code_texts, fewshot_scores
from covidlearning.coding.frameworks import compare_to_framework
from covidlearning.coding.result import CodingResult, LabelWarning, check_labels, split_labels
from covidlearning.coding.trained import code_with_model, coder_folder, load_coder, train_and_code

__all__ = [
    "CodingResult",
    "LabelWarning",
    "check_labels",
    "code_texts",
    "code_with_model",
    "coder_folder",
    "compare_to_framework",
    "fewshot_scores",
    "load_coder",
    "split_labels",
    "train_and_code",
]
