"""Stage 4, privacy: nothing a run publishes identifies a person.

Owns disclosure control (:mod:`.disclosure`: the only place small-count thresholds are
applied) and redaction of identifiers (:mod:`.redact`: names, contact details, NHS and
other numbers). May import the config, :mod:`covidlearning.errors` and the I/O helpers.
"""
