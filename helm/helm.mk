# Helm (helm/): our chart helm/caec-platform, values for the upstream Airflow and Spark Operator charts
# (helm/values/<chart>/<env>.yaml), pinned chart versions (helm/charts.env) and the deploy targets.
# Venv .venv/helm: pytest, jsonschema, kubernetes-validate (offline Kubernetes OpenAPI schemas), checkov,
# shellcheck. helm itself: a pinned binary installed by helm/install-helm.sh into .tools/bin/helm.
HELM_DIR := $(ROOT)/helm
HELM_PY := $(VENV)/helm/bin/python
$(eval $(call venv,helm,$(HELM_DIR)/requirements.lock))
include $(HELM_DIR)/charts.env

TEST_TARGETS += test-helm
LINT_TARGETS += lint-helm
SETUP_TARGETS += $(VENV)/helm/.synced

# The helm binary: our pinned one unless the caller passes HELM=/path/to/helm.
HELM_PINNED := $(ROOT)/.tools/bin/helm
HELM ?= $(HELM_PINNED)
KUBECTL ?= kubectl
ENV ?= dev
IMAGE_TAG ?= $(shell git -C $(ROOT) rev-parse --short=12 HEAD 2>/dev/null || echo dev)
IMAGE_REPO ?=
KUBE_CONTEXT ?=
# auto: render/diff the upstream charts when their repos are reachable, warn otherwise; 1: require; 0: skip.
UPSTREAM ?= auto
HELM_TIMEOUT ?= 15m
# PII policy tag ids (CAEC_BQ_POLICY_TAGS) exist only after `terraform apply`, so they are read at deploy
# time from the environment's Terraform state; POLICY_TAGS_JSON='{"pseudonymous_id": "projects/..."}' overrides (CI:
# a GitHub variable; no state at hand). An ENV without a Terraform root (kind, example) gets none.
TERRAFORM ?= terraform
POLICY_TAGS_JSON ?=
# An environment with Terraform has envs/<env>/terraform.tfvars; its state is read through
# terraform/scripts/tf-env.sh (terraform/root with that environment's data dir).
TF_ENV_VALUES = $(ROOT)/terraform/envs/$(ENV)/terraform.tfvars
POLICY_TAGS_CMD = $(if $(POLICY_TAGS_JSON),printf '%s' '$(POLICY_TAGS_JSON)',$(if $(wildcard $(TF_ENV_VALUES)),TERRAFORM=$(TERRAFORM) $(ROOT)/terraform/scripts/tf-env.sh $(ENV) output -json pii_policy_tag_ids,echo '{}'))

PLATFORM_RELEASE := caec-platform
PLATFORM_NS := caec-airflow
AIRFLOW_RELEASE := airflow
AIRFLOW_NS := caec-airflow
SPARK_OPERATOR_RELEASE := spark-operator
SPARK_OPERATOR_NS := spark-operator
HELM_VALUES := $(HELM_DIR)/values
HELM_OUT := $(ROOT)/.out/helm/$(ENV)
PLATFORM_FILE := $(HELM_VALUES)/caec-platform/$(ENV).platform.yaml
CTX_FLAG = $(if $(KUBE_CONTEXT),--kube-context $(KUBE_CONTEXT))
KCTX_FLAG = $(if $(KUBE_CONTEXT),--context $(KUBE_CONTEXT))
# Helm 4 renamed --atomic to --rollback-on-failure; support both majors.
HELM_ATOMIC = $(shell $(HELM) version --template '{{.Version}}' 2>/dev/null | grep -q '^v3' && echo --atomic || echo --rollback-on-failure)
# -f flags per release: base -> env -> generated overlay (only files that exist).
opt_values = $(foreach f,$(1),$(if $(wildcard $(f)),-f $(f)))
PLATFORM_VALUES = -f $(PLATFORM_FILE) $(call opt_values,$(HELM_VALUES)/caec-platform/$(ENV).yaml) -f $(HELM_OUT)/caec-platform.overlay.yaml
AIRFLOW_VALUES = $(call opt_values,$(HELM_VALUES)/airflow/base.yaml $(HELM_VALUES)/airflow/$(ENV).yaml) -f $(HELM_OUT)/airflow.overlay.yaml
SPARK_OPERATOR_VALUES = $(call opt_values,$(HELM_VALUES)/spark-operator/base.yaml $(HELM_VALUES)/spark-operator/$(ENV).yaml)
# Charts: a pulled archive in .tools/charts (make helm-pull-charts) or straight from the pinned repo.
AIRFLOW_CHART_REF = $(or $(wildcard $(ROOT)/.tools/charts/$(AIRFLOW_CHART_NAME)-$(AIRFLOW_CHART_VERSION).tgz),$(AIRFLOW_CHART_NAME) --repo $(AIRFLOW_CHART_REPO_URL) --version $(AIRFLOW_CHART_VERSION))
SPARK_OPERATOR_CHART_REF = $(or $(wildcard $(ROOT)/.tools/charts/$(SPARK_OPERATOR_CHART_NAME)-$(SPARK_OPERATOR_CHART_VERSION).tgz),$(SPARK_OPERATOR_CHART_NAME) --repo $(SPARK_OPERATOR_CHART_REPO_URL) --version $(SPARK_OPERATOR_CHART_VERSION))

.PHONY: lock-helm test-helm lint-helm helm-tool helm-overlays helm-template helm-diff helm-upgrade \
	helm-pull-charts helm-diff-plugin

$(HELM_PINNED): $(HELM_DIR)/install-helm.sh
	@$(HELM_DIR)/install-helm.sh $(ROOT)/.tools
	@touch $@

helm-tool: $(if $(filter $(HELM_PINNED),$(HELM)),$(HELM_PINNED)) ## Install the pinned helm binary into .tools/bin/helm (helm/install-helm.sh)

lock-helm: $(UV) ## Re-pin the Helm test tools (helm/requirements.lock)
	cd $(ROOT) && $(UV) pip compile -q --python-version 3.11 --custom-compile-command "make lock-helm" helm/requirements.in -o helm/requirements.lock

# The airflow venv too: the resource-fit and validation tests build the SparkApplication and dbt pod with
# the DAG's own code (python -m caec_airflow.k8s_operators).
test-helm: $(VENV)/helm/.synced $(VENV)/airflow/.synced helm-tool ## helm lint/template per env, the three releases rendered and validated, values keys, resource fit
	cd $(HELM_DIR) && HELM=$(HELM) KUBE_VERSION=$(KUBE_VERSION) $(HELM_PY) -m pytest -q tests

lint-helm: $(VENV)/helm/.synced $(VENV)/tools/.synced helm-tool ## helm lint --strict of caec-platform for every env; shellcheck; ruff/mypy of helm/
	@for f in $(HELM_VALUES)/caec-platform/*.platform.yaml; do \
	  env=$$(basename $$f .platform.yaml); \
	  extra=$$( [ -f $(HELM_VALUES)/caec-platform/$$env.yaml ] && echo "-f $(HELM_VALUES)/caec-platform/$$env.yaml" ); \
	  echo ">> helm lint caec-platform ENV=$$env"; \
	  $(HELM) lint --strict --quiet $(HELM_DIR)/caec-platform -f $$f $$extra; \
	done
	@rm -rf $(ROOT)/.out/helm/checkov && mkdir -p $(ROOT)/.out/helm/checkov
	@for f in $(HELM_VALUES)/caec-platform/*.platform.yaml; do \
	  env=$$(basename $$f .platform.yaml); \
	  extra=$$( [ -f $(HELM_VALUES)/caec-platform/$$env.yaml ] && echo "-f $(HELM_VALUES)/caec-platform/$$env.yaml" ); \
	  $(HELM) template $(PLATFORM_RELEASE) $(HELM_DIR)/caec-platform -n $(PLATFORM_NS) -f $$f $$extra > $(ROOT)/.out/helm/checkov/$$env.yaml; \
	done
	@echo ">> checkov (kubernetes) over the rendered caec-platform of every env"
	$(VENV)/helm/bin/checkov --quiet --compact --skip-download --framework kubernetes -d $(ROOT)/.out/helm/checkov
	$(VENV)/helm/bin/shellcheck $(HELM_DIR)/install-helm.sh
	$(RUFF) check $(HELM_DIR)
	$(RUFF) format --check $(HELM_DIR)
	cd $(ROOT) && $(MYPY) --config-file $(ROOT)/mypy.ini --python-executable $(HELM_PY) $(HELM_DIR)/scripts $(HELM_DIR)/tests $(HELM_DIR)/caec-platform/files

# The venv is synced from inside the recipe with its chatter on stderr: helm-template's stdout is YAML only.
# terraform's stdout is captured (the JSON); its stderr says why when there is no state.
helm-overlays:
	@$(MAKE) -s $(VENV)/helm/.synced >&2
	@tags=$$($(POLICY_TAGS_CMD)) || { echo "helm-overlays: no PII policy tag ids for ENV=$(ENV): the Terraform output pii_policy_tag_ids of ENV=$(ENV)'s state is unavailable (run 'make tf-init ENV=$(ENV) TF_STATE_BUCKET=...' and 'make tf-apply ENV=$(ENV)'), or pass POLICY_TAGS_JSON='<that output as JSON>'" >&2; exit 1; }; \
	$(HELM_PY) $(HELM_DIR)/scripts/overlay.py --platform $(PLATFORM_FILE) --out-dir $(HELM_OUT) \
	  --image-tag $(IMAGE_TAG) $(if $(IMAGE_REPO),--image-repo $(IMAGE_REPO)) --policy-tags-json "$$tags"

# Prints YAML only on stdout (progress goes to stderr), so it can be piped into validators.
helm-template: helm-tool helm-overlays ## Render all three releases for ENV (upstream charts when reachable): make helm-template ENV=dev
	@echo ">> [helm] rendering $(PLATFORM_RELEASE) for ENV=$(ENV)" >&2
	@$(HELM) template $(PLATFORM_RELEASE) $(HELM_DIR)/caec-platform -n $(PLATFORM_NS) --kube-version $(KUBE_VERSION) $(PLATFORM_VALUES)
	@if [ "$(UPSTREAM)" != 0 ]; then \
	  for r in spark-operator airflow; do \
	    if [ $$r = airflow ]; then \
	      cmd="$(HELM) template $(AIRFLOW_RELEASE) $(AIRFLOW_CHART_REF) -n $(AIRFLOW_NS) --kube-version $(KUBE_VERSION) $(AIRFLOW_VALUES)"; \
	    else \
	      cmd="$(HELM) template $(SPARK_OPERATOR_RELEASE) $(SPARK_OPERATOR_CHART_REF) -n $(SPARK_OPERATOR_NS) --kube-version $(KUBE_VERSION) $(SPARK_OPERATOR_VALUES)"; \
	    fi; \
	    echo ">> [helm] rendering $$r for ENV=$(ENV)" >&2; \
	    out=$$($$cmd 2>$(HELM_OUT)/$$r.err) && { echo "---"; echo "$$out"; } || { \
	      if [ "$(UPSTREAM)" = 1 ]; then cat $(HELM_OUT)/$$r.err >&2; exit 1; fi; \
	      echo "!! [helm] could not render $$r (chart repo unreachable?): $$(tail -n1 $(HELM_OUT)/$$r.err). Rendered caec-platform only; UPSTREAM=1 makes this fatal." >&2; }; \
	  done; \
	fi

helm-diff: helm-tool helm-overlays ## Diff the three releases against the cluster (needs the helm-diff plugin): make helm-diff ENV=dev
	@$(HELM) plugin list 2>/dev/null | grep -q '^diff' || { echo "helm-diff: the diff plugin is missing; run 'make helm-diff-plugin'" >&2; exit 1; }
	$(HELM) diff upgrade $(CTX_FLAG) --allow-unreleased -n $(PLATFORM_NS) $(PLATFORM_RELEASE) $(HELM_DIR)/caec-platform $(PLATFORM_VALUES)
	$(HELM) diff upgrade $(CTX_FLAG) --allow-unreleased -n $(SPARK_OPERATOR_NS) $(SPARK_OPERATOR_RELEASE) $(SPARK_OPERATOR_CHART_REF) $(SPARK_OPERATOR_VALUES)
	$(HELM) diff upgrade $(CTX_FLAG) --allow-unreleased -n $(AIRFLOW_NS) $(AIRFLOW_RELEASE) $(AIRFLOW_CHART_REF) $(AIRFLOW_VALUES)

helm-diff-plugin: helm-tool ## Install the pinned helm-diff plugin (needs internet)
	$(HELM) plugin install $(HELM_DIFF_PLUGIN_URL) --version $(HELM_DIFF_PLUGIN_VERSION) \
	  $(shell $(HELM) version --template '{{.Version}}' | grep -q '^v3' || echo --verify=false)

helm-pull-charts: helm-tool ## Download the pinned upstream charts into .tools/charts (offline rendering later)
	@mkdir -p $(ROOT)/.tools/charts
	$(HELM) pull $(AIRFLOW_CHART_NAME) --repo $(AIRFLOW_CHART_REPO_URL) --version $(AIRFLOW_CHART_VERSION) -d $(ROOT)/.tools/charts
	$(HELM) pull $(SPARK_OPERATOR_CHART_NAME) --repo $(SPARK_OPERATOR_CHART_REPO_URL) --version $(SPARK_OPERATOR_CHART_VERSION) -d $(ROOT)/.tools/charts

# Order matters: caec-platform makes the namespaces, KSAs, ConfigMaps and PriorityClass the other two
# use; the Spark Operator must exist before Airflow submits SparkApplications.
helm-upgrade: helm-tool helm-overlays ## helm upgrade --install (atomic, wait) caec-platform, Spark Operator, Airflow: make helm-upgrade ENV=dev
	@echo ">> [helm] release namespace $(PLATFORM_NS), adoptable by the $(PLATFORM_RELEASE) release"
	$(KUBECTL) $(KCTX_FLAG) create namespace $(PLATFORM_NS) --dry-run=client -o yaml \
	  | $(KUBECTL) $(KCTX_FLAG) label --local -f - -o yaml app.kubernetes.io/managed-by=Helm \
	  | $(KUBECTL) $(KCTX_FLAG) annotate --local -f - -o yaml meta.helm.sh/release-name=$(PLATFORM_RELEASE) meta.helm.sh/release-namespace=$(PLATFORM_NS) \
	  | $(KUBECTL) $(KCTX_FLAG) apply -f -
	$(HELM) upgrade --install $(CTX_FLAG) $(PLATFORM_RELEASE) $(HELM_DIR)/caec-platform -n $(PLATFORM_NS) \
	  $(HELM_ATOMIC) --wait --timeout $(HELM_TIMEOUT) $(PLATFORM_VALUES)
	$(HELM) upgrade --install $(CTX_FLAG) $(SPARK_OPERATOR_RELEASE) $(SPARK_OPERATOR_CHART_REF) -n $(SPARK_OPERATOR_NS) \
	  $(HELM_ATOMIC) --wait --timeout $(HELM_TIMEOUT) $(SPARK_OPERATOR_VALUES)
	$(HELM) upgrade --install $(CTX_FLAG) $(AIRFLOW_RELEASE) $(AIRFLOW_CHART_REF) -n $(AIRFLOW_NS) \
	  $(HELM_ATOMIC) --wait --timeout $(HELM_TIMEOUT) $(AIRFLOW_VALUES)
	@echo ">> [helm] ENV=$(ENV) upgraded (images tag $(IMAGE_TAG)); verify with: helm test $(PLATFORM_RELEASE) -n $(PLATFORM_NS) $(CTX_FLAG)"
