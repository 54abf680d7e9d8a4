# Project Orchestrator. Without DATABASE_URL every target runs against an embedded
# PostgreSQL kept in .pgdata/ (see orchestrator_site/devdb.py).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
WITH_DB := $(PY) -m orchestrator_site.devdb exec --
export DJANGO_SETTINGS_MODULE := orchestrator_site.settings

.PHONY: install run test fuzz lint format typecheck bench bench-prune migrate db-stop clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(WITH_DB) $(PY) manage.py migrate --no-input
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(WITH_DB) $(PY) manage.py seed_demo --if-empty
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(WITH_DB) $(PY) manage.py demo_access --port $(PORT)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(WITH_DB) $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install lint typecheck
	SECRET_KEY=$${SECRET_KEY:-test-only-secret} $(WITH_DB) $(PY) manage.py makemigrations --check --dry-run
	SECRET_KEY=$${SECRET_KEY:-test-only-secret} $(WITH_DB) $(PY) -m pytest

# The schemathesis run of `make test`, longer: the coverage phase too, and 200 generated
# examples per operation.
fuzz: install
	FUZZ_PHASES=$${FUZZ_PHASES:-examples,coverage,fuzzing} FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} SECRET_KEY=$${SECRET_KEY:-test-only-secret} $(WITH_DB) $(PY) -m pytest orchestrator_site/tests/test_api_fuzz.py -p no:randomly

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: install
	SECRET_KEY=$${SECRET_KEY:-test-only-secret} $(WITH_DB) $(VENV)/bin/mypy .

bench: install
	SECRET_KEY=$${SECRET_KEY:-bench-only-secret} $(WITH_DB) $(PY) bench/orchestrate.py

# Retention at scale: prune 1,000,000 generated runs while orchestrations run (ARGS="--runs N").
bench-prune: install
	SECRET_KEY=$${SECRET_KEY:-bench-only-secret} $(WITH_DB) $(PY) bench/prune.py $(ARGS)

migrate: install
	$(WITH_DB) $(PY) manage.py migrate --no-input

db-stop: install
	$(PY) -m orchestrator_site.devdb stop

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
