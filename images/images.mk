# Container images (images/): caec-spark, caec-dbt, caec-airflow. Built from the repository root with
# docker buildx (Dockerfile-specific .dockerignore files keep each context small), tagged with the git
# sha, pushed to the Artifact Registry repo of the environment (platform.imageRepo from Terraform).
# Package versions inside the images come from the component locks (one source of truth); pins that
# are not packages live in images/pins.env. Tests and lints run in the helm venv (pytest, checkov).
IMAGES_DIR := $(ROOT)/images
include $(IMAGES_DIR)/pins.env

TEST_TARGETS += test-images
LINT_TARGETS += lint-images

DOCKER ?= docker
IMAGE_TAG ?= $(shell git -C $(ROOT) rev-parse --short=12 HEAD 2>/dev/null || echo dev)
IMAGE_PLATFORM ?= linux/amd64
# Registry path: IMAGE_REPO if given, else platform.imageRepo of ENV's platform values, else `caec`
# (local builds, kind). ENV defaults to dev (see helm/helm.mk).
IMAGES_PLATFORM_FILE = $(ROOT)/helm/values/caec-platform/$(or $(ENV),dev).platform.yaml
IMAGES_REPO = $(or $(IMAGE_REPO),$(shell sed -n 's/^ *imageRepo: *//p' $(IMAGES_PLATFORM_FILE) 2>/dev/null | tr -d "\"'"),caec)
# name==version of a lock file.
lock_version = $(shell sed -n 's/^$(1)==//p' $(ROOT)/$(2))
IMAGES := spark dbt airflow
VCS_URL := $(shell git -C $(ROOT) remote get-url origin 2>/dev/null | sed -E 's#^git@([^:]+):#https://\1/#; s#\.git$$##')
BUILD_DATE := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)

# The GCS connector goes into every image bound for a registry (it must then be pinned); a local/kind
# image (IMAGE_REPO without a slash, e.g. `caec`) built before the pin exists goes without it, loudly.
GCS_CONNECTOR ?= $(if $(GCS_CONNECTOR_SHA256),true,$(if $(findstring /,$(IMAGES_REPO)),true,false))
build_args_spark = --build-arg SPARK_VERSION=$(call lock_version,pyspark,spark/requirements.lock) \
	--build-arg GCS_CONNECTOR_VERSION=$(GCS_CONNECTOR_VERSION) --build-arg GCS_CONNECTOR_SHA256=$(GCS_CONNECTOR_SHA256) \
	--build-arg GCS_CONNECTOR=$(GCS_CONNECTOR)
build_args_dbt = --build-arg DBT_CORE_VERSION=$(call lock_version,dbt-core,dbt/requirements.lock)
build_args_airflow = --build-arg AIRFLOW_VERSION=$(call lock_version,apache-airflow,airflow/requirements.lock)
# Every image: its base (BASE_IMAGE empty = the Dockerfiles' default, debian:bookworm-slim from a registry;
# `make images-local` passes its debootstrap stand-in) and the Makefile's uv.
# IMAGE_CA_BUNDLE: a CA bundle file for networks that intercept TLS, handed to the build stages' downloads as
# a BuildKit secret (never stored in an image).
images_comma := ,
build_args_common = $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) --build-arg UV_VERSION=$(UV_VERSION) \
	--build-arg VCS_URL=$(VCS_URL) --build-arg VCS_REF=$(IMAGE_TAG) --build-arg BUILD_DATE=$(BUILD_DATE) \
	$(if $(IMAGE_CA_BUNDLE),--secret id=ca-bundle$(images_comma)src=$(IMAGE_CA_BUNDLE))
# The build command: buildx (GitHub, laptops with Docker Desktop). `make images-local` passes Debian's
# docker.io CLI with its built-in BuildKit when the CLI has no buildx, and --network host (no bridge there).
DOCKER_BUILD ?= $(DOCKER) buildx build --load
IMAGE_BUILD_FLAGS ?=

.PHONY: images images-local push test-images lint-images pin-gcs-connector $(addprefix image-,$(IMAGES))

images: $(addprefix image-,$(IMAGES)) ## Build caec-spark/dbt/airflow with docker buildx, tagged <IMAGE_REPO>/caec-*:<git sha>
	@echo ">> images built: $(foreach i,$(IMAGES),$(IMAGES_REPO)/caec-$(i):$(IMAGE_TAG))"

$(addprefix image-,$(IMAGES)): image-%:
	@command -v $(DOCKER) >/dev/null || { echo "images: docker not found (needs Docker with buildx)" >&2; exit 1; }
	@if [ "$*" = spark ] && [ "$(GCS_CONNECTOR)" = true ] && [ -z "$(GCS_CONNECTOR_SHA256)" ]; then \
	  echo "images: $(IMAGES_REPO) is a registry, so caec-spark needs the GCS connector, but GCS_CONNECTOR_SHA256 is empty in images/pins.env; run 'make pin-gcs-connector' (needs Maven Central) and commit it" >&2; exit 1; fi
	@if [ "$*" = spark ] && [ "$(GCS_CONNECTOR)" = false ]; then \
	  echo "!! images: caec-spark for $(IMAGES_REPO) WITHOUT the GCS connector (local/kind use only; pin it with 'make pin-gcs-connector')" >&2; fi
	@echo ">> building $(IMAGES_REPO)/caec-$*:$(IMAGE_TAG)"
	$(DOCKER_BUILD) --platform $(IMAGE_PLATFORM) $(IMAGE_BUILD_FLAGS) \
	  -f $(IMAGES_DIR)/$*/Dockerfile $(build_args_$*) $(build_args_common) \
	  -t $(IMAGES_REPO)/caec-$*:$(IMAGE_TAG) $(ROOT)

push: ## Push the three images to the environment's Artifact Registry (platform.imageRepo of ENV, or IMAGE_REPO)
	@case "$(IMAGES_REPO)" in *.pkg.dev/*|*/*) ;; *) echo "push: '$(IMAGES_REPO)' is not a registry path; set ENV=<env> with a platform file or IMAGE_REPO=<region>-docker.pkg.dev/<project>/<repo>" >&2; exit 1;; esac
	@for i in $(IMAGES); do echo ">> pushing $(IMAGES_REPO)/caec-$$i:$(IMAGE_TAG)"; $(DOCKER) push $(IMAGES_REPO)/caec-$$i:$(IMAGE_TAG); done

# Records the sha256 of the shaded GCS connector jar into images/pins.env (trust on first use, reviewed
# in the PR); Maven verifies the repository's own checksums on the way (--strict-checksums).
pin-gcs-connector: ## Download the GCS connector once (Docker + Maven Central) and record its sha256 in images/pins.env
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(DOCKER) run --rm -v "$$tmp:/out" maven:3.9.9-eclipse-temurin-17 mvn --batch-mode --quiet --strict-checksums \
	  dependency:copy -Dartifact=com.google.cloud.bigdataoss:gcs-connector:$(GCS_CONNECTOR_VERSION):jar:shaded -DoutputDirectory=/out && \
	sha=$$(sha256sum "$$tmp/gcs-connector-$(GCS_CONNECTOR_VERSION)-shaded.jar" | cut -d' ' -f1) && \
	sed -i "s/^GCS_CONNECTOR_SHA256=.*/GCS_CONNECTOR_SHA256=$$sha/" $(IMAGES_DIR)/pins.env && \
	echo ">> images/pins.env: GCS_CONNECTOR_SHA256=$$sha (gcs-connector $(GCS_CONNECTOR_VERSION))"

test-images: $(VENV)/helm/.synced ## Image tests: versions agree with the locks, Dockerfile rules, .dockerignore coverage
	cd $(IMAGES_DIR) && $(VENV)/helm/bin/python -m pytest -q -p no:cacheprovider tests --ignore=tests/test_images_docker.py

# Builds need a Docker engine, which this target starts when none answers (root + dockerd) and stops after;
# the bases come from debootstrap (no registry needed). Sizes and build times: .out/images/smoke.json.
images-local: $(VENV)/helm/.synced $(VENV)/spark/.synced ## Build the three images here (local Debian base, Docker engine started if needed) and smoke-test them
	cd $(IMAGES_DIR) && DOCKER=$(DOCKER) CAEC_SPARK_PYTHON=$(VENV)/spark/bin/python \
	  $(VENV)/helm/bin/python -m pytest -v -rs -p no:cacheprovider tests/test_images_docker.py
	@test ! -f $(ROOT)/.out/images/smoke.json || { echo ">> images: sizes (MB), build times (s), bases"; cat $(ROOT)/.out/images/smoke.json; }

lint-images: $(VENV)/helm/.synced $(VENV)/tools/.synced ## Static Dockerfile lint: hadolint-equivalent rules (images/tests), checkov's Dockerfile checks, ruff/mypy
	cd $(IMAGES_DIR) && $(VENV)/helm/bin/python -m pytest -q tests/test_dockerfile_lint.py
	$(VENV)/helm/bin/checkov --config-file $(IMAGES_DIR)/.checkov.yaml $(foreach i,$(IMAGES),-f $(IMAGES_DIR)/$(i)/Dockerfile)
	$(RUFF) check $(IMAGES_DIR)
	$(RUFF) format --check $(IMAGES_DIR)
	cd $(ROOT) && $(MYPY) --config-file $(ROOT)/mypy.ini --python-executable $(VENV)/helm/bin/python $(IMAGES_DIR)/tests $(IMAGES_DIR)/spark/main.py
