"""Alerts that reach a person: an Airflow notifier on task failure, DQ-gate failure and publish.

``CaecAlertNotifier`` is the tasks' ``on_failure_callback`` (and the publish task's
``on_success_callback``). It builds one JSON payload — dag, task, run, logical date, try, error and, for
the DQ gate, the failing checks — and hands it to the sinks configured in the environment, read when the
callback runs (never at DAG import), like every other setting:

* ``CAEC_ALERT_WEBHOOK_URL``: failures are POSTed there as JSON. The payload's ``text`` field is the
  one-line summary Slack and Google Chat incoming webhooks display; other receivers read the fields.
  On GKE it comes from the ``caec-pipeline-secrets`` Secret (a webhook URL is a credential).
  ``https://`` only, except ``http://`` to a loopback host (a local receiver or a test).
* ``CAEC_ALERT_LOG_FILE``: every event (failures and ``published``) is appended as one JSON line.
  Locally a file to read or tail; on GKE ``/proc/1/fd/1`` — the container's own stdout, which Cloud
  Logging collects (task logs go to GCS, not to stdout) — where the log-based metrics of
  terraform/modules/monitoring count the ``caec_alert`` field (docs/monitoring.md).

Both unset: no alert (the default of a laptop run). A failing sink is logged and never fails the task.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from airflow.sdk import BaseNotifier

from caec_airflow.gate import DQGateFailed, run_fields, window_fields

log = logging.getLogger(__name__)

WEBHOOK_ENV = "CAEC_ALERT_WEBHOOK_URL"
LOG_FILE_ENV = "CAEC_ALERT_LOG_FILE"
# Values of the payload's ``caec_alert`` field; the log-based metrics filter on them.
TASK_FAILED = "task_failed"
DQ_GATE_FAILED = "dq_gate_failed"
PUBLISHED = "published"
# Only failures page a person; ``published`` is for the freshness metric (log sink) only.
PAGING_EVENTS = frozenset({TASK_FAILED, DQ_GATE_FAILED})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
WEBHOOK_TIMEOUT_S = 10.0
# Long tracebacks in chat are noise; the full error is in the task log the payload points to.
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class AlertSinks:
    """Where alerts go: a webhook (failures) and/or a JSON-lines file (every event); None = off."""

    webhook_url: str | None = None
    log_file: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AlertSinks:
        """Read ``CAEC_ALERT_WEBHOOK_URL`` / ``CAEC_ALERT_LOG_FILE``; a bad URL fails with the fix."""
        env = os.environ if env is None else env
        url = (env.get(WEBHOOK_ENV) or "").strip() or None
        if url is not None:
            check_webhook_url(url)
        return cls(webhook_url=url, log_file=(env.get(LOG_FILE_ENV) or "").strip() or None)


def check_webhook_url(url: str) -> None:
    """https, or http to a loopback host: an alert payload names runs and errors, keep it off the wire."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return
    raise ValueError(
        f"{WEBHOOK_ENV} must be an https:// URL (http:// only to 127.0.0.1/localhost), got "
        f"{parts.scheme or 'no'} scheme: fix the value in the caec-pipeline-secrets Secret"
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime | date) else None


def alert_event(context: Mapping[str, Any]) -> str:
    """``dq_gate_failed`` / ``task_failed`` for a failure (by the exception), else ``published``."""
    error = context.get("exception")
    if error is None:
        return PUBLISHED
    return DQ_GATE_FAILED if isinstance(error, DQGateFailed) else TASK_FAILED


def alert_payload(context: Mapping[str, Any], *, env_name: str | None = None) -> dict[str, Any]:
    """The alert for one callback context: who failed (or published) what, when, and why."""
    event = alert_event(context)
    fields = run_fields(context)
    error = context.get("exception")
    ti = context.get("ti") or context.get("task_instance")
    payload: dict[str, Any] = {
        "caec_alert": event,
        # Cloud Logging maps a JSON line's "severity" to the entry's severity.
        "severity": "INFO" if event == PUBLISHED else "ERROR",
        "env": env_name,
        **fields,
        "max_tries": getattr(ti, "max_tries", None),
        "logical_date": _iso(context.get("logical_date")),
        "window": window_fields(context),
        "error": None if error is None else f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS],
        "failed_checks": list(error.failures) if isinstance(error, DQGateFailed) else [],
        "log_url": getattr(ti, "log_url", None),
    }
    payload["text"] = summary(payload)
    return payload


def summary(payload: Mapping[str, Any]) -> str:
    """One line a person can act on (Slack/Chat ``text``)."""
    where = f"{payload['dag_id']}.{payload['task_id']} run {payload['run_id']}"
    env = f"[{payload['env']}] " if payload.get("env") else ""
    window = payload.get("window") or {}
    days = f" days [{window['start']}, {window['end']})" if window else ""
    if payload["caec_alert"] == PUBLISHED:
        return f"{env}CAEC published{days} ({where})"
    if payload["caec_alert"] == DQ_GATE_FAILED:
        checks = "; ".join(payload["failed_checks"]) or payload["error"]
        return f"{env}CAEC data-quality gate FAILED{days} ({where}): {checks}"
    return f"{env}CAEC task FAILED{days} ({where}, try {payload['try_number']}): {payload['error']}"


def append_json_line(path: str, payload: Mapping[str, Any]) -> None:
    """One JSON object per line; a single write so concurrent tasks do not interleave a line."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(payload, default=str, sort_keys=True) + "\n")


def post_json(url: str, payload: Mapping[str, Any], timeout: float = WEBHOOK_TIMEOUT_S) -> int:
    """POST ``payload`` as JSON; the HTTP status (urllib raises on 4xx/5xx)."""
    check_webhook_url(url)
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, default=str).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # scheme checked above
        return int(response.status)


def deliver(payload: Mapping[str, Any], sinks: AlertSinks) -> list[str]:
    """Send to every configured sink; the names of the sinks that failed (logged, never raised)."""
    failed: list[str] = []
    if sinks.log_file:
        try:
            append_json_line(sinks.log_file, payload)
        except OSError:
            log.exception("alert log sink %s failed", sinks.log_file)
            failed.append("log_file")
    if sinks.webhook_url and payload["caec_alert"] in PAGING_EVENTS:
        try:
            post_json(sinks.webhook_url, payload)
        except Exception:  # any network/HTTP error: the task's own outcome must not change
            log.exception("alert webhook failed for %s", payload["caec_alert"])
            failed.append("webhook")
    return failed


class CaecAlertNotifier(BaseNotifier):
    """Task callback: build the payload and deliver it to the sinks of the environment (or ``sinks``)."""

    def __init__(self, sinks: AlertSinks | None = None) -> None:
        super().__init__()
        self.sinks = sinks

    def notify(self, context: Any) -> None:
        try:
            sinks = self.sinks or AlertSinks.from_env()
        except ValueError:
            log.exception("alerts are misconfigured; this alert is lost")
            return
        if sinks.webhook_url is None and sinks.log_file is None:
            return
        deliver(alert_payload(context, env_name=os.environ.get("CAEC_ENV")), sinks)
