"""Names of the files the report's stages hand each other inside a run's work folder.

Each notebook of ``covidlearning report`` writes files into the run's work folder that
a later notebook or the report reads. Their names are defined here once, so no stage
opens another stage's file by a string literal, and this module imports nothing of the
package: any stage may import it without creating an import cycle.
"""

from __future__ import annotations

#: The analysed units that 01-corpus writes and every later notebook reads.
UNITS = "units.parquet"
#: What each breakdown hides and why (``name -> sentences``), for 04-report's captions.
BREAKDOWN_NOTES = "breakdowns.json"
#: What 03-code leaves for 04-report about the coding against ``code.codebook``.
CODING_SUMMARY = "coding.json"
