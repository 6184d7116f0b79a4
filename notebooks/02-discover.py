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
# # 02 · Discover themes
#
# The units from `01-corpus` are embedded with the bundled MiniLM sentence model
# (offline, cached on disk) and grouped into themes with BERTopic, whose settings adapt
# to the number of texts. Each theme gets keywords, a short label and representative
# quotes, and every run measures topic coherence, diversity and stability across seeds.
#
# The fitted model is saved (safetensors, never pickle) in the work folder, so the later
# notebooks never refit. Tables written here: `themes`, `assignments`, `quotes`,
# `theme_by_document`, `topic_similarity`, `topic_map` and `quality`.

# %% tags=["parameters"]
config_path: str = "configs/seed-corpus.yaml"  # the run's YAML config, from the project root
out_dir: str = ""  # set by `covidlearning report`; "" writes to <reports_dir>/.interactive/<name>
work_dir: str = ""  # unpublished intermediate files; "" means data/interim/<name>

# %%
from IPython.display import display

from covidlearning.reporting import narrative, steps
from covidlearning.reporting.run import open_run

run = open_run(config_path, out_dir, work_dir)
display(narrative.run_header(run, "Theme discovery"))
units = steps.load_units(run)

# %% [markdown]
# ## Fit the themes
#
# This is the slow step: loading the embedding model takes a few seconds and the
# stability check re-runs the clustering with further seeds.

# %%
found = steps.run_discovery(run, units)
display(narrative.discovery_overview(run, found))

# %% [markdown]
# ## Themes found
#
# From 300 units, the themes found are subthemes, grouped into top-level themes.

# %%
display(narrative.theme_groups_table(found))

# %%
display(narrative.themes_table(found.themes))

# %% [markdown]
# ## Quality and stability

# %%
display(narrative.table_html(run.read_table("quality", dtype={"value": str})))
run.finish("02-discover")
