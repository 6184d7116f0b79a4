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
# # 03 · Code against frameworks, stance and breakdowns
#
# Three kinds of coding build on the themes from `02-discover`:
#
# * **Stance and sentiment.** Each unit is read as "what to keep", "what not to repeat",
#   mixed or neutral, from cue phrases ("keep", "continue", "never again", "go back
#   to"...) and, when there is no cue, from its VADER sentiment (see
#   `covidlearning.coding.stance`).
# * **Authors' frameworks.** Each codebook listed under `frameworks:` in the config is
#   compared with the discovered themes: which framework themes the data supports,
#   which discovered themes are new, and which framework themes it missed. A codebook
#   under `code.codebook` also codes every unit against that framework.
# * **Breakdowns** (tables of responses only): themes by each grouping column and by
#   month, with disclosure control (cells from fewer than the threshold shown as `*`).

# %% tags=["parameters"]
config_path: str = "configs/seed-corpus.yaml"  # the run's YAML config, from the project root
out_dir: str = ""  # set by `covidlearning report`; "" writes to <reports_dir>/.interactive/<name>
work_dir: str = ""  # unpublished intermediate files; "" means data/interim/<name>
time_period: str = ""  # over time by W week, M month, Q quarter or Y year ("": input.date_freq)

# %%
from IPython.display import display

from covidlearning.reporting import narrative, steps
from covidlearning.reporting.run import open_run

run = open_run(config_path, out_dir, work_dir)
display(narrative.run_header(run, "Coding"))
units = steps.load_units(run)
found = steps.read_discovery(run)

# %% [markdown]
# ## Stance and sentiment per theme

# %%
stance = steps.code_stance(run, units, found)
display(
    narrative.table_html(
        stance,
        empty="No themes to summarise."
        if run.config.stance
        else "Not read: the config sets `stance: false`.",
    )
)

# %% [markdown]
# ## Discovered themes against the authors' frameworks

# %%
frameworks = steps.compare_frameworks(run, units, found)
for fw in frameworks:
    display(narrative.framework_section(fw, heading_level=3))

# %% [markdown]
# ## Every unit coded against the codebook in `code.codebook`
#
# Only when the config names one: each unit gets up to `code.max_themes` of its themes
# (or *unassigned*). Tables: `coding_themes`, `coding_assignments`, `coding_quotes` and,
# for tables of responses, `coding_by_<column>` and `coding_over_time`. When
# `code.gold_column` names a column of your coders' codes, their agreement with the
# machine's follows (table `coding_agreement`: precision, recall and F1 per theme, with
# bootstrap 95% intervals).

# %%
coding = steps.code_units(run, units, time_period)
if coding:
    display(narrative.table_html(run.read_table("coding_themes", dtype=str)))
    display(*narrative.coding_agreement(run, coding))

# %% [markdown]
# ## Breakdowns by group and over time
#
# Only for tables of responses with grouping or date columns; for documents the
# theme-by-document table from `02-discover` plays this part.

# %%
breakdowns = steps.breakdowns(run, units, found, time_period)
for bd in breakdowns:
    display(narrative.breakdown_section(bd, heading_level=3))
run.finish("03-code")
