"""Publish: mark the days of a run as done, after the data-quality gate passed.

One small JSON marker per day under ``<staging>/_published/dt=YYYY-MM-DD.json`` (local path or gs://).
Downstream consumers (and people) check for the marker instead of guessing from partition presence;
re-publishing a day overwrites its marker, so the step is idempotent like the rest of the pipeline.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from caec_pipeline.config import PipelineConfig, join_uri
from caec_pipeline.dq import DQResult
from caec_pipeline.storage import write_text
from caec_pipeline.window import DayWindow


def marker(
    day: date, window: DayWindow, result: DQResult, cfg: PipelineConfig, now: datetime
) -> dict[str, Any]:
    """The marker document of one day (pure: ``now`` is passed in)."""
    return {
        "day": day.isoformat(),
        "window": window.to_dict(),
        "published_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "env": cfg.env,
        "dbt_target": cfg.dbt_target,
        "marts": cfg.bq_marts_dataset if cfg.dbt_target == "bigquery" else str(cfg.duckdb_path),
        "dq": result.to_dict(),
    }


def publish(
    cfg: PipelineConfig, window: DayWindow, result: DQResult, now: datetime | None = None
) -> list[str]:
    """Write one marker per day of ``window``; refuses when the gate did not pass. Returns URIs."""
    if not result.passed:
        raise RuntimeError("refusing to publish: " + result.message)
    moment = now or datetime.now(UTC)
    written = []
    for day in window:
        uri = join_uri(cfg.published_uri, f"dt={day.isoformat()}.json")
        write_text(uri, json.dumps(marker(day, window, result, cfg, moment), indent=2, sort_keys=True) + "\n")
        written.append(uri)
    return written
