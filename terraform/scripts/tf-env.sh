#!/usr/bin/env bash
# terraform in the one root module (terraform/root) for one environment. What makes it that environment:
#   - its own data directory, envs/<env>/.terraform (backend settings and module links of its state),
#     so one environment's state is never planned with another's values;
#   - its state prefix at init: envs/<env>/backend.gcs.tfbackend (the bucket comes as -backend-config);
#   - its values for the commands that take variables: envs/<env>/terraform.tfvars (not for `apply` of
#     a saved plan, which holds them already).
# Every other argument goes to terraform ($TERRAFORM, else terraform on PATH) as given; terraform's exit code is this script's (plan
# -detailed-exitcode works). `make tf-init|tf-plan|tf-apply ENV=<env>`, the workflows and
# `make helm-upgrade` (terraform output) go through here.
#
# Usage: tf-env.sh ENV COMMAND [ARGS...]
#   tf-env.sh dev init -backend-config="bucket=my-project-tfstate"
#   tf-env.sh dev plan -out=tfplan && tf-env.sh dev apply tfplan
#   tf-env.sh prod output -json pii_policy_tag_ids
set -euo pipefail

tf_dir="$(cd "$(dirname "$0")/.." && pwd)"
root="${tf_dir}/root"
if [[ $# -lt 2 ]]; then
  echo "usage: $0 ENV COMMAND [ARGS...]   (ENV: a folder of ${tf_dir}/envs)" >&2
  exit 2
fi
env="$1"
cmd="$2"
shift 2
env_dir="${tf_dir}/envs/${env}"
if [[ ! -f "${env_dir}/terraform.tfvars" || ! -f "${env_dir}/backend.gcs.tfbackend" ]]; then
  echo "!! no environment '${env}': ${env_dir} needs terraform.tfvars and backend.gcs.tfbackend" >&2
  exit 2
fi

export TF_DATA_DIR="${env_dir}/.terraform"
extra=()
case "${cmd}" in
  init)
    extra=("-backend-config=${env_dir}/backend.gcs.tfbackend")
    ;;
  plan | destroy | import | refresh | console)
    extra=("-var-file=${env_dir}/terraform.tfvars")
    ;;
  apply)
    # `apply PLANFILE`: the saved plan carries the variables (terraform refuses -var-file with it).
    last="${*: -1}"
    if [[ $# -eq 0 || "${last}" == -* || ! -f "${root}/${last}" && ! -f "${last}" ]]; then
      extra=("-var-file=${env_dir}/terraform.tfvars")
    fi
    ;;
esac
exec "${TERRAFORM:-terraform}" -chdir="${root}" "${cmd}" "${extra[@]}" "$@"
