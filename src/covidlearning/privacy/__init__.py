"""Stage 4, privacy: nothing a run publishes identifies a person.

Owns disclosure control (:mod:`.disclosure`: the only place small-count thresholds and
rounding are applied) and redaction of identifiers (:mod:`.redact`: the redactor, the
audit log and the final guard over every output file), with its recognisers in
:mod:`.numbers` (NHS-number-like strings, phones, reference numbers, dates of birth,
ages), :mod:`.contact` (emails, web addresses, postcodes, street addresses) and
:mod:`.places` (wards, bays, beds, named hospitals and buildings). May import the config,
:mod:`covidlearning.errors`, :mod:`covidlearning.nlp.names` and the I/O helpers.
"""
