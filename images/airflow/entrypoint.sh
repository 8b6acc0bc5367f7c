#!/usr/bin/env bash
# /entrypoint of caec-airflow: the command dispatch of the official apache/airflow image, which the Airflow
# Helm chart relies on (its containers pass `args` only; its probes run `/entrypoint airflow jobs check`):
#   bash ARGS...     -> bash ARGS...        (the chart's default: ["bash", "-c", "exec airflow scheduler"])
#   python ARGS...   -> python ARGS...
#   airflow ARGS...  -> airflow ARGS...     (KubernetesExecutor task pods: ["airflow", "tasks", "run", ...])
#   ARGS...          -> airflow ARGS...     (e.g. `version`, `dags list`)
#   (nothing)        -> airflow --help
# Not carried over: the official image's wait for the metadata database and `_PIP_ADDITIONAL_REQUIREMENTS`
# (the chart's wait-for-airflow-migrations init containers do the waiting; nothing is installed at start).
set -euo pipefail

case "${1:-}" in
  bash | python)
    exec "$@"
    ;;
  airflow)
    shift
    ;;
esac
if [ $# -eq 0 ]; then
  set -- --help
fi
exec airflow "$@"
