# covidlearning: `make help` lists the targets. `make report` and `make test` set up .venv themselves.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export MPLBACKEND := Agg

.PHONY: help setup report test test-fast bench lint format lab clean

help: ## Show this help.
	@awk 'BEGIN {FS = ":.*?## "} /^[a-zA-Z_-]+:.*?## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name covidlearning --display-name "Python (covidlearning)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the package, its tools and the notebook kernel (idempotent).

report: setup ## Run the thematic-analysis report on the bundled corpus into reports/seed-corpus/.
	$(VENV)/bin/covidlearning report --config configs/seed-corpus.yaml

test: setup ## Run all tests (unit, integration, notebooks, browser when Chromium is present).
	$(PY) -m pytest

test-fast: setup ## Run the fast unit tests only.
	$(PY) -m pytest -m "not slow and not notebook and not browser"

bench: setup ## Benchmarks (run alone): speed on a 10k-comment export beside sentence-transformers and BERTopic, then 1k/10k/100k scaling, coding, and the cluster scale section at 1M texts (writes benchmarks/results/).
	$(PY) benchmarks/speed.py --n 10000
	$(PY) benchmarks/speed.py --n 8000 --stages embed --report
	$(PY) benchmarks/run.py
	$(PY) benchmarks/bench_coding.py
	$(PY) benchmarks/scale.py

lint: setup ## Check style with ruff.
	$(VENV)/bin/ruff check src tests benchmarks scripts notebooks
	$(VENV)/bin/ruff format --check src tests benchmarks scripts

format: setup ## Format code with ruff.
	$(VENV)/bin/ruff format src tests benchmarks scripts
	$(VENV)/bin/ruff check --fix src tests benchmarks scripts

lab: setup ## Open JupyterLab with the project's kernel.
	$(VENV)/bin/jupyter lab notebooks/

clean: ## Remove caches and processed data (never data/raw).
	rm -rf .pytest_cache .ruff_cache data/processed/* .cache
	@touch data/processed/.gitkeep
