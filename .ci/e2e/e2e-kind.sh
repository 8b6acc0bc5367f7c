#!/usr/bin/env bash
# End-to-end test of CAEC on a local Kubernetes (kind) cluster: exactly what .github/workflows/e2e-kind.yml
# runs, and what `make e2e-kind` runs on a laptop with Docker.
#
#   generate one day of raw clickstream  ->  build the three images  ->  kind cluster (+ hostPath volume)
#   ->  kind load images  ->  Spark Operator + Airflow + caec-platform charts with the `kind` values
#   ->  clickstream_daily for that day in kubernetes mode (SparkApplication on the operator, dbt in pods,
#       dbt on DuckDB on the shared volume)  ->  assert the run manifest reconciles and the marts have rows.
#
# On failure it writes pod logs, events and SparkApplication status to $E2E_DIR/diagnostics (CI uploads
# that directory as an artifact). `--dry-run` needs none of docker/kind/kubectl: it prints every step,
# renders the manifests it would apply and validates them offline (this is what `make test-ci` runs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/.ci/e2e"

usage() {
  cat <<EOF
usage: .ci/e2e/e2e-kind.sh [--dry-run] [--keep] [--collect] [--help]

  --dry-run   print the steps, render and validate the manifests; touch no cluster, build nothing
  --keep      keep the kind cluster afterwards (default: delete it on success, keep it on failure)
  --collect   only write the diagnostics of an existing cluster to \$E2E_DIR/diagnostics (CI runs it
              when the job failed or was cancelled, e.g. by its time limit, before uploading them)

environment (defaults in brackets):
  E2E_CLUSTER       kind cluster name [caec-e2e]
  E2E_DIR           work directory: data, rendered manifests, diagnostics [<repo>/.out/e2e]
  E2E_EVENTS        synthetic events to generate for the day [20000]
  E2E_DAY           day label used by --dry-run (a real run uses the generated day) [2026-01-15]
  E2E_TIMEOUT       seconds to wait for the DAG run [1500]
  E2E_PARSE_TIMEOUT seconds to wait for the DAG to be parsed (scheduler trigger) [300]
  E2E_POLL_SECONDS  seconds between DAG run state polls [15]
  HELM_TIMEOUT      limit of each release's helm --wait (make helm-upgrade) [15m]
  E2E_TRIGGER       'test': airflow dags test in the scheduler pod; 'scheduler': unpause + trigger
                    and let the scheduler/KubernetesExecutor run it [test]
  KIND_NODE_IMAGE   kind node image [kindest/node:v1.35.0]
  IMAGE_REPO        image repository prefix loaded into kind [caec]
  IMAGE_TAG         image tag [git sha, short]
  AIRFLOW_RELEASE   Helm release name of Airflow [airflow]
  PLATFORM_RELEASE  Helm release name of helm/caec-platform [caec-platform]
  PLATFORM_RELEASE_NAMESPACE  namespace of that release [caec-airflow]
  PYTHON            python with the .ci requirements (make e2e-kind sets it) [python3]
  HELM, KIND, KUBECTL, DOCKER   tool commands [helm, kind, kubectl, docker]
EOF
}

DRY_RUN=0
KEEP=0
COLLECT_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY_RUN=1 ;;
    --keep) KEEP=1 ;;
    --collect) COLLECT_ONLY=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "e2e-kind: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

# Names from docs/platform-names.md (the naming contract); CLAIM_NAME is CAEC_SHARED_VOLUME_CLAIM.
AIRFLOW_NAMESPACE=caec-airflow
JOBS_NAMESPACE=caec-jobs
SPARK_OPERATOR_NAMESPACE=spark-operator
CLAIM_NAME=caec-data
DAG_ID=clickstream_daily
# Where the host data directory appears on the kind node, and the storage class nobody provisions.
NODE_DATA_DIR=/caec-data
STORAGE_CLASS=caec-e2e-shared
STORAGE_SIZE=5Gi

E2E_CLUSTER="${E2E_CLUSTER:-caec-e2e}"
E2E_DIR="${E2E_DIR:-$ROOT/.out/e2e}"
E2E_EVENTS="${E2E_EVENTS:-20000}"
E2E_DAY="${E2E_DAY:-2026-01-15}"
E2E_TIMEOUT="${E2E_TIMEOUT:-1500}"
E2E_PARSE_TIMEOUT="${E2E_PARSE_TIMEOUT:-300}"
E2E_TRIGGER="${E2E_TRIGGER:-test}"
E2E_POLL_SECONDS="${E2E_POLL_SECONDS:-15}"
KIND_NODE_IMAGE="${KIND_NODE_IMAGE:-kindest/node:v1.35.0}"
IMAGE_REPO="${IMAGE_REPO:-caec}"
IMAGE_TAG="${IMAGE_TAG:-$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo dev)}"
AIRFLOW_RELEASE="${AIRFLOW_RELEASE:-airflow}"
PLATFORM_RELEASE="${PLATFORM_RELEASE:-caec-platform}"
PLATFORM_RELEASE_NAMESPACE="${PLATFORM_RELEASE_NAMESPACE:-caec-airflow}"
PYTHON="${PYTHON:-python3}"
HELM="${HELM:-helm}"
KIND="${KIND:-kind}"
KUBECTL="${KUBECTL:-kubectl}"
DOCKER="${DOCKER:-docker}"
MAKE="${MAKE:-make}"

DATA_DIR="$E2E_DIR/data"
RENDERED="$E2E_DIR/rendered"
DIAG="$E2E_DIR/diagnostics"
IMAGES=(caec-spark caec-dbt caec-airflow)
TOTAL_STEPS=10
STEP=0

case "$E2E_TRIGGER" in test | scheduler) ;; *)
  echo "e2e-kind: E2E_TRIGGER must be 'test' or 'scheduler', got '$E2E_TRIGGER'" >&2; exit 2 ;;
esac

step() {
  STEP=$((STEP + 1))
  printf '\n==> [%d/%d] %s\n' "$STEP" "$TOTAL_STEPS" "$*"
}

# run CMD...: execute, or in --dry-run print what would run.
run() {
  local shown
  shown="$(printf ' %q' "$@")"
  if [ "$DRY_RUN" = 1 ]; then
    printf '    would run:%s\n' "$shown"
  else
    printf '    $%s\n' "$shown"
    "$@"
  fi
}

tool() { "$PYTHON" "$HERE/e2e_tool.py" "$@"; }
kc() { "$KUBECTL" --context "kind-$E2E_CLUSTER" "$@"; }

check_prerequisites() {
  step "prerequisites: docker, kind, kubectl, helm, make, python with the .ci requirements"
  local missing=() t
  for t in "$DOCKER" "$KIND" "$KUBECTL" "$HELM" "$MAKE"; do
    if command -v "$t" >/dev/null 2>&1; then
      printf '    found %-8s %s\n' "$t" "$(command -v "$t")"
    else
      missing+=("$t")
    fi
  done
  if ! "$PYTHON" -c 'import yaml, duckdb, kubernetes_validate' >/dev/null 2>&1; then
    missing+=("python packages (run via 'make e2e-kind', which creates .venv/ci)")
  fi
  if [ "${#missing[@]}" -eq 0 ] && ! "$DOCKER" info >/dev/null 2>&1; then
    missing+=("a running Docker engine ('$DOCKER info' fails)")
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$DRY_RUN" = 1 ]; then
      printf '    (dry run) a real run would stop here, missing: %s\n' "${missing[*]}"
      return 0
    fi
    echo "e2e-kind: missing prerequisites: ${missing[*]}" >&2
    echo "e2e-kind: install Docker, kind (>= v0.31), kubectl and helm (v3.14+ or v4), or run" \
      "'$0 --dry-run' to check the manifests without a cluster. See docs/ci.md." >&2
    exit 3
  fi
}

generate_day() {
  step "generate one day of synthetic raw clickstream into $DATA_DIR/raw"
  if [ "$DRY_RUN" = 1 ]; then
    run "$MAKE" -C "$ROOT" generate EVENTS="$E2E_EVENTS" FORMAT=jsonl SEED=7 OUT="$DATA_DIR/raw" ARGS="--days 1"
    DAY="$E2E_DAY"
    echo "    (dry run) using day $DAY"
    return 0
  fi
  # Empty the directory rather than replace it: a kept cluster bind-mounts this very directory.
  mkdir -p "$DATA_DIR"
  if ! find "$DATA_DIR" -mindepth 1 -delete 2>/dev/null; then
    echo "e2e-kind: cannot empty $DATA_DIR (a previous run's pods wrote it as other users);" \
      "empty it with 'sudo find $DATA_DIR -mindepth 1 -delete' or set E2E_DIR to a new directory" >&2
    exit 1
  fi
  run "$MAKE" -C "$ROOT" generate EVENTS="$E2E_EVENTS" FORMAT=jsonl SEED=7 OUT="$DATA_DIR/raw" ARGS="--days 1"
  DAY="$(tool day "$DATA_DIR/raw")"
  # Pods run as different non-root users (spark, dbt, airflow) and a hostPath volume ignores fsGroup:
  # the top-level directories each of them writes are created here, writable by all. Acceptable for a
  # throwaway test directory, never for real data.
  mkdir -p "$DATA_DIR/staging/manifests" "$DATA_DIR/staging/quarantine" "$DATA_DIR/warehouse"
  chmod -R a+rwX "$DATA_DIR"
  echo "    generated day: $DAY"
}

render_manifests() {
  step "render and validate the manifests (kind config, namespaces, shared-volume PV/PVCs)"
  mkdir -p "$RENDERED"
  local host_data_dir
  host_data_dir="$(mkdir -p "$DATA_DIR" && cd "$DATA_DIR" && pwd)"
  local vars=(
    --var "CLUSTER_NAME=$E2E_CLUSTER" --var "NODE_IMAGE=$KIND_NODE_IMAGE"
    --var "HOST_DATA_DIR=$host_data_dir" --var "NODE_DATA_DIR=$NODE_DATA_DIR"
    --var "AIRFLOW_NAMESPACE=$AIRFLOW_NAMESPACE" --var "JOBS_NAMESPACE=$JOBS_NAMESPACE"
    --var "PLATFORM_RELEASE=$PLATFORM_RELEASE" --var "PLATFORM_RELEASE_NAMESPACE=$PLATFORM_RELEASE_NAMESPACE"
    --var "CLAIM_NAME=$CLAIM_NAME" --var "STORAGE_CLASS=$STORAGE_CLASS" --var "STORAGE_SIZE=$STORAGE_SIZE"
  )
  tool render "$HERE/manifests/kind-cluster.yaml" "$HERE/manifests/namespaces.yaml" \
    "$HERE/manifests/shared-storage.yaml" --out-dir "$RENDERED" "${vars[@]}"
  tool validate "$RENDERED/kind-cluster.yaml" "$RENDERED/namespaces.yaml" "$RENDERED/shared-storage.yaml"
  render_platform_chart
}

# The platform chart's kind values must run the DAG in kubernetes mode on our claim with dbt on DuckDB:
# render it (helm template through the Helm component's target, our chart only: UPSTREAM=0 keeps it
# offline) and check the pipeline ConfigMap against the claim and mount path created here.
render_platform_chart() {
  if ! command -v "$HELM" >/dev/null 2>&1; then
    echo "    helm not found ('$HELM'): skipped rendering the kind releases (make e2e-kind provides it)"
    return 0
  fi
  "$MAKE" -s -C "$ROOT" --no-print-directory helm-template ENV=kind UPSTREAM=0 HELM="$HELM" \
    IMAGE_REPO="$IMAGE_REPO" IMAGE_TAG="$IMAGE_TAG" >"$RENDERED/caec-platform-kind.yaml"
  echo "    rendered helm/caec-platform with the kind values -> $RENDERED/caec-platform-kind.yaml"
  tool validate "$RENDERED/caec-platform-kind.yaml"
  tool check-pipeline-config "$RENDERED/caec-platform-kind.yaml" --claim "$CLAIM_NAME" --data-dir "$NODE_DATA_DIR" \
    --pipeline-src "$ROOT/airflow/pipeline/src"
}

build_images() {
  step "build the three images (${IMAGES[*]}) tagged $IMAGE_REPO/...:$IMAGE_TAG"
  run "$MAKE" -C "$ROOT" images IMAGE_REPO="$IMAGE_REPO" IMAGE_TAG="$IMAGE_TAG"
}

create_cluster() {
  step "kind cluster '$E2E_CLUSTER' ($KIND_NODE_IMAGE) with $DATA_DIR mounted at $NODE_DATA_DIR"
  if [ "$DRY_RUN" = 0 ] && "$KIND" get clusters 2>/dev/null | grep -qx "$E2E_CLUSTER"; then
    echo "    reusing the existing cluster (delete it with: $KIND delete cluster --name $E2E_CLUSTER)"
    return 0
  fi
  run "$KIND" create cluster --name "$E2E_CLUSTER" --config "$RENDERED/kind-cluster.yaml" --wait 180s
}

load_images() {
  step "kind load docker-image (no registry involved)"
  local image
  for image in "${IMAGES[@]}"; do
    run "$KIND" load docker-image "$IMAGE_REPO/$image:$IMAGE_TAG" --name "$E2E_CLUSTER"
  done
}

apply_storage() {
  step "namespaces and the shared volume claim '$CLAIM_NAME' in $JOBS_NAMESPACE and $AIRFLOW_NAMESPACE"
  run "$KUBECTL" --context "kind-$E2E_CLUSTER" apply -f "$RENDERED/namespaces.yaml" -f "$RENDERED/shared-storage.yaml"
  if [ "$DRY_RUN" = 0 ]; then
    local ns
    for ns in "$JOBS_NAMESPACE" "$AIRFLOW_NAMESPACE"; do
      kc -n "$ns" wait --for=jsonpath='{.status.phase}'=Bound "pvc/$CLAIM_NAME" --timeout=60s
    done
  fi
}

install_charts() {
  step "Spark Operator, Airflow and caec-platform with the kind values (make helm-upgrade ENV=kind)"
  run "$MAKE" -C "$ROOT" helm-upgrade ENV=kind HELM="$HELM" KUBE_CONTEXT="kind-$E2E_CLUSTER" \
    IMAGE_REPO="$IMAGE_REPO" IMAGE_TAG="$IMAGE_TAG"
}

airflow_cli() {
  kc -n "$AIRFLOW_NAMESPACE" exec "deploy/$AIRFLOW_RELEASE-scheduler" -c scheduler -- airflow "$@"
}

# Poll the DAGs the metadata DB knows until $DAG_ID is there; on time-out show the import errors.
wait_for_dag_parsed() {
  local waited=0
  while [ "$waited" -lt "$E2E_PARSE_TIMEOUT" ]; do
    if airflow_cli dags list -o plain 2>/dev/null | grep -qw "$DAG_ID"; then
      echo "    $DAG_ID is parsed (${waited}s)"
      return 0
    fi
    sleep "$E2E_POLL_SECONDS"
    waited=$((waited + E2E_POLL_SECONDS))
  done
  echo "e2e-kind: $DAG_ID was not parsed within ${E2E_PARSE_TIMEOUT}s; import errors:" >&2
  airflow_cli dags list-import-errors >&2 || true
  return 1
}

run_dag() {
  step "$DAG_ID for the generated day in kubernetes mode (trigger: $E2E_TRIGGER)"
  local logical="${DAY}T00:00:00+00:00"
  if [ "$DRY_RUN" = 1 ]; then
    if [ "$E2E_TRIGGER" = test ]; then
      run "$KUBECTL" --context "kind-$E2E_CLUSTER" -n "$AIRFLOW_NAMESPACE" exec "deploy/$AIRFLOW_RELEASE-scheduler" -c scheduler -- \
        airflow dags test "$DAG_ID" "$logical"
    else
      echo "    would wait up to ${E2E_PARSE_TIMEOUT}s until 'airflow dags list' shows $DAG_ID"
      run "$KUBECTL" --context "kind-$E2E_CLUSTER" -n "$AIRFLOW_NAMESPACE" exec "deploy/$AIRFLOW_RELEASE-scheduler" -c scheduler -- \
        airflow dags unpause "$DAG_ID"
      run "$KUBECTL" --context "kind-$E2E_CLUSTER" -n "$AIRFLOW_NAMESPACE" exec "deploy/$AIRFLOW_RELEASE-scheduler" -c scheduler -- \
        airflow dags trigger "$DAG_ID" --logical-date "$logical" --run-id "e2e__$DAY"
    fi
    run "$KUBECTL" --context "kind-$E2E_CLUSTER" -n "$AIRFLOW_NAMESPACE" exec "deploy/$AIRFLOW_RELEASE-scheduler" \
      -c scheduler -- airflow dags state "$DAG_ID" "$logical"
    return 0
  fi
  if [ "$E2E_TRIGGER" = test ]; then
    # Airflow's own runner, in the scheduler pod: every task is the real operator, so the
    # SparkApplication is submitted to the Spark Operator and dbt runs in pods in $JOBS_NAMESPACE.
    timeout "$E2E_TIMEOUT" "$KUBECTL" --context "kind-$E2E_CLUSTER" -n "$AIRFLOW_NAMESPACE" \
      exec "deploy/$AIRFLOW_RELEASE-scheduler" -c scheduler -- airflow dags test "$DAG_ID" "$logical"
  else
    # The dag-processor parses the file some time after the pods are ready; `dags unpause` of a DAG
    # not yet in the database fails.
    wait_for_dag_parsed
    airflow_cli dags unpause "$DAG_ID"
    airflow_cli dags trigger "$DAG_ID" --logical-date "$logical" --run-id "e2e__$DAY"
  fi
  local state="" waited=0
  while [ "$waited" -lt "$E2E_TIMEOUT" ]; do
    state="$(airflow_cli dags state "$DAG_ID" "$logical" 2>/dev/null | tail -n 1 | tr -d '[:space:]')" || state=""
    case "$state" in
      success) echo "    DAG run state: success"; return 0 ;;
      failed) echo "e2e-kind: DAG run $DAG_ID $DAY failed" >&2; return 1 ;;
    esac
    sleep "$E2E_POLL_SECONDS"
    waited=$((waited + E2E_POLL_SECONDS))
    echo "    DAG run state: ${state:-unknown} (${waited}s)"
  done
  echo "e2e-kind: DAG run $DAG_ID $DAY did not finish within ${E2E_TIMEOUT}s (state: ${state:-unknown})" >&2
  return 1
}

assert_outputs() {
  step "assert: the run manifest reconciles and every mart has rows"
  run "$PYTHON" "$HERE/e2e_tool.py" check-outputs --data-dir "$DATA_DIR" --day "$DAY"
}

collect_diagnostics() {
  echo "e2e-kind: collecting diagnostics into $DIAG" >&2
  mkdir -p "$DIAG"
  kc get nodes -o wide >"$DIAG/nodes.txt" 2>&1 || true
  kc get all,pvc,pv,configmaps,serviceaccounts -A -o wide >"$DIAG/resources.txt" 2>&1 || true
  kc get events -A --sort-by=.lastTimestamp >"$DIAG/events.txt" 2>&1 || true
  kc get sparkapplications -A -o yaml >"$DIAG/sparkapplications.yaml" 2>&1 || true
  kc describe sparkapplications -A >"$DIAG/sparkapplications-describe.txt" 2>&1 || true
  local ns pod
  for ns in "$AIRFLOW_NAMESPACE" "$JOBS_NAMESPACE" "$SPARK_OPERATOR_NAMESPACE"; do
    kc -n "$ns" describe pods >"$DIAG/$ns-pods-describe.txt" 2>&1 || true
    for pod in $(kc -n "$ns" get pods -o name 2>/dev/null); do
      kc -n "$ns" logs "$pod" --all-containers --prefix >"$DIAG/$ns-${pod#pod/}.log" 2>&1 || true
      kc -n "$ns" logs "$pod" --all-containers --prefix --previous >>"$DIAG/$ns-${pod#pod/}.log" 2>/dev/null || true
    done
  done
  # Airflow task logs (they carry the Spark driver log the operator streams and dbt's output; the
  # SparkApplication and task pods themselves are deleted when their task ends).
  kc -n "$AIRFLOW_NAMESPACE" exec "deploy/$AIRFLOW_RELEASE-scheduler" -c scheduler -- \
    tar -C /opt/airflow/logs -czf - . >"$DIAG/airflow-task-logs.tgz" 2>/dev/null || true
  cp -r "$DATA_DIR/staging/manifests" "$DIAG/run-manifests" 2>/dev/null || true
  cp -r "$RENDERED" "$DIAG/rendered" 2>/dev/null || true
}

on_exit() {
  local rc=$?
  if [ "$DRY_RUN" = 1 ]; then
    exit "$rc"
  fi
  if [ "$rc" -ne 0 ] && [ "$CLUSTER_TOUCHED" = 1 ]; then
    collect_diagnostics
    echo "e2e-kind: FAILED (exit $rc); diagnostics in $DIAG" >&2
    echo "e2e-kind: cluster kept for debugging; delete it with: $KIND delete cluster --name $E2E_CLUSTER" >&2
  elif [ "$rc" -ne 0 ]; then
    echo "e2e-kind: FAILED (exit $rc) before any cluster was touched" >&2
  elif [ "$KEEP" = 0 ] && [ "$CLUSTER_TOUCHED" = 1 ]; then
    "$KIND" delete cluster --name "$E2E_CLUSTER" || true
  fi
  exit "$rc"
}

CLUSTER_TOUCHED=0
DAY="$E2E_DAY"
if [ "$COLLECT_ONLY" = 1 ]; then
  if "$KIND" get clusters 2>/dev/null | grep -qx "$E2E_CLUSTER"; then
    collect_diagnostics
  else
    echo "e2e-kind: no kind cluster '$E2E_CLUSTER': nothing to collect" >&2
  fi
  exit 0
fi
trap on_exit EXIT
# A cancelled CI job (its time limit) signals the script: exit non-zero so on_exit collects diagnostics.
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(date +%s)
[ "$DRY_RUN" = 1 ] && echo "e2e-kind: DRY RUN (nothing is built, created or applied)"
check_prerequisites
generate_day
render_manifests
build_images
CLUSTER_TOUCHED=1
create_cluster
load_images
apply_storage
install_charts
run_dag
assert_outputs
echo
if [ "$DRY_RUN" = 1 ]; then
  echo "e2e-kind: dry run complete: $STEP steps shown, manifests rendered and valid in $RENDERED"
  exit 0
fi
echo "e2e-kind: passed in $(($(date +%s) - started))s (day $DAY, cluster $E2E_CLUSTER, images $IMAGE_REPO/*:$IMAGE_TAG)"
