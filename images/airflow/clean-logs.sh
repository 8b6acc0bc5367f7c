#!/usr/bin/env bash
# /clean-logs of caec-airflow: the log-groomer sidecar of the Airflow Helm chart runs `bash /clean-logs`
# with AIRFLOW_HOME, AIRFLOW__LOG_RETENTION_DAYS and AIRFLOW__LOG_CLEANUP_FREQUENCY_MINUTES (the official
# image's settings and defaults). Every interval it deletes task logs older than the retention, then empty
# directories.
set -euo pipefail

logs="${AIRFLOW_HOME:-/opt/airflow}/logs"
retention_days="${AIRFLOW__LOG_RETENTION_DAYS:-15}"
every=$(( ${AIRFLOW__LOG_CLEANUP_FREQUENCY_MINUTES:-15} * 60 ))
trap 'exit 0' INT TERM

echo "clean-logs: every ${every}s, deleting *.log older than ${retention_days} days under $logs"
while true; do
  find "$logs" -type d -name lost+found -prune -o -type f -name '*.log' -mtime +"$retention_days" -delete || true
  find "$logs" -mindepth 1 -type d -empty -delete || true
  # sleep in the background so TERM is handled at once
  sleep "$every" &
  wait $!
done
