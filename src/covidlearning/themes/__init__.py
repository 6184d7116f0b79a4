"""Stage 2, themes: find the themes in a set of texts and describe them.

Owns theme discovery (:mod:`.discover`: the named steps from texts to themes), the
noise-stable consensus clustering (:mod:`.consensus`) and the quality measures
(:mod:`.quality`). May import :mod:`covidlearning.nlp`, the config and the I/O helpers;
nothing of coding, privacy or reporting.
"""
