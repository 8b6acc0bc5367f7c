"""Publish: mark the days of a run as done, after the data-quality gate passed.

One small JSON marker per day under ``<staging>/_published/dt=YYYY-MM-DD.json`` (local path or gs://).
Downstream consumers (and people) check for the marker instead of guessing from partition presence;
re-publishing a day overwrites its marker, so the step is idempotent like the rest of the pipeline.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from caec_pipeline.config import PipelineConfig, is_remote_uri, join_uri, local_path
from caec_pipeline.dq import DQResult
from caec_pipeline.steps import iter_days


def marker(
    day: date, start: date, end: date, result: DQResult, cfg: PipelineConfig, now: datetime
) -> dict[str, Any]:
    """The marker document of one day (pure: ``now`` is passed in)."""
    return {
        "day": day.isoformat(),
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "published_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "env": cfg.env,
        "dbt_target": cfg.dbt_target,
        "marts": cfg.bq_marts_dataset if cfg.dbt_target == "bigquery" else str(cfg.duckdb_path),
        "dq": result.to_dict(),
    }


def publish(
    cfg: PipelineConfig, start: date, end: date, result: DQResult, now: datetime | None = None
) -> list[str]:
    """Write one marker per day of ``[start, end)``; refuses when the gate did not pass. Returns URIs."""
    if not result.passed:
        raise RuntimeError("refusing to publish: " + result.message)
    moment = now or datetime.now(UTC)
    written = []
    for day in iter_days(start, end):
        uri = join_uri(cfg.published_uri, f"dt={day.isoformat()}.json")
        _write_text(
            uri, json.dumps(marker(day, start, end, result, cfg, moment), indent=2, sort_keys=True) + "\n"
        )
        written.append(uri)
    return written


def _write_text(uri: str, text: str) -> None:
    if not is_remote_uri(uri):
        path = local_path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)  # atomic: a reader never sees half a marker
        return
    if not uri.startswith("gs://"):
        raise RuntimeError(f"cannot publish to {uri!r}: only local paths and gs:// are supported")
    try:
        from google.cloud import storage
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            f"publishing to {uri} needs the google-cloud-storage package (installed in the Airflow image)"
        ) from exc
    bucket_name, _, name = uri[len("gs://") :].partition("/")
    storage.Client().bucket(bucket_name).blob(name).upload_from_string(text, content_type="application/json")
