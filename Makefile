# The two commands: `make run` (demo or real deployment) and `make test` (the whole suite).
SHELL := /bin/bash
PORT ?= 8000
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/airspace
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
export PORT

.PHONY: run test install install-dev browser lint format migrate demo-data bench bench-streams fuzz screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Headless Chromium for the browser tests: Debian's package (a browser download is not possible here).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo-data: migrate
	$(BIN)/python manage.py seed_demo

# No DATABASE_URL/REDIS_URL: SQLite and in-process Celery (Procfile.embedded).
# Both set: PostgreSQL, Redis, and separate web, worker and beat processes (Procfile).
run: demo-data
	$(BIN)/python manage.py collectstatic --noinput -v 0
	@if [ -n "$$DATABASE_URL" ] && [ -n "$$REDIS_URL" ]; then \
		if [ -z "$$SECRET_KEY" ]; then \
			[ -s .secret_key ] || (umask 077; $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > .secret_key); \
			export SECRET_KEY="$$(cat .secret_key)"; \
			echo "SECRET_KEY not set: using this checkout's own, generated once into .secret_key"; \
		fi; \
		export PROMETHEUS_MULTIPROC_DIR="$${PROMETHEUS_MULTIPROC_DIR:-$(CURDIR)/.prometheus}"; \
		echo "Serving on http://127.0.0.1:$(PORT)/ with PostgreSQL, Redis, Celery worker and beat"; \
		exec $(BIN)/honcho -f Procfile start; \
	else \
		echo "Serving the embedded demo on http://127.0.0.1:$(PORT)/ (SQLite, Celery tasks in-process)"; \
		exec $(BIN)/honcho -f Procfile.embedded start; \
	fi

# Style, and the dependency rules of docs/ARCHITECTURE.md (import contracts in pyproject.toml).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff format .

test: install-dev browser lint
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(PYTEST_ARGS)

# The screenshots in docs/screenshots/, taken by the browser tests.
# Every browser test that takes one (they call tests/fixtures_browser.py's screenshot()).
screenshots: install-dev browser
	UPDATE_SCREENSHOTS=1 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest \
		$$(grep -rl --include='test_*.py' 'screenshot(' tests)

bench: install-dev
	$(BIN)/python bench/ingest.py $(BENCH_ARGS)

# 1,000 open live streams while sensors post and the API is read (docs/PERFORMANCE.md).
bench-streams: install-dev
	$(BIN)/python bench/streams.py $(BENCH_ARGS)

# Schemathesis against /api/schema/ as every role, on gunicorn at 127.0.0.1 with its own database
# (FUZZ_DATABASE_URL, recreated); bounded by FUZZ_ARGS (--max-examples per operation, --max-time per role).
FUZZ_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/airspace_fuzz
fuzz: install-dev
	FUZZ_DATABASE_URL=$(FUZZ_DATABASE_URL) $(BIN)/python fuzz/run.py $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache .ruff_cache
