# Fresh machine: `make demo` runs the pipeline end to end, `make test` runs the tests.
# Everything installs on first use from uv.lock into .venv (uv itself into .tools/), compiled to
# bytecode: where PYTHONDONTWRITEBYTECODE is set, every Python process of the tests (pytest,
# each Airflow component, the portal) would otherwise compile ~3000 modules again (~2.6 s each).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
UV := .tools/bin/uv
PY := .venv/bin/python
# where `make up` listens: this machine only, unless told otherwise (make up HOST=0.0.0.0)
HOST ?= 127.0.0.1
PORTAL_PORT ?= 8000

.PHONY: demo test test-fast lint up bench bench-big suites docs migration clean help

help:
	@echo "make demo       sample files -> Airflow DAG runs -> warehouse, reports, indicators (var/)"
	@echo "make test       lint (ruff, mypy) and the whole test suite (needs PostgreSQL on 127.0.0.1:5432)"
	@echo "make test-fast  lint and the tests not marked slow (no Airflow DAG runs, browser or API server)"
	@echo "make lint       ruff check, ruff format --check, mypy (import layers are a test: tests/test_layers.py)"
	@echo "make up         the portal (http://127.0.0.1:8000) beside Airflow standalone (UI on :8080); Ctrl-C stops both"
	@echo "make bench      issue 13's figures against their floors and targets, JSON in var/bench/ (BENCH_ARGS=\"--only dag,celery\"; --help)"
	@echo "make bench-big  one 200k-row file stage by stage against the reader's floor (BENCH_ARGS=\"--rows 1000000 --json f.json\")"
	@echo "make suites     regenerate expectations/*.json from the dataset contracts"
	@echo "make docs       regenerate the README's dataset and indicator tables"
	@echo "make migration m=\"what changed\"  new Alembic migration from the schema"
	@echo "make clean      remove var/ (all runtime state)"

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.installed: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

demo: .venv/.installed
	$(PY) -m inclusion_data.demo

lint: .venv/.installed
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: lint
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

up: .venv/.installed
	@echo "Portal:     http://$(HOST):$(PORTAL_PORT)/   (first coordinator: $(PY) -m inclusion_data.portal.admin create-coordinator --email you@example.org)"
	@echo "Airflow UI: http://$(HOST):8080/   (user admin, password in var/airflow/simple_auth_manager_passwords.json.generated)"
	@echo "Both listen on $(HOST) only (make up HOST=0.0.0.0 to open them to the network). Stop both with Ctrl-C."
	@INCLUSION_PORTAL_HOST=$(HOST) INCLUSION_PORTAL_PORT=$(PORTAL_PORT) $(PY) -m inclusion_data.portal & portal=$$!; \
	trap 'kill $$portal 2>/dev/null; wait $$portal 2>/dev/null' EXIT INT TERM; \
	AIRFLOW__API__HOST=$(HOST) $(PY) -m inclusion_data.orchestration.local_airflow standalone

bench: .venv/.installed
	$(PY) benchmarks/run.py $(BENCH_ARGS)

bench-big: .venv/.installed
	$(PY) benchmarks/big_file.py $(BENCH_ARGS)

suites: .venv/.installed
	$(PY) -m inclusion_data.quality.suites

docs: .venv/.installed
	$(PY) -m inclusion_data.publishing.docs

migration: .venv/.installed
	$(PY) -m alembic revision --autogenerate -m "$(m)"

clean:
	rm -rf var
