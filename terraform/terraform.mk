# Terraform component: GCP modules, the one root module (terraform/root) every environment applies with
# its own values (terraform/envs/<env>: terraform.tfvars + backend.gcs.tfbackend), the names module that
# is the one source of truth for physical names, and the governance doc generated from the HCL.
#
# What runs here (offline) and what only where the google provider can be downloaded (GitHub CI):
#   here:      terraform fmt, checkov, pytest over the HCL, `terraform apply` of the provider-free
#              names module (writes the Helm platform values), governance doc generation
#   GitHub CI: terraform init/validate of the root, `terraform test` with mock providers
TF_DIR := $(ROOT)/terraform
TF_PY := $(VENV)/terraform/bin/python
TF_ENVS := dev prod
# The google provider cannot be downloaded on every machine; CI sets TF_REQUIRE_PROVIDER=1 so a failed
# download fails the job there instead of skipping.
TF_REQUIRE_PROVIDER ?= $(if $(GITHUB_ACTIONS),1,0)
export CHECKPOINT_DISABLE := 1
$(eval $(call venv,terraform,$(TF_DIR)/requirements.lock))

TEST_TARGETS += test-terraform
LINT_TARGETS += lint-terraform
SETUP_TARGETS += $(VENV)/terraform/.synced

.PHONY: lock-terraform test-terraform lint-terraform tf-fmt tf-validate tf-test platform-values governance-doc \
	tf-init tf-plan tf-apply tf-check-env

lock-terraform: $(UV) ## Re-pin the Terraform checks' dependencies (terraform/requirements.lock)
	cd $(ROOT) && $(UV) pip compile -q --python-version 3.11 --custom-compile-command "make lock-terraform" terraform/requirements.in -o terraform/requirements.lock

# The KSA <-> Workload Identity tests render our chart when helm is there: install the Helm component's
# pinned helm first when that component exists (the tests skip with a message otherwise).
TF_TEST_DEPS := $(if $(wildcard $(ROOT)/helm/helm.mk),helm-tool)

test-terraform: $(VENV)/terraform/.synced $(TF_TEST_DEPS) ## Offline Terraform tests: HCL rules, WI bindings vs Helm KSAs, names drift, governance doc drift
	cd $(TF_DIR) && $(TF_PY) -m pytest -q tests

lint-terraform: $(VENV)/terraform/.synced $(VENV)/tools/.synced ## terraform fmt -check + checkov (zero failed checks) + shellcheck + ruff/mypy over terraform/
	terraform -chdir=$(TF_DIR) fmt -check -recursive -diff
	$(VENV)/terraform/bin/checkov --config-file $(TF_DIR)/.checkov.yaml --directory $(TF_DIR)
	$(VENV)/terraform/bin/shellcheck $(TF_DIR)/scripts/*.sh
	$(RUFF) check $(TF_DIR)
	$(RUFF) format --check $(TF_DIR)
	cd $(ROOT) && $(MYPY) --config-file $(ROOT)/mypy.ini --python-executable $(TF_PY) $(TF_DIR)/scripts $(TF_DIR)/tests

tf-fmt: ## Rewrite every .tf/.tfvars/.tftest.hcl file in canonical terraform format
	terraform -chdir=$(TF_DIR) fmt -recursive

tf-validate: ## terraform init -backend=false + validate of the root module (skips with a message when the google provider cannot be downloaded)
	@TF_REQUIRE_PROVIDER=$(TF_REQUIRE_PROVIDER) $(TF_DIR)/scripts/tf-provider-check.sh validate $(TF_DIR)/root

tf-test: ## terraform test with mock providers for every module with tests/ (skips with a message when the provider cannot be downloaded)
	@TF_REQUIRE_PROVIDER=$(TF_REQUIRE_PROVIDER) $(TF_DIR)/scripts/tf-provider-check.sh test $(sort $(patsubst %/tests/,%,$(dir $(wildcard $(TF_DIR)/modules/*/tests/*.tftest.hcl))))

# make platform-values ENV=dev   (ENV=all writes every environment)
platform-values: $(VENV)/terraform/.synced ## Evaluate the names module (real terraform, offline) and write helm/values/caec-platform/<ENV>.platform.yaml
	@test -n "$(ENV)" || { echo "usage: make platform-values ENV=<$(subst $() ,|,$(TF_ENVS))|all>" >&2; exit 2; }
	$(TF_PY) $(TF_DIR)/scripts/platform_values.py $(if $(filter all,$(ENV)),$(TF_ENVS),$(ENV))

governance-doc: $(VENV)/terraform/.synced ## Regenerate docs/governance.md (access matrix) from the Terraform code
	$(TF_PY) $(TF_DIR)/scripts/governance.py --write

# terraform/root for one environment (scripts/tf-env.sh: its data dir, state prefix and tfvars).
# make tf-init ENV=dev TF_STATE_BUCKET=<project>-tfstate; make tf-plan ENV=dev [TF_ARGS=-out=tfplan]
TF_ENV_CMD = $(TF_DIR)/scripts/tf-env.sh $(ENV)
tf-check-env:
	@case " $(TF_ENVS) " in *" $(ENV) "*) ;; *) echo "usage: make $(MAKECMDGOALS) ENV=<$(subst $() ,|,$(TF_ENVS))>" >&2; exit 2;; esac

tf-init: tf-check-env ## terraform init of terraform/root with ENV's state (ENV=dev|prod TF_STATE_BUCKET=<project>-tfstate)
	@test -n "$(TF_STATE_BUCKET)" || { echo "set TF_STATE_BUCKET=<the GCS bucket holding Terraform state>" >&2; exit 2; }
	$(TF_ENV_CMD) init -input=false -backend-config="bucket=$(TF_STATE_BUCKET)" $(TF_ARGS)

tf-plan: tf-check-env ## terraform plan of ENV (terraform/root with envs/ENV/terraform.tfvars; TF_ARGS=... passed on)
	$(TF_ENV_CMD) plan $(TF_ARGS)

tf-apply: tf-check-env ## terraform apply of ENV (terraform/root with envs/ENV/terraform.tfvars; TF_ARGS=... passed on)
	$(TF_ENV_CMD) apply $(TF_ARGS)
