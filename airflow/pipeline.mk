# Pipeline package (airflow/pipeline, caec_pipeline): config, steps, DQ gate and the local runner behind
# `make run`. The package is stdlib-only, so `make run` runs it with the base Python; its tests use a tiny
# venv (.venv/pipeline: pytest). The stages run in the spark, dbt and dashboard venvs, made on demand.
PIPELINE_DIR := $(ROOT)/airflow/pipeline
PIPELINE_PY := $(VENV)/pipeline/bin/python
$(eval $(call venv,pipeline,$(PIPELINE_DIR)/requirements.lock,@$(UV) pip install -q --no-deps --python $(VENV)/pipeline/bin/python -e $(PIPELINE_DIR)))

TEST_TARGETS += test-pipeline test-run
LINT_TARGETS += lint-pipeline
SETUP_TARGETS += $(VENV)/pipeline/.synced

# The venvs every local run needs (each made once, re-synced only when its lock file changes).
RUN_VENVS := $(VENV)/spark/.synced $(VENV)/dbt/.synced $(VENV)/dashboard/.synced
RUN_ARGS = $(if $(INPUT),--input "$(INPUT)") $(if $(FORMAT),--format $(FORMAT)) $(if $(EVENTS),--events $(EVENTS)) \
  $(if $(SEED),--seed $(SEED)) $(if $(START),--start $(START)) $(if $(END),--end $(END)) $(if $(DAYS),--days $(DAYS)) \
  $(if $(filter 1 yes true,$(OPEN)),--open) $(ARGS)

.PHONY: run erase settings lock-pipeline test-pipeline test-run test-real-logs lint-pipeline check-fresh-clone

# make run [INPUT=path FORMAT=fmt] [EVENTS=n SEED=s DAYS=d] [START=YYYY-MM-DD END=YYYY-MM-DD] [OPEN=1] [ARGS=...]
run: $(RUN_VENVS) ## Run the pipeline locally: sample data (or INPUT=... FORMAT=...) -> sessions -> DuckDB marts -> dashboard
	@cd $(ROOT) && PYTHONPATH=$(PIPELINE_DIR)/src $(PYTHON) -m caec_pipeline run $(RUN_ARGS)

# make erase USER_ID=.. | COOKIE_ID=.. | IP=.. UA=.. [FORMAT=jsonl] [REQUESTED_BY=ticket-or-name] [ARGS=--help]
ERASE_ARGS = $(if $(USER_ID),--user-id "$(USER_ID)") $(if $(COOKIE_ID),--cookie-id "$(COOKIE_ID)") \
  $(if $(IP),--ip "$(IP)") $(if $(UA),--user-agent "$(UA)") $(if $(FORMAT),--format $(FORMAT)) \
  --requested-by "$(or $(REQUESTED_BY),$(USER),unknown)" $(ARGS)
erase: $(VENV)/spark/.synced $(VENV)/dbt/.synced ## Erase a visitor from staging and marts: make erase USER_ID=.. | COOKIE_ID=.. | IP=.. UA=.. [FORMAT=..] [REQUESTED_BY=..] (ARGS=--help)
	@cd $(ROOT) && PYTHONPATH=$(PIPELINE_DIR)/src $(PYTHON) -m caec_pipeline erase $(ERASE_ARGS)

settings: ## Rewrite what the CAEC_* declarations generate (chart ConfigMap keys and DQ defaults, docs/configuration.md)
	@cd $(ROOT) && $(PYTHON) $(PIPELINE_DIR)/scripts/generate_settings.py

lock-pipeline: $(UV) ## Re-pin the pipeline package's test tools (airflow/pipeline/requirements.lock)
	cd $(ROOT) && $(UV) pip compile -q --python-version 3.11 --custom-compile-command "make lock-pipeline" airflow/pipeline/requirements.in -o airflow/pipeline/requirements.lock

test-pipeline: $(VENV)/pipeline/.synced ## Unit tests of caec_pipeline (config, steps, DQ gate, CLI, progress)
	cd $(PIPELINE_DIR) && $(PIPELINE_PY) -m pytest -q -m "not e2e" tests

test-run: $(VENV)/pipeline/.synced $(RUN_VENVS) ## End-to-end `make run`: 20k generated events, a wrong FORMAT, Ctrl-C mid-run, the real logs of ../shared/datasets
	cd $(PIPELINE_DIR) && $(PIPELINE_PY) -m pytest -q -m e2e tests

test-real-logs: $(VENV)/pipeline/.synced $(RUN_VENVS) ## `make run` on the real logs in ../shared/datasets (skips when absent)
	cd $(PIPELINE_DIR) && $(PIPELINE_PY) -m pytest -q -rs -m e2e -k real_logs tests

lint-pipeline: $(VENV)/tools/.synced $(VENV)/pipeline/.synced ## ruff + mypy over airflow/pipeline
	$(RUFF) check $(PIPELINE_DIR)
	$(RUFF) format --check $(PIPELINE_DIR)
	cd $(ROOT) && $(MYPY) --config-file $(ROOT)/mypy.ini --python-executable $(PIPELINE_PY) $(PIPELINE_DIR)/src/caec_pipeline $(PIPELINE_DIR)/tests

check-fresh-clone: ## Clone HEAD into a temp dir and run the README's `make run` there (EVENTS=20000; WORKTREE=1 adds uncommitted files)
	$(ROOT)/.ci/fresh-clone.sh $(if $(filter 1 yes true,$(WORKTREE)),--worktree) --events $(or $(EVENTS),20000)
