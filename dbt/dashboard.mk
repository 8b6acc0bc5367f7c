# Dashboard (dbt/dashboard, caec_dashboard): one self-contained HTML file from the marts (DuckDB or BigQuery).
# Its own venv (.venv/dashboard): duckdb (same pin as dbt's), google-cloud-bigquery, playwright (driver only:
# the browser test drives Debian's /usr/bin/chromium), sqlglot, pytest.
DASHBOARD_DIR := $(ROOT)/dbt/dashboard
DASHBOARD_PY := $(VENV)/dashboard/bin/python
$(eval $(call venv,dashboard,$(DASHBOARD_DIR)/requirements.lock,@$(UV) pip install -q --no-deps --python $(VENV)/dashboard/bin/python -e $(DASHBOARD_DIR)))

TEST_TARGETS += test-dashboard
LINT_TARGETS += lint-dashboard
SETUP_TARGETS += $(VENV)/dashboard/.synced

.PHONY: dashboard lock-dashboard test-dashboard lint-dashboard

# make dashboard [TARGET=local|bigquery] [OUT=data/dashboard.html]
dashboard: $(VENV)/dashboard/.synced ## Rebuild the dashboard HTML from the marts (TARGET=local|bigquery, OUT=data/dashboard.html)
	cd $(ROOT) && $(DASHBOARD_PY) -m caec_dashboard build --target $(or $(TARGET),local) --out $(or $(OUT),$(ROOT)/data/dashboard.html)

lock-dashboard: $(UV) ## Re-pin the dashboard's dependencies (dbt/dashboard/requirements.lock)
	cd $(ROOT) && $(UV) pip compile -q --python-version 3.11 --custom-compile-command "make lock-dashboard" dbt/dashboard/requirements.in -o dbt/dashboard/requirements.lock

test-dashboard: $(VENV)/dashboard/.synced ## Dashboard tests: queries on a DuckDB fixture, BigQuery SQL check, headless Chromium render
	cd $(DASHBOARD_DIR) && $(DASHBOARD_PY) -m pytest -q -rs tests

lint-dashboard: $(VENV)/tools/.synced $(VENV)/dashboard/.synced ## ruff + mypy over dbt/dashboard
	$(RUFF) check $(DASHBOARD_DIR)
	$(RUFF) format --check $(DASHBOARD_DIR)
	cd $(ROOT) && $(MYPY) --config-file $(ROOT)/mypy.ini --python-executable $(DASHBOARD_PY) $(DASHBOARD_DIR)/src/caec_dashboard $(DASHBOARD_DIR)/tests
