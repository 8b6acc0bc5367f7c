# Orchestration (airflow/): the clickstream_daily DAG (dags/), its factory package caec_airflow (src/) and
# tests. Venv .venv/airflow: Airflow 3 + cncf.kubernetes/standard/google providers from requirements.lock,
# plus caec_pipeline (airflow/pipeline) and caec_airflow installed editable without dependencies.
AIRFLOW_DIR := $(ROOT)/airflow
AIRFLOW_PY := $(VENV)/airflow/bin/python
$(eval $(call venv,airflow,$(AIRFLOW_DIR)/requirements.lock,@$(UV) pip install -q --no-deps --python $(AIRFLOW_PY) -e $(ROOT)/airflow/pipeline -e $(AIRFLOW_DIR)))

TEST_TARGETS += test-airflow
LINT_TARGETS += lint-airflow
SETUP_TARGETS += $(VENV)/airflow/.synced

# The local mode's tasks run the Spark job and dbt in their own venvs (made by the spark and dbt fragments).
AIRFLOW_LOCAL_VENVS := $(VENV)/spark/.synced $(VENV)/dbt/.synced
AIRFLOW_ENV := DO_NOT_TRACK=1 SCARF_ANALYTICS=false

.PHONY: lock-airflow test-airflow test-airflow-unit lint-airflow airflow-dags-test

lock-airflow: $(UV) ## Re-pin the Airflow environment (airflow/requirements.lock)
	cd $(ROOT) && $(UV) pip compile -q --python-version 3.11 --custom-compile-command "make lock-airflow" airflow/requirements.in -o airflow/requirements.lock

test-airflow: $(VENV)/airflow/.synced $(AIRFLOW_LOCAL_VENVS) ## DAG tests: DagBag, structure, SparkApplication/pod rendering, `airflow dags test` end to end
	cd $(AIRFLOW_DIR) && $(AIRFLOW_ENV) $(AIRFLOW_PY) -m pytest -q tests

test-airflow-unit: $(VENV)/airflow/.synced ## DAG tests without the end-to-end `airflow dags test` (no spark/dbt venvs needed)
	cd $(AIRFLOW_DIR) && $(AIRFLOW_ENV) $(AIRFLOW_PY) -m pytest -q -m "not e2e" tests

lint-airflow: $(VENV)/tools/.synced $(VENV)/airflow/.synced ## ruff (incl. AIR3 rules) + mypy over airflow/ (DAGs, caec_airflow, tests)
	$(RUFF) check $(AIRFLOW_DIR)/src $(AIRFLOW_DIR)/dags $(AIRFLOW_DIR)/tests
	$(RUFF) format --check $(AIRFLOW_DIR)/src $(AIRFLOW_DIR)/dags $(AIRFLOW_DIR)/tests
	cd $(ROOT) && $(MYPY) --config-file $(ROOT)/mypy.ini --python-executable $(AIRFLOW_PY) $(AIRFLOW_DIR)/src/caec_airflow $(AIRFLOW_DIR)/dags $(AIRFLOW_DIR)/tests

# make airflow-dags-test DATE=YYYY-MM-DD [EVENTS=n] [VIA_PARAMS=1]: processes day DATE in local mode (SQLite Airflow home under .out/).
airflow-dags-test: $(VENV)/airflow/.synced $(AIRFLOW_LOCAL_VENVS) ## Process day DATE with `airflow dags test clickstream_daily` in local mode (generates EVENTS events if the day has no raw data)
	@test -n "$(DATE)" || { echo "usage: make airflow-dags-test DATE=YYYY-MM-DD [EVENTS=5000]" >&2; exit 2; }
	cd $(ROOT) && $(AIRFLOW_ENV) $(AIRFLOW_PY) -m caec_airflow.dags_test --date $(DATE) $(if $(EVENTS),--events $(EVENTS)) $(if $(filter 1 yes true,$(VIA_PARAMS)),--via-params)
