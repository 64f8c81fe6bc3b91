# Customer-value warehouse. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Superset pins SQLAlchemy 1.4 and Flask 3.1: it gets a virtualenv of its own.
BI_VENV := .venv-bi
BI_STAMP := $(BI_VENV)/.installed
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False

.DEFAULT_GOAL := help
.PHONY: help install demo test test-unit lint typecheck stop clean distclean lock db-start generate ui bench \
	bi bi-install lock-bi chromium docs

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements/requirements.lock pyproject.toml
	@echo "==> Installing locked dependencies into $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode --require-hashes \
		-r requirements/requirements.lock
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode --no-deps -e .
	@touch $@

install: $(STAMP) ## Create the virtualenv from the hashed lock file

lock: ## Re-resolve requirements/requirements.in into the hashed lock file
	$(BIN)/uv pip compile --python-version 3.11 --generate-hashes \
		requirements/requirements.in -o requirements/requirements.lock

$(BI_STAMP): requirements/superset.lock | $(STAMP)
	@echo "==> Installing Apache Superset into $(BI_VENV)"
	@test -x $(BI_VENV)/bin/python || $(PYTHON) -m venv $(BI_VENV)
	@$(BIN)/uv pip install --quiet --python $(BI_VENV)/bin/python --compile-bytecode --require-hashes \
		-r requirements/superset.lock
	@touch $@

bi-install: $(BI_STAMP) ## Create the Superset virtualenv from its own hashed lock

lock-bi: ## Re-resolve requirements/superset.in into Superset's hashed lock file
	$(BIN)/uv pip compile --python-version 3.11 --generate-hashes \
		requirements/superset.in -o requirements/superset.lock

chromium: ## Check that the Debian programs the tests run (chromium, java, redis-server) are installed
	@command -v chromium > /dev/null || { echo "error: chromium is missing: apt-get install chromium"; exit 1; }
	@command -v java > /dev/null || { echo "error: java is missing: apt-get install openjdk-17-jre-headless"; exit 1; }
	@command -v redis-server > /dev/null || { echo "error: redis-server is missing: apt-get install redis-server"; exit 1; }

db-start: install ## Start the embedded PostgreSQL (no-op when WAREHOUSE_URL is set)
	@$(BIN)/cvw db start

generate: db-start ## Generate the simulated source systems only
	@$(BIN)/cvw sources generate

# `make demo ENGINE=spark` builds on Apache Spark in local mode (docs/SCALE.md, "Apache Spark").
ifdef ENGINE
export CVW_ENGINE := $(ENGINE)
endif

demo: install ## Run the whole pipeline once and print what it published (ENGINE=postgres|spark)
	@$(BIN)/cvw demo

SIZE ?= S
bench: install ## Benchmark a full build, two nightly increments and bare dbt: make bench SIZE=S|M
	@$(BIN)/cvw bench --size $(SIZE)

test: install bi-install chromium ## Run the test suite (unit, DAG integrity, integration on embedded PostgreSQL)
	@$(BIN)/pytest

test-unit: install ## Run the fast tests only
	@$(BIN)/pytest -m "not integration"

# sqlfluff's dbt templater lints macros where models, tests and snapshots render them.
# Its dbt compiles into the state directory, private like every file there: a
# `target/` in the project would seed the Airflow tasks' dbt cache.
lint: db-start ## ruff and sqlfluff (sqlfluff compiles the dbt project against the warehouse)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@umask 077 && eval "$$($(BIN)/python -m cvw.config)" && cd dbt_project && \
		DBT_TARGET_PATH="$$CVW_STATE_DIR/dbt/lint" ../$(BIN)/sqlfluff lint models data-tests snapshots

typecheck: install ## mypy, strict, on src/ (settings in pyproject.toml)
	$(BIN)/mypy

DOCS_PORT ?= 8081
docs: db-start ## Build the dbt docs of the published marts, serve them on http://127.0.0.1:8081 (DOCS_PORT=N)
	@$(BIN)/cvw docs --port $(DOCS_PORT)

# In the foreground with the CRM API beside it; Ctrl-C stops both.
ui: db-start ## Serve the Airflow UI on http://127.0.0.1:8080 for the demo's DAG until Ctrl-C
	@$(BIN)/cvw ui

# Needs the demo's published marts (make demo); says so in one line when they are missing.
bi: db-start bi-install ## Serve the Superset dashboards over the demo's marts on http://127.0.0.1:8088
	@$(BIN)/cvw bi start

stop: ## Stop Superset and the embedded PostgreSQL
	@-test -x $(BIN)/cvw && $(BIN)/cvw bi stop
	@-test -x $(BIN)/cvw && $(BIN)/cvw db stop

clean: stop ## Remove all generated state (database, source files, Airflow home, dbt target)
	rm -rf .state dbt_project/target dbt_project/logs logs

distclean: clean ## Also remove the virtualenvs
	rm -rf $(VENV) $(BI_VENV)
