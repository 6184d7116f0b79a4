"""Stage 2, themes: find the themes in a set of texts and describe them.

The modules, in the order a run uses them (:func:`covidlearning.themes.discover.discover`
calls the steps):

- :mod:`.texts`: the usable rows of a loaded table, and whether there are enough;
- :mod:`.represent`: the vectors clustered (centred MiniLM + a lexical block);
- :mod:`.consensus`: the cluster step, noise-stable consensus clustering;
- :mod:`.refine`: self-training refinement (MiniLM tuned to the themes, then k-means);
- :mod:`.discover`: the order of the steps, outliers, row-order context, the BERTopic
  description and the result;
- :mod:`.quality`: coherence, diversity and stability measures;
- :mod:`.store`: the saved model, loading it and placing new texts in it.

:mod:`.discover` imports the others; :mod:`.refine` imports :mod:`.consensus`,
:mod:`.store` imports :mod:`.texts` and :mod:`.represent`, and the rest import no other
themes module (none imports :mod:`.discover`). The stage may import
:mod:`covidlearning.nlp`, the config, the errors, the I/O helpers and
:mod:`covidlearning.corpus.load` (to read a table); nothing of coding, privacy or
reporting. This file imports nothing, so one step's module loads without the others.
"""
