# deskroute developer targets. Every target creates .venv idempotently first.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF
export HF_HUB_OFFLINE := 1
export LITELLM_LOCAL_MODEL_COST_MAP := True
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# The CPU build of torch 2.13.0 lies here on our machines; elsewhere pip takes it from PyPI.
PIP_FIND := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)

.PHONY: install demo test test-fast bench lint typecheck clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q $(PIP_FIND) -e '.[dev]' 2>&1 | { grep -v "^WARNING: Location" || true; }
	$(BIN)/python -c "import llama_cpp, sentence_transformers, litellm, celery"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/deskroute demo

test: install
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not integration"

bench: install
	$(BIN)/python bench/bench_routing.py
	$(BIN)/python bench/bench_signals.py
	$(BIN)/python bench/bench_classifier.py
	$(BIN)/python bench/bench_answers.py --limit 60

lint: install
	$(BIN)/ruff check router connectors policies migrations tests bench
	$(BIN)/mypy router connectors policies

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
