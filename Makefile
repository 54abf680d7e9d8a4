# Project Orchestrator. Without DATABASE_URL every target runs against an embedded
# PostgreSQL kept in .pgdata/ (see orchestrator_site/devdb.py).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
WITH_DB := $(PY) -m orchestrator_site.devdb exec --
export DJANGO_SETTINGS_MODULE := orchestrator_site.settings

.PHONY: install install-bench lock run test fuzz soak lint format typecheck bench bench-orchestrate \
	bench-perfmetrics bench-prune bench-fleet bench-background migrate manage db-stop clean

# Installs come from the lock files (every package pinned, with its hashes); requirements*.txt
# list what the project asks for, and `make lock` turns them into the lock files.
$(VENV)/.installed: requirements.lock requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed

# One lock for every platform and Python >= 3.11 (environment markers kept). Each layer is
# constrained by the one below it, so the three agree on every shared package. Existing pins
# are kept unless asked otherwise: make lock ARGS=--upgrade
LOCK := $(VENV)/bin/uv pip compile --quiet --universal --generate-hashes --python-version 3.11 \
	--custom-compile-command "make lock" $(ARGS)

lock: install
	$(LOCK) requirements.txt --output-file requirements.lock
	$(LOCK) requirements-dev.txt --constraint requirements.lock --output-file requirements-dev.lock
	$(LOCK) requirements-bench.txt --constraint requirements-dev.lock \
		--output-file requirements-bench.lock

# Development defaults; values set in the environment win.
run: export DJANGO_DEBUG ?= 1
test fuzz soak typecheck bench-orchestrate bench-perfmetrics bench-prune bench-fleet bench-background migrate manage: export SECRET_KEY ?= insecure-development-only-secret

# The benchmarks also need django-silk (the overhead benchmark's comparison), nothing else does.
$(VENV)/.bench-installed: $(VENV)/.installed requirements-bench.lock
	$(PY) -m pip install --quiet --require-hashes -r requirements-bench.lock
	touch $@

install-bench: $(VENV)/.bench-installed

run: install
	$(WITH_DB) $(PY) manage.py migrate --no-input
	$(WITH_DB) $(PY) manage.py seed_demo --if-empty
	$(WITH_DB) $(PY) manage.py demo_access --port $(PORT)
	@# One worker beside the server (docs/design.md §6, "Background work"); it stops with it.
	$(WITH_DB) sh -c '$(PY) manage.py procrastinate worker & worker=$$!; \
		trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
		$(PY) manage.py runserver 127.0.0.1:$(PORT)'

test: install lint typecheck
	$(WITH_DB) $(PY) manage.py makemigrations --check --dry-run
	$(WITH_DB) $(PY) -m pytest

# Long load and fault runs through gunicorn (pytest marker `soak`); they print their figures.
soak: install
	$(WITH_DB) $(PY) -m pytest -m soak

# The schemathesis run of `make test`, longer: the coverage phase too, and 200 generated
# examples per operation.
fuzz: install
	FUZZ_PHASES=$${FUZZ_PHASES:-examples,coverage,fuzzing} FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} \
		$(WITH_DB) $(PY) -m pytest orchestrator_site/tests/test_api_fuzz.py -p no:randomly

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: install
	$(WITH_DB) $(VENV)/bin/mypy .

# Every benchmark. Options go to one of them: make bench-perfmetrics ARGS="--only size"
bench: bench-orchestrate bench-perfmetrics bench-prune bench-background

bench-orchestrate: install
	$(WITH_DB) $(PY) -m bench.orchestrate $(ARGS)

bench-perfmetrics: install-bench
	$(WITH_DB) $(PY) -m bench.perfmetrics $(ARGS)

# Retention at scale: prune 1,000,000 generated runs while orchestrations run (ARGS="--runs N").
bench-prune: install
	$(WITH_DB) $(PY) bench/prune.py $(ARGS)

# Pattern recognition on 10 to 1,000,000 projects (builds its databases once, then reuses
# them): make bench-fleet ARGS="--requests 50 --sizes 10,100000"
bench-fleet: install
	$(WITH_DB) $(PY) -m bench.fleet $(ARGS)

# Background work: a fleet pass over 10,000 projects with 1 and 2 workers, and 200
# concurrent calls for one project with and without the lock timeout (ARGS="--only lock").
bench-background: install
	$(WITH_DB) $(PY) -m bench.background $(ARGS)

migrate: install
	$(WITH_DB) $(PY) manage.py migrate --no-input

# Any management command on the same database: make manage ARGS="perftest --json report.json"
manage: install
	$(WITH_DB) $(PY) manage.py $(ARGS)

db-stop: install
	$(PY) -m orchestrator_site.devdb stop

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
