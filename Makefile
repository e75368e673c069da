# deskroute developer targets. Every target creates .venv idempotently first.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export LITELLM_LOCAL_MODEL_COST_MAP := True
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# The CPU build of torch 2.13.0 lies here on our machines; elsewhere pip takes it from PyPI.
PIP_FIND := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)

# llama.cpp is compiled from source by llama-cpp-python. The wheel is built once per
# (version, build flags, CPU) and kept in WHEEL_CACHE under that key: pip's own cache keys a
# built wheel by version only, so a change of CMAKE_ARGS (or a move to another CPU, since the
# default build targets this one) would otherwise silently reuse the old binary.
# Portable build for other machines: make install LLAMA_CMAKE_ARGS="$(LLAMA_PORTABLE)"
LLAMA_VERSION := 0.3.36
LLAMA_PORTABLE := -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
LLAMA_CMAKE_ARGS ?= $(if $(CMAKE_ARGS),$(CMAKE_ARGS),-DLLAVA_BUILD=OFF)
WHEEL_CACHE ?= $(HOME)/.cache/deskroute/wheels
LLAMA_KEY := $(shell { echo '$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)'; uname -m; \
	grep -m1 '^flags' /proc/cpuinfo 2>/dev/null; $${CC:-cc} --version 2>/dev/null | head -1; } \
	| sha256sum | cut -c1-16)
LLAMA_WHEELS := $(WHEEL_CACHE)/llama-cpp-python-$(LLAMA_VERSION)-$(LLAMA_KEY)
LLAMA_STAMP := $(VENV)/.llama-$(LLAMA_KEY)

.PHONY: install demo test test-fast bench fault lint typecheck clean llama-wheel

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(LLAMA_WHEELS)/.built: | $(BIN)/python
	@echo "building llama-cpp-python $(LLAMA_VERSION) with CMAKE_ARGS='$(LLAMA_CMAKE_ARGS)'" \
		"(5-15 minutes on 2 cores, once per build key $(LLAMA_KEY))"
	rm -rf $(LLAMA_WHEELS).tmp && mkdir -p $(LLAMA_WHEELS).tmp
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip wheel -q --no-cache-dir --no-deps \
		-w $(LLAMA_WHEELS).tmp llama-cpp-python==$(LLAMA_VERSION)
	echo "$(LLAMA_CMAKE_ARGS)" > $(LLAMA_WHEELS).tmp/CMAKE_ARGS
	rm -rf $(LLAMA_WHEELS) && mv $(LLAMA_WHEELS).tmp $(LLAMA_WHEELS) && touch $@

llama-wheel: $(LLAMA_WHEELS)/.built

# A new key (other flags, other CPU) reinstalls llama-cpp-python even at the same version.
$(LLAMA_STAMP): $(LLAMA_WHEELS)/.built | $(BIN)/python
	$(BIN)/pip install -q --force-reinstall --no-deps --no-index --find-links $(LLAMA_WHEELS) \
		llama-cpp-python==$(LLAMA_VERSION)
	rm -f $(VENV)/.llama-* && touch $@

$(STAMP): pyproject.toml $(LLAMA_STAMP) | $(BIN)/python
	$(BIN)/pip install -q $(PIP_FIND) --find-links $(LLAMA_WHEELS) -e '.[dev]' 2>&1 \
		| { grep -v "^WARNING: Location" || true; }
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
	$(BIN)/python bench/bench_slm.py
	$(BIN)/python bench/bench_routing.py
	$(BIN)/python bench/bench_signals.py
	$(BIN)/python bench/bench_classifier.py
	$(BIN)/python bench/bench_answers.py --limit 60

# deskroute under faults on real PostgreSQL, Redis and Celery workers (a few minutes):
# one "FAULT <name>: ... lost=0 duplicates=0" line per guarantee (docs/RELIABILITY.md)
fault: install
	$(BIN)/python -m tests.fault.run_faults

lint: install
	$(BIN)/ruff check router connectors policies migrations tests bench
	$(BIN)/mypy router connectors policies

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
