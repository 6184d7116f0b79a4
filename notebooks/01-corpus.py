# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (covidlearning)
#     language: python
#     name: covidlearning
# ---

# %% [markdown]
# # 01 · Build and describe the corpus
#
# This notebook turns the raw material named in the run's config into **analysable
# units**: paragraphs, bullets and quotes from documents (cleaned of web and PDF
# furniture, with every removal logged), or one response per row from a survey or
# feedback table (empty and filler answers counted and excluded).
#
# It is the first of four notebooks that `covidlearning report --config FILE` runs with
# papermill. Opened in JupyterLab it runs top to bottom with the defaults below, on the
# bundled seed corpus. All logic lives in the `covidlearning` package; this notebook
# only calls it and shows the results.

# %% tags=["parameters"]
config_path: str = "configs/seed-corpus.yaml"  # the run's YAML config, from the project root
out_dir: str = ""  # set by `covidlearning report`; "" writes to <reports_dir>/.interactive/<name>
work_dir: str = ""  # unpublished intermediate files; "" means data/interim/<name>
show_units: int = 5  # how many example units to show below (0 to show none)

# %%
from IPython.display import display

from covidlearning.reporting import narrative, steps
from covidlearning.reporting.run import open_run

run = open_run(config_path, out_dir, work_dir)
display(narrative.run_header(run, "Corpus"))

# %% [markdown]
# ## Build the units
#
# For documents this loads each file, fixes broken characters, removes navigation,
# cookie notices, teasers and PDF artefacts, and splits what is left into units, each
# with its document, section heading and character offsets into the raw file. For a
# table it reads the text column and flags empty, filler and duplicate answers.

# %%
corpus = steps.prepare_units(run)
display(narrative.corpus_overview(run, corpus))

# %% [markdown]
# ## Row accounting (tables of responses)
#
# How many rows were read, and how many were excluded and why. For documents there is
# nothing to show here.

# %%
display(narrative.table_html(corpus.run_summary, empty="Not a table of responses."))

# %% [markdown]
# ## What cleaning removed
#
# Nothing is dropped silently: each removed span is logged with its reason (the full
# log stays in `data/processed/`, outside the report).

# %%
display(narrative.table_html(corpus.cleaning, empty="Nothing was removed."))

# %% [markdown]
# ## Units per source

# %%
# saved (units_per_document, or responses_by_status for a table) and shown
_ = run.figure(narrative.units_figure(corpus), narrative.units_figure_name(corpus))

# %% [markdown]
# ## A few units, as the model will see them
#
# Redacted in the same way as every text that reaches the report.

# %%
display(narrative.example_units(run, corpus.units, show_units))
run.finish("01-corpus")
