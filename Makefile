# Aula — `make run` serves the demo on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test test-pg bench install install-dev worker clean translations extract-messages update-translations

PIP := $(BIN)/pip install --quiet --disable-pip-version-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Serving needs only the runtime requirements (a fresh clone serves its first
# page sooner); the test tools (pytest, Hypothesis, Playwright...) come with
# `make test`.
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(PIP) -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(PIP) -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime-installed

install-dev: $(VENV)/.dev-installed

# The .mo files are built, never committed: every run and test compiles the .po files first.
translations: install
	$(BIN)/python -m app.i18n_catalog compile

# After adding or changing a string: refresh messages.pot and merge it into it/ and pt_BR/.
extract-messages: install
	$(BIN)/python -m app.i18n_catalog extract

update-translations: extract-messages
	$(BIN)/python -m app.i18n_catalog update

run: install translations
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/gunicorn --bind 127.0.0.1:8000 --workers 2 --access-logfile - wsgi:app

test: install-dev translations
	$(BIN)/pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/rq worker --with-scheduler --url $${REDIS_URL:?set REDIS_URL} aula

# Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/bench) and wrk.
bench: install-dev
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install -y wrk"; exit 1; }
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
