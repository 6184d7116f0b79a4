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

# %% [markdown] tags=["remove-cell"]
# # 04 · The thematic-analysis report
#
# This notebook becomes `report.html`: `covidlearning report` executes it and converts
# it with the code hidden. Everything it shows is read from the tables the earlier
# notebooks wrote (nothing is refitted) and every sentence that states a number is
# written from the data and the config by `covidlearning.reporting.narrative`.

# %% tags=["parameters"]
config_path: str = "configs/seed-corpus.yaml"  # the run's YAML config, from the project root
out_dir: str = ""  # set by `covidlearning report`; "" writes to <reports_dir>/.interactive/<name>
work_dir: str = ""  # unpublished intermediate files; "" means data/interim/<name>
quotes_per_theme: int = 0  # quotes shown per theme (0: discover.n_quotes from the config)
max_keywords: int = 8  # keywords shown per theme
quote_words: int = 80  # longer quotes are shortened to about this many words (0: never)

# %% tags=["remove-cell"]
from covidlearning.reporting import narrative
from covidlearning.reporting.run import open_run

run = open_run(config_path, out_dir, work_dir)
rep = narrative.Report(run, quotes_per_theme, max_keywords, quote_words)

# %%
rep.title()

# %%
rep.summary()

# %%
rep.corpus()

# %%
rep.themes()

# %%
rep.figures()

# %%
rep.evidence()

# %%
rep.breakdowns()

# %%
rep.stance()

# %%
rep.frameworks()

# %%
narrative.show_coding(run, quotes_per_theme, quote_words)

# %%
rep.trust()

# %%
rep.methods()

# %% tags=["remove-cell"]
run.finish("04-report")
