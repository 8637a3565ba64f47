# The README's commands. Each creates .venv when it is missing and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_TEST := $(VENV)/.installed-test
STAMP_RUN := $(VENV)/.installed-run

.PHONY: demo test test-all lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[examples]'
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

demo: $(STAMP_RUN)
	$(BIN)/psflow submit configs/local.yaml -- python examples/train_digits_async.py --logdir runs/digits_async

test: $(STAMP_TEST)
	$(BIN)/python -m pytest -q

test-all: $(STAMP_TEST)
	$(BIN)/python -m pytest -q -m ''

lint: $(STAMP_TEST)
	$(BIN)/pip install -q -e '.[lint]'
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy graph

# Benchmarks run with the machine's pinned old-OpenBLAS kernel choice undone (numpy's
# OpenBLAS picks its own kernels); tests and CI keep the machine's settings.
BENCH_ENV := env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE

# torch (the `conv` extra) by its CPU build's version first: a bare `torch` takes a CUDA build.
bench: $(STAMP_TEST)
	$(BIN)/pip install -q 'torch==2.13.0'
	$(BIN)/pip install -q -e '.[bench,conv]'
	$(BENCH_ENV) $(BIN)/python bench/session_overhead.py
	$(BENCH_ENV) $(BIN)/python bench/train_step.py
	$(BENCH_ENV) $(BIN)/python bench/conv_step.py
	$(BENCH_ENV) $(BIN)/python bench/checkpoint.py
	$(BENCH_ENV) $(BIN)/python bench/async_training.py
	$(BENCH_ENV) $(BIN)/python bench/faults.py

clean:
	rm -rf $(VENV) build *.egg-info
