# EarlyBird — `make run` serves the demo, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test setup db-start db-stop bench clean

setup: $(VENV)/.installed
	$(BIN)/pybabel compile -d webapp/translations -D "messages wtforms"

$(VENV)/.installed: requirements.txt .ci/system-packages
	bash .ci/system-packages
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# Starts the embedded database (if MONGO_URI is unset and it is not already answering),
# migrates, seeds the demo business on first run, prints the demo logins and serves with the project's
# gunicorn settings (webapp/serving.py: gevent workers; WEB_CONCURRENCY=N for N of them).
run: setup
	$(FLASK) migrate
	$(FLASK) seed-demo
	$(BIN)/gunicorn -c python:webapp.serving wsgi:app

test: setup
	$(BIN)/python -m pytest

db-start: setup
	$(FLASK) db-start

db-stop: setup
	$(FLASK) db-stop

# Performance: bench/run.py seeds a business of 1,000 and of 10,000 customers once each and measures it on copies,
# each task on an embedded server of its own, two at a time, and prints one table (time, round trips, naive
# baseline, 10k/1k ratio; floors and memory);
# bench_round_page.py: the boy's round page of 300 stops, bytes on the wire and elements. bench/README.md has the
# figures and the other scripts (bench_rush.py: the morning rush over HTTP; bench_import.py: the legacy import alone).
bench: setup
	PYTHONPATH=. $(BIN)/python bench/run.py
	PYTHONPATH=. $(BIN)/python bench/bench_round_page.py

clean:
	rm -rf $(VENV) .pytest_cache
