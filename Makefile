# Aula — `make run` serves the demo on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test test-pg bench install worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/gunicorn --bind 127.0.0.1:8000 --workers 2 --access-logfile - wsgi:app

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/rq worker --with-scheduler --url $${REDIS_URL:?set REDIS_URL} aula

bench: install
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
