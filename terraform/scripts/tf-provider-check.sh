#!/usr/bin/env bash
# Run `terraform validate` or `terraform test` in each given directory, which needs the google provider.
# Where the provider cannot be downloaded (this project's offline build machines) the command reports
# SKIPPED with the reason and exits 0, unless TF_REQUIRE_PROVIDER=1 (set in GitHub CI), where a failed
# download is a failure. Every other error (invalid HCL, failing assertions) always fails.
#
# Usage: tf-provider-check.sh validate|test DIR [DIR ...]
set -euo pipefail

mode="${1:-}"; shift || true
if [[ "${mode}" != "validate" && "${mode}" != "test" ]] || [[ $# -eq 0 ]]; then
  echo "usage: $0 validate|test DIR [DIR ...]" >&2
  exit 2
fi
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
require="${TF_REQUIRE_PROVIDER:-0}"

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
# One plugin cache for all directories: the provider is downloaded once per run.
export TF_PLUGIN_CACHE_DIR="${TF_PLUGIN_CACHE_DIR:-${work}/plugin-cache}"
mkdir -p "${TF_PLUGIN_CACHE_DIR}"

for dir in "$@"; do
  name="${dir#"$(cd "$(dirname "$0")/.." && pwd)"/}"
  data="${work}/$(echo "${name}" | tr '/' '_')"
  log="${data}.init.log"
  [[ -n "${TF_PROVIDER_CHECK_KEEP_LOG:-}" ]] && log="${TF_PROVIDER_CHECK_KEEP_LOG}"
  echo ">> [terraform] ${mode} ${name}"
  # Plugins and module links go to a temp dir; -backend=false: validation needs no state.
  if ! TF_DATA_DIR="${data}" terraform -chdir="${dir}" init -backend=false -input=false -no-color >"${log}" 2>&1; then
    if grep -qiE 'Failed to query available provider packages|could not connect|Failed to install provider|no such host|dial tcp|i/o timeout|registry service is unreachable' "${log}"; then
      if [[ "${require}" == "1" ]]; then
        cat "${log}" >&2
        echo "!! [terraform] the google provider could not be downloaded and TF_REQUIRE_PROVIDER=1" >&2
        exit 1
      fi
      echo "   SKIPPED: the google provider cannot be downloaded on this machine (no access to the Terraform"
      echo "   registry); \`terraform ${mode}\` runs in GitHub CI (.github/workflows), where it can."
      continue
    fi
    cat "${log}" >&2
    echo "!! [terraform] init failed in ${name} (not a download problem; see above)" >&2
    exit 1
  fi
  if [[ "${mode}" == "validate" ]]; then
    TF_DATA_DIR="${data}" terraform -chdir="${dir}" validate -no-color
  else
    TF_DATA_DIR="${data}" terraform -chdir="${dir}" test -no-color
  fi
done
