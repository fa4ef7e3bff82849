# The README's commands. `make run` and `make test` are all the set-up there is.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export FLASK_APP := wsgi

.PHONY: help install run test test-pg test-all lint format bench clean

help:
	@echo "make run       create .venv, install, migrate, seed the demo clinic, serve on http://127.0.0.1:$(PORT)"
	@echo "make test      the portable test suite (SQLite)"
	@echo "make test-all  lint + the suite on SQLite and on PostgreSQL ($(PG_TEST_URL))"
	@echo "make lint      ruff"
	@echo "make bench     benchmarks that print figures"

# A virtual environment with the app and its dev tools; rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed; installing Debian's python3-venv"; \
	  apt-get install -y python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

# A per-checkout secret key, made once and kept out of git, so `make run` needs no set-up.
instance/config.py:
	@mkdir -p instance
	@$(PYTHON) -c "import secrets; print('# Local settings for this checkout (git-ignored), written by make run.\nSECRET_KEY = ' + repr(secrets.token_hex(32)))" > $@
	@echo "Wrote instance/config.py with a new random SECRET_KEY."

# The web server and the worker (emails, hold expiry, reminders) side by side; Ctrl-C, or the
# web server stopping for any reason, stops both.
run: install instance/config.py
	$(BIN)/flask db upgrade
	$(BIN)/flask booking seed-demo
	@echo "Serving on http://127.0.0.1:$(PORT) with the worker beside it (Ctrl-C stops both)"
	@$(BIN)/flask booking worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/python -m pytest -q

test-pg: install
	BOOKING_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q

test-all: install lint test test-pg

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	@for script in benchmarks/*.py; do [ -e "$$script" ] || continue; echo "== $$script"; $(BIN)/python "$$script"; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
