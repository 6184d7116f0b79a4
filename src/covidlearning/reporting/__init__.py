"""Stage 5, reporting: parameterised notebooks that turn a run into a report.

Owns the names of the files the notebooks hand each other (:mod:`.artifacts`), running
the notebooks with papermill and publishing the report (:mod:`.run`), the analysis
steps each notebook calls (:mod:`.steps`), the report's text (:mod:`.narrative`),
breakdowns by group and time (:mod:`.breakdown`) and figures (:mod:`.figures`). The
only stage that imports the others.
"""
