"""Tasks shared by both modes: the data-quality gate, publish, and failure/notification callbacks.

The gate and publish run in the Airflow worker in both modes: they only read the Spark job's run
manifests (local path or gs://) and write one marker per day, through ``caec_pipeline.dq`` and
``caec_pipeline.publish`` — the same verdict ``make run`` prints.

Notifications are optional: ``CAEC_NOTIFY_CALLBACK=package.module:function`` (read at run time, like
every setting) names a callable that receives one event dict; the DAG factory can also be given one.
A failing notifier is logged, never allowed to fail the pipeline.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from caec_airflow.runtime import load_config, window_of
from caec_pipeline.dq import DQResult, DQThresholds, ManifestError, evaluate_manifests, load_manifests
from caec_pipeline.publish import publish

log = logging.getLogger(__name__)

NOTIFY_ENV = "CAEC_NOTIFY_CALLBACK"
Notifier = Callable[[dict[str, Any]], None]


def resolve_notifier(spec: str) -> Notifier | None:
    """Import ``module:function`` (empty spec: no notifier). A bad spec is an error worth failing on."""
    spec = spec.strip()
    if not spec:
        return None
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"{NOTIFY_ENV}={spec!r}: expected 'package.module:function'")
    target = getattr(importlib.import_module(module_name), attr, None)
    if not callable(target):
        raise ValueError(f"{NOTIFY_ENV}={spec!r}: {attr} is not a callable in {module_name}")
    return target


def notify(event: dict[str, Any], notifier: Notifier | None = None) -> None:
    """Send ``event`` to the factory's notifier or ``CAEC_NOTIFY_CALLBACK``; log, never raise."""
    try:
        target = notifier or resolve_notifier(os.environ.get(NOTIFY_ENV, ""))
        if target is not None:
            target(event)
    except Exception:  # a broken notifier must not turn a good run red (or hide the real failure)
        log.exception("notification callback failed for event %s", event.get("event"))


class DQGateFailed(AirflowFailException):
    """The gate's verdict is "fail": no retry, and the failing checks travel to the alert callback."""

    def __init__(self, message: str, failures: list[str]) -> None:
        super().__init__(message)
        self.failures = list(failures)


def run_fields(context: Mapping[str, Any]) -> dict[str, Any]:
    """dag, task, run and try of a task context (the identity every notification carries)."""
    ti = context.get("ti") or context.get("task_instance")
    return {
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": context.get("run_id"),
        "try_number": getattr(ti, "try_number", None),
    }


def window_fields(context: Mapping[str, Any]) -> dict[str, str] | None:
    """The run's window as ISO days; None when it has none (its failure still deserves a report)."""
    try:
        return window_of(context).to_dict()
    except ValueError:
        return None


def evaluate_window(context: Mapping[str, Any]) -> DQResult:
    """The gate's verdict over the manifests of the run's window (latest run per window)."""
    cfg = load_config()
    window = window_of(context)
    try:
        manifests = load_manifests(cfg.staging_uri, window)
    except ManifestError as exc:
        raise AirflowFailException(str(exc)) from exc
    return evaluate_manifests(manifests, DQThresholds.from_config(cfg))


def dq_gate(**context: Any) -> dict[str, Any]:
    """Fail the run (no retry: data does not heal by waiting) if the manifests do not pass the gate."""
    result = evaluate_window(context)
    if not result.passed:
        raise DQGateFailed(result.message, result.failures)
    log.info(result.message)
    return result.to_dict()


def make_publish(notifier: Notifier | None = None) -> Callable[..., list[str]]:
    """The publish task body: one marker per day of the window, then the optional notification."""

    def publish_window(**context: Any) -> list[str]:
        cfg = load_config()
        window = window_of(context)
        # Re-evaluated rather than pulled from XCom: publish must describe what is published now.
        result = evaluate_window(context)
        if not result.passed:
            raise DQGateFailed("refusing to publish: " + result.message, result.failures)
        written = publish(cfg, window, result)
        for uri in written:
            log.info("published %s", uri)
        notify(
            {
                "event": "published",
                **run_fields(context),
                "window": window.to_dict(),
                "markers": written,
                "dq": result.to_dict(),
            },
            notifier,
        )
        return written

    return publish_window


def make_failure_callback(notifier: Notifier | None = None) -> Callable[[Any], None]:
    """``on_failure_callback`` of every task: one clear log line plus the optional notification."""

    def on_failure(context: Any) -> None:
        fields = run_fields(context)
        error = context.get("exception")
        window = window_fields(context)
        log.error(
            "CAEC task failed: dag=%s task=%s run=%s try=%s window=%s error=%s",
            fields["dag_id"],
            fields["task_id"],
            fields["run_id"],
            fields["try_number"],
            window,
            error,
        )
        notify({"event": "failed", **fields, "window": window, "error": str(error)}, notifier)

    return on_failure
