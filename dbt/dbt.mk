# dbt/: warehouse models (DuckDB embedded default, BigQuery production). See docs/warehouse.md.
# The dashboard fragment (dbt/dashboard.mk) is separate; this file owns the dbt venv and targets.

DBT_DIR := $(ROOT)/dbt
DBT_PY := $(VENV)/dbt/bin/python
DBT := $(VENV)/dbt/bin/dbt
$(eval $(call venv,dbt,$(DBT_DIR)/requirements.lock))
SETUP_TARGETS += $(VENV)/dbt/.synced
TEST_TARGETS += test-dbt
LINT_TARGETS += lint-dbt
BENCH_TARGETS += bench-dbt

# The embedded defaults of docs/configuration.md, as absolute paths (dbt itself resolves relative ones
# against the working directory). Override any of them in the environment.
CAEC_DATA_DIR ?= $(ROOT)/data
CAEC_STAGING_URI ?= $(CAEC_DATA_DIR)/staging
CAEC_DUCKDB_PATH ?= $(CAEC_DATA_DIR)/warehouse/caec.duckdb
DBT_TARGET ?= $(or $(CAEC_DBT_TARGET),local)
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

# make dbt-build [START=YYYY-MM-DD END=YYYY-MM-DD] [LOOKBACK=N] [INCLUDE_BOTS=true] [DBT_TARGET=local]
DBT_BUILD_VARS = $(if $(START),"start_date": "$(START)"$(comma) "end_date": "$(END)"$(comma)) "lookback_days": $(or $(LOOKBACK),0), "include_bots": $(or $(INCLUDE_BOTS),false)
comma := ,

.PHONY: dbt-build dbt-docs lock-dbt test-dbt lint-dbt bench-dbt

dbt-build: $(VENV)/dbt/.synced ## Build the warehouse (START=YYYY-MM-DD END=.. for a day window; default: all data)
	@if [ -n "$(START)" ] && [ -z "$(END)" ]; then echo "!! set END=YYYY-MM-DD too (exclusive end of the window)" >&2; exit 2; fi
	@mkdir -p "$(dir $(CAEC_DUCKDB_PATH))"
	CAEC_DATA_DIR="$(CAEC_DATA_DIR)" CAEC_STAGING_URI="$(CAEC_STAGING_URI)" CAEC_DUCKDB_PATH="$(CAEC_DUCKDB_PATH)" \
	  $(DBT) build --project-dir $(DBT_DIR) --profiles-dir $(DBT_DIR) --target $(DBT_TARGET) \
	  --vars '{$(DBT_BUILD_VARS)}'

dbt-docs: $(VENV)/dbt/.synced ## Generate the dbt docs site (dbt/target/index.html) from the local warehouse
	@mkdir -p "$(dir $(CAEC_DUCKDB_PATH))"
	CAEC_DATA_DIR="$(CAEC_DATA_DIR)" CAEC_STAGING_URI="$(CAEC_STAGING_URI)" CAEC_DUCKDB_PATH="$(CAEC_DUCKDB_PATH)" \
	  $(DBT) docs generate --project-dir $(DBT_DIR) --profiles-dir $(DBT_DIR) --target local

lock-dbt: $(UV) ## Re-pin the dbt toolchain (dbt/requirements.lock)
	cd $(ROOT) && $(UV) pip compile -q --python-version 3.11 --custom-compile-command "make lock-dbt" \
	  --excludes dbt/requirements.excludes dbt/requirements.in -o dbt/requirements.lock

test-dbt: $(VENV)/dbt/.synced ## dbt tests: fixture marts, full == day-by-day incremental, BigQuery offline SQL check
	cd $(DBT_DIR) && $(DBT_PY) -m pytest -p no:cacheprovider -q tests/python

# sqlfluff's dbt templater compiles every model, which lists the staging files: lint against the fixture.
DBT_LINT_DIR := $(ROOT)/.out/dbt-lint
lint-dbt: $(VENV)/dbt/.synced $(VENV)/tools/.synced ## sqlfluff (dbt templater) over models/macros, ruff + mypy over dbt/tests
	@$(RUFF) check $(DBT_DIR)/tests $(DBT_DIR)/bench && $(RUFF) format --check $(DBT_DIR)/tests $(DBT_DIR)/bench
	@$(MYPY) --config-file $(ROOT)/mypy.ini $(DBT_DIR)/tests/python $(DBT_DIR)/bench
	@rm -rf $(DBT_LINT_DIR) && mkdir -p $(DBT_LINT_DIR)/warehouse
	@$(DBT_PY) $(DBT_DIR)/tests/python/fixture.py $(DBT_LINT_DIR)/staging >/dev/null
	cd $(DBT_DIR) && CAEC_STAGING_URI=$(DBT_LINT_DIR)/staging CAEC_DUCKDB_PATH=$(DBT_LINT_DIR)/warehouse/lint.duckdb \
	  $(VENV)/dbt/bin/sqlfluff lint models

BENCH_DBT_STAGING ?= $(ROOT)/.out/bench/10m/staging
bench-dbt: $(VENV)/dbt/.synced ## dbt build time on the 10M-event staging output and day-2 vs day-30 incremental ratio
	@if [ ! -d "$(BENCH_DBT_STAGING)/events" ]; then \
	  echo ">> bench-dbt: skipped: no Spark output at $(BENCH_DBT_STAGING); create it with: make bench-spark"; \
	else $(DBT_PY) $(DBT_DIR)/bench/bench_dbt.py --staging "$(BENCH_DBT_STAGING)" --workdir $(ROOT)/.out/bench/dbt; fi
