# The two commands a newcomer needs: `make run` and `make test`. Both are safe to run again.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install system lint typecheck evals pytest bench train clean

run: $(STAMP)
	$(VENV)/bin/rehearse ui

test: $(STAMP) system lint typecheck evals pytest

# The virtual environment. CPU torch goes in first so nothing pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests use: Chromium for the browser test, PostgreSQL for the scale-out test.
system:
	bash scripts/system-deps.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check sim evals tests
	$(VENV)/bin/ruff format --check sim evals tests

typecheck: $(STAMP)
	$(VENV)/bin/mypy

evals: $(STAMP)
	$(PY) -m evals scorer --data evals/data/test.jsonl --check --baseline evals/scorer_baseline.json
	$(PY) -m evals relevance --check
	$(PY) -m evals dialogues
	$(PY) -m evals reliability

# A throwaway PostgreSQL on 127.0.0.1 for the tests marked `postgres`; stopped again however pytest ends.
pytest: $(STAMP) system
	url=$$(bash scripts/postgres.sh start) && trap 'bash scripts/postgres.sh stop' EXIT && \
	REHEARSE_TEST_DATABASE_URL="$$url" $(VENV)/bin/pytest

bench: $(STAMP)
	$(PY) -m evals bench

train: $(STAMP)
	$(PY) -m evals train

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
