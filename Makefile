# Aula — `make run` serves the demo on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test test-pg bench install worker clean translations extract-messages update-translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

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

test: install translations
	$(BIN)/pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/rq worker --with-scheduler --url $${REDIS_URL:?set REDIS_URL} aula

bench: install
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
