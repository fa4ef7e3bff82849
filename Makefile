# The README's commands. `make run` and `make test` are all the set-up there is.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
CHROMIUM ?= /usr/bin/chromium
export FLASK_APP := wsgi

.PHONY: help install run serve test test-pg test-stack test-min test-all e2e e2e-deps lint format audit lock instance-data-key instance-base-url bench clean

help:
	@echo "make run       create .venv, install, migrate, seed the demo clinic, serve on http://127.0.0.1:$(PORT)"
	@echo "make serve     gunicorn (gunicorn.conf.py) with the worker beside it, as in production"
	@echo "make test      the portable test suite (SQLite)"
	@echo "make e2e       browser and accessibility tests in Debian's Chromium (installed if missing)"
	@echo "make test-stack the real stack (gunicorn, worker, SMTP sink) under a rush and faults"
	@echo "make test-min  the suite on the lowest versions pyproject.toml allows, in a throwaway venv"
	@echo "make test-all  lint + the suite on SQLite, PostgreSQL ($(PG_TEST_URL)), the floors + test-stack + e2e"
	@echo "make lock      re-resolve requirements.lock from pyproject.toml (after changing a dependency)"
	@echo "make lint      ruff, and import-linter for the layers and import cycles"
	@echo "make audit     pip-audit: fails on a known vulnerability that has a fixed version"
	@echo "make bench     benchmarks that print figures"

# A virtual environment with the app and its dev tools at the versions requirements.lock
# pins (the lock constrains what pyproject.toml asks for); rebuilt when either changes.
LOCK := requirements.lock
$(VENV)/.installed: pyproject.toml $(LOCK)
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed; installing Debian's python3-venv"; \
	  apt-get install -y python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

# A per-checkout secret key, made once and kept out of git, so `make run` needs no set-up.
instance/config.py:
	@mkdir -p instance
	@$(PYTHON) -c "import secrets; print('# Local settings for this checkout (git-ignored), written by make run.\nSECRET_KEY = ' + repr(secrets.token_hex(32)))" > $@
	@echo "Wrote instance/config.py with a new random SECRET_KEY."

# Health data is encrypted at rest (booking/crypto.py): a per-checkout key, added once.
instance-data-key: install instance/config.py
	@grep -q '^DATA_ENCRYPTION_KEYS' instance/config.py || { \
	  $(BIN)/python -c "from cryptography.fernet import Fernet; print('DATA_ENCRYPTION_KEYS = [' + repr(Fernet.generate_key().decode()) + ']')" >> instance/config.py; \
	  echo "Added a new DATA_ENCRYPTION_KEYS to instance/config.py."; }

# Links for commands run by hand in this checkout (create-staff, feed-token, ...); `make run`
# and `make serve` override it with the port they really serve on.
instance-base-url: instance/config.py
	@grep -q '^PUBLIC_BASE_URL' instance/config.py || { \
	  echo "PUBLIC_BASE_URL = 'http://127.0.0.1:5000'" >> instance/config.py; \
	  echo "Added PUBLIC_BASE_URL (this machine) to instance/config.py."; }

# Every absolute link (emails, calendar files, the API) comes from FLASK_PUBLIC_BASE_URL. Unless
# it is set already, the web server and the worker are both given the address really served
# (PORT), so `make run PORT=5201` mails links to port 5201.
run serve: export FLASK_PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run serve: export PORT := $(PORT)

# The web server and the worker (emails, hold expiry, reminders) side by side; Ctrl-C, or the
# web server stopping for any reason, stops both.
run: install instance/config.py instance-data-key instance-base-url
	$(BIN)/flask db upgrade
	$(BIN)/flask booking seed-demo
	@echo "Serving on http://127.0.0.1:$(PORT) with the worker beside it (Ctrl-C stops both)"
	@$(BIN)/flask booking worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Production-style: gunicorn (workers, bind and proxy trust from gunicorn.conf.py and the
# environment) and the worker, reading the same FLASK_* settings. Ctrl-C stops both.
serve: install instance/config.py instance-data-key instance-base-url
	$(BIN)/flask db upgrade
	@echo "gunicorn on 127.0.0.1:$(PORT) with the worker beside it (Ctrl-C stops both)"
	@$(BIN)/flask booking worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py

# PYTEST_ARGS passes more options, e.g. PYTEST_ARGS='-x tests/web'.
test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-pg: install
	BOOKING_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The real stack: gunicorn workers and mail workers on committed data, SQLite and PostgreSQL
# (tests/realstack/; a couple of minutes). Plain `make test` leaves them out.
test-stack: install
	BOOKING_REALSTACK=1 BOOKING_REALSTACK_REQUIRE_PG=1 BOOKING_TEST_DATABASE_URL=$(PG_TEST_URL) \
	  $(BIN)/python -m pytest -q tests/realstack

# The floors: every dependency at the lowest version pyproject.toml allows
# (scripts/floor_constraints.py), in a virtual environment made for the run and removed
# after it, then the SQLite suite. A failure here means a floor must be raised.
MIN_VENV := $(shell mktemp -d -u /tmp/booking-min-venv.XXXXXX)
test-min:
	@$(PYTHON) -m venv $(MIN_VENV)
	@trap 'rm -rf $(MIN_VENV)' EXIT; set -e; \
	  $(PYTHON) scripts/floor_constraints.py > $(MIN_VENV)/floors.txt; \
	  echo "Installing the floors: $$(paste -sd' ' $(MIN_VENV)/floors.txt)"; \
	  $(MIN_VENV)/bin/python -m pip install --quiet -c $(MIN_VENV)/floors.txt -e '.[dev]'; \
	  $(MIN_VENV)/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# requirements.lock: every package `make install` and CI install, resolved once by
# pip-tools (in a throwaway venv) from pyproject.toml, with all extras. Pins that still
# fit are kept; `make lock LOCK_ARGS=--upgrade` moves everything to the newest releases.
lock:
	@tools=$$(mktemp -d); trap 'rm -rf $$tools' EXIT; \
	  $(PYTHON) -m venv $$tools && $$tools/bin/python -m pip install --quiet pip-tools && \
	  CUSTOM_COMPILE_COMMAND="make lock" $$tools/bin/pip-compile --quiet $(LOCK_ARGS) --all-extras \
	    --strip-extras --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
	    --output-file $(LOCK) pyproject.toml

test-all: install lint audit test test-pg test-min test-stack e2e

# Browser tests: Debian's Chromium (never a downloaded browser), axe-core and Lighthouse from
# npm into node_modules/ (git-ignored), Playwright for Python told not to fetch browsers.
e2e-deps: install
	@[ -x $(CHROMIUM) ] || { echo "$(CHROMIUM) is missing: installing Debian's chromium"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; \
	  else npm install --no-audit --no-fund --loglevel=error; fi
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev,e2e]'

# The browser tests' server runs on PostgreSQL, as in production; E2E_DATABASE_URL= (empty)
# runs it on a SQLite file instead.
E2E_DATABASE_URL ?= $(PG_TEST_URL)
e2e: e2e-deps
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 BOOKING_TEST_DATABASE_URL=$(E2E_DATABASE_URL) \
	  $(BIN)/python -m pytest -q tests/e2e

# The layers (pure core, models, services, web) and no import cycles: the contracts in
# pyproject.toml's [tool.importlinter].
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Needs PyPI's vulnerability data (or OSV) on the network; offline it warns loudly and passes
# (AUDIT_STRICT=1 makes that a failure).
audit: install
	$(BIN)/python scripts/audit_dependencies.py

# Every script in benchmarks/ (availability.py, booking_race.py, pages.py, ...), each on its
# own scratch database, writing its figures to test-artifacts/bench/<script>.json; then one
# summary table of every target (benchmarks/_summary.py). All run even if one fails; make
# fails if a script failed or a target went unmeasured, never for a target missed.
BENCH_RESULTS := test-artifacts/bench
bench: install e2e-deps
	@rm -rf $(BENCH_RESULTS); mkdir -p $(BENCH_RESULTS); failed=""; \
	  for script in benchmarks/[!_]*.py; do [ -e "$$script" ] || continue; \
	  echo "== $$script"; BENCH_RESULTS_DIR=$(BENCH_RESULTS) $(BIN)/python "$$script" \
	    || failed="$$failed $$script"; done; \
	  BENCH_RESULTS_DIR=$(BENCH_RESULTS) $(BIN)/python benchmarks/_summary.py \
	    || failed="$$failed benchmarks/_summary.py"; \
	  [ -z "$$failed" ] || { echo "Benchmarks that failed:$$failed"; exit 1; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
