"""Data for tests, benchmarks and demonstrations; no stage of a run imports it."""
