"""``python -m covidlearning``."""

from covidlearning.cli import main

main()
